import { create } from 'zustand';
import type { DoinNode, NodeStatus } from '../src/node/api';

const POLL_MS = 1000;

interface NodeState {
  node: DoinNode | null;
  status: NodeStatus | null;
  busy: boolean;
  error: string | null;
  refresh(): void;
  toggleContributing(): Promise<void>;
  loadLocalData(file: File): Promise<void>;
}

export const useNodeStore = create<NodeState>()((set, get) => ({
  node: null,
  status: null,
  busy: false,
  error: null,
  refresh() {
    const { node } = get();
    if (node) set({ status: node.status() });
  },
  async loadLocalData(file) {
    const { node } = get();
    if (!node) return;
    set({ busy: true, error: null });
    try {
      await node.loadLocalData(await file.text());
    } catch (err) {
      set({ error: `${file.name}: ${err instanceof Error ? err.message : String(err)}` });
    } finally {
      set({ busy: false, status: node.status() });
    }
  },
  async toggleContributing() {
    const { node, status, busy } = get();
    if (!node || !status || busy) return;
    set({ busy: true, error: null });
    try {
      await (status.contributing ? node.stop() : node.start());
    } catch (err) {
      set({ error: err instanceof Error ? err.message : String(err) });
    } finally {
      set({ busy: false, status: node.status() });
    }
  },
}));

/** Feeds the store from the node: once when ready, then every second. Returns a stop function. */
export function bindNode(node: DoinNode): () => void {
  useNodeStore.setState({ node });
  let timer: ReturnType<typeof setInterval> | undefined;
  let stopped = false;
  node.ready.then(
    () => {
      if (stopped) return;
      useNodeStore.getState().refresh();
      timer = setInterval(() => useNodeStore.getState().refresh(), POLL_MS);
    },
    (err: unknown) => {
      useNodeStore.setState({ error: err instanceof Error ? err.message : String(err) });
    },
  );
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
