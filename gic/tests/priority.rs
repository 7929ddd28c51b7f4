//! Priorities: order of pending interrupts, the priority mask, the running
//! priority and preemption by group priority (binary points), and the
//! Non-secure views of priority values (IHI 0069 4.7, 4.8).

mod common;

use common::*;
use rme_gic::registers::*;
use rme_gic::{IccContext, IccReg, IntGroup};

#[test]
fn highest_priority_wins_then_lowest_intid() {
    let m = fvp();
    m.setup();
    m.spi(60, IntGroup::G1NS, 0x90, 0);
    m.spi(61, IntGroup::G1NS, 0x88, 0);
    m.private(0, 3, IntGroup::G1NS, 0x88);
    m.private(0, 27, IntGroup::G1NS, 0x88);
    m.pend_spi(60);
    m.pend_spi(61);
    m.w32(sgi(0) + GICR_ISPENDR0, 1 << 3 | 1 << 27, root());
    let mut order = vec![];
    for _ in 0..4 {
        let id = m.icc_r(0, IccReg::Iar1, ns_el1());
        order.push(id);
        m.icc_w(0, IccReg::Eoir1, ns_el1(), id);
    }
    assert_eq!(order, vec![3, 27, 61, 60]);
    assert_eq!(m.icc_r(0, IccReg::Iar1, ns_el1()), SPURIOUS);
}

#[test]
fn priority_mask_blocks_lower_priorities() {
    let m = fvp();
    m.setup();
    m.spi(45, IntGroup::G1NS, 0x80, 0);
    m.pend_spi(45);
    m.icc_w(0, IccReg::Pmr, el3(), 0x80);
    assert_eq!(m.signals(0, ns_el1()), (false, false), "priority equal to the mask is masked");
    assert_eq!(m.icc_r(0, IccReg::Iar1, ns_el1()), SPURIOUS, "a masked interrupt is not acknowledged");
    assert_eq!(m.icc_r(0, IccReg::Hppir1, ns_el1()), 45, "HPPIR ignores the mask");
    assert!(m.spi_pending(45) && !m.spi_active(45));
    m.icc_w(0, IccReg::Pmr, el3(), 0x88);
    assert_eq!(m.signals(0, ns_el1()), (true, false));
    m.icc_w(0, IccReg::Pmr, el3(), 0);
    assert_eq!(m.signals(0, ns_el1()), (false, false), "PMR 0 masks everything");
}

#[test]
fn pmr_keeps_only_implemented_bits() {
    let m = fvp();
    assert_eq!(m.icc_r(0, IccReg::Pmr, el3()), 0, "resets to 0");
    m.icc_w(0, IccReg::Pmr, el3(), 0xff);
    assert_eq!(m.icc_r(0, IccReg::Pmr, el3()), 0xf8, "5 priority bits");
    m.icc_w(0, IccReg::Pmr, s_el1(), 0x47);
    assert_eq!(m.icc_r(0, IccReg::Pmr, s_el1()), 0x40);
}

#[test]
fn non_secure_view_of_pmr_with_fiq_routed_to_el3() {
    let m = fvp();
    let ns = IccContext::non_secure(1).with_scr_routing(true, false);
    m.icc_w(0, IccReg::Pmr, el3(), 0xf8);
    assert_eq!(m.icc_r(0, IccReg::Pmr, ns), 0xf0, "(0xf8 << 1) & 0xff");
    m.icc_w(0, IccReg::Pmr, ns, 0x40);
    assert_eq!(m.icc_r(0, IccReg::Pmr, el3()), 0xa0, "0x80 | 0x40 >> 1");
    assert_eq!(m.icc_r(0, IccReg::Pmr, ns), 0x40);
    // A PMR in the Secure range is invisible and unchangeable from NS.
    m.icc_w(0, IccReg::Pmr, el3(), 0x40);
    assert_eq!(m.icc_r(0, IccReg::Pmr, ns), 0);
    m.icc_w(0, IccReg::Pmr, ns, 0xf0);
    assert_eq!(m.icc_r(0, IccReg::Pmr, el3()), 0x40);
    // Without SCR_EL3.FIQ the Non-secure access sees the Secure view.
    let ns_nofiq = IccContext::non_secure(1);
    assert_eq!(m.icc_r(0, IccReg::Pmr, ns_nofiq), 0x40);
    m.icc_w(0, IccReg::Pmr, ns_nofiq, 0x10);
    assert_eq!(m.icc_r(0, IccReg::Pmr, el3()), 0x10);
}

