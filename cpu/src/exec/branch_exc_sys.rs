//! Branches, exception generating and system instructions (Arm ARM C4.1.87).

use super::alu::{condition_holds, sign_extend};
use super::pauth::{self, PacKey};
use super::Flow;
use crate::cpu::*;
use crate::exception::Exception;
use crate::sysreg::table::{SysReg, SysRegEnc};
use crate::sysreg::msr_mrs_iss;
use rme_mmu::PhysBus;

type R = Result<Flow, Exception>;

/// B.cond (BC.cond, FEAT_HBC, is not implemented).
pub fn branch_cond(cpu: &mut Cpu, o1: u32, imm19: u32, o0: u32, cond: u32) -> R {
    if o1 != 0 || o0 != 0 {
        return Err(Exception::Undefined);
    }
    if condition_holds(&cpu.state.pstate, cond) {
        cpu.state.pc = cpu.state.pc.wrapping_add(sign_extend((imm19 as u64) << 2, 21));
        return Ok(Flow::Jump);
    }
    Ok(Flow::Next)
}

/// B, BL.
pub fn branch_imm(cpu: &mut Cpu, op: u32, imm26: u32) -> R {
    let pc = cpu.state.pc;
    if op == 1 {
        cpu.set_x(30, pc.wrapping_add(4));
    }
    cpu.state.pc = pc.wrapping_add(sign_extend((imm26 as u64) << 2, 28));
    Ok(Flow::Jump)
}

/// CBZ, CBNZ.
pub fn compare_branch(cpu: &mut Cpu, sf: u32, op: u32, imm19: u32, rt: u32) -> R {
    let v = if sf == 1 { cpu.x(rt) } else { cpu.x(rt) as u32 as u64 };
    if (v == 0) != (op == 1) {
        cpu.state.pc = cpu.state.pc.wrapping_add(sign_extend((imm19 as u64) << 2, 21));
        return Ok(Flow::Jump);
    }
    Ok(Flow::Next)
}

/// TBZ, TBNZ.
pub fn test_branch(cpu: &mut Cpu, b5: u32, op: u32, b40: u32, imm14: u32, rt: u32) -> R {
    let bit = (b5 << 5) | b40;
    let set = (cpu.x(rt) >> bit) & 1 == 1;
    if set == (op == 1) {
        cpu.state.pc = cpu.state.pc.wrapping_add(sign_extend((imm14 as u64) << 2, 16));
        return Ok(Flow::Jump);
    }
    Ok(Flow::Next)
}

/// BR, BLR, RET, ERET and the pointer-authenticated forms.
pub fn branch_reg(cpu: &mut Cpu, opc: u32, op2: u32, op3: u32, rn: u32, op4: u32) -> R {
    if op2 != 0b11111 {
        return Err(Exception::Undefined);
    }
    let pc = cpu.state.pc;
    let pac = op3 >> 1 == 1; // op3 = 00001M
    if !(op3 == 0 || (pac && cpu.features.pauth)) {
        return Err(Exception::Undefined);
    }
    let key = if op3 & 1 == 1 { PacKey::IB } else { PacKey::IA };
    match opc {
        // BR, BLR, BRAAZ/BRABZ, BLRAAZ/BLRABZ
        0b0000 | 0b0001 => {
            let target = if !pac {
                if op4 != 0 {
                    return Err(Exception::Undefined);
                }
                cpu.x(rn)
            } else {
                if op4 != 0b11111 {
                    return Err(Exception::Undefined);
                }
                pauth::auth(cpu, cpu.x(rn), 0, key)?
            };
            if opc == 1 {
                cpu.set_x(30, pc.wrapping_add(4));
            }
            cpu.state.pc = target;
            Ok(Flow::Jump)
        }
        // RET, RETAA/RETAB
        0b0010 => {
            let target = if !pac {
                if op4 != 0 {
                    return Err(Exception::Undefined);
                }
                cpu.x(rn)
            } else {
                if rn != 31 || op4 != 31 {
                    return Err(Exception::Undefined);
                }
                pauth::auth(cpu, cpu.x(30), cpu.sp(), key)?
            };
            cpu.state.pc = target;
            Ok(Flow::Jump)
        }
        // ERET, ERETAA/ERETAB
        0b0100 => {
            if rn != 31 || op4 != (if pac { 31 } else { 0 }) || cpu.el() == 0 {
                return Err(Exception::Undefined);
            }
            if pac {
                let elr = cpu.sr(crate::exception::elr_reg(cpu.el()));
                let target = pauth::auth(cpu, elr, cpu.sp(), key)?;
                cpu.set_sr(crate::exception::elr_reg(cpu.el()), target);
            }
            cpu.exception_return();
            Ok(Flow::Jump)
        }
        // BRAA/BRAB, BLRAA/BLRAB: modifier in Xm|SP (op4).
        0b1000 | 0b1001 if pac => {
            let target = pauth::auth(cpu, cpu.x(rn), cpu.x_or_sp(op4), key)?;
            if opc == 0b1001 {
                cpu.set_x(30, pc.wrapping_add(4));
            }
            cpu.state.pc = target;
            Ok(Flow::Jump)
        }
        _ => Err(Exception::Undefined),
    }
}

