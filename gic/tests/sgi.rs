//! SGI generation through ICC_SGI0R_EL1, ICC_SGI1R_EL1 and ICC_ASGI1R_EL1:
//! targets by affinity and TargetList, IRM = 1, and the group/security
//! rules with GICR_NSACR.

mod common;

use common::*;
use rme_gic::registers::*;
use rme_gic::{GicConfig, IccContext, IccError, IccReg, IntGroup};

/// An ICC_SGI*R value.
fn sgi_value(intid: u64, aff3: u64, aff2: u64, aff1: u64, target_list: u64) -> u64 {
    aff3 << 48 | aff2 << 32 | intid << 24 | aff1 << 16 | target_list
}
const IRM: u64 = 1 << 40;

/// Who has SGI `intid` pending.
fn pending(m: &Machine, intid: u32) -> Vec<usize> {
    (0..m.gic.num_cpus()).filter(|&c| m.private_pending(c, intid)).collect()
}

fn all_g1ns(m: &Machine, intid: u32) {
    for cpu in 0..m.gic.num_cpus() {
        m.private(cpu, intid, IntGroup::G1NS, 0x80);
    }
}

#[test]
fn sgi1r_targets_by_affinity_on_fvp() {
    let m = fvp();
    m.setup();
    all_g1ns(&m, 1);
    // Cluster 0, core 3 (Aff1 = 3, Aff0 = 0).
    m.icc_w(0, IccReg::Sgi1r, ns_el1(), sgi_value(1, 0, 0, 3, 1));
    assert_eq!(pending(&m, 1), vec![3]);
    // Cluster 1, core 2: PE 6.
    m.icc_w(0, IccReg::Sgi1r, ns_el1(), sgi_value(1, 0, 1, 2, 1));
    assert_eq!(pending(&m, 1), vec![3, 6]);
    // TargetList bit 1 names Aff0 = 1: no such PE on this FVP.
    m.icc_w(0, IccReg::Sgi1r, ns_el1(), sgi_value(1, 0, 0, 0, 2));
    assert_eq!(pending(&m, 1), vec![3, 6]);
    // A PE can send to itself.
    m.icc_w(0, IccReg::Sgi1r, ns_el1(), sgi_value(1, 0, 0, 0, 1));
    assert_eq!(pending(&m, 1), vec![0, 3, 6]);
    // Delivered as IRQ to the Non-secure target.
    assert_eq!(m.signals(6, ns_el1()), (true, false));
    assert_eq!(m.icc_r(6, IccReg::Iar1, ns_el1()), 1);
}

#[test]
fn target_list_covers_aff0_and_range_selector() {
    let affs = vec![0x0, 0x1, 0x2, 0x3, 0x100, 0x101, 0x111, 0x1_0000_0000];
    let m = machine_with(GicConfig::gic600(affs));
    m.setup();
    all_g1ns(&m, 2);
    m.icc_w(0, IccReg::Sgi1r, ns_el1(), sgi_value(2, 0, 0, 0, 0b1110));
    assert_eq!(pending(&m, 2), vec![1, 2, 3]);
    m.icc_w(0, IccReg::Sgi1r, ns_el1(), sgi_value(2, 0, 0, 1, 0b0010));
    assert_eq!(pending(&m, 2), vec![1, 2, 3, 5]);
    // RS = 1: TargetList bit 1 is Aff0 = 17 (0x11).
    m.icc_w(0, IccReg::Sgi1r, ns_el1(), sgi_value(2, 0, 0, 1, 0b0010) | 1 << 44);
    assert_eq!(pending(&m, 2), vec![1, 2, 3, 5, 6]);
    // Aff3 = 1.
    m.icc_w(0, IccReg::Sgi1r, ns_el1(), sgi_value(2, 1, 0, 0, 1));
    assert_eq!(pending(&m, 2), vec![1, 2, 3, 5, 6, 7]);
}

#[test]
fn irm_sends_to_all_but_self() {
    let m = fvp();
    m.setup();
    all_g1ns(&m, 4);
    m.icc_w(5, IccReg::Sgi1r, ns_el1(), sgi_value(4, 0, 0, 0, 0) | IRM);
    assert_eq!(pending(&m, 4), vec![0, 1, 2, 3, 4, 6, 7]);
    for cpu in [0, 1, 2, 3, 4, 6, 7] {
        assert_eq!(m.signals(cpu, ns_el1()), (true, false), "PE {cpu}");
    }
    assert_eq!(m.signals(5, ns_el1()), (false, false));
}

