// A project's overview: what it is, how many of its tasks are in each stage, "Take next task",
// and exports (start one, follow its progress, download the result).

import { api, seg } from "../api/client";
import type { Project, Task, TaskStage } from "../api/types";
import { ErrorBanner, Loading, Notice } from "../components/status";
import { fetchAll } from "../components/usePaged";
import { useResource } from "../components/useResource";
import { Link, paths, useTitle } from "../router";
import { useSignedIn } from "../session";
import { ExportSection } from "./ExportSection";
import { useTakeNext } from "./takeNext";
import { stageWords } from "./StageBadge";

const STAGES: TaskStage[] = ["annotate", "review", "done"];

export function ProjectPage({ projectId }: { projectId: string }) {
  const project = useResource(
    (signal) => api.get<Project>(`/api/v1/projects/${seg(projectId)}`, signal),
    [projectId],
  );
  useTitle(project.state === "ready" ? project.data.name : "Project");

  if (project.state === "loading") return <Loading what="the project" />;
  if (project.state === "error") {
    return (
      <>
        <h1>Project</h1>
        <ErrorBanner problem={project.problem} onRetry={project.reload} />
      </>
    );
  }
  const data = project.data;
  return (
    <>
      <div className="page-head">
        <h1>{data.name}</h1>
        <SettingsLink projectId={projectId} />
      </div>
      {data.description ? <p className="lead">{data.description}</p> : null}
      <p className="meta">
        {data.review_required ? "Submitted work is reviewed." : "Submitted work is not reviewed."}
      </p>
      <StageCounts projectId={projectId} />
      <TakeNext projectId={projectId} />
      <ExportSection projectId={projectId} />
    </>
  );
}

/** "Project settings", for those who run the project: org Admins, and (found by reading the
 * workflow, which only the project's managers may) project Admins and Team Managers. */
function SettingsLink({ projectId }: { projectId: string }) {
  const { me } = useSignedIn();
  const orgAdmin = me?.role === "admin";
  // Taskers never manage a project (the api ignores a managing project role for them): no probe.
  const mayManage = me !== null && me.role !== "tasker";
  const manages = useResource(
    (signal) =>
      orgAdmin || !mayManage
        ? Promise.resolve(orgAdmin)
        : api.get(`/api/v1/projects/${seg(projectId)}/workflow`, signal).then(
            () => true,
            () => false,
          ),
    [projectId, orgAdmin, mayManage],
  );
  if (manages.state !== "ready" || !manages.data) return null;
  return <Link to={paths.projectSettings(projectId)}>Project settings</Link>;
}

function StageCounts({ projectId }: { projectId: string }) {
  const tasks = useResource(
    (signal) => fetchAll<Task>(`/api/v1/projects/${seg(projectId)}/tasks?limit=200`, signal),
    [projectId],
  );
  return (
    <section aria-labelledby="progress-heading" className="section">
      <h2 id="progress-heading">Progress</h2>
      {tasks.state === "loading" ? <Loading what="the task counts" /> : null}
      {tasks.state === "error" ? <ErrorBanner problem={tasks.problem} onRetry={tasks.reload} /> : null}
      {tasks.state === "ready" && tasks.data.items.length === 0 ? (
        <p className="status status-empty">This project has no tasks you can see yet.</p>
      ) : null}
      {tasks.state === "ready" && tasks.data.items.length > 0 ? (
        <>
          <dl className="counts">
            {STAGES.map((stage) => (
              <div key={stage} className={`count count-${stage}`}>
                <dt>{stageWords(stage)}</dt>
                <dd>{tasks.data.items.filter((task) => task.stage === stage).length}</dd>
              </div>
            ))}
            <div className="count">
              <dt>All tasks</dt>
              <dd>
                {tasks.data.items.length}
                {tasks.data.truncated ? "+" : ""}
              </dd>
            </div>
          </dl>
          {tasks.data.truncated ? (
            <p className="meta">Counted from the first {tasks.data.items.length} tasks.</p>
          ) : null}
        </>
      ) : null}
    </section>
  );
}

function TakeNext({ projectId }: { projectId: string }) {
  const { take, busy, problem, nothing, dismiss } = useTakeNext(projectId);
  return (
    <section aria-labelledby="work-heading" className="section">
      <h2 id="work-heading">Work</h2>
      <p>
        <button type="button" className="primary" onClick={take} disabled={busy}>
          Take next task
        </button>
      </p>
      {nothing ? <Notice>No task is waiting for you in this project right now.</Notice> : null}
      {problem ? <ErrorBanner problem={problem} onDismiss={dismiss} /> : null}
    </section>
  );
}
