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
  // treeshake makes tsup split the CommonJS output with rollup instead of converting esbuild's ESM chunks with
  // sucrase, which rewrote every `?.`/`??` into _optionalChain/_nullishCoalesce helper calls: unlabelled inc()
  // and observe() cost 70-117 ns from require() against 10-15 ns from import (issue #17). test/builds.test.ts
  // checks the CommonJS files stay free of those helpers.
  treeshake: true,
  // zod/mini is bundled and tree-shaken: the schemas' share of zod is about 0.3 MiB of retained heap,
  // where importing the zod package retains 3 MiB (all locales; issue #17). Types still come from zod.
  noExternal: ['zod'],
});
