//! Stage 1 translation: VA to PA (or to IPA when stage 2 follows) in the
//! EL1&0, EL2&0, EL2 and EL3 regimes.
//!
//! Arm ARM D8.2 "Translation process", D8.3 descriptor formats, D8.4
//! access control, D8.6 attributes, D8.15 fault prioritisation; follows the
//! pseudocode `AArch64.S1Translate`, `AArch64.S1DisabledOutput`,
//! `AArch64.VAIsOutOfRange`, `AArch64.S1Walk`, `AArch64.S1InitialTTWState`,
//! `AArch64.S1NextWalkStateTable`, `AArch64.S1NextWalkStateLeaf` and
//! `AArch64.S1CheckPermissions`.
//!
//! Security (FEAT_RME, D8.3 and D9): a Secure walk moves to the Non-secure
//! PAS when a table descriptor has NSTable set (then the leaf's NS bit no
//! longer matters and the entry is non-global); a Secure leaf with NS set
//! outputs to Non-secure. At EL3 (Root) a leaf's {NSE (bit 11), NS (bit 5)}
//! select Secure (00), Non-secure (01), Root (10) or Realm (11); bit 63 of
//! table descriptors is RES0. Realm EL2 and EL2&0 leaves output to
//! Non-secure when NS is set, else Realm; Realm EL1&0 stage 1 has no NS bit
//! (its output IPA is in the Realm IPA space; stage 2 picks the PAS).
//! Non-secure translations always output Non-secure.
//!
//! Not modelled (so not to be advertised): FEAT_HAFDBS (AF is never set by
//! hardware: AF = 0 always faults), FEAT_LPA/LPA2, FEAT_TTST, FEAT_D128,
//! FEAT_S1PIE/S1POE, FEAT_NV's NV1 layout, FEAT_THE, FEAT_MTE tagging.

use super::access::{Access, AccessKind};
use super::attrs::{Cacheability, MemAttrs, MemType, Shareability};
use super::descriptor::{self as d, DescriptorType};
use super::fault::{FaultAccess, FaultKind, TranslationFault};
use super::granule::FINAL_LEVEL;
use super::memory::{DescReadError, WalkError, WalkMemory};
use super::permissions::{Permissions, S1PermContext, TablePerms, s1_permissions};
use super::regime::{Regime, Stage1Regime, hcr, sctlr};
use crate::pas::{Pas, SecurityState};

/// The result of a stage 1 translation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stage1Result {
    /// The output address: a PA, or an IPA when stage 2 follows.
    pub oa: u64,
    /// The output PAS, or the IPA space when stage 2 follows.
    pub pas: Pas,
    /// Memory attributes of this access (after SCTLR_ELx.C/I, with
    /// effective shareability). PAR_EL1.ATTR is `attrs.to_mair()`.
    pub attrs: MemAttrs,
    /// The shareability before `EffectiveShareability` (the descriptor's
    /// SH, or the stage 1-disabled default). This is what is combined with
    /// stage 2: the pseudocode's IMPLEMENTATION DEFINED choice "Apply
    /// effective shareability at stage 1" is FALSE here.
    pub desc_shareability: Shareability,
    /// Permissions for both privilege levels (before PSTATE.PAN).
    pub perms: Permissions,
    /// The translation is global (nG = 0, or a regime without ASIDs).
    pub global: bool,
    /// The ASID the translation is tagged with, when non-global.
    pub asid: Option<u16>,
    /// Level of the leaf descriptor; `None` when stage 1 is disabled.
    pub level: Option<i8>,
    /// log2 of the naturally aligned region the leaf maps (12..=30 for 4KB,
    /// ...). With stage 1 disabled: 12.
    pub block_shift: u8,
    /// GP (FEAT_BTI guarded page).
    pub guarded: bool,
    /// The Contiguous hint (bit 52).
    pub contiguous: bool,
    /// The leaf descriptor as read (0 when stage 1 is disabled).
    pub descriptor: u64,
}

/// Stage 1 translation of `access` in `regime`, reading descriptors at the
/// physical addresses the walk computes (no stage 2: EL2, EL2&0, EL3, and
/// EL1&0 with stage 2 disabled). For EL1&0 with stage 2 use
/// [`super::translate()`], which translates every table address through
/// stage 2.
pub fn walk_stage1<M: WalkMemory + ?Sized>(
    mem: &M,
    regime: &Stage1Regime,
    access: &Access,
) -> Result<Stage1Result, TranslationFault> {
    let mut read = |addr: u64, pas: Pas| {
        mem.read_descriptor(addr, pas).map_err(|error| DescReadError::Memory { error, pa: addr, pas })
    };
    translate_stage1(regime, access, &mut read)
}

