//! Translation regimes and the register values that control them.
//!
//! Arm ARM D8.1 "Address translation" (translation regimes), D8.2
//! "Translation process"; pseudocode `TranslationRegime`,
//! `AArch64.S1TTWParamsEL10`, `AArch64.S1TTWParamsEL2`,
//! `AArch64.S1TTWParamsEL20`, `AArch64.S1TTWParamsEL3`,
//! `AArch64.NSS2TTWParams`, `AArch64.SS2TTWParams`, `AArch64.RLS2TTWParams`,
//! `AArch64.PhysicalAddressSize`.
//!
//! The CPU fills [`Stage1Regime`] / [`Stage2Regime`] with raw register
//! values (TCR_ELx, TTBRn_ELx, MAIR_ELx, SCTLR_ELx, HCR_EL2, VTCR_EL2, ...);
//! the field positions below are the Arm ARM's. What the implementation
//! has (ID register fields) is in [`MmuFeatures`].

use super::granule::{Granule, MAX_TXSZ, MIN_TXSZ};
use crate::pas::{Pas, SecurityState};

/// A stage 1 translation regime (pseudocode `Regime`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Regime {
    /// EL1&0: TTBR0_EL1/TTBR1_EL1, TCR_EL1; optionally followed by stage 2.
    El10,
    /// EL2&0 (FEAT_VHE, HCR_EL2.E2H = 1): TTBR0_EL2/TTBR1_EL2, TCR_EL2 in
    /// its E2H layout (same as TCR_EL1).
    El20,
    /// EL2 without VHE: TTBR0_EL2, TCR_EL2 in its non-E2H layout.
    El2,
    /// EL3: TTBR0_EL3, TCR_EL3.
    El3,
}

impl Regime {
    /// The regime used at exception level `el` (pseudocode
    /// `TranslationRegime`): EL0 is in EL2&0 when HCR_EL2.{E2H,TGE} = {1,1}.
    pub fn for_el(el: u8, e2h: bool, tge: bool) -> Regime {
        match el {
            3 => Regime::El3,
            2 if e2h => Regime::El20,
            2 => Regime::El2,
            0 if e2h && tge => Regime::El20,
            _ => Regime::El10,
        }
    }

    /// Regimes with an unprivileged (EL0) level and two VA ranges
    /// (pseudocode `HasUnprivileged`).
    pub fn has_unprivileged(self) -> bool {
        matches!(self, Regime::El10 | Regime::El20)
    }
}

/// What the implementation provides (read from the ID registers the CPU
/// advertises, in one place). The default is rme-emu's CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MmuFeatures {
    /// PAMax in bits (ID_AA64MMFR0_EL1.PARange): 32, 36, 40, 42, 44 or 48.
    pub pa_bits: u8,
    /// ID_AA64MMFR0_EL1.ASIDBits = 0b0010 (TCR_ELx.AS selects 16-bit ASIDs).
    pub asid16: bool,
    /// ID_AA64MMFR1_EL1.VMIDBits = 0b0010 (VTCR_EL2.VS selects 16-bit VMIDs).
    pub vmid16: bool,
    /// FEAT_XNX: stage 2 descriptor bit 53 (XN\[0\]) separates EL0/EL1 execute.
    pub xnx: bool,
    /// FEAT_HPDS: TCR_ELx.HPDn disable the hierarchical permission controls.
    pub hpds: bool,
    /// FEAT_PAN3: SCTLR_ELx.EPAN makes PAN also cover EL0-executable memory.
    pub pan3: bool,
    /// FEAT_E0PD: TCR_ELx.E0PDn.
    pub e0pd: bool,
    /// FEAT_PAuth: TCR_ELx.TBIDn (top byte ignored for data only).
    pub tbid: bool,
    /// Secure state is implemented (with RME, a Root {NSE,NS} = 00
    /// descriptor maps to Non-secure when it is not:
    /// `AArch64.S1NextWalkStateLeaf`).
    pub secure_state: bool,
    /// IMPLEMENTATION DEFINED: a TxSZ below the minimum or above the
    /// maximum gives a level 0 Translation fault (`true`) or behaves as the
    /// nearest legal value (`false`) (`AArch64.S1TxSZFaults`,
    /// `AArch64.S2TxSZFaults`).
    pub txsz_out_of_range_faults: bool,
}

