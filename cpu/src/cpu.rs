//! The architectural state of one PE and the [`Cpu`] that owns it.

use crate::features::{self, Features};
use crate::interp::DecodeCache;
use crate::memory::ExclusiveMonitor;
use crate::pstate::Pstate;
use crate::sysreg::SysRegFile;
use crate::sysreg::table::SysReg;
use rme_mmu::{Pas, SecurityState};

/// Reset configuration of one CPU.
#[derive(Clone, Debug)]
pub struct CpuConfig {
    /// Index of the CPU in its machine (0-based).
    pub index: u32,
    /// MPIDR_EL1 value (affinity fields, MT, U). Bit 31 (RES1) is forced.
    pub mpidr: u64,
    /// MIDR_EL1. FVP's Base AEM reports 0x410F_D0F0.
    pub midr: u64,
    /// RVBAR_EL3: the reset vector.
    pub rvbar: u64,
    /// Overrides of ID register values (applied after the default profile).
    pub id_overrides: Vec<(SysReg, u64)>,
}

impl CpuConfig {
    /// The FVP Base RevC layout: 4 cores per cluster, MT = 1 with
    /// Aff0 = thread (0), Aff1 = core, Aff2 = cluster (TF-A's
    /// ARM_CONFIG_FVP_SHIFTED_AFF layout).
    pub fn fvp(index: u32) -> CpuConfig {
        CpuConfig::fvp_at(index, index / 4, index % 4)
    }

    /// CPU `index` of the machine as core `core` of cluster `cluster`
    /// (MPIDR_EL1.MT = 1: Aff2 = cluster, Aff1 = core, as FVP's AEM).
    pub fn fvp_at(index: u32, cluster: u32, core: u32) -> CpuConfig {
        let (cluster, core) = (u64::from(cluster & 0xff), u64::from(core & 0xff));
        CpuConfig {
            index,
            mpidr: (1 << 31) | (1 << 24) | (cluster << 16) | (core << 8),
            midr: features::MIDR_FVP_BASE_AEM,
            rvbar: 0,
            id_overrides: Vec::new(),
        }
    }
}

/// Registers and PSTATE of one PE.
#[derive(Clone)]
pub struct CpuState {
    /// X0-X30.
    pub x: [u64; 31],
    /// SP_EL0..SP_EL3.
    pub sp_el: [u64; 4],
    pub pc: u64,
    pub pstate: Pstate,
    pub sysregs: SysRegFile,
}

/// Why a CPU is not executing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitState {
    Running,
    /// WFI: until an interrupt (even a masked one) is pending.
    Interrupt,
    /// WFE: until an event (SEV, an interrupt, a lost exclusive).
    Event,
    /// Powered off (not yet released by the platform).
    Off,
}

/// Levels of the interrupt inputs of a PE.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IrqLines {
    pub irq: bool,
    pub fiq: bool,
    pub serror: bool,
    /// The GIC virtual CPU interface's virtual IRQ/FIQ (list registers;
    /// taken at EL1/EL0 under HCR_EL2.IMO/FMO like HCR_EL2.VI/VF).
    pub virq: bool,
    pub vfiq: bool,
}

/// One AArch64 PE.
pub struct Cpu {
    pub index: u32,
    pub state: CpuState,
    pub features: Features,
    pub lines: IrqLines,
    pub wait: WaitState,
    /// The event register (WFE/SEV).
    pub event_register: bool,
    pub(crate) config: CpuConfig,
    pub(crate) decode_cache: DecodeCache,
    /// The page instructions were last fetched from ([`crate::memory::FetchPage`]).
    pub(crate) fetch_page: crate::memory::FetchPage,
    pub(crate) monitor: ExclusiveMonitor,
    /// The softmmu TLB.
    pub tlb: crate::tlb::Tlb,
    /// Set by a broadcast TLBI (IS/OS forms): the machine invalidates the
    /// other PEs' TLBs.
    pub(crate) tlbi_broadcast: bool,
    pub(crate) retired: u64,
    pub(crate) rng_state: u64,
    /// Set by SEV: the machine broadcasts it to the other PEs.
    pub(crate) sev_pending: bool,
    pub(crate) last_exception: Option<crate::exception::ExceptionRecord>,
    /// The GIC CPU interface, when the platform has one.
    pub gic: Option<std::sync::Arc<dyn crate::gic_port::GicCpuPort>>,
    /// (GIC generation, EL, SCR_EL3, HCR_EL2) of the last GIC signal query.
    pub(crate) gic_seen: (u64, u8, u64, u64),
    pub(crate) clock_ns_base: u64,
    pub(crate) clock_retired_base: u64,
    pub(crate) timer_levels: [bool; 5],
    pub(crate) next_timer_ns: u64,
    /// Retired count at the last PMCCNTR_EL0 update.
    pub(crate) pmu_synced_retired: u64,
}

