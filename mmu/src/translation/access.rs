//! The access being translated (pseudocode `AccessDescriptor`, reduced to
//! what translation needs).

use super::fault::FaultAccess;

/// What an access does with memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccessKind {
    Read,
    Write,
    /// A read-modify-write (atomic, CAS, SWP): needs read and write
    /// permission; a fault a read would take is reported with WnR = 0.
    ReadWrite,
    /// An instruction fetch.
    Fetch,
}

/// One access to translate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Access {
    /// The virtual address (for stage 1 disabled: also the output address).
    pub va: u64,
    pub kind: AccessKind,
    /// An EL0 access, or an unprivileged load/store (LDTR/STTR family)
    /// that the architecture checks as EL0 (`accdesc.el == EL0`).
    pub unprivileged: bool,
    /// PSTATE.PAN for a privileged data access PAN applies to (the CPU
    /// passes `false` for fetches, unprivileged and cache-maintenance
    /// accesses).
    pub pan: bool,
    /// The access is aligned to its size. An unaligned data access to
    /// Device memory takes an Alignment fault, ahead of Permission faults
    /// (`AArch64.S1HasAlignmentFaultDueToMemType`).
    pub aligned: bool,
}

impl Access {
    /// A privileged, aligned access.
    pub fn new(va: u64, kind: AccessKind) -> Access {
        Access { va, kind, unprivileged: false, pan: false, aligned: true }
    }

    pub fn read(va: u64) -> Access {
        Access::new(va, AccessKind::Read)
    }

    pub fn write(va: u64) -> Access {
        Access::new(va, AccessKind::Write)
    }

    pub fn fetch(va: u64) -> Access {
        Access::new(va, AccessKind::Fetch)
    }

    /// The same access made from EL0 (or as an unprivileged load/store).
    pub fn el0(mut self) -> Access {
        self.unprivileged = true;
        self
    }

    /// The same access with PSTATE.PAN = 1.
    pub fn with_pan(mut self) -> Access {
        self.pan = true;
        self
    }

    /// The same access, unaligned.
    pub fn unaligned(mut self) -> Access {
        self.aligned = false;
        self
    }

    pub fn is_fetch(&self) -> bool {
        self.kind == AccessKind::Fetch
    }

    /// How a fault other than a write-permission fault reports this access
    /// (WnR = 0 for a read-modify-write whose read would fault).
    pub(crate) fn fault_access(&self) -> FaultAccess {
        match self.kind {
            AccessKind::Write => FaultAccess::Write,
            AccessKind::Fetch => FaultAccess::Fetch,
            AccessKind::Read | AccessKind::ReadWrite => FaultAccess::Read,
        }
    }
}
