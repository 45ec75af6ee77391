// Setup "child-process": a running child process `child` and the plugin's factory, as the prose around the snippet assumes.
import { spawn } from 'node:child_process';
import processMetrics from '@metricore/plugin-process';

const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 2000)']);
