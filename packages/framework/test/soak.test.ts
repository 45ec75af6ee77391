/**
 * soak: removed and reset series give their memory back, on families without a TTL (the bound
 * and why it holds are in soak-suite.ts).
 */
import { soakSuite } from './soak-suite.js';

soakSuite('plain', {});
