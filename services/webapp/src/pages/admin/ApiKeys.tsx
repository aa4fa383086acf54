// "API keys" (everyone): my keys (an Admin sees every key of the organization), making one — its
// secret is shown once, with a Copy button and a warning — and revoking one.

import { useId, useState, type FormEvent } from "react";
import { api, seg } from "../../api/client";
import { SCOPES, type ApiKey, type ApiKeyCreated, type Page, type Project, type Scope } from "../../api/types";
import { Empty, ErrorBanner, Loading, formatDate, shortId } from "../../components/status";
import { usePaged } from "../../components/usePaged";
import { useResource } from "../../components/useResource";
import { useTitle } from "../../router";
import { useSignedIn } from "../../session";
import { ActionProblem, ConfirmButton, ShownOnce, useAction } from "./common";
import { apiKeyPayload } from "./payloads";

const SCOPE_WORDS: Record<Scope, string> = {
  "tasks:read": "Read projects, tasks and annotations",
  "tasks:write": "Take, create and assign tasks",
  "annotations:write": "Submit annotations",
  "reviews:write": "Approve or reject work",
  "data:read": "Read items' content and export projects",
  "data:write": "Create datasets and upload data",
  admin: "Administration, as far as your role allows",
};

export function ApiKeys() {
  useTitle("API keys");
  const { me } = useSignedIn();
  const keys = usePaged<ApiKey>("/api/v1/api-keys?limit=100");
  const [made, setMade] = useState<ApiKey[]>([]);
  const [revoked, setRevoked] = useState(new Map<string, ApiKey>());
  const projects = useResource(
    (signal) => api.get<Page<Project>>("/api/v1/projects?limit=200", signal).then((page) => page.items),
    [],
  );
  const projectNames = new Map(projects.state === "ready" ? projects.data.map((p) => [p.id, p.name]) : []);

  function reload() {
    setMade([]);
    setRevoked(new Map());
    keys.reload();
  }

  const listed = [...made.filter((key) => !keys.items.some((other) => other.id === key.id)), ...keys.items].map(
    (key) => revoked.get(key.id) ?? key,
  );

  return (
    <>
      <div className="page-head">
        <h1>API keys</h1>
        <button type="button" onClick={reload} disabled={keys.loading}>
          Refresh
        </button>
      </div>
      <p className="lead">
        A key acts for you, never beyond what your role allows, and only within the scopes you give it. Keys are
        made and revoked here, never by another key.
      </p>
      <CreateKey
        projects={projects.state === "ready" ? projects.data : []}
        onCreated={(key) => setMade((all) => [key, ...all])}
      />
      <section aria-labelledby="keys-heading" className="section">
        <h2 id="keys-heading">{me?.role === "admin" ? "Keys of the organization" : "My keys"}</h2>
        {keys.problem ? <ErrorBanner problem={keys.problem} onRetry={reload} /> : null}
        {keys.loading ? <Loading what="the keys" /> : null}
        {!keys.loading && !keys.problem && listed.length === 0 ? <Empty>You have no API keys.</Empty> : null}
        {listed.length > 0 ? (
          <table className="table">
            <caption className="visually-hidden">API keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Starts with</th>
                <th scope="col">Scopes</th>
                <th scope="col">Project</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {listed.map((key) => (
                <KeyRow
                  key={key.id}
                  apiKey={key}
                  mine={key.user_id === me?.user_id}
                  projectName={key.project_id ? (projectNames.get(key.project_id) ?? shortId(key.project_id)) : null}
                  onRevoked={(next) => setRevoked((map) => new Map(map).set(next.id, next))}
                />
              ))}
            </tbody>
          </table>
        ) : null}
        {keys.hasMore ? (
          <p>
            <button type="button" onClick={keys.loadMore} disabled={keys.loadingMore}>
              {keys.loadingMore ? "Loading…" : "Load more keys"}
            </button>
          </p>
        ) : null}
      </section>
    </>
  );
}

function keyState(key: ApiKey, now: number): string {
  if (key.revoked_at) return `Revoked ${formatDate(key.revoked_at)}`;
  if (key.expires_at && new Date(key.expires_at).getTime() <= now) return "Expired";
  return "Active";
}

