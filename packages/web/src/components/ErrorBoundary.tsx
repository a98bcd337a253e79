/**
 * @module components/ErrorBoundary
 * A screen that throws while rendering must not leave a blank page: the member is told, plainly,
 * that nothing is lost (keys and messages live in this browser's storage, not in the page) and
 * can reload. Only the error's name is logged, never its text, which may quote content.
 */
import { Component, type ErrorInfo, type ReactNode } from 'react';

interface State {
  readonly failed: boolean;
}

export class ErrorBoundary extends Component<{ readonly children: ReactNode }, State> {
  override state: State = { failed: false };

  static getDerivedStateFromError(): State {
    return { failed: true };
  }

  override componentDidCatch(error: unknown, _info: ErrorInfo): void {
    console.error('sotto: a screen failed to render', { error: error instanceof Error ? error.name : typeof error });
  }

  override render(): ReactNode {
    if (!this.state.failed) return this.props.children;
    return (
      <main className="center-screen">
        <div className="card" role="alert" aria-labelledby="crashed-title">
          <div className="logo warn" aria-hidden="true">!</div>
          <h1 id="crashed-title">Sotto hit a problem</h1>
          <p>This screen stopped working. Your keys and messages are safe in this browser; reloading the page brings Sotto back.</p>
          <button type="button" className="primary" onClick={() => location.reload()} autoFocus>Reload</button>
        </div>
      </main>
    );
  }
}
