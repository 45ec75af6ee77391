//! A family's label values, interned: each distinct (escaped) value of each label is stored once
//! and a series holds one small id per label instead of its own copy of the label text. The
//! exposition writes `name="value"` pairs from the ids (render.rs), the lifecycle finds series by
//! their ids (lifecycle.rs).
//!
//! A value lives while something refers to it: a series' slot (live or retired), a stale handle
//! the lifecycle still remembers (its graveyard), or a demoted top-N series the family tracks.
//! Each of those holds one reference; the value is freed, and its id reused, when the last one
//! goes, so label values that churn (a TTL family) do not accumulate.
//!
//! Readers that hold no family lock (rendering, snapshots) take the read lock: a value cannot be
//! freed while it is held.

use crate::labels::escape_label_value;
use hashbrown::HashTable;
use std::hash::{BuildHasher, RandomState};

/// The value ids of one label set, one per label that is not dropped, in label order.
pub(crate) type LabelKey = Box<[u32]>;

/// The values of one label.
#[derive(Default)]
struct ValueTable {
    /// Escaped text by id; `None` for a freed id.
    texts: Vec<Option<Box<str>>>,
    refs: Vec<u32>,
    free: Vec<u32>,
    /// Ids by the hash of their text.
    index: HashTable<u32>,
}

impl ValueTable {
    fn text(&self, id: u32) -> &str {
        self.texts.get(id as usize).and_then(|t| t.as_deref()).unwrap_or("")
    }

    fn find(&self, hasher: &RandomState, escaped: &str) -> Option<u32> {
        self.index.find(hasher.hash_one(escaped), |&id| self.text(id) == escaped).copied()
    }

    fn intern(&mut self, hasher: &RandomState, escaped: &str) -> u32 {
        let hash = hasher.hash_one(escaped);
        if let Some(&id) = self.index.find(hash, |&id| self.text(id) == escaped) {
            return id;
        }
        let id = match self.free.pop() {
            Some(id) => {
                self.texts[id as usize] = Some(escaped.into());
                id
            }
            None => {
                self.texts.push(Some(escaped.into()));
                self.refs.push(0);
                (self.texts.len() - 1) as u32
            }
        };
        let texts = &self.texts;
        self.index.insert_unique(hash, id, |&other| hasher.hash_one(texts[other as usize].as_deref().unwrap_or("")));
        id
    }

    fn free_if_unused(&mut self, hasher: &RandomState, id: u32) {
        if self.refs.get(id as usize) != Some(&0) || self.texts[id as usize].is_none() {
            return;
        }
        let hash = hasher.hash_one(self.text(id));
        if let Ok(entry) = self.index.find_entry(hash, |&other| other == id) {
            entry.remove();
        }
        self.texts[id as usize] = None;
        self.free.push(id);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.texts.len() - self.free.len()
    }
}

/// The interned values of every label of a family that is not dropped.
pub(crate) struct LabelValues {
    /// Names of the labels that are not dropped, in order.
    names: Vec<String>,
    tables: Vec<ValueTable>,
    hasher: RandomState,
    /// Reused for escaping the value being looked up.
    scratch: String,
}

impl LabelValues {
    pub(crate) fn new(names: Vec<String>) -> LabelValues {
        let tables = names.iter().map(|_| ValueTable::default()).collect();
        LabelValues { names, tables, hasher: RandomState::new(), scratch: String::new() }
    }

