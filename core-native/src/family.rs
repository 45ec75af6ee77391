//! A metric family: its definition, its interned series and its rejected-sample counters.

use crate::errors::CoreError;
use crate::format::{escape_label_value, f64_to_string};
use crate::handle;
use crate::policy::{FamilyPolicy, FoldReason, LabelRule, Weight, OTHER, OVERFLOW};
use crate::series::{Series, SeriesPolicy};
use crate::series_table::SeriesTable;
use crate::snapshot::unescape_labels;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

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

/// Options that bound a family's cardinality (all optional except the series cap).
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// One rule per label, in label order (empty rules when no policy applies).
    pub rules: Vec<LabelRule>,
    /// Series beyond this many fold into one overflow series.
    pub max_series: u32,
    /// Series not recorded into for this long are evicted (None: never).
    pub ttl_ms: Option<u64>,
    /// How often top-N labels are re-ranked.
    pub rerank_interval_ms: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { rules: Vec::new(), max_series: 10_000, ttl_ms: None, rerank_interval_ms: 10_000 }
    }
}

/// How many stale handles of evicted series are remembered so their samples can revive them.
const GRAVEYARD_MIN: usize = 1024;

struct Interned {
    by_labels: HashMap<Arc<str>, u32>,
    /// Live series in creation order: the exposition order.
    ordered: Vec<&'static Series>,
    /// Slots of evicted series, ready for reuse.
    free: Vec<u32>,
    /// Stale handle -> labels of evicted series, oldest first (bounded).
    graveyard: HashMap<u32, Arc<str>>,
    graveyard_order: VecDeque<u32>,
    overflow: Option<u32>,
    policy: Option<FamilyPolicy>,
    last_rerank_ms: u64,
}

