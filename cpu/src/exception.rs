//! The AArch64 exception model (Arm ARM D1.3 "Exceptions", D1.10-D1.12):
//! synchronous exceptions with their syndromes, asynchronous exceptions
//! (IRQ, FIQ, SError and their virtual forms) with routing and masking,
//! exception entry (`AArch64.TakeException`) and return (`AArch64.ExceptionReturn`).

use crate::cpu::*;
use crate::pstate::*;
use crate::sysreg::table::SysReg;
use rme_mmu::SecurityState;

/// A synchronous exception raised by an instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exception {
    /// EC 0x00: UNDEFINED instruction.
    Undefined,
    /// EC 0x0E: executed with PSTATE.IL set.
    IllegalState,
    /// EC 0x15/0x16/0x17: SVC/HVC/SMC with their immediate.
    Svc(u16),
    Hvc(u16),
    Smc(u16),
    /// EC 0x17 taken to EL2: SMC trapped by HCR_EL2.TSC.
    SmcTrap(u16),
    /// EC 0x18: MSR/MRS/system instruction trapped to `to_el`.
    SysRegTrap { to_el: u8, iss: u32 },
    /// EC 0x01: WFI/WFE trapped to `to_el`.
    WfxTrap { to_el: u8, iss: u32 },
    /// EC 0x09: PAuth instruction trapped (HCR_EL2.API / SCR_EL3.API).
    PauthTrap { to_el: u8 },
    /// EC 0x20/0x21 (instruction) or 0x24/0x25 (data): an abort.
    Abort(Abort),
    /// EC 0x1E: a Granule Protection Check exception, taken to EL3.
    Gpc(GpcException),
    /// EC 0x22: PC alignment fault.
    PcAlignment { va: u64 },
    /// EC 0x26: SP alignment fault.
    SpAlignment,
    /// EC 0x3C: BRK with its immediate.
    Brk(u16),
    /// Not a guest exception: the emulator cannot execute this yet. The run
    /// loop stops with a clear message instead of guessing.
    Unimplemented(&'static str),
}

/// Where an abort is taken (Arm ARM D8.15 "Memory aborts", routing rules).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AbortRoute {
    /// The EL of the translation regime (EL1, or EL2 under HCR_EL2.TGE).
    Regime,
    /// A synchronous External abort: SCR_EL3.EA, then HCR_EL2.TEA.
    External,
    /// A stage 2 fault: EL2, with HPFAR_EL2 = this value.
    Stage2 { hpfar: u64 },
    /// A Granule Protection Fault reported as an abort: HCR_EL2.GPF routes
    /// it from EL0/EL1 to EL2.
    Gpf,
}

/// An Instruction or Data Abort and its ESR ISS fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Abort {
    /// The faulting virtual address (FAR_ELx).
    pub va: u64,
    /// Instruction fetch (Instruction Abort) or data access (Data Abort).
    pub fetch: bool,
    /// IFSC/DFSC.
    pub fsc: u8,
    pub wnr: bool,
    /// Cache maintenance instruction (ISS.CM).
    pub cm: bool,
    /// Stage 2 fault on a stage 1 translation table walk (ISS.S1PTW).
    pub s1ptw: bool,
    pub route: AbortRoute,
}

impl Abort {
    /// A data abort routed to the regime's EL.
    pub fn data(va: u64, fsc: u8, wnr: bool) -> Abort {
        Abort { va, fetch: false, fsc, wnr, cm: false, s1ptw: false, route: AbortRoute::Regime }
    }
    /// An Alignment fault on a data access.
    pub fn alignment(va: u64, wnr: bool) -> Exception {
        Exception::Abort(Abort::data(va, fsc::ALIGNMENT, wnr))
    }
    /// A synchronous External abort (not on a walk) from the bus.
    pub fn external(va: u64, fetch: bool, wnr: bool) -> Exception {
        Exception::Abort(Abort { va, fetch, fsc: fsc::EXTERNAL, wnr, cm: false, s1ptw: false, route: AbortRoute::External })
    }
}

