//! Exception vector tables (Arm ARM D1.3.1 "Exception vectors"): 16
//! entries of 0x80 bytes at `VBAR_ELx`, which must be 2 KiB aligned
//! (`VBAR_ELx` bits \[10:0\] are RES0).
//!
//! | offset | taken from                         | type       |
//! |--------|------------------------------------|------------|
//! | 0x000  | current EL with SP_EL0             | sync, IRQ, FIQ, SError at +0/+0x80/+0x100/+0x180 |
//! | 0x200  | current EL with SP_ELx             | ...        |
//! | 0x400  | lower EL using AArch64             | ...        |
//! | 0x600  | lower EL using AArch32             | ...        |
//!
//! In every table each entry loads its own offset into a register (so a
//! report can say which vector was taken) and branches to a handler.
//!
//! * EL3 ([`emit_el3_vectors`]), offset in x23: the "lower EL using AArch64, synchronous"
//!   entry (+0x400) goes to the SMC handler, every other to the
//!   unexpected-exception handler. x0-x7 (the SMC arguments) are left
//!   untouched.
//! * The worlds' EL1/EL2 ([`emit_world_vectors`]): an exception a world
//!   takes at its own EL (say a fault in its code) must not vanish into an
//!   UNKNOWN `VBAR_ELx`; every entry reports it to EL3 with
//!   `SMC #0`, w0 = [`WORLD_EXCEPTION_FID`], x1 = `ESR_ELx`, x2 =
//!   `ELR_ELx`, x3 = the vector offset.

use crate::asm::{Asm, a64};
use crate::sysreg::{ELR_EL1, ELR_EL2, ESR_EL1, ESR_EL2};
use crate::world::SMC_FID_BASE;
use dynasmrt::DynamicLabel;

/// The function id a world's vectors pass to EL3 for "I took an
/// exception": SiP fast SMC64 call 0xff.
pub const WORLD_EXCEPTION_FID: u32 = SMC_FID_BASE + 0xff;

/// Offset of the "lower EL using AArch64, synchronous" entry.
pub const LOWER_A64_SYNC: u32 = 0x400;
/// Size of one vector entry.
pub const ENTRY_SIZE: u64 = 0x80;
/// Alignment `VBAR_EL3` requires.
pub const TABLE_ALIGN: u64 = 0x800;

/// Emits a vector table at `table` (after padding to 2 KiB), named
/// `symbol`: each of the 16 entries loads its own offset into x`offset_reg`
/// and branches to `handler(offset)`, the rest of the entry's 0x80 bytes
/// left as padding.
pub fn emit_table(
    a: &mut Asm,
    symbol: &'static str,
    table: DynamicLabel,
    offset_reg: u8,
    handler: impl Fn(u32) -> DynamicLabel,
) {
    a.align(TABLE_ALIGN);
    a.symbol(symbol);
    a64!(a.ops ; =>table);
    for i in 0..16u32 {
        let offset = i * ENTRY_SIZE as u32;
        a64!(a.ops
            ; movz X(offset_reg), offset
            ; b =>handler(offset)
        );
        a.align(ENTRY_SIZE);
    }
}

/// Emits the EL3 table at `table` (after padding to 2 KiB).
pub fn emit_el3_vectors(a: &mut Asm, table: DynamicLabel, lower_a64_sync: DynamicLabel, unexpected: DynamicLabel) {
    emit_table(a, "el3_vectors", table, 23, |offset| if offset == LOWER_A64_SYNC { lower_a64_sync } else { unexpected });
}

/// Emits the worlds' vector tables, `el1` for a world at EL1 and `el2`
/// for one at EL2 (the report code of both first, then the two tables
/// back to back), reporting every exception to EL3 as described in the
/// module docs. x27 is the world's re-entry guard (the world's code clears
/// it): should the report itself fault, the world stops in WFI instead of
/// looping.
pub fn emit_world_vectors(a: &mut Asm, el1: DynamicLabel, el2: DynamicLabel) {
    let halt = a.ops.new_dynamic_label();
    a.symbol("world_halt");
    a64!(a.ops
        ; =>halt
        ; wfi
        ; b =>halt
    );
    let mut reports = Vec::new();
    for (esr, elr, name) in [(ESR_EL1, ELR_EL1, "world_report_el1"), (ESR_EL2, ELR_EL2, "world_report_el2")] {
        let report = a.ops.new_dynamic_label();
        a.symbol(name);
        a64!(a.ops
            ; =>report
            ; cbnz x27, =>halt
            ; movz x27, 1
            ; mrs x1, esr
            ; mrs x2, elr
        );
        a.mov_imm(0, u64::from(WORLD_EXCEPTION_FID));
        a64!(a.ops
            ; smc 0
            ; b =>halt
        );
        reports.push(report);
    }
    for ((table, report), name) in [el1, el2].into_iter().zip(reports).zip(["world_vectors_el1", "world_vectors_el2"]) {
        emit_table(a, name, table, 3, |_| report);
    }
}
