//! The GIC driven as TF-A 2.12 (drivers/arm/gic/v3, PLAT=fvp, GIC-600) and
//! Linux's irq-gic-v3 drive it at boot: every register they poll reaches its
//! "done" value, and what they configure has the effect they expect.

mod common;

use common::*;
use rme_gic::registers::*;
use rme_gic::{GIC600_IIDR, IccContext, IccReg, IntGroup};

/// TF-A's gicv3_driver_init + gicv3_distif_init on the primary PE.
fn tfa_distif_init(m: &Machine) {
    let a = root();
    // gicv3_driver_init: GIC version from PIDR2.ArchRev.
    assert_eq!(m.r32(gicd(GICD_PIDR2), a) >> 4 & 0xf, 3, "GICD_PIDR2.ArchRev = GICv3");
    // Disable all groups, then set ARE_S/ARE_NS, waiting for RWP each time.
    let c = m.r32(gicd(GICD_CTLR), a);
    m.w32(gicd(GICD_CTLR), c & !(GICD_CTLR_ENABLE_GRP0 | GICD_CTLR_ENABLE_GRP1S | GICD_CTLR_ENABLE_GRP1NS), a);
    m.poll(gicd(GICD_CTLR), a, 10, |v| v & GICD_CTLR_RWP == 0);
    let c = m.r32(gicd(GICD_CTLR), a);
    m.w32(gicd(GICD_CTLR), c | GICD_CTLR_ARE_S | GICD_CTLR_ARE_NS, a);
    m.poll(gicd(GICD_CTLR), a, 10, |v| v & GICD_CTLR_RWP == 0);
    // gicv3_spis_config_defaults: all SPIs G1NS, priority 0x80, level.
    let typer = m.r32(gicd(GICD_TYPER), a);
    let num_ints = ((typer & 0x1f) + 1) * 32;
    for i in (32..num_ints).step_by(32) {
        m.w32(gicd(GICD_IGROUPR + u64::from(i / 8)), !0, a);
    }
    for i in (32..num_ints).step_by(4) {
        m.w32(gicd(GICD_IPRIORITYR + u64::from(i)), 0x8080_8080, a);
    }
    for i in (32..num_ints).step_by(16) {
        m.w32(gicd(GICD_ICFGR + u64::from(i / 4)), 0, a);
    }
    // gicv3_secure_spis_config_props: SPI 56 as edge-triggered Group 0 to
    // the primary PE.
    let (n, b) = (56u64 / 32, 1u32 << (56 % 32));
    m.w32(gicd(GICD_IGROUPR + n * 4), m.r32(gicd(GICD_IGROUPR + n * 4), a) & !b, a);
    m.w32(gicd(GICD_IGRPMODR + n * 4), m.r32(gicd(GICD_IGRPMODR + n * 4), a) & !b, a);
    m.w8(gicd(GICD_IPRIORITYR + 56), 0x00, a);
    let cfg = gicd(GICD_ICFGR + 56 / 16 * 4);
    m.w32(cfg, m.r32(cfg, a) | 2 << (2 * (56 % 16)), a);
    m.w64(gicd(GICD_IROUTER + 8 * 56), 0, a);
    m.w32(gicd(GICD_ISENABLER + n * 4), b, a);
    // Enable the Secure groups.
    let c = m.r32(gicd(GICD_CTLR), a);
    m.w32(gicd(GICD_CTLR), c | GICD_CTLR_ENABLE_GRP0 | GICD_CTLR_ENABLE_GRP1S, a);
    m.poll(gicd(GICD_CTLR), a, 10, |v| v & GICD_CTLR_RWP == 0);
}

/// TF-A's gicv3_rdistif_probe: walk the GICR frames (64-bit TYPER reads)
/// until Last, returning (frame base, Processor_Number, affinity) of each.
fn walk_gicr(m: &Machine, a: rme_mmu::AccessAttrs) -> Vec<(u64, u64, u64)> {
    let mut frames = vec![];
    let mut base = rd(0);
    for _ in 0..64 {
        assert_eq!(m.r32(base + GICR_PIDR2, a) >> 4 & 0xf, 3, "GICR_PIDR2.ArchRev at {base:#x}");
        let typer = m.r64(base + GICR_TYPER, a);
        // mpidr_from_gicr_typer: Aff3 from [63:56], Aff2.Aff1.Aff0 from [55:32].
        let mpidr = (typer >> 56 & 0xff) << 32 | (typer >> 32 & 0xff_ffff);
        frames.push((base, typer >> 8 & 0xffff, mpidr));
        // No VLPIS: 128 KiB frames.
        assert_eq!(typer & 2, 0);
        base += 0x2_0000;
        if typer & GICR_TYPER_LAST != 0 {
            return frames;
        }
    }
    panic!("GICR_TYPER.Last never found");
}