/// A GPC exception (EC 0x1E, Arm ARM D9 "The Granule Protection Check
/// Mechanism"; ISS: S2PTW\[21\], InD\[20\], GPCSC\[19:14\], CM\[8\], S1PTW\[7\],
/// WnR\[6\], xFSC\[5:0\]); MFAR_EL3 gets the PA and its PAS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GpcException {
    pub va: u64,
    pub pa: u64,
    pub pas: rme_mmu::Pas,
    pub gpcsc: u8,
    pub fetch: bool,
    pub wnr: bool,
    pub s1ptw: bool,
    /// The fault was on a stage 2 translation table walk (ISS.S2PTW).
    pub s2ptw: bool,
    /// The FSC an Instruction/Data Abort would report for a GPF.
    pub xfsc: u8,
    /// The access was a cache maintenance or address translation
    /// instruction (ISS.CM).
    pub cm: bool,
}

/// Fault status codes (Arm ARM ESR_ELx.DFSC/IFSC).
pub mod fsc {
    /// Address size fault, level 0 of translation or translation table base register.
    pub const ADDRESS_SIZE_L0: u8 = 0b00_0000;
    /// Synchronous External abort, not on translation table walk.
    pub const EXTERNAL: u8 = 0b01_0000;
    /// Alignment fault.
    pub const ALIGNMENT: u8 = 0b10_0001;
}

/// Kinds of exception for the vector offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExceptionKind {
    Sync,
    Irq,
    Fiq,
    SError,
}

/// What was taken, for tests, traces and the oracle harness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExceptionRecord {
    pub kind: ExceptionKind,
    pub from_el: u8,
    pub target_el: u8,
    /// ESR_ELx.EC (0 for interrupts, which write no syndrome).
    pub ec: u8,
    pub iss: u32,
    pub far: Option<u64>,
    /// Preferred return address written to ELR_ELx.
    pub elr: u64,
}

fn esr_reg(el: u8) -> SysReg {
    match el {
        1 => SysReg::ESR_EL1,
        2 => SysReg::ESR_EL2,
        _ => SysReg::ESR_EL3,
    }
}
fn far_reg(el: u8) -> SysReg {
    match el {
        1 => SysReg::FAR_EL1,
        2 => SysReg::FAR_EL2,
        _ => SysReg::FAR_EL3,
    }
}
pub(crate) fn elr_reg(el: u8) -> SysReg {
    match el {
        1 => SysReg::ELR_EL1,
        2 => SysReg::ELR_EL2,
        _ => SysReg::ELR_EL3,
    }
}
pub(crate) fn spsr_reg(el: u8) -> SysReg {
    match el {
        1 => SysReg::SPSR_EL1,
        2 => SysReg::SPSR_EL2,
        _ => SysReg::SPSR_EL3,
    }
}
pub(crate) fn vbar_reg(el: u8) -> SysReg {
    match el {
        1 => SysReg::VBAR_EL1,
        2 => SysReg::VBAR_EL2,
        _ => SysReg::VBAR_EL3,
    }
}
pub(crate) fn sctlr_reg(el: u8) -> SysReg {
    match el {
        0 | 1 => SysReg::SCTLR_EL1,
        2 => SysReg::SCTLR_EL2,
        _ => SysReg::SCTLR_EL3,
    }
}

impl Cpu {
    /// The EL a synchronous exception "to EL1" from the current EL goes to
    /// (Arm ARM: EL0 exceptions go to EL2 when HCR_EL2.TGE == 1).
    fn sync_default_target(&self) -> u8 {
        match self.el() {
            0 => self.el1_trap_target(),
            el => el,
        }
    }

    /// Routing of a synchronous External abort: SCR_EL3.EA -> EL3, then
    /// HCR_EL2.TEA (or TGE) -> EL2 from EL0/EL1.
    fn external_abort_target(&self) -> u8 {
        let el = self.el();
        if self.sr(SysReg::SCR_EL3) & SCR_EA != 0 {
            return 3;
        }
        if el <= 1 && self.hcr_el2() & HCR_TEA != 0 {
            return 2;
        }
        self.sync_default_target()
    }

