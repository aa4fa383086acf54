// "New project" (org Admins): a name, the ontology it labels with, a description, whether work is
// reviewed. The new project opens on its settings, to add members and datasets.

import { useId, useState, type FormEvent } from "react";
import { api } from "../../api/client";
import type { Ontology, Page, Project } from "../../api/types";
import { ErrorBanner, Loading } from "../../components/status";
import { useResource } from "../../components/useResource";
import { Link, navigate, paths, useTitle } from "../../router";
import { ActionProblem, useAction } from "./common";
import { projectPayload } from "./payloads";

export function NewProject() {
  useTitle("New project");
  const ids = useId();
  const ontologies = useResource(
    (signal) => api.get<Page<Ontology>>("/api/v1/ontologies?limit=200", signal).then((page) => page.items),
    [],
  );
  const [name, setName] = useState("");
  const [ontologyId, setOntologyId] = useState("");
  const [description, setDescription] = useState("");
  const [reviewRequired, setReviewRequired] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const action = useAction();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const checked = projectPayload({ name, ontologyId, description, reviewRequired });
    if (!checked.ok) {
      setError(checked.error);
      return;
    }
    setError(null);
    await action.run(async () => {
      const project = await api.post<Project>("/api/v1/projects", checked.value);
      navigate(paths.projectSettings(project.id));
    });
  }

  return (
    <>
      <p className="meta">
        <Link to={paths.projects()}>Projects</Link> ›
      </p>
      <h1 id={`${ids}-heading`}>New project</h1>
      {ontologies.state === "loading" ? <Loading what="the ontologies" /> : null}
      {ontologies.state === "error" ? <ErrorBanner problem={ontologies.problem} onRetry={ontologies.reload} /> : null}
      {ontologies.state === "ready" && ontologies.data.length === 0 ? (
        <p className="status status-empty">
          There is no ontology to label with yet: <Link to={paths.ontologies()}>create one first</Link>.
        </p>
      ) : null}
      <form className="section" onSubmit={submit} noValidate aria-labelledby={`${ids}-heading`}>
        <fieldset disabled={action.busy} className="plain-fieldset">
          <legend className="visually-hidden">The new project</legend>
          <div className="field field-wide">
            <label htmlFor={`${ids}-name`}>Project name</label>
            <input id={`${ids}-name`} type="text" value={name} onChange={(event) => setName(event.target.value)} />
          </div>
          <div className="field field-wide">
            <label htmlFor={`${ids}-ontology`}>Ontology</label>
            <select id={`${ids}-ontology`} value={ontologyId} onChange={(event) => setOntologyId(event.target.value)}>
              <option value="">Choose an ontology…</option>
              {(ontologies.state === "ready" ? ontologies.data : []).map((ontology) => (
                <option key={ontology.id} value={ontology.id}>
                  {ontology.name} (version {ontology.current_version})
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${ids}-description`}>Description</label>
            <textarea
              id={`${ids}-description`}
              rows={3}
              value={description}
              onChange={(event) => setDescription(event.target.value)}
            />
          </div>
          <div className="check">
            <input
              id={`${ids}-review`}
              type="checkbox"
              checked={reviewRequired}
              onChange={(event) => setReviewRequired(event.target.checked)}
            />
            <label htmlFor={`${ids}-review`}>Review submitted work</label>
          </div>
          {error ? (
            <p className="field-error" role="alert">
              {error}
            </p>
          ) : null}
          <p>
            <button type="submit" className="primary">
              Create project
            </button>
          </p>
        </fieldset>
      </form>
      <ActionProblem action={action} />
    </>
  );
}
