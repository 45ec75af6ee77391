//! Series handles: the small integers JS records with. A handle is a table slot (24 bits) plus
//! the slot's generation (6 bits, bumped when a TTL eviction frees the slot for reuse), so a
//! handle kept after its series was evicted is recognised as stale instead of hitting another
//! label set. Bit 30 marks a binding JS must not cache; bit 31 marks a gauge `set` in a sample.

pub const SLOT_BITS: u32 = 24;
pub const SLOT_MASK: u32 = (1 << SLOT_BITS) - 1;
pub const GEN_MASK: u32 = 0x3f;
/// Returned by binding: the label set is folded by top-N right now; record with `recordFolded`.
pub const FOLDED: u32 = 1 << 30;
/// Set on a sample's handle to mean "gauge set" rather than "add / observe".
pub const SET_FLAG: u32 = 1 << 31;

#[inline]
pub fn make(slot: u32, generation: u32) -> u32 {
    ((generation & GEN_MASK) << SLOT_BITS) | slot
}

#[inline]
pub fn slot(handle: u32) -> u32 {
    handle & SLOT_MASK
}

#[inline]
pub fn generation(handle: u32) -> u32 {
    (handle >> SLOT_BITS) & GEN_MASK
}
