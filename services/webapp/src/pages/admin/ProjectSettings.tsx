// A project's settings (its administrators): the labeling workflow (review and its sample, consensus,
// the queue's lease; saved with the project's version as If-Match), the project's members and their
// roles, and its datasets (attach one; make tasks for the items that have none).

import { useEffect, useId, useState, type FormEvent } from "react";
import { api, asProblem, seg, type Problem } from "../../api/client";
import {
  ifMatch,
  PROJECT_ROLES,
  type Dataset,
  type OrgMember,
  type Page,
  type Project,
  type ProjectMember,
  type ProjectRole,
  type Workflow,
} from "../../api/types";
import { Empty, ErrorBanner, Loading, Notice, shortId } from "../../components/status";
import { useResource } from "../../components/useResource";
import { Link, paths, useTitle } from "../../router";
import { projectRoleWords } from "./access";
import { ActionProblem, ConfirmButton, useAction } from "./common";
import { kindWords } from "./Datasets";
import { workflowForm, workflowPayload, type WorkflowForm } from "./payloads";

export function ProjectSettings({ projectId }: { projectId: string }) {
  const project = useResource((signal) => api.get<Project>(`/api/v1/projects/${seg(projectId)}`, signal), [projectId]);
  useTitle(project.state === "ready" ? `Settings of ${project.data.name}` : "Project settings");

  if (project.state === "loading") return <Loading what="the project" />;
  if (project.state === "error") {
    return (
      <>
        <h1>Project settings</h1>
        <ErrorBanner problem={project.problem} onRetry={project.reload} />
      </>
    );
  }
  return (
    <>
      <p className="meta">
        <Link to={paths.project(projectId)}>{project.data.name}</Link> ›
      </p>
      <h1>Settings of {project.data.name}</h1>
      <WorkflowSection projectId={projectId} />
      <MembersSection projectId={projectId} />
      <DatasetsSection projectId={projectId} />
    </>
  );
}

// --- workflow --------------------------------------------------------------------------------

function WorkflowSection({ projectId }: { projectId: string }) {
  const workflow = useResource(
    (signal) => api.get<Workflow>(`/api/v1/projects/${seg(projectId)}/workflow`, signal),
    [projectId],
  );
  const [savedVersion, setSavedVersion] = useState<number | null>(null);
  return (
    <section aria-labelledby="workflow-heading" className="section">
      <h2 id="workflow-heading">Workflow</h2>
      {workflow.state === "loading" ? <Loading what="the workflow" /> : null}
      {workflow.state === "error" ? <ErrorBanner problem={workflow.problem} onRetry={workflow.reload} /> : null}
      {workflow.state === "ready" ? (
        <WorkflowEditor
          key={workflow.data.version}
          projectId={projectId}
          workflow={workflow.data}
          saved={savedVersion === workflow.data.version}
          onSaved={(next) => {
            setSavedVersion(next.version);
            workflow.replace(next);
          }}
          onReload={workflow.reload}
        />
      ) : null}
    </section>
  );
}

