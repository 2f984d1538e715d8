/**
 * Home: contribute (Start/Stop, GPU share, backend, domain, progress) and the live network
 * (peers, head, time since the last block, threshold, best metric per domain over blocks,
 * this page's contributions and what just happened).
 */
import { lazy, Suspense, useEffect, useRef, useState } from 'react';
import type { DoinEvent, NodeStatus } from '../../src/node/api';
import { AccountLink, BlockLink } from '../components/bits';
import { formatAge, formatDoin, formatInteger, formatMetric, formatTime, shortId } from '../format';
import { useNodeQuery, useNow } from '../hooks';
import { href } from '../router';
import { type ActivityItem, useNodeStore } from '../store';

// uPlot comes with the charts, after first paint.
const MetricCharts = lazy(() => import('../components/MetricCharts'));

export function Home() {
  const status = useNodeStore((s) => s.status);
  const ready = useNodeStore((s) => s.ready);
  if (status === null) {
    return (
      <section className="card">
        <h1>doin</h1>
        <p role="status">
          {ready ? 'Reading the node…' : 'Starting: looking for the relay, loading the chain…'}
        </p>
      </section>
    );
  }
  return (
    <>
      {status.mode === 'local-simulation' && (
        <p className="notice" data-testid="mode">
          Local simulation: this page runs the real protocol with {status.simulatedPeers} virtual
          peers in memory. Nothing is saved or sent. Open the page from a relay (
          <code>npm start</code>) to join a network.
        </p>
      )}
      <div className="grid-2">
        <Contribute status={status} />
        <Live status={status} />
      </div>
      <section className="card" aria-labelledby="progress-heading">
        <h2 id="progress-heading">Best models over the chain</h2>
        <ul className="best-list">
          {status.domains.map((d) => (
            <li key={d.id}>
              <a href={href.models(d.id)}>{d.id}</a>:{' '}
              <span data-testid={`best-${d.id}`} title={d.best === null ? '' : String(d.best)}>
                {d.best === null ? 'none yet' : formatMetric(d.best)}
              </span>
            </li>
          ))}
        </ul>
        {status.mode === 'network' ? (
          <Suspense fallback={<p className="muted">Loading the chart…</p>}>
            <MetricCharts />
          </Suspense>
        ) : (
          <p className="muted">Charts of the chain’s history need a network page.</p>
        )}
      </section>
      <div className="grid-2">
        <Contributions status={status} />
        <Activity />
      </div>
      <Training status={status} />
    </>
  );
}

function Contribute({ status }: { status: NodeStatus }) {
  const busy = useNodeStore((s) => s.busy);
  const toggle = useNodeStore((s) => s.toggleContributing);
  const work = status.work;
  const measurements = work?.measurements ?? status.training?.measurements ?? [];
  const measured = measurements.filter((m) => m.available && m.msPerStep !== null);
  const domainId = work?.domainId ?? status.training?.domainId ?? null;
  const backendKnown = !['measuring', 'not started', ''].includes(status.backend);
  return (
    <section className="card contribute" aria-labelledby="contribute-heading">
      <h1 id="contribute-heading">Contribute</h1>
      <p className="lede">
        Lend this browser’s GPU to the network: it trains models in the background, checks other
        people’s improvements, and earns DOIN for verified work.
      </p>
      <div className="start-row">
        <button
          type="button"
          className={`big-button ${status.contributing ? 'is-on' : ''}`}
          onClick={() => void toggle()}
          disabled={busy}
          aria-describedby="contribute-state"
        >
          {status.contributing ? 'Stop' : 'Start'}
        </button>
        <p id="contribute-state" className="state-line">
          <span data-testid="contributing">{status.contributing ? 'yes' : 'no'}</span>
          <span className="visually-hidden"> (contributing)</span>
          <span aria-hidden="true"> · </span>
          {busy ? 'one moment…' : <StateText status={status} />}
        </p>
      </div>
      <GpuShare status={status} />
      <dl className="facts">
        <dt>Backend</dt>
        <dd>
          <span data-testid="backend">{status.backend}</span>
          {status.backend === 'not started' && (
            <span className="muted"> (measured when you press Start)</span>
          )}
          {backendKnown && measured.length > 0 && (
            <span className="muted">
              {' '}
              (fastest measured on this machine; {measured.length} tried)
            </span>
          )}
          {measured.length > 0 && (
            <ul className="speeds" data-testid="measurements">
              {[...measured]
                .sort((a, b) => (a.msPerStep ?? 0) - (b.msPerStep ?? 0))
                .map((m) => (
                  <li key={m.backend} className={m.backend === status.backend ? 'chosen' : ''}>
                    {m.backend}: {m.msPerStep?.toFixed(2)} ms/step
                    {m.backend === status.backend ? ' ✓' : ''}
                  </li>
                ))}
              {measurements
                .filter((m) => !m.available)
                .map((m) => (
                  <li key={m.backend} className="muted">
                    {m.backend}: not available
                  </li>
                ))}
            </ul>
          )}
        </dd>
        <dt>Domain</dt>
        <dd data-testid="work-domain">
          {domainId ?? 'chosen at start'}
          {work && (
            <span className="muted">
              {' '}
              {work.domainFixed
                ? '(fixed: by the address or your settings)'
                : '(chosen automatically by expected reward)'}
            </span>
          )}
        </dd>
      </dl>
    </section>
  );
}

