//! Stage 2 and combined stage 1+2 translation: S1PTW, faults and HPFAR,
//! combined permissions and attributes, VMIDs, all granules.

mod translation_support;

use rme_mmu::translation::*;
use rme_mmu::{Pas, SecurityState};
use translation_support::*;

/// Stage 1 tables live at IPA 0x4000_0000, stored at PA 0x1_4000_0000.
const S1_ARENA: u64 = 0x4000_0000;
const S1_PHYS: u64 = 0x1_4000_0000;
/// Stage 2 tables at PA 0x3000_0000.
const S2_ARENA: u64 = 0x3000_0000;
/// 4KB stage 2, 40-bit IPA (T0SZ = 24), start level 1 (SL0 = 1) with two
/// concatenated level 1 tables, PS = 40 bits.
fn vtcr_4k_40() -> u64 {
    vtcr(24, 1, Granule::K4, 2)
}

struct Fixture {
    mem: FakeMem,
    s1t: Tables,
    s2t: Tables,
    s1: Stage1Regime,
    s2: Stage2Regime,
}

/// NS EL1&0 with stage 2: the stage 1 table region (IPA 1GB at
/// 0x4000_0000) maps to PA 0x1_4000_0000 with `table_attrs`.
fn fixture(table_attrs: u64) -> Fixture {
    let mut mem = FakeMem::default();
    let s1t = Tables::stage1(Granule::K4, Pas::NonSecure, 39, S1_ARENA).at_offset(S1_PHYS - S1_ARENA);
    let mut s2t = Tables::stage2(Granule::K4, Pas::NonSecure, 40, 1, S2_ARENA);
    s2t.map(&mut mem, S1_ARENA, 1, S1_PHYS, table_attrs);
    let s1 = stage1(
        Regime::El10,
        SecurityState::NonSecure,
        tcr_two_ranges(25, Granule::K4, 25, Granule::K4, 2),
        S1_ARENA,
        0,
    );
    let s2 = stage2(SecurityState::NonSecure, vtcr_4k_40(), (0x42 << 48) | S2_ARENA);
    Fixture { mem, s1t, s2t, s1, s2 }
}

const S2_RW: u64 = AF | SH_INNER | S2_WB | S2_R | S2_W;

fn tr(f: &Fixture, a: Access) -> Result<Translation, TranslationFault> {
    translate(&f.mem, &f.s1, Some(&f.s2), &a)
}

#[test]
fn stage1_tables_and_output_go_through_stage2() {
    let mut f = fixture(S2_RW);
    // VA 0x1000 -> IPA 0x80_0020_1000 (bit 39 set: the second concatenated
    // level 1 table) -> PA 0x2_0020_1000 through a 2MB block.
    f.s1t.map(&mut f.mem, 0x1000, 3, 0x80_0020_1000, KERNEL_RW | AP_EL0 | NG);
    f.s2t.map(&mut f.mem, 0x80_0020_0000, 2, 0x2_0020_0000, S2_RW);
    f.mem.take_reads();
    let t = tr(&f, Access::read(0x1010)).unwrap();
    assert_eq!(t.pa, 0x2_0020_1010);
    assert_eq!(t.pas, Pas::NonSecure);
    assert_eq!(t.stage1.oa, 0x80_0020_1010);
    assert_eq!(t.stage1.pas, Pas::NonSecure);
    assert_eq!(t.stage2.unwrap().level, Some(2));
    assert_eq!(t.page_shift, 12);
    assert_eq!(t.vmid, Some(0x42));
    assert_eq!((t.global, t.asid), (false, Some(0)));
    assert!(t.attrs.is_normal_wb());
    assert_eq!(t.attrs.shareability, Shareability::Inner);
    // Three stage 1 levels, each preceded by a one-read stage 2 walk of its
    // table address, then a two-level stage 2 walk of the output.
    let reads = f.mem.take_reads();
    assert_eq!(reads.len(), 3 * 2 + 2);
    assert_eq!(reads[0], (S2_ARENA + 8, Pas::NonSecure)); // S2 L1 index 1 (IPA 0x4000_0000)
    assert_eq!(reads[1].0, S1_PHYS); // S1 L1 index 0, at its PA
    // Second concatenated table: IPA bit 39 -> index 512 of the level 1 table pair.
    assert_eq!(reads[6], (S2_ARENA + 512 * 8, Pas::NonSecure));
}

