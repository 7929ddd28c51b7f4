//! IRQ/FIQ signalling by group and Security state (IHI 0069 4.6.2, Table
//! 4-3), group enables in the Distributor and the CPU interface, SPI
//! routing (IROUTER affinity and IRM = 1) and the input lines.

mod common;

use common::*;
use rme_gic::registers::*;
use rme_gic::{IccContext, IccReg, IntGroup};

/// (irq, fiq) for one pending interrupt of each group, from each context.
#[test]
fn group_to_irq_or_fiq_by_security_state_and_el() {
    let cases = [
        // group, context, expected (irq, fiq)
        (IntGroup::G0, el3(), (false, true)),
        (IntGroup::G0, s_el1(), (false, true)),
        (IntGroup::G0, ns_el1(), (false, true)),
        (IntGroup::G0, ns_el2(), (false, true)),
        (IntGroup::G1S, el3(), (false, true)),
        (IntGroup::G1S, s_el1(), (true, false)),
        (IntGroup::G1S, IccContext::secure(2), (true, false)),
        (IntGroup::G1S, ns_el1(), (false, true)),
        (IntGroup::G1S, ns_el2(), (false, true)),
        (IntGroup::G1NS, el3(), (false, true)),
        (IntGroup::G1NS, IccContext::el3(true), (false, true)),
        (IntGroup::G1NS, s_el1(), (false, true)),
        (IntGroup::G1NS, ns_el1(), (true, false)),
        (IntGroup::G1NS, ns_el2(), (true, false)),
    ];
    for (g, ctx, want) in cases {
        let m = fvp();
        m.setup();
        let prio = if g == IntGroup::G1NS { 0xc0 } else { 0x40 };
        m.spi(64, g, prio, 0);
        assert_eq!(m.signals(0, ctx), (false, false), "not pending yet");
        m.pend_spi(64);
        assert_eq!(m.signals(0, ctx), want, "{g:?} seen from {ctx:?}");
        assert_eq!(m.signals(1, ctx), (false, false), "routed to PE 0 only");
    }
}

#[test]
fn realm_state_is_non_secure_for_the_gic() {
    let m = fvp();
    m.setup();
    m.spi(64, IntGroup::G1NS, 0xa0, 0);
    m.pend_spi(64);
    // A Realm EL1/EL2 context: not Secure, SCR_EL3.NS = 1.
    let realm = IccContext { el: 1, secure: false, scr_ns: true, ..Default::default() };
    assert_eq!(m.signals(0, realm), (true, false));
    assert_eq!(m.icc_r(0, IccReg::Iar1, realm), 64);
}

#[test]
fn distributor_group_enables_gate_delivery() {
    let m = fvp();
    m.setup();
    m.spi(40, IntGroup::G0, 0x10, 0);
    m.private(0, 20, IntGroup::G1S, 0x20);
    m.private(0, 5, IntGroup::G1NS, 0x90);
    m.pend_spi(40);
    m.w32(sgi(0) + GICR_ISPENDR0, 1 << 20 | 1 << 5, root());
    let all = GICD_CTLR_ARE_S | GICD_CTLR_ARE_NS;
    let hppi = |ctl: u32| {
        m.w32(gicd(GICD_CTLR), all | ctl, root());
        m.icc_r(0, IccReg::Hppir0, el3())
    };
    assert_eq!(hppi(GICD_CTLR_ENABLE_GRP0 | GICD_CTLR_ENABLE_GRP1S | GICD_CTLR_ENABLE_GRP1NS), 40);
    assert_eq!(hppi(GICD_CTLR_ENABLE_GRP1S | GICD_CTLR_ENABLE_GRP1NS), ID_SECURE, "PPI 20 (G1S) next");
    assert_eq!(hppi(GICD_CTLR_ENABLE_GRP1NS), ID_NONSECURE, "SGI 5 (G1NS) next");
    assert_eq!(hppi(0), SPURIOUS);
    assert_eq!(m.signals(0, el3()), (false, false));
}

