//! Recycled render buffers. A 10k-series scrape is ~20 MB; writing it into fresh memory cost more
//! in page faults and growth copies than the rendering itself (perf on our 2-core machine:
//! page-fault and memmove symbols above `render::render`). Bodies and body pieces handed to JS
//! come back here when JS releases them (or V8 finalizes their Buffer), so the rest of the scrape
//! writes into pages that are already mapped.
//!
//! Buffers are kept only while a scrape is in progress: a render (a `Lease`) or a body JS still
//! holds (`lend`). When the last one ends, the pool is emptied and the allocator is asked to hand
//! free memory back to the system (`release_free_memory`), so resident memory goes back to its
//! level between scrapes. Freed buffers alone did not do it: glibc keeps 1 MiB blocks in its
//! arenas once its mmap threshold has risen past them. Six gzip scrapes of 100k series left a
//! process 13.6-17.1 MiB above its level, 3.3-6.0 MiB after a `malloc_trim` (by gdb, four runs).

use std::sync::{Mutex, MutexGuard};

/// Bytes of buffers kept for reuse at most; each kept buffer stays resident. A streamed scrape
/// holds about three 1 MiB pieces at a time (gzip: two 1 MiB texts compressing and three ~65 KiB
/// pieces; render.rs), so this serves several at once; a whole
/// body larger than this (`render()` of a 10k-series registry is ~25 MB) is freed once used.
const KEEP_BYTES: usize = 16 << 20;
/// Buffers kept at most (pieces of concurrent streamed scrapes).
const KEEP_COUNT: usize = 12;

/// Pool: the kept buffers and what keeps them, under one lock, so a buffer given back never lands
/// in a pool that the end of the last scrape has just emptied.
struct Pool {
    buffers: Vec<Vec<u8>>,
    /// Renders in progress.
    renders: usize,
    /// Buffers lent to JS (bodies and pieces) and not given back yet.
    lent: usize,
}

static POOL: Mutex<Pool> = Mutex::new(Pool { buffers: Vec::new(), renders: 0, lent: 0 });

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

    fn busy(&self) -> bool {
        self.renders > 0 || self.lent > 0
    }

    /// Keeps `buffer` if a scrape is in progress and the budget allows; else hands it back to be freed.
    fn keep(&mut self, buffer: Vec<u8>) -> Option<Vec<u8>> {
        let kept: usize = self.buffers.iter().map(Vec::capacity).sum();
        let room = self.buffers.len() < KEEP_COUNT && kept + buffer.capacity() <= KEEP_BYTES;
        if self.busy() && buffer.capacity() > 0 && room {
            self.buffers.push(buffer);
            None
        } else {
            Some(buffer)
        }
    }

    /// Every kept buffer, to be freed, once nothing keeps the pool busy any more.
    fn drain_if_idle(&mut self) -> Vec<Vec<u8>> {
        if self.busy() { Vec::new() } else { std::mem::take(&mut self.buffers) }
    }
}

/// Frees `buffers` (outside the pool's lock); when they were what the last scrape kept, asks the
/// allocator to return free memory to the system.
fn free(buffers: Vec<Vec<u8>>) {
    if buffers.is_empty() {
        return;
    }
    drop(buffers);
    release_free_memory();
}

/// Asks glibc to return its free memory to the system, on a thread of its own: `malloc_trim` walks
/// every arena, and this may run on the JS thread (a body's finalizer).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn release_free_memory() {
    extern "C" {
        fn malloc_trim(pad: usize) -> std::os::raw::c_int;
    }
    // SAFETY: malloc_trim is thread-safe and takes no pointers.
    let trim = || unsafe {
        malloc_trim(0);
    };
    if std::thread::Builder::new().name("metricore-trim".into()).spawn(trim).is_err() {
        trim();
    }
}

/// Other allocators return large blocks to the system when they are freed.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_free_memory() {}

/// Lease: a render in progress, from `lease()` until dropped. While any is held, buffers given
/// back are kept for reuse; the last one to be dropped frees what the pool holds.
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
        let freed = pool.drain_if_idle();
        drop(pool);
        free(freed);
    }
}

/// lend: notes a buffer handed to JS; it comes back through `give_back`.
pub(crate) fn lend() {
    pool().lent += 1;
}

/// give_back: a buffer `lend` handed to JS, released by JS (or its Buffer collected).
pub(crate) fn give_back(buffer: Vec<u8>) {
    let mut pool = pool();
    pool.lent -= 1;
    let freed = pool.keep(buffer);
    let drained = pool.drain_if_idle();
    drop(pool);
    drop(freed);
    free(drained);
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

/// Returns a buffer for reuse (freed when no render is in progress, the pool is full, or it is too large).
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
        Pool { buffers: capacities.iter().map(|&c| Vec::with_capacity(c)).collect(), renders, lent: 0 }
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
    fn keeps_nothing_between_scrapes() {
        let mut pool = pool_of(&[], 2);
        assert!(pool.keep(Vec::with_capacity(1 << 20)).is_none());
        pool.renders -= 1;
        assert!(pool.drain_if_idle().is_empty(), "another render still runs");
        pool.lent += 1;
        pool.renders -= 1;
        assert!(pool.keep(Vec::with_capacity(1 << 20)).is_none(), "a piece JS holds keeps the pool");
        assert!(pool.drain_if_idle().is_empty());
        pool.lent -= 1;
        let freed = pool.drain_if_idle();
        assert_eq!(freed.len(), 2, "the end of the scrape frees what was kept");
        assert!(pool.buffers.is_empty());
        assert!(pool.keep(Vec::with_capacity(1 << 20)).is_some(), "a buffer given back between scrapes is freed");
    }
}
