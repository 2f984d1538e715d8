import type { DoinNode } from '../src/node/api';

declare global {
  interface Window {
    doin: DoinNode;
  }
}