    /// Target EL, EC, ISS and FAR of a synchronous exception.
    fn syndrome(&self, e: Exception) -> (u8, u8, u32, Option<u64>) {
        let el = self.el();
        let def = self.sync_default_target();
        let same_or_lower = |t: u8, lower: u8| if t == el { lower + 1 } else { lower };
        match e {
            Exception::Undefined => (def, 0x00, 0, None),
            Exception::IllegalState => (def, 0x0E, 0, None),
            Exception::Svc(imm) => (def, 0x15, imm as u32, None),
            Exception::Hvc(imm) => (if el == 3 { 3 } else { 2 }, 0x16, imm as u32, None),
            Exception::Smc(imm) => (3, 0x17, imm as u32, None),
            Exception::SmcTrap(imm) => (2, 0x17, imm as u32, None),
            Exception::SysRegTrap { to_el, iss } => (to_el, 0x18, iss, None),
            Exception::WfxTrap { to_el, iss } => (to_el, 0x01, iss, None),
            Exception::PauthTrap { to_el } => (to_el, 0x09, 0, None),
            Exception::PcAlignment { va } => (def, 0x22, 0, Some(va)),
            Exception::SpAlignment => (def, 0x26, 0, None),
            Exception::Brk(imm) => {
                // MDCR_EL2.TDE routes debug exceptions from EL0/EL1 to EL2.
                let t = if el <= 1 && self.el2_enabled() && self.sr(SysReg::MDCR_EL2) & (1 << 8) != 0 { 2 } else { def };
                (t, 0x3C, imm as u32, None)
            }
            Exception::Abort(a) => {
                let t = match a.route {
                    AbortRoute::Regime => def,
                    AbortRoute::External => self.external_abort_target(),
                    AbortRoute::Stage2 { .. } => 2,
                    AbortRoute::Gpf => {
                        if el <= 1 && self.hcr_el2() & HCR_GPF != 0 { 2 } else { def }
                    }
                };
                let ec = if a.fetch { same_or_lower(t, 0x20) } else { same_or_lower(t, 0x24) };
                let mut iss = a.fsc as u32 | (a.s1ptw as u32) << 7;
                if !a.fetch {
                    iss |= (a.wnr as u32) << 6 | (a.cm as u32) << 8;
                }
                (t, ec, iss, Some(a.va))
            }
            Exception::Gpc(g) => {
                let iss = (g.s2ptw as u32) << 21
                    | (g.fetch as u32) << 20
                    | (g.gpcsc as u32) << 14
                    | (g.s1ptw as u32) << 7
                    | ((!g.fetch && g.wnr) as u32) << 6
                    | (g.cm as u32) << 8
                    | g.xfsc as u32;
                (3, 0x1E, iss, Some(g.va))
            }
            Exception::Unimplemented(_) => (def, 0x00, 0, None),
        }
    }

    /// Takes a synchronous exception raised by the instruction at PC.
    pub fn take_sync(&mut self, e: Exception) {
        let (target, ec, iss, far) = self.syndrome(e);
        let pc = self.state.pc;
        // ESR_ELx.IL = 1: every A64 instruction is 32 bits. (IL is 1 for
        // most ECs; for EC 0x0E/0x22/0x26/aborts it reports the size too.)
        let esr = (ec as u64) << 26 | 1 << 25 | iss as u64;
        match e {
            Exception::Abort(Abort { route: AbortRoute::Stage2 { hpfar }, .. }) => self.set_sr(SysReg::HPFAR_EL2, hpfar),
            Exception::Gpc(g) => self.set_sr(SysReg::MFAR_EL3, rme_mmu::gpc::mfar_el3(g.pa, g.pas)),
            _ => {}
        }
        self.enter_exception(ExceptionKind::Sync, target, pc, Some(esr), far);
        if let Some(r) = self.last_exception.as_mut() {
            r.ec = ec;
            r.iss = iss;
        }
    }

