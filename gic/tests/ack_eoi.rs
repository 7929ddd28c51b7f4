//! Acknowledge, priority drop and deactivation: ICC_IAR*, ICC_EOIR*,
//! ICC_DIR with EOImode 0 and 1, level-sensitive interrupts, and the
//! special INTIDs 1020-1023 (IHI 0069 4.1, 4.2.2, 2.2.1).

mod common;

use common::*;
use rme_gic::registers::*;
use rme_gic::{IccContext, IccReg, IntGroup};

#[test]
fn eoimode0_eoi_drops_priority_and_deactivates() {
    let m = fvp();
    m.setup();
    m.spi(100, IntGroup::G1NS, 0x90, 1);
    m.pend_spi(100);
    let c = ns_el1();
    assert_eq!(m.signals(1, c), (true, false));
    assert_eq!(m.icc_r(1, IccReg::Iar1, c), 100);
    assert!(m.spi_active(100) && !m.spi_pending(100));
    assert_eq!(m.signals(1, c), (false, false), "acknowledged: the signal drops");
    assert_eq!(m.icc_r(1, IccReg::Rpr, c), 0x90);
    m.icc_w(1, IccReg::Eoir1, c, 100);
    assert!(!m.spi_active(100));
    assert_eq!(m.icc_r(1, IccReg::Rpr, c), 0xff);
    assert_eq!(m.icc_r(1, IccReg::Ap1r(0), IccContext::el3(true)), 0);
}

#[test]
fn eoimode1_splits_priority_drop_and_deactivation() {
    let m = fvp();
    m.setup();
    m.spi(100, IntGroup::G1NS, 0x90, 0);
    let c = ns_el1();
    m.icc_w(0, IccReg::CtlrEl1, c, 1 << 1);
    assert_eq!(m.icc_r(0, IccReg::CtlrEl1, c) & 2, 2);
    assert_eq!(m.icc_r(0, IccReg::CtlrEl3, el3()) >> 4 & 1, 1, "EOImode_EL1NS alias");
    assert_eq!(m.icc_r(0, IccReg::CtlrEl1, s_el1()) & 2, 0, "banked");
    m.pend_spi(100);
    assert_eq!(m.icc_r(0, IccReg::Iar1, c), 100);
    m.icc_w(0, IccReg::Eoir1, c, 100);
    assert_eq!(m.icc_r(0, IccReg::Rpr, c), 0xff, "priority dropped");
    assert!(m.spi_active(100), "still active until ICC_DIR");
    m.pend_spi(100);
    assert_eq!(m.signals(0, c), (false, false), "active and pending: not forwarded");
    m.icc_w(0, IccReg::Dir, c, 100);
    assert!(!m.spi_active(100));
    assert_eq!(m.signals(0, c), (true, false), "pending again once inactive");
}

#[test]
fn dir_is_ignored_in_eoimode0() {
    let m = fvp();
    m.setup();
    m.spi(100, IntGroup::G1NS, 0x90, 0);
    m.pend_spi(100);
    assert_eq!(m.icc_r(0, IccReg::Iar1, ns_el1()), 100);
    m.icc_w(0, IccReg::Dir, ns_el1(), 100);
    assert!(m.spi_active(100));
}

#[test]
fn eoimode_el3_and_el1s_come_from_icc_ctlr_el3() {
    let m = fvp();
    m.setup();
    m.spi(40, IntGroup::G0, 0x10, 0);
    m.spi(41, IntGroup::G1S, 0x20, 0);
    // EOImode_EL3 [2] and EOImode_EL1S [3].
    m.icc_w(0, IccReg::CtlrEl3, el3(), 1 << 2 | 1 << 3);
    assert_eq!(m.icc_r(0, IccReg::CtlrEl1, s_el1()) & 2, 2);
    assert_eq!(m.icc_r(0, IccReg::CtlrEl1, ns_el1()) & 2, 0);
    m.pend_spi(40);
    assert_eq!(m.icc_r(0, IccReg::Iar0, el3()), 40);
    m.icc_w(0, IccReg::Eoir0, el3(), 40);
    assert!(m.spi_active(40), "EOImode_EL3 = 1");
    m.icc_w(0, IccReg::Dir, el3(), 40);
    assert!(!m.spi_active(40));
    m.pend_spi(41);
    assert_eq!(m.icc_r(0, IccReg::Iar1, s_el1()), 41);
    m.icc_w(0, IccReg::Eoir1, s_el1(), 41);
    assert!(m.spi_active(41), "EOImode_EL1S = 1");
    m.icc_w(0, IccReg::Dir, s_el1(), 41);
    assert!(!m.spi_active(41));
    // Clearing EOImode_EL1S through the EL1 Secure bank.
    m.icc_w(0, IccReg::CtlrEl1, s_el1(), 0);
    assert_eq!(m.icc_r(0, IccReg::CtlrEl3, el3()) >> 2 & 3, 0b01);
}

