//! Tests of the assembled GPF demo and of the values it relies on
//! (running it is the emulator's job: `emulator/tests/gpf_demo.rs` boots
//! it and checks [`GPF_DEMO_LINES`] and the GPT it built).

use super::*;
use crate::platform::{TRUSTED_ROM_SIZE, TRUSTED_SRAM_SIZE};
use crate::sysreg;

#[test]
fn assembles_at_the_reset_vector() {
    let img = gpf_demo();
    assert_eq!(img.name, NAME);
    assert_eq!(img.load_addr, 0);
    assert_eq!(img.entry, 0);
    assert_eq!(img.branch_target(0), img.symbol("el3_entry").unwrap());
    assert_eq!(img, gpf_demo(), "deterministic");
    assert!(img.end() <= TRUSTED_ROM_SIZE);
    assert!(img.bytes.len() < 16 << 10, "{} bytes", img.bytes.len());
    for &(name, addr) in &img.symbols {
        assert!(addr < img.end(), "{name} at {addr:#x}");
    }
}

#[test]
fn architectural_values() {
    // TF-A's GPCCR_EL3 for FVP: PPS 64 GB, IRGN/ORGN WB RA WA, SH IS, PGS 4K, GPC.
    assert_eq!(GPCCR_VALUE, 0x1_3501);
    assert_eq!((GPCCR_VALUE >> 14) & 3, 0b00, "PGS 4 KB");
    assert_eq!(GPTBR_VALUE, 0x4001);
    // EC 0x1E, IL, GPCSC 0b001101, xFSC 0x28.
    assert_eq!(EXPECTED_ESR_EL3, 0x7a03_4028);
    assert_eq!((EXPECTED_ESR_EL3 >> 14) & 0x3f, 0x0d);
    assert_eq!(EXPECTED_ESR_EL3 & (1 << 20 | 1 << 6), 0, "InD = 0, WnR = 0");
    // EC 0x25, IL, DFSC 0x28.
    assert_eq!(EXPECTED_ESR_EL2, 0x9600_0028);
    assert_eq!(EXPECTED_MFAR_EL3, 0x8000_0000_8020_0000);
    assert_eq!(SCR_GPF, 0x1_0000_0000_0000);
    assert_eq!(TLBI_PAALL, 0xd50e_879f);
    assert_eq!(REALM_SECRET.to_be_bytes(), *b"REALMDAT");
}

