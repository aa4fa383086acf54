// What the administration forms hold ⇄ what the api takes. Pure (no React, no fetch): each form's
// fields are strings as typed, and each conversion either answers the api's payload or says in
// words what is wrong, checking what the api's schemas check so a person learns it before sending.

import type {
  ObjectKind,
  OntologyDefinition,
  OrganizationSettings,
  OrgRole,
  Scope,
  Verification,
  Workflow,
  WorkflowUpdate,
} from "../../api/types";

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

function fail<T>(error: string): Checked<T> {
  return { ok: false, error };
}

function ok<T>(value: T): Checked<T> {
  return { ok: true, value };
}

/** A whole number written in digits only, or null. */
export function wholeNumber(text: string): number | null {
  const trimmed = text.trim();
  if (!/^\d{1,9}$/.test(trimmed)) return null;
  return Number(trimmed);
}

const CONTROL = /[\x00-\x1f]/;

// --- organization settings -------------------------------------------------------------------

/** The api's pattern for an e-mail domain (organizations/schemas.py `Domain`). */
const DOMAIN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/;

export interface DomainRow {
  /** Stable across edits, for React's keys. */
  key: number;
  domain: string;
  role: OrgRole;
}

/** The organization's domain → role map as rows, sorted by domain. */
export function domainRows(map: Record<string, OrgRole>, firstKey = 1): DomainRow[] {
  return Object.keys(map)
    .sort()
    .map((domain, index) => ({ key: firstKey + index, domain, role: map[domain] as OrgRole }));
}

export interface SettingsForm {
  mfaRequired: boolean;
  retentionDays: string;
  rows: DomainRow[];
}

/** The whole `settings` of a PATCH /organization (the api replaces them all: nothing is left out).
 * Rows whose domain is blank are dropped; a domain is lowercased and may not appear twice. */
export function settingsPayload(form: SettingsForm): Checked<OrganizationSettings> {
  const retention = wholeNumber(form.retentionDays);
  if (retention === null || retention > 3650) {
    return fail("Retention must be a whole number of days from 0 to 3650.");
  }
  const domainRoles: Record<string, OrgRole> = {};
  for (const row of form.rows) {
    const domain = row.domain.trim().toLowerCase().replace(/^@/, "");
    if (!domain) continue;
    if (domain.length > 253 || !DOMAIN.test(domain)) {
      return fail(`“${row.domain.trim()}” is not an e-mail domain (for example example.com).`);
    }
    if (domain in domainRoles) return fail(`The domain ${domain} is listed twice.`);
    domainRoles[domain] = row.role;
  }
  if (Object.keys(domainRoles).length > 100) return fail("At most 100 domains can be mapped.");
  return ok({ mfa_required: form.mfaRequired, retention_days: retention, domain_roles: domainRoles });
}

// --- identity provider (OIDC) ----------------------------------------------------------------

const ALIAS = /^[a-z0-9][a-z0-9-]{0,62}$/;

export interface OidcForm {
  alias: string;
  displayName: string;
  issuer: string;
  authorizationUrl: string;
  tokenUrl: string;
  jwksUrl: string;
  clientId: string;
  /** Empty: the stored secret is kept (the api never shows it back). */
  clientSecret: string;
}

export interface IdentityProviderPut {
  kind: "oidc";
  display_name: string;
  config: Record<string, string>;
}

