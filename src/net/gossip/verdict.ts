/**
 * Gossip verdicts, modelled on lodestar's chain/validation: every message gets accept, ignore or
 * reject before anything is forwarded. Reject means "the sender should have known better" and
 * lowers its peer score; ignore means "not useful to us now" (we may be behind, or it is old)
 * and costs the sender nothing, so honest peers that are merely ahead or behind are not punished.
 */

/** Why a message was not accepted. The action each reason leads to is fixed in REASON_ACTION. */
export type GossipReason =
  // Envelope: nothing an honest peer ever sends.
  | 'unknown-topic'
  | 'too-large'
  | 'not-cbor'
  | 'schema'
  | 'bad-signature'
  // Already seen (by id), or timing relative to our chain and clock.
  | 'duplicate'
  | 'stale'
  | 'future'
  // We lack what the message refers to; we may simply be behind.
  | 'unknown-base'
  | 'unknown-commit'
  | 'orphan-block'
  // Type-specific rules.
  | 'unknown-domain'
  | 'base-mismatch'
  | 'commitment-mismatch'
  | 'optimizer-mismatch'
  | 'params-mismatch'
  | 'self-vote'
  | 'coinbase'
  | 'self-transfer'
  | 'nonce-too-old'
  | 'nonce-too-far'
  | 'invalid-block'
  // Our own failure (a context that threw): never the sender's fault.
  | 'internal';

/**
 * The one place that decides which reasons punish the sender. A reason is 'reject' only when no
 * honest, correctly working peer could have forwarded the message (bad bytes, bad signatures,
 * objects that contradict themselves or the chain's fixed rules). Anything that depends on our
 * own view — what we have seen, how far our chain or clock is — is 'ignore'.
 *
 * Note: a message signed for another network fails its signature (the network id is part of
 * what is signed), so it is rejected as 'bad-signature'; a separate 'wrong-network' is not
 * detectable without trying every network id.
 */
export const REASON_ACTION = {
  'unknown-topic': 'reject',
  'too-large': 'reject',
  'not-cbor': 'reject',
  schema: 'reject',
  'bad-signature': 'reject',
  duplicate: 'ignore',
  stale: 'ignore',
  future: 'ignore',
  'unknown-base': 'ignore',
  'unknown-commit': 'ignore',
  'orphan-block': 'ignore',
  'unknown-domain': 'reject',
  'base-mismatch': 'reject',
  'commitment-mismatch': 'reject',
  'optimizer-mismatch': 'reject',
  'params-mismatch': 'reject',
  'self-vote': 'reject',
  coinbase: 'reject',
  'self-transfer': 'reject',
  'nonce-too-old': 'ignore',
  'nonce-too-far': 'ignore',
  'invalid-block': 'reject',
  internal: 'ignore',
} as const satisfies Record<GossipReason, 'ignore' | 'reject'>;

export type GossipAction = 'accept' | 'ignore' | 'reject';

export type GossipVerdict<T> =
  | {
      readonly action: 'accept';
      readonly value: T;
      /** The key the object is deduplicated under (see each validator's `…GossipId`). */
      readonly id: string;
    }
  | {
      readonly action: 'ignore' | 'reject';
      readonly reason: GossipReason;
      readonly message: string;
      /** A hash the caller may fetch to make progress (unknown base, commit or parent block). */
      readonly missing?: string;
    };

export type GossipFailure = Extract<GossipVerdict<unknown>, { action: 'ignore' | 'reject' }>;

export const accept = <T>(value: T, id: string): GossipVerdict<T> => ({
  action: 'accept',
  value,
  id,
});

/** A non-accept verdict; its action always comes from REASON_ACTION. */
export function fail(reason: GossipReason, message: string, missing?: string): GossipFailure {
  const action = REASON_ACTION[reason];
  return missing === undefined ? { action, reason, message } : { action, reason, message, missing };
}
