//! Output physical address spaces: Secure NS/NSTable, Root NSE/NS (see
//! translation_stage1.rs), Realm EL2 NS, Realm EL1&0 stage 2 NS, Secure
//! stage 2 (VSTTBR/VTTBR with SW/SA/NSW/NSA), and the execute rules tied
//! to them.

mod translation_support;

use rme_mmu::translation::*;
use rme_mmu::{Pas, SecurityState};
use translation_support::*;

const ARENA: u64 = 0x4000_0000;
const NS_SUBTREE: u64 = 0x5000_0000;

#[test]
fn secure_el1_ns_and_nstable() {
    let mut mem = FakeMem::default();
    let mut t = Tables::stage1(Granule::K4, Pas::Secure, 39, ARENA);
    t.map(&mut mem, 0x1000, 3, 0x8000_1000, KERNEL_RW | NG);
    t.map(&mut mem, 0x2000, 3, 0x8000_2000, KERNEL_RW | NS);
    // VA 0x4000_0000..: level 1 entry points (NSTable) to a Non-secure
    // level 2 table.
    t.set_raw(&mut mem, 0x4000_0000, 1, NS_SUBTREE | TABLE | NS_TABLE);
    let mut sub = Tables::stage2(Granule::K4, Pas::NonSecure, 30, 2, NS_SUBTREE);
    sub.map(&mut mem, 0x4000_3000, 3, 0x9000_3000, KERNEL_RW); // NS = 0, nG = 0
    let mut r = stage1(
        Regime::El10,
        SecurityState::Secure,
        tcr_two_ranges(25, Granule::K4, 25, Granule::K4, 5),
        (9 << 48) | ARENA,
        0,
    );
    let s = walk_stage1(&mem, &r, &Access::read(0x1000)).unwrap();
    assert_eq!((s.pas, s.global, s.asid), (Pas::Secure, false, Some(9)));
    let n = walk_stage1(&mem, &r, &Access::read(0x2000)).unwrap();
    assert_eq!((n.pas, n.global), (Pas::NonSecure, true));
    mem.take_reads();
    let sub_res = walk_stage1(&mem, &r, &Access::read(0x4000_3000)).unwrap();
    assert_eq!(sub_res.oa, 0x9000_3000);
    assert_eq!(sub_res.pas, Pas::NonSecure);
    // An NSTable walk is always non-global in Secure state.
    assert_eq!((sub_res.global, sub_res.asid), (false, Some(9)));
    let reads = mem.take_reads();
    assert_eq!(reads.iter().map(|&(_, p)| p).collect::<Vec<_>>(), vec![Pas::Secure, Pas::NonSecure, Pas::NonSecure]);
    // SCR_EL3.SIF: no Secure fetch from Non-secure memory.
    assert!(walk_stage1(&mem, &r, &Access::fetch(0x2000)).is_ok());
    r.sif = true;
    let e = walk_stage1(&mem, &r, &Access::fetch(0x2000)).unwrap_err();
    assert_eq!((e.kind, e.level), (FaultKind::Permission, 3));
    assert!(walk_stage1(&mem, &r, &Access::fetch(0x1000)).is_ok());
}

#[test]
fn non_secure_ignores_ns_and_nstable() {
    let mut mem = FakeMem::default();
    let mut t = Tables::stage1(Granule::K4, Pas::NonSecure, 39, ARENA);
    t.map(&mut mem, 0x1000, 3, 0x8000_1000, KERNEL_RW | NS);
    t.set_table_bits(&mut mem, 0x1000, 1, NS_TABLE);
    let r =
        stage1(Regime::El10, SecurityState::NonSecure, tcr_two_ranges(25, Granule::K4, 25, Granule::K4, 5), ARENA, 0);
    mem.take_reads();
    let res = walk_stage1(&mem, &r, &Access::read(0x1000)).unwrap();
    assert_eq!((res.pas, res.global), (Pas::NonSecure, true));
    assert!(mem.take_reads().iter().all(|&(_, p)| p == Pas::NonSecure));
}

