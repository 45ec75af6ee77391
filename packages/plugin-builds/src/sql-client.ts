/**
 * sql-client: the database client the SQL source takes (anything with `query(text, params)`), and
 * how one query runs under a statement timeout on each kind of client.
 */

/** SqlRow: one result row, column name to value (pg returns bigint counts as strings). */
export type SqlRow = Record<string, unknown>;

/** SqlClient: any client with `query(text, params) -> Promise<{ rows }>`: pg's Pool or Client, PGlite, or your own. */
export interface SqlClient {
  query(text: string, params?: unknown[]): Promise<{ rows: SqlRow[] }>;
}

/** PoolLike: a pool (pg's `Pool`): each query runs on one checked-out connection in its own transaction. */
interface PoolLike extends SqlClient {
  connect(): Promise<SqlClient & { release(error?: Error | boolean): void }>;
}

/** TransactionLike: a client with `transaction(fn)` (PGlite), which holds the connection for `fn`. */
interface TransactionLike extends SqlClient {
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T>;
}

const SET_TIMEOUT = "SELECT set_config('statement_timeout', $1, true)";

/** TimeoutError: the client-side deadline passed before the database answered. */
export class QueryTimeoutError extends Error {
  constructor(readonly query: string, readonly timeoutMs: number) {
    super(`SQL query "${query}" gave no answer within ${timeoutMs} ms`);
  }
}

/**
 * runQuery: runs `text` with `SET LOCAL statement_timeout` in a transaction of its own (pg Pool:
 * a checked-out connection; PGlite: `transaction()`), so PostgreSQL cancels a slow query itself.
 * A plain client (pg `Client`) gets no transaction (its connection may be shared with the
 * application). Whatever the client, the promise rejects with QueryTimeoutError after
 * `timeoutMs` plus a grace of 100 ms, or when `signal` aborts. PGlite enforces no statement_timeout
 * and runs each query synchronously on the JS thread: a slow query there blocks the event loop
 * until it ends, and its late result is then discarded as a timeout.
 */
export async function runQuery(client: SqlClient, name: string, text: string, params: unknown[], timeoutMs: number, signal: AbortSignal): Promise<SqlRow[]> {
  const timeout = String(Math.max(1, Math.round(timeoutMs)));
  let run: Promise<{ rows: SqlRow[] }>;
  if (typeof (client as TransactionLike).transaction === 'function') {
    run = (client as TransactionLike).transaction(async (tx) => {
      await tx.query(SET_TIMEOUT, [timeout]);
      return tx.query(text, params);
    });
  } else if (typeof (client as PoolLike).connect === 'function' && isPool(client)) {
    run = onConnection(client as PoolLike, text, params, timeout);
  } else {
    run = client.query(text, params);
  }
  return withDeadline(run, name, timeoutMs + 100, signal).then((r) => r.rows);
}

/** isPool: pg's Pool has `totalCount`; a pg Client has `connect()` too but it opens the client itself. */
function isPool(client: SqlClient): boolean {
  return typeof (client as { totalCount?: unknown }).totalCount === 'number';
}

async function onConnection(pool: PoolLike, text: string, params: unknown[], timeout: string): Promise<{ rows: SqlRow[] }> {
  const conn = await pool.connect();
  let broken: Error | undefined;
  try {
    await conn.query('BEGIN');
    await conn.query(SET_TIMEOUT, [timeout]);
    const result = await conn.query(text, params);
    await conn.query('COMMIT');
    return result;
  } catch (error) {
    broken = error as Error;
    await conn.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    // A connection that failed mid-transaction is thrown away rather than handed to the next caller.
    conn.release(broken);
  }
}

/**
 * withDeadline: rejects with QueryTimeoutError when `ms` pass or `signal` aborts first. A result
 * that arrives late anyway (PGlite runs a query synchronously on this thread, so no timer can fire
 * before it returns) is discarded the same way, so a slow query loses its families on every client.
 */
function withDeadline<T>(work: Promise<T>, name: string, ms: number, signal: AbortSignal): Promise<T> {
  const started = performance.now();
  return new Promise<T>((resolve, reject) => {
    const fail = () => {
      clearTimeout(timer);
      reject(new QueryTimeoutError(name, ms));
    };
    const timer = setTimeout(fail, ms);
    if (signal.aborted) fail();
    signal.addEventListener('abort', fail, { once: true });
    work.then(
      (value) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', fail);
        if (performance.now() - started > ms) reject(new QueryTimeoutError(name, ms));
        else resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', fail);
        reject(error);
      },
    );
  });
}
