import { Component, type ReactNode } from 'react';
import { errorText } from '../format';

/**
 * Keeps one view's failure (a chunk that no longer loads after an update, a bug) inside that
 * view: it says what happened in words and offers a reload; the rest of the app keeps working.
 */
export class ViewBoundary extends Component<{ children: ReactNode }, { error: string | null }> {
  override state = { error: null as string | null };

  static getDerivedStateFromError(err: unknown) {
    return { error: errorText(err) };
  }

  override render() {
    if (this.state.error === null) return this.props.children;
    const chunk = /dynamically imported module|Importing a module script failed/i.test(
      this.state.error,
    );
    return (
      <section className="card" data-testid="view-failed">
        <h1>This view could not be shown</h1>
        <p className="notice">
          {chunk
            ? 'Part of the app could not be loaded: the site may have been updated since this page was opened.'
            : `Something went wrong: ${this.state.error}`}
        </p>
        <p className="button-row">
          <button type="button" onClick={() => location.reload()}>
            Reload the page
          </button>
          <button
            type="button"
            className="secondary"
            onClick={() => this.setState({ error: null })}
          >
            Try again
          </button>
        </p>
      </section>
    );
  }
}
