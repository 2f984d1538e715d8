/**
 * Settings, kept per profile in this browser (src/node/settings.ts): relay, STUN/TURN servers,
 * backend, domain and GPU share, plus your own training data. URL parameters win for a visit.
 */
import { useState } from 'react';
import {
  DEFAULT_SETTINGS,
  loadSettings,
  saveSettings,
  settingsProblem,
  type UserSettings,
} from '../../src/node/settings';
import { errorText } from '../format';
import { useNodeStore } from '../store';
import { LocalDataInput } from './Home';

const BACKENDS = [
  { value: 'auto', label: 'Automatic (measure and pick the fastest)' },
  { value: 'webgpu', label: 'WebGPU' },
  { value: 'webgl', label: 'WebGL' },
  { value: 'wasm', label: 'WebAssembly (CPU)' },
  { value: 'cpu', label: 'Plain JavaScript (CPU, slow)' },
];

interface Draft {
  relay: string;
  ice: string;
  backend: string;
  domain: string;
  dutyCycle: number;
}

const toDraft = (s: UserSettings): Draft => ({
  relay: s.relay ?? '',
  ice: s.iceServers.join('\n'),
  backend: s.backend,
  domain: s.domain ?? '',
  dutyCycle: s.dutyCycle,
});

const fromDraft = (d: Draft): UserSettings => ({
  relay: d.relay.trim() === '' ? null : d.relay.trim(),
  iceServers: d.ice
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean),
  backend: d.backend,
  domain: d.domain === '' ? null : d.domain,
  dutyCycle: d.dutyCycle,
});

export default function Settings() {
  const profile = useNodeStore((s) => s.profile);
  const status = useNodeStore((s) => s.status);
  const setDutyCycle = useNodeStore((s) => s.setDutyCycle);
  const [loaded] = useState(() => loadSettings(profile));
  const [saved, setSaved] = useState<UserSettings>(loaded.settings);
  const [draft, setDraft] = useState<Draft>(() => toDraft(loaded.settings));
  const [problem, setProblem] = useState<string | null>(loaded.problem);
  const [note, setNote] = useState<string | null>(null);
  const candidate = fromDraft(draft);
  const live = settingsProblem(candidate);
  const needsReload =
    candidate.relay !== saved.relay ||
    candidate.iceServers.join() !== saved.iceServers.join() ||
    candidate.backend !== saved.backend ||
    candidate.domain !== saved.domain;
  const [reloadPending, setReloadPending] = useState(false);
  const given = new URLSearchParams(location.search);
  const overridden = ['relay', 'ice', 'backend', 'domain'].filter((k) => given.has(k));
  const domains = status?.domains.map((d) => d.id) ?? [];
  if (draft.domain && !domains.includes(draft.domain)) domains.push(draft.domain);
  const set = (patch: Partial<Draft>) => {
    setDraft((d) => ({ ...d, ...patch }));
    setNote(null);
  };

  return (
    <>
      <section className="card" aria-labelledby="settings-heading">
        <h1 id="settings-heading">Settings</h1>
        <p className="lede">
          Kept in this browser for the profile <code>{profile}</code>. The relay, STUN/TURN servers,
          backend and domain take effect after a reload; the GPU share applies at once.
        </p>
        {overridden.length > 0 && (
          <p className="notice">
            This page’s address sets {overridden.map((k) => `?${k}=`).join(', ')}: for this visit
            that wins over the saved value.
          </p>
        )}
        <form
          className="settings-form"
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            try {
              saveSettings(profile, candidate);
              setProblem(null);
              setReloadPending(reloadPending || needsReload);
              setSaved(candidate);
              void setDutyCycle(candidate.dutyCycle);
              setNote(
                needsReload || reloadPending
                  ? 'Saved. Reload the page to use the new relay, servers, backend or domain.'
                  : 'Saved.',
              );
            } catch (err) {
              setProblem(errorText(err));
            }
          }}
        >
          <div className="field">
            <label htmlFor="set-relay">Relay address</label>
            <input
              id="set-relay"
              value={draft.relay}
              placeholder="the relay that served this page"
              onChange={(event) => set({ relay: event.currentTarget.value })}
              spellCheck={false}
              aria-describedby="set-relay-hint"
            />
            <p className="hint" id="set-relay-hint">
              A multiaddr with <code>/ws</code> or <code>/wss</code> and{' '}
              <code>/p2p/&lt;relay id&gt;</code>. Leave empty for the relay that served the page.
            </p>
          </div>
          <div className="field">
            <label htmlFor="set-ice">STUN/TURN servers (one per line)</label>
            <textarea
              id="set-ice"
              rows={3}
              value={draft.ice}
              placeholder="stun:stun.example.org:3478"
              onChange={(event) => set({ ice: event.currentTarget.value })}
              spellCheck={false}
              aria-describedby="set-ice-hint"
            />
            <p className="hint" id="set-ice-hint">
              Needed to connect directly to peers outside your network (none: same host or LAN).
            </p>
          </div>
          <div className="field-row">
            <div className="field">
              <label htmlFor="set-backend">Compute backend</label>
              <select
                id="set-backend"
                value={draft.backend}
                onChange={(event) => set({ backend: event.currentTarget.value })}
              >
                {BACKENDS.map((b) => (
                  <option key={b.value} value={b.value}>
                    {b.label}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor="set-domain">Domain to work on</label>
              <select
                id="set-domain"
                data-testid="set-domain"
                value={draft.domain}
                onChange={(event) => set({ domain: event.currentTarget.value })}
              >
                <option value="">Automatic (best expected reward)</option>
                {domains.map((id) => (
                  <option key={id} value={id}>
                    {id}
                  </option>
                ))}
              </select>
            </div>
          </div>
          <div className="field">
            <label htmlFor="set-duty">
              GPU share: <output htmlFor="set-duty">{Math.round(draft.dutyCycle * 100)}%</output>
            </label>
            <input
              id="set-duty"
              type="range"
              min={5}
              max={100}
              step={5}
              value={Math.round(draft.dutyCycle * 100)}
              onChange={(event) => set({ dutyCycle: Number(event.currentTarget.value) / 100 })}
            />
          </div>
          <p className="button-row">
            <button type="submit">Save settings</button>
            <button
              type="button"
              className="secondary"
              onClick={() => {
                setDraft(toDraft(DEFAULT_SETTINGS));
                setNote(null);
              }}
            >
              Back to defaults
            </button>
          </p>
          <div aria-live="polite">
            {problem && (
              <p className="form-error" data-testid="settings-error">
                {problem}
              </p>
            )}
            {note && (
              <p className="form-ok" data-testid="settings-saved">
                {note}
              </p>
            )}
            {live && !problem && (
              <p className="hint" data-testid="settings-problem">
                Not valid yet: {live}
              </p>
            )}
          </div>
          {reloadPending && (
            <p>
              <button type="button" onClick={() => location.reload()} data-testid="reload">
                Reload to apply
              </button>
            </p>
          )}
        </form>
      </section>
      <section className="card" aria-labelledby="data-heading">
        <h2 id="data-heading">Your own training data</h2>
        <LocalDataInput
          label="Local dataset (CSV; read in a worker, never leaves this browser)"
          contributing={status?.contributing ?? false}
        />
        <p className="hint">
          The page trains on your rows from then on; evaluation stays on the domain’s public data
          and only model parameters are shared. Lasts until the page is reloaded.
        </p>
        {status?.training?.localData && (
          <p data-testid="settings-local-data">
            Loaded: {status.training.localData.rows} rows (
            {status.training.localData.columns.join(', ')}).
          </p>
        )}
      </section>
    </>
  );
}
