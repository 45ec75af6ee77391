//! A metric family: its definition, its interned series and its rejected-sample counters.

use crate::counter::CounterCell;
use crate::errors::CoreError;
use crate::format::{escape_label_value, f64_to_string};
use crate::gauge::GaugeCell;
use crate::histogram::HistogramCells;
use crate::series::{Cells, Series};
use crate::series_table::SeriesTable;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "counter" => Some(Kind::Counter),
            "gauge" => Some(Kind::Gauge),
            "histogram" => Some(Kind::Histogram),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// Why a sample was dropped instead of recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectReason {
    Nan = 0,
    Infinite = 1,
    Negative = 2,
    InvalidLabels = 3,
}

impl RejectReason {
    pub const ALL: [RejectReason; 4] =
        [RejectReason::Nan, RejectReason::Infinite, RejectReason::Negative, RejectReason::InvalidLabels];

    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::Nan => "nan",
            RejectReason::Infinite => "infinite",
            RejectReason::Negative => "negative",
            RejectReason::InvalidLabels => "invalid_labels",
        }
    }

    pub fn parse(s: &str) -> Option<RejectReason> {
        RejectReason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// What JS asks for when it defines a family.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    pub name: String,
    pub help: String,
    pub unit: Option<String>,
    pub kind: Kind,
    pub label_names: Vec<String>,
    /// Upper bounds without `+Inf`; empty for counters and gauges.
    pub bounds: Vec<f64>,
}

struct Interned {
    by_labels: HashMap<Arc<str>, u32>,
    ordered: Vec<&'static Series>,
}

pub struct Family {
    pub id: u32,
    pub def: Definition,
    /// `le` values prepared once: the bounds formatted, then `+Inf`.
    pub le_values: Vec<String>,
    interned: Mutex<Interned>,
    rejected: [AtomicU64; 4],
}

pub fn is_valid_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

pub fn is_valid_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with("__")
}

impl Definition {
    /// Checks what JS also checks, so the core never stores a definition it cannot render.
    pub fn validate(&self) -> Result<(), CoreError> {
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
    pub fn clash_with(&self, other: &Definition) -> Option<String> {
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

impl Family {
    pub fn new(id: u32, def: Definition) -> Family {
        let mut le_values: Vec<String> = def.bounds.iter().map(|&b| f64_to_string(b)).collect();
        if def.kind == Kind::Histogram {
            le_values.push("+Inf".to_string());
        }
        Family {
            id,
            def,
            le_values,
            interned: Mutex::new(Interned { by_labels: HashMap::new(), ordered: Vec::new() }),
            rejected: Default::default(),
        }
    }

    fn escaped_labels(&self, values: &[String]) -> String {
        let mut out = String::new();
        for (i, (name, value)) in self.def.label_names.iter().zip(values).enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(name);
            out.push_str("=\"");
            escape_label_value(value, &mut out);
            out.push('"');
        }
        out
    }

    /// Returns the handle of the series with these label values, creating it the first time.
    /// The same values always give the same handle, on every thread.
    pub fn bind(&'static self, table: &SeriesTable, values: &[String]) -> Result<u32, CoreError> {
        if values.len() != self.def.label_names.len() {
            return Err(CoreError::WrongLabelCount {
                metric: self.def.name.clone(),
                expected: self.def.label_names.len(),
                got: values.len(),
            });
        }
        let labels = self.escaped_labels(values);
        let mut interned = self.interned.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&id) = interned.by_labels.get(labels.as_str()) {
            return Ok(id);
        }
        let cells = match self.def.kind {
            Kind::Counter => Cells::Counter(CounterCell::new()),
            Kind::Gauge => Cells::Gauge(GaugeCell::new()),
            Kind::Histogram => Cells::Histogram(HistogramCells::new(self.le_values.len())),
        };
        // One copy of the escaped labels, shared by the interning map and the series.
        let labels: Arc<str> = Arc::from(labels);
        let series: &'static Series = Box::leak(Box::new(Series { family: self, labels: labels.clone(), cells }));
        let id = table.insert(series).ok_or_else(|| CoreError::TooManySeries { metric: self.def.name.clone() })?;
        interned.by_labels.insert(labels, id);
        interned.ordered.push(series);
        Ok(id)
    }

    /// The family's series in creation order (a copy, so rendering holds no lock).
    pub fn series(&self) -> Vec<&'static Series> {
        self.interned.lock().unwrap_or_else(|e| e.into_inner()).ordered.clone()
    }

    pub fn series_count(&self) -> usize {
        self.interned.lock().unwrap_or_else(|e| e.into_inner()).ordered.len()
    }

    pub fn reject(&self, reason: RejectReason) {
        self.rejected[reason as usize].fetch_add(1, Relaxed);
    }

    pub fn rejected(&self, reason: RejectReason) -> u64 {
        self.rejected[reason as usize].load(Relaxed)
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

    #[test]
    fn binding_is_stable_and_escapes_once() {
        let table = SeriesTable::new();
        let family: &'static Family = Box::leak(Box::new(Family::new(0, def(Kind::Counter, &["a", "b"], &[]))));
        let v = |a: &str, b: &str| vec![a.to_string(), b.to_string()];
        let x = family.bind(&table, &v("x", "q\"\n")).unwrap();
        let y = family.bind(&table, &v("y", "z")).unwrap();
        assert_ne!(x, y);
        assert_eq!(family.bind(&table, &v("x", "q\"\n")).unwrap(), x);
        assert_eq!(&*table.get(x).unwrap().labels, "a=\"x\",b=\"q\\\"\\n\"");
        assert!(matches!(family.bind(&table, &["x".to_string()]), Err(CoreError::WrongLabelCount { .. })));
    }
}