#[test]
fn cpu_interface_group_enables_gate_delivery() {
    let m = fvp();
    m.setup();
    m.spi(40, IntGroup::G0, 0x10, 0);
    m.spi(41, IntGroup::G1S, 0x20, 0);
    m.spi(42, IntGroup::G1NS, 0x90, 0);
    for i in 40..43 {
        m.pend_spi(i);
    }
    assert_eq!(m.icc_r(0, IccReg::Hppir0, el3()), 40);
    m.icc_w(0, IccReg::Igrpen0, el3(), 0);
    assert_eq!(m.icc_r(0, IccReg::Igrpen0, el3()), 0);
    assert_eq!(m.icc_r(0, IccReg::Hppir0, el3()), ID_SECURE);
    assert_eq!(m.signals(0, s_el1()), (true, false));
    // ICC_IGRPEN1_EL1 at Secure EL1 is the Secure bank.
    m.icc_w(0, IccReg::Igrpen1, s_el1(), 0);
    assert_eq!(m.icc_r(0, IccReg::Igrpen1El3, el3()), 0b01);
    assert_eq!(m.icc_r(0, IccReg::Hppir0, el3()), ID_NONSECURE);
    assert_eq!(m.signals(0, ns_el1()), (true, false));
    // IGRPEN1_EL3 bit 0 is the Non-secure bank.
    m.icc_w(0, IccReg::Igrpen1El3, el3(), 0);
    assert_eq!(m.icc_r(0, IccReg::Igrpen1, ns_el1()), 0);
    assert_eq!(m.signals(0, ns_el1()), (false, false));
    m.icc_w(0, IccReg::Igrpen1El3, el3(), 0b10);
    assert_eq!(m.icc_r(0, IccReg::Igrpen1, s_el1()), 1);
    assert_eq!(m.icc_r(0, IccReg::Hppir1, s_el1()), 41);
}

#[test]
fn disabled_or_active_interrupts_are_not_forwarded() {
    let m = fvp();
    m.setup();
    m.spi(50, IntGroup::G1NS, 0x80, 0);
    m.pend_spi(50);
    assert_eq!(m.signals(0, ns_el1()), (true, false));
    m.w32(gicd(GICD_ICENABLER + 4), 1 << 18, root());
    assert_eq!(m.signals(0, ns_el1()), (false, false));
    assert!(m.spi_pending(50), "disabling keeps it pending");
    m.w32(gicd(GICD_ISENABLER + 4), 1 << 18, root());
    m.w32(gicd(GICD_ISACTIVER + 4), 1 << 18, root());
    assert_eq!(m.signals(0, ns_el1()), (false, false), "active and pending is not forwarded");
    m.w32(gicd(GICD_ICACTIVER + 4), 1 << 18, root());
    assert_eq!(m.signals(0, ns_el1()), (true, false));
    m.w32(gicd(GICD_ICPENDR + 4), 1 << 18, root());
    assert_eq!(m.signals(0, ns_el1()), (false, false));
}

#[test]
fn spi_routing_follows_irouter_affinity() {
    let m = fvp();
    m.setup();
    m.spi(70, IntGroup::G1NS, 0x80, 0);
    m.pend_spi(70);
    let who = || (0..8).filter(|&c| m.signals(c, ns_el1()).0).collect::<Vec<_>>();
    assert_eq!(who(), vec![0]);
    // Cluster 1, core 2 (Aff2 = 1, Aff1 = 2) is PE 6.
    m.w64(gicd(GICD_IROUTER + 8 * 70), 1 << 16 | 2 << 8, root());
    assert_eq!(who(), vec![6]);
    // 32-bit halves of IROUTER work too (Aff3 in the upper half).
    m.w32(gicd(GICD_IROUTER + 8 * 70 + 4), 0, root());
    m.w32(gicd(GICD_IROUTER + 8 * 70), 3 << 8, root());
    assert_eq!(who(), vec![3]);
    // An affinity no PE has: nobody.
    m.w64(gicd(GICD_IROUTER + 8 * 70), 7 << 8, root());
    assert_eq!(who(), Vec::<usize>::new());
    // Aff3 must match as well.
    m.w64(gicd(GICD_IROUTER + 8 * 70), 1 << 32, root());
    assert_eq!(who(), Vec::<usize>::new());
}

