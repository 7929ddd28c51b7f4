//! How the CPU reaches memory: every data access, instruction fetch and
//! translation table walk goes through the MMU of `rme_mmu::translation`
//! (stage 1, stage 2) and the Granule Protection Check of `rme_mmu::gpc`,
//! with the results cached in the per-CPU [`crate::tlb::Tlb`]; then through
//! the physical bus with the access's PAS. Faults become the exceptions the
//! Arm ARM specifies (D8.15 "Memory aborts", D9 "The Granule Protection
//! Check Mechanism"). Also here: the exclusive monitor and DC ZVA.
//!
//! With a stage disabled, `rme_mmu::translation` applies the architecture's
//! rules (D8.2.10): PA = VA, data Device-nGnRnE (so unaligned data accesses
//! fault) unless HCR_EL2.DC, fetches Normal, address size faults beyond PAMax.

use crate::cpu::*;
use crate::exception::{Abort, AbortRoute, Exception, GpcException, fsc};
use crate::sysreg::table::SysReg;
use rme_mmu::gpc::{self, GpcAccess, GpcFault, GpcFaultKind, GpcFeatures, Gpccr, Gptbr};
use rme_mmu::translation::{
    self, Access, AccessKind, FaultKind, MmuFeatures, Regime, Stage1Regime, Stage2Regime,
    Translation, TranslationFault, WalkError, WalkMemory,
};
use rme_mmu::{AccessAttrs, Pas, PhysBus, SecurityState};

/// Rules an instruction adds to a data access.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccessFlags {
    /// Must be naturally aligned whatever the memory type (exclusives,
    /// load-acquire/store-release, atomics, without FEAT_LSE2).
    pub aligned: bool,
    /// Unprivileged access (LDTR/STTR).
    pub unpriv: bool,
    /// A cache-maintenance access (reported as ESR.CM).
    pub cm: bool,
}

impl AccessFlags {
    pub const NORMAL: AccessFlags = AccessFlags {
        aligned: false,
        unpriv: false,
        cm: false,
    };
    pub const ALIGNED: AccessFlags = AccessFlags {
        aligned: true,
        unpriv: false,
        cm: false,
    };
}

/// The local exclusive monitor. Emulated the way single-host-thread
/// emulators do: a store-exclusive succeeds when the reservation matches and
/// memory still holds the value the load-exclusive read, so a store by any
/// other PE (or agent) in between makes it fail.
#[derive(Clone, Copy, Debug, Default)]
pub struct ExclusiveMonitor {
    reservation: Option<Reservation>,
}

#[derive(Clone, Copy, Debug)]
struct Reservation {
    va: u64,
    /// Where the load-exclusive read, for [`Cpu::exclusive_lost`].
    pa: u64,
    pas: Pas,
    /// Bytes reserved (both elements of a pair).
    size: u8,
    /// Bytes per element; `values[1]` is used for a pair only.
    elem: u8,
    values: [u64; 2],
}

impl ExclusiveMonitor {
    pub fn clear(&mut self) {
        self.reservation = None;
    }
}

/// Descriptor reads of a translation table walk: the GPC check of the
/// descriptor's PA in its PAS, then the read from the bus.
struct BusWalker<'a> {
    bus: &'a PhysBus,
    gpis: &'a gpc::GpiCache,
    gpccr: Gpccr,
    gptbr: Gptbr,
    pa_bits: u32,
    state: SecurityState,
    cpu: u32,
    /// The PC of the access that walks (for the unmodelled-address log).
    pc: u64,
}

/// `WalkError::GranuleProtection.code` as this crate encodes a [`GpcFault`].
fn encode_gpc(f: GpcFault) -> u32 {
    let kind = match f.kind {
        GpcFaultKind::Fail => 0,
        GpcFaultKind::Walk => 1,
        GpcFaultKind::AddressSize => 2,
        GpcFaultKind::ExternalAbort => 3,
    };
    kind << 8 | f.level as u32
}

fn decode_gpc(code: u32) -> GpcFault {
    let kind = match code >> 8 {
        0 => GpcFaultKind::Fail,
        1 => GpcFaultKind::Walk,
        2 => GpcFaultKind::AddressSize,
        _ => GpcFaultKind::ExternalAbort,
    };
    GpcFault::new(kind, code as u8)
}

