//! MMU faults, carrying exactly what ESR_ELx (DFSC/IFSC, WnR, S1PTW),
//! FAR_ELx and HPFAR_EL2 need.
//!
//! Arm ARM (DDI0487 M.a) D8.15 "Memory aborts" and the ISS encoding for an
//! exception from a Data/Instruction Abort (D24.2 ESR_ELx): the fault status
//! code is `class | level` for levels 0..3:
//!
//! | fault                                   | FSC        | level -1   |
//! |-----------------------------------------|------------|------------|
//! | Address size                            | `0b0000LL` | `0b101001` |
//! | Translation                             | `0b0001LL` | `0b101011` |
//! | Access flag                             | `0b0010LL` | -          |
//! | Permission                              | `0b0011LL` | -          |
//! | Synchronous External abort on walk      | `0b0101LL` | `0b010011` |
//! | Granule Protection Fault on walk (RME)  | `0b1001LL` | `0b100011` |
//! | Alignment (Device memory)               | `0b100001` | -          |
//!
//! Level -1 only exists with FEAT_LPA2, which rme-emu does not advertise;
//! the encodings are here so the table is complete. A fault before any
//! descriptor is read (TxSZ out of range, VA out of range, EPDx/E0PDx, the
//! translation table base beyond the output size, stage 1 disabled with a
//! VA beyond PAMax) is reported at level 0, as in the pseudocode
//! `AArch64.S1Translate`, `AArch64.S1Walk`, `AArch64.S2Translate`.

use crate::pas::Pas;
use std::fmt;

/// The kind of MMU fault (pseudocode `Fault_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// `Fault_AddressSize`: an output or table address beyond the
    /// configured output size (TCR_ELx.{I}PS / VTCR_EL2.PS, capped by PAMax).
    AddressSize,
    /// `Fault_Translation`: invalid descriptor, input address out of range,
    /// walk disabled (EPDx, E0PDx), invalid stage 2 start level, ...
    Translation,
    /// `Fault_AccessFlag`: a leaf descriptor with AF (bit 10) clear.
    AccessFlag,
    /// `Fault_Permission`.
    Permission,
    /// `Fault_SyncExternalOnWalk`: the memory system returned an error for
    /// a descriptor read.
    ExternalAbortOnWalk,
    /// `Fault_GPCFOnWalk`: the Granule Protection Check rejected a
    /// descriptor read (FEAT_RME). The GPC's own report is in
    /// [`TranslationFault::gpc_code`].
    GranuleProtectionOnWalk,
    /// `Fault_Alignment` caused by the memory type: an unaligned data
    /// access to Device memory (D8.15: reported before a Permission fault).
    Alignment,
}

/// Which stage of translation faulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stage {
    One,
    Two,
}

/// How the faulting access used memory (for WnR and for choosing
/// DFSC vs IFSC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultAccess {
    /// A data read (or a read that a read-modify-write access would have
    /// faulted on).
    Read,
    /// A data write.
    Write,
    /// An instruction fetch (reported in an Instruction Abort, IFSC).
    Fetch,
}

/// A translation fault, as the architecture reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TranslationFault {
    pub kind: FaultKind,
    /// Lookup level, -1..=3 (0 for faults before or at the base register).
    pub level: i8,
    pub stage: Stage,
    /// A stage 2 fault on the access a stage 1 table walk made
    /// (ESR_ELx.ISS.S1PTW).
    pub s1ptw: bool,
    /// The virtual address of the access that faulted (FAR_ELx). For a
    /// stage 2 fault on a stage 1 walk this is still the original VA.
    pub va: u64,
    /// The faulting IPA for stage 2 faults (the address given to stage 2:
    /// the stage 1 output, or the stage 1 descriptor address when
    /// `s1ptw`). `None` for stage 1 faults.
    pub ipa: Option<u64>,
    /// The IPA space of `ipa` (Secure/Non-secure for Secure EL1&0; Realm for
    /// Realm; Non-secure otherwise). Feeds HPFAR_EL2.NS.
    pub ipa_space: Option<Pas>,
    /// What the faulting access did: WnR is `access == Write`.
    pub access: FaultAccess,
    /// For [`FaultKind::ExternalAbortOnWalk`] and
    /// [`FaultKind::GranuleProtectionOnWalk`]: the physical address and PAS
    /// of the descriptor read that failed (for MFAR_EL3 and logs).
    pub walk_pa: Option<(u64, Pas)>,
    /// For [`FaultKind::GranuleProtectionOnWalk`]: the code the
    /// [`super::WalkMemory`] implementation returned, unchanged.
    pub gpc_code: Option<u32>,
}

