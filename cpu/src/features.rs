//! The feature profile: the ID register values this CPU reports, and the
//! predicates the rest of the crate asks (modelled on QEMU's
//! `isar_feature_aa64_*`). A feature is on exactly when its ID field says
//! so: change the ID value (e.g. through `CpuConfig::id_overrides`) and the
//! behaviour follows.
//!
//! Advertised (and implemented): AArch64-only EL0-EL3, FEAT_RME, FEAT_SEL2,
//! FEAT_VHE, FEAT_LSE, FEAT_CRC32, FEAT_PAN, FEAT_UAO, FEAT_LOR (zero
//! regions), FEAT_DIT, FEAT_SSBS, FEAT_FlagM/FlagM2, FEAT_LRCPC/LRCPC2,
//! FEAT_SB, FEAT_DPB, FEAT_RNG, FEAT_HCX, FEAT_TLBIOS, FEAT_PAuth with an
//! IMPLEMENTATION DEFINED algorithm, 16-bit ASID/VMID.
//! Not advertised yet: FP/AdvSIMD (ID_AA64PFR0_EL1.FP/AdvSIMD = 0xF), SVE,
//! MTE, BTI, PMU event counters (PMCR_EL0.N = 0). The GIC system
//! register interface is advertised when a GIC is attached.

use crate::sysreg::table::SysReg;
use crate::sysreg::SysRegFile;

/// MIDR_EL1 of FVP's Base AEM model (TF-A's `BASE_AEM_MIDR`).
pub const MIDR_FVP_BASE_AEM: u64 = 0x410f_d0f0;

const fn field(v: u64, lsb: u32) -> u64 {
    v << lsb
}

/// ID_AA64PFR0_EL1: EL0-EL3 AArch64 only, FP/AdvSIMD not implemented,
/// RAS (no error records), SEL2, DIT, RME, CSV2 = 2 (SCXTNUM_ELx).
pub const ID_AA64PFR0: u64 = field(1, 0) | field(1, 4) | field(1, 8) | field(1, 12)
    | field(0xf, 16) | field(0xf, 20) | field(1, 28) | field(1, 36) | field(1, 48) | field(1, 52) | field(2, 56);
/// ID_AA64PFR1_EL1: SSBS (MSR SSBS and PSTATE.SSBS).
pub const ID_AA64PFR1: u64 = field(1, 4);
/// ID_AA64ISAR0_EL1: CRC32, Atomic = LSE, TS = FlagM2, TLB = TLBIOS, RNDR.
pub const ID_AA64ISAR0: u64 = field(1, 16) | field(2, 20) | field(2, 52) | field(1, 56) | field(1, 60);
/// ID_AA64ISAR1_EL1: DPB, API = IMPLEMENTATION DEFINED PAuth algorithm,
/// GPI = IMPLEMENTATION DEFINED generic authentication, LRCPC2, SB.
pub const ID_AA64ISAR1: u64 = field(1, 0) | field(1, 8) | field(2, 20) | field(1, 28) | field(1, 36);
/// ID_AA64MMFR0_EL1: PARange = 48 bits, 16-bit ASIDs, SNSMem, TGran4/16/64.
pub const ID_AA64MMFR0: u64 = field(5, 0) | field(2, 4) | field(1, 12) | field(1, 20);
/// ID_AA64MMFR1_EL1: VMIDBits = 16, VH, HPDS, LO, PAN, XNX, HCX.
pub const ID_AA64MMFR1: u64 = field(2, 4) | field(1, 8) | field(1, 12) | field(1, 16) | field(1, 20) | field(1, 28) | field(1, 40);
/// ID_AA64MMFR2_EL1: UAO, E0PD.
pub const ID_AA64MMFR2: u64 = field(1, 4) | field(1, 60);
/// ID_AA64DFR0_EL1: DebugVer = Armv8.0, PMUVer = PMUv3 (cycle counter
/// only), 6 breakpoints, 4 watchpoints (their registers only).
pub const ID_AA64DFR0: u64 = field(6, 0) | field(1, 8) | field(1, 12) | field(1, 20);

