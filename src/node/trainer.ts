/**
 * Real training in the page: an optimizer worker trains a domain on the measured-best tfjs
 * backend, and a second, independent evaluator worker re-measures every candidate on the data
 * seeds of a quorum of K evaluators. The core's agreement rule and verdict (the same code that
 * validates blocks) decide whether the candidate is a verified improvement; a third worker
 * answers inference from the verified best. Until the node has
 * real peers (issues 5–6) the quorum members are local stand-ins, and verified candidates stay
 * on this page.
 */
import { type Hash, hashTagged } from '../core/hash';
import { createNetworkParams } from '../core/params';
import { type CheckedOptimae, judgeOptimae, type Verdict } from '../core/poo';
import { assessVotes, evaluationSeed } from '../core/quorum';
import type { DomainDescriptor } from '../core/schemas';
import { type ComputeClient, startComputeClient } from '../workers/computeClient';
import type { ComputeStatus } from '../workers/computeProtocol';

export interface TrainerOptions {
  readonly domainId: string;
  readonly backend?: string | null;
  /** Optimize steps per candidate (verification must stay ≤ 5% of this work). */
  readonly stepsPerCandidate?: number;
  readonly quorumSize?: number;
  readonly dutyCycle?: number;
  readonly onChange?: () => void;
}

export interface TrainerStatus {
  readonly domainId: string;
  readonly phase: 'starting' | 'training' | 'stopped' | 'failed';
  readonly backend: string | null;
  readonly backendSource: ComputeStatus['source'];
  readonly measurements: ComputeStatus['measurements'];
  /** Verified best metric (starts at the domain's initial best). */
  readonly best: number | null;
  readonly proposed: number;
  readonly verified: number;
  readonly rejected: number;
  readonly lastVerdict: Verdict | 'no-agreement' | null;
  /** Progress of the candidate being trained, 0..1. */
  readonly progress: number;
  /** The user's own CSV this node trains on (evaluation stays on public data), if any. */
  readonly localData: { readonly rows: number; readonly columns: readonly string[] } | null;
  readonly error: string | null;
}

export interface Trainer {
  status(): TrainerStatus;
  start(): void;
  stop(): Promise<void>;
  setDutyCycle(dutyCycle: number): Promise<void>;
  /** Parsed in the optimizer worker; the file never leaves the browser. Idle trainer only. */
  loadLocalData(csv: string, column?: string): Promise<void>;
  bestParams(): Float32Array | null;
  infer(input: unknown): Promise<unknown>;
}