impl Default for MmuFeatures {
    fn default() -> Self {
        MmuFeatures {
            pa_bits: 48,
            asid16: true,
            vmid16: true,
            xnx: true,
            hpds: true,
            pan3: false,
            e0pd: true,
            tbid: true,
            secure_state: true,
            txsz_out_of_range_faults: true,
        }
    }
}

/// Decode a TCR_ELx.{I}PS / VTCR_EL2.PS value to bits and cap it at the
/// 48-bit VMSAv8-64 output size and PAMax (`AArch64.PhysicalAddressSize`
/// without FEAT_LPA/FEAT_LPA2).
pub fn output_size_bits(ps: u64, pa_bits: u8) -> u8 {
    let ps = match ps & 7 {
        0 => 32,
        1 => 36,
        2 => 40,
        3 => 42,
        4 => 44,
        5 => 48,
        6 => 52,
        _ => 56,
    };
    ps.min(48).min(pa_bits)
}

/// SCTLR_ELx bits the walk uses.
pub mod sctlr {
    pub const M: u64 = 1 << 0;
    pub const C: u64 = 1 << 2;
    pub const I: u64 = 1 << 12;
    pub const WXN: u64 = 1 << 19;
    pub const EE: u64 = 1 << 25;
    pub const EPAN: u64 = 1 << 57;
}

/// HCR_EL2 bits the walk uses.
pub mod hcr {
    pub const VM: u64 = 1 << 0;
    pub const PTW: u64 = 1 << 2;
    pub const DC: u64 = 1 << 12;
    pub const TGE: u64 = 1 << 27;
    pub const FWB: u64 = 1 << 46;
}

/// The registers of one stage 1 regime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stage1Regime {
    pub regime: Regime,
    /// Security state of the PE (Root for EL3).
    pub security: SecurityState,
    /// TCR_EL1 (EL1&0), TCR_EL2 (EL2&0 and EL2, in the layout HCR_EL2.E2H
    /// selects), TCR_EL3.
    pub tcr: u64,
    pub ttbr0: u64,
    /// TTBR1_ELx; ignored by the EL2 and EL3 regimes.
    pub ttbr1: u64,
    pub mair: u64,
    /// SCTLR_ELx of the regime: M, C, I, WXN, EE, EPAN are used.
    pub sctlr: u64,
    /// Effective HCR_EL2 for the EL1&0 regime (0 when EL2 is disabled in
    /// the security state): DC and TGE disable stage 1. Ignored by other
    /// regimes.
    pub hcr: u64,
    /// Effective SCR_EL3.SIF (Secure instruction fetch from Non-secure PAS
    /// forbidden). The CPU passes 0 when RME is implemented without
    /// FEAT_SEL2 (`AArch64.S1TTWParamsEL2/EL3`).
    pub sif: bool,
    pub features: MmuFeatures,
}

/// The registers of the stage 2 translation of the EL1&0 regime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stage2Regime {
    /// Non-secure, Secure (FEAT_SEL2) or Realm (the stage 2 the RMM programs).
    pub security: SecurityState,
    /// Effective HCR_EL2: VM (or DC) enables stage 2; FWB, PTW, TGE used.
    pub hcr: u64,
    /// VTCR_EL2: T0SZ, SL0, TG0, PS, VS; NSW/NSA for Secure.
    pub vtcr: u64,
    /// VTTBR_EL2: BADDR and VMID.
    pub vttbr: u64,
    /// VSTCR_EL2 (Secure IPA space; Secure state only).
    pub vstcr: u64,
    /// VSTTBR_EL2 (Secure IPA space; Secure state only).
    pub vsttbr: u64,
    /// SCTLR_EL2.EE: stage 2 descriptors are big-endian.
    pub ee: bool,
    pub features: MmuFeatures,
}

/// Stage 1 walk parameters for one VA (pseudocode `S1TTWParams`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct S1Params {
    pub granule: Granule,
    /// TxSZ after the IMPLEMENTATION DEFINED clamping (see `txsz_fault`).
    pub txsz: u8,
    /// The programmed TxSZ was out of range and the implementation faults.
    pub txsz_fault: bool,
    /// Output address size in bits (IPS/PS capped).
    pub oa_bits: u8,
    pub tbi: bool,
    pub tbid: bool,
    pub hpd: bool,
    pub epd: bool,
    pub e0pd: bool,
    /// VA bit 55 set: the upper range (TTBR1) of a two-range regime.
    pub upper: bool,
    pub ttbr: u64,
    pub wxn: bool,
    pub epan: bool,
    pub ee: bool,
}