function KeyRow({
  apiKey,
  mine,
  projectName,
  onRevoked,
}: {
  apiKey: ApiKey;
  mine: boolean;
  projectName: string | null;
  onRevoked: (key: ApiKey) => void;
}) {
  const action = useAction();
  const state = keyState(apiKey, Date.now());

  async function revoke() {
    await action.run(async () => {
      onRevoked(await api.delete<ApiKey>(`/api/v1/api-keys/${seg(apiKey.id)}`));
    });
  }

  return (
    <tr>
      <td>
        {apiKey.name}
        {!mine ? <span className="meta"> (user {shortId(apiKey.user_id)})</span> : null}
      </td>
      <td>
        <code>{apiKey.prefix}…</code>
      </td>
      <td>{apiKey.scopes.join(", ")}</td>
      <td>{projectName ?? "All"}</td>
      <td>{apiKey.expires_at ? formatDate(apiKey.expires_at) : "Never"}</td>
      <td>{apiKey.last_used_at ? formatDate(apiKey.last_used_at) : "Never"}</td>
      <td>{state}</td>
      <td>
        {state === "Active" ? (
          <ConfirmButton verb="Revoke" what={`key ${apiKey.name}`} busy={action.busy} onConfirm={() => void revoke()} />
        ) : null}
        <ActionProblem action={action} />
      </td>
    </tr>
  );
}

function CreateKey({ projects, onCreated }: { projects: Project[]; onCreated: (key: ApiKey) => void }) {
  const ids = { heading: useId(), name: useId(), project: useId(), expires: useId(), scopes: useId() };
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<Scope[]>(["tasks:read"]);
  const [projectId, setProjectId] = useState("");
  const [expiresOn, setExpiresOn] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const action = useAction();

  function toggle(scope: Scope, on: boolean) {
    setScopes((all) => (on ? [...all, scope] : all.filter((other) => other !== scope)));
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const checked = apiKeyPayload({ name, scopes, projectId, expiresOn });
    if (!checked.ok) {
      setError(checked.error);
      return;
    }
    setError(null);
    setCreated(null);
    await action.run(async () => {
      const answer = await api.post<ApiKeyCreated>("/api/v1/api-keys", checked.value);
      setCreated(answer);
      onCreated(answer.key);
      setName("");
    });
  }

  return (
    <section aria-labelledby={ids.heading} className="section">
      <h2 id={ids.heading}>Create a key</h2>
      {created ? (
        <ShownOnce
          title={`New API key “${created.key.name}”`}
          label="API key"
          value={created.secret}
          onDone={() => setCreated(null)}
        >
          <p>Store it where your program can read it (a secret store, not source code).</p>
        </ShownOnce>
      ) : null}
      <form onSubmit={submit} noValidate aria-labelledby={ids.heading}>
        <fieldset disabled={action.busy} className="plain-fieldset">
          <legend className="visually-hidden">A new API key</legend>
          <div className="form-grid">
            <div className="field">
              <label htmlFor={ids.name}>Name</label>
              <input
                id={ids.name}
                type="text"
                autoComplete="off"
                value={name}
                onChange={(event) => setName(event.target.value)}
              />
              <p className="field-hint">What uses it, e.g. “training pipeline”.</p>
            </div>
            <div className="field">
              <label htmlFor={ids.project}>Project</label>
              <select id={ids.project} value={projectId} onChange={(event) => setProjectId(event.target.value)}>
                <option value="">All my projects</option>
                {projects.map((project) => (
                  <option key={project.id} value={project.id}>
                    {project.name}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor={ids.expires}>Expires on</label>
              <input
                id={ids.expires}
                type="date"
                value={expiresOn}
                onChange={(event) => setExpiresOn(event.target.value)}
              />
              <p className="field-hint">Empty: never (revoke it when it is no longer needed). At most a year.</p>
            </div>
          </div>
          <fieldset className="choices">
            <legend>Scopes</legend>
            {SCOPES.map((scope) => (
              <div className="check" key={scope}>
                <input
                  id={`${ids.scopes}-${scope}`}
                  type="checkbox"
                  checked={scopes.includes(scope)}
                  onChange={(event) => toggle(scope, event.target.checked)}
                />
                <label htmlFor={`${ids.scopes}-${scope}`}>
                  <code>{scope}</code> <span className="meta">{SCOPE_WORDS[scope]}</span>
                </label>
              </div>
            ))}
          </fieldset>
          {error ? (
            <p className="field-error" role="alert">
              {error}
            </p>
          ) : null}
          <p>
            <button type="submit" className="primary">
              Create key
            </button>
          </p>
        </fieldset>
      </form>
      <ActionProblem action={action} />
    </section>
  );
}
