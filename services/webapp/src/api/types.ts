// The api's shapes as the web app reads them (services/enclave/*/schemas.py is the source of truth).
// Only the fields the app uses are typed; the api may send more.

export type Uuid = string;

export interface SessionInfo {
  organization_id: Uuid;
  user_id: Uuid;
  csrf_token: string;
  second_factor: boolean;
  /** The organization's slug: where a step-up sends the person to sign in again. */
  organization_slug: string;
  /** When the person last typed their credentials (Unix seconds). */
  signed_in_at: number;
}

export type OrgRole = "admin" | "workforce_manager" | "member" | "tasker";

export interface Member {
  user_id: Uuid;
  email: string;
  display_name: string;
  role: OrgRole;
}

export type TaskStage = "annotate" | "review" | "done";

export interface Task {
  id: Uuid;
  project_id: Uuid;
  data_item_id: Uuid;
  stage: TaskStage;
  assignee_id: Uuid | null;
  reviewer_id: Uuid | null;
  priority: number;
  version: number;
  created_at: string;
  updated_at: string;
  claimed_until?: string | null;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface Project {
  id: Uuid;
  name: string;
  description: string;
  ontology_id: Uuid;
  review_required: boolean;
  tags: string[];
  version: number;
  created_at: string;
}

export type ObjectKind = "bbox" | "polygon" | "span";

export interface OntologyObject {
  name: string;
  kind: ObjectKind;
}

export interface Classification {
  name: string;
  options: string[];
  multiple: boolean;
}

export interface OntologyDefinition {
  objects: OntologyObject[];
  classifications: Classification[];
}

export interface Ontology {
  id: Uuid;
  name: string;
  current_version: number;
  definition: OntologyDefinition;
}

export interface BoxPayload {
  kind: "bbox";
  label: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PolygonPayload {
  kind: "polygon";
  label: string;
  points: [number, number][];
}

export interface SpanPayload {
  kind: "span";
  label: string;
  start: number;
  end: number;
}

export type ObjectPayload = BoxPayload | PolygonPayload | SpanPayload;

export interface AnnotationPayload {
  objects: ObjectPayload[];
  classifications: Record<string, string[]>;
}

export interface AnnotationVersion {
  id: Uuid;
  task_id: Uuid;
  version: number;
  author_id: Uuid;
  ontology_version: number;
  payload: AnnotationPayload;
  created_at: string;
  /** Its author skipped the task rather than label it (the payload is empty). */
  skipped?: boolean;
}

/** The caller's saved, unsent work on a task (both null: none saved). */
export interface Draft {
  payload: AnnotationPayload | null;
  saved_at: string | null;
}

export type ReviewDecision = "approve" | "reject";

export interface Review {
  id: Uuid;
  task_id: Uuid;
  annotation_version_id: Uuid;
  reviewer_id: Uuid;
  decision: ReviewDecision;
  comment: string;
  created_at: string;
}

export type ExportFormat = "coco" | "yolo" | "voc" | "conll2003" | "jsonl" | "label-studio";

export type JobState = "queued" | "running" | "succeeded" | "failed" | "cancelled";

export interface Job {
  id: Uuid;
  project_id: Uuid;
  kind: "export" | "import";
  state: JobState;
  progress: { done: number; total: number | null };
  error: string | null;
  artifact: { name: string; media_type: string; size: number } | null;
}

export function jobFinished(state: JobState): boolean {
  return state === "succeeded" || state === "failed" || state === "cancelled";
}

// --- administration (members, organization, keys, audit, datasets, ontologies, project settings) ---

export const ORG_ROLES: readonly OrgRole[] = ["admin", "workforce_manager", "member", "tasker"];

/** A member as the members list and its updates answer (`Member` plus what changes need). */
export interface OrgMember extends Member {
  disabled: boolean;
  version: number;
  created_at: string;
}

export interface Invite {
  id: Uuid;
  email: string;
  role: OrgRole;
  expires_at: string;
  used_at: string | null;
  created_at: string;
}

export interface InviteCreated {
  invite: Invite;
  /** Shown once: the api keeps only its hash. */
  token: string;
}

export interface InviteAccepted {
  user_id: Uuid;
  login_url: string;
}

export interface OrganizationSettings {
  mfa_required: boolean;
  retention_days: number;
  domain_roles: Record<string, OrgRole>;
}

export interface Organization {
  id: Uuid;
  slug: string;
  name: string;
  workforce: boolean;
  settings: OrganizationSettings;
  version: number;
  created_at: string;
}

export interface IdentityProvider {
  alias: string;
  kind: string;
  display_name: string;
  redirect_uri: string;
  sp_entity_id: string;
}

export type Scope =
  | "admin"
  | "annotations:write"
  | "data:read"
  | "data:write"
  | "reviews:write"
  | "tasks:read"
  | "tasks:write";

export const SCOPES: readonly Scope[] = [
  "tasks:read",
  "tasks:write",
  "annotations:write",
  "reviews:write",
  "data:read",
  "data:write",
  "admin",
];

export interface ApiKey {
  id: Uuid;
  user_id: Uuid;
  name: string;
  prefix: string;
  scopes: Scope[];
  project_id: Uuid | null;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  created_at: string;
}

export interface ApiKeyCreated {
  key: ApiKey;
  /** Shown once. */
  secret: string;
}

export interface AuditEvent {
  seq: number;
  event_id: Uuid;
  occurred_at: string;
  actor: string;
  action: string;
  target: string;
  outcome: string;
  source: string | null;
  user_agent: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
}

export interface Verification {
  ok: boolean;
  records: number;
  signed_checkpoints: number;
  covered_through: number;
  locked_segments: number;
  problem: string | null;
  first_bad_record: number | null;
  search_columns_guarded: boolean;
}

export type DatasetKind = "image" | "text";

export interface Dataset {
  id: Uuid;
  name: string;
  kind: DatasetKind;
  created_at: string;
  storage?: { endpoint: string; bucket: string; prefix: string } | null;
}

export interface DataItem {
  id: Uuid;
  dataset_id: Uuid;
  name: string;
  media_type: string;
  attributes: Record<string, unknown>;
  size: number | null;
  created_at: string;
}

export type ProjectRole = "admin" | "team_manager" | "annotator" | "reviewer" | "annotator_reviewer";

export const PROJECT_ROLES: readonly ProjectRole[] = [
  "admin",
  "team_manager",
  "annotator",
  "reviewer",
  "annotator_reviewer",
];

export interface ProjectMember {
  user_id: Uuid;
  role: ProjectRole;
  version: number;
  created_at: string;
}

export interface Workflow {
  review_required: boolean;
  review_sample_percent: number;
  sampling_seed: string;
  consensus_annotators: number;
  consensus_threshold: number;
  claim_lease_seconds: number;
  version: number;
}

export interface WorkflowUpdate {
  review_required: boolean;
  review_sample_percent: number;
  sampling_seed?: string;
  consensus_annotators: number;
  consensus_threshold: number;
  claim_lease_seconds: number;
}

/** The `If-Match` value for a resource read at `version` (the api's ETags are `"v<version>"`). */
export function ifMatch(version: number): Record<string, string> {
  return { "If-Match": `"v${version}"` };
}
