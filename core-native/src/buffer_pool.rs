//! Recycled render buffers. A 10k-series scrape is ~20 MB; writing it into fresh memory cost more
//! in page faults and growth copies than the rendering itself (perf on our 2-core machine:
//! page-fault and memmove symbols above `render::render`). Bodies and body pieces handed to JS
//! come back here when JS releases them (or V8 finalizes their Buffer), so the rest of the scrape
//! writes into pages that are already mapped.
//!
//! Between scrapes the pool keeps at most `IDLE_KEEP_BYTES`, what one scrape cycles through (3.2
//! MiB of pieces for a 10k- or 100k-series scrape, 4.4 MiB gzipped, sampled every millisecond), so
//! the next scrape still writes into mapped pages. When the last render ends and JS has given back
//! every piece, the rest is freed and glibc is asked to hand its free memory back to the system,
//! on a thread of its own (`release`). Freeing is not enough: glibc keeps freed blocks in its
//! arenas (ours, and the scrape's other allocations: compressors, Node's socket buffers). Six gzip
//! scrapes of 100k series left a process 12.9-16.4 MiB above its level without this, 6.4-8.9 MiB
//! with it (identity: 7.2-7.8 MiB), 4.4 MiB of which is the kept pieces (five processes each).

use std::sync::{Mutex, MutexGuard};

/// Bytes of buffers kept for reuse at most; each kept buffer stays resident. A streamed scrape
/// holds about three 1 MiB pieces at a time (gzip: two 1 MiB texts compressing and three ~65 KiB
/// pieces; render.rs), so this serves several at once; a whole
/// body larger than this (`render()` of a 10k-series registry is ~25 MB) is freed once used.
const KEEP_BYTES: usize = 16 << 20;
/// Buffers kept at most (pieces of concurrent streamed scrapes).
const KEEP_COUNT: usize = 12;
/// Bytes kept between scrapes: four 1 MiB pieces and their gzip output buffers, what a streamed
/// scrape holds at once (render.rs; the endpoint holds two pieces before it answers, one renders ahead).
pub(crate) const IDLE_KEEP_BYTES: usize = 5 << 20;

/// Pool: the kept buffers and what keeps them busy, under one lock, so the end of the last scrape
/// is seen exactly once.
struct Pool {
    buffers: Vec<Vec<u8>>,
    /// Renders in progress.
    renders: usize,
    /// Buffers lent to JS (bodies and pieces) and not given back yet.
    lent: usize,
    /// Bytes lent to JS since memory was last handed back (`release`).
    lent_bytes: usize,
}

static POOL: Mutex<Pool> = Mutex::new(Pool { buffers: Vec::new(), renders: 0, lent: 0, lent_bytes: 0 });

fn pool() -> MutexGuard<'static, Pool> {
    POOL.lock().unwrap_or_else(|e| e.into_inner())
}

impl Pool {
    /// The smallest kept buffer with room for `hint` bytes, else the largest kept one.
    fn pick(&mut self, hint: usize) -> Option<Vec<u8>> {
        let fitting = self.buffers.iter().enumerate().filter(|(_, v)| v.capacity() >= hint).min_by_key(|(_, v)| v.capacity());
        let index = fitting.or_else(|| self.buffers.iter().enumerate().max_by_key(|(_, v)| v.capacity())).map(|(i, _)| i)?;
        Some(self.buffers.swap_remove(index))
    }

    /// A lent buffer that will not come back (see `forget_lent`).
    fn forget(&mut self, bytes: usize) {
        self.lent -= 1;
        self.lent_bytes = self.lent_bytes.saturating_sub(bytes);
    }

    fn busy(&self) -> bool {
        self.renders > 0 || self.lent > 0
    }

    /// Keeps `buffer` if the budget allows (smaller between scrapes); else hands it back to be freed.
    fn keep(&mut self, buffer: Vec<u8>) -> Option<Vec<u8>> {
        let kept: usize = self.buffers.iter().map(Vec::capacity).sum();
        let budget = if self.busy() { KEEP_BYTES } else { IDLE_KEEP_BYTES };
        if buffer.capacity() > 0 && self.buffers.len() < KEEP_COUNT && kept + buffer.capacity() <= budget {
            self.buffers.push(buffer);
            None
        } else {
            Some(buffer)
        }
    }

