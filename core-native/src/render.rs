//! Exposition: Prometheus text 0.0.4 and OpenMetrics 1.0.0, written into one byte buffer.
//!
//! Label prefixes were escaped once at binding time; `le` values once per family. Per series we
//! only copy bytes and format numbers (10k series x 20 buckets: ~3 ms, see benchmarks/).

use crate::family::{Family, Kind, RejectReason};
use crate::policy::FoldReason;
use crate::format::{escape_help, write_f64, write_u64};
use crate::registry::Registry;
use crate::series::{Cells, Series};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    OpenMetrics,
}

pub const TEXT_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
pub const OPENMETRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The family name OpenMetrics wants: a counter's without its `_total` suffix.
fn family_name(def_name: &str, kind: Kind, format: Format) -> &str {
    match (kind, format) {
        (Kind::Counter, Format::OpenMetrics) => def_name.strip_suffix("_total").unwrap_or(def_name),
        _ => def_name,
    }
}

fn write_header(out: &mut Vec<u8>, name: &str, help: &str, kind: Kind, unit: Option<&str>, format: Format) {
    let om = format == Format::OpenMetrics;
    out.extend_from_slice(b"# HELP ");
    out.extend_from_slice(name.as_bytes());
    out.push(b' ');
    escape_help(help, om, out);
    out.extend_from_slice(b"\n# TYPE ");
    out.extend_from_slice(name.as_bytes());
    out.push(b' ');
    out.extend_from_slice(kind.as_str().as_bytes());
    out.push(b'\n');
    if let (true, Some(unit)) = (om, unit) {
        out.extend_from_slice(b"# UNIT ");
        out.extend_from_slice(name.as_bytes());
        out.push(b' ');
        out.extend_from_slice(unit.as_bytes());
        out.push(b'\n');
    }
}

/// Writes `name{labels} ` (or `name ` when there are no labels).
fn write_sample_start(out: &mut Vec<u8>, name: &[u8], suffix: &[u8], labels: &str) {
    out.extend_from_slice(name);
    out.extend_from_slice(suffix);
    if !labels.is_empty() {
        out.push(b'{');
        out.extend_from_slice(labels.as_bytes());
        out.push(b'}');
    }
    out.push(b' ');
}

fn render_series(out: &mut Vec<u8>, family: &Family, name: &str, series: &Series, format: Format) {
    let name = name.as_bytes();
    let labels = series.labels();
    match &series.cells {
        Cells::Counter(c) => {
            let suffix: &[u8] = if format == Format::OpenMetrics { b"_total" } else { b"" };
            write_sample_start(out, name, suffix, &labels);
            write_f64(out, c.get());
            out.push(b'\n');
        }
        Cells::Gauge(g) => {
            write_sample_start(out, name, b"", &labels);
            write_f64(out, g.get());
            out.push(b'\n');
        }
        Cells::Histogram(h) => {
            let snap = h.snapshot();
            let mut cumulative = 0u64;
            for (count, le) in snap.buckets.iter().zip(&family.le_values) {
                cumulative += count;
                out.extend_from_slice(name);
                out.extend_from_slice(b"_bucket{");
                if !labels.is_empty() {
                    out.extend_from_slice(labels.as_bytes());
                    out.push(b',');
                }
                out.extend_from_slice(b"le=\"");
                out.extend_from_slice(le.as_bytes());
                out.extend_from_slice(b"\"} ");
                write_u64(out, cumulative);
                out.push(b'\n');
            }
            write_sample_start(out, name, b"_sum", &labels);
            write_f64(out, snap.sum);
            out.push(b'\n');
            write_sample_start(out, name, b"_count", &labels);
            write_u64(out, cumulative);
            out.push(b'\n');
        }
    }
}

fn render_family(out: &mut Vec<u8>, family: &Family, format: Format) {
    let def = &family.def;
    let name = family_name(&def.name, def.kind, format);
    write_header(out, name, &def.help, def.kind, def.unit.as_deref(), format);
    // In text 0.0.4 a counter's samples carry the name as defined (prom-client's convention).
    let sample_name = if format == Format::Text { def.name.as_str() } else { name };
    for series in family.series() {
        render_series(out, family, sample_name, series, format);
    }
}

