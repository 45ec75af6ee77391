//! The series lifecycle of one family: the one place series come to life, leave the exposition
//! and have their memory reused. Binding, revival, removal, reset (`clear`) and TTL eviction all go
//! through here.
//!
//! - A series that leaves (removed, reset, evicted) is *retired*: out of the exposition, cells
//!   zeroed, its slot queued for reuse, its labels remembered with the slot. Its handle stays the
//!   same: binding the same labels again (or a sample on a handle JS still caches) revives it in
//!   place, so prom-client's `reset()`-then-record pattern and remove/re-record cycles allocate
//!   nothing.
//! - A new label set takes the oldest retired slot before the table grows. Only then does the
//!   slot's generation move on (handle.rs), and the old handle goes to a bounded graveyard so a
//!   sample on it revives its own labels, never the slot's new label set.
//! - A slot whose generation would wrap is not reused (1 slot in 256 reassignments stays
//!   allocated): a handle held that long would otherwise match the slot again.

use crate::arena::{Arena, Blocks, Words};
use crate::handle;
use crate::label_values::{LabelKey, LabelValues};
use crate::series::{Series, SeriesPolicy, Shared};
use crate::series_table::SeriesTable;
use hashbrown::HashTable;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// How many stale handles of reassigned slots are remembered at least (see `Lifecycle::new`).
const GRAVEYARD_MIN: usize = 1024;

/// The top-N values of a series, in label order (see `SeriesPolicy::ranked`).
pub(crate) type Ranked = Vec<(usize, Box<str>)>;

pub(crate) struct Lifecycle {
    /// Live series' handles, found by their label values' ids (hashed; compared against the
    /// series' own ids, so an entry is one u32).
    by_labels: HashTable<u32>,
    /// Live series in the order they (re)entered: the exposition order.
    ordered: Vec<&'static Series>,
    /// Retired series whose slot still holds their labels, found like `by_labels`.
    retired: HashTable<u32>,
    /// Retired slots, oldest retirement first (the key orders them); reused oldest first.
    free: BTreeMap<u64, u32>,
    /// Slot -> its key in `free`.
    free_key: HashMap<u32, u64>,
    next_key: u64,
    /// Stale handle of a reassigned slot -> the labels it was bound to (bounded, oldest forgotten).
    graveyard: HashMap<u32, (LabelKey, u64)>,
    graveyard_order: VecDeque<(u32, u64)>,
    graveyard_cap: usize,
    /// Whether series carry `SeriesPolicy` state (a label policy or a TTL).
    tracked: bool,
    /// The family's interned label values; a series slot and a graveyard entry each hold a
    /// reference to the values of their labels. Shared with readers that hold no family lock.
    values: Arc<RwLock<LabelValues>>,
    hasher: RandomState,
    /// The family's series, their label value ids and their histogram cells (arena.rs): never
    /// freed, reused in place.
    series_arena: Arena<Series>,
    id_blocks: Option<Blocks<AtomicU32>>,
    cell_words: Option<Words>,
}

/// What a stale handle should be bound to again.
pub(crate) enum Revival {
    /// The labels the handle was bound to.
    Labels(LabelKey),
    /// Forgotten: the family's overflow series takes the sample.
    Forgotten,
}

fn hash_ids(hasher: &RandomState, ids: impl Iterator<Item = u32>) -> u64 {
    let mut h = hasher.build_hasher();
    ids.for_each(|id| h.write_u32(id));
    h.finish()
}

/// The series of a handle the lifecycle holds (live or retired: always in the table).
fn series_of(table: &SeriesTable, handle: u32) -> &'static Series {
    table.get(handle::slot(handle)).expect("the lifecycle's slots stay in the table")
}

impl Lifecycle {
    /// A lifecycle remembering at least `max(max_series, 1024)` stale handles, of series whose
    /// labels are interned in `values`.
    pub(crate) fn new(tracked: bool, max_series: usize, values: Arc<RwLock<LabelValues>>) -> Lifecycle {
        Lifecycle {
            by_labels: HashTable::new(),
            ordered: Vec::new(),
            retired: HashTable::new(),
            free: BTreeMap::new(),
            free_key: HashMap::new(),
            next_key: 0,
            graveyard: HashMap::new(),
            graveyard_order: VecDeque::new(),
            graveyard_cap: max_series.max(GRAVEYARD_MIN),
            tracked,
            values,
            hasher: RandomState::new(),
            series_arena: Arena::new(),
            id_blocks: None,
            cell_words: None,
        }
    }

