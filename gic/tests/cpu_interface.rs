//! The ICC system registers: fixed fields, reset values, access rules per
//! exception level and Security state (UNDEFINED, traps to EL2/EL3, the
//! virtual-interface redirection) and the priority-bits configuration.

mod common;

use common::*;
use rme_gic::{GicConfig, IccContext, IccError, IccReg, IchReg, IntGroup};

#[test]
fn icc_ctlr_fixed_fields() {
    let m = fvp();
    let c = m.icc_r(0, IccReg::CtlrEl1, ns_el1());
    assert_eq!(c >> 8 & 7, 4, "PRIbits");
    assert_eq!(c >> 11 & 7, 0, "IDbits: 16");
    assert_eq!(c >> 15 & 1, 1, "A3V");
    assert_eq!(c >> 14 & 1, 0, "SEIS");
    assert_eq!(c >> 18 & 1, 0, "RSS");
    assert_eq!(c & 0b11, 0, "CBPR, EOImode reset 0");
    let c3 = m.icc_r(0, IccReg::CtlrEl3, el3());
    assert_eq!(c3 >> 17 & 1, 1, "nDS");
    assert_eq!(c3 >> 8 & 7, 4);
    assert_eq!(c3 & 0x7f, 0);
    // Writes of the read-only fields are ignored.
    m.icc_w(0, IccReg::CtlrEl1, ns_el1(), !0);
    assert_eq!(m.icc_r(0, IccReg::CtlrEl1, ns_el1()), c | 2);
    m.icc_w(0, IccReg::CtlrEl3, el3(), !0);
    assert_eq!(m.icc_r(0, IccReg::CtlrEl3, el3()), c3 | 0x1f);
}

#[test]
fn icc_sre_registers() {
    let m = fvp();
    assert_eq!(m.icc_r(0, IccReg::SreEl1, ns_el1()), 0b111, "SRE, DFB, DIB RAO");
    m.icc_w(0, IccReg::SreEl1, ns_el1(), 0);
    assert_eq!(m.icc_r(0, IccReg::SreEl1, s_el1()), 0b111, "SRE is RAO/WI");
    assert_eq!(m.icc_r(0, IccReg::SreEl2, ns_el2()), 0b1111);
    assert_eq!(m.icc_r(0, IccReg::SreEl3, el3()), 0b1111);
    m.icc_w(0, IccReg::SreEl3, el3(), 0b0001);
    assert_eq!(m.icc_r(0, IccReg::SreEl3, el3()), 0b0111);
    assert_eq!(m.icc_r(1, IccReg::SreEl3, el3()), 0b1111, "per PE");
}

#[test]
fn sre_enable_bits_trap_lower_levels() {
    let m = fvp();
    m.icc_w(0, IccReg::SreEl2, ns_el2(), 0b0111);
    assert_eq!(m.gic.icc_read(0, IccReg::SreEl1, ns_el1()), Err(IccError::TrapEl2));
    assert_eq!(m.gic.icc_read(0, IccReg::SreEl1, s_el1()), Ok(0b111), "SRE_EL2.Enable only affects NS EL1");
    assert_eq!(m.gic.icc_read(0, IccReg::SreEl1, ns_el2()), Ok(0b111));
    m.icc_w(0, IccReg::SreEl2, ns_el2(), 0b1111);
    m.icc_w(0, IccReg::SreEl3, el3(), 0b0111);
    assert_eq!(m.gic.icc_read(0, IccReg::SreEl1, ns_el1()), Err(IccError::TrapEl3));
    assert_eq!(m.gic.icc_write(0, IccReg::SreEl1, s_el1(), 1), Err(IccError::TrapEl3));
    assert_eq!(m.gic.icc_read(0, IccReg::SreEl2, ns_el2()), Err(IccError::TrapEl3));
    assert_eq!(m.gic.icc_read(0, IccReg::SreEl1, el3()), Ok(0b111));
    assert_eq!(m.gic.icc_read(0, IccReg::SreEl2, el3()), Ok(0b1111));
}

