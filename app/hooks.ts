import { useEffect, useRef, useState } from 'react';
import type { DoinNode } from '../src/node/api';
import { friendlyNodeError } from './format';
import { useNodeStore } from './store';

export interface Query<T> {
  data: T | undefined;
  error: string | null;
  loading: boolean;
}

/**
 * Runs `load(node)` once the node is ready, again when `key` changes, and on every new head when
 * `live` (the explorer's first page, balances). Keeps the last data while refetching; a failure
 * is kept in words (a local-simulation page says it has no chain) instead of thrown.
 */
export function useNodeQuery<T>(
  key: string,
  load: (node: DoinNode) => Promise<T>,
  live = true,
): Query<T> {
  const node = useNodeStore((s) => s.node);
  const ready = useNodeStore((s) => s.ready);
  const mode = useNodeStore((s) => s.status?.mode);
  const headVersion = useNodeStore((s) => (live ? s.headVersion : 0));
  const [state, setState] = useState<Query<T>>({ data: undefined, error: null, loading: true });
  const loadRef = useRef(load);
  loadRef.current = load;
  const lastKey = useRef(key);

  // biome-ignore lint/correctness/useExhaustiveDependencies: headVersion is the refetch trigger
  useEffect(() => {
    if (!node || !ready) return;
    let cancelled = false;
    const keyChanged = lastKey.current !== key;
    lastKey.current = key;
    setState((s) => ({ data: keyChanged ? undefined : s.data, error: null, loading: true }));
    loadRef.current(node).then(
      (data) => {
        if (!cancelled) setState({ data, error: null, loading: false });
      },
      (err: unknown) => {
        if (!cancelled) {
          setState((s) => ({
            data: keyChanged ? undefined : s.data,
            error: friendlyNodeError(err, mode),
            loading: false,
          }));
        }
      },
    );
    return () => {
      cancelled = true;
    };
  }, [node, ready, key, headVersion, mode]);
  return state;
}

/** The current time, ticking every `ms` (for "12 s ago"). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}
