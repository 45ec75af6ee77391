//! Recycled render buffers. A 10k-series scrape is ~20 MB; writing it into fresh memory cost more
//! in page faults and growth copies than the rendering itself (perf on our 2-core machine:
//! page-fault and memmove symbols above `render::render`). Bodies and body pieces handed to JS
//! come back here when JS releases them (or V8 finalizes their Buffer), so the next scrape writes
//! into pages that are already mapped.

use std::sync::Mutex;

/// Bytes of buffers kept for reuse at most; each kept buffer stays resident. A streamed scrape
/// holds about three 1 MiB pieces at a time (gzip: two 1 MiB texts compressing and three ~65 KiB
/// pieces; render.rs), so this serves several at once; a whole
/// body larger than this (`render()` of a 10k-series registry is ~25 MB) is freed once used, so
/// resident memory goes back to its level after the scrape.
const KEEP_BYTES: usize = 16 << 20;
/// Buffers kept at most (pieces of concurrent streamed scrapes).
const KEEP_COUNT: usize = 12;

static POOL: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// An empty buffer with room for at least `hint` bytes: the smallest kept buffer that fits, else
/// the largest kept one grown to fit.
pub(crate) fn take(hint: usize) -> Vec<u8> {
    let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
    let mut buffer = pick(&pool, hint).map(|i| pool.swap_remove(i)).unwrap_or_default();
    drop(pool);
    buffer.clear();
    if buffer.capacity() < hint {
        buffer.reserve_exact(hint);
    }
    buffer
}

/// Which kept buffer `take` reuses for `hint` bytes: the smallest that fits, else the largest.
fn pick(pool: &[Vec<u8>], hint: usize) -> Option<usize> {
    let fitting = pool.iter().enumerate().filter(|(_, v)| v.capacity() >= hint).min_by_key(|(_, v)| v.capacity());
    fitting.or_else(|| pool.iter().enumerate().max_by_key(|(_, v)| v.capacity())).map(|(i, _)| i)
}

/// Whether a pool holding `kept` bytes in `count` buffers keeps one more of `capacity` bytes.
fn keeps(kept: usize, count: usize, capacity: usize) -> bool {
    capacity > 0 && count < KEEP_COUNT && kept + capacity <= KEEP_BYTES
}

/// Returns a buffer for reuse (dropped, i.e. freed, when the pool is full or it is too large).
pub(crate) fn give(buffer: Vec<u8>) {
    if !keeps(0, 0, buffer.capacity()) {
        return;
    }
    let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
    let kept: usize = pool.iter().map(Vec::capacity).sum();
    if keeps(kept, pool.len(), buffer.capacity()) {
        pool.push(buffer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_smallest_fitting_buffer_else_the_largest() {
        let pool = vec![Vec::<u8>::with_capacity(3 << 20), Vec::with_capacity(1 << 20), Vec::with_capacity(2 << 20)];
        assert_eq!(pick(&pool, 512 << 10), Some(1));
        assert_eq!(pick(&pool, (1 << 20) + 1), Some(2));
        assert_eq!(pick(&pool, 8 << 20), Some(0));
        assert_eq!(pick(&[], 1), None);
    }

    #[test]
    fn keeps_within_the_byte_and_count_budget() {
        assert!(keeps(0, 0, 1 << 20));
        assert!(!keeps(0, 0, 0));
        assert!(!keeps(0, 0, KEEP_BYTES + 1));
        assert!(!keeps(KEEP_BYTES - (1 << 20) + 1, 3, 1 << 20));
        assert!(!keeps(0, KEEP_COUNT, 1));
    }
}
