//! AT (address translation) instructions writing PAR_EL1 (Arm ARM C5.5
//! "A64 system instructions for address translation"; PAR_EL1 in D24.2).
//!
//! The walk is the one loads and stores use (`rme_mmu::translation`,
//! with the GPC on every descriptor read), without the TLB. AT does not
//! access the output address, so no GPC check of it is made. A fault is
//! reported in PAR_EL1 (F = 1, FST, PTW, S), except a GPC exception on a
//! table walk, which is taken like for any other access.
//!
//! The stage 1 forms (S1E0*/S1E1*) give the stage 1 output address (an
//! IPA when stage 2 is enabled), their table walk translated by stage 2
//! like any EL1&0 walk (a stage 2 fault on it sets PAR_EL1.{S, PTW});
//! S12E0*/S12E1* give the PA after both stages.

use crate::cpu::Cpu;
use crate::exception::Exception;
use crate::memory::{Op, Stages};
use crate::sysreg::table::SysReg;
use rme_mmu::translation::{Access, AccessKind, FaultKind, Regime, Shareability};
use rme_mmu::{Pas, PhysBus};

impl Cpu {
    /// Executes AT `op1`, CRm = 0b1000, `op2` with the VA in `va`.
    pub fn address_translate(&mut self, bus: &PhysBus, op1: u32, op2: u32, va: u64) -> Result<(), Exception> {
        let el = self.el();
        let write = op2 & 1 == 1;
        // (regime, unprivileged, with stage 2, minimum EL)
        let (regime, el0, stage2, need) = match (op1, op2) {
            (0, 0..=3) => {
                let r = if el == 2 && self.in_host() { Regime::El20 } else { Regime::El10 };
                (r, op2 >= 2, false, 1)
            }
            (4, 0 | 1) => (self.regime_at(2), false, false, 2),
            (4, 4..=7) => (Regime::El10, op2 >= 6, true, 2),
            (6, 0 | 1) => (Regime::El3, false, false, 3),
            _ => return Err(Exception::Undefined),
        };
        if el < need {
            return Err(Exception::Undefined);
        }
        let access = Access {
            va,
            kind: if write { AccessKind::Write } else { AccessKind::Read },
            unprivileged: el0,
            pan: false,
            aligned: true,
        };
        let stages = if stage2 { Stages::Both } else { Stages::Stage1 };
        let par = match self.walk(bus, regime, &access, stages) {
            Ok(t) => {
                let (nse, ns) = t.pas.nse_ns();
                let sh: u64 = match t.attrs.shareability {
                    Shareability::NonShareable => 0b00,
                    Shareability::Outer => 0b10,
                    Shareability::Inner => 0b11,
                };
                (t.attrs.to_mair() as u64) << 56
                    | (t.pa & 0x000f_ffff_ffff_f000)
                    | (nse as u64) << 11
                    | (ns as u64) << 9
                    | sh << 7
            }
            Err(f) if f.kind == FaultKind::GranuleProtectionOnWalk => {
                let (pa, pas) = f.walk_pa.unwrap_or((0, Pas::Root));
                tracing::debug!(target: "mmu", pa = format_args!("{pa:#x}"), %pas, "AT: GPC fault on the walk");
                // `ReportAsGPCException`: a GPT fault, or a GPF below EL3
                // with SCR_EL3.GPF = 1, is taken as a GPC exception;
                // otherwise it is reported in PAR (FST = GPF on walk). ISS.CM
                // = 1: the fault comes from an address translation instruction.
                let op = if write { Op::Write } else { Op::Read };
                if let e @ Exception::Gpc(_) = self.translation_exception(f, op, true) {
                    return Err(e);
                }
                1 | (f.fsc() as u64) << 1 | (f.s1ptw as u64) << 8 | (f.is_stage2() as u64) << 9 | 1 << 11
            }
            Err(f) => 1 | (f.fsc() as u64) << 1 | (f.s1ptw as u64) << 8 | (f.is_stage2() as u64) << 9 | 1 << 11,
        };
        self.set_sr(SysReg::PAR_EL1, par);
        Ok(())
    }
}
