//! System registers: storage, the access rules of the table rows, the
//! traps HCR_EL2/SCR_EL3/MDCR route them by, and read/write hooks for
//! registers whose value lives elsewhere (PSTATE, counters, RNG).
//!
//! The order of checks follows the Arm ARM's per-register pseudocode
//! (e.g. `MRS <Xt>, SCTLR_EL1`): UNDEFINED at this EL first, then traps to
//! EL2 (HCR_EL2.TVM/TRVM/TIDx/TACR/TLOR/APK, MDCR_EL2.TDA), then traps to
//! EL3 (SCR_EL3.APK, MDCR_EL3.TDA), then the access itself with the VHE
//! redirection of Arm ARM D5.6.

pub mod hooks;
pub mod table;

use crate::cpu::*;
use crate::exception::Exception;
use table::{SysReg, SysRegEnc, SYSREG_COUNT, SYSREG_DEFS};
use std::sync::OnceLock;

/// Who may access a register, before traps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Read/write at EL0 and above.
    El0Rw,
    /// Read-only at EL0 and above.
    El0Ro,
    /// Read-only at EL0, read/write at EL1 and above (TPIDRRO_EL0).
    El0RoEl1Rw,
    /// DAIF: EL0 access when SCTLR_EL1.UMA == 1, else a trap to EL1.
    El0Daif,
    /// SP_EL0: EL1 and above, UNDEFINED while SP_EL0 is the current SP.
    SpEl0,
    El1Rw,
    El1Ro,
    El1Wo,
    El2Rw,
    El2Ro,
    El3Rw,
    El3Ro,
    /// CNTFRQ_EL0: readable at every EL (EL0 per CNTKCTL_EL1), writable at EL3.
    CntFrq,
    /// CNTPCT_EL0: readable; EL0 per CNTKCTL_EL1.EL0PCTEN.
    CntPct,
    /// CNTVCT_EL0: readable; EL0 per CNTKCTL_EL1.EL0VCTEN.
    CntVct,
    /// An `_EL12`/`_EL02` alias: valid at EL2/EL3 when HCR_EL2.E2H == 1.
    Alias12(SysReg),
    /// CNTP_*_EL0 (false) / CNTV_*_EL0 (true): EL0 per CNTKCTL_EL1.EL0PTEN/EL0VTEN.
    TimerEl0(bool),
    /// CNTPS_*_EL1: EL3, and Secure EL1 when SCR_EL3.ST = 1 (else a trap to EL3).
    CntPs,
    /// PMUv3 registers: EL0 per PMUSERENR_EL0.EN (PMINTEN* are EL1 only);
    /// MDCR_EL2.TPM / MDCR_EL3.TPM trap lower ELs.
    Pmu,
}

/// The trap control a register falls under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trap {
    None,
    /// MIDR/MPIDR: virtualised by VPIDR_EL2/VMPIDR_EL2 at EL1.
    Tid0,
    Tid1,
    Tid2,
    Tid3,
    Tvm,
    Tacr,
    PauthKey,
    Lor,
    Tda,
}

/// Storage of every table register.
#[derive(Clone)]
pub struct SysRegFile {
    vals: Box<[u64; SYSREG_COUNT]>,
}

impl Default for SysRegFile {
    fn default() -> Self {
        SysRegFile::new()
    }
}

impl SysRegFile {
    /// All registers at their reset values.
    pub fn new() -> SysRegFile {
        let mut vals = Box::new([0u64; SYSREG_COUNT]);
        for d in SYSREG_DEFS.iter() {
            vals[d.id as usize] = d.reset;
        }
        SysRegFile { vals }
    }
    #[inline]
    pub fn get(&self, r: SysReg) -> u64 {
        self.vals[r as usize]
    }
    #[inline]
    pub fn set(&mut self, r: SysReg, v: u64) {
        self.vals[r as usize] = v;
    }
}

const NO_REG: u16 = u16::MAX;

fn lookup_table() -> &'static [u16] {
    static TABLE: OnceLock<Vec<u16>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = vec![NO_REG; 1 << 16];
        for d in SYSREG_DEFS.iter() {
            t[d.enc.0 as usize] = d.id as u16;
        }
        t
    })
}

/// The register with this encoding, if the table has it.
pub fn lookup(enc: SysRegEnc) -> Option<SysReg> {
    let i = lookup_table()[enc.0 as usize];
    if i == NO_REG { None } else { Some(SYSREG_DEFS[i as usize].id) }
}

/// The register with this name (as the Arm ARM spells it), if any.
pub fn by_name(name: &str) -> Option<SysReg> {
    SYSREG_DEFS.iter().find(|d| d.name.eq_ignore_ascii_case(name)).map(|d| d.id)
}

