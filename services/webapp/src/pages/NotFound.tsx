import { Link, paths, useTitle } from "../router";

export function NotFound({ path }: { path: string }) {
  useTitle("Page not found");
  return (
    <>
      <h1>Page not found</h1>
      <p>
        There is no page at <code>{path}</code>.
      </p>
      <p>
        <Link to={paths.tasks()}>Go to my tasks</Link>
      </p>
    </>
  );
}