impl TranslationFault {
    /// A stage 1 fault (no IPA).
    pub(crate) fn stage1(kind: FaultKind, level: i8, va: u64, access: FaultAccess) -> Self {
        TranslationFault {
            kind,
            level,
            stage: Stage::One,
            s1ptw: false,
            va,
            ipa: None,
            ipa_space: None,
            access,
            walk_pa: None,
            gpc_code: None,
        }
    }

    /// A stage 2 fault on `ipa` in `ipa_space`.
    pub(crate) fn stage2(
        kind: FaultKind,
        level: i8,
        va: u64,
        ipa: u64,
        ipa_space: Pas,
        s1ptw: bool,
        access: FaultAccess,
    ) -> Self {
        TranslationFault {
            kind,
            level,
            stage: Stage::Two,
            s1ptw,
            va,
            ipa: Some(ipa),
            ipa_space: Some(ipa_space),
            access,
            walk_pa: None,
            gpc_code: None,
        }
    }

    /// The Data/Instruction Fault Status Code (ESR_ELx.ISS.DFSC / IFSC).
    pub fn fsc(&self) -> u8 {
        let lvl = self.level;
        debug_assert!((-1..=3).contains(&lvl), "fault level {lvl} out of range");
        let low = (lvl.clamp(0, 3)) as u8;
        match (self.kind, lvl) {
            (FaultKind::AddressSize, -1) => 0b10_1001,
            (FaultKind::AddressSize, _) => low,
            (FaultKind::Translation, -1) => 0b10_1011,
            (FaultKind::Translation, _) => 0b00_0100 | low,
            (FaultKind::AccessFlag, _) => 0b00_1000 | low,
            (FaultKind::Permission, _) => 0b00_1100 | low,
            (FaultKind::ExternalAbortOnWalk, -1) => 0b01_0011,
            (FaultKind::ExternalAbortOnWalk, _) => 0b01_0100 | low,
            (FaultKind::GranuleProtectionOnWalk, -1) => 0b10_0011,
            (FaultKind::GranuleProtectionOnWalk, _) => 0b10_0100 | low,
            (FaultKind::Alignment, _) => 0b10_0001,
        }
    }

    /// ESR_ELx.ISS.WnR: set for a write (always 0 for an Instruction Abort).
    pub fn wnr(&self) -> bool {
        self.access == FaultAccess::Write
    }

    /// True for an instruction fetch (reported as an Instruction Abort).
    pub fn is_fetch(&self) -> bool {
        self.access == FaultAccess::Fetch
    }

    pub fn is_stage2(&self) -> bool {
        self.stage == Stage::Two
    }

    /// Whether the fault may be reported with ESR_ELx.ISS.ISV = 1.
    ///
    /// D24.2 ESR_ELx, ISV: outside FEAT_LS64, ISV is 0 except for stage 2
    /// aborts on loads and stores of a single general-purpose register
    /// (no writeback, not exclusive). A stage 2 fault on a stage 1 walk and
    /// an External abort or GPF on a walk are not such aborts. The CPU ANDs
    /// this with "the instruction is such a load/store".
    pub fn isv_allowed(&self) -> bool {
        self.stage == Stage::Two
            && !self.s1ptw
            && self.access != FaultAccess::Fetch
            && matches!(
                self.kind,
                FaultKind::Translation | FaultKind::AccessFlag | FaultKind::Permission | FaultKind::AddressSize
            )
    }

    /// HPFAR_EL2 for this fault, when the architecture writes it (D24.2
    /// HPFAR_EL2): a stage 2 Translation, Access flag or Address size fault
    /// not on a stage 1 walk; any of those or a Permission fault on a
    /// stage 1 walk; a GPF in the second stage. `FIPA` (bits \[43:4\]) holds
    /// IPA\[51:12\]; `NS` (bit 63) is set for the Non-secure IPA space of the
    /// Secure EL1&0 regime only (RES0 for Non-secure and Realm EL2).
    ///
    /// `secure_el2`: the exception is taken to Secure EL2.
    pub fn hpfar(&self, secure_el2: bool) -> Option<u64> {
        if self.stage != Stage::Two {
            return None;
        }
        let written = match self.kind {
            FaultKind::Translation | FaultKind::AccessFlag | FaultKind::AddressSize => true,
            FaultKind::Permission => self.s1ptw,
            FaultKind::GranuleProtectionOnWalk => true,
            FaultKind::ExternalAbortOnWalk | FaultKind::Alignment => false,
        };
        if !written {
            return None;
        }
        let ipa = self.ipa?;
        let mut v = ((ipa >> 12) & ((1u64 << 40) - 1)) << 4;
        if secure_el2 && self.ipa_space == Some(Pas::NonSecure) {
            v |= 1 << 63;
        }
        Some(v)
    }
}