/// Self-metrics the core computes at render time: series per family and rejected samples.
fn render_self_metrics(out: &mut Vec<u8>, families: &[&'static Family], format: Format) {
    write_header(out, "metricore_series", "Series currently held per metric family.", Kind::Gauge, None, format);
    for family in families {
        out.extend_from_slice(b"metricore_series{family=\"");
        out.extend_from_slice(family.def.name.as_bytes());
        out.extend_from_slice(b"\"} ");
        write_u64(out, family.series_count() as u64);
        out.push(b'\n');
    }
    let sample = "metricore_rejected_samples_total";
    write_header(
        out,
        family_name(sample, Kind::Counter, format),
        "Samples dropped instead of recorded, by metric and reason (nan, infinite, negative, invalid_labels).",
        Kind::Counter,
        None,
        format,
    );
    for family in families {
        for reason in RejectReason::ALL {
            let n = family.rejected(reason);
            if n > 0 {
                out.extend_from_slice(sample.as_bytes());
                out.extend_from_slice(b"{metric=\"");
                out.extend_from_slice(family.def.name.as_bytes());
                out.extend_from_slice(b"\",reason=\"");
                out.extend_from_slice(reason.as_str().as_bytes());
                out.extend_from_slice(b"\"} ");
                write_u64(out, n);
                out.push(b'\n');
            }
        }
    }
}

/// Label-policy self-metrics: folds by family, label and reason, and TTL evictions.
fn render_policy_metrics(out: &mut Vec<u8>, families: &[&'static Family], format: Format) {
    let sample = "metricore_label_values_folded_total";
    write_header(
        out,
        family_name(sample, Kind::Counter, format),
        "Label values folded by the label policy, by family, label and reason (allowlist, topn, length, overflow).",
        Kind::Counter,
        None,
        format,
    );
    for family in families {
        let labels = family.def.label_names.iter().map(String::as_str).chain(std::iter::once("*"));
        for (i, label) in labels.enumerate() {
            for reason in FoldReason::ALL {
                let n = family.folded(i, reason);
                if n == 0 {
                    continue;
                }
                out.extend_from_slice(sample.as_bytes());
                out.extend_from_slice(b"{family=\"");
                out.extend_from_slice(family.def.name.as_bytes());
                out.extend_from_slice(b"\",label=\"");
                out.extend_from_slice(label.as_bytes());
                out.extend_from_slice(b"\",reason=\"");
                out.extend_from_slice(reason.as_str().as_bytes());
                out.extend_from_slice(b"\"} ");
                write_u64(out, n);
                out.push(b'\n');
            }
        }
    }
    let sample = "metricore_series_evicted_total";
    write_header(out, family_name(sample, Kind::Counter, format), "Series evicted after their idle TTL, by family.", Kind::Counter, None, format);
    for family in families.iter().filter(|f| f.limits.ttl_ms.is_some()) {
        out.extend_from_slice(sample.as_bytes());
        out.extend_from_slice(b"{family=\"");
        out.extend_from_slice(family.def.name.as_bytes());
        out.extend_from_slice(b"\"} ");
        write_u64(out, family.evicted());
        out.push(b'\n');
    }
}

/// Renders every family of `registry` except those in `exclude` (families whose collector
/// failed this scrape), then the core's self-metrics, in `format`.
pub fn render(registry: &Registry, format: Format, exclude: &[u32]) -> Vec<u8> {
    let families = registry.families();
    // Sized from the last render of this registry, so the body is written without regrowing.
    let hint = registry.last_render_bytes.load(std::sync::atomic::Ordering::Relaxed);
    let mut out = crate::buffer_pool::take((hint + hint / 8).max(64 * 1024));
    for family in &families {
        if !exclude.contains(&family.id) {
            render_family(&mut out, family, format);
        }
    }
    render_self_metrics(&mut out, &families, format);
    render_policy_metrics(&mut out, &families, format);
    if format == Format::OpenMetrics {
        out.extend_from_slice(b"# EOF\n");
    }
    registry.last_render_bytes.store(out.len(), std::sync::atomic::Ordering::Relaxed);
    out
}

/// Gzips a rendered body (fast level: scrapes are frequent and bodies compress ~10x anyway).
pub fn gzip(body: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(body.len() / 8), flate2::Compression::fast());
    encoder.write_all(body)?;
    encoder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::family::Definition;
    use crate::registry;

    fn define(reg: &str, name: &str, kind: Kind, labels: &[&str], bounds: &[f64], unit: Option<&str>) -> u32 {
        registry::define(
            reg,
            Definition {
                name: name.into(),
                help: "Help with \\ and \"quotes\"\nand a newline.".into(),
                unit: unit.map(Into::into),
                kind,
                label_names: labels.iter().map(|s| s.to_string()).collect(),
                bounds: bounds.to_vec(),
            },
        )
        .unwrap()
        .id
    }

    fn text(reg: &str, format: Format) -> String {
        String::from_utf8(render(registry::registry(reg), format, &[])).unwrap()
    }

    #[test]
    fn renders_text_0_0_4() {
        let reg = "render-text";
        let c = define(reg, "jobs_total", Kind::Counter, &["org"], &[], None);
        let h = define(reg, "build_seconds", Kind::Histogram, &[], &[1.0, 2.5], Some("seconds"));
        let s1 = registry::bind(c, &["a\"b".into()]).unwrap();
        let s2 = registry::bind(h, &[]).unwrap();
        registry::apply(1, &[s1 as f64, 2.0, s2 as f64, 0.5, s2 as f64, 2.0, s2 as f64, 100.0, s2 as f64, f64::NAN]);
        let out = text(reg, Format::Text);
        let expected = "# HELP build_seconds Help with \\\\ and \"quotes\"\\nand a newline.\n\
# TYPE build_seconds histogram\n\
build_seconds_bucket{le=\"1\"} 1\n\
build_seconds_bucket{le=\"2.5\"} 2\n\
build_seconds_bucket{le=\"+Inf\"} 3\n\
build_seconds_sum 102.5\n\
build_seconds_count 3\n\
# HELP jobs_total Help with \\\\ and \"quotes\"\\nand a newline.\n\
# TYPE jobs_total counter\n\
jobs_total{org=\"a\\\"b\"} 2\n";
        assert!(out.starts_with(expected), "{out}");
        assert!(out.contains("metricore_rejected_samples_total{metric=\"build_seconds\",reason=\"nan\"} 1\n"), "{out}");
        assert!(out.contains("metricore_series{family=\"jobs_total\"} 1\n"));
    }

    #[test]
    fn renders_openmetrics_1_0_0() {
        let reg = "render-om";
        let c = define(reg, "jobs_total", Kind::Counter, &[], &[], None);
        let h = define(reg, "build_seconds", Kind::Histogram, &[], &[1.0], Some("seconds"));
        registry::bind(h, &[]).unwrap();
        let s = registry::bind(c, &[]).unwrap();
        registry::apply(1, &[s as f64, 1.0]);
        let out = text(reg, Format::OpenMetrics);
        assert!(out.contains("# TYPE build_seconds histogram\n# UNIT build_seconds seconds\n"), "{out}");
        assert!(out.contains("# HELP jobs Help with \\\\ and \\\"quotes\\\"\\nand a newline.\n# TYPE jobs counter\njobs_total 1\n"), "{out}");
        assert!(out.contains("# TYPE metricore_rejected_samples counter\n"));
        assert!(out.ends_with("# EOF\n"));
    }

    #[test]
    fn excluded_families_are_left_out() {
        let reg = "render-exclude";
        let a = define(reg, "kept", Kind::Gauge, &[], &[], None);
        let b = define(reg, "dropped", Kind::Gauge, &[], &[], None);
        registry::bind(a, &[]).unwrap();
        registry::bind(b, &[]).unwrap();
        let out = String::from_utf8(render(registry::registry(reg), Format::Text, &[b])).unwrap();
        assert!(out.contains("kept 0\n"));
        assert!(!out.contains("# TYPE dropped"));
    }

    #[test]
    fn gzip_round_trips() {
        use std::io::Read;
        let body = b"metric 1\n".repeat(1000);
        let packed = gzip(&body).unwrap();
        let mut unpacked = Vec::new();
        flate2::read::GzDecoder::new(&packed[..]).read_to_end(&mut unpacked).unwrap();
        assert_eq!(unpacked, body);
        assert!(packed.len() < body.len() / 10);
    }
}
