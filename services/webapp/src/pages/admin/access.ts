// Which administration pages an org role is offered (the api decides what it may really do; this
// only keeps links to pages that would answer 403 out of the navigation), and roles in words.

import type { OrgRole, ProjectRole } from "../../api/types";

export type AdminPage = "members" | "organization" | "api-keys" | "audit" | "datasets" | "ontologies";

/** Mirrors the api's policy (services/enclave/authz/policy.py) for the page's main read. */
const WHO: Record<AdminPage, readonly OrgRole[]> = {
  members: ["admin", "workforce_manager"],
  organization: ["admin"],
  "api-keys": ["admin", "workforce_manager", "member", "tasker"],
  audit: ["admin"],
  datasets: ["admin"],
  ontologies: ["admin", "workforce_manager", "member"],
};

/** Whether the navigation offers `page` to someone of `role` (unknown role: only what everyone has). */
export function offers(role: OrgRole | null | undefined, page: AdminPage): boolean {
  if (!role) return page === "api-keys";
  return WHO[page].includes(role);
}

/** The pages offered to `role`, in the navigation's order. */
export function offeredPages(role: OrgRole | null | undefined): AdminPage[] {
  const order: AdminPage[] = ["datasets", "ontologies", "members", "organization", "audit", "api-keys"];
  return order.filter((page) => offers(role, page));
}

const ORG_ROLE_WORDS: Record<OrgRole, string> = {
  admin: "Administrator",
  workforce_manager: "Workforce manager",
  member: "Member",
  tasker: "Tasker",
};

export function orgRoleWords(role: OrgRole): string {
  return ORG_ROLE_WORDS[role] ?? role;
}

const PROJECT_ROLE_WORDS: Record<ProjectRole, string> = {
  admin: "Project administrator",
  team_manager: "Team manager",
  annotator: "Annotator",
  reviewer: "Reviewer",
  annotator_reviewer: "Annotator and reviewer",
};

export function projectRoleWords(role: ProjectRole): string {
  return PROJECT_ROLE_WORDS[role] ?? role;
}

/** The org roles someone of `role` may give (invite as, change to): Admins any, Workforce Managers
 * Taskers only (the api's `workforce_over_taskers`). */
export function assignableRoles(role: OrgRole | null | undefined): OrgRole[] {
  if (role === "admin") return ["admin", "workforce_manager", "member", "tasker"];
  if (role === "workforce_manager") return ["tasker"];
  return [];
}
