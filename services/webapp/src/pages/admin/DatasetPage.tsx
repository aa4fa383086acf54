// A dataset's page (org Admins): its items — images with thumbnails fetched only when they scroll
// into view (a blob: URL of the same-origin content, revoked when it leaves the page) — uploading
// files with a progress bar per file, three at a time, and for text datasets a JSON lines or CSV import.

import { useEffect, useId, useRef, useState, type ChangeEvent, type FormEvent } from "react";
import { api, asProblem, send, seg, type Problem } from "../../api/client";
import type { DataItem, Dataset } from "../../api/types";
import { Empty, ErrorBanner, Loading, Notice, formatBytes, formatDate } from "../../components/status";
import { usePaged } from "../../components/usePaged";
import { useResource } from "../../components/useResource";
import { Link, paths, useTitle } from "../../router";
import { ActionProblem, useAction } from "./common";
import { kindWords } from "./Datasets";
import { runPool, textImportType, uploadFile } from "./uploads";

/** Uploads running at once. */
const PARALLEL = 3;

/** Image types Chromium shows in an <img> (TIFF and DICOM are stored, but have no preview). */
const PREVIEWABLE = new Set(["image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"]);

export function DatasetPage({ datasetId }: { datasetId: string }) {
  const dataset = useResource((signal) => api.get<Dataset>(`/api/v1/datasets/${seg(datasetId)}`, signal), [datasetId]);
  useTitle(dataset.state === "ready" ? dataset.data.name : "Dataset");

  if (dataset.state === "loading") return <Loading what="the dataset" />;
  if (dataset.state === "error") {
    return (
      <>
        <h1>Dataset</h1>
        <ErrorBanner problem={dataset.problem} onRetry={dataset.reload} />
        <p>
          <Link to={paths.datasets()}>All datasets</Link>
        </p>
      </>
    );
  }
  return <DatasetView dataset={dataset.data} />;
}

