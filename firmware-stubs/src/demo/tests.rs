//! Tests of the assembled tour (running it is the emulator's job:
//! `emulator/tests/cli.rs` boots it and checks [`WORLD_TOUR_LINES`]).

use super::*;
use crate::platform::TRUSTED_ROM_SIZE;

#[test]
fn assembles_at_the_reset_vector() {
    let img = world_tour();
    assert_eq!(img.name, NAME);
    assert_eq!(img.load_addr, 0);
    assert_eq!(img.entry, 0);
    assert_eq!(img.symbol("reset"), Some(0));
    assert_eq!(img.branch_target(0), img.symbol("el3_entry").unwrap());
}

#[test]
fn deterministic() {
    assert_eq!(world_tour(), world_tour());
}

#[test]
fn fits_the_trusted_rom_and_stays_small() {
    let img = world_tour();
    assert!(img.end() <= TRUSTED_ROM_SIZE);
    assert!(img.bytes.len() < 16 << 10, "{} bytes", img.bytes.len());
    assert_eq!(img.bytes.len() % 4, 0);
}

#[test]
fn vector_table_is_aligned_and_routes_the_smc() {
    let img = world_tour();
    let vbar = img.symbol("el3_vectors").unwrap();
    assert_eq!(vbar % 0x800, 0, "VBAR_EL3[10:0] are RES0");
    for i in 0..16u64 {
        let entry = vbar + i * 0x80;
        // movz x23, #offset
        assert_eq!(img.word_at(entry), Some(0xd280_0000 | ((i as u32 * 0x80) << 5) | 23));
        let want = if i * 0x80 == 0x400 { "el3_sync_lower" } else { "el3_unexpected" };
        assert_eq!(img.branch_target(entry + 4), img.symbol(want).unwrap(), "vector +{:#x}", i * 0x80);
    }
}

#[test]
fn every_symbol_lies_inside_the_image() {
    let img = world_tour();
    for &(name, addr) in &img.symbols {
        assert!(addr < img.end(), "{name} at {addr:#x}");
    }
    for w in World::TOUR {
        assert!(img.symbol(w.entry_symbol()).is_some(), "{w:?}");
    }
}

#[test]
fn sysreg_accesses_use_only_named_registers() {
    // Panics on an MRS/MSR of a register `sysreg::ALL` does not list; that
    // every listed one is used by some stub is checked in
    // `gpf_demo::tests::every_listed_sysreg_is_used_by_a_stub`.
    let seen = world_tour().sysregs_used();
    for r in ["SCR_EL3", "SPSR_EL3", "ELR_EL3", "ESR_EL3", "VBAR_EL3", "CurrentEL", "SP_EL1", "SP_EL2"] {
        assert!(seen.contains(r), "{r}");
    }
}

#[test]
fn lines_and_their_pieces_are_in_the_image() {
    let img = world_tour();
    let s = &img.bytes;
    assert!(img.strings_contain(b"Root EL\0"));
    assert!(img.strings_contain(format!(": {BANNER}\n\0").as_bytes()));
    assert!(img.strings_contain(b": all worlds visited, powering off\n\0"));
    assert!(img.strings_contain(b": world tour FAILED, powering off\n\0"));
    assert!(img.strings_contain(b": unexpected exception ESR=0x\0"));
    for w in World::TOUR {
        assert!(img.strings_contain(format!("{}\0", w.line_head()).as_bytes()), "{w:?}");
        assert!(img.strings_contain(format!("{}\0", w.line_tail()).as_bytes()), "{w:?}");
    }
    let names = img.symbol("state_names").unwrap() as usize;
    for (i, n) in ["Secure", "Non-secure", "Root", "Realm"].iter().enumerate() {
        let e = &s[names + 16 * i..names + 16 * (i + 1)];
        assert_eq!(&e[..n.len()], n.as_bytes());
        assert_eq!(e[n.len()], 0);
    }
}

#[test]
fn expected_lines_follow_the_tour() {
    let lines = expected_lines();
    assert_eq!(lines.len(), 2 + 2 * World::TOUR.len());
    assert_eq!(lines[0], format!("Root EL3: {BANNER}"));
    for (i, w) in World::TOUR.iter().enumerate() {
        assert_eq!(lines[1 + 2 * i], w.line());
        assert_eq!(
            lines[2 + 2 * i],
            format!("Root EL3: SMC {:#010x} from {} EL{}", w.smc_function_id(), w.state_name(), w.el())
        );
    }
    assert_eq!(*lines.last().unwrap(), "Root EL3: all worlds visited, powering off");
    for l in lines {
        assert!(!l.contains('\n'));
    }
    assert!(!lines.contains(&WORLD_TOUR_FAILURE_LINE));
}

#[test]
fn stacks_are_in_trusted_sram_and_disjoint() {
    use crate::platform::{TRUSTED_SRAM_BASE, TRUSTED_SRAM_SIZE};
    let mut tops = vec![EL3_STACK_TOP];
    tops.extend(World::TOUR.iter().map(|&w| world_stack_top(w)));
    for (i, &t) in tops.iter().enumerate() {
        assert!(t - STACK_SIZE >= TOUR_STATE + 4 && t <= TRUSTED_SRAM_BASE + TRUSTED_SRAM_SIZE);
        assert_eq!(t % 16, 0, "SP alignment");
        for &u in &tops[i + 1..] {
            assert!(t.abs_diff(u) >= STACK_SIZE);
        }
    }
}

#[test]
fn world_vectors_report_to_el3() {
    let img = world_tour();
    for (table, report) in [("world_vectors_el1", "world_report_el1"), ("world_vectors_el2", "world_report_el2")] {
        let vbar = img.symbol(table).unwrap();
        assert_eq!(vbar % 0x800, 0, "{table}");
        for i in 0..16u64 {
            let entry = vbar + i * 0x80;
            // movz x3, #offset
            assert_eq!(img.word_at(entry), Some(0xd280_0000 | ((i as u32 * 0x80) << 5) | 3));
            assert_eq!(img.branch_target(entry + 4), img.symbol(report).unwrap(), "{table} +{:#x}", i * 0x80);
        }
        // cbnz x27, world_halt ; movz x27, #1 ; mrs x1, ESR_ELx ; mrs x2, ELR_ELx
        let r = img.symbol(report).unwrap();
        assert_eq!(img.word_at(r).unwrap() & 0xff00_001f, 0xb500_001b);
        assert_eq!(img.word_at(r + 4), Some(0xd280_003b));
    }
    // The entry code programs VBAR_EL1 / VBAR_EL2 with these tables; the
    // SMC handler checks for the forwarded-exception function id.
    assert_eq!(crate::vectors::WORLD_EXCEPTION_FID, 0xc200_00ff);
}
