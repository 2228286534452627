import { cpSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import vue from '@vitejs/plugin-vue';

// Files the engine reads beside its code (new URL('./x', import.meta.url)); the build flattens every
// main-process module into out/main, so they are copied there.
const copyEngineFiles = {
  name: 'uma-copy-engine-files',
  writeBundle() {
    cpSync(resolve(__dirname, 'src/main/cases/migrations'), resolve(__dirname, 'out/main/migrations'), {
      recursive: true,
    });
    cpSync(resolve(__dirname, 'src/main/engine/model/onnx/onnx.proto'), resolve(__dirname, 'out/main/onnx.proto'));
  },
};

// Three builds: the Electron main process (and the engine host it starts), the sandboxed preload, and
// the Vue renderer, which `uma serve` also hosts as static files for a browser.
export default defineConfig({
  main: {
    // Dependencies stay in node_modules (tfjs's .wasm files, better-sqlite3's native addon, which must
    // be rebuilt for Electron's ABI at packaging: see docs/service.md). playwright-core (reports/pdf.ts,
    // a dev dependency) is loaded only when a report PDF is rendered with a system Chromium.
    plugins: [copyEngineFiles],
    build: {
      externalizeDeps: { include: ['playwright-core'] },
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          // The engine host, forked by the main process as a utilityProcess.
          'engine-host': resolve(__dirname, 'src/main/engine-host/entry.ts'),
          // Scan worker threads. The executor starts './worker-entry.mjs' beside the code that runs it,
          // which in the build is out/main/engine-host.js; in plain Node the .mjs of that name registers tsx.
          'worker-entry': resolve(__dirname, 'src/main/engine/scan/worker.ts'),
        },
        output: {
          format: 'es',
          entryFileNames: (chunk) => (chunk.name === 'worker-entry' ? '[name].mjs' : '[name].js'),
          chunkFileNames: '[name]-[hash].js',
        },
      },
    },
  },
  preload: {
    // A sandboxed preload cannot require anything but electron: bundle every dependency (zod), as CommonJS.
    build: {
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(__dirname, 'src/preload/index.ts') },
        external: ['electron'],
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    plugins: [vue()],
    build: { rollupOptions: { input: { index: resolve(__dirname, 'src/renderer/index.html') } } },
  },
});