impl WalkMemory for BusWalker<'_> {
    fn read_descriptor(&self, pa: u64, pas: Pas) -> Result<u64, WalkError> {
        gpc::gpc_check_cached(
            self.gpis,
            self.bus,
            &self.gpccr,
            self.gptbr,
            self.pa_bits,
            pa,
            pas,
            GpcAccess::read(self.state),
        )
        .map_err(|f| WalkError::GranuleProtection {
            code: encode_gpc(f),
        })?;
        self.bus.read(pa, 8, AccessAttrs::cpu(self.cpu, pas)).map_err(|e| {
            if let rme_mmu::BusError::Unmapped { pa } = e
                && self.bus.first_unmapped_access(pa) {
                    tracing::debug!(target: "platform", cpu = self.cpu, pc = format_args!("{:#x}", self.pc), pas = %pas,
                        pa = format_args!("{pa:#x}"), "translation table walk of an unmodelled physical address (first access to this 4 KiB page)");
                }
            WalkError::ExternalAbort
        })
    }
}

/// Which stages a walk runs ([`Cpu::walk`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stages {
    /// Stage 1, then stage 2 when it applies (every access).
    Both,
    /// Stage 1 only, its table walk through stage 2 (AT S1E0*/S1E1*).
    Stage1,
}

/// What the instruction fetch page depends on ([`Cpu::fetch`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FetchKey {
    vpage: u64,
    epoch: u64,
    el: u8,
    scr: u64,
    hcr: u64,
}

/// The RAM/ROM page instructions were last fetched from.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FetchPage {
    key: Option<FetchKey>,
    pa_page: u64,
}

/// What a data or fetch access does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Read,
    Write,
    ReadWrite,
    Fetch,
}

impl Op {
    fn kind(self) -> AccessKind {
        match self {
            Op::Read => AccessKind::Read,
            Op::Write => AccessKind::Write,
            Op::ReadWrite => AccessKind::ReadWrite,
            Op::Fetch => AccessKind::Fetch,
        }
    }
    fn gpc(self, state: SecurityState) -> GpcAccess {
        match self {
            Op::Read => GpcAccess::read(state),
            Op::Write | Op::ReadWrite => GpcAccess::write(state),
            Op::Fetch => GpcAccess::fetch(state),
        }
    }
}

/// A translated access.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PhysAccess {
    pub pa: u64,
    pub pas: Pas,
    pub device: bool,
}

impl Cpu {
    /// What the MMU may use, from the ID registers (one place).
    pub(crate) fn mmu_features(&self) -> MmuFeatures {
        let f = self.features;
        MmuFeatures {
            pa_bits: f.pa_bits as u8,
            asid16: f.asid16,
            vmid16: f.vmid16,
            tbid: f.pauth,
            ..MmuFeatures::default()
        }
    }

    /// GPCCR_EL3 as the check sees it.
    pub(crate) fn gpc_features(&self) -> GpcFeatures {
        GpcFeatures {
            sel2: self.features.sel2,
            ..GpcFeatures::FVP
        }
    }

    fn gpccr(&self) -> Gpccr {
        if !self.features.rme {
            return Gpccr::decode(0, self.gpc_features());
        }
        Gpccr::decode(self.sr(SysReg::GPCCR_EL3), self.gpc_features())
    }

    /// The stage 1 regime of exception level `el` (pseudocode `TranslationRegime`).
    pub(crate) fn regime_at(&self, el: u8) -> Regime {
        let hcr = if el == 3 { 0 } else { self.sr(SysReg::HCR_EL2) };
        let e2h = self.el2_enabled_in(self.security_state_at(el.min(2))) && hcr & HCR_E2H != 0;
        Regime::for_el(el, e2h, hcr & HCR_TGE != 0)
    }

