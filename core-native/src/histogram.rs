//! Histogram series storage: per-bucket counts and a float sum, recorded with atomics only.
//!
//! Every cell has exactly one writer. The first JS thread that records into a series owns its
//! inline shard; any other thread that records into it gets a shard of its own, allocated the
//! first time and linked into a list, so no thread ever does a read-modify-write on a cell another
//! thread writes. Measured on our 2-core machine: a single-writer load/store sample costs 12.2 ns,
//! the `fetch_add` + CAS-loop version 17.2 ns, and with one shared block for every non-owner, two
//! threads recording into one series reached 1.42x one thread (benchmarks/ threads scenario).
//! A series only pays for a second shard when a second thread really records into it.
//!
//! A shard's counts and sum share one heap block, apart from the header fields every writer reads
//! (`owner`, `next`): with the sum next to `owner`, a second thread read a cache line the owner
//! wrote on every sample (1.39x one thread).
//!
//! `_count` is never stored: a snapshot derives it from the bucket counts it read, so in every
//! rendered series `_count` equals the `+Inf` bucket equals the sum of per-bucket increments.

use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, Ordering::*};

/// A thread id that no JS thread receives: the shard has no owner yet.
pub(crate) const NO_OWNER: u32 = 0;

/// One writer's cells: non-cumulative counts (the last bucket is `+Inf`), then the sum as f64 bits.
struct Shard {
    owner: AtomicU32,
    cells: Box<[AtomicU64]>,
    next: AtomicPtr<Shard>,
}

impl Shard {
    fn new(owner: u32, cell_count: usize) -> Shard {
        // 0.0f64 is all zero bits, so the trailing sum cell starts at 0.0 too.
        Shard { owner: AtomicU32::new(owner), cells: zeroed(cell_count), next: AtomicPtr::new(ptr::null_mut()) }
    }

    /// Records as the only writer of these cells: plain load + store, no read-modify-write.
    #[inline]
    fn record(&self, idx: usize, v: f64) {
        let cell = &self.cells[idx];
        cell.store(cell.load(Relaxed) + 1, Relaxed);
        let sum = &self.cells[self.cells.len() - 1];
        sum.store((f64::from_bits(sum.load(Relaxed)) + v).to_bits(), Relaxed);
    }
}

pub(crate) struct HistogramCells {
    /// The first writer's shard, inline; other writers' shards hang off `first.next`.
    first: Shard,
}

/// A consistent-enough reading of one histogram series (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HistogramSnapshot {
    /// Non-cumulative counts; the last bucket is `+Inf`.
    pub(crate) buckets: Vec<u64>,
    pub(crate) sum: f64,
}

impl HistogramSnapshot {
    pub(crate) fn count(&self) -> u64 {
        self.buckets.iter().sum()
    }
}

fn zeroed(n: usize) -> Box<[AtomicU64]> {
    (0..n).map(|_| AtomicU64::new(0)).collect()
}

/// Index of the bucket `v` falls in: the number of upper bounds strictly below `v` (`le` semantics).
/// Branch-free count over the bounds: 10.1 ns against 13.5 ns for an early-exit scan on random input.
#[inline]
pub(crate) fn bucket_index(bounds: &[f64], v: f64) -> usize {
    bounds.iter().map(|&b| (b < v) as usize).sum()
}

impl HistogramCells {
    pub(crate) fn new(bucket_count: usize) -> Self {
        HistogramCells { first: Shard::new(NO_OWNER, bucket_count + 1) }
    }

    fn bucket_count(&self) -> usize {
        self.first.cells.len() - 1
    }

    fn shards(&self) -> impl Iterator<Item = &Shard> {
        let mut current: *const Shard = &self.first;
        std::iter::from_fn(move || {
            // SAFETY: shards are freed only in Drop, when no one can iterate any more.
            let shard = unsafe { current.as_ref()? };
            current = shard.next.load(Acquire);
            Some(shard)
        })
    }

    /// Records `v` (already checked finite) on behalf of JS thread `thread` (never `NO_OWNER`).
    #[inline]
    pub(crate) fn observe(&self, bounds: &[f64], thread: u32, v: f64) {
        let idx = bucket_index(bounds, v);
        let owner = self.first.owner.load(Relaxed);
        if owner == thread
            || (owner == NO_OWNER && self.first.owner.compare_exchange(NO_OWNER, thread, Relaxed, Relaxed).is_ok())
        {
            self.first.record(idx, v);
        } else {
            self.shard_of(thread).record(idx, v);
        }
    }

    /// The shard `thread` writes, appended (lock-free) the first time the thread records here.
    #[cold]
    fn shard_of(&self, thread: u32) -> &Shard {
        let mut tail: &Shard = &self.first;
        loop {
            if tail.owner.load(Relaxed) == thread {
                return tail;
            }
            let next = tail.next.load(Acquire);
            if !next.is_null() {
                // SAFETY: see `shards`.
                tail = unsafe { &*next };
                continue;
            }
            let fresh = Box::into_raw(Box::new(Shard::new(thread, self.first.cells.len())));
            match tail.next.compare_exchange(ptr::null_mut(), fresh, AcqRel, Acquire) {
                // SAFETY: just published; lives until Drop.
                Ok(_) => return unsafe { &*fresh },
                Err(_) => {
                    // Another thread appended first: ours was never published, free it and walk on.
                    drop(unsafe { Box::from_raw(fresh) });
                }
            }
        }
    }

