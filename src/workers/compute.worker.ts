/**
 * Dedicated module worker for compute (see computeEngine.ts): optimizing, evaluating or
 * inference for one domain on the measured-best tfjs backend. Parameters leave as transferred
 * buffers; a progress callback passed by the page is a Comlink proxy and is released after the job.
 */
import { expose, releaseProxy, transfer } from 'comlink';
import { createComputeEngine } from './computeEngine';
import type { ComputeApi, ProgressEvent } from './computeProtocol';
import { wasmPaths } from './wasmAssets';

const engine = createComputeEngine({ wasmPaths });

type RemoteCallback = ((event: ProgressEvent) => unknown) & { [releaseProxy]?: () => void };

const api: ComputeApi = {
  describeDevice: () => engine.describeDevice(),
  init: (options) => engine.init(options),
  status: () => engine.status(),
  loadLocalData: (args) => engine.loadLocalData(args),
  clearLocalData: () => engine.clearLocalData(),
  async initialParams() {
    const result = await engine.initialParams();
    return transfer(result, [result.params.buffer]);
  },
  async optimize(args, onProgress) {
    const callback = onProgress as RemoteCallback | undefined;
    try {
      const result = await engine.optimize(args, callback);
      return transfer(result, [result.params.buffer]);
    } finally {
      callback?.[releaseProxy]?.();
    }
  },
  evaluate: (args) => engine.evaluate(args),
  infer: (args) => engine.infer(args),
  examples: (count) => engine.examples(count),
  cancel: () => engine.cancel(),
  setDutyCycle: (dutyCycle) => engine.setDutyCycle(dutyCycle),
};

expose(api);
