//! Read/write hooks: registers whose value is not (only) the stored word.

use super::table::SysReg;
use crate::cpu::*;

/// FEAT_RNG: a deterministic xorshift64* stream per CPU, so runs repeat.
/// (Architecturally any "random" value is allowed; determinism is ours.)
fn next_random(cpu: &mut Cpu) -> u64 {
    let mut x = cpu.rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    cpu.rng_state = x;
    x.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

fn physical_count(cpu: &Cpu) -> u64 {
    cpu.physical_count()
}

pub fn read(cpu: &mut Cpu, r: SysReg) -> u64 {
    if let Some((t, reg)) = crate::generic_timer::Timer::of(r) {
        return cpu.timer_read(t, reg);
    }
    if let Some(v) = pmu::read(cpu, r) {
        return v;
    }
    let p = &cpu.state.pstate;
    match r {
        SysReg::NZCV => p.nzcv(),
        SysReg::DAIF => p.daif(),
        SysReg::CurrentEL => (p.el as u64) << 2,
        SysReg::SPSel => p.sp as u64,
        SysReg::PAN => (p.pan as u64) << 22,
        SysReg::UAO => (p.uao as u64) << 23,
        SysReg::DIT => (p.dit as u64) << 24,
        SysReg::SSBS => (p.ssbs as u64) << 12,
        SysReg::SP_EL0 => cpu.state.sp_el[0],
        SysReg::SP_EL1 => cpu.state.sp_el[1],
        SysReg::SP_EL2 => cpu.state.sp_el[2],
        // MIDR/MPIDR read at EL1 with EL2 enabled return the virtual values.
        SysReg::MIDR_EL1 if p.el == 1 && cpu.el2_enabled() => cpu.sr(SysReg::VPIDR_EL2),
        SysReg::MPIDR_EL1 if p.el == 1 && cpu.el2_enabled() => cpu.sr(SysReg::VMPIDR_EL2),
        SysReg::DCZID_EL0 => {
            // BS = 4 (64-byte blocks); DZP when DC ZVA is prohibited.
            let el = p.el;
            let prohibited = (el == 0 && !cpu.el0_sctlr_bit(SCTLR_DZE))
                || (el <= 1 && !cpu.in_host() && cpu.hcr_el2() & HCR_TDZ != 0);
            4 | (prohibited as u64) << 4
        }
        SysReg::ISR_EL1 => {
            // At EL1 each bit shows the virtual interrupt when HCR_EL2
            // routes that kind to EL2 (IMO/FMO/AMO), else the physical one.
            let l = cpu.lines;
            let hcr = cpu.hcr_el2();
            let virt = |bit: u64| p.el <= 1 && hcr & bit != 0;
            let irq = if virt(HCR_IMO) { hcr & HCR_VI != 0 || l.virq } else { l.irq };
            let fiq = if virt(HCR_FMO) { hcr & HCR_VF != 0 || l.vfiq } else { l.fiq };
            let se = if virt(HCR_AMO) { hcr & HCR_VSE != 0 } else { l.serror };
            (se as u64) << 8 | (irq as u64) << 7 | (fiq as u64) << 6
        }
        SysReg::RNDR | SysReg::RNDRRS => {
            cpu.state.pstate.set_nzcv(0);
            next_random(cpu)
        }
        SysReg::CNTPCT_EL0 => physical_count(cpu),
        SysReg::CNTVCT_EL0 => {
            // CNTVOFF_EL2 applies except in the EL2 host regime and at EL2/EL3
            // with E2H (Arm ARM D11.2.4); simplified to "except EL2 host".
            let off = if cpu.in_host() || !cpu.el2_enabled_in(cpu.security_state_at(2)) { 0 } else { cpu.sr(SysReg::CNTVOFF_EL2) };
            physical_count(cpu).wrapping_sub(off)
        }
        _ => cpu.sr(r),
    }
}

/// Registers a cached translation depends on: a write invalidates the TLB.
fn affects_translation(r: SysReg) -> bool {
    use SysReg::*;
    matches!(
        r,
        SCTLR_EL1 | SCTLR_EL2 | SCTLR_EL3 | TCR_EL1 | TCR_EL2 | TCR_EL3 | TTBR0_EL1 | TTBR1_EL1 | TTBR0_EL2
            | TTBR1_EL2 | TTBR0_EL3 | MAIR_EL1 | MAIR_EL2 | MAIR_EL3 | HCR_EL2 | SCR_EL3 | VTCR_EL2 | VTTBR_EL2
            | VSTCR_EL2 | VSTTBR_EL2 | GPCCR_EL3 | GPTBR_EL3 | CONTEXTIDR_EL1
    )
}

pub fn write(cpu: &mut Cpu, r: SysReg, v: u64) {
    if affects_translation(r) {
        cpu.tlb.flush();
    }
    if let Some((t, reg)) = crate::generic_timer::Timer::of(r) {
        return cpu.timer_write(t, reg, v);
    }
    if pmu::write(cpu, r, v) {
        return;
    }
    if r == SysReg::CNTVOFF_EL2 {
        cpu.set_sr(r, v);
        return cpu.update_timers();
    }
    let f = cpu.features;
    let p = &mut cpu.state.pstate;
    match r {
        SysReg::NZCV => p.set_nzcv(v),
        SysReg::DAIF => p.set_daif(v),
        SysReg::SPSel => p.sp = v & 1 != 0,
        SysReg::PAN => p.pan = f.pan && v & (1 << 22) != 0,
        SysReg::UAO => p.uao = f.uao && v & (1 << 23) != 0,
        SysReg::DIT => p.dit = f.dit && v & (1 << 24) != 0,
        SysReg::SSBS => p.ssbs = f.ssbs && v & (1 << 12) != 0,
        SysReg::SP_EL0 => cpu.state.sp_el[0] = v,
        SysReg::SP_EL1 => cpu.state.sp_el[1] = v,
        SysReg::SP_EL2 => cpu.state.sp_el[2] = v,
        SysReg::OSLAR_EL1 => {
            // OSLAR_EL1.OSLK -> OSLSR_EL1.OSLK (bit 1); OSLM stays 0b10.
            let lsr = cpu.sr(SysReg::OSLSR_EL1) & !2;
            cpu.set_sr(SysReg::OSLSR_EL1, lsr | (v & 1) << 1);
        }
        SysReg::SCR_EL3 => {
            // RES1 bits [5:4]; NSE only with FEAT_RME.
            let mut v = v | 0x30;
            if !f.rme {
                v &= !SCR_NSE;
            }
            cpu.set_sr(SysReg::SCR_EL3, v);
        }
        SysReg::HCR_EL2 => {
            let v = if f.vhe { v } else { v & !HCR_E2H };
            cpu.set_sr(SysReg::HCR_EL2, v);
        }
        SysReg::CSSELR_EL1 => cpu.set_sr(r, v & 0xf),
        // GPCCR_EL3: RES0 fields dropped, L0GPTSZ read-only (FEAT_RME).
        SysReg::GPCCR_EL3 => {
            let g = cpu.gpc_features().gpccr_write(v);
            cpu.set_sr(r, g);
        }
        SysReg::GPTBR_EL3 => cpu.set_sr(r, rme_mmu::gpc::Gptbr::write(v)),
        _ => cpu.set_sr(r, v),
    }
}

/// PMUv3 cycle counter (PMCCNTR_EL0): counts one per retired instruction
/// while PMCR_EL0.E and PMCNTENSET_EL0.C (bit 31) are set. The PMU has no
/// event counters (PMCR_EL0.N = 0).
pub(crate) mod pmu {
    use crate::cpu::Cpu;
    use crate::sysreg::table::SysReg;

    fn counting(cpu: &Cpu) -> bool {
        cpu.sr(SysReg::PMCR_EL0) & 1 != 0 && cpu.sr(SysReg::PMCNTENSET_EL0) & (1 << 31) != 0
    }

    /// Folds the instructions retired since the last sync into PMCCNTR.
    fn sync(cpu: &mut Cpu) {
        if counting(cpu) {
            let delta = cpu.retired - cpu.pmu_synced_retired;
            let v = cpu.sr(SysReg::PMCCNTR_EL0).wrapping_add(delta);
            cpu.set_sr(SysReg::PMCCNTR_EL0, v);
        }
        cpu.pmu_synced_retired = cpu.retired;
    }

    pub fn read(cpu: &mut Cpu, r: SysReg) -> Option<u64> {
        Some(match r {
            SysReg::PMCCNTR_EL0 => {
                sync(cpu);
                cpu.sr(r)
            }
            SysReg::PMCNTENCLR_EL0 => cpu.sr(SysReg::PMCNTENSET_EL0),
            SysReg::PMOVSCLR_EL0 => cpu.sr(SysReg::PMOVSSET_EL0),
            SysReg::PMINTENCLR_EL1 => cpu.sr(SysReg::PMINTENSET_EL1),
            SysReg::PMSWINC_EL0 => 0,
            // PMSELR_EL0.SEL = 31 selects PMCCFILTR_EL0; with N = 0 any
            // other selection reads as zero.
            SysReg::PMXEVTYPER_EL0 if cpu.sr(SysReg::PMSELR_EL0) & 0x1f == 31 => cpu.sr(SysReg::PMCCFILTR_EL0),
            SysReg::PMXEVTYPER_EL0 | SysReg::PMXEVCNTR_EL0 => 0,
            _ => return None,
        })
    }

    pub fn write(cpu: &mut Cpu, r: SysReg, v: u64) -> bool {
        const C: u64 = 1 << 31;
        match r {
            SysReg::PMCR_EL0 => {
                sync(cpu);
                if v & 4 != 0 {
                    cpu.set_sr(SysReg::PMCCNTR_EL0, 0); // PMCR_EL0.C: reset the cycle counter
                }
                // E, P, C, D, X, DP, LC, LP are writable; N (0) and IMP are not.
                let keep = cpu.sr(r) & !0xff;
                cpu.set_sr(r, keep | (v & 0xe9));
            }
            SysReg::PMCNTENSET_EL0 => {
                sync(cpu);
                let n = cpu.sr(r) | (v & C);
                cpu.set_sr(r, n);
            }
            SysReg::PMCNTENCLR_EL0 => {
                sync(cpu);
                let n = cpu.sr(SysReg::PMCNTENSET_EL0) & !(v & C);
                cpu.set_sr(SysReg::PMCNTENSET_EL0, n);
            }
            SysReg::PMOVSSET_EL0 => {
                let n = cpu.sr(r) | (v & C);
                cpu.set_sr(r, n);
            }
            SysReg::PMOVSCLR_EL0 => {
                let n = cpu.sr(SysReg::PMOVSSET_EL0) & !(v & C);
                cpu.set_sr(SysReg::PMOVSSET_EL0, n);
            }
            SysReg::PMINTENSET_EL1 => {
                let n = cpu.sr(r) | (v & C);
                cpu.set_sr(r, n);
            }
            SysReg::PMINTENCLR_EL1 => {
                let n = cpu.sr(SysReg::PMINTENSET_EL1) & !(v & C);
                cpu.set_sr(SysReg::PMINTENSET_EL1, n);
            }
            SysReg::PMCCNTR_EL0 => {
                sync(cpu);
                cpu.set_sr(r, v);
            }
            SysReg::PMXEVTYPER_EL0 if cpu.sr(SysReg::PMSELR_EL0) & 0x1f == 31 => cpu.set_sr(SysReg::PMCCFILTR_EL0, v),
            SysReg::PMXEVTYPER_EL0 | SysReg::PMXEVCNTR_EL0 | SysReg::PMSWINC_EL0 => {}
            SysReg::PMSELR_EL0 => cpu.set_sr(r, v & 0x1f),
            SysReg::PMUSERENR_EL0 => cpu.set_sr(r, v & 0xf),
            _ => return false,
        }
        true
    }
}
