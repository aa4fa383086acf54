// The app's frame: the session decides between the sign-in page and the signed-in pages; the
// route decides which page. The editor is loaded on demand (konva is most of the bundle), and so are
// the administration pages (one chunk). An invitation link's page is shown signed in or not.

import { lazy, Suspense, useState, type ReactNode } from "react";
import { asProblem, type Problem } from "./api/client";
import { ErrorBoundary } from "./components/ErrorBoundary";
import { ErrorBanner, Loading } from "./components/status";
import { StepUpDialog } from "./components/StepUpDialog";
import { offeredPages, type AdminPage } from "./pages/admin/access";
import { Join } from "./pages/Join";
import { MyTasks } from "./pages/MyTasks";
import { NotFound } from "./pages/NotFound";
import { ProjectPage } from "./pages/ProjectPage";
import { Projects } from "./pages/Projects";
import { SignIn } from "./pages/SignIn";
import { Link, paths, useRoute, type Route } from "./router";
import { SessionProvider, useSession, useSignedIn } from "./session";

import { TaskPage } from "./pages/TaskPage";

// The administration pages: one chunk, fetched when one of them is first opened.
const adminPages = () => import("./pages/admin/pages");
const ApiKeys = lazy(() => adminPages().then((m) => ({ default: m.ApiKeys })));
const Audit = lazy(() => adminPages().then((m) => ({ default: m.Audit })));
const DatasetPage = lazy(() => adminPages().then((m) => ({ default: m.DatasetPage })));
const Datasets = lazy(() => adminPages().then((m) => ({ default: m.Datasets })));
const Members = lazy(() => adminPages().then((m) => ({ default: m.Members })));
const NewProject = lazy(() => adminPages().then((m) => ({ default: m.NewProject })));
const Ontologies = lazy(() => adminPages().then((m) => ({ default: m.Ontologies })));
const OrganizationPage = lazy(() => adminPages().then((m) => ({ default: m.OrganizationPage })));
const ProjectSettings = lazy(() => adminPages().then((m) => ({ default: m.ProjectSettings })));

function AdminChunk({ children }: { children: ReactNode }) {
  return <Suspense fallback={<Loading what="the page" />}>{children}</Suspense>;
}

export function App() {
  return (
    <SessionProvider>
      <Shell />
    </SessionProvider>
  );
}

function Shell() {
  const { session, retry } = useSession();
  const route = useRoute();
  // An invitation link is opened by someone who has no account yet: signed in or not.
  if (route.name === "join") return <Join />;
  switch (session.state) {
    case "loading":
      return (
        <main id="main" className="page">
          <Loading what="your session" />
        </main>
      );
    case "error":
      return (
        <main id="main" className="page">
          <h1>Enclave</h1>
          <ErrorBanner problem={session.problem} onRetry={retry} />
        </main>
      );
    case "signed-out":
      return <SignIn reason={session.reason} />;
    case "signed-in":
      return <SignedIn />;
  }
}

function SignedIn() {
  const route = useRoute();
  const { meProblem, session } = useSignedIn();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <StepUpDialog organizationSlug={session.organization_slug} />
      <TopBar route={route} />
      <main id="main" className="page" tabIndex={-1}>
        {meProblem ? <ErrorBanner problem={meProblem} /> : null}
        <ErrorBoundary key={routeKey(route)}>
          <Suspense fallback={<Loading what="the editor" />}>
            <Page route={route} />
          </Suspense>
        </ErrorBoundary>
      </main>
    </>
  );
}

function routeKey(route: Route): string {
  switch (route.name) {
    case "task":
      return `task:${route.taskId}`;
    case "project":
      return `project:${route.projectId}`;
    case "project-settings":
      return `project-settings:${route.projectId}`;
    case "dataset":
      return `dataset:${route.datasetId}`;
    case "not-found":
      return `not-found:${route.path}`;
    default:
      return route.name;
  }
}

