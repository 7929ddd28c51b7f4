//! Register by register: identification and type registers, configuration
//! registers, reserved locations and access sizes of the GICD/GICR frames.

mod common;

use common::*;
use rme_gic::registers::*;
use rme_gic::{GIC600_IIDR, GicConfig, IccReg, IntGroup};

#[test]
fn gicd_typer_and_iidr() {
    let m = fvp();
    let t = m.r32(gicd(GICD_TYPER), ns());
    assert_eq!(t & 0x1f, 8, "ITLinesNumber: 288 INTIDs");
    assert_eq!(t >> 5 & 7, 7, "CPUNumber: 8 PEs");
    assert_ne!(t & GICD_TYPER_SECURITYEXTN, 0, "two Security states");
    assert_eq!(t >> 19 & 0x1f, 15, "IDbits");
    assert_ne!(t & GICD_TYPER_A3V, 0);
    assert_eq!(t & GICD_TYPER_NO1N, 0, "1 of N supported");
    assert_ne!(t & GICD_TYPER_MBIS, 0, "SETSPI/CLRSPI");
    assert_eq!(m.r32(gicd(GICD_IIDR), ns()), GIC600_IIDR);
    assert_eq!(m.r32(gicd(GICD_TYPER2), root()), 0);
    let small = machine_with(GicConfig { num_spis: 64, ..GicConfig::gic600(vec![0]) });
    assert_eq!(small.r32(gicd(GICD_TYPER), root()) & 0xff, 2, "96 INTIDs, 1 PE");
    assert_eq!(small.gic.num_intids(), 96);
}

#[test]
fn gic600_identification_registers() {
    let m = fvp();
    for (base, part0) in [(gicd(0), 0x92), (rd(0), 0x93), (rd(7), 0x93)] {
        assert_eq!(m.r32(base + GIC_PIDR0, root()), part0);
        assert_eq!(m.r32(base + GIC_PIDR1, root()), 0xb4);
        assert_eq!(m.r32(base + GIC_PIDR2, ns()), 0x3b, "ArchRev 3, JEDEC, Arm");
        assert_eq!(m.r32(base + GIC_PIDR3, root()), 0);
        assert_eq!(m.r32(base + GIC_PIDR4, root()), 0x44);
        let cidr: Vec<u32> = (0..4).map(|i| m.r32(base + GIC_CIDR0 + 4 * i, root())).collect();
        assert_eq!(cidr, vec![0x0d, 0xf0, 0x05, 0xb1]);
    }
    // TF-A's gicv3_get_component_partnum.
    let part = (m.r32(gicd(GIC_PIDR1), root()) & 0xf) << 8 | m.r32(gicd(GIC_PIDR0), root()) & 0xff;
    assert_eq!(part, 0x492);
    // Read-only: a write is counted and ignored.
    m.w32(gicd(GIC_PIDR2), 0, root());
    assert_eq!(m.r32(gicd(GIC_PIDR2), root()), 0x3b);
    assert_eq!(m.gic.bad_accesses(), 1);
}

#[test]
fn gicr_typer_in_both_widths() {
    let m = fvp();
    for cpu in 0..8 {
        let t = m.r64(rd(cpu) + GICR_TYPER, ns());
        assert_eq!(t & 0xffff_ffff, u64::from(m.r32(rd(cpu) + GICR_TYPER, ns())));
        assert_eq!(t >> 32, u64::from(m.r32(rd(cpu) + GICR_TYPER + 4, ns())));
        assert_eq!(t >> 8 & 0xffff, cpu as u64, "Processor_Number");
        assert_eq!(t & GICR_TYPER_LAST != 0, cpu == 7, "Last");
        assert_eq!(t & 0b11, 0, "no PLPIS/VLPIS");
    }
    assert_eq!(m.r64(rd(6) + GICR_TYPER, root()) >> 32, 0x0001_0200, "cluster 1 core 2");
    let one = machine_with(GicConfig::gic600(vec![0x7f_0000_0304]));
    let t = one.r64(rd(0) + GICR_TYPER, root());
    assert_ne!(t & GICR_TYPER_LAST, 0);
    assert_eq!(t >> 32, 0x7f00_0304, "Aff3 in [63:56]");
    assert_eq!(one.gic.redistributors_size(), 0x2_0000);
}