#[test]
fn undefined_accesses() {
    let m = fvp();
    let el0 = IccContext { el: 0, ..ns_el1() };
    for reg in IccReg::ALL {
        if reg.is_readable() {
            assert_eq!(m.gic.icc_read(0, reg, el0), Err(IccError::Undefined), "{} at EL0", reg.name());
        }
    }
    for reg in [IccReg::CtlrEl3, IccReg::SreEl3, IccReg::Igrpen1El3] {
        assert_eq!(m.gic.icc_read(0, reg, s_el1()), Err(IccError::Undefined), "{}", reg.name());
        assert_eq!(m.gic.icc_write(0, reg, ns_el2(), 0), Err(IccError::Undefined), "{}", reg.name());
        assert!(m.gic.icc_read(0, reg, el3()).is_ok());
    }
    assert_eq!(m.gic.icc_read(0, IccReg::SreEl2, s_el1()), Err(IccError::Undefined));
    for reg in [IccReg::Eoir0, IccReg::Eoir1, IccReg::Dir, IccReg::Sgi0r, IccReg::Sgi1r, IccReg::Asgi1r] {
        assert!(!reg.is_readable());
        assert_eq!(m.gic.icc_read(0, reg, el3()), Err(IccError::Undefined), "MRS {}", reg.name());
    }
    for reg in [IccReg::Iar0, IccReg::Iar1, IccReg::Hppir0, IccReg::Hppir1, IccReg::Rpr] {
        assert!(!reg.is_writable());
        assert_eq!(m.gic.icc_write(0, reg, el3(), 0), Err(IccError::Undefined), "MSR {}", reg.name());
    }
    // 5 priority bits: one APR per group.
    assert!(m.gic.icc_read(0, IccReg::Ap0r(0), el3()).is_ok());
    assert_eq!(m.gic.icc_read(0, IccReg::Ap0r(1), el3()), Err(IccError::Undefined));
    assert_eq!(m.gic.icc_write(0, IccReg::Ap1r(3), el3(), 0), Err(IccError::Undefined));
    // No such PE.
    assert_eq!(m.gic.icc_read(8, IccReg::Pmr, el3()), Err(IccError::Undefined));
    assert_eq!(m.gic.cpu_signals(8, el3()), (false, false));
    assert!(!m.gic.wake_request(8));
}

#[test]
fn scr_el3_routing_traps_group_registers() {
    let m = fvp();
    let fiq = ns_el1().with_scr_routing(true, false);
    let irq = ns_el1().with_scr_routing(false, true);
    let both = ns_el1().with_scr_routing(true, true);
    for reg in [IccReg::Iar0, IccReg::Hppir0, IccReg::Bpr0, IccReg::Ap0r(0), IccReg::Igrpen0] {
        assert_eq!(m.gic.icc_read(0, reg, fiq), Err(IccError::TrapEl3), "{}", reg.name());
        assert!(m.gic.icc_read(0, reg, irq).is_ok(), "{}", reg.name());
    }
    assert_eq!(m.gic.icc_write(0, IccReg::Eoir0, fiq, 1023), Err(IccError::TrapEl3));
    for reg in [IccReg::Iar1, IccReg::Hppir1, IccReg::Bpr1, IccReg::Ap1r(0), IccReg::Igrpen1] {
        assert_eq!(m.gic.icc_read(0, reg, irq), Err(IccError::TrapEl3), "{}", reg.name());
        assert!(m.gic.icc_read(0, reg, fiq).is_ok(), "{}", reg.name());
    }
    assert_eq!(m.gic.icc_write(0, IccReg::Eoir1, irq, 1023), Err(IccError::TrapEl3));
    for reg in [IccReg::Pmr, IccReg::Rpr, IccReg::CtlrEl1] {
        assert!(m.gic.icc_read(0, reg, fiq).is_ok());
        assert!(m.gic.icc_read(0, reg, irq).is_ok());
        assert_eq!(m.gic.icc_read(0, reg, both), Err(IccError::TrapEl3), "{}", reg.name());
    }
    assert_eq!(m.gic.icc_write(0, IccReg::Dir, both, 1023), Err(IccError::TrapEl3));
    // Secure EL1 and EL2 trap the same way; EL3 never.
    assert_eq!(m.gic.icc_read(0, IccReg::Iar0, IccContext::secure(1).with_scr_routing(true, false)), Err(IccError::TrapEl3));
    assert_eq!(m.gic.icc_read(0, IccReg::Iar1, ns_el2().with_scr_routing(false, true)), Err(IccError::TrapEl3));
    assert!(m.gic.icc_read(0, IccReg::Iar0, el3().with_scr_routing(true, true)).is_ok());
}

