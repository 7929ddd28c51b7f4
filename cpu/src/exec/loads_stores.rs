//! Loads and stores (Arm ARM C4.1.88; instructions in C6.2).
//!
//! CONSTRAINED UNPREDICTABLE choices (Arm ARM K1.2): a load with writeback
//! whose base is also the destination writes back the address (the loaded
//! value is lost); a store with writeback of its own base register stores
//! the original base; LDP/LDXP with Rt == Rt2 leave Rt2's value; a failed
//! compare in CAS performs no write.

use super::alu::{extend_reg, sign_extend};
use super::pauth::{self, PacKey};
use super::Flow;
use crate::cpu::Cpu;
use crate::exception::Exception;
use crate::memory::AccessFlags;
use rme_mmu::PhysBus;

type R = Result<Flow, Exception>;

/// The base address register: SP (with the SP alignment check) or Xn.
fn base(cpu: &Cpu, rn: u32) -> Result<u64, Exception> {
    if rn == 31 { cpu.sp_for_access() } else { Ok(cpu.x(rn)) }
}

/// What one single-register access does (from size:opc).
enum Op {
    Store,
    /// Load `bytes`, sign-extend from there to `to_bits` (0 = zero-extend).
    Load { signed_to: u32 },
    Prefetch,
}

fn classify(size: u32, opc: u32, prfm_ok: bool) -> Option<Op> {
    Some(match (opc, size) {
        (0, _) => Op::Store,
        (1, _) => Op::Load { signed_to: 0 },
        (2, 3) if prfm_ok => Op::Prefetch,
        (2, 0..=2) => Op::Load { signed_to: 64 },
        (3, 0 | 1) => Op::Load { signed_to: 32 },
        _ => return None,
    })
}

/// Executes a single-register load/store at `addr`.
fn single(cpu: &mut Cpu, bus: &PhysBus, op: &Op, size: u32, addr: u64, rt: u32, flags: AccessFlags) -> Result<(), Exception> {
    let bytes = 1u8 << size;
    match *op {
        Op::Store => cpu.write_mem(bus, addr, bytes, cpu.x(rt), flags),
        Op::Load { signed_to } => {
            let v = cpu.read_mem(bus, addr, bytes, flags)?;
            let v = match signed_to {
                0 => v,
                64 => sign_extend(v, 8 * bytes as u32),
                _ => sign_extend(v, 8 * bytes as u32) & 0xffff_ffff,
            };
            cpu.set_x(rt, v);
            Ok(())
        }
        Op::Prefetch => Ok(()),
    }
}

fn unpriv_flags(cpu: &Cpu) -> AccessFlags {
    // LDTR/STTR act as EL0 accesses at EL1 (and at EL2 in the host regime)
    // unless PSTATE.UAO is set.
    let unpriv = !cpu.state.pstate.uao && (cpu.el() == 1 || (cpu.el() == 2 && cpu.in_host()));
    AccessFlags { unpriv, ..AccessFlags::NORMAL }
}

/// LDR/STR/LDRB/.../PRFM (unsigned immediate).
pub fn ld_st_uimm(cpu: &mut Cpu, bus: &PhysBus, size: u32, v: u32, opc: u32, imm12: u32, rn: u32, rt: u32) -> R {
    if v == 1 {
        return Err(Exception::Undefined);
    }
    let Some(op) = classify(size, opc, true) else { return Err(Exception::Undefined) };
    let addr = base(cpu, rn)?.wrapping_add((imm12 as u64) << size);
    single(cpu, bus, &op, size, addr, rt, AccessFlags::NORMAL)?;
    Ok(Flow::Next)
}

/// STUR/LDUR/PRFUM (idx 00), post-index (01), LDTR/STTR (10), pre-index (11).
pub fn ld_st_imm9(cpu: &mut Cpu, bus: &PhysBus, size: u32, v: u32, opc: u32, imm9: u32, idx: u32, rn: u32, rt: u32) -> R {
    if v == 1 {
        return Err(Exception::Undefined);
    }
    let Some(op) = classify(size, opc, idx == 0) else { return Err(Exception::Undefined) };
    let imm = sign_extend(imm9 as u64, 9);
    let b = base(cpu, rn)?;
    let (addr, wb) = match idx {
        0 => (b.wrapping_add(imm), None),
        1 => (b, Some(b.wrapping_add(imm))),
        2 => (b.wrapping_add(imm), None),
        _ => (b.wrapping_add(imm), Some(b.wrapping_add(imm))),
    };
    let flags = if idx == 2 { unpriv_flags(cpu) } else { AccessFlags::NORMAL };
    single(cpu, bus, &op, size, addr, rt, flags)?;
    if let Some(w) = wb {
        cpu.set_x_or_sp(rn, w);
    }
    Ok(Flow::Next)
}

