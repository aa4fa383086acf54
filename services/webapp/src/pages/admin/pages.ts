// The administration pages, as one chunk the app loads only when one of them is opened (an annotator
// never downloads them).

export { ApiKeys } from "./ApiKeys";
export { Audit } from "./Audit";
export { DatasetPage } from "./DatasetPage";
export { Datasets } from "./Datasets";
export { Members } from "./Members";
export { NewProject } from "./NewProject";
export { Ontologies } from "./Ontologies";
export { OrganizationPage } from "./OrganizationPage";
export { ProjectSettings } from "./ProjectSettings";