/// SVC, HVC, SMC, BRK, HLT, DCPS (Arm ARM C6.2: the UNDEFINED and trap rules).
pub fn exc_gen(cpu: &mut Cpu, opc: u32, imm16: u32, op2: u32, ll: u32) -> R {
    if op2 != 0 {
        return Err(Exception::Undefined);
    }
    let imm = imm16 as u16;
    let el = cpu.el();
    match (opc, ll) {
        (0b000, 0b01) => Err(Exception::Svc(imm)),
        (0b000, 0b10) => {
            // HVC: UNDEFINED at EL0, when SCR_EL3.HCE == 0, or at EL1 of a
            // security state without EL2.
            if el == 0 || cpu.sr(SysReg::SCR_EL3) & SCR_HCE == 0 || (el == 1 && !cpu.el2_enabled()) {
                return Err(Exception::Undefined);
            }
            Err(Exception::Hvc(imm))
        }
        (0b000, 0b11) => {
            // SMC: UNDEFINED at EL0; HCR_EL2.TSC traps EL1 to EL2 (before
            // SMD); SCR_EL3.SMD == 1 makes it UNDEFINED.
            if el == 0 {
                return Err(Exception::Undefined);
            }
            if el == 1 && cpu.el2_enabled() && cpu.sr(SysReg::HCR_EL2) & HCR_TSC != 0 {
                return Err(Exception::SmcTrap(imm));
            }
            if cpu.sr(SysReg::SCR_EL3) & SCR_SMD != 0 {
                return Err(Exception::Undefined);
            }
            Err(Exception::Smc(imm))
        }
        (0b001, 0b00) => Err(Exception::Brk(imm)),
        // HLT: halting debug is not enabled (EDSCR.HDE = 0): UNDEFINED.
        // DCPS1-3: UNDEFINED outside Debug state.
        _ => Err(Exception::Undefined),
    }
}

fn wfx_trap(cpu: &Cpu, wfe: bool) -> Result<(), Exception> {
    let el = cpu.el();
    let iss = 1 << 24 | 0xe << 20 | wfe as u32;
    let bit = if wfe { SCTLR_NTWE } else { SCTLR_NTWI };
    if el == 0 && !cpu.el0_sctlr_bit(bit) {
        return Err(Exception::WfxTrap { to_el: cpu.el1_trap_target(), iss });
    }
    let hcr_bit = if wfe { HCR_TWE } else { HCR_TWI };
    if el <= 1 && !cpu.in_host() && cpu.hcr_el2() & hcr_bit != 0 {
        return Err(Exception::WfxTrap { to_el: 2, iss });
    }
    let scr_bit = if wfe { SCR_TWE } else { SCR_TWI };
    if el <= 2 && cpu.sr(SysReg::SCR_EL3) & scr_bit != 0 {
        return Err(Exception::WfxTrap { to_el: 3, iss });
    }
    Ok(())
}

