/**
 * sql-source: runs the GROUP BY queries at scrape time (through the host's `collect` hook), at most
 * once per `minIntervalMs`, each under a statement timeout. A failing or slow query takes only its
 * own families out, is counted in `<prefix>builds_sql_query_errors_total{query,reason}` and logged
 * once per failure streak; the rest of `/metrics` is untouched.
 */
import type { Counter, Logger } from '@metricore/framework';
import { makeTargets, DEFAULT_QUERIES, QUERY_NAMES, type QueryName, type QueryTarget } from './queries.js';
import { QueryTimeoutError, runQuery, type SqlClient } from './sql-client.js';
import { PLUGIN_NAME, type ResolvedSqlOptions } from './options.js';
import type { Families } from './families.js';

interface Query {
  readonly name: QueryName;
  readonly text: string;
  readonly target: QueryTarget;
  failing: boolean;
}

/** SqlSource: the scrape-time SQL collector of one host. */
export class SqlSource {
  private readonly queries: Query[];
  private readonly client: SqlClient;
  private readonly errors: Counter;
  private lastRun = -Infinity;
  private running: Promise<void> | undefined;

  constructor(
    private readonly options: ResolvedSqlOptions,
    families: Families,
    private readonly logger: Logger,
  ) {
    this.client = options.client;
    this.errors = families.sqlErrors;
    const targets = makeTargets(families);
    this.queries = [];
    for (const name of QUERY_NAMES) {
      const text = options.queries[name] ?? DEFAULT_QUERIES[name];
      if (text === false) continue;
      this.queries.push({ name, text, target: targets[name](), failing: false });
      // Zero series from the start, so increase() sees the first failure.
      for (const reason of ['error', 'timeout']) this.errors.inc({ query: name, reason }, 0);
    }
  }

  /**
   * collect: runs every query unless the last run started less than `minIntervalMs` ago (then the
   * values from that run stay). Scrapes that arrive during a run wait for it. Never rejects.
   */
  collect(signal: AbortSignal): Promise<void> {
    if (this.running !== undefined) return this.running;
    const now = performance.now();
    if (now - this.lastRun < this.options.minIntervalMs) return Promise.resolve();
    this.lastRun = now;
    this.running = Promise.all(this.queries.map((q) => this.run(q, signal))).then(
      () => {
        this.running = undefined;
      },
      () => {
        this.running = undefined;
      },
    );
    return this.running;
  }

  private async run(q: Query, signal: AbortSignal): Promise<void> {
    try {
      const rows = await runQuery(this.client, q.name, q.text, [], this.options.statementTimeoutMs, signal);
      q.target.apply(rows);
      if (q.failing) {
        q.failing = false;
        this.logger.warn(`${PLUGIN_NAME}: SQL query "${q.name}" works again`);
      }
    } catch (error) {
      q.target.clear();
      const reason = error instanceof QueryTimeoutError || isStatementTimeout(error) ? 'timeout' : 'error';
      this.errors.inc({ query: q.name, reason });
      if (!q.failing) {
        q.failing = true;
        this.logger.warn(
          `${PLUGIN_NAME}: SQL query "${q.name}" failed (${reason}): ${error instanceof Error ? error.message : String(error)}; its metrics are left out until it succeeds (logged once per failure streak)`,
          error,
        );
      }
    }
  }
}

/** isStatementTimeout: PostgreSQL's query_canceled (57014), which statement_timeout raises. */
function isStatementTimeout(error: unknown): boolean {
  return (error as { code?: unknown }).code === '57014';
}
