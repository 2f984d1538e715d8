/**
 * Which domain a page works on when the user does not fix one (`?domain=`): the one with the
 * highest expected reward per unit of compute, estimated from the chain alone.
 *
 * A crude but explicit model: the reward for an improvement is proportional to weight × gain;
 * the gain still available is taken as proportional to the current best's distance from a
 * perfect score (|best| for the MSE-like metrics here, which approach 0), and the compute per
 * candidate as proportional to the model's parameter count (forward + backward passes of an
 * MLP scale with it). So score = weight × |best| / paramCount. Domains nobody has improved yet
 * use their initial best. Ties go to the first domain in network order.
 */
import type { ChainState, DomainDescriptor } from '../core/schemas';

export function expectedRewardPerCompute(domain: DomainDescriptor, state: ChainState): number {
  const best = state.domains[domain.id]?.bestMetric ?? domain.initialBest;
  return (domain.weight * Math.abs(best)) / Math.max(1, domain.paramCount);
}

/** The domain to train: `requested` when the network has it, else the best expected reward. */
export function chooseDomain(
  state: ChainState,
  requested: string | null,
  available: (id: string) => boolean = () => true,
): string | null {
  const domains = state.params.domains.filter((d) => available(d.id));
  if (requested && domains.some((d) => d.id === requested)) return requested;
  let best: DomainDescriptor | null = null;
  let bestScore = -1;
  for (const domain of domains) {
    const score = expectedRewardPerCompute(domain, state);
    if (score > bestScore) {
      best = domain;
      bestScore = score;
    }
  }
  return best?.id ?? null;
}