/// HINT space: NOP, YIELD, WFE, WFI, SEV, SEVL, the PAuth hints; every
/// other hint (BTI, ESB, CSDB, DGH, ...) executes as NOP.
pub fn hint(cpu: &mut Cpu, crm: u32, op2: u32) -> R {
    let pauth = cpu.features.pauth;
    match (crm, op2) {
        (0, 2) => {
            wfx_trap(cpu, true)?;
            if std::mem::take(&mut cpu.event_register) {
                return Ok(Flow::Next);
            }
            Ok(Flow::Wfe)
        }
        (0, 3) => {
            wfx_trap(cpu, false)?;
            Ok(Flow::Wfi)
        }
        (0, 4) => {
            cpu.sev_pending = true;
            cpu.event_register = true;
            Ok(Flow::Next)
        }
        (0, 5) => {
            cpu.event_register = true;
            Ok(Flow::Next)
        }
        (0, 7) if pauth => {
            let v = pauth::strip(cpu, cpu.x(30), true);
            cpu.set_x(30, v);
            Ok(Flow::Next)
        }
        (1, 0 | 2 | 4 | 6) if pauth => {
            // PACIA1716, PACIB1716, AUTIA1716, AUTIB1716: X17 with modifier X16.
            let key = if op2 & 2 == 0 { PacKey::IA } else { PacKey::IB };
            let (x17, x16) = (cpu.x(17), cpu.x(16));
            let v = if op2 < 4 { pauth::add_pac(cpu, x17, x16, key)? } else { pauth::auth(cpu, x17, x16, key)? };
            cpu.set_x(17, v);
            Ok(Flow::Next)
        }
        (3, _) if pauth => {
            // PACIAZ, PACIASP, PACIBZ, PACIBSP, AUTIAZ, AUTIASP, AUTIBZ, AUTIBSP.
            let key = if op2 & 2 == 0 { PacKey::IA } else { PacKey::IB };
            let modifier = if op2 & 1 == 1 { cpu.sp() } else { 0 };
            let lr = cpu.x(30);
            let v = if op2 < 4 { pauth::add_pac(cpu, lr, modifier, key)? } else { pauth::auth(cpu, lr, modifier, key)? };
            cpu.set_x(30, v);
            Ok(Flow::Next)
        }
        _ => Ok(Flow::Next),
    }
}

/// CLREX, DSB, DMB, ISB, SB. Memory is sequentially consistent in this
/// single-threaded model, so barriers have no further effect.
pub fn barrier(cpu: &mut Cpu, crm: u32, op2: u32) -> R {
    match op2 {
        2 => {
            cpu.clear_exclusive();
            Ok(Flow::Next)
        }
        4..=6 => Ok(Flow::Next),
        7 if crm == 0 && cpu.features.sb => Ok(Flow::Next),
        _ => Err(Exception::Undefined),
    }
}

/// MSR (immediate) to PSTATE fields, CFINV, XAFLAG, AXFLAG.
pub fn msr_imm(cpu: &mut Cpu, op1: u32, crm: u32, op2: u32) -> R {
    let el = cpu.el();
    let f = cpu.features;
    let p = &mut cpu.state.pstate;
    match (op1, op2) {
        (0b000, 0b000) if crm == 0 && f.flagm => p.c = !p.c,
        (0b000, 0b001) if crm == 0 && f.flagm2 => {
            // XAFLAG: N = !C & !Z; Z = Z & C; C = C | Z; V = !C & Z (old values).
            let (z, c) = (p.z, p.c);
            p.n = !c && !z;
            p.z = z && c;
            p.c = c || z;
            p.v = !c && z;
        }
        (0b000, 0b010) if crm == 0 && f.flagm2 => {
            // AXFLAG: Z = Z | V; C = C & !V; N = V = 0.
            let (z, c, v) = (p.z, p.c, p.v);
            p.z = z || v;
            p.c = c && !v;
            p.n = false;
            p.v = false;
        }
        (0b000, 0b011) if f.uao && el >= 1 => p.uao = crm & 1 != 0,
        (0b000, 0b100) if f.pan && el >= 1 => p.pan = crm & 1 != 0,
        (0b000, 0b101) if el >= 1 => p.sp = crm & 1 != 0,
        (0b011, 0b010) if f.dit => p.dit = crm & 1 != 0,
        (0b011, 0b001) if f.ssbs => p.ssbs = crm & 1 != 0,
        (0b011, 0b110) | (0b011, 0b111) => {
            if el == 0 && !cpu.el0_sctlr_bit(SCTLR_UMA) {
                let enc = SysRegEnc::new(0, op1, 4, crm, op2);
                return Err(Exception::SysRegTrap { to_el: cpu.el1_trap_target(), iss: msr_mrs_iss(enc, 31, false) });
            }
            let p = &mut cpu.state.pstate;
            let set = op2 == 0b110;
            let bits = [(8, &mut p.d), (4, &mut p.a), (2, &mut p.i), (1, &mut p.f)];
            for (b, flag) in bits {
                if crm & b != 0 {
                    *flag = set;
                }
            }
        }
        _ => return Err(Exception::Undefined),
    }
    Ok(Flow::Next)
}