    /// The interned label values, to read (never while holding `values_mut`).
    pub(crate) fn values(&self) -> RwLockReadGuard<'_, LabelValues> {
        self.values.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The interned label values, to intern or look up.
    pub(crate) fn values_mut(&self) -> RwLockWriteGuard<'_, LabelValues> {
        self.values.write().unwrap_or_else(|e| e.into_inner())
    }

    fn hash(&self, key: &[u32]) -> u64 {
        hash_ids(&self.hasher, key.iter().copied())
    }

    /// The handle of the live series with these labels.
    pub(crate) fn live(&self, table: &SeriesTable, key: &[u32]) -> Option<u32> {
        self.by_labels.find(self.hash(key), |&h| series_of(table, h).has_key(key)).copied()
    }

    /// Live series count.
    pub(crate) fn len(&self) -> usize {
        self.ordered.len()
    }

    /// The live series in exposition order (a copy, so rendering holds no lock).
    pub(crate) fn series(&self) -> Vec<&'static Series> {
        self.ordered.clone()
    }

    /// Retired series whose memory waits for reuse (for tests and self-checks).
    pub(crate) fn retired_count(&self) -> usize {
        self.free.len()
    }

    /// Brings the series of `key` to life and returns its handle: the live one, the retired one
    /// revived in place, or a new one in the oldest retired slot or a new slot. `ranked` replaces
    /// the series' top-N values (None: keep them when revived in place, none for a new series).
    pub(crate) fn bind(
        &mut self,
        shared: &'static Shared,
        table: &SeriesTable,
        key: &[u32],
        ranked: Option<Ranked>,
        now_ms: u64,
    ) -> Option<u32> {
        if let Some(handle) = self.live(table, key) {
            return Some(handle);
        }
        let hash = self.hash(key);
        if let Ok(entry) = self.retired.find_entry(hash, |&h| series_of(table, h).has_key(key)) {
            let (handle, _) = entry.remove();
            let series = series_of(table, handle);
            self.unqueue(handle::slot(handle));
            if let Some(p) = series.policy.as_ref() {
                let keep = || std::mem::take(&mut *p.ranked.lock().unwrap_or_else(|e| e.into_inner()));
                p.restart(now_ms, ranked.unwrap_or_else(keep));
            }
            return Some(self.enter(table, series, handle));
        }
        let ranked = ranked.unwrap_or_default();
        // The series about to take `key` holds a reference to its values from here on (taken
        // first: burying a slot's old labels below may release values `key` shares).
        self.values_mut().retain(key);
        while let Some((_, slot)) = self.free.pop_first() {
            self.free_key.remove(&slot);
            let series = table.get(slot).expect("retired slots stay in the table");
            let old_key = series.key();
            let old_hash = self.hash(&old_key);
            let Ok(entry) = self.retired.find_entry(old_hash, |&h| handle::slot(h) == slot) else {
                unreachable!("a queued slot holds retired labels")
            };
            let (old, _) = entry.remove();
            let generation = series.generation();
            if generation == handle::GEN_MASK {
                // Quarantined for good (see the module comment), yet still holding its old labels:
                // `revival` falls back to them once the graveyard forgets `old`, so they keep a
                // reference of their own and their ids are never freed or reused for other values.
                self.values_mut().retain(&old_key);
                self.bury(old, old_key);
                continue;
            }
            // The slot's reference to its old labels passes to the graveyard.
            self.bury(old, old_key);
            series.cells().reset(); // again: a sample racing the retirement may have landed
            series.set_key(key);
            if let Some(p) = series.policy.as_ref() {
                p.restart(now_ms, ranked);
            }
            let handle = handle::make(slot, generation + 1);
            series.set_tag(generation + 1, false);
            return Some(self.enter(table, series, handle));
        }
        let policy = self.tracked.then(|| {
            let p = SeriesPolicy::new(now_ms);
            p.restart(now_ms, ranked);
            Box::new(p)
        });
        let ids = self.id_blocks.get_or_insert_with(|| Blocks::new(key.len()));
        let words = self.cell_words.get_or_insert_with(|| Words::new(shared.cell_words()));
        let arena = &mut self.series_arena;
        let mut made = None;
        let Some(slot) = table.insert(|| *made.insert(arena.alloc(Series::new(shared, key, ids.take(), policy, words)))) else {
            self.values_mut().release(key);
            return None;
        };
        let series = made.expect("the table stored the series it made");
        Some(self.enter(table, series, handle::make(slot, 0)))
    }

    fn enter(&mut self, table: &SeriesTable, series: &'static Series, handle: u32) -> u32 {
        series.set_tag(handle::generation(handle), false);
        self.ordered.push(series);
        let hash = hash_ids(&self.hasher, series.key().iter().copied());
        let hasher = &self.hasher;
        self.by_labels.insert_unique(hash, handle, |&h| hash_ids(hasher, series_of(table, h).key().iter().copied()));
        handle
    }

    fn unqueue(&mut self, slot: u32) {
        if let Some(key) = self.free_key.remove(&slot) {
            self.free.remove(&key);
        }
    }

    /// Remembers that `stale` was bound to `labels` (its slot goes to another label set), with
    /// the reference to their values the slot held; forgetting a handle releases it.
    fn bury(&mut self, stale: u32, labels: LabelKey) {
        let order = self.next_key;
        self.next_key += 1;
        let mut forgotten = Vec::new();
        if let Some((replaced, _)) = self.graveyard.insert(stale, (labels, order)) {
            forgotten.push(replaced);
        }
        self.graveyard_order.push_back((stale, order));
        while self.graveyard_order.len() > self.graveyard_cap {
            let Some((oldest, order)) = self.graveyard_order.pop_front() else { break };
            if self.graveyard.get(&oldest).is_some_and(|(_, o)| *o == order) {
                forgotten.extend(self.graveyard.remove(&oldest).map(|(key, _)| key));
            }
        }
        if !forgotten.is_empty() {
            let mut values = self.values_mut();
            forgotten.iter().for_each(|key| values.release(key));
        }
    }

    /// Takes a live series out of the exposition (it must already be out of `ordered`): cells
    /// zeroed, slot queued for reuse, labels kept with it. Returns its handle, None if not live.
    fn retire(&mut self, table: &SeriesTable, series: &'static Series) -> Option<u32> {
        let key = series.key();
        let hash = self.hash(&key);
        let (handle, _) = self.by_labels.find_entry(hash, |&h| series_of(table, h).has_key(&key)).ok()?.remove();
        series.set_tag(handle::generation(handle), true);
        series.cells().reset();
        let order = self.next_key;
        self.next_key += 1;
        self.free.insert(order, handle::slot(handle));
        self.free_key.insert(handle::slot(handle), order);
        let hasher = &self.hasher;
        self.retired.insert_unique(hash, handle, |&h| hash_ids(hasher, series_of(table, h).key().iter().copied()));
        Some(handle)
    }

    /// Retires the live series of these labels; returns its handle if it was live.
    pub(crate) fn remove(&mut self, table: &SeriesTable, key: &[u32]) -> Option<u32> {
        let position = self.ordered.iter().position(|s| s.has_key(key))?;
        let series = self.ordered.remove(position);
        self.retire(table, series)
    }

    /// Retires every live series (prom-client's `reset()`); returns their handles.
    pub(crate) fn clear(&mut self, table: &SeriesTable) -> Vec<u32> {
        let all = std::mem::take(&mut self.ordered);
        all.into_iter().filter_map(|s| self.retire(table, s)).collect()
    }

    /// Retires the series no sample touched for `ttl` ms; returns their handles.
    pub(crate) fn evict_idle(&mut self, table: &SeriesTable, now: u64, ttl: u64) -> Vec<u32> {
        let mut idle = Vec::new();
        self.ordered.retain(|s| {
            let p = s.policy.as_ref().expect("TTL families track series");
            if p.touched.swap(false, Relaxed) {
                p.idle_since_ms.store(now, Relaxed);
                return true;
            }
            if now.saturating_sub(p.idle_since_ms.load(Relaxed)) < ttl {
                return true;
            }
            idle.push(*s);
            false
        });
        idle.into_iter().filter_map(|s| self.retire(table, s)).collect()
    }

    /// What a sample on `stale` (a handle its series no longer accepts) should be bound to.
    pub(crate) fn revival(&self, table: &SeriesTable, stale: u32) -> Revival {
        if let Some((labels, _)) = self.graveyard.get(&stale) {
            return Revival::Labels(labels.clone());
        }
        match table.get(handle::slot(stale)) {
            Some(s) if s.generation() == handle::generation(stale) => Revival::Labels(s.key()),
            _ => Revival::Forgotten,
        }
    }

    /// The live handle for a handle JS cached: itself while live, the live handle of its labels
    /// after its slot was reassigned, or 0 when its labels are not live (JS drops it).
    pub(crate) fn resolve(&self, table: &SeriesTable, cached: u32) -> u32 {
        if table.get(handle::slot(cached)).is_some_and(|s| s.accepts(cached)) {
            return cached;
        }
        match self.revival(table, cached) {
            Revival::Labels(labels) => self.live(table, &labels).unwrap_or(0),
            Revival::Forgotten => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    //! The lifecycle against a plain reference: a map from labels to value that forgets removed
    //! labels, driven by random operations, with stale handles kept and recorded into.
    use super::*;
    use crate::definition::Kind;
    use crate::series::Cells;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn shared() -> &'static Shared {
        Box::leak(Box::new(Shared::new(0, Kind::Counter, Vec::new(), true, 1)))
    }

    fn lifecycle(max_series: usize) -> Lifecycle {
        Lifecycle::new(false, max_series, Arc::new(RwLock::new(LabelValues::new(vec!["l".into()]))))
    }

    /// The key of one label value, interned (with no reference: binding takes one).
    fn key(life: &Lifecycle, value: &str) -> LabelKey {
        life.values_mut().intern([value])
    }

    fn text(life: &Lifecycle, key: &[u32]) -> String {
        life.values().pairs(key)
    }

    fn value(table: &SeriesTable, h: u32) -> f64 {
        match table.get(handle::slot(h)).unwrap().cells() {
            Cells::Counter(c) => c.get(),
            _ => unreachable!(),
        }
    }

    /// Records like record::apply does: a handle its series does not accept revives its labels.
    fn record(life: &mut Lifecycle, shared: &'static Shared, table: &SeriesTable, h: u32, v: f64) {
        let mut h = h;
        if !table.get(handle::slot(h)).unwrap().accepts(h) {
            let Revival::Labels(labels) = life.revival(table, h) else { panic!("forgot {h:#x}") };
            h = life.bind(shared, table, &labels, None, 0).unwrap();
        }
        match table.get(handle::slot(h)).unwrap().cells() {
            Cells::Counter(c) => c.inc(v),
            _ => unreachable!(),
        }
    }

    fn exposition(life: &Lifecycle, table: &SeriesTable) -> BTreeMap<String, f64> {
        life.series()
            .into_iter()
            .map(|s| {
                let key = s.key();
                let h = life.live(table, &key).unwrap();
                (text(life, &key), value(table, h))
            })
            .collect()
    }

    #[derive(Debug, Clone)]
    enum Op {
        Record { labels: u8, by_cached_handle: bool },
        Remove(u8),
        Clear,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (0u8..12, any::<bool>()).prop_map(|(labels, by_cached_handle)| Op::Record { labels, by_cached_handle }),
            2 => (0u8..12).prop_map(Op::Remove),
            1 => Just(Op::Clear),
        ]
    }

    proptest! {
        #[test]
        fn matches_a_plain_map_and_stale_handles_stay_with_their_labels(ops in proptest::collection::vec(op(), 1..300)) {
            let table = SeriesTable::new();
            let shared = shared();
            let mut life = lifecycle(4);
            let mut reference: BTreeMap<String, f64> = BTreeMap::new();
            // The first handle each label set got: kept like a child a user holds forever.
            let mut cached: HashMap<String, u32> = HashMap::new();
            let mut peak = 0;
            for op in ops {
                match op {
                    Op::Record { labels, by_cached_handle } => {
                        let labels = format!("l=\"{labels}\"");
                        let h = match cached.get(&labels) {
                            Some(&h) if by_cached_handle => h,
                            _ => {
                                let k = key(&life, &labels[3..labels.len() - 1]);
                                let h = life.bind(shared, &table, &k, None, 0).unwrap();
                                life.values_mut().free_unused(&k);
                                h
                            }
                        };
                        cached.entry(labels.clone()).or_insert(h);
                        record(&mut life, shared, &table, h, 1.0);
                        *reference.entry(labels).or_default() += 1.0;
                    }
                    Op::Remove(labels) => {
                        let labels = format!("l=\"{labels}\"");
                        let found = life.values_mut().find([&labels[3..labels.len() - 1]]);
                        let removed = found.is_some_and(|k| life.remove(&table, &k).is_some());
                        prop_assert_eq!(removed, reference.remove(&labels).is_some());
                    }
                    Op::Clear => {
                        life.clear(&table);
                        reference.clear();
                    }
                }
                peak = peak.max(life.len());
                prop_assert_eq!(exposition(&life, &table), reference.clone());
                // Memory comes back: live plus retired never exceeds the most ever live at once
                // (plus slots quarantined at a generation wrap, which 300 operations cannot reach).
                prop_assert!(life.len() + life.retired_count() <= peak);
                // Values come back too: only those of live and retired series and of the
                // remembered stale handles stay interned.
                prop_assert!(life.values().len() <= life.len() + life.retired_count() + life.graveyard.len());
            }
        }
    }

    #[test]
    fn remove_and_rerecord_reuses_one_slot_and_keeps_the_handle() {
        let table = SeriesTable::new();
        let shared = shared();
        let mut life = lifecycle(10);
        let k = key(&life, "1");
        let a = life.bind(shared, &table, &k, None, 0).unwrap();
        for _ in 0..10_000 {
            life.remove(&table, &k).unwrap();
            assert_eq!(life.bind(shared, &table, &k, None, 0), Some(a));
        }
        assert_eq!(life.values().len(), 1);
        assert_eq!(life.len() + life.retired_count(), 1);
    }

    #[test]
    fn a_reassigned_slot_never_takes_a_stale_handles_samples() {
        let table = SeriesTable::new();
        let shared = shared();
        let mut life = lifecycle(10);
        let mut stale = Vec::new();
        // Distinct label sets through one slot, past a generation wrap.
        for i in 0..(handle::GEN_MASK as usize + 10) {
            let k = key(&life, &i.to_string());
            stale.push(life.bind(shared, &table, &k, None, 0).unwrap());
            life.remove(&table, &k).unwrap();
        }
        // The graveyard remembers at most 1,024 stale handles: their values and the retired
        // series' are all that stays interned.
        assert_eq!(life.values().len(), life.graveyard.len() + life.retired_count());
        let first_slot = handle::slot(stale[0]);
        assert!(stale.iter().take(handle::GEN_MASK as usize + 1).all(|&h| handle::slot(h) == first_slot));
        // The generation never wrapped: the slot was quarantined and a new one taken.
        assert_ne!(handle::slot(stale[handle::GEN_MASK as usize + 1]), first_slot);
        let live = life.bind(shared, &table, &key(&life, "new"), None, 0).unwrap();
        for &h in &stale {
            assert!(!table.get(handle::slot(h)).unwrap().accepts(h) || h == live);
        }
    }

    #[test]
    fn a_quarantined_slot_revives_its_own_labels_after_the_graveyard_forgot_it() {
        let table = SeriesTable::new();
        let shared = shared();
        let mut life = lifecycle(10);
        // One slot through every generation: its last label set ("last") is retired with the
        // slot, which is then quarantined when the next binding wants a slot.
        for i in 0..handle::GEN_MASK as usize {
            let k = key(&life, &i.to_string());
            life.bind(shared, &table, &k, None, 0).unwrap();
            life.remove(&table, &k).unwrap();
        }
        let k = key(&life, "last");
        let last = life.bind(shared, &table, &k, None, 0).unwrap();
        life.remove(&table, &k).unwrap();
        // More distinct label sets than the graveyard remembers, so it forgets `last`; their
        // values are freed and their ids reused.
        for i in 0..(GRAVEYARD_MIN + 100) {
            let k = key(&life, &format!("churn{i}"));
            life.bind(shared, &table, &k, None, 0).unwrap();
            life.remove(&table, &k).unwrap();
        }
        assert!(life.graveyard.get(&last).is_none());
        match life.revival(&table, last) {
            Revival::Labels(labels) => assert_eq!(text(&life, &labels), "l=\"last\""),
            Revival::Forgotten => {}
        }
    }
}