function StateText({ status }: { status: NodeStatus }) {
  const training = status.training;
  if (!status.contributing) return <>idle: press Start to contribute</>;
  // The local trainer (simulation page) and the network roles report progress the same way.
  const progress =
    training?.phase === 'training'
      ? training.progress
      : status.work?.activity === 'training'
        ? status.work.progress
        : null;
  const pool = status.work?.pool ?? 0;
  const waiting = pool > 0 ? ` · ${pool} optimae waiting for votes or a block` : '';
  if (progress !== null) {
    return (
      <>
        training a candidate{' '}
        <progress max={1} value={progress} aria-label="Progress of the candidate being trained" />{' '}
        {Math.round(progress * 100)}%{waiting}
      </>
    );
  }
  if (status.backend === 'measuring' || training?.phase === 'starting') {
    return (
      <>
        measuring backends… <progress aria-label="Measuring backends" />
      </>
    );
  }
  return (
    <>
      verifying and waiting for the next candidate <progress aria-label="Working" />
      {waiting}
    </>
  );
}

/** The GPU-share slider: applied at once while contributing, remembered for the next start. */
function GpuShare({ status }: { status: NodeStatus }) {
  const stored = useNodeStore((s) => s.dutyCycle);
  const setDutyCycle = useNodeStore((s) => s.setDutyCycle);
  const [draft, setDraft] = useState<number | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const live = status.contributing && status.work ? status.work.dutyCycle : stored;
  const value = draft ?? live;
  const percent = Math.round(value * 100);
  return (
    <div className="field">
      <label htmlFor="gpu-share">
        GPU share: <output htmlFor="gpu-share">{percent}%</output>
      </label>
      <input
        id="gpu-share"
        data-testid="gpu-share"
        type="range"
        min={5}
        max={100}
        step={5}
        value={percent}
        aria-valuetext={`${percent}% of the time`}
        onChange={(event) => {
          const next = Number(event.currentTarget.value) / 100;
          setDraft(next);
          clearTimeout(timer.current);
          timer.current = setTimeout(() => {
            void setDutyCycle(next).finally(() => setDraft(null));
          }, 300);
        }}
      />
      <p className="hint">
        {status.contributing
          ? 'How much of the time the workers compute; applied now.'
          : 'How much of the time the workers compute; used when you press Start.'}
      </p>
    </div>
  );
}