pub struct Family {
    pub id: u32,
    pub def: Definition,
    pub limits: Limits,
    /// `le` values prepared once: the bounds formatted, then `+Inf`.
    pub le_values: Vec<String>,
    /// Whether series carry `SeriesPolicy` state (a policy or a TTL).
    pub tracked: bool,
    /// Top-N weighs samples by value (else 1 per sample).
    pub weigh_by_value: bool,
    interned: Mutex<Interned>,
    rejected: [AtomicU64; 4],
    /// Folds per label and reason (`FoldReason` order); the last row counts overflow folds.
    folded: Vec<[AtomicU64; 4]>,
    evicted: AtomicU64,
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

impl Limits {
    pub fn validate(&self, def: &Definition) -> Result<(), CoreError> {
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

/// Milliseconds on the core's monotonic clock.
pub fn now_ms() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64
}

fn load_f64(cell: &AtomicU64) -> f64 {
    f64::from_bits(cell.load(Relaxed))
}

impl Family {
    pub fn new(id: u32, def: Definition, limits: Limits) -> Family {
        let mut le_values: Vec<String> = def.bounds.iter().map(|&b| f64_to_string(b)).collect();
        if def.kind == Kind::Histogram {
            le_values.push("+Inf".to_string());
        }
        let has_rules = limits.rules.iter().any(|r| !r.is_empty());
        let policy = has_rules.then(|| FamilyPolicy::new(limits.rules.clone()));
        let weigh_by_value = match limits.rules.iter().find_map(|r| r.weight) {
            Some(w) => w == Weight::Value,
            None => def.kind == Kind::Counter,
        };
        let folded = (0..=def.label_names.len()).map(|_| Default::default()).collect();
        Family {
            id,
            tracked: has_rules || limits.ttl_ms.is_some(),
            weigh_by_value,
            def,
            limits,
            le_values,
            interned: Mutex::new(Interned {
                by_labels: HashMap::new(),
                ordered: Vec::new(),
                free: Vec::new(),
                graveyard: HashMap::new(),
                graveyard_order: VecDeque::new(),
                overflow: None,
                policy,
                last_rerank_ms: now_ms(),
            }),
            rejected: Default::default(),
            folded,
            evicted: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Interned> {
        self.interned.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn is_dropped(&self, state: &Interned, label: usize) -> bool {
        state.policy.as_ref().is_some_and(|p| p.is_dropped(label))
    }

    /// Escaped `name="value"` pairs of the labels that are not dropped.
    fn escaped_labels(&self, state: &Interned, values: &[String]) -> String {
        let mut out = String::new();
        for (i, (name, value)) in self.def.label_names.iter().zip(values).enumerate() {
            if self.is_dropped(state, i) {
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

    fn count_fold(&self, label: usize, reason: FoldReason) {
        self.folded[label][reason as usize].fetch_add(1, Relaxed);
    }

    fn check_label_count(&self, values: &[String]) -> Result<(), CoreError> {
        if values.len() == self.def.label_names.len() {
            return Ok(());
        }
        Err(CoreError::WrongLabelCount { metric: self.def.name.clone(), expected: self.def.label_names.len(), got: values.len() })
    }

    /// The escaped labels of the overflow series: every label that is not dropped is `__overflow__`.
    fn overflow_labels(&self, state: &Interned) -> String {
        self.escaped_labels(state, &vec![OVERFLOW.to_string(); self.def.label_names.len()])
    }

    /// Returns the handle of the series with these label values, creating it the first time.
    /// The same values always give the same handle while the series lives. With a label policy the
    /// values are mapped first; a handle with the `FOLDED` bit means "folded by top-N right now:
    /// do not cache, record each sample with `record_folded`".
    pub fn bind(&'static self, table: &SeriesTable, values: &[String]) -> Result<u32, CoreError> {
        self.check_label_count(values)?;
        let mut state = self.lock();
        // An unstable (top-N folded) binding counts its folds per sample, in `record_folded`.
        let (mapped, unstable) = self.map_values(&mut state, values, false);
        if unstable {
            return Ok(handle::FOLDED);
        }
        let labels = self.escaped_labels(&state, &mapped);
        self.bind_labels(&mut state, table, labels, Some(&mapped))
    }

    /// Maps values through the policy and counts the folds (always when `per_sample`, else only
    /// for a stable binding, which JS caches and so binds once).
    fn map_values(&self, state: &mut Interned, values: &[String], per_sample: bool) -> (Vec<String>, bool) {
        let Some(policy) = state.policy.as_mut() else { return (values.to_vec(), false) };
        let mapped = policy.map(values);
        if per_sample || !mapped.unstable {
            for &(label, reason) in &mapped.folds {
                self.count_fold(label, reason);
            }
        }
        (mapped.values, mapped.unstable)
    }

    /// Finds or creates the series for already escaped labels; folds into the overflow series
    /// once the family holds `max_series` series.
    fn bind_labels(
        &'static self,
        state: &mut Interned,
        table: &SeriesTable,
        labels: String,
        mapped: Option<&[String]>,
    ) -> Result<u32, CoreError> {
        if let Some(&handle) = state.by_labels.get(labels.as_str()) {
            return Ok(handle);
        }
        if state.ordered.len() >= self.limits.max_series as usize {
            self.count_fold(self.def.label_names.len(), FoldReason::Overflow);
            if let Some(handle) = state.overflow {
                return Ok(handle);
            }
            let overflow_labels = self.overflow_labels(state);
            let handle = self.create(state, table, overflow_labels, None)?;
            state.overflow = Some(handle);
            return Ok(handle);
        }
        self.create(state, table, labels, mapped)
    }

    fn create(
        &'static self,
        state: &mut Interned,
        table: &SeriesTable,
        labels: String,
        mapped: Option<&[String]>,
    ) -> Result<u32, CoreError> {
        // One copy of the escaped labels, shared by the interning map and the series.
        let labels: Arc<str> = Arc::from(labels);
        // The series' own top-N values: its activity counts for them at each re-rank. A folded
        // (`__other__`) value ranks nothing: its samples were counted per value when recorded.
        let ranked: Vec<(usize, Box<str>)> = match (state.policy.as_ref(), mapped) {
            (Some(p), Some(mapped)) => p
                .ranked_values(mapped)
                .into_iter()
                .filter(|(_, v)| v != OTHER && v != OVERFLOW)
                .map(|(i, v)| (i, Box::from(v.as_ref())))
                .collect(),
            _ => Vec::new(),
        };
        let handle = if let Some(slot) = state.free.pop() {
            let series = table.get(slot).expect("freed slots stay in the table");
            series.set_labels(labels.clone());
            let policy = series.policy.as_ref().expect("reused series are tracked");
            *policy.ranked.lock().unwrap_or_else(|e| e.into_inner()) = ranked;
            policy.idle_since_ms.store(now_ms(), Relaxed);
            policy.redirect.store(0, Relaxed);
            policy.last_activity.store(0f64.to_bits(), Relaxed);
            policy.redirected_activity.store(0f64.to_bits(), Relaxed);
            state.ordered.push(series);
            handle::make(slot, policy.generation())
        } else {
            let policy = self.tracked.then(|| {
                let p = SeriesPolicy::new(now_ms());
                *p.ranked.lock().unwrap_or_else(|e| e.into_inner()) = ranked;
                Box::new(p)
            });
            let series: &'static Series = Box::leak(Box::new(Series::new(self, labels.clone(), policy)));
            let slot = table.insert(series).ok_or_else(|| CoreError::TooManySeries { metric: self.def.name.clone() })?;
            state.ordered.push(series);
            handle::make(slot, 0)
        };
        state.by_labels.insert(labels, handle);
        Ok(handle)
    }

    /// Records one sample for a label set that top-N folds right now: counts its activity for
    /// the ranking, then records it into the series the values map to at this moment.
    pub fn record_folded(&'static self, table: &SeriesTable, values: &[String], value: f64) -> Result<Option<u32>, CoreError> {
        self.check_label_count(values)?;
        let mut state = self.lock();
        if let Some(policy) = state.policy.as_mut() {
            let weight = if self.weigh_by_value { value.abs() } else { 1.0 };
            let ranked: Vec<(usize, String)> = policy.ranked_values(values).into_iter().map(|(i, v)| (i, v.into_owned())).collect();
            for (i, v) in ranked {
                if let Some(top) = policy.top[i].as_mut() {
                    top.offer(&v, weight);
                }
            }
        }
        let (mapped, _) = self.map_values(&mut state, values, true);
        let labels = self.escaped_labels(&state, &mapped);
        self.bind_labels(&mut state, table, labels, Some(&mapped)).map(Some)
    }

    /// Resolves a stale handle (its series was evicted): revives the label set it was bound to,
    /// or, if that is forgotten, the overflow series. Returns the live handle.
    pub fn revive(&'static self, table: &SeriesTable, stale: u32) -> Result<u32, CoreError> {
        let mut state = self.lock();
        let labels = state.graveyard.get(&stale).cloned();
        match labels {
            Some(labels) => self.bind_labels(&mut state, table, labels.to_string(), None),
            None => {
                let labels = self.overflow_labels(&state);
                self.bind_labels(&mut state, table, labels, None)
            }
        }
    }

    /// The current handle for each of `handles` (as JS cached them): the same when live, the
    /// revived one, or 0 when the series was evicted (JS drops it from its cache).
    pub fn resolve(&self, handles: &[u32]) -> Vec<u32> {
        let state = self.lock();
        handles
            .iter()
            .map(|&h| {
                if state.graveyard.contains_key(&h) {
                    let labels = &state.graveyard[&h];
                    state.by_labels.get(labels).copied().unwrap_or(0)
                } else {
                    h
                }
            })
            .collect()
    }

    /// Periodic upkeep: re-ranks top-N labels when due and evicts idle series past the TTL.
    pub fn maintain(&'static self, table: &SeriesTable, now: u64) -> Result<(), CoreError> {
        if !self.tracked {
            return Ok(());
        }
        let mut state = self.lock();
        let rerank_due = state.policy.as_ref().is_some_and(|p| p.has_top_n())
            && now.saturating_sub(state.last_rerank_ms) >= self.limits.rerank_interval_ms;
        if rerank_due {
            state.last_rerank_ms = now;
            self.rerank(&mut state, table)?;
        }
        if let Some(ttl) = self.limits.ttl_ms {
            self.evict_idle(&mut state, now, ttl);
        }
        Ok(())
    }

    fn rerank(&'static self, state: &mut Interned, table: &SeriesTable) -> Result<(), CoreError> {
        let by_value = self.weigh_by_value;
        let series: Vec<&'static Series> = state.ordered.clone();
        let policy = state.policy.as_mut().expect("rerank needs a policy");
        // Feed the activity of bound series since the last re-rank into the sketches.
        for s in &series {
            let Some(p) = s.policy.as_ref() else { continue };
            let total = s.cells.activity(by_value) + load_f64(&p.redirected_activity);
            let delta = total - load_f64(&p.last_activity);
            p.last_activity.store(total.to_bits(), Relaxed);
            if delta <= 0.0 {
                continue;
            }
            for (i, v) in p.ranked.lock().unwrap_or_else(|e| e.into_inner()).iter() {
                if let Some(top) = policy.top[*i].as_mut() {
                    top.offer(v, delta);
                }
            }
        }
        let mut changed = false;
        for top in policy.top.iter_mut().flatten() {
            let (admitted, demoted) = top.rerank();
            changed |= !admitted.is_empty() || !demoted.is_empty();
        }
        if !changed {
            return Ok(());
        }
        // Point series whose top-N value lost its place at the series their values now fold to;
        // series whose values all regained their place record into themselves again.
        for s in series {
            let Some(p) = s.policy.as_ref() else { continue };
            let ranked = p.ranked.lock().unwrap_or_else(|e| e.into_inner()).clone();
            if ranked.is_empty() {
                continue;
            }
            let policy = state.policy.as_ref().expect("policy");
            let demoted: Vec<usize> = ranked
                .iter()
                .filter(|(i, v)| policy.top[*i].as_ref().is_some_and(|t| !t.is_admitted(v)))
                .map(|(i, _)| *i)
                .collect();
            if demoted.is_empty() {
                p.redirect.store(0, Relaxed);
                continue;
            }
            let mut values = self.values_of(state, &s.labels());
            for i in demoted {
                values[i] = OTHER.to_string();
            }
            let labels = self.escaped_labels(state, &values);
            let target = self.bind_labels(state, table, labels, None)?;
            if handle::slot(target) != table_slot_of(state, s) {
                p.redirect.store(target, Relaxed);
            }
        }
        Ok(())
    }

    /// Label values of a series read back from its escaped labels, in label order ("" for dropped).
    fn values_of(&self, state: &Interned, labels: &str) -> Vec<String> {
        let mut present = unescape_labels(labels).into_iter();
        (0..self.def.label_names.len())
            .map(|i| if self.is_dropped(state, i) { String::new() } else { present.next().unwrap_or_default() })
            .collect()
    }

    fn evict_idle(&self, state: &mut Interned, now: u64, ttl: u64) {
        let mut evicted = Vec::new();
        state.ordered.retain(|s| {
            let p = s.policy.as_ref().expect("TTL families track series");
            if p.touched.swap(false, Relaxed) {
                p.idle_since_ms.store(now, Relaxed);
                return true;
            }
            if now.saturating_sub(p.idle_since_ms.load(Relaxed)) < ttl {
                return true;
            }
            evicted.push(*s);
            false
        });
        for s in evicted {
            if self.retire(state, s) {
                self.evicted.fetch_add(1, Relaxed);
            }
        }
    }

    /// Takes a series out of the exposition (it must already be out of `ordered`). A tracked
    /// series' slot is reused: its generation moves on and its labels go to the graveyard so a
    /// stale handle revives them. An untracked series stays as a tombstone whose samples revive
    /// its labels (handles carry no generation for it).
    fn retire(&self, state: &mut Interned, s: &'static Series) -> bool {
        let labels = s.labels();
        let Some(old) = state.by_labels.remove(&labels) else { return false };
        if state.overflow == Some(old) {
            state.overflow = None;
        }
        let Some(p) = s.policy.as_ref() else {
            s.mark_removed();
            return true;
        };
        p.generation.store((p.generation() + 1) & handle::GEN_MASK, Relaxed);
        s.cells.reset();
        state.free.push(handle::slot(old));
        state.graveyard.insert(old, labels);
        state.graveyard_order.push_back(old);
        let graveyard_cap = (self.limits.max_series as usize).max(GRAVEYARD_MIN);
        while state.graveyard_order.len() > graveyard_cap {
            if let Some(oldest) = state.graveyard_order.pop_front() {
                state.graveyard.remove(&oldest);
            }
        }
        true
    }

    /// Removes the series of these label values (mapped through the policy) from the exposition.
    /// Returns whether it existed. Recording into it again brings it back, from zero.
    pub fn remove(&'static self, values: &[String]) -> Result<bool, CoreError> {
        self.check_label_count(values)?;
        let mut state = self.lock();
        let mapped = match state.policy.as_mut() {
            Some(p) => p.map_quietly(values),
            None => values.to_vec(),
        };
        let labels = self.escaped_labels(&state, &mapped);
        let Some(position) = state.ordered.iter().position(|s| *s.labels() == *labels) else { return Ok(false) };
        let series = state.ordered.remove(position);
        Ok(self.retire(&mut state, series))
    }

    /// Removes every series of the family (prom-client's `reset()`).
    pub fn clear(&'static self) {
        let mut state = self.lock();
        let all = std::mem::take(&mut state.ordered);
        for s in all {
            self.retire(&mut state, s);
        }
    }

    /// Revives the labels of a removed untracked series; returns the live handle.
    pub fn revive_removed(&'static self, table: &SeriesTable, series: &Series) -> Result<u32, CoreError> {
        let mut state = self.lock();
        self.bind_labels(&mut state, table, series.labels().to_string(), None)
    }

    /// The family's live series in creation order (a copy, so rendering holds no lock).
    pub fn series(&self) -> Vec<&'static Series> {
        self.lock().ordered.clone()
    }

    pub fn series_count(&self) -> usize {
        self.lock().ordered.len()
    }

    pub fn reject(&self, reason: RejectReason) {
        self.rejected[reason as usize].fetch_add(1, Relaxed);
    }

    pub fn rejected(&self, reason: RejectReason) -> u64 {
        self.rejected[reason as usize].load(Relaxed)
    }

    /// Folds counted for `label` (an index; `label_names.len()` means the overflow row).
    pub fn folded(&self, label: usize, reason: FoldReason) -> u64 {
        self.folded[label][reason as usize].load(Relaxed)
    }

    pub fn evicted(&self) -> u64 {
        self.evicted.load(Relaxed)
    }

    /// The number of values the top-N sketches of this family track (bounded by their capacity).
    pub fn tracked_values(&self) -> usize {
        self.lock().policy.as_ref().map_or(0, |p| p.top.iter().flatten().map(|t| t.tracked()).sum())
    }
}

fn table_slot_of(state: &Interned, series: &Series) -> u32 {
    state.by_labels.get(&*series.labels()).map_or(u32::MAX, |&h| handle::slot(h))
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
        let family: &'static Family =
            Box::leak(Box::new(Family::new(0, def(Kind::Counter, &["a", "b"], &[]), Limits::default())));
        let v = |a: &str, b: &str| vec![a.to_string(), b.to_string()];
        let x = family.bind(&table, &v("x", "q\"\n")).unwrap();
        let y = family.bind(&table, &v("y", "z")).unwrap();
        assert_ne!(x, y);
        assert_eq!(family.bind(&table, &v("x", "q\"\n")).unwrap(), x);
        assert_eq!(&*table.get(x).unwrap().labels(), "a=\"x\",b=\"q\\\"\\n\"");
        assert!(matches!(family.bind(&table, &["x".to_string()]), Err(CoreError::WrongLabelCount { .. })));
    }
}
