//! Reading a family's current values as plain data (for prom-client interop and tests).

use crate::family::Family;
use crate::labels::unescape_labels;
use crate::series::{Cells, Series};

pub(crate) struct SeriesValues {
    pub(crate) label_values: Vec<String>,
    /// Counter or gauge value; a histogram's sum.
    pub(crate) value: f64,
    /// Cumulative bucket counts, `+Inf` last; empty for counters and gauges.
    pub(crate) buckets: Vec<f64>,
    pub(crate) count: f64,
}

fn series_values(series: &Series, label_values: Vec<String>) -> SeriesValues {
    match series.cells() {
        Cells::Counter(c) => SeriesValues { label_values, value: c.get(), buckets: vec![], count: 0.0 },
        Cells::Gauge(g) => SeriesValues { label_values, value: g.get(), buckets: vec![], count: 0.0 },
        Cells::Histogram(h) => {
            let snap = h.snapshot();
            let mut cumulative = 0u64;
            let buckets = snap
                .buckets
                .iter()
                .map(|c| {
                    cumulative += c;
                    cumulative as f64
                })
                .collect();
            SeriesValues { label_values, value: snap.sum, buckets, count: cumulative as f64 }
        }
    }
}

pub(crate) fn family_values(family: &Family) -> Vec<SeriesValues> {
    // Lock order: the family lock (taken and released by `series()`) before the values lock, as
    // binding and rendering take them; the other order deadlocks against a bind on another thread.
    let series = family.series();
    let values = family.label_values();
    let mut ids = Vec::new();
    let mut out = Vec::new();
    for s in series {
        // A series retired since the list was taken is left out, as rendering does.
        if s.read_key(&mut ids) {
            out.push(series_values(s, unescape_labels(&values.pairs(&ids))));
        }
    }
    out
}