    /// `AArch64.TakeException`: writes SPSR/ELR/ESR/FAR of `target`, updates
    /// PSTATE and branches to the vector.
    pub(crate) fn enter_exception(&mut self, kind: ExceptionKind, target: u8, preferred_return: u64, esr: Option<u64>, far: Option<u64>) {
        let from_el = self.el();
        let p = self.state.pstate;
        let spsr = p.to_spsr();
        self.set_sr(spsr_reg(target), spsr);
        self.set_sr(elr_reg(target), preferred_return);
        if let Some(esr) = esr {
            self.set_sr(esr_reg(target), esr);
        }
        if let Some(far) = far {
            self.set_sr(far_reg(target), far);
        }
        let base = match kind {
            ExceptionKind::Sync => 0x000,
            ExceptionKind::Irq => 0x080,
            ExceptionKind::Fiq => 0x100,
            ExceptionKind::SError => 0x180,
        };
        let offset = if from_el < target {
            0x400
        } else if p.sp {
            0x200
        } else {
            0x000
        };
        let sctlr = self.sr(sctlr_reg(target));
        let np = &mut self.state.pstate;
        np.el = target;
        np.sp = true;
        np.d = true;
        np.a = true;
        np.i = true;
        np.f = true;
        np.il = false;
        np.ss = false;
        np.btype = 0;
        np.uao = false;
        // PSTATE.PAN is set on entry to EL1 (or EL2 in the host regime) when
        // SCTLR_ELx.SPAN == 0 (FEAT_PAN).
        let host = target == 2 && self.sr(SysReg::HCR_EL2) & (HCR_E2H | HCR_TGE) == HCR_E2H | HCR_TGE;
        if self.features.pan && (target == 1 || host) && sctlr & SCTLR_SPAN == 0 {
            self.state.pstate.pan = true;
        }
        if self.features.ssbs {
            self.state.pstate.ssbs = sctlr & SCTLR_DSSBS != 0;
        }
        self.state.pc = self.sr(vbar_reg(target)) + base + offset;
        self.last_exception = Some(ExceptionRecord {
            kind,
            from_el,
            target_el: target,
            ec: 0,
            iss: 0,
            far,
            elr: preferred_return,
        });
        tracing::trace!(target: "cpu", cpu = self.index, ?kind, from_el, target, esr = ?esr.map(|e| format!("{e:#x}")), elr = format_args!("{preferred_return:#x}"), "exception taken");
    }

    /// `AArch64.ExceptionReturn` (ERET): restores PSTATE from SPSR_ELx and
    /// PC from ELR_ELx; an illegal return sets PSTATE.IL and stays at this EL
    /// (Arm ARM D1.12.3 "Illegal return events from AArch64 state").
    pub fn exception_return(&mut self) {
        let el = self.el();
        let spsr = self.sr(spsr_reg(el));
        let elr = self.sr(elr_reg(el));
        self.monitor.clear();
        let target_el = ((spsr >> 2) & 3) as u8;
        let m = spsr & 0x1f;
        let illegal = self.illegal_return(spsr, target_el);
        let mut p = self.state.pstate;
        p.set_from_spsr_fields(spsr);
        if illegal {
            p.il = true;
            // EL and SP are unchanged.
            p.el = self.state.pstate.el;
            p.sp = self.state.pstate.sp;
        } else {
            p.el = target_el;
            p.sp = m & 1 != 0;
        }
        if !self.features.pan {
            p.pan = false;
        }
        self.state.pstate = p;
        // The PC is restored as-is; a misaligned one faults on the next fetch.
        self.state.pc = elr;
        tracing::trace!(target: "cpu", cpu = self.index, from_el = el, to_el = p.el, illegal, pc = format_args!("{elr:#x}"), "eret");
    }

    fn illegal_return(&self, spsr: u64, target_el: u8) -> bool {
        let el = self.el();
        let m = spsr & 0x1f;
        if spsr & SPSR_M4 != 0 {
            return true; // AArch32 is not implemented
        }
        if m & 0b10 != 0 || (target_el == 0 && m & 1 != 0) {
            return true; // reserved M[1], or EL0 with SP_ELx
        }
        if target_el > el {
            return true;
        }
        // The security state the lower EL will run in.
        let state = if el == 3 && target_el < 3 {
            match SecurityState::from_scr_bits(self.scr_nse(), self.scr_ns()) {
                Some(s) => s,
                None => return true, // (NSE, NS) = (1, 0) below EL3
            }
        } else {
            self.security_state()
        };
        if target_el == 2 && !self.el2_enabled_in(state) {
            return true;
        }
        if target_el == 1 && self.el2_enabled_in(state) && self.sr(SysReg::HCR_EL2) & HCR_TGE != 0 {
            return true;
        }
        false
    }