impl Cpu {
    pub fn new(config: CpuConfig) -> Cpu {
        let mut cpu = Cpu {
            index: config.index,
            state: CpuState {
                x: [0; 31],
                sp_el: [0; 4],
                pc: 0,
                pstate: Pstate::default(),
                sysregs: SysRegFile::new(),
            },
            features: Features::default(),
            lines: IrqLines::default(),
            wait: WaitState::Running,
            event_register: false,
            config,
            decode_cache: DecodeCache::new(),
            fetch_page: crate::memory::FetchPage::default(),
            monitor: ExclusiveMonitor::default(),
            tlb: crate::tlb::Tlb::new(),
            tlbi_broadcast: false,
            retired: 0,
            rng_state: 0,
            sev_pending: false,
            last_exception: None,
            gic: None,
            gic_seen: (u64::MAX, 0, 0, 0),
            clock_ns_base: 0,
            clock_retired_base: 0,
            timer_levels: [false; 5],
            next_timer_ns: u64::MAX,
            pmu_synced_retired: 0,
        };
        cpu.reset();
        cpu
    }

    /// Cold reset (Arm ARM D1.10 "Reset"): EL3h with every exception masked,
    /// PC = RVBAR_EL3, system registers at their reset values.
    pub fn reset(&mut self) {
        let s = &mut self.state;
        s.x = [0; 31];
        s.sp_el = [0; 4];
        s.sysregs = SysRegFile::new();
        for (reg, value) in features::default_id_values() {
            s.sysregs.set(reg, value);
        }
        for &(reg, value) in &self.config.id_overrides {
            s.sysregs.set(reg, value);
        }
        s.sysregs.set(SysReg::MIDR_EL1, self.config.midr);
        s.sysregs
            .set(SysReg::MPIDR_EL1, self.config.mpidr | (1 << 31));
        s.sysregs.set(SysReg::VPIDR_EL2, self.config.midr);
        s.sysregs
            .set(SysReg::VMPIDR_EL2, self.config.mpidr | (1 << 31));
        s.sysregs.set(SysReg::RVBAR_EL3, self.config.rvbar);
        s.pstate = Pstate {
            el: 3,
            sp: true,
            d: true,
            a: true,
            i: true,
            f: true,
            ..Pstate::default()
        };
        s.pc = self.config.rvbar;
        self.features = Features::from_sysregs(&s.sysregs);
        self.wait = WaitState::Running;
        self.event_register = false;
        self.monitor = ExclusiveMonitor::default();
        self.decode_cache.clear();
        self.tlb.flush();
        self.tlbi_broadcast = false;
        // FEAT_RNG: a fixed seed per CPU keeps runs deterministic.
        self.rng_state =
            0x9e37_79b9_7f4a_7c15 ^ (self.index as u64).wrapping_mul(0xd1b5_4a32_d192_ed03);
        self.sev_pending = false;
        self.last_exception = None;
        self.gic_seen = (u64::MAX, 0, 0, 0);
        self.next_timer_ns = u64::MAX;
        // A powered-on PE keeps the machine's time.
        self.clock_retired_base = self.retired;
        self.update_timers();
    }

    /// Attaches a GIC CPU interface and advertises the GIC system register
    /// interface (ID_AA64PFR0_EL1.GIC = 1).
    pub fn attach_gic(&mut self, port: std::sync::Arc<dyn crate::gic_port::GicCpuPort>) {
        self.gic = Some(port);
        let pfr0 = self.sr(SysReg::ID_AA64PFR0_EL1) & !(0xf << 24);
        self.set_sr(SysReg::ID_AA64PFR0_EL1, pfr0 | 1 << 24);
        self.config
            .id_overrides
            .retain(|(r, _)| *r != SysReg::ID_AA64PFR0_EL1);
        self.config
            .id_overrides
            .push((SysReg::ID_AA64PFR0_EL1, pfr0 | 1 << 24));
        self.gic_seen = (u64::MAX, 0, 0, 0);
        self.update_timers();
    }

    /// Instructions retired since creation.
    pub fn retired(&self) -> u64 {
        self.retired
    }

    /// The most recent synchronous exception or interrupt taken.
    pub fn last_exception(&self) -> Option<crate::exception::ExceptionRecord> {
        self.last_exception
    }

