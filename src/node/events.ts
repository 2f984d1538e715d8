/** A small fan-out for DoinEvents: a listener that throws cannot stop the others or the node. */
import type { DoinEvent } from './api';

export interface EventHub {
  emit(event: DoinEvent): void;
  on(listener: (event: DoinEvent) => void): () => void;
}

export function createEventHub(): EventHub {
  const listeners = new Set<(event: DoinEvent) => void>();
  return {
    emit(event) {
      for (const listener of listeners) {
        try {
          listener(event);
        } catch (err) {
          console.error('doin: an event listener failed', err);
        }
      }
    },
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
