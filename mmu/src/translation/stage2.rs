//! Stage 2 translation: IPA to PA for the EL1&0 regime (HCR_EL2.VM), in
//! Non-secure, Secure (FEAT_SEL2: VSTTBR/VSTCR for the Secure IPA space)
//! and Realm state (the stage 2 the RMM programs).
//!
//! Arm ARM D8.2 "Translation process" (stage 2 start level and
//! concatenated tables), D8.3, D8.4.4 stage 2 permissions, D8.6.5-6 stage 2
//! attributes; follows the pseudocode `AArch64.S2Translate`,
//! `AArch64.S2Walk`, `AArch64.S2StartLevel`, `AArch64.S2InvalidSL`,
//! `AArch64.S2InconsistentSL`, `AArch64.IPAIsOutOfRange`,
//! `AArch64.S2InitialTTWState`, `AArch64.SS2InitialTTWState`,
//! `AArch64.S2NextWalkStateLeaf`, `AArch64.SS2OutputPASpace` and
//! `AArch64.S2CheckPermissions`.
//!
//! Output PAS: Non-secure stage 2 outputs Non-secure; Realm stage 2
//! outputs Realm unless the leaf's NS bit (55) is set, which gives
//! Non-secure and makes the page non-executable; Secure stage 2 follows
//! VSTCR_EL2.{SW,SA} and VTCR_EL2.{NSW,NSA}. Stage 2 walks of the Realm are
//! in the Realm PAS; a stage 1 table walk of a Realm that stage 2 maps to
//! another PAS is a stage 2 Permission fault.

use super::access::{Access, AccessKind};
use super::attrs::{MemAttrs, S2Attrs};
use super::descriptor::{self as d, DescriptorType};
use super::fault::{FaultAccess, FaultKind, TranslationFault};
use super::granule::{FINAL_LEVEL, Granule};
use super::memory::{WalkError, WalkMemory};
use super::permissions::S2Permissions;
use super::regime::Stage2Regime;
use crate::pas::{Pas, SecurityState};

/// The result of a stage 2 translation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stage2Result {
    pub pa: u64,
    pub pas: Pas,
    /// The stage 2 MemAttr/SH fields; combine with stage 1 through
    /// [`S2Attrs::combine`].
    pub s2attrs: S2Attrs,
    /// Stage 2 attributes on their own (HCR_EL2.FWB = 0 decoding,
    /// effective shareability).
    pub attrs: MemAttrs,
    pub perms: S2Permissions,
    /// Level of the leaf; `None` when stage 2 is disabled.
    pub level: Option<i8>,
    /// log2 of the naturally aligned region the leaf maps.
    pub block_shift: u8,
    pub vmid: u16,
    pub contiguous: bool,
    /// The leaf descriptor as read (0 when stage 2 is disabled).
    pub descriptor: u64,
}

/// What stage 2 translates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Purpose {
    /// The access itself.
    Access,
    /// A descriptor read of the stage 1 walk (S1PTW).
    S1Walk,
}

/// Stage 2 translation of the output `ipa` (in `ipa_space`) of the stage 1
/// translation of `access`. With stage 2 disabled (HCR_EL2.{VM,DC} = 0)
/// the IPA is the PA.
pub fn walk_stage2<M: WalkMemory + ?Sized>(
    mem: &M,
    regime: &Stage2Regime,
    ipa: u64,
    ipa_space: Pas,
    access: &Access,
) -> Result<Stage2Result, TranslationFault> {
    translate_stage2(mem, regime, ipa, ipa_space, access, Purpose::Access)
}

/// Stage 2 translation of a stage 1 table walk access to `ipa` made for
/// `access`. Faults are reported with S1PTW set.
pub fn walk_stage2_for_s1_walk<M: WalkMemory + ?Sized>(
    mem: &M,
    regime: &Stage2Regime,
    ipa: u64,
    ipa_space: Pas,
    access: &Access,
) -> Result<Stage2Result, TranslationFault> {
    translate_stage2(mem, regime, ipa, ipa_space, access, Purpose::S1Walk)
}

