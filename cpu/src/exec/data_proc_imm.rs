//! Data processing -- immediate (Arm ARM C4.1.86; instructions in C6.2).

use super::alu::*;
use super::Flow;
use crate::cpu::Cpu;
use crate::exception::Exception;

type R = Result<Flow, Exception>;

/// ADR, ADRP.
pub fn adr(cpu: &mut Cpu, op: u32, immlo: u32, immhi: u32, rd: u32) -> R {
    let imm = sign_extend(((immhi as u64) << 2) | immlo as u64, 21);
    let pc = cpu.state.pc;
    let v = if op == 1 { (pc & !0xfff).wrapping_add(imm << 12) } else { pc.wrapping_add(imm) };
    cpu.set_x(rd, v);
    Ok(Flow::Next)
}

/// ADD, ADDS, SUB, SUBS (immediate). ADD/SUB write SP when Rd = 31.
pub fn add_sub_imm(cpu: &mut Cpu, sf: u32, op: u32, s: u32, sh: u32, imm12: u32, rn: u32, rd: u32) -> R {
    let bits = if sf == 1 { 64 } else { 32 };
    let imm = (imm12 as u64) << (if sh == 1 { 12 } else { 0 });
    let x = mask(cpu.x_or_sp(rn), bits);
    let (r, flags) = if op == 1 { add_with_carry(x, mask(!imm, bits), true, bits) } else { add_with_carry(x, imm, false, bits) };
    if s == 1 {
        set_flags(&mut cpu.state.pstate, flags);
        cpu.set_x(rd, r);
    } else {
        cpu.set_x_or_sp(rd, r);
    }
    Ok(Flow::Next)
}

/// AND, ORR, EOR, ANDS (immediate).
pub fn logical_imm(cpu: &mut Cpu, sf: u32, opc: u32, n: u32, immr: u32, imms: u32, rn: u32, rd: u32) -> R {
    let bits = if sf == 1 { 64 } else { 32 };
    if sf == 0 && n == 1 {
        return Err(Exception::Undefined);
    }
    let Some((imm, _)) = decode_bit_masks(n, imms, immr, true, bits) else { return Err(Exception::Undefined) };
    let x = mask(cpu.x(rn), bits);
    let r = match opc {
        0 | 3 => x & imm,
        1 => x | imm,
        _ => x ^ imm,
    };
    if opc == 3 {
        set_flags(&mut cpu.state.pstate, logic_flags(r, bits));
        cpu.set_x(rd, r);
    } else {
        cpu.set_x_or_sp(rd, r);
    }
    Ok(Flow::Next)
}

/// MOVN, MOVZ, MOVK.
pub fn move_wide(cpu: &mut Cpu, sf: u32, opc: u32, hw: u32, imm16: u32, rd: u32) -> R {
    if opc == 1 || (sf == 0 && hw >= 2) {
        return Err(Exception::Undefined);
    }
    let bits = if sf == 1 { 64 } else { 32 };
    let pos = hw * 16;
    let imm = (imm16 as u64) << pos;
    let r = match opc {
        0 => mask(!imm, bits),
        2 => imm,
        _ => (mask(cpu.x(rd), bits) & !(0xffffu64 << pos)) | imm,
    };
    cpu.set_x(rd, r);
    Ok(Flow::Next)
}

/// SBFM, BFM, UBFM (and their aliases: ASR/LSL/LSR imm, SXT*/UXT*, BFI...).
pub fn bitfield(cpu: &mut Cpu, sf: u32, opc: u32, n: u32, immr: u32, imms: u32, rn: u32, rd: u32) -> R {
    let bits = if sf == 1 { 64 } else { 32 };
    if opc == 3 || n != sf || (sf == 0 && (immr >= 32 || imms >= 32)) {
        return Err(Exception::Undefined);
    }
    let Some((wmask, tmask)) = decode_bit_masks(n, imms, immr, false, bits) else { return Err(Exception::Undefined) };
    let src = mask(cpu.x(rn), bits);
    let dst = if opc == 1 { mask(cpu.x(rd), bits) } else { 0 };
    let rot = shift_reg(src, 3, immr, bits);
    let bot = (dst & !wmask) | (rot & wmask);
    let top = if opc == 0 {
        // Replicate(src<S>)
        if (src >> imms) & 1 != 0 { mask(u64::MAX, bits) } else { 0 }
    } else {
        dst
    };
    let r = (top & !tmask) | (bot & tmask);
    cpu.set_x(rd, mask(r, bits));
    Ok(Flow::Next)
}

/// EXTR (and ROR immediate).
pub fn extract(cpu: &mut Cpu, sf: u32, op21: u32, n: u32, o0: u32, rm: u32, imms: u32, rn: u32, rd: u32) -> R {
    if op21 != 0 || o0 != 0 || n != sf || (sf == 0 && imms >= 32) {
        return Err(Exception::Undefined);
    }
    let bits = if sf == 1 { 64 } else { 32 };
    let hi = mask(cpu.x(rn), bits);
    let lo = mask(cpu.x(rm), bits);
    let r = if imms == 0 { lo } else { (lo >> imms) | (hi << (bits - imms)) };
    cpu.set_x(rd, mask(r, bits));
    Ok(Flow::Next)
}
