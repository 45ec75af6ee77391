/**
 * options: option validation with zod, turned into metricore's coded errors that name the
 * option and the offending value.
 *
 * The framework's own schemas use `zod/mini`, bundled into the framework's build, so importing
 * the framework retains about 0.3 MiB for validation instead of the 3 MiB that `import 'zod'`
 * retains (every locale and the method-chaining API; issue #17). Any zod 4 schema works here,
 * classic or mini, from any copy of zod: the schema's own `safeParse` runs it, and messages come
 * from zod's English locale whatever locale the application configured for its own zod.
 */
import type * as core from 'zod/v4/core';
import en from 'zod/v4/locales/en.js';
import { errors } from './errors.js';

/** ZOD_MESSAGES: zod's English messages, passed to every parse (never set globally). */
const ZOD_MESSAGES = en().localeError;

/** ParseResult: what a zod schema's `safeParse` returns, as far as metricore reads it. */
export type ParseResult<T> = { success: true; data: T } | { success: false; error: { issues: ReadonlyArray<{ path: readonly PropertyKey[]; message: string }> } };

/** validate: runs `schema` (its own `safeParse`) with English messages; config.ts uses it too. */
export function validate<S extends core.$ZodType>(schema: S, value: unknown): ParseResult<core.output<S>> {
  const own = schema as unknown as { safeParse(value: unknown, params: core.ParseContext<core.$ZodIssue>): ParseResult<core.output<S>> };
  return own.safeParse(value, { error: ZOD_MESSAGES });
}

/** parseOptions: validates `value` against `schema`; throws `METRICORE_INVALID_OPTION` naming `where` and the option. */
export function parseOptions<S extends core.$ZodType>(schema: S, value: unknown, where: string): core.output<S> {
  const result = validate(schema, value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue.path.length > 0 ? `option "${issue.path.map(String).join('.')}"` : 'options';
  throw errors.invalidOption(where, `${path}: ${issue.message}`);
}
