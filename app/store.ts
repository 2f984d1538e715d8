/**
 * The app's state, fed by the node: its events (`doin.on`) and a status refresh every second
 * (and on every event). Views read slices with `useNodeStore(selector)`; the chain views refetch
 * when `headVersion` moves (a new head).
 */
import { create } from 'zustand';
import type { DoinEvent, DoinNode, NodeStatus, TransferReceipt } from '../src/node/api';
import { errorText } from './format';

const POLL_MS = 1000;
/** How long node events wait to be rendered together. */
const EVENT_FLUSH_MS = 250;
const MAX_ACTIVITY = 40;
const MAX_ERRORS = 5;

export interface ActivityItem {
  id: number;
  at: number;
  event: DoinEvent;
}

export interface AppError {
  id: number;
  at: number;
  message: string;
}

interface NodeState {
  node: DoinNode | null;
  /** The profile this page runs (settings and storage are kept per profile). */
  profile: string;
  status: NodeStatus | null;
  /** This page's account id as the chain writes it (hex key; the peer id embeds it). */
  selfAccount: string | null;
  /** True once `node.ready` resolved. */
  ready: boolean;
  busy: boolean;
  /** Problems the app met (failed start, bad file…), newest last; status().error is separate. */
  errors: AppError[];
  /** Bumps on every new head: chain views refetch on it. */
  headVersion: number;
  /** Recent node events, newest first (the live view's activity list). */
  activity: ActivityItem[];
  /**
   * The GPU share the user picked: applied at once while contributing, used by the next
   * start otherwise. Starts at the saved setting.
   */
  dutyCycle: number;
  /** Transfers this page signed since it was opened, newest first (the wallet tracks them). */
  sent: TransferReceipt[];
  refresh(): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  toggleContributing(): Promise<void>;
  setDutyCycle(dutyCycle: number): Promise<void>;
  loadLocalData(file: File): Promise<void>;
  reportError(message: string): void;
  dismissError(id: number): void;
}

let nextId = 1;

export const useNodeStore = create<NodeState>()((set, get) => ({
  node: null,
  profile: 'default',
  status: null,
  selfAccount: null,
  ready: false,
  busy: false,
  errors: [],
  headVersion: 0,
  activity: [],
  dutyCycle: 1,
  sent: [],
  refresh() {
    const { node, ready } = get();
    if (!node || !ready) return;
    try {
      set({ status: node.status() });
    } catch (err) {
      get().reportError(errorText(err));
    }
  },
  reportError(message) {
    set((s) => {
      // The same message again only moves to the end (a retrying relay must not fill the list).
      const others = s.errors.filter((e) => e.message !== message);
      return {
        errors: [...others, { id: nextId++, at: Date.now(), message }].slice(-MAX_ERRORS),
      };
    });
  },
  dismissError(id) {
    set((s) => ({ errors: s.errors.filter((e) => e.id !== id) }));
  },
  async loadLocalData(file) {
    const { node } = get();
    if (!node) return;
    set({ busy: true });
    try {
      await node.loadLocalData(await file.text());
    } catch (err) {
      get().reportError(`${file.name}: ${errorText(err)}`);
    } finally {
      set({ busy: false });
      get().refresh();
    }
  },
  async start() {
    const { node, busy, dutyCycle } = get();
    if (!node || busy) return;
    set({ busy: true });
    try {
      await node.start({ dutyCycle });
    } catch (err) {
      get().reportError(`could not start: ${errorText(err)}`);
    } finally {
      set({ busy: false });
      get().refresh();
    }
  },
  async stop() {
    const { node, busy } = get();
    if (!node || busy) return;
    set({ busy: true });
    try {
      await node.stop();
    } catch (err) {
      get().reportError(`could not stop: ${errorText(err)}`);
    } finally {
      set({ busy: false });
      get().refresh();
    }
  },
  async toggleContributing() {
    const { status } = get();
    if (!status) return;
    await (status.contributing ? get().stop() : get().start());
  },
  async setDutyCycle(dutyCycle) {
    const clamped = Math.min(1, Math.max(0.05, dutyCycle));
    set({ dutyCycle: clamped });
    const { node, status } = get();
    if (!node || !status?.contributing) return; // remembered for the next start
    try {
      await node.start({ dutyCycle: clamped });
    } catch (err) {
      get().reportError(`GPU share not applied: ${errorText(err)}`);
    } finally {
      get().refresh();
    }
  },
}));

/**
 * Node events arrive while the node is handling gossip (a block's head event fires inside its
 * validation): the app only queues them there, and renders them a moment later, together, so a
 * burst of blocks costs one render and one refetch instead of one each.
 */
let pendingEvents: { at: number; event: DoinEvent }[] = [];
let flushScheduled = false;

function onEvent(event: DoinEvent): void {
  pendingEvents.push({ at: Date.now(), event });
  if (flushScheduled) return;
  flushScheduled = true;
  setTimeout(flushEvents, EVENT_FLUSH_MS);
}

function flushEvents(): void {
  flushScheduled = false;
  const events = pendingEvents;
  pendingEvents = [];
  const store = useNodeStore.getState();
  const newHead = events.some(({ event }) => event.type === 'head');
  useNodeStore.setState((s) => ({
    activity: [
      ...events.reverse().map(({ at, event }) => ({ id: nextId++, at, event })),
      ...s.activity,
    ].slice(0, MAX_ACTIVITY),
    ...(newHead ? { headVersion: s.headVersion + 1 } : {}),
  }));
  for (const { event } of events) if (event.type === 'error') store.reportError(event.message);
  store.refresh();
}

export interface BindOptions {
  profile?: string;
  /** The GPU share the slider starts with (the saved setting). */
  dutyCycle?: number;
}

/**
 * Feeds the store from the node: its events, and its status once ready and then every second.
 * Returns a stop function.
 */
export function bindNode(node: DoinNode, options: BindOptions = {}): () => void {
  useNodeStore.setState({
    node,
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.dutyCycle ? { dutyCycle: options.dutyCycle } : {}),
  });
  let timer: ReturnType<typeof setInterval> | undefined;
  let stopped = false;
  let unsubscribe: (() => void) | undefined;
  try {
    unsubscribe = node.on(onEvent);
  } catch (err) {
    useNodeStore.getState().reportError(`no live events: ${errorText(err)}`);
  }
  node.ready.then(
    () => {
      if (stopped) return;
      useNodeStore.setState({ ready: true });
      useNodeStore.getState().refresh();
      const status = useNodeStore.getState().status;
      if (status) useNodeStore.setState({ selfAccount: status.accountId ?? null });
      timer = setInterval(() => useNodeStore.getState().refresh(), POLL_MS);
    },
    (err: unknown) => {
      useNodeStore.getState().reportError(`the node did not start: ${errorText(err)}`);
    },
  );
  return () => {
    stopped = true;
    clearInterval(timer);
    unsubscribe?.();
  };
}