function WorkflowEditor({
  projectId,
  workflow,
  saved,
  onSaved,
  onReload,
}: {
  projectId: string;
  workflow: Workflow;
  saved: boolean;
  onSaved: (workflow: Workflow) => void;
  onReload: () => void;
}) {
  const ids = useId();
  const [form, setForm] = useState<WorkflowForm>(() => workflowForm(workflow));
  const [dirty, setDirty] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const action = useAction();

  function change(patch: Partial<WorkflowForm>) {
    setDirty(true);
    setForm((current) => ({ ...current, ...patch }));
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const checked = workflowPayload(form, workflow);
    if (!checked.ok) {
      setError(checked.error);
      return;
    }
    setError(null);
    await action.run(async () => {
      onSaved(
        await api.put<Workflow>(`/api/v1/projects/${seg(projectId)}/workflow`, checked.value, ifMatch(workflow.version)),
      );
    });
  }

  const numberField = (key: keyof WorkflowForm, label: string, hint: string, inputMode: "numeric" | "decimal") => (
    <div className="field">
      <label htmlFor={`${ids}-${key}`}>{label}</label>
      <input
        id={`${ids}-${key}`}
        type="text"
        inputMode={inputMode}
        value={form[key] as string}
        aria-describedby={`${ids}-${key}-hint`}
        onChange={(event) => change({ [key]: event.target.value })}
      />
      <p id={`${ids}-${key}-hint`} className="field-hint">
        {hint}
      </p>
    </div>
  );

  return (
    <>
      <p role="status" className="meta">
        {saved && !dirty ? "Workflow saved. It applies to work submitted from now on." : null}
      </p>
      <form onSubmit={submit} noValidate aria-labelledby="workflow-heading">
        <fieldset disabled={action.busy} className="plain-fieldset">
          <legend className="visually-hidden">The project's workflow</legend>
          <div className="check">
            <input
              id={`${ids}-review`}
              type="checkbox"
              checked={form.reviewRequired}
              onChange={(event) => change({ reviewRequired: event.target.checked })}
            />
            <label htmlFor={`${ids}-review`}>Review submitted work</label>
          </div>
          <div className="form-grid">
            {numberField("samplePercent", "Review sample (%)", "Share of first submissions reviewed; the rest are done at once.", "numeric")}
            <div className="field">
              <label htmlFor={`${ids}-seed`}>Sampling seed</label>
              <input
                id={`${ids}-seed`}
                type="text"
                spellCheck={false}
                value={form.seed}
                aria-describedby={`${ids}-seed-hint`}
                onChange={(event) => change({ seed: event.target.value })}
              />
              <p id={`${ids}-seed-hint`} className="field-hint">
                The same seed and order of submissions sample the same tasks.
              </p>
            </div>
            {numberField("annotators", "Annotators per task", "1: no consensus; up to 10.", "numeric")}
            {numberField("threshold", "Agreement threshold", "0 to 1: consensus tasks below it go to review.", "decimal")}
            {numberField("leaseSeconds", "Lease (seconds)", "How long a taken task stays with its taker.", "numeric")}
          </div>
          {error ? (
            <p className="field-error" role="alert">
              {error}
            </p>
          ) : null}
          <p>
            <button type="submit" className="primary">
              Save workflow
            </button>
          </p>
        </fieldset>
      </form>
      {action.problem ? (
        <ErrorBanner
          problem={action.problem}
          onRetry={action.problem.status === 412 ? onReload : undefined}
          onDismiss={action.clear}
        />
      ) : null}
    </>
  );
}

// --- members ---------------------------------------------------------------------------------

/** The organization's members by id, for names; best effort (only Admins and Workforce Managers
 * may list them): null when the list cannot be read. */
function useOrgMembers(): { members: OrgMember[] | null; problem: Problem | null } {
  const [state, setState] = useState<{ members: OrgMember[] | null; problem: Problem | null }>({
    members: null,
    problem: null,
  });
  useEffect(() => {
    const controller = new AbortController();
    api.get<Page<OrgMember>>("/api/v1/members?limit=200", controller.signal).then(
      (page) => setState({ members: page.items, problem: null }),
      (error: unknown) => {
        if (!controller.signal.aborted) setState({ members: null, problem: asProblem(error) });
      },
    );
    return () => controller.abort();
  }, []);
  return state;
}

function MembersSection({ projectId }: { projectId: string }) {
  const list = useResource(
    (signal) =>
      api.get<{ items: ProjectMember[] }>(`/api/v1/projects/${seg(projectId)}/members`, signal).then((answer) => answer.items),
    [projectId],
  );
  const org = useOrgMembers();
  const byId = new Map((org.members ?? []).map((member) => [member.user_id, member]));

  function nameOf(userId: string): string {
    const member = byId.get(userId);
    return member ? `${member.display_name} (${member.email})` : `User ${shortId(userId)}`;
  }

  function replace(next: ProjectMember) {
    if (list.state !== "ready") return;
    const others = list.data.filter((member) => member.user_id !== next.user_id);
    list.replace([...others, next]);
  }

  function drop(userId: string) {
    if (list.state !== "ready") return;
    list.replace(list.data.filter((member) => member.user_id !== userId));
  }

  return (
    <section aria-labelledby="project-members-heading" className="section">
      <h2 id="project-members-heading">Members</h2>
      {list.state === "loading" ? <Loading what="the project's members" /> : null}
      {list.state === "error" ? <ErrorBanner problem={list.problem} onRetry={list.reload} /> : null}
      {list.state === "ready" && list.data.length === 0 ? <Empty>Nobody is in this project yet.</Empty> : null}
      {list.state === "ready" && list.data.length > 0 ? (
        <table className="table">
          <caption className="visually-hidden">Members of the project</caption>
          <thead>
            <tr>
              <th scope="col">Member</th>
              <th scope="col">Project role</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {[...list.data]
              .sort((a, b) => nameOf(a.user_id).localeCompare(nameOf(b.user_id)))
              .map((member) => (
                <ProjectMemberRow
                  key={member.user_id}
                  projectId={projectId}
                  member={member}
                  name={nameOf(member.user_id)}
                  onChanged={replace}
                  onRemoved={() => drop(member.user_id)}
                />
              ))}
          </tbody>
        </table>
      ) : null}
      <AddMember
        projectId={projectId}
        candidates={(org.members ?? []).filter(
          (member) => list.state !== "ready" || !list.data.some((other) => other.user_id === member.user_id),
        )}
        orgListed={org.members !== null}
        onAdded={replace}
      />
    </section>
  );
}