    pub(crate) fn snapshot(&self) -> HistogramSnapshot {
        let n = self.bucket_count();
        let mut buckets = vec![0u64; n];
        let mut sum = 0.0;
        for shard in self.shards() {
            for (b, c) in buckets.iter_mut().zip(shard.cells.iter()) {
                *b += c.load(Relaxed);
            }
            sum += f64::from_bits(shard.cells[n].load(Relaxed));
        }
        HistogramSnapshot { buckets, sum }
    }

    /// Zeroes the cells (an evicted series being reused; the TTL sweep only evicts series nobody
    /// recorded into for a whole TTL). Shards keep their owners: each still has one writer.
    pub(crate) fn reset(&self) {
        for shard in self.shards() {
            shard.cells.iter().for_each(|c| c.store(0, Relaxed));
        }
    }
}

impl Drop for HistogramCells {
    fn drop(&mut self) {
        let mut next = *self.first.next.get_mut();
        while !next.is_null() {
            // SAFETY: we hold `&mut self`; each shard was made by Box::into_raw and linked once.
            let mut shard = unsafe { Box::from_raw(next) };
            next = *shard.next.get_mut();
        }
    }
}

/// Adds `v` to an f64 stored as bits, with a CAS loop (safe for any number of writers).
#[inline]
pub(crate) fn add_f64(cell: &AtomicU64, v: f64) {
    let mut current = cell.load(Relaxed);
    loop {
        let next = (f64::from_bits(current) + v).to_bits();
        match cell.compare_exchange_weak(current, next, Relaxed, Relaxed) {
            Ok(_) => return,
            Err(seen) => current = seen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::sync::Arc;

    /// The plain reference: the first bound that is >= v, or +Inf.
    fn reference_index(bounds: &[f64], v: f64) -> usize {
        bounds.iter().position(|&b| v <= b).unwrap_or(bounds.len())
    }

    proptest! {
        #[test]
        fn bucket_placement_matches_reference(
            mut bounds in proptest::collection::vec(-1e6f64..1e6, 1..30),
            values in proptest::collection::vec(-2e6f64..2e6, 1..200),
        ) {
            bounds.sort_by(|a, b| a.partial_cmp(b).unwrap());
            bounds.dedup();
            for v in values.iter().copied().chain(bounds.iter().copied()) {
                prop_assert_eq!(bucket_index(&bounds, v), reference_index(&bounds, v));
            }
        }

        #[test]
        fn counts_and_sum_match_reference(values in proptest::collection::vec(0f64..100.0, 0..500)) {
            let bounds = [1.0, 5.0, 10.0, 50.0];
            let cells = HistogramCells::new(bounds.len() + 1);
            let mut expected = vec![0u64; bounds.len() + 1];
            for (i, &v) in values.iter().enumerate() {
                cells.observe(&bounds, 1 + (i % 3) as u32, v);
                expected[reference_index(&bounds, v)] += 1;
            }
            let snap = cells.snapshot();
            prop_assert_eq!(&snap.buckets, &expected);
            prop_assert_eq!(snap.count(), values.len() as u64);
            let total: f64 = values.iter().sum();
            prop_assert!((snap.sum - total).abs() <= 1e-9 * total.max(1.0));
        }
    }

    #[test]
    fn value_on_a_bound_lands_in_that_bucket() {
        let bounds = [0.005, 0.01, 1.0];
        assert_eq!(bucket_index(&bounds, 0.005), 0);
        assert_eq!(bucket_index(&bounds, 0.0051), 1);
        assert_eq!(bucket_index(&bounds, 1.0), 2);
        assert_eq!(bucket_index(&bounds, 1.0001), 3);
        assert_eq!(bucket_index(&bounds, -5.0), 0);
    }

    #[test]
    fn concurrent_writers_lose_nothing_and_snapshots_stay_consistent() {
        let bounds: Arc<Vec<f64>> = Arc::new((1..=20).map(|i| i as f64).collect());
        let cells = Arc::new(HistogramCells::new(bounds.len() + 1));
        let per_thread = 200_000u64;
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let reader = {
            let (cells, done) = (cells.clone(), done.clone());
            std::thread::spawn(move || {
                let mut last = 0;
                while !done.load(SeqCst) {
                    let snap = cells.snapshot();
                    let count = snap.count();
                    assert!(count >= last, "count went backwards");
                    last = count;
                }
            })
        };
        let writers: Vec<_> = (1..=4u32)
            .map(|thread| {
                let (cells, bounds) = (cells.clone(), bounds.clone());
                std::thread::spawn(move || {
                    for i in 0..per_thread {
                        cells.observe(&bounds, thread, (i % 25) as f64);
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        done.store(true, SeqCst);
        reader.join().unwrap();
        let snap = cells.snapshot();
        assert_eq!(snap.count(), 4 * per_thread);
        let per_value_sum: f64 = (0..25).map(|v| v as f64).sum::<f64>() * (per_thread / 25) as f64;
        assert_eq!(snap.sum, 4.0 * per_value_sum);
        // Values 21..24 overflow into +Inf: 4 of every 25.
        assert_eq!(snap.buckets[20], 4 * per_thread * 4 / 25);
    }
}