#[test]
fn stage2_faults_on_stage1_walks() {
    // Stage 2 does not map the stage 1 tables at all: Translation fault at
    // stage 2 level 1, S1PTW, IPA = the stage 1 descriptor's IPA.
    let mut f = fixture(S2_RW);
    f.s1t.map(&mut f.mem, 0x4000_2000, 3, 0x8000_2000, KERNEL_RW);
    let s2_l1 = f.s2t.entry(&mut f.mem, S1_ARENA, 1);
    f.mem.write(Pas::NonSecure, s2_l1, 0);
    let e = tr(&f, Access::write(0x4000_2000)).unwrap_err();
    assert_eq!((e.kind, e.level, e.stage, e.s1ptw), (FaultKind::Translation, 1, Stage::Two, true));
    assert_eq!(e.fsc(), 0b000101);
    assert_eq!(e.ipa, Some(S1_ARENA + 8)); // stage 1 level 1 index 1
    assert_eq!(e.va, 0x4000_2000);
    assert!(e.wnr());
    assert_eq!(e.hpfar(false), Some((S1_ARENA >> 12) << 4));
    assert!(!e.isv_allowed());

    // Stage 2 maps them without read permission: Permission, S1PTW.
    let mut f = fixture(AF | SH_INNER | S2_WB | S2_W);
    f.s1t.map(&mut f.mem, 0x2000, 3, 0x8000_2000, KERNEL_RW);
    let e = tr(&f, Access::read(0x2000)).unwrap_err();
    assert_eq!((e.kind, e.level, e.stage, e.s1ptw, e.fsc()), (FaultKind::Permission, 1, Stage::Two, true, 0b001101));
    assert_eq!(e.hpfar(false), Some((S1_ARENA >> 12) << 4));

    // Stage 2 maps them as Device: fine, unless HCR_EL2.PTW.
    let mut f = fixture(AF | S2_DEVICE | S2_R | S2_W);
    f.s1t.map(&mut f.mem, 0x2000, 3, 0x40_0000_2000, KERNEL_RW);
    f.s2t.map(&mut f.mem, 0x40_0000_0000, 1, 0x40_0000_0000, S2_RW);
    assert_eq!(tr(&f, Access::read(0x2000)).unwrap().pa, 0x40_0000_2000);
    f.s2.hcr |= 1 << 2;
    let e = tr(&f, Access::read(0x2000)).unwrap_err();
    assert_eq!((e.kind, e.stage, e.s1ptw), (FaultKind::Permission, Stage::Two, true));

    // Stage 2 output beyond VTCR_EL2.PS for a table: Address size, S1PTW.
    let mut f = fixture(S2_RW);
    f.s1t.map(&mut f.mem, 0x2000, 3, 0x8000_2000, KERNEL_RW);
    f.s2.vtcr = vtcr(32, 1, Granule::K4, 0); // 32-bit IPA and PA
    let e = tr(&f, Access::read(0x2000)).unwrap_err();
    assert_eq!((e.kind, e.level, e.stage, e.s1ptw, e.fsc()), (FaultKind::AddressSize, 1, Stage::Two, true, 0b000001));

    // External abort on the stage 2 walk of a stage 1 table address.
    let mut f = fixture(S2_RW);
    f.s1t.map(&mut f.mem, 0x2000, 3, 0x8000_2000, KERNEL_RW);
    f.mem.aborts.push((Pas::NonSecure, S2_ARENA + 8));
    let e = tr(&f, Access::fetch(0x2000)).unwrap_err();
    assert_eq!(
        (e.kind, e.level, e.stage, e.s1ptw, e.fsc()),
        (FaultKind::ExternalAbortOnWalk, 1, Stage::Two, true, 0b010101)
    );
    assert!(e.is_fetch());
    assert_eq!(e.hpfar(false), None);

    // External abort on the stage 1 descriptor read itself (at its PA):
    // a stage 1 fault at the stage 1 level.
    let mut f = fixture(S2_RW);
    f.s1t.map(&mut f.mem, 0x2000, 3, 0x8000_2000, KERNEL_RW);
    f.mem.aborts.push((Pas::NonSecure, S1_PHYS));
    let e = tr(&f, Access::read(0x2000)).unwrap_err();
    assert_eq!((e.kind, e.level, e.stage, e.s1ptw), (FaultKind::ExternalAbortOnWalk, 1, Stage::One, false));
    assert_eq!(e.walk_pa, Some((S1_PHYS, Pas::NonSecure)));
}