    /// The registers of a stage 1 regime, for the current security state.
    pub(crate) fn stage1_regime(&self, regime: Regime) -> Stage1Regime {
        use SysReg::*;
        let (tcr, ttbr0, ttbr1, mair, sctlr) = match regime {
            Regime::El10 => (TCR_EL1, TTBR0_EL1, TTBR1_EL1, MAIR_EL1, SCTLR_EL1),
            Regime::El20 => (TCR_EL2, TTBR0_EL2, TTBR1_EL2, MAIR_EL2, SCTLR_EL2),
            Regime::El2 => (TCR_EL2, TTBR0_EL2, TTBR0_EL2, MAIR_EL2, SCTLR_EL2),
            Regime::El3 => (TCR_EL3, TTBR0_EL3, TTBR0_EL3, MAIR_EL3, SCTLR_EL3),
        };
        let el = if regime == Regime::El3 {
            3
        } else if regime == Regime::El10 {
            1
        } else {
            2
        };
        Stage1Regime {
            regime,
            security: self.security_state_at(el),
            tcr: self.sr(tcr),
            ttbr0: self.sr(ttbr0),
            ttbr1: self.sr(ttbr1),
            mair: self.sr(mair),
            sctlr: self.sr(sctlr),
            hcr: if regime == Regime::El10 && self.el2_enabled_in(self.security_state_at(1)) {
                self.sr(HCR_EL2)
            } else {
                0
            },
            sif: self.sr(SCR_EL3) & SCR_SIF != 0,
            features: self.mmu_features(),
        }
    }

    /// Stage 2 of the EL1&0 regime, when EL2 is enabled in the current state.
    pub(crate) fn stage2_regime(&self) -> Option<Stage2Regime> {
        let state = self.security_state_at(1);
        if !self.el2_enabled_in(state) {
            return None;
        }
        Some(Stage2Regime {
            security: state,
            hcr: self.sr(SysReg::HCR_EL2),
            vtcr: self.sr(SysReg::VTCR_EL2),
            vttbr: self.sr(SysReg::VTTBR_EL2),
            vstcr: self.sr(SysReg::VSTCR_EL2),
            vsttbr: self.sr(SysReg::VSTTBR_EL2),
            ee: self.sr(SysReg::SCTLR_EL2) & (1 << 25) != 0,
            features: self.mmu_features(),
        })
    }

    /// Runs the translation walk (no TLB) for `access` in `regime`: both
    /// stages, or stage 1 only (AT S1E*: the stage 1 table walk still goes
    /// through stage 2 when it is enabled).
    pub(crate) fn walk(
        &self,
        bus: &PhysBus,
        regime: Regime,
        access: &Access,
        stages: Stages,
    ) -> Result<Translation, TranslationFault> {
        let s1 = self.stage1_regime(regime);
        let s2 = if regime == Regime::El10 { self.stage2_regime() } else { None };
        let walker = BusWalker {
            bus,
            gpis: &self.tlb.gpis,
            gpccr: self.gpccr(),
            gptbr: Gptbr::decode(self.sr(SysReg::GPTBR_EL3)),
            pa_bits: self.features.pa_bits,
            state: s1.security,
            cpu: self.index,
            pc: self.state.pc,
        };
        match stages {
            Stages::Both => translation::translate(&walker, &s1, s2.as_ref(), access),
            Stages::Stage1 => translation::translate_stage1_only(&walker, &s1, s2.as_ref(), access),
        }
    }

    /// The exception for a GPC fault on `pa` (Arm ARM D9: GPT faults always
    /// go to EL3 as EC 0x1E; a GPF too when SCR_EL3.GPF = 1 below EL3, else
    /// it is an Instruction/Data Abort with FSC 0x28, or 0b1001LL on a walk).
    ///
    /// `stage2` is `Some(HPFAR_EL2)` for a fault on a stage 2 table walk:
    /// that is a second-stage fault (the FaultRecord of `AArch64.S2Walk`),
    /// so its abort goes to EL2 (`IsSecondStage` in `AArch64.Abort`) and a
    /// GPC exception reports ISS.S2PTW.
    #[allow(clippy::too_many_arguments)]
    fn gpc_exception(
        &self,
        va: u64,
        pa: u64,
        pas: Pas,
        f: GpcFault,
        op: Op,
        walk_level: Option<i8>,
        s1ptw: bool,
        cm: bool,
        stage2: Option<u64>,
    ) -> Exception {
        let fetch = op == Op::Fetch;
        let wnr = matches!(op, Op::Write | Op::ReadWrite) && walk_level.is_none();
        let xfsc = walk_level
            .map(gpc::fault::fsc_gpf_on_walk)
            .unwrap_or(gpc::fault::FSC_GPF);
        tracing::debug!(target: "gpc", cpu = self.index, va = format_args!("{va:#x}"), pa = format_args!("{pa:#x}"), %pas, %f, "granule protection check failed");
        if f.is_gpt_fault() || (self.el() < 3 && self.sr(SysReg::SCR_EL3) & SCR_GPF != 0) {
            let s2ptw = stage2.is_some();
            return Exception::Gpc(GpcException {
                va,
                pa,
                pas,
                gpcsc: f.gpcsc(),
                fetch,
                wnr,
                s1ptw,
                s2ptw,
                xfsc,
                cm,
            });
        }
        let route = match stage2 {
            Some(hpfar) => AbortRoute::Stage2 { hpfar },
            None => AbortRoute::Gpf,
        };
        Exception::Abort(Abort {
            va,
            fetch,
            fsc: xfsc,
            wnr,
            cm,
            s1ptw,
            route,
        })
    }

