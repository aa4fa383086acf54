// Exports of a project: pick a format, start the job, follow its progress (polling the job) and
// download the artifact when it has succeeded.

import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { api, asProblem, seg, type Problem } from "../api/client";
import { jobFinished, type ExportFormat, type Job } from "../api/types";
import { ErrorBanner, formatBytes } from "../components/status";

const FORMATS: { value: ExportFormat; label: string }[] = [
  { value: "coco", label: "COCO (JSON)" },
  { value: "yolo", label: "YOLO" },
  { value: "voc", label: "Pascal VOC" },
  { value: "conll2003", label: "CoNLL 2003" },
  { value: "jsonl", label: "JSON lines" },
  { value: "label-studio", label: "Label Studio JSON" },
];

const POLL_MS = 1000;

export function ExportSection({ projectId }: { projectId: string }) {
  const selectId = useId();
  const [format, setFormat] = useState<ExportFormat>("coco");
  const [job, setJob] = useState<Job | null>(null);
  const [starting, setStarting] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [pollProblem, setPollProblem] = useState<Problem | null>(null);
  const [pollGeneration, setPollGeneration] = useState(0);
  const timer = useRef<number | undefined>(undefined);

  const jobId = job?.id;
  const finished = job ? jobFinished(job.state) : true;

  useEffect(() => {
    if (!jobId || finished) return;
    let live = true;
    const poll = async () => {
      try {
        const next = await api.get<Job>(`/api/v1/projects/${seg(projectId)}/jobs/${seg(jobId)}`);
        if (!live) return;
        setJob(next);
        if (!jobFinished(next.state)) timer.current = window.setTimeout(poll, POLL_MS);
      } catch (error) {
        if (live) setPollProblem(asProblem(error));
      }
    };
    setPollProblem(null);
    timer.current = window.setTimeout(poll, POLL_MS);
    return () => {
      live = false;
      window.clearTimeout(timer.current);
    };
  }, [projectId, jobId, finished, pollGeneration]);

  async function start(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setStarting(true);
    setProblem(null);
    setPollProblem(null);
    try {
      setJob(await api.post<Job>(`/api/v1/projects/${seg(projectId)}/exports`, { format }));
    } catch (error) {
      setProblem(asProblem(error));
    }
    setStarting(false);
  }

  const total = job?.progress.total ?? null;
  const done = job?.progress.done ?? 0;

  return (
    <section aria-labelledby="export-heading" className="section">
      <h2 id="export-heading">Export</h2>
      <form className="inline-form" onSubmit={start}>
        <div className="field">
          <label htmlFor={selectId}>Format</label>
          <select id={selectId} value={format} onChange={(event) => setFormat(event.target.value as ExportFormat)}>
            {FORMATS.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" disabled={starting || (!finished && !pollProblem)}>
          Start export
        </button>
      </form>
      {problem ? <ErrorBanner problem={problem} onDismiss={() => setProblem(null)} /> : null}
      {pollProblem ? (
        <ErrorBanner problem={pollProblem} onRetry={() => setPollGeneration((g) => g + 1)} />
      ) : null}
      {job ? (
        <div className="job">
          <p className="job-state" role="status">
            {jobWords(job, done, total)}
          </p>
          {job.state === "queued" || job.state === "running" ? (
            total ? (
              <progress aria-label="Export progress" max={total} value={done} />
            ) : (
              <progress aria-label="Export progress" />
            )
          ) : null}
          {job.state === "succeeded" ? (
            <progress aria-label="Export progress" max={1} value={1} />
          ) : null}
          {job.state === "succeeded" && job.artifact ? (
            <p>
              <a
                className="button-link"
                href={`/api/v1/projects/${seg(projectId)}/jobs/${seg(job.id)}/artifact`}
                download={job.artifact.name}
              >
                Download {job.artifact.name}
              </a>{" "}
              <span className="meta">({formatBytes(job.artifact.size)})</span>
            </p>
          ) : null}
          {job.state === "failed" && job.error ? (
            <div className="banner banner-error" role="alert">
              <p className="banner-title">The export failed</p>
              <p className="banner-detail">{job.error}</p>
            </div>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}

function jobWords(job: Job, done: number, total: number | null): string {
  switch (job.state) {
    case "queued":
      return "Export queued: waiting for a worker…";
    case "running":
      return total ? `Exporting: ${done} of ${total} tasks` : `Exporting: ${done} tasks so far`;
    case "succeeded":
      return "Export finished.";
    case "failed":
      return job.error ? "Export failed." : "Export failed, with no reason given.";
    case "cancelled":
      return "Export cancelled.";
  }
}
