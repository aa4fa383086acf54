// A small history router for the app's few routes under /app/ (the api answers index.html for
// any path there). Links are real <a href> elements, so they work with the keyboard, open in a new
// tab, and read as links to assistive technology.

import { useEffect, useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from "react";

export const APP_BASE = "/app/";

export type Route =
  | { name: "tasks" }
  | { name: "task"; taskId: string }
  | { name: "projects" }
  | { name: "project"; projectId: string }
  | { name: "project-new" }
  | { name: "project-settings"; projectId: string }
  | { name: "members" }
  | { name: "organization" }
  | { name: "api-keys" }
  | { name: "audit" }
  | { name: "datasets" }
  | { name: "dataset"; datasetId: string }
  | { name: "ontologies" }
  | { name: "join" }
  | { name: "not-found"; path: string };

const UUID = "[0-9a-fA-F-]{36}";
const TASK = new RegExp(`^/app/tasks/(${UUID})/?$`);
const PROJECT = new RegExp(`^/app/projects/(${UUID})/?$`);
const PROJECT_SETTINGS = new RegExp(`^/app/projects/(${UUID})/settings/?$`);
const DATASET = new RegExp(`^/app/datasets/(${UUID})/?$`);

/** Pages named by their path alone (a trailing slash is allowed). */
const FIXED: Record<string, Route> = {
  "/app/projects/new": { name: "project-new" },
  "/app/members": { name: "members" },
  "/app/organization": { name: "organization" },
  "/app/api-keys": { name: "api-keys" },
  "/app/audit": { name: "audit" },
  "/app/datasets": { name: "datasets" },
  "/app/ontologies": { name: "ontologies" },
  "/app/join": { name: "join" },
};

/** The route a path names. Pure: tested without a browser. */
export function parseRoute(path: string): Route {
  if (path === "/" || path === "/app" || path === "/app/" || path === "/app/tasks" || path === "/app/tasks/") {
    return { name: "tasks" };
  }
  if (path === "/app/projects" || path === "/app/projects/") return { name: "projects" };
  const task = TASK.exec(path);
  if (task?.[1]) return { name: "task", taskId: task[1].toLowerCase() };
  const project = PROJECT.exec(path);
  if (project?.[1]) return { name: "project", projectId: project[1].toLowerCase() };
  const fixed = FIXED[path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path];
  if (fixed) return fixed;
  const settings = PROJECT_SETTINGS.exec(path);
  if (settings?.[1]) return { name: "project-settings", projectId: settings[1].toLowerCase() };
  const dataset = DATASET.exec(path);
  if (dataset?.[1]) return { name: "dataset", datasetId: dataset[1].toLowerCase() };
  return { name: "not-found", path };
}

export const paths = {
  tasks: () => "/app/tasks",
  task: (id: string) => `/app/tasks/${encodeURIComponent(id)}`,
  projects: () => "/app/projects",
  project: (id: string) => `/app/projects/${encodeURIComponent(id)}`,
  projectNew: () => "/app/projects/new",
  projectSettings: (id: string) => `/app/projects/${encodeURIComponent(id)}/settings`,
  members: () => "/app/members",
  organization: () => "/app/organization",
  apiKeys: () => "/app/api-keys",
  audit: () => "/app/audit",
  datasets: () => "/app/datasets",
  dataset: (id: string) => `/app/datasets/${encodeURIComponent(id)}`,
  ontologies: () => "/app/ontologies",
  join: (token: string) => `/app/join?token=${encodeURIComponent(token)}`,
};

const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener("popstate", listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener("popstate", listener);
  };
}

function currentPath(): string {
  return window.location.pathname;
}

/** Goes to a path of the app without reloading the page. */
export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (path === currentPath() + window.location.search) return;
  if (options.replace) window.history.replaceState(null, "", path);
  else window.history.pushState(null, "", path);
  window.scrollTo(0, 0);
  for (const listener of listeners) listener();
}

export function usePath(): string {
  return useSyncExternalStore(subscribe, currentPath, currentPath);
}

export function useRoute(): Route {
  return parseRoute(usePath());
}

/** Sets the document's title for the page shown (screen readers announce it on navigation). */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Enclave` : "Enclave";
  }, [title]);
}

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, "href"> & { to: string; children: ReactNode };

/** An in-app link: a plain <a href>; a plain left click navigates without a reload. */
export function Link({ to, children, onClick, ...rest }: LinkProps) {
  function handle(event: MouseEvent<HTMLAnchorElement>) {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    if (rest.target && rest.target !== "_self") return;
    event.preventDefault();
    navigate(to);
  }
  const current = usePath() === to ? "page" : undefined;
  return (
    <a href={to} onClick={handle} aria-current={current} {...rest}>
      {children}
    </a>
  );
}
