/**
 * The widget's postMessage bridge (DESIGN.md, automation surface): the embedding page calls the
 * window.doin API with `{ type: 'doin:call', id, method, args }` and gets `{ type: 'doin:result',
 * id, result | error }` back; the widget pushes `{ type: 'doin:event', event, data }`.
 *
 * Trust: a message counts only when it comes from the parent window (`event.source`) and from an
 * origin the widget trusts (`event.origin`): one listed in `?hosts=`, or, without `?hosts=`, the
 * parent's origin once the user has accepted it in the widget. Everything else is ignored without
 * a reply. Replies and events are posted with the host's exact origin as targetOrigin, never '*'.
 * GPU use (start) always needs the user's consent for the origin that asks, remembered per origin.
 *
 * No DOM here: the window, storage, node and prompt come in as small interfaces (tests use fakes).
 */
import * as v from 'valibot';
import { DomainIdSchema, parse } from '../../src/core/schemas';
import type { DoinEvent, DoinNode, NodeStatus } from '../../src/node/api';

export const METHODS = ['status', 'start', 'stop', 'infer'] as const;
export type Method = (typeof METHODS)[number];

/** Most arguments a call may carry (infer takes two). */
export const MAX_ARGS = 4;
/** An infer input larger than this, as JSON, is refused (the domains take a few hundred numbers). */
export const MAX_INPUT_JSON = 64 * 1024;

const IdSchema = v.union([
  v.pipe(v.string(), v.maxLength(64, 'a call id is at most 64 characters')),
  v.pipe(
    v.number(),
    v.finite('a numeric call id must be finite'),
    v.check((n) => String(n).length <= 64, 'a call id is at most 64 characters'),
  ),
]);
export type CallId = v.InferOutput<typeof IdSchema>;

const CallSchema = v.object({
  type: v.literal('doin:call'),
  id: IdSchema,
  method: v.picklist(METHODS, `method must be one of ${METHODS.join(', ')}`),
  args: v.optional(
    v.pipe(v.array(v.unknown()), v.maxLength(MAX_ARGS, `at most ${MAX_ARGS} arguments`)),
    [],
  ),
});

const StartOptionsSchema = v.strictObject({
  dutyCycle: v.optional(
    v.pipe(
      v.number(),
      v.gtValue(0, 'dutyCycle must be above 0'),
      v.maxValue(1, 'dutyCycle is at most 1'),
    ),
  ),
});

const InferInputSchema = v.check((input: unknown) => {
  try {
    const json = JSON.stringify(input);
    return typeof json === 'string' && json.length <= MAX_INPUT_JSON;
  } catch {
    return false;
  }
}, `the input must be JSON data of at most ${MAX_INPUT_JSON} characters`);

const ARGS: Record<Method, v.GenericSchema> = {
  status: v.strictTuple([], 'status takes no arguments'),
  stop: v.strictTuple([], 'stop takes no arguments'),
  start: v.union(
    [v.strictTuple([]), v.strictTuple([StartOptionsSchema])],
    'start takes no arguments or one options object { dutyCycle }',
  ),
  infer: v.pipe(
    v.array(v.unknown()),
    v.length(2, 'infer takes (domainId, input)'),
    v.strictTuple([DomainIdSchema, v.pipe(v.unknown(), InferInputSchema)]),
  ),
};

export type Call =
  | { id: CallId; method: 'status' | 'stop'; args: [] }
  | { id: CallId; method: 'start'; args: [] | [{ dutyCycle?: number }] }
  | { id: CallId; method: 'infer'; args: [string, unknown] };

export type ParsedCall =
  | { kind: 'call'; call: Call }
  /** A doin:call with a usable id but something wrong: answered with this error. */
  | { kind: 'invalid'; id: CallId; error: string }
  /** Not for us, or not even an id to answer to. */
  | { kind: 'ignore' };

/** Validates one incoming message; never throws. */
export function parseCall(data: unknown): ParsedCall {
  if (
    typeof data !== 'object' ||
    data === null ||
    (data as { type?: unknown }).type !== 'doin:call'
  ) {
    return { kind: 'ignore' };
  }
  const id = v.safeParse(IdSchema, (data as { id?: unknown }).id);
  if (!id.success) return { kind: 'ignore' };
  const call = parse(CallSchema, data);
  if (!call.ok) return { kind: 'invalid', id: id.output, error: `invalid call: ${call.error}` };
  const args = parse(ARGS[call.value.method], call.value.args);
  if (!args.ok)
    return { kind: 'invalid', id: id.output, error: `invalid arguments: ${args.error}` };
  return {
    kind: 'call',
    call: { id: call.value.id, method: call.value.method, args: args.value } as Call,
  };
}