/// LDR/STR (register offset) with extend and optional scaling.
pub fn ld_st_reg_offset(cpu: &mut Cpu, bus: &PhysBus, size: u32, v: u32, opc: u32, rm: u32, option: u32, s: u32, rn: u32, rt: u32) -> R {
    if v == 1 || option & 2 == 0 {
        return Err(Exception::Undefined);
    }
    let Some(op) = classify(size, opc, true) else { return Err(Exception::Undefined) };
    let offset = extend_reg(cpu, rm, option, if s == 1 { size } else { 0 }, 64);
    let addr = base(cpu, rn)?.wrapping_add(offset);
    single(cpu, bus, &op, size, addr, rt, AccessFlags::NORMAL)?;
    Ok(Flow::Next)
}

/// LDR (literal), LDRSW (literal), PRFM (literal).
pub fn load_literal(cpu: &mut Cpu, bus: &PhysBus, opc: u32, v: u32, imm19: u32, rt: u32) -> R {
    if v == 1 {
        return Err(Exception::Undefined);
    }
    let addr = cpu.state.pc.wrapping_add(sign_extend((imm19 as u64) << 2, 21));
    let (size, op) = match opc {
        0 => (2, Op::Load { signed_to: 0 }),
        1 => (3, Op::Load { signed_to: 0 }),
        2 => (2, Op::Load { signed_to: 64 }),
        _ => (3, Op::Prefetch),
    };
    single(cpu, bus, &op, size, addr, rt, AccessFlags::NORMAL)?;
    Ok(Flow::Next)
}

/// STP/LDP/LDPSW/STNP/LDNP (idx 00 no-allocate, 01 post, 10 offset, 11 pre).
pub fn ld_st_pair(cpu: &mut Cpu, bus: &PhysBus, opc: u32, v: u32, idx: u32, l: u32, imm7: u32, rt2: u32, rn: u32, rt: u32) -> R {
    if v == 1 || opc == 3 || (opc == 1 && (l == 0 || idx == 0)) {
        return Err(Exception::Undefined);
    }
    let scale = if opc == 2 { 3 } else { 2 };
    let bytes = 1u8 << scale;
    let signed = opc == 1;
    let imm = sign_extend(imm7 as u64, 7) << scale;
    let b = base(cpu, rn)?;
    let (addr, wb) = match idx {
        1 => (b, Some(b.wrapping_add(imm))),
        3 => (b.wrapping_add(imm), Some(b.wrapping_add(imm))),
        _ => (b.wrapping_add(imm), None),
    };
    let addr2 = addr.wrapping_add(bytes as u64);
    if l == 0 {
        let (a, c) = (cpu.x(rt), cpu.x(rt2));
        // Check both halves before writing either, so a fault on the second
        // leaves memory unchanged.
        cpu.probe_write(bus, addr2, bytes, AccessFlags::NORMAL)?;
        cpu.write_mem(bus, addr, bytes, a, AccessFlags::NORMAL)?;
        cpu.write_mem(bus, addr2, bytes, c, AccessFlags::NORMAL)?;
    } else {
        let a = cpu.read_mem(bus, addr, bytes, AccessFlags::NORMAL)?;
        let c = cpu.read_mem(bus, addr2, bytes, AccessFlags::NORMAL)?;
        let ext = |x: u64| if signed { sign_extend(x, 32) } else { x };
        cpu.set_x(rt, ext(a));
        cpu.set_x(rt2, ext(c));
    }
    if let Some(w) = wb {
        cpu.set_x_or_sp(rn, w);
    }
    Ok(Flow::Next)
}

