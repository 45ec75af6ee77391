//! Append-only storage for the series of one family: the series themselves and their histogram
//! cells live in chunks instead of one heap block each, so a series pays no allocator header,
//! no pointer to a block of its own and no fragmentation left by the temporaries of binding
//! (measured per series in benchmarks/src/memory.bench.mjs). Nothing here is ever freed or
//! moved: retired series are reused in place by the lifecycle (lifecycle.rs), as before, and the
//! references handed out stay valid for the life of the process.
//!
//! Chunks start small and double up to a cap, so a family with a handful of series does not pay
//! for a thousand.

use std::mem::MaybeUninit;
use std::ptr;
use std::sync::atomic::AtomicU64;

/// Series in a family's first chunk.
const FIRST_CHUNK: usize = 4;
/// The largest chunk, in series (a 20-bucket histogram's cells: 1024 x 96 B = 96 KiB).
const MAX_CHUNK: usize = 1024;

fn next_capacity(current: usize) -> usize {
    (current * 2).clamp(FIRST_CHUNK, MAX_CHUNK)
}

/// Values of type `T` that live for good once stored.
pub(crate) struct Arena<T: 'static> {
    chunk: *mut MaybeUninit<T>,
    capacity: usize,
    used: usize,
}

// SAFETY: the arena only hands out shared references to values it never touches again; the
// values themselves must be shareable between threads.
unsafe impl<T: Send + Sync> Send for Arena<T> {}
unsafe impl<T: Send + Sync> Sync for Arena<T> {}

impl<T: 'static> Arena<T> {
    pub(crate) fn new() -> Self {
        Arena { chunk: ptr::null_mut(), capacity: 0, used: 0 }
    }

    /// Stores `value` for good.
    pub(crate) fn alloc(&mut self, value: T) -> &'static T {
        if self.used == self.capacity {
            let capacity = next_capacity(self.capacity);
            // Leaked on purpose: values are never freed (see the module docs).
            self.chunk = Box::into_raw(Box::<[T]>::new_uninit_slice(capacity)) as *mut MaybeUninit<T>;
            self.capacity = capacity;
            self.used = 0;
        }
        // SAFETY: `used < capacity`, the slot was never written or handed out, and the chunk is
        // never freed, so the reference is valid for 'static.
        let slot: &'static mut MaybeUninit<T> = unsafe { &mut *self.chunk.add(self.used) };
        self.used += 1;
        slot.write(value)
    }
}

impl<T: 'static> Default for Arena<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// Zeroed blocks of `stride` atomics (a histogram series' cells, a series' label value ids), for good.
pub(crate) struct Blocks<T: Default + 'static> {
    stride: usize,
    chunk: &'static [T],
    used: usize,
}

/// Blocks of 64-bit cells.
pub(crate) type Words = Blocks<AtomicU64>;

impl<T: Default + 'static> Blocks<T> {
    pub(crate) fn new(stride: usize) -> Self {
        Blocks { stride, chunk: &[], used: 0 }
    }

    /// A fresh zeroed block of `stride` atomics.
    pub(crate) fn take(&mut self) -> &'static [T] {
        if self.used + self.stride > self.chunk.len() {
            let blocks = next_capacity(self.chunk.len() / self.stride.max(1));
            let chunk: Box<[T]> = (0..blocks * self.stride).map(|_| T::default()).collect();
            // Leaked on purpose: blocks are never freed (see the module docs).
            self.chunk = Box::leak(chunk);
            self.used = 0;
        }
        let block = &self.chunk[self.used..self.used + self.stride];
        self.used += self.stride;
        block
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering::Relaxed;

    #[test]
    fn values_stay_where_they_were_stored() {
        let mut arena = Arena::new();
        let refs: Vec<&'static (u64, String)> = (0..5000u64).map(|i| arena.alloc((i, i.to_string()))).collect();
        for (i, r) in refs.iter().enumerate() {
            assert_eq!(r.0, i as u64);
            assert_eq!(r.1, i.to_string());
        }
    }

    #[test]
    fn blocks_are_zeroed_and_disjoint() {
        let mut words = Words::new(22);
        let blocks: Vec<&'static [AtomicU64]> = (0..3000).map(|_| words.take()).collect();
        for (i, b) in blocks.iter().enumerate() {
            assert_eq!(b.len(), 22);
            assert!(b.iter().all(|w| w.load(Relaxed) == 0));
            b.iter().for_each(|w| w.store(i as u64 + 1, Relaxed));
        }
        for (i, b) in blocks.iter().enumerate() {
            assert!(b.iter().all(|w| w.load(Relaxed) == i as u64 + 1));
        }
    }
}
