// The sign-in page: asks for the organization's slug and hands the browser to the api's
// `/auth/login`, which sends it to the organization's identity provider and back.

import { useId, useState, type FormEvent } from "react";
import { Notice } from "../components/status";
import { useTitle } from "../router";
import { signInUrl } from "../session";

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;
const REMEMBERED = "enclave.organization";

function remembered(): string {
  try {
    return window.localStorage.getItem(REMEMBERED) ?? "";
  } catch {
    return "";
  }
}

function nextPath(): string {
  const { pathname, search } = window.location;
  return pathname.startsWith("/app/") ? pathname + search : "/app/";
}

export function SignIn({ reason }: { reason: "none" | "expired" | "signed-out" }) {
  useTitle("Sign in");
  const fieldId = useId();
  const errorId = useId();
  const [slug, setSlug] = useState(remembered);
  const [error, setError] = useState<string | null>(null);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const value = slug.trim().toLowerCase();
    if (!SLUG.test(value)) {
      setError(
        "Enter your organization's short name: lowercase letters, digits and hyphens, starting with a letter or digit.",
      );
      return;
    }
    setError(null);
    try {
      window.localStorage.setItem(REMEMBERED, value);
    } catch {
      // storage may be off; remembering is only a convenience
    }
    window.location.assign(signInUrl(value, nextPath()));
  }

  return (
    <main id="main" className="signin">
      <div className="signin-card">
        <h1>Sign in to Enclave</h1>
        {reason === "expired" ? <Notice>Your session has ended. Sign in again to continue.</Notice> : null}
        {reason === "signed-out" ? <Notice>You are signed out.</Notice> : null}
        <form action="/auth/login" method="get" onSubmit={submit} noValidate>
          <div className="field">
            <label htmlFor={fieldId}>Organization</label>
            <input
              id={fieldId}
              name="org"
              type="text"
              autoComplete="organization"
              autoCapitalize="none"
              spellCheck={false}
              required
              value={slug}
              onChange={(event) => setSlug(event.target.value)}
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? errorId : undefined}
            />
            <p className="field-hint">The short name your administrator gave you, for example “acme-health”.</p>
            {error ? (
              <p id={errorId} className="field-error" role="alert">
                {error}
              </p>
            ) : null}
          </div>
          <input type="hidden" name="next" value={nextPath()} />
          <button type="submit" className="primary">
            Sign in
          </button>
        </form>
      </div>
    </main>
  );
}
