// @ts-check
// Plain JS so the Node relay (which runs without a TypeScript step) and the page share one list.

/** Gossip topics (DESIGN.md wire names): the page publishes on them, the relay forwards them. */
export const DOIN_TOPICS = /** @type {const} */ ([
  'doin/1/commit',
  'doin/1/reveal',
  'doin/1/vote',
  'doin/1/block',
  'doin/1/tx',
]);

/**
 * Where pages announce their addresses (pubsub-peer-discovery). Namespaced so that doin pages
 * do not answer other libp2p apps' global discovery topic. The relay subscribes so it forwards
 * announcements between pages that have no direct connection yet.
 */
export const DOIN_DISCOVERY_TOPIC = 'doin/1/_peer-discovery._p2p._pubsub';
