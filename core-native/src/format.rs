//! The exposition formats' pieces: the two formats, family headers, sample starts, number
//! formatting and HELP escaping (label values are escaped in labels.rs, once per series).
//!
//! Floats follow what Prometheus' Go parser reads back exactly: integers without a fraction, the
//! shortest round-trip representation otherwise (ryu), and `+Inf`, `-Inf`, `NaN` spelled out.

use crate::definition::Kind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Text,
    OpenMetrics,
}

pub(crate) const TEXT_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
pub(crate) const OPENMETRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The family name OpenMetrics wants: a counter's without its `_total` suffix.
pub(crate) fn family_name(def_name: &str, kind: Kind, format: Format) -> &str {
    match (kind, format) {
        (Kind::Counter, Format::OpenMetrics) => def_name.strip_suffix("_total").unwrap_or(def_name),
        _ => def_name,
    }
}

pub(crate) fn write_header(out: &mut Vec<u8>, name: &str, help: &str, kind: Kind, unit: Option<&str>, format: Format) {
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
pub(crate) fn write_sample_start(out: &mut Vec<u8>, name: &[u8], suffix: &[u8], labels: &str) {
    out.extend_from_slice(name);
    out.extend_from_slice(suffix);
    if !labels.is_empty() {
        out.push(b'{');
        out.extend_from_slice(labels.as_bytes());
        out.push(b'}');
    }
    out.push(b' ');
}

/// Largest magnitude below which an integral f64 is printed as an integer (2^53: exact in f64).
const EXACT_INT_LIMIT: f64 = 9_007_199_254_740_992.0;

/// Appends `v` as Prometheus writes floats: `+Inf`, `-Inf`, `NaN`, `3`, `0.25`, `1e-300`, `1.5e+21`.
pub(crate) fn write_f64(out: &mut Vec<u8>, v: f64) {
    if v.is_nan() {
        out.extend_from_slice(b"NaN");
    } else if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"+Inf" } else { b"-Inf" });
    } else if v == v.trunc() && v.abs() < EXACT_INT_LIMIT {
        if v == 0.0 && v.is_sign_negative() {
            out.extend_from_slice(b"-0");
        } else {
            let mut buf = itoa::Buffer::new();
            out.extend_from_slice(buf.format(v as i64).as_bytes());
        }
    } else {
        let mut buf = ryu::Buffer::new();
        let s = buf.format_finite(v);
        // ryu writes "1e21"; Go writes "1e+21". Both parse; we keep Go's spelling for familiarity.
        match s.find('e') {
            Some(pos) if !s[pos + 1..].starts_with('-') => {
                out.extend_from_slice(&s.as_bytes()[..=pos]);
                out.push(b'+');
                out.extend_from_slice(&s.as_bytes()[pos + 1..]);
            }
            // ryu writes large integral values as "9007199254740992.0"; the ".0" adds nothing.
            _ => out.extend_from_slice(s.strip_suffix(".0").unwrap_or(s).as_bytes()),
        }
    }
}

/// Appends an unsigned integer count.
pub(crate) fn write_u64(out: &mut Vec<u8>, v: u64) {
    let mut buf = itoa::Buffer::new();
    out.extend_from_slice(buf.format(v).as_bytes());
}

/// Formats a float into a new `String` (used for `le` labels, prepared once per family).
pub(crate) fn f64_to_string(v: f64) -> String {
    let mut out = Vec::with_capacity(24);
    write_f64(&mut out, v);
    String::from_utf8(out).expect("formatted float is ASCII")
}

/// Escapes HELP text. Text 0.0.4 escapes backslash and newline; OpenMetrics also escapes `"`.
pub(crate) fn escape_help(help: &str, openmetrics: bool, out: &mut Vec<u8>) {
    for ch in help.chars() {
        match ch {
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '"' if openmetrics => out.extend_from_slice(b"\\\""),
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(v: f64) -> String {
        let mut out = Vec::new();
        write_f64(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn formats_special_and_ordinary_floats() {
        assert_eq!(fmt(f64::INFINITY), "+Inf");
        assert_eq!(fmt(f64::NEG_INFINITY), "-Inf");
        assert_eq!(fmt(f64::NAN), "NaN");
        assert_eq!(fmt(0.0), "0");
        assert_eq!(fmt(-0.0), "-0");
        assert_eq!(fmt(3.0), "3");
        assert_eq!(fmt(-42.0), "-42");
        assert_eq!(fmt(0.25), "0.25");
        assert_eq!(fmt(0.005), "0.005");
        assert_eq!(fmt(1e-300), "1e-300");
        assert_eq!(fmt(1.5e21), "1.5e+21");
        assert_eq!(fmt(9_007_199_254_740_993.0), "9007199254740992");
        assert_eq!(fmt(1e300), "1e+300");
        assert_eq!(fmt(f64::MAX), "1.7976931348623157e+308");
        assert_eq!(fmt(5e-324), "5e-324");
    }

    #[test]
    fn formatted_floats_round_trip() {
        for v in [0.1, 1.0 / 3.0, 123456.789, 1e-9, 2.5e-7, 6.02214076e23, -7.25] {
            assert_eq!(fmt(v).parse::<f64>().unwrap(), v, "{v}");
        }
    }

    #[test]
    fn escapes_help_per_format() {
        let mut text = Vec::new();
        escape_help("say \"hi\"\\\nnext", false, &mut text);
        assert_eq!(String::from_utf8(text).unwrap(), "say \"hi\"\\\\\\nnext");
        let mut om = Vec::new();
        escape_help("say \"hi\"", true, &mut om);
        assert_eq!(String::from_utf8(om).unwrap(), "say \\\"hi\\\"");
    }
}
