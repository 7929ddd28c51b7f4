//! How a walk reads translation table descriptors (pseudocode
//! `FetchDescriptor`, `PhysMemRead`).

use crate::pas::Pas;

/// Why a descriptor read failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WalkError {
    /// The memory system returned an error: a synchronous External abort on
    /// the translation table walk (`Fault_SyncExternalOnWalk`).
    ExternalAbort,
    /// The Granule Protection Check rejected the read (FEAT_RME,
    /// `Fault_GPCFOnWalk`). `code` is the GPC's own description of the
    /// fault, passed through unchanged to [`super::TranslationFault::gpc_code`].
    GranuleProtection { code: u32 },
}

/// Physical memory as a translation table walk sees it. The implementation
/// does everything a walk access needs besides translation: the Granule
/// Protection Check of the descriptor address in its PAS, then the read.
pub trait WalkMemory {
    /// Read the 64-bit descriptor at physical address `pa` (8-byte aligned)
    /// in physical address space `pas`, as a little-endian value (the walk
    /// byte-swaps it when SCTLR_ELx.EE says the tables are big-endian).
    fn read_descriptor(&self, pa: u64, pas: Pas) -> Result<u64, WalkError>;
}

impl<T: WalkMemory + ?Sized> WalkMemory for &T {
    fn read_descriptor(&self, pa: u64, pas: Pas) -> Result<u64, WalkError> {
        (**self).read_descriptor(pa, pas)
    }
}

/// Why a walk could not read a descriptor: a stage 2 fault on the walk
/// (already complete) or a memory error at `pa`.
#[derive(Clone, Copy, Debug)]
pub(crate) enum DescReadError {
    Stage2(super::TranslationFault),
    Memory { error: WalkError, pa: u64, pas: Pas },
}
