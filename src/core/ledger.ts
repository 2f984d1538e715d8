/**
 * Ledger rules: no pre-mine; each block's coinbase (halving schedule) is split among the
 * generator, the optimizers (by increment) and the agreeing evaluators (equal shares per vote).
 * Rounding dust goes to the generator, so the outputs always sum to exactly the reward and the
 * total supply equals the sum of all coinbases. Transfers carry per-account nonces.
 */
import type { AccountId } from './crypto';
import type { OptimaeAssessment } from './poo';
import type { AccountState, CoinbaseOutput, NetworkParams, Transfer } from './schemas';

export function blockReward(height: number, params: NetworkParams): number {
  if (height === 0) return 0;
  const halvings = Math.floor((height - 1) / params.reward.halvingInterval);
  return halvings >= 53 ? 0 : Math.floor(params.reward.initial / 2 ** halvings);
}

export function coinbaseOutputs(
  height: number,
  generator: AccountId,
  assessments: readonly OptimaeAssessment[],
  params: NetworkParams,
): CoinbaseOutput[] {
  const reward = blockReward(height, params);
  const credit = new Map<AccountId, number>();
  const add = (to: AccountId, amount: number) => credit.set(to, (credit.get(to) ?? 0) + amount);

  const optimizerPool = Math.floor((reward * params.reward.optimizerBps) / 10_000);
  const generatorPart = Math.floor((reward * params.reward.generatorBps) / 10_000);
  const evaluatorPool = reward - optimizerPool - generatorPart;
  let paid = 0;

  const totalIncrement = assessments.reduce((sum, a) => sum + a.increment, 0);
  if (totalIncrement > 0) {
    for (const a of assessments) {
      // BigInt: pool × increment can exceed 2^53 before the division.
      const share = Number((BigInt(optimizerPool) * BigInt(a.increment)) / BigInt(totalIncrement));
      if (share > 0) add(a.optimizer, share);
      paid += share;
    }
  }
  const votes = assessments.flatMap((a) => a.agreeing);
  if (votes.length > 0) {
    const perVote = Math.floor(evaluatorPool / votes.length);
    if (perVote > 0) for (const evaluator of votes) add(evaluator, perVote);
    paid += perVote * votes.length;
  }
  add(generator, reward - paid);
  return [...credit.entries()]
    .filter(([, amount]) => amount > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([to, amount]) => ({ to, amount }));
}

export const emptyAccount = (height: number): AccountState => ({
  balance: 0,
  nonce: 0,
  reputation: 0,
  reputationHeight: height,
});

export type TransferCheck = { ok: true } | { ok: false; error: string };

export function checkTransfer(transfer: Transfer, sender: AccountState | undefined): TransferCheck {
  // Also enforced by the schema; repeated because callers may pass transfers not yet parsed.
  if (!Number.isSafeInteger(transfer.amount) || transfer.amount <= 0) {
    return { ok: false, error: 'amount must be a positive integer' };
  }
  if (!Number.isSafeInteger(transfer.fee) || transfer.fee < 0) {
    return { ok: false, error: 'fee must be a non-negative integer' };
  }
  if (transfer.from === transfer.to) return { ok: false, error: 'transfer to self' };
  const nonce = sender?.nonce ?? 0;
  if (transfer.nonce !== nonce) {
    return { ok: false, error: `transfer nonce ${transfer.nonce}, expected ${nonce}` };
  }
  const balance = sender?.balance ?? 0;
  if (transfer.amount + transfer.fee > balance) {
    return {
      ok: false,
      error: `insufficient balance: ${balance} < ${transfer.amount + transfer.fee}`,
    };
  }
  return { ok: true };
}