function Live({ status }: { status: NodeStatus }) {
  const now = useNow(1000);
  const network = status.network;
  const chain = status.chain;
  const peers = status.connections.filter((c) => c.transport !== 'websockets');
  const relayConnections = status.connections.filter((c) => c.transport === 'websockets').length;
  return (
    <section className="card" aria-labelledby="live-heading" data-testid="network">
      <h2 id="live-heading">Live</h2>
      <dl className="facts">
        {network && (
          <>
            <dt>Network</dt>
            <dd>
              {network.name} <code title={network.id}>{shortId(network.id, 10, 4)}</code>
            </dd>
            <dt>Relay</dt>
            <dd data-testid="relay-status">
              {network.relay.status === 'connected'
                ? `connected${relayConnections ? '' : ' (no open connection right now)'}`
                : network.relay.status === 'connecting'
                  ? 'connecting…'
                  : `unreachable, retrying${network.relay.nextAttemptAt ? ` in ${Math.max(0, Math.round((network.relay.nextAttemptAt - now) / 1000))} s` : ''}; direct peers keep working`}
            </dd>
          </>
        )}
        <dt>Peers</dt>
        <dd>
          <span data-testid="peer-count">{peers.length}</span>{' '}
          {status.mode === 'local-simulation' ? (
            <span className="muted">({status.simulatedPeers} simulated)</span>
          ) : peers.length === 0 ? (
            <span className="muted" data-testid="peers">
              none yet: open this page in another browser to add one
            </span>
          ) : (
            <ul className="peer-list" data-testid="peers">
              {peers.map((c) => (
                <li key={`${c.peerId}-${c.transport}`}>
                  <AccountLink id={c.peerId} />{' '}
                  <span className={c.transport === 'webrtc' ? 'tag tag-good' : 'tag'}>
                    {c.transport === 'webrtc' ? 'direct' : 'via relay'}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </dd>
        <dt>Head</dt>
        <dd data-testid="head">
          height <strong data-testid="head-height">{status.head.height}</strong>
          {status.mode === 'network' ? (
            <>
              {' '}
              · <BlockLink id={status.head.hash} />
            </>
          ) : null}
          <code data-testid="head-hash" className="visually-hidden">
            {status.head.hash}
          </code>
          {network?.syncing && <span className="tag"> catching up with peers…</span>}
        </dd>
        {chain && (
          <>
            <dt>Last block</dt>
            <dd>
              <span data-testid="last-block-age">
                {status.head.height === 0 ? 'none yet (genesis' : ''}
                {formatAge(now - chain.headTimestamp)} ago
                {status.head.height === 0 ? ')' : ''}
              </span>{' '}
              <span className="muted" title={formatTime(chain.headTimestamp)}>
                (target every {formatAge(chain.targetBlockTimeMs)})
              </span>
            </dd>
            <dt>Threshold</dt>
            <dd>
              <span data-testid="threshold">{formatInteger(chain.threshold)}</span>{' '}
              <span className="muted">increment units for the next block</span>
            </dd>
          </>
        )}
      </dl>
    </section>
  );
}

function Contributions({ status }: { status: NodeStatus }) {
  const network = status.mode === 'network';
  const self = useNodeStore((s) => s.selfAccount);
  const account = useNodeQuery(`account:${self}:${network}`, (node) =>
    network && self ? node.account(self) : Promise.resolve(null),
  );
  const work = status.work;
  return (
    <section className="card" aria-labelledby="contrib-heading">
      <h2 id="contrib-heading">Your contributions</h2>
      <dl className="facts">
        <dt>You</dt>
        <dd>
          <code data-testid="peer-id" className="wrap">
            {status.peerId}
          </code>
        </dd>
        <dt>Balance</dt>
        <dd>
          <span data-testid="balance">{formatDoin(status.balance)}</span>{' '}
          <a href={href.wallet()}>wallet</a>
        </dd>
        {network && (
          <>
            <dt>Rewards earned</dt>
            <dd data-testid="rewards-earned">
              {account.data ? formatDoin(account.data.rewardsEarned) : account.error ? '—' : '…'}
            </dd>
          </>
        )}
        {work && (
          <>
            <dt>Candidates trained / committed</dt>
            <dd data-testid="work-candidates">
              {work.proposed} / {work.committed}
            </dd>
            <dt>Your optimae on chain: verified / rejected</dt>
            <dd data-testid="work-verdicts">
              {work.verified} / {work.rejected}
            </dd>
            <dt>Votes cast, blocks made</dt>
            <dd data-testid="work-votes">
              {work.votesCast} votes, {work.blocksMade} blocks
            </dd>
            <dt>Waiting for votes or a block</dt>
            <dd data-testid="work-pool">{work.pool}</dd>
          </>
        )}
      </dl>
    </section>
  );
}

function Activity() {
  const activity = useNodeStore((s) => s.activity);
  const now = useNow(5000);
  return (
    <section className="card" aria-labelledby="activity-heading">
      <h2 id="activity-heading">What just happened</h2>
      {activity.length === 0 ? (
        <p className="muted">Nothing yet. Events appear here as blocks, votes and peers arrive.</p>
      ) : (
        <ol className="activity" data-testid="activity">
          {activity.slice(0, 12).map((item) => (
            <li key={item.id}>
              <span className="muted when">{formatAge(now - item.at)} ago</span>{' '}
              <EventText item={item} />
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function EventText({ item }: { item: ActivityItem }) {
  const e: DoinEvent = item.event;
  switch (e.type) {
    case 'head':
      return (
        <>
          new head <BlockLink id={e.hash} label={`#${e.height}`} />
        </>
      );
    case 'block-made':
      return (
        <>
          <strong>you made block</strong> <BlockLink id={e.hash} label={`#${e.height}`} />
        </>
      );
    case 'optimae':
      return (
        <>
          {e.mine ? <strong>your</strong> : 'an'} optimae on {e.domainId}{' '}
          {e.verdict === 'accepted'
            ? 'was verified'
            : e.verdict === 'false-claim'
              ? 'was rejected (claim not confirmed)'
              : 'was stale'}
          {e.mine ? (
            ''
          ) : (
            <>
              {' '}
              (by <AccountLink id={e.optimizer} />)
            </>
          )}
        </>
      );
    case 'committed':
      return (
        <>
          you committed a candidate on {e.domainId}, claiming {formatMetric(e.claimedMetric)}
        </>
      );
    case 'vote':
      return (
        <>
          you voted on a {e.domainId} candidate: measured {formatMetric(e.metric)}
        </>
      );
    case 'peer':
      return (
        <>
          peer <AccountLink id={e.peerId} />{' '}
          {e.joined
            ? `joined${e.transport ? ` (${e.transport === 'webrtc' ? 'direct' : e.transport === 'circuit' ? 'via relay' : 'relay'})` : ''}`
            : 'left'}
        </>
      );
    case 'transfer':
      return (
        <>
          you sent {formatDoin(e.amount)} to <AccountLink id={e.to} />
        </>
      );
    case 'error':
      return <span className="error-text">{e.message}</span>;
    default:
      return null;
  }
}

/** Training in workers: the local simulation's trainer, and your own CSV. */
function Training({ status }: { status: NodeStatus }) {
  const training = status.training;
  return (
    <section className="card" aria-labelledby="training-heading">
      <h2 id="training-heading">Training data</h2>
      <LocalDataInput
        label="Train on your own data (CSV; it is read in a worker and never leaves this browser)"
        contributing={status.contributing}
      />
      {training ? (
        <dl className="facts" data-testid="training">
          <dt>Domain</dt>
          <dd>{training.domainId}</dd>
          <dt>State</dt>
          <dd>
            {training.phase}
            {training.phase === 'training' &&
              ` (candidate ${Math.round(training.progress * 100)}%)`}
          </dd>
          <dt>Training data</dt>
          <dd data-testid="training-data">
            {training.localData
              ? `your file: ${training.localData.rows} rows (evaluation stays on public data)`
              : "the domain's public data"}
          </dd>
          <dt>Verified best metric</dt>
          <dd data-testid="training-best">{training.best ?? '…'}</dd>
          <dt>Candidates proposed / verified / rejected</dt>
          <dd data-testid="training-counts">
            {training.proposed} / {training.verified} / {training.rejected}
          </dd>
        </dl>
      ) : (
        <p className="muted">
          Without a file the page trains on the domain’s public data. Evaluation always uses public
          data, and only model parameters are ever shared.
        </p>
      )}
    </section>
  );
}

/** A CSV file input for `doin.loadLocalData` (only while stopped). */
export function LocalDataInput({ label, contributing }: { label: string; contributing: boolean }) {
  const busy = useNodeStore((s) => s.busy);
  const loadLocalData = useNodeStore((s) => s.loadLocalData);
  return (
    <div className="field">
      <label>
        {label}{' '}
        <input
          type="file"
          accept=".csv,text/csv,text/plain"
          disabled={busy || contributing}
          onChange={(event) => {
            const file = event.currentTarget.files?.[0];
            if (file) void loadLocalData(file);
          }}
        />
      </label>
      {contributing && <p className="hint">Stop contributing to load a file.</p>}
    </div>
  );
}