function DatasetView({ dataset }: { dataset: Dataset }) {
  const items = usePaged<DataItem>(`/api/v1/datasets/${seg(dataset.id)}/items?limit=60`);

  return (
    <>
      <p className="meta">
        <Link to={paths.datasets()}>Datasets</Link> ›
      </p>
      <h1>{dataset.name}</h1>
      <p className="lead">
        {kindWords(dataset.kind)} · created {formatDate(dataset.created_at)}
      </p>
      <UploadSection dataset={dataset} onUploaded={items.reload} />
      {dataset.kind === "text" ? <TextImport dataset={dataset} onImported={items.reload} /> : null}
      <section aria-labelledby="items-heading" className="section">
        <div className="page-head">
          <h2 id="items-heading">Items</h2>
          <button type="button" onClick={items.reload} disabled={items.loading}>
            Refresh
          </button>
        </div>
        {items.problem ? <ErrorBanner problem={items.problem} onRetry={items.reload} /> : null}
        {items.loading ? <Loading what="the items" /> : null}
        {!items.loading && !items.problem && items.items.length === 0 ? (
          <Empty>This dataset is empty. Upload files above.</Empty>
        ) : null}
        {items.items.length > 0 && dataset.kind === "image" ? (
          <ul className="thumb-grid" aria-label="Items">
            {items.items.map((item) => (
              <li key={item.id} className="thumb-card">
                <Thumbnail item={item} />
                <p className="thumb-name" title={item.name}>
                  {item.name}
                </p>
                <p className="meta">
                  {item.size !== null ? formatBytes(item.size) : "No content"} · {item.media_type}
                </p>
              </li>
            ))}
          </ul>
        ) : null}
        {items.items.length > 0 && dataset.kind === "text" ? (
          <table className="table">
            <caption className="visually-hidden">Items</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Size</th>
                <th scope="col">Type</th>
                <th scope="col">Added</th>
              </tr>
            </thead>
            <tbody>
              {items.items.map((item) => (
                <tr key={item.id}>
                  <td>{item.name}</td>
                  <td>{item.size !== null ? formatBytes(item.size) : "—"}</td>
                  <td>{item.media_type}</td>
                  <td>{formatDate(item.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        {items.hasMore ? (
          <p>
            <button type="button" onClick={items.loadMore} disabled={items.loadingMore}>
              {items.loadingMore ? "Loading…" : "Load more items"}
            </button>
          </p>
        ) : null}
      </section>
    </>
  );
}

/** An image item's thumbnail: fetched once it is (nearly) visible, shown from a blob: URL that is
 * revoked when the thumbnail goes away. */
function Thumbnail({ item }: { item: DataItem }) {
  const holder = useRef<HTMLDivElement>(null);
  const [visible, setVisible] = useState(false);
  const [url, setUrl] = useState<string | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const previewable = item.size !== null && PREVIEWABLE.has(item.media_type.split(";")[0]?.trim() ?? "");

  useEffect(() => {
    const element = holder.current;
    if (!element || !previewable || visible) return;
    if (typeof IntersectionObserver === "undefined") {
      setVisible(true);
      return;
    }
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) {
          setVisible(true);
          observer.disconnect();
        }
      },
      { rootMargin: "200px" },
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, [previewable, visible]);

  useEffect(() => {
    if (!visible) return;
    const controller = new AbortController();
    let made: string | null = null;
    send(`/api/v1/items/${seg(item.id)}/content`, { signal: controller.signal, headers: { Accept: item.media_type } })
      .then((response) => response.blob())
      .then(
        (blob) => {
          if (controller.signal.aborted) return;
          made = URL.createObjectURL(blob);
          setUrl(made);
        },
        (error: unknown) => {
          if (!controller.signal.aborted) setFailed(asProblem(error).title);
        },
      );
    return () => {
      controller.abort();
      if (made) URL.revokeObjectURL(made);
      setUrl(null);
    };
  }, [visible, item.id, item.media_type]);

  return (
    <div ref={holder} className="thumb">
      {url ? <img src={url} alt={item.name} className="thumb-image" /> : null}
      {!url && !previewable ? <span className="meta">No preview</span> : null}
      {!url && previewable && failed ? <span className="meta">Preview failed: {failed}</span> : null}
      {!url && previewable && !failed ? <span className="meta" aria-hidden="true">…</span> : null}
    </div>
  );
}

interface UploadEntry {
  key: number;
  name: string;
  size: number;
  sent: number;
  state: "waiting" | "uploading" | "done" | "failed";
  problem?: Problem;
}

function UploadSection({ dataset, onUploaded }: { dataset: Dataset; onUploaded: () => void }) {
  const inputId = useId();
  const [entries, setEntries] = useState<UploadEntry[]>([]);
  const [running, setRunning] = useState(false);
  const nextKey = useRef(1);
  const controller = useRef<AbortController | null>(null);

  useEffect(() => () => controller.current?.abort(), []);

  function update(key: number, change: Partial<UploadEntry>) {
    setEntries((all) => all.map((entry) => (entry.key === key ? { ...entry, ...change } : entry)));
  }

  async function start(event: ChangeEvent<HTMLInputElement>) {
    const files = Array.from(event.target.files ?? []);
    event.target.value = "";
    if (files.length === 0) return;
    const batch = files.map((file) => ({ file, key: nextKey.current++ }));
    setEntries(batch.map(({ file, key }) => ({ key, name: file.name, size: file.size, sent: 0, state: "waiting" })));
    setRunning(true);
    const abort = new AbortController();
    controller.current = abort;
    await runPool(batch, PARALLEL, async ({ file, key }) => {
      if (abort.signal.aborted) return;
      update(key, { state: "uploading" });
      try {
        await uploadFile<DataItem>(
          `/api/v1/datasets/${seg(dataset.id)}/files`,
          file,
          (sent) => update(key, { sent }),
          abort.signal,
        );
        update(key, { state: "done", sent: file.size });
      } catch (error) {
        if (abort.signal.aborted) return;
        update(key, { state: "failed", problem: asProblem(error) });
      }
    });
    if (abort.signal.aborted) return;
    setRunning(false);
    onUploaded();
  }

  const done = entries.filter((entry) => entry.state === "done").length;
  const failed = entries.filter((entry) => entry.state === "failed").length;

  return (
    <section aria-labelledby="upload-heading" className="section">
      <h2 id="upload-heading">Upload</h2>
      <div className="field">
        <label htmlFor={inputId}>Upload files</label>
        <input
          id={inputId}
          type="file"
          multiple
          accept={dataset.kind === "image" ? "image/*,.dcm" : "text/*,.txt"}
          disabled={running}
          onChange={(event) => void start(event)}
        />
        <p className="field-hint">
          {dataset.kind === "image"
            ? "PNG, JPEG, GIF, WebP, TIFF, BMP or DICOM; each file becomes an item."
            : "UTF-8 text files; each file becomes an item."}{" "}
          Up to {PARALLEL} files upload at once.
        </p>
      </div>
      {entries.length > 0 ? (
        <>
          <p role="status" className="meta">
            {running
              ? `Uploading: ${done} of ${entries.length} done${failed ? `, ${failed} failed` : ""}.`
              : `Upload finished: ${done} of ${entries.length} uploaded${failed ? `, ${failed} failed` : ""}.`}
          </p>
          <ul className="upload-list" aria-label="Uploads">
            {entries.map((entry) => (
              <li key={entry.key} className={`upload upload-${entry.state}`}>
                <span className="upload-name">{entry.name}</span>
                <progress
                  aria-label={`Uploading ${entry.name}`}
                  max={Math.max(entry.size, 1)}
                  value={entry.state === "done" ? Math.max(entry.size, 1) : Math.min(entry.sent, entry.size)}
                />
                <span className="meta">{uploadWords(entry)}</span>
                {entry.problem ? (
                  <span className="field-error">
                    {entry.problem.title}
                    {entry.problem.detail ? `: ${entry.problem.detail}` : ""}
                  </span>
                ) : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

function uploadWords(entry: UploadEntry): string {
  switch (entry.state) {
    case "waiting":
      return "Waiting";
    case "uploading":
      return entry.size ? `${Math.floor((Math.min(entry.sent, entry.size) / entry.size) * 100)}%` : "Uploading";
    case "done":
      return `Uploaded (${formatBytes(entry.size)})`;
    case "failed":
      return "Failed";
  }
}

function TextImport({ dataset, onImported }: { dataset: Dataset; onImported: () => void }) {
  const inputId = useId();
  const [file, setFile] = useState<File | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<number | null>(null);
  const action = useAction();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setCreated(null);
    if (!file) {
      setError("Choose a JSON lines (.jsonl) or CSV (.csv) file.");
      return;
    }
    const type = textImportType(file.name, file.type);
    if (!type) {
      setError("The file must be JSON lines (.jsonl) or CSV (.csv).");
      return;
    }
    setError(null);
    await action.run(async () => {
      const answer = await send(`/api/v1/datasets/${seg(dataset.id)}/texts`, {
        method: "POST",
        raw: { body: file, type },
      }).then((response) => response.json() as Promise<{ created: number }>);
      setCreated(answer.created);
      onImported();
    });
  }

  return (
    <section aria-labelledby="text-import-heading" className="section">
      <h2 id="text-import-heading">Import texts</h2>
      <p className="field-hint">
        JSON lines: one <code>{'{"text": …, "name": …}'}</code> per line. CSV: a header row with a <code>text</code>{" "}
        column and optionally <code>name</code>; other columns become attributes. All or nothing.
      </p>
      <form className="inline-form" onSubmit={submit} noValidate aria-labelledby="text-import-heading">
        <div className="field">
          <label htmlFor={inputId}>JSON lines or CSV file</label>
          <input
            id={inputId}
            type="file"
            accept=".jsonl,.ndjson,.csv,application/jsonl,text/csv"
            onChange={(event) => setFile(event.target.files?.[0] ?? null)}
          />
        </div>
        <button type="submit" className="primary" disabled={action.busy}>
          Import
        </button>
      </form>
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
      <ActionProblem action={action} />
      {action.busy ? <p className="meta">Importing…</p> : null}
      {created !== null ? <Notice>Imported {created} texts.</Notice> : null}
    </section>
  );
}
