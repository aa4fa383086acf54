import { expect, it } from "vitest";
import { assignableRoles, offeredPages, offers } from "./access";

it("offers each administration page to the roles the api lets read it", () => {
  expect(offeredPages("admin")).toEqual(["datasets", "ontologies", "members", "organization", "audit", "api-keys"]);
  expect(offeredPages("workforce_manager")).toEqual(["ontologies", "members", "api-keys"]);
  expect(offeredPages("member")).toEqual(["ontologies", "api-keys"]);
  expect(offeredPages("tasker")).toEqual(["api-keys"]);
  expect(offeredPages(null)).toEqual(["api-keys"]);
  expect(offers("member", "audit")).toBe(false);
});

it("lets Admins give any role and Workforce Managers only Tasker", () => {
  expect(assignableRoles("admin")).toEqual(["admin", "workforce_manager", "member", "tasker"]);
  expect(assignableRoles("workforce_manager")).toEqual(["tasker"]);
  expect(assignableRoles("member")).toEqual([]);
  expect(assignableRoles(undefined)).toEqual([]);
});