/// LDAPR/STLR (unscaled immediate), FEAT_LRCPC2.
pub fn ld_st_rcpc_unscaled(cpu: &mut Cpu, bus: &PhysBus, size: u32, opc: u32, imm9: u32, rn: u32, rt: u32) -> R {
    if !cpu.features.lrcpc2 {
        return Err(Exception::Undefined);
    }
    let Some(op) = classify(size, opc, false) else { return Err(Exception::Undefined) };
    let addr = base(cpu, rn)?.wrapping_add(sign_extend(imm9 as u64, 9));
    single(cpu, bus, &op, size, addr, rt, AccessFlags::ALIGNED)?;
    Ok(Flow::Next)
}

/// LDRAA, LDRAB (FEAT_PAuth): authenticate the base with key DA/DB and a
/// zero modifier, add the scaled offset, load 64 bits.
pub fn ld_st_pac(cpu: &mut Cpu, bus: &PhysBus, size: u32, v: u32, m: u32, s: u32, imm9: u32, w: u32, rn: u32, rt: u32) -> R {
    if size != 3 || v == 1 || !cpu.features.pauth {
        return Err(Exception::Undefined);
    }
    let key = if m == 1 { PacKey::DB } else { PacKey::DA };
    let b = base(cpu, rn)?;
    let authed = pauth::auth(cpu, b, 0, key)?;
    let offset = sign_extend(((s as u64) << 9 | imm9 as u64) << 3, 13);
    let addr = authed.wrapping_add(offset);
    let val = cpu.read_mem(bus, addr, 8, AccessFlags::NORMAL)?;
    if w == 1 {
        cpu.set_x_or_sp(rn, addr);
    }
    cpu.set_x(rt, val);
    Ok(Flow::Next)
}

/// Exclusives (LDXR/STXR/LDAXR/STLXR, pairs), ordered (LDAR/STLR/LDLAR/
/// STLLR), CAS and CASP (FEAT_LSE).
pub fn ld_st_excl(cpu: &mut Cpu, bus: &PhysBus, size: u32, o2: u32, l: u32, o1: u32, rs: u32, o0: u32, rt2: u32, rn: u32, rt: u32) -> R {
    let _ = o0; // acquire/release ordering: no effect in this memory model
    match (o2, o1) {
        (0, 0) => {
            let bytes = 1u8 << size;
            let addr = base(cpu, rn)?;
            if l == 1 {
                let [v, _] = cpu.load_exclusive(bus, addr, bytes, false)?;
                cpu.set_x(rt, v);
            } else {
                let status = cpu.store_exclusive(bus, addr, bytes, false, [cpu.x(rt), 0])?;
                cpu.set_x(rs, status);
            }
            Ok(Flow::Next)
        }
        (0, 1) if size >= 2 => {
            // LDXP/STXP: two 32- or 64-bit elements.
            let bytes = 1u8 << size;
            let addr = base(cpu, rn)?;
            if l == 1 {
                let [a, b] = cpu.load_exclusive(bus, addr, bytes, true)?;
                cpu.set_x(rt, a);
                cpu.set_x(rt2, b);
            } else {
                let status = cpu.store_exclusive(bus, addr, bytes, true, [cpu.x(rt), cpu.x(rt2)])?;
                cpu.set_x(rs, status);
            }
            Ok(Flow::Next)
        }
        (0, 1) => {
            // CASP{A}{L}: size 00 = 32-bit pairs, 01 = 64-bit pairs.
            if !cpu.features.lse || rs & 1 != 0 || rt & 1 != 0 || rt2 != 31 {
                return Err(Exception::Undefined);
            }
            let bytes = if size == 0 { 4u8 } else { 8 };
            let addr = base(cpu, rn)?;
            if addr & (2 * bytes as u64 - 1) != 0 {
                return Err(crate::exception::Abort::alignment(addr, false));
            }
            let m = |v: u64| if bytes == 4 { v & 0xffff_ffff } else { v };
            let cur0 = cpu.read_mem(bus, addr, bytes, AccessFlags::ALIGNED)?;
            let cur1 = cpu.read_mem(bus, addr + bytes as u64, bytes, AccessFlags::ALIGNED)?;
            let (e0, e1) = (m(cpu.x(rs)), m(cpu.x(rs + 1)));
            if cur0 == e0 && cur1 == e1 {
                let (n0, n1) = (cpu.x(rt), cpu.x(rt + 1));
                cpu.write_mem(bus, addr, bytes, n0, AccessFlags::ALIGNED)?;
                cpu.write_mem(bus, addr + bytes as u64, bytes, n1, AccessFlags::ALIGNED)?;
            }
            cpu.set_x(rs, cur0);
            cpu.set_x(rs + 1, cur1);
            Ok(Flow::Next)
        }
        (1, 0) => {
            // LDAR/STLR (o0 = 1), LDLAR/STLLR (o0 = 0, FEAT_LOR).
            if o0 == 0 && !cpu.features.lor {
                return Err(Exception::Undefined);
            }
            let bytes = 1u8 << size;
            let addr = base(cpu, rn)?;
            if l == 1 {
                let v = cpu.read_mem(bus, addr, bytes, AccessFlags::ALIGNED)?;
                cpu.set_x(rt, v);
            } else {
                cpu.write_mem(bus, addr, bytes, cpu.x(rt), AccessFlags::ALIGNED)?;
            }
            Ok(Flow::Next)
        }
        _ => {
            // CAS{A}{L}{B,H,,X}.
            if !cpu.features.lse || rt2 != 31 {
                return Err(Exception::Undefined);
            }
            let bytes = 1u8 << size;
            let addr = base(cpu, rn)?;
            let mask = if bytes == 8 { u64::MAX } else { (1u64 << (8 * bytes as u32)) - 1 };
            // Permission/alignment are checked as for a write (the access may write).
            cpu.probe_write(bus, addr, bytes, AccessFlags::ALIGNED)?;
            let cur = cpu.read_mem(bus, addr, bytes, AccessFlags::ALIGNED)?;
            if cur == cpu.x(rs) & mask {
                cpu.write_mem(bus, addr, bytes, cpu.x(rt), AccessFlags::ALIGNED)?;
            }
            cpu.set_x(rs, cur);
            Ok(Flow::Next)
        }
    }
}

