//! Process-wide state: named registries of families, the series table, JS thread ids, and the
//! batch apply that turns buffered samples into recorded values.

use crate::errors::CoreError;
use crate::family::{Definition, Family, Kind, RejectReason};
use crate::series::Cells;
use crate::series_table::SeriesTable;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::sync::{Mutex, OnceLock, RwLock};

/// Set on a sample's handle to mean "gauge set" rather than "add / observe".
pub const SET_FLAG: u32 = 1 << 31;

/// A named set of families rendered together. Every thread that names the same registry shares it.
pub struct Registry {
    pub name: String,
    /// Sorted by name: the exposition's stable order.
    families: Mutex<BTreeMap<String, &'static Family>>,
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
        .or_insert_with(|| Box::leak(Box::new(Registry { name: name.to_string(), families: Mutex::new(BTreeMap::new()) })))
}

/// Registers `def` in `registry_name`, or returns the existing family if the definition matches.
pub fn define(registry_name: &str, def: Definition) -> Result<&'static Family, CoreError> {
    def.validate()?;
    let registry = registry(registry_name);
    let mut families = registry.families.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(existing) = families.get(&def.name) {
        return match existing.def.clash_with(&def) {
            Some(detail) => Err(CoreError::Clash { metric: def.name, detail }),
            None => Ok(existing),
        };
    }
    let mut all = state().families.write().unwrap_or_else(|e| e.into_inner());
    let family: &'static Family = Box::leak(Box::new(Family::new(all.len() as u32, def)));
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

/// Applies buffered `(handle, value)` pairs recorded by JS thread `thread`. No lock is taken:
/// handles resolve through the lock-free series table and cells are atomics.
/// Garbage values are dropped and counted per family by reason; unknown handles are skipped.
pub fn apply(thread: u32, samples: &[f64]) {
    let table = &state().table;
    for pair in samples.chunks_exact(2) {
        let raw = pair[0] as u32;
        let value = pair[1];
        let Some(series) = table.get(raw & !SET_FLAG) else { continue };
        if !value.is_finite() {
            series.family.reject(if value.is_nan() { RejectReason::Nan } else { RejectReason::Infinite });
            continue;
        }
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
                if raw & SET_FLAG != 0 {
                    g.set(value)
                } else {
                    g.add(value)
                }
            }
        }
    }
}

/// Counts a sample JS dropped before it reached the buffer (for example, bad label values).
pub fn count_rejected(family_id: u32, reason: RejectReason) -> Result<(), CoreError> {
    family(family_id)?.reject(reason);
    Ok(())
}

pub fn kind_of(family_id: u32) -> Result<Kind, CoreError> {
    Ok(family(family_id)?.def.kind)
}
