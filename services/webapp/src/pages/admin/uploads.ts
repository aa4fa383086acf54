// Uploading files into a dataset: each file is the raw body of its own request (the api streams it
// through type sniffing and encryption), named by Content-Disposition, sent by XMLHttpRequest so its
// progress can be shown, a few at a time.

import { changeHeaders, problemOfXhr, Problem } from "../../api/client";

/** RFC 5987's attr-char: what may stand unescaped in `filename*`. encodeURIComponent leaves ' ( ) *
 * unescaped too, which RFC 5987 does not allow. */
function rfc5987(value: string): string {
  return encodeURIComponent(value).replace(
    /['()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The Content-Disposition naming an upload: `attachment; filename*=UTF-8''…` (any name, any script). */
export function contentDisposition(name: string): string {
  return `attachment; filename*=UTF-8''${rfc5987(name)}`;
}

/** The media type of a text import file (JSON lines or CSV), from its name or type; null if neither. */
export function textImportType(name: string, type = ""): "application/jsonl" | "text/csv" | null {
  const lower = name.toLowerCase();
  if (lower.endsWith(".jsonl") || lower.endsWith(".ndjson")) return "application/jsonl";
  if (lower.endsWith(".csv")) return "text/csv";
  const essence = type.split(";")[0]?.trim().toLowerCase() ?? "";
  if (essence === "application/jsonl" || essence === "application/x-ndjson") return "application/jsonl";
  if (essence === "text/csv") return "text/csv";
  return null;
}

/** Runs `work` on every item, at most `limit` at a time, in order of the items; resolves when all
 * have finished. `work` is expected to catch its own failures (one failed file does not stop the rest). */
export async function runPool<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>) {
  let next = 0;
  async function lane(): Promise<void> {
    while (next < items.length) {
      const index = next;
      next += 1;
      await work(items[index] as T, index);
    }
  }
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane);
  await Promise.all(lanes);
}

/** POSTs `file` as the raw body of `url`; `onProgress(sent, total)` as it goes. Resolves with the
 * parsed answer; rejects with a Problem in words (or an AbortError when `signal` aborts). */
export function uploadFile<T>(
  url: string,
  file: File,
  onProgress: (sent: number, total: number) => void,
  signal?: AbortSignal,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.withCredentials = false; // same origin: the session cookie goes anyway
    xhr.setRequestHeader("Accept", "application/json, application/problem+json");
    xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
    xhr.setRequestHeader("Content-Disposition", contentDisposition(file.name));
    for (const [name, value] of Object.entries(changeHeaders())) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => {
      onProgress(event.loaded, event.lengthComputable ? event.total : file.size);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText) as T);
        } catch {
          reject(new Problem(xhr.status, "The server's answer could not be read", null));
        }
        return;
      }
      reject(problemOfXhr(xhr));
    };
    xhr.onerror = () => reject(new Problem(0, "Could not reach the server", "Check your connection and try again."));
    xhr.onabort = () => reject(new DOMException("The upload was cancelled.", "AbortError"));
    if (signal) {
      if (signal.aborted) {
        reject(new DOMException("The upload was cancelled.", "AbortError"));
        return;
      }
      signal.addEventListener("abort", () => xhr.abort(), { once: true });
    }
    xhr.send(file);
  });
}
