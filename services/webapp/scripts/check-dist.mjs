// Checks what `vite build` wrote to dist/ against the api's Content Security Policy and the size
// budget, and prints the gzipped sizes. Exits 1 on any finding. Run by `npm run check` (after a
// build) and by the api's build step; needs nothing but Node.
//
// CSP: `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob:; ...`
// without 'unsafe-inline', so index.html may hold no inline script, no <style>, no style=
// attribute, no on*= handler, and nothing may come from another origin or a data: URL.

import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";

const dist = new URL("../dist/", import.meta.url).pathname;
/** The editor's JavaScript budget (issue 22): under 300 kB gzipped, for everything the app loads. */
const JS_BUDGET = 300 * 1024;

const problems = [];

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

let html;
try {
  html = readFileSync(join(dist, "index.html"), "utf8");
} catch {
  console.error("dist/index.html is missing: run `npm run build` first.");
  process.exit(1);
}

if (/\sstyle\s*=/i.test(html)) problems.push("index.html has a style= attribute");
if (/<style[\s>]/i.test(html)) problems.push("index.html has a <style> element");
if (/\son[a-z]+\s*=/i.test(html)) problems.push("index.html has an inline event handler (on...=)");
for (const match of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
  const [, attributes, body] = match;
  if (!/\ssrc\s*=/.test(attributes)) problems.push("index.html has an inline <script> (no src)");
  if (body.trim()) problems.push("index.html has a <script> with content");
}
for (const match of html.matchAll(/\s(?:src|href)\s*=\s*"([^"]*)"/gi)) {
  const url = match[1];
  if (/^data:/i.test(url)) problems.push(`index.html refers to a data: URL`);
  else if (/^(?:[a-z]+:)?\/\//i.test(url)) problems.push(`index.html refers to another origin: ${url}`);
  else if (!url.startsWith("/assets/")) problems.push(`index.html refers to ${url}, not under /assets/`);
}

const all = files(dist).filter((path) => !path.endsWith("index.html"));
for (const path of all) {
  const name = relative(dist, path);
  if (!name.startsWith("assets/")) problems.push(`${name} is not under assets/`);
  else if (!/-[A-Za-z0-9_-]{8}\.[a-z0-9]+$/.test(name)) problems.push(`${name} has no content hash in its name`);
  if (name.endsWith(".css")) {
    const css = readFileSync(path, "utf8");
    if (/url\(\s*["']?data:/i.test(css)) problems.push(`${name} inlines a data: URL`);
    if (/@import\s/i.test(css)) problems.push(`${name} has an @import`);
    if (/url\(\s*["']?(?:[a-z]+:)?\/\//i.test(css)) problems.push(`${name} loads from another origin`);
  }
}

const rows = all
  .filter((path) => path.endsWith(".js") || path.endsWith(".css"))
  .map((path) => {
    const bytes = readFileSync(path);
    return { name: relative(dist, path), size: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  })
  .sort((a, b) => b.gzip - a.gzip);
const kb = (n) => `${(n / 1024).toFixed(1)} kB`;
for (const row of rows) console.log(`${row.name.padEnd(40)} ${kb(row.size).padStart(10)}  gzip ${kb(row.gzip).padStart(9)}`);
const jsGzip = rows.filter((row) => row.name.endsWith(".js")).reduce((sum, row) => sum + row.gzip, 0);
console.log(`all JavaScript, gzipped: ${kb(jsGzip)} (budget ${kb(JS_BUDGET)})`);
if (jsGzip > JS_BUDGET) problems.push(`the JavaScript is ${kb(jsGzip)} gzipped, over the ${kb(JS_BUDGET)} budget`);

if (problems.length > 0) {
  for (const problem of problems) console.error(`dist: ${problem}`);
  process.exit(1);
}
console.log("dist: no inline script or style, no data: or foreign URL, hashed assets only");
