//! Stage 1 walks in every regime and granule, with hand-built tables.

mod translation_support;

use rme_mmu::translation::*;
use rme_mmu::{Pas, SecurityState};
use translation_support::*;

const ARENA: u64 = 0x4000_0000;

fn rwx(r: bool, w: bool, x: bool) -> Rwx {
    Rwx { r, w, x }
}

#[test]
fn el10_4k_page_48bit() {
    let mut mem = FakeMem::default();
    let mut t = Tables::stage1(Granule::K4, Pas::NonSecure, 48, ARENA);
    assert_eq!(t.start_level, 0);
    let va = 0x0000_7f12_3456_7000;
    t.map(&mut mem, va, 3, 0x8_1234_5000, KERNEL_RW | AP_EL0 | UXN);
    let r =
        stage1(Regime::El10, SecurityState::NonSecure, tcr_two_ranges(16, Granule::K4, 16, Granule::K4, 5), ARENA, 0);
    let res = walk_stage1(&mem, &r, &Access::read(va + 0x123)).unwrap();
    assert_eq!(res.oa, 0x8_1234_5123);
    assert_eq!(res.pas, Pas::NonSecure);
    assert_eq!(res.level, Some(3));
    assert_eq!(res.block_shift, 12);
    assert!(res.global);
    assert_eq!(res.asid, None);
    assert_eq!(
        res.attrs,
        MemAttrs {
            mem: MemType::Normal { inner: Cacheability::WB_RWA, outer: Cacheability::WB_RWA },
            shareability: Shareability::Inner
        }
    );
    assert_eq!(res.attrs.to_mair(), 0xff);
    // AP = 01 (EL0 RW), UXN: privileged RW but not executable because EL0
    // can write; EL0 RW, not executable.
    assert_eq!(res.perms.privileged, rwx(true, true, false));
    assert_eq!(res.perms.unprivileged, rwx(true, true, false));
    assert!(res.perms.pan_restricted);
    // One read per level, starting at the root with VA[47:39].
    let reads = mem.take_reads();
    assert_eq!(reads.len(), 4);
    assert_eq!(reads[0], (ARENA + ((va >> 39) & 0x1ff) * 8, Pas::NonSecure));
}

#[test]
fn el10_4k_blocks_at_levels_1_and_2() {
    let mut mem = FakeMem::default();
    let mut t = Tables::stage1(Granule::K4, Pas::NonSecure, 39, ARENA);
    assert_eq!(t.start_level, 1);
    t.map(&mut mem, 0x4000_0000, 1, 0x1_c000_0000, KERNEL_RW);
    t.map(&mut mem, 0x0060_0000, 2, 0x8_0020_0000, KERNEL_RW | ATTR_DEVICE_NGNRE | PXN | UXN);
    let r =
        stage1(Regime::El10, SecurityState::NonSecure, tcr_two_ranges(25, Granule::K4, 25, Granule::K4, 5), ARENA, 0);
    let g = walk_stage1(&mem, &r, &Access::fetch(0x4123_4568)).unwrap();
    assert_eq!((g.oa, g.level, g.block_shift), (0x1_c123_4568, Some(1), 30));
    assert!(g.perms.privileged.x);
    let m = walk_stage1(&mem, &r, &Access::write(0x0067_8ab0)).unwrap();
    assert_eq!((m.oa, m.level, m.block_shift), (0x8_0027_8ab0, Some(2), 21));
    assert_eq!(m.attrs, MemAttrs { mem: MemType::Device(DeviceType::NGnRE), shareability: Shareability::Outer });
    assert_eq!(m.perms.privileged, rwx(true, true, false));
    assert_eq!(m.perms.unprivileged, rwx(false, false, false));
}