#[test]
fn gicr_control_status_and_lpi_registers() {
    let m = fvp();
    assert_eq!(m.r32(rd(0) + GICR_CTLR, root()), 0, "RWP/UWP 0, no LPIs");
    m.w32(rd(0) + GICR_CTLR, 1, root());
    assert_eq!(m.r32(rd(0) + GICR_CTLR, root()), 0, "EnableLPIs is RES0");
    assert_eq!(m.r32(rd(0) + GICR_IIDR, root()), GIC600_IIDR);
    assert_eq!(m.r32(rd(0) + GICR_STATUSR, root()), 0);
    m.w64(rd(0) + GICR_PROPBASER, 0x8000_0000, ns());
    assert_eq!(m.r64(rd(0) + GICR_PROPBASER, ns()), 0);
    assert_eq!(m.r64(rd(0) + GICR_PENDBASER, ns()), 0);
    assert_eq!(m.gic.bad_accesses(), 0);
}

#[test]
fn gicr_pwrr_power_sequence() {
    let m = fvp();
    let a = root();
    assert_eq!(m.r32(rd(2) + GICR_PWRR, a), GICR_PWRR_RDPD | GICR_PWRR_RDGPD | GICR_PWRR_RDGPO);
    m.w32(rd(2) + GICR_PWRR, 0, a);
    assert_eq!(m.r32(rd(2) + GICR_PWRR, a), 0);
    assert_eq!(m.r32(rd(3) + GICR_PWRR, a) & 1, 1, "per redistributor");
    // TF-A's gic600_pwr_off: write RDPD = 1, then RDGPD == RDGPO.
    m.w32(rd(2) + GICR_PWRR, GICR_PWRR_RDPD, a);
    let v = m.r32(rd(2) + GICR_PWRR, a);
    assert_eq!(v & 1, 1);
    assert_eq!(v >> 2 & 1, v >> 3 & 1);
    m.w32(rd(2) + GICR_PWRR, GICR_PWRR_RDAG, a);
    assert_eq!(m.r32(rd(2) + GICR_PWRR, a), GICR_PWRR_RDAG);
}

#[test]
fn gicr_waker_children_asleep_follows_processor_sleep() {
    let m = fvp();
    let a = secure();
    m.w32(rd(1) + GICR_WAKER, 0, a);
    assert_eq!(m.r32(rd(1) + GICR_WAKER, a), 0);
    m.w32(rd(1) + GICR_WAKER, GICR_WAKER_PROCESSOR_SLEEP, a);
    assert_eq!(m.r32(rd(1) + GICR_WAKER, a), GICR_WAKER_PROCESSOR_SLEEP | GICR_WAKER_CHILDREN_ASLEEP);
    // ChildrenAsleep is read-only.
    m.w32(rd(1) + GICR_WAKER, GICR_WAKER_CHILDREN_ASLEEP, a);
    assert_eq!(m.r32(rd(1) + GICR_WAKER, a), 0);
}

#[test]
fn icfgr_registers() {
    let m = fvp();
    let a = root();
    // SGIs are edge-triggered, read-only.
    assert_eq!(m.r32(sgi(0) + GICR_ICFGR0, a), 0xaaaa_aaaa);
    m.w32(sgi(0) + GICR_ICFGR0, 0, a);
    assert_eq!(m.r32(sgi(0) + GICR_ICFGR0, a), 0xaaaa_aaaa);
    // PPIs configurable; only Int_config[1] is kept.
    assert_eq!(m.r32(sgi(0) + GICR_ICFGR1, a), 0);
    m.w32(sgi(0) + GICR_ICFGR1, 0xffff_ffff, a);
    assert_eq!(m.r32(sgi(0) + GICR_ICFGR1, a), 0xaaaa_aaaa);
    assert_eq!(m.r32(sgi(1) + GICR_ICFGR1, a), 0, "per PE");
    // GICD_ICFGR0/1 (INTIDs 0-31) are RAZ/WI with affinity routing.
    m.w32(gicd(GICD_ICFGR + 4), 0xffff_ffff, a);
    assert_eq!(m.r32(gicd(GICD_ICFGR + 4), a), 0);
    assert_eq!(m.r32(gicd(GICD_ICFGR), a), 0);
    m.w32(gicd(GICD_ICFGR + 8), 0x8000_0002, a);
    assert_eq!(m.r32(gicd(GICD_ICFGR + 8), a), 0x8000_0002, "SPIs 32 and 47 edge");
}

