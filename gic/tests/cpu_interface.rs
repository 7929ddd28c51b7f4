//! The ICC system registers: fixed fields, reset values, access rules per
//! exception level and Security state (UNDEFINED, traps to EL2/EL3, the
//! virtual-interface redirection) and the priority-bits configuration.

mod common;

use common::*;
use rme_gic::{GicConfig, IccContext, IccError, IccReg, IntGroup};

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
    let fmo = IccContext { hcr_fmo: true, ..ns_el1() };
    let imo = IccContext { hcr_imo: true, ..ns_el1() };
    assert_eq!(m.gic.icc_read(0, IccReg::Iar0, fmo), Err(IccError::Virtual));
    assert!(m.gic.icc_read(0, IccReg::Iar1, fmo).is_ok());
    assert_eq!(m.gic.icc_read(0, IccReg::Iar1, imo), Err(IccError::Virtual));
    assert!(m.gic.icc_read(0, IccReg::Iar0, imo).is_ok());
    for reg in [IccReg::Pmr, IccReg::Rpr, IccReg::CtlrEl1] {
        assert_eq!(m.gic.icc_read(0, reg, fmo), Err(IccError::Virtual), "{}", reg.name());
        assert_eq!(m.gic.icc_read(0, reg, imo), Err(IccError::Virtual), "{}", reg.name());
    }
    assert_eq!(m.gic.icc_write(0, IccReg::Dir, imo, 1023), Err(IccError::Virtual));
    // SRE_EL1 is never virtualised; EL2 accesses are physical.
    assert!(m.gic.icc_read(0, IccReg::SreEl1, imo).is_ok());
    assert!(m.gic.icc_read(0, IccReg::Iar1, IccContext { el: 2, ..imo }).is_ok());
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
