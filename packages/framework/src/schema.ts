/**
 * schema: the zod/mini builders the framework bundles, exported as `z` so that a plugin builds its
 * option schema (for `parseOptions`) from the framework's copy of zod instead of bundling another:
 * plugin-http's own bundled copy retained about 0.15 MiB of heap at import (measured with
 * --expose-gc after full collections, load average 5; issue #17). Only these builders are shared;
 * a plugin that needs more of zod can still bring its own (`parseOptions` takes any zod 4 schema).
 * Types (`z.infer<typeof schema>`) come from `zod/mini` itself, a type-only import.
 */
export {
  _default,
  any,
  array,
  boolean,
  custom,
  enum,
  int,
  looseObject,
  maxLength,
  maximum,
  minLength,
  minimum,
  number,
  optional,
  positive,
  refine,
  regex,
  startsWith,
  strictObject,
  string,
  tuple,
  union,
  unknown,
} from 'zod/mini';
