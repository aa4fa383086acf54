// "My tasks": the caller's unfinished work (what they annotate or review), oldest first as the
// api pages it, each with a link that opens it in the editor.

import { useEffect, useState } from "react";
import { api } from "../api/client";
import type { Page, Project, Task } from "../api/types";
import { Empty, ErrorBanner, Loading, formatDate, shortId } from "../components/status";
import { usePaged } from "../components/usePaged";
import { Link, paths, useTitle } from "../router";
import { StageBadge } from "./StageBadge";

/** Project names for the table, best effort: a failure leaves short ids in place of names. */
function useProjectNames(): Map<string, string> {
  const [names, setNames] = useState(new Map<string, string>());
  useEffect(() => {
    const controller = new AbortController();
    api.get<Page<Project>>("/api/v1/projects?limit=200", controller.signal).then(
      (page) => setNames(new Map(page.items.map((project) => [project.id, project.name]))),
      () => undefined,
    );
    return () => controller.abort();
  }, []);
  return names;
}

export function MyTasks() {
  useTitle("My tasks");
  const tasks = usePaged<Task>("/api/v1/me/tasks?limit=50");
  const names = useProjectNames();
  const open = tasks.items.filter((task) => task.stage !== "done");

  return (
    <>
      <div className="page-head">
        <h1>My tasks</h1>
        <button type="button" onClick={tasks.reload} disabled={tasks.loading}>
          Refresh
        </button>
      </div>
      {tasks.problem ? <ErrorBanner problem={tasks.problem} onRetry={tasks.reload} /> : null}
      {tasks.loading ? <Loading what="your tasks" /> : null}
      {!tasks.loading && !tasks.problem && open.length === 0 ? (
        <Empty>
          You have no unfinished tasks. Open a <Link to={paths.projects()}>project</Link> and take the next task.
        </Empty>
      ) : null}
      {open.length > 0 ? (
        <table className="table">
          <caption className="visually-hidden">My unfinished tasks</caption>
          <thead>
            <tr>
              <th scope="col">Task</th>
              <th scope="col">Project</th>
              <th scope="col">Stage</th>
              <th scope="col">Priority</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {open.map((task) => (
              <tr key={task.id}>
                <td>
                  <Link to={paths.task(task.id)}>Open task {shortId(task.id)}</Link>
                </td>
                <td>
                  <Link to={paths.project(task.project_id)}>
                    {names.get(task.project_id) ?? `Project ${shortId(task.project_id)}`}
                  </Link>
                </td>
                <td>
                  <StageBadge stage={task.stage} />
                </td>
                <td>{task.priority}</td>
                <td>{formatDate(task.updated_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {tasks.hasMore ? (
        <p>
          <button type="button" onClick={tasks.loadMore} disabled={tasks.loadingMore}>
            {tasks.loadingMore ? "Loading…" : "Load more tasks"}
          </button>
        </p>
      ) : null}
    </>
  );
}
