//! A metric family: its definition, its label policy, its series lifecycle and the counts of what
//! it folded and evicted. Binding maps label values through the policy, interns them
//! (label_values.rs) and asks the lifecycle (lifecycle.rs) for the series; the lifecycle alone
//! creates and reclaims series.

use crate::definition::{Definition, Kind, Limits, Weight};
use crate::errors::CoreError;
use crate::format::f64_to_string;
use crate::handle;
use crate::label_values::{LabelKey, LabelValues};
use crate::labels::unescape_labels;
use crate::lifecycle::{Lifecycle, Ranked, Revival};
use crate::policy::{FamilyPolicy, FoldReason, OTHER, OVERFLOW};
use crate::series::{Series, Shared};
use crate::series_table::SeriesTable;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

struct State {
    life: Lifecycle,
    policy: Option<FamilyPolicy>,
    last_rerank_ms: u64,
    /// Series whose top-N value lost its place: labels -> (demoted at, how long it stays
    /// exposed). Bounded by the live series; the upkeep retires them through the lifecycle. Each
    /// entry holds a reference to its label values.
    demoted: HashMap<LabelKey, (u64, u64)>,
}

/// Which way a top-N value moved at a re-rank (the `change` label of `metricore_topn_changes_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TopNChange {
    Admitted = 0,
    Demoted = 1,
}

impl TopNChange {
    pub(crate) const ALL: [TopNChange; 2] = [TopNChange::Admitted, TopNChange::Demoted];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            TopNChange::Admitted => "admitted",
            TopNChange::Demoted => "demoted",
        }
    }
}

pub(crate) struct Family {
    pub(crate) id: u32,
    pub(crate) def: Definition,
    pub(crate) limits: Limits,
    /// The end of each `_bucket` line before its count, prepared once: the `le` value (the bound
    /// formatted, then `+Inf`) and `"} ` (render.rs).
    pub(crate) le_tails: Vec<Vec<u8>>,
    /// What the recording path reads; every series of the family points at it.
    pub(crate) shared: Shared,
    /// Whether series carry `SeriesPolicy` state (a policy or a TTL).
    tracked: bool,
    /// Per label: aggregated away by the policy.
    dropped: Vec<bool>,
    /// The labels of the overflow series: every label that is not dropped is `__overflow__`
    /// (interned for good).
    overflow_labels: LabelKey,
    /// The interned label values (label_values.rs), read by rendering without the family lock.
    label_values: Arc<RwLock<LabelValues>>,
    state: Mutex<State>,
    /// Folds per label and reason (`FoldReason` order); the last row counts overflow folds.
    folded: Vec<[AtomicU64; 4]>,
    evicted: AtomicU64,
    /// Top-N admissions and demotions per label (`TopNChange` order).
    topn_changes: Vec<[AtomicU64; 2]>,
}

/// Milliseconds on the core's clock (clock.rs: monotonic, or manual in tests).
pub(crate) use crate::clock::now_ms;