#[test]
fn el10_16k_granule() {
    let mut mem = FakeMem::default();
    // 47-bit VA: start level 1.
    let mut t = Tables::stage1(Granule::K16, Pas::NonSecure, 47, ARENA);
    assert_eq!(t.start_level, 1);
    let va = 0x0000_5a5a_1234_c000;
    t.map(&mut mem, va, 3, 0x9_8765_4000, KERNEL_RW | AP_RO);
    t.map(&mut mem, 0x0000_1000_0000_0000, 2, 0x2_0200_0000, KERNEL_RW);
    let r =
        stage1(Regime::El10, SecurityState::NonSecure, tcr_two_ranges(17, Granule::K16, 17, Granule::K16, 5), ARENA, 0);
    let p = walk_stage1(&mem, &r, &Access::read(va + 0x3ffc)).unwrap();
    assert_eq!((p.oa, p.level, p.block_shift), (0x9_8765_7ffc, Some(3), 14));
    assert_eq!(p.perms.privileged, rwx(true, false, true));
    let b = walk_stage1(&mem, &r, &Access::read(0x0000_1000_01ff_fff8)).unwrap();
    assert_eq!((b.oa, b.level, b.block_shift), (0x2_03ff_fff8, Some(2), 25));
    // 48-bit VA with 16KB: a two-entry level 0 table.
    let mut mem = FakeMem::default();
    let mut t = Tables::stage1(Granule::K16, Pas::NonSecure, 48, ARENA);
    assert_eq!(t.start_level, 0);
    let va = 0x0000_8000_0000_4000;
    t.map(&mut mem, va, 3, 0x1234_0000, KERNEL_RW);
    let r =
        stage1(Regime::El10, SecurityState::NonSecure, tcr_two_ranges(16, Granule::K16, 16, Granule::K16, 5), ARENA, 0);
    assert_eq!(walk_stage1(&mem, &r, &Access::read(va + 8)).unwrap().oa, 0x1234_0008);
    assert_eq!(mem.take_reads()[0].0, ARENA + 8);
}

#[test]
fn el10_64k_granule() {
    let mut mem = FakeMem::default();
    let mut t = Tables::stage1(Granule::K64, Pas::NonSecure, 48, ARENA);
    assert_eq!(t.start_level, 1);
    let va = 0x0000_abcd_1234_0000;
    t.map(&mut mem, va, 3, 0x7_0000_0000, KERNEL_RW);
    t.map(&mut mem, 0x0000_0000_6000_0000, 2, 0x8_6000_0000, KERNEL_RW | ATTR_NC);
    let r =
        stage1(Regime::El10, SecurityState::NonSecure, tcr_two_ranges(16, Granule::K64, 16, Granule::K64, 5), ARENA, 0);
    let p = walk_stage1(&mem, &r, &Access::read(va + 0xfff8)).unwrap();
    assert_eq!((p.oa, p.level, p.block_shift), (0x7_0000_fff8, Some(3), 16));
    let b = walk_stage1(&mem, &r, &Access::read(0x7fff_fff0)).unwrap();
    assert_eq!((b.oa, b.level, b.block_shift), (0x8_7fff_fff0, Some(2), 29));
    assert_eq!(b.attrs, MemAttrs::NORMAL_NC);
    // 42-bit VA: start level 2.
    let mut mem = FakeMem::default();
    let mut t = Tables::stage1(Granule::K64, Pas::NonSecure, 42, ARENA);
    assert_eq!(t.start_level, 2);
    t.map(&mut mem, 0x3ff_fff0_0000, 3, 0x5_0000_0000, KERNEL_RW);
    let r =
        stage1(Regime::El10, SecurityState::NonSecure, tcr_two_ranges(22, Granule::K64, 22, Granule::K64, 5), ARENA, 0);
    assert_eq!(walk_stage1(&mem, &r, &Access::read(0x3ff_fff0_0010)).unwrap().oa, 0x5_0000_0010);
    assert_eq!(mem.take_reads().len(), 2);
}

#[test]
fn el10_upper_range_and_asids() {
    let mut mem = FakeMem::default();
    let mut lo = Tables::stage1(Granule::K4, Pas::NonSecure, 48, ARENA);
    let mut hi = Tables::stage1(Granule::K16, Pas::NonSecure, 48, 0x5000_0000);
    let va_hi = 0xffff_8000_0000_4000u64;
    hi.map(&mut mem, va_hi, 3, 0x6_0000_4000, KERNEL_RW | NG);
    lo.map(&mut mem, 0x1000, 3, 0x6_0000_1000, KERNEL_RW | NG);
    let ttbr0 = (0x1234u64 << 48) | ARENA;
    let ttbr1 = (0xabcdu64 << 48) | 0x5000_0000;
    let mut r = stage1(
        Regime::El10,
        SecurityState::NonSecure,
        tcr_two_ranges(16, Granule::K4, 16, Granule::K16, 5),
        ttbr0,
        ttbr1,
    );
    let h = walk_stage1(&mem, &r, &Access::read(va_hi)).unwrap();
    assert_eq!(h.oa, 0x6_0000_4000);
    assert!(!h.global);
    // TCR.A1 = 0: ASID from TTBR0; TCR.AS = 0: 8 bits.
    assert_eq!(h.asid, Some(0x34));
    r.tcr |= 1 << 36; // AS
    assert_eq!(walk_stage1(&mem, &r, &Access::read(0x1000)).unwrap().asid, Some(0x1234));
    r.tcr |= 1 << 22; // A1
    assert_eq!(walk_stage1(&mem, &r, &Access::read(0x1000)).unwrap().asid, Some(0xabcd));
    // Without 16-bit ASID support, AS is ignored.
    r.features.asid16 = false;
    assert_eq!(walk_stage1(&mem, &r, &Access::read(0x1000)).unwrap().asid, Some(0xcd));
}

