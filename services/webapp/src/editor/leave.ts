// Which clicks on a link leave the page for another page of the app (and so would drop work not
// yet submitted). Pure (leave.test.ts); LeaveGuard.tsx asks before such a click goes through.

export interface LinkClick {
  /** The link's resolved URL (an `<a>`'s `href` property). */
  href: string;
  /** The link's `target` attribute ("" when none). */
  target: string;
  /** The link has a `download` attribute. */
  download: boolean;
  button: number;
  modified: boolean;
}

/**
 * The path (with query) a click goes to inside this tab and origin, or null when it does not
 * leave the page in this tab: another origin (the browser's own unload warning covers it), a new
 * tab or window, a download (or any path outside /app/, which the app does not route), another
 * mouse button, or a link to where the page already is.
 */
export function inAppTarget(click: LinkClick, here: { origin: string; path: string }): string | null {
  if (click.button !== 0 || click.modified || click.download) return null;
  if (click.target && click.target !== "_self") return null;
  let url: URL;
  try {
    url = new URL(click.href, here.origin);
  } catch {
    return null;
  }
  if (url.origin !== here.origin) return null;
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  if (url.pathname !== "/app" && !url.pathname.startsWith("/app/")) return null; // a file, not a page of the app
  const path = url.pathname + url.search;
  if (path === here.path) return null;
  return path;
}