#[test]
fn tfa_cold_boot_sequence_completes() {
    let m = fvp();
    let a = root();
    assert_eq!(m.r32(gicd(GICD_IIDR), a), GIC600_IIDR);
    tfa_distif_init(&m);
    assert_eq!(
        m.r32(gicd(GICD_CTLR), a),
        GICD_CTLR_ARE_S | GICD_CTLR_ARE_NS | GICD_CTLR_ENABLE_GRP0 | GICD_CTLR_ENABLE_GRP1S
    );

    let frames = walk_gicr(&m, a);
    let affs = fvp_affinities(2, 4);
    assert_eq!(frames.len(), 8);
    for (i, (base, proc_num, mpidr)) in frames.iter().enumerate() {
        assert_eq!(*base, rd(i));
        assert_eq!(*proc_num, i as u64);
        assert_eq!(*mpidr, affs[i]);
    }

    for cpu in 0..8 {
        // gicv3_redists_need_power_mgmt: GICR_IIDR model is GIC-600.
        assert_eq!(m.r32(rd(cpu) + GICR_IIDR, a) & 0xff00_0fff, 0x0200_043b);
        assert_eq!(m.r32(rd(cpu) + GICR_PWRR, a) & GICR_PWRR_RDPD, GICR_PWRR_RDPD, "GIC-600 resets powered down");
        assert_eq!(
            m.r32(rd(cpu) + GICR_WAKER, a),
            GICR_WAKER_PROCESSOR_SLEEP | GICR_WAKER_CHILDREN_ASLEEP,
            "reset: asleep"
        );
        m.tfa_rdist_on(cpu);
        assert_eq!(m.r32(rd(cpu) + GICR_PWRR, a) & 0xd, 0, "powered on, group on");
        assert_eq!(m.r32(rd(cpu) + GICR_WAKER, a), 0);
        // gicv3_ppi_sgi_config_defaults, then Secure SGI 8 as Group 0.
        m.w32(sgi(cpu) + GICR_IGROUPR0, !0, a);
        for i in (0..32).step_by(4) {
            m.w32(sgi(cpu) + GICR_IPRIORITYR + i, 0x8080_8080, a);
        }
        m.w32(sgi(cpu) + GICR_ICFGR1, 0, a);
        m.w32(sgi(cpu) + GICR_IGROUPR0, !(1u32 << 8), a);
        m.w32(sgi(cpu) + GICR_IGRPMODR0, 0, a);
        m.w8(sgi(cpu) + GICR_IPRIORITYR + 8, 0x00, a);
        m.w32(sgi(cpu) + GICR_ISENABLER0, 1 << 8, a);

        // gicv3_cpuif_enable.
        let el3 = IccContext::el3(false);
        let sre = m.icc_r(cpu, IccReg::SreEl3, el3);
        m.icc_w(cpu, IccReg::SreEl3, el3, sre | 0b1111);
        let el3_ns = IccContext::el3(true);
        let sre2 = m.icc_r(cpu, IccReg::SreEl2, el3_ns);
        m.icc_w(cpu, IccReg::SreEl2, el3_ns, sre2 | 0b1111);
        m.icc_w(cpu, IccReg::SreEl1, el3_ns, 1);
        m.icc_w(cpu, IccReg::SreEl1, el3, 1);
        assert_eq!(m.icc_r(cpu, IccReg::SreEl1, el3) & 1, 1, "system register interface");
        m.icc_w(cpu, IccReg::Pmr, el3, 0xff);
        m.icc_w(cpu, IccReg::Igrpen0, el3, 1);
        let g1 = m.icc_r(cpu, IccReg::Igrpen1El3, el3);
        m.icc_w(cpu, IccReg::Igrpen1El3, el3, g1 | 2);
    }
    assert_eq!(m.gic.bad_accesses(), 0, "TF-A touches only registers that exist");

    // BL31 can now take a Secure SGI from another PE as FIQ at EL3 ...
    m.icc_w(1, IccReg::Sgi0r, IccContext::el3(false), 8 << 24 | 1);
    assert_eq!(m.signals(0, IccContext::el3(false)), (false, true));
    // ... and the Group 0 SPI 56.
    m.pend_spi(56);
    assert_eq!(m.icc_r(0, IccReg::Iar0, IccContext::el3(false)), 8, "SGI 8 and SPI 56 have priority 0: lower INTID first");
    assert_eq!(m.icc_r(0, IccReg::Hppir0, IccContext::el3(false)), 56);
}

