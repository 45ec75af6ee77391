/**
 * scrape-family: the family every scrape measurement renders, the same for every library: one
 * histogram with two labels (route, code), 20 buckets, N series with four observations each.
 */
import { VALUE_MASK } from './inputs.mjs';

/** SCRAPE_METRIC: the name of the scrape family. */
/** PRE_RENDERED: the reference server of the HTTP scrape: metricore's body rendered before any request, sent with one `res.end`. */
export const PRE_RENDERED = 'pre-rendered body';
/**
 * PRE_RENDERED_SLICED: metricore's body rendered before any request, sent with the endpoint's own
 * writer (`writeBody`: 1 MiB slices, backpressure, a turn between slices) and no render per
 * request: the write path alone, to set against the live endpoint (render + write) (issue #16).
 */
export const PRE_RENDERED_SLICED = 'pre-rendered body, sliced';
export const SCRAPE_METRIC = 'bench_scrape_request_duration_seconds';

/** fillScrapeFamily: defines the family in `peer` and records four observations into each of `n` series. */
export function fillScrapeFamily(peer, n, values) {
  const h = peer.histogram(SCRAPE_METRIC, ['route', 'code']);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const labels = { route: `/api/v1/projects/${i}/builds`, code: String(200 + (i % 5)) };
    for (let j = 0; j < 4; j++) {
      const v = values[k++ & VALUE_MASK];
      if (peer.name === 'opentelemetry') h.record(v, labels);
      else h.observe(labels, v);
    }
  }
  peer.flush();
}
