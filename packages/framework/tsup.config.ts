import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/testing.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  shims: true,
  target: 'node20',
  sourcemap: true,
  // One shared chunk for CommonJS too, so index.cjs and testing.cjs share MetricsHost and the per-thread sample buffer.
  splitting: true,
});
