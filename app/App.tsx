import { useNodeStore } from './store';

/** Base units per coin (the ledger counts integers). */
const COIN = 100_000_000;

export function App() {
  const status = useNodeStore((s) => s.status);
  const busy = useNodeStore((s) => s.busy);
  const error = useNodeStore((s) => s.error);
  const toggle = useNodeStore((s) => s.toggleContributing);

  return (
    <main>
      <h1>doin</h1>
      <p>
        A decentralized optimization and inference network: browsers train models together and agree
        on one proof-of-optimization chain.
      </p>
      {status === null ? (
        <p role="status">Starting…</p>
      ) : (
        <>
          {status.mode === 'local-simulation' && (
            <p data-testid="mode">
              Local simulation: this page runs the real protocol with {status.simulatedPeers}{' '}
              virtual peers in memory. Nothing is saved or sent yet.
            </p>
          )}
          <button type="button" onClick={() => void toggle()} disabled={busy}>
            {status.contributing ? 'Stop' : 'Start'}
          </button>
          <dl>
            <dt>Your identity (Ed25519 public key)</dt>
            <dd data-testid="peer-id">{status.peerId}</dd>
            <dt>Contributing</dt>
            <dd data-testid="contributing">{status.contributing ? 'yes' : 'no'}</dd>
            <dt>Head</dt>
            <dd data-testid="head">
              height <span data-testid="head-height">{status.head.height}</span>, hash{' '}
              <code data-testid="head-hash">{status.head.hash}</code>
            </dd>
            <dt>Balance</dt>
            <dd data-testid="balance">{(status.balance / COIN).toFixed(8)} DOIN</dd>
            {status.domains.map((d) => (
              <div key={d.id}>
                <dt>Best metric, {d.id}</dt>
                <dd data-testid={`best-${d.id}`}>{d.best ?? 'none yet'}</dd>
              </div>
            ))}
          </dl>
          {status.error && <p role="alert">{status.error}</p>}
        </>
      )}
      {error !== null && <p role="alert">{error}</p>}
    </main>
  );
}
