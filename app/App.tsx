import { useNodeStore } from './store';

/** Base units per coin (the ledger counts integers). */
const COIN = 100_000_000;

export function App() {
  const status = useNodeStore((s) => s.status);
  const busy = useNodeStore((s) => s.busy);
  const error = useNodeStore((s) => s.error);
  const toggle = useNodeStore((s) => s.toggleContributing);
  const loadLocalData = useNodeStore((s) => s.loadLocalData);

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
          {status.network && (
            <section aria-labelledby="network-heading" data-testid="network">
              <h2 id="network-heading">Network</h2>
              <dl>
                <dt>Network</dt>
                <dd>
                  {status.network.name} (<code>{status.network.id.slice(0, 16)}…</code>)
                </dd>
                <dt>Relay</dt>
                <dd data-testid="relay-status">
                  {status.network.relay.status === 'connected'
                    ? 'connected'
                    : status.network.relay.status === 'connecting'
                      ? 'connecting…'
                      : `unreachable, retrying${status.network.relay.nextAttemptAt ? ` in ${Math.max(0, Math.round((status.network.relay.nextAttemptAt - Date.now()) / 1000))} s` : ''}`}
                </dd>
                <dt>Peers</dt>
                <dd data-testid="peers">
                  {status.peers === 0
                    ? 'none yet: open this page in another browser to add one'
                    : status.connections
                        .filter((c) => c.transport !== 'websockets')
                        .map(
                          (c) =>
                            `…${c.peerId.slice(-8)} (${c.transport === 'webrtc' ? 'direct WebRTC' : 'via relay'})`,
                        )
                        .join(', ')}
                </dd>
                {status.network.syncing && (
                  <>
                    <dt>Chain</dt>
                    <dd>catching up with peers…</dd>
                  </>
                )}
              </dl>
            </section>
          )}
          <button type="button" onClick={() => void toggle()} disabled={busy}>
            {status.contributing ? 'Stop' : 'Start'}
          </button>
          <dl>
            <dt>Your identity ({status.mode === 'network' ? 'peer id' : 'Ed25519 public key'})</dt>
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
          <section aria-labelledby="training-heading">
            <h2 id="training-heading">Training in workers</h2>
            <label>
              Train on your own data (CSV; it is read in a worker and never leaves this browser){' '}
              <input
                type="file"
                accept=".csv,text/csv,text/plain"
                disabled={busy || status.contributing}
                onChange={(event) => {
                  const file = event.currentTarget.files?.[0];
                  if (file) void loadLocalData(file);
                }}
              />
            </label>
            {status.work && (
              <dl data-testid="work">
                <dt>Domain</dt>
                <dd>{status.work.domainId}</dd>
                <dt>Backend</dt>
                <dd data-testid="backend">{status.backend}</dd>
                <dt>Candidates trained / committed</dt>
                <dd data-testid="work-candidates">
                  {status.work.proposed} / {status.work.committed}
                </dd>
                <dt>Your optimae on chain: verified / rejected</dt>
                <dd data-testid="work-verdicts">
                  {status.work.verified} / {status.work.rejected}
                </dd>
                <dt>Votes cast, blocks made</dt>
                <dd data-testid="work-votes">
                  {status.work.votesCast} votes, {status.work.blocksMade} blocks
                </dd>
              </dl>
            )}
            {status.work ? null : status.training === null ? (
              <p>Starts with Start: the page measures its backends, then trains.</p>
            ) : (
              <dl data-testid="training">
                <dt>Domain</dt>
                <dd>{status.training.domainId}</dd>
                <dt>Backend (fastest measured)</dt>
                <dd data-testid="backend">
                  {status.training.backend ?? 'measuring…'}
                  {status.training.measurements
                    .filter((m) => m.available && m.msPerStep !== null)
                    .map((m) => ` · ${m.backend} ${m.msPerStep?.toFixed(2)} ms/step`)
                    .join('')}
                </dd>
                <dt>State</dt>
                <dd>
                  {status.training.phase}
                  {status.training.phase === 'training' &&
                    ` (candidate ${Math.round(status.training.progress * 100)}%)`}
                </dd>
                <dt>Training data</dt>
                <dd data-testid="training-data">
                  {status.training.localData
                    ? `your file: ${status.training.localData.rows} rows (evaluation stays on public data)`
                    : "the domain's public data"}
                </dd>
                <dt>Verified best metric</dt>
                <dd data-testid="training-best">{status.training.best ?? '…'}</dd>
                <dt>Candidates proposed / verified / rejected</dt>
                <dd data-testid="training-counts">
                  {status.training.proposed} / {status.training.verified} /{' '}
                  {status.training.rejected}
                </dd>
              </dl>
            )}
          </section>
          {status.error && <p role="alert">{status.error}</p>}
        </>
      )}
      {error !== null && <p role="alert">{error}</p>}
    </main>
  );
}