    pub(crate) fn translation_exception(&self, f: TranslationFault, op: Op, cm: bool) -> Exception {
        if f.kind == FaultKind::GranuleProtectionOnWalk {
            let (pa, pas) = f.walk_pa.unwrap_or((0, Pas::Root));
            let g = decode_gpc(f.gpc_code.unwrap_or(0));
            let secure_el2 = self.security_state_at(1) == SecurityState::Secure;
            let stage2 = f.is_stage2().then(|| f.hpfar(secure_el2).unwrap_or(0));
            return self.gpc_exception(f.va, pa, pas, g, op, Some(f.level), f.s1ptw, cm, stage2);
        }
        let secure_el2 = self.security_state_at(1) == SecurityState::Secure;
        let route = if f.is_stage2() {
            AbortRoute::Stage2 {
                hpfar: f.hpfar(secure_el2).unwrap_or(0),
            }
        } else if f.kind == FaultKind::ExternalAbortOnWalk {
            AbortRoute::External
        } else {
            AbortRoute::Regime
        };
        tracing::trace!(target: "mmu", cpu = self.index, %f, "translation fault");
        Exception::Abort(Abort {
            va: f.va,
            fetch: op == Op::Fetch,
            fsc: f.fsc(),
            wnr: f.wnr(),
            cm,
            s1ptw: f.s1ptw,
            route,
        })
    }

    /// Translates one access through the TLB, the walk and the GPC.
    pub(crate) fn translate(
        &mut self,
        bus: &PhysBus,
        va: u64,
        size: u64,
        op: Op,
        flags: AccessFlags,
    ) -> Result<PhysAccess, Exception> {
        let el = self.el();
        if flags.aligned && va & (size - 1) != 0 {
            return Err(Abort::alignment(
                va,
                matches!(op, Op::Write | Op::ReadWrite),
            ));
        }
        let regime = self.regime_at(el);
        let unpriv = el == 0 || flags.unpriv;
        let pan = !unpriv && op != Op::Fetch && !flags.cm && self.state.pstate.pan;
        let aligned = va & (size - 1) == 0;
        let state = self.security_state();
        let ctx = crate::tlb::context(regime, state);
        if let Some(e) = self.tlb.lookup(va, ctx)
            && e.perms.allowed(op.kind(), unpriv, pan) {
                if e.device && !aligned && op != Op::Fetch {
                    return Err(Exception::Abort(Abort {
                        cm: flags.cm,
                        ..Abort::data(va, fsc::ALIGNMENT, matches!(op, Op::Write | Op::ReadWrite))
                    }));
                }
                return Ok(PhysAccess {
                    pa: e.pa_page << 12 | (va & 0xfff),
                    pas: e.pas,
                    device: e.device,
                });
            }
        let access = Access {
            va,
            kind: op.kind(),
            unprivileged: unpriv,
            pan,
            aligned: aligned || op == Op::Fetch,
        };
        let t = self
            .walk(bus, regime, &access, Stages::Both)
            .map_err(|f| self.translation_exception(f, op, flags.cm))?;
        let gpccr = self.gpccr();
        gpc::gpc_check_cached(
            &self.tlb.gpis,
            bus,
            &gpccr,
            Gptbr::decode(self.sr(SysReg::GPTBR_EL3)),
            self.features.pa_bits,
            t.pa,
            t.pas,
            op.gpc(state),
        )
        .map_err(|f| self.gpc_exception(va, t.pa, t.pas, f, op, None, false, flags.cm, None))?;
        let device = t.attrs.is_device();
        self.tlb.insert(va, ctx, &t, device);
        Ok(PhysAccess {
            pa: t.pa,
            pas: t.pas,
            device,
        })
    }