/// `AArch64.S2StartLevel` from SL0 (no FEAT_LPA2 so SL2 = 0), or `None`
/// when `AArch64.S2InvalidSL` says the encoding is invalid (4KB: SL0 = 11
/// needs FEAT_TTST, SL0 = 10 needs PAMax >= 44; 16KB: 11 needs DS, 10 needs
/// PAMax >= 42; 64KB: 11 reserved, 10 needs PAMax >= 44).
fn s2_start_level(granule: Granule, sl0: u8, pa_bits: u8) -> Option<i8> {
    match (granule, sl0) {
        (Granule::K4, 0) => Some(2),
        (Granule::K4, 1) => Some(1),
        (Granule::K4, 2) if pa_bits >= 44 => Some(0),
        (Granule::K16 | Granule::K64, 0) => Some(3),
        (Granule::K16 | Granule::K64, 1) => Some(2),
        (Granule::K16, 2) if pa_bits >= 42 => Some(1),
        (Granule::K64, 2) if pa_bits >= 44 => Some(1),
        _ => None,
    }
}

/// `AArch64.S2InconsistentSL`: the input size must need at least one bit at
/// the start level and at most a full stride plus 4 bits (16 concatenated
/// tables).
fn s2_inconsistent_sl(granule: Granule, start: i8, iasize: u32) -> bool {
    let levels = (FINAL_LEVEL - start) as u32;
    let min = levels * granule.stride() + granule.bits() + 1;
    let max = min + (granule.stride() - 1) + 4;
    iasize < min || iasize > max
}

