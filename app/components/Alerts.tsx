import { useNodeStore } from '../store';

/**
 * The one place problems are said in words: the node's current problem (status().error: relay
 * unreachable, storage full, a rejected block…) and what went wrong in the app (dismissable).
 * The page keeps working either way.
 */
export function Alerts() {
  const statusError = useNodeStore((s) => s.status?.error);
  const errors = useNodeStore((s) => s.errors);
  const dismiss = useNodeStore((s) => s.dismissError);
  const empty = !statusError && errors.length === 0;
  return (
    <div role="alert" className={empty ? 'alerts alerts-empty' : 'alerts'} data-testid="alerts">
      {statusError && (
        <p className="alert alert-node" data-testid="status-error">
          <strong>From the node:</strong> {statusError}
        </p>
      )}
      {errors.map((e) => (
        <p className="alert" key={e.id}>
          <span>{e.message}</span>{' '}
          <button
            type="button"
            className="link-button"
            onClick={() => dismiss(e.id)}
            aria-label="Dismiss this message"
          >
            Dismiss
          </button>
        </p>
      ))}
    </div>
  );
}
