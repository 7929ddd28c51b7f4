//! Security rules of the GICD/GICR frames with two Security states
//! (GICD_CTLR.DS = 0): Non-secure accesses to the configuration of Secure
//! interrupts are RAZ/WI unless GICD_NSACR permits; Secure-only registers;
//! which PAS counts as Secure.

mod common;

use common::*;
use rme_gic::IntGroup;
use rme_gic::registers::*;
use rme_mmu::{AccessAttrs, Pas};

/// SPI 64 (word 2, bit 0) Secure Group 1, SPI 65 Non-secure Group 1.
fn two_spis() -> Machine {
    let m = fvp();
    m.setup();
    m.spi(64, IntGroup::G1S, 0x20, 0);
    m.spi(65, IntGroup::G1NS, 0xa0, 0);
    m
}

const W: u64 = 8; // byte offset of word 2 (INTIDs 64-95)

#[test]
fn non_secure_cannot_see_or_change_secure_spi_config() {
    let m = two_spis();
    let n = ns();
    // IGROUPR/IGRPMODR: Secure-only.
    assert_eq!(m.r32(gicd(GICD_IGROUPR + W), n), 0);
    m.w32(gicd(GICD_IGROUPR + W), !0, n);
    assert_eq!(m.r32(gicd(GICD_IGROUPR + W), root()), 0b10, "a NS write cannot make SPI 64 Non-secure");
    assert_eq!(m.r32(gicd(GICD_IGRPMODR + W), n), 0);
    m.w32(gicd(GICD_IGRPMODR + W), 0, n);
    assert_eq!(m.r32(gicd(GICD_IGRPMODR + W), root()), 0b01);
    // Enables: only the Non-secure SPI's bit.
    assert_eq!(m.r32(gicd(GICD_ISENABLER + W), n), 0b10);
    m.w32(gicd(GICD_ICENABLER + W), 0b11, n);
    assert_eq!(m.r32(gicd(GICD_ISENABLER + W), root()), 0b01, "SPI 64 stays enabled");
    m.w32(gicd(GICD_ISENABLER + W), 0b11, n);
    // Pending.
    m.w32(gicd(GICD_ISPENDR + W), 0b11, n);
    assert_eq!(m.r32(gicd(GICD_ISPENDR + W), root()), 0b10, "SPI 64 not set pending");
    m.pend_spi(64);
    assert_eq!(m.r32(gicd(GICD_ISPENDR + W), n), 0b10);
    m.w32(gicd(GICD_ICPENDR + W), 0b11, n);
    assert_eq!(m.r32(gicd(GICD_ISPENDR + W), root()), 0b01, "SPI 64 stays pending");
    // Active.
    m.w32(gicd(GICD_ISACTIVER + W), 0b11, n);
    assert_eq!(m.r32(gicd(GICD_ISACTIVER + W), root()), 0b10);
    m.w32(gicd(GICD_ISACTIVER + W), 0b01, root());
    assert_eq!(m.r32(gicd(GICD_ICACTIVER + W), n), 0b10);
    m.w32(gicd(GICD_ICACTIVER + W), 0b11, n);
    assert_eq!(m.r32(gicd(GICD_ISACTIVER + W), root()), 0b01);
    // Configuration.
    m.w32(gicd(GICD_ICFGR + 16), 0xffff_ffff, n);
    assert_eq!(m.r32(gicd(GICD_ICFGR + 16), root()), 0b1000, "only SPI 65 became edge-triggered");
    assert_eq!(m.r32(gicd(GICD_ICFGR + 16), n), 0b1000);
    // Routing.
    m.w64(gicd(GICD_IROUTER + 8 * 64), 3 << 8, n);
    m.w64(gicd(GICD_IROUTER + 8 * 65), 3 << 8, n);
    assert_eq!(m.r64(gicd(GICD_IROUTER + 8 * 64), root()), 0);
    assert_eq!(m.r64(gicd(GICD_IROUTER + 8 * 65), root()), 3 << 8);
    m.w64(gicd(GICD_IROUTER + 8 * 64), 1 << 8, root());
    assert_eq!(m.r64(gicd(GICD_IROUTER + 8 * 64), n), 0);
    // NSACR: Secure-only.
    m.w32(gicd(GICD_NSACR + 16), !0, n);
    assert_eq!(m.r32(gicd(GICD_NSACR + 16), root()), 0);
}