fn translate_stage2<M: WalkMemory + ?Sized>(
    mem: &M,
    regime: &Stage2Regime,
    ipa: u64,
    ipa_space: Pas,
    access: &Access,
    purpose: Purpose,
) -> Result<Stage2Result, TranslationFault> {
    let s1ptw = purpose == Purpose::S1Walk;
    let fa = access.fault_access();
    let fault = |kind, level| TranslationFault::stage2(kind, level, access.va, ipa, ipa_space, s1ptw, fa);
    if !regime.enabled() {
        return Ok(Stage2Result {
            pa: ipa,
            pas: ipa_space,
            s2attrs: S2Attrs { memattr: 0b1111, sh: 0b11 },
            attrs: MemAttrs::from_mair(0xff, 0b11).effective(),
            perms: S2Permissions::ALL,
            level: None,
            block_shift: 12,
            vmid: regime.vmid(),
            contiguous: false,
            descriptor: 0,
        });
    }
    let p = regime.params(ipa_space);
    if p.txsz_fault {
        return Err(fault(FaultKind::Translation, 0));
    }
    let granule = p.granule;
    let iasize = 64 - p.txsz as u32;
    let start = match s2_start_level(granule, p.sl0, regime.features.pa_bits) {
        Some(l) if !s2_inconsistent_sl(granule, l, iasize) => l,
        _ => return Err(fault(FaultKind::Translation, 0)),
    };
    if ipa >> iasize != 0 {
        return Err(fault(FaultKind::Translation, 0));
    }
    let oa_in_range = |addr: u64| addr >> p.oa_bits == 0;
    // AArch64.S2TTBaseAddress: BADDR = VTTBR[47:1], aligned to the size of
    // the (possibly concatenated) initial table.
    let tsize = granule.base_table_shift(iasize, start);
    let base = p.ttbr & 0x0000_ffff_ffff_fffe & !((1u64 << tsize) - 1);
    let mut desc_addr = base | granule.descriptor_offset(ipa, start, iasize - 1);
    if !oa_in_range(desc_addr) {
        return Err(fault(FaultKind::AddressSize, 0));
    }
    let mut level = start;
    let desc = loop {
        let raw = match mem.read_descriptor(desc_addr, p.table_pas) {
            Ok(v) => v,
            Err(e) => {
                let mut f = match e {
                    WalkError::ExternalAbort => fault(FaultKind::ExternalAbortOnWalk, level),
                    WalkError::GranuleProtection { code } => {
                        let mut f = fault(FaultKind::GranuleProtectionOnWalk, level);
                        f.gpc_code = Some(code);
                        f
                    }
                };
                f.walk_pa = Some((desc_addr, p.table_pas));
                return Err(f);
            }
        };
        let desc = if p.ee { raw.swap_bytes() } else { raw };
        match d::decode_type(desc, granule, level) {
            DescriptorType::Invalid => return Err(fault(FaultKind::Translation, level)),
            DescriptorType::Leaf => break desc,
            DescriptorType::Table => {
                // Stage 2 table descriptors carry no attributes.
                let next = d::next_table_base(desc, granule);
                desc_addr = next | granule.descriptor_offset(ipa, level + 1, granule.next_level_top(level + 1));
                if !oa_in_range(desc_addr) {
                    return Err(fault(FaultKind::AddressSize, level));
                }
                level += 1;
            }
        }
    };
    let block_shift = granule.block_shift(level);
    let pa = d::leaf_base(desc, granule, level) | (ipa & ((1u64 << block_shift) - 1));
    if !oa_in_range(pa) {
        return Err(fault(FaultKind::AddressSize, level));
    }
    if desc & d::AF == 0 {
        return Err(fault(FaultKind::AccessFlag, level));
    }

    // AArch64.S2NextWalkStateLeaf: output PAS.
    let pas = match regime.security {
        SecurityState::Secure => regime.secure_output_pas(ipa_space),
        SecurityState::Realm if desc & d::S2_NS != 0 => Pas::NonSecure,
        SecurityState::Realm => Pas::Realm,
        _ => Pas::NonSecure,
    };
    let realm_leaves_realm = regime.security == SecurityState::Realm && pas != Pas::Realm;
    let perms = S2Permissions::from_descriptor(desc, regime.features.xnx, realm_leaves_realm);
    let s2attrs = S2Attrs { memattr: ((desc >> 2) & 0xf) as u8, sh: ((desc >> 8) & 3) as u8 };
    let device = s2attrs.is_device(p.fwb);

    // AArch64.S2HasAlignmentFaultDueToMemType, then AArch64.S2CheckPermissions.
    match purpose {
        Purpose::S1Walk => {
            if (p.ptw && device) || realm_leaves_realm || !perms.r {
                return Err(fault(FaultKind::Permission, level));
            }
        }
        Purpose::Access => {
            if !access.aligned && !access.is_fetch() && device {
                return Err(fault(FaultKind::Alignment, level));
            }
            if let Err(denied) = perms.check(access.kind, access.unprivileged) {
                let mut f = fault(FaultKind::Permission, level);
                if denied.write {
                    f.access = FaultAccess::Write;
                }
                return Err(f);
            }
        }
    }

    // AArch64.S2TreatAsNormalNC: fetches from Device, and walks of Device
    // memory without HCR_EL2.PTW, see Normal Non-cacheable.
    let attrs = if device && (access.kind == AccessKind::Fetch || s1ptw) {
        MemAttrs::NORMAL_NC
    } else {
        s2attrs.decode().effective()
    };
    Ok(Stage2Result {
        pa,
        pas,
        s2attrs,
        attrs,
        perms,
        level: Some(level),
        block_shift: block_shift as u8,
        vmid: regime.vmid(),
        contiguous: desc & d::CONTIGUOUS != 0,
        descriptor: desc,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_levels_and_sl_validity() {
        assert_eq!(s2_start_level(Granule::K4, 0, 48), Some(2));
        assert_eq!(s2_start_level(Granule::K4, 1, 48), Some(1));
        assert_eq!(s2_start_level(Granule::K4, 2, 48), Some(0));
        assert_eq!(s2_start_level(Granule::K4, 2, 40), None);
        assert_eq!(s2_start_level(Granule::K4, 3, 48), None);
        assert_eq!(s2_start_level(Granule::K16, 3, 48), None);
        assert_eq!(s2_start_level(Granule::K16, 2, 48), Some(1));
        assert_eq!(s2_start_level(Granule::K64, 2, 48), Some(1));
        assert_eq!(s2_start_level(Granule::K64, 3, 48), None);
    }

    #[test]
    fn consistent_input_sizes() {
        // 4KB, start level 1: 31..=43 bits (up to 16 concatenated tables).
        assert!(s2_inconsistent_sl(Granule::K4, 1, 30));
        assert!(!s2_inconsistent_sl(Granule::K4, 1, 31));
        assert!(!s2_inconsistent_sl(Granule::K4, 1, 40));
        assert!(!s2_inconsistent_sl(Granule::K4, 1, 43));
        assert!(s2_inconsistent_sl(Granule::K4, 1, 44));
        // 4KB, start level 0: 40..=48 (and more would need > 48 bits).
        assert!(!s2_inconsistent_sl(Granule::K4, 0, 48));
        assert!(s2_inconsistent_sl(Granule::K4, 0, 39));
    }
}
