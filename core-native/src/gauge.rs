//! Gauge series storage: one f64 that is set or added to, last write wins across threads.

use crate::histogram::add_f64;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

#[repr(transparent)]
pub(crate) struct GaugeCell(AtomicU64);

impl GaugeCell {
    /// The gauge kept in `word` (a series' cell block, series.rs).
    pub(crate) fn at(word: &AtomicU64) -> &GaugeCell {
        // SAFETY: `GaugeCell` is a transparent wrapper of `AtomicU64`.
        unsafe { &*(word as *const AtomicU64).cast::<GaugeCell>() }
    }

    pub(crate) fn new() -> Self {
        GaugeCell(AtomicU64::new(0f64.to_bits()))
    }

    #[inline]
    pub(crate) fn set(&self, v: f64) {
        self.0.store(v.to_bits(), Relaxed);
    }

    #[inline]
    pub(crate) fn add(&self, v: f64) {
        add_f64(&self.0, v);
    }

    pub(crate) fn get(&self) -> f64 {
        f64::from_bits(self.0.load(Relaxed))
    }
}

impl Default for GaugeCell {
    fn default() -> Self {
        Self::new()
    }
}
