/**
 * usercode-cjs: a CommonJS script that loads the packages with require(), as the README's
 * CommonJS users do, and runs the user-code loops (usercode-forms.cjs).
 */
'use strict';

const framework = require('@metricore/framework');
const client = require('prom-client');
const { run } = require('./usercode-forms.cjs');

run({ build: 'cjs', framework, client, argv: process.argv.slice(2) }).then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  },
);
