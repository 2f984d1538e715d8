import type { BridgeStats } from './bridge';

declare global {
  interface Window {
    /** The widget page only: what its postMessage bridge did (for tests and debugging). */
    doinWidget?: { stats(): BridgeStats; host(): string | null };
  }
}