#[test]
fn gicd_registers_of_private_and_unimplemented_intids_are_raz_wi() {
    let m = fvp();
    let a = root();
    for reg in [GICD_IGROUPR, GICD_ISENABLER, GICD_ISPENDR, GICD_ISACTIVER, GICD_IGRPMODR] {
        m.w32(gicd(reg), !0, a);
        assert_eq!(m.r32(gicd(reg), a), 0, "{reg:#x} word 0");
        // INTIDs 288-319 do not exist (256 SPIs).
        m.w32(gicd(reg + 36), !0, a);
        assert_eq!(m.r32(gicd(reg + 36), a), 0, "{reg:#x} word 9");
    }
    m.w32(gicd(GICD_IPRIORITYR), !0, a);
    assert_eq!(m.r32(gicd(GICD_IPRIORITYR), a), 0);
    m.w64(gicd(GICD_IROUTER + 8 * 20), 1 << 8, a);
    assert_eq!(m.r64(gicd(GICD_IROUTER + 8 * 20), a), 0);
    m.w64(gicd(GICD_IROUTER + 8 * 300), 1 << 8, a);
    assert_eq!(m.r64(gicd(GICD_IROUTER + 8 * 300), a), 0);
    // Legacy registers with affinity routing.
    m.w8(gicd(GICD_ITARGETSR + 40), 0xff, a);
    assert_eq!(m.r8(gicd(GICD_ITARGETSR + 40), a), 0);
    m.w32(gicd(GICD_SPENDSGIR), !0, a);
    assert_eq!(m.r32(gicd(GICD_SPENDSGIR), a), 0);
    m.w32(gicd(GICD_SGIR), 0x0001_0001, a);
    assert!(!m.private_pending(0, 1), "GICD_SGIR does nothing with ARE");
    assert_eq!(m.gic.bad_accesses(), 0, "all of these are architected registers");
}

#[test]
fn irouter_keeps_only_defined_fields() {
    let m = fvp();
    m.w64(gicd(GICD_IROUTER + 8 * 33), !0, root());
    assert_eq!(m.r64(gicd(GICD_IROUTER + 8 * 33), root()), 0xff_8000_0000 | 0xff_ffff);
}

#[test]
fn gicd_bitmap_registers_set_and_clear() {
    let m = fvp();
    let a = root();
    for (set, clear) in [(GICD_ISENABLER, GICD_ICENABLER), (GICD_ISPENDR, GICD_ICPENDR), (GICD_ISACTIVER, GICD_ICACTIVER)] {
        m.w32(gicd(set + 4), 0xf0f0, a);
        m.w32(gicd(set + 4), 0x0100, a);
        assert_eq!(m.r32(gicd(set + 4), a), 0xf1f0, "{set:#x}");
        assert_eq!(m.r32(gicd(clear + 4), a), 0xf1f0, "{clear:#x} reads the same state");
        m.w32(gicd(clear + 4), 0x00f0, a);
        assert_eq!(m.r32(gicd(set + 4), a), 0xf100);
    }
    m.w32(gicd(GICD_IGROUPR + 4), 0x55, a);
    assert_eq!(m.r32(gicd(GICD_IGROUPR + 4), a), 0x55);
    m.w32(gicd(GICD_IGRPMODR + 4), 0xaa, a);
    assert_eq!(m.r32(gicd(GICD_IGRPMODR + 4), a), 0xaa);
    m.w32(gicd(GICD_NSACR + 8), 0xe4, a);
    assert_eq!(m.r32(gicd(GICD_NSACR + 8), a), 0xe4);
    m.w32(gicd(GICD_NSACR), !0, a);
    assert_eq!(m.r32(gicd(GICD_NSACR), a), 0, "NSACR0/1 (INTIDs 0-31) RAZ/WI");
}

