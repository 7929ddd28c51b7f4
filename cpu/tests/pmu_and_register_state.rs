//! PMUv3 cycle counter (Arm ARM D13: PMCR_EL0.E and PMCNTENSET_EL0.C gate
//! PMCCNTR_EL0; PMCR_EL0.C resets it; the SET/CLR register pairs share one
//! state; PMUSERENR_EL0.EN gates EL0); the GICv3 ICH_*_EL2 registers are not
//! CPU table state (they are the GIC's, reached through the GIC port).

use rme_cpu::exception::Exception;
use rme_cpu::sysreg::table::SysRegEnc;
use rme_cpu::{Cpu, CpuConfig, SysReg};
use rme_mmu::PhysBus;

fn w(c: &mut Cpu, r: SysReg, v: u64) {
    let t = c.sysreg_access(r.def().enc, 0, false).unwrap();
    c.sysreg_write(t, v);
}
fn r(c: &mut Cpu, reg: SysReg) -> u64 {
    let t = c.sysreg_access(reg.def().enc, 0, true).unwrap();
    c.sysreg_read(t)
}

#[test]
fn cycle_counter_counts_retired_instructions_only_when_enabled() {
    let mut bus = PhysBus::new();
    bus.add_ram("ram", 0, 0x1000).unwrap();
    bus.load(0, &[0x1f, 0x20, 0x03, 0xd5].repeat(64)).unwrap(); // NOPs
    let mut c = Cpu::new(CpuConfig::fvp(0));
    c.run(&bus, 10);
    assert_eq!(r(&mut c, SysReg::PMCCNTR_EL0), 0, "disabled at reset");
    w(&mut c, SysReg::PMCNTENSET_EL0, 1 << 31);
    assert_eq!(r(&mut c, SysReg::PMCNTENCLR_EL0), 1 << 31, "SET and CLR read the same state");
    w(&mut c, SysReg::PMCR_EL0, 1);
    c.run(&bus, 20);
    assert_eq!(r(&mut c, SysReg::PMCCNTR_EL0), 20);
    w(&mut c, SysReg::PMCNTENCLR_EL0, 1 << 31);
    c.run(&bus, 5);
    assert_eq!(r(&mut c, SysReg::PMCCNTR_EL0), 20, "stopped by PMCNTENCLR");
    w(&mut c, SysReg::PMCR_EL0, 1 | 4);
    assert_eq!(r(&mut c, SysReg::PMCCNTR_EL0), 0, "PMCR_EL0.C resets it");
    assert_eq!(r(&mut c, SysReg::PMCR_EL0) >> 11 & 0x1f, 0, "PMCR_EL0.N = 0 event counters");
}

#[test]
fn pmu_el0_access_needs_pmuserenr_en() {
    let mut c = Cpu::new(CpuConfig::fvp(0));
    c.set_sr(SysReg::SCR_EL3, 1 | 1 << 8 | 1 << 10);
    c.state.pstate.el = 0;
    assert!(matches!(
        c.sysreg_access(SysReg::PMCCNTR_EL0.def().enc, 0, true),
        Err(Exception::SysRegTrap { to_el: 1, .. })
    ));
    c.set_sr(SysReg::PMUSERENR_EL0, 1);
    assert!(c.sysreg_access(SysReg::PMCCNTR_EL0.def().enc, 0, true).is_ok());
    // MDCR_EL3.TPM traps every lower EL to EL3.
    c.set_sr(SysReg::MDCR_EL3, 1 << 6);
    assert!(matches!(
        c.sysreg_access(SysReg::PMCCNTR_EL0.def().enc, 0, true),
        Err(Exception::SysRegTrap { to_el: 3, .. })
    ));
}

/// The GICv3 virtual interface's ICH_*_EL2 registers live in the GIC (its
/// unit tests cover ICH_ELRSR_EL2 and the rest): the CPU's own table has
/// no row for them, so without a GIC attached they are UNDEFINED.
#[test]
fn ich_registers_are_the_gics() {
    let c = Cpu::new(CpuConfig::fvp(0));
    for enc in [SysRegEnc::new(3, 4, 12, 11, 1), SysRegEnc::new(3, 4, 12, 11, 5), SysRegEnc::new(3, 4, 12, 12, 0)] {
        assert_eq!(c.sysreg_access(enc, 0, true), Err(Exception::Undefined));
    }
}
