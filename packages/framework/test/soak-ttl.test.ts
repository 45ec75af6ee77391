/**
 * soak-ttl: removed and reset series give their memory back, on families with a TTL (the bound
 * and why it holds are in soak-suite.ts).
 */
import { soakSuite } from './soak-suite.js';

soakSuite('ttl', { ttlMs: 3_600_000 });