#[test]
fn gpt_geometry() {
    assert_eq!(L0_ENTRIES, 64);
    assert_eq!(L1_ENTRIES, 16384);
    assert_eq!(L1_TABLE_BYTES, 128 << 10);
    assert_eq!(L1_ENTRIES_PER_2MB, 32);
    // The level 0 table is aligned to Max(PPS - L0GPTSZ + 3, 12) bits and
    // fits before the EL3 stack.
    assert_eq!(GPT_L0_BASE % (1 << (PPS_BITS - L0GPTSZ_BITS + 3).max(12)), 0);
    const { assert!(GPT_L0_BASE + 8 * L0_ENTRIES <= EL3_STACK_TOP - 0x1000) };
    const { assert!(DEMO_STATE + 4 <= GPT_L0_BASE) };
    const { assert!(REALM_EL2_STACK_TOP <= TRUSTED_SRAM_BASE + TRUSTED_SRAM_SIZE) };
    // The level 1 table is aligned to its size (DecodeGPTTable) and does not
    // overlap the Realm granule; both are inside the region it describes.
    assert_eq!(GPT_L1_BASE % L1_TABLE_BYTES, 0);
    const { assert!(GPT_L1_BASE + L1_TABLE_BYTES <= REALM_GRANULE) };
    assert_eq!(GPT_L1_REGION % (1 << L0GPTSZ_BITS), 0);
    assert_eq!(REALM_GRANULE >> L0GPTSZ_BITS, GPT_L1_REGION >> L0GPTSZ_BITS);
    assert_eq!(REALM_GRANULE % (1 << PGS_BITS), 0);
    // Descriptors.
    assert_eq!(GPT_L0_BLOCK_ANY, 0xf1);
    assert_eq!(GPT_L0_TABLE, 0x8010_0003);
    assert_eq!(GPT_L1_CONTIG_2MB_NS, 0x191);
    assert_eq!(l1_index(REALM_GRANULE), 32);
    assert_eq!(GPT_L1_REALM_ENTRY, 0x9999_9999_9999_999b);
    assert_eq!(gpt_l0_entry(2), GPT_L0_TABLE);
    for i in [0, 1, 3, 63] {
        assert_eq!(gpt_l0_entry(i), GPT_L0_BLOCK_ANY);
    }
    assert_eq!(gpt_l1_entry(0), 0x9999_9999_9999_9999);
    assert_eq!(gpt_l1_entry(16), 0xaaaa_aaaa_aaaa_aaaa);
    assert_eq!(gpt_l1_entry(17), 0xaaaa_aaaa_aaaa_aaaa);
    assert_eq!(gpt_l1_entry(18), 0x9999_9999_9999_9999);
    assert_eq!(gpt_l1_entry(33), 0x9999_9999_9999_9999);
    assert_eq!(gpt_l1_entry(63), 0x9999_9999_9999_9999);
    assert_eq!(gpt_l1_entry(64), 0x191);
    assert_eq!(gpt_l1_entry(L1_ENTRIES - 1), 0x191);
    // Contiguous descriptors cover whole, aligned 2 MB blocks.
    assert_eq!(L1_GRANULES_ENTRIES % L1_ENTRIES_PER_2MB, 0);
}

#[test]
fn gpc_is_enabled_with_tlbi_paall_between_barriers() {
    let img = gpf_demo();
    let start = img.symbol("enable_gpc").unwrap();
    let end = img.symbol("enter_non_secure_el2").unwrap();
    let words: Vec<u32> = (start..end).step_by(4).map(|a| img.word_at(a).unwrap()).collect();
    const MSR_GPTBR_X0: u32 = 0xd51e_2180;
    const MSR_GPCCR_X0: u32 = 0xd51e_21c0;
    const ISB: u32 = 0xd503_3fdf;
    const DSB_SY: u32 = 0xd503_3f9f;
    let at = |w: u32| words.iter().position(|&x| x == w).unwrap_or_else(|| panic!("{w:#010x} missing"));
    let (gptbr, gpccr, tlbi) = (at(MSR_GPTBR_X0), at(MSR_GPCCR_X0), at(TLBI_PAALL));
    assert!(gptbr < gpccr && gpccr < tlbi);
    assert_eq!(words[gpccr + 1], ISB);
    assert_eq!(words[tlbi + 1..tlbi + 3], [DSB_SY, ISB]);
}

#[test]
fn el2_vector_tables_route_every_entry_to_their_handler() {
    let img = gpf_demo();
    for w in [World::NonSecureEl2, World::RealmEl2] {
        let (handler, table) = el2_vector_symbols(w);
        let vbar = img.symbol(table).unwrap();
        assert_eq!(vbar % 0x800, 0, "{table}");
        for i in 0..16u64 {
            let entry = vbar + i * 0x80;
            // movz x5, #offset
            assert_eq!(img.word_at(entry), Some(0xd280_0000 | ((i as u32 * 0x80) << 5) | 5));
            assert_eq!(img.branch_target(entry + 4), img.symbol(handler).unwrap(), "{table} +{:#x}", i * 0x80);
        }
    }
    let vbar = img.symbol("el3_vectors").unwrap();
    assert_eq!(vbar % 0x800, 0);
    assert_eq!(img.branch_target(vbar + 0x404), img.symbol("el3_sync_lower").unwrap());
}

