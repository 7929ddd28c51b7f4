//! PSTATE (Arm ARM D1.4 "Process state, PSTATE") and its SPSR encoding
//! (`SPSR_ELx` for AArch64, C5.2.18).

/// Process state. `el` is 0..=3; `sp` is PSTATE.SP (SPSel): when true at
/// EL1-EL3 the stack pointer is SP_ELx, else SP_EL0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Pstate {
    pub n: bool,
    pub z: bool,
    pub c: bool,
    pub v: bool,
    pub d: bool,
    pub a: bool,
    pub i: bool,
    pub f: bool,
    pub el: u8,
    pub sp: bool,
    /// Privileged Access Never (FEAT_PAN).
    pub pan: bool,
    /// User Access Override (FEAT_UAO).
    pub uao: bool,
    /// Data Independent Timing (FEAT_DIT).
    pub dit: bool,
    /// Speculative Store Bypass Safe (FEAT_SSBS).
    pub ssbs: bool,
    /// Illegal Execution state.
    pub il: bool,
    /// Software step.
    pub ss: bool,
    /// Branch type (FEAT_BTI).
    pub btype: u8,
}

// SPSR_ELx bit positions (AArch64 state).
pub const SPSR_N: u64 = 1 << 31;
pub const SPSR_Z: u64 = 1 << 30;
pub const SPSR_C: u64 = 1 << 29;
pub const SPSR_V: u64 = 1 << 28;
pub const SPSR_DIT: u64 = 1 << 24;
pub const SPSR_UAO: u64 = 1 << 23;
pub const SPSR_PAN: u64 = 1 << 22;
pub const SPSR_SS: u64 = 1 << 21;
pub const SPSR_IL: u64 = 1 << 20;
pub const SPSR_SSBS: u64 = 1 << 12;
pub const SPSR_BTYPE_SHIFT: u32 = 10;
pub const SPSR_D: u64 = 1 << 9;
pub const SPSR_A: u64 = 1 << 8;
pub const SPSR_I: u64 = 1 << 7;
pub const SPSR_F: u64 = 1 << 6;
/// M\[4\]: 1 = AArch32 (not implemented here).
pub const SPSR_M4: u64 = 1 << 4;

impl Pstate {
    /// NZCV as the NZCV system register / SPSR\[31:28\] holds it.
    pub fn nzcv(&self) -> u64 {
        (self.n as u64) << 31 | (self.z as u64) << 30 | (self.c as u64) << 29 | (self.v as u64) << 28
    }

    pub fn set_nzcv(&mut self, v: u64) {
        self.n = v & SPSR_N != 0;
        self.z = v & SPSR_Z != 0;
        self.c = v & SPSR_C != 0;
        self.v = v & SPSR_V != 0;
    }

    /// DAIF as the DAIF system register / SPSR\[9:6\] holds it.
    pub fn daif(&self) -> u64 {
        (self.d as u64) << 9 | (self.a as u64) << 8 | (self.i as u64) << 7 | (self.f as u64) << 6
    }

    pub fn set_daif(&mut self, v: u64) {
        self.d = v & SPSR_D != 0;
        self.a = v & SPSR_A != 0;
        self.i = v & SPSR_I != 0;
        self.f = v & SPSR_F != 0;
    }

    /// M\[3:0\]: EL in \[3:2\], SP select in \[0\].
    pub fn mode_bits(&self) -> u64 {
        ((self.el as u64) << 2) | self.sp as u64
    }

    /// The SPSR value that records this PSTATE (Arm ARM `GetPSRFromPSTATE`).
    pub fn to_spsr(&self) -> u64 {
        self.nzcv()
            | self.daif()
            | self.mode_bits()
            | if self.dit { SPSR_DIT } else { 0 }
            | if self.uao { SPSR_UAO } else { 0 }
            | if self.pan { SPSR_PAN } else { 0 }
            | if self.ss { SPSR_SS } else { 0 }
            | if self.il { SPSR_IL } else { 0 }
            | if self.ssbs { SPSR_SSBS } else { 0 }
            | (self.btype as u64 & 3) << SPSR_BTYPE_SHIFT
    }

    /// Restores every field but the mode (EL/SP), which the caller checks
    /// (`IllegalExceptionReturn`), from an SPSR value (Arm ARM `SetPSTATEFromPSR`).
    pub fn set_from_spsr_fields(&mut self, spsr: u64) {
        self.set_nzcv(spsr);
        self.set_daif(spsr);
        self.dit = spsr & SPSR_DIT != 0;
        self.uao = spsr & SPSR_UAO != 0;
        self.pan = spsr & SPSR_PAN != 0;
        self.ss = spsr & SPSR_SS != 0;
        self.il = spsr & SPSR_IL != 0;
        self.ssbs = spsr & SPSR_SSBS != 0;
        self.btype = ((spsr >> SPSR_BTYPE_SHIFT) & 3) as u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spsr_round_trip() {
        let p = Pstate { n: true, c: true, d: true, i: true, el: 2, sp: true, pan: true, dit: true, btype: 2, ..Default::default() };
        let spsr = p.to_spsr();
        assert_eq!(spsr & 0xf, 0b1001);
        let mut q = Pstate { el: 2, sp: true, ..Default::default() };
        q.set_from_spsr_fields(spsr);
        assert_eq!(p, q);
    }
}
