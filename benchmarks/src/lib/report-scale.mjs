/**
 * report-scale: the report's sections and target verdicts for the scale scenarios (issue #16):
 * scrape (in process and over HTTP), memory per series with its breakdown, and thread scaling.
 */

const fmt = (n, digits = 1) => (n == null || Number.isNaN(n) ? '—' : n >= 100 ? n.toFixed(0) : n.toFixed(digits));
const x = (n) => (n == null || Number.isNaN(n) ? '—' : `${n >= 10 ? n.toFixed(0) : n.toFixed(2)}x`);
const range = (s, d = 1) => (s ? `${fmt(s.min, d)}–${fmt(s.max, d)}` : '—');
const bytes = (n) => (n == null ? '—' : n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n} B`);
const mib = (n) => (n == null ? '—' : `${(n / 2 ** 20).toFixed(1)} MiB`);
const lib = (name) => (name === 'metricore' ? '**metricore**' : name);

/** clientOf: the HTTP client a scrape row was fetched with (rows from before the client field: node:http). */
const clientOf = (row) => row.client ?? 'node:http';

function table(head, rows) {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** AFTER_SCRAPE_SLACK_BYTES: how far above its pre-scrape level resident memory may stay and count as "back to baseline". */
export const AFTER_SCRAPE_SLACK_BYTES = 16 * 2 ** 20;

/** scaleTargets: the verdicts of the scrape, memory and threads targets (same shape as report.mjs's). */
export function scaleTargets(results) {
  const s = results.scenarios;
  const out = [];
  const add = (figure, target, measured, met) => out.push({ figure, target, measured, met });
  const http = s.scrape?.http ?? [];
  // Targets are judged with the client that costs least per byte (curl) when the run has it; results
  // of the earlier shape have no client field (node:http) and, earlier still, no worst-block figure.
  const judgedClient = http.some((r) => clientOf(r) === 'curl') ? 'curl' : 'node:http';
  const rowWith = (client, library, series, gzip) => http.find((r) => clientOf(r) === client && r.library === library && r.series === series && r.gzip === gzip && r.worstBlockMs);
  const row = (library, series, gzip) => rowWith(judgedClient, library, series, gzip);
  for (const series of [...new Set(http.map((r) => r.series))].sort((a, b) => a - b)) {
    const big = series >= 100_000;
    const blockLimit = big ? 5 : 1;
    const speedTarget = big ? 20 : 25;
    for (const gzip of [false, true]) {
      const m = row('metricore', series, gzip);
      const p = row('prom-client', series, gzip);
      if (!m) continue;
      const speed = p ? p.totalMs.median / m.totalMs.median : null;
      // The reference (no work per request) shows what the client and the socket allow in this run.
      const ref = row('pre-rendered body', series, gzip);
      const refText = ref && p ? `; the pre-rendered reference ${fmt(ref.totalMs.median)} ms = ${x(p.totalMs.median / ref.totalMs.median)}` : '';
      // The same requests with the Node client, for comparison (not judged).
      const mn = judgedClient === 'curl' ? rowWith('node:http', 'metricore', series, gzip) : undefined;
      const pn = mn && rowWith('node:http', 'prom-client', series, gzip);
      const nodeText = mn && pn ? `; with the node:http client ${fmt(mn.totalMs.median)} vs ${fmt(pn.totalMs.median)} ms = ${x(pn.totalMs.median / mn.totalMs.median)}, worst block ${fmt(mn.worstBlockMs.median, 2)} ms` : '';
      add(
        `scrape over HTTP, ${series.toLocaleString('en')} series x 20 buckets, ${gzip ? 'gzip' : 'plain'}`,
        `worst event-loop block ≤ ${blockLimit} ms; ≥ ${speedTarget}x faster than prom-client`,
        `client ${judgedClient}: worst block ${fmt(m.worstBlockMs.median, 2)} ms (max ${fmt(m.worstBlockMs.max, 2)}${m.idleWorstBlockMs ? `; idle ${fmt(m.idleWorstBlockMs.median, 2)}` : ''}${m.waitCpuMs ? `; JS thread on a CPU ${fmt(m.onCpuMs.median, 1)} ms, waiting for one ${fmt(m.waitCpuMs.median, 1)} ms` : ''}); ${fmt(m.totalMs.median)} ms vs prom-client ${fmt(p?.totalMs.median)} ms = ${x(speed)}${refText}${nodeText}`,
        m.worstBlockMs.median <= blockLimit && speed !== null && speed >= speedTarget,
      );
      if (big && m.peakGrowthBytes) {
        const peakOk = m.peakGrowthBytes.median <= 2 * m.plainBytes;
        const afterOk = m.afterGrowthBytes.median <= AFTER_SCRAPE_SLACK_BYTES;
        add(
          `resident memory of a ${series.toLocaleString('en')}-series scrape, ${gzip ? 'gzip' : 'plain'}`,
          `peak ≤ 2x the body (${bytes(m.plainBytes)}) above the pre-scrape level; after, within ${mib(AFTER_SCRAPE_SLACK_BYTES)} of the level before the first scrape`,
          `peak +${mib(m.peakGrowthBytes.median)}; after +${mib(m.afterGrowthBytes.median)}`,
          peakOk && afterOk,
        );
      }
    }
  }
  const mem = s.memory?.rows ?? [];
  if (mem.length) {
    const largest = Math.max(...mem.map((r) => r.series));
    const m = mem.find((r) => r.library === 'metricore' && r.series === largest);
    const p = mem.find((r) => r.library === 'prom-client' && r.series === largest);
    const n = mem.find((r) => r.library === 'metricore (native core only)' && r.series === largest);
    const loop = mem.find((r) => r.library.startsWith('none') && r.series === largest);
    // Judged at rest: right after the loop V8 still holds the young generation it grew (memory.bench.mjs).
    const at = (row) => (row?.atRest ?? row)?.rssBytesPerSeries.median;
    const after = m.atRest ? `, right after the loop ${fmt(m.rssBytesPerSeries.median, 0)} B with new space ${fmt(m.newSpaceBytes.median / 1048576, 0)} MiB` : '';
    add(
      `memory per ${m.labels ?? 2}-label 20-bucket series (${largest.toLocaleString('en')} series${m.atRest ? ', at rest' : ''})`,
      '≤ 400 B resident (moonshot 256 B)',
      `resident ${fmt(at(m), 0)} B (JS heap ${fmt((m.atRest ?? m).heapBytesPerSeries.median, 0)} B${n ? `, native core alone ${fmt(at(n), 0)} B` : ''}${loop ? `, the measuring loop alone ${fmt(at(loop), 0)} B` : ''}${after}); prom-client ${fmt(at(p), 0)} B${p?.atRest ? ` (right after ${fmt(p.rssBytesPerSeries.median, 0)} B)` : ''}`,
      at(m) <= 400,
    );
  }
  const thr = s.threads;
  if (thr?.rows?.length === 2) {
    const exact = thr.rows.every((r) => r.exact);
    const floor = thr.floorSpeedup === undefined ? '' : ` (plain typed-array floor, nothing shared, same run: ${x(thr.floorSpeedup)}; metricore/floor ${fmt(thr.speedup / thr.floorSpeedup, 2)})`;
    add('2 worker_threads into one family', '≥ 1.8x one thread; totals exact', `${x(thr.speedup)} one thread${floor}; totals ${exact ? 'exact' : 'NOT exact'}`, thr.speedup >= 1.8 && exact);
  }
  return out;
}

/** scrapeSection: in-process scrape timings, then the over-HTTP table. */
export function scrapeSection(r) {
  const rows = r.rows.map((row) => {
    const prom = r.rows.find((p) => p.library === 'prom-client' && p.series === row.series && p.gzip === row.gzip);
    return [row.series.toLocaleString('en'), lib(row.library), row.gzip ? 'gzip' : 'plain', fmt(row.totalMs.median, 2), range(row.totalMs, 2), fmt(row.blockedMs.median, 2), bytes(row.bytes), x(prom.totalMs.median / row.totalMs.median)];
  });
  const http = r.http.map((row) => {
    const prom = r.http.find((p) => p.library === 'prom-client' && p.series === row.series && p.gzip === row.gzip && clientOf(p) === clientOf(row));
    return [
      row.series.toLocaleString('en'),
      clientOf(row),
      row.library === 'metricore' ? '**metricore** (`host.listen`)' : row.library === 'pre-rendered body' ? 'reference: metricore\'s body rendered before the request, one \`res.end\` (node:http)' : `${row.library} (node:http)`,
      row.gzip ? 'gzip' : 'plain',
      fmt(row.totalMs.median),
      range(row.totalMs),
      x(prom ? prom.totalMs.median / row.totalMs.median : null),
      row.worstBlockMs ? `${fmt(row.worstBlockMs.median, 2)} (max ${fmt(row.worstBlockMs.max, 2)})` : '—',
      row.idleWorstBlockMs ? fmt(row.idleWorstBlockMs.median, 2) : '—',
      fmt(row.blockedMs.median),
      row.onCpuMs ? `${fmt(row.onCpuMs.median, 1)} / ${fmt(row.waitCpuMs.median, 1)}` : '—',
      row.stealMs !== undefined ? `${fmt(row.stealMs, 0)} / ${fmt(row.requestsMs, 0)}` : '—',
      row.peakGrowthBytes ? `+${mib(row.peakGrowthBytes.median)}` : '—',
      row.afterGrowthBytes ? `+${mib(row.afterGrowthBytes.median)}` : '—',
      bytes(row.bytes),
    ];
  });
  return `## Scrape

