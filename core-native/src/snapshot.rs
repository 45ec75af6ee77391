//! Reading a family's current values as plain data (for prom-client interop and tests).

use crate::family::Family;
use crate::series::{Cells, Series};

pub struct SeriesValues {
    pub label_values: Vec<String>,
    /// Counter or gauge value; a histogram's sum.
    pub value: f64,
    /// Cumulative bucket counts, `+Inf` last; empty for counters and gauges.
    pub buckets: Vec<f64>,
    pub count: f64,
}

/// Reads label values back from the escaped `name="value",...` prefix (rare path, no copy kept).
pub fn unescape_labels(labels: &str) -> Vec<String> {
    let mut values = Vec::new();
    let mut chars = labels.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut value = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some('n') => value.push('\n'),
                    Some(other) => value.push(other),
                    None => {}
                },
                '"' => break,
                c => value.push(c),
            }
        }
        values.push(value);
    }
    values
}

fn series_values(series: &Series) -> SeriesValues {
    let label_values = unescape_labels(&series.labels());
    match &series.cells {
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

pub fn family_values(family: &Family) -> Vec<SeriesValues> {
    family.series().into_iter().map(series_values).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescapes_what_binding_escaped() {
        assert_eq!(unescape_labels("a=\"x\",b=\"q\\\"\\n\\\\,=\""), vec!["x", "q\"\n\\,="]);
        assert!(unescape_labels("").is_empty());
    }
}
