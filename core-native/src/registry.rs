//! Process-wide state: named registries of families, every family by id, the series table and
//! JS thread ids. Recording is record.rs; a family's series are its lifecycle's (lifecycle.rs).

use crate::definition::{Definition, Limits};
use crate::errors::CoreError;
use crate::family::{now_ms, Family};
use crate::series::RejectReason;
use crate::series_table::SeriesTable;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering::Relaxed};
use std::sync::{Mutex, OnceLock, RwLock};

/// A named set of families rendered together. Every thread that names the same registry shares it.
pub(crate) struct Registry {
    /// Sorted by name: the exposition's stable order.
    families: Mutex<BTreeMap<String, &'static Family>>,
    /// Size of the last body rendered, to size the next one's buffer.
    pub(crate) last_render_bytes: AtomicUsize,
}

impl Registry {
    pub(crate) fn families(&self) -> Vec<&'static Family> {
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
pub(crate) fn register_thread() -> u32 {
    state().next_thread.fetch_add(1, Relaxed)
}

pub(crate) fn registry(name: &str) -> &'static Registry {
    let mut map = state().registries.lock().unwrap_or_else(|e| e.into_inner());
    map.entry(name.to_string())
        .or_insert_with(|| Box::leak(Box::new(Registry {
            families: Mutex::new(BTreeMap::new()),
            last_render_bytes: AtomicUsize::new(0),
        })))
}

/// Registers `def` in `registry_name`, or returns the existing family if the definition matches.
#[cfg(test)]
pub(crate) fn define(registry_name: &str, def: Definition) -> Result<&'static Family, CoreError> {
    define_with_limits(registry_name, def, Limits::default())
}

/// `define` with a label policy, series cap and TTL. A redefinition must bring the same limits.
pub(crate) fn define_with_limits(registry_name: &str, def: Definition, limits: Limits) -> Result<&'static Family, CoreError> {
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

pub(crate) fn family(id: u32) -> Result<&'static Family, CoreError> {
    let all = state().families.read().unwrap_or_else(|e| e.into_inner());
    all.get(id as usize).copied().ok_or(CoreError::UnknownFamily { id })
}

/// The process-wide series table.
pub(crate) fn table() -> &'static SeriesTable {
    &state().table
}

pub(crate) fn bind(family_id: u32, values: &[String]) -> Result<u32, CoreError> {
    family(family_id)?.bind(&state().table, values)
}

/// Re-ranks top-N labels and evicts idle series of every family in `registry_name` when due.
pub(crate) fn maintain(registry_name: &str) -> Result<(), CoreError> {
    let now = now_ms();
    for family in registry(registry_name).families() {
        family.maintain(&state().table, now)?;
    }
    Ok(())
}

/// Removes one series by label values; returns whether it existed.
pub(crate) fn remove(family_id: u32, values: &[String]) -> Result<bool, CoreError> {
    family(family_id)?.remove(&state().table, values)
}

/// Removes every series of a family.
pub(crate) fn clear(family_id: u32) -> Result<(), CoreError> {
    family(family_id)?.clear(&state().table);
    Ok(())
}

/// The live handle for each cached handle of a family (0: evicted; drop it from the cache).
pub(crate) fn resolve(family_id: u32, handles: &[u32]) -> Result<Vec<u32>, CoreError> {
    Ok(family(family_id)?.resolve(&state().table, handles))
}

/// Counts a sample JS dropped before it reached the buffer (for example, bad label values).
pub(crate) fn count_rejected(family_id: u32, reason: RejectReason) -> Result<(), CoreError> {
    family(family_id)?.shared.reject(reason);
    Ok(())
}
