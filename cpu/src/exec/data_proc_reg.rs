//! Data processing -- register (Arm ARM C4.1.89; instructions in C6.2).

use super::alu::*;
use super::pauth::{self, PacKey};
use super::Flow;
use crate::cpu::Cpu;
use crate::exception::Exception;

type R = Result<Flow, Exception>;

fn width(sf: u32) -> u32 {
    if sf == 1 { 64 } else { 32 }
}

/// UDIV, SDIV, LSLV, LSRV, ASRV, RORV, CRC32*, CRC32C*, PACGA.
pub fn data_proc_2src(cpu: &mut Cpu, sf: u32, s: u32, rm: u32, opcode: u32, rn: u32, rd: u32) -> R {
    if s == 1 {
        return Err(Exception::Undefined);
    }
    let bits = width(sf);
    let a = mask(cpu.x(rn), bits);
    let b = mask(cpu.x(rm), bits);
    let r = match opcode {
        0b000010 => if b == 0 { 0 } else { a / b },
        0b000011 => {
            if b == 0 {
                0
            } else if bits == 64 {
                (a as i64).wrapping_div(b as i64) as u64
            } else {
                (a as u32 as i32).wrapping_div(b as u32 as i32) as u32 as u64
            }
        }
        0b001000..=0b001011 => shift_reg(a, opcode & 3, (b % bits as u64) as u32, bits),
        0b001100 if sf == 1 && cpu.features.pauth_generic => {
            let m = cpu.x_or_sp(rm);
            pauth::pacga(cpu, cpu.x(rn), m)?
        }
        0b010000..=0b010111 if cpu.features.crc32 => {
            let sz = opcode & 3;
            if (sz == 3) != (sf == 1) {
                return Err(Exception::Undefined);
            }
            let castagnoli = opcode & 4 != 0;
            crc32(cpu.x(rn) as u32, cpu.x(rm), 1 << sz, castagnoli) as u64
        }
        _ => return Err(Exception::Undefined),
    };
    cpu.set_x(rd, mask(r, bits));
    Ok(Flow::Next)
}

/// CRC32 (polynomial 0x04C11DB7) or CRC32C (0x1EDC6F41), bit-reflected, over
/// the low `bytes` bytes of `data`, as the CRC32* instructions compute it.
pub fn crc32(acc: u32, data: u64, bytes: u32, castagnoli: bool) -> u32 {
    let poly: u32 = if castagnoli { 0x82f6_3b78 } else { 0xedb8_8320 };
    let mut crc = acc;
    for i in 0..bytes {
        crc ^= (data >> (8 * i)) as u8 as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ poly } else { crc >> 1 };
        }
    }
    crc
}

/// RBIT, REV16, REV32, REV, CLZ, CLS; PAC*/AUT*/XPAC* (opcode2 = 00001).
pub fn data_proc_1src(cpu: &mut Cpu, sf: u32, s: u32, opcode2: u32, opcode: u32, rn: u32, rd: u32) -> R {
    if s == 1 {
        return Err(Exception::Undefined);
    }
    if opcode2 == 1 {
        if sf == 0 || !cpu.features.pauth {
            return Err(Exception::Undefined);
        }
        return pauth_1src(cpu, opcode, rn, rd);
    }
    if opcode2 != 0 {
        return Err(Exception::Undefined);
    }
    let bits = width(sf);
    let x = mask(cpu.x(rn), bits);
    let r = match (opcode, sf) {
        (0b000000, _) => {
            if bits == 64 { x.reverse_bits() } else { (x as u32).reverse_bits() as u64 }
        }
        (0b000001, _) => {
            // REV16: swap bytes in each halfword.
            ((x & 0x00ff_00ff_00ff_00ff) << 8) | ((x >> 8) & 0x00ff_00ff_00ff_00ff)
        }
        (0b000010, 0) => (x as u32).swap_bytes() as u64,
        (0b000010, 1) => {
            // REV32: swap bytes in each word.
            let lo = (x as u32).swap_bytes() as u64;
            let hi = ((x >> 32) as u32).swap_bytes() as u64;
            (hi << 32) | lo
        }
        (0b000011, 1) => x.swap_bytes(),
        (0b000100, _) => {
            if bits == 64 { x.leading_zeros() as u64 } else { (x as u32).leading_zeros() as u64 }
        }
        (0b000101, _) => {
            // CLS: leading sign bits (excluding the sign bit itself).
            if bits == 64 {
                let v = x ^ ((x as i64 >> 1) as u64);
                (v.leading_zeros() - 1) as u64
            } else {
                let w = x as u32;
                let v = w ^ ((w as i32 >> 1) as u32);
                (v.leading_zeros() - 1) as u64
            }
        }
        _ => return Err(Exception::Undefined),
    };
    cpu.set_x(rd, mask(r, bits));
    Ok(Flow::Next)
}