#[test]
fn el20_vhe_regime_has_el0_and_pan() {
    let mut mem = FakeMem::default();
    let mut t = Tables::stage1(Granule::K4, Pas::NonSecure, 48, ARENA);
    t.map(&mut mem, 0x40_0000, 3, 0x8000_0000, KERNEL_RW | AP_EL0 | NG | PXN);
    let mut hi = Tables::stage1(Granule::K4, Pas::NonSecure, 48, 0x5000_0000);
    hi.map(&mut mem, 0xffff_0000_0000_0000, 2, 0x8020_0000, KERNEL_RW | UXN);
    let r = stage1(
        Regime::El20,
        SecurityState::NonSecure,
        tcr_two_ranges(16, Granule::K4, 16, Granule::K4, 5),
        (7 << 48) | ARENA,
        0x5000_0000,
    );
    let u = walk_stage1(&mem, &r, &Access::write(0x40_0010).el0()).unwrap();
    assert_eq!(u.oa, 0x8000_0010);
    assert_eq!(u.asid, Some(7));
    assert!(walk_stage1(&mem, &r, &Access::fetch(0x40_0010).el0()).is_ok());
    // EL2 may read the EL0 page, but not with PSTATE.PAN set.
    assert!(walk_stage1(&mem, &r, &Access::read(0x40_0010)).is_ok());
    let e = walk_stage1(&mem, &r, &Access::read(0x40_0010).with_pan()).unwrap_err();
    assert_eq!((e.kind, e.level, e.stage, e.fsc()), (FaultKind::Permission, 3, Stage::One, 0b001111));
    // EL0 cannot touch the kernel half.
    let e = walk_stage1(&mem, &r, &Access::read(0xffff_0000_0000_1000).el0()).unwrap_err();
    assert_eq!((e.kind, e.level), (FaultKind::Permission, 2));
    let k = walk_stage1(&mem, &r, &Access::fetch(0xffff_0000_0000_1000)).unwrap();
    assert_eq!(k.oa, 0x8020_1000);
    assert!(k.global);
}

#[test]
fn el2_non_vhe_single_range() {
    let mut mem = FakeMem::default();
    let mut t = Tables::stage1(Granule::K4, Pas::NonSecure, 40, ARENA);
    // AP[1] is ignored (RES1) and nG is ignored; bit 54 is XN, bit 53 RES0.
    t.map(&mut mem, 0x1000, 3, 0x9000_1000, KERNEL_RW | NG | PXN);
    t.map(&mut mem, 0x2000, 3, 0x9000_2000, KERNEL_RW | AP_RO | AP_EL0 | XN);
    let r = stage1(Regime::El2, SecurityState::NonSecure, tcr_one_range(24, Granule::K4, 2), ARENA, 0);
    let a = walk_stage1(&mem, &r, &Access::fetch(0x1000)).unwrap();
    assert_eq!(a.perms.privileged, rwx(true, true, true));
    assert_eq!(a.perms.unprivileged, rwx(false, false, false));
    assert!(a.global);
    assert_eq!(a.asid, None);
    let b = walk_stage1(&mem, &r, &Access::read(0x2008)).unwrap();
    assert_eq!(b.perms.privileged, rwx(true, false, false));
    let e = walk_stage1(&mem, &r, &Access::write(0x2008)).unwrap_err();
    assert_eq!((e.kind, e.level, e.wnr()), (FaultKind::Permission, 3, true));
    let e = walk_stage1(&mem, &r, &Access::fetch(0x2008)).unwrap_err();
    assert_eq!((e.kind, e.is_fetch(), e.wnr()), (FaultKind::Permission, true, false));
    // Single range: a VA with bit 55 set is out of range.
    let e = walk_stage1(&mem, &r, &Access::read(0xff80_0000_0000_1000)).unwrap_err();
    assert_eq!((e.kind, e.level, e.fsc()), (FaultKind::Translation, 0, 0b000100));
}

