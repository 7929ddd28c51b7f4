//! The Granule Protection Check against the Arm ARM's rules.
//!
//! The expected permissions are written from the pseudocode (DDI0487 D9):
//! `GPIValid` says which of the 16 GPI encodings a configuration accepts
//! (the others are a GPT walk fault), `GPICheck` which PAS a valid GPI lets
//! through; `AArch64.GranuleProtectionCheck` gives the order of the
//! configuration, PPS and GPTBR checks; `GPTWalk` with `DecodeGPTBlock`,
//! `DecodeGPTTable`, `DecodeGPTContiguous` and `DecodeGPTGranules` the
//! descriptor rules.

use rme_mmu::gpc::walk::{gpt_block_desc, gpt_contig_desc, gpt_granules_desc, gpt_table_desc};
use rme_mmu::gpc::{GpiCache, gpc_check_cached, 
    AccessKind, ContigSize, GpcAccess, GpcFault, GpcFaultKind, GpcFeatures, Gpccr, Gpi, GptBuilder, GptEntry, GptImage,
    GptLayout, Gptbr, L0GptSz, Pgs, gpc_check, gpt_walk,
};
use rme_mmu::{Pas, PhysBus, SecurityState};
use std::collections::BTreeMap;

const PA_BITS: u32 = 48;
const ALL_PAS: [Pas; 4] = [Pas::Secure, Pas::NonSecure, Pas::Realm, Pas::Root];
const ALL_KINDS: [AccessKind; 3] = [AccessKind::Read, AccessKind::Write, AccessKind::Fetch];
const ALL_PGS: [Pgs; 3] = [Pgs::K4, Pgs::K16, Pgs::K64];

/// Index of a PAS in the permission rows below: [Secure, NonSecure, Realm, Root].
fn pas_index(pas: Pas) -> usize {
    match pas {
        Pas::Secure => 0,
        Pas::NonSecure => 1,
        Pas::Realm => 2,
        Pas::Root => 3,
    }
}

/// The security states that can make an access to `pas`: every state
/// reaches its own PAS and the Non-secure one; Root (EL3) reaches all.
fn states_for(pas: Pas) -> &'static [SecurityState] {
    use SecurityState::*;
    match pas {
        Pas::Secure => &[Secure, Root],
        Pas::NonSecure => &[NonSecure, Secure, Realm, Root],
        Pas::Realm => &[Realm, Root],
        Pas::Root => &[Root],
    }
}

/// Expected outcome for one GPI encoding: `None` = not a valid GPI
/// (`GPIValid` false: GPT walk fault), `Some(row)` = permitted PAS
/// ([Secure, NonSecure, Realm, Root], `GPICheck`).
type Expect = Option<[bool; 4]>;

/// FEAT_RME with FEAT_SEL2, without FEAT_RME_GPC2 (FVP Base RevC).
/// GPIValid: NoAccess, Secure (SEL2), NonSecure, Root, Realm, Any.
/// GPICheck: NoAccess none; Secure only Secure; NonSecure only Non-secure;
/// Root only Root; Realm only Realm; Any all.
const EXPECTED_RME: [Expect; 16] = [
    /* 0b0000 NoAccess */ Some([false, false, false, false]),
    /* 0b0001 reserved */ None,
    /* 0b0010 reserved */ None,
    /* 0b0011 reserved */ None,
    /* 0b0100 reserved */ None,
    /* 0b0101 reserved */ None,
    /* 0b0110 reserved */ None,
    /* 0b0111 reserved */ None,
    /* 0b1000 Secure   */ Some([true, false, false, false]),
    /* 0b1001 NS       */ Some([false, true, false, false]),
    /* 0b1010 Root     */ Some([false, false, false, true]),
    /* 0b1011 Realm    */ Some([false, false, true, false]),
    /* 0b1100 reserved */ None,
    /* 0b1101 NSO      */ None, // reserved without FEAT_RME_GPC2
    /* 0b1110 reserved */ None,
    /* 0b1111 Any      */ Some([true, true, true, true]),
];

/// The expected result of one access.
fn expected(
    table: &[Expect; 16],
    enc: u8,
    pas: Pas,
    state: SecurityState,
    level: u8,
    gpc2_nso: bool,
) -> Result<(), GpcFault> {
    if enc == 0b1101 && gpc2_nso {
        // NSO (FEAT_RME_GPC2, GPCCR_EL3.NSO = 1): Non-secure PAS, from
        // Non-secure or Root state only.
        let ok = pas == Pas::NonSecure && matches!(state, SecurityState::NonSecure | SecurityState::Root);
        return if ok { Ok(()) } else { Err(GpcFault::new(GpcFaultKind::Fail, level)) };
    }
    match table[enc as usize] {
        None => Err(GpcFault::new(GpcFaultKind::Walk, level)),
        Some(row) if row[pas_index(pas)] => Ok(()),
        Some(_) => Err(GpcFault::new(GpcFaultKind::Fail, level)),
    }
}

