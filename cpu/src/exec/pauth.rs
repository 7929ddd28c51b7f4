//! Pointer authentication (FEAT_PAuth, Arm ARM D8.8 "Pointer
//! authentication"; pseudocode `AddPAC`, `Auth`, `Strip`, `PACGA`).
//!
//! ID_AA64ISAR1_EL1.API = 1 / GPI = 1: the PAC is computed by an
//! IMPLEMENTATION DEFINED function ([`compute_pac`]), not QARMA: the Arm ARM
//! allows it and it keeps pointer authentication cheap to emulate (QEMU's
//! default makes the same choice). Without FEAT_PAuth2 a failed
//! authentication writes the error code into the pointer's extension bits
//! and FEAT_FPAC is not implemented, so the fault comes at the use.

use crate::cpu::*;
use crate::exception::Exception;
use crate::sysreg::table::SysReg;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PacKey {
    IA,
    IB,
    DA,
    DB,
}

impl PacKey {
    fn regs(self) -> (SysReg, SysReg) {
        match self {
            PacKey::IA => (SysReg::APIAKeyLo_EL1, SysReg::APIAKeyHi_EL1),
            PacKey::IB => (SysReg::APIBKeyLo_EL1, SysReg::APIBKeyHi_EL1),
            PacKey::DA => (SysReg::APDAKeyLo_EL1, SysReg::APDAKeyHi_EL1),
            PacKey::DB => (SysReg::APDBKeyLo_EL1, SysReg::APDBKeyHi_EL1),
        }
    }
    /// SCTLR_ELx.EnIA/EnIB/EnDA/EnDB.
    fn enable_bit(self) -> u64 {
        match self {
            PacKey::IA => SCTLR_ENIA,
            PacKey::IB => SCTLR_ENIB,
            PacKey::DA => SCTLR_ENDA,
            PacKey::DB => SCTLR_ENDB,
        }
    }
    /// The key number the error code is built from (A = 0, B = 1).
    fn is_b(self) -> bool {
        matches!(self, PacKey::IB | PacKey::DB)
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The IMPLEMENTATION DEFINED PAC function: a keyed 64-bit mix of the
/// pointer and the modifier (two rounds of the splitmix64 finaliser).
pub fn compute_pac(data: u64, modifier: u64, key_lo: u64, key_hi: u64) -> u64 {
    let a = mix(data ^ key_lo);
    mix(a ^ modifier.rotate_left(23) ^ key_hi)
}

/// Which EL's controls apply and the traps (`TrapPACUse`) for the current EL.
fn controls(cpu: &Cpu) -> (u64, Option<u8>) {
    let el = cpu.el();
    let host = cpu.in_host();
    let sctlr = match el {
        0 if host => cpu.sr(SysReg::SCTLR_EL2),
        0 | 1 => cpu.sr(SysReg::SCTLR_EL1),
        2 => cpu.sr(SysReg::SCTLR_EL2),
        _ => cpu.sr(SysReg::SCTLR_EL3),
    };
    let trap_el2 = el <= 1 && cpu.el2_enabled() && !host && cpu.sr(SysReg::HCR_EL2) & HCR_API == 0;
    let trap_el3 = el <= 2 && cpu.sr(SysReg::SCR_EL3) & SCR_API == 0;
    let trap = if trap_el2 {
        Some(2)
    } else if trap_el3 {
        Some(3)
    } else {
        None
    };
    (sctlr, trap)
}

/// (bottom PAC bit, TBI) for a pointer in the current regime
/// (`CalculateBottomPACBit`, `EffectiveTBI`).
fn layout(cpu: &Cpu, ptr: u64, data: bool) -> (u32, bool) {
    let el = cpu.el();
    let bit55 = ptr >> 55 & 1 != 0;
    let (tcr, two_ranges) = match el {
        0 | 1 if !cpu.in_host() => (cpu.sr(SysReg::TCR_EL1), true),
        0 | 2 if cpu.sr(SysReg::HCR_EL2) & HCR_E2H != 0 => (cpu.sr(SysReg::TCR_EL2), true),
        2 => (cpu.sr(SysReg::TCR_EL2), false),
        _ => (cpu.sr(SysReg::TCR_EL3), false),
    };
    let (tsz, tbi, tbid) = if two_ranges {
        if bit55 {
            ((tcr >> 16) & 0x3f, tcr >> 38 & 1 != 0, tcr >> 52 & 1 != 0)
        } else {
            (tcr & 0x3f, tcr >> 37 & 1 != 0, tcr >> 51 & 1 != 0)
        }
    } else {
        (tcr & 0x3f, tcr >> 20 & 1 != 0, tcr >> 29 & 1 != 0)
    };
    // TnSZ outside [16, 39] is treated as its nearest limit (48-bit VA max).
    let tsz = tsz.clamp(16, 39) as u32;
    // TBID: TBI applies to data accesses only.
    let tbi = tbi && (data || !tbid);
    (64 - tsz, tbi)
}

/// Mask of the PAC field bits for (bottom, tbi): [54:bottom] and, without
/// TBI, \[63:56\].
fn pac_mask(bottom: u32, tbi: bool) -> u64 {
    let low = ((1u64 << 55) - 1) & !((1u64 << bottom) - 1);
    if tbi { low } else { low | 0xff00_0000_0000_0000 }
}

/// The pointer with its PAC field replaced by copies of bit 55.
fn extension(ptr: u64, bottom: u32, tbi: bool) -> u64 {
    let m = pac_mask(bottom, tbi);
    if ptr >> 55 & 1 != 0 { ptr | m } else { ptr & !m }
}

fn add_pac_raw(cpu: &Cpu, ptr: u64, modifier: u64, lo: u64, hi: u64, data: bool) -> u64 {
    let (bottom, tbi) = layout(cpu, ptr, data);
    let m = pac_mask(bottom, tbi);
    let ext = extension(ptr, bottom, tbi);
    let mut pac = compute_pac(ext, modifier, lo, hi);
    if ext != ptr {
        // Not a canonical pointer: corrupt the PAC (flip its top bit) so that
        // authentication of the result fails (Armv8.3 `AddPAC`).
        let top = if tbi { 54 } else { 63 };
        pac ^= 1 << (top - 1);
    }
    (ptr & !m) | (pac & m)
}

/// PACIA/PACIB/PACDA/PACDB and their Z/SP/1716 forms.
pub fn add_pac(cpu: &Cpu, ptr: u64, modifier: u64, key: PacKey) -> Result<u64, Exception> {
    let (sctlr, trap) = controls(cpu);
    if sctlr & key.enable_bit() == 0 {
        return Ok(ptr);
    }
    if let Some(to_el) = trap {
        return Err(Exception::PauthTrap { to_el });
    }
    let (lo, hi) = key.regs();
    let data = matches!(key, PacKey::DA | PacKey::DB);
    Ok(add_pac_raw(cpu, ptr, modifier, cpu.sr(lo), cpu.sr(hi), data))
}

/// AUTIA/AUTIB/AUTDA/AUTDB and their forms (`Auth`).
pub fn auth(cpu: &Cpu, ptr: u64, modifier: u64, key: PacKey) -> Result<u64, Exception> {
    let (sctlr, trap) = controls(cpu);
    if sctlr & key.enable_bit() == 0 {
        return Ok(ptr);
    }
    if let Some(to_el) = trap {
        return Err(Exception::PauthTrap { to_el });
    }
    Ok(auth_raw(cpu, ptr, modifier, key))
}

fn auth_raw(cpu: &Cpu, ptr: u64, modifier: u64, key: PacKey) -> u64 {
    let (lo, hi) = key.regs();
    let data = matches!(key, PacKey::DA | PacKey::DB);
    let (bottom, tbi) = layout(cpu, ptr, data);
    let original = extension(ptr, bottom, tbi);
    let expected = add_pac_raw(cpu, original, modifier, cpu.sr(lo), cpu.sr(hi), data);
    let m = pac_mask(bottom, tbi);
    if expected & m == ptr & m {
        original
    } else {
        // Error code key_number:NOT(key_number) in bits [54:53] (TBI) or [62:61].
        let code: u64 = if key.is_b() { 0b10 } else { 0b01 };
        let shift = if tbi { 53 } else { 61 };
        (original & !(3u64 << shift)) | (code << shift)
    }
}

/// XPACI/XPACD/XPACLRI (`Strip`): no traps, no enable check.
pub fn strip(cpu: &Cpu, ptr: u64, instr: bool) -> u64 {
    let (bottom, tbi) = layout(cpu, ptr, !instr);
    extension(ptr, bottom, tbi)
}

/// PACGA: the top 32 bits of the generic PAC of Xn with modifier Xm|SP.
pub fn pacga(cpu: &Cpu, x: u64, modifier: u64) -> Result<u64, Exception> {
    let (_, trap) = controls(cpu);
    if let Some(to_el) = trap {
        return Err(Exception::PauthTrap { to_el });
    }
    let pac = compute_pac(x, modifier, cpu.sr(SysReg::APGAKeyLo_EL1), cpu.sr(SysReg::APGAKeyHi_EL1));
    Ok(pac & 0xffff_ffff_0000_0000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::{Cpu, CpuConfig};

    fn el1_cpu() -> Cpu {
        let mut c = Cpu::new(CpuConfig::fvp(0));
        c.set_sr(SysReg::SCR_EL3, SCR_NS | SCR_RW | SCR_API | SCR_APK);
        c.set_sr(SysReg::HCR_EL2, HCR_API | HCR_APK);
        c.set_sr(SysReg::SCTLR_EL1, SCTLR_ENIA | SCTLR_ENIB);
        c.set_sr(SysReg::TCR_EL1, 16 | 16 << 16);
        c.set_sr(SysReg::APIAKeyLo_EL1, 0x1234);
        c.set_sr(SysReg::APIAKeyHi_EL1, 0x5678);
        c.state.pstate.el = 1;
        c
    }

    #[test]
    fn sign_then_authenticate_round_trips() {
        let c = el1_cpu();
        let p = 0xffff_8000_1234_5678u64;
        let signed = add_pac(&c, p, 42, PacKey::IA).unwrap();
        assert_ne!(signed, p, "the PAC must change the pointer");
        assert_eq!(signed & 0xffff_ffff_ffff, p & 0xffff_ffff_ffff);
        assert_eq!(auth(&c, signed, 42, PacKey::IA).unwrap(), p);
        // Wrong modifier: error code 01 in bits [62:61].
        let bad = auth(&c, signed, 43, PacKey::IA).unwrap();
        assert_eq!(bad >> 61 & 3, 0b01);
        assert_eq!(strip(&c, signed, true), p);
    }

    #[test]
    fn disabled_key_is_a_nop_and_traps_follow_scr() {
        let mut c = el1_cpu();
        assert_eq!(add_pac(&c, 0x1000, 0, PacKey::DA).unwrap(), 0x1000);
        c.set_sr(SysReg::SCR_EL3, SCR_NS | SCR_RW);
        assert_eq!(add_pac(&c, 0x1000, 0, PacKey::IA), Err(Exception::PauthTrap { to_el: 3 }));
    }
}
