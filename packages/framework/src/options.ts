/**
 * options: option validation with zod, turned into metricore's coded errors that name the
 * option and the offending value.
 */
import type { z } from 'zod';
import { errors } from './errors.js';

/** parseOptions: validates `value` against `schema`; throws `METRICORE_INVALID_OPTION` naming `where` and the option. */
export function parseOptions<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue.path.length > 0 ? `option "${issue.path.join('.')}"` : 'options';
  throw errors.invalidOption(where, `${path}: ${issue.message}`);
}
