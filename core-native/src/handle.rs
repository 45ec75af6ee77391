//! Series handles: the small integers JS records with. A handle is a table slot (22 bits) plus
//! the slot's generation (8 bits). A slot's generation moves on only when the slot is given to
//! another label set (see lifecycle.rs), so a handle kept after its series was removed, reset or
//! evicted is recognised as stale instead of hitting another label set. Bit 30 marks a folded binding
//! (alone: folded by top-N now, JS must not cache it; with a slot: a shared fold, cached within a
//! bound); bit 31 marks a gauge `set` in a sample. JS reads these bits from the `#[napi]`
//! constants in lib.rs, never from its own copies.

pub(crate) const SLOT_BITS: u32 = 22;
pub(crate) const SLOT_MASK: u32 = (1 << SLOT_BITS) - 1;
pub(crate) const GEN_MASK: u32 = 0xff;
/// The generation bits of a handle, in place.
pub(crate) const GEN_BITS: u32 = GEN_MASK << SLOT_BITS;
/// Returned by binding, alone: the label set is folded by top-N right now; record with
/// `recordFolded`. With a handle: the set folds into a series other label sets share.
pub(crate) const FOLDED: u32 = 1 << 30;
/// Set on a sample's handle to mean "gauge set" rather than "add / observe".
pub(crate) const SET_FLAG: u32 = 1 << 31;
/// Set in a series' tag (never in a handle JS records with) while the series is retired.
pub(crate) const RETIRED: u32 = 1 << 30;

#[inline]
pub(crate) fn make(slot: u32, generation: u32) -> u32 {
    ((generation & GEN_MASK) << SLOT_BITS) | slot
}

#[inline]
pub(crate) fn slot(handle: u32) -> u32 {
    handle & SLOT_MASK
}

#[inline]
pub(crate) fn generation(handle: u32) -> u32 {
    (handle >> SLOT_BITS) & GEN_MASK
}
