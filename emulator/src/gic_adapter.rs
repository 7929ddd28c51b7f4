//! Connects the CPUs' GIC port (`rme_cpu::GicCpuPort`) to the concrete
//! GICv3 of `rme_gic`: ICC_* and ICH_* encodings are mapped to `IccReg`,
//! the PE context to `IccContext`, the timers' PPIs to the redistributors,
//! and the virtual CPU interface's vIRQ/vFIQ to the CPU's virtual lines.

use rme_cpu::gic_port::{CpuIfContext, CpuIfError, GicCpuPort};
use rme_cpu::sysreg::table::SysRegEnc;
use rme_gic::{Gic, IccContext, IccError, IccReg};
use std::sync::Arc;

/// The platform's GIC as every CPU's port.
pub struct GicPort(pub Arc<Gic>);

fn ctx(c: CpuIfContext) -> IccContext {
    IccContext {
        el: c.el,
        secure: c.secure,
        scr_ns: c.scr_ns,
        scr_irq: c.scr_irq,
        scr_fiq: c.scr_fiq,
        hcr_imo: c.hcr_imo,
        hcr_fmo: c.hcr_fmo,
        el2: c.el2,
    }
}

fn err(e: IccError) -> CpuIfError {
    match e {
        IccError::Undefined => CpuIfError::Undefined,
        IccError::TrapEl2 => CpuIfError::TrapEl2,
        IccError::TrapEl3 => CpuIfError::TrapEl3,
    }
}

fn reg(enc: SysRegEnc) -> Option<IccReg> {
    IccReg::from_encoding(
        enc.op0() as u8,
        enc.op1() as u8,
        enc.crn() as u8,
        enc.crm() as u8,
        enc.op2() as u8,
    )
}

impl GicCpuPort for GicPort {
    fn read(&self, cpu: usize, enc: SysRegEnc, c: CpuIfContext) -> Option<Result<u64, CpuIfError>> {
        let r = reg(enc)?;
        Some(self.0.icc_read(cpu, r, ctx(c)).map_err(err))
    }

    fn write(
        &self,
        cpu: usize,
        enc: SysRegEnc,
        c: CpuIfContext,
        value: u64,
    ) -> Option<Result<(), CpuIfError>> {
        let r = reg(enc)?;
        Some(self.0.icc_write(cpu, r, ctx(c), value).map_err(err))
    }

    fn signals(&self, cpu: usize, c: CpuIfContext) -> (bool, bool) {
        self.0.cpu_signals(cpu, ctx(c))
    }

    fn virtual_signals(&self, cpu: usize) -> (bool, bool) {
        self.0.virtual_signals(cpu)
    }

    fn generation(&self) -> u64 {
        self.0.generation()
    }

    fn set_ppi(&self, cpu: usize, intid: u32, level: bool) {
        self.0.set_ppi_level(cpu, intid, level)
    }

    fn wake_request(&self, cpu: usize) -> bool {
        self.0.wake_request(cpu)
    }
}