/**
 * `?hosts=` as exact origins (scheme://host[:port], http or https). Null when the parameter is
 * absent: then the widget asks the user to accept its parent's origin.
 */
export function parseHosts(param: string | null): { hosts: string[] | null; errors: string[] } {
  if (param === null) return { hosts: null, errors: [] };
  const hosts: string[] = [];
  const errors: string[] = [];
  for (const entry of param.split(',').map((s) => s.trim())) {
    if (!entry) continue;
    const origin = originOf(entry);
    if (origin === null || !(origin === entry || `${origin}/` === entry)) {
      errors.push(
        `?hosts= entry ${entry.slice(0, 100)} ignored: use exact origins like https://a.example`,
      );
    } else if (!hosts.includes(origin)) hosts.push(origin);
  }
  if (hosts.length > 32) {
    errors.push('?hosts= lists more than 32 origins: only the first 32 are trusted');
    hosts.length = 32;
  }
  return { hosts, errors };
}

/** The http(s) origin of a URL, or null. */
export function originOf(text: string): string | null {
  try {
    const url = new URL(text);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    return url.origin;
  } catch {
    return null;
  }
}

export interface FrameInfo {
  location: { ancestorOrigins?: { length: number; [index: number]: string } };
  document: { referrer: string };
}

/**
 * The origin of the page embedding this one, as the browser reports it: the nearest ancestor's
 * origin (Chromium, Safari) or the referrer's (the page that loaded the frame). Null when unknown.
 */
export function embedderOriginOf(frame: FrameInfo): string | null {
  const ancestors = frame.location.ancestorOrigins;
  if (ancestors && ancestors.length > 0) {
    const first = ancestors[0];
    return first ? originOf(first) : null;
  }
  return frame.document.referrer ? originOf(frame.document.referrer) : null;
}

/** JSON with object keys sorted, to compare snapshots. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, val: unknown) => {
    if (val && typeof val === 'object' && !Array.isArray(val)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(val).sort()) sorted[k] = (val as Record<string, unknown>)[k];
      return sorted;
    }
    return val;
  });
}

/** Which origins the user allowed to use this device's GPU (and, without ?hosts=, to talk to it). */
export interface ConsentStore {
  has(origin: string): boolean;
  grant(origin: string): void;
  revoke(origin: string): void;
}

export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export const consentKey = (origin: string) => `doin:widget:consent:${origin}`;

/** Consent kept in localStorage, one key per origin; a storage that fails remembers nothing. */
export function storageConsent(storage: KeyValueStorage | null): ConsentStore {
  return {
    has(origin) {
      try {
        return storage?.getItem(consentKey(origin)) === 'granted';
      } catch {
        return false;
      }
    },
    grant(origin) {
      try {
        storage?.setItem(consentKey(origin), 'granted');
      } catch {
        // Storage full or disabled: the user will be asked again next time.
      }
    },
    revoke(origin) {
      try {
        storage?.removeItem(consentKey(origin));
      } catch {
        // Nothing stored, nothing to forget.
      }
    },
  };
}

export type WidgetNode = Pick<DoinNode, 'ready' | 'status' | 'start' | 'stop' | 'infer' | 'on'>;

/** What the bridge needs of `window.parent`. */
export interface MessageTarget {
  postMessage(message: unknown, targetOrigin: string): void;
}

export interface IncomingMessage {
  data: unknown;
  origin: string;
  source: unknown;
}

export type WidgetMessage =
  | { type: 'doin:result'; id: CallId; result: unknown }
  | { type: 'doin:result'; id: CallId; error: string }
  | { type: 'doin:event'; event: string; data: unknown };

