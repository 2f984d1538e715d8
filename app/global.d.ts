import type { DoinNode } from './localNode';

declare global {
  interface Window {
    doin: DoinNode;
  }
}