#[test]
fn hcr_el2_routing_selects_the_virtual_interface_at_el1() {
    let m = fvp();
    let fmo = IccContext { hcr_fmo: true, el2: true, ..ns_el1() };
    let imo = IccContext { hcr_imo: true, el2: true, ..ns_el1() };
    // The physical ICC_PMR_EL1 = 0xf0; the virtual one (ICH_VMCR_EL2.VPMR)
    // is written through ICV_PMR_EL1 and read back through ICH_VMCR_EL2.
    m.icc_w(0, IccReg::Pmr, ns_el1(), 0xf0);
    for ctx in [fmo, imo] {
        assert_eq!(m.icc_r(0, IccReg::Pmr, ctx), 0, "ICV_PMR_EL1 resets to 0 here");
    }
    m.icc_w(0, IccReg::Pmr, imo, 0x80);
    assert_eq!(m.icc_r(0, IccReg::Pmr, ns_el1()), 0xf0);
    assert_eq!(m.icc_r(0, IccReg::Ich(IchReg::Vmcr), ns_el2()) >> 24, 0x80);
    // The Group 0 registers are virtual with FMO, the Group 1 ones with IMO.
    m.icc_w(0, IccReg::Igrpen0, fmo, 1);
    m.icc_w(0, IccReg::Igrpen1, imo, 1);
    assert_eq!(m.icc_r(0, IccReg::Igrpen0, ns_el1().with_scr_routing(false, false)), 0);
    assert_eq!(m.icc_r(0, IccReg::Ich(IchReg::Vmcr), ns_el2()) & 3, 3, "VENG0, VENG1");
    assert_eq!(m.icc_r(0, IccReg::Iar0, fmo), 1023);
    assert_eq!(m.icc_r(0, IccReg::Iar1, imo), 1023);
    for reg in [IccReg::Rpr, IccReg::CtlrEl1] {
        assert!(m.gic.icc_read(0, reg, fmo).is_ok(), "{}", reg.name());
    }
    assert_eq!(m.gic.icc_write(0, IccReg::Dir, imo, 1023), Ok(()));
    // One ICV active-priorities register per group (5 preemption bits).
    assert_eq!(m.gic.icc_read(0, IccReg::Ap1r(1), imo), Err(IccError::Undefined));
    // SGI registers trap to EL2; SRE_EL1 is never virtualised; EL2
    // accesses are physical.
    assert_eq!(m.gic.icc_write(0, IccReg::Sgi1r, imo, 0), Err(IccError::TrapEl2));
    assert!(m.gic.icc_read(0, IccReg::SreEl1, imo).is_ok());
    assert!(m.gic.icc_read(0, IccReg::Iar1, IccContext { el: 2, ..imo }).is_ok());
}

