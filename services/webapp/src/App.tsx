// The app's frame: the session decides between the sign-in page and the signed-in pages; the
// route decides which page. The editor is loaded on demand (konva is most of the bundle).

import { Suspense, useState } from "react";
import { asProblem, type Problem } from "./api/client";
import { ErrorBoundary } from "./components/ErrorBoundary";
import { ErrorBanner, Loading } from "./components/status";
import { MyTasks } from "./pages/MyTasks";
import { NotFound } from "./pages/NotFound";
import { ProjectPage } from "./pages/ProjectPage";
import { Projects } from "./pages/Projects";
import { SignIn } from "./pages/SignIn";
import { Link, paths, useRoute, type Route } from "./router";
import { SessionProvider, useSession, useSignedIn } from "./session";

import { TaskPage } from "./pages/TaskPage";

export function App() {
  return (
    <SessionProvider>
      <Shell />
    </SessionProvider>
  );
}

function Shell() {
  const { session, retry } = useSession();
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
  const { meProblem } = useSignedIn();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
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
    case "not-found":
      return <NotFound path={route.path} />;
  }
}

function TopBar({ route }: { route: Route }) {
  const { me, session } = useSignedIn();
  const { signOut } = useSession();
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const inTasks = route.name === "tasks" || route.name === "task";
  const inProjects = route.name === "projects" || route.name === "project";

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
