//! Process-wide state: named registries of families, the series table, JS thread ids, and the
//! batch apply that turns buffered samples into recorded values.

use crate::errors::CoreError;
use crate::family::{now_ms, Definition, Family, Kind, Limits, RejectReason};
use crate::handle::{self, SET_FLAG};
use crate::series::{Cells, Series};
use crate::series_table::SeriesTable;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering::Relaxed};
use std::sync::{Mutex, OnceLock, RwLock};

/// A named set of families rendered together. Every thread that names the same registry shares it.
pub struct Registry {
    pub name: String,
    /// Sorted by name: the exposition's stable order.
    families: Mutex<BTreeMap<String, &'static Family>>,
    /// Size of the last body rendered, to size the next one's buffer.
    pub last_render_bytes: AtomicUsize,
}

impl Registry {
    pub fn families(&self) -> Vec<&'static Family> {
        self.families.lock().unwrap_or_else(|e| e.into_inner()).values().copied().collect()
    }
}

struct State {
    registries: Mutex<HashMap<String, &'static Registry>>,
    families: RwLock<Vec<&'static Family>>,
    table: SeriesTable,
    next_thread: AtomicU32,
}

fn state() -> &'static State {
    static STATE: OnceLock<State> = OnceLock::new();
    STATE.get_or_init(|| State {
        registries: Mutex::new(HashMap::new()),
        families: RwLock::new(Vec::new()),
        table: SeriesTable::new(),
        next_thread: AtomicU32::new(1),
    })
}

/// A new id for a JS thread; ids are never reused, and 0 is never issued.
pub fn register_thread() -> u32 {
    state().next_thread.fetch_add(1, Relaxed)
}

pub fn registry(name: &str) -> &'static Registry {
    let mut map = state().registries.lock().unwrap_or_else(|e| e.into_inner());
    map.entry(name.to_string())
        .or_insert_with(|| Box::leak(Box::new(Registry {
            name: name.to_string(),
            families: Mutex::new(BTreeMap::new()),
            last_render_bytes: AtomicUsize::new(0),
        })))
}

/// Registers `def` in `registry_name`, or returns the existing family if the definition matches.
pub fn define(registry_name: &str, def: Definition) -> Result<&'static Family, CoreError> {
    define_with_limits(registry_name, def, Limits::default())
}

/// `define` with a label policy, series cap and TTL. A redefinition must bring the same limits.
pub fn define_with_limits(registry_name: &str, def: Definition, limits: Limits) -> Result<&'static Family, CoreError> {
    def.validate()?;
    limits.validate(&def)?;
    let registry = registry(registry_name);
    let mut families = registry.families.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(existing) = families.get(&def.name) {
        let detail = existing.def.clash_with(&def).or_else(|| {
            (existing.limits != limits).then(|| "another label policy, series cap or TTL".to_string())
        });
        return match detail {
            Some(detail) => Err(CoreError::Clash { metric: def.name, detail }),
            None => Ok(existing),
        };
    }
    let mut all = state().families.write().unwrap_or_else(|e| e.into_inner());
    let family: &'static Family = Box::leak(Box::new(Family::new(all.len() as u32, def, limits)));
    all.push(family);
    families.insert(family.def.name.clone(), family);
    Ok(family)
}

pub fn family(id: u32) -> Result<&'static Family, CoreError> {
    let all = state().families.read().unwrap_or_else(|e| e.into_inner());
    all.get(id as usize).copied().ok_or(CoreError::UnknownFamily { id })
}

pub fn bind(family_id: u32, values: &[String]) -> Result<u32, CoreError> {
    family(family_id)?.bind(&state().table, values)
}

