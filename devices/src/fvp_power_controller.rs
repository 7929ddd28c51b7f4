//! The FVP Base platform power controller (`Base_PowerController`), at
//! 0x1c10_0000 on FVP Base RevC.
//!
//! References: *Fast Models Fixed Virtual Platforms Reference Guide*
//! (Arm 100966), "Base - Base_PowerController component": registers PPOFFR
//! (0x00), PPONR (0x04), PCOFFR (0x08), PWKUPR (0x0c) and PSYSR (0x10),
//! each naming a PE by a 24-bit MPIDR-format affinity value
//! (`Aff2:Aff1:Aff0`, bits `[23:0]`); TF-A `drivers/arm/fvp/fvp_pwrc.c`,
//! `include/drivers/arm/fvp/fvp_pwrc.h` (field names), and the users of it
//! in `plat/arm/board/fvp` (`fvp_pm.c`, `fvp_topology.c`,
//! `aarch64/fvp_helpers.S`).
//!
//! What TF-A relies on, and what is modelled:
//! * **PSYSR** (write an MPIDR, then read): `[23:0]` the ID written,
//!   `AFF_L0` (bit 29) the PE is powered on, `AFF_L1` (bit 30) some PE with
//!   the same `Aff2:Aff1` is on, `AFF_L2` (bit 31) some PE with the same
//!   `Aff2` is on, `WEN` (28) wake-up by GIC request enabled, `PC` (27) a
//!   cluster power-off is pending, `PP` (26) a PE power-off is pending,
//!   `WK[25:24]` why the PE last powered on: 0 cold (power-on reset),
//!   2 PPONR, 3 GIC wake request (1, system reset pin, is never reported).
//!   With the `-1t` FVP layout (MPIDR.MT = 1: Aff0 = thread, Aff1 = core,
//!   Aff2 = cluster) L1 is the core and L2 the cluster, which is what
//!   `fvp_node_hw_state` reads. An ID that names no PE reads 0xffff_ffff
//!   (`PSYSR_INVALID`, used by `plat_core_pos_by_mpidr` to validate MPIDRs).
//!   BL1's `plat_get_my_entrypoint` writes the *whole* MPIDR (RES1 bit 31,
//!   MT bit 24) with `str w`; only `[23:0]` names the PE.
//!   Cold boot: every PE in the `startup` set reads `AFF_L0 = 1, WK = 0`
//!   (cold), so BL1 takes the cold path on all of them; PEs outside it read
//!   `AFF_L0 = 0`.
//! * **PPOFFR**: the PE powers off at its next WFI (PSYSR.PP until then).
//!   BL1's secondaries write it and WFI at cold boot; PSCI CPU_OFF and
//!   CPU_SUSPEND power-down do the same. The machine reports each WFI with
//!   [`FvpPowerController::wfi`], which answers whether the PE is now off.
//! * **PPONR**: powers an off PE on, with `WK = PPONR`; the PE restarts from
//!   its reset vector (BL1 at RVBAR = 0, which sees WK = 2 and takes the
//!   warm-boot path through the mailbox). The device queues a
//!   [`PowerEvent`] the machine takes with [`FvpPowerController::take_requests`].
//!   For a PE that is on, PPONR cancels its pending power-off requests (PP,
//!   and PC for its cluster), as `fvp_power_domain_on_finish_common` uses it.
//! * **PCOFFR**: marks a cluster power-off pending (PSYSR.PC on every PE of
//!   the cluster that is on): each such PE powers off at its next WFI. The
//!   cluster is `Aff2` with MPIDR.MT = 1 and `Aff1` otherwise
//!   ([`PowerControllerConfig::mt`]). PEs already sleeping in WFI when PCOFFR
//!   is written are not powered off until they next execute WFI: under PSCI
//!   the PE that writes PCOFFR is the last one on in its cluster.
//! * **PWKUPR**: `WEN` (bit 31) per PE. An off PE with WEN set is powered on
//!   (`WK = GICREQ`) when the GIC has an interrupt for it: the machine
//!   reports the GIC's wake request with [`FvpPowerController::set_wake_request`].
//!
//! PPOFFR, PPONR, PCOFFR and PWKUPR read back the last value written to
//! them (the ID, and WEN for PWKUPR), or 0xffff_ffff when that value named
//! no PE.
//!
//! PSYSR is one register shared by all PEs (TF-A serialises
//! write-then-read with a lock, except in the cold/warm-boot test of
//! `plat_get_my_entrypoint`, where it relies on all PEs reading the same
//! WK). This model keeps the ID last written to PSYSR per requesting CPU
//! ([`AccessAttrs::requester`]), so a read returns the status of the PE that
//! CPU selected even if another CPU wrote PSYSR in between; any one CPU sees
//! exactly the hardware behaviour.
//!
//! The device does not start or stop CPUs itself; the machine acts on
//! [`FvpPowerController::wfi`] and [`FvpPowerController::take_requests`].
//! Accesses to offsets with no register read as zero and are ignored,
//! logged once (target `platform`) and counted
//! ([`FvpPowerController::bad_accesses`]).

