import { expect, it } from "vitest";
import { parseRoute } from "./router";

const id = "0f8fad5b-d9cb-469f-a165-70867728950e";

it("maps the app's paths to routes", () => {
  expect(parseRoute("/app/")).toEqual({ name: "tasks" });
  expect(parseRoute("/app/tasks")).toEqual({ name: "tasks" });
  expect(parseRoute(`/app/tasks/${id}`)).toEqual({ name: "task", taskId: id });
  expect(parseRoute("/app/projects")).toEqual({ name: "projects" });
  expect(parseRoute(`/app/projects/${id.toUpperCase()}`)).toEqual({ name: "project", projectId: id });
  expect(parseRoute("/app/nothing")).toEqual({ name: "not-found", path: "/app/nothing" });
});
