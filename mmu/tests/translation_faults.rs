//! Stage 1 faults: kind, level, FSC, WnR, and the hierarchical controls.

mod translation_support;

use rme_mmu::translation::*;
use rme_mmu::{Pas, SecurityState};
use translation_support::*;

const ARENA: u64 = 0x4000_0000;

fn el10(t0sz: u64, g: Granule) -> Stage1Regime {
    stage1(Regime::El10, SecurityState::NonSecure, tcr_two_ranges(t0sz, g, t0sz, g, 5), ARENA, 0)
}

fn err(mem: &FakeMem, r: &Stage1Regime, a: Access) -> TranslationFault {
    walk_stage1(mem, r, &a).expect_err("expected a fault")
}

#[test]
fn invalid_descriptor_at_each_level() {
    for level in 0..=3i8 {
        let mut mem = FakeMem::default();
        let mut t = Tables::stage1(Granule::K4, Pas::NonSecure, 48, ARENA);
        let va = 0x0000_1234_5678_9000;
        t.map(&mut mem, va, 3, 0x8000_0000, KERNEL_RW);
        t.set_raw(&mut mem, va, level, 0x8000_0000 | TABLE & !VALID);
        let e = err(&mem, &el10(16, Granule::K4), Access::read(va));
        assert_eq!((e.kind, e.level, e.stage, e.s1ptw), (FaultKind::Translation, level, Stage::One, false));
        assert_eq!(e.fsc(), 0b000100 | level as u8);
        assert_eq!(e.va, va);
        assert_eq!(e.ipa, None);
        assert!(!e.wnr());
    }
}

#[test]
fn blocks_where_the_granule_has_none_are_invalid() {
    // 4KB level 0 block.
    let mut mem = FakeMem::default();
    let mut t = Tables::stage1(Granule::K4, Pas::NonSecure, 48, ARENA);
    t.set_raw(&mut mem, 0, 0, AF | BLOCK);
    assert_eq!(err(&mem, &el10(16, Granule::K4), Access::read(0)).fsc(), 0b000100);
    // 16KB level 1 block (needs FEAT_LPA2).
    let mut mem = FakeMem::default();
    let mut t = Tables::stage1(Granule::K16, Pas::NonSecure, 47, ARENA);
    t.set_raw(&mut mem, 0, 1, AF | BLOCK);
    assert_eq!(err(&mem, &el10(17, Granule::K16), Access::read(0)).fsc(), 0b000101);
    // 64KB level 1 block (needs 52-bit PAs).
    let mut mem = FakeMem::default();
    let mut t = Tables::stage1(Granule::K64, Pas::NonSecure, 48, ARENA);
    t.set_raw(&mut mem, 0, 1, AF | BLOCK);
    assert_eq!(err(&mem, &el10(16, Granule::K64), Access::read(0)).fsc(), 0b000101);
    // Level 3 descriptor with bit 1 clear is reserved.
    let mut mem = FakeMem::default();
    let mut t = Tables::stage1(Granule::K4, Pas::NonSecure, 39, ARENA);
    t.set_raw(&mut mem, 0x3000, 3, 0x5000_3000 | AF | BLOCK);
    let e = err(&mem, &el10(25, Granule::K4), Access::read(0x3000));
    assert_eq!((e.kind, e.level, e.fsc()), (FaultKind::Translation, 3, 0b000111));
}

#[test]
fn access_flag_clear_faults_at_the_leaf_level() {
    let mut mem = FakeMem::default();
    let mut t = Tables::stage1(Granule::K4, Pas::NonSecure, 39, ARENA);
    t.map(&mut mem, 0x20_0000, 2, 0x8020_0000, SH_INNER); // AF = 0
    t.map(&mut mem, 0x1000, 3, 0x8000_1000, SH_INNER);
    let r = el10(25, Granule::K4);
    let e = err(&mem, &r, Access::write(0x20_0040));
    assert_eq!((e.kind, e.level, e.fsc(), e.wnr()), (FaultKind::AccessFlag, 2, 0b001010, true));
    let e = err(&mem, &r, Access::fetch(0x1000));
    assert_eq!((e.kind, e.level, e.fsc(), e.is_fetch()), (FaultKind::AccessFlag, 3, 0b001011, true));
    // The AF fault comes before permission checks.
    let e = err(&mem, &r, Access::read(0x1000).el0());
    assert_eq!(e.kind, FaultKind::AccessFlag);
}

