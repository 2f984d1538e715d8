/**
 * The training workers, created on the first start(): measuring the backends takes seconds, and
 * a page that never contributes should not pay for it. Shared by the local and network nodes.
 */
import { createTrainer, type Trainer, type TrainerOptions } from './trainer';

export interface LazyTrainer {
  /** Creates the trainer once; later calls return the same one. */
  ensure(): Promise<Trainer>;
  /** Creates it if needed, applies the duty cycle, starts training. */
  start(dutyCycle?: number): Promise<void>;
  /** The trainer once it is up, else null. */
  current(): Trainer | null;
  requested(): boolean;
  /** Why it could not start, in words. */
  error(): string | null;
}

export function createLazyTrainer(
  options: TrainerOptions,
  isContributing: () => boolean,
): LazyTrainer {
  let pending: Promise<Trainer> | null = null;
  let ready: Trainer | null = null;
  let failure: string | null = null;
  const ensure = (): Promise<Trainer> => {
    if (!pending) {
      pending = createTrainer(options);
      pending.then(
        (t) => {
          ready = t;
          if (isContributing()) t.start();
        },
        (err: unknown) => {
          failure = `training could not start: ${err instanceof Error ? err.message : String(err)}`;
        },
      );
    }
    return pending;
  };
  return {
    ensure,
    async start(dutyCycle) {
      const trainer = ensure();
      if (dutyCycle !== undefined) await (await trainer).setDutyCycle(dutyCycle);
      ready?.start();
    },
    current: () => ready,
    requested: () => pending !== null,
    error: () => failure,
  };
}
