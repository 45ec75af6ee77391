//! Counter series storage: one f64 that only goes up, added to with a CAS loop (any thread).

use crate::histogram::add_f64;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

#[repr(transparent)]
pub(crate) struct CounterCell(AtomicU64);

impl CounterCell {
    /// The counter kept in `word` (a series' cell block, series.rs).
    pub(crate) fn at(word: &AtomicU64) -> &CounterCell {
        // SAFETY: `CounterCell` is a transparent wrapper of `AtomicU64`.
        unsafe { &*(word as *const AtomicU64).cast::<CounterCell>() }
    }

    pub(crate) fn new() -> Self {
        CounterCell(AtomicU64::new(0f64.to_bits()))
    }

    /// Adds `amount`, which the caller has checked is finite and not negative.
    #[inline]
    pub(crate) fn inc(&self, amount: f64) {
        add_f64(&self.0, amount);
    }

    pub(crate) fn reset(&self) {
        self.0.store(0f64.to_bits(), Relaxed);
    }

    pub(crate) fn get(&self) -> f64 {
        f64::from_bits(self.0.load(Relaxed))
    }
}

impl Default for CounterCell {
    fn default() -> Self {
        Self::new()
    }
}
