import { describe, expect, it } from "vitest";
import type { Verification, Workflow } from "../../api/types";
import {
  apiKeyPayload,
  auditQuery,
  auditWindow,
  domainRows,
  endOfDay,
  localToIso,
  NO_AUDIT_SEARCH,
  oidcPayload,
  ontologyPayload,
  projectPayload,
  settingsPayload,
  splitOptions,
  verificationWords,
  workflowForm,
  workflowPayload,
  type OidcForm,
} from "./payloads";

function value<T>(checked: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!checked.ok) throw new Error(`expected a payload, got: ${checked.error}`);
  return checked.value;
}

function error(checked: { ok: true } | { ok: false; error: string }): string {
  if (checked.ok) throw new Error("expected an error");
  return checked.error;
}

describe("organization settings", () => {
  it("turns the domain map into rows sorted by domain, and back", () => {
    const rows = domainRows({ "b.example": "tasker", "a.example": "member" });
    expect(rows).toEqual([
      { key: 1, domain: "a.example", role: "member" },
      { key: 2, domain: "b.example", role: "tasker" },
    ]);
    expect(value(settingsPayload({ mfaRequired: true, retentionDays: "30", rows }))).toEqual({
      mfa_required: true,
      retention_days: 30,
      domain_roles: { "a.example": "member", "b.example": "tasker" },
    });
  });

  it("lowercases domains, drops blank rows and a leading @", () => {
    const rows = [
      { key: 1, domain: " Example.COM ", role: "member" as const },
      { key: 2, domain: "   ", role: "admin" as const },
      { key: 3, domain: "@corp.example.org", role: "tasker" as const },
    ];
    expect(value(settingsPayload({ mfaRequired: false, retentionDays: "0", rows })).domain_roles).toEqual({
      "example.com": "member",
      "corp.example.org": "tasker",
    });
  });

  it("refuses what the api would: a bad domain, a domain twice, a retention out of range", () => {
    const row = (domain: string, key = 1) => ({ key, domain, role: "member" as const });
    expect(error(settingsPayload({ mfaRequired: false, retentionDays: "30", rows: [row("localhost")] }))).toMatch(
      /not an e-mail domain/,
    );
    expect(error(settingsPayload({ mfaRequired: false, retentionDays: "30", rows: [row("-a.com")] }))).toMatch(
      /not an e-mail domain/,
    );
    expect(
      error(settingsPayload({ mfaRequired: false, retentionDays: "30", rows: [row("a.com"), row("A.com", 2)] })),
    ).toMatch(/twice/);
    expect(error(settingsPayload({ mfaRequired: false, retentionDays: "3651", rows: [] }))).toMatch(/3650/);
    expect(error(settingsPayload({ mfaRequired: false, retentionDays: "-1", rows: [] }))).toMatch(/Retention/);
    expect(error(settingsPayload({ mfaRequired: false, retentionDays: "1.5", rows: [] }))).toMatch(/Retention/);
  });
});

describe("identity provider", () => {
  const form: OidcForm = {
    alias: "acme-sso",
    displayName: " Acme SSO ",
    issuer: "https://idp.acme.example/realms/acme",
    authorizationUrl: "https://idp.acme.example/auth",
    tokenUrl: "https://idp.acme.example/token",
    jwksUrl: "https://idp.acme.example/certs",
    clientId: "enclave",
    clientSecret: "",
  };

  it("sends the OIDC settings under Keycloak's names, and a secret only when one is typed", () => {
    expect(value(oidcPayload(form))).toEqual({
      alias: "acme-sso",
      body: {
        kind: "oidc",
        display_name: "Acme SSO",
        config: {
          issuer: "https://idp.acme.example/realms/acme",
          authorizationUrl: "https://idp.acme.example/auth",
          tokenUrl: "https://idp.acme.example/token",
          jwksUrl: "https://idp.acme.example/certs",
          clientId: "enclave",
        },
      },
    });
    expect(value(oidcPayload({ ...form, clientSecret: "s3cret" })).body.config.clientSecret).toBe("s3cret");
  });

  it("refuses a bad alias, a missing field and a URL that is not https", () => {
    expect(error(oidcPayload({ ...form, alias: "Acme SSO" }))).toMatch(/alias/);
    expect(error(oidcPayload({ ...form, clientId: " " }))).toMatch(/Client ID is required/);
    expect(error(oidcPayload({ ...form, tokenUrl: "http://idp.acme.example/token" }))).toMatch(/Token URL must be an https/);
  });
});