#[test]
fn level_sensitive_interrupt_stays_pending_while_its_line_is_high() {
    let m = fvp();
    m.setup();
    m.private(0, 30, IntGroup::G1NS, 0xa0);
    let c = ns_el1();
    m.gic.set_ppi_level(0, 30, true);
    assert_eq!(m.icc_r(0, IccReg::Iar1, c), 30);
    assert!(m.private_active(0, 30) && m.private_pending(0, 30), "active and pending");
    assert_eq!(m.signals(0, c), (false, false));
    m.icc_w(0, IccReg::Eoir1, c, 30);
    assert_eq!(m.signals(0, c), (true, false), "the line is still high");
    assert_eq!(m.icc_r(0, IccReg::Iar1, c), 30);
    m.gic.set_ppi_level(0, 30, false);
    m.icc_w(0, IccReg::Eoir1, c, 30);
    assert_eq!(m.signals(0, c), (false, false));
    assert!(!m.private_pending(0, 30) && !m.private_active(0, 30));
}

#[test]
fn nested_interrupts_complete_in_order() {
    let m = fvp();
    m.setup();
    m.spi(60, IntGroup::G1NS, 0xc0, 0);
    m.spi(61, IntGroup::G1NS, 0x90, 0);
    let c = ns_el1();
    m.pend_spi(60);
    assert_eq!(m.icc_r(0, IccReg::Iar1, c), 60);
    m.pend_spi(61);
    assert_eq!(m.icc_r(0, IccReg::Iar1, c), 61);
    assert_eq!(m.icc_r(0, IccReg::Rpr, c), 0x90);
    m.icc_w(0, IccReg::Eoir1, c, 61);
    assert_eq!(m.icc_r(0, IccReg::Rpr, c), 0xc0);
    assert!(m.spi_active(60) && !m.spi_active(61));
    m.icc_w(0, IccReg::Eoir1, c, 60);
    assert_eq!(m.icc_r(0, IccReg::Rpr, c), 0xff);
}

#[test]
fn special_intids_from_iar0_and_hppir0_at_el3() {
    let m = fvp();
    m.setup();
    m.spi(41, IntGroup::G1S, 0x20, 0);
    m.spi(42, IntGroup::G1NS, 0x90, 0);
    m.pend_spi(42);
    assert_eq!(m.icc_r(0, IccReg::Hppir0, el3()), ID_NONSECURE);
    assert_eq!(m.icc_r(0, IccReg::Iar0, el3()), ID_NONSECURE);
    assert!(!m.spi_active(42), "1021 acknowledges nothing");
    m.pend_spi(41);
    assert_eq!(m.icc_r(0, IccReg::Iar0, el3()), ID_SECURE);
    assert!(!m.spi_active(41));
    // Below EL3 the other groups read as spurious through IAR0.
    assert_eq!(m.icc_r(0, IccReg::Iar0, s_el1()), SPURIOUS);
    assert_eq!(m.icc_r(0, IccReg::Hppir0, s_el1()), SPURIOUS);
    // HPPIR1 and IAR1 at EL3 see Group 1 of either state.
    assert_eq!(m.icc_r(0, IccReg::Hppir1, el3()), 41);
    assert_eq!(m.icc_r(0, IccReg::Iar1, el3()), 41);
    assert_eq!(m.icc_r(0, IccReg::Iar1, el3()), SPURIOUS, "42 cannot preempt 41");
    m.icc_w(0, IccReg::Eoir1, el3(), 41);
    assert_eq!(m.icc_r(0, IccReg::Iar1, el3()), 42);
    m.icc_w(0, IccReg::Eoir1, el3(), 42);
    assert!(!m.spi_active(41) && !m.spi_active(42), "EL3 ends Group 1 of either state");
    // Nothing left.
    assert_eq!(m.icc_r(0, IccReg::Iar0, el3()), SPURIOUS);
    assert_eq!(m.icc_r(0, IccReg::Hppir1, el3()), SPURIOUS);
}

#[test]
fn each_state_acknowledges_only_its_own_group1() {
    let m = fvp();
    m.setup();
    m.spi(41, IntGroup::G1S, 0x20, 0);
    m.pend_spi(41);
    assert_eq!(m.icc_r(0, IccReg::Hppir1, ns_el1()), SPURIOUS);
    assert_eq!(m.icc_r(0, IccReg::Iar1, ns_el1()), SPURIOUS, "Secure Group 1 is invisible to Non-secure");
    assert!(m.spi_pending(41));
    assert_eq!(m.icc_r(0, IccReg::Iar1, s_el1()), 41);
    m.icc_w(0, IccReg::Eoir1, s_el1(), 41);

    m.spi(42, IntGroup::G1NS, 0x90, 0);
    m.pend_spi(42);
    assert_eq!(m.icc_r(0, IccReg::Iar1, s_el1()), SPURIOUS, "Non-secure Group 1 is invisible to Secure EL1");
    assert_eq!(m.icc_r(0, IccReg::Iar1, ns_el2()), 42);
    m.icc_w(0, IccReg::Eoir1, ns_el2(), 42);

    m.spi(40, IntGroup::G0, 0x10, 0);
    m.pend_spi(40);
    assert_eq!(m.icc_r(0, IccReg::Iar0, ns_el1()), SPURIOUS, "Group 0 is Secure");
    assert_eq!(m.icc_r(0, IccReg::Iar1, ns_el1()), SPURIOUS);
    assert_eq!(m.icc_r(0, IccReg::Iar0, s_el1()), 40);
}

