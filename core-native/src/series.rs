//! One series: its family, its label prefix prepared once at binding time, and its cells.

use crate::counter::CounterCell;
use crate::family::{Family, Kind};
use crate::gauge::GaugeCell;
use crate::histogram::HistogramCells;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

pub enum Cells {
    Counter(CounterCell),
    Gauge(GaugeCell),
    Histogram(HistogramCells),
}

impl Cells {
    pub fn new(kind: Kind, buckets: usize) -> Cells {
        match kind {
            Kind::Counter => Cells::Counter(CounterCell::new()),
            Kind::Gauge => Cells::Gauge(GaugeCell::new()),
            Kind::Histogram => Cells::Histogram(HistogramCells::new(buckets)),
        }
    }

    /// Activity so far: a histogram's count (or sum when weighing by value), a counter's value.
    pub fn activity(&self, by_value: bool) -> f64 {
        match self {
            Cells::Counter(c) => c.get(),
            Cells::Gauge(_) => 0.0,
            Cells::Histogram(h) => {
                let snap = h.snapshot();
                if by_value {
                    snap.sum
                } else {
                    snap.count() as f64
                }
            }
        }
    }

    /// Zeroes the cells so an evicted series' memory can hold a new label set.
    pub fn reset(&self) {
        match self {
            Cells::Counter(c) => c.reset(),
            Cells::Gauge(g) => g.set(0.0),
            Cells::Histogram(h) => h.reset(),
        }
    }
}

/// State only families with a label policy or a TTL pay for.
pub struct SeriesPolicy {
    /// Bumped on eviction; a handle carries the generation it was issued for.
    pub generation: AtomicU32,
    /// Set by every sample, cleared by the TTL sweep.
    pub touched: AtomicBool,
    /// Handle of the series samples go to instead (after a top-N demotion), or 0.
    pub redirect: AtomicU32,
    /// Activity of samples redirected away (f64 bits), still counted for the ranking.
    pub redirected_activity: AtomicU64,
    /// Activity seen by the last re-rank (f64 bits), to compute deltas.
    pub last_activity: AtomicU64,
    /// When the TTL sweep last saw a sample (ms on the core's monotonic clock).
    pub idle_since_ms: AtomicU64,
    /// The series' values of its top-N labels, in label order (empty without top-N).
    pub ranked: Mutex<Vec<(usize, Box<str>)>>,
}

impl SeriesPolicy {
    pub fn new(now_ms: u64) -> SeriesPolicy {
        SeriesPolicy {
            generation: AtomicU32::new(0),
            touched: AtomicBool::new(false),
            redirect: AtomicU32::new(0),
            redirected_activity: AtomicU64::new(0f64.to_bits()),
            last_activity: AtomicU64::new(0f64.to_bits()),
            idle_since_ms: AtomicU64::new(now_ms),
            ranked: Mutex::new(Vec::new()),
        }
    }

    pub fn generation(&self) -> u32 {
        self.generation.load(Relaxed)
    }
}

pub struct Series {
    pub family: &'static Family,
    /// Escaped `name="value",...` pairs without braces, written verbatim on every scrape.
    /// Replaced only when an evicted series' memory is reused for another label set.
    labels: Mutex<Arc<str>>,
    /// Set when an untracked series was removed: its samples revive its labels instead.
    removed: AtomicBool,
    pub policy: Option<Box<SeriesPolicy>>,
    pub cells: Cells,
}

impl Series {
    pub fn new(family: &'static Family, labels: Arc<str>, policy: Option<Box<SeriesPolicy>>) -> Series {
        Series {
            family,
            labels: Mutex::new(labels),
            removed: AtomicBool::new(false),
            policy,
            cells: Cells::new(family.def.kind, family.le_values.len()),
        }
    }

    #[inline]
    pub fn is_removed(&self) -> bool {
        self.removed.load(Relaxed)
    }

    pub fn mark_removed(&self) {
        self.removed.store(true, Relaxed);
    }

    pub fn labels(&self) -> Arc<str> {
        self.labels.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn set_labels(&self, labels: Arc<str>) {
        *self.labels.lock().unwrap_or_else(|e| e.into_inner()) = labels;
    }
}