    /// The key of these values (one per label that is not dropped), if every one of them is
    /// interned; `None` means no series, live, retired or remembered, has them.
    /// Takes `&self` so a bind can look up values already interned under the read lock, without
    /// waiting for a scrape that holds it (the escaping buffer is the caller's own, not `scratch`).
    pub(crate) fn find<'a>(&self, values: impl IntoIterator<Item = &'a str>) -> Option<LabelKey> {
        let mut key = Vec::with_capacity(self.tables.len());
        let mut escaped = String::new();
        for (table, value) in self.tables.iter().zip(values) {
            escaped.clear();
            escape_label_value(value, &mut escaped);
            key.push(table.find(&self.hasher, &escaped)?);
        }
        Some(key.into_boxed_slice())
    }

    /// The key of these values, interning the ones not seen yet (with no reference: a caller
    /// that does not keep the key calls `free_unused`).
    pub(crate) fn intern<'a>(&mut self, values: impl IntoIterator<Item = &'a str>) -> LabelKey {
        let mut key = Vec::with_capacity(self.tables.len());
        for (table, value) in self.tables.iter_mut().zip(values) {
            self.scratch.clear();
            escape_label_value(value, &mut self.scratch);
            key.push(table.intern(&self.hasher, &self.scratch));
        }
        key.into_boxed_slice()
    }

    /// One more reference to each value of `key`.
    pub(crate) fn retain(&mut self, key: &[u32]) {
        for (table, &id) in self.tables.iter_mut().zip(key) {
            table.refs[id as usize] += 1;
        }
    }

    /// One reference less to each value of `key`; values nothing refers to any more are freed.
    pub(crate) fn release(&mut self, key: &[u32]) {
        for (table, &id) in self.tables.iter_mut().zip(key) {
            let refs = &mut table.refs[id as usize];
            debug_assert!(*refs > 0, "label value {id} released more often than retained");
            *refs = refs.saturating_sub(1);
            table.free_if_unused(&self.hasher, id);
        }
    }

    /// Frees the values of `key` nothing refers to (interned for a binding that did not keep them).
    pub(crate) fn free_unused(&mut self, key: &[u32]) {
        for (table, &id) in self.tables.iter_mut().zip(key) {
            table.free_if_unused(&self.hasher, id);
        }
    }

    /// Appends the escaped `name="value"` pairs of `ids` (comma-separated, no braces) to `out`.
    pub(crate) fn write_pairs(&self, ids: impl IntoIterator<Item = u32>, out: &mut Vec<u8>) {
        for (i, ((name, table), id)) in self.names.iter().zip(&self.tables).zip(ids).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"=\"");
            out.extend_from_slice(table.text(id).as_bytes());
            out.push(b'"');
        }
    }

    /// The escaped `name="value",...` text of `key` (rare paths and tests).
    pub(crate) fn pairs(&self, key: &[u32]) -> String {
        let mut out = Vec::new();
        self.write_pairs(key.iter().copied(), &mut out);
        String::from_utf8(out).expect("label text is UTF-8")
    }

    /// Interned values in all labels (for tests and self-checks).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.tables.iter().map(ValueTable::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_once_and_frees_when_the_last_reference_goes() {
        let mut values = LabelValues::new(vec!["a".into(), "b".into()]);
        assert!(values.find(["x", "y"]).is_none());
        let k = values.intern(["x", "q\"\n"]);
        assert_eq!(values.intern(["x", "q\"\n"]), k);
        assert_eq!(values.find(["x", "q\"\n"]), Some(k.clone()));
        assert_eq!(values.pairs(&k), "a=\"x\",b=\"q\\\"\\n\"");
        values.retain(&k);
        values.retain(&k);
        let other = values.intern(["x", "z"]);
        values.retain(&other);
        assert_eq!(values.len(), 3);
        values.release(&k);
        assert_eq!(values.len(), 3);
        values.release(&k);
        // "x" is still held by `other`; "q\"\n" is gone and its id is reused.
        assert_eq!(values.len(), 2);
        assert!(values.find(["x", "q\"\n"]).is_none());
        let reused = values.intern(["w", "v"]);
        assert_eq!(reused[1], k[1]);
        values.free_unused(&reused);
        assert_eq!(values.len(), 2);
        assert_eq!(values.pairs(&other), "a=\"x\",b=\"z\"");
    }
}