/// LDADD, LDCLR, LDEOR, LDSET, LDSMAX, LDSMIN, LDUMAX, LDUMIN, SWP
/// (FEAT_LSE) and LDAPR (FEAT_LRCPC).
pub fn ld_st_atomic(cpu: &mut Cpu, bus: &PhysBus, size: u32, v: u32, a: u32, r: u32, rs: u32, o3: u32, opc: u32, rn: u32, rt: u32) -> R {
    if v == 1 {
        return Err(Exception::Undefined);
    }
    let bytes = 1u8 << size;
    let bits = 8 * bytes as u32;
    if o3 == 1 && opc == 0b100 {
        // LDAPR: A = 1, R = 0, Rs = 11111.
        if !cpu.features.lrcpc || a != 1 || r != 0 || rs != 31 {
            return Err(Exception::Undefined);
        }
        let addr = base(cpu, rn)?;
        let val = cpu.read_mem(bus, addr, bytes, AccessFlags::ALIGNED)?;
        cpu.set_x(rt, val);
        return Ok(Flow::Next);
    }
    if !cpu.features.lse || (o3 == 1 && opc != 0) {
        return Err(Exception::Undefined);
    }
    let addr = base(cpu, rn)?;
    cpu.probe_write(bus, addr, bytes, AccessFlags::ALIGNED)?;
    let old = cpu.read_mem(bus, addr, bytes, AccessFlags::ALIGNED)?;
    let operand = cpu.x(rs) & if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
    let sx = |x: u64| sign_extend(x, bits) as i64;
    let new = if o3 == 1 {
        operand // SWP
    } else {
        match opc {
            0b000 => old.wrapping_add(operand),
            0b001 => old & !operand,
            0b010 => old ^ operand,
            0b011 => old | operand,
            0b100 => if sx(old) >= sx(operand) { old } else { operand },
            0b101 => if sx(old) <= sx(operand) { old } else { operand },
            0b110 => old.max(operand),
            _ => old.min(operand),
        }
    };
    cpu.write_mem(bus, addr, bytes, new, AccessFlags::ALIGNED)?;
    cpu.set_x(rt, old);
    Ok(Flow::Next)
}