#[test]
fn stage2_faults_on_the_output() {
    let mut f = fixture(S2_RW);
    f.s1t.map(&mut f.mem, 0x1000, 3, 0x8000_1000, KERNEL_RW);
    f.s1t.map(&mut f.mem, 0x2000, 3, 0x8000_2000, KERNEL_RW);
    f.s1t.map(&mut f.mem, 0x3000, 3, 0x8000_3000, KERNEL_RW);
    f.s1t.map(&mut f.mem, 0x4000, 3, 0x8000_4000, KERNEL_RW);
    f.s2t.map(&mut f.mem, 0x8000_1000, 3, 0x9000_1000, AF | S2_WB | S2_R);
    f.s2t.map(&mut f.mem, 0x8000_2000, 3, 0x9000_2000, S2_WB | S2_R | S2_W); // AF = 0
    f.s2t.map(&mut f.mem, 0x8000_4000, 3, 0x1_0000_4000, S2_RW);
    // Read-only at stage 2.
    assert_eq!(tr(&f, Access::read(0x1000)).unwrap().pa, 0x9000_1000);
    let e = tr(&f, Access::write(0x1008)).unwrap_err();
    assert_eq!((e.kind, e.level, e.stage, e.s1ptw, e.fsc()), (FaultKind::Permission, 3, Stage::Two, false, 0b001111));
    assert_eq!((e.ipa, e.wnr(), e.va), (Some(0x8000_1008), true, 0x1008));
    assert_eq!(e.hpfar(false), None); // not written for a Permission fault off a walk
    assert!(e.isv_allowed());
    // Access flag.
    let e = tr(&f, Access::read(0x2000)).unwrap_err();
    assert_eq!((e.kind, e.level, e.stage, e.fsc()), (FaultKind::AccessFlag, 3, Stage::Two, 0b001011));
    assert_eq!(e.hpfar(false), Some(0x80002 << 4));
    // Unmapped.
    let e = tr(&f, Access::read(0x3000)).unwrap_err();
    assert_eq!((e.kind, e.level, e.stage, e.ipa), (FaultKind::Translation, 3, Stage::Two, Some(0x8000_3000)));
    // Output beyond PS = 32 bits (stage 1 off, so no table is involved).
    f.s1.sctlr = 0;
    f.s2.vtcr = vtcr(24, 1, Granule::K4, 0);
    let e = tr(&f, Access::read(0x8000_4010)).unwrap_err();
    assert_eq!((e.kind, e.level, e.stage, e.s1ptw, e.fsc()), (FaultKind::AddressSize, 3, Stage::Two, false, 0b000011));
    assert_eq!(e.hpfar(false), Some(0x80004 << 4));
}

#[test]
fn stage2_configuration_faults_at_level_0() {
    let mut f = fixture(S2_RW);
    f.s1.sctlr = 0; // stage 1 off: IPA = VA
    f.s2t.map(&mut f.mem, 0x8000_0000, 2, 0x9000_0000, S2_RW);
    assert_eq!(tr(&f, Access::read(0x8000_0010)).unwrap().pa, 0x9000_0010);
    // IPA beyond the 40-bit stage 2 input size.
    let e = tr(&f, Access::read(0x100_0000_0000)).unwrap_err();
    assert_eq!((e.kind, e.level, e.stage, e.s1ptw), (FaultKind::Translation, 0, Stage::Two, false));
    // SL0 = 3 with 4KB needs FEAT_TTST.
    f.s2.vtcr = vtcr(24, 3, Granule::K4, 2);
    assert_eq!(tr(&f, Access::read(0x8000_0010)).unwrap_err().fsc(), 0b000100);
    // SL0 = 0 (start level 2) cannot resolve 40 bits.
    f.s2.vtcr = vtcr(24, 0, Granule::K4, 2);
    assert_eq!(tr(&f, Access::read(0x8000_0010)).unwrap_err().fsc(), 0b000100);
    // T0SZ below the minimum for PAMax = 40 (IPA wider than PAs).
    f.s2.vtcr = vtcr(24, 1, Granule::K4, 2);
    f.s2.features.pa_bits = 36;
    let e = tr(&f, Access::read(0x8000_0010)).unwrap_err();
    assert_eq!((e.kind, e.level, e.stage), (FaultKind::Translation, 0, Stage::Two));
    // Stage 2 disabled: the IPA is the PA, stage 1 attributes and
    // permissions stand.
    let mut f2 = fixture(S2_RW);
    f2.s2.hcr = 0;
    f2.s1t = Tables::stage1(Granule::K4, Pas::NonSecure, 39, S1_ARENA);
    f2.s1t.map(&mut f2.mem, 0x1000, 3, 0x8000_1000, KERNEL_RW | ATTR_NC);
    let t = tr(&f2, Access::read(0x1000)).unwrap();
    assert_eq!((t.pa, t.attrs, t.vmid), (0x8000_1000, MemAttrs::NORMAL_NC, Some(0x42)));
    assert_eq!(t.stage2.unwrap().level, None);
}

