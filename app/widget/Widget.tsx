import { useEffect, useRef, useState } from 'react';
import type { NodeStatus } from '../../src/node/api';
import type { WidgetBridge } from './bridge';
import { type ConsentPrompt, useWidgetStore } from './store';

const COIN = 100_000_000;
/** The Allow button stays disabled this long after the prompt appears (no click-through). */
const ARM_MS = 600;

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function Widget({ bridge }: { bridge: WidgetBridge }) {
  const { status, prompt, busy, error, warnings, embedder, consented } = useWidgetStore();

  const toggle = async () => {
    if (!status || busy) return;
    useWidgetStore.setState({ busy: true, error: null });
    try {
      if (status.contributing) await bridge.stopFromUser();
      else await bridge.startFromUser();
    } catch (err) {
      useWidgetStore.setState({ error: errorText(err) });
    } finally {
      useWidgetStore.setState({ busy: false });
    }
  };
  const forget = () => {
    bridge.forget();
    useWidgetStore.setState({ consented: false });
  };

  const problem = error ?? status?.error ?? null;
  return (
    <main className="w" aria-busy={status === null}>
      {/* While the prompt is open, the rest of the widget is out of reach (no focus, no clicks). */}
      <div className="w-body" inert={prompt !== null}>
        <header className="w-head">
          <h1>
            <a href="./" target="_blank" rel="noopener noreferrer" title="Open the doin app">
              doin
            </a>
          </h1>
          <span className="w-net">{networkName(status)}</span>
          <span
            className={status?.contributing ? 'w-pill w-on' : 'w-pill'}
            data-testid="widget-state"
          >
            {status === null ? 'starting…' : status.contributing ? 'contributing' : 'idle'}
          </span>
        </header>

        {status && (
          <dl className="w-stats">
            <div>
              <dt>Peers</dt>
              <dd data-testid="widget-peers">{status.peers}</dd>
            </div>
            <div>
              <dt>Head</dt>
              <dd data-testid="widget-head">#{status.head.height}</dd>
            </div>
            <div>
              <dt>Contributing</dt>
              <dd data-testid="widget-contributing">{status.contributing ? 'yes' : 'no'}</dd>
            </div>
            <div className="w-wide">
              <dt>Balance</dt>
              <dd data-testid="widget-balance">{formatCoins(status.balance)} DOIN</dd>
            </div>
            <div className="w-wide">
              <dt>Your work</dt>
              <dd data-testid="widget-work">{workText(status)}</dd>
            </div>
          </dl>
        )}

        <div className="w-actions">
          <button
            type="button"
            className="w-main"
            onClick={() => void toggle()}
            disabled={status === null || busy}
          >
            {status?.contributing ? 'Stop' : 'Start'}
          </button>
          {consented && embedder && !status?.contributing && (
            <button type="button" className="w-link" onClick={forget}>
              Forget {hostName(embedder)}
            </button>
          )}
        </div>

        <p className="w-for">
          {embedder ? (
            <>
              For <span className="w-origin">{embedder}</span>
            </>
          ) : (
            'Embedded by a page whose address is not known'
          )}
        </p>
        <div role="status" aria-live="polite" className="w-msg">
          {problem && <p className="w-error">{problem}</p>}
          {warnings.map((w) => (
            <p key={w} className="w-warn">
              {w}
            </p>
          ))}
        </div>
      </div>

      {prompt && <ConsentDialog prompt={prompt} />}
    </main>
  );
}

function ConsentDialog({ prompt }: { prompt: ConsentPrompt }) {
  const [armed, setArmed] = useState(false);
  const decline = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const before = document.activeElement;
    decline.current?.focus();
    const timer = setTimeout(() => setArmed(true), ARM_MS);
    return () => {
      clearTimeout(timer);
      // Back to where the user was (e.g. the Start button) once answered.
      if (before instanceof HTMLElement && before.isConnected) before.focus();
    };
  }, []);
  return (
    <div className="w-overlay">
      <div
        className="w-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="w-consent-title"
        aria-describedby="w-consent-text"
        onKeyDown={(event) => {
          if (event.key === 'Escape') prompt.answer(false);
        }}
      >
        <h2 id="w-consent-title">Use this device's GPU?</h2>
        <p id="w-consent-text" data-testid="consent-text">
          {prompt.origin ? (
            <strong className="w-origin">{prompt.origin}</strong>
          ) : (
            'The page embedding this widget (its address is not known)'
          )}{' '}
          asks to use this device's GPU to train doin models. Allow?
        </p>
        <div className="w-actions">
          <button
            type="button"
            className="w-main"
            disabled={!armed}
            onClick={() => prompt.answer(true)}
          >
            Allow
          </button>
          <button type="button" ref={decline} onClick={() => prompt.answer(false)}>
            Decline
          </button>
        </div>
      </div>
    </div>
  );
}

function networkName(status: NodeStatus | null): string {
  if (!status) return '';
  if (status.mode === 'local-simulation') return 'local simulation';
  return status.network?.name ?? 'network';
}

function workText(status: NodeStatus): string {
  const w = status.work;
  if (w) {
    return `${w.proposed} trained · ${w.verified} verified · ${w.votesCast} votes · ${w.blocksMade} blocks`;
  }
  const t = status.training;
  if (t) return `${t.proposed} trained · ${t.verified} verified`;
  return 'none yet';
}

function formatCoins(base: number): string {
  return (base / COIN).toLocaleString('en-US', { maximumFractionDigits: 8 });
}

function hostName(origin: string): string {
  try {
    return new URL(origin).host;
  } catch {
    return origin;
  }
}
