/**
 * scrape-server: one library's /metrics server with N series, in a process of its own, so each
 * library's resident memory and event loop are measured alone.
 *
 * Run as `node --expose-gc scrape-server.mjs <library> <series>` with an IPC channel. It fills the
 * scrape family, listens on 127.0.0.1:0 and answers `{ type: 'ready', url, baselineRssBytes }`.
 * Then `start` opens a probe window (process-probe.mjs) and `stop` closes it, answering the
 * window's figures plus the resident memory once collected (`settledRssBytes`).
 * metricore serves with `host.listen()`; prom-client the way its README shows, `register.metrics()`
 * in a node:http handler, gzipped with node:zlib's async `gzip` when the client accepts it.
 * PRE_RENDERED serves metricore's body rendered before the first request with one `res.end`;
 * PRE_RENDERED_SLICED the same bytes through the endpoint's writer (`writeBody`, 1 MiB slices).
 */
import { createServer } from 'node:http';
import { promisify } from 'node:util';
import { gzip as gzipCallback, gzipSync } from 'node:zlib';
import { logUniformValues } from './inputs.mjs';
import { createPeer } from './peers.mjs';
import { settledRss, startProbe } from './process-probe.mjs';
import { fillScrapeFamily, PRE_RENDERED, PRE_RENDERED_SLICED } from './scrape-family.mjs';

const gzip = promisify(gzipCallback);
const [library, seriesArg] = process.argv.slice(2);
const preRendered = library === PRE_RENDERED || library === PRE_RENDERED_SLICED;
const peer = await createPeer(preRendered ? 'metricore' : library, `bench-scrape-http-${seriesArg}`);
fillScrapeFamily(peer, Number(seriesArg), logUniformValues());

let url;
if (preRendered) {
  // The reference: metricore's body rendered (and gzipped) before any request, each request one
  // `res.end` of those bytes: no render work at all, so its total time is what the client and the
  // socket allow.
  const plain = Buffer.from(await peer.host.metrics());
  const zipped = gzipSync(plain, { level: 1 });
  await peer.host.close();
  const { writeBody } = await import('@metricore/framework');
  const server = createServer((req, res) => {
    const wantsGzip = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
    const body = wantsGzip ? zipped : plain;
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': body.length, ...(wantsGzip ? { 'content-encoding': 'gzip' } : {}) });
    if (library === PRE_RENDERED_SLICED) writeBody(res, body);
    else res.end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${server.address().port}/metrics`;
} else if (peer.host) {
  ({ url } = await peer.host.listen({ port: 0, host: '127.0.0.1' }));
} else {
  const server = createServer(async (req, res) => {
    const text = await peer.register.metrics();
    const zipped = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
    const body = zipped ? await gzip(text) : text;
    const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    res.writeHead(200, { 'content-type': peer.register.contentType, 'content-length': length, ...(zipped ? { 'content-encoding': 'gzip' } : {}) });
    res.end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${server.address().port}/metrics`;
}

let probe;
process.on('message', async (message) => {
  if (message === 'start') {
    probe = startProbe();
    process.send({ type: 'started' });
  } else if (message === 'stop') {
    const figures = probe.stop();
    process.send({ type: 'stopped', ...figures, settledRssBytes: await settledRss() });
  } else if (message === 'exit') {
    process.exit(0);
  }
});
process.send({ type: 'ready', url, baselineRssBytes: await settledRss() });
