// The widget's postMessage bridge (app/widget/bridge.ts): message validation, origin checks and
// consent, against a fake parent window and a fake node. The real thing, in Chromium with a
// relay and pages on other origins, is tests/e2e/widget.spec.ts.
import { describe, expect, it } from 'vitest';
import {
  type BridgeOptions,
  type ConsentStore,
  consentKey,
  createWidgetBridge,
  embedderOriginOf,
  MAX_INPUT_JSON,
  parseCall,
  parseHosts,
  stableJson,
  storageConsent,
  type WidgetMessage,
  type WidgetNode,
} from '../../app/widget/bridge';
import type { DoinEvent, NodeStatus } from '../../src/node/api';

const HOST = 'https://host.example';
const OTHER = 'https://evil.example';

function fakeNode() {
  const listeners = new Set<(e: DoinEvent) => void>();
  const calls: string[] = [];
  let contributing = false;
  let peers = 0;
  const node: WidgetNode = {
    ready: Promise.resolve(),
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    status: () =>
      ({
        peerId: 'peer-1',
        peers,
        connections: [],
        head: { height: 0, hash: '00' },
        backend: 'wasm',
        domains: [],
        contributing,
        balance: 0,
        mode: 'network',
        simulatedPeers: 0,
        training: null,
      }) satisfies NodeStatus,
    async start(options) {
      calls.push(`start${options ? JSON.stringify(options) : ''}`);
      contributing = true;
    },
    async stop() {
      calls.push('stop');
      contributing = false;
    },
    async infer(domainId, input) {
      calls.push(`infer ${domainId}`);
      return { domainId, input };
    },
  };
  return {
    node,
    calls,
    emit: (e: DoinEvent) => {
      for (const l of listeners) l(e);
    },
    setPeers: (n: number) => {
      peers = n;
    },
  };
}

function memoryConsent(granted: string[] = []): ConsentStore & { origins: Set<string> } {
  const origins = new Set(granted);
  return {
    origins,
    has: (o) => origins.has(o),
    grant: (o) => void origins.add(o),
    revoke: (o) => void origins.delete(o),
  };
}

interface Setup {
  hosts?: string[] | null;
  embedderOrigin?: string | null;
  consent?: ConsentStore;
  autostart?: boolean;
  answer?: boolean;
}

async function setup(opts: Setup = {}) {
  const fake = fakeNode();
  const posted: { message: WidgetMessage; targetOrigin: string }[] = [];
  const parent = {
    postMessage: (message: unknown, targetOrigin: string) =>
      posted.push({ message: message as WidgetMessage, targetOrigin }),
  };
  const prompts: (string | null)[] = [];
  let tick: (() => void) | null = null;
  const consent = opts.consent ?? memoryConsent();
  const options: BridgeOptions = {
    node: fake.node,
    parent,
    hosts: opts.hosts === undefined ? [HOST] : opts.hosts,
    embedderOrigin: opts.embedderOrigin === undefined ? HOST : opts.embedderOrigin,
    ownOrigin: 'https://relay.example',
    consent,
    askConsent: async (origin) => {
      prompts.push(origin);
      return opts.answer ?? true;
    },
    autostart: opts.autostart ?? false,
    setInterval: (fn) => {
      tick = fn;
      return 1;
    },
    clearInterval: () => {
      tick = null;
    },
  };
  const bridge = createWidgetBridge(options);
  await fake.node.ready;
  await Promise.resolve(); // the bridge's own ready handler
  let nextId = 0;
  const call = async (
    method: unknown,
    args: unknown = [],
    from: { origin?: string; source?: unknown } = {},
  ) => {
    const id = `c${nextId++}`;
    await bridge.handleMessage({
      data: { type: 'doin:call', id, method, args },
      origin: from.origin ?? HOST,
      source: 'source' in from ? from.source : parent,
    });
    return posted.find(
      (p) => p.message.type === 'doin:result' && (p.message as { id: unknown }).id === id,
    );
  };
  return {
    ...fake,
    bridge,
    parent,
    posted,
    prompts,
    consent,
    call,
    tick: () => tick?.(),
    events: (name?: string) =>
      posted
        .map((p) => p.message)
        .filter(
          (m): m is Extract<WidgetMessage, { type: 'doin:event' }> =>
            m.type === 'doin:event' && (name === undefined || m.event === name),
        ),
  };
}