impl fmt::Display for TranslationFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stage = match self.stage {
            Stage::One => 1,
            Stage::Two => 2,
        };
        write!(
            f,
            "stage {stage} {:?} fault, level {} (FSC {:#04x}) at VA {:#x}",
            self.kind,
            self.level,
            self.fsc(),
            self.va
        )?;
        if let Some(ipa) = self.ipa {
            write!(f, ", IPA {ipa:#x}")?;
        }
        if self.s1ptw {
            write!(f, " (on stage 1 walk)")?;
        }
        Ok(())
    }
}

impl std::error::Error for TranslationFault {}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(kind: FaultKind, level: i8) -> TranslationFault {
        TranslationFault::stage1(kind, level, 0, FaultAccess::Read)
    }

    #[test]
    fn fsc_encodings_match_the_arm_arm_table() {
        assert_eq!(f(FaultKind::AddressSize, 0).fsc(), 0b00_0000);
        assert_eq!(f(FaultKind::AddressSize, 3).fsc(), 0b00_0011);
        assert_eq!(f(FaultKind::AddressSize, -1).fsc(), 0b10_1001);
        assert_eq!(f(FaultKind::Translation, 0).fsc(), 0b00_0100);
        assert_eq!(f(FaultKind::Translation, 2).fsc(), 0b00_0110);
        assert_eq!(f(FaultKind::Translation, -1).fsc(), 0b10_1011);
        assert_eq!(f(FaultKind::AccessFlag, 1).fsc(), 0b00_1001);
        assert_eq!(f(FaultKind::AccessFlag, 3).fsc(), 0b00_1011);
        assert_eq!(f(FaultKind::Permission, 1).fsc(), 0b00_1101);
        assert_eq!(f(FaultKind::Permission, 3).fsc(), 0b00_1111);
        assert_eq!(f(FaultKind::ExternalAbortOnWalk, 0).fsc(), 0b01_0100);
        assert_eq!(f(FaultKind::ExternalAbortOnWalk, 3).fsc(), 0b01_0111);
        assert_eq!(f(FaultKind::ExternalAbortOnWalk, -1).fsc(), 0b01_0011);
        assert_eq!(f(FaultKind::GranuleProtectionOnWalk, 2).fsc(), 0b10_0110);
        assert_eq!(f(FaultKind::GranuleProtectionOnWalk, -1).fsc(), 0b10_0011);
        assert_eq!(f(FaultKind::Alignment, 0).fsc(), 0b10_0001);
    }

    #[test]
    fn hpfar_is_written_only_where_the_arm_arm_says() {
        let s2 = |kind, s1ptw| {
            TranslationFault::stage2(kind, 2, 0xdead_0000, 0x1_2345_6789, Pas::NonSecure, s1ptw, FaultAccess::Read)
        };
        // FIPA = IPA[51:12] at bits [43:4].
        assert_eq!(s2(FaultKind::Translation, false).hpfar(false), Some(0x123456 << 4));
        assert_eq!(s2(FaultKind::Permission, false).hpfar(false), None);
        assert_eq!(s2(FaultKind::Permission, true).hpfar(false), Some(0x123456 << 4));
        assert_eq!(s2(FaultKind::ExternalAbortOnWalk, true).hpfar(false), None);
        // NS only for Secure EL2 and the Non-secure IPA space.
        assert_eq!(s2(FaultKind::AccessFlag, false).hpfar(true), Some((1 << 63) | (0x123456 << 4)));
        assert_eq!(f(FaultKind::Translation, 1).hpfar(false), None);
    }

    #[test]
    fn isv_only_for_stage2_data_faults_not_on_walks() {
        let mut s2 =
            TranslationFault::stage2(FaultKind::Permission, 3, 0, 0x1000, Pas::NonSecure, false, FaultAccess::Write);
        assert!(s2.isv_allowed());
        assert!(s2.wnr());
        s2.s1ptw = true;
        assert!(!s2.isv_allowed());
        assert!(!f(FaultKind::Permission, 3).isv_allowed());
    }
}