/// How the GPI under test is described.
#[derive(Clone, Copy, Debug)]
enum Form {
    /// A level 0 block descriptor.
    L0Block,
    /// A level 1 granules descriptor, all 16 GPIs equal.
    Granules,
    /// A level 1 contiguous descriptor (2 MB).
    Contig,
}

const L0_BASE: u64 = 0x1000;
const L1_BASE: u64 = 0x40_0000;

/// A GPT for PPS 36 / L0GPTSZ 30: L0[0] = the form under test when it is
/// a block, L0[1] = table -> L1 whose entries around 1 GB hold the form
/// under test. Returns the memory and PAs to probe.
fn gpt_for(pgs: Pgs, form: Form, enc: u8) -> (BTreeMap<u64, u64>, Vec<u64>, u8) {
    let enc64 = enc as u64;
    let mut m = BTreeMap::new();
    let p = pgs.bits();
    match form {
        Form::L0Block => {
            m.insert(L0_BASE, 0b0001 | (enc64 << 4));
            (m, vec![0, 0x1234_5678, (1 << 30) - 1], 0)
        }
        Form::Granules | Form::Contig => {
            m.insert(L0_BASE + 8, gpt_table_desc(L1_BASE));
            let word = match form {
                Form::Granules => enc64 * 0x1111_1111_1111_1111,
                _ => 0b0001 | (enc64 << 4) | (ContigSize::M2.field() << 8),
            };
            // The L1 entries for PA 1 GB .. 1 GB + 2 MB.
            let per_entry = 1u64 << (p + 4);
            for i in 0..((1 << 21) / per_entry) {
                m.insert(L1_BASE + i * 8, word);
            }
            let base = 1u64 << 30;
            (m, vec![base, base + (1 << p) * 5 + 7, base + per_entry + (1 << p) * 15, base + (1 << 21) - 1], 1)
        }
    }
}