describe('parseCall', () => {
  it('accepts the four methods with their arguments', () => {
    expect(parseCall({ type: 'doin:call', id: 1, method: 'status', args: [] })).toEqual({
      kind: 'call',
      call: { id: 1, method: 'status', args: [] },
    });
    expect(parseCall({ type: 'doin:call', id: 'a', method: 'stop' })).toMatchObject({
      kind: 'call',
      call: { method: 'stop', args: [] },
    });
    expect(
      parseCall({ type: 'doin:call', id: 'b', method: 'start', args: [{ dutyCycle: 0.5 }] }),
    ).toMatchObject({ kind: 'call', call: { args: [{ dutyCycle: 0.5 }] } });
    expect(
      parseCall({ type: 'doin:call', id: 'c', method: 'infer', args: ['quadratic-16', [1, 2]] }),
    ).toMatchObject({ kind: 'call', call: { method: 'infer', args: ['quadratic-16', [1, 2]] } });
  });

  it('ignores what is not a doin:call or has no usable id', () => {
    for (const data of [
      null,
      'doin:call',
      42,
      [],
      { type: 'doin:result', id: 1, method: 'status', args: [] },
      { type: 'doin:call', method: 'start', args: [] },
      { type: 'doin:call', id: 'x'.repeat(65), method: 'start', args: [] },
      { type: 'doin:call', id: { evil: true }, method: 'start', args: [] },
      { type: 'doin:call', id: Number.NaN, method: 'start', args: [] },
      { type: 'doin:call', id: null, method: 'start', args: [] },
    ]) {
      expect(parseCall(data)).toEqual({ kind: 'ignore' });
    }
  });

  it('answers a bad call that has an id with an error in words', () => {
    const cases: [unknown, RegExp][] = [
      [{ method: 'exportArchive', args: [] }, /method must be one of status, start, stop, infer/],
      [{ method: 'start', args: 'now' }, /invalid call: args/],
      [{ method: 'status', args: [1, 2, 3, 4, 5] }, /at most 4 arguments/],
      [{ method: 'status', args: [1] }, /status takes no arguments/],
      [{ method: 'start', args: [{ dutyCycle: 2 }] }, /invalid arguments/],
      [{ method: 'start', args: [{ gpu: 'all' }] }, /invalid arguments/],
      [{ method: 'infer', args: ['../etc', [1]] }, /invalid arguments/],
      [{ method: 'infer', args: ['quadratic-16'] }, /infer takes/],
      [{ method: 'infer', args: ['quadratic-16', 'x'.repeat(MAX_INPUT_JSON)] }, /at most/],
    ];
    for (const [fields, error] of cases) {
      const parsed = parseCall({ type: 'doin:call', id: 7, ...(fields as object) });
      expect(parsed.kind).toBe('invalid');
      if (parsed.kind === 'invalid') {
        expect(parsed.id).toBe(7);
        expect(parsed.error).toMatch(error);
      }
    }
  });
});

