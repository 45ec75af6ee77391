//! Label policy: per-label rules (allowlist, top-N, drop, length cap) that map raw label values
//! to the values a family exposes, so cardinality stays bounded whatever the input, and the top-N
//! ranking of series activity (the sketch itself is topn.rs).

use crate::series::Series;
use crate::topn::TopN;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// The value that folded label values become.
pub(crate) const OTHER: &str = "__other__";
/// The value every label of a family's overflow series carries once its series cap is reached.
pub(crate) const OVERFLOW: &str = "__overflow__";

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
}

impl LabelRule {
    pub(crate) fn is_empty(&self) -> bool {
        self.allow.is_none() && self.top_n.is_none() && !self.drop && self.max_length.is_none()
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

fn load_f64(cell: &AtomicU64) -> f64 {
    f64::from_bits(cell.load(Relaxed))
}

fn cut(value: &str, max_chars: usize) -> Option<String> {
    value.char_indices().nth(max_chars).map(|(byte, _)| value[..byte].to_string())
}

impl FamilyPolicy {
    pub(crate) fn new(rules: Vec<LabelRule>) -> FamilyPolicy {
        let allow_sets = rules.iter().map(|r| r.allow.as_ref().map(|a| a.iter().cloned().collect())).collect();
        let top = rules.iter().map(|r| r.top_n.map(|n| TopN::new(n as usize, r.hysteresis))).collect();
        FamilyPolicy { rules, allow_sets, top }
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

    /// Offers one sample's weight to the top-N sketches of its (raw) values.
    pub(crate) fn offer(&mut self, raw: &[String], weight: f64) {
        let ranked: Vec<(usize, String)> = self.ranked_values(raw).into_iter().map(|(i, v)| (i, v.into_owned())).collect();
        for (i, v) in ranked {
            if let Some(top) = self.top[i].as_mut() {
                top.offer(&v, weight);
            }
        }
    }

    /// The number of values the top-N sketches track (bounded by their capacity).
    pub(crate) fn tracked_values(&self) -> usize {
        self.top.iter().flatten().map(|t| t.tracked()).sum()
    }

    /// Re-ranks: feeds the activity of `series` since the last re-rank into the sketches, re-ranks
    /// them, and, if any admission changed, returns for every series with top-N values the labels
    /// whose value is not admitted now (empty: all admitted). None when nothing changed.
    pub(crate) fn rerank(&mut self, series: &[&'static Series], by_value: bool) -> Option<Vec<(&'static Series, Vec<usize>)>> {
        for s in series {
            let Some(p) = s.policy.as_ref() else { continue };
            let total = s.cells.activity(by_value) + load_f64(&p.redirected_activity);
            let delta = total - load_f64(&p.last_activity);
            p.last_activity.store(total.to_bits(), Relaxed);
            if delta <= 0.0 {
                continue;
            }
            for (i, v) in p.ranked.lock().unwrap_or_else(|e| e.into_inner()).iter() {
                if let Some(top) = self.top[*i].as_mut() {
                    top.offer(v, delta);
                }
            }
        }
        let mut changed = false;
        for top in self.top.iter_mut().flatten() {
            let (admitted, demoted) = top.rerank();
            changed |= !admitted.is_empty() || !demoted.is_empty();
        }
        if !changed {
            return None;
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
        Some(demotions)
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
        let mut policy = FamilyPolicy::new(vec![
            LabelRule { allow: Some(strings(&["main"])), ..Default::default() },
            LabelRule { drop: true, ..Default::default() },
            LabelRule { max_length: Some(3), ..Default::default() },
        ]);
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
        let mut policy = FamilyPolicy::new(vec![LabelRule { top_n: Some(1), hysteresis: 0.25, ..Default::default() }]);
        let m = policy.map(&strings(&["acme"]));
        assert_eq!(m.values, strings(&["acme"]));
        assert!(!m.unstable);
        let m = policy.map(&strings(&["globex"]));
        assert_eq!(m.values, strings(&[OTHER]));
        assert_eq!(m.folds, vec![(0, FoldReason::TopN)]);
        assert!(m.unstable);
    }
}
