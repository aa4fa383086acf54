// "Members" (org Admins and Workforce Managers): who is in the organization, their role (changed in
// place, with the version read as If-Match), removing someone, and inviting a new member — the
// invitation link is shown once, with a Copy button.

import { useId, useState, type FormEvent } from "react";
import { api, seg } from "../../api/client";
import { ifMatch, type InviteCreated, type OrgMember, type OrgRole } from "../../api/types";
import { Empty, ErrorBanner, Loading, formatDate } from "../../components/status";
import { usePaged } from "../../components/usePaged";
import { paths, useTitle } from "../../router";
import { useSignedIn } from "../../session";
import { assignableRoles, orgRoleWords } from "./access";
import { ActionProblem, ConfirmButton, ShownOnce, useAction } from "./common";

export function Members() {
  useTitle("Members");
  const { me } = useSignedIn();
  const members = usePaged<OrgMember>("/api/v1/members?limit=100");
  const [changed, setChanged] = useState(new Map<string, OrgMember>());
  const [removed, setRemoved] = useState(new Set<string>());
  const roles = assignableRoles(me?.role);

  function reload() {
    setChanged(new Map());
    setRemoved(new Set());
    members.reload();
  }

  const rows = members.items
    .filter((member) => !removed.has(member.user_id))
    .map((member) => changed.get(member.user_id) ?? member);

  return (
    <>
      <div className="page-head">
        <h1>Members</h1>
        <button type="button" onClick={reload} disabled={members.loading}>
          Refresh
        </button>
      </div>
      <p className="lead">
        {me?.role === "workforce_manager"
          ? "The Taskers you manage. Invite new Taskers, change or remove them."
          : "Everyone in your organization and their role. Invite people, change roles, remove members."}
      </p>
      <InviteForm roles={roles} />
      <section aria-labelledby="members-heading" className="section">
        <h2 id="members-heading">Members</h2>
        {members.problem ? <ErrorBanner problem={members.problem} onRetry={reload} /> : null}
        {members.loading ? <Loading what="the members" /> : null}
        {!members.loading && !members.problem && rows.length === 0 ? (
          <Empty>There are no members you manage yet. Invite someone above.</Empty>
        ) : null}
        {rows.length > 0 ? (
          <table className="table">
            <caption className="visually-hidden">Members of the organization</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">E-mail</th>
                <th scope="col">Role</th>
                <th scope="col">Member since</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((member) => (
                <MemberRow
                  key={member.user_id}
                  member={member}
                  roles={roles}
                  isMe={member.user_id === me?.user_id}
                  onChanged={(next) => setChanged((map) => new Map(map).set(next.user_id, next))}
                  onRemoved={() => setRemoved((set) => new Set(set).add(member.user_id))}
                />
              ))}
            </tbody>
          </table>
        ) : null}
        {members.hasMore ? (
          <p>
            <button type="button" onClick={members.loadMore} disabled={members.loadingMore}>
              {members.loadingMore ? "Loading…" : "Load more members"}
            </button>
          </p>
        ) : null}
      </section>
    </>
  );
}

function MemberRow({
  member,
  roles,
  isMe,
  onChanged,
  onRemoved,
}: {
  member: OrgMember;
  roles: OrgRole[];
  isMe: boolean;
  onChanged: (member: OrgMember) => void;
  onRemoved: () => void;
}) {
  const selectId = useId();
  const action = useAction();
  const [saved, setSaved] = useState<string | null>(null);
  const options = roles.includes(member.role) ? roles : [member.role, ...roles];

  async function changeRole(role: OrgRole) {
    setSaved(null);
    await action.run(async () => {
      const next = await api.patch<OrgMember>(`/api/v1/members/${seg(member.user_id)}`, { role }, ifMatch(member.version));
      onChanged(next);
      setSaved(`Role of ${next.email} changed to ${orgRoleWords(next.role)}.`);
    });
  }

  async function remove() {
    setSaved(null);
    await action.run(async () => {
      await api.delete<null>(`/api/v1/members/${seg(member.user_id)}`);
      onRemoved();
    });
  }

  return (
    <tr>
      <td>
        {member.display_name}
        {isMe ? <span className="meta"> (you)</span> : null}
        {member.disabled ? <span className="badge badge-warn">Disabled</span> : null}
      </td>
      <td>{member.email}</td>
      <td>
        <label htmlFor={selectId} className="visually-hidden">
          Role of {member.email}
        </label>
        <select
          id={selectId}
          value={member.role}
          disabled={action.busy || options.length < 2}
          onChange={(event) => void changeRole(event.target.value as OrgRole)}
        >
          {options.map((role) => (
            <option key={role} value={role}>
              {orgRoleWords(role)}
            </option>
          ))}
        </select>
        <span role="status" className="meta row-status">
          {action.busy ? "Saving…" : saved}
        </span>
        <ActionProblem action={action} />
      </td>
      <td>{formatDate(member.created_at)}</td>
      <td>
        {roles.length > 0 ? (
          <ConfirmButton verb="Remove" what={member.email} busy={action.busy} onConfirm={() => void remove()} />
        ) : null}
      </td>
    </tr>
  );
}

function InviteForm({ roles }: { roles: OrgRole[] }) {
  const headingId = useId();
  const emailId = useId();
  const roleId = useId();
  const errorId = useId();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<OrgRole>(roles.includes("member") ? "member" : (roles[0] ?? "member"));
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<InviteCreated | null>(null);
  const action = useAction();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const address = email.trim();
    if (!/^[^@\s]+@[^@\s]+$/.test(address) || address.length > 320) {
      setError("Enter the e-mail address of the person to invite, like name@example.com.");
      return;
    }
    setError(null);
    setCreated(null);
    await action.run(async () => {
      const answer = await api.post<InviteCreated>("/api/v1/invites", { email: address, role });
      setCreated(answer);
      setEmail("");
    });
  }

  if (roles.length === 0) return null;
  return (
    <section aria-labelledby={headingId} className="section">
      <h2 id={headingId}>Invite a member</h2>
      <form className="inline-form" aria-labelledby={headingId} onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor={emailId}>E-mail</label>
          <input
            id={emailId}
            type="email"
            autoComplete="off"
            required
            value={email}
            onChange={(event) => setEmail(event.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? errorId : undefined}
          />
        </div>
        <div className="field">
          <label htmlFor={roleId}>Role</label>
          <select id={roleId} value={role} onChange={(event) => setRole(event.target.value as OrgRole)}>
            {roles.map((option) => (
              <option key={option} value={option}>
                {orgRoleWords(option)}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="primary" disabled={action.busy}>
          Invite
        </button>
      </form>
      {error ? (
        <p id={errorId} className="field-error" role="alert">
          {error}
        </p>
      ) : null}
      <ActionProblem action={action} />
      {created ? (
        <ShownOnce
          title={`Invitation for ${created.invite.email}`}
          label="Invitation link"
          value={invitationLink(created.token)}
          onDone={() => setCreated(null)}
        >
          <p>
            Send this link to {created.invite.email}. They join as {orgRoleWords(created.invite.role)}; the link works
            once and expires {formatDate(created.invite.expires_at)}.
          </p>
        </ShownOnce>
      ) : null}
    </section>
  );
}

/** The address the invited person opens: the app's join page, with the token in its query. */
export function invitationLink(token: string): string {
  return `${window.location.origin}${paths.join(token)}`;
}