/// The default values of the ID registers.
pub fn default_id_values() -> [(SysReg, u64); 8] {
    [
        (SysReg::ID_AA64PFR0_EL1, ID_AA64PFR0),
        (SysReg::ID_AA64PFR1_EL1, ID_AA64PFR1),
        (SysReg::ID_AA64ISAR0_EL1, ID_AA64ISAR0),
        (SysReg::ID_AA64ISAR1_EL1, ID_AA64ISAR1),
        (SysReg::ID_AA64MMFR0_EL1, ID_AA64MMFR0),
        (SysReg::ID_AA64MMFR1_EL1, ID_AA64MMFR1),
        (SysReg::ID_AA64MMFR2_EL1, ID_AA64MMFR2),
        (SysReg::ID_AA64DFR0_EL1, ID_AA64DFR0),
    ]
}

/// Feature predicates, derived from the ID registers once per reset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Features {
    pub rme: bool,
    pub sel2: bool,
    pub vhe: bool,
    pub lse: bool,
    pub crc32: bool,
    pub pan: bool,
    pub uao: bool,
    pub lor: bool,
    pub dit: bool,
    pub ssbs: bool,
    pub flagm: bool,
    pub flagm2: bool,
    pub lrcpc: bool,
    pub lrcpc2: bool,
    pub sb: bool,
    pub dpb: bool,
    pub rng: bool,
    pub hcx: bool,
    pub pauth: bool,
    pub pauth_generic: bool,
    pub fp: bool,
    /// Physical address size in bits (ID_AA64MMFR0_EL1.PARange).
    pub pa_bits: u32,
    pub asid16: bool,
    pub vmid16: bool,
}

fn f(v: u64, lsb: u32) -> u64 {
    (v >> lsb) & 0xf
}

impl Features {
    pub fn from_sysregs(r: &SysRegFile) -> Features {
        let pfr0 = r.get(SysReg::ID_AA64PFR0_EL1);
        let pfr1 = r.get(SysReg::ID_AA64PFR1_EL1);
        let isar0 = r.get(SysReg::ID_AA64ISAR0_EL1);
        let isar1 = r.get(SysReg::ID_AA64ISAR1_EL1);
        let mmfr0 = r.get(SysReg::ID_AA64MMFR0_EL1);
        let mmfr1 = r.get(SysReg::ID_AA64MMFR1_EL1);
        let mmfr2 = r.get(SysReg::ID_AA64MMFR2_EL1);
        Features {
            rme: f(pfr0, 52) >= 1,
            sel2: f(pfr0, 36) >= 1,
            dit: f(pfr0, 48) >= 1,
            fp: f(pfr0, 16) != 0xf,
            ssbs: f(pfr1, 4) >= 1,
            crc32: f(isar0, 16) >= 1,
            lse: f(isar0, 20) >= 2,
            flagm: f(isar0, 52) >= 1,
            flagm2: f(isar0, 52) >= 2,
            rng: f(isar0, 60) >= 1,
            dpb: f(isar1, 0) >= 1,
            pauth: f(isar1, 4) != 0 || f(isar1, 8) != 0,
            pauth_generic: f(isar1, 24) != 0 || f(isar1, 28) != 0,
            lrcpc: f(isar1, 20) >= 1,
            lrcpc2: f(isar1, 20) >= 2,
            sb: f(isar1, 36) >= 1,
            pa_bits: match f(mmfr0, 0) {
                0 => 32,
                1 => 36,
                2 => 40,
                3 => 42,
                4 => 44,
                5 => 48,
                _ => 52,
            },
            asid16: f(mmfr0, 4) == 2,
            vmid16: f(mmfr1, 4) == 2,
            vhe: f(mmfr1, 8) >= 1,
            lor: f(mmfr1, 16) >= 1,
            pan: f(mmfr1, 20) >= 1,
            hcx: f(mmfr1, 40) >= 1,
            uao: f(mmfr2, 4) >= 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_profile_advertises_what_is_implemented() {
        let mut r = SysRegFile::new();
        for (reg, v) in default_id_values() {
            r.set(reg, v);
        }
        let f = Features::from_sysregs(&r);
        assert!(f.rme && f.sel2 && f.vhe && f.lse && f.pan && f.pauth && f.rng);
        assert!(!f.fp, "FP/AdvSIMD is not implemented yet and must not be advertised");
        assert_eq!(f.pa_bits, 48);
    }

    #[test]
    fn a_feature_follows_its_id_field() {
        let mut r = SysRegFile::new();
        for (reg, v) in default_id_values() {
            r.set(reg, v);
        }
        r.set(SysReg::ID_AA64ISAR0_EL1, ID_AA64ISAR0 & !(0xf << 20));
        assert!(!Features::from_sysregs(&r).lse);
    }
}