/// MRS, MSR (register).
pub fn move_sys_reg(cpu: &mut Cpu, l: u32, o0: u32, op1: u32, crn: u32, crm: u32, op2: u32, rt: u32) -> R {
    let enc = SysRegEnc::new(2 + o0, op1, crn, crm, op2);
    if Cpu::is_cpu_if_encoding(enc)
        && let Some(port) = cpu.gic.clone() {
            use crate::gic_port::CpuIfError;
            let ctx = cpu.cpu_if_context();
            let cpu_index = cpu.index as usize;
            let iss = msr_mrs_iss(enc, rt, l == 1);
            let result = if l == 1 {
                port.read(cpu_index, enc, ctx).map(|r| r.map(|v| cpu.set_x(rt, v)))
            } else {
                port.write(cpu_index, enc, ctx, cpu.x(rt))
            };
            match result {
                None => {}
                Some(Ok(())) => return Ok(Flow::Next),
                Some(Err(CpuIfError::TrapEl2)) => return Err(Exception::SysRegTrap { to_el: 2, iss }),
                Some(Err(CpuIfError::TrapEl3)) => return Err(Exception::SysRegTrap { to_el: 3, iss }),
                Some(Err(CpuIfError::Undefined)) => return Err(Exception::Undefined),
            }
        }
    let target = cpu.sysreg_access(enc, rt, l == 1)?;
    if l == 1 {
        let v = cpu.sysreg_read(target);
        cpu.set_x(rt, v);
    } else {
        let v = cpu.x(rt);
        cpu.sysreg_write(target, v);
    }
    Ok(Flow::Next)
}