describe('origins', () => {
  it('parses ?hosts= into exact origins and reports the rest', () => {
    expect(parseHosts(null)).toEqual({ hosts: null, errors: [] });
    const parsed = parseHosts(
      'https://a.example,http://127.0.0.1:5000/,https://a.example,https://b.example/path,ftp://c.example,nope',
    );
    expect(parsed.hosts).toEqual(['https://a.example', 'http://127.0.0.1:5000']);
    expect(parsed.errors).toHaveLength(3);
    expect(parsed.errors.join(' ')).toMatch(/b\.example\/path/);
  });

  it('learns the embedder from ancestorOrigins, else from the referrer', () => {
    const frame = (ancestors: string[] | undefined, referrer: string) => ({
      location: { ancestorOrigins: ancestors },
      document: { referrer },
    });
    expect(embedderOriginOf(frame([HOST, OTHER], `${OTHER}/page`))).toBe(HOST);
    expect(embedderOriginOf(frame(undefined, `${HOST}/some/page?q=1`))).toBe(HOST);
    expect(embedderOriginOf(frame([], ''))).toBeNull();
    expect(embedderOriginOf(frame(undefined, 'about:blank'))).toBeNull();
  });

  it('compares status snapshots by content, not key order', () => {
    expect(stableJson({ b: 1, a: { d: [1, { y: 1, x: 2 }], c: 2 } })).toBe(
      stableJson({ a: { c: 2, d: [1, { x: 2, y: 1 }] }, b: 1 }),
    );
  });

  it('remembers consent in storage, one key per origin', () => {
    const map = new Map<string, string>();
    const store = storageConsent({
      getItem: (k) => map.get(k) ?? null,
      setItem: (k, v) => void map.set(k, v),
      removeItem: (k) => void map.delete(k),
    });
    store.grant(HOST);
    expect(store.has(HOST)).toBe(true);
    expect(store.has(OTHER)).toBe(false);
    expect([...map.keys()]).toEqual([consentKey(HOST)]);
    store.revoke(HOST);
    expect(store.has(HOST)).toBe(false);
    const broken = storageConsent({
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('denied');
      },
      removeItem: () => {},
    });
    broken.grant(HOST);
    expect(broken.has(HOST)).toBe(false);
  });
});

describe('bridge with ?hosts=', () => {
  it('answers a listed host, to its exact origin', async () => {
    const w = await setup();
    const reply = await w.call('status');
    expect(reply?.targetOrigin).toBe(HOST);
    expect(reply?.message).toMatchObject({ type: 'doin:result', result: { peerId: 'peer-1' } });
    expect(w.posted.every((p) => p.targetOrigin === HOST)).toBe(true);
  });

  it('ignores other origins and other windows entirely', async () => {
    const w = await setup();
    const before = w.posted.length;
    expect(await w.call('start', [], { origin: OTHER })).toBeUndefined();
    expect(await w.call('status', [], { origin: OTHER })).toBeUndefined();
    // The right origin, but not from the parent window (e.g. another frame or a popup).
    expect(await w.call('start', [], { source: {} })).toBeUndefined();
    expect(await w.call('start', [], { source: null })).toBeUndefined();
    // An origin string that is not exactly an origin.
    expect(await w.call('start', [], { origin: `${HOST}/` })).toBeUndefined();
    expect(w.posted.length).toBe(before);
    expect(w.prompts).toEqual([]);
    expect(w.calls).toEqual([]);
    expect(w.bridge.stats()).toMatchObject({ ignored: 5, answered: 0 });
  });

  it('answers malformed calls from the host with an error, and does nothing', async () => {
    const w = await setup();
    const bad = await w.call('rm -rf', []);
    expect(bad?.message).toMatchObject({ type: 'doin:result', error: /method must be one of/ });
    const badArgs = await w.call('start', { dutyCycle: 1 });
    expect(badArgs?.message).toMatchObject({ error: /invalid call: args/ });
    await w.bridge.handleMessage({
      data: { type: 'doin:call', id: 'x'.repeat(100), method: 'start', args: [] },
      origin: HOST,
      source: w.parent,
    });
    expect(w.prompts).toEqual([]);
    expect(w.calls).toEqual([]);
    expect(w.bridge.stats().ignored).toBe(1);
  });

  it('asks the user before start, once per origin, and starts on Allow', async () => {
    const w = await setup();
    const first = await w.call('start');
    expect(w.prompts).toEqual([HOST]);
    expect(first?.message).toEqual({ type: 'doin:result', id: 'c0', result: null });
    expect(w.calls).toEqual(['start']);
    expect(w.consent.has(HOST)).toBe(true);
    // The status change reaches the host as an event.
    const last = w.events('status').at(-1);
    expect(last?.data).toMatchObject({ contributing: true });

    await w.call('stop');
    const again = await w.call('start', [{ dutyCycle: 0.25 }]);
    expect(again?.message).toMatchObject({ result: null });
    expect(w.prompts).toEqual([HOST]); // remembered
    expect(w.calls).toEqual(['start', 'stop', 'start{"dutyCycle":0.25}']);
  });

  it('a declined start changes nothing and says so', async () => {
    const w = await setup({ answer: false });
    const reply = await w.call('start');
    expect(reply?.message).toEqual({ type: 'doin:result', id: 'c0', error: 'the user declined' });
    expect(w.calls).toEqual([]);
    expect(w.consent.has(HOST)).toBe(false);
  });

  it('pushes ready, status changes (polled) and node events to the host only', async () => {
    const w = await setup();
    expect(w.events('ready')).toHaveLength(1);
    const statusEvents = () => w.events('status').length;
    const n = statusEvents();
    w.tick();
    expect(statusEvents()).toBe(n); // nothing changed
    w.setPeers(2);
    w.tick();
    expect(statusEvents()).toBe(n + 1);
    expect(w.events('status').at(-1)?.data).toMatchObject({ peers: 2 });
    w.emit({ type: 'head', height: 3, hash: 'ab' });
    expect(w.events('head').at(-1)?.data).toEqual({ type: 'head', height: 3, hash: 'ab' });
    expect(w.posted.every((p) => p.targetOrigin === HOST)).toBe(true);
  });

  it('sends no events when the parent is not a listed host', async () => {
    const w = await setup({ embedderOrigin: OTHER });
    w.setPeers(5);
    w.tick();
    w.emit({ type: 'block-made', height: 1, hash: 'cd' });
    expect(w.posted).toEqual([]);
    expect(w.bridge.host()).toBeNull();
  });

  it('infers with validated arguments', async () => {
    const w = await setup();
    const reply = await w.call('infer', ['quadratic-16', [0, 1]]);
    expect(reply?.message).toMatchObject({ result: { domainId: 'quadratic-16', input: [0, 1] } });
  });
});

