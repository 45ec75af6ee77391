//! The recording path: buffered `(handle, value)` pairs applied into series cells, the one-call
//! first sample of a label set, and samples of label sets top-N folds right now.
//!
//! The common path takes no lock: a handle resolves through the lock-free series table, one load
//! and compare of the series' tag checks the handle is current (lifecycle.rs), and cells are
//! atomics. Everything else (a stale handle, a top-N redirect) is a cold branch.

use crate::errors::CoreError;
use crate::handle::{self, SET_FLAG};
use crate::registry::{family, table};
use crate::series::{Cells, RejectReason, Series};
use crate::series_table::SeriesTable;
use std::sync::atomic::Ordering::Relaxed;

/// A sample on a handle its series does not accept: the family brings back the labels the handle
/// was bound to (lifecycle.rs), or the series they fold to when top-N demoted them, and the sample
/// goes there. `value` counts for the top-N ranking in the second case (0: already counted).
#[cold]
fn revive(table: &SeriesTable, series: &'static Series, stale: u32, value: f64) -> Option<&'static Series> {
    let family = family(series.shared.family_id).ok()?;
    let handle = family.revive(table, stale, value).ok()?;
    table.get(handle::slot(handle))
}

/// Follows top-N redirects of a tracked series, counting redirected activity, and marks the
/// series touched for the TTL sweep.
#[cold]
fn follow_policy(table: &SeriesTable, series: &'static Series, value: f64) -> Option<&'static Series> {
    let mut series = series;
    for _ in 0..3 {
        let Some(policy) = series.policy.as_ref() else { return Some(series) };
        policy.touched.store(true, Relaxed);
        let redirect = policy.redirect.load(Relaxed);
        if redirect == 0 {
            return Some(series);
        }
        let weight = if series.shared.weigh_by_value { value.abs() } else { 1.0 };
        crate::histogram::add_f64(&policy.redirected_activity, weight);
        let target = table.get(handle::slot(redirect))?;
        series = if target.accepts(redirect) { target } else { revive(table, target, redirect, 0.0)? };
    }
    Some(series)
}

/// Applies buffered `(handle, value)` pairs recorded by JS thread `thread`. Garbage values are
/// dropped and counted per family by reason; unknown handles are skipped.
///
/// The tag check replaced a `removed` flag load at the same place (one relaxed load and a
/// compare either way), so stale handles cost nothing until they occur. Measured with farm-bench
/// (11 whole-process runs each: 102.4M samples into 1,000 histogram series of 20 buckets, 1,024 per
/// `applySamples`, on the shared 2-core machine at load average ~15): CPU 1.455 s before, 1.485 s
/// after (medians; per-run ratio 0.92-1.05), ~14.2 vs ~14.5 ns per sample with the JS fill loop:
/// within the noise.
///
/// A batch whose samples all carry one handle (a thread recording one hot series: a bound child
/// observed in a loop, the threads scenario) takes the full path for its first sample only: the
/// rest re-check the tag per sample and go straight into this thread's cells for the series
/// (`histogram::Writer`), with no table lookup and no search for the thread's shard. Without it
/// the thread that did not own a shared series' inline cells followed two more pointers per
/// sample than the owner and, in the threads scenario, spent ~10-15% more CPU per sample than the
/// other thread (schedstat; perf put the extra samples on those loads); with it both spend the
/// same, and less (native `applySamples` alone, CPU time, one handle: ~5.5 against ~10.3 ns per
/// sample). Any other batch takes the per-sample path as before, after comparing handles up to
/// the first that differs (one compare when the second sample already differs):
/// keeping the last handle's cells across a mixed batch (runs anywhere in it) cost ~1-2 ns per
/// sample of a different handle in the same measurement (16 handles round-robin: 11.8-14.8
/// against 10.9-11.6 ns, load 4-6), and 16 label sets round-robin is what the recording
/// benchmark's `observe(labels, v)` rows do.
pub(crate) fn apply(thread: u32, samples: &[f64]) {
    let table = table();
    let n = samples.len() / 2;
    if n > 1 && (1..n).all(|i| samples[2 * i] == samples[0]) {
        let raw = samples[0] as u32;
        let series = apply_one(table, thread, raw, samples[1]);
        apply_run(table, thread, raw, series, &samples[2..2 * n]);
        return;
    }
    for pair in samples.chunks_exact(2) {
        apply_one(table, thread, pair[0] as u32, pair[1]);
    }
}

/// The rest of a run of samples of handle `raw`, whose first sample `apply_one` recorded into
/// `series` (when it returned one: the handle reached its own series directly).
#[inline(never)]
fn apply_run(table: &SeriesTable, thread: u32, raw: u32, series: Option<&'static Series>, rest: &[f64]) {
    let writer = match series.map(|s| (s, s.cells())) {
        Some((s, Cells::Histogram(h))) => h.writer(thread).map(|w| (s, w)),
        _ => None,
    };
    for pair in rest.chunks_exact(2) {
        let value = pair[1];
        if let Some((series, writer)) = writer {
            if value.is_finite() && series.accepts(raw) && writer.observe(&series.shared.bounds, value) {
                continue;
            }
        }
        apply_one(table, thread, raw, value);
    }
}

/// Records one sample through the full path. Returns the series when the handle reached its own
/// series directly (no revival, no label policy to follow): the caller may record further
/// samples of the same handle into this thread's cells there, after checking the tag.
#[inline(always)]
fn apply_one(table: &SeriesTable, thread: u32, raw: u32, value: f64) -> Option<&'static Series> {
    let mut series = table.get(handle::slot(raw))?;
    if !value.is_finite() {
        series.shared.reject(if value.is_nan() { RejectReason::Nan } else { RejectReason::Infinite });
        return None;
    }
    let mut direct = true;
    if !series.accepts(raw) {
        direct = false;
        series = revive(table, series, raw & !SET_FLAG, value)?;
    }
    if series.policy.is_some() {
        direct = false;
        series = follow_policy(table, series, value)?;
    }
    record(series, thread, value, raw & SET_FLAG != 0);
    direct.then_some(series)
}

#[inline]
fn record(series: &Series, thread: u32, value: f64, set: bool) {
    match series.cells() {
        Cells::Histogram(h) => h.observe(&series.shared.bounds, thread, value),
        Cells::Counter(c) => {
            if value < 0.0 {
                series.shared.reject(RejectReason::Negative);
            } else {
                c.inc(value);
            }
        }
        Cells::Gauge(g) => {
            if set {
                g.set(value)
            } else {
                g.add(value)
            }
        }
    }
}

/// Records one sample of a label set that top-N folds right now (JS got `FOLDED` when binding).
pub(crate) fn record_folded(family_id: u32, thread: u32, values: &[String], value: f64) -> Result<(), CoreError> {
    let family = family(family_id)?;
    if !value.is_finite() {
        family.shared.reject(if value.is_nan() { RejectReason::Nan } else { RejectReason::Infinite });
        return Ok(());
    }
    let table = table();
    let handle = family.record_folded(table, values, value)?;
    if let Some(series) = table.get(handle::slot(handle)) {
        let series = match series.policy.is_some() {
            true => follow_policy(table, series, value).unwrap_or(series),
            false => series,
        };
        record(series, thread, value, false);
    }
    Ok(())
}

/// Binds a label set and records one sample into it, in one call (the first sample of a label set
/// JS has not cached). Returns what binding returns (family.rs `bind`): the handle to cache,
/// `FOLDED` when top-N folds the set (the sample was recorded for it; JS must not cache), or
/// `FOLDED | handle` for a set folded into a shared series (recorded there; cache within a bound).
pub(crate) fn bind_and_record(family_id: u32, thread: u32, values: &[String], value: f64, set: bool) -> Result<u32, CoreError> {
    let bound = crate::registry::bind(family_id, values)?;
    if bound == handle::FOLDED {
        record_folded(family_id, thread, values, value)?;
        return Ok(handle::FOLDED);
    }
    let handle = bound & !handle::FOLDED;
    apply(thread, &[(if set { handle | SET_FLAG } else { handle }) as f64, value]);
    Ok(bound)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::{Definition, Kind, Limits};
    use crate::histogram::HistogramSnapshot;

    fn histogram(reg: &str) -> u32 {
        let def = Definition { name: "m".into(), help: "h".into(), unit: None, kind: Kind::Histogram, label_names: vec!["l".into()], bounds: vec![1.0, 2.0] };
        crate::registry::define_with_limits(reg, def, Limits::default()).unwrap().id
    }

    fn snapshot(handle: u32) -> HistogramSnapshot {
        match table().get(handle::slot(handle)).unwrap().cells() {
            Cells::Histogram(h) => h.snapshot(),
            _ => unreachable!(),
        }
    }

    #[test]
    fn batches_of_one_handle_and_mixed_batches_record_exactly_and_drop_garbage_and_stale_samples() {
        let f = histogram("record-runs");
        let a = crate::registry::bind(f, &["a".into()]).unwrap();
        let b = crate::registry::bind(f, &["b".into()]).unwrap();
        // A run of `a` with a NaN inside, then `b`, then `a` again; a second thread interleaves its own run.
        apply(1, &[a as f64, 0.5, a as f64, 1.5, a as f64, f64::NAN, a as f64, 2.5, b as f64, 0.5, a as f64, 0.5]);
        apply(2, &[a as f64, 1.5, a as f64, 1.5, b as f64, 2.5]);
        assert_eq!(snapshot(a), HistogramSnapshot { buckets: vec![2, 3, 1], sum: 0.5 + 1.5 + 2.5 + 0.5 + 1.5 + 1.5 });
        assert_eq!(snapshot(b), HistogramSnapshot { buckets: vec![1, 0, 1], sum: 3.0 });
        assert_eq!(family(f).unwrap().shared.rejected(RejectReason::Nan), 1);
        // `a` removed and its slot given to `c`: a run of the stale handle revives `a` (from zero)
        // and never lands in `c`, also after a first sample of `c` in the same batch.
        assert!(crate::registry::remove(f, &["a".into()]).unwrap());
        let c = crate::registry::bind(f, &["c".into()]).unwrap();
        assert_eq!(handle::slot(c), handle::slot(a));
        apply(1, &[c as f64, 0.5, a as f64, 2.5, a as f64, 2.5, c as f64, 0.5]);
        assert_eq!(snapshot(c), HistogramSnapshot { buckets: vec![2, 0, 0], sum: 1.0 });
        let revived = crate::registry::resolve(f, &[a]).unwrap()[0];
        assert_eq!(snapshot(revived), HistogramSnapshot { buckets: vec![0, 0, 2], sum: 5.0 });
        // Batches of one handle only (the run path): a stale one, then a live one with garbage inside.
        apply(1, &[a as f64, 0.5, a as f64, 0.5, a as f64, 0.5]);
        assert_eq!(snapshot(revived), HistogramSnapshot { buckets: vec![3, 0, 2], sum: 6.5 });
        assert_eq!(snapshot(c), HistogramSnapshot { buckets: vec![2, 0, 0], sum: 1.0 });
        apply(2, &[c as f64, 1.5, c as f64, f64::INFINITY, c as f64, 1.5, c as f64, f64::NAN, c as f64, 2.5]);
        apply(1, &[c as f64, 1.5, c as f64, 1.5]);
        assert_eq!(snapshot(c), HistogramSnapshot { buckets: vec![2, 4, 1], sum: 1.0 + 4.0 * 1.5 + 2.5 });
        assert_eq!(family(f).unwrap().shared.rejected(RejectReason::Infinite), 1);
        assert_eq!(family(f).unwrap().shared.rejected(RejectReason::Nan), 2);
    }
}