    /// A failed bus access as the synchronous External abort it raises
    /// (DFSC/IFSC 0b010000). The first access to each unmodelled 4 KiB page
    /// is logged (target `platform`, debug) with the PC, EL and PAS, so the
    /// next missing device is obvious from `RME_LOG=platform=debug`.
    fn external_abort(
        &self,
        bus: &PhysBus,
        err: rme_mmu::BusError,
        va: u64,
        pas: Pas,
        fetch: bool,
        wnr: bool,
    ) -> Exception {
        if let rme_mmu::BusError::Unmapped { pa } = err
            && bus.first_unmapped_access(pa) {
                let what = if fetch {
                    "fetch"
                } else if wnr {
                    "write"
                } else {
                    "read"
                };
                tracing::debug!(target: "platform", cpu = self.index, pc = format_args!("{:#x}", self.state.pc),
                    el = self.el(), pas = %pas, pa = format_args!("{pa:#x}"), va = format_args!("{va:#x}"),
                    "{what} of an unmodelled physical address (first access to this 4 KiB page)");
            }
        Abort::external(va, fetch, wnr)
    }

    fn attrs(&self, pas: Pas, flags: AccessFlags) -> AccessAttrs {
        let mut a = AccessAttrs::cpu(self.index, pas);
        a.privileged = self.el() > 0 && !flags.unpriv;
        a
    }

    fn read_phys(
        &self,
        bus: &PhysBus,
        va: u64,
        p: PhysAccess,
        size: u8,
        flags: AccessFlags,
    ) -> Result<u64, Exception> {
        if let Some(hit) = bus.ram_at(p.pa, size as u64)
            && let Some(v) = hit.ram.read(hit.offset, size) {
                return Ok(v);
            }
        bus.read(p.pa, size, self.attrs(p.pas, flags))
            .map_err(|e| self.external_abort(bus, e, va, p.pas, false, false))
    }

    /// Reads `size` (1, 2, 4, 8) bytes at virtual address `va`.
    pub fn read_mem(
        &mut self,
        bus: &PhysBus,
        va: u64,
        size: u8,
        flags: AccessFlags,
    ) -> Result<u64, Exception> {
        let p = self.translate(bus, va, size as u64, Op::Read, flags)?;
        if (va & 0xfff) + size as u64 > 0x1000 {
            return self.read_split(bus, va, size, flags);
        }
        self.read_phys(bus, va, p, size, flags)
    }

    /// A read crossing a page boundary: byte by byte, each translated.
    fn read_split(
        &mut self,
        bus: &PhysBus,
        va: u64,
        size: u8,
        flags: AccessFlags,
    ) -> Result<u64, Exception> {
        let mut v = 0u64;
        for i in 0..size as u64 {
            let a = va.wrapping_add(i);
            let p = self.translate(
                bus,
                a,
                1,
                Op::Read,
                AccessFlags {
                    aligned: false,
                    ..flags
                },
            )?;
            v |= self.read_phys(bus, a, p, 1, flags)? << (8 * i);
        }
        Ok(v)
    }

    fn write_phys(
        &self,
        bus: &PhysBus,
        va: u64,
        p: PhysAccess,
        size: u8,
        value: u64,
        flags: AccessFlags,
    ) -> Result<(), Exception> {
        if let Some(hit) = bus.ram_at(p.pa, size as u64)
            && hit.kind == rme_mmu::RegionKind::Ram
                && hit.ram.write(hit.offset, size, value).is_some()
            {
                return Ok(());
            }
        bus.write(p.pa, size, value, self.attrs(p.pas, flags))
            .map_err(|e| self.external_abort(bus, e, va, p.pas, false, true))
    }

