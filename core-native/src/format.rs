//! Number formatting and escaping for the exposition formats.
//!
//! Floats follow what Prometheus' Go parser reads back exactly: integers without a fraction, the
//! shortest round-trip representation otherwise (ryu), and `+Inf`, `-Inf`, `NaN` spelled out.

/// Largest magnitude below which an integral f64 is printed as an integer (2^53: exact in f64).
const EXACT_INT_LIMIT: f64 = 9_007_199_254_740_992.0;

/// Appends `v` as Prometheus writes floats: `+Inf`, `-Inf`, `NaN`, `3`, `0.25`, `1e-300`, `1.5e+21`.
pub fn write_f64(out: &mut Vec<u8>, v: f64) {
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
pub fn write_u64(out: &mut Vec<u8>, v: u64) {
    let mut buf = itoa::Buffer::new();
    out.extend_from_slice(buf.format(v).as_bytes());
}

/// Formats a float into a new `String` (used for `le` labels, prepared once per family).
pub fn f64_to_string(v: f64) -> String {
    let mut out = Vec::with_capacity(24);
    write_f64(&mut out, v);
    String::from_utf8(out).expect("formatted float is ASCII")
}

/// Escapes a label value: backslash, double quote and newline (both formats agree).
pub fn escape_label_value(value: &str, out: &mut String) {
    for ch in value.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// Escapes HELP text. Text 0.0.4 escapes backslash and newline; OpenMetrics also escapes `"`.
pub fn escape_help(help: &str, openmetrics: bool, out: &mut Vec<u8>) {
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
    fn escapes_label_values() {
        let mut out = String::new();
        escape_label_value("a\\b\"c\nd é 日本", &mut out);
        assert_eq!(out, "a\\\\b\\\"c\\nd é 日本");
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