/// `AArch64.S1Translate`, with descriptor reads done by `read(address,
/// space)`, where the address is an IPA in IPA space `space` when stage 2
/// follows.
pub(crate) fn translate_stage1<R>(
    regime: &Stage1Regime,
    access: &Access,
    read: &mut R,
) -> Result<Stage1Result, TranslationFault>
where
    R: FnMut(u64, Pas) -> Result<u64, DescReadError>,
{
    let va = access.va;
    let fa = access.fault_access();
    let fault = |kind, level| TranslationFault::stage1(kind, level, va, fa);
    let p = regime.params(va);
    let fetch = access.is_fetch();
    // AArch64.AddrTop.
    let addrtop: u32 = if p.tbid && fetch {
        63
    } else if p.tbi {
        55
    } else {
        63
    };

    if !regime.enabled() {
        return disabled_output(regime, access, addrtop);
    }

    if p.txsz_fault {
        return Err(fault(FaultKind::Translation, 0));
    }
    let iasize = 64 - p.txsz as u32;
    // AArch64.VAIsOutOfRange: bits [addrtop:iasize] are all 0 (lower
    // range) or all 1 (upper range).
    let top_bits = (va >> iasize) & ((1u64 << (addrtop + 1 - iasize)) - 1);
    let expected = if p.upper { (1u64 << (addrtop + 1 - iasize)) - 1 } else { 0 };
    if top_bits != expected {
        return Err(fault(FaultKind::Translation, 0));
    }
    if access.unprivileged && p.e0pd {
        return Err(fault(FaultKind::Translation, 0));
    }
    // AArch64.S1Walk.
    if regime.regime.has_unprivileged() && p.epd {
        return Err(fault(FaultKind::Translation, 0));
    }
    let granule = p.granule;
    let oa_in_range = |addr: u64| addr >> p.oa_bits == 0;
    let start = granule.s1_start_level(iasize);
    let tsize = granule.base_table_shift(iasize, start);
    // AArch64.S1TTBaseAddress: BADDR = TTBR[47:1], aligned to the table size.
    let base = p.ttbr & 0x0000_ffff_ffff_fffe & !((1u64 << tsize) - 1);
    let mut desc_addr = base | granule.descriptor_offset(va, start, iasize - 1);
    if !oa_in_range(desc_addr) {
        return Err(fault(FaultKind::AddressSize, 0));
    }
    let mut walk_pas = regime.security.default_pas();
    let mut table = TablePerms::default();
    let mut level = start;
    let desc = loop {
        let raw = match read(desc_addr, walk_pas) {
            Ok(v) => v,
            Err(DescReadError::Stage2(f)) => return Err(f),
            Err(DescReadError::Memory { error, pa, pas }) => return Err(walk_error(fault, error, level, pa, pas)),
        };
        let desc = if p.ee { raw.swap_bytes() } else { raw };
        match d::decode_type(desc, granule, level) {
            DescriptorType::Invalid => return Err(fault(FaultKind::Translation, level)),
            DescriptorType::Leaf => break desc,
            DescriptorType::Table => {
                // AArch64.S1NextWalkStateTable.
                if walk_pas == Pas::Secure && desc & d::NS_TABLE != 0 {
                    walk_pas = Pas::NonSecure;
                }
                if !p.hpd {
                    table.apply(desc, regime.regime);
                }
                let next = d::next_table_base(desc, granule);
                desc_addr = next | granule.descriptor_offset(va, level + 1, granule.next_level_top(level + 1));
                if !oa_in_range(desc_addr) {
                    return Err(fault(FaultKind::AddressSize, level));
                }
                level += 1;
            }
        }
    };
    debug_assert!(level <= FINAL_LEVEL);

    // Leaf checks (end of AArch64.S1Walk): output size, then AF.
    let block_shift = granule.block_shift(level);
    let oa = d::leaf_base(desc, granule, level) | (va & ((1u64 << block_shift) - 1));
    if !oa_in_range(oa) {
        return Err(fault(FaultKind::AddressSize, level));
    }
    if desc & d::AF == 0 {
        return Err(fault(FaultKind::AccessFlag, level));
    }

    let out_pas = leaf_pas(regime, walk_pas, desc);
    let attr_index = (desc >> 2) & 7;
    let mair_attr = (regime.mair >> (8 * attr_index)) as u8;
    let desc_attrs = MemAttrs::from_mair(mair_attr, ((desc >> 8) & 3) as u8);
    if !access.aligned && !fetch && desc_attrs.is_device() {
        return Err(fault(FaultKind::Alignment, level));
    }

    let perms = s1_permissions(
        desc,
        table,
        &S1PermContext {
            regime: regime.regime,
            security: regime.security,
            out_pas,
            wxn: p.wxn,
            epan: p.epan,
            sif: regime.sif,
        },
    );
    let pan = access.pan && regime.regime.has_unprivileged();
    if let Err(denied) = perms.check(access.kind, access.unprivileged, pan) {
        let fa = if denied.write { FaultAccess::Write } else { fa };
        return Err(TranslationFault::stage1(FaultKind::Permission, level, va, fa));
    }

    // AArch64.S1TreatAsNormalNC.
    let attrs = if (fetch && (desc_attrs.is_device() || regime.sctlr & sctlr::I == 0))
        || (!fetch && regime.sctlr & sctlr::C == 0 && !desc_attrs.is_device())
    {
        MemAttrs::NORMAL_NC
    } else {
        desc_attrs.effective()
    };

    // nG (AArch64.S1NextWalkStateLeaf): only regimes with EL0 have ASIDs;
    // in Secure state an NSTable anywhere on the walk makes it non-global.
    let non_global = regime.regime.has_unprivileged()
        && ((regime.security == SecurityState::Secure && walk_pas == Pas::NonSecure) || desc & d::NG != 0);
    Ok(Stage1Result {
        oa,
        pas: out_pas,
        attrs,
        desc_shareability: desc_attrs.shareability,
        perms,
        global: !non_global,
        asid: if non_global { regime.asid() } else { None },
        level: Some(level),
        block_shift: block_shift as u8,
        guarded: desc & d::GP != 0,
        contiguous: desc & d::CONTIGUOUS != 0,
        descriptor: desc,
    })
}

