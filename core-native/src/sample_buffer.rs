//! Per-thread sample buffers in native memory, so nothing buffered is lost when a thread ends.
//!
//! JS appends `(handle, value)` pairs into a Float64Array that views this memory and calls
//! `applySamples` when it is full or due. The core zeroes what it applied, so a pair whose handle
//! is 0 (never issued) marks the end of the pending samples. When the thread's environment is torn
//! down — including `worker.terminate()`, which skips JS `exit` handlers — a cleanup hook applies
//! whatever is still pending. The memory is freed once both the hook and the JS finalizer ran.

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
