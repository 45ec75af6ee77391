/**
 * curl-client: the HTTP client of the "over HTTP" scrape that costs little CPU per byte: one
 * `curl` process per request (curl is a C program, as Prometheus, the real scraper, is a compiled
 * one), started at the lowest CPU priority (`nice -n 19`) so that on a 2-core machine it does not
 * take a CPU from the server it measures. The body is written to /dev/null as it arrives and not
 * decompressed (Prometheus decompresses, not the server). A new connection per request, for every
 * server alike.
 *
 * Time: curl's own clock, from the moment the connection is ready to send the request
 * (`time_pretransfer`) to the last byte read (`time_total`): request to last byte, without the
 * process start or the TCP connect.
 * Why not the Node client (fetch-client.mjs): node:http spends 17-22 ms of CPU reading a 25 MB
 * body whichever server sends it, so at 10k series it, not the server, set the pace (issue #16).
 */
import { spawn } from 'node:child_process';

/** CURL_CLIENT: the name of this client in results. */
export const CURL_CLIENT = 'curl';

/** curlOnce: one GET of `url` with `Accept-Encoding: <encoding>`; resolves `{ ms, bytes }` (bytes on the wire). */
export function curlOnce(url, encoding) {
  const args = ['-n', '19', 'curl', '--silent', '--show-error', '--http1.1', '--output', '/dev/null', '--header', `accept-encoding: ${encoding}`];
  args.push('--write-out', '%{http_code} %{size_download} %{time_pretransfer} %{time_total}', url);
  return new Promise((resolve, reject) => {
    const child = spawn('nice', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const [status, size, pretransfer, total] = out.trim().split(' ');
      if (code !== 0 || status !== '200') return reject(new Error(`curl ${url} exited ${code}, status ${status}: ${err.trim()}`));
      resolve({ ms: (Number(total) - Number(pretransfer)) * 1000, bytes: Number(size) });
    });
  });
}
