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