    #[inline]
    pub fn el(&self) -> u8 {
        self.state.pstate.el
    }

    #[inline]
    pub fn sr(&self, r: SysReg) -> u64 {
        self.state.sysregs.get(r)
    }

    #[inline]
    pub fn set_sr(&mut self, r: SysReg, v: u64) {
        self.state.sysregs.set(r, v)
    }

    /// Reads X\[n\] with register 31 as XZR.
    #[inline]
    pub fn x(&self, n: u32) -> u64 {
        if n == 31 { 0 } else { self.state.x[n as usize] }
    }

    /// Writes X\[n\]; register 31 (XZR) discards.
    #[inline]
    pub fn set_x(&mut self, n: u32, v: u64) {
        if n != 31 {
            self.state.x[n as usize] = v;
        }
    }

    /// Reads X\[n\] with register 31 as the current SP.
    #[inline]
    pub fn x_or_sp(&self, n: u32) -> u64 {
        if n == 31 {
            self.sp()
        } else {
            self.state.x[n as usize]
        }
    }

    /// Writes X\[n\] with register 31 as the current SP.
    #[inline]
    pub fn set_x_or_sp(&mut self, n: u32, v: u64) {
        if n == 31 {
            self.set_sp(v)
        } else {
            self.state.x[n as usize] = v
        }
    }

    /// The current stack pointer (SP_EL0 or SP_ELx per PSTATE.SP).
    #[inline]
    pub fn sp(&self) -> u64 {
        let p = &self.state.pstate;
        self.state.sp_el[if p.sp { p.el as usize } else { 0 }]
    }

    #[inline]
    pub fn set_sp(&mut self, v: u64) {
        let p = &self.state.pstate;
        let i = if p.sp { p.el as usize } else { 0 };
        self.state.sp_el[i] = v;
    }

    /// SCR_EL3.NS.
    #[inline]
    pub fn scr_ns(&self) -> bool {
        self.sr(SysReg::SCR_EL3) & 1 != 0
    }

    /// SCR_EL3.NSE (FEAT_RME).
    #[inline]
    pub fn scr_nse(&self) -> bool {
        self.features.rme && self.sr(SysReg::SCR_EL3) & (1 << 62) != 0
    }

    /// The security state of exception level `el` given SCR_EL3 (Arm ARM
    /// `SecurityStateAtEL()`): EL3 is Root; below EL3, `{NSE, NS}` decide.
    /// The reserved `{1, 0}` below EL3 is reported as Root (an ERET there is
    /// an illegal exception return, so no lower EL runs with it).
    pub fn security_state_at(&self, el: u8) -> SecurityState {
        if el == 3 {
            return SecurityState::Root;
        }
        SecurityState::from_scr_bits(self.scr_nse(), self.scr_ns()).unwrap_or(SecurityState::Root)
    }

    /// `CurrentSecurityState()`.
    #[inline]
    pub fn security_state(&self) -> SecurityState {
        self.security_state_at(self.el())
    }

    /// The physical address space of an untranslated access by the current
    /// context (MMU off: the security state's own PAS).
    pub fn default_pas(&self) -> Pas {
        self.security_state().default_pas()
    }

    /// `EL2Enabled()`: EL2 exists in the current security state. With
    /// FEAT_RME, Non-secure and Realm always have EL2; Secure has it when
    /// SCR_EL3.EEL2 == 1 (FEAT_SEL2).
    pub fn el2_enabled_in(&self, state: SecurityState) -> bool {
        match state {
            SecurityState::NonSecure | SecurityState::Realm => true,
            SecurityState::Secure => {
                self.features.sel2 && self.sr(SysReg::SCR_EL3) & (1 << 18) != 0
            }
            SecurityState::Root => false,
        }
    }

    #[inline]
    pub fn el2_enabled(&self) -> bool {
        self.el2_enabled_in(self.security_state_at(self.el().min(2)))
    }

    /// HCR_EL2 as it applies now: zero when EL2 is not enabled in the current
    /// security state (Arm ARM: HCR_EL2 "behaves as 0 for all purposes other
    /// than direct reads" then).
    #[inline]
    pub fn hcr_el2(&self) -> u64 {
        if self.el2_enabled() {
            self.sr(SysReg::HCR_EL2)
        } else {
            0
        }
    }

    /// HCR_EL2.{E2H, TGE} == {1, 1}: the EL2&0 host regime.
    #[inline]
    pub fn in_host(&self) -> bool {
        let h = self.hcr_el2();
        h & HCR_E2H != 0 && h & HCR_TGE != 0
    }

