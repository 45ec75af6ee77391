//! Label values as the exposition writes them: escaping (once, when a value is interned, see
//! label_values.rs), and reading values back out of `name="value",...` text (the rare paths: snapshots,
//! re-ranking). Both directions live here so they cannot drift apart.

/// Escapes a label value: backslash, double quote and newline (both formats agree).
pub(crate) fn escape_label_value(value: &str, out: &mut String) {
    for ch in value.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// Escaped `name="value"` pairs of the labels `keep` accepts (by index), comma-separated
/// (the text label_values.rs writes from interned values; kept as the tests' reference).
#[cfg(test)]
pub(crate) fn escape_pairs(names: &[String], values: &[String], keep: impl Fn(usize) -> bool) -> String {
    let mut out = String::new();
    for (i, (name, value)) in names.iter().zip(values).enumerate() {
        if !keep(i) {
            continue;
        }
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(name);
        out.push_str("=\"");
        escape_label_value(value, &mut out);
        out.push('"');
    }
    out
}

/// Reads label values back from the escaped `name="value",...` prefix (rare path, no copy kept).
pub(crate) fn unescape_labels(labels: &str) -> Vec<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(v: &str) -> String {
        let mut out = String::new();
        escape_label_value(v, &mut out);
        out
    }

    #[test]
    fn escapes_label_values() {
        assert_eq!(esc("plain"), "plain");
        assert_eq!(esc("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
    }

    #[test]
    fn unescapes_what_binding_escaped() {
        assert_eq!(unescape_labels("a=\"x\",b=\"q\\\"\\n\\\\,=\""), vec!["x", "q\"\n\\,="]);
        assert!(unescape_labels("").is_empty());
    }

    #[test]
    fn pairs_round_trip_and_skip_dropped_labels() {
        let names = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        let values = vec!["x\"".to_string(), "gone".to_string(), "\n\\".to_string()];
        let pairs = escape_pairs(&names, &values, |i| i != 1);
        assert_eq!(pairs, "a=\"x\\\"\",c=\"\\n\\\\\"");
        assert_eq!(unescape_labels(&pairs), vec!["x\"", "\n\\"]);
    }
}