#[test]
fn realm_el2_ns_bit_selects_non_secure() {
    let mut mem = FakeMem::default();
    let mut t = Tables::stage1(Granule::K4, Pas::Realm, 48, ARENA);
    t.map(&mut mem, 0x1000, 3, 0x8000_1000, KERNEL_RW);
    t.map(&mut mem, 0x2000, 3, 0x8000_2000, KERNEL_RW | NS);
    for regime in [Regime::El2, Regime::El20] {
        let tcr = if regime == Regime::El2 {
            tcr_one_range(16, Granule::K4, 5)
        } else {
            tcr_two_ranges(16, Granule::K4, 16, Granule::K4, 5)
        };
        let r = stage1(regime, SecurityState::Realm, tcr, ARENA, 0);
        mem.take_reads();
        let a = walk_stage1(&mem, &r, &Access::fetch(0x1000)).unwrap();
        assert_eq!(a.pas, Pas::Realm);
        assert!(mem.take_reads().iter().all(|&(_, p)| p == Pas::Realm));
        let b = walk_stage1(&mem, &r, &Access::write(0x2000)).unwrap();
        assert_eq!(b.pas, Pas::NonSecure);
        // Realm EL2 never executes from outside the Realm PAS.
        let e = walk_stage1(&mem, &r, &Access::fetch(0x2000)).unwrap_err();
        assert_eq!((e.kind, e.fsc()), (FaultKind::Permission, 0b001111), "{regime:?}");
    }
}

/// A Realm EL1&0 with the stage 2 the RMM programs: tables in the Realm
/// PAS, the stage 1 NS bit ignored, the stage 2 NS bit (55) choosing the
/// Non-secure PAS.
#[test]
fn realm_el10_stage2_ns_bit() {
    let mut mem = FakeMem::default();
    let s2_arena = 0x3000_0000;
    let mut s2t = Tables::stage2(Granule::K4, Pas::Realm, 40, 1, s2_arena);
    let s2_rw = AF | SH_INNER | S2_WB | S2_R | S2_W;
    // Stage 1 tables: identity-mapped IPA 0x4000_0000 (1GB).
    s2t.map(&mut mem, ARENA, 1, ARENA, s2_rw);
    let mut s1t = Tables::stage1(Granule::K4, Pas::Realm, 39, ARENA);
    s1t.map(&mut mem, 0x1000, 3, 0x8000_1000, KERNEL_RW | NS); // NS ignored
    s1t.map(&mut mem, 0x2000, 3, 0x8000_2000, KERNEL_RW);
    s2t.map(&mut mem, 0x8000_1000, 3, 0x1_0000_1000, s2_rw);
    s2t.map(&mut mem, 0x8000_2000, 3, 0x1_0000_2000, s2_rw | S2_NS);
    let s1 = stage1(Regime::El10, SecurityState::Realm, tcr_two_ranges(25, Granule::K4, 25, Granule::K4, 2), ARENA, 0);
    let s2 = stage2(SecurityState::Realm, vtcr(24, 1, Granule::K4, 2), s2_arena);
    mem.take_reads();
    let a = translate(&mem, &s1, Some(&s2), &Access::fetch(0x1000)).unwrap();
    assert_eq!((a.stage1.pas, a.pa, a.pas), (Pas::Realm, 0x1_0000_1000, Pas::Realm));
    assert!(mem.take_reads().iter().all(|&(_, p)| p == Pas::Realm));
    let b = translate(&mem, &s1, Some(&s2), &Access::write(0x2000)).unwrap();
    assert_eq!((b.pa, b.pas), (0x1_0000_2000, Pas::NonSecure));
    assert!(!b.perms.privileged.x && !b.perms.unprivileged.x);
    // Fetching from the Non-secure page is a stage 2 Permission fault.
    let e = translate(&mem, &s1, Some(&s2), &Access::fetch(0x2000)).unwrap_err();
    assert_eq!((e.kind, e.level, e.stage, e.s1ptw), (FaultKind::Permission, 3, Stage::Two, false));
    assert_eq!(e.hpfar(false), None);
    // A stage 1 table that stage 2 maps to the Non-secure PAS: stage 2
    // Permission fault on the walk.
    s2t.map(&mut mem, ARENA, 1, ARENA, s2_rw | S2_NS);
    let e = translate(&mem, &s1, Some(&s2), &Access::read(0x1000)).unwrap_err();
    assert_eq!((e.kind, e.level, e.stage, e.s1ptw), (FaultKind::Permission, 1, Stage::Two, true));
    // HPFAR_EL2.NS is RES0 for Realm EL2.
    assert_eq!(e.hpfar(false), Some((ARENA >> 12) << 4));
}