    /// Writes the low `size` bytes of `value` at virtual address `va`.
    pub fn write_mem(
        &mut self,
        bus: &PhysBus,
        va: u64,
        size: u8,
        value: u64,
        flags: AccessFlags,
    ) -> Result<(), Exception> {
        let p = self.translate(bus, va, size as u64, Op::Write, flags)?;
        if (va & 0xfff) + size as u64 > 0x1000 {
            // Check both pages before writing any byte.
            self.translate(
                bus,
                (va | 0xfff) + 1,
                1,
                Op::Write,
                AccessFlags {
                    aligned: false,
                    ..flags
                },
            )?;
            for i in 0..size as u64 {
                let a = va.wrapping_add(i);
                let p = self.translate(
                    bus,
                    a,
                    1,
                    Op::Write,
                    AccessFlags {
                        aligned: false,
                        ..flags
                    },
                )?;
                self.write_phys(bus, a, p, 1, value >> (8 * i), flags)?;
            }
            return Ok(());
        }
        self.write_phys(bus, va, p, size, value, flags)
    }

    /// Checks that a write of `size` bytes at `va` would be permitted,
    /// without writing (for instructions that must fault before any effect).
    pub fn probe_write(
        &mut self,
        bus: &PhysBus,
        va: u64,
        size: u8,
        flags: AccessFlags,
    ) -> Result<(), Exception> {
        self.translate(bus, va, size as u64, Op::ReadWrite, flags)
            .map(|_| ())
    }

    /// Fetches the instruction word at `va`.
    ///
    /// Sequential fetches from one RAM/ROM page skip the translation: the
    /// page's PA is remembered with everything the fetch translation and
    /// its permission depend on beyond the TLB's own invalidation (the EL,
    /// SCR_EL3 and HCR_EL2: regime, security state, PAS); any TLB flush or
    /// invalidation (TLBI, a translation register or GPCCR_EL3/GPTBR_EL3
    /// write) forgets it.
    pub fn fetch(&mut self, bus: &PhysBus, va: u64) -> Result<u32, Exception> {
        let key = FetchKey {
            vpage: va >> 12,
            epoch: self.tlb.epoch,
            el: self.state.pstate.el,
            scr: self.sr(SysReg::SCR_EL3),
            hcr: self.sr(SysReg::HCR_EL2),
        };
        if self.fetch_page.key == Some(key) {
            let pa = self.fetch_page.pa_page << 12 | (va & 0xfff);
            if let Some(hit) = bus.ram_at(pa, 4)
                && let Some(v) = hit.ram.read(hit.offset, 4) {
                    return Ok(v as u32);
                }
        }
        let p = self.translate(bus, va, 4, Op::Fetch, AccessFlags::NORMAL)?;
        if let Some(hit) = bus.ram_at(p.pa, 4)
            && let Some(v) = hit.ram.read(hit.offset, 4) {
                self.fetch_page = FetchPage { key: Some(key), pa_page: p.pa >> 12 };
                return Ok(v as u32);
            }
        bus.read(p.pa, 4, AccessAttrs::cpu(self.index, p.pas))
            .map(|v| v as u32)
            .map_err(|e| self.external_abort(bus, e, va, p.pas, true, false))
    }

    /// Load-exclusive of one or two `size`-byte elements (LDXR/LDXP): reads
    /// and sets the reservation.
    pub fn load_exclusive(
        &mut self,
        bus: &PhysBus,
        va: u64,
        size: u8,
        pair: bool,
    ) -> Result<[u64; 2], Exception> {
        let total = if pair { size * 2 } else { size };
        if va & (total as u64 - 1) != 0 {
            return Err(Abort::alignment(va, false));
        }
        let v0 = self.read_mem(bus, va, size, AccessFlags::ALIGNED)?;
        let v1 = if pair {
            self.read_mem(bus, va + size as u64, size, AccessFlags::ALIGNED)?
        } else {
            0
        };
        let p = self.translate(bus, va, total as u64, Op::Read, AccessFlags::ALIGNED)?;
        self.monitor.reservation = Some(Reservation {
            va,
            pa: p.pa,
            pas: p.pas,
            size: total,
            elem: size,
            values: [v0, v1],
        });
        Ok([v0, v1])
    }

