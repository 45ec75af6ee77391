//! One series: the ids of its label values (label_values.rs), its cells, its tag (generation and
//! retired bit, checked against every sample's handle) and what it shares with its family's other
//! series. A series knows nothing of the family that owns it: the lifecycle (lifecycle.rs) does.

use crate::arena::Words;
use crate::counter::CounterCell;
use crate::definition::Kind;
use crate::gauge::GaugeCell;
use crate::handle;
use crate::histogram::{HistogramCells, Shard, NO_OWNER};
use crate::label_values::LabelKey;
use std::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, Ordering::*};
use std::ptr::NonNull;
use std::sync::Mutex;

/// Why a sample was dropped instead of recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RejectReason {
    Nan = 0,
    Infinite = 1,
    Negative = 2,
    InvalidLabels = 3,
}

impl RejectReason {
    pub(crate) const ALL: [RejectReason; 4] =
        [RejectReason::Nan, RejectReason::Infinite, RejectReason::Negative, RejectReason::InvalidLabels];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RejectReason::Nan => "nan",
            RejectReason::Infinite => "infinite",
            RejectReason::Negative => "negative",
            RejectReason::InvalidLabels => "invalid_labels",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<RejectReason> {
        RejectReason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Shared: what every series of one family shares and the recording path reads (the family
/// owns one and outlives its series): its id, type, buckets, how top-N weighs a sample, and the
/// counts of samples dropped by reason.
pub(crate) struct Shared {
    pub(crate) family_id: u32,
    pub(crate) kind: Kind,
    /// Upper bounds without `+Inf`; empty for counters and gauges.
    pub(crate) bounds: Vec<f64>,
    /// Top-N weighs samples by value (else 1 per sample).
    pub(crate) weigh_by_value: bool,
    /// Labels that are not dropped: the length of every series' label value ids.
    label_count: usize,
    rejected: [AtomicU64; 4],
}

impl Shared {
    pub(crate) fn new(family_id: u32, kind: Kind, bounds: Vec<f64>, weigh_by_value: bool, label_count: usize) -> Shared {
        Shared { family_id, kind, bounds, weigh_by_value, label_count, rejected: Default::default() }
    }

    pub(crate) fn reject(&self, reason: RejectReason) {
        self.rejected[reason as usize].fetch_add(1, Relaxed);
    }

    pub(crate) fn rejected(&self, reason: RejectReason) -> u64 {
        self.rejected[reason as usize].load(Relaxed)
    }

    /// Buckets including `+Inf` (0 for counters and gauges).
    pub(crate) fn bucket_count(&self) -> usize {
        if self.kind == Kind::Histogram {
            self.bounds.len() + 1
        } else {
            0
        }
    }

    /// The words of a series' cell block: a histogram's 32-bit counts and its sum (histogram.rs),
    /// a counter's or gauge's value.
    pub(crate) fn cell_words(&self) -> usize {
        if self.kind == Kind::Histogram {
            crate::histogram::block_words(self.bucket_count())
        } else {
            1
        }
    }
}

/// A series' cells as read and written (a view over the series' cell block, see `Series::cells`).
pub(crate) enum Cells<'a> {
    Counter(&'a CounterCell),
    Gauge(&'a GaugeCell),
    Histogram(HistogramCells<'a>),
}

impl Cells<'_> {
    /// Activity so far: a histogram's count (or sum when weighing by value), a counter's value.
    pub(crate) fn activity(&self, by_value: bool) -> f64 {
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

    /// Zeroes the cells so a retired series' memory can hold a label set again.
    pub(crate) fn reset(&self) {
        match self {
            Cells::Counter(c) => c.reset(),
            Cells::Gauge(g) => g.set(0.0),
            Cells::Histogram(h) => h.reset(),
        }
    }
}

/// State only families with a label policy or a TTL pay for.
pub(crate) struct SeriesPolicy {
    /// Set by every sample, cleared by the TTL sweep.
    pub(crate) touched: AtomicBool,
    /// Handle of the series samples go to instead (after a top-N demotion), or 0.
    pub(crate) redirect: AtomicU32,
    /// Activity of samples redirected away (f64 bits), still counted for the ranking.
    pub(crate) redirected_activity: AtomicU64,
    /// Activity seen by the last re-rank (f64 bits), to compute deltas.
    pub(crate) last_activity: AtomicU64,
    /// When the TTL sweep last saw a sample (ms on the core's monotonic clock).
    pub(crate) idle_since_ms: AtomicU64,
    /// The series' values of its top-N labels, in label order (empty without top-N).
    pub(crate) ranked: Mutex<Vec<(usize, Box<str>)>>,
}

impl SeriesPolicy {
    pub(crate) fn new(now_ms: u64) -> SeriesPolicy {
        SeriesPolicy {
            touched: AtomicBool::new(false),
            redirect: AtomicU32::new(0),
            redirected_activity: AtomicU64::new(0f64.to_bits()),
            last_activity: AtomicU64::new(0f64.to_bits()),
            idle_since_ms: AtomicU64::new(now_ms),
            ranked: Mutex::new(Vec::new()),
        }
    }

    /// Starts over for a label set (re)entering the series: nothing redirected, nothing ranked yet.
    pub(crate) fn restart(&self, now_ms: u64, ranked: Vec<(usize, Box<str>)>) {
        *self.ranked.lock().unwrap_or_else(|e| e.into_inner()) = ranked;
        self.touched.store(false, Relaxed);
        self.idle_since_ms.store(now_ms, Relaxed);
        self.redirect.store(0, Relaxed);
        self.last_activity.store(0f64.to_bits(), Relaxed);
        self.redirected_activity.store(0f64.to_bits(), Relaxed);
    }
}

// SAFETY: `ids` and `cells` point into the family's arena, which lives for good; they are atomics.
unsafe impl Send for Series {}
unsafe impl Sync for Series {}

pub(crate) struct Series {
    pub(crate) shared: &'static Shared,
    /// The generation bits of the handle that records into this series, in place (see handle.rs),
    /// plus `handle::RETIRED` while the series is out of the exposition. A sample whose handle's
    /// generation bits differ takes the lifecycle's cold path: one load and compare per sample.
    /// It also guards `ids` for readers without the family lock (see `read_key`).
    tag: AtomicU32,
    /// The ids of the series' label values (label_values.rs), one per label that is not dropped,
    /// in the family's arena. Replaced only when a retired series' memory is given to another
    /// label set. A pointer, the length being the family's (`Shared::label_count`): 8 B less per
    /// series than a slice.
    ids: NonNull<AtomicU32>,
    /// The series' cell block (`Shared::cell_words` words in the family's arena): a counter's or
    /// gauge's value, or a histogram's counts and sum (histogram.rs).
    cells: NonNull<AtomicU64>,
    /// A histogram's first writer (histogram.rs).
    owner: AtomicU32,
    /// A histogram's further writers' shards (histogram.rs).
    next: AtomicPtr<Shard>,
    pub(crate) policy: Option<Box<SeriesPolicy>>,
}

impl Series {
    /// A series of label set `key` over a block of `ids` (as long as the key) whose cells take a
    /// block of `words` (`Shared::cell_words` long).
    pub(crate) fn new(
        shared: &'static Shared,
        key: &[u32],
        ids: &'static [AtomicU32],
        policy: Option<Box<SeriesPolicy>>,
        words: &mut Words,
    ) -> Series {
        assert_eq!(ids.len(), shared.label_count, "one id per label that is not dropped");
        let ids = NonNull::from(ids).cast();
        let cells = NonNull::from(words.take()).cast();
        let series = Series { shared, tag: AtomicU32::new(0), ids, cells, owner: AtomicU32::new(NO_OWNER), next: AtomicPtr::new(std::ptr::null_mut()), policy };
        series.ids().iter().zip(key).for_each(|(cell, &id)| cell.store(id, Relaxed));
        series
    }

    /// The series' cells. Its fields hold them instead of a `Cells` value: no enum tag and no
    /// padding, 8 B less per series (48 B in all; series_memory_tests.rs).
    #[inline]
    pub(crate) fn cells(&self) -> Cells<'_> {
        // SAFETY: `new` took a block of `cell_words` words from the family's arena, which lives for good.
        let block = unsafe { std::slice::from_raw_parts(self.cells.as_ptr(), self.shared.cell_words()) };
        match self.shared.kind {
            Kind::Counter => Cells::Counter(CounterCell::at(&block[0])),
            Kind::Gauge => Cells::Gauge(GaugeCell::at(&block[0])),
            Kind::Histogram => Cells::Histogram(HistogramCells::new(&self.owner, self.shared.bucket_count(), block, &self.next)),
        }
    }

    fn ids(&self) -> &'static [AtomicU32] {
        // SAFETY: `new` took a block of `label_count` ids from the family's arena, which lives for good.
        unsafe { std::slice::from_raw_parts(self.ids.as_ptr(), self.shared.label_count) }
    }

    /// Whether a sample's handle records into this series as it is now (same generation, live).
    #[inline]
    pub(crate) fn accepts(&self, handle: u32) -> bool {
        self.tag.load(Relaxed) == handle & handle::GEN_BITS
    }

    pub(crate) fn generation(&self) -> u32 {
        handle::generation(self.tag.load(Relaxed))
    }

    /// Sets the tag: `generation` in place, plus the retired bit when `retired`. Release: a
    /// reader that sees the tag sees the ids written before it (see `read_key`).
    pub(crate) fn set_tag(&self, generation: u32, retired: bool) {
        let tag = handle::make(0, generation) | if retired { handle::RETIRED } else { 0 };
        self.tag.store(tag, Release);
    }

    /// The label set's value ids (under the family lock, which alone changes them).
    pub(crate) fn key(&self) -> LabelKey {
        self.ids().iter().map(|id| id.load(Relaxed)).collect()
    }

    /// Whether the series holds label set `key` (under the family lock).
    pub(crate) fn has_key(&self, key: &[u32]) -> bool {
        self.ids().iter().zip(key).all(|(id, &k)| id.load(Relaxed) == k)
    }

    /// Gives the series (retired: its tag carries `handle::RETIRED`) another label set, under
    /// the family lock. The new tag is set afterwards with `set_tag` (a release store).
    pub(crate) fn set_key(&self, key: &[u32]) {
        debug_assert!(self.tag.load(Relaxed) & handle::RETIRED != 0, "only a retired series changes labels");
        fence(Release);
        self.ids().iter().zip(key).for_each(|(cell, &id)| cell.store(id, Relaxed));
    }

    /// The value ids of a live series, read without the family lock (rendering): `None` when the
    /// series is retired or was given another label set while being read, so a reader never
    /// sees half of one label set and half of another (a sequence lock on the tag: the lifecycle
    /// retires a series, with the retired bit, before `set_key`, and sets its new tag after).
    pub(crate) fn read_key(&self, out: &mut Vec<u32>) -> bool {
        out.clear();
        let before = self.tag.load(Acquire);
        if before & handle::RETIRED != 0 {
            return false;
        }
        out.extend(self.ids().iter().map(|id| id.load(Relaxed)));
        fence(Acquire);
        self.tag.load(Relaxed) == before
    }
}
