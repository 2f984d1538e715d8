import { useNodeStore } from './store';

export function App() {
  const status = useNodeStore((s) => s.status);
  const busy = useNodeStore((s) => s.busy);
  const error = useNodeStore((s) => s.error);
  const toggle = useNodeStore((s) => s.toggleContributing);

  return (
    <main>
      <h1>doin</h1>
      {status === null ? (
        <p role="status">Starting…</p>
      ) : (
        <>
          <dl>
            <dt>Peer id</dt>
            <dd data-testid="peer-id">{status.peerId}</dd>
            <dt>Head</dt>
            <dd data-testid="head">
              height <span data-testid="head-height">{status.head.height}</span>, hash{' '}
              <code data-testid="head-hash">{status.head.hash}</code>
            </dd>
            <dt>Contributing</dt>
            <dd data-testid="contributing">{status.contributing ? 'yes' : 'no'}</dd>
          </dl>
          <button type="button" onClick={() => void toggle()} disabled={busy}>
            {status.contributing ? 'Stop' : 'Start'}
          </button>
        </>
      )}
      {error !== null && <p role="alert">{error}</p>}
    </main>
  );
}