impl Stage1Regime {
    pub(crate) fn bit(&self, n: u32) -> bool {
        (self.tcr >> n) & 1 != 0
    }

    /// Is stage 1 enabled (`AArch64.S1Enabled`)? For EL1&0, HCR_EL2.DC or
    /// HCR_EL2.TGE make it behave as disabled.
    pub fn enabled(&self) -> bool {
        if self.regime == Regime::El10 && self.hcr & (hcr::DC | hcr::TGE) != 0 {
            return false;
        }
        self.sctlr & sctlr::M != 0
    }

    /// Gather the walk parameters for `va`.
    pub(crate) fn params(&self, va: u64) -> S1Params {
        let f = &self.features;
        let upper = self.regime.has_unprivileged() && (va >> 55) & 1 != 0;
        let tcr = self.tcr;
        let (granule, txsz, oa_ps, tbi, tbid, hpd, epd, e0pd, ttbr) = if self.regime.has_unprivileged() {
            if upper {
                (
                    Granule::from_tg1(tcr >> 30),
                    ((tcr >> 16) & 0x3f) as u8,
                    (tcr >> 32) & 7,
                    self.bit(38),
                    self.bit(52),
                    self.bit(42),
                    self.bit(23),
                    self.bit(56),
                    self.ttbr1,
                )
            } else {
                (
                    Granule::from_tg0(tcr >> 14),
                    (tcr & 0x3f) as u8,
                    (tcr >> 32) & 7,
                    self.bit(37),
                    self.bit(51),
                    self.bit(41),
                    self.bit(7),
                    self.bit(55),
                    self.ttbr0,
                )
            }
        } else {
            // TCR_EL2 (E2H = 0) and TCR_EL3: T0SZ, TG0, PS[18:16], TBI[20],
            // HPD[24], TBID[29].
            (
                Granule::from_tg0(tcr >> 14),
                (tcr & 0x3f) as u8,
                (tcr >> 16) & 7,
                self.bit(20),
                self.bit(29),
                self.bit(24),
                false,
                false,
                self.ttbr0,
            )
        };
        let (txsz, txsz_fault) = clamp_txsz(txsz, MIN_TXSZ, f.txsz_out_of_range_faults);
        S1Params {
            granule,
            txsz,
            txsz_fault,
            oa_bits: output_size_bits(oa_ps, f.pa_bits),
            tbi,
            tbid: tbid && f.tbid,
            hpd: hpd && f.hpds,
            epd,
            e0pd: e0pd && f.e0pd,
            upper,
            ttbr,
            wxn: self.sctlr & sctlr::WXN != 0,
            epan: f.pan3 && self.sctlr & sctlr::EPAN != 0,
            ee: self.sctlr & sctlr::EE != 0,
        }
    }

    /// The ASID of this regime for `va`, or `None` for regimes without ASIDs
    /// (`AArch64.TLBContextEL10/EL20`): TCR.A1 picks TTBR0/TTBR1, TCR.AS
    /// 16-bit (when implemented) or 8-bit.
    pub fn asid(&self) -> Option<u16> {
        if !self.regime.has_unprivileged() {
            return None;
        }
        let ttbr = if self.bit(22) { self.ttbr1 } else { self.ttbr0 };
        let asid = (ttbr >> 48) as u16;
        Some(if self.features.asid16 && self.bit(36) { asid } else { asid & 0xff })
    }
}

/// Stage 2 walk parameters for one IPA space (pseudocode `S2TTWParams`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct S2Params {
    pub granule: Granule,
    pub txsz: u8,
    pub txsz_fault: bool,
    pub sl0: u8,
    pub oa_bits: u8,
    pub ttbr: u64,
    /// PAS of the stage 2 tables.
    pub table_pas: Pas,
    pub fwb: bool,
    pub ptw: bool,
    pub ee: bool,
}

impl Stage2Regime {
    /// Is stage 2 enabled (`walkparams.vm = HCR_EL2.VM OR HCR_EL2.DC`)?
    pub fn enabled(&self) -> bool {
        self.hcr & (hcr::VM | hcr::DC) != 0
    }

