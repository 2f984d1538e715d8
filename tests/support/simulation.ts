/** The in-memory network lives in src/core so the page's local simulation runs the same code. */
export {
  type SimLog,
  type SimPeer,
  SimulatedNetwork as SimNetwork,
} from '../../src/core/simulation';