    /// When the last scrape has ended (nothing keeps the pool busy): the kept buffers beyond
    /// `IDLE_KEEP_BYTES` (the largest stay: a piece is what the next scrape takes first), to be
    /// freed before memory is handed back (`release`). `None` while a scrape is in progress, and
    /// while the scrapes since the last release were small (under `IDLE_KEEP_BYTES` of bodies in
    /// all): a registry of a few kilobytes scraped often gets no thread and no trim per scrape.
    fn end_of_scrapes(&mut self) -> Option<Vec<Vec<u8>>> {
        if self.busy() {
            return None;
        }
        self.buffers.sort_by_key(|b| std::cmp::Reverse(b.capacity()));
        let mut kept = 0;
        let keep = self.buffers.iter().take_while(|b| {
            kept += b.capacity();
            kept <= IDLE_KEEP_BYTES
        });
        let count = keep.count();
        let excess = self.buffers.split_off(count);
        if excess.is_empty() && self.lent_bytes < IDLE_KEEP_BYTES {
            return None;
        }
        self.lent_bytes = 0;
        Some(excess)
    }
}

/// RELEASE_DELAY: how long after the end of the last scrape its memory is handed back (`release`).
/// Trimming at once made a 10k-series gzip scrape over HTTP about 1 ms (4%) slower for the client
/// in three interleaved runs of 30 requests (27.9, 26.6 and 28.8 ms against 25.5-27.1 ms for the
/// build without the release, two copies of it); 10 ms later: 26.2 and 23.5 against 23.4-25.8 ms.
const RELEASE_DELAY: std::time::Duration = std::time::Duration::from_millis(10);

/// Frees `buffers` and asks the allocator to return free memory to the system, on a thread of its
/// own: `malloc_trim` walks every arena (0.1-1.2 ms after a 100k-series scrape here), and this may
/// be called on the JS thread (a piece's finalizer).
fn release(buffers: Option<Vec<Vec<u8>>>) {
    let Some(buffers) = buffers else {
        return;
    };
    // When no thread can be made, the closure is dropped here: the buffers are freed, untrimmed.
    let _ = std::thread::Builder::new().name("metricore-release".into()).spawn(move || {
        // The last piece comes back once it is handed to the socket, while the client still reads
        // the end of the body: waiting a little keeps the trim off the response's CPU.
        std::thread::sleep(RELEASE_DELAY);
        drop(buffers);
        release_free_memory();
    });
}

/// Asks glibc to return its free memory to the system (`malloc_trim`).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn release_free_memory() {
    extern "C" {
        fn malloc_trim(pad: usize) -> std::os::raw::c_int;
    }
    // SAFETY: malloc_trim is thread-safe and takes no pointers.
    unsafe {
        malloc_trim(0);
    }
}

/// Other allocators return large blocks to the system when they are freed.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_free_memory() {}

/// Lease: a render in progress, from `lease()` until dropped. While any is held (or a piece is
/// lent to JS), the pool keeps up to `KEEP_BYTES`; when the last scrape ends, `IDLE_KEEP_BYTES`.
pub(crate) struct Lease(());

/// lease: marks a render as in progress until the returned `Lease` is dropped.
pub(crate) fn lease() -> Lease {
    pool().renders += 1;
    Lease(())
}

impl Drop for Lease {
    fn drop(&mut self) {
        let mut pool = pool();
        pool.renders -= 1;
        let ended = pool.end_of_scrapes();
        drop(pool);
        release(ended);
    }
}

/// lend: notes a buffer of `bytes` handed to JS; it comes back through `give_back`.
pub(crate) fn lend(bytes: usize) {
    let mut pool = pool();
    pool.lent += 1;
    pool.lent_bytes += bytes;
}

/// give_back: a buffer `lend` handed to JS, released by JS (or its Buffer collected).
pub(crate) fn give_back(buffer: Vec<u8>) {
    let mut pool = pool();
    pool.lent -= 1;
    let freed = pool.keep(buffer);
    let ended = pool.end_of_scrapes();
    drop(pool);
    drop(freed);
    release(ended);
}

/// forget_lent: a buffer `lend` counted never reached JS and will not come back (napi failed and
/// kept it): the pool stops waiting for it, and may end the scrape.
pub(crate) fn forget_lent(bytes: usize) {
    let mut pool = pool();
    pool.forget(bytes);
    let ended = pool.end_of_scrapes();
    drop(pool);
    release(ended);
}

/// An empty buffer with room for at least `hint` bytes: the smallest kept buffer that fits, else
/// the largest kept one grown to fit.
pub(crate) fn take(hint: usize) -> Vec<u8> {
    let picked = pool().pick(hint);
    let mut buffer = picked.unwrap_or_default();
    buffer.clear();
    if buffer.capacity() < hint {
        buffer.reserve_exact(hint);
    }
    buffer
}

/// Returns a buffer for reuse (freed when the pool is full, or it is too large).
pub(crate) fn give(buffer: Vec<u8>) {
    if buffer.capacity() > KEEP_BYTES {
        return;
    }
    let freed = pool().keep(buffer);
    drop(freed);
}