    /// The VMID (`VTTBR_EL2.VMID`, 16 bits when VTCR_EL2.VS and implemented).
    pub fn vmid(&self) -> u16 {
        let vmid = (self.vttbr >> 48) as u16;
        if self.features.vmid16 && (self.vtcr >> 19) & 1 != 0 { vmid } else { vmid & 0xff }
    }

    /// Gather the walk parameters for an IPA in `ipa_space`.
    pub(crate) fn params(&self, ipa_space: Pas) -> S2Params {
        let f = &self.features;
        let secure_ipa = self.security == SecurityState::Secure && ipa_space == Pas::Secure;
        let (tcr, ttbr) = if secure_ipa { (self.vstcr, self.vsttbr) } else { (self.vtcr, self.vttbr) };
        let table_pas = match self.security {
            SecurityState::Realm => Pas::Realm,
            // AArch64.SS2InitialTTWState: VSTCR_EL2.SW for the Secure IPA
            // space, VTCR_EL2.NSW for the Non-secure IPA space.
            SecurityState::Secure => {
                let walk_ns = if secure_ipa { (self.vstcr >> 29) & 1 } else { (self.vtcr >> 29) & 1 };
                if walk_ns != 0 { Pas::NonSecure } else { Pas::Secure }
            }
            _ => Pas::NonSecure,
        };
        // AArch64.S2MinTxSZ: the IPA cannot be wider than PAMax.
        let min_txsz = 64 - f.pa_bits.min(48);
        let (txsz, txsz_fault) = clamp_txsz((tcr & 0x3f) as u8, min_txsz, f.txsz_out_of_range_faults);
        S2Params {
            granule: Granule::from_tg0(tcr >> 14),
            txsz,
            txsz_fault,
            sl0: ((tcr >> 6) & 3) as u8,
            // PS is always VTCR_EL2.PS (AArch64.SS2TTWParams).
            oa_bits: output_size_bits(self.vtcr >> 16, f.pa_bits),
            ttbr,
            table_pas,
            fwb: self.hcr & hcr::FWB != 0,
            ptw: self.hcr & hcr::TGE == 0 && self.hcr & hcr::PTW != 0,
            ee: self.ee,
        }
    }

    /// The output PAS of a Secure stage 2 translation
    /// (`AArch64.SS2OutputPASpace`).
    pub(crate) fn secure_output_pas(&self, ipa_space: Pas) -> Pas {
        let sw = (self.vstcr >> 29) & 1;
        let sa = (self.vstcr >> 30) & 1;
        let nsw = (self.vtcr >> 29) & 1;
        let nsa = (self.vtcr >> 30) & 1;
        let secure = if ipa_space == Pas::Secure { sw | sa == 0 } else { sw | sa | nsw | nsa == 0 };
        if secure { Pas::Secure } else { Pas::NonSecure }
    }
}