### In process (ms per scrape, ${r.reps} repetitions after a warm-up)

One histogram family with two labels, N series, four observations each. "total" is the scrape call (metricore: \`host.render()\`; prom-client and forks: \`register.metrics()\`, then \`zlib.gzip\` for gzip; OpenTelemetry: \`reader.collect()\` + \`PrometheusSerializer\`). "loop busy" is the event-loop busy time during the call (event-loop utilisation): work done on the JS thread, not the longest block.

${table(['series', 'library', 'body', 'total median ms', 'min–max', 'loop busy ms', 'body bytes', 'x faster than prom-client'], rows)}

### Over HTTP

Each server runs in a process of its own with the same family (metricore: \`host.listen()\`; prom-client: \`register.metrics()\` in a node:http handler, gzipped with node:zlib's async \`gzip\`), fetched by two clients in turn, request by request, each in a process of its own at the lowest CPU priority (\`nice 19\`), the same way for every server: **curl** (a C program, as Prometheus is a compiled one; one process and one new connection per request; time from the request sent to the last byte read, by curl's own clock: \`time_total − time_pretransfer\`), which the targets are judged with, and the **node:http** client (one long-lived Node process, keep-alive; time from \`request()\` to the response's \`end\`), which spends 17–22 ms of CPU reading a 25 MB body whichever server sends it and so hides part of a fast server's speed on a 2-core machine. Neither client decompresses a gzip body. The server's probe window opens once the client is up, right before the request is sent (curl first fetches a URL from the benchmark process that is held until the window is open, then the scrape with \`--next\`), so a client's start-up is outside it. One warm-up request per client, then the median of the repetitions (100k series: 3). "worst block" is the largest lateness of a 1 ms timer in the server during the request (\`monitorEventLoopDelay\`, resolution 1 ms) — what another request waits at worst.; on a shared 2-core machine it also catches the server being descheduled, so "same probe, idle" runs the probe as long again with no request: the lateness the machine shows anyway. "busy" is the server's event-loop busy time. "JS thread on CPU / waiting" is the server JS thread's time on a CPU and its time runnable but waiting for one (Linux schedstat): a worst block well above the thread's own slices of work, with a large wait, is the machine's other load, not the server's work. "machine steal / requests" is the time the hypervisor kept this VM's vCPUs (all of them) off a real CPU while they had work (\`/proc/stat\` steal, in 10 ms ticks), summed over the requests' windows, against the sum of the requests' times: inside the VM such a pause looks like running or sleeping, so schedstat does not show it, yet a timer is late by it (a 10k-series profile found timer lateness of 4–6 ms with no CPU samples of the server's thread in it). "peak" is the server's resident high-water mark (\`VmHWM\`, reset at the start of each request) above its level at the start; "after" is its resident memory after the request, once collected, above its level before the first scrape. The reference server, where present, sends metricore's body rendered (and gzipped at level 1) before the request with one \`res.end\`: no work per request, so its total time is what that client and the socket allow, and its worst block is the one \`writev\` of the whole body.

${table(['series', 'client', 'server', 'body', 'total median ms', 'min–max', 'x faster than prom-client', 'worst block ms (median, max)', 'same probe, idle', 'busy ms', 'JS thread on CPU / waiting ms', 'machine steal / requests ms', 'peak resident', 'after', 'bytes on the wire'], http)}
`;
}