fn run_matrix(features: GpcFeatures, nso: bool, table: &[Expect; 16]) -> usize {
    let mut checked = 0;
    for pgs in ALL_PGS {
        let mut gpccr = Gpccr::enabled(features, 36, pgs);
        gpccr.nso = nso;
        for form in [Form::L0Block, Form::Granules, Form::Contig] {
            for enc in 0u8..16 {
                let (mem, pas_list, level) = gpt_for(pgs, form, enc);
                // A GPT lookup cache per GPT, as each PE has one.
                let cache = GpiCache::new();
                for &pa in &pas_list {
                    // The walk alone: a valid GPI comes back by name.
                    let walk = gpt_walk(&mem, &gpccr, Gptbr::from_base(L0_BASE), pa);
                    let valid = table[enc as usize].is_some() || (enc == 0b1101 && nso);
                    match walk {
                        Ok(GptEntry { gpi, level: l, .. }) => {
                            assert!(valid, "{pgs:?} {form:?} GPI {enc:#06b}: reserved value accepted");
                            assert_eq!((gpi.encoding(), l), (enc, level));
                        }
                        Err(f) => {
                            assert!(!valid, "{pgs:?} {form:?} GPI {enc:#06b}: walk failed {f}");
                            assert_eq!(f, GpcFault::new(GpcFaultKind::Walk, level));
                        }
                    }
                    for pas in ALL_PAS {
                        for &state in states_for(pas) {
                            for kind in ALL_KINDS {
                                let got = gpc_check(
                                    &mem,
                                    &gpccr,
                                    Gptbr::from_base(L0_BASE),
                                    PA_BITS,
                                    pa,
                                    pas,
                                    GpcAccess { kind, state },
                                );
                                let want = expected(table, enc, pas, state, level, nso);
                                assert_eq!(
                                    got, want,
                                    "PGS {pgs:?} {form:?} GPI {enc:#06b} pa {pa:#x} PAS {pas} state {state} {kind:?}"
                                );
                                // Through the cache: the first call may walk
                                // and fill, the second is served from it.
                                let br = Gptbr::from_base(L0_BASE);
                                let access = GpcAccess { kind, state };
                                for round in 0..2 {
                                    let cached =
                                        gpc_check_cached(&cache, &mem, &gpccr, br, PA_BITS, pa, pas, access);
                                    assert_eq!(cached, want, "cached (round {round}) PGS {pgs:?} {form:?} GPI {enc:#06b} pa {pa:#x} PAS {pas}");
                                }
                                checked += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    checked
}

/// Every PAS x every GPI encoding x read/write/fetch x every PGS, for a
/// level 0 block, a level 1 granules and a level 1 contiguous descriptor.
#[test]
fn gpc_matrix_rme() {
    let n = run_matrix(GpcFeatures::FVP, false, &EXPECTED_RME);
    // 3 PGS x (3 PAs in an L0 block + 4 each in granules and contiguous)
    // x 16 GPIs x 9 (PAS, state) pairs x 3 access kinds.
    assert_eq!(n, 3 * (3 + 4 + 4) * 16 * 9 * 3);
}

/// Without FEAT_SEL2, `GPIValid` rejects the Secure GPI.
#[test]
fn gpc_matrix_without_sel2() {
    let mut table = EXPECTED_RME;
    table[0b1000] = None;
    run_matrix(GpcFeatures { sel2: false, ..GpcFeatures::FVP }, false, &table);
}

/// FEAT_RME_GPC2: the NSO GPI is reserved until GPCCR_EL3.NSO is set.
#[test]
fn gpc_matrix_gpc2_nso() {
    let gpc2 = GpcFeatures { gpc2: true, ..GpcFeatures::FVP };
    run_matrix(gpc2, false, &EXPECTED_RME);
    run_matrix(gpc2, true, &EXPECTED_RME);
}

fn access(pas: Pas) -> GpcAccess {
    let state = match pas {
        Pas::Secure => SecurityState::Secure,
        Pas::NonSecure => SecurityState::NonSecure,
        Pas::Realm => SecurityState::Realm,
        Pas::Root => SecurityState::Root,
    };
    GpcAccess::read(state)
}

fn check(mem: &BTreeMap<u64, u64>, g: &Gpccr, br: u64, pa: u64, pas: Pas) -> Result<(), GpcFault> {
    gpc_check(mem, g, Gptbr::from_base(br), PA_BITS, pa, pas, access(pas))
}

fn walk_fault(level: u8) -> Result<(), GpcFault> {
    Err(GpcFault::new(GpcFaultKind::Walk, level))
}

fn gpf(level: u8) -> Result<(), GpcFault> {
    Err(GpcFault::new(GpcFaultKind::Fail, level))
}

/// A GPT giving everything to Root via a level 0 block.
fn root_only() -> BTreeMap<u64, u64> {
    (0..64).map(|i| (L0_BASE + 8 * i, gpt_block_desc(Gpi::Root))).collect()
}

#[test]
fn gpc_disabled_passes_everything() {
    let mut g = Gpccr::enabled(GpcFeatures::FVP, 36, Pgs::K4);
    g.gpc = false;
    // Nothing readable, GPTBR nonsense, PPS reserved: nothing is looked at.
    let empty = BTreeMap::new();
    for pps in 0..8 {
        g.pps = pps;
        for pas in ALL_PAS {
            for pa in [0, 0xfdc0_0000, 1 << 40, u64::MAX >> 8] {
                assert_eq!(check(&empty, &g, 0xf_ffff_ffff_f000, pa, pas), Ok(()));
            }
        }
    }
}

#[test]
fn invalid_configuration_is_a_level0_walk_fault() {
    let mem = root_only();
    let ok = Gpccr::enabled(GpcFeatures::FVP, 36, Pgs::K4);
    assert_eq!(check(&mem, &ok, L0_BASE, 0x1000, Pas::Root), Ok(()));
    let bad = [
        Gpccr { pps: 0b111, ..ok },
        Gpccr { pgs: 0b11, ..ok },
        Gpccr { sh: 0b01, ..ok },
        Gpccr { irgn: 0, orgn: 0, sh: 0b11, ..ok },
        Gpccr { irgn: 0, orgn: 0, sh: 0b00, ..ok },
    ];
    for g in bad {
        for pas in ALL_PAS {
            // Also above PPS, where a Non-secure access would otherwise pass.
            for pa in [0x1000, 1 << 36, 1 << 47] {
                assert_eq!(check(&mem, &g, L0_BASE, pa, pas), walk_fault(0), "{g:?} {pas}");
            }
        }
    }
    // PPS larger than the implemented PA size (AArch64.PAMax()).
    // (PPS 40: the level 0 table has 1024 entries and is 8 KB aligned.)
    let big = Gpccr::enabled(GpcFeatures::FVP, 40, Pgs::K4);
    let mem: BTreeMap<u64, u64> = [(0x2000, gpt_block_desc(Gpi::Root))].into();
    let r = gpc_check(&mem, &big, Gptbr::from_base(0x2000), 36, 0x1000, Pas::Root, access(Pas::Root));
    assert_eq!(r, walk_fault(0));
    let r = gpc_check(&mem, &big, Gptbr::from_base(0x2000), 40, 0x1000, Pas::Root, access(Pas::Root));
    assert_eq!(r, Ok(()));
}

#[test]
fn pa_beyond_pps() {
    // No GPT at all: an access above PPS must not walk.
    let empty = BTreeMap::new();
    let g = Gpccr::enabled(GpcFeatures::FVP, 36, Pgs::K4);
    for pa in [1u64 << 36, (1 << 36) + 0x1000, (1 << 48) - 1] {
        assert_eq!(check(&empty, &g, L0_BASE, pa, Pas::NonSecure), Ok(()));
        for pas in [Pas::Secure, Pas::Realm, Pas::Root] {
            assert_eq!(check(&empty, &g, L0_BASE, pa, pas), gpf(0), "{pas} {pa:#x}");
        }
    }
    // Just below PPS the walk happens (and aborts: nothing to read).
    assert_eq!(
        check(&empty, &g, L0_BASE, (1 << 36) - 1, Pas::NonSecure),
        Err(GpcFault::new(GpcFaultKind::ExternalAbort, 0))
    );
    // APPSAA needs FEAT_RME_GPC2; without it the bit is RES0.
    let raw = g.encode() | (1 << 24);
    let no_gpc2 = Gpccr::decode(raw, GpcFeatures::FVP);
    assert_eq!(check(&empty, &no_gpc2, L0_BASE, 1 << 36, Pas::Realm), gpf(0));
    let gpc2 = Gpccr::decode(raw, GpcFeatures { gpc2: true, ..GpcFeatures::FVP });
    for pas in ALL_PAS {
        assert_eq!(check(&empty, &gpc2, L0_BASE, 1 << 36, pas), Ok(()));
    }
}

#[test]
fn gptbr_beyond_pps_is_an_address_size_fault() {
    let mem = root_only();
    let g = Gpccr::enabled(GpcFeatures::FVP, 36, Pgs::K4);
    for pas in ALL_PAS {
        assert_eq!(check(&mem, &g, 1 << 36, 0x1000, pas), Err(GpcFault::new(GpcFaultKind::AddressSize, 0)));
    }
    // The PPS check comes first: Non-secure above PPS still passes.
    assert_eq!(check(&mem, &g, 1 << 36, 1 << 36, Pas::NonSecure), Ok(()));
    assert_eq!(check(&mem, &g, 1 << 36, 1 << 36, Pas::Root), gpf(0));
}

#[test]
fn gpc2_pas_disables() {
    let gpc2 = GpcFeatures { gpc2: true, ..GpcFeatures::FVP };
    let any: BTreeMap<u64, u64> = (0..64).map(|i| (L0_BASE + 8 * i, gpt_block_desc(Gpi::Any))).collect();
    let base = Gpccr::enabled(gpc2, 36, Pgs::K4);
    for (g, off) in [
        (Gpccr { spad: true, ..base }, Pas::Secure),
        (Gpccr { nspad: true, ..base }, Pas::NonSecure),
        (Gpccr { rlpad: true, ..base }, Pas::Realm),
    ] {
        for pas in ALL_PAS {
            let want = if pas == off { gpf(0) } else { Ok(()) };
            assert_eq!(check(&any, &g, L0_BASE, 0x8000_0000, pas), want);
            // Disabling comes before the PPS check.
            let above = if pas == off {
                gpf(0)
            } else if pas == Pas::NonSecure {
                Ok(())
            } else {
                gpf(0)
            };
            assert_eq!(check(&any, &g, L0_BASE, 1 << 40, pas), above);
        }
    }
    // Root is never disabled; without GPC2 the bits are RES0.
    let all = Gpccr { spad: true, nspad: true, rlpad: true, ..base };
    assert_eq!(check(&any, &all, L0_BASE, 0x8000_0000, Pas::Root), Ok(()));
    let raw = all.encode();
    let plain = Gpccr::decode(raw, GpcFeatures::FVP);
    for pas in ALL_PAS {
        assert_eq!(check(&any, &plain, L0_BASE, 0x8000_0000, pas), Ok(()));
    }
}

#[test]
fn malformed_level0_descriptors() {
    for pgs in ALL_PGS {
        let g = Gpccr::enabled(GpcFeatures::FVP, 36, pgs);
        let with = |desc: u64| -> BTreeMap<u64, u64> {
            let mut m = BTreeMap::new();
            m.insert(L0_BASE + 8, desc);
            // A valid L1 table where a table descriptor would point.
            let entries = 1u64 << (30 - pgs.bits() - 4);
            for i in 0..entries.min(64) {
                m.insert(L1_BASE + 8 * i, gpt_granules_desc(Gpi::Any));
            }
            m
        };
        let pa = 1 << 30;
        // Reserved descriptor types (anything but 0b0001 block, 0b0011 table).
        for ty in (0u64..16).filter(|&t| t != 1 && t != 3) {
            assert_eq!(check(&with(ty | 0xf0), &g, L0_BASE, pa, Pas::Root), walk_fault(0), "type {ty:#b}");
            assert_eq!(check(&with(L1_BASE | ty), &g, L0_BASE, pa, Pas::Root), walk_fault(0), "type {ty:#b}");
        }
        // Block: RES0 bits [63:8].
        for bit in [8, 9, 12, 31, 52, 63] {
            assert_eq!(check(&with(gpt_block_desc(Gpi::Any) | 1 << bit), &g, L0_BASE, pa, Pas::Root), walk_fault(0));
        }
        // Table: the good one works, RES0 bits [11:4] and [63:52] fault.
        assert_eq!(check(&with(gpt_table_desc(L1_BASE)), &g, L0_BASE, pa, Pas::Root), Ok(()));
        for bit in [4, 7, 11, 52, 60, 63] {
            assert_eq!(check(&with(gpt_table_desc(L1_BASE) | 1 << bit), &g, L0_BASE, pa, Pas::Root), walk_fault(0));
        }
        // Table: L1 address not aligned to the L1 table size
        // (2^(L0GPTSZ - PGS - 1) bytes).
        let table_bytes = 1u64 << (30 - pgs.bits() - 1);
        assert_eq!(check(&with(gpt_table_desc(L1_BASE + table_bytes / 2)), &g, L0_BASE, pa, Pas::Root), walk_fault(0));
        // Table: L1 address beyond PPS (bits [51:36]): GPT address size fault.
        let far = gpt_table_desc(1 << 36);
        assert_eq!(check(&with(far), &g, L0_BASE, pa, Pas::Root), Err(GpcFault::new(GpcFaultKind::AddressSize, 0)));
        let far = gpt_table_desc(1 << 51);
        assert_eq!(check(&with(far), &g, L0_BASE, pa, Pas::Root), Err(GpcFault::new(GpcFaultKind::AddressSize, 0)));
        // Table pointing at nothing: external abort on the level 1 fetch.
        let nowhere = gpt_table_desc(0x8000_0000);
        assert_eq!(
            check(&with(nowhere), &g, L0_BASE, pa, Pas::Root),
            Err(GpcFault::new(GpcFaultKind::ExternalAbort, 1))
        );
    }
}

#[test]
fn malformed_level1_descriptors() {
    for pgs in ALL_PGS {
        let g = Gpccr::enabled(GpcFeatures::FVP, 36, pgs);
        let with = |desc: u64| -> BTreeMap<u64, u64> {
            let mut m = BTreeMap::new();
            m.insert(L0_BASE + 8, gpt_table_desc(L1_BASE));
            m.insert(L1_BASE, desc);
            m
        };
        let pa = 1 << 30;
        for size in [ContigSize::M2, ContigSize::M32, ContigSize::M512] {
            let d = gpt_contig_desc(Gpi::Realm, size);
            assert_eq!(check(&with(d), &g, L0_BASE, pa, Pas::Realm), Ok(()));
            assert_eq!(check(&with(d), &g, L0_BASE, pa, Pas::NonSecure), gpf(1));
            // RES0 bits [63:10].
            for bit in [10, 11, 16, 40, 63] {
                assert_eq!(check(&with(d | 1 << bit), &g, L0_BASE, pa, Pas::Realm), walk_fault(1));
            }
        }
        // Reserved Contig size 0b00.
        assert_eq!(check(&with(0b1011_0001), &g, L0_BASE, pa, Pas::Realm), walk_fault(1));
        // A granules descriptor with one reserved GPI anywhere in it faults,
        // whichever granule is looked up.
        let mut d = gpt_granules_desc(Gpi::Any);
        d = (d & !(0xf << 60)) | (0b0111 << 60);
        assert_eq!(check(&with(d), &g, L0_BASE, pa, Pas::Realm), walk_fault(1));
    }
}

#[test]
fn gpi_index_selects_the_granule() {
    // Granule i of an L1 entry holds GPI pattern[i].
    let pattern = [Gpi::NoAccess, Gpi::Secure, Gpi::NonSecure, Gpi::Root, Gpi::Realm, Gpi::Any];
    for pgs in ALL_PGS {
        let g = Gpccr::enabled(GpcFeatures::FVP, 36, pgs);
        let mut word = 0u64;
        for i in 0..16 {
            word |= (pattern[i % pattern.len()].encoding() as u64) << (4 * i);
        }
        let mut m = BTreeMap::new();
        m.insert(L0_BASE + 8 * 3, gpt_table_desc(L1_BASE));
        let entry = 77u64;
        m.insert(L1_BASE + 8 * entry, word);
        let p = pgs.bits();
        for i in 0..16u64 {
            let pa = (3 << 30) + (entry << (p + 4)) + (i << p);
            for probe in [pa, pa + (1 << p) - 1] {
                let e = gpt_walk(&m, &g, Gptbr::from_base(L0_BASE), probe).unwrap();
                assert_eq!(e.gpi, pattern[i as usize % pattern.len()], "{pgs:?} granule {i}");
                assert_eq!(e.contig_bits as u32, p);
            }
        }
    }
}

#[test]
fn other_l0gptsz_values() {
    // L0GPTSZ 34 (16 GB) with PPS 36: 4 level 0 entries, L1 index PA[33:16].
    let f = GpcFeatures { l0gptsz: L0GptSz::Gb16, ..GpcFeatures::FVP };
    let g = Gpccr::enabled(f, 36, Pgs::K4);
    let mut m = BTreeMap::new();
    m.insert(L0_BASE + 8 * 2, gpt_table_desc(0x10_0000 << 2)); // 2 MB aligned L1 (2 MB table)
    let pa = (2u64 << 34) + (0x3_0000 << 12);
    m.insert((0x10_0000 << 2) + 8 * ((pa >> 16) & 0x3_ffff), gpt_granules_desc(Gpi::Realm));
    assert_eq!(gpt_walk(&m, &g, Gptbr::from_base(L0_BASE), pa).unwrap().gpi, Gpi::Realm);
    // The level 1 table must be aligned to its 2 MB size.
    m.insert(L0_BASE + 8 * 2, gpt_table_desc(0x10_0000));
    assert_eq!(gpt_walk(&m, &g, Gptbr::from_base(L0_BASE), pa), Err(GpcFault::new(GpcFaultKind::Walk, 0)));

    // PPS (32) smaller than L0GPTSZ (34): a single level 0 entry.
    let g = Gpccr::enabled(f, 32, Pgs::K64);
    let mut m = BTreeMap::new();
    m.insert(L0_BASE, gpt_block_desc(Gpi::NonSecure));
    for pa in [0, 0xffff_ffff] {
        assert_eq!(check(&m, &g, L0_BASE, pa, Pas::NonSecure), Ok(()));
        assert_eq!(check(&m, &g, L0_BASE, pa, Pas::Realm), gpf(0));
    }
}

#[test]
fn external_aborts_on_gpt_fetches() {
    let g = Gpccr::enabled(GpcFeatures::FVP, 36, Pgs::K4);
    let mut m = BTreeMap::new();
    assert_eq!(check(&m, &g, L0_BASE, 0, Pas::Root), Err(GpcFault::new(GpcFaultKind::ExternalAbort, 0)));
    m.insert(L0_BASE, gpt_table_desc(L1_BASE));
    assert_eq!(check(&m, &g, L0_BASE, 0, Pas::Root), Err(GpcFault::new(GpcFaultKind::ExternalAbort, 1)));
    let f = GpcFault::new(GpcFaultKind::ExternalAbort, 1);
    assert_eq!(f.gpcsc(), 0b010101);
}

// ---------------------------------------------------------------------------
// A TF-A-like GPT: FVP-MAP.md section B.

const GB: u64 = 1 << 30;
const MB: u64 = 1 << 20;

/// The PAS regions TF-A 2.12 `PLAT=fvp ENABLE_RME=1` passes to
/// `gpt_init_pas_l1_tables`, in its order (fvp_bl2_setup.c pas_regions):
/// NS DRAM1, Secure TZC DRAM, Realm (+ shared buffer), EL3 DRAM, L1 GPTs,
/// NS DRAM2. Everything else stays the level 0 default, Any.
fn fvp_gpt() -> GptImage {
    GptBuilder::new(GptLayout::FVP)
        .map_granules(0x8000_0000, 0x7c00_0000, Gpi::NonSecure)
        .map_granules(0xfc00_0000, 0x01c0_0000, Gpi::Secure)
        .map_granules(0xfdc0_0000, 0x0200_0000, Gpi::Realm)
        .map_granules(0xffc0_0000, 0x0030_0000, Gpi::Root)
        .map_granules(0xfff0_0000, 0x0010_0000, Gpi::Root)
        .map_granules(0x8_8000_0000, 0x8000_0000, Gpi::NonSecure)
        .build()
        .expect("FVP GPT")
}

/// (PA, GPI) at the edges of every region of FVP-MAP.md section B.
const FVP_PROBES: &[(u64, Gpi)] = &[
    (0x0000_0000, Gpi::Any),
    (0x0400_3000, Gpi::Any),
    (0x7fff_ffff, Gpi::Any),
    (0x8000_0000, Gpi::NonSecure),
    (0x8400_0000, Gpi::NonSecure),
    (0xbfff_ffff, Gpi::NonSecure),
    (0xc000_0000, Gpi::NonSecure),
    (0xfbff_ffff, Gpi::NonSecure),
    (0xfc00_0000, Gpi::Secure),
    (0xfdbf_ffff, Gpi::Secure),
    (0xfdc0_0000, Gpi::Realm),
    (0xffbf_efff, Gpi::Realm),
    (0xffbf_f000, Gpi::Realm),
    (0xffbf_ffff, Gpi::Realm),
    (0xffc0_0000, Gpi::Root),
    (0xffdf_ffff, Gpi::Root),
    (0xffe0_0000, Gpi::Root),
    (0xffef_ffff, Gpi::Root),
    (0xfff0_0000, Gpi::Root),
    (0xffff_ffff, Gpi::Root),
    (0x1_0000_0000, Gpi::Any),
    (0x8_7fff_ffff, Gpi::Any),
    (0x8_8000_0000, Gpi::NonSecure),
    (0x8_bfff_ffff, Gpi::NonSecure),
    (0x8_c000_0000, Gpi::NonSecure),
    (0x8_ffff_ffff, Gpi::NonSecure),
    (0x9_0000_0000, Gpi::Any),
    (0xf_ffff_ffff, Gpi::Any),
];

#[test]
fn fvp_gpt_shape_matches_tfa() {
    let img = fvp_gpt();
    let lay = GptLayout::FVP;
    assert_eq!(img.l0.len(), 64);
    assert_eq!(img.l1_tables(), 4);
    // Level 0: 0-2 GB and everything but DRAM are Any blocks; the tables
    // are handed out in region order.
    assert_eq!(img.l0[0], gpt_block_desc(Gpi::Any));
    assert_eq!(img.l0[1], gpt_block_desc(Gpi::Any));
    assert_eq!(img.l0[2], gpt_table_desc(0xfff0_0000));
    assert_eq!(img.l0[3], gpt_table_desc(0xfff2_0000));
    assert_eq!(img.l0[0x22], gpt_table_desc(0xfff4_0000));
    assert_eq!(img.l0[0x23], gpt_table_desc(0xfff6_0000));
    assert_eq!(img.l0[4], gpt_block_desc(Gpi::Any));
    assert_eq!(img.l0[63], gpt_block_desc(Gpi::Any));
    assert_eq!(img.gptbr(), Gptbr::from_base(0x0400_3000));
    let g = img.gpccr(GpcFeatures::FVP);
    assert_eq!(g.encode(), 0x1_3500 | 0b001, "GPCCR_EL3 as TF-A writes it");
    assert_eq!(lay.l1_table_bytes(), 128 * 1024);
    // Contiguous descriptors where TF-A uses them.
    let c = |gpi, size| Some(gpt_contig_desc(gpi, size));
    assert_eq!(img.l1_entry_for(0x8000_0000), c(Gpi::NonSecure, ContigSize::M512));
    assert_eq!(img.l1_entry_for(0xc000_0000), c(Gpi::NonSecure, ContigSize::M512));
    assert_eq!(img.l1_entry_for(0xe000_0000), c(Gpi::NonSecure, ContigSize::M32));
    assert_eq!(img.l1_entry_for(0xe200_0000), c(Gpi::NonSecure, ContigSize::M2));
    assert_eq!(img.l1_entry_for(0xfc00_0000), c(Gpi::Secure, ContigSize::M2));
    assert_eq!(img.l1_entry_for(0xfda0_0000), c(Gpi::Secure, ContigSize::M2));
    assert_eq!(img.l1_entry_for(0xfdc0_0000), c(Gpi::Realm, ContigSize::M2));
    assert_eq!(img.l1_entry_for(0xffbf_f000), c(Gpi::Realm, ContigSize::M2));
    assert_eq!(img.l1_entry_for(0xffc0_0000), c(Gpi::Root, ContigSize::M2));
    assert_eq!(img.l1_entry_for(0xffe0_0000), Some(gpt_granules_desc(Gpi::Root)));
    assert_eq!(img.l1_entry_for(0xfff0_0000), Some(gpt_granules_desc(Gpi::Root)));
    assert_eq!(img.l1_entry_for(0x8_8000_0000), c(Gpi::NonSecure, ContigSize::M512));
    assert_eq!(img.l1_entry_for(0x8_c000_0000), c(Gpi::NonSecure, ContigSize::M512));
    assert_eq!(img.l1_entry_for(0x8_e000_0000), c(Gpi::NonSecure, ContigSize::M32));
}

fn check_fvp_probes<M: rme_mmu::gpc::GptMemory>(mem: &M) -> usize {
    let g = GptLayout::FVP.gpccr(GpcFeatures::FVP);
    let br = GptLayout::FVP.gptbr();
    let mut n = 0;
    for &(pa, gpi) in FVP_PROBES {
        assert_eq!(gpt_walk(mem, &g, br, pa).map(|e| e.gpi), Ok(gpi), "walk {pa:#x}");
        for pas in ALL_PAS {
            for &state in states_for(pas) {
                for kind in ALL_KINDS {
                    let got = gpc_check(mem, &g, br, PA_BITS, pa, pas, GpcAccess { kind, state });
                    let level = if gpt_walk(mem, &g, br, pa).unwrap().level == 0 { 0 } else { 1 };
                    let want = if gpi.permits(pas, state) { Ok(()) } else { gpf(level) };
                    assert_eq!(got, want, "{pa:#x} {gpi} {pas} {state} {kind:?}");
                    n += 1;
                }
            }
        }
    }
    // Beyond the 64 GB PPS: Non-secure passes, the others fault.
    for pas in ALL_PAS {
        let got = gpc_check(mem, &g, br, PA_BITS, 0x10_0000_0000, pas, access(pas));
        assert_eq!(got, if pas == Pas::NonSecure { Ok(()) } else { gpf(0) });
    }
    n
}

#[test]
fn fvp_gpt_region_boundaries() {
    let img = fvp_gpt();
    assert!(check_fvp_probes(&img) > 0);
    // Every granule of DRAM1's top 64 MB, against the table of section B.
    let g = img.gpccr(GpcFeatures::FVP);
    for pa in (0xfc00_0000u64..0x1_0000_0000).step_by(4096) {
        let want = match pa {
            0xfc00_0000..0xfdc0_0000 => Gpi::Secure,
            0xfdc0_0000..0xffc0_0000 => Gpi::Realm,
            _ => Gpi::Root,
        };
        assert_eq!(gpt_walk(&img, &g, img.gptbr(), pa).unwrap().gpi, want, "{pa:#x}");
    }
}

#[test]
fn fvp_gpt_on_the_physical_bus() {
    // The tables where TF-A puts them: L0 in Trusted SRAM, L1 at the top
    // of DRAM1; GPT fetches are Root PAS reads on the bus.
    let img = fvp_gpt();
    let mut bus = PhysBus::new();
    bus.add_ram("trusted-sram", 0x0400_0000, 256 * 1024).unwrap();
    bus.add_ram("dram1", 0x8000_0000, 2 * GB).unwrap();
    img.load(&bus).unwrap();
    let n = check_fvp_probes(&bus);
    assert_eq!(n, FVP_PROBES.len() * 9 * 3);
    // A GPTBR pointing at nothing: external abort on the level 0 fetch.
    let g = img.gpccr(GpcFeatures::FVP);
    let r = gpc_check(
        &bus,
        &g,
        Gptbr::from_base(0x1000_0000),
        PA_BITS,
        0x8000_0000,
        Pas::NonSecure,
        access(Pas::NonSecure),
    );
    assert_eq!(r, Err(GpcFault::new(GpcFaultKind::ExternalAbort, 0)));
    // The bus sees what the image holds.
    assert_eq!(
        gpt_walk(&bus, &g, img.gptbr(), 0xfdc0_0000 + 5 * MB),
        gpt_walk(&img, &g, img.gptbr(), 0xfdc0_0000 + 5 * MB)
    );
}

#[test]
fn fvp_gpt_without_contiguous_descriptors_gives_the_same_answers() {
    let contig = fvp_gpt();
    let plain = GptBuilder::new(GptLayout::FVP)
        .max_contig(None)
        .map_granules(0x8000_0000, 0x7c00_0000, Gpi::NonSecure)
        .map_granules(0xfc00_0000, 0x01c0_0000, Gpi::Secure)
        .map_granules(0xfdc0_0000, 0x0200_0000, Gpi::Realm)
        .map_granules(0xffc0_0000, 0x0030_0000, Gpi::Root)
        .map_granules(0xfff0_0000, 0x0010_0000, Gpi::Root)
        .map_granules(0x8_8000_0000, 0x8000_0000, Gpi::NonSecure)
        .build()
        .unwrap();
    let g = GptLayout::FVP.gpccr(GpcFeatures::FVP);
    let br = GptLayout::FVP.gptbr();
    for pa in (0..4 * GB).step_by((MB / 2) as usize).chain((0x8_8000_0000..0x9_0000_0000).step_by(8 * MB as usize)) {
        let a = gpt_walk(&contig, &g, br, pa).unwrap();
        let b = gpt_walk(&plain, &g, br, pa).unwrap();
        assert_eq!(a.gpi, b.gpi, "{pa:#x}");
    }
}
