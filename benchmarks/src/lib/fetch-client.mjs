/**
 * fetch-client: the node:http client of the "over HTTP" scrape, kept beside curl (curl-client.mjs,
 * the client the targets are judged with) to show what a client costing 17-22 ms of CPU per 25 MB
 * body hides of a server's speed on a 2-core machine. In its own process at the lowest CPU
 * priority, so the server's event loop (the one the probe watches) does none of the client's
 * work and, on a 2-core machine, is not descheduled in favour of the client. It stays alive
 * between requests; each IPC message `{ url, reps, encoding }` is answered with the per-request
 * milliseconds (request sent to body fully read) and the body size on the wire. Bodies are read
 * raw with node:http and dropped as they arrive: a gzipped body is not decompressed (Prometheus
 * does that, not the server), and a chunked body (no Content-Length) is counted as received.
 */
import { request } from 'node:http';

function get(url, encoding) {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { 'accept-encoding': encoding } }, (res) => {
      let bytes = 0;
      res.on('data', (chunk) => (bytes += chunk.length));
      res.on('end', () => (res.statusCode === 200 ? resolve(bytes) : reject(new Error(`GET ${url} answered ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

process.on('message', async ({ url, reps, encoding }) => {
  const ms = [];
  let bytes = 0;
  for (let i = 0; i < reps; i++) {
    const started = performance.now();
    bytes = await get(url, encoding);
    ms.push(performance.now() - started);
  }
  process.send({ ms, bytes });
});
