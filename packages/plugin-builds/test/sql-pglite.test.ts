// The SQL suite against PGlite (PostgreSQL compiled to WebAssembly, in this process).
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll } from 'vitest';
import { clientOf } from './fixtures.js';
import { sqlSuite } from './sql.suite.js';

let db: PGlite;
beforeAll(async () => {
  db = await PGlite.create();
});
afterAll(async () => {
  await db?.close();
});

sqlSuite('PGlite', () => ({ client: () => clientOf(db), exec: (sql) => db.exec(sql) }));