/** The alias (a path segment) and the body of PUT /organization/identity-providers/{alias}. */
export function oidcPayload(form: OidcForm): Checked<{ alias: string; body: IdentityProviderPut }> {
  const alias = form.alias.trim();
  if (!ALIAS.test(alias)) {
    return fail("The alias is 1 to 63 lowercase letters, digits and hyphens, starting with a letter or digit.");
  }
  const displayName = form.displayName.trim();
  if (!displayName || displayName.length > 200) return fail("Give the provider a display name (up to 200 characters).");
  const fields: [keyof OidcForm, string, string][] = [
    ["issuer", "issuer", "Issuer"],
    ["authorizationUrl", "authorizationUrl", "Authorization URL"],
    ["tokenUrl", "tokenUrl", "Token URL"],
    ["jwksUrl", "jwksUrl", "JWKS URL"],
    ["clientId", "clientId", "Client ID"],
  ];
  const config: Record<string, string> = {};
  for (const [field, key, words] of fields) {
    const value = form[field].trim();
    if (!value) return fail(`${words} is required.`);
    if (key.endsWith("Url") && !/^https:\/\/\S+$/i.test(value)) return fail(`${words} must be an https:// URL.`);
    config[key] = value;
  }
  if (form.clientSecret.trim()) config.clientSecret = form.clientSecret.trim();
  return ok({ alias, body: { kind: "oidc", display_name: displayName, config } });
}

// --- API keys --------------------------------------------------------------------------------

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ApiKeyForm {
  name: string;
  scopes: Scope[];
  /** A project's id, or "" for every project. */
  projectId: string;
  /** `YYYY-MM-DD` from a date field, or "" for no expiry. */
  expiresOn: string;
}

export interface ApiKeyCreatePayload {
  name: string;
  scopes: Scope[];
  project_id?: string;
  expires_at?: string;
}

/** The end (23:59:59 local time) of a `YYYY-MM-DD` day, as an ISO instant; null if not a date. */
export function endOfDay(date: string): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date.trim());
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const end = new Date(year, month - 1, day, 23, 59, 59);
  if (end.getFullYear() !== year || end.getMonth() !== month - 1 || end.getDate() !== day) return null;
  return end.toISOString();
}

const MAX_KEY_LIFETIME_MS = 366 * 24 * 3600 * 1000;

export function apiKeyPayload(form: ApiKeyForm, now: Date = new Date()): Checked<ApiKeyCreatePayload> {
  const name = form.name.trim();
  if (!name || name.length > 200) return fail("Give the key a name (up to 200 characters).");
  if (form.scopes.length === 0) return fail("Choose at least one scope.");
  const payload: ApiKeyCreatePayload = { name, scopes: [...new Set(form.scopes)] };
  if (form.projectId) {
    if (!UUID.test(form.projectId)) return fail("The project is not one of yours.");
    payload.project_id = form.projectId;
  }
  if (form.expiresOn.trim()) {
    const expires = endOfDay(form.expiresOn);
    if (!expires) return fail("The expiry date is not a date.");
    const at = new Date(expires).getTime();
    if (at <= now.getTime() || at > now.getTime() + MAX_KEY_LIFETIME_MS) {
      return fail("A key must expire in the future and within a year.");
    }
    payload.expires_at = expires;
  }
  return ok(payload);
}

// --- audit trail search ----------------------------------------------------------------------

export interface AuditSearch {
  /** `YYYY-MM-DDTHH:MM` from a datetime-local field (local time), or "". */
  since: string;
  until: string;
  actor: string;
  action: string;
  target: string;
  outcome: string;
}

export const NO_AUDIT_SEARCH: AuditSearch = { since: "", until: "", actor: "", action: "", target: "", outcome: "" };

/** A datetime-local value (local time) as an ISO instant with its zone; null if not one. */
export function localToIso(value: string): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
  if (!match) return null;
  const parts = match.slice(1, 7).map((part) => Number(part ?? 0));
  const [year, month, day, hour, minute, second] = parts as [number, number, number, number, number, number];
  const at = new Date(year, month - 1, day, hour, minute, second);
  if (Number.isNaN(at.getTime()) || at.getMonth() !== month - 1 || at.getDate() !== day || hour > 23 || minute > 59) {
    return null;
  }
  return at.toISOString();
}