#[test]
fn el3_root_descriptor_nse_ns_select_the_pas() {
    let mut mem = FakeMem::default();
    let mut t = Tables::stage1(Granule::K4, Pas::Root, 39, ARENA);
    t.map(&mut mem, 0x0000, 3, 0xf000_0000, KERNEL_RW);
    t.map(&mut mem, 0x1000, 3, 0xf000_1000, KERNEL_RW | NS);
    t.map(&mut mem, 0x2000, 3, 0xf000_2000, KERNEL_RW | NSE);
    t.map(&mut mem, 0x3000, 3, 0xf000_3000, KERNEL_RW | NSE | NS);
    // NSTable is RES0 at EL3: the walk stays in Root.
    t.map(&mut mem, 0x4000_0000, 3, 0xf100_0000, KERNEL_RW | NSE);
    t.set_table_bits(&mut mem, 0x4000_0000, 1, NS_TABLE);
    let r = stage1(Regime::El3, SecurityState::Root, tcr_one_range(25, Granule::K4, 5), ARENA, 0);
    let pas = |va| walk_stage1(&mem, &r, &Access::read(va)).unwrap().pas;
    assert_eq!(pas(0x0000), Pas::Secure);
    assert_eq!(pas(0x1000), Pas::NonSecure);
    assert_eq!(pas(0x2000), Pas::Root);
    assert_eq!(pas(0x3000), Pas::Realm);
    mem.take_reads();
    let root = walk_stage1(&mem, &r, &Access::read(0x4000_0000)).unwrap();
    assert_eq!(root.pas, Pas::Root);
    assert!(mem.take_reads().iter().all(|&(_, p)| p == Pas::Root));
    // Root executes only from Root memory.
    assert!(walk_stage1(&mem, &r, &Access::fetch(0x2000)).is_ok());
    for va in [0x0000, 0x1000, 0x3000] {
        let e = walk_stage1(&mem, &r, &Access::fetch(va)).unwrap_err();
        assert_eq!((e.kind, e.level, e.fsc()), (FaultKind::Permission, 3, 0b001111), "va {va:#x}");
    }
    // Without Secure state, {NSE,NS} = 00 is Non-secure.
    let mut r2 = r;
    r2.features.secure_state = false;
    assert_eq!(walk_stage1(&mem, &r2, &Access::read(0)).unwrap().pas, Pas::NonSecure);
}

#[test]
fn memory_attributes_and_cache_enables() {
    let mut mem = FakeMem::default();
    let mut t = Tables::stage1(Granule::K4, Pas::NonSecure, 39, ARENA);
    t.map(&mut mem, 0x0000, 3, 0x1000_0000, KERNEL_RW);
    t.map(&mut mem, 0x1000, 3, 0x1000_1000, AF | ATTR_DEVICE_NGNRNE);
    t.map(&mut mem, 0x2000, 3, 0x1000_2000, AF | SH_OUTER | ATTR_NC);
    t.map(&mut mem, 0x3000, 3, 0x1000_3000, AF | ATTR_WB); // non-shareable WB
    let mut r =
        stage1(Regime::El10, SecurityState::NonSecure, tcr_two_ranges(25, Granule::K4, 25, Granule::K4, 5), ARENA, 0);
    let at = |r: &Stage1Regime, a: Access| walk_stage1(&mem, r, &a).unwrap().attrs;
    assert_eq!(at(&r, Access::read(0x1000)), MemAttrs::DEVICE_NGNRNE);
    assert_eq!(at(&r, Access::read(0x2000)), MemAttrs::NORMAL_NC);
    assert_eq!(at(&r, Access::read(0x3000)).shareability, Shareability::NonShareable);
    // Fetching from Device memory sees Normal Non-cacheable.
    assert_eq!(at(&r, Access::fetch(0x1000)), MemAttrs::NORMAL_NC);
    // SCTLR.C = 0: data to Normal memory is Non-cacheable, Device stays.
    r.sctlr &= !(1 << 2);
    assert_eq!(at(&r, Access::read(0x0000)), MemAttrs::NORMAL_NC);
    assert_eq!(at(&r, Access::fetch(0x0000)).to_mair(), 0xff);
    assert_eq!(at(&r, Access::read(0x1000)), MemAttrs::DEVICE_NGNRNE);
    // SCTLR.I = 0: fetches are Non-cacheable.
    r.sctlr = 1 | (1 << 2);
    assert_eq!(at(&r, Access::fetch(0x0000)), MemAttrs::NORMAL_NC);
}