/// What an MRS/MSR reaches after the access checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Reg(SysReg),
    /// An unallocated register of the ID space (op0=3, op1=0, CRn=0,
    /// CRm=1..7): reads as zero (Arm ARM D23.3.1).
    Raz,
}

/// The ISS of an MSR/MRS trap (EC 0x18, Arm ARM D24.2.x "ISS encoding for
/// an exception from MSR, MRS, or System instruction execution").
pub fn msr_mrs_iss(enc: SysRegEnc, rt: u32, is_read: bool) -> u32 {
    enc.op0() << 20 | enc.op2() << 17 | enc.op1() << 14 | enc.crn() << 10 | rt << 5 | enc.crm() << 1 | is_read as u32
}

impl Cpu {
    /// Where a trap from EL0 "to EL1" really goes: EL2 under HCR_EL2.TGE.
    pub(crate) fn el1_trap_target(&self) -> u8 {
        if self.el() == 0 && self.hcr_el2() & HCR_TGE != 0 { 2 } else { 1 }
    }

    /// Resolves an MRS (`is_read`) or MSR to its register, or the exception
    /// the access raises.
    pub fn sysreg_access(&self, enc: SysRegEnc, rt: u32, is_read: bool) -> Result<Target, Exception> {
        let el = self.el();
        let trap = |to_el: u8| Exception::SysRegTrap { to_el, iss: msr_mrs_iss(enc, rt, is_read) };
        let Some(mut reg) = lookup(enc) else {
            if enc.op0() == 3 && enc.op1() == 0 && enc.crn() == 0 && (1..=7).contains(&enc.crm()) && el >= 1 {
                if !is_read {
                    return Err(Exception::Undefined);
                }
                if el == 1 && self.hcr_el2() & HCR_TID3 != 0 {
                    return Err(trap(2));
                }
                return Ok(Target::Raz);
            }
            return Err(Exception::Undefined);
        };
        let def = reg.def();
        let hcr = self.hcr_el2();
        let e2h = self.el2_enabled_in(self.security_state_at(2)) && self.sr(SysReg::HCR_EL2) & HCR_E2H != 0;
        // 1. UNDEFINED at this EL, and EL0 traps to EL1.
        match def.access {
            Access::El0Rw => {}
            Access::El0Ro => {
                if !is_read {
                    return Err(Exception::Undefined);
                }
                if el == 0 && reg == SysReg::CTR_EL0 && !self.el0_sctlr_bit(SCTLR_UCT) {
                    return Err(trap(self.el1_trap_target()));
                }
                if matches!(reg, SysReg::RNDR | SysReg::RNDRRS) && !self.features.rng {
                    return Err(Exception::Undefined);
                }
            }
            Access::El0RoEl1Rw => {
                if el == 0 && !is_read {
                    return Err(Exception::Undefined);
                }
            }
            Access::El0Daif => {
                if el == 0 && !self.el0_sctlr_bit(SCTLR_UMA) {
                    return Err(trap(self.el1_trap_target()));
                }
            }
            Access::SpEl0 => {
                if el == 0 || !self.state.pstate.sp {
                    return Err(Exception::Undefined);
                }
            }
            Access::El1Rw | Access::El1Ro | Access::El1Wo => {
                if el == 0 {
                    return Err(Exception::Undefined);
                }
                if (def.access == Access::El1Ro && !is_read) || (def.access == Access::El1Wo && is_read) {
                    return Err(Exception::Undefined);
                }
            }
            Access::El2Rw | Access::El2Ro => {
                if el < 2 || (def.access == Access::El2Ro && !is_read) {
                    return Err(Exception::Undefined);
                }
            }
            Access::El3Rw | Access::El3Ro => {
                if el < 3 || (def.access == Access::El3Ro && !is_read) {
                    return Err(Exception::Undefined);
                }
            }
            Access::CntFrq | Access::CntPct | Access::CntVct => {
                if !is_read && !(def.access == Access::CntFrq && el == 3) {
                    return Err(Exception::Undefined);
                }
                if el == 0 && is_read {
                    // CNTKCTL_EL1 (CNTHCTL_EL2 in the host regime) EL0PCTEN[0], EL0VCTEN[1].
                    let ctl = if self.in_host() { self.sr(SysReg::CNTHCTL_EL2) } else { self.sr(SysReg::CNTKCTL_EL1) };
                    let ok = match def.access {
                        Access::CntPct => ctl & 1 != 0,
                        Access::CntVct => ctl & 2 != 0,
                        _ => ctl & 3 != 0,
                    };
                    if !ok {
                        return Err(trap(self.el1_trap_target()));
                    }
                }
            }
            Access::TimerEl0(virt) => {
                if el == 0 {
                    let ctl = if self.in_host() { self.sr(SysReg::CNTHCTL_EL2) } else { self.sr(SysReg::CNTKCTL_EL1) };
                    let bit = if virt { 1 << 8 } else { 1 << 9 };
                    if ctl & bit == 0 {
                        return Err(trap(self.el1_trap_target()));
                    }
                }
            }
            Access::CntPs => match el {
                3 => {}
                1 if self.security_state() == rme_mmu::SecurityState::Secure => {
                    if self.sr(SysReg::SCR_EL3) & (1 << 11) == 0 {
                        return Err(trap(3));
                    }
                }
                _ => return Err(Exception::Undefined),
            },
            Access::Pmu => {
                let el1_only = matches!(reg, SysReg::PMINTENSET_EL1 | SysReg::PMINTENCLR_EL1);
                if el == 0 && (el1_only || self.sr(SysReg::PMUSERENR_EL0) & 1 == 0) {
                    return if el1_only { Err(Exception::Undefined) } else { Err(trap(self.el1_trap_target())) };
                }
                if !is_read && matches!(reg, SysReg::PMCEID0_EL0 | SysReg::PMCEID1_EL0) {
                    return Err(Exception::Undefined);
                }
                if el <= 1 && self.el2_enabled() && self.sr(SysReg::MDCR_EL2) & (1 << 6) != 0 {
                    return Err(trap(2));
                }
                if el <= 2 && self.sr(SysReg::MDCR_EL3) & (1 << 6) != 0 {
                    return Err(trap(3));
                }
            }
            Access::Alias12(target) => {
                if el < 2 || !e2h {
                    return Err(Exception::Undefined);
                }
                reg = target;
            }
        }
        // 2. Traps to EL2 from EL1 (and EL0 where the control says so).
        if el == 1 && self.el2_enabled() {
            let t = match def.trap {
                Trap::Tvm => (is_read && hcr & HCR_TRVM != 0) || (!is_read && hcr & HCR_TVM != 0),
                Trap::Tid1 => hcr & HCR_TID1 != 0,
                Trap::Tid2 => hcr & HCR_TID2 != 0,
                Trap::Tid3 => hcr & HCR_TID3 != 0,
                Trap::Tacr => hcr & HCR_TACR != 0,
                Trap::Lor => hcr & HCR_TLOR != 0,
                Trap::PauthKey => hcr & HCR_APK == 0 && !self.in_host(),
                Trap::Tda => self.sr(SysReg::MDCR_EL2) & (1 << 9 | 1 << 8) != 0,
                Trap::None | Trap::Tid0 => false,
            };
            if t {
                return Err(trap(2));
            }
        }
        // 3. Traps to EL3.
        if el < 3 {
            let t = match def.trap {
                Trap::PauthKey => self.sr(SysReg::SCR_EL3) & SCR_APK == 0,
                Trap::Tda => self.sr(SysReg::MDCR_EL3) & (1 << 9) != 0,
                _ => false,
            };
            if t {
                return Err(trap(3));
            }
        }
        // 4. VHE redirection of EL1 registers at EL2 (Arm ARM D5.6.2).
        if el == 2 && e2h
            && let Some(r) = reg.e2h_redirect()
                && !matches!(def.access, Access::Alias12(_)) {
                    reg = r;
                }
        Ok(Target::Reg(reg))
    }

