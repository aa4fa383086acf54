// Pieces the administration pages share: an action's busy/problem state, a Copy button, a secret
// shown once, and a destructive button that asks before it acts (in the page, not window.confirm).

import { useCallback, useEffect, useId, useRef, useState, type ReactNode } from "react";
import { asProblem, type Problem } from "../../api/client";
import { ErrorBanner } from "../../components/status";

export interface Action {
  busy: boolean;
  problem: Problem | null;
  /** Runs `work`; busy meanwhile; a failure becomes `problem` (in words). True when it succeeded. */
  run: (work: () => Promise<void>) => Promise<boolean>;
  clear: () => void;
}

export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const live = useRef(true);
  useEffect(() => {
    live.current = true;
    return () => {
      live.current = false;
    };
  }, []);
  const run = useCallback(async (work: () => Promise<void>) => {
    setBusy(true);
    setProblem(null);
    try {
      await work();
      return true;
    } catch (error) {
      if (live.current) setProblem(asProblem(error));
      return false;
    } finally {
      if (live.current) setBusy(false);
    }
  }, []);
  const clear = useCallback(() => setProblem(null), []);
  return { busy, problem, run, clear };
}

/** The action's problem as a banner that can be dismissed, or nothing. */
export function ActionProblem({ action }: { action: Action }) {
  return action.problem ? <ErrorBanner problem={action.problem} onDismiss={action.clear} /> : null;
}

/** Copies `text` to the clipboard; says whether it worked (the clipboard may be refused). */
export function CopyButton({ text, what }: { text: string; what: string }) {
  const [result, setResult] = useState<"copied" | "failed" | null>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setResult("copied");
    } catch {
      setResult("failed");
    }
  }
  return (
    <>
      <button type="button" onClick={copy}>
        Copy<span className="visually-hidden"> {what}</span>
      </button>
      <span role="status" className="meta">
        {result === "copied" ? `Copied ${what} to the clipboard.` : null}
        {result === "failed" ? "Could not use the clipboard: select the text and copy it." : null}
      </span>
    </>
  );
}

/** A secret (an invitation link, an API key) shown once, with a Copy button and a warning. */
export function ShownOnce({
  title,
  label,
  value,
  children,
  onDone,
}: {
  title: string;
  /** The read-only field's label, e.g. "Invitation link". */
  label: string;
  value: string;
  children?: ReactNode;
  onDone: () => void;
}) {
  const headingId = useId();
  const fieldId = useId();
  return (
    <section className="shown-once" aria-labelledby={headingId}>
      <h3 id={headingId}>{title}</h3>
      <p className="shown-once-warning">
        <strong>Copy it now:</strong> it is shown only this once and cannot be shown again.
      </p>
      {children}
      <div className="field">
        <label htmlFor={fieldId}>{label}</label>
        <input
          id={fieldId}
          type="text"
          className="secret-value"
          readOnly
          value={value}
          spellCheck={false}
          onFocus={(event) => event.target.select()}
        />
      </div>
      <p className="row-actions">
        <CopyButton text={value} what={label.toLowerCase()} />
      </p>
      <p>
        <button type="button" onClick={onDone}>
          Done
        </button>
      </p>
    </section>
  );
}

/** A destructive button that asks first: "Remove" → "Remove …? [Yes, remove] [Cancel]". */
export function ConfirmButton({
  verb,
  what,
  busy,
  onConfirm,
}: {
  /** "Remove", "Revoke". */
  verb: string;
  /** What it acts on, for the accessible name and the question ("alice@example.com"). */
  what: string;
  busy: boolean;
  onConfirm: () => void;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" className="danger small" disabled={busy} onClick={() => setAsking(true)}>
        {verb}
        <span className="visually-hidden"> {what}</span>
      </button>
    );
  }
  return (
    <span role="group" aria-label={`Confirm: ${verb.toLowerCase()} ${what}`} className="confirm">
      <span>
        {verb} {what}?
      </span>
      <button
        type="button"
        className="danger small"
        disabled={busy}
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        Yes, {verb.toLowerCase()}
      </button>
      <button type="button" className="small" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}