export interface BridgeOptions {
  node: WidgetNode;
  /** `window.parent`, or null when the widget is not in a frame. */
  parent: MessageTarget | null;
  /** Trusted origins from `?hosts=`; null: the parent's origin, after the user accepts it. */
  hosts: readonly string[] | null;
  /** The embedding page's origin as the browser reports it (see embedderOriginOf); null: unknown. */
  embedderOrigin: string | null;
  /** The widget's own origin (what the prompt names when the widget is opened on its own). */
  ownOrigin: string;
  consent: ConsentStore;
  /** Shows the consent prompt naming `origin` (null: an embedder whose origin is unknown). */
  askConsent(origin: string | null): Promise<boolean>;
  /** `?autostart=1`: start on load when the embedder's origin was accepted before. */
  autostart: boolean;
  /** Called with each status snapshot (the widget's own view). */
  onStatus?(status: NodeStatus): void;
  /** Called when the bridge's own state (host, errors) changes. */
  onChange?(): void;
  pollMs?: number;
  setInterval?(fn: () => void, ms: number): unknown;
  clearInterval?(handle: unknown): void;
}

export interface BridgeStats {
  /** Messages that reached the widget at all. */
  received: number;
  /** Dropped without a reply: wrong source or origin, not a doin:call, or no usable id. */
  ignored: number;
  /** Replies posted (results and errors). */
  answered: number;
}

