// "Join": the page an invitation link opens (`/app/join?token=…`), signed in or not. The invited
// person chooses their name and a password; the api makes their account and answers where to sign in.

import { useId, useState, type FormEvent } from "react";
import { request } from "../api/client";
import type { InviteAccepted } from "../api/types";
import { useTitle } from "../router";
import { ActionProblem, useAction } from "./admin/common";

function tokenOf(search: string): string {
  return new URLSearchParams(search).get("token")?.trim() ?? "";
}

export function Join() {
  useTitle("Join your organization");
  const nameId = useId();
  const passwordId = useId();
  const repeatId = useId();
  const errorId = useId();
  const [token] = useState(() => tokenOf(window.location.search));
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [accepted, setAccepted] = useState<InviteAccepted | null>(null);
  const action = useAction();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!name.trim() || name.trim().length > 200) {
      setError("Enter your name as colleagues should see it.");
      return;
    }
    if (password.length < 12 || password.length > 200) {
      setError("Choose a password of at least 12 characters.");
      return;
    }
    if (password !== repeat) {
      setError("The two passwords differ.");
      return;
    }
    setError(null);
    await action.run(async () => {
      const answer = await request<InviteAccepted>("/auth/invites/accept", {
        method: "POST",
        body: { token, display_name: name.trim(), password },
        quiet401: true,
      });
      setPassword("");
      setRepeat("");
      setAccepted(answer);
    });
  }

  return (
    <main id="main" className="signin">
      <div className="signin-card">
        <h1>Join your organization</h1>
        {!token ? (
          <div className="banner banner-error" role="alert">
            <p className="banner-title">This invitation link is incomplete</p>
            <p className="banner-detail">Open the whole link you were sent, or ask for a new invitation.</p>
          </div>
        ) : accepted ? (
          <>
            <p className="banner banner-notice" role="status">
              Your account is ready.
            </p>
            <p>
              <a className="button-link" href={accepted.login_url}>
                Sign in
              </a>
            </p>
          </>
        ) : (
          <form onSubmit={submit} noValidate>
            <div className="field">
              <label htmlFor={nameId}>Your name</label>
              <input
                id={nameId}
                type="text"
                autoComplete="name"
                required
                value={name}
                onChange={(event) => setName(event.target.value)}
              />
            </div>
            <div className="field">
              <label htmlFor={passwordId}>Password</label>
              <input
                id={passwordId}
                type="password"
                autoComplete="new-password"
                required
                minLength={12}
                value={password}
                onChange={(event) => setPassword(event.target.value)}
              />
              <p className="field-hint">At least 12 characters.</p>
            </div>
            <div className="field">
              <label htmlFor={repeatId}>Repeat the password</label>
              <input
                id={repeatId}
                type="password"
                autoComplete="new-password"
                required
                value={repeat}
                onChange={(event) => setRepeat(event.target.value)}
              />
            </div>
            {error ? (
              <p id={errorId} className="field-error" role="alert">
                {error}
              </p>
            ) : null}
            <ActionProblem action={action} />
            <button type="submit" className="primary" disabled={action.busy}>
              Join
            </button>
          </form>
        )}
      </div>
    </main>
  );
}
