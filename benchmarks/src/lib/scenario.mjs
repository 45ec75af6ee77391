/**
 * scenario: the entry point every `<scenario>.bench.mjs` file shares.
 *
 * The runner starts each scenario file in its own Node process (so one scenario's garbage and
 * JIT state never leak into the next) with `--quick` and `--out <file>`; the scenario writes its
 * result object there as JSON. A scenario that cannot run here (a package not built yet) returns
 * `{ skipped: reason }` and still exits 0; only a crash exits non-zero.
 */
import { writeFileSync } from 'node:fs';

/** args: the runner's flags. */
export function parseArgs(argv = process.argv.slice(2)) {
  const quick = argv.includes('--quick');
  const outIndex = argv.indexOf('--out');
  return { quick, out: outIndex >= 0 ? argv[outIndex + 1] : undefined };
}

/** log: progress goes to stderr so stdout stays free for child-process protocols. */
export function log(...parts) {
  process.stderr.write(`${parts.join(' ')}\n`);
}

/** runScenario: runs `fn({ quick })`, writes its result to `--out` (or prints it) and exits. */
export async function runScenario(name, fn) {
  const { quick, out } = parseArgs();
  const started = performance.now();
  const result = await fn({ quick });
  result.scenario = name;
  result.runSeconds = (performance.now() - started) / 1000;
  const json = JSON.stringify(result, null, 2);
  if (out) writeFileSync(out, json);
  else process.stdout.write(`${json}\n`);
  // Hosts keep flush timers and servers may linger in libraries; the result is written, so end here.
  process.exit(0);
}