/** memorySection: bytes per series with the resident/heap breakdown, then the JS heap by kind of object. */
export function memorySection(r) {
  const mib = (b) => (b === undefined ? '—' : fmt(b / 1048576, 0));
  const rows = r.rows.map((row) => {
    const prom = r.rows.find((p) => p.library === 'prom-client' && p.series === row.series);
    const rest = row.atRest;
    return [
      row.series.toLocaleString('en'),
      lib(row.library),
      rest ? `**${fmt(rest.rssBytesPerSeries.median, 0)}**` : '—',
      rest ? range(rest.rssBytesPerSeries, 0) : '—',
      fmt(row.rssBytesPerSeries.median, 0),
      range(row.rssBytesPerSeries, 0),
      rest ? fmt(rest.heapBytesPerSeries.median, 0) : fmt(row.heapBytesPerSeries.median, 0),
      rest ? fmt(rest.heapCommittedBytesPerSeries.median, 0) : row.heapCommittedBytesPerSeries ? fmt(row.heapCommittedBytesPerSeries.median, 0) : '—',
      rest ? fmt(rest.restBytesPerSeries.median, 0) : row.restBytesPerSeries ? fmt(row.restBytesPerSeries.median, 0) : '—',
      row.newSpaceBytes ? `${mib(row.baselineNewSpaceBytes?.median)} / ${mib(row.newSpaceBytes.median)} / ${mib(rest?.newSpaceBytes.median)}` : '—',
      row.library.startsWith('none') ? '—' : x((prom.atRest ?? prom).rssBytesPerSeries.median / (rest ?? row).rssBytesPerSeries.median),
    ];
  });
  const kinds = (r.heapKinds ?? [])
    .map((h) => `**${h.library}**, ${h.series.toLocaleString('en')} series:\n\n${table(['JS object kind', 'bytes per series', 'objects per series'], h.kinds.map((k) => [k.kind, fmt(k.bytesPerSeries, 0), k.countPerSeries == null ? '—' : fmt(k.countPerSeries, 2)]))}`)
    .join('\n\n');
  const marginal = r.nativeMarginal
    ? `\nThe figures above divide all the process grew by N, fixed costs included (the loop's own garbage: the loop-alone row). The marginal cost of a series of metricore's native core alone, resident growth from ${r.nativeMarginal.from.toLocaleString('en')} to ${r.nativeMarginal.to.toLocaleString('en')} series per added series (medians): ${r.nativeMarginal.atRestRssBytesPerSeries === undefined ? '' : `**${fmt(r.nativeMarginal.atRestRssBytesPerSeries, 0)} B** at rest, `}${fmt(r.nativeMarginal.rssBytesPerSeries, 0)} B right after.\n`
    : '';
  const core = r.coreBreakdown;
  const breakdown = core
    ? `\n### What the native core holds per series\n\nmetricore's core per series of this family at 100,000 series, before and after the compact series of issue #16 (arena-held series and cells, interned label values, a map of handles keyed by value ids). Totals measured as glibc's in-use bytes around binding and recording the series (core-native/src/series_memory_tests.rs): **${core.measuredInUseBytes.before} B before, ${core.measuredInUseBytes.after} B after**; items are the sizes in the code and add up to those totals.\n\n${table(['item', 'before (B)', 'after (B)'], core.items.map((i) => [i.item, i.before, i.after]))}\n`
    : '';
  return `## Memory (bytes per 20-bucket series)

Each measurement in a fresh child process (${r.reps} per row): the delta after creating N series of a ${r.rows[0]?.labels ?? 2}-label family (one observation each, applied, scraped once, then collected) over a baseline taken with the library loaded, its family defined and one scrape rendered. Series caps are raised above N. Every child measures twice, the same way for every library: **right after** the loop (collected at once) and **at rest** (idle for 6 s, then the same collection), both against a baseline also taken at rest. The target is judged at rest: while the series are created V8 sees megabytes of objects survive each young-generation collection and doubles its new space (the young generation) up to 16 MB semi-spaces, 32 MiB committed; that is collector capacity sized by recent survival, not data, and V8 gives it back at the first full collection once its allocation throughput over the last 5 s is low, which is what a process that is not creating series sees. "new space" shows it: committed MiB at the baseline / right after / at rest. "resident" is RSS, the only figure that sees native memory; "JS heap used" is V8's live heap; "V8 committed" is V8's heap size (live objects plus free space V8 keeps); "rest" is resident minus V8 committed: native allocations (metricore's core), the allocator's overhead and ArrayBuffers (these three at rest). Committed heap grows in large steps, so at 1k-10k series "rest" can be negative. "metricore (native core only)" binds the same label sets through the core's \`bindAndRecord\` with no JS child cache: the difference to metricore's row is what the JS cache costs. "none (the loop alone)" runs the same loop with no library (label objects and arrays built and dropped): what every row carries besides the library, as V8 keeps some of the pages its garbage touched.

${table(['series', 'library', 'resident at rest B/series', 'min–max', 'resident right after B/series', 'min–max', 'JS heap used B/series', 'V8 committed B/series', 'rest B/series', 'new space MiB (baseline / after / at rest)', 'x less resident than prom-client (at rest)'], rows)}
${marginal}${breakdown}${kinds ? `\n### What the JS heap holds per series\n\nFrom V8 heap snapshots before and after creating the series (one extra child per library): the growth by kind of object, per series.\n\n${kinds}\n` : ''}`;
}