describe('bridge without ?hosts= (consent)', () => {
  it('trusts the parent only after the user accepts its origin', async () => {
    const w = await setup({ hosts: null });
    expect(w.posted).toEqual([]); // no events before consent, not even ready
    const denied = await w.call('status');
    expect(denied?.message).toMatchObject({ error: /not allowed yet/ });
    expect(denied?.targetOrigin).toBe(HOST);
    // Another origin is never even answered.
    expect(await w.call('start', [], { origin: OTHER })).toBeUndefined();
    expect(w.prompts).toEqual([]);

    const started = await w.call('start');
    expect(w.prompts).toEqual([HOST]);
    expect(started?.message).toMatchObject({ result: null });
    expect(w.bridge.host()).toBe(HOST);
    expect(w.events('ready')).toHaveLength(1);
    const status = await w.call('status');
    expect(status?.message).toMatchObject({ result: { contributing: true } });
  });

  it('the Start button asks for the embedder; Decline changes nothing', async () => {
    const w = await setup({ hosts: null, answer: false });
    expect(await w.bridge.startFromUser()).toBe('declined');
    expect(w.prompts).toEqual([HOST]);
    expect(w.calls).toEqual([]);
    expect(w.bridge.host()).toBeNull();
    expect(w.posted).toEqual([]);
  });

  it('an unknown embedder is named as such and never remembered', async () => {
    const w = await setup({ hosts: null, embedderOrigin: null });
    expect(await w.bridge.startFromUser()).toBe('started');
    expect(w.prompts).toEqual([null]);
    expect(w.consent.has('null')).toBe(false);
    expect(w.bridge.host()).toBeNull();
  });

  it('forgetting the embedder takes its trust away', async () => {
    const w = await setup({ hosts: null, consent: memoryConsent([HOST]) });
    expect((await w.call('status'))?.message).toMatchObject({ result: { peerId: 'peer-1' } });
    w.bridge.forget();
    expect((await w.call('status'))?.message).toMatchObject({ error: /not allowed yet/ });
    expect(w.bridge.host()).toBeNull();
  });
});

describe('autostart', () => {
  it('starts on load only when the embedder was accepted before', async () => {
    const accepted = await setup({ autostart: true, consent: memoryConsent([HOST]) });
    await Promise.resolve();
    expect(accepted.calls).toEqual(['start']);
    expect(accepted.prompts).toEqual([]);

    const fresh = await setup({ autostart: true });
    await Promise.resolve();
    expect(fresh.calls).toEqual([]);
    expect(fresh.prompts).toEqual([]);
  });
});
