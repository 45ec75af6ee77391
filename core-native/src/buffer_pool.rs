//! Recycled render buffers. A 10k-series scrape is ~20 MB; writing it into fresh memory cost more
//! in page faults and growth copies than the rendering itself (perf on our 2-core machine:
//! page-fault and memmove symbols above `render::render`). Bodies handed to JS come back here
//! when V8 finalizes their Buffer, so the next scrape writes into pages that are already mapped.

use std::sync::Mutex;

/// Buffers kept for reuse: one, as scrapes rarely overlap; each kept buffer stays resident.
const KEEP: usize = 1;
/// Larger buffers are freed, not kept: holding a 100k-series body (250 MB) between scrapes cost
/// more resident memory than the series themselves (benchmarks/ memory scenario).
const KEEP_MAX_BYTES: usize = 32 << 20;

static POOL: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// An empty buffer with room for at least `hint` bytes, recycled when one is available.
pub(crate) fn take(hint: usize) -> Vec<u8> {
    let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
    let best = pool.iter().enumerate().max_by_key(|(_, v)| v.capacity()).map(|(i, _)| i);
    let mut buffer = best.map(|i| pool.swap_remove(i)).unwrap_or_default();
    drop(pool);
    buffer.clear();
    if buffer.capacity() < hint {
        buffer.reserve_exact(hint);
    }
    buffer
}

/// Returns a buffer for reuse (dropped if the pool is full).
pub(crate) fn give(buffer: Vec<u8>) {
    if buffer.capacity() > KEEP_MAX_BYTES {
        return;
    }
    let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
    if pool.len() < KEEP {
        pool.push(buffer);
    }
}
