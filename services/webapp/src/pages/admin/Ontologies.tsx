// "Ontologies": what projects label with. Everyone who sets up projects reads them; org Admins make
// new ones, in an editor (objects to draw or mark, classification questions) or from a Label Studio
// labeling config.

import { useId, useRef, useState, type FormEvent } from "react";
import { api } from "../../api/client";
import type { ObjectKind, Ontology } from "../../api/types";
import { Empty, ErrorBanner, Loading, Notice } from "../../components/status";
import { usePaged } from "../../components/usePaged";
import { useTitle } from "../../router";
import { useSignedIn } from "../../session";
import { ActionProblem, useAction } from "./common";
import { ontologyPayload, type ClassificationRow, type ObjectRow } from "./payloads";

const KINDS: { value: ObjectKind; label: string }[] = [
  { value: "bbox", label: "Box" },
  { value: "polygon", label: "Polygon" },
  { value: "span", label: "Text span" },
];

function kindLabel(kind: ObjectKind): string {
  return KINDS.find((option) => option.value === kind)?.label ?? kind;
}

export function Ontologies() {
  useTitle("Ontologies");
  const { me } = useSignedIn();
  const ontologies = usePaged<Ontology>("/api/v1/ontologies?limit=100");
  const [made, setMade] = useState<Ontology[]>([]);
  const [notice, setNotice] = useState<string | null>(null);
  const isAdmin = me?.role === "admin";
  const listed = [...made.filter((one) => !ontologies.items.some((other) => other.id === one.id)), ...ontologies.items];

  function created(ontology: Ontology) {
    setMade((all) => [ontology, ...all]);
    setNotice(`The ontology “${ontology.name}” was created.`);
  }

  function reload() {
    setMade([]);
    setNotice(null);
    ontologies.reload();
  }

  return (
    <>
      <div className="page-head">
        <h1>Ontologies</h1>
        <button type="button" onClick={reload} disabled={ontologies.loading}>
          Refresh
        </button>
      </div>
      <p className="lead">The labels a project's annotators use: objects to draw or mark, and questions about the whole item.</p>
      {notice ? <Notice>{notice}</Notice> : null}
      {isAdmin ? (
        <>
          <OntologyEditor onCreated={created} />
          <LabelStudioImport onCreated={created} />
        </>
      ) : null}
      <section aria-labelledby="ontologies-heading" className="section">
        <h2 id="ontologies-heading">All ontologies</h2>
        {ontologies.problem ? <ErrorBanner problem={ontologies.problem} onRetry={reload} /> : null}
        {ontologies.loading ? <Loading what="the ontologies" /> : null}
        {!ontologies.loading && !ontologies.problem && listed.length === 0 ? (
          <Empty>
            There are no ontologies yet.{isAdmin ? " Create one above." : " An administrator of your organization makes them."}
          </Empty>
        ) : null}
        {listed.length > 0 ? (
          <ul className="card-list" aria-label="Ontologies">
            {listed.map((ontology) => (
              <li key={ontology.id} className="card">
                <h3 className="card-title">{ontology.name}</h3>
                <p className="meta">Version {ontology.current_version}</p>
                <OntologySummary ontology={ontology} />
              </li>
            ))}
          </ul>
        ) : null}
        {ontologies.hasMore ? (
          <p>
            <button type="button" onClick={ontologies.loadMore} disabled={ontologies.loadingMore}>
              {ontologies.loadingMore ? "Loading…" : "Load more ontologies"}
            </button>
          </p>
        ) : null}
      </section>
    </>
  );
}

function OntologySummary({ ontology }: { ontology: Ontology }) {
  const { objects, classifications } = ontology.definition;
  return (
    <dl className="summary">
      <dt>Objects</dt>
      <dd>
        {objects.length === 0
          ? "None"
          : objects.map((object) => `${object.name} (${kindLabel(object.kind).toLowerCase()})`).join(", ")}
      </dd>
      <dt>Classifications</dt>
      <dd>
        {classifications.length === 0 ? (
          "None"
        ) : (
          <ul className="plain-list">
            {classifications.map((question) => (
              <li key={question.name}>
                {question.name}: {question.options.join(", ")}
                <span className="meta"> ({question.multiple ? "several answers" : "one answer"})</span>
              </li>
            ))}
          </ul>
        )}
      </dd>
    </dl>
  );
}

