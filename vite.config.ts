/// <reference types="vitest/config" />
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: '.',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    rolldownOptions: {
      input: { main: 'index.html', bench: 'bench.html', widget: 'widget.html' },
    },
  },
  worker: {
    // Workers are ES modules ({ type: 'module' }) and load tfjs backends with dynamic imports.
    format: 'es',
    rolldownOptions: {
      output: {
        // No compression pass in worker chunks: tfjs-backend-wasm starts its pthread workers
        // from the source text of its (threaded) factory function, which the compressor breaks
        // by hoisting names out of it ("_scriptDir is not defined" once cross-origin isolated).
        minify: { compress: false, mangle: true, codegen: true },
      },
    },
  },
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
  },
});
