//! The core's clock: milliseconds on a monotonic clock, or a manual time a test sets, so top-N
//! decay, re-ranks and TTLs can be driven deterministically (`setManualClock` from JS).
//!
//! Every time the core compares (series idle since, re-rank due, top-N sample time, demoted since)
//! comes from `now_ms`, so switching to a manual clock changes them all at once. The manual clock
//! is process-wide: it is for tests, never for production.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::OnceLock;
use std::time::Instant;

/// `u64::MAX` means "no manual time: read the monotonic clock".
static MANUAL_MS: AtomicU64 = AtomicU64::new(u64::MAX);

/// now_ms: the current time in ms: the manual time when set, else the monotonic clock (ms since
/// the core first read it). One relaxed load on top of `Instant::now`.
pub(crate) fn now_ms() -> u64 {
    #[cfg(test)]
    if let Some(ms) = THREAD_MS.with(|t| t.get()) {
        return ms;
    }
    let manual = MANUAL_MS.load(Relaxed);
    if manual != u64::MAX {
        return manual;
    }
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64
}

#[cfg(test)]
thread_local! {
    /// A manual time for the calling thread only: Rust tests run in parallel threads of one process.
    static THREAD_MS: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
}

/// set_thread_manual: fixes `now_ms` at `ms` for the calling thread (tests only).
#[cfg(test)]
pub(crate) fn set_thread_manual(ms: Option<u64>) {
    THREAD_MS.with(|t| t.set(ms));
}

/// set_manual: fixes `now_ms` at `ms` (None: back to the monotonic clock).
pub(crate) fn set_manual(ms: Option<u64>) {
    MANUAL_MS.store(ms.map_or(u64::MAX, |m| m.min(u64::MAX - 1)), Relaxed);
}