#[test]
fn linux_non_secure_init_sees_its_view() {
    let m = fvp();
    tfa_distif_init(&m);
    for cpu in 0..8 {
        m.tfa_rdist_on(cpu);
    }
    let a = ns();
    // gic_dist_init: disable, wait RWP, configure, then ARE_NS | G1A | G1.
    m.w32(gicd(GICD_CTLR), 0, a);
    m.poll(gicd(GICD_CTLR), a, 10, |v| v & GICD_CTLR_RWP == 0);
    assert_eq!(
        m.r32(gicd(GICD_CTLR), root()),
        GICD_CTLR_ARE_S | GICD_CTLR_ENABLE_GRP0 | GICD_CTLR_ENABLE_GRP1S,
        "a Non-secure write cannot touch the Secure enables"
    );
    m.w32(gicd(GICD_CTLR), GICD_CTLR_NS_ARE_NS | GICD_CTLR_NS_ENABLE_GRP1A | GICD_CTLR_NS_ENABLE_GRP1, a);
    m.poll(gicd(GICD_CTLR), a, 10, |v| v & GICD_CTLR_RWP == 0);
    assert_eq!(m.r32(gicd(GICD_CTLR), a), GICD_CTLR_NS_ARE_NS | GICD_CTLR_NS_ENABLE_GRP1A);
    assert_eq!(
        m.r32(gicd(GICD_CTLR), root()),
        GICD_CTLR_ARE_S | GICD_CTLR_ARE_NS | GICD_CTLR_ENABLE_GRP0 | GICD_CTLR_ENABLE_GRP1S | GICD_CTLR_ENABLE_GRP1NS
    );
    // GICD_TYPER as Linux decodes it.
    let typer = m.r32(gicd(GICD_TYPER), a);
    assert_eq!((typer & 0x1f) + 1, 9, "256 SPIs + 32 = 288 INTIDs = 9 x 32");
    assert_eq!(typer >> 19 & 0x1f, 15, "16-bit INTIDs");
    assert_eq!(typer & (1 << 17), 0, "no LPIs");

    // gic_iterate_rdists with Non-secure (and Realm) accesses.
    assert_eq!(walk_gicr(&m, a).len(), 8);
    assert_eq!(walk_gicr(&m, realm()).len(), 8);
    // gic_enable_redist: WAKER is Secure-only (RAZ/WI), so Linux sees the
    // redistributor awake and cannot put it to sleep.
    assert_eq!(m.r32(rd(0) + GICR_WAKER, a), 0);
    m.w32(rd(0) + GICR_WAKER, GICR_WAKER_PROCESSOR_SLEEP, a);
    assert_eq!(m.r32(rd(0) + GICR_WAKER, root()), 0);

    // gic_cpu_sys_reg_init at NS-EL1 with FIQs routed to EL3.
    let ctx = IccContext::non_secure(1).with_scr_routing(true, false);
    m.icc_w(0, IccReg::Pmr, IccContext::el3(false), 0xff);
    assert_eq!(m.icc_r(0, IccReg::SreEl1, ctx) & 1, 1);
    let ctlr = m.icc_r(0, IccReg::CtlrEl1, ctx);
    assert_eq!(ctlr >> 8 & 7, 4, "PRIbits: 5 priority bits");
    // gic_has_group0: with SCR_EL3.FIQ = 1 the lowest non-zero priority
    // written through the Non-secure view reads back as 0.
    m.icc_w(0, IccReg::Pmr, ctx, 1 << (8 - 5));
    assert_eq!(m.icc_r(0, IccReg::Pmr, ctx), 0, "no Group 0 access from Non-secure");
    m.icc_w(0, IccReg::Pmr, ctx, 0xf0);
    assert_eq!(m.icc_r(0, IccReg::Pmr, ctx), 0xf0);
    m.icc_w(0, IccReg::Igrpen1, ctx, 1);
    assert_eq!(m.icc_r(0, IccReg::Igrpen1El3, IccContext::el3(false)), 1, "NS bank enabled");

    // A Linux SPI (G1NS by TF-A's defaults) routed to PE 0 arrives as IRQ.
    m.w64(gicd(GICD_IROUTER + 8 * 40), 0, a);
    m.w32(gicd(GICD_ISENABLER + 4), 1 << 8, a);
    m.w32(gicd(GICD_ISPENDR + 4), 1 << 8, a);
    assert_eq!(m.signals(0, ctx), (true, false));
    assert_eq!(m.icc_r(0, IccReg::Iar1, ctx), 40);
    m.icc_w(0, IccReg::Eoir1, ctx, 40);
    assert_eq!(m.signals(0, ctx), (false, false));
    assert!(!m.spi_active(40));
}

#[test]
fn wake_request_while_processor_sleeps() {
    let m = fvp();
    m.setup();
    m.spi(100, IntGroup::G1NS, 0x80, 3);
    // PE 3 goes to sleep (TF-A's gicv3_rdistif_mark_core_asleep).
    let a = root();
    m.w32(rd(3) + GICR_WAKER, GICR_WAKER_PROCESSOR_SLEEP, a);
    m.poll(rd(3) + GICR_WAKER, a, 10, |v| v & GICR_WAKER_CHILDREN_ASLEEP != 0);
    assert!(!m.gic.wake_request(3));
    m.pend_spi(100);
    assert_eq!(m.signals(3, ns_el1()), (false, false), "nothing forwarded to a sleeping PE");
    assert!(m.gic.wake_request(3), "the redistributor asks for the PE to be woken");
    assert!(!m.gic.wake_request(2));
    m.tfa_rdist_on(3);
    assert!(!m.gic.wake_request(3));
    assert_eq!(m.signals(3, ns_el1()), (true, false));
}