describe("API keys", () => {
  const now = new Date(2030, 0, 10, 12, 0, 0);

  it("makes the payload, dropping what is not given", () => {
    expect(value(apiKeyPayload({ name: " ci ", scopes: ["tasks:read"], projectId: "", expiresOn: "" }, now))).toEqual({
      name: "ci",
      scopes: ["tasks:read"],
    });
  });

  it("expires a key at the end of the chosen day, local time", () => {
    const payload = value(
      apiKeyPayload(
        {
          name: "ci",
          scopes: ["data:read", "data:read", "tasks:read"],
          projectId: "0f8fad5b-d9cb-469f-a165-70867728950e",
          expiresOn: "2030-02-01",
        },
        now,
      ),
    );
    expect(payload.scopes).toEqual(["data:read", "tasks:read"]);
    expect(payload.project_id).toBe("0f8fad5b-d9cb-469f-a165-70867728950e");
    expect(payload.expires_at).toBe(new Date(2030, 1, 1, 23, 59, 59).toISOString());
  });

  it("refuses no name, no scope, a past expiry or one beyond a year", () => {
    const base = { name: "ci", scopes: ["tasks:read" as const], projectId: "", expiresOn: "" };
    expect(error(apiKeyPayload({ ...base, name: "" }, now))).toMatch(/name/);
    expect(error(apiKeyPayload({ ...base, scopes: [] }, now))).toMatch(/scope/);
    expect(error(apiKeyPayload({ ...base, expiresOn: "2030-01-09" }, now))).toMatch(/future/);
    expect(error(apiKeyPayload({ ...base, expiresOn: "2031-03-01" }, now))).toMatch(/within a year/);
    expect(error(apiKeyPayload({ ...base, expiresOn: "2030-02-30" }, now))).toMatch(/not a date/);
  });

  it("reads only real days", () => {
    expect(endOfDay("2030-02-29")).toBeNull();
    expect(endOfDay("tomorrow")).toBeNull();
    expect(endOfDay("2032-02-29")).toBe(new Date(2032, 1, 29, 23, 59, 59).toISOString());
  });
});

describe("audit search", () => {
  it("sends only the filters given, times as instants", () => {
    expect(value(auditQuery(NO_AUDIT_SEARCH))).toBe("");
    const query = new URLSearchParams(
      value(
        auditQuery({
          ...NO_AUDIT_SEARCH,
          since: "2030-01-10T09:30",
          action: " org:member:update ",
          outcome: "success",
        }),
      ),
    );
    expect(query.get("since")).toBe(new Date(2030, 0, 10, 9, 30).toISOString());
    expect(query.get("action")).toBe("org:member:update");
    expect(query.get("outcome")).toBe("success");
    expect(query.has("until")).toBe(false);
    expect(query.has("actor")).toBe(false);
  });

  it("refuses a window that ends before it begins, or a time that is not one", () => {
    expect(error(auditQuery({ ...NO_AUDIT_SEARCH, since: "2030-01-10T10:00", until: "2030-01-10T09:00" }))).toMatch(
      /later/,
    );
    expect(error(auditWindow({ since: "yesterday", until: "" }))).toMatch(/From/);
    expect(localToIso("2030-13-01T00:00")).toBeNull();
    expect(localToIso("2030-01-10T09:30:15")).toBe(new Date(2030, 0, 10, 9, 30, 15).toISOString());
  });

  it("says the verification's verdict in words", () => {
    const good: Verification = {
      ok: true,
      records: 120,
      signed_checkpoints: 3,
      covered_through: 100,
      locked_segments: 2,
      problem: null,
      first_bad_record: null,
      search_columns_guarded: true,
    };
    expect(verificationWords(good).title).toBe("The trail is intact.");
    expect(verificationWords(good).lines[0]).toMatch(/^120 records checked; 3 signed checkpoints/);
    expect(verificationWords({ ...good, records: 1, signed_checkpoints: 1, locked_segments: 1 }).lines.slice(0, 2)).toEqual([
      "1 record checked; 1 signed checkpoint, vouching through record 100.",
      "1 segment of the locked copy compared.",
    ]);
    const bad = verificationWords({ ...good, ok: false, problem: "record 57's hash does not match", first_bad_record: 57 });
    expect(bad.title).toBe("The trail does not verify.");
    expect(bad.lines[0]).toBe("record 57's hash does not match. First bad record: 57.");
  });
});

