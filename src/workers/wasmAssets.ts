/**
 * The tfjs wasm binaries as assets of the app itself (browser builds only: Vite's `?url` makes
 * the build emit the files and gives their URLs). No CDN, so the app works offline. Node does not
 * need this: the wasm package finds its files next to itself.
 */
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { WasmPaths } from './backends';

/** Absolute URLs (a worker resolves relative ones against its own script URL). */
function absolute(url: string): string {
  return new URL(url, self.location.href).href;
}

export const wasmPaths: WasmPaths = {
  'tfjs-backend-wasm.wasm': absolute(wasmUrl),
  'tfjs-backend-wasm-simd.wasm': absolute(wasmSimdUrl),
  'tfjs-backend-wasm-threaded-simd.wasm': absolute(wasmThreadedSimdUrl),
};