function Page({ route }: { route: Route }) {
  switch (route.name) {
    case "tasks":
      return <MyTasks />;
    case "task":
      return <TaskPage key={route.taskId} taskId={route.taskId} />;
    case "projects":
      return <Projects />;
    case "project":
      return <ProjectPage key={route.projectId} projectId={route.projectId} />;
    case "project-new":
      return (
        <AdminChunk>
          <NewProject />
        </AdminChunk>
      );
    case "project-settings":
      return (
        <AdminChunk>
          <ProjectSettings key={route.projectId} projectId={route.projectId} />
        </AdminChunk>
      );
    case "members":
      return (
        <AdminChunk>
          <Members />
        </AdminChunk>
      );
    case "organization":
      return (
        <AdminChunk>
          <OrganizationPage />
        </AdminChunk>
      );
    case "api-keys":
      return (
        <AdminChunk>
          <ApiKeys />
        </AdminChunk>
      );
    case "audit":
      return (
        <AdminChunk>
          <Audit />
        </AdminChunk>
      );
    case "datasets":
      return (
        <AdminChunk>
          <Datasets />
        </AdminChunk>
      );
    case "dataset":
      return (
        <AdminChunk>
          <DatasetPage key={route.datasetId} datasetId={route.datasetId} />
        </AdminChunk>
      );
    case "ontologies":
      return (
        <AdminChunk>
          <Ontologies />
        </AdminChunk>
      );
    case "join":
      return <Join />;
    case "not-found":
      return <NotFound path={route.path} />;
  }
}

/** The administration pages in the navigation (which ones: `offeredPages` of the caller's role). */
const ADMIN_LINKS: Record<AdminPage, { to: string; words: string }> = {
  datasets: { to: paths.datasets(), words: "Datasets" },
  ontologies: { to: paths.ontologies(), words: "Ontologies" },
  members: { to: paths.members(), words: "Members" },
  organization: { to: paths.organization(), words: "Organization" },
  audit: { to: paths.audit(), words: "Audit trail" },
  "api-keys": { to: paths.apiKeys(), words: "API keys" },
};

function adminPageOf(route: Route): AdminPage | null {
  switch (route.name) {
    case "datasets":
    case "dataset":
      return "datasets";
    case "ontologies":
    case "members":
    case "organization":
    case "audit":
    case "api-keys":
      return route.name;
    default:
      return null;
  }
}

function TopBar({ route }: { route: Route }) {
  const { me, session } = useSignedIn();
  const { signOut } = useSession();
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const inTasks = route.name === "tasks" || route.name === "task";
  const inProjects =
    route.name === "projects" ||
    route.name === "project" ||
    route.name === "project-new" ||
    route.name === "project-settings";

  async function handleSignOut() {
    setBusy(true);
    setProblem(null);
    try {
      await signOut();
    } catch (error) {
      setProblem(asProblem(error));
      setBusy(false);
    }
  }

  return (
    <header className="topbar">
      <span className="brand">Enclave</span>
      <nav aria-label="Main">
        <ul className="nav-links">
          <li>
            <Link to={paths.tasks()} aria-current={inTasks ? "page" : undefined}>
              My tasks
            </Link>
          </li>
          <li>
            <Link to={paths.projects()} aria-current={inProjects ? "page" : undefined}>
              Projects
            </Link>
          </li>
          {offeredPages(me?.role).map((page) => (
            <li key={page}>
              <Link to={ADMIN_LINKS[page].to} aria-current={adminPageOf(route) === page ? "page" : undefined}>
                {ADMIN_LINKS[page].words}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <div className="topbar-user">
        <span className="user-name" title={me?.email}>
          {me ? me.display_name : `User ${session.user_id.slice(0, 8)}`}
        </span>
        {!session.second_factor ? <span className="badge badge-warn">No second factor</span> : null}
        <button type="button" onClick={handleSignOut} disabled={busy}>
          Sign out
        </button>
      </div>
      {problem ? (
        <div className="topbar-error">
          <ErrorBanner problem={problem} onDismiss={() => setProblem(null)} />
        </div>
      ) : null}
    </header>
  );
}