#[test]
fn txsz_out_of_range() {
    let mut mem = FakeMem::default();
    let mut t = Tables::stage1(Granule::K4, Pas::NonSecure, 25, ARENA);
    t.map(&mut mem, 0x1000, 3, 0x8000_1000, KERNEL_RW);
    // T0SZ = 40 (> 39): a level 0 Translation fault ...
    let mut r = el10(40, Granule::K4);
    let e = err(&mem, &r, Access::read(0x1000));
    assert_eq!((e.kind, e.level, e.fsc()), (FaultKind::Translation, 0, 0b000100));
    // ... or, if the implementation chooses, T0SZ behaves as 39.
    r.features.txsz_out_of_range_faults = false;
    assert_eq!(walk_stage1(&mem, &r, &Access::read(0x1000)).unwrap().oa, 0x8000_1000);
    // T0SZ = 8 (< 16).
    let r = el10(8, Granule::K4);
    assert_eq!(err(&mem, &r, Access::read(0x1000)).fsc(), 0b000100);
}

#[test]
fn va_out_of_range_and_tbi() {
    let mut mem = FakeMem::default();
    let mut t = Tables::stage1(Granule::K4, Pas::NonSecure, 39, ARENA);
    t.map(&mut mem, 0x1000, 3, 0x8000_1000, KERNEL_RW);
    let mut r = el10(25, Granule::K4);
    // Bit 39 set in the lower range, and the hole between the ranges.
    for va in [0x80_0000_1000u64, 0x00ff_0000_0000_1000, 0xff00_0000_0000_1000] {
        let e = err(&mem, &r, Access::read(va));
        assert_eq!((e.kind, e.level), (FaultKind::Translation, 0), "va {va:#x}");
    }
    // TBI0: the top byte is ignored for data, and (TBID0) not for fetches.
    r.tcr |= 1 << 37;
    assert_eq!(walk_stage1(&mem, &r, &Access::read(0x5a00_0000_0000_1008)).unwrap().oa, 0x8000_1008);
    r.tcr |= 1 << 51;
    assert_eq!(err(&mem, &r, Access::fetch(0x5a00_0000_0000_1008)).fsc(), 0b000100);
    assert!(walk_stage1(&mem, &r, &Access::fetch(0x1008)).is_ok());
}

#[test]
fn epd_and_e0pd_disable_walks() {
    let mut mem = FakeMem::default();
    let mut t = Tables::stage1(Granule::K4, Pas::NonSecure, 39, ARENA);
    t.map(&mut mem, 0x1000, 3, 0x8000_1000, KERNEL_RW | AP_EL0);
    let mut r = el10(25, Granule::K4);
    r.tcr |= 1 << 7; // EPD0
    let e = err(&mem, &r, Access::read(0x1000));
    assert_eq!((e.kind, e.level), (FaultKind::Translation, 0));
    assert!(mem.take_reads().is_empty());
    let mut r = el10(25, Granule::K4);
    r.tcr |= 1 << 55; // E0PD0
    assert_eq!(err(&mem, &r, Access::read(0x1000).el0()).fsc(), 0b000100);
    assert!(walk_stage1(&mem, &r, &Access::read(0x1000)).is_ok());
    // TTBR1 walks with EPD1.
    r.tcr |= 1 << 23;
    assert_eq!(err(&mem, &r, Access::read(0xffff_ff80_0000_0000)).fsc(), 0b000100);
}

