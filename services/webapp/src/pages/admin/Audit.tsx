// "Audit trail" (org Admins): search the organization's trail (time window, actor, action, target,
// outcome; a page at a time, "Load more"), verify it now (the verdict in words), and export it as
// JSON lines (which verify offline) or CSV for the same time window.

import { useId, useMemo, useState, type FormEvent } from "react";
import { api } from "../../api/client";
import type { AuditEvent, OrgMember, Page, Verification } from "../../api/types";
import { Empty, ErrorBanner, Loading, formatDate } from "../../components/status";
import { usePaged } from "../../components/usePaged";
import { useResource } from "../../components/useResource";
import { useTitle } from "../../router";
import { ActionProblem, useAction } from "./common";
import { auditQuery, auditWindow, NO_AUDIT_SEARCH, verificationWords, type AuditSearch } from "./payloads";

/** The actions the api records (services/enclave/audit/actions.py), offered as suggestions. */
const ACTIONS = [
  "auth:session:login",
  "auth:session:logout",
  "auth:mfa:enroll",
  "data:content:read",
  "data:dataset:create",
  "data:item:import",
  "data:item:upload",
  "org:api_key:issue",
  "org:api_key:revoke",
  "org:audit:export",
  "org:identity_provider:delete",
  "org:identity_provider:put",
  "org:invite:accept",
  "org:invite:create",
  "org:member:create",
  "org:member:remove",
  "org:member:update",
  "org:ontology:create",
  "org:ontology:version",
  "org:organization:update",
  "project:dataset:attach",
  "project:export:download",
  "project:export:request",
  "project:member:add",
  "project:member:remove",
  "project:member:update",
  "project:project:create",
  "project:project:update",
  "project:workflow:update",
  "task:annotation:submit",
  "task:review:decide",
  "task:task:assign",
  "task:task:take",
];

const OUTCOMES = ["success", "denied", "failure"];

