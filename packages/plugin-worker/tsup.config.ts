import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  shims: true,
  target: 'node20',
  sourcemap: true,
  // The framework and plugin-process are peers (one copy per process).
  external: ['@metricore/framework', '@metricore/plugin-process'],
});