/// SYS/SYSL: cache maintenance (DC, IC), address translation (AT) and TLB
/// maintenance (TLBI).
pub fn sys(cpu: &mut Cpu, bus: &PhysBus, l: u32, op1: u32, crn: u32, crm: u32, op2: u32, rt: u32) -> R {
    if l == 1 {
        return Err(Exception::Undefined);
    }
    let el = cpu.el();
    let enc = SysRegEnc::new(1, op1, crn, crm, op2);
    let trap_el1 = |cpu: &Cpu| Exception::SysRegTrap { to_el: cpu.el1_trap_target(), iss: msr_mrs_iss(enc, rt, false) };
    match (op1, crn, crm, op2) {
        // DC ZVA
        (3, 7, 4, 1) => {
            if el == 0 && !cpu.el0_sctlr_bit(SCTLR_DZE) {
                return Err(trap_el1(cpu));
            }
            if el <= 1 && !cpu.in_host() && cpu.hcr_el2() & HCR_TDZ != 0 {
                return Err(Exception::SysRegTrap { to_el: 2, iss: msr_mrs_iss(enc, rt, false) });
            }
            let va = cpu.x(rt);
            cpu.dc_zva(bus, va)?;
            Ok(Flow::Next)
        }
        // DC CVAC, CVAU, CIVAC, CVAP, CVADP; IC IVAU: EL0 when SCTLR_EL1.UCI.
        (3, 7, 10..=14, 1) | (3, 7, 5, 1) => {
            if (crm == 12 && !cpu.features.dpb) || crm == 13 {
                return Err(Exception::Undefined);
            }
            if el == 0 && !cpu.el0_sctlr_bit(1 << 26) {
                return Err(trap_el1(cpu));
            }
            Ok(Flow::Next)
        }
        // DC IVAC, ISW, CSW, CISW; IC IALLUIS, IALLU: EL1 and above.
        (0, 7, 6, 1 | 2) | (0, 7, 10 | 14, 2) | (0, 7, 1 | 5, 0) => {
            if el == 0 {
                return Err(Exception::Undefined);
            }
            Ok(Flow::Next)
        }
        // DC CIPAPA, DC CIGDPAPA (FEAT_RME): EL3 only.
        (6, 7, 14, 1 | 5) => {
            if el < 3 || !cpu.features.rme || op2 == 5 {
                return Err(Exception::Undefined);
            }
            Ok(Flow::Next)
        }
        // AT: address translation instructions (S1E1RP/WP need FEAT_PAN2).
        (0 | 4 | 6, 7, 8, _) => {
            let va = cpu.x(rt);
            cpu.address_translate(bus, op1, op2, va)?;
            Ok(Flow::Next)
        }
        // TLBI: op1 0 = EL1 forms, 4 = EL2, 6 = EL3 (incl. PAALL/RPA* with RME).
        (0 | 4 | 6, 8, _, _) => {
            let need = match op1 {
                0 => 1,
                4 => 2,
                _ => 3,
            };
            if el < need {
                return Err(Exception::Undefined);
            }
            // The entries the operation names (D8.13/D8.14 "TLB maintenance
            // instructions", `TLBIMatch`), see crate::tlb::decode_tlbi.
            let op = crate::tlb::decode_tlbi(op1, crm, op2, cpu.x(rt), &tlbi_context(cpu));
            cpu.tlb.invalidate(&op);
            // The Inner/Outer Shareable forms (CRm 0b0001 and 0b0011; the
            // IS/OS IPA forms in CRm 0b0000 and 0b0100; the IS/OS range
            // forms in CRm 0b0010 and 0b0101; TLBI RPAOS/RPALOS/PAALLOS)
            // reach the other PEs through the machine, and so do the EL1
            // forms at EL1 with HCR_EL2.FB (D8.13.4 "Broadcast TLB
            // maintenance": Force Broadcast upgrades them to IS).
            let fb = el == 1 && op1 == 0 && cpu.hcr_el2() & HCR_FB != 0;
            if crm <= 5 || fb {
                cpu.tlbi_broadcast = true;
                cpu.tlb.push_broadcast(op);
            }
            tracing::trace!(target: "mmu", cpu = cpu.index, op1, crm, op2, "TLBI");
            Ok(Flow::Next)
        }
        _ => Err(Exception::Undefined),
    }
}

/// HCR_EL2.FB (bit 9): Force Broadcast of TLB maintenance at EL1.
const HCR_FB: u64 = 1 << 9;

/// What a TLBI's match depends on (`AArch64.TLBI_*`: the security state of
/// EL1/EL2, `EL2Enabled()`, HCR_EL2.{E2H, TGE}, VTTBR_EL2.VMID, the ASID
/// size of TCR_EL1/TCR_EL2), the way memory.rs decodes them for a walk
/// (`stage1_regime`, `stage2_regime`).
fn tlbi_context(cpu: &Cpu) -> crate::tlb::TlbiContext {
    let state = cpu.security_state_at(1);
    let el2_enabled = cpu.el2_enabled_in(state);
    let hcr = if el2_enabled {
        cpu.sr(SysReg::HCR_EL2)
    } else {
        0
    };
    let vmid = cpu.stage2_regime().map_or(0, |s2| s2.vmid());
    // TCR_ELx.AS (bit 36), with FEAT_ASID16.
    let as16 = |tcr: SysReg| cpu.features.asid16 && cpu.sr(tcr) & (1 << 36) != 0;
    crate::tlb::TlbiContext {
        state,
        el2_enabled,
        e2h: hcr & HCR_E2H != 0,
        tge: hcr & HCR_TGE != 0,
        vmid,
        asid16_el1: as16(SysReg::TCR_EL1),
        asid16_el2: as16(SysReg::TCR_EL2),
        range: (cpu.sr(SysReg::ID_AA64ISAR0_EL1) >> 56) & 0xf >= 2,
    }
}