describe("workflow", () => {
  const current: Workflow = {
    review_required: true,
    review_sample_percent: 100,
    sampling_seed: "seed-1",
    consensus_annotators: 1,
    consensus_threshold: 0.8,
    claim_lease_seconds: 1800,
    version: 4,
  };

  it("round-trips the workflow and keeps the seed unless it changed", () => {
    const form = workflowForm(current);
    expect(value(workflowPayload(form, current))).toEqual({
      review_required: true,
      review_sample_percent: 100,
      consensus_annotators: 1,
      consensus_threshold: 0.8,
      claim_lease_seconds: 1800,
    });
    const changed = value(
      workflowPayload(
        { ...form, reviewRequired: false, samplePercent: "25", seed: "seed-2", annotators: "3", threshold: ".5" },
        current,
      ),
    );
    expect(changed).toEqual({
      review_required: false,
      review_sample_percent: 25,
      sampling_seed: "seed-2",
      consensus_annotators: 3,
      consensus_threshold: 0.5,
      claim_lease_seconds: 1800,
    });
  });

  it("refuses values out of the api's ranges", () => {
    const form = workflowForm(current);
    expect(error(workflowPayload({ ...form, samplePercent: "101" }, current))).toMatch(/percent/);
    expect(error(workflowPayload({ ...form, annotators: "0" }, current))).toMatch(/1 to 10/);
    expect(error(workflowPayload({ ...form, annotators: "11" }, current))).toMatch(/1 to 10/);
    expect(error(workflowPayload({ ...form, threshold: "1.2" }, current))).toMatch(/0 to 1/);
    expect(error(workflowPayload({ ...form, threshold: "-0.1" }, current))).toMatch(/0 to 1/);
    expect(error(workflowPayload({ ...form, leaseSeconds: "604801" }, current))).toMatch(/604800/);
    expect(error(workflowPayload({ ...form, seed: "has space" }, current))).toMatch(/seed/);
  });
});

describe("ontologies", () => {
  it("splits options on commas, trimming and dropping blanks", () => {
    expect(splitOptions(" sunny, rainy ,, snowy ,")).toEqual(["sunny", "rainy", "snowy"]);
    expect(splitOptions("  ")).toEqual([]);
  });

  it("makes the definition the api takes", () => {
    expect(
      value(
        ontologyPayload(
          " Streets ",
          [
            { key: 1, name: " car ", kind: "bbox" },
            { key: 2, name: "road", kind: "polygon" },
          ],
          [{ key: 3, name: "weather", options: "sunny, rainy", multiple: false }],
        ),
      ),
    ).toEqual({
      name: "Streets",
      definition: {
        objects: [
          { name: "car", kind: "bbox" },
          { name: "road", kind: "polygon" },
        ],
        classifications: [{ name: "weather", options: ["sunny", "rainy"], multiple: false }],
      },
    });
  });

  it("refuses what the api refuses: duplicates, blanks, a question without options, nothing at all", () => {
    expect(error(ontologyPayload("", [{ key: 1, name: "car", kind: "bbox" }], []))).toMatch(/name/);
    expect(error(ontologyPayload("o", [], []))).toMatch(/at least one/);
    expect(
      error(
        ontologyPayload(
          "o",
          [
            { key: 1, name: "car", kind: "bbox" },
            { key: 2, name: "car", kind: "polygon" },
          ],
          [],
        ),
      ),
    ).toMatch(/twice/);
    expect(error(ontologyPayload("o", [{ key: 1, name: " ", kind: "bbox" }], []))).toMatch(/needs a name/);
    expect(error(ontologyPayload("o", [], [{ key: 1, name: "q", options: " , ", multiple: false }]))).toMatch(
      /at least one option/,
    );
    expect(error(ontologyPayload("o", [], [{ key: 1, name: "q", options: "a, b, a", multiple: true }]))).toMatch(
      /unique/,
    );
  });
});

describe("new project", () => {
  it("needs a name and an ontology", () => {
    const ontologyId = "0f8fad5b-d9cb-469f-a165-70867728950e";
    expect(value(projectPayload({ name: " P ", ontologyId, description: " d ", reviewRequired: false }))).toEqual({
      name: "P",
      ontology_id: ontologyId,
      description: "d",
      review_required: false,
    });
    expect(error(projectPayload({ name: "P", ontologyId: "", description: "", reviewRequired: true }))).toMatch(
      /ontology/,
    );
    expect(error(projectPayload({ name: "", ontologyId, description: "", reviewRequired: true }))).toMatch(/name/);
  });
});