#[test]
fn non_secure_view_of_interrupt_priorities() {
    let m = fvp();
    m.setup();
    m.spi(90, IntGroup::G1NS, 0x00, 0);
    m.spi(91, IntGroup::G0, 0x10, 0);
    // Non-secure writes of a Non-secure interrupt's priority: 0x80 | v >> 1.
    m.w8(gicd(GICD_IPRIORITYR + 90), 0x40, ns());
    assert_eq!(m.r8(gicd(GICD_IPRIORITYR + 90), root()), 0xa0);
    assert_eq!(m.r8(gicd(GICD_IPRIORITYR + 90), ns()), 0x40);
    // Unimplemented low bits are dropped in both views.
    m.w8(gicd(GICD_IPRIORITYR + 90), 0x42, ns());
    assert_eq!(m.r8(gicd(GICD_IPRIORITYR + 90), ns()), 0x40);
    m.w8(gicd(GICD_IPRIORITYR + 90), 0x47, root());
    assert_eq!(m.r8(gicd(GICD_IPRIORITYR + 90), root()), 0x40);
    // A Secure interrupt's priority is RAZ/WI to Non-secure accesses.
    m.w8(gicd(GICD_IPRIORITYR + 91), 0xff, ns());
    assert_eq!(m.r8(gicd(GICD_IPRIORITYR + 91), ns()), 0);
    assert_eq!(m.r8(gicd(GICD_IPRIORITYR + 91), root()), 0x10);
    // Word access: bytes of INTIDs 88-91.
    assert_eq!(m.r32(gicd(GICD_IPRIORITYR + 88), root()) >> 16, 0x1040);
    assert_eq!(m.r32(gicd(GICD_IPRIORITYR + 88), ns()) >> 16, 0x0080);
    // The same rules in the Redistributor.
    m.private(0, 16, IntGroup::G1NS, 0);
    m.w8(sgi(0) + GICR_IPRIORITYR + 16, 0x20, realm());
    assert_eq!(m.r8(sgi(0) + GICR_IPRIORITYR + 16, root()), 0x90);
    m.private(0, 17, IntGroup::G1S, 0x08);
    m.w32(sgi(0) + GICR_IPRIORITYR + 16, 0xffff_ffff, ns());
    assert_eq!(m.r32(sgi(0) + GICR_IPRIORITYR + 16, root()) & 0xffff, 0x08f8);
}

#[test]
fn preemption_uses_the_group_priority_from_bpr0() {
    let m = fvp();
    m.setup();
    m.spi(40, IntGroup::G0, 0x40, 0);
    m.spi(41, IntGroup::G0, 0x48, 0);
    m.spi(42, IntGroup::G0, 0x20, 0);
    let c = el3();
    // Minimum binary point (5 priority bits): 2, group priority [7:3].
    m.icc_w(0, IccReg::Bpr0, c, 0);
    assert_eq!(m.icc_r(0, IccReg::Bpr0, c), 2, "writes below the minimum set the minimum");
    m.pend_spi(41);
    assert_eq!(m.icc_r(0, IccReg::Iar0, c), 41);
    assert_eq!(m.icc_r(0, IccReg::Rpr, c), 0x48);
    assert_eq!(m.icc_r(0, IccReg::Ap0r(0), c), 1 << 9, "0x48 >> 3");
    m.pend_spi(40);
    assert_eq!(m.signals(0, c), (false, true), "0x40 preempts 0x48");
    assert_eq!(m.icc_r(0, IccReg::Iar0, c), 40);
    assert_eq!(m.icc_r(0, IccReg::Rpr, c), 0x40);
    m.icc_w(0, IccReg::Eoir0, c, 40);
    assert_eq!(m.icc_r(0, IccReg::Rpr, c), 0x48);
    m.icc_w(0, IccReg::Eoir0, c, 41);
    assert_eq!(m.icc_r(0, IccReg::Rpr, c), 0xff, "idle");

    // Binary point 3: group priority [7:4]; 0x40 and 0x48 share a group.
    m.icc_w(0, IccReg::Bpr0, c, 3);
    m.pend_spi(41);
    assert_eq!(m.icc_r(0, IccReg::Iar0, c), 41);
    assert_eq!(m.icc_r(0, IccReg::Rpr, c), 0x40, "the active priority records the group priority");
    m.pend_spi(40);
    assert_eq!(m.signals(0, c), (false, false), "same group priority: no preemption");
    assert_eq!(m.icc_r(0, IccReg::Iar0, c), SPURIOUS);
    assert_eq!(m.icc_r(0, IccReg::Hppir0, c), 40);
    m.pend_spi(42);
    assert_eq!(m.signals(0, c), (false, true), "0x20 is a higher group priority");
    assert_eq!(m.icc_r(0, IccReg::Iar0, c), 42);
    m.icc_w(0, IccReg::Eoir0, c, 42);
    m.icc_w(0, IccReg::Eoir0, c, 41);
    assert_eq!(m.icc_r(0, IccReg::Iar0, c), 40, "once idle the waiting interrupt is taken");
}

