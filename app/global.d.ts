import type { DoinNode } from '../src/node/api';
import type { DoinDebug } from '../src/node/debug';

declare global {
  interface Window {
    doin: DoinNode;
    /** Only with ?debug=1 on a network page (tests, tinkering). */
    doinDebug?: DoinDebug;
  }
}
