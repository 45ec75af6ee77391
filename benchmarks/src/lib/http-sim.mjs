/**
 * http-sim: plugin-http's own work per request, in process (not part of `npm run bench`). Each
 * simulated request makes a real IncomingMessage and ServerResponse on one of 16 sockets, gives
 * the response its socket, calls the handler and publishes `http.server.response.finish` as
 * Node's server does (only while someone subscribes, as Node does). Prints ns per request
 * (median and min of 15 rounds of 200,000). Run `bare` and `plugin` as separate processes, in
 * turn, several times: the subscription is process-wide.
 *
 *   taskset -c 1 node benchmarks/src/lib/http-sim.mjs bare|plugin|noactive
 */
import { channel } from 'node:diagnostics_channel';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { summarize } from './stats.mjs';

const mode = process.argv[2] ?? 'plugin';
const finish = channel('http.server.response.finish');
let handler = (req, res) => {
  res.statusCode = 200;
};
if (mode !== 'bare') {
  const { MetricsHost } = await import('@metricore/framework');
  const { default: httpMetrics } = await import('@metricore/plugin-http');
  const plugin = httpMetrics(mode === 'noactive' ? { activeRequests: false } : {});
  new MetricsHost({ plugins: [plugin] });
  handler = plugin.wrap(handler, '/');
}
const sockets = Array.from({ length: 16 }, () => new Socket());
const server = {};
function request(i) {
  const socket = sockets[i & 15];
  const req = new IncomingMessage(socket);
  req.method = 'GET';
  const res = new ServerResponse(req);
  res.assignSocket(socket);
  handler(req, res);
  if (finish.hasSubscribers) finish.publish({ request: req, response: res, socket, server });
  res.detachSocket(socket);
}
const N = 200_000;
const samples = [];
for (let w = 0; w < 3 * N; w++) request(w);
for (let r = 0; r < 15; r++) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) request(i);
  samples.push(Number(process.hrtime.bigint() - t0) / N);
}
const { median, min } = summarize(samples);
console.log(`${mode}: ${median.toFixed(0)} ns per request (min ${min.toFixed(0)})`);
process.exit(0);