function ProjectMemberRow({
  projectId,
  member,
  name,
  onChanged,
  onRemoved,
}: {
  projectId: string;
  member: ProjectMember;
  name: string;
  onChanged: (member: ProjectMember) => void;
  onRemoved: () => void;
}) {
  const selectId = useId();
  const action = useAction();
  const [saved, setSaved] = useState<string | null>(null);
  const path = `/api/v1/projects/${seg(projectId)}/members/${seg(member.user_id)}`;

  async function changeRole(role: ProjectRole) {
    setSaved(null);
    await action.run(async () => {
      const next = await api.patch<ProjectMember>(path, { role }, ifMatch(member.version));
      onChanged(next);
      setSaved(`Now ${projectRoleWords(next.role)}.`);
    });
  }

  return (
    <tr>
      <td>{name}</td>
      <td>
        <label htmlFor={selectId} className="visually-hidden">
          Role of {name} in the project
        </label>
        <select
          id={selectId}
          value={member.role}
          disabled={action.busy}
          onChange={(event) => void changeRole(event.target.value as ProjectRole)}
        >
          {PROJECT_ROLES.map((role) => (
            <option key={role} value={role}>
              {projectRoleWords(role)}
            </option>
          ))}
        </select>
        <span role="status" className="meta row-status">
          {action.busy ? "Saving…" : saved}
        </span>
        <ActionProblem action={action} />
      </td>
      <td>
        <ConfirmButton
          verb="Remove"
          what={`${name} from the project`}
          busy={action.busy}
          onConfirm={() =>
            void action.run(async () => {
              await api.delete<null>(path);
              onRemoved();
            })
          }
        />
      </td>
    </tr>
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function AddMember({
  projectId,
  candidates,
  orgListed,
  onAdded,
}: {
  projectId: string;
  candidates: OrgMember[];
  orgListed: boolean;
  onAdded: (member: ProjectMember) => void;
}) {
  const ids = useId();
  const [userId, setUserId] = useState("");
  const [role, setRole] = useState<ProjectRole>("annotator");
  const [error, setError] = useState<string | null>(null);
  const [added, setAdded] = useState<string | null>(null);
  const action = useAction();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setAdded(null);
    const id = userId.trim().toLowerCase();
    if (!UUID.test(id)) {
      setError(orgListed ? "Choose the member to add." : "Enter the member's user id (a UUID).");
      return;
    }
    setError(null);
    await action.run(async () => {
      const member = await api.post<ProjectMember>(`/api/v1/projects/${seg(projectId)}/members`, { user_id: id, role });
      onAdded(member);
      const person = candidates.find((candidate) => candidate.user_id === id);
      setAdded(`${person ? person.display_name : `User ${shortId(id)}`} added as ${projectRoleWords(member.role)}.`);
      setUserId("");
    });
  }

  return (
    <>
      <h3 id={`${ids}-heading`}>Add a member</h3>
      <form className="inline-form" onSubmit={submit} noValidate aria-labelledby={`${ids}-heading`}>
        <div className="field">
          <label htmlFor={`${ids}-user`}>{orgListed ? "Member" : "User ID"}</label>
          {orgListed ? (
            <select id={`${ids}-user`} value={userId} onChange={(event) => setUserId(event.target.value)}>
              <option value="">Choose a member…</option>
              {candidates.map((candidate) => (
                <option key={candidate.user_id} value={candidate.user_id}>
                  {candidate.display_name} ({candidate.email})
                </option>
              ))}
            </select>
          ) : (
            <input
              id={`${ids}-user`}
              type="text"
              spellCheck={false}
              value={userId}
              onChange={(event) => setUserId(event.target.value)}
            />
          )}
        </div>
        <div className="field">
          <label htmlFor={`${ids}-role`}>Project role</label>
          <select id={`${ids}-role`} value={role} onChange={(event) => setRole(event.target.value as ProjectRole)}>
            {PROJECT_ROLES.map((option) => (
              <option key={option} value={option}>
                {projectRoleWords(option)}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="primary" disabled={action.busy}>
          Add member
        </button>
      </form>
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
      <ActionProblem action={action} />
      {added ? <Notice>{added}</Notice> : null}
    </>
  );
}

// --- datasets --------------------------------------------------------------------------------

function DatasetsSection({ projectId }: { projectId: string }) {
  const ids = useId();
  const datasets = useResource(
    (signal) => api.get<Page<Dataset>>("/api/v1/datasets?limit=200", signal).then((page) => page.items),
    [],
  );
  const [datasetId, setDatasetId] = useState("");
  const [error, setError] = useState<string | null>(null);
  const current = useResource(
    (signal) =>
      api.get<{ items: Dataset[] }>(`/api/v1/projects/${seg(projectId)}/datasets`, signal).then((list) => list.items),
    [projectId],
  );
  const [tasks, setTasks] = useState<string | null>(null);
  const attach = useAction();
  const makeTasks = useAction();
  const listed = datasets.state === "ready";
  const names = new Map(listed ? datasets.data.map((dataset) => [dataset.id, dataset]) : []);

  function words(id: string, known?: Dataset): string {
    const dataset = known ?? names.get(id);
    return dataset ? `${dataset.name} (${kindWords(dataset.kind).toLowerCase()})` : `Dataset ${shortId(id)}`;
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const id = datasetId.trim().toLowerCase();
    if (!UUID.test(id)) {
      setError(listed ? "Choose the dataset to attach." : "Enter the dataset's id (a UUID).");
      return;
    }
    setError(null);
    await attach.run(async () => {
      await api.post(`/api/v1/projects/${seg(projectId)}/datasets`, { dataset_id: id });
      setDatasetId("");
      current.reload();
    });
  }

  async function createTasks() {
    setTasks(null);
    await makeTasks.run(async () => {
      const answer = await api.post<{ created: number }>(`/api/v1/projects/${seg(projectId)}/tasks`, {});
      setTasks(
        answer.created === 0
          ? "Every item already has a task."
          : `Created ${answer.created} task${answer.created === 1 ? "" : "s"}.`,
      );
    });
  }

  return (
    <section aria-labelledby={`${ids}-heading`} className="section">
      <h2 id={`${ids}-heading`}>Datasets</h2>
      <p className="field-hint">
        Attach the datasets whose items this project labels, then make a task for each item that has none.
      </p>
      {current.state === "loading" ? <Loading what="the project's datasets" /> : null}
      {current.state === "error" ? <ErrorBanner problem={current.problem} onRetry={current.reload} /> : null}
      {current.state === "ready" ? (
        current.data.length === 0 ? (
          <Empty>No dataset is attached to this project yet.</Empty>
        ) : (
          <ul aria-label="Attached datasets">
            {current.data.map((dataset) => (
              <li key={dataset.id}>{words(dataset.id, dataset)}</li>
            ))}
          </ul>
        )
      ) : null}
      {datasets.state === "loading" ? <Loading what="the datasets" /> : null}
      <form className="inline-form" onSubmit={submit} noValidate aria-labelledby={`${ids}-heading`}>
        <div className="field">
          <label htmlFor={`${ids}-dataset`}>{listed ? "Dataset" : "Dataset ID"}</label>
          {listed ? (
            <select id={`${ids}-dataset`} value={datasetId} onChange={(event) => setDatasetId(event.target.value)}>
              <option value="">Choose a dataset…</option>
              {datasets.data.map((dataset) => (
                <option key={dataset.id} value={dataset.id}>
                  {dataset.name} ({kindWords(dataset.kind).toLowerCase()})
                </option>
              ))}
            </select>
          ) : (
            <input
              id={`${ids}-dataset`}
              type="text"
              spellCheck={false}
              value={datasetId}
              onChange={(event) => setDatasetId(event.target.value)}
            />
          )}
        </div>
        <button type="submit" className="primary" disabled={attach.busy}>
          Attach dataset
        </button>
      </form>
      {listed && datasets.data.length === 0 ? (
        <Empty>
          There are no datasets yet: <Link to={paths.datasets()}>make one</Link>.
        </Empty>
      ) : null}
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
      <ActionProblem action={attach} />
      <p>
        <button type="button" onClick={createTasks} disabled={makeTasks.busy}>
          Create tasks for new items
        </button>
      </p>
      <ActionProblem action={makeTasks} />
      {tasks ? <Notice>{tasks}</Notice> : null}
    </section>
  );
}
