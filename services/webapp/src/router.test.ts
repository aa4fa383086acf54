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

it("maps the administration pages' paths to routes", () => {
  expect(parseRoute("/app/members")).toEqual({ name: "members" });
  expect(parseRoute("/app/members/")).toEqual({ name: "members" });
  expect(parseRoute("/app/organization")).toEqual({ name: "organization" });
  expect(parseRoute("/app/api-keys")).toEqual({ name: "api-keys" });
  expect(parseRoute("/app/audit")).toEqual({ name: "audit" });
  expect(parseRoute("/app/datasets")).toEqual({ name: "datasets" });
  expect(parseRoute(`/app/datasets/${id}`)).toEqual({ name: "dataset", datasetId: id });
  expect(parseRoute("/app/ontologies")).toEqual({ name: "ontologies" });
  expect(parseRoute("/app/projects/new")).toEqual({ name: "project-new" });
  expect(parseRoute(`/app/projects/${id}/settings`)).toEqual({ name: "project-settings", projectId: id });
  expect(parseRoute("/app/join")).toEqual({ name: "join" });
  expect(parseRoute("/app/datasets/not-an-id")).toEqual({ name: "not-found", path: "/app/datasets/not-an-id" });
});