#[test]
fn address_size_faults() {
    // Output address beyond IPS = 32 bits at the leaf (level 3).
    let mut mem = FakeMem::default();
    let mut t = Tables::stage1(Granule::K4, Pas::NonSecure, 39, ARENA);
    t.map(&mut mem, 0x1000, 3, 0x1_0000_1000, KERNEL_RW);
    t.map(&mut mem, 0x2000, 3, 0xffff_f000, KERNEL_RW);
    let mut r =
        stage1(Regime::El10, SecurityState::NonSecure, tcr_two_ranges(25, Granule::K4, 25, Granule::K4, 0), ARENA, 0);
    let e = err(&mem, &r, Access::read(0x1000));
    assert_eq!((e.kind, e.level, e.fsc()), (FaultKind::AddressSize, 3, 0b000011));
    assert_eq!(walk_stage1(&mem, &r, &Access::read(0x2ff8)).unwrap().oa, 0xffff_fff8);
    // IPS = 48 bits is capped by PAMax: fine with 40, a fault with 32.
    r.tcr = tcr_two_ranges(25, Granule::K4, 25, Granule::K4, 5);
    r.features.pa_bits = 40;
    assert!(walk_stage1(&mem, &r, &Access::read(0x1000)).is_ok());
    r.features.pa_bits = 32;
    assert_eq!(err(&mem, &r, Access::read(0x1000)).fsc(), 0b000011);
    // A table descriptor pointing beyond the output size: fault at the
    // level of that table descriptor.
    let mut mem = FakeMem::default();
    let mut t = Tables::stage1(Granule::K4, Pas::NonSecure, 39, ARENA);
    t.map(&mut mem, 0x20_0000, 2, 0x20_0000, KERNEL_RW);
    t.set_raw(&mut mem, 0x4000_0000, 1, 0x100_0000_0000 | TABLE);
    let r =
        stage1(Regime::El10, SecurityState::NonSecure, tcr_two_ranges(25, Granule::K4, 25, Granule::K4, 2), ARENA, 0);
    let e = err(&mem, &r, Access::read(0x4000_0000));
    assert_eq!((e.kind, e.level, e.fsc()), (FaultKind::AddressSize, 1, 0b000001));
    // The table base register beyond the output size: level 0.
    let r = stage1(
        Regime::El10,
        SecurityState::NonSecure,
        tcr_two_ranges(25, Granule::K4, 25, Granule::K4, 2),
        0x100_0000_0000,
        0,
    );
    mem.take_reads();
    let e = err(&mem, &r, Access::read(0x20_0000));
    assert_eq!((e.kind, e.level, e.fsc()), (FaultKind::AddressSize, 0, 0b000000));
    assert!(mem.take_reads().is_empty());
}

#[test]
fn external_abort_and_gpf_on_walk() {
    let mut mem = FakeMem::default();
    let mut t = Tables::stage1(Granule::K4, Pas::NonSecure, 48, ARENA);
    let va = 0x0000_0040_0020_3000;
    t.map(&mut mem, va, 3, 0x8000_3000, KERNEL_RW);
    let l2 = t.entry(&mut mem, va, 2);
    mem.aborts.push((Pas::NonSecure, l2));
    let r = el10(16, Granule::K4);
    let e = err(&mem, &r, Access::write(va));
    assert_eq!((e.kind, e.level, e.fsc(), e.wnr()), (FaultKind::ExternalAbortOnWalk, 2, 0b010110, true));
    assert_eq!(e.walk_pa, Some((l2, Pas::NonSecure)));
    assert_eq!(e.hpfar(false), None);
    mem.aborts.clear();
    let l3 = t.entry(&mut mem, va, 3);
    mem.gpf.insert((Pas::NonSecure, l3), 0x2a);
    let e = err(&mem, &r, Access::read(va));
    assert_eq!((e.kind, e.level, e.fsc()), (FaultKind::GranuleProtectionOnWalk, 3, 0b100111));
    assert_eq!(e.gpc_code, Some(0x2a));
    assert_eq!(e.walk_pa, Some((l3, Pas::NonSecure)));
}

#[test]
fn permission_faults_and_wnr() {
    let mut mem = FakeMem::default();
    let mut t = Tables::stage1(Granule::K4, Pas::NonSecure, 39, ARENA);
    t.map(&mut mem, 0x1000, 3, 0x8000_1000, KERNEL_RW | AP_RO | AP_EL0); // RO all
    t.map(&mut mem, 0x2000, 3, 0x8000_2000, KERNEL_RW); // EL1 RW only
    t.map(&mut mem, 0x3000, 3, 0x8000_3000, KERNEL_RW | PXN | UXN);
    let r = el10(25, Granule::K4);
    let e = err(&mem, &r, Access::write(0x1008));
    assert_eq!((e.kind, e.level, e.fsc(), e.wnr()), (FaultKind::Permission, 3, 0b001111, true));
    // A read-modify-write reports the write when only the write fails ...
    let e = err(&mem, &r, Access::new(0x1008, AccessKind::ReadWrite).el0());
    assert_eq!((e.kind, e.wnr()), (FaultKind::Permission, true));
    // ... and the read when the read fails.
    let e = err(&mem, &r, Access::new(0x2008, AccessKind::ReadWrite).el0());
    assert_eq!((e.kind, e.wnr()), (FaultKind::Permission, false));
    let e = err(&mem, &r, Access::fetch(0x3000));
    assert_eq!((e.kind, e.is_fetch(), e.fsc()), (FaultKind::Permission, true, 0b001111));
    assert!(err(&mem, &r, Access::fetch(0x3000).el0()).is_fetch());
    // WXN: writable pages are not executable.
    let mut w = r;
    w.sctlr |= 1 << 19;
    assert_eq!(err(&mem, &w, Access::fetch(0x2000)).kind, FaultKind::Permission);
    assert!(walk_stage1(&mem, &w, &Access::fetch(0x1000)).is_ok());
    // Alignment (Device memory) is reported before Permission.
    t.map(&mut mem, 0x4000, 3, 0x8000_4000, AF | ATTR_DEVICE_NGNRE | AP_RO);
    let e = err(&mem, &r, Access::write(0x4001).unaligned());
    assert_eq!((e.kind, e.fsc()), (FaultKind::Alignment, 0b100001));
    assert!(walk_stage1(&mem, &r, &Access::read(0x2001).unaligned()).is_ok());
}