    /// Checks the interrupt lines and takes the highest-priority pending,
    /// unmasked interrupt (Arm ARM D1.3.6 "Asynchronous exception routing",
    /// tables of masking by PSTATE.{A,I,F} and target EL). Returns true when
    /// one was taken.
    pub fn check_interrupts(&mut self) -> bool {
        if self.now_ns() >= self.next_timer_ns {
            self.update_timers();
        }
        self.refresh_gic_lines();
        // Fast path: no physical line raised, no virtual interrupt from the
        // GIC's virtual CPU interface and no virtual interrupt bit set.
        if !(self.lines.irq || self.lines.fiq || self.lines.serror || self.lines.virq || self.lines.vfiq)
            && self.sr(SysReg::HCR_EL2) & (HCR_VI | HCR_VF | HCR_VSE) == 0
        {
            return false;
        }
        let el = self.el();
        let scr = self.sr(SysReg::SCR_EL3);
        let hcr = self.hcr_el2();
        let p = self.state.pstate;
        let el2_route = |bit: u64| hcr & bit != 0 || hcr & HCR_TGE != 0;
        // Physical: (pending, SCR route bit, HCR route bit, PSTATE mask, kind)
        let phys = [
            (self.lines.serror, SCR_EA, HCR_AMO, p.a, ExceptionKind::SError),
            (self.lines.fiq, SCR_FIQ, HCR_FMO, p.f, ExceptionKind::Fiq),
            (self.lines.irq, SCR_IRQ, HCR_IMO, p.i, ExceptionKind::Irq),
        ];
        for (pending, scr_bit, hcr_bit, masked, kind) in phys {
            if !pending {
                continue;
            }
            let target = if scr & scr_bit != 0 {
                3
            } else if el2_route(hcr_bit) {
                2
            } else {
                1
            };
            if target < el {
                continue; // never taken to a lower EL; stays pending
            }
            if target == el && masked {
                continue;
            }
            // Taken to a higher EL: not maskable by PSTATE (EL2/EL3 routes).
            // A target of EL1 from EL0 is subject to the mask.
            if target == 1 && masked {
                continue;
            }
            let pc = self.state.pc;
            self.enter_exception(kind, target, pc, None, None);
            return true;
        }
        // Virtual interrupts (HCR_EL2.VSE/VF/VI with AMO/FMO/IMO, and the
        // vFIQ/vIRQ of the GIC virtual CPU interface, IHI 0069 6.1: Group 0
        // is vFIQ, Group 1 vIRQ), at EL0/EL1 of a state with EL2, not in the
        // host regime; masked by PSTATE.A/F/I.
        if el <= 1 && hcr & HCR_TGE == 0 {
            let (vfiq, virq) = (hcr & HCR_VF != 0 || self.lines.vfiq, hcr & HCR_VI != 0 || self.lines.virq);
            let virt = [
                (hcr & HCR_VSE != 0 && hcr & HCR_AMO != 0, p.a, ExceptionKind::SError),
                (vfiq && hcr & HCR_FMO != 0, p.f, ExceptionKind::Fiq),
                (virq && hcr & HCR_IMO != 0, p.i, ExceptionKind::Irq),
            ];
            for (pending, masked, kind) in virt {
                if pending && !masked {
                    let pc = self.state.pc;
                    self.enter_exception(kind, 1, pc, None, None);
                    if kind == ExceptionKind::SError {
                        // The virtual SError is consumed when taken.
                        let h = self.sr(SysReg::HCR_EL2) & !HCR_VSE;
                        self.set_sr(SysReg::HCR_EL2, h);
                    }
                    return true;
                }
            }
        }
        false
    }

    /// Is any interrupt pending that would wake a WFI (masked or not)?
    pub fn wfi_wakeup_pending(&mut self) -> bool {
        if self.now_ns() >= self.next_timer_ns {
            self.update_timers();
        }
        self.refresh_gic_lines();
        // The Redistributor's wake request (GICR_WAKER.ProcessorSleep = 1
        // with an interrupt pending for the PE) is not a WFI wake-up: it
        // goes to the power controller, which powers an off PE back on
        // (the machine does that). With ProcessorSleep set the GIC does
        // not signal the CPU interface, so a PE that has turned its
        // interface off before powering down (TF-A's PSCI) does enter WFI.
        let hcr = self.hcr_el2();
        let l = self.lines;
        let virtual_pending = hcr & HCR_TGE == 0
            && (((hcr & HCR_VI != 0 || l.virq) && hcr & HCR_IMO != 0)
                || ((hcr & HCR_VF != 0 || l.vfiq) && hcr & HCR_FMO != 0)
                || (hcr & HCR_VSE != 0 && hcr & HCR_AMO != 0));
        l.irq || l.fiq || l.serror || (self.el() <= 1 && virtual_pending)
    }
}