/// IHI 0069 ICH_HCR_EL2.TALL0/TALL1/TC/TDIR: EL1 accesses trap to EL2
/// whether they reach ICC_* or ICV_*, only with EL2 enabled.
#[test]
fn ich_hcr_el2_traps_el1_accesses() {
    let m = fvp();
    let el2 = IccContext { el2: true, ..ns_el1() };
    let imo = IccContext { hcr_imo: true, ..el2 };
    let trap = Err(IccError::TrapEl2);
    let wtrap = Err(IccError::TrapEl2);
    m.icc_w(0, IccReg::Ich(IchReg::Hcr), ns_el2(), 1 << 11); // TALL0
    assert_eq!(m.gic.icc_read(0, IccReg::Iar0, el2), trap);
    assert!(m.gic.icc_read(0, IccReg::Iar1, el2).is_ok());
    assert!(m.gic.icc_read(0, IccReg::Iar0, ns_el1()).is_ok(), "EL2 not enabled");
    m.icc_w(0, IccReg::Ich(IchReg::Hcr), ns_el2(), 1 << 12); // TALL1
    assert_eq!(m.gic.icc_read(0, IccReg::Bpr1, imo), trap);
    assert!(m.gic.icc_read(0, IccReg::Bpr0, imo).is_ok());
    m.icc_w(0, IccReg::Ich(IchReg::Hcr), ns_el2(), 1 << 10); // TC
    assert_eq!(m.gic.icc_read(0, IccReg::Pmr, imo), trap);
    assert_eq!(m.gic.icc_write(0, IccReg::Sgi1r, el2, 0), wtrap);
    m.icc_w(0, IccReg::Ich(IchReg::Hcr), ns_el2(), 1 << 14); // TDIR
    assert_eq!(m.gic.icc_write(0, IccReg::Dir, imo, 0), wtrap);
    assert!(m.gic.icc_read(0, IccReg::Pmr, imo).is_ok());
    // EL2 itself is never trapped.
    assert!(m.gic.icc_write(0, IccReg::Dir, ns_el2(), 1023).is_ok());
}

/// IHI 0069 12.4: the ICH_*_EL2 registers are UNDEFINED below EL2, the
/// status registers are read-only, and only the implemented list and
/// active-priorities registers exist (ICH_VTR_EL2.ListRegs = 3, PREbits = 4).
#[test]
fn ich_registers_access_rules() {
    let m = fvp();
    let vtr = m.icc_r(0, IccReg::Ich(IchReg::Vtr), ns_el2());
    assert_eq!(vtr & 0x1f, 3);
    assert_eq!(m.icc_r(0, IccReg::Ich(IchReg::Vtr), el3()), vtr);
    assert_eq!(m.gic.icc_read(0, IccReg::Ich(IchReg::Hcr), ns_el1()), Err(IccError::Undefined));
    assert_eq!(m.gic.icc_write(0, IccReg::Ich(IchReg::Vtr), ns_el2(), 0), Err(IccError::Undefined));
    assert_eq!(m.gic.icc_write(0, IccReg::Ich(IchReg::Elrsr), ns_el2(), 0), Err(IccError::Undefined));
    assert_eq!(m.gic.icc_read(0, IccReg::Ich(IchReg::Lr(4)), ns_el2()), Err(IccError::Undefined));
    assert_eq!(m.gic.icc_read(0, IccReg::Ich(IchReg::Ap0r(1)), ns_el2()), Err(IccError::Undefined));
    assert_eq!(m.icc_r(0, IccReg::Ich(IchReg::Elrsr), ns_el2()), 0xf);
    m.icc_w(0, IccReg::Ich(IchReg::Lr(1)), ns_el2(), 1 << 62 | 27);
    assert_eq!(m.icc_r(0, IccReg::Ich(IchReg::Lr(1)), ns_el2()), 1 << 62 | 27);
    assert_eq!(m.icc_r(0, IccReg::Ich(IchReg::Elrsr), ns_el2()), 0b1101);
}