/// Forwarding of one SGI to PE 1 given its configured group there, the
/// register written, the writer's state and GICR_NSACR.
fn forwarded(configured: IntGroup, reg: IccReg, writer: IccContext, nsacr: u32) -> bool {
    let m = fvp();
    m.setup();
    m.private(1, 9, configured, 0x10);
    m.w32(sgi(1) + GICR_NSACR, nsacr << 18, root());
    m.icc_w(0, reg, writer, sgi_value(9, 0, 0, 1, 1));
    m.private_pending(1, 9)
}

#[test]
fn secure_writers_reach_the_group_they_ask_for() {
    use IntGroup::*;
    use IccReg::*;
    for w in [el3(), s_el1()] {
        assert!(forwarded(G0, Sgi0r, w, 0));
        assert!(!forwarded(G1S, Sgi0r, w, 0));
        assert!(!forwarded(G1NS, Sgi0r, w, 0));
        assert!(forwarded(G1S, Sgi1r, w, 0));
        assert!(forwarded(G0, Sgi1r, w, 0), "a Secure Group 1 request reaches a Group 0 SGI");
        assert!(!forwarded(G1NS, Sgi1r, w, 0));
        assert!(forwarded(G1NS, Asgi1r, w, 0), "ASGI1R: Group 1 of the other state");
        assert!(!forwarded(G1S, Asgi1r, w, 0));
        assert!(!forwarded(G0, Asgi1r, w, 0));
    }
}

#[test]
fn non_secure_writers_need_nsacr_for_secure_sgis() {
    use IntGroup::*;
    use IccReg::*;
    let w = ns_el1();
    assert!(forwarded(G1NS, Sgi1r, w, 0));
    assert!(!forwarded(G1NS, Asgi1r, w, 0));
    assert!(!forwarded(G1NS, Sgi0r, w, 2));
    assert!(!forwarded(G1S, Sgi1r, w, 2), "SGI1R from NS asks for Non-secure Group 1");
    // Group 0 through SGI0R: NSACR >= 1.
    assert!(!forwarded(G0, Sgi0r, w, 0));
    assert!(forwarded(G0, Sgi0r, w, 1));
    assert!(forwarded(G0, Sgi0r, w, 2));
    // Secure Group 1 through ASGI1R: NSACR = 2.
    assert!(!forwarded(G1S, Asgi1r, w, 0));
    assert!(!forwarded(G1S, Asgi1r, w, 1));
    assert!(forwarded(G1S, Asgi1r, w, 2));
    // Realm writes are Non-secure.
    let realm = IccContext { el: 1, secure: false, scr_ns: true, ..Default::default() };
    assert!(forwarded(G1NS, Sgi1r, realm, 0));
    assert!(!forwarded(G0, Sgi0r, realm, 0));
}

#[test]
fn secure_sgi_signals_fiq_to_non_secure_target() {
    let m = fvp();
    m.setup();
    m.private(2, 8, IntGroup::G0, 0x00);
    m.icc_w(0, IccReg::Sgi0r, el3(), sgi_value(8, 0, 0, 2, 1));
    assert_eq!(m.signals(2, ns_el1()), (false, true), "Group 0 interrupts a Non-secure PE as FIQ");
    assert_eq!(m.icc_r(2, IccReg::Iar0, el3()), 8);
    m.icc_w(2, IccReg::Eoir0, el3(), 8);
    assert!(!m.private_active(2, 8));
}

#[test]
fn sgi_registers_trap_and_are_write_only() {
    let m = fvp();
    let v = sgi_value(1, 0, 0, 1, 1);
    let hyp = IccContext { hcr_imo: true, ..ns_el1() };
    assert_eq!(m.gic.icc_write(0, IccReg::Sgi1r, hyp, v), Err(IccError::TrapEl2));
    let both = ns_el1().with_scr_routing(true, true);
    assert_eq!(m.gic.icc_write(0, IccReg::Sgi1r, both, v), Err(IccError::TrapEl3));
    assert_eq!(m.gic.icc_write(0, IccReg::Sgi0r, ns_el2().with_scr_routing(true, true), v), Err(IccError::TrapEl3));
    assert_eq!(m.gic.icc_read(0, IccReg::Sgi1r, el3()), Err(IccError::Undefined));
    assert_eq!(m.gic.icc_write(0, IccReg::Asgi1r, IccContext { el: 0, ..ns_el1() }, v), Err(IccError::Undefined));
    // One trap bit alone does not trap the SGI registers.
    assert_eq!(m.gic.icc_write(0, IccReg::Sgi1r, ns_el1().with_scr_routing(true, false), v), Ok(()));
}
