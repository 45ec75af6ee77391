import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  shims: true,
  target: 'node20',
  sourcemap: true,
  // Frameworks are optional peers, loaded lazily by their adapter: never bundle them.
  external: ['@metricore/framework', 'express', 'fastify', 'koa', '@koa/router'],
});
