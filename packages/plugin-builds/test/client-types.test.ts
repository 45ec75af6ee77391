// The public client type accepts pg's Pool and Client and PGlite as they are, without a cast
// (the type assertions are checked by `tsc -p tsconfig.test.json`; the suite's PGlite tests pass a live one).
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { expect, expectTypeOf, it } from 'vitest';
import buildsMetrics, { type SqlClient } from '../src/index.js';

it('takes pg Pool, pg Client and PGlite as SqlClient', async () => {
  expectTypeOf<PGlite>().toExtend<SqlClient>();
  expectTypeOf<pg.Pool>().toExtend<SqlClient>();
  expectTypeOf<pg.Client>().toExtend<SqlClient>();
  const pool = new pg.Pool();
  const single = new pg.Client();
  for (const client of [pool, single]) expect(buildsMetrics({ sql: { client } }).name).toBe('@metricore/plugin-builds');
  await pool.end();
});