fn pauth_1src(cpu: &mut Cpu, opcode: u32, rn: u32, rd: u32) -> R {
    let key = |i: u32| match i & 3 {
        0 => PacKey::IA,
        1 => PacKey::IB,
        2 => PacKey::DA,
        _ => PacKey::DB,
    };
    let v = cpu.x(rd);
    let r = match opcode {
        0b000000..=0b000011 => pauth::add_pac(cpu, v, cpu.x_or_sp(rn), key(opcode))?,
        0b000100..=0b000111 => pauth::auth(cpu, v, cpu.x_or_sp(rn), key(opcode))?,
        0b001000..=0b001011 if rn == 31 => pauth::add_pac(cpu, v, 0, key(opcode))?,
        0b001100..=0b001111 if rn == 31 => pauth::auth(cpu, v, 0, key(opcode))?,
        0b010000 if rn == 31 => pauth::strip(cpu, v, true),
        0b010001 if rn == 31 => pauth::strip(cpu, v, false),
        _ => return Err(Exception::Undefined),
    };
    cpu.set_x(rd, r);
    Ok(Flow::Next)
}

/// AND, BIC, ORR, ORN, EOR, EON, ANDS, BICS (shifted register).
pub fn logical_shifted(cpu: &mut Cpu, sf: u32, opc: u32, shift: u32, n: u32, rm: u32, imm6: u32, rn: u32, rd: u32) -> R {
    if sf == 0 && imm6 >= 32 {
        return Err(Exception::Undefined);
    }
    let bits = width(sf);
    let mut b = shift_reg(cpu.x(rm), shift, imm6, bits);
    if n == 1 {
        b = mask(!b, bits);
    }
    let a = mask(cpu.x(rn), bits);
    let r = match opc {
        0 | 3 => a & b,
        1 => a | b,
        _ => a ^ b,
    };
    if opc == 3 {
        set_flags(&mut cpu.state.pstate, logic_flags(r, bits));
    }
    cpu.set_x(rd, r);
    Ok(Flow::Next)
}

/// ADD, ADDS, SUB, SUBS (shifted register).
pub fn add_sub_shifted(cpu: &mut Cpu, sf: u32, op: u32, s: u32, shift: u32, rm: u32, imm6: u32, rn: u32, rd: u32) -> R {
    if shift == 3 || (sf == 0 && imm6 >= 32) {
        return Err(Exception::Undefined);
    }
    let bits = width(sf);
    let b = shift_reg(cpu.x(rm), shift, imm6, bits);
    add_sub(cpu, bits, op, s, mask(cpu.x(rn), bits), b, rd, false)
}

/// ADD, ADDS, SUB, SUBS (extended register). Rn and (for ADD/SUB) Rd may be SP.
pub fn add_sub_ext(cpu: &mut Cpu, sf: u32, op: u32, s: u32, opt: u32, rm: u32, option: u32, imm3: u32, rn: u32, rd: u32) -> R {
    if opt != 0 || imm3 > 4 {
        return Err(Exception::Undefined);
    }
    let bits = width(sf);
    let b = extend_reg(cpu, rm, option, imm3, bits);
    add_sub(cpu, bits, op, s, mask(cpu.x_or_sp(rn), bits), b, rd, s == 0)
}

