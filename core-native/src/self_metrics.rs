//! The core's self-metric families, defined here and nowhere else: their names, types and HELP,
//! and how each is rendered from the counters the families keep. The `metricore_` prefix is
//! reserved for them (the framework refuses user metrics with it; `selfMetricNames` in lib.rs
//! exports this table's names).

use crate::definition::Kind;
use crate::family::{now_ms, Family, TopNChange};
use crate::format::{family_name, write_f64, write_header, write_u64, Format};
use crate::policy::FoldReason;
use crate::series::RejectReason;

/// The prefix no user metric may carry.
pub(crate) const PREFIX: &str = "metricore_";

/// One self-metric family.
pub(crate) struct SelfMetric {
    /// Name as written in text 0.0.4 (a counter's with `_total`).
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
    pub(crate) help: &'static str,
}

pub(crate) const SERIES: SelfMetric =
    SelfMetric { name: "metricore_series", kind: Kind::Gauge, help: "Series currently held per metric family." };
pub(crate) const REJECTED: SelfMetric = SelfMetric {
    name: "metricore_rejected_samples_total",
    kind: Kind::Counter,
    help: "Samples dropped instead of recorded, by metric and reason (nan, infinite, negative, invalid_labels).",
};
pub(crate) const FOLDED: SelfMetric = SelfMetric {
    name: "metricore_label_values_folded_total",
    kind: Kind::Counter,
    help: "Label values folded by the label policy, by family, label and reason (allowlist, topn, length, overflow).",
};
pub(crate) const EVICTED: SelfMetric = SelfMetric {
    name: "metricore_series_evicted_total",
    kind: Kind::Counter,
    help: "Series evicted after their idle TTL, by family.",
};

pub(crate) const TOPN_CHANGES: SelfMetric = SelfMetric {
    name: "metricore_topn_changes_total",
    kind: Kind::Counter,
    help: "Top-N values admitted to or demoted from their own series at a re-rank, by family, label and change (admitted, demoted).",
};
pub(crate) const TOPN_THRESHOLD: SelfMetric = SelfMetric {
    name: "metricore_topn_threshold",
    kind: Kind::Gauge,
    help: "Activity per second (samples, or the recorded value with weight \"value\"; decayed with a half-life of 2 re-rank intervals) a value outside the top N must exceed to take a place at the next re-rank, by family and label.",
};

/// Every self-metric family the core renders, in exposition order.
pub(crate) const ALL: [&SelfMetric; 6] = [&SERIES, &REJECTED, &FOLDED, &EVICTED, &TOPN_CHANGES, &TOPN_THRESHOLD];

fn header(out: &mut Vec<u8>, metric: &SelfMetric, format: Format) {
    write_header(out, family_name(metric.name, metric.kind, format), metric.help, metric.kind, None, format);
}

/// Writes `name{k1="v1",k2="v2"} n` (label values here are metric and label names: no escaping).
fn sample(out: &mut Vec<u8>, metric: &SelfMetric, labels: &[(&str, &str)], n: u64) {
    sample_start(out, metric, labels);
    write_u64(out, n);
    out.push(b'\n');
}

/// `sample` for a float value.
fn sample_f64(out: &mut Vec<u8>, metric: &SelfMetric, labels: &[(&str, &str)], v: f64) {
    sample_start(out, metric, labels);
    write_f64(out, v);
    out.push(b'\n');
}

fn sample_start(out: &mut Vec<u8>, metric: &SelfMetric, labels: &[(&str, &str)]) {
    out.extend_from_slice(metric.name.as_bytes());
    out.push(b'{');
    for (i, (k, v)) in labels.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(b"=\"");
        out.extend_from_slice(v.as_bytes());
        out.push(b'"');
    }
    out.extend_from_slice(b"} ");
}

/// Renders every self-metric family over `families`.
pub(crate) fn render(out: &mut Vec<u8>, families: &[&'static Family], format: Format) {
    header(out, &SERIES, format);
    for family in families {
        sample(out, &SERIES, &[("family", &family.def.name)], family.series_count() as u64);
    }
    header(out, &REJECTED, format);
    for family in families {
        for reason in RejectReason::ALL {
            let n = family.shared.rejected(reason);
            if n > 0 {
                sample(out, &REJECTED, &[("metric", &family.def.name), ("reason", reason.as_str())], n);
            }
        }
    }
    header(out, &FOLDED, format);
    for family in families {
        let labels = family.def.label_names.iter().map(String::as_str).chain(std::iter::once("*"));
        for (i, label) in labels.enumerate() {
            for reason in FoldReason::ALL {
                let n = family.folded(i, reason);
                if n > 0 {
                    sample(out, &FOLDED, &[("family", &family.def.name), ("label", label), ("reason", reason.as_str())], n);
                }
            }
        }
    }
    header(out, &EVICTED, format);
    for family in families.iter().filter(|f| f.limits.ttl_ms.is_some()) {
        sample(out, &EVICTED, &[("family", &family.def.name)], family.evicted());
    }
    let now = now_ms();
    let thresholds: Vec<(&Family, Vec<(usize, f64)>)> = families.iter().map(|f| (*f, f.topn_thresholds(now))).collect();
    header(out, &TOPN_CHANGES, format);
    for (family, labels) in &thresholds {
        for &(i, _) in labels {
            for change in TopNChange::ALL {
                let labels = [("family", family.def.name.as_str()), ("label", family.def.label_names[i].as_str()), ("change", change.as_str())];
                sample(out, &TOPN_CHANGES, &labels, family.topn_changes(i, change));
            }
        }
    }
    header(out, &TOPN_THRESHOLD, format);
    for (family, labels) in &thresholds {
        for &(i, rate) in labels {
            sample_f64(out, &TOPN_THRESHOLD, &[("family", &family.def.name), ("label", &family.def.label_names[i])], rate);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_self_metric_carries_the_reserved_prefix_once() {
        let mut names: Vec<&str> = ALL.iter().map(|m| m.name).collect();
        assert!(names.iter().all(|n| n.starts_with(PREFIX)));
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
    }
}
