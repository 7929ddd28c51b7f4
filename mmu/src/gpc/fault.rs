//! What a failed Granule Protection Check reports.
//!
//! Arm ARM (DDI0487) chapter D9 (GPC faults) and the pseudocode `GPCFRecord`,
//! `GPCF` (`GPCF_AddressSize`, `GPCF_Walk`, `GPCF_EABT`, `GPCF_Fail`),
//! `GPCFault`; the encoding is the ISS of an exception from a Granule
//! Protection Check (ESR_EL3, EC 0x1E), field GPCSC, bits \[19:14\]:
//!
//! | GPCSC      | fault                                           |
//! |------------|-------------------------------------------------|
//! | `0b000000` | GPT address size fault, level 0                 |
//! | `0b00010L` | GPT walk fault, level L                         |
//! | `0b00110L` | Granule protection fault (GPF), level L         |
//! | `0b01010L` | Synchronous External abort on a GPT fetch, level L |
//!
//! The three GPT faults are always taken to EL3 as a GPC exception. A GPF
//! is taken there only from below EL3 with `SCR_EL3.GPF == 1`; otherwise
//! it is reported as an Instruction/Data Abort with FSC [`FSC_GPF`] (on the
//! output address) or [`fsc_gpf_on_walk`] (on a translation table walk).
//! MFAR_EL3 holds the faulting PA and its PAS ([`mfar_el3`]).

use crate::pas::Pas;
use std::fmt;

/// The kind of GPC fault (pseudocode `GPCF`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GpcFaultKind {
    /// `GPCF_Fail`: a Granule Protection Fault. The GPT (or GPCCR_EL3 for
    /// PA-above-PPS and the GPC2 PAS disables) forbids the access.
    Fail,
    /// `GPCF_Walk`: GPT walk fault. Invalid GPCCR_EL3 configuration,
    /// invalid/reserved descriptor or GPI, RES0 bits set in an entry.
    Walk,
    /// `GPCF_AddressSize`: GPT address size fault. GPTBR_EL3 or a level 0
    /// table descriptor points above the protected physical address size.
    AddressSize,
    /// `GPCF_EABT`: a Synchronous External abort on a GPT fetch.
    ExternalAbort,
}

/// A GPC fault: kind and GPT level, exactly what the GPCSC field encodes.
/// The caller already holds the PA, its PAS and the kind of access (for
/// MFAR_EL3 and ESR's InD/WnR/S1PTW).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GpcFault {
    pub kind: GpcFaultKind,
    /// GPT level: 0 or 1 (always 0 for \[`GpcFaultKind::AddressSize`\]).
    pub level: u8,
}

/// FSC of a GPF on the output address reported as an Instruction or Data
/// Abort ("Granule Protection Fault, not on translation table walk").
pub const FSC_GPF: u8 = 0b101000;

/// FSC of a GPF on a translation table walk reported as an Instruction or
/// Data Abort: `0b1001LL` for translation lookup level 0..3 (level -1 is
/// `0b100011`).
pub const fn fsc_gpf_on_walk(ttw_level: i8) -> u8 {
    if ttw_level < 0 { 0b100011 } else { 0b100100 | (ttw_level as u8 & 3) }
}

/// EC of an exception from a Granule Protection Check (taken to EL3).
pub const EC_GPC: u8 = 0x1E;

impl GpcFault {
    pub const fn new(kind: GpcFaultKind, level: u8) -> GpcFault {
        GpcFault { kind, level }
    }

    /// ESR_EL3.ISS.GPCSC (ISS bits \[19:14\]) for this fault.
    pub const fn gpcsc(self) -> u8 {
        let class = match self.kind {
            GpcFaultKind::AddressSize => 0b000000,
            GpcFaultKind::Walk => 0b000100,
            GpcFaultKind::Fail => 0b001100,
            GpcFaultKind::ExternalAbort => 0b010100,
        };
        class | (self.level & 1)
    }

    /// A Granule Protection Fault (may be reported to the usual EL as an
    /// abort, see the module doc).
    pub const fn is_gpf(self) -> bool {
        matches!(self.kind, GpcFaultKind::Fail)
    }

    /// A GPT fault (walk, address size, external abort): always a GPC
    /// exception at EL3.
    pub const fn is_gpt_fault(self) -> bool {
        !self.is_gpf()
    }
}

impl fmt::Display for GpcFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            GpcFaultKind::Fail => "granule protection fault",
            GpcFaultKind::Walk => "GPT walk fault",
            GpcFaultKind::AddressSize => "GPT address size fault",
            GpcFaultKind::ExternalAbort => "external abort on GPT fetch",
        };
        write!(f, "{what} at level {} (GPCSC {:#08b})", self.level, self.gpcsc())
    }
}

impl std::error::Error for GpcFault {}

/// The MFAR_EL3 value for a GPC fault on `pa` in `pas`: `NS` bit 63, `NSE`
/// bit 62, `FPA` bits \[51:12\] = PA\[51:12\].
pub fn mfar_el3(pa: u64, pas: Pas) -> u64 {
    let (nse, ns) = pas.nse_ns();
    (pa & 0x000f_ffff_ffff_f000) | ((nse as u64) << 62) | ((ns as u64) << 63)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpcsc_encodings() {
        use GpcFaultKind::*;
        assert_eq!(GpcFault::new(AddressSize, 0).gpcsc(), 0b000000);
        assert_eq!(GpcFault::new(Walk, 0).gpcsc(), 0b000100);
        assert_eq!(GpcFault::new(Walk, 1).gpcsc(), 0b000101);
        assert_eq!(GpcFault::new(Fail, 0).gpcsc(), 0b001100);
        assert_eq!(GpcFault::new(Fail, 1).gpcsc(), 0b001101);
        assert_eq!(GpcFault::new(ExternalAbort, 0).gpcsc(), 0b010100);
        assert_eq!(GpcFault::new(ExternalAbort, 1).gpcsc(), 0b010101);
        assert!(GpcFault::new(Fail, 1).is_gpf());
        assert!(GpcFault::new(Walk, 0).is_gpt_fault());
    }

    #[test]
    fn abort_fscs() {
        assert_eq!(FSC_GPF, 0x28);
        assert_eq!(fsc_gpf_on_walk(0), 0x24);
        assert_eq!(fsc_gpf_on_walk(3), 0x27);
        assert_eq!(fsc_gpf_on_walk(-1), 0x23);
    }

    #[test]
    fn mfar_layout() {
        assert_eq!(mfar_el3(0xfdc0_1234, Pas::Realm), 0xc000_0000_fdc0_1000);
        assert_eq!(mfar_el3(0xfdc0_1234, Pas::Root), 0x4000_0000_fdc0_1000);
        assert_eq!(mfar_el3(0xfdc0_1234, Pas::NonSecure), 0x8000_0000_fdc0_1000);
        assert_eq!(mfar_el3(0xfdc0_1234, Pas::Secure), 0x0000_0000_fdc0_1000);
    }
}