#[test]
fn combined_permissions_with_xnx() {
    let mut f = fixture(S2_RW);
    // Stage 1: read-only for EL0 and EL1, executable by both.
    f.s1t.map(&mut f.mem, 0x1000, 3, 0x8000_1000, KERNEL_RW | AP_RO | AP_EL0);
    // Stage 2 XN[1:0] = 01: EL0 may execute, EL1 may not.
    f.s2t.map(&mut f.mem, 0x8000_1000, 3, 0x9000_1000, S2_RW | S2_XNX);
    let t = tr(&f, Access::read(0x1000)).unwrap();
    assert_eq!(t.stage1.perms.privileged, Rwx { r: true, w: false, x: true });
    assert_eq!(t.stage2.unwrap().perms, S2Permissions { r: true, w: true, px: false, ux: true });
    assert_eq!(t.perms.privileged, Rwx { r: true, w: false, x: false });
    assert_eq!(t.perms.unprivileged, Rwx { r: true, w: false, x: true });
    assert!(t.perms.allowed(AccessKind::Fetch, true, false));
    assert!(!t.perms.allowed(AccessKind::Fetch, false, false));
    assert!(tr(&f, Access::fetch(0x1000).el0()).is_ok());
    let e = tr(&f, Access::fetch(0x1000)).unwrap_err();
    assert_eq!((e.kind, e.stage, e.is_fetch()), (FaultKind::Permission, Stage::Two, true));
    // The stage 1 Permission fault wins over stage 2.
    let e = tr(&f, Access::write(0x1000)).unwrap_err();
    assert_eq!((e.kind, e.stage), (FaultKind::Permission, Stage::One));
    // XN[1:0] = 11: EL1 may execute, EL0 may not.
    f.s2t.map(&mut f.mem, 0x8000_1000, 3, 0x9000_1000, S2_RW | S2_XNX | S2_XN);
    assert!(tr(&f, Access::fetch(0x1000)).is_ok());
    assert_eq!(tr(&f, Access::fetch(0x1000).el0()).unwrap_err().stage, Stage::Two);
    // XN[1:0] = 10: nobody.
    f.s2t.map(&mut f.mem, 0x8000_1000, 3, 0x9000_1000, S2_RW | S2_XN);
    assert!(tr(&f, Access::fetch(0x1000).el0()).is_err());
    assert!(tr(&f, Access::fetch(0x1000)).is_err());
}

#[test]
fn combined_attributes_and_fwb() {
    let mut f = fixture(S2_RW);
    f.s1t.map(&mut f.mem, 0x1000, 3, 0x8000_1000, KERNEL_RW);
    f.s1t.map(&mut f.mem, 0x2000, 3, 0x8000_2000, KERNEL_RW | ATTR_NC);
    f.s2t.map(&mut f.mem, 0x8000_1000, 3, 0x9000_1000, AF | S2_DEVICE | S2_R | S2_W);
    f.s2t.map(&mut f.mem, 0x8000_2000, 3, 0x9000_2000, AF | SH_INNER | (0b0110 << 2) | S2_R | S2_W);
    let t = tr(&f, Access::read(0x1000)).unwrap();
    assert_eq!(t.attrs, MemAttrs { mem: MemType::Device(DeviceType::NGnRE), shareability: Shareability::Outer });
    // Without FWB, MemAttr 0110 is Normal outer NC / inner WT: with stage 1 NC, NC.
    assert_eq!(tr(&f, Access::read(0x2000)).unwrap().attrs, MemAttrs::NORMAL_NC);
    // With HCR_EL2.FWB, MemAttr 0b110 forces Write-Back.
    f.s2.hcr |= 1 << 46;
    let t = tr(&f, Access::read(0x2000)).unwrap();
    assert!(t.attrs.is_normal_wb());
    assert_eq!(t.attrs.shareability, Shareability::Inner);
    // A Device stage 2 mapping stays Device with FWB (MemAttr[2] = 0).
    assert!(tr(&f, Access::read(0x1000)).unwrap().attrs.is_device());
}