function OntologyEditor({ onCreated }: { onCreated: (ontology: Ontology) => void }) {
  const ids = useId();
  const nextKey = useRef(2);
  const [name, setName] = useState("");
  const [objects, setObjects] = useState<ObjectRow[]>([{ key: 1, name: "", kind: "bbox" }]);
  const [questions, setQuestions] = useState<ClassificationRow[]>([]);
  const [error, setError] = useState<string | null>(null);
  const action = useAction();

  function changeObject(key: number, change: Partial<ObjectRow>) {
    setObjects((all) => all.map((row) => (row.key === key ? { ...row, ...change } : row)));
  }

  function changeQuestion(key: number, change: Partial<ClassificationRow>) {
    setQuestions((all) => all.map((row) => (row.key === key ? { ...row, ...change } : row)));
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const checked = ontologyPayload(name, objects, questions);
    if (!checked.ok) {
      setError(checked.error);
      return;
    }
    setError(null);
    await action.run(async () => {
      const ontology = await api.post<Ontology>("/api/v1/ontologies", checked.value);
      onCreated(ontology);
      setName("");
      setObjects([{ key: nextKey.current++, name: "", kind: "bbox" }]);
      setQuestions([]);
    });
  }

  return (
    <section aria-labelledby={`${ids}-heading`} className="section">
      <h2 id={`${ids}-heading`}>New ontology</h2>
      <form onSubmit={submit} noValidate aria-labelledby={`${ids}-heading`}>
        <fieldset disabled={action.busy} className="plain-fieldset">
          <legend className="visually-hidden">A new ontology</legend>
          <div className="field field-wide">
            <label htmlFor={`${ids}-name`}>Ontology name</label>
            <input id={`${ids}-name`} type="text" value={name} onChange={(event) => setName(event.target.value)} />
          </div>
          <fieldset className="rows">
            <legend>Objects</legend>
            {objects.length === 0 ? <p className="status status-empty">No objects: items get only classifications.</p> : null}
            {objects.map((row, index) => (
              <div key={row.key} className="row-fields">
                <div className="field">
                  <label htmlFor={`${ids}-object-${row.key}`}>Object {index + 1} name</label>
                  <input
                    id={`${ids}-object-${row.key}`}
                    type="text"
                    value={row.name}
                    onChange={(event) => changeObject(row.key, { name: event.target.value })}
                  />
                </div>
                <div className="field">
                  <label htmlFor={`${ids}-kind-${row.key}`}>Object {index + 1} kind</label>
                  <select
                    id={`${ids}-kind-${row.key}`}
                    value={row.kind}
                    onChange={(event) => changeObject(row.key, { kind: event.target.value as ObjectKind })}
                  >
                    {KINDS.map((kind) => (
                      <option key={kind.value} value={kind.value}>
                        {kind.label}
                      </option>
                    ))}
                  </select>
                </div>
                <button
                  type="button"
                  className="small"
                  onClick={() => setObjects((all) => all.filter((other) => other.key !== row.key))}
                >
                  Remove object {index + 1}
                </button>
              </div>
            ))}
            <p>
              <button
                type="button"
                onClick={() => setObjects((all) => [...all, { key: nextKey.current++, name: "", kind: "bbox" }])}
              >
                Add an object
              </button>
            </p>
          </fieldset>
          <fieldset className="rows">
            <legend>Classifications</legend>
            {questions.length === 0 ? <p className="status status-empty">No classification questions.</p> : null}
            {questions.map((row, index) => (
              <div key={row.key} className="row-fields">
                <div className="field">
                  <label htmlFor={`${ids}-q-${row.key}`}>Classification {index + 1} name</label>
                  <input
                    id={`${ids}-q-${row.key}`}
                    type="text"
                    value={row.name}
                    onChange={(event) => changeQuestion(row.key, { name: event.target.value })}
                  />
                </div>
                <div className="field field-wide">
                  <label htmlFor={`${ids}-options-${row.key}`}>Classification {index + 1} options</label>
                  <input
                    id={`${ids}-options-${row.key}`}
                    type="text"
                    placeholder="sunny, rainy, snowy"
                    aria-describedby={`${ids}-options-hint`}
                    value={row.options}
                    onChange={(event) => changeQuestion(row.key, { options: event.target.value })}
                  />
                </div>
                <div className="check">
                  <input
                    id={`${ids}-multiple-${row.key}`}
                    type="checkbox"
                    checked={row.multiple}
                    onChange={(event) => changeQuestion(row.key, { multiple: event.target.checked })}
                  />
                  <label htmlFor={`${ids}-multiple-${row.key}`}>Classification {index + 1} allows several answers</label>
                </div>
                <button
                  type="button"
                  className="small"
                  onClick={() => setQuestions((all) => all.filter((other) => other.key !== row.key))}
                >
                  Remove classification {index + 1}
                </button>
              </div>
            ))}
            <p id={`${ids}-options-hint`} className="field-hint">
              Options are separated by commas.
            </p>
            <p>
              <button
                type="button"
                onClick={() =>
                  setQuestions((all) => [...all, { key: nextKey.current++, name: "", options: "", multiple: false }])
                }
              >
                Add a classification
              </button>
            </p>
          </fieldset>
          {error ? (
            <p className="field-error" role="alert">
              {error}
            </p>
          ) : null}
          <p>
            <button type="submit" className="primary">
              Create ontology
            </button>
          </p>
        </fieldset>
      </form>
      <ActionProblem action={action} />
    </section>
  );
}