/** The time window alone, as query parameters (for the export links). */
export function auditWindow(search: Pick<AuditSearch, "since" | "until">): Checked<URLSearchParams> {
  const query = new URLSearchParams();
  for (const key of ["since", "until"] as const) {
    const value = search[key].trim();
    if (!value) continue;
    const iso = localToIso(value);
    if (!iso) return fail(`“${key === "since" ? "From" : "To"}” is not a date and time.`);
    query.set(key, iso);
  }
  const since = query.get("since");
  const until = query.get("until");
  if (since && until && since >= until) return fail("“To” must be later than “From”.");
  return ok(query);
}

/** The query string of GET /audit/events for a search (no leading "?"; "" for none). */
export function auditQuery(search: AuditSearch): Checked<string> {
  const span = auditWindow(search);
  if (!span.ok) return span;
  const query = span.value;
  for (const key of ["actor", "action", "target", "outcome"] as const) {
    const value = search[key].trim();
    if (value.length > 200) return fail(`The ${key} filter may be at most 200 characters.`);
    if (value) query.set(key, value);
  }
  return ok(query.toString());
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** The verdict of GET /audit/verification in words: a title and the facts behind it. */
export function verificationWords(result: Verification): { title: string; lines: string[] } {
  const lines = [
    `${count(result.records, "record")} checked; ${count(result.signed_checkpoints, "signed checkpoint")}, vouching through record ${result.covered_through}.`,
    `${count(result.locked_segments, "segment")} of the locked copy compared.`,
    result.search_columns_guarded
      ? "The search columns are held to the signed content by the database."
      : "The search columns were compared with the signed content record by record.",
  ];
  if (result.ok) return { title: "The trail is intact.", lines };
  const where = result.first_bad_record !== null ? ` First bad record: ${result.first_bad_record}.` : "";
  const reason = result.problem ? result.problem.replace(/[.!]?$/, ".") : "No reason given.";
  return { title: "The trail does not verify.", lines: [`${reason}${where}`, ...lines] };
}

// --- project workflow ------------------------------------------------------------------------

export interface WorkflowForm {
  reviewRequired: boolean;
  samplePercent: string;
  seed: string;
  annotators: string;
  threshold: string;
  leaseSeconds: string;
}

export function workflowForm(workflow: Workflow): WorkflowForm {
  return {
    reviewRequired: workflow.review_required,
    samplePercent: String(workflow.review_sample_percent),
    seed: workflow.sampling_seed,
    annotators: String(workflow.consensus_annotators),
    threshold: String(workflow.consensus_threshold),
    leaseSeconds: String(workflow.claim_lease_seconds),
  };
}

const SEED = /^[\x21-\x7e]{1,128}$/;

/** The body of PUT /projects/{id}/workflow. The seed is sent only when it changed (the api keeps
 * it otherwise: a changed seed changes which tasks the sample picks). */
export function workflowPayload(form: WorkflowForm, current: Workflow): Checked<WorkflowUpdate> {
  const percent = wholeNumber(form.samplePercent);
  if (percent === null || percent > 100) return fail("The review sample is a whole percent from 0 to 100.");
  const annotators = wholeNumber(form.annotators);
  if (annotators === null || annotators < 1 || annotators > 10) {
    return fail("Annotators per task is a whole number from 1 to 10.");
  }
  const thresholdText = form.threshold.trim();
  const threshold = /^\d*\.?\d+$/.test(thresholdText) ? Number(thresholdText) : Number.NaN;
  if (!(threshold >= 0 && threshold <= 1)) return fail("The agreement threshold is a number from 0 to 1, like 0.8.");
  const lease = wholeNumber(form.leaseSeconds);
  if (lease === null || lease < 1 || lease > 604_800) {
    return fail("The lease is a whole number of seconds from 1 to 604800 (a week).");
  }
  const payload: WorkflowUpdate = {
    review_required: form.reviewRequired,
    review_sample_percent: percent,
    consensus_annotators: annotators,
    consensus_threshold: threshold,
    claim_lease_seconds: lease,
  };
  const seed = form.seed.trim();
  if (seed !== current.sampling_seed) {
    if (!SEED.test(seed)) return fail("The sampling seed is 1 to 128 printable characters without spaces.");
    payload.sampling_seed = seed;
  }
  return ok(payload);
}

// --- ontologies ------------------------------------------------------------------------------

export interface ObjectRow {
  key: number;
  name: string;
  kind: ObjectKind;
}

export interface ClassificationRow {
  key: number;
  name: string;
  /** Comma-separated, as typed. */
  options: string;
  multiple: boolean;
}

/** Options typed as "a, b, c": trimmed, blanks dropped. */
export function splitOptions(text: string): string[] {
  return text
    .split(",")
    .map((option) => option.trim())
    .filter((option) => option.length > 0);
}

function nameProblem(name: string, what: string): string | null {
  if (!name) return `Every ${what} needs a name.`;
  if (name.length > 100 || CONTROL.test(name)) return `The ${what} “${name}” must be 1 to 100 printable characters.`;
  return null;
}

/** The body of POST /ontologies. Names must be unique within their list, as must a question's options. */
export function ontologyPayload(
  name: string,
  objects: ObjectRow[],
  classifications: ClassificationRow[],
): Checked<{ name: string; definition: OntologyDefinition }> {
  const title = name.trim();
  if (!title || title.length > 200) return fail("Give the ontology a name (up to 200 characters).");
  if (objects.length === 0 && classifications.length === 0) {
    return fail("Add at least one object or classification.");
  }
  const definition: OntologyDefinition = { objects: [], classifications: [] };
  const objectNames = new Set<string>();
  for (const row of objects) {
    const objectName = row.name.trim();
    const problem = nameProblem(objectName, "object");
    if (problem) return fail(problem);
    if (objectNames.has(objectName)) return fail(`The object name “${objectName}” is used twice.`);
    objectNames.add(objectName);
    definition.objects.push({ name: objectName, kind: row.kind });
  }
  const classificationNames = new Set<string>();
  for (const row of classifications) {
    const questionName = row.name.trim();
    const problem = nameProblem(questionName, "classification");
    if (problem) return fail(problem);
    if (classificationNames.has(questionName)) return fail(`The classification “${questionName}” is listed twice.`);
    classificationNames.add(questionName);
    const options = splitOptions(row.options);
    if (options.length === 0) return fail(`Give “${questionName}” at least one option, separated by commas.`);
    if (options.length > 100) return fail(`“${questionName}” may have at most 100 options.`);
    for (const option of options) {
      const optionProblem = nameProblem(option, "option");
      if (optionProblem) return fail(optionProblem);
    }
    if (new Set(options).size !== options.length) return fail(`The options of “${questionName}” must be unique.`);
    definition.classifications.push({ name: questionName, options, multiple: row.multiple });
  }
  if (definition.objects.length > 200) return fail("An ontology may have at most 200 objects.");
  if (definition.classifications.length > 100) return fail("An ontology may have at most 100 classifications.");
  return ok({ name: title, definition });
}

// --- a new project ---------------------------------------------------------------------------

export interface ProjectForm {
  name: string;
  ontologyId: string;
  description: string;
  reviewRequired: boolean;
}

export function projectPayload(
  form: ProjectForm,
): Checked<{ name: string; ontology_id: string; description: string; review_required: boolean }> {
  const name = form.name.trim();
  if (!name || name.length > 200) return fail("Give the project a name (up to 200 characters).");
  if (!UUID.test(form.ontologyId)) return fail("Choose the ontology the project labels with.");
  if (form.description.length > 5000) return fail("The description may be at most 5000 characters.");
  return ok({
    name,
    ontology_id: form.ontologyId,
    description: form.description.trim(),
    review_required: form.reviewRequired,
  });
}