#[test]
fn one_of_n_routing_goes_to_one_awake_pe() {
    let m = fvp();
    m.setup();
    m.spi(71, IntGroup::G1NS, 0x80, 0);
    m.w64(gicd(GICD_IROUTER + 8 * 71), GICD_IROUTER_INTERRUPT_ROUTING_MODE, root());
    assert_eq!(m.r64(gicd(GICD_IROUTER + 8 * 71), root()), GICD_IROUTER_INTERRUPT_ROUTING_MODE);
    // PE 5 sleeps: it does not participate.
    m.w32(rd(5) + GICR_WAKER, GICR_WAKER_PROCESSOR_SLEEP, root());
    m.pend_spi(71);
    let who = || (0..8).filter(|&c| m.signals(c, ns_el1()).0).collect::<Vec<_>>();
    assert_eq!(who(), vec![0, 1, 2, 3, 4, 6, 7]);
    assert!(!m.gic.wake_request(5), "other PEs are awake: the sleeping one is not woken");
    // The first PE to acknowledge takes it; the others then see nothing.
    assert_eq!(m.icc_r(4, IccReg::Iar1, ns_el1()), 71);
    assert_eq!(who(), Vec::<usize>::new());
    assert_eq!(m.icc_r(2, IccReg::Iar1, ns_el1()), SPURIOUS);
}

#[test]
fn level_sensitive_spi_follows_its_line() {
    let m = fvp();
    m.setup();
    m.spi(80, IntGroup::G1NS, 0x80, 0);
    m.gic.set_spi_level(80, true);
    assert!(m.spi_pending(80));
    assert_eq!(m.signals(0, ns_el1()), (true, false));
    m.gic.set_spi_level(80, false);
    assert!(!m.spi_pending(80), "level-sensitive: pending only while the line is high");
    assert_eq!(m.signals(0, ns_el1()), (false, false));
}

#[test]
fn edge_triggered_spi_latches() {
    let m = fvp();
    m.setup();
    m.spi(81, IntGroup::G1NS, 0x80, 0);
    let cfg = gicd(GICD_ICFGR + 81 / 16 * 4);
    m.w32(cfg, m.r32(cfg, root()) | 2 << 2, root()); // INTID 81 = field 1 of ICFGR5
    m.gic.set_spi_level(81, true);
    m.gic.set_spi_level(81, false);
    assert!(m.spi_pending(81), "the edge was latched");
    assert_eq!(m.icc_r(0, IccReg::Iar1, ns_el1()), 81);
    assert!(!m.spi_pending(81));
    assert!(m.spi_active(81));
}

#[test]
fn ppi_lines_are_per_pe() {
    let m = fvp();
    m.setup();
    // The Non-secure physical timer PPI 30 on PE 2 (level-sensitive).
    m.private(2, 30, IntGroup::G1NS, 0xa0);
    let g0 = m.gic.generation();
    m.gic.set_ppi_level(2, 30, true);
    assert!(m.gic.generation() > g0, "input changes bump the generation");
    assert!(m.private_pending(2, 30));
    assert!(!m.private_pending(1, 30));
    assert_eq!(m.signals(2, ns_el1()), (true, false));
    assert_eq!(m.signals(1, ns_el1()), (false, false));
    // Out-of-range inputs are ignored, not fatal.
    m.gic.set_ppi_level(9, 30, true);
    m.gic.set_ppi_level(0, 12, true);
    m.gic.set_spi_level(1000, true);
    m.gic.set_spi_level(20, true);
    assert_eq!(m.gic.bad_accesses(), 4);
}
