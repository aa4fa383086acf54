// The states every page shows: loading, empty, and an error banner that puts the api's problem
// (its title and detail) in words, with a way to try again.

import type { ReactNode } from "react";
import type { Problem } from "../api/client";

export function Loading({ what }: { what: string }) {
  return (
    <p className="status status-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="status status-empty">{children}</p>;
}

export function ErrorBanner({
  problem,
  onRetry,
  onDismiss,
}: {
  problem: Problem;
  onRetry?: () => void;
  onDismiss?: () => void;
}) {
  return (
    <div className="banner banner-error" role="alert">
      <p className="banner-title">{problem.title}</p>
      {problem.detail ? <p className="banner-detail">{problem.detail}</p> : null}
      {problem.status === 403 ? (
        <p className="banner-detail">Your role does not allow this. Ask an administrator of your organization.</p>
      ) : null}
      {onRetry || onDismiss ? (
        <p className="banner-actions">
          {onRetry ? (
            <button type="button" onClick={onRetry}>
              Try again
            </button>
          ) : null}
          {onDismiss ? (
            <button type="button" onClick={onDismiss}>
              Dismiss
            </button>
          ) : null}
        </p>
      ) : null}
    </div>
  );
}

export function Notice({ children }: { children: ReactNode }) {
  return (
    <p className="banner banner-notice" role="status">
      {children}
    </p>
  );
}

export function shortId(id: string): string {
  return id.slice(0, 8);
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function formatDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateFormat.format(date);
}

export function formatBytes(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} kB`;
  return `${(size / (1024 * 1024)).toFixed(1)} MB`;
}
