/**
 * fetch-client: the HTTP client of the "over HTTP" scrape, in its own process at the lowest CPU
 * priority, so the server's event loop (the one the probe watches) does none of the client's
 * work and, on a 2-core machine, is not descheduled in favour of the client. It stays alive
 * between requests; each IPC message `{ url, reps, encoding }` is answered with the per-request
 * milliseconds (request sent to body fully read) and the body size on the wire.
 */
process.on('message', async ({ url, reps, encoding }) => {
  const ms = [];
  let bytes = 0;
  for (let i = 0; i < reps; i++) {
    const started = performance.now();
    const res = await fetch(url, { headers: { 'accept-encoding': encoding } });
    const body = Buffer.from(await res.arrayBuffer());
    ms.push(performance.now() - started);
    if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}`);
    bytes = Number(res.headers.get('content-length') ?? body.length);
  }
  process.send({ ms, bytes });
});