#[test]
fn vmids() {
    let mut f = fixture(S2_RW);
    f.s1.sctlr = 0;
    f.s2t.map(&mut f.mem, 0, 2, 0x9000_0000, S2_RW);
    f.s2.vttbr = (0xbeef << 48) | S2_ARENA;
    assert_eq!(tr(&f, Access::read(0)).unwrap().vmid, Some(0xef));
    f.s2.vtcr |= 1 << 19; // VS
    assert_eq!(tr(&f, Access::read(0)).unwrap().vmid, Some(0xbeef));
    f.s2.features.vmid16 = false;
    assert_eq!(tr(&f, Access::read(0)).unwrap().vmid, Some(0xef));
}

#[test]
fn stage2_16k_and_64k_granules() {
    // 16KB, 40-bit IPA, SL0 = 1: start level 2 with 16 concatenated tables.
    let mut mem = FakeMem::default();
    let mut s2t = Tables::stage2(Granule::K16, Pas::NonSecure, 40, 2, S2_ARENA);
    s2t.map(&mut mem, 0xf0_1234_4000, 3, 0x5_0000_c000, S2_RW);
    s2t.map(&mut mem, 0x0_0200_0000, 2, 0x6_0000_0000, S2_RW);
    let mut s1 = stage1(Regime::El10, SecurityState::NonSecure, 0, 0, 0);
    s1.sctlr = 0;
    let s2 = stage2(SecurityState::NonSecure, vtcr(24, 1, Granule::K16, 2), S2_ARENA);
    let t = translate(&mem, &s1, Some(&s2), &Access::read(0xf0_1234_5ff8)).unwrap();
    assert_eq!((t.pa, t.stage2.unwrap().level, t.stage2.unwrap().block_shift), (0x5_0000_dff8, Some(3), 14));
    let t = translate(&mem, &s1, Some(&s2), &Access::read(0x0_0300_0000)).unwrap();
    assert_eq!((t.pa, t.stage2.unwrap().block_shift), (0x6_0100_0000, 25));
    // The start index uses IPA[39:25] across the concatenated tables.
    mem.take_reads();
    translate(&mem, &s1, Some(&s2), &Access::read(0xf0_1234_4000)).unwrap();
    assert_eq!(mem.take_reads()[0].0, S2_ARENA + ((0xf0_1234_4000u64 >> 25) << 3));

    // 64KB, 42-bit IPA, SL0 = 1: start level 2; stage 1 on 64KB too.
    let mut mem = FakeMem::default();
    let mut s2t = Tables::stage2(Granule::K64, Pas::NonSecure, 42, 2, S2_ARENA);
    let mut s1t = Tables::stage1(Granule::K64, Pas::NonSecure, 42, S1_ARENA);
    s2t.map(&mut mem, S1_ARENA, 2, S1_ARENA, S2_RW); // identity for the tables
    s1t.map(&mut mem, 0x2_0000_0000, 3, 0x3_0001_0000, KERNEL_RW);
    s2t.map(&mut mem, 0x3_0001_0000, 3, 0x7_0005_0000, S2_RW);
    let s1 = stage1(
        Regime::El10,
        SecurityState::NonSecure,
        tcr_two_ranges(22, Granule::K64, 22, Granule::K64, 2),
        S1_ARENA,
        0,
    );
    let s2 = stage2(SecurityState::NonSecure, vtcr(22, 1, Granule::K64, 5), S2_ARENA);
    let t = translate(&mem, &s1, Some(&s2), &Access::read(0x2_0000_fff0)).unwrap();
    assert_eq!((t.pa, t.page_shift), (0x7_0005_fff0, 16));
    assert_eq!(t.stage1.block_shift, 16);
    assert_eq!(t.stage2.unwrap().level, Some(3));
    // SL0 = 3 is reserved for 64KB.
    let bad = stage2(SecurityState::NonSecure, vtcr(22, 3, Granule::K64, 5), S2_ARENA);
    let e = translate(&mem, &s1, Some(&bad), &Access::read(0x2_0000_fff0)).unwrap_err();
    assert_eq!((e.kind, e.level, e.stage, e.s1ptw), (FaultKind::Translation, 0, Stage::Two, true));
}

#[test]
fn stage2_is_ignored_outside_el10() {
    let mut f = fixture(S2_RW);
    let mut t = Tables::stage1(Granule::K4, Pas::NonSecure, 39, 0x5000_0000);
    t.map(&mut f.mem, 0x1000, 3, 0x8000_1000, KERNEL_RW);
    let s1 = stage1(Regime::El2, SecurityState::NonSecure, tcr_one_range(25, Granule::K4, 2), 0x5000_0000, 0);
    let r = translate(&f.mem, &s1, Some(&f.s2), &Access::read(0x1000)).unwrap();
    assert_eq!((r.pa, r.vmid, r.stage2), (0x8000_1000, None, None));
}