#[test]
fn gicr_bitmap_and_priority_registers() {
    let m = fvp();
    let a = secure();
    let s = sgi(4);
    for (set, clear) in [(GICR_ISENABLER0, GICR_ICENABLER0), (GICR_ISPENDR0, GICR_ICPENDR0), (GICR_ISACTIVER0, GICR_ICACTIVER0)]
    {
        m.w32(s + set, 0x8001_0002, a);
        assert_eq!(m.r32(s + clear, a), 0x8001_0002);
        m.w32(s + clear, 0x8000_0000, a);
        assert_eq!(m.r32(s + set, a), 0x0001_0002);
        assert_eq!(m.r32(sgi(3) + set, a), 0, "per PE");
    }
    m.w32(s + GICR_IPRIORITYR + 28, 0x1020_3040, a);
    assert_eq!(m.r32(s + GICR_IPRIORITYR + 28, a), 0x1020_3040);
    assert_eq!(m.r8(s + GICR_IPRIORITYR + 30, a), 0x20);
    m.w8(s + GICR_IPRIORITYR + 31, 0xff, a);
    assert_eq!(m.r32(s + GICR_IPRIORITYR + 28, a), 0xf820_3040);
}

#[test]
fn bad_accesses_read_zero_are_counted_and_never_fault() {
    let m = fvp();
    m.setup();
    let before = m.gic.bad_accesses();
    // A reserved GICD offset.
    assert_eq!(m.bus.read(gicd(0x0020), 4, root()), Ok(0));
    // 16-bit and misaligned accesses.
    assert_eq!(m.bus.read(gicd(GICD_CTLR), 2, root()), Ok(0));
    assert_eq!(m.bus.read(gicd(GICD_CTLR + 2), 4, root()), Ok(0));
    // 64-bit access to a 32-bit register.
    assert_eq!(m.bus.read(gicd(GICD_CTLR), 8, root()), Ok(0));
    // Write-only register read, read-only register write.
    assert_eq!(m.bus.read(gicd(GICD_SETSPI_NSR), 4, root()), Ok(0));
    m.bus.write(gicd(GICD_TYPER), 4, 0, root()).unwrap();
    m.bus.write(rd(0) + GICR_TYPER, 8, 0, root()).unwrap();
    // A reserved GICR offset in each frame.
    assert_eq!(m.bus.read(rd(1) + 0x0100, 4, root()), Ok(0));
    assert_eq!(m.bus.read(sgi(1) + 0x0800, 4, root()), Ok(0));
    assert_eq!(m.gic.bad_accesses() - before, 9);
    // The write to a reserved location changed nothing.
    assert_eq!(m.r32(gicd(GICD_TYPER), root()) & 0x1f, 8);
    let ctlr = m.r32(gicd(GICD_CTLR), root());
    m.bus.write(gicd(GICD_CTLR), 2, 0, root()).unwrap();
    assert_eq!(m.r32(gicd(GICD_CTLR), root()), ctlr);
}

#[test]
fn generation_counts_changes() {
    let m = fvp();
    let g = m.gic.generation();
    m.w32(gicd(GICD_CTLR), 0, root());
    let g2 = m.gic.generation();
    assert!(g2 > g);
    m.r32(gicd(GICD_CTLR), root());
    m.icc_r(0, IccReg::Pmr, el3());
    assert_eq!(m.gic.generation(), g2, "reads other than IAR change nothing");
    m.icc_r(0, IccReg::Iar1, el3());
    assert!(m.gic.generation() > g2, "IAR may acknowledge");
}

#[test]
fn snapshot_holds_the_state() {
    let m = fvp();
    m.setup();
    m.spi(33, IntGroup::G1S, 0x30, 5);
    let st = m.gic.snapshot();
    assert_eq!(st.spis.group_of(33), IntGroup::G1S);
    assert_eq!(st.spis.priority[33], 0x30);
    assert_eq!(st.irouter[33], 0x0001_0100);
    assert_eq!(st.pes[5].mpidr, 0x0001_0100);
    assert!(!st.pes[5].rd.processor_sleep);
}
