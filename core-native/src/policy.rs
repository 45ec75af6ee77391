//! Label policy: per-label rules (allowlist, top-N, drop, length cap) that map raw label values
//! to the values a family exposes, so cardinality stays bounded whatever the input, and the top-N
//! ranking of series activity (the sketch itself is topn.rs).

use crate::definition::LabelRule;
use crate::series::Series;
use crate::topn::{TopN, HALF_LIFE_INTERVALS};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// The value that folded label values become.
pub(crate) const OTHER: &str = "__other__";
/// The value every label of a family's overflow series carries once its series cap is reached.
pub(crate) const OVERFLOW: &str = "__overflow__";
/// How long a demoted top-N value's series stays exposed by default (5 minutes).
pub(crate) const DEFAULT_DEMOTED_TTL_MS: u64 = 300_000;
/// The shortest half-life top-N activity decays with, whatever the re-rank interval (an interval
/// of 0, "re-rank at every upkeep", must not make every count vanish within milliseconds).
pub(crate) const MIN_HALF_LIFE_MS: f64 = 1000.0;

/// Why a label value was folded (the `reason` label of `metricore_label_values_folded_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum FoldReason {
    Allowlist = 0,
    TopN = 1,
    Length = 2,
    Overflow = 3,
}

impl FoldReason {
    pub(crate) const ALL: [FoldReason; 4] = [FoldReason::Allowlist, FoldReason::TopN, FoldReason::Length, FoldReason::Overflow];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            FoldReason::Allowlist => "allowlist",
            FoldReason::TopN => "topn",
            FoldReason::Length => "length",
            FoldReason::Overflow => "overflow",
        }
    }
}

/// A family's policy: one rule per label (in label order) plus the top-N state of those labels.
pub(crate) struct FamilyPolicy {
    pub(crate) rules: Vec<LabelRule>,
    allow_sets: Vec<Option<HashSet<String>>>,
    /// One ranking per label that has `top_n`.
    pub(crate) top: Vec<Option<TopN>>,
}

/// Raw label values mapped through the policy.
pub(crate) struct Mapped {
    pub(crate) values: Vec<String>,
    /// Labels whose value was folded, and why.
    pub(crate) folds: Vec<(usize, FoldReason)>,
    /// True when a top-N label is currently outside its top N: the mapping may change at the
    /// next re-rank, so JS must not cache the binding and must report every sample.
    pub(crate) unstable: bool,
}

/// What one re-rank changed.
pub(crate) struct Reranked {
    /// Per top-N label: (label, values admitted, values demoted).
    pub(crate) changes: Vec<(usize, u64, u64)>,
    /// When any admission changed: every series with top-N values and the labels whose value is
    /// not admitted now (empty: all admitted).
    pub(crate) demotions: Option<Vec<(&'static Series, Vec<usize>)>>,
}

fn load_f64(cell: &AtomicU64) -> f64 {
    f64::from_bits(cell.load(Relaxed))
}

fn cut(value: &str, max_chars: usize) -> Option<String> {
    value.char_indices().nth(max_chars).map(|(byte, _)| value[..byte].to_string())
}

impl FamilyPolicy {
    /// A policy whose top-N activity halves every `HALF_LIFE_INTERVALS` re-rank intervals (at
    /// least `MIN_HALF_LIFE_MS`).
    pub(crate) fn new(rules: Vec<LabelRule>, rerank_interval_ms: u64) -> FamilyPolicy {
        let allow_sets = rules.iter().map(|r| r.allow.as_ref().map(|a| a.iter().cloned().collect())).collect();
        let half_life = (HALF_LIFE_INTERVALS * rerank_interval_ms as f64).max(MIN_HALF_LIFE_MS);
        let top = rules
            .iter()
            .map(|r| r.top_n.map(|n| TopN::new(n as usize, r.hysteresis).with_half_life(half_life)))
            .collect();
        FamilyPolicy { rules, allow_sets, top }
    }

    /// How long a series whose value of `label` lost its top-N place stays exposed.
    pub(crate) fn demoted_ttl_ms(&self, label: usize) -> u64 {
        self.rules.get(label).and_then(|r| r.demoted_ttl_ms).unwrap_or(DEFAULT_DEMOTED_TTL_MS)
    }

    /// Per top-N label: the activity per second a value outside the top N must exceed now to take
    /// a place at the next re-rank (`TopN::threshold_rate`).
    pub(crate) fn thresholds(&self, now_ms: u64) -> Vec<(usize, f64)> {
        self.top.iter().enumerate().filter_map(|(i, t)| t.as_ref().map(|t| (i, t.threshold_rate(now_ms)))).collect()
    }

    pub(crate) fn has_top_n(&self) -> bool {
        self.top.iter().any(Option::is_some)
    }

    /// Maps raw values: cut long ones, drop, allowlist, then top-N (using the current ranking).
    pub(crate) fn map(&mut self, raw: &[String]) -> Mapped {
        let mut mapped = Mapped { values: Vec::with_capacity(raw.len()), folds: Vec::new(), unstable: false };
        for (i, value) in raw.iter().enumerate() {
            let rule = &self.rules[i];
            if rule.drop {
                mapped.values.push(String::new());
                continue;
            }
            let mut value = value.clone();
            if let Some(shorter) = rule.max_length.and_then(|m| cut(&value, m as usize)) {
                value = shorter;
                mapped.folds.push((i, FoldReason::Length));
            }
            if let Some(allow) = &self.allow_sets[i] {
                if !allow.contains(&value) {
                    value = OTHER.to_string();
                    mapped.folds.push((i, FoldReason::Allowlist));
                }
            }
            if let Some(top) = self.top[i].as_mut() {
                if value != OTHER && !top.admit_if_room(&value) {
                    value = OTHER.to_string();
                    mapped.folds.push((i, FoldReason::TopN));
                    mapped.unstable = true;
                }
            }
            mapped.values.push(value);
        }
        mapped
    }

