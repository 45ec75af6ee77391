// run-snippet: runs one documentation snippet as a program, then ends the process once its top-level
// code has finished and the event loop has had a moment for what it started (a snippet that
// serves /metrics would otherwise run forever). A throw or an unhandled rejection exits non-zero.
import { pathToFileURL } from 'node:url';

await import(pathToFileURL(process.argv[2]).href);
setTimeout(() => process.exit(process.exitCode ?? 0), 500);