export function Audit() {
  useTitle("Audit trail");
  const [applied, setApplied] = useState<AuditSearch>(NO_AUDIT_SEARCH);
  const query = auditQuery(applied);
  const path = `/api/v1/audit/events?limit=50${query.ok && query.value ? `&${query.value}` : ""}`;
  const events = usePaged<AuditEvent>(path);
  const members = useResource(
    (signal) => api.get<Page<OrgMember>>("/api/v1/members?limit=200", signal).then((page) => page.items),
    [],
  );
  const names = useMemo(
    () =>
      new Map(members.state === "ready" ? members.data.map((member) => [`user:${member.user_id}`, member.display_name]) : []),
    [members],
  );
  const filtered = Object.values(applied).some((value) => value.trim() !== "");

  return (
    <>
      <h1>Audit trail</h1>
      <p className="lead">
        Every change and every read of customer data, in order, chained and signed. Search it, verify it, export it.
      </p>
      <VerifySection />
      <SearchForm
        members={members.state === "ready" ? members.data : []}
        onSearch={setApplied}
      />
      <ExportLinks search={applied} />
      <section aria-labelledby="events-heading" className="section">
        <div className="page-head">
          <h2 id="events-heading">Events</h2>
          <button type="button" onClick={events.reload} disabled={events.loading}>
            Refresh
          </button>
        </div>
        {events.problem ? <ErrorBanner problem={events.problem} onRetry={events.reload} /> : null}
        {events.loading ? <Loading what="the events" /> : null}
        {!events.loading && !events.problem && events.items.length === 0 ? (
          <Empty>{filtered ? "No event matches this search." : "The trail has no events yet."}</Empty>
        ) : null}
        {events.items.length > 0 ? (
          <div className="table-scroll">
            <table className="table table-compact">
              <caption className="visually-hidden">Audit events{filtered ? ", filtered" : ""}</caption>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">Time</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Action</th>
                  <th scope="col">Target</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {events.items.map((event) => (
                  <tr key={event.seq}>
                    <td>{event.seq}</td>
                    <td>{formatDate(event.occurred_at)}</td>
                    <td>
                      {names.get(event.actor) ? (
                        <>
                          {names.get(event.actor)} <span className="meta">{event.actor}</span>
                        </>
                      ) : (
                        event.actor
                      )}
                    </td>
                    <td>
                      <code>{event.action}</code>
                    </td>
                    <td className="cell-wrap">{event.target}</td>
                    <td>
                      <span className={`badge badge-outcome-${event.outcome}`}>{event.outcome}</span>
                    </td>
                    <td className="cell-wrap meta">{detailWords(event)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        {events.hasMore ? (
          <p>
            <button type="button" onClick={events.loadMore} disabled={events.loadingMore}>
              {events.loadingMore ? "Loading…" : "Load more"}
            </button>
          </p>
        ) : null}
      </section>
    </>
  );
}

function detailWords(event: AuditEvent): string {
  const parts = Object.entries(event.details)
    .filter(([key]) => key !== "operation")
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`);
  if (event.source) parts.push(`from ${event.source}`);
  return parts.join(", ");
}

function SearchForm({ members, onSearch }: { members: OrgMember[]; onSearch: (search: AuditSearch) => void }) {
  const ids = useId();
  const [form, setForm] = useState<AuditSearch>(NO_AUDIT_SEARCH);
  const [error, setError] = useState<string | null>(null);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const checked = auditQuery(form);
    if (!checked.ok) {
      setError(checked.error);
      return;
    }
    setError(null);
    onSearch({ ...form });
  }

  function field(key: keyof AuditSearch, label: string, type: "text" | "datetime-local", list?: string, hint?: string) {
    return (
      <div className="field">
        <label htmlFor={`${ids}-${key}`}>{label}</label>
        <input
          id={`${ids}-${key}`}
          type={type}
          list={list}
          spellCheck={false}
          autoComplete="off"
          value={form[key]}
          onChange={(event) => setForm((current) => ({ ...current, [key]: event.target.value }))}
        />
        {hint ? <p className="field-hint">{hint}</p> : null}
      </div>
    );
  }

  return (
    <section aria-labelledby={`${ids}-heading`} className="section">
      <h2 id={`${ids}-heading`}>Search</h2>
      <form onSubmit={submit} noValidate aria-labelledby={`${ids}-heading`}>
        <div className="form-grid">
          {field("since", "From", "datetime-local")}
          {field("until", "To", "datetime-local")}
          {field("actor", "Actor", "text", `${ids}-actors`, "user:<id>; pick a member from the suggestions.")}
          {field("action", "Action", "text", `${ids}-actions`, "e.g. org:member:update")}
          {field("target", "Target", "text", undefined, "e.g. user:<id>, project:<id>")}
          <div className="field">
            <label htmlFor={`${ids}-outcome`}>Outcome</label>
            <select
              id={`${ids}-outcome`}
              value={form.outcome}
              onChange={(event) => setForm((current) => ({ ...current, outcome: event.target.value }))}
            >
              <option value="">Any</option>
              {OUTCOMES.map((outcome) => (
                <option key={outcome} value={outcome}>
                  {outcome}
                </option>
              ))}
            </select>
          </div>
        </div>
        <datalist id={`${ids}-actors`}>
          {members.map((member) => (
            <option key={member.user_id} value={`user:${member.user_id}`} label={`${member.display_name} (${member.email})`} />
          ))}
        </datalist>
        <datalist id={`${ids}-actions`}>
          {ACTIONS.map((action) => (
            <option key={action} value={action} />
          ))}
        </datalist>
        {error ? (
          <p className="field-error" role="alert">
            {error}
          </p>
        ) : null}
        <p className="row-actions">
          <button type="submit" className="primary">
            Search
          </button>
          <button
            type="button"
            onClick={() => {
              setForm(NO_AUDIT_SEARCH);
              setError(null);
              onSearch(NO_AUDIT_SEARCH);
            }}
          >
            Clear the search
          </button>
        </p>
      </form>
    </section>
  );
}

function ExportLinks({ search }: { search: AuditSearch }) {
  const timeWindow = auditWindow(search);
  const query = timeWindow.ok && timeWindow.value.toString() ? `?${timeWindow.value.toString()}` : "";
  const span = search.since || search.until ? "the searched time window" : "the whole trail";
  return (
    <section aria-labelledby="export-audit-heading" className="section">
      <h2 id="export-audit-heading">Export</h2>
      <p className="meta">Exports {span} (the other filters do not apply). The JSON lines verify offline.</p>
      <p className="row-actions">
        <a className="button-link" href={`/api/v1/audit/export${query}`} download>
          Export as JSON lines
        </a>
        <a className="button-link" href={`/api/v1/audit/export/csv${query}`} download>
          Export as CSV
        </a>
      </p>
    </section>
  );
}

function VerifySection() {
  const action = useAction();
  const [result, setResult] = useState<Verification | null>(null);

  async function verify() {
    setResult(null);
    await action.run(async () => {
      setResult(await api.get<Verification>("/api/v1/audit/verification"));
    });
  }

  return (
    <section aria-labelledby="verify-heading" className="section">
      <h2 id="verify-heading">Verification</h2>
      <p>
        <button type="button" className="primary" onClick={verify} disabled={action.busy}>
          Verify the trail
        </button>
      </p>
      <div role="status" aria-live="polite">
        {action.busy ? <p className="meta">Verifying the whole trail…</p> : null}
        {result ? <VerificationWords result={result} /> : null}
      </div>
      <ActionProblem action={action} />
    </section>
  );
}

function VerificationWords({ result }: { result: Verification }) {
  const words = verificationWords(result);
  return (
    <div className={`banner ${result.ok ? "banner-ok" : "banner-error"}`}>
      <p className="banner-title">{words.title}</p>
      {words.lines.map((line) => (
        <p key={line} className="banner-detail">
          {line}
        </p>
      ))}
    </div>
  );
}
