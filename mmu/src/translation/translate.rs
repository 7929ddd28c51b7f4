//! The full translation of one access: stage 1, with every stage 1 table
//! address and the stage 1 output translated by stage 2 when stage 2
//! applies (pseudocode `AArch64.FullTranslate`, and `AArch64.S1Walk`'s
//! `AArch64.S2Translate` of each walk address).
//!
//! Fault priority follows D8.15: a stage 2 fault on a stage 1 walk (S1PTW)
//! or an abort on a walk is taken where the walk meets it; then stage 1
//! Translation/Address size/Access flag, Alignment (Device), stage 1
//! Permission; then the stage 2 faults of the output address. The Granule
//! Protection Check of the final PA is not part of translation: the caller
//! runs it on [`Translation::pa`] in [`Translation::pas`] (the
//! [`WalkMemory`] implementation runs it on every descriptor read).

use super::access::Access;
use super::attrs::MemAttrs;
use super::fault::TranslationFault;
use super::memory::{DescReadError, WalkMemory};
use super::permissions::Permissions;
use super::regime::{Regime, Stage1Regime, Stage2Regime};
use super::stage1::{Stage1Result, translate_stage1};
use super::stage2::{Stage2Result, walk_stage2, walk_stage2_for_s1_walk};
use crate::pas::Pas;

/// A complete translation, as a TLB would cache it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Translation {
    pub va: u64,
    pub pa: u64,
    pub pas: Pas,
    /// The attributes of the access (stage 1 combined with stage 2).
    pub attrs: MemAttrs,
    /// Permissions of both stages combined, for both privilege levels,
    /// before PSTATE.PAN ([`Permissions::allowed`] applies it). A TLB that
    /// finds an access not allowed re-runs [`translate`] to get the exact
    /// fault (which stage, which level).
    pub perms: Permissions,
    /// log2 of the naturally aligned VA region this translation covers
    /// (the smaller of the two stages' block sizes).
    pub page_shift: u8,
    pub global: bool,
    pub asid: Option<u16>,
    /// The VMID when a stage 2 regime was given.
    pub vmid: Option<u16>,
    /// The page is a BTI guarded page (stage 1 GP).
    pub guarded: bool,
    pub stage1: Stage1Result,
    /// `None` when no stage 2 regime was given.
    pub stage2: Option<Stage2Result>,
}

/// Stage 1 of `access`, with every stage 1 table address translated by
/// `s2` when it is given and enabled (`AArch64.S1Walk`).
fn stage1_walk<M: WalkMemory + ?Sized>(
    mem: &M,
    s1: &Stage1Regime,
    s2: Option<&Stage2Regime>,
    access: &Access,
) -> Result<Stage1Result, TranslationFault> {
    match s2.filter(|r| r.enabled()) {
        None => {
            let mut read = |addr: u64, pas: Pas| {
                mem.read_descriptor(addr, pas).map_err(|error| DescReadError::Memory { error, pa: addr, pas })
            };
            translate_stage1(s1, access, &mut read)
        }
        Some(r) => {
            let mut read = |ipa: u64, space: Pas| {
                let t = walk_stage2_for_s1_walk(mem, r, ipa, space, access).map_err(DescReadError::Stage2)?;
                mem.read_descriptor(t.pa, t.pas).map_err(|error| DescReadError::Memory { error, pa: t.pa, pas: t.pas })
            };
            translate_stage1(s1, access, &mut read)
        }
    }
}

/// Stage 1 only, as AT S1E0*/S1E1* do it (Arm ARM C5.5: their result is
/// the stage 1 output address, an IPA when stage 2 is enabled), with the
/// stage 1 table walk still translated by `s2` (a stage 2 fault on it is
/// reported with S1PTW). [`Translation::stage2`] is `None`.
pub fn translate_stage1_only<M: WalkMemory + ?Sized>(
    mem: &M,
    s1: &Stage1Regime,
    s2: Option<&Stage2Regime>,
    access: &Access,
) -> Result<Translation, TranslationFault> {
    let s2 = s2.filter(|_| s1.regime == Regime::El10);
    Ok(stage1_only(access, stage1_walk(mem, s1, s2, access)?))
}

/// The translation that is stage 1's result alone (no stage 2 applies, or
/// AT S1E*).
fn stage1_only(access: &Access, stage1: Stage1Result) -> Translation {
    Translation {
        va: access.va,
        pa: stage1.oa,
        pas: stage1.pas,
        attrs: stage1.attrs,
        perms: stage1.perms,
        page_shift: stage1.block_shift,
        global: stage1.global,
        asid: stage1.asid,
        vmid: None,
        guarded: stage1.guarded,
        stage1,
        stage2: None,
    }
}

/// Translate `access`. `s2` is the stage 2 regime when EL2 is enabled in
/// the current security state and `s1` is the EL1&0 regime; it is ignored
/// for other regimes. A disabled stage 2 (HCR_EL2.{VM,DC} = {0,0}) passes
/// addresses through.
pub fn translate<M: WalkMemory + ?Sized>(
    mem: &M,
    s1: &Stage1Regime,
    s2: Option<&Stage2Regime>,
    access: &Access,
) -> Result<Translation, TranslationFault> {
    let s2 = s2.filter(|_| s1.regime == Regime::El10);
    let stage1 = stage1_walk(mem, s1, s2, access)?;
    let Some(r) = s2 else {
        return Ok(stage1_only(access, stage1));
    };
    let stage2 = walk_stage2(mem, r, stage1.oa, stage1.pas, access)?;
    let (attrs, perms) = if stage2.level.is_some() {
        let fwb = r.hcr & super::regime::hcr::FWB != 0;
        let s1_attrs = MemAttrs { shareability: stage1.desc_shareability, ..stage1.attrs };
        (stage2.s2attrs.combine(s1_attrs, fwb), Permissions::combine(stage1.perms, &stage2.perms))
    } else {
        (stage1.attrs, stage1.perms)
    };
    Ok(Translation {
        va: access.va,
        pa: stage2.pa,
        pas: stage2.pas,
        attrs,
        perms,
        page_shift: stage1.block_shift.min(stage2.block_shift),
        global: stage1.global,
        asid: stage1.asid,
        vmid: Some(stage2.vmid),
        guarded: stage1.guarded,
        stage1,
        stage2: Some(stage2),
    })
}
