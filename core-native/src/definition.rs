//! A family's definition as JS gives it (type, name, help, unit, labels, buckets) and the limits
//! that bound its cardinality, with the validation the core runs before it stores either.

use crate::errors::CoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    pub(crate) fn parse(s: &str) -> Option<Kind> {
        match s {
            "counter" => Some(Kind::Counter),
            "gauge" => Some(Kind::Gauge),
            "histogram" => Some(Kind::Histogram),
            _ => None,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// How top-N measures activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Weight {
    /// Each sample counts 1 (histograms' default).
    Samples,
    /// Each sample counts its value, e.g. bytes (counters' default).
    Value,
}

impl Weight {
    /// Reads `"samples"` or `"value"`; anything else is None (an error for the caller to report).
    pub(crate) fn parse(s: &str) -> Option<Weight> {
        match s {
            "samples" => Some(Weight::Samples),
            "value" => Some(Weight::Value),
            _ => None,
        }
    }
}

/// The rule for one label of one family.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct LabelRule {
    pub(crate) allow: Option<Vec<String>>,
    pub(crate) top_n: Option<u32>,
    pub(crate) drop: bool,
    /// Values longer than this many characters are cut to this length.
    pub(crate) max_length: Option<u32>,
    pub(crate) hysteresis: f64,
    pub(crate) weight: Option<Weight>,
    /// How long the series of a value that lost its top-N place stays exposed (None: the default).
    pub(crate) demoted_ttl_ms: Option<u64>,
}

impl LabelRule {
    pub(crate) fn is_empty(&self) -> bool {
        self.allow.is_none() && self.top_n.is_none() && !self.drop && self.max_length.is_none()
    }
}

/// What JS asks for when it defines a family.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Definition {
    pub(crate) name: String,
    pub(crate) help: String,
    pub(crate) unit: Option<String>,
    pub(crate) kind: Kind,
    pub(crate) label_names: Vec<String>,
    /// Upper bounds without `+Inf`; empty for counters and gauges.
    pub(crate) bounds: Vec<f64>,
}

/// Options that bound a family's cardinality (all optional except the series cap).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Limits {
    /// One rule per label, in label order (empty rules when no policy applies).
    pub(crate) rules: Vec<LabelRule>,
    /// Series beyond this many fold into one overflow series.
    pub(crate) max_series: u32,
    /// Series not recorded into for this long are evicted (None: never).
    pub(crate) ttl_ms: Option<u64>,
    /// How often top-N labels are re-ranked.
    pub(crate) rerank_interval_ms: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { rules: Vec::new(), max_series: 10_000, ttl_ms: None, rerank_interval_ms: 10_000 }
    }
}

pub(crate) fn is_valid_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

pub(crate) fn is_valid_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with("__")
}

impl Definition {
    /// Checks what JS also checks, so the core never stores a definition it cannot render.
    pub(crate) fn validate(&self) -> Result<(), CoreError> {
        let invalid = |detail: String| CoreError::InvalidDefinition { metric: self.name.clone(), detail };
        if !is_valid_metric_name(&self.name) {
            return Err(invalid("is not a valid metric name".into()));
        }
        for (i, label) in self.label_names.iter().enumerate() {
            if !is_valid_label_name(label) {
                return Err(invalid(format!("label name \"{label}\" is not valid")));
            }
            if self.kind == Kind::Histogram && label == "le" {
                return Err(invalid("label \"le\" is reserved for histogram buckets".into()));
            }
            if self.label_names[..i].contains(label) {
                return Err(invalid(format!("label \"{label}\" is listed twice")));
            }
        }
        if self.kind == Kind::Histogram {
            if self.bounds.is_empty() {
                return Err(invalid("a histogram needs at least one bucket".into()));
            }
            if let Some(b) = self.bounds.iter().find(|b| !b.is_finite()) {
                return Err(invalid(format!("bucket {b} is not finite")));
            }
            if let Some(w) = self.bounds.windows(2).find(|w| w[0] >= w[1]) {
                return Err(invalid(format!("buckets must increase strictly, but {} is followed by {}", w[0], w[1])));
            }
        } else if !self.bounds.is_empty() {
            return Err(invalid(format!("a {} has no buckets", self.kind.as_str())));
        }
        Ok(())
    }

    /// Describes how `other` differs in type, labels or buckets, if it does.
    pub(crate) fn clash_with(&self, other: &Definition) -> Option<String> {
        if self.kind != other.kind {
            Some(format!("type {}, not {}", self.kind.as_str(), other.kind.as_str()))
        } else if self.label_names != other.label_names {
            Some(format!("labels [{}], not [{}]", self.label_names.join(","), other.label_names.join(",")))
        } else if self.bounds != other.bounds {
            Some("other buckets".to_string())
        } else {
            None
        }
    }
}

impl Limits {
    pub(crate) fn validate(&self, def: &Definition) -> Result<(), CoreError> {
        let invalid = |detail: String| CoreError::InvalidDefinition { metric: def.name.clone(), detail };
        if !self.rules.is_empty() && self.rules.len() != def.label_names.len() {
            return Err(invalid(format!("{} label rules for {} labels", self.rules.len(), def.label_names.len())));
        }
        if self.max_series == 0 {
            return Err(invalid("maxSeries must be at least 1".into()));
        }
        for (rule, label) in self.rules.iter().zip(&def.label_names) {
            if rule.top_n == Some(0) {
                return Err(invalid(format!("label \"{label}\" topN must be at least 1")));
            }
            if rule.top_n.is_some() && def.kind == Kind::Gauge {
                return Err(invalid(format!("label \"{label}\" topN ranks activity, which a gauge does not have")));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(kind: Kind, labels: &[&str], bounds: &[f64]) -> Definition {
        Definition {
            name: "m".into(),
            help: "h".into(),
            unit: None,
            kind,
            label_names: labels.iter().map(|s| s.to_string()).collect(),
            bounds: bounds.to_vec(),
        }
    }

    #[test]
    fn rejects_bad_definitions() {
        assert!(def(Kind::Histogram, &["le"], &[1.0]).validate().is_err());
        assert!(def(Kind::Histogram, &[], &[]).validate().is_err());
        assert!(def(Kind::Histogram, &[], &[2.0, 1.0]).validate().is_err());
        assert!(def(Kind::Histogram, &[], &[1.0, f64::INFINITY]).validate().is_err());
        assert!(def(Kind::Counter, &["a", "a"], &[]).validate().is_err());
        assert!(def(Kind::Counter, &["__a"], &[]).validate().is_err());
        assert!(def(Kind::Counter, &["le"], &[]).validate().is_ok());
        let mut bad = def(Kind::Gauge, &[], &[]);
        bad.name = "1abc".into();
        assert!(bad.validate().is_err());
    }
}
