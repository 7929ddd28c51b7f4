//! How a CPU reaches its GIC CPU interface (DESIGN.md: rme-cpu defines the
//! trait, the emulator wires a concrete GIC behind it). The ICC_* system
//! registers (GICv3 IHI0069 chapter 12) and the virtual interface's ICH_*_EL2
//! (whose state, like the ICC state, the GIC keeps per PE) are forwarded to
//! the port, which also resolves ICC encodings accessed at EL1 under
//! HCR_EL2.IMO/FMO to ICV_*; the port tells which of IRQ/FIQ the GIC asserts
//! for the PE in its current context and which of the virtual IRQ/FIQ its
//! virtual CPU interface asserts, and receives the PPIs of the PE's generic
//! timers.

use crate::cpu::*;
use crate::sysreg::table::{SysReg, SysRegEnc};

/// The PE context a GIC CPU interface access or signal depends on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuIfContext {
    pub el: u8,
    /// Secure state, or EL3 (Root).
    pub secure: bool,
    pub scr_ns: bool,
    pub scr_irq: bool,
    pub scr_fiq: bool,
    /// Effective HCR_EL2.IMO/FMO at EL1 (virtual interface).
    pub hcr_imo: bool,
    pub hcr_fmo: bool,
    /// EL2 is enabled in the current Security state (ICH_HCR_EL2 traps).
    pub el2: bool,
}

/// Why an ICC access did not complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpuIfError {
    Undefined,
    TrapEl2,
    TrapEl3,
}

/// A GIC CPU interface as a CPU sees it.
pub trait GicCpuPort: Send + Sync {
    /// MRS of `enc`; `None` when `enc` is not a CPU interface register.
    fn read(&self, cpu: usize, enc: SysRegEnc, ctx: CpuIfContext) -> Option<Result<u64, CpuIfError>>;
    /// MSR of `enc`; `None` when `enc` is not a CPU interface register.
    fn write(&self, cpu: usize, enc: SysRegEnc, ctx: CpuIfContext, value: u64) -> Option<Result<(), CpuIfError>>;
    /// (IRQ, FIQ) the GIC asserts for this PE in context `ctx`.
    fn signals(&self, cpu: usize, ctx: CpuIfContext) -> (bool, bool);
    /// (vIRQ, vFIQ) the GIC's virtual CPU interface asserts for this PE
    /// (ICH_HCR_EL2.En and a list register it can signal). Default: none.
    fn virtual_signals(&self, _cpu: usize) -> (bool, bool) {
        (false, false)
    }
    /// Changes whenever `signals` or `virtual_signals` may have changed.
    fn generation(&self) -> u64;
    /// Drives the level of one of this PE's PPIs (the generic timers).
    fn set_ppi(&self, cpu: usize, intid: u32, level: bool);
    /// The redistributor has an interrupt for a sleeping PE (wakes WFI).
    fn wake_request(&self, cpu: usize) -> bool;
}

impl Cpu {
    /// The CPU interface context of the current PSTATE and SCR/HCR.
    pub fn cpu_if_context(&self) -> CpuIfContext {
        let el = self.el();
        let scr = self.sr(SysReg::SCR_EL3);
        let hcr = if el == 1 { self.hcr_el2() } else { 0 };
        CpuIfContext {
            el,
            secure: el == 3 || self.security_state() == rme_mmu::SecurityState::Secure,
            scr_ns: scr & SCR_NS != 0,
            scr_irq: scr & SCR_IRQ != 0,
            scr_fiq: scr & SCR_FIQ != 0,
            hcr_imo: hcr & (HCR_IMO | HCR_TGE) != 0,
            hcr_fmo: hcr & (HCR_FMO | HCR_TGE) != 0,
            el2: self.el2_enabled(),
        }
    }

    /// Refreshes the IRQ/FIQ inputs from the GIC when its state or the PE's
    /// context changed since the last look.
    #[inline]
    pub(crate) fn refresh_gic_lines(&mut self) {
        let Some(port) = self.gic.as_ref() else { return };
        let key = (port.generation(), self.el(), self.sr(SysReg::SCR_EL3), self.sr(SysReg::HCR_EL2));
        if key == self.gic_seen {
            return;
        }
        let ctx = self.cpu_if_context();
        let (irq, fiq) = port.signals(self.index as usize, ctx);
        let (virq, vfiq) = port.virtual_signals(self.index as usize);
        self.lines.irq = irq;
        self.lines.fiq = fiq;
        self.lines.virq = virq;
        self.lines.vfiq = vfiq;
        self.gic_seen = key;
    }

    /// Does `enc` belong to the GIC CPU interface block (CRn = 12, or
    /// ICC_PMR_EL1 at CRn = 4, CRm = 6)?
    pub(crate) fn is_cpu_if_encoding(enc: SysRegEnc) -> bool {
        enc.op0() == 3 && (enc.crn() == 12 || (enc.crn() == 4 && enc.crm() == 6))
    }
}