#[test]
fn group1_preemption_uses_bpr1_or_bpr0_with_cbpr() {
    let m = fvp();
    m.setup();
    m.spi(50, IntGroup::G1NS, 0xc8, 0);
    m.spi(51, IntGroup::G1NS, 0xc0, 0);
    let ns = ns_el1();
    // Non-secure BPR1: minimum 3, meaning group priority [7:3].
    m.icc_w(0, IccReg::Bpr1, ns, 0);
    assert_eq!(m.icc_r(0, IccReg::Bpr1, ns), 3);
    m.pend_spi(50);
    assert_eq!(m.icc_r(0, IccReg::Iar1, ns), 50);
    m.pend_spi(51);
    assert_eq!(m.signals(0, ns), (true, false), "0xc0 preempts 0xc8 with BPR1 = 3");
    // BPR1 = 4: group priority [7:4]: no preemption.
    m.icc_w(0, IccReg::Bpr1, ns, 4);
    assert_eq!(m.signals(0, ns), (false, false));
    // CBPR_EL1NS: BPR0 (minimum 2, [7:3]) governs Group 1 NS too; NS BPR1
    // reads BPR0 + 1 and ignores writes.
    m.icc_w(0, IccReg::CtlrEl3, el3(), 1 << 1);
    assert_eq!(m.icc_r(0, IccReg::CtlrEl1, ns) & 1, 1, "CBPR alias in the NS bank");
    assert_eq!(m.icc_r(0, IccReg::CtlrEl1, s_el1()) & 1, 0);
    assert_eq!(m.icc_r(0, IccReg::Bpr1, ns), 3);
    m.icc_w(0, IccReg::Bpr1, ns, 6);
    assert_eq!(m.icc_r(0, IccReg::Bpr1, ns), 3);
    assert_eq!(m.icc_r(0, IccReg::Bpr1, IccContext::el3(true)), 4, "EL3 sees the real NS BPR1");
    assert_eq!(m.signals(0, ns), (true, false), "BPR0 = 2: [7:3] separates 0xc0 from 0xc8");
    // CBPR is read-only at EL1 with two Security states.
    m.icc_w(0, IccReg::CtlrEl1, ns, 0);
    assert_eq!(m.icc_r(0, IccReg::CtlrEl1, ns) & 1, 1);
}

#[test]
fn secure_bpr1_with_cbpr_reaches_bpr0() {
    let m = fvp();
    let s = s_el1();
    assert_eq!(m.icc_r(0, IccReg::Bpr0, s), 2);
    assert_eq!(m.icc_r(0, IccReg::Bpr1, s), 3, "BPR1 resets to minimum + 1");
    m.icc_w(0, IccReg::Bpr1, s, 5);
    assert_eq!(m.icc_r(0, IccReg::Bpr1, s), 5);
    assert_eq!(m.icc_r(0, IccReg::Bpr1, ns_el1()), 3, "banked");
    m.icc_w(0, IccReg::CtlrEl3, el3(), 1); // CBPR_EL1S
    assert_eq!(m.icc_r(0, IccReg::Bpr1, s), 2, "reads BPR0");
    m.icc_w(0, IccReg::Bpr1, s, 4);
    assert_eq!(m.icc_r(0, IccReg::Bpr0, s), 4, "writes BPR0");
    assert_eq!(m.icc_r(0, IccReg::Bpr1, el3()), 5, "EL3 reaches the Secure BPR1 itself");
}

#[test]
fn running_priority_non_secure_view() {
    let m = fvp();
    m.setup();
    m.spi(55, IntGroup::G1NS, 0xa0, 0);
    m.spi(56, IntGroup::G0, 0x10, 0);
    let ns = IccContext::non_secure(1).with_scr_routing(true, false);
    assert_eq!(m.icc_r(0, IccReg::Rpr, ns), 0xff, "idle reads 0xff in both views");
    m.pend_spi(55);
    assert_eq!(m.icc_r(0, IccReg::Iar1, ns), 55);
    assert_eq!(m.icc_r(0, IccReg::Rpr, el3()), 0xa0);
    assert_eq!(m.icc_r(0, IccReg::Rpr, ns), 0x40);
    m.pend_spi(56);
    assert_eq!(m.icc_r(0, IccReg::Iar0, el3()), 56);
    assert_eq!(m.icc_r(0, IccReg::Rpr, ns), 0, "a Secure running priority reads 0");
}

#[test]
fn non_secure_cannot_claim_secure_active_priorities() {
    let m = fvp();
    m.icc_w(0, IccReg::Ap1r(0), ns_el1(), 0xffff_ffff);
    assert_eq!(m.icc_r(0, IccReg::Ap1r(0), ns_el1()), 0xffff_0000, "only priorities 0x80-0xf8");
    assert_eq!(m.icc_r(0, IccReg::Rpr, el3()), 0x80);
    m.icc_w(0, IccReg::Ap1r(0), s_el1(), 1);
    assert_eq!(m.icc_r(0, IccReg::Ap1r(0), s_el1()), 1);
    assert_eq!(m.icc_r(0, IccReg::Rpr, el3()), 0);
    m.icc_w(0, IccReg::Ap1r(0), IccContext::el3(true), 0x3);
    assert_eq!(m.icc_r(0, IccReg::Ap1r(0), ns_el1()), 0x3, "EL3 may restore anything");
}