#[test]
fn the_loads_use_registers_el3_leaves_alone() {
    // ldr x7, [x6]: EL3 resumes the faulting load with ERET, so the load's
    // base and destination must be registers no EL3 instruction writes.
    let img = gpf_demo();
    for sym in ["non_secure_el2_load", "realm_el2_load"] {
        assert_eq!(img.word_at(img.symbol(sym).unwrap()), Some(0xf940_00c7), "{sym}");
    }
    let el3 = img.symbol("el3_entry").unwrap()..img.symbol("power_off").unwrap();
    for addr in el3.step_by(4) {
        let w = img.word_at(addr).unwrap();
        // Every EL3 instruction but B/BL (imm26) and B.cond (whose [4:0]
        // is the condition; the code uses only EQ and NE) has Rd/Rt (or
        // 0b11111) in bits [4:0].
        let is_b_bl = w & 0x7c00_0000 == 0x1400_0000;
        if !is_b_bl {
            assert!(!matches!(w & 0x1f, 6 | 7), "{w:#010x} at {addr:#x} writes x6/x7");
        }
    }
}

#[test]
fn lines_are_consistent_with_the_constants() {
    let l = GPF_DEMO_LINES;
    assert_eq!(l.len(), 11);
    assert_eq!(l[0], format!("Root EL3: {BANNER}"));
    assert_eq!(
        l[2],
        format!(
            "Root EL3: GPC on: GPCCR_EL3={GPCCR_VALUE:#018x} GPTBR_EL3={GPTBR_VALUE:#018x}; \
             entering Non-secure EL2 with SCR_EL3.GPF=1"
        )
    );
    assert_eq!(l[3], format!("Non-secure EL2: loading from Realm granule {REALM_GRANULE:#x}"));
    assert_eq!(
        l[4],
        format!(
            "Root EL3: GPF from Non-secure EL2: ESR_EL3={EXPECTED_ESR_EL3:#018x} \
             MFAR_EL3={EXPECTED_MFAR_EL3:#018x} FAR_EL3={REALM_GRANULE:#018x}"
        )
    );
    assert_eq!(
        l[7],
        format!(
            "Non-secure EL2: exception (vector +{EL2_SYNC_SPX:#05x}): ESR_EL2={EXPECTED_ESR_EL2:#018x} \
             FAR_EL2={REALM_GRANULE:#018x}"
        )
    );
    assert_eq!(l[9], format!("Realm EL2: read {REALM_SECRET:#018x} from Realm granule {REALM_GRANULE:#x}"));
    for line in l {
        assert!(!line.contains('\n') && !line.contains("FAILED"), "{line}");
        assert!(
            ["Root EL3: ", "Non-secure EL2: ", "Realm EL2: "].iter().any(|p| line.starts_with(p)),
            "{line}"
        );
    }
    assert!(!l.contains(&GPF_DEMO_FAILURE_LINE));
}

#[test]
fn constant_lines_and_pieces_are_in_the_image() {
    let img = gpf_demo();
    for (i, line) in GPF_DEMO_LINES.iter().enumerate() {
        // Lines with no register values are stored whole (after the
        // "<State> EL" prefix the code prints with the EL digit).
        if [1, 5, 6, 8, 10].contains(&i) {
            let tail = &line[line.find(':').unwrap()..];
            assert!(img.strings_contain(format!("{tail}\n\0").as_bytes()), "line {i}: {line}");
        }
    }
    assert!(img.strings_contain(b": GPF demo FAILED, powering off\n\0"));
    for head in ["Root EL\0", "Non-secure EL\0", "Realm EL\0"] {
        assert!(img.strings_contain(head.as_bytes()), "{head}");
    }
}

#[test]
fn every_listed_sysreg_is_used_by_a_stub() {
    let mut used = gpf_demo().sysregs_used();
    for r in ["GPCCR_EL3", "GPTBR_EL3", "MFAR_EL3", "FAR_EL3", "FAR_EL2", "ESR_EL2"] {
        assert!(used.contains(r), "{r}");
    }
    used.extend(crate::world_tour().sysregs_used());
    for r in sysreg::ALL {
        assert!(used.contains(r.0), "{} is listed but unused", r.0);
    }
}
