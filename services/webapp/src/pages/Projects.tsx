// "Projects": the projects the caller may see, each linking to its overview.

import type { Project } from "../api/types";
import { Empty, ErrorBanner, Loading } from "../components/status";
import { usePaged } from "../components/usePaged";
import { Link, paths, useTitle } from "../router";
import { useSignedIn } from "../session";

export function Projects() {
  useTitle("Projects");
  const projects = usePaged<Project>("/api/v1/projects?limit=50");
  const { me } = useSignedIn();

  return (
    <>
      <div className="page-head">
        <h1>Projects</h1>
        <button type="button" onClick={projects.reload} disabled={projects.loading}>
          Refresh
        </button>
        {me?.role === "admin" ? (
          <Link to={paths.projectNew()} className="button-link">
            New project
          </Link>
        ) : null}
      </div>
      {projects.problem ? <ErrorBanner problem={projects.problem} onRetry={projects.reload} /> : null}
      {projects.loading ? <Loading what="projects" /> : null}
      {!projects.loading && !projects.problem && projects.items.length === 0 ? (
        <Empty>You are not a member of any project yet. Ask a project administrator to add you.</Empty>
      ) : null}
      {projects.items.length > 0 ? (
        <ul className="card-list" aria-label="Projects">
          {projects.items.map((project) => (
            <li key={project.id} className="card">
              <h2 className="card-title">
                <Link to={paths.project(project.id)}>{project.name}</Link>
              </h2>
              {project.description ? <p className="card-text">{project.description}</p> : null}
              {project.tags.length > 0 ? (
                <ul className="tags" aria-label={`Tags of ${project.name}`}>
                  {project.tags.map((tag) => (
                    <li key={tag} className="tag">
                      {tag}
                    </li>
                  ))}
                </ul>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
      {projects.hasMore ? (
        <p>
          <button type="button" onClick={projects.loadMore} disabled={projects.loadingMore}>
            {projects.loadingMore ? "Loading…" : "Load more projects"}
          </button>
        </p>
      ) : null}
    </>
  );
}