#[test]
fn hierarchical_table_controls() {
    let mut mem = FakeMem::default();
    let mut t = Tables::stage1(Granule::K4, Pas::NonSecure, 39, ARENA);
    let rw_all = KERNEL_RW | AP_EL0;
    t.map(&mut mem, 0x0000_1000, 3, 0x8000_1000, rw_all);
    t.map(&mut mem, 0x4000_1000, 3, 0x8100_1000, rw_all);
    t.map(&mut mem, 0x8000_1000, 3, 0x8200_1000, KERNEL_RW);
    t.map(&mut mem, 0xc000_1000, 3, 0x8300_1000, rw_all);
    // APTable[0] at level 1: no EL0 access below.
    t.set_table_bits(&mut mem, 0x0000_1000, 1, AP_TABLE_NO_EL0);
    // APTable[1] at level 2: read-only below.
    t.set_table_bits(&mut mem, 0x4000_1000, 2, AP_TABLE_RO);
    // PXNTable at level 1.
    t.set_table_bits(&mut mem, 0x8000_1000, 1, PXN_TABLE);
    // UXNTable at level 2.
    t.set_table_bits(&mut mem, 0xc000_1000, 2, UXN_TABLE);
    let r = el10(25, Granule::K4);
    let e = err(&mem, &r, Access::read(0x0000_1000).el0());
    assert_eq!((e.kind, e.level), (FaultKind::Permission, 3));
    assert!(walk_stage1(&mem, &r, &Access::write(0x0000_1000)).is_ok());
    let p = walk_stage1(&mem, &r, &Access::read(0x4000_1000).el0()).unwrap().perms;
    assert_eq!(p.unprivileged, Rwx { r: true, w: false, x: true });
    assert_eq!(p.privileged, Rwx { r: true, w: false, x: true });
    assert!(err(&mem, &r, Access::write(0x4000_1000)).wnr());
    assert_eq!(err(&mem, &r, Access::fetch(0x8000_1000)).kind, FaultKind::Permission);
    assert!(walk_stage1(&mem, &r, &Access::read(0x8000_1000)).is_ok());
    assert_eq!(err(&mem, &r, Access::fetch(0xc000_1000).el0()).kind, FaultKind::Permission);
    // TCR_EL1.HPD0 disables all of them.
    let mut h = r;
    h.tcr |= 1 << 41;
    assert!(walk_stage1(&mem, &h, &Access::read(0x0000_1000).el0()).is_ok());
    assert!(walk_stage1(&mem, &h, &Access::write(0x4000_1000).el0()).is_ok());
    assert!(walk_stage1(&mem, &h, &Access::fetch(0x8000_1000)).is_ok());
    assert!(walk_stage1(&mem, &h, &Access::fetch(0xc000_1000).el0()).is_ok());
    // ... unless FEAT_HPDS is not implemented.
    h.features.hpds = false;
    assert!(walk_stage1(&mem, &h, &Access::read(0x0000_1000).el0()).is_err());
}

#[test]
fn el3_xn_table_and_ap_table() {
    let mut mem = FakeMem::default();
    let mut t = Tables::stage1(Granule::K64, Pas::Root, 32, ARENA);
    assert_eq!(t.start_level, 2);
    t.map(&mut mem, 0x1000_0000, 3, 0x1000_0000, KERNEL_RW | NSE);
    t.set_table_bits(&mut mem, 0x1000_0000, 2, (1 << 60) | AP_TABLE_RO);
    let r = stage1(Regime::El3, SecurityState::Root, tcr_one_range(32, Granule::K64, 5), ARENA, 0);
    let p = walk_stage1(&mem, &r, &Access::read(0x1000_0000)).unwrap();
    assert_eq!(p.perms.privileged, Rwx { r: true, w: false, x: false });
    assert_eq!(err(&mem, &r, Access::fetch(0x1000_0000)).fsc(), 0b001111);
    assert_eq!(err(&mem, &r, Access::write(0x1000_0000)).fsc(), 0b001111);
}