use crate::access::{BadAccess, BadAccesses, mmio_device_of_registers};
use parking_lot::Mutex;
use rme_mmu::AccessAttrs;
use std::collections::{BTreeMap, VecDeque};

pub const PPOFFR: u64 = 0x00;
pub const PPONR: u64 = 0x04;
pub const PCOFFR: u64 = 0x08;
pub const PWKUPR: u64 = 0x0c;
pub const PSYSR: u64 = 0x10;

/// The FVP Base RevC base address and size of the register block.
pub const FVP_PWRC_BASE: u64 = 0x1c10_0000;
pub const FVP_PWRC_SIZE: u64 = 0x1000;

/// The affinity (`Aff2:Aff1:Aff0`) bits of an ID written to the registers.
pub const ID_MASK: u32 = 0x00ff_ffff;
/// PWKUPR.WEN.
pub const PWKUPR_WEN: u32 = 1 << 31;

/// PSYSR fields.
pub const PSYSR_AFF_L2: u32 = 1 << 31;
pub const PSYSR_AFF_L1: u32 = 1 << 30;
pub const PSYSR_AFF_L0: u32 = 1 << 29;
pub const PSYSR_WEN: u32 = 1 << 28;
pub const PSYSR_PC: u32 = 1 << 27;
pub const PSYSR_PP: u32 = 1 << 26;
pub const PSYSR_WK_SHIFT: u32 = 24;
/// PSYSR of an ID that names no PE.
pub const PSYSR_INVALID: u32 = 0xffff_ffff;

/// Why a PE last powered on (PSYSR.WK).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WakeReason {
    /// Power-on reset (WK = 0).
    Cold,
    /// System reset pin (WK = 1); never produced by this model.
    Reset,
    /// A write to PPONR (WK = 2).
    Pponr,
    /// The GIC's wake request, with PWKUPR.WEN set (WK = 3).
    GicWakeRequest,
}

impl WakeReason {
    /// The PSYSR.WK encoding.
    pub fn wk(self) -> u32 {
        match self {
            WakeReason::Cold => 0,
            WakeReason::Reset => 1,
            WakeReason::Pponr => 2,
            WakeReason::GicWakeRequest => 3,
        }
    }
}

/// What the machine must do for the power controller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PowerEventKind {
    /// Power the PE on: reset it (to its reset vector, RVBAR) and run it.
    /// It reads `reason` in PSYSR.WK. Powering off is not an event: it
    /// happens when the PE executes WFI, and [`FvpPowerController::wfi`]
    /// returns [`WfiAction::PowerDown`] to the machine then.
    On { reason: WakeReason },
}

/// One request to the machine, for the PE whose MPIDR affinity
/// (`Aff2:Aff1:Aff0`, bits `[23:0]`) is `mpidr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PowerEvent {
    pub mpidr: u32,
    pub kind: PowerEventKind,
}

/// What a PE's WFI does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WfiAction {
    /// Ordinary WFI: the PE waits for an interrupt (or event) as usual.
    Standby,
    /// A power-off was pending (PPOFFR or PCOFFR): the PE is now powered
    /// off. It must not run, nor wake on interrupts, until a
    /// [`PowerEventKind::On`] event names it.
    PowerDown,
}

/// The power state of one PE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeState {
    /// MPIDR affinity, `Aff2:Aff1:Aff0` (bits `[23:0]`).
    pub mpidr: u32,
    /// Powered on (PSYSR.AFF_L0).
    pub on: bool,
    /// Power-off pending (PPOFFR written; PSYSR.PP).
    pub pp: bool,
    /// Cluster power-off pending (PCOFFR written; PSYSR.PC).
    pub pc: bool,
    /// Wake-up by GIC wake request enabled (PWKUPR.WEN; PSYSR.WEN).
    pub wen: bool,
    /// Why the PE last powered on (PSYSR.WK); `Cold` while it is off.
    pub wake: WakeReason,
    /// The GIC is requesting a wake-up of this PE (an interrupt is pending
    /// for it), as last reported by the machine.
    pub wake_request: bool,
}