/// Follows a handle to the series that records its samples: checks the generation of tracked
/// series (reviving evicted ones) and follows top-N redirects, counting redirected activity.
#[cold]
fn resolve_tracked(table: &SeriesTable, series: &'static Series, handle: u32, value: f64) -> Option<&'static Series> {
    let mut series = series;
    let mut handle = handle;
    for _ in 0..3 {
        let policy = series.policy.as_ref()?;
        if policy.generation() != handle::generation(handle) {
            handle = series.family.revive(table, handle).ok()?;
            series = table.get(handle::slot(handle))?;
            continue;
        }
        policy.touched.store(true, Relaxed);
        let redirect = policy.redirect.load(Relaxed);
        if redirect == 0 {
            return Some(series);
        }
        let weight = if series.family.weigh_by_value { value.abs() } else { 1.0 };
        crate::histogram::add_f64(&policy.redirected_activity, weight);
        handle = redirect;
        series = table.get(handle::slot(handle))?;
    }
    Some(series)
}

/// A sample for a removed (untracked) series: its labels come back as a live series.
#[cold]
fn revive_removed(table: &SeriesTable, series: &'static Series) -> Option<&'static Series> {
    let handle = series.family.revive_removed(table, series).ok()?;
    table.get(handle::slot(handle))
}

/// Applies buffered `(handle, value)` pairs recorded by JS thread `thread`. No lock is taken on
/// the common path: handles resolve through the lock-free series table and cells are atomics.
/// Garbage values are dropped and counted per family by reason; unknown handles are skipped.
pub fn apply(thread: u32, samples: &[f64]) {
    let table = &state().table;
    for pair in samples.chunks_exact(2) {
        let raw = pair[0] as u32;
        let value = pair[1];
        let Some(mut series) = table.get(handle::slot(raw)) else { continue };
        if !value.is_finite() {
            series.family.reject(if value.is_nan() { RejectReason::Nan } else { RejectReason::Infinite });
            continue;
        }
        if series.policy.is_some() {
            match resolve_tracked(table, series, raw & !SET_FLAG, value) {
                Some(s) => series = s,
                None => continue,
            }
        } else if series.is_removed() {
            match revive_removed(table, series) {
                Some(s) => series = s,
                None => continue,
            }
        }
        record(series, thread, value, raw & SET_FLAG != 0);
    }
}

#[inline]
fn record(series: &Series, thread: u32, value: f64, set: bool) {
    match &series.cells {
        Cells::Histogram(h) => h.observe(&series.family.def.bounds, thread, value),
        Cells::Counter(c) => {
            if value < 0.0 {
                series.family.reject(RejectReason::Negative);
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
pub fn record_folded(family_id: u32, thread: u32, values: &[String], value: f64) -> Result<(), CoreError> {
    let family = family(family_id)?;
    if !value.is_finite() {
        family.reject(if value.is_nan() { RejectReason::Nan } else { RejectReason::Infinite });
        return Ok(());
    }
    let table = &state().table;
    if let Some(handle) = family.record_folded(table, values, value)? {
        if let Some(series) = table.get(handle::slot(handle)) {
            let series = match series.policy.is_some() {
                true => resolve_tracked(table, series, handle, value).unwrap_or(series),
                false => series,
            };
            record(series, thread, value, false);
        }
    }
    Ok(())
}

/// Binds a label set and records one sample into it, in one call (the first sample of a label set
/// JS has not cached). Returns the handle to cache, or `FOLDED` when top-N folds the set (the sample
/// was recorded for it; JS must not cache).
pub fn bind_and_record(family_id: u32, thread: u32, values: &[String], value: f64, set: bool) -> Result<u32, CoreError> {
    let handle = bind(family_id, values)?;
    if handle & handle::FOLDED != 0 {
        record_folded(family_id, thread, values, value)?;
        return Ok(handle::FOLDED);
    }
    apply(thread, &[(if set { handle | SET_FLAG } else { handle }) as f64, value]);
    Ok(handle)
}

/// Re-ranks top-N labels and evicts idle series of every family in `registry_name` when due.
pub fn maintain(registry_name: &str) -> Result<(), CoreError> {
    let now = now_ms();
    for family in registry(registry_name).families() {
        family.maintain(&state().table, now)?;
    }
    Ok(())
}

/// Removes one series by label values; returns whether it existed.
pub fn remove(family_id: u32, values: &[String]) -> Result<bool, CoreError> {
    family(family_id)?.remove(values)
}

/// Removes every series of a family.
pub fn clear(family_id: u32) -> Result<(), CoreError> {
    family(family_id)?.clear();
    Ok(())
}

/// The live handle for each cached handle of a family (0: evicted; drop it from the cache).
pub fn resolve(family_id: u32, handles: &[u32]) -> Result<Vec<u32>, CoreError> {
    Ok(family(family_id)?.resolve(handles))
}

/// Counts a sample JS dropped before it reached the buffer (for example, bad label values).
pub fn count_rejected(family_id: u32, reason: RejectReason) -> Result<(), CoreError> {
    family(family_id)?.reject(reason);
    Ok(())
}

pub fn kind_of(family_id: u32) -> Result<Kind, CoreError> {
    Ok(family(family_id)?.def.kind)
}
