// Catches a failure while rendering (a bug, or an editor chunk that could not be loaded) and shows
// it in words with a way out, so a page is never blank.

import { Component, type ErrorInfo, type ReactNode } from "react";
import { asProblem, type Problem } from "../api/client";
import { ErrorBanner } from "./status";

interface Props {
  children: ReactNode;
}

interface State {
  problem: Problem | null;
}

export class ErrorBoundary extends Component<Props, State> {
  override state: State = { problem: null };

  static getDerivedStateFromError(error: unknown): State {
    return { problem: asProblem(error) };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    console.error("Enclave: a page failed to render", error, info.componentStack);
  }

  override render() {
    if (this.state.problem) {
      return (
        <ErrorBanner
          problem={this.state.problem}
          onRetry={() => {
            window.location.reload();
          }}
        />
      );
    }
    return this.props.children;
  }
}