#[allow(clippy::too_many_arguments)]
fn add_sub(cpu: &mut Cpu, bits: u32, op: u32, s: u32, a: u64, b: u64, rd: u32, rd_sp: bool) -> R {
    let (r, flags) = if op == 1 { add_with_carry(a, mask(!b, bits), true, bits) } else { add_with_carry(a, b, false, bits) };
    if s == 1 {
        set_flags(&mut cpu.state.pstate, flags);
    }
    if rd_sp { cpu.set_x_or_sp(rd, r) } else { cpu.set_x(rd, r) }
    Ok(Flow::Next)
}

/// ADC, ADCS, SBC, SBCS.
pub fn add_sub_carry(cpu: &mut Cpu, sf: u32, op: u32, s: u32, rm: u32, rn: u32, rd: u32) -> R {
    let bits = width(sf);
    let a = mask(cpu.x(rn), bits);
    let mut b = mask(cpu.x(rm), bits);
    if op == 1 {
        b = mask(!b, bits);
    }
    let (r, flags) = add_with_carry(a, b, cpu.state.pstate.c, bits);
    if s == 1 {
        set_flags(&mut cpu.state.pstate, flags);
    }
    cpu.set_x(rd, r);
    Ok(Flow::Next)
}

/// RMIF (FEAT_FlagM): rotate Xn right and insert the low 4 bits into the
/// flags selected by `mask`.
pub fn rotate_into_flags(cpu: &mut Cpu, sf: u32, op: u32, s: u32, imm6: u32, rn: u32, o2: u32, fmask: u32) -> R {
    if !(sf == 1 && op == 0 && s == 1 && o2 == 0) || !cpu.features.flagm {
        return Err(Exception::Undefined);
    }
    let tmp = cpu.x(rn).rotate_right(imm6);
    let p = &mut cpu.state.pstate;
    if fmask & 8 != 0 {
        p.n = tmp & 8 != 0;
    }
    if fmask & 4 != 0 {
        p.z = tmp & 4 != 0;
    }
    if fmask & 2 != 0 {
        p.c = tmp & 2 != 0;
    }
    if fmask & 1 != 0 {
        p.v = tmp & 1 != 0;
    }
    Ok(Flow::Next)
}

/// SETF8, SETF16 (FEAT_FlagM).
pub fn eval_into_flags(cpu: &mut Cpu, sf: u32, op: u32, s: u32, opcode2: u32, sz: u32, rn: u32, o3: u32, fmask: u32) -> R {
    if !(sf == 0 && op == 0 && s == 1 && opcode2 == 0 && o3 == 0 && fmask == 0b1101) || !cpu.features.flagm {
        return Err(Exception::Undefined);
    }
    let msb = if sz == 1 { 15 } else { 7 };
    let v = cpu.x(rn) as u32;
    let p = &mut cpu.state.pstate;
    p.n = (v >> msb) & 1 != 0;
    p.z = v & ((1u32 << (msb + 1)) - 1) == 0;
    p.v = ((v >> (msb + 1)) & 1) ^ ((v >> msb) & 1) != 0;
    Ok(Flow::Next)
}

fn cond_cmp(cpu: &mut Cpu, sf: u32, op: u32, s: u32, b: u64, cond: u32, o2: u32, rn: u32, o3: u32, nzcv: u32) -> R {
    if s == 0 || o2 == 1 || o3 == 1 {
        return Err(Exception::Undefined);
    }
    let bits = width(sf);
    if condition_holds(&cpu.state.pstate, cond) {
        let a = mask(cpu.x(rn), bits);
        let (_, f) = if op == 1 { add_with_carry(a, mask(!b, bits), true, bits) } else { add_with_carry(a, b, false, bits) };
        set_flags(&mut cpu.state.pstate, f);
    } else {
        cpu.state.pstate.set_nzcv((nzcv as u64) << 28);
    }
    Ok(Flow::Next)
}