#[test]
fn banked_registers_at_el3_follow_scr_ns() {
    let m = fvp();
    m.icc_w(0, IccReg::Igrpen1, IccContext::el3(true), 1);
    assert_eq!(m.icc_r(0, IccReg::Igrpen1, ns_el1()), 1);
    assert_eq!(m.icc_r(0, IccReg::Igrpen1, s_el1()), 0);
    m.icc_w(0, IccReg::CtlrEl1, IccContext::el3(false), 2);
    assert_eq!(m.icc_r(0, IccReg::CtlrEl1, s_el1()) & 2, 2);
    assert_eq!(m.icc_r(0, IccReg::CtlrEl1, ns_el1()) & 2, 0);
    m.icc_w(0, IccReg::Bpr1, IccContext::el3(true), 6);
    assert_eq!(m.icc_r(0, IccReg::Bpr1, ns_el1()), 6);
    assert_eq!(m.icc_r(0, IccReg::Bpr1, s_el1()), 3);
    m.icc_w(0, IccReg::Ap1r(0), IccContext::el3(false), 4);
    assert_eq!(m.icc_r(0, IccReg::Ap1r(0), s_el1()), 4);
    assert_eq!(m.icc_r(0, IccReg::Ap1r(0), ns_el1()), 0);
}

#[test]
fn eight_priority_bits_give_seven_preemption_bits() {
    let m = machine_with(GicConfig { priority_bits: 8, ..GicConfig::gic600(fvp_affinities(1, 2)) });
    m.setup();
    assert_eq!(m.icc_r(0, IccReg::Pmr, el3()), 0xff);
    assert_eq!(m.icc_r(0, IccReg::CtlrEl1, el3()) >> 8 & 7, 7);
    m.icc_w(0, IccReg::Bpr0, el3(), 0);
    assert_eq!(m.icc_r(0, IccReg::Bpr0, el3()), 0, "minimum binary point 0");
    for n in 0..4 {
        assert!(m.gic.icc_read(0, IccReg::Ap0r(n), el3()).is_ok());
    }
    m.spi(40, IntGroup::G0, 0x03, 0);
    m.spi(41, IntGroup::G0, 0x01, 0);
    m.spi(42, IntGroup::G0, 0xf0, 0);
    m.pend_spi(40);
    assert_eq!(m.icc_r(0, IccReg::Iar0, el3()), 40);
    assert_eq!(m.icc_r(0, IccReg::Rpr, el3()), 0x02, "group priority [7:1]");
    assert_eq!(m.icc_r(0, IccReg::Ap0r(0), el3()), 1 << 1);
    m.pend_spi(41);
    assert_eq!(m.icc_r(0, IccReg::Iar0, el3()), 41, "0x00 group beats 0x02");
    m.icc_w(0, IccReg::Eoir0, el3(), 41);
    m.icc_w(0, IccReg::Eoir0, el3(), 40);
    m.pend_spi(42);
    assert_eq!(m.icc_r(0, IccReg::Iar0, el3()), 42);
    assert_eq!(m.icc_r(0, IccReg::Ap0r(3), el3()), 1 << (0x78 - 96), "priority 0xf0 is APR bit 120");
}

#[test]
fn six_priority_bits() {
    let m = machine_with(GicConfig { priority_bits: 6, ..GicConfig::gic600(vec![0]) });
    m.icc_w(0, IccReg::Pmr, el3(), 0xff);
    assert_eq!(m.icc_r(0, IccReg::Pmr, el3()), 0xfc);
    m.icc_w(0, IccReg::Bpr0, el3(), 0);
    assert_eq!(m.icc_r(0, IccReg::Bpr0, el3()), 1);
    assert!(m.gic.icc_read(0, IccReg::Ap0r(1), el3()).is_ok());
    assert_eq!(m.gic.icc_read(0, IccReg::Ap0r(2), el3()), Err(IccError::Undefined));
}

#[test]
#[should_panic(expected = "num_spis")]
fn invalid_configuration_is_refused() {
    let _ = rme_gic::Gic::new(GicConfig { num_spis: 100, ..GicConfig::gic600(vec![0]) });
}
