//! The Granule Protection Check of one physical access.
//!
//! Arm ARM (DDI0487) chapter D9 (the GPC process and GPC faults), pseudocode
//! `AArch64.GranuleProtectionCheck` (called `GranuleProtectionCheck` in
//! recent releases). The order, which is also the priority of the faults
//! (rule R_GMGRR):
//!
//! 0. `GPCCR_EL3.GPC == 0`: the check is off, every access passes.
//! 1. `GPCRegistersConsistent()` fails: GPT walk fault, level 0 (R_JWCSM).
//! 2. FEAT_RME_GPC2: `SPAD`/`NSPAD`/`RLPAD` disable the access's PAS: GPF,
//!    level 0 (Root is never disabled).
//! 3. PA above PPS (`AbovePPS`): a Non-secure access passes (R_CPDSB), as
//!    does any access with GPC2's `APPSAA` (R_PBPSH); others are a GPF at
//!    level 0.
//! 4. GPTBR_EL3 above PPS: GPT address size fault, level 0.
//! 5. `GPTWalk`: walk, address size and external abort faults.
//! 6. `GPICheck(paspace, gpi)` fails: GPF at the level of the descriptor.
//!
//! Instruction fetches, data accesses and translation table walks are all
//! checked, each with the PAS of its own output address; the result does
//! not depend on the kind of access, only on PA, PAS and (for the GPC2 NSO
//! GPI) the security state of the requester.

use super::fault::{GpcFault, GpcFaultKind};
use super::gpi_cache::GpiCache;
use super::regs::{Gpccr, Gptbr};
use super::walk::{GptMemory, gpt_walk};
use crate::pas::{Pas, SecurityState};

/// What a checked access does (reported in ESR as InD/WnR by the caller).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccessKind {
    Read,
    Write,
    Fetch,
}

/// The requester side of a checked access (the parts of the pseudocode's
/// `AccessDescriptor` the GPC looks at).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GpcAccess {
    pub kind: AccessKind,
    /// Security state of the PE making the access (`accdesc.ss`).
    pub state: SecurityState,
}

impl GpcAccess {
    pub const fn read(state: SecurityState) -> GpcAccess {
        GpcAccess { kind: AccessKind::Read, state }
    }

    pub const fn write(state: SecurityState) -> GpcAccess {
        GpcAccess { kind: AccessKind::Write, state }
    }

    pub const fn fetch(state: SecurityState) -> GpcAccess {
        GpcAccess { kind: AccessKind::Fetch, state }
    }
}

/// Checks an access to physical address `pa` in physical address space
/// `pas` against GPCCR_EL3/GPTBR_EL3 and the GPT in `mem`, on a PE whose
/// physical address size is `pa_bits` (`AArch64.PAMax()`).
///
/// Pure: reads only GPT entries through `mem`.
#[inline]
pub fn gpc_check<M: GptMemory + ?Sized>(
    mem: &M,
    gpccr: &Gpccr,
    gptbr: Gptbr,
    pa_bits: u32,
    pa: u64,
    pas: Pas,
    access: GpcAccess,
) -> Result<(), GpcFault> {
    traced(check(None, mem, gpccr, gptbr, pa_bits, pa, pas, access), pa, pas, access)
}

/// Logs a fault (target `gpc`, trace) and passes the result on.
#[inline(always)]
fn traced(result: Result<(), GpcFault>, pa: u64, pas: Pas, access: GpcAccess) -> Result<(), GpcFault> {
    if let Err(fault) = result {
        tracing::trace!(target: "gpc", pa = format_args!("{pa:#x}"), %pas, ?access, %fault, "GPC fault");
    }
    result
}

/// [`gpc_check`] with the GPT lookup (step 5) served from, and recorded
/// in, `cache` (the register checks of steps 0-4 and the GPI check run
/// every time). The caller invalidates `cache` whenever GPCCR_EL3 or
/// GPTBR_EL3 change and on TLBI PA*.
#[inline]
#[allow(clippy::too_many_arguments)]
pub fn gpc_check_cached<M: GptMemory + ?Sized>(
    cache: &GpiCache,
    mem: &M,
    gpccr: &Gpccr,
    gptbr: Gptbr,
    pa_bits: u32,
    pa: u64,
    pas: Pas,
    access: GpcAccess,
) -> Result<(), GpcFault> {
    traced(check(Some(cache), mem, gpccr, gptbr, pa_bits, pa, pas, access), pa, pas, access)
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn check<M: GptMemory + ?Sized>(
    cache: Option<&GpiCache>,
    mem: &M,
    gpccr: &Gpccr,
    gptbr: Gptbr,
    pa_bits: u32,
    pa: u64,
    pas: Pas,
    access: GpcAccess,
) -> Result<(), GpcFault> {
    if !gpccr.gpc {
        return Ok(());
    }
    if !gpccr.registers_consistent(pa_bits) {
        return Err(GpcFault::new(GpcFaultKind::Walk, 0));
    }
    if gpccr.features.gpc2 {
        let disabled = match pas {
            Pas::Secure => gpccr.spad,
            Pas::NonSecure => gpccr.nspad,
            Pas::Realm => gpccr.rlpad,
            Pas::Root => false,
        };
        if disabled {
            return Err(GpcFault::new(GpcFaultKind::Fail, 0));
        }
    }
    let Some(pps) = gpccr.pps_bits() else {
        // Unreachable: registers_consistent() rejected PPS 0b111.
        return Err(GpcFault::new(GpcFaultKind::Walk, 0));
    };
    if pa >> pps != 0 {
        return if pas == Pas::NonSecure || gpccr.appsaa { Ok(()) } else { Err(GpcFault::new(GpcFaultKind::Fail, 0)) };
    }
    if gptbr.base() >> pps != 0 {
        return Err(GpcFault::new(GpcFaultKind::AddressSize, 0));
    }
    let pgs_bits = gpccr.pgs().map_or(12, |p| p.bits());
    let entry = match cache.and_then(|c| c.lookup(pa, pgs_bits)) {
        Some(e) => e,
        None => {
            let e = gpt_walk(mem, gpccr, gptbr, pa)?;
            if let Some(c) = cache {
                c.fill(pa, pgs_bits, &e);
            }
            e
        }
    };
    if entry.gpi.permits(pas, access.state) { Ok(()) } else { Err(GpcFault::new(GpcFaultKind::Fail, entry.level)) }
}