#[test]
fn stage1_disabled_is_flat() {
    let mem = FakeMem::default();
    let mut r = stage1(Regime::El3, SecurityState::Root, 0, 0, 0);
    r.sctlr = 1 << 12; // M = 0, I = 1
    let d = walk_stage1(&mem, &r, &Access::read(0x8000_1234)).unwrap();
    assert_eq!((d.oa, d.pas, d.level, d.attrs), (0x8000_1234, Pas::Root, None, MemAttrs::DEVICE_NGNRNE));
    assert_eq!(d.perms, Permissions::ALL);
    let f = walk_stage1(&mem, &r, &Access::fetch(0x8000_1234)).unwrap();
    assert_eq!(f.attrs.to_mair(), 0xaa); // Normal WT read-allocate, Outer Shareable
    assert_eq!(f.attrs.shareability, Shareability::Outer);
    // A VA beyond PAMax (48 bits) is a level 0 Address size fault.
    let e = walk_stage1(&mem, &r, &Access::read(0x0001_0000_0000_0000)).unwrap_err();
    assert_eq!((e.kind, e.level, e.fsc()), (FaultKind::AddressSize, 0, 0b000000));
    // With TBI the top byte is ignored.
    r.tcr = 1 << 20;
    assert_eq!(walk_stage1(&mem, &r, &Access::read(0xab00_0000_0000_1000)).unwrap().oa, 0x1000);
    // Unaligned data accesses to Device-nGnRnE fault.
    let e = walk_stage1(&mem, &r, &Access::read(0x1001).unaligned()).unwrap_err();
    assert_eq!((e.kind, e.fsc()), (FaultKind::Alignment, 0b100001));
    // EL1&0 with HCR_EL2.DC: stage 1 off, Normal WB non-shareable.
    let mut r = stage1(Regime::El10, SecurityState::NonSecure, 0, 0, 0);
    r.hcr = 1 << 12;
    let d = walk_stage1(&mem, &r, &Access::read(0x1000)).unwrap();
    assert!(d.attrs.is_normal_wb());
    assert_eq!(d.attrs.shareability, Shareability::NonShareable);
    // HCR_EL2.TGE also disables EL1&0 stage 1 (SCTLR_EL1.M = 1 here).
    r.hcr = 1 << 27;
    assert_eq!(walk_stage1(&mem, &r, &Access::read(0x1000)).unwrap().level, None);
}

#[test]
fn big_endian_tables() {
    let mut mem = FakeMem::default();
    let mut t = Tables::stage1(Granule::K4, Pas::NonSecure, 39, ARENA);
    t.map(&mut mem, 0x5000, 3, 0x1234_5000, KERNEL_RW);
    let swapped: Vec<_> = mem.words.iter().map(|(&k, &v)| (k, v.swap_bytes())).collect();
    mem.words = swapped.into_iter().collect();
    let mut r = stage1(Regime::El2, SecurityState::NonSecure, tcr_one_range(25, Granule::K4, 5), ARENA, 0);
    r.sctlr |= 1 << 25; // EE
    assert_eq!(walk_stage1(&mem, &r, &Access::read(0x5008)).unwrap().oa, 0x1234_5008);
}

#[test]
fn guarded_pages_and_contiguous_hint() {
    let mut mem = FakeMem::default();
    let mut t = Tables::stage1(Granule::K4, Pas::NonSecure, 39, ARENA);
    t.map(&mut mem, 0x5000, 3, 0x1234_5000, KERNEL_RW | GP | (1 << 52));
    let r = stage1(Regime::El2, SecurityState::NonSecure, tcr_one_range(25, Granule::K4, 5), ARENA, 0);
    let res = walk_stage1(&mem, &r, &Access::fetch(0x5000)).unwrap();
    assert!(res.guarded);
    assert!(res.contiguous);
}