/// Board configuration: which PEs exist and which run at power-on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PowerControllerConfig {
    /// MPIDR affinities (`Aff2:Aff1:Aff0`) of the PEs, in any order.
    pub pes: Vec<u32>,
    /// The PEs powered on at power-on reset (the FVP `startup` parameter);
    /// `None`: all of them, as FVP Base RevC starts every core and BL1
    /// turns the secondaries off.
    pub startup: Option<Vec<u32>>,
    /// MPIDR.MT of the PEs: with MT = 1 a cluster is `Aff2`, else `Aff1`.
    pub mt: bool,
}

impl PowerControllerConfig {
    /// The affinities of `clusters` x `cores` x `threads` PEs: with
    /// `mt` (FVP `-1t`, MPIDR.MT = 1) `Aff2` = cluster, `Aff1` = core,
    /// `Aff0` = thread; without, `Aff1` = cluster, `Aff0` = core (and
    /// `threads` must be 1). All start powered on.
    pub fn fvp(clusters: u32, cores: u32, threads: u32, mt: bool) -> PowerControllerConfig {
        let mut pes = Vec::new();
        for cl in 0..clusters {
            for co in 0..cores {
                for th in 0..threads.max(1) {
                    let aff = if mt { (cl << 16) | (co << 8) | th } else { (cl << 8) | co };
                    pes.push(aff & ID_MASK);
                }
            }
        }
        PowerControllerConfig { pes, startup: None, mt }
    }
}

impl Default for PowerControllerConfig {
    /// FVP Base RevC as TF-A's `fvp-base-gicv3-psci-1t` build expects it:
    /// 2 clusters x 4 cores x 1 thread, MPIDR.MT = 1.
    fn default() -> PowerControllerConfig {
        PowerControllerConfig::fvp(2, 4, 1, true)
    }
}

/// The guest-visible state of the power controller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PowerControllerState {
    /// One entry per PE, in the configuration's order.
    pub pes: Vec<PeState>,
    /// Read-back values of PPOFFR, PPONR, PCOFFR, PWKUPR.
    pub ppoffr: u32,
    pub pponr: u32,
    pub pcoffr: u32,
    pub pwkupr: u32,
    /// The ID last written to PSYSR, per requesting CPU (`None`: host).
    pub psysr_select: BTreeMap<Option<u32>, u32>,
    /// Requests the machine has not taken yet, oldest first.
    pub events: VecDeque<PowerEvent>,
}

impl PowerControllerState {
    fn reset(config: &PowerControllerConfig) -> PowerControllerState {
        let pes = config
            .pes
            .iter()
            .map(|&aff| {
                let mpidr = aff & ID_MASK;
                let on = config.startup.as_ref().is_none_or(|s| s.iter().any(|&x| x & ID_MASK == mpidr));
                PeState { mpidr, on, pp: false, pc: false, wen: false, wake: WakeReason::Cold, wake_request: false }
            })
            .collect();
        PowerControllerState {
            pes,
            ppoffr: 0,
            pponr: 0,
            pcoffr: 0,
            pwkupr: 0,
            psysr_select: BTreeMap::new(),
            events: VecDeque::new(),
        }
    }

    fn index(&self, id: u32) -> Option<usize> {
        let id = id & ID_MASK;
        self.pes.iter().position(|p| p.mpidr == id)
    }

    /// PSYSR for the PE named by `id`.
    fn psysr(&self, id: u32) -> u32 {
        let id = id & ID_MASK;
        let Some(i) = self.index(id) else { return PSYSR_INVALID };
        let pe = &self.pes[i];
        let any_on = |mask: u32| self.pes.iter().any(|p| p.on && (p.mpidr & mask) == (id & mask));
        let mut v = id;
        if pe.on {
            v |= PSYSR_AFF_L0;
        }
        if any_on(0x00ff_ff00) {
            v |= PSYSR_AFF_L1;
        }
        if any_on(0x00ff_0000) {
            v |= PSYSR_AFF_L2;
        }
        if pe.wen {
            v |= PSYSR_WEN;
        }
        if pe.pc {
            v |= PSYSR_PC;
        }
        if pe.pp {
            v |= PSYSR_PP;
        }
        v | pe.wake.wk() << PSYSR_WK_SHIFT
    }

    /// Powers PE `i` on for `reason` and queues the event. Pending
    /// power-offs of the PE and of its cluster are cancelled.
    fn power_on(&mut self, i: usize, reason: WakeReason, cluster_mask: u32) {
        let mpidr = self.pes[i].mpidr;
        let pe = &mut self.pes[i];
        pe.on = true;
        pe.pp = false;
        pe.wake = reason;
        pe.wake_request = false;
        self.clear_cluster_pc(mpidr, cluster_mask);
        self.events.push_back(PowerEvent { mpidr, kind: PowerEventKind::On { reason } });
    }

