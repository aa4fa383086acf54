// The api's shapes as the web app reads them (services/enclave/*/schemas.py is the source of truth).
// Only the fields the app uses are typed; the api may send more.

export type Uuid = string;

export interface SessionInfo {
  organization_id: Uuid;
  user_id: Uuid;
  csrf_token: string;
  second_factor: boolean;
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
