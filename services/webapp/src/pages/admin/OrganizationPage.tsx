// "Organization" (org Admins): its name and settings — second factor required, retention after
// termination, the e-mail domain → role mapping — saved with the version read as If-Match; and the
// single sign-on connection: an OIDC identity provider set by alias (its client secret goes in only,
// never comes back), or removed.

import { useId, useRef, useState, type FormEvent } from "react";
import { api, seg } from "../../api/client";
import { ifMatch, ORG_ROLES, type IdentityProvider, type Organization, type OrgRole } from "../../api/types";
import { Empty, ErrorBanner, Loading, Notice } from "../../components/status";
import { useResource } from "../../components/useResource";
import { useTitle } from "../../router";
import { useSignedIn } from "../../session";
import { orgRoleWords } from "./access";
import { ActionProblem, ConfirmButton, CopyButton, useAction } from "./common";
import { domainRows, oidcPayload, settingsPayload, type DomainRow, type OidcForm } from "./payloads";

export function OrganizationPage() {
  useTitle("Organization");
  const { me } = useSignedIn();
  const organization = useResource((signal) => api.get<Organization>("/api/v1/organization", signal), []);
  const isAdmin = me?.role === "admin";
  const [savedVersion, setSavedVersion] = useState<number | null>(null);

  if (organization.state === "loading") return <Loading what="the organization" />;
  if (organization.state === "error") {
    return (
      <>
        <h1>Organization</h1>
        <ErrorBanner problem={organization.problem} onRetry={organization.reload} />
      </>
    );
  }
  return (
    <>
      <h1>Organization</h1>
      <p className="lead">
        <span className="meta">Short name (for signing in):</span> <code>{organization.data.slug}</code>
      </p>
      {!isAdmin ? <Notice>Only administrators of the organization can change these settings.</Notice> : null}
      <SettingsForm
        key={organization.data.version}
        organization={organization.data}
        disabled={!isAdmin}
        saved={savedVersion === organization.data.version}
        onSaved={(next) => {
          setSavedVersion(next.version);
          organization.replace(next);
        }}
        onReload={organization.reload}
      />
      {isAdmin ? <SingleSignOn /> : null}
    </>
  );
}

