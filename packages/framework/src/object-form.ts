/**
 * object-form: a family's own recording method (`inc`, `dec`, `set`, `observe`), generated per
 * family so the label walk of `inc(labels)` sits in code of its own.
 *
 * Why: shared prototype methods funnel every family through one call site (`lookup(...)` inside the
 * label binder), whose callee is a different generated walk per family. With several labelled
 * families in a process that site goes megamorphic: V8 stops inlining the walk, and
 * `counter.inc(labels)` went from 12.2 ns (one labelled family in the process) to 19.5 ns (six,
 * every one warmed; 2-label counter, one pre-built label object, medians of 11 rounds of 1M calls,
 * Node 20, Float64Array floor 3.4 ns). A method per family makes the user's call site, which sees
 * one family, the only dispatch: monomorphic, and the walk is inlined into the user's loop.
 * The method closes over its family, so it also works detached (`const inc = counter.inc`).
 */
import { MANY, walkSource, type LabelNode } from './label-tree.js';

/** The parts of a recording method that do not depend on the label names. */
export interface ObjectFormParts {
  /** other: any first argument that is not an object: `inc()`, `inc(5)`, `observe(v)`, or bad input to count. */
  other(a: unknown, b: number | undefined): void;
  /** hit: a label object whose leaf is cached, with the call's second argument. */
  hit(leaf: unknown, b: number | undefined): void;
  /** miss: a label object not cached (first sample of a label set, a folded one, or bad labels). */
  miss(labels: object, b: number | undefined): void;
}

/** The label cache a method walks: its root can be replaced (a reset), so it is read on each call. */
export interface LabelRoot {
  readonly root: LabelNode;
}

/**
 * compileObjectForm: the recording method `method` of one family. Its source names the family id
 * and the method, so no two methods in the process share compiled code or type feedback: with a
 * source shared by families of the same label names (V8 caches compiled `new Function` sources),
 * `inc(labels)` of one of three such counters, all warmed, measured 12.1-12.7 ns against 8.3-8.5 ns
 * with one warmed (three processes each, load average about 1).
 */
export function compileObjectForm(
  familyId: number,
  method: string,
  labelNames: readonly string[],
  cache: LabelRoot,
  parts: ObjectFormParts,
): (a?: unknown, b?: number) => void {
  const { other, hit, miss } = parts;
  const walk = labelNames.length === 0 ? '' : `let n = cache.root, v, m, i;\nwalk: {\n${walkSource(labelNames)}return hit(n, b);\n}\n`;
  const body = `if (typeof a === 'object' && a !== null) {\nconst labels = a;\n${walk}return miss(a, b);\n}\nreturn other(a, b);`;
  return new Function('MANY', 'cache', 'other', 'hit', 'miss', `return function ${method}(a, b) {\n${body}\n};\n// family ${familyId}`)(MANY, cache, other, hit, miss) as (
    a?: unknown,
    b?: number,
  ) => void;
}