    fn clear_cluster_pc(&mut self, mpidr: u32, cluster_mask: u32) {
        for p in self.pes.iter_mut().filter(|p| p.mpidr & cluster_mask == mpidr & cluster_mask) {
            p.pc = false;
        }
    }
}

/// The FVP power controller.
pub struct FvpPowerController {
    config: PowerControllerConfig,
    inner: Mutex<PowerControllerState>,
    bad: BadAccesses,
}

impl FvpPowerController {
    /// The FVP Base RevC controller of [`PowerControllerConfig::default`].
    pub fn new() -> FvpPowerController {
        FvpPowerController::with_config(PowerControllerConfig::default())
    }

    pub fn with_config(config: PowerControllerConfig) -> FvpPowerController {
        let state = PowerControllerState::reset(&config);
        FvpPowerController { config, inner: Mutex::new(state), bad: BadAccesses::default() }
    }

    pub fn config(&self) -> &PowerControllerConfig {
        &self.config
    }

    /// The affinity bits that name a PE's cluster.
    fn cluster_mask(&self) -> u32 {
        if self.config.mt { 0x00ff_0000 } else { 0x00ff_ff00 }
    }

    /// Takes the requests queued since the last call, oldest first. The
    /// machine polls this (e.g. after each slice) and acts on each event.
    pub fn take_requests(&self) -> Vec<PowerEvent> {
        self.inner.lock().events.drain(..).collect()
    }

    /// Whether requests are waiting for [`FvpPowerController::take_requests`].
    pub fn has_requests(&self) -> bool {
        !self.inner.lock().events.is_empty()
    }

    /// The machine reports that the PE `mpidr` executes WFI. When a power-off
    /// is pending for it (PPOFFR, or PCOFFR for its cluster) the PE is now
    /// off: PSYSR.AFF_L0, PP, PC and WK clear, and the machine must stop it
    /// until a [`PowerEventKind::On`] event names it.
    pub fn wfi(&self, mpidr: u64) -> WfiAction {
        let mut s = self.inner.lock();
        let Some(i) = s.index(mpidr as u32) else {
            tracing::debug!(target: "platform", mpidr = format_args!("{mpidr:#x}"),
                "power controller: WFI of a PE it does not know");
            return WfiAction::Standby;
        };
        let pe = &mut s.pes[i];
        if !(pe.on && (pe.pp || pe.pc)) {
            return WfiAction::Standby;
        }
        pe.on = false;
        pe.pp = false;
        pe.pc = false;
        pe.wake = WakeReason::Cold;
        tracing::debug!(target: "platform", mpidr = format_args!("{:#x}", pe.mpidr), "power controller: PE powered off");
        // A wake request that is already pending powers it straight back on.
        if pe.wen && pe.wake_request {
            s.power_on(i, WakeReason::GicWakeRequest, self.cluster_mask());
        }
        WfiAction::PowerDown
    }

    /// The machine reports the GIC's wake request for the PE `mpidr` (an
    /// interrupt the PE could take is pending: `true`; none: `false`). An
    /// off PE with PWKUPR.WEN set powers on (WK = GICREQ) and an event is
    /// queued; without WEN the request is remembered, so a later PWKUPR
    /// write that sets WEN powers the PE on.
    pub fn set_wake_request(&self, mpidr: u64, requested: bool) {
        let mut s = self.inner.lock();
        let Some(i) = s.index(mpidr as u32) else { return };
        s.pes[i].wake_request = requested;
        let pe = s.pes[i];
        if requested && !pe.on && pe.wen {
            s.power_on(i, WakeReason::GicWakeRequest, self.cluster_mask());
        }
    }

    /// The state of the PE `mpidr`, if it exists.
    pub fn pe(&self, mpidr: u64) -> Option<PeState> {
        let s = self.inner.lock();
        s.index(mpidr as u32).map(|i| s.pes[i])
    }

    /// Whether the PE `mpidr` is powered on (`None`: no such PE).
    pub fn is_on(&self, mpidr: u64) -> Option<bool> {
        self.pe(mpidr).map(|p| p.on)
    }

    /// PSYSR for `mpidr` as the guest would read it (host view; does not
    /// change any CPU's PSYSR selection).
    pub fn psysr(&self, mpidr: u64) -> u32 {
        self.inner.lock().psysr(mpidr as u32)
    }

    /// A copy of the state.
    pub fn state(&self) -> PowerControllerState {
        self.inner.lock().clone()
    }