/// Apply the TxSZ limits (`AArch64.S1TxSZFaults` / `AArch64.S2TxSZFaults`
/// and the clamping in `AArch64.S1Translate` / `AArch64.S2Translate`).
fn clamp_txsz(txsz: u8, min: u8, faults: bool) -> (u8, bool) {
    if txsz < min {
        (min, faults)
    } else if txsz > MAX_TXSZ {
        (MAX_TXSZ, faults)
    } else {
        (txsz, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s1(regime: Regime, tcr: u64) -> Stage1Regime {
        Stage1Regime {
            regime,
            security: SecurityState::NonSecure,
            tcr,
            ttbr0: 0x1111_0000_0000_1000,
            ttbr1: 0x2222_0000_0000_2000,
            mair: 0,
            sctlr: sctlr::M,
            hcr: 0,
            sif: false,
            features: MmuFeatures::default(),
        }
    }

    #[test]
    fn regime_for_el() {
        assert_eq!(Regime::for_el(0, false, false), Regime::El10);
        assert_eq!(Regime::for_el(0, true, false), Regime::El10);
        assert_eq!(Regime::for_el(0, true, true), Regime::El20);
        assert_eq!(Regime::for_el(1, true, true), Regime::El10);
        assert_eq!(Regime::for_el(2, false, true), Regime::El2);
        assert_eq!(Regime::for_el(2, true, false), Regime::El20);
        assert_eq!(Regime::for_el(3, true, true), Regime::El3);
    }

    #[test]
    fn output_size_is_capped() {
        assert_eq!(output_size_bits(0, 48), 32);
        assert_eq!(output_size_bits(2, 48), 40);
        assert_eq!(output_size_bits(5, 48), 48);
        assert_eq!(output_size_bits(6, 48), 48);
        assert_eq!(output_size_bits(5, 40), 40);
    }

    #[test]
    fn el10_picks_the_range_fields() {
        // T0SZ=25, TG0=64K, T1SZ=16, TG1=16K, IPS=40 bits, TBI1, HPD0, EPD1.
        let tcr = 25 | (0b01 << 14) | (16 << 16) | (0b01 << 30) | (2 << 32) | (1 << 38) | (1 << 41) | (1 << 23);
        let r = s1(Regime::El10, tcr);
        let lo = r.params(0x0000_0000_1234_0000);
        assert_eq!(
            (lo.granule, lo.txsz, lo.oa_bits, lo.tbi, lo.hpd, lo.epd, lo.upper),
            (Granule::K64, 25, 40, false, true, false, false)
        );
        assert_eq!(lo.ttbr, r.ttbr0);
        let hi = r.params(0xffff_0000_1234_0000);
        assert_eq!(
            (hi.granule, hi.txsz, hi.tbi, hi.hpd, hi.epd, hi.upper),
            (Granule::K16, 16, true, false, true, true)
        );
        assert_eq!(hi.ttbr, r.ttbr1);
    }

    #[test]
    fn el2_and_el3_use_the_single_range_layout() {
        // T0SZ=32, TG0=4K, PS=36 bits (1 at [18:16]), TBI at 20, HPD at 24.
        let tcr = 32 | (1 << 16) | (1 << 20) | (1 << 24);
        for regime in [Regime::El2, Regime::El3] {
            let p = s1(regime, tcr).params(0xffff_0000_0000_0000);
            assert_eq!((p.granule, p.txsz, p.oa_bits, p.tbi, p.hpd, p.upper), (Granule::K4, 32, 36, true, true, false));
        }
    }

    #[test]
    fn txsz_out_of_range() {
        let mut r = s1(Regime::El3, 40);
        assert_eq!((r.params(0).txsz, r.params(0).txsz_fault), (39, true));
        r.features.txsz_out_of_range_faults = false;
        assert_eq!((r.params(0).txsz, r.params(0).txsz_fault), (39, false));
        r.tcr = 12;
        assert_eq!(r.params(0).txsz, 16);
    }

    #[test]
    fn asids() {
        let mut r = s1(Regime::El10, 0);
        assert_eq!(r.asid(), Some(0x11));
        r.tcr = 1 << 36; // AS: 16-bit
        assert_eq!(r.asid(), Some(0x1111));
        r.tcr |= 1 << 22; // A1: from TTBR1
        assert_eq!(r.asid(), Some(0x2222));
        r.features.asid16 = false;
        assert_eq!(r.asid(), Some(0x22));
        assert_eq!(s1(Regime::El2, 0).asid(), None);
    }

    #[test]
    fn secure_stage2_pas_selection() {
        let mut s2 = Stage2Regime {
            security: SecurityState::Secure,
            hcr: hcr::VM,
            vtcr: 0,
            vttbr: 0,
            vstcr: 0,
            vsttbr: 0,
            ee: false,
            features: MmuFeatures::default(),
        };
        assert_eq!(s2.params(Pas::Secure).table_pas, Pas::Secure);
        assert_eq!(s2.secure_output_pas(Pas::Secure), Pas::Secure);
        assert_eq!(s2.secure_output_pas(Pas::NonSecure), Pas::Secure);
        s2.vtcr = 1 << 30; // NSA
        assert_eq!(s2.secure_output_pas(Pas::Secure), Pas::Secure);
        assert_eq!(s2.secure_output_pas(Pas::NonSecure), Pas::NonSecure);
        s2.vtcr = 1 << 29; // NSW
        assert_eq!(s2.params(Pas::NonSecure).table_pas, Pas::NonSecure);
        assert_eq!(s2.params(Pas::Secure).table_pas, Pas::Secure);
        s2.vstcr = 1 << 30; // SA
        assert_eq!(s2.secure_output_pas(Pas::Secure), Pas::NonSecure);
    }
}