    /// Maps values without admitting anything or counting folds (for removal).
    pub(crate) fn map_quietly(&self, raw: &[String]) -> Vec<String> {
        raw.iter()
            .enumerate()
            .map(|(i, value)| {
                let rule = &self.rules[i];
                if rule.drop {
                    return String::new();
                }
                let value = rule.max_length.and_then(|m| cut(value, m as usize)).unwrap_or_else(|| value.clone());
                let allowed = self.allow_sets[i].as_ref().is_none_or(|a| a.contains(&value));
                let ranked = self.top[i].as_ref().is_none_or(|t| t.is_admitted(&value));
                if allowed && ranked {
                    value
                } else {
                    OTHER.to_string()
                }
            })
            .collect()
    }

    /// Offers one sample's weight, at `now_ms`, to the top-N sketches of its (raw) values.
    pub(crate) fn offer(&mut self, raw: &[String], weight: f64, now_ms: u64) {
        let ranked: Vec<(usize, String)> = self.ranked_values(raw).into_iter().map(|(i, v)| (i, v.into_owned())).collect();
        for (i, v) in ranked {
            if let Some(top) = self.top[i].as_mut() {
                top.offer_at(&v, weight, now_ms);
            }
        }
    }

    /// The number of values the top-N sketches track (bounded by their capacity).
    pub(crate) fn tracked_values(&self) -> usize {
        self.top.iter().flatten().map(|t| t.tracked()).sum()
    }

    /// Re-ranks at `now_ms`: feeds the activity of `series` since the last re-rank (at `since_ms`)
    /// into the sketches, spread over that span, re-ranks them, and, if any admission changed,
    /// lists for every series with top-N values the labels whose value is not admitted now.
    pub(crate) fn rerank(&mut self, series: &[&'static Series], by_value: bool, since_ms: u64, now_ms: u64) -> Reranked {
        for s in series {
            let Some(p) = s.policy.as_ref() else { continue };
            let total = s.cells().activity(by_value) + load_f64(&p.redirected_activity);
            let delta = total - load_f64(&p.last_activity);
            p.last_activity.store(total.to_bits(), Relaxed);
            if delta <= 0.0 {
                continue;
            }
            for (i, v) in p.ranked.lock().unwrap_or_else(|e| e.into_inner()).iter() {
                if let Some(top) = self.top[*i].as_mut() {
                    top.offer_spread(v, delta, since_ms, now_ms);
                }
            }
        }
        let mut changes = Vec::new();
        for (i, top) in self.top.iter_mut().enumerate() {
            let Some(top) = top.as_mut() else { continue };
            let (admitted, demoted) = top.rerank_at(now_ms);
            changes.push((i, admitted.len() as u64, demoted.len() as u64));
        }
        if changes.iter().all(|&(_, a, d)| a == 0 && d == 0) {
            return Reranked { changes, demotions: None };
        }
        let mut demotions = Vec::new();
        for s in series {
            let Some(p) = s.policy.as_ref() else { continue };
            let ranked = p.ranked.lock().unwrap_or_else(|e| e.into_inner());
            if ranked.is_empty() {
                continue;
            }
            let demoted = ranked
                .iter()
                .filter(|(i, v)| self.top[*i].as_ref().is_some_and(|t| !t.is_admitted(v)))
                .map(|(i, _)| *i)
                .collect();
            demotions.push((*s, demoted));
        }
        Reranked { changes, demotions: Some(demotions) }
    }

    /// The raw values' top-N labels after cutting, for activity accounting.
    pub(crate) fn ranked_values<'a>(&self, raw: &'a [String]) -> Vec<(usize, std::borrow::Cow<'a, str>)> {
        self.top
            .iter()
            .enumerate()
            .filter(|(_, t)| t.is_some())
            .map(|(i, _)| {
                let v = &raw[i];
                match self.rules[i].max_length.and_then(|m| cut(v, m as usize)) {
                    Some(shorter) => (i, std::borrow::Cow::Owned(shorter)),
                    None => (i, std::borrow::Cow::Borrowed(v.as_str())),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn maps_allowlist_drop_and_length() {
        let mut policy = FamilyPolicy::new(
            vec![
                LabelRule { allow: Some(strings(&["main"])), ..Default::default() },
                LabelRule { drop: true, ..Default::default() },
                LabelRule { max_length: Some(3), ..Default::default() },
            ],
            10_000,
        );
        let m = policy.map(&strings(&["other-cache", "proj", "héllo"]));
        assert_eq!(m.values, strings(&[OTHER, "", "hél"]));
        assert_eq!(m.folds, vec![(0, FoldReason::Allowlist), (2, FoldReason::Length)]);
        assert!(!m.unstable);
        let m = policy.map(&strings(&["main", "x", "ab"]));
        assert_eq!(m.values, strings(&["main", "", "ab"]));
        assert!(m.folds.is_empty());
    }

    #[test]
    fn top_n_admits_while_there_is_room_then_folds() {
        let mut policy = FamilyPolicy::new(vec![LabelRule { top_n: Some(1), hysteresis: 0.25, ..Default::default() }], 10_000);
        let m = policy.map(&strings(&["acme"]));
        assert_eq!(m.values, strings(&["acme"]));
        assert!(!m.unstable);
        let m = policy.map(&strings(&["globex"]));
        assert_eq!(m.values, strings(&[OTHER]));
        assert_eq!(m.folds, vec![(0, FoldReason::TopN)]);
        assert!(m.unstable);
    }
}
