import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  shims: true,
  target: 'node20',
  sourcemap: true,
  // The framework is a peer (one copy per process); pidusage stays a normal dependency.
  external: ['@metricore/framework', 'pidusage'],
});