export interface WidgetBridge {
  handleMessage(event: IncomingMessage): Promise<void>;
  /** The widget's own Start button: asks for consent (unless given), then starts. */
  startFromUser(): Promise<'started' | 'declined'>;
  stopFromUser(): Promise<void>;
  /** The origin the prompt names for the Start button (null: embedded by an unknown origin). */
  embedder(): string | null;
  /** The origin that receives events (a trusted host), once known. */
  host(): string | null;
  /** Forgets the consent given to the embedder. */
  forget(): void;
  stats(): BridgeStats;
  dispose(): void;
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function createWidgetBridge(options: BridgeOptions): WidgetBridge {
  const { node, parent, hosts, embedderOrigin, consent } = options;
  const every = options.setInterval ?? ((fn, ms) => setInterval(fn, ms));
  const cancel =
    options.clearInterval ?? ((h) => clearInterval(h as ReturnType<typeof setInterval>));
  const stats: BridgeStats = { received: 0, ignored: 0, answered: 0 };
  let disposed = false;
  let ready = false;
  let lastStatusJson = '';
  let timer: unknown = null;
  /** The origin events go to: a trusted host that is our parent. */
  let hostOrigin: string | null = null;
  /** One consent prompt at a time; the same origin asking twice shares the answer. */
  let promptChain: Promise<unknown> = Promise.resolve();
  const pendingConsent = new Map<string | null, Promise<boolean>>();

  const post = (message: WidgetMessage, targetOrigin: string) => {
    if (!parent || disposed) return;
    try {
      parent.postMessage(message, targetOrigin);
    } catch {
      // The parent went away (or the message could not be cloned): nothing to do.
    }
  };
  const reply = (
    id: CallId,
    targetOrigin: string,
    outcome: { result: unknown } | { error: string },
  ) => {
    stats.answered += 1;
    post({ type: 'doin:result', id, ...outcome } as WidgetMessage, targetOrigin);
  };
  const emit = (event: string, data: unknown) => {
    if (hostOrigin) post({ type: 'doin:event', event, data }, hostOrigin);
  };

  const snapshot = (): NodeStatus | null => {
    if (!ready) return null;
    try {
      return node.status();
    } catch {
      return null;
    }
  };
  /** Reports the status to the view and, when it changed, to the host. */
  const checkStatus = (force = false) => {
    const status = snapshot();
    if (!status) return;
    options.onStatus?.(status);
    const json = stableJson(status);
    if (json !== lastStatusJson || force) {
      lastStatusJson = json;
      emit('status', status);
    }
  };

  const setHost = (origin: string) => {
    if (hostOrigin === origin) return;
    hostOrigin = origin;
    options.onChange?.();
    if (ready) {
      emit('ready', snapshot());
      checkStatus(true);
    }
  };
  // With ?hosts=, a listed parent gets events from the start; otherwise only once accepted.
  if (parent && embedderOrigin) {
    if (hosts ? hosts.includes(embedderOrigin) : consent.has(embedderOrigin)) {
      hostOrigin = embedderOrigin;
    }
  }

  // Node events fire inside the node's gossip handling: forward them at once (cheap), but take
  // the status snapshot after it, once per burst.
  let statusCheckQueued = false;
  const unsubscribe = node.on((event: DoinEvent) => {
    emit(event.type, event);
    if (statusCheckQueued) return;
    statusCheckQueued = true;
    setTimeout(() => {
      statusCheckQueued = false;
      checkStatus();
    }, 0);
  });

  /** The user's answer for `origin`, asking only when it was not given before. */
  const ensureConsent = (origin: string | null): Promise<boolean> => {
    if (origin !== null && consent.has(origin)) return Promise.resolve(true);
    const pending = pendingConsent.get(origin);
    if (pending) return pending;
    const answer = promptChain
      .then(() => (origin !== null && consent.has(origin) ? true : options.askConsent(origin)))
      .then(
        (ok) => {
          if (ok && origin !== null) {
            consent.grant(origin);
            options.onChange?.();
          }
          return ok;
        },
        () => false,
      )
      .finally(() => pendingConsent.delete(origin));
    pendingConsent.set(origin, answer);
    promptChain = answer;
    return answer;
  };

  const embedder = (): string | null =>
    parent ? (embedderOrigin ?? hostOrigin) : options.ownOrigin;

  /** How far a message is trusted: fully, as the parent asking to be accepted, or not at all. */
  const trustOf = (event: IncomingMessage): 'trusted' | 'candidate' | 'ignore' => {
    if (!parent || event.source !== parent) return 'ignore';
    const origin = event.origin;
    if (typeof origin !== 'string' || originOf(origin) !== origin) return 'ignore';
    if (hosts) return hosts.includes(origin) ? 'trusted' : 'ignore';
    // Without ?hosts= only the parent's own origin, and only the one the prompt names.
    if (embedderOrigin !== null && origin !== embedderOrigin) return 'ignore';
    return consent.has(origin) ? 'trusted' : 'candidate';
  };

  const run = async (call: Call, origin: string): Promise<unknown> => {
    await node.ready;
    switch (call.method) {
      case 'status':
        return node.status();
      case 'stop':
        await node.stop();
        checkStatus();
        return null;
      case 'infer':
        return node.infer(call.args[0], call.args[1]);
      case 'start': {
        if (!(await ensureConsent(origin))) throw new Error('the user declined');
        if (!hosts) setHost(origin); // consent covers the embedding itself
        await node.start(call.args[0]);
        checkStatus();
        return null;
      }
    }
  };

  void node.ready.then(
    () => {
      if (disposed) return;
      ready = true;
      emit('ready', snapshot());
      checkStatus(true);
      timer = every(() => checkStatus(), options.pollMs ?? 1_000);
      const origin = embedder();
      if (options.autostart && origin !== null && consent.has(origin)) {
        void node.start().then(
          () => checkStatus(),
          () => checkStatus(),
        );
      }
    },
    () => {},
  );

  return {
    async handleMessage(event) {
      if (disposed) return;
      stats.received += 1;
      const trust = trustOf(event);
      if (trust === 'ignore') {
        stats.ignored += 1;
        return;
      }
      const parsed = parseCall(event.data);
      if (parsed.kind === 'ignore') {
        stats.ignored += 1;
        return;
      }
      if (parsed.kind === 'invalid') {
        reply(parsed.id, event.origin, { error: parsed.error });
        return;
      }
      const { call } = parsed;
      if (trust === 'candidate' && call.method !== 'start') {
        reply(call.id, event.origin, {
          error: `${event.origin} is not allowed yet: call start to ask the user`,
        });
        return;
      }
      if (trust === 'trusted' && hostOrigin === null) setHost(event.origin);
      try {
        const result = await run(call, event.origin);
        reply(call.id, event.origin, { result: result ?? null });
      } catch (err) {
        reply(call.id, event.origin, { error: errorText(err) });
      }
    },
    async startFromUser() {
      const origin = embedder();
      if (!(await ensureConsent(origin))) return 'declined';
      if (!hosts && parent && origin !== null) setHost(origin);
      await node.start();
      checkStatus();
      return 'started';
    },
    async stopFromUser() {
      await node.stop();
      checkStatus();
    },
    embedder,
    host: () => hostOrigin,
    forget() {
      const origin = embedder();
      if (origin === null) return;
      consent.revoke(origin);
      // Without ?hosts= the parent was trusted through this consent: not any more.
      if (!hosts && hostOrigin === origin) hostOrigin = null;
      options.onChange?.();
    },
    stats: () => ({ ...stats }),
    dispose() {
      disposed = true;
      unsubscribe();
      if (timer !== null) cancel(timer);
    },
  };
}