/// CCMN, CCMP (register).
pub fn cond_cmp_reg(cpu: &mut Cpu, sf: u32, op: u32, s: u32, rm: u32, cond: u32, o2: u32, rn: u32, o3: u32, nzcv: u32) -> R {
    let b = mask(cpu.x(rm), width(sf));
    cond_cmp(cpu, sf, op, s, b, cond, o2, rn, o3, nzcv)
}

/// CCMN, CCMP (immediate).
pub fn cond_cmp_imm(cpu: &mut Cpu, sf: u32, op: u32, s: u32, imm5: u32, cond: u32, o2: u32, rn: u32, o3: u32, nzcv: u32) -> R {
    cond_cmp(cpu, sf, op, s, imm5 as u64, cond, o2, rn, o3, nzcv)
}

/// CSEL, CSINC, CSINV, CSNEG.
pub fn cond_select(cpu: &mut Cpu, sf: u32, op: u32, s: u32, rm: u32, cond: u32, op2: u32, rn: u32, rd: u32) -> R {
    if s == 1 || op2 >= 2 {
        return Err(Exception::Undefined);
    }
    let bits = width(sf);
    let r = if condition_holds(&cpu.state.pstate, cond) {
        cpu.x(rn)
    } else {
        let m = cpu.x(rm);
        match (op, op2) {
            (0, 0) => m,
            (0, 1) => m.wrapping_add(1),
            (1, 0) => !m,
            _ => (!m).wrapping_add(1),
        }
    };
    cpu.set_x(rd, mask(r, bits));
    Ok(Flow::Next)
}

/// MADD, MSUB, SMADDL, SMSUBL, SMULH, UMADDL, UMSUBL, UMULH.
pub fn data_proc_3src(cpu: &mut Cpu, sf: u32, op54: u32, op31: u32, rm: u32, o0: u32, ra: u32, rn: u32, rd: u32) -> R {
    if op54 != 0 {
        return Err(Exception::Undefined);
    }
    let (n, m, a) = (cpu.x(rn), cpu.x(rm), cpu.x(ra));
    let r = match (sf, op31, o0) {
        (_, 0b000, _) => {
            let bits = width(sf);
            let p = n.wrapping_mul(m);
            mask(if o0 == 0 { a.wrapping_add(p) } else { a.wrapping_sub(p) }, bits)
        }
        (1, 0b001, _) => {
            let p = (n as i32 as i64).wrapping_mul(m as i32 as i64) as u64;
            if o0 == 0 { a.wrapping_add(p) } else { a.wrapping_sub(p) }
        }
        (1, 0b101, _) => {
            let p = (n as u32 as u64).wrapping_mul(m as u32 as u64);
            if o0 == 0 { a.wrapping_add(p) } else { a.wrapping_sub(p) }
        }
        (1, 0b010, 0) => (((n as i64 as i128) * (m as i64 as i128)) >> 64) as u64,
        (1, 0b110, 0) => (((n as u128) * (m as u128)) >> 64) as u64,
        _ => return Err(Exception::Undefined),
    };
    cpu.set_x(rd, r);
    Ok(Flow::Next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_check_values() {
        // The standard check value of CRC-32 over "123456789" (init and
        // final XOR with all-ones, which the instructions leave to software).
        let mut c = 0xffff_ffffu32;
        for b in b"123456789" {
            c = crc32(c, *b as u64, 1, false);
        }
        assert_eq!(!c, 0xcbf4_3926);
        let mut c = 0xffff_ffffu32;
        for b in b"123456789" {
            c = crc32(c, *b as u64, 1, true);
        }
        assert_eq!(!c, 0xe306_9283);
    }
}