    /// Power-on reset (system reset): the `startup` PEs on with WK = cold,
    /// the others off; pending requests dropped. The bad-access count is kept.
    pub fn reset(&self) {
        *self.inner.lock() = PowerControllerState::reset(&self.config);
    }

    /// Accesses that reached no register (see the module documentation).
    pub fn bad_accesses(&self) -> u64 {
        self.bad.count()
    }

    fn bad_access(&self, offset: u64, size: u8, write: bool, why: BadAccess) {
        self.bad.report("fvp-pwrc", offset, size, write, why);
    }

    fn unknown_pe(reg: &str, id: u32) {
        tracing::debug!(target: "platform", id = format_args!("{id:#x}"), "power controller: {reg} names no PE");
    }
}

impl Default for FvpPowerController {
    fn default() -> FvpPowerController {
        FvpPowerController::new()
    }
}

impl FvpPowerController {
    fn read_reg(&self, reg: u64, attrs: AccessAttrs) -> Result<u32, BadAccess> {
        let s = self.inner.lock();
        Ok(match reg {
            PPOFFR => s.ppoffr,
            PPONR => s.pponr,
            PCOFFR => s.pcoffr,
            PWKUPR => s.pwkupr,
            PSYSR => {
                let id = s.psysr_select.get(&attrs.requester).copied().unwrap_or(0);
                s.psysr(id)
            }
            _ => return Err(BadAccess::NoRegister),
        })
    }

    fn write_reg(&self, reg: u64, value: u32, attrs: AccessAttrs) -> Result<(), BadAccess> {
        let id = value & ID_MASK;
        let cluster_mask = self.cluster_mask();
        let mut s = self.inner.lock();
        let pe = s.index(id);
        match reg {
            PPOFFR => match pe {
                Some(i) => {
                    s.ppoffr = id;
                    if s.pes[i].on {
                        s.pes[i].pp = true;
                    }
                }
                None => {
                    s.ppoffr = PSYSR_INVALID;
                    Self::unknown_pe("PPOFFR", id);
                }
            },
            PPONR => match pe {
                Some(i) => {
                    s.pponr = id;
                    if s.pes[i].on {
                        // Cancel pending power-offs (fvp_power_domain_on_finish_common).
                        s.pes[i].pp = false;
                        s.clear_cluster_pc(id, cluster_mask);
                    } else {
                        s.power_on(i, WakeReason::Pponr, cluster_mask);
                    }
                }
                None => {
                    s.pponr = PSYSR_INVALID;
                    Self::unknown_pe("PPONR", id);
                }
            },
            PCOFFR => match pe {
                Some(_) => {
                    s.pcoffr = id;
                    for p in s.pes.iter_mut().filter(|p| p.on && p.mpidr & cluster_mask == id & cluster_mask) {
                        p.pc = true;
                    }
                }
                None => {
                    s.pcoffr = PSYSR_INVALID;
                    Self::unknown_pe("PCOFFR", id);
                }
            },
            PWKUPR => match pe {
                Some(i) => {
                    s.pwkupr = value & (PWKUPR_WEN | ID_MASK);
                    s.pes[i].wen = value & PWKUPR_WEN != 0;
                    let p = s.pes[i];
                    if !p.on && p.wen && p.wake_request {
                        s.power_on(i, WakeReason::GicWakeRequest, cluster_mask);
                    }
                }
                None => {
                    s.pwkupr = PSYSR_INVALID;
                    Self::unknown_pe("PWKUPR", id);
                }
            },
            PSYSR => {
                s.psysr_select.insert(attrs.requester, id);
            }
            _ => return Err(BadAccess::NoRegister),
        }
        Ok(())
    }
}

mmio_device_of_registers!(FvpPowerController, |self| "fvp-pwrc");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fvp_layouts() {
        let mt = PowerControllerConfig::fvp(2, 4, 1, true);
        assert_eq!(mt.pes, vec![0x0, 0x100, 0x200, 0x300, 0x10000, 0x10100, 0x10200, 0x10300]);
        let flat = PowerControllerConfig::fvp(2, 2, 1, false);
        assert_eq!(flat.pes, vec![0x0, 0x1, 0x100, 0x101]);
        assert_eq!(PowerControllerConfig::default(), mt);
    }

    #[test]
    fn wk_encoding() {
        let wk: Vec<u32> = [WakeReason::Cold, WakeReason::Reset, WakeReason::Pponr, WakeReason::GicWakeRequest]
            .iter()
            .map(|w| w.wk())
            .collect();
        assert_eq!(wk, vec![0, 1, 2, 3]);
    }
}
