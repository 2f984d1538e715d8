// @ts-check
// Loaded first in Node (`node --import ./relay/polyfills.js relay/main.js`) and by the relay tests.
// Node 20 lacks Promise.withResolvers (Node 22 has it), which it-queue, yamux and others call.
/** @type {PromiseConstructor & { withResolvers?: unknown }} */
const P = Promise;
if (typeof P.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    /** @this {PromiseConstructor} */
    value: function withResolvers() {
      /** @type {(value: unknown) => void} */
      let resolve = () => {};
      /** @type {(reason?: unknown) => void} */
      let reject = () => {};
      const promise = new this(
        (
          /** @type {(value: unknown) => void} */ res,
          /** @type {(reason?: unknown) => void} */ rej,
        ) => {
          resolve = res;
          reject = rej;
        },
      );
      return { promise, resolve, reject };
    },
  });
}