/// The output PAS of a leaf (`AArch64.S1NextWalkStateLeaf`).
fn leaf_pas(regime: &Stage1Regime, walk_pas: Pas, desc: u64) -> Pas {
    let ns = desc & d::NS != 0;
    match walk_pas {
        Pas::Secure => {
            if ns {
                Pas::NonSecure
            } else {
                Pas::Secure
            }
        }
        Pas::Root => match (desc & d::NSE != 0, ns) {
            (false, false) if regime.features.secure_state => Pas::Secure,
            (false, _) => Pas::NonSecure,
            (true, false) => Pas::Root,
            (true, true) => Pas::Realm,
        },
        Pas::Realm if matches!(regime.regime, Regime::El2 | Regime::El20) => {
            if ns {
                Pas::NonSecure
            } else {
                Pas::Realm
            }
        }
        Pas::Realm => Pas::Realm,
        Pas::NonSecure => Pas::NonSecure,
    }
}

/// A descriptor read failed in memory: External abort or GPF on the walk.
fn walk_error(
    fault: impl Fn(FaultKind, i8) -> TranslationFault,
    error: WalkError,
    level: i8,
    pa: u64,
    pas: Pas,
) -> TranslationFault {
    let mut f = match error {
        WalkError::ExternalAbort => fault(FaultKind::ExternalAbortOnWalk, level),
        WalkError::GranuleProtection { code } => {
            let mut f = fault(FaultKind::GranuleProtectionOnWalk, level);
            f.gpc_code = Some(code);
            f
        }
    };
    f.walk_pa = Some((pa, pas));
    f
}

/// `AArch64.S1DisabledOutput`: flat mapping, default attributes, no
/// permission checks; a VA beyond PAMax is a level 0 Address size fault.
fn disabled_output(regime: &Stage1Regime, access: &Access, addrtop: u32) -> Result<Stage1Result, TranslationFault> {
    let va = access.va;
    let pa_bits = regime.features.pa_bits as u32;
    let fault = |kind| TranslationFault::stage1(kind, 0, va, access.fault_access());
    if (va & (u64::MAX >> (63 - addrtop))) >> pa_bits != 0 {
        return Err(fault(FaultKind::AddressSize));
    }
    let attrs = if regime.regime == Regime::El10 && regime.hcr & hcr::DC != 0 {
        MemAttrs {
            mem: MemType::Normal { inner: Cacheability::WB_RWA, outer: Cacheability::WB_RWA },
            shareability: Shareability::NonShareable,
        }
    } else if access.kind == AccessKind::Fetch {
        let c = if regime.sctlr & sctlr::I != 0 { Cacheability::WT_RA } else { Cacheability::NC };
        MemAttrs { mem: MemType::Normal { inner: c, outer: c }, shareability: Shareability::Outer }
    } else {
        MemAttrs::DEVICE_NGNRNE
    };
    if !access.aligned && !access.is_fetch() && attrs.is_device() {
        return Err(fault(FaultKind::Alignment));
    }
    Ok(Stage1Result {
        oa: va & ((1u64 << pa_bits) - 1),
        pas: regime.security.default_pas(),
        attrs,
        desc_shareability: attrs.shareability,
        perms: Permissions::ALL,
        global: true,
        asid: None,
        level: None,
        block_shift: 12,
        guarded: false,
        contiguous: false,
        descriptor: 0,
    })
}