function SettingsForm({
  organization,
  disabled,
  saved,
  onSaved,
  onReload,
}: {
  organization: Organization;
  disabled: boolean;
  /** This version is the one this page just saved. */
  saved: boolean;
  onSaved: (organization: Organization) => void;
  onReload: () => void;
}) {
  const ids = { name: useId(), mfa: useId(), retention: useId(), error: useId() };
  const [name, setName] = useState(organization.name);
  const [mfaRequired, setMfaRequired] = useState(organization.settings.mfa_required);
  const [retentionDays, setRetentionDays] = useState(String(organization.settings.retention_days));
  const [rows, setRows] = useState<DomainRow[]>(() => domainRows(organization.settings.domain_roles));
  const nextKey = useRef(rows.length + 1);
  const [error, setError] = useState<string | null>(null);
  const [dirty, setDirty] = useState(false);
  const action = useAction();
  const markDirty = () => setDirty(true);

  function updateRow(key: number, change: Partial<DomainRow>) {
    markDirty();
    setRows((all) => all.map((row) => (row.key === key ? { ...row, ...change } : row)));
  }

  function addRow() {
    markDirty();
    setRows((all) => [...all, { key: nextKey.current++, domain: "", role: "member" }]);
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const settings = settingsPayload({ mfaRequired, retentionDays, rows });
    if (!settings.ok) {
      setError(settings.error);
      return;
    }
    if (!name.trim() || name.trim().length > 200) {
      setError("The organization needs a name (up to 200 characters).");
      return;
    }
    setError(null);
    await action.run(async () => {
      const next = await api.patch<Organization>(
        "/api/v1/organization",
        { name: name.trim(), settings: settings.value },
        ifMatch(organization.version),
      );
      onSaved(next);
    });
  }

  return (
    <section aria-labelledby="settings-heading" className="section">
      <h2 id="settings-heading">Settings</h2>
      <p role="status" className="meta">
        {saved && !dirty ? "Settings saved." : null}
      </p>
      <form onSubmit={submit} noValidate aria-labelledby="settings-heading">
        <fieldset disabled={disabled || action.busy} className="plain-fieldset">
          <legend className="visually-hidden">Settings of the organization</legend>
          <div className="field field-wide">
            <label htmlFor={ids.name}>Organization name</label>
            <input id={ids.name} type="text" value={name} onChange={(event) => {
                markDirty();
                setName(event.target.value);
              }}
            />
          </div>
          <div className="check">
            <input
              id={ids.mfa}
              type="checkbox"
              checked={mfaRequired}
              onChange={(event) => {
                markDirty();
                setMfaRequired(event.target.checked);
              }}
            />
            <label htmlFor={ids.mfa}>Require a second factor (MFA)</label>
          </div>
          <p className="field-hint">Everyone must set up a one-time code app to sign in.</p>
          <div className="field field-narrow">
            <label htmlFor={ids.retention}>Days to export after termination</label>
            <input
              id={ids.retention}
              type="number"
              inputMode="numeric"
              min={0}
              max={3650}
              value={retentionDays}
              onChange={(event) => {
                markDirty();
                setRetentionDays(event.target.value);
              }}
            />
          </div>
          <h3>E-mail domains</h3>
          <p className="field-hint">
            People from these domains who sign in through your identity provider join with this role. Nobody from
            any other domain gets in without an invitation.
          </p>
          {rows.length === 0 ? <p className="status status-empty">No domain is mapped.</p> : null}
          {rows.length > 0 ? (
            <table className="table table-compact">
              <caption className="visually-hidden">E-mail domain mapping</caption>
              <thead>
                <tr>
                  <th scope="col">Domain</th>
                  <th scope="col">Role</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row, index) => (
                  <tr key={row.key}>
                    <td>
                      <input
                        type="text"
                        aria-label={`Domain ${index + 1}`}
                        placeholder="example.com"
                        spellCheck={false}
                        autoCapitalize="none"
                        value={row.domain}
                        onChange={(event) => updateRow(row.key, { domain: event.target.value })}
                      />
                    </td>
                    <td>
                      <select
                        aria-label={`Role ${index + 1}`}
                        value={row.role}
                        onChange={(event) => updateRow(row.key, { role: event.target.value as OrgRole })}
                      >
                        {ORG_ROLES.map((role) => (
                          <option key={role} value={role}>
                            {orgRoleWords(role)}
                          </option>
                        ))}
                      </select>
                    </td>
                    <td>
                      <button
                        type="button"
                        className="small"
                        onClick={() => {
                          markDirty();
                          setRows((all) => all.filter((other) => other.key !== row.key));
                        }}
                      >
                        Remove<span className="visually-hidden"> domain {index + 1}</span>
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          <p>
            <button type="button" onClick={addRow}>
              Add a domain
            </button>
          </p>
          {error ? (
            <p id={ids.error} className="field-error" role="alert">
              {error}
            </p>
          ) : null}
          <p>
            <button type="submit" className="primary">
              Save settings
            </button>
          </p>
        </fieldset>
      </form>
      {action.problem ? (
        <ErrorBanner
          problem={action.problem}
          onRetry={action.problem.status === 412 ? onReload : undefined}
          onDismiss={action.clear}
        />
      ) : null}
    </section>
  );
}

const EMPTY_OIDC: OidcForm = {
  alias: "",
  displayName: "",
  issuer: "",
  authorizationUrl: "",
  tokenUrl: "",
  jwksUrl: "",
  clientId: "",
  clientSecret: "",
};

const OIDC_FIELDS: { key: keyof OidcForm; label: string; type: "text" | "url" | "password"; hint?: string }[] = [
  { key: "alias", label: "Alias", type: "text", hint: "A short name in the provider's URLs: lowercase letters, digits, hyphens." },
  { key: "displayName", label: "Display name", type: "text", hint: "Shown on the sign-in page, e.g. “Acme SSO”." },
  { key: "issuer", label: "Issuer", type: "url" },
  { key: "authorizationUrl", label: "Authorization URL", type: "url" },
  { key: "tokenUrl", label: "Token URL", type: "url" },
  { key: "jwksUrl", label: "JWKS URL", type: "url" },
  { key: "clientId", label: "Client ID", type: "text" },
  {
    key: "clientSecret",
    label: "Client secret",
    type: "password",
    hint: "Never shown again. Leave it empty to keep the secret already stored.",
  },
];

function SingleSignOn() {
  const [form, setForm] = useState<OidcForm>(EMPTY_OIDC);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<IdentityProvider | null>(null);
  const [removed, setRemoved] = useState<string | null>(null);
  const action = useAction();
  const ids = useId();
  const connected = useResource(
    (signal) =>
      api.get<{ items: IdentityProvider[] }>("/api/v1/organization/identity-providers", signal).then((l) => l.items),
    [],
  );

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSaved(null);
    setRemoved(null);
    const checked = oidcPayload(form);
    if (!checked.ok) {
      setError(checked.error);
      return;
    }
    setError(null);
    await action.run(async () => {
      const provider = await api.put<IdentityProvider>(
        `/api/v1/organization/identity-providers/${seg(checked.value.alias)}`,
        checked.value.body,
      );
      setForm((current) => ({ ...current, clientSecret: "" }));
      setSaved(provider);
      connected.reload();
    });
  }

  async function remove(alias: string) {
    setSaved(null);
    setRemoved(null);
    setError(null);
    await action.run(async () => {
      await api.delete<null>(`/api/v1/organization/identity-providers/${seg(alias)}`);
      setRemoved(alias);
      connected.reload();
    });
  }

  return (
    <section aria-labelledby="sso-heading" className="section">
      <h2 id="sso-heading">Single sign-on (SSO)</h2>
      <p className="field-hint">
        Connect your company's OpenID Connect identity provider to your organization's sign-in. Saving an alias
        that exists replaces its settings (its client secret is kept unless you give a new one).
      </p>
      {connected.state === "loading" ? <Loading what="the connected providers" /> : null}
      {connected.state === "error" ? <ErrorBanner problem={connected.problem} onRetry={connected.reload} /> : null}
      {connected.state === "ready" ? (
        connected.data.length === 0 ? (
          <Empty>No identity provider is connected: members sign in with a password and MFA.</Empty>
        ) : (
          <table className="table">
            <caption>Connected identity providers</caption>
            <thead>
              <tr>
                <th scope="col">Alias</th>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Redirect URI</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {connected.data.map((provider) => (
                <tr key={provider.alias}>
                  <td>{provider.alias}</td>
                  <td>{provider.display_name}</td>
                  <td>{provider.kind.toUpperCase()}</td>
                  <td>
                    <code>{provider.redirect_uri}</code>
                  </td>
                  <td>
                    <ConfirmButton
                      verb="Remove"
                      what={`provider ${provider.alias}`}
                      busy={action.busy}
                      onConfirm={() => void remove(provider.alias)}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : null}
      <form onSubmit={save} noValidate aria-labelledby="sso-heading">
        <fieldset disabled={action.busy} className="plain-fieldset">
          <legend className="visually-hidden">OpenID Connect identity provider</legend>
          <div className="form-grid">
            {OIDC_FIELDS.map((field) => (
              <div className="field" key={field.key}>
                <label htmlFor={`${ids}-${field.key}`}>{field.label}</label>
                <input
                  id={`${ids}-${field.key}`}
                  type={field.type}
                  autoComplete={field.type === "password" ? "new-password" : "off"}
                  spellCheck={false}
                  value={form[field.key]}
                  aria-describedby={field.hint ? `${ids}-${field.key}-hint` : undefined}
                  onChange={(event) => setForm((current) => ({ ...current, [field.key]: event.target.value }))}
                />
                {field.hint ? (
                  <p id={`${ids}-${field.key}-hint`} className="field-hint">
                    {field.hint}
                  </p>
                ) : null}
              </div>
            ))}
          </div>
          {error ? (
            <p className="field-error" role="alert">
              {error}
            </p>
          ) : null}
          <p className="row-actions">
            <button type="submit" className="primary">
              Save provider
            </button>
          </p>
        </fieldset>
      </form>
      <ActionProblem action={action} />
      {removed ? <Notice>The identity provider “{removed}” was removed.</Notice> : null}
      {saved ? (
        <div className="banner banner-notice" role="status">
          <p className="banner-title">
            The identity provider “{saved.display_name}” ({saved.alias}) is connected.
          </p>
          <p>Give your identity provider this redirect URI:</p>
          <p className="row-actions">
            <code className="secret-value">{saved.redirect_uri}</code>
            <CopyButton text={saved.redirect_uri} what="redirect URI" />
          </p>
        </div>
      ) : null}
    </section>
  );
}