    /// Ends the current decoded block: the next fetch re-validates caches.
    pub fn invalidate_decode_cache(&mut self) {
        self.decode_cache.clear();
    }

    /// Asks the PE to leave WFE (an SEV from another PE, or the platform).
    pub fn send_event(&mut self) {
        self.event_register = true;
        if self.wait == WaitState::Event {
            self.wait = WaitState::Running;
        }
    }

    /// Was SEV executed since the last call? (The machine broadcasts it.)
    pub fn take_sev(&mut self) -> bool {
        std::mem::take(&mut self.sev_pending)
    }

    /// Was a broadcast TLBI executed since the last call? (The machine
    /// invalidates the other PEs' TLBs.)
    pub fn take_tlbi_broadcast(&mut self) -> bool {
        std::mem::take(&mut self.tlbi_broadcast)
    }

    /// Holds the PE powered off until [`Cpu::power_on`].
    pub fn power_off(&mut self) {
        self.wait = WaitState::Off;
    }

    /// Powers the PE on with a cold reset at RVBAR.
    pub fn power_on(&mut self) {
        self.reset();
    }
}

// HCR_EL2 bits used across the crate (Arm ARM D23.2.54).
pub const HCR_VM: u64 = 1 << 0;
pub const HCR_FMO: u64 = 1 << 3;
pub const HCR_IMO: u64 = 1 << 4;
pub const HCR_AMO: u64 = 1 << 5;
pub const HCR_VF: u64 = 1 << 6;
pub const HCR_VI: u64 = 1 << 7;
pub const HCR_VSE: u64 = 1 << 8;
pub const HCR_TWI: u64 = 1 << 13;
pub const HCR_TWE: u64 = 1 << 14;
pub const HCR_TID1: u64 = 1 << 16;
pub const HCR_TID2: u64 = 1 << 17;
pub const HCR_TID3: u64 = 1 << 18;
pub const HCR_TSC: u64 = 1 << 19;
pub const HCR_TACR: u64 = 1 << 21;
pub const HCR_TVM: u64 = 1 << 26;
pub const HCR_TGE: u64 = 1 << 27;
pub const HCR_TDZ: u64 = 1 << 28;
pub const HCR_TRVM: u64 = 1 << 30;
pub const HCR_DC: u64 = 1 << 12;
pub const HCR_TEA: u64 = 1 << 37;
pub const HCR_TLOR: u64 = 1 << 35;
pub const HCR_E2H: u64 = 1 << 34;
pub const HCR_APK: u64 = 1 << 40;
pub const HCR_GPF: u64 = 1 << 38;
pub const HCR_API: u64 = 1 << 41;

// SCR_EL3 bits (Arm ARM D23.2.116).
pub const SCR_NS: u64 = 1 << 0;
pub const SCR_IRQ: u64 = 1 << 1;
pub const SCR_FIQ: u64 = 1 << 2;
pub const SCR_EA: u64 = 1 << 3;
pub const SCR_SMD: u64 = 1 << 7;
pub const SCR_HCE: u64 = 1 << 8;
pub const SCR_RW: u64 = 1 << 10;
pub const SCR_TWI: u64 = 1 << 12;
pub const SCR_TWE: u64 = 1 << 13;
pub const SCR_APK: u64 = 1 << 16;
pub const SCR_API: u64 = 1 << 17;
pub const SCR_EEL2: u64 = 1 << 18;
pub const SCR_NSE: u64 = 1 << 62;
pub const SCR_SIF: u64 = 1 << 9;
pub const SCR_GPF: u64 = 1 << 48;

// SCTLR_ELx bits (Arm ARM D23.2.118).
pub const SCTLR_M: u64 = 1 << 0;
pub const SCTLR_A: u64 = 1 << 1;
pub const SCTLR_SA: u64 = 1 << 3;
pub const SCTLR_SA0: u64 = 1 << 4;
pub const SCTLR_UMA: u64 = 1 << 9;
pub const SCTLR_DZE: u64 = 1 << 14;
pub const SCTLR_UCT: u64 = 1 << 15;
pub const SCTLR_NTWI: u64 = 1 << 16;
pub const SCTLR_NTWE: u64 = 1 << 18;
pub const SCTLR_SPAN: u64 = 1 << 23;
pub const SCTLR_ENDB: u64 = 1 << 13;
pub const SCTLR_ENDA: u64 = 1 << 27;
pub const SCTLR_ENIB: u64 = 1 << 30;
pub const SCTLR_ENIA: u64 = 1 << 31;
pub const SCTLR_DSSBS: u64 = 1 << 44;