/// What the pool holds now: (bytes kept, renders in progress, buffers lent to JS). For tests.
pub(crate) fn stats() -> (usize, usize, usize) {
    let pool = pool();
    (pool.buffers.iter().map(Vec::capacity).sum(), pool.renders, pool.lent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool_of(capacities: &[usize], renders: usize) -> Pool {
        Pool { buffers: capacities.iter().map(|&c| Vec::with_capacity(c)).collect(), renders, lent: 0, lent_bytes: 0 }
    }

    #[test]
    fn picks_the_smallest_fitting_buffer_else_the_largest() {
        let mut pool = pool_of(&[3 << 20, 1 << 20, 2 << 20], 1);
        assert_eq!(pool.pick(512 << 10).map(|b| b.capacity()), Some(1 << 20));
        assert_eq!(pool.pick((2 << 20) + 1).map(|b| b.capacity()), Some(3 << 20));
        assert_eq!(pool.pick(8 << 20).map(|b| b.capacity()), Some(2 << 20));
        assert!(pool.pick(1).is_none());
    }

    #[test]
    fn keeps_within_the_byte_and_count_budget() {
        let mut pool = pool_of(&[], 1);
        assert!(pool.keep(Vec::with_capacity(1 << 20)).is_none());
        assert!(pool.keep(Vec::new()).is_some());
        assert!(pool.keep(Vec::with_capacity(KEEP_BYTES)).is_some(), "over the byte budget");
        let mut full = pool_of(&[1; KEEP_COUNT], 1);
        assert!(full.keep(Vec::with_capacity(1)).is_some(), "over the count budget");
    }

    #[test]
    fn keeps_only_a_scrapes_pieces_between_scrapes() {
        let piece = (1 << 20) + (64 << 10);
        let mut pool = pool_of(&[], 2);
        for _ in 0..8 {
            assert!(pool.keep(Vec::with_capacity(piece)).is_none());
        }
        pool.renders -= 1;
        assert!(pool.end_of_scrapes().is_none(), "another render still runs");
        pool.lent += 1;
        pool.renders -= 1;
        assert!(pool.end_of_scrapes().is_none(), "a piece JS holds keeps the pool busy");
        assert!(pool.keep(Vec::with_capacity(64 << 10)).is_none());
        pool.lent -= 1;
        let excess = pool.end_of_scrapes().expect("more than the idle budget was kept");
        let kept: usize = pool.buffers.iter().map(Vec::capacity).sum();
        assert_eq!(pool.buffers.len(), 4, "the four largest stay");
        assert!(pool.buffers.iter().all(|b| b.capacity() == piece));
        assert!(kept <= IDLE_KEEP_BYTES);
        assert_eq!(excess.len(), 5, "the rest is freed");
        assert!(pool.keep(Vec::with_capacity(piece)).is_some(), "between scrapes, a buffer beyond the idle budget is freed");
        assert!(pool.keep(Vec::with_capacity(64 << 10)).is_none(), "one within it is kept");
    }

    #[test]
    fn a_body_napi_kept_does_not_hold_the_scrape_open() {
        let piece = (1 << 20) + (64 << 10);
        let mut pool = pool_of(&[], 1);
        for _ in 0..8 {
            assert!(pool.keep(Vec::with_capacity(piece)).is_none());
        }
        // The body is counted as lent, then napi fails to make its Buffer and keeps it.
        pool.lent += 1;
        pool.lent_bytes += 6 << 20;
        pool.renders -= 1;
        assert!(pool.end_of_scrapes().is_none(), "the body still counts as lent");
        pool.forget(6 << 20);
        assert_eq!(pool.lent, 0);
        assert_eq!(pool.end_of_scrapes().map(|e| e.len()), Some(4), "the scrape has ended: the pool goes back to its idle budget");
    }

    #[test]
    fn frees_nothing_after_a_scrape_within_the_idle_budget() {
        let mut pool = pool_of(&[], 1);
        pool.lent_bytes = 20 << 20;
        for _ in 0..3 {
            assert!(pool.keep(Vec::with_capacity(1 << 20)).is_none());
        }
        pool.renders -= 1;
        assert_eq!(pool.end_of_scrapes().map(|e| e.len()), Some(0), "a 10k-series scrape's pieces stay; memory is still handed back");
        assert_eq!(pool.buffers.len(), 3);
        assert_eq!(pool.lent_bytes, 0);
    }

    #[test]
    fn hands_nothing_back_after_small_scrapes_until_they_add_up() {
        let mut pool = pool_of(&[], 0);
        for scrape in 1..=5 {
            pool.renders += 1;
            pool.lent_bytes += 1 << 20;
            assert!(pool.keep(Vec::with_capacity(64 << 10)).is_none());
            pool.renders -= 1;
            let ended = pool.end_of_scrapes();
            if scrape < 5 {
                assert!(ended.is_none(), "scrape {scrape}: under 5 MiB of bodies so far, no release");
            } else {
                assert_eq!(ended.map(|e| e.len()), Some(0), "the fifth MiB of bodies: memory is handed back");
            }
        }
    }
}