function LabelStudioImport({ onCreated }: { onCreated: (ontology: Ontology) => void }) {
  const ids = useId();
  const [name, setName] = useState("");
  const [config, setConfig] = useState("");
  const [error, setError] = useState<string | null>(null);
  const action = useAction();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!name.trim() || name.trim().length > 200) {
      setError("Give the imported ontology a name (up to 200 characters).");
      return;
    }
    if (!config.trim()) {
      setError("Paste the project's labeling config (its XML, from Label Studio's Settings › Labeling Interface › Code).");
      return;
    }
    setError(null);
    await action.run(async () => {
      const ontology = await api.post<Ontology>("/api/v1/ontologies/label-studio", {
        name: name.trim(),
        label_config: config,
      });
      onCreated(ontology);
      setName("");
      setConfig("");
    });
  }

  return (
    <section aria-labelledby={`${ids}-heading`} className="section">
      <h2 id={`${ids}-heading`}>Import a Label Studio config</h2>
      <p className="field-hint">
        Reads the Image or Text tag and its RectangleLabels, PolygonLabels, Labels and Choices. A config with any
        other control is refused, naming it.
      </p>
      <form onSubmit={submit} noValidate aria-labelledby={`${ids}-heading`}>
        <fieldset disabled={action.busy} className="plain-fieldset">
          <legend className="visually-hidden">Import a Label Studio config</legend>
          <div className="field field-wide">
            <label htmlFor={`${ids}-name`}>Name of the imported ontology</label>
            <input id={`${ids}-name`} type="text" value={name} onChange={(event) => setName(event.target.value)} />
          </div>
          <div className="field">
            <label htmlFor={`${ids}-config`}>Labeling config (XML)</label>
            <textarea
              id={`${ids}-config`}
              rows={8}
              spellCheck={false}
              className="code"
              value={config}
              onChange={(event) => setConfig(event.target.value)}
            />
          </div>
          {error ? (
            <p className="field-error" role="alert">
              {error}
            </p>
          ) : null}
          <p>
            <button type="submit" className="primary">
              Import config
            </button>
          </p>
        </fieldset>
      </form>
      <ActionProblem action={action} />
    </section>
  );
}
