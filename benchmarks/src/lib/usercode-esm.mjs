/**
 * usercode-esm: an ES module that imports the packages as the README shows and runs the
 * user-code loops (usercode-forms.cjs).
 */
import * as framework from '@metricore/framework';
import client from 'prom-client';
import forms from './usercode-forms.cjs';

await forms.run({ build: 'esm', framework, client, argv: process.argv.slice(2) });
process.exit(0);