    /// SCTLR_EL1 (SCTLR_EL2 in the host regime) bit that gates an EL0 access.
    pub(crate) fn el0_sctlr_bit(&self, bit: u64) -> bool {
        let sctlr = if self.in_host() { self.sr(SysReg::SCTLR_EL2) } else { self.sr(SysReg::SCTLR_EL1) };
        sctlr & bit != 0
    }

    /// MRS: the value of a resolved register.
    pub fn sysreg_read(&mut self, t: Target) -> u64 {
        match t {
            Target::Raz => 0,
            Target::Reg(r) => hooks::read(self, r),
        }
    }

    /// MSR: writes a resolved register, with its side effects.
    pub fn sysreg_write(&mut self, t: Target, v: u64) {
        if let Target::Reg(r) = t {
            hooks::write(self, r, v)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::{Cpu, CpuConfig};
    use crate::exception::Exception;

    fn enc(r: SysReg) -> SysRegEnc {
        r.def().enc
    }

    fn cpu_at(el: u8, scr: u64) -> Cpu {
        let mut c = Cpu::new(CpuConfig::fvp(0));
        c.set_sr(SysReg::SCR_EL3, scr);
        c.state.pstate.el = el;
        c
    }

    #[test]
    fn el3_registers_are_undefined_below_el3() {
        for el in 0..3 {
            let c = cpu_at(el, SCR_NS | SCR_RW);
            assert_eq!(c.sysreg_access(enc(SysReg::SCR_EL3), 0, true), Err(Exception::Undefined), "EL{el}");
            assert_eq!(c.sysreg_access(enc(SysReg::GPCCR_EL3), 0, false), Err(Exception::Undefined), "EL{el}");
        }
        let c = cpu_at(3, 0);
        assert_eq!(c.sysreg_access(enc(SysReg::GPTBR_EL3), 0, true), Ok(Target::Reg(SysReg::GPTBR_EL3)));
    }

    #[test]
    fn el2_registers_need_el2() {
        let c = cpu_at(1, SCR_NS | SCR_RW);
        assert_eq!(c.sysreg_access(enc(SysReg::HCR_EL2), 0, true), Err(Exception::Undefined));
        let c = cpu_at(2, SCR_NS | SCR_RW);
        assert_eq!(c.sysreg_access(enc(SysReg::HCR_EL2), 0, true), Ok(Target::Reg(SysReg::HCR_EL2)));
    }

    #[test]
    fn tvm_traps_el1_writes_to_el2() {
        let mut c = cpu_at(1, SCR_NS | SCR_RW);
        c.set_sr(SysReg::HCR_EL2, HCR_TVM);
        let e = c.sysreg_access(enc(SysReg::SCTLR_EL1), 3, false);
        assert!(matches!(e, Err(Exception::SysRegTrap { to_el: 2, .. })));
        assert_eq!(c.sysreg_access(enc(SysReg::SCTLR_EL1), 3, true), Ok(Target::Reg(SysReg::SCTLR_EL1)));
        // Secure EL1 without Secure EL2: HCR_EL2 has no effect.
        let mut c = cpu_at(1, SCR_RW);
        c.set_sr(SysReg::HCR_EL2, HCR_TVM);
        assert_eq!(c.sysreg_access(enc(SysReg::SCTLR_EL1), 3, false), Ok(Target::Reg(SysReg::SCTLR_EL1)));
    }

    #[test]
    fn vhe_redirects_and_el12_aliases() {
        let mut c = cpu_at(2, SCR_NS | SCR_RW);
        assert_eq!(c.sysreg_access(enc(SysReg::SCTLR_EL12), 0, true), Err(Exception::Undefined));
        c.set_sr(SysReg::HCR_EL2, HCR_E2H);
        assert_eq!(c.sysreg_access(enc(SysReg::SCTLR_EL1), 0, true), Ok(Target::Reg(SysReg::SCTLR_EL2)));
        assert_eq!(c.sysreg_access(enc(SysReg::SCTLR_EL12), 0, true), Ok(Target::Reg(SysReg::SCTLR_EL1)));
        assert_eq!(c.sysreg_access(enc(SysReg::VBAR_EL1), 0, false), Ok(Target::Reg(SysReg::VBAR_EL2)));
    }

    #[test]
    fn pauth_keys_trap_by_scr_apk() {
        let c = cpu_at(1, SCR_RW);
        assert!(matches!(c.sysreg_access(enc(SysReg::APIAKeyLo_EL1), 0, false), Err(Exception::SysRegTrap { to_el: 3, .. })));
        let c = cpu_at(1, SCR_RW | SCR_APK);
        assert!(c.sysreg_access(enc(SysReg::APIAKeyLo_EL1), 0, false).is_ok());
    }

    #[test]
    fn unallocated_id_space_reads_as_zero() {
        let c = cpu_at(1, SCR_NS | SCR_RW);
        assert_eq!(c.sysreg_access(SysRegEnc::new(3, 0, 0, 3, 7), 0, true), Ok(Target::Raz));
        assert_eq!(c.sysreg_access(SysRegEnc::new(3, 0, 0, 3, 7), 0, false), Err(Exception::Undefined));
        assert_eq!(c.sysreg_access(SysRegEnc::new(3, 0, 15, 3, 7), 0, true), Err(Exception::Undefined));
    }

    #[test]
    fn el0_access_rules() {
        let c = cpu_at(0, SCR_NS | SCR_RW);
        assert!(c.sysreg_access(enc(SysReg::TPIDR_EL0), 0, false).is_ok());
        assert_eq!(c.sysreg_access(enc(SysReg::TPIDRRO_EL0), 0, false), Err(Exception::Undefined));
        assert!(matches!(c.sysreg_access(enc(SysReg::CTR_EL0), 0, true), Err(Exception::SysRegTrap { to_el: 1, .. })));
        assert!(matches!(c.sysreg_access(enc(SysReg::DAIF), 0, true), Err(Exception::SysRegTrap { to_el: 1, .. })));
        assert_eq!(c.sysreg_access(enc(SysReg::SCTLR_EL1), 0, true), Err(Exception::Undefined));
    }
}
