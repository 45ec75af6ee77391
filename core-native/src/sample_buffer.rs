//! Per-thread sample buffers in native memory, so nothing buffered is lost when a thread ends.
//!
//! JS appends `(handle, value)` pairs into a Float64Array that views this memory and calls
//! `applySamples` when it is full or due. The core zeroes what it applied, so a pair whose handle
//! is 0 (never issued) marks the end of the pending samples. When the thread's environment is torn
//! down — including `worker.terminate()`, which skips JS `exit` handlers — a cleanup hook applies
//! whatever is still pending. The memory is freed once both the hook and the JS finalizer ran.

use crate::handle::SET_FLAG;
use crate::record;
use std::sync::Arc;

/// Owns the buffer's memory; shared by the JS ArrayBuffer's finalizer and the cleanup hook.
pub(crate) struct SampleBuffer {
    ptr: *mut f64,
    len: usize,
}

// SAFETY: the memory is only touched by its JS thread (appends, applies) and by that thread's
// environment cleanup hook, which runs on the same thread after JS stopped.
unsafe impl Send for SampleBuffer {}
unsafe impl Sync for SampleBuffer {}

impl SampleBuffer {
    pub(crate) fn new(pairs: usize) -> Arc<SampleBuffer> {
        let data: Box<[f64]> = vec![0.0; pairs * 2].into_boxed_slice();
        let len = data.len();
        Arc::new(SampleBuffer { ptr: Box::into_raw(data) as *mut f64, len })
    }

    pub(crate) fn ptr(&self) -> *mut f64 {
        self.ptr
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Applies the pending pairs (up to the first zero handle) for `thread`.
    pub(crate) fn drain(&self, thread: u32) {
        // SAFETY: see the Send/Sync note; no JS runs any more when this is called.
        let data = unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) };
        let pending = data.chunks_exact(2).take_while(|pair| pair[0] != 0.0).count() * 2;
        record::apply(thread, &data[..pending]);
        data[..pending].fill(0.0);
    }
}

impl Drop for SampleBuffer {
    fn drop(&mut self) {
        // SAFETY: made by Box::into_raw of a boxed slice of exactly `len` f64s.
        drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(self.ptr, self.len)) });
    }
}

/// Per-thread delta cells in native memory: `cells` f64 deltas followed by `cells` f64 handles,
/// in one allocation that JS views as one Float64Array (one ArrayBuffer, made once per thread and
/// copy of the framework). JS gives each counter and gauge series it binds a cell, writes the
/// series' handle once and adds increments into the delta; a gauge `set` writes its value into
/// the delta and `SET_FLAG` into the handle. `drain_deltas` applies every non-zero delta as one
/// `(handle, delta)` sample, and every flagged cell as a set `(handle | SET_FLAG, delta)` (its
/// value may be 0), then zeroes the delta and clears the flag. Only the owning JS thread touches
/// the memory (its own flushes, then its cleanup hook after JS stopped), so no atomics are needed.
pub(crate) fn drain_deltas(thread: u32, data: &mut [f64]) {
    let cells = data.len() / 2;
    drain_deltas_used(thread, data, cells);
}

/// `drain_deltas` over the first `used` cells only (JS hands cells out in order).
pub(crate) fn drain_deltas_used(thread: u32, data: &mut [f64], used: usize) {
    let cells = data.len() / 2;
    let (deltas, handles) = data.split_at_mut(cells);
    let used = used.min(cells);
    let flag = SET_FLAG as f64;
    // Most cells hold nothing at a flush: a chunk is passed over after a branch-free look at its
    // bits (the compiler vectorises the folds). Every cell looked at one by one cost 11-16 us per
    // flush with 8,192 cells handed out and nothing pending (remove() and reset() flush too).
    for (d_chunk, h_chunk) in deltas[..used].chunks_mut(DRAIN_CHUNK).zip(handles[..used].chunks_mut(DRAIN_CHUNK)) {
        let any_delta = d_chunk.iter().fold(0u64, |acc, d| acc | (d.to_bits() << 1)) != 0;
        let any_set = h_chunk.iter().fold(false, |acc, h| acc | (*h >= flag));
        if !any_delta && !any_set {
            continue;
        }
        for (delta, handle) in d_chunk.iter_mut().zip(h_chunk.iter_mut()) {
            let (d, h) = (*delta, *handle);
            if h == 0.0 {
                continue;
            }
            if h >= flag {
                *delta = 0.0;
                *handle = h - flag;
                record::apply(thread, &[h, d]);
            } else if d != 0.0 {
                *delta = 0.0;
                record::apply(thread, &[h, d]);
            }
        }
    }
}