    /// Store-exclusive (STXR/STXP). Returns the status: 0 = stored, 1 = failed.
    pub fn store_exclusive(
        &mut self,
        bus: &PhysBus,
        va: u64,
        size: u8,
        pair: bool,
        values: [u64; 2],
    ) -> Result<u64, Exception> {
        let total = if pair { size * 2 } else { size };
        // Alignment and permission faults are checked whether or not the
        // monitor would let the store happen.
        if va & (total as u64 - 1) != 0 {
            return Err(Abort::alignment(va, true));
        }
        self.translate(bus, va, size as u64, Op::Write, AccessFlags::ALIGNED)?;
        let Some(r) = self.monitor.reservation.take() else {
            return Ok(1);
        };
        if r.va != va || r.size != total {
            return Ok(1);
        }
        let cur0 = self.read_mem(bus, va, size, AccessFlags::ALIGNED)?;
        let cur1 = if pair {
            self.read_mem(bus, va + size as u64, size, AccessFlags::ALIGNED)?
        } else {
            0
        };
        if [cur0, cur1] != r.values {
            return Ok(1);
        }
        self.write_mem(bus, va, size, values[0], AccessFlags::ALIGNED)?;
        if pair {
            self.write_mem(bus, va + size as u64, size, values[1], AccessFlags::ALIGNED)?;
        }
        Ok(0)
    }

    /// Whether another PE (or agent) has written the reserved location since
    /// the load-exclusive: memory no longer holds what it read. That clears
    /// this PE's global monitor, and the clearing is a WFE wake-up event
    /// (Arm ARM D1.6.1 "Wait For Event": "an event is generated ... when the
    /// global monitor for the PE is cleared"), which is how a PE waiting
    /// for a spinlock (`ldaxr; cbnz; wfe`) sees its release (`stlr`). When
    /// lost, the reservation is dropped and the event register set.
    pub fn exclusive_lost(&mut self, bus: &PhysBus) -> bool {
        let Some(r) = self.monitor.reservation else { return false };
        let attrs = AccessAttrs::cpu(self.index, r.pas);
        let elems = if r.size > r.elem { 2 } else { 1 };
        let lost = (0..elems).any(|i| {
            bus.read(r.pa + i as u64 * r.elem as u64, r.elem, attrs).map_or(true, |v| v != r.values[i])
        });
        if lost {
            self.monitor.clear();
            self.event_register = true;
        }
        lost
    }

    /// CLREX and exception return.
    pub fn clear_exclusive(&mut self) {
        self.monitor.clear();
    }

    /// DC ZVA: zeroes the naturally aligned block of DCZID_EL0.BS words
    /// holding `va`.
    pub fn dc_zva(&mut self, bus: &PhysBus, va: u64) -> Result<(), Exception> {
        const BLOCK: u64 = 64;
        let base = va & !(BLOCK - 1);
        let p = self.translate(bus, base, 8, Op::Write, AccessFlags::NORMAL)?;
        // Device memory: DC ZVA is an Alignment fault (Arm ARM C6.2 "DC ZVA").
        if p.device {
            return Err(Abort::alignment(va, true));
        }
        if let Some(hit) = bus.ram_at(p.pa, BLOCK)
            && hit.kind == rme_mmu::RegionKind::Ram {
                hit.ram.zero(hit.offset, BLOCK as usize);
                return Ok(());
            }
        for i in 0..BLOCK / 8 {
            self.write_phys(
                bus,
                base + i * 8,
                PhysAccess {
                    pa: p.pa + i * 8,
                    ..p
                },
                8,
                0,
                AccessFlags::NORMAL,
            )?;
        }
        Ok(())
    }

    /// Reads SP with the SP alignment check (SCTLR_ELx.SA/SA0) for an access
    /// that uses SP as its base register (Arm ARM D1.8.2 "SP alignment checking").
    pub fn sp_for_access(&self) -> Result<u64, Exception> {
        let sp = self.sp();
        let el = self.el();
        let sctlr = match self.regime_at(el) {
            Regime::El10 => self.sr(SysReg::SCTLR_EL1),
            Regime::El20 | Regime::El2 => self.sr(SysReg::SCTLR_EL2),
            Regime::El3 => self.sr(SysReg::SCTLR_EL3),
        };
        let check = if el == 0 {
            sctlr & SCTLR_SA0 != 0
        } else {
            sctlr & SCTLR_SA != 0
        };
        if check && sp & 0xf != 0 {
            return Err(Exception::SpAlignment);
        }
        Ok(sp)
    }
}
