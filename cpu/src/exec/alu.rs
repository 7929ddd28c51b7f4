//! Shared integer pseudocode of the Arm ARM (J1 "Shared pseudocode"):
//! `AddWithCarry`, `ConditionHolds`, `DecodeBitMasks`, `ShiftReg`,
//! `ExtendReg`.

use crate::cpu::Cpu;
use crate::pstate::Pstate;

/// `AddWithCarry(x, y, carry_in)` at `bits` (32 or 64): (result, NZCV).
#[inline]
pub fn add_with_carry(x: u64, y: u64, carry: bool, bits: u32) -> (u64, [bool; 4]) {
    if bits == 64 {
        let (r1, c1) = x.overflowing_add(y);
        let (r, c2) = r1.overflowing_add(carry as u64);
        let v = ((x ^ r) & (y ^ r)) >> 63 != 0;
        (r, [r >> 63 != 0, r == 0, c1 || c2, v])
    } else {
        let (x, y) = (x as u32, y as u32);
        let (r1, c1) = x.overflowing_add(y);
        let (r, c2) = r1.overflowing_add(carry as u32);
        let v = ((x ^ r) & (y ^ r)) >> 31 != 0;
        (r as u64, [r >> 31 != 0, r == 0, c1 || c2, v])
    }
}

#[inline]
pub fn set_flags(p: &mut Pstate, f: [bool; 4]) {
    p.n = f[0];
    p.z = f[1];
    p.c = f[2];
    p.v = f[3];
}

/// NZCV for a logical result (C = V = 0).
#[inline]
pub fn logic_flags(r: u64, bits: u32) -> [bool; 4] {
    let r = mask(r, bits);
    [r >> (bits - 1) & 1 != 0, r == 0, false, false]
}

#[inline]
pub fn mask(v: u64, bits: u32) -> u64 {
    if bits == 64 { v } else { v & ((1u64 << bits) - 1) }
}

/// `ConditionHolds(cond)`.
#[inline]
pub fn condition_holds(p: &Pstate, cond: u32) -> bool {
    let r = match cond >> 1 {
        0 => p.z,
        1 => p.c,
        2 => p.n,
        3 => p.v,
        4 => p.c && !p.z,
        5 => p.n == p.v,
        6 => p.n == p.v && !p.z,
        _ => true,
    };
    if cond & 1 == 1 && cond != 0b1111 { !r } else { r }
}

/// `DecodeBitMasks(N, imms, immr, immediate, M)`: (wmask, tmask), or None
/// for a reserved encoding.
pub fn decode_bit_masks(n: u32, imms: u32, immr: u32, immediate: bool, bits: u32) -> Option<(u64, u64)> {
    let combined = (n << 6) | (!imms & 0x3f);
    if combined == 0 {
        return None;
    }
    let len = 31 - combined.leading_zeros(); // HighestSetBit
    if len < 1 {
        return None;
    }
    let levels = (1u32 << len) - 1;
    if immediate && (imms & levels) == levels {
        return None;
    }
    let s = imms & levels;
    let r = immr & levels;
    let diff = s.wrapping_sub(r) & levels;
    let esize = 1u32 << len;
    if esize > bits {
        return None;
    }
    let d = diff;
    let welem = ones(s + 1);
    let telem = ones(d + 1);
    let wmask = replicate(ror(welem, r, esize), esize, bits);
    let tmask = replicate(telem, esize, bits);
    Some((wmask, tmask))
}

fn ones(n: u32) -> u64 {
    if n >= 64 { u64::MAX } else { (1u64 << n) - 1 }
}

fn ror(v: u64, r: u32, esize: u32) -> u64 {
    let v = v & ones(esize);
    if r == 0 {
        v
    } else {
        ((v >> r) | (v << (esize - r))) & ones(esize)
    }
}

fn replicate(v: u64, esize: u32, bits: u32) -> u64 {
    let mut out = 0u64;
    let mut i = 0;
    while i < bits {
        out |= v << i;
        i += esize;
    }
    mask(out, bits)
}

/// `ShiftReg(reg, shift_type, amount)` at `bits`.
#[inline]
pub fn shift_reg(v: u64, shift: u32, amount: u32, bits: u32) -> u64 {
    let v = mask(v, bits);
    let amount = amount % bits;
    let r = match shift {
        0 => v << amount,
        1 => v >> amount,
        2 => {
            if bits == 64 {
                ((v as i64) >> amount) as u64
            } else {
                ((v as u32 as i32) >> amount) as u32 as u64
            }
        }
        _ => {
            if amount == 0 {
                v
            } else {
                (v >> amount) | (v << (bits - amount))
            }
        }
    };
    mask(r, bits)
}

/// `ExtendReg(reg, exttype, shift)` at `bits`.
#[inline]
pub fn extend_reg(cpu: &Cpu, reg: u32, option: u32, shift: u32, bits: u32) -> u64 {
    let v = cpu.x(reg);
    let ext = match option {
        0 => v as u8 as u64,
        1 => v as u16 as u64,
        2 => v as u32 as u64,
        3 => v,
        4 => v as u8 as i8 as i64 as u64,
        5 => v as u16 as i16 as i64 as u64,
        6 => v as u32 as i32 as i64 as u64,
        _ => v,
    };
    mask(ext << shift, bits)
}

/// Sign-extends the low `bits` bits of `v`.
#[inline]
pub fn sign_extend(v: u64, bits: u32) -> u64 {
    let s = 64 - bits;
    (((v << s) as i64) >> s) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_masks_examples() {
        // and x0, x0, #0xff  : N=1 immr=0 imms=7
        assert_eq!(decode_bit_masks(1, 7, 0, true, 64).unwrap().0, 0xff);
        // orr w0, wzr, #0x55555555 : N=0 immr=0 imms=0b111100
        assert_eq!(decode_bit_masks(0, 0b111100, 0, true, 32).unwrap().0, 0x5555_5555);
        // all-ones element is reserved for immediates
        assert!(decode_bit_masks(1, 0b111111, 0, true, 64).is_none());
        // N=1 is 64-bit only
        assert!(decode_bit_masks(1, 0, 0, true, 32).is_none());
    }

    #[test]
    fn add_with_carry_flags() {
        let (r, f) = add_with_carry(0x7fff_ffff, 1, false, 32);
        assert_eq!(r, 0x8000_0000);
        assert_eq!(f, [true, false, false, true]);
        let (r, f) = add_with_carry(u64::MAX, 1, false, 64);
        assert_eq!(r, 0);
        assert_eq!(f, [false, true, true, false]);
    }
}
