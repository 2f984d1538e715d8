/** The in-memory network lives in src/node so the page's local simulation uses the same code. */
export {
  type SimLog,
  type SimPeer,
  SimulatedNetwork as SimNetwork,
} from '../../src/node/simulatedNetwork';