export async function createTrainer(options: TrainerOptions): Promise<Trainer> {
  // 4,000 steps keep a quorum's three evaluations within 5% of the work (see npm run bench).
  const steps = options.stepsPerCandidate ?? 4_000;
  const quorumSize = options.quorumSize ?? 3;
  const notify = options.onChange ?? (() => {});
  let status: TrainerStatus = {
    domainId: options.domainId,
    phase: 'starting',
    backend: null,
    backendSource: null,
    measurements: [],
    best: null,
    proposed: 0,
    verified: 0,
    rejected: 0,
    lastVerdict: null,
    progress: 0,
    localData: null,
    error: null,
  };
  const update = (patch: Partial<TrainerStatus>) => {
    status = { ...status, ...patch };
    notify();
  };

  const clientOptions = {
    domainId: options.domainId,
    backend: options.backend ?? 'auto',
    ...(options.dutyCycle !== undefined ? { dutyCycle: options.dutyCycle } : {}),
  };
  let optimizer: ComputeClient;
  let evaluator: ComputeClient;
  try {
    optimizer = await startComputeClient({ ...clientOptions, name: 'doin-optimizer' });
    // The evaluator re-uses the optimizer's measured choice (remembered per device).
    evaluator = await startComputeClient({ ...clientOptions, name: 'doin-evaluator' });
  } catch (err) {
    update({ phase: 'failed', error: message(err) });
    throw err;
  }
  const domain = optimizer.initStatus.domain as DomainDescriptor;
  const params = createNetworkParams({
    name: 'doin-local-training',
    genesisTimestamp: 0,
    targetBlockTimeMs: 5_000,
    domains: [domain],
  });
  const initial = await optimizer.initialParams();
  let best = { params: initial.params, paramsHash: initial.paramsHash, metric: domain.initialBest };
  const evaluators: Hash[] = Array.from({ length: quorumSize }, (_, i) =>
    hashTagged('doin/local-evaluator', i),
  );
  update({
    backend: optimizer.initStatus.backend,
    backendSource: optimizer.initStatus.source,
    measurements: optimizer.initStatus.measurements,
    best: best.metric,
    phase: 'stopped',
  });

  let running = false;
  let round = 0;
  let inference: Promise<ComputeClient> | null = null;
  let loop: Promise<void> | null = null;

  async function trainOnce(): Promise<void> {
    const seed = hashTagged('doin/local-train', { round: round++, base: best.paramsHash });
    const candidate = await optimizer.optimize(
      best.params,
      { steps, seed },
      { paramsHash: best.paramsHash, onProgress: (e) => update({ progress: e.fraction }) },
    );
    update({ proposed: status.proposed + 1, progress: 1 });
    const commitId = hashTagged('doin/local-commit', { seed, paramsHash: candidate.paramsHash });
    const votes = [];
    for (const evaluatorId of evaluators) {
      const result = await evaluator.evaluate(
        candidate.params,
        evaluationSeed(commitId, evaluatorId, best.paramsHash),
        { paramsHash: candidate.paramsHash },
      );
      votes.push({ evaluator: evaluatorId, metric: result.metric });
    }
    const quorum = { mode: 'selected', members: evaluators } as const;
    const agreement = assessVotes(votes, quorum, domain.tolerance);
    if (!agreement.agreed) {
      update({ rejected: status.rejected + 1, lastVerdict: 'no-agreement' });
      return;
    }
    const checked: CheckedOptimae = {
      commitId,
      domain,
      optimizer: hashTagged('doin/local-optimizer', 0),
      paramsHash: candidate.paramsHash,
      claimedMetric: candidate.metric,
      agreement,
      quorumMode: 'selected',
    };
    const verdict = judgeOptimae(checked, best.metric, 0, params);
    if (verdict.verdict === 'accepted') {
      best = {
        params: candidate.params,
        paramsHash: candidate.paramsHash,
        metric: agreement.median,
      };
      update({ verified: status.verified + 1, best: best.metric, lastVerdict: 'accepted' });
    } else {
      update({ rejected: status.rejected + 1, lastVerdict: verdict.verdict });
    }
  }

  return {
    status: () => status,
    start() {
      if (running) return;
      running = true;
      update({ phase: 'training', error: null });
      loop = (async () => {
        while (running) {
          try {
            await trainOnce();
          } catch (err) {
            if (running) {
              update({ phase: 'failed', error: message(err) });
              running = false;
            }
          }
        }
      })();
    },
    async stop() {
      if (!running) return;
      running = false;
      await optimizer.cancel();
      await loop;
      update({ phase: 'stopped', progress: 0 });
    },
    async setDutyCycle(dutyCycle) {
      await Promise.all([optimizer.setDutyCycle(dutyCycle), evaluator.setDutyCycle(dutyCycle)]);
    },
    async loadLocalData(csv, column) {
      if (running) throw new Error('stop contributing before changing the training data');
      const summary = await optimizer.loadLocalData(csv, column);
      update({ localData: { rows: summary.rows, columns: summary.columns } });
    },
    bestParams: () => best.params,
    async infer(input) {
      // Its own worker, so a query never waits for (or is refused by) an evaluation in progress.
      inference ??= startComputeClient({ ...clientOptions, name: 'doin-inference' }).catch(
        (err: unknown) => {
          inference = null; // let the next query try again
          throw err;
        },
      );
      const client = await inference;
      const result = await client.infer(best.params, input, { paramsHash: best.paramsHash });
      return result.output;
    },
  };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
