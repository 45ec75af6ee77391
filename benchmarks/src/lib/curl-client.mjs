/**
 * curl-client: the HTTP client of the "over HTTP" scrape that costs little CPU per byte: one
 * `curl` process per request (curl is a C program, as Prometheus, the real scraper, is a compiled
 * one), started at the lowest CPU priority (`nice -n 19`) so that on a 2-core machine it does not
 * take a CPU from the server it measures. The body is written to /dev/null as it arrives and not
 * decompressed (Prometheus decompresses, not the server). A new connection per request, for every
 * server alike.
 *
 * Each curl first fetches a gate URL served here, held open until `ready()` has resolved (the
 * server's probe is open), then the scrape URL (`--next`): curl's start (exec, loading libcurl,
 * a few ms of CPU) happens before the measured window, not inside it.
 * Time: curl's own clock for the scrape transfer, from the moment the connection is ready to send
 * the request (`time_pretransfer`) to the last byte read (`time_total`): request to last byte,
 * without the TCP connect.
 * Why not the Node client (fetch-client.mjs): node:http spends 17-22 ms of CPU reading a 25 MB
 * body whichever server sends it, so at 10k series it, not the server, set the pace (issue #16).
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';

/** CURL_CLIENT: the name of this client in results. */
export const CURL_CLIENT = 'curl';

let gate;
/** The gate server: answers each request once the callback registered for it has resolved. */
async function gateUrl() {
  if (gate === undefined) {
    const waiting = [];
    const server = createServer((req, res) => {
      const next = waiting.shift();
      Promise.resolve(next?.()).then(() => res.end('go'), () => res.end('go'));
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    server.unref();
    gate = { url: `http://127.0.0.1:${server.address().port}/gate`, waiting };
  }
  return gate;
}

/**
 * curlOnce: one GET of `url` with `Accept-Encoding: <encoding>`, sent once `ready()` (called when
 * curl is up) has resolved; resolves `{ ms, bytes }` (bytes on the wire).
 */
export async function curlOnce(url, encoding, ready = () => undefined) {
  const { url: gateAt, waiting } = await gateUrl();
  waiting.push(ready);
  const format = '%{http_code} %{size_download} %{time_pretransfer} %{time_total}\\n';
  const args = ['-n', '19', 'curl', '--silent', '--show-error', '--http1.1', '--output', '/dev/null', '--write-out', '-', gateAt];
  args.push('--next', '--http1.1', '--output', '/dev/null', '--header', `accept-encoding: ${encoding}`, '--write-out', format, url);
  return new Promise((resolve, reject) => {
    const child = spawn('nice', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      // The gate transfer writes "-"; the scrape transfer's figures are the last line.
      const [status, size, pretransfer, total] = out.trim().split('\n').at(-1).replace(/^-/, '').split(' ');
      if (code !== 0 || status !== '200') return reject(new Error(`curl ${url} exited ${code}, status ${status}: ${err.trim()}`));
      resolve({ ms: (Number(total) - Number(pretransfer)) * 1000, bytes: Number(size) });
    });
  });
}