#[test]
fn eoi_must_match_the_highest_active_group() {
    let m = fvp();
    m.setup();
    m.spi(40, IntGroup::G0, 0x10, 0);
    m.pend_spi(40);
    assert_eq!(m.icc_r(0, IccReg::Iar0, el3()), 40);
    // EOIR1 while Group 0 is the highest active priority: ignored.
    m.icc_w(0, IccReg::Eoir1, el3(), 40);
    assert_eq!(m.icc_r(0, IccReg::Rpr, el3()), 0x10);
    assert!(m.spi_active(40));
    // A Non-secure EOIR0 cannot end a Group 0 interrupt.
    m.icc_w(0, IccReg::Eoir0, ns_el1(), 40);
    assert_eq!(m.icc_r(0, IccReg::Rpr, el3()), 0x10);
    // Special INTIDs are ignored.
    m.icc_w(0, IccReg::Eoir0, el3(), 1023);
    assert_eq!(m.icc_r(0, IccReg::Rpr, el3()), 0x10);
    m.icc_w(0, IccReg::Eoir0, el3(), 40);
    assert_eq!(m.icc_r(0, IccReg::Rpr, el3()), 0xff);
    assert!(!m.spi_active(40));
    // EOI with nothing active: ignored.
    m.icc_w(0, IccReg::Eoir0, el3(), 40);
    assert_eq!(m.icc_r(0, IccReg::Rpr, el3()), 0xff);
}

#[test]
fn eoi_of_another_groups_intid_does_not_deactivate_it() {
    let m = fvp();
    m.setup();
    m.spi(40, IntGroup::G0, 0x10, 0);
    m.spi(42, IntGroup::G1NS, 0x90, 0);
    m.pend_spi(40);
    assert_eq!(m.icc_r(0, IccReg::Iar0, el3()), 40);
    m.icc_w(0, IccReg::Eoir0, el3(), 40);
    m.pend_spi(42);
    assert_eq!(m.icc_r(0, IccReg::Iar1, ns_el1()), 42);
    m.w32(gicd(GICD_ISACTIVER + 4), 1 << 8, root()); // SPI 40 active again
    // Non-secure software names the Secure SPI 40 in its EOI.
    m.icc_w(0, IccReg::Eoir1, ns_el1(), 40);
    assert_eq!(m.icc_r(0, IccReg::Rpr, el3()), 0xff, "the priority drop happens");
    assert!(m.spi_active(40), "but the Secure interrupt stays active");
    assert!(m.spi_active(42));
}

#[test]
fn dir_obeys_security_and_routing() {
    let m = fvp();
    m.setup();
    m.spi(40, IntGroup::G0, 0x10, 0);
    m.spi(41, IntGroup::G1S, 0x20, 0);
    m.spi(42, IntGroup::G1NS, 0x90, 0);
    m.icc_w(0, IccReg::CtlrEl3, el3(), 0b11100); // EOImode for EL3, EL1S, EL1NS
    for i in 40..43 {
        m.w32(gicd(GICD_ISACTIVER + 4), 1 << (i - 32), root());
    }
    // Non-secure may only deactivate Non-secure Group 1.
    for i in 40..43 {
        m.icc_w(0, IccReg::Dir, ns_el1(), i);
    }
    assert!(m.spi_active(40) && m.spi_active(41) && !m.spi_active(42));
    // Secure EL1 with FIQs routed to EL3: not Group 0.
    let s_fiq = IccContext::secure(1).with_scr_routing(true, false);
    m.icc_w(0, IccReg::Dir, s_fiq, 40);
    m.icc_w(0, IccReg::Dir, s_fiq, 41);
    assert!(m.spi_active(40) && !m.spi_active(41));
    m.icc_w(0, IccReg::Dir, el3(), 40);
    assert!(!m.spi_active(40));
}

#[test]
fn sgi_and_ppi_activity_is_per_pe() {
    let m = fvp();
    m.setup();
    for cpu in 0..2 {
        m.private(cpu, 21, IntGroup::G1NS, 0x90);
        m.gic.set_ppi_level(cpu, 21, true);
    }
    assert_eq!(m.icc_r(0, IccReg::Iar1, ns_el1()), 21);
    assert!(m.private_active(0, 21) && !m.private_active(1, 21));
    assert_eq!(m.signals(1, ns_el1()), (true, false));
    assert_eq!(m.icc_r(1, IccReg::Iar1, ns_el1()), 21);
    m.icc_w(0, IccReg::Eoir1, ns_el1(), 21);
    assert!(!m.private_active(0, 21) && m.private_active(1, 21));
}