/// Cells looked at together by `drain_deltas_used` before any one of them.
const DRAIN_CHUNK: usize = 32;

impl SampleBuffer {
    /// Applies the non-zero deltas of a delta-cell buffer (see `drain_deltas`) for `thread`.
    pub(crate) fn drain_as_deltas(&self, thread: u32) {
        // SAFETY: see the Send/Sync note; no JS runs any more when this is called.
        let data = unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) };
        drain_deltas(thread, data);
    }
}

#[cfg(test)]
mod tests {
    use super::{drain_deltas, SET_FLAG};
    use crate::definition::{Definition, Kind, Limits};
    use crate::series::Cells;
    use crate::registry::{self, table};
    use crate::handle;

    fn gauge_value(handle: u32) -> f64 {
        match table().get(handle::slot(handle)).unwrap().cells() {
            Cells::Gauge(g) => g.get(),
            _ => unreachable!(),
        }
    }

    #[test]
    fn a_flagged_cell_is_applied_as_a_set_even_of_zero_then_unflagged() {
        let def = Definition { name: "g".into(), help: "h".into(), unit: None, kind: Kind::Gauge, label_names: vec!["l".into()], bounds: vec![] };
        let f = registry::define_with_limits("delta-cells-gauge", def, Limits::default()).unwrap().id;
        let a = registry::bind(f, &["a".into()]).unwrap();
        let b = registry::bind(f, &["b".into()]).unwrap();
        // Two cells: `a` set to 10 then raised by 2 (12, flagged); `b` raised by 7 (no flag).
        let mut data = vec![12.0, 7.0, (a | SET_FLAG) as f64, b as f64];
        drain_deltas(1, &mut data);
        assert_eq!((gauge_value(a), gauge_value(b)), (12.0, 7.0));
        assert_eq!(data, vec![0.0, 0.0, a as f64, b as f64]);
        // A set to 0 is still a set; an unflagged zero delta changes nothing.
        data[2] = (a | SET_FLAG) as f64;
        drain_deltas(1, &mut data);
        assert_eq!((gauge_value(a), gauge_value(b)), (0.0, 7.0));
        assert_eq!(data, vec![0.0, 0.0, a as f64, b as f64]);
        // After the flag is cleared, a delta adds again.
        data[0] = -3.0;
        drain_deltas(1, &mut data);
        assert_eq!(gauge_value(a), -3.0);
        // 40 cells, so two chunks of the drain: only the second holds anything (a set of 0 and a delta).
        let mut wide = vec![0.0; 80];
        wide[40 + 35] = (a | SET_FLAG) as f64;
        wide[39] = 4.0;
        wide[40 + 39] = b as f64;
        drain_deltas(1, &mut wide);
        assert_eq!((gauge_value(a), gauge_value(b)), (0.0, 11.0));
        assert_eq!((wide[40 + 35], wide[39]), (a as f64, 0.0));
    }

    #[test]
    fn drain_skips_empty_and_unassigned_cells_and_zeroes_applied_ones() {
        // Handle 0 is never issued: a delta without a handle stays (nothing to apply it to).
        let mut data = vec![0.0, 5.0, 0.0, 0.0, 0.0, 0.0];
        drain_deltas(1, &mut data);
        assert_eq!(data, vec![0.0, 5.0, 0.0, 0.0, 0.0, 0.0]);
    }
}
