/**
 * Reputation: integer points that rise with verified work, fall with false claims and outlier
 * votes, and halve every halfLifeBlocks (applied lazily, stepwise, so it stays integer-exact).
 */
import type { AccountState, NetworkParams } from './schemas';

export function effectiveReputation(
  account: AccountState | undefined,
  height: number,
  params: NetworkParams,
): number {
  if (!account || account.reputation === 0) return 0;
  const halfLife = params.reputation.halfLifeBlocks;
  const halvings = Math.floor(height / halfLife) - Math.floor(account.reputationHeight / halfLife);
  return halvings >= 53 ? 0 : Math.floor(account.reputation / 2 ** halvings);
}

/**
 * Share (bps) of an optimizer's raw increment that counts. Newcomers get newcomerFactorBps, so
 * fresh peers can earn from their first verified optimae; it grows linearly to 100%.
 */
export function reputationFactorBps(reputation: number, params: NetworkParams): number {
  const { newcomerFactorBps, saturation } = params.reputation;
  const capped = Math.min(reputation, saturation);
  return newcomerFactorBps + Math.floor(((10_000 - newcomerFactorBps) * capped) / saturation);
}