/** threadsSection: 1 and 2 worker_threads recording into one shared series, and the floor's own scaling. */
export function threadsSection(r) {
  const rows = [...r.rows, ...(r.floorRows ?? [])].map((row) => [
    row.subject === 'floor' ? 'floor (own typed array per thread)' : '**metricore** (one shared series)',
    row.threads,
    fmt(row.opsPerSecond.median / 1e6, 2),
    `${fmt(row.opsPerSecond.min / 1e6, 2)}–${fmt(row.opsPerSecond.max / 1e6, 2)}`,
    fmt(row.nsPerOpPerThread.median),
    row.cpuNsPerOp === undefined ? '—' : fmt(row.cpuNsPerOp.median),
    row.waitShare === undefined ? '—' : `${fmt(100 * row.waitShare.median, 0)}%`,
    row.expectedCount === undefined ? '—' : `${row.scrapedCount}/${row.expectedCount}`,
    row.exact === undefined ? '—' : row.exact ? 'yes' : '**no**',
  ]);
  const floor = r.floorSpeedup === undefined ? '' : ` The plain typed-array floor, one histogram per thread with nothing shared, reaches **${x(r.floorSpeedup)}** in the same run: what this machine gives two such loops at all at that moment, so the ceiling for metricore's figure (metricore/floor ${fmt(r.speedup / r.floorSpeedup, 2)}).`;
  const avg = (l) => l.map((v) => fmt(v, 2)).join(', ');
  const load = r.loadAverage ? ` Load average (1, 5, 15 min)${r.loadAverageStart ? ` at the start ${avg(r.loadAverageStart)},` : ''} at the end ${avg(r.loadAverage)}.` : '';
  const sched = r.rows.some((row) => row.cpuNsPerOp)
    ? ` "CPU ns" is each thread's own time on a CPU per observation during the loop, and "waiting" the share of a repetition it was runnable but waiting for a CPU (Linux schedstat, medians over threads and repetitions; read after a 1 ms sleep outside the timed window, which brings a running thread's figures up to date; "waiting" may include the wake-up from that sleep): a 2-thread row whose CPU ns match the 1-thread row's lost its speed-up to waiting, not to contention between the threads.`
    : '';
  return `## Threads (metricore only: prom-client's metrics live in one thread's heap)

Each worker_thread defines the same family in the same registry and records ${r.opsPerThread.toLocaleString('en')} observations into one shared series per repetition, in one function called per repetition that each worker first warms up with short calls (so V8 runs it optimised as a whole, as it runs a user's hot handler, not through on-stack replacement); ${r.reps} repetitions are timed after an untimed one, and the repetitions of the four rows interleave, so each ratio compares runs under the same load of the machine. Speed-up of 2 threads over 1 (the median over repetitions of each repetition's 2-thread throughput over its 1-thread one): **${x(r.speedup)}**.${floor}${load}${sched}

${table(['subject', 'threads', 'M observations/s (median)', 'min–max', 'ns per observation per thread', 'CPU ns per observation per thread', 'waiting for a CPU', 'scraped _count / recorded', 'totals exact'], rows)}
`;
}