#[test]
fn nsacr_grants_non_secure_access_step_by_step() {
    let m = two_spis();
    let n = ns();
    let set_nsacr = |v: u32| m.w32(gicd(GICD_NSACR + 16), v, root()); // INTIDs 64-79, SPI 64 = field 0
    // 1: set pending (ISPENDR, SETSPI_NSR), read ISPENDR.
    set_nsacr(1);
    assert_eq!(m.r32(gicd(GICD_NSACR + 16), n), 0, "NSACR itself stays Secure-only");
    assert_eq!(m.r32(gicd(GICD_NSACR + 16), root()), 1);
    m.w32(gicd(GICD_ISPENDR + W), 0b01, n);
    assert!(m.spi_pending(64));
    assert_eq!(m.r32(gicd(GICD_ISPENDR + W), n), 0b01);
    m.w32(gicd(GICD_ICPENDR + W), 0b01, n);
    assert!(m.spi_pending(64), "clearing needs NSACR >= 2");
    m.w32(gicd(GICD_ICPENDR + W), 0b01, root());
    m.w32(gicd(GICD_SETSPI_NSR), 64, n);
    assert!(m.spi_pending(64));
    m.w32(gicd(GICD_CLRSPI_NSR), 64, n);
    assert!(m.spi_pending(64));
    // 2: also clear pending and read active.
    set_nsacr(2);
    m.w32(gicd(GICD_CLRSPI_NSR), 64, n);
    assert!(!m.spi_pending(64));
    m.w32(gicd(GICD_ISACTIVER + W), 0b01, root());
    assert_eq!(m.r32(gicd(GICD_ISACTIVER + W), n), 0b01);
    m.w32(gicd(GICD_ICACTIVER + W), 0b01, n);
    assert!(m.spi_active(64), "NSACR never lets NS change the active state");
    assert_eq!(m.r64(gicd(GICD_IROUTER + 8 * 64), n), 0, "routing needs NSACR = 3");
    // 3: also routing.
    set_nsacr(3);
    m.w64(gicd(GICD_IROUTER + 8 * 64), 2 << 8, n);
    assert_eq!(m.r64(gicd(GICD_IROUTER + 8 * 64), n), 2 << 8);
    // Never the priority, group or enable.
    m.w8(gicd(GICD_IPRIORITYR + 64), 0xff, n);
    assert_eq!(m.r8(gicd(GICD_IPRIORITYR + 64), root()), 0x20);
    m.w32(gicd(GICD_ICENABLER + W), 0b01, n);
    assert_eq!(m.r32(gicd(GICD_ISENABLER + W), root()) & 1, 1);
}

#[test]
fn setspi_and_clrspi_registers() {
    let m = two_spis();
    // SETSPI_NSR sets a Non-secure SPI from either state.
    m.w32(gicd(GICD_SETSPI_NSR), 65, ns());
    assert!(m.spi_pending(65));
    assert_eq!(m.signals(0, ns_el1()), (true, false));
    m.w32(gicd(GICD_CLRSPI_NSR), 65, realm());
    assert!(!m.spi_pending(65));
    // SETSPI_NSR does not reach the Secure SPI (NSACR = 0) even from Secure.
    m.w32(gicd(GICD_SETSPI_NSR), 64, root());
    assert!(!m.spi_pending(64));
    // SETSPI_SR/CLRSPI_SR: Secure-only.
    m.w32(gicd(GICD_SETSPI_SR), 64, ns());
    assert!(!m.spi_pending(64));
    m.w32(gicd(GICD_SETSPI_SR), 64, secure());
    assert!(m.spi_pending(64));
    m.w32(gicd(GICD_CLRSPI_SR), 64, ns());
    assert!(m.spi_pending(64));
    m.w32(gicd(GICD_CLRSPI_SR), 64, root());
    assert!(!m.spi_pending(64));
    // INTIDs that are not SPIs are ignored.
    m.w32(gicd(GICD_SETSPI_SR), 5, root());
    m.w32(gicd(GICD_SETSPI_SR), 500, root());
    assert!(!m.private_pending(0, 5));
}