impl Family {
    pub(crate) fn new(id: u32, def: Definition, limits: Limits) -> Family {
        let mut le_values: Vec<String> = def.bounds.iter().map(|&b| f64_to_string(b)).collect();
        if def.kind == Kind::Histogram {
            le_values.push("+Inf".to_string());
        }
        let le_tails = le_values.iter().map(|le| [le.as_bytes(), b"\"} "].concat()).collect();
        let has_rules = limits.rules.iter().any(|r| !r.is_empty());
        let policy = has_rules.then(|| FamilyPolicy::new(limits.rules.clone(), limits.rerank_interval_ms));
        let weigh_by_value = match limits.rules.iter().find_map(|r| r.weight) {
            Some(w) => w == Weight::Value,
            None => def.kind == Kind::Counter,
        };
        let dropped: Vec<bool> = (0..def.label_names.len()).map(|i| limits.rules.get(i).is_some_and(|r| r.drop)).collect();
        let kept_names = def.label_names.iter().enumerate().filter(|&(i, _)| !dropped[i]).map(|(_, n)| n.clone()).collect();
        let label_values = Arc::new(RwLock::new(LabelValues::new(kept_names)));
        let overflow_labels = {
            let mut values = label_values.write().unwrap_or_else(|e| e.into_inner());
            let key = values.intern(dropped.iter().filter(|&&d| !d).map(|_| OVERFLOW));
            values.retain(&key);
            key
        };
        let folded = (0..=def.label_names.len()).map(|_| Default::default()).collect();
        let topn_changes = (0..def.label_names.len()).map(|_| Default::default()).collect();
        let tracked = has_rules || limits.ttl_ms.is_some();
        Family {
            id,
            shared: Shared::new(id, def.kind, def.bounds.clone(), weigh_by_value, dropped.iter().filter(|&&d| !d).count()),
            tracked,
            dropped,
            overflow_labels,
            state: Mutex::new(State {
                life: Lifecycle::new(tracked, limits.max_series as usize, label_values.clone()),
                policy,
                last_rerank_ms: now_ms(),
                demoted: HashMap::new(),
            }),
            def,
            limits,
            le_tails,
            folded,
            evicted: AtomicU64::new(0),
            topn_changes,
            label_values,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The values of the labels that are not dropped.
    fn kept<'a>(&'a self, values: &'a [String]) -> impl Iterator<Item = &'a str> + 'a {
        values.iter().zip(&self.dropped).filter(|(_, &d)| !d).map(|(v, _)| v.as_str())
    }

    /// The key of these label values (those that are not dropped), interning new ones. A key
    /// that no series ends up holding is freed again by `bind_labels`.
    fn key_of(&self, state: &State, values: &[String]) -> LabelKey {
        // Values already interned are found under the read lock, so a bind does not wait for a
        // scrape rendering a piece of this family (which holds the read lock for ~1 MiB). The
        // family lock, held here, keeps them from being freed before the caller retains them.
        if let Some(key) = state.life.values().find(self.kept(values)) {
            return key;
        }
        state.life.values_mut().intern(self.kept(values))
    }

    /// The interned label values, for readers without the family lock (rendering, snapshots).
    pub(crate) fn label_values(&self) -> RwLockReadGuard<'_, LabelValues> {
        self.label_values.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Label values of a series read back from its labels, in label order ("" for dropped).
    fn values_of(&self, state: &State, labels: &[u32]) -> Vec<String> {
        let pairs = state.life.values().pairs(labels);
        let mut present = unescape_labels(&pairs).into_iter();
        self.dropped.iter().map(|&d| if d { String::new() } else { present.next().unwrap_or_default() }).collect()
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

    /// Returns the handle of the series with these label values, creating it the first time.
    /// The same values always give the same handle while the series lives. With a label policy the
    /// values are mapped first. `FOLDED` alone means "folded by top-N right now: do not cache,
    /// record each sample with `record_folded`"; `FOLDED | handle` means "folded into a series
    /// other label sets share (allowlist miss, cut value, overflow): record with `handle`, but do
    /// not cache it per label set beyond a bound" (a stream of distinct values must not grow the
    /// JS cache).
    pub(crate) fn bind(&'static self, table: &SeriesTable, values: &[String]) -> Result<u32, CoreError> {
        self.check_label_count(values)?;
        let mut state = self.lock();
        // An unstable (top-N folded) binding counts its folds per sample, in `record_folded`.
        let (mapped, unstable) = self.map_values(&mut state, values, false);
        if unstable {
            return Ok(handle::FOLDED);
        }
        let shared = mapped != values;
        let labels = self.key_of(&state, &mapped);
        let ranked = self.ranked_of(&state, &mapped);
        let handle = self.bind_labels(&mut state, table, labels, ranked)?;
        // Only a family at its cap can have bound the overflow series.
        let overflowed =
            state.life.len() >= self.limits.max_series as usize && state.life.live(table, &self.overflow_labels) == Some(handle);
        Ok(if shared || overflowed { handle | handle::FOLDED } else { handle })
    }

    /// Maps values through the policy and counts the folds (always when `per_sample`, else only
    /// for a stable binding, which JS caches and so binds once).
    fn map_values(&self, state: &mut State, values: &[String], per_sample: bool) -> (Vec<String>, bool) {
        let Some(policy) = state.policy.as_mut() else { return (values.to_vec(), false) };
        let mapped = policy.map(values);
        if per_sample || !mapped.unstable {
            for &(label, reason) in &mapped.folds {
                self.count_fold(label, reason);
            }
        }
        (mapped.values, mapped.unstable)
    }

    /// The series' own top-N values: its activity counts for them at each re-rank. A folded
    /// (`__other__`) value ranks nothing: its samples were counted per value when recorded.
    fn ranked_of(&self, state: &State, mapped: &[String]) -> Option<Ranked> {
        let policy = state.policy.as_ref()?;
        Some(
            policy
                .ranked_values(mapped)
                .into_iter()
                .filter(|(_, v)| v != OTHER && v != OVERFLOW)
                .map(|(i, v)| (i, Box::from(v.as_ref())))
                .collect(),
        )
    }

    /// Finds or brings to life the series for already interned labels; folds into the overflow
    /// series once the family holds `max_series` series. Values of `labels` that no series holds
    /// afterwards (folded, or the table was full) are freed.
    fn bind_labels(&'static self, state: &mut State, table: &SeriesTable, labels: LabelKey, ranked: Option<Ranked>) -> Result<u32, CoreError> {
        if let Some(handle) = state.life.live(table, &labels) {
            return Ok(handle);
        }
        let full = state.life.len() >= self.limits.max_series as usize;
        let bound = if full {
            self.count_fold(self.def.label_names.len(), FoldReason::Overflow);
            state.life.bind(&self.shared, table, &self.overflow_labels, None, now_ms())
        } else {
            state.life.bind(&self.shared, table, &labels, ranked, now_ms())
        };
        state.life.values_mut().free_unused(&labels);
        bound.ok_or_else(|| CoreError::TooManySeries { metric: self.def.name.clone(), max: crate::series_table::MAX_SERIES })
    }

    /// Records one sample for a label set that top-N folds right now: counts its activity for
    /// the ranking, then returns the series the values map to at this moment.
    pub(crate) fn record_folded(&'static self, table: &SeriesTable, values: &[String], value: f64) -> Result<u32, CoreError> {
        self.check_label_count(values)?;
        let mut state = self.lock();
        if let Some(policy) = state.policy.as_mut() {
            let weight = if self.shared.weigh_by_value { value.abs() } else { 1.0 };
            policy.offer(values, weight, now_ms());
        }
        let (mapped, _) = self.map_values(&mut state, values, true);
        let labels = self.key_of(&state, &mapped);
        let ranked = self.ranked_of(&state, &mapped);
        self.bind_labels(&mut state, table, labels, ranked)
    }

    /// Resolves a handle its series no longer accepts (removed, reset, evicted, or its slot given
    /// to another label set): brings back the label set it was bound to, or, if that is forgotten,
    /// the overflow series. Returns the live handle. A label set with a top-N value outside the top
    /// N now (a demoted series that left the exposition) is not brought back: the sample goes to
    /// the series its values fold to, and `value` counts for the ranking as a folded sample would.
    pub(crate) fn revive(&'static self, table: &SeriesTable, stale: u32, value: f64) -> Result<u32, CoreError> {
        let mut state = self.lock();
        let labels = match state.life.revival(table, stale) {
            Revival::Labels(labels) => labels,
            Revival::Forgotten => self.overflow_labels.clone(),
        };
        if labels == self.overflow_labels || state.life.live(table, &labels).is_some() {
            return self.bind_labels(&mut state, table, labels, None);
        }
        if !state.policy.as_ref().is_some_and(|p| p.has_top_n()) {
            return self.bind_labels(&mut state, table, labels, None);
        }
        let values = self.values_of(&state, &labels);
        let Some(policy) = state.policy.as_mut() else { unreachable!("checked above") };
        let mapped = policy.map_quietly(&values);
        if mapped == values {
            return self.bind_labels(&mut state, table, labels, None);
        }
        if value.is_finite() && value != 0.0 {
            let weight = if self.shared.weigh_by_value { value.abs() } else { 1.0 };
            policy.offer(&values, weight, now_ms());
        }
        let folded = self.key_of(&state, &mapped);
        let ranked = self.ranked_of(&state, &mapped);
        self.bind_labels(&mut state, table, folded, ranked)
    }

    /// The current handle for each of `handles` (as JS cached them): the same when live, the
    /// live one of the same labels, or 0 when the labels are not live or top-N demoted them (JS
    /// drops it from its cache, so a folded label set is not cached for the life of the process).
    pub(crate) fn resolve(&self, table: &SeriesTable, handles: &[u32]) -> Vec<u32> {
        let state = self.lock();
        handles
            .iter()
            .map(|&h| {
                let live = state.life.resolve(table, h);
                let redirected = table
                    .get(handle::slot(live))
                    .and_then(|s| s.policy.as_ref())
                    .is_some_and(|p| p.redirect.load(Relaxed) != 0);
                if live == 0 || redirected {
                    0
                } else {
                    live
                }
            })
            .collect()
    }

    /// Periodic upkeep: re-ranks top-N labels when due and evicts idle series past the TTL.
    pub(crate) fn maintain(&'static self, table: &SeriesTable, now: u64) -> Result<(), CoreError> {
        if !self.tracked {
            return Ok(());
        }
        let mut state = self.lock();
        let rerank_due = state.policy.as_ref().is_some_and(|p| p.has_top_n())
            && now.saturating_sub(state.last_rerank_ms) >= self.limits.rerank_interval_ms;
        if rerank_due {
            let since = std::mem::replace(&mut state.last_rerank_ms, now);
            self.rerank(&mut state, table, since, now)?;
        }
        self.retire_demoted(&mut state, table, now);
        if let Some(ttl) = self.limits.ttl_ms {
            let evicted = state.life.evict_idle(table, now, ttl).len();
            self.evicted.fetch_add(evicted as u64, Relaxed);
        }
        Ok(())
    }

    /// Re-ranks top-N labels (policy.rs) and points each series whose top-N value lost its place
    /// at the series its values now fold to; series whose values regained their place record into
    /// themselves again.
    fn rerank(&'static self, state: &mut State, table: &SeriesTable, since: u64, now: u64) -> Result<(), CoreError> {
        let series = state.life.series();
        let policy = state.policy.as_mut().expect("rerank needs a policy");
        let reranked = policy.rerank(&series, self.shared.weigh_by_value, since, now);
        for (label, admitted, demoted) in reranked.changes {
            self.topn_changes[label][TopNChange::Admitted as usize].fetch_add(admitted, Relaxed);
            self.topn_changes[label][TopNChange::Demoted as usize].fetch_add(demoted, Relaxed);
        }
        let Some(demotions) = reranked.demotions else { return Ok(()) };
        for (s, demoted) in demotions {
            let p = s.policy.as_ref().expect("ranked series are tracked");
            let own = s.key();
            if demoted.is_empty() {
                p.redirect.store(0, Relaxed);
                if let Some((key, _)) = state.demoted.remove_entry(&own) {
                    state.life.values_mut().release(&key);
                }
                continue;
            }
            if !state.demoted.contains_key(&own) {
                let policy = state.policy.as_ref().expect("policy");
                let ttl = demoted.iter().map(|&i| policy.demoted_ttl_ms(i)).min().unwrap_or(0);
                state.life.values_mut().retain(&own);
                state.demoted.insert(own.clone(), (now, ttl));
            }
            let mut values = self.values_of(state, &own);
            for i in demoted {
                values[i] = OTHER.to_string();
            }
            let labels = self.key_of(state, &values);
            let target = self.bind_labels(state, table, labels, None)?;
            let own_slot = state.life.live(table, &own).map_or(u32::MAX, handle::slot);
            if handle::slot(target) != own_slot {
                p.redirect.store(target, Relaxed);
            }
        }
        Ok(())
    }

    /// Retires, through the lifecycle, the series whose top-N value has been demoted for its
    /// demoted TTL: they leave the exposition and their memory is reused.
    fn retire_demoted(&self, state: &mut State, table: &SeriesTable, now: u64) {
        if state.demoted.is_empty() {
            return;
        }
        let due: Vec<LabelKey> =
            state.demoted.iter().filter(|(_, &(since, ttl))| now.saturating_sub(since) >= ttl).map(|(l, _)| l.clone()).collect();
        for labels in due {
            state.demoted.remove(&labels);
            state.life.remove(table, &labels);
            state.life.values_mut().release(&labels);
        }
    }

    /// Retires the series of these label values (mapped through the policy) from the exposition.
    /// Returns whether it was live. Recording into it again brings it back, from zero.
    pub(crate) fn remove(&'static self, table: &SeriesTable, values: &[String]) -> Result<bool, CoreError> {
        self.check_label_count(values)?;
        let mut state = self.lock();
        let mapped = match state.policy.as_ref() {
            Some(p) => p.map_quietly(values),
            None => values.to_vec(),
        };
        let Some(labels) = state.life.values().find(self.kept(&mapped)) else { return Ok(false) };
        Ok(state.life.remove(table, &labels).is_some())
    }

    /// Retires every series of the family (prom-client's `reset()`).
    pub(crate) fn clear(&'static self, table: &SeriesTable) {
        self.lock().life.clear(table);
    }

    /// The family's live series in exposition order (a copy, so rendering holds no lock).
    pub(crate) fn series(&self) -> Vec<&'static Series> {
        self.lock().life.series()
    }

    pub(crate) fn series_count(&self) -> usize {
        self.lock().life.len()
    }

    /// Retired series whose memory waits for reuse.
    pub(crate) fn retired_count(&self) -> usize {
        self.lock().life.retired_count()
    }

    /// Folds counted for `label` (an index; `label_names.len()` means the overflow row).
    pub(crate) fn folded(&self, label: usize, reason: FoldReason) -> u64 {
        self.folded[label][reason as usize].load(Relaxed)
    }

    pub(crate) fn evicted(&self) -> u64 {
        self.evicted.load(Relaxed)
    }

    /// Top-N admissions or demotions counted for `label` (an index).
    pub(crate) fn topn_changes(&self, label: usize, change: TopNChange) -> u64 {
        self.topn_changes[label][change as usize].load(Relaxed)
    }

    /// Per top-N label: the activity per second a value outside the top N must exceed now to take
    /// a place at the next re-rank.
    pub(crate) fn topn_thresholds(&self, now: u64) -> Vec<(usize, f64)> {
        self.lock().policy.as_ref().map_or_else(Vec::new, |p| p.thresholds(now))
    }

    /// Series whose top-N value lost its place and that are still exposed (until their demoted TTL).
    #[cfg(test)]
    pub(crate) fn demoted_count(&self) -> usize {
        self.lock().demoted.len()
    }

    /// The number of values the top-N sketches of this family track (bounded by their capacity).
    pub(crate) fn tracked_values(&self) -> usize {
        self.lock().policy.as_ref().map_or(0, |p| p.tracked_values())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(kind: Kind, labels: &[&str]) -> Definition {
        Definition {
            name: "m".into(),
            help: "h".into(),
            unit: None,
            kind,
            label_names: labels.iter().map(|s| s.to_string()).collect(),
            bounds: Vec::new(),
        }
    }

    #[test]
    fn binding_is_stable_and_escapes_once() {
        let table = SeriesTable::new();
        let family: &'static Family = Box::leak(Box::new(Family::new(0, def(Kind::Counter, &["a", "b"]), Limits::default())));
        let v = |a: &str, b: &str| vec![a.to_string(), b.to_string()];
        let x = family.bind(&table, &v("x", "q\"\n")).unwrap();
        let y = family.bind(&table, &v("y", "z")).unwrap();
        assert_ne!(x, y);
        assert_eq!(family.bind(&table, &v("x", "q\"\n")).unwrap(), x);
        assert_eq!(family.label_values().pairs(&table.get(x).unwrap().key()), "a=\"x\",b=\"q\\\"\\n\"");
        assert!(matches!(family.bind(&table, &["x".to_string()]), Err(CoreError::WrongLabelCount { .. })));
    }

    #[test]
    fn a_series_retired_during_a_scrape_is_left_out() {
        use crate::format::Format;
        use crate::render::Cursor;
        let reg = "family-retired-mid-scrape";
        let family = crate::registry::define(reg, def(Kind::Counter, &["a"])).unwrap();
        let table = crate::registry::table();
        let v = |a: &str| vec![a.to_string()];
        for a in ["one", "two", "three"] {
            family.bind(table, &v(a)).unwrap();
        }
        let mut cursor = Cursor::new(crate::registry::registry(reg), Format::Text, &[]);
        let mut out = Vec::new();
        // The header and the first series: the family's list is taken.
        cursor.fill(&mut out, 1);
        assert!(family.remove(table, &v("two")).unwrap());
        cursor.fill(&mut out, usize::MAX);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("m{a=\"one\"} 0\n") && text.contains("m{a=\"three\"} 0\n"), "{text}");
        assert!(!text.contains("two"), "{text}");
    }
}
