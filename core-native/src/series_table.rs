//! The process-wide table from series handle (a small integer) to series, read without locks.
//!
//! Handles index fixed-size segments that are allocated on demand and never move, so the
//! recording path resolves a handle with two acquire loads; only appending takes a lock.

use crate::series::Series;
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering::*};
use std::sync::Mutex;

const SEGMENT_BITS: u32 = 12;
const SEGMENT_LEN: usize = 1 << SEGMENT_BITS;
const SEGMENT_COUNT: usize = 1 << (crate::handle::SLOT_BITS - SEGMENT_BITS);
/// The largest number of series one process can hold (16,777,216).
pub(crate) const MAX_SERIES: usize = SEGMENT_LEN * SEGMENT_COUNT;

type Segment = [AtomicPtr<Series>; SEGMENT_LEN];

pub(crate) struct SeriesTable {
    segments: Box<[AtomicPtr<Segment>]>,
    next: Mutex<u32>,
}

impl SeriesTable {
    pub(crate) fn new() -> Self {
        SeriesTable {
            segments: (0..SEGMENT_COUNT).map(|_| AtomicPtr::new(ptr::null_mut())).collect(),
            // Handle 0 is never issued so that a zeroed buffer slot can never hit a real series.
            next: Mutex::new(1),
        }
    }

    /// Stores the series `make` returns for good and returns its slot, or `None` (without
    /// calling `make`) when the table is full.
    pub(crate) fn insert(&self, make: impl FnOnce() -> &'static Series) -> Option<u32> {
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        let id = *next as usize;
        if id >= MAX_SERIES {
            return None;
        }
        let seg_index = id >> SEGMENT_BITS;
        let mut segment = self.segments[seg_index].load(Acquire);
        if segment.is_null() {
            let fresh: Box<Segment> = Box::new(std::array::from_fn(|_| AtomicPtr::new(ptr::null_mut())));
            segment = Box::into_raw(fresh);
            self.segments[seg_index].store(segment, Release);
        }
        // SAFETY: segments are never freed.
        let segment: &Segment = unsafe { &*segment };
        segment[id & (SEGMENT_LEN - 1)].store(make() as *const Series as *mut Series, Release);
        *next += 1;
        Some(id as u32)
    }

    #[inline]
    pub(crate) fn get(&self, slot: u32) -> Option<&'static Series> {
        let id = slot as usize;
        let segment = self.segments.get(id >> SEGMENT_BITS)?.load(Acquire);
        if segment.is_null() {
            return None;
        }
        // SAFETY: segments and series are never freed.
        let segment: &Segment = unsafe { &*segment };
        let series = segment[id & (SEGMENT_LEN - 1)].load(Acquire);
        if series.is_null() {
            None
        } else {
            Some(unsafe { &*series })
        }
    }
}

impl Default for SeriesTable {
    fn default() -> Self {
        Self::new()
    }
}