#[test]
fn redistributor_security() {
    let m = fvp();
    m.setup();
    m.private(0, 8, IntGroup::G0, 0x00);
    m.private(0, 9, IntGroup::G1NS, 0x80);
    let n = ns();
    let s = sgi(0);
    assert_eq!(m.r32(s + GICR_IGROUPR0, n), 0);
    m.w32(s + GICR_IGROUPR0, !0, n);
    assert_eq!(m.r32(s + GICR_IGROUPR0, root()), 1 << 9);
    assert_eq!(m.r32(s + GICR_ISENABLER0, n), 1 << 9);
    m.w32(s + GICR_ICENABLER0, !0, n);
    assert_eq!(m.r32(s + GICR_ISENABLER0, root()), 1 << 8);
    m.w32(s + GICR_ISPENDR0, !0, n);
    assert_eq!(m.r32(s + GICR_ISPENDR0, root()), 1 << 9, "only the Non-secure SGI 9 (the rest resets to Group 0)");
    m.w32(s + GICR_ICPENDR0, !0, root());
    m.w32(s + GICR_ISACTIVER0, 1 << 8, n);
    assert!(!m.private_active(0, 8));
    m.w32(s + GICR_ICFGR1, 0xffff_ffff, n);
    m.w32(s + GICR_NSACR, 0xffff_ffff, n);
    assert_eq!(m.r32(s + GICR_NSACR, root()), 0);
    m.w32(s + GICR_NSACR, 0x2 << 16, secure());
    assert_eq!(m.r32(s + GICR_NSACR, secure()), 0x2 << 16);
    assert_eq!(m.r32(s + GICR_NSACR, n), 0);
    assert_eq!(m.r32(s + GICR_IGRPMODR0, n), 0);
    m.w32(s + GICR_IGRPMODR0, !0, n);
    assert_eq!(m.r32(s + GICR_IGRPMODR0, root()), 0);
    // GICR_WAKER is Secure-only.
    m.w32(rd(0) + GICR_WAKER, GICR_WAKER_PROCESSOR_SLEEP, realm());
    assert_eq!(m.r32(rd(0) + GICR_WAKER, root()), 0);
}

#[test]
fn secure_and_root_pas_are_secure_non_secure_and_realm_are_not() {
    let m = fvp();
    for (pas, is_secure) in [(Pas::Secure, true), (Pas::Root, true), (Pas::NonSecure, false), (Pas::Realm, false)] {
        let a = AccessAttrs::cpu(0, pas);
        m.w32(gicd(GICD_IGROUPR + 4), 0, root());
        m.w32(gicd(GICD_IGROUPR + 4), 0x1234, a);
        let want = if is_secure { 0x1234 } else { 0 };
        assert_eq!(m.r32(gicd(GICD_IGROUPR + 4), root()), want, "{pas}");
        assert_eq!(m.r32(gicd(GICD_IGROUPR + 4), a), want, "{pas}");
    }
    // Host (debugger) accesses are Root.
    assert_eq!(m.r32(gicd(GICD_IGROUPR + 4), AccessAttrs::host()), 0);
}

#[test]
fn non_secure_gicd_ctlr_view() {
    let m = fvp();
    let n = ns();
    // With ARE_NS = 0 the NS enable is bit 0 (EnableGrp1).
    m.w32(gicd(GICD_CTLR), GICD_CTLR_NS_ENABLE_GRP1, n);
    assert_eq!(m.r32(gicd(GICD_CTLR), root()), GICD_CTLR_ENABLE_GRP1NS);
    assert_eq!(m.r32(gicd(GICD_CTLR), n), GICD_CTLR_NS_ENABLE_GRP1);
    // Attempts on the Secure bits have no effect.
    m.w32(gicd(GICD_CTLR), 0xffff_ffff, n);
    assert_eq!(m.r32(gicd(GICD_CTLR), root()), GICD_CTLR_ENABLE_GRP1NS | GICD_CTLR_ARE_NS);
    assert_eq!(m.r32(gicd(GICD_CTLR), n), GICD_CTLR_NS_ENABLE_GRP1A | GICD_CTLR_NS_ARE_NS);
    // Secure view: DS and E1NWF are RAZ/WI (DS stays 0), RWP reads 0.
    m.w32(gicd(GICD_CTLR), 0xffff_ffff, root());
    assert_eq!(
        m.r32(gicd(GICD_CTLR), root()),
        GICD_CTLR_ENABLE_GRP0 | GICD_CTLR_ENABLE_GRP1NS | GICD_CTLR_ENABLE_GRP1S | GICD_CTLR_ARE_S | GICD_CTLR_ARE_NS
    );
    assert_eq!(m.r32(gicd(GICD_CTLR), root()) & (GICD_CTLR_DS | GICD_CTLR_RWP | GICD_CTLR_E1NWF), 0);
}
