//! Exposition: Prometheus text 0.0.4 and OpenMetrics 1.0.0, written into one byte buffer.
//!
//! Label prefixes were escaped once at binding time; `le` values once per family. Per series we
//! only copy bytes and format numbers (10k series x 20 buckets: ~3 ms, see benchmarks/).

use crate::family::Family;
use crate::format::{family_name, write_f64, write_header, write_sample_start, write_u64, Format};
use crate::registry::Registry;
use crate::self_metrics;
use crate::series::{Cells, Series};

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

/// Renders every family of `registry` except those in `exclude` (families whose collector
/// failed this scrape), then the core's self-metrics, in `format`.
pub(crate) fn render(registry: &Registry, format: Format, exclude: &[u32]) -> Vec<u8> {
    let families = registry.families();
    // Sized from the last render of this registry, so the body is written without regrowing.
    let hint = registry.last_render_bytes.load(std::sync::atomic::Ordering::Relaxed);
    let mut out = crate::buffer_pool::take((hint + hint / 8).max(64 * 1024));
    for family in &families {
        if !exclude.contains(&family.id) {
            render_family(&mut out, family, format);
        }
    }
    self_metrics::render(&mut out, &families, format);
    if format == Format::OpenMetrics {
        out.extend_from_slice(b"# EOF\n");
    }
    registry.last_render_bytes.store(out.len(), std::sync::atomic::Ordering::Relaxed);
    out
}

/// Gzips a rendered body (fast level: scrapes are frequent and bodies compress ~10x anyway).
pub(crate) fn gzip(body: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(body.len() / 8), flate2::Compression::fast());
    encoder.write_all(body)?;
    encoder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::{Definition, Kind};
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
        crate::record::apply(1, &[s1 as f64, 2.0, s2 as f64, 0.5, s2 as f64, 2.0, s2 as f64, 100.0, s2 as f64, f64::NAN]);
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
        crate::record::apply(1, &[s as f64, 1.0]);
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
