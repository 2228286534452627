import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Renderer component tests import .vue single-file components.
  plugins: [vue()],
  test: {
    include: [
      'test/unit/**/*.test.ts',
      'test/integration/**/*.test.ts',
      'test/renderer/**/*.test.ts',
      'test/e2e/**/*.test.ts',
      'test/electron/**/*.test.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: compute-heavy files share them; more forks only thrash.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