/// FEAT_SEL2: Secure IPAs use VSTTBR/VSTCR, Non-secure IPAs VTTBR/VTCR;
/// SW/NSW pick the table PAS, SA/NSA the output PAS.
#[test]
fn secure_stage2_ipa_spaces() {
    let mut mem = FakeMem::default();
    let s_s2 = 0x3000_0000; // Secure-IPA stage 2 tables (Secure PAS)
    let ns_s2 = 0x3800_0000; // Non-secure-IPA stage 2 tables
    let s2_rw = AF | SH_INNER | S2_WB | S2_R | S2_W;
    let mut st = Tables::stage2(Granule::K4, Pas::Secure, 40, 1, s_s2);
    st.map(&mut mem, ARENA, 1, ARENA, s2_rw); // stage 1 tables, identity
    st.map(&mut mem, 0x8000_0000, 2, 0x2_0000_0000, s2_rw);
    // Non-secure IPA space tables, first in the Secure PAS (NSW = 0).
    let mut nt = Tables::stage2(Granule::K4, Pas::Secure, 40, 1, ns_s2);
    nt.map(&mut mem, 0x8000_0000, 2, 0x3_0000_0000, s2_rw);
    let mut s1t = Tables::stage1(Granule::K4, Pas::Secure, 39, ARENA);
    s1t.map(&mut mem, 0x1000, 3, 0x8000_1000, KERNEL_RW);
    s1t.map(&mut mem, 0x2000, 3, 0x8000_2000, KERNEL_RW | NS);
    let s1 = stage1(Regime::El10, SecurityState::Secure, tcr_two_ranges(25, Granule::K4, 25, Granule::K4, 2), ARENA, 0);
    let mut s2 = stage2(SecurityState::Secure, vtcr(24, 1, Granule::K4, 2), ns_s2);
    s2.vstcr = vtcr(24, 1, Granule::K4, 0);
    s2.vsttbr = s_s2;
    let a = translate(&mem, &s1, Some(&s2), &Access::read(0x1000)).unwrap();
    assert_eq!((a.stage1.pas, a.pa, a.pas), (Pas::Secure, 0x2_0000_1000, Pas::Secure));
    // NS leaf: Non-secure IPA, translated by VTTBR; output Secure while
    // all of SW/SA/NSW/NSA are 0.
    let b = translate(&mem, &s1, Some(&s2), &Access::read(0x2000)).unwrap();
    assert_eq!((b.stage1.pas, b.pa, b.pas), (Pas::NonSecure, 0x3_0000_2000, Pas::Secure));
    // NSA = 1: Non-secure output.
    s2.vtcr |= 1 << 30;
    assert_eq!(translate(&mem, &s1, Some(&s2), &Access::read(0x2000)).unwrap().pas, Pas::NonSecure);
    assert_eq!(translate(&mem, &s1, Some(&s2), &Access::read(0x1000)).unwrap().pas, Pas::Secure);
    // NSW = 1: the Non-secure IPA space tables are read from the NS PAS
    // (where there are none: Translation fault, stage 2, HPFAR.NS = 1).
    s2.vtcr |= 1 << 29;
    let e = translate(&mem, &s1, Some(&s2), &Access::read(0x2000)).unwrap_err();
    assert_eq!((e.kind, e.level, e.stage, e.ipa_space), (FaultKind::Translation, 1, Stage::Two, Some(Pas::NonSecure)));
    assert_eq!(e.hpfar(true), Some((1 << 63) | (0x80002 << 4)));
    // ... and a fault in the Secure IPA space has HPFAR.NS = 0.
    s1t.map(&mut mem, 0x3000, 3, 0x9000_3000, KERNEL_RW);
    let e = translate(&mem, &s1, Some(&s2), &Access::read(0x3000)).unwrap_err();
    assert_eq!((e.kind, e.stage, e.ipa_space, e.s1ptw), (FaultKind::Translation, Stage::Two, Some(Pas::Secure), false));
    assert_eq!(e.hpfar(true), Some(0x90003 << 4));
    // SA = 1: Secure IPAs output to Non-secure too, including the stage 1
    // table addresses: the stage 1 walk now reads the (empty) NS PAS.
    s2.vstcr |= 1 << 30;
    mem.take_reads();
    let e = translate(&mem, &s1, Some(&s2), &Access::read(0x1000)).unwrap_err();
    assert_eq!((e.kind, e.level, e.stage), (FaultKind::Translation, 1, Stage::One));
    assert_eq!(mem.take_reads().last(), Some(&(ARENA, Pas::NonSecure)));
}
