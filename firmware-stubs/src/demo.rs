//! The world tour: the EL3 firmware `rme-emu boot` runs with no image.
//!
//! It starts at the reset vector in Root EL3 and visits each
//! [`World::TOUR`] entry in turn: EL3 programs `SCR_EL3.{NSE,NS}`,
//! `SPSR_EL3`, `ELR_EL3` and the target's stack pointer and `ERET`s into
//! it; the world prints `<State> EL<n>: hello from the <state> world` (n
//! read from `CurrentEL`) and returns with `SMC #0`, w0 = its function id;
//! the EL3 handler at `VBAR_EL3 + 0x400` checks `ESR_EL3.EC` = 0x17 (SMC
//! from AArch64) and the function id, reports which state and EL the call
//! came from (`SCR_EL3.{NSE,NS}` and `SPSR_EL3.M[3:2]`, read from
//! hardware), and goes on with the next world. After the last it powers
//! the platform off.
//!
//! Failures end the tour with one line saying what, then
//! [`WORLD_TOUR_FAILURE_LINE`] and a power-off: anything else reaching the
//! EL3 vectors ("unexpected exception ESR=0x... ELR=0x... vector=+0x..."),
//! a wrong function id ("unexpected SMC function id 0x..."), or an
//! exception a world takes at its own EL, which its vectors forward with
//! SMC (`exception taken to <State> EL<n>: ESR=0x... ELR=0x...
//! vector=+0x...`).
//!
//! Image layout (loaded at 0x0, the trusted boot ROM):
//!
//! ```text
//!  0x0000   reset: b el3_entry
//!  0x0800   el3_vectors (VBAR_EL3; 16 x 0x80 bytes)
//!  0x1000   el3_entry, el3_next_world, enter_<world>..., el3_sync_lower,
//!           el3_bad_smc, el3_world_exception, el3_unexpected, el3_fail,
//!           el3_done, power_off, console routines (putc, puts, puthex,
//!           put_current_el), <world>_entry..., world_halt,
//!           world_report_el1, world_report_el2
//!  0x1800   world_vectors_el1 (VBAR_EL1 of Secure EL1)
//!  0x2000   world_vectors_el2 (VBAR_EL2 of Realm and Non-secure EL2)
//!           state_names, strings
//! ```
//!
//! Trusted SRAM (0x0400_0000):
//!
//! ```text
//!  0x0400_0000   u32 tour state: index of the next world in World::TOUR
//!  0x0400_1000   EL3 stack       (4 KiB, top 0x0400_2000)
//!  0x0400_2000   Secure EL1 stack (top 0x0400_3000)
//!  0x0400_3000   Realm EL2 stack  (top 0x0400_4000)
//!  0x0400_4000   Non-secure EL2 stack (top 0x0400_5000)
//! ```
//!
//! The worlds run from the trusted ROM and stack in trusted SRAM, as the
//! Root code does: fine on rme-emu (and on an FVP whose trusted memories
//! accept every PAS); a model that made those memories Secure/Root-only
//! would need the Realm and Non-secure code and stacks moved to DRAM.
//!
//! Register use at EL3 (the console routines preserve x19-x28; of those the
//! worlds, which run only this crate's code, touch only x27, which EL3 does
//! not use): x19 = address of the
//! tour state, x20 = world index, x21 = the world's w0, x22 = ESR_EL3,
//! x23 = the EL3 vector offset taken, x24 = ELR_EL3 (or the world's
//! ELR_ELx), x25 = the world's vector offset, x28 = re-entry guard of the
//! unexpected-exception report. The worlds use x0-x3, x9-x12 and x27
//! (their vectors' re-entry guard).

use crate::asm::{Asm, a64};
use crate::image::FirmwareImage;
use crate::platform::{TRUSTED_ROM_BASE, TRUSTED_SRAM_BASE};
use crate::sysreg::ESR_EL3;
use crate::uart::Console;
use crate::vectors::{self, WORLD_EXCEPTION_FID};
use crate::world::{self, SMC_FID_BASE, World};
use dynasmrt::DynamicLabel;

/// Name of the image.
pub const NAME: &str = "world-tour";
/// Address of the tour state word (index of the next world to visit).
pub const TOUR_STATE: u64 = TRUSTED_SRAM_BASE;
/// Size of each stack.
pub const STACK_SIZE: u64 = 0x1000;
/// Top of the EL3 stack (`SP_EL3`).
pub const EL3_STACK_TOP: u64 = TRUSTED_SRAM_BASE + 0x2000;

/// Top of `world`'s stack (`SP_EL1` or `SP_EL2`).
pub fn world_stack_top(world: World) -> u64 {
    EL3_STACK_TOP + STACK_SIZE * (u64::from(world.index()) + 1)
}

/// `ESR_ELx.EC` for an SMC executed in AArch64 state.
pub const EC_SMC64: u32 = 0x17;
/// The banner the tour opens with, after "Root EL3: ".
pub const BANNER: &str = "rme-emu firmware stubs: touring the four security states";

/// Every line the tour prints, in order (without the newline). Each is
/// printed as one line ending in "\n" on UART0.
pub const WORLD_TOUR_LINES: &[&str] = &[
    "Root EL3: rme-emu firmware stubs: touring the four security states",
    "Secure EL1: hello from the secure world",
    "Root EL3: SMC 0xc2000000 from Secure EL1",
    "Realm EL2: hello from the realm world",
    "Root EL3: SMC 0xc2000001 from Realm EL2",
    "Non-secure EL2: hello from the non-secure world",
    "Root EL3: SMC 0xc2000002 from Non-secure EL2",
    "Root EL3: all worlds visited, powering off",
];

/// The line the tour prints, before powering off, when something went
/// wrong (after a line saying what).
pub const WORLD_TOUR_FAILURE_LINE: &str = "Root EL3: world tour FAILED, powering off";

/// [`WORLD_TOUR_LINES`].
pub fn expected_lines() -> &'static [&'static str] {
    WORLD_TOUR_LINES
}

/// Assembles the world tour (deterministic: the same bytes every call).
pub fn world_tour() -> FirmwareImage {
    let mut a = Asm::new(TRUSTED_ROM_BASE);
    let l = Labels::new(&mut a);
    let con = Console::new(&mut a);

    l.el3.emit_reset_and_vectors(&mut a);

    emit_el3_entry(&mut a, &con, &l);
    emit_el3_next_world(&mut a, &l);
    for (i, &w) in World::TOUR.iter().enumerate() {
        a.symbol(w.enter_symbol());
        a64!(a.ops ; =>l.enter[i]);
        let vbar = if w.el() == 1 { l.world_vectors_el1 } else { l.world_vectors_el2 };
        world::emit_enter(&mut a, w, l.world[i], world_stack_top(w), vbar);
    }
    emit_el3_sync_lower(&mut a, &con, &l);
    l.el3.emit_failure(&mut a, &con, EL3_STACK_TOP, WORLD_TOUR_FAILURE_LINE);
    emit_el3_done(&mut a, &con, &l);
    crate::power::emit_power_off(&mut a, l.el3.power_off);

    con.emit_routines(&mut a);
    for (i, &w) in World::TOUR.iter().enumerate() {
        world::emit_world(&mut a, &con, w, l.world[i]);
    }
    vectors::emit_world_vectors(&mut a, l.world_vectors_el1, l.world_vectors_el2);
    world::emit_state_names(&mut a, l.el3.state_names);

    a.finish(NAME, TRUSTED_ROM_BASE)
}

/// Labels the EL3 code jumps between.
struct Labels {
    el3: world::El3Labels,
    el3_next_world: DynamicLabel,
    el3_bad_smc: DynamicLabel,
    el3_world_exception: DynamicLabel,
    world_vectors_el1: DynamicLabel,
    world_vectors_el2: DynamicLabel,
    el3_done: DynamicLabel,
    enter: Vec<DynamicLabel>,
    world: Vec<DynamicLabel>,
}

impl Labels {
    fn new(a: &mut Asm) -> Labels {
        let el3 = world::El3Labels::new(a);
        let mut n = || a.ops.new_dynamic_label();
        Labels {
            el3,
            el3_next_world: n(),
            el3_bad_smc: n(),
            el3_world_exception: n(),
            world_vectors_el1: n(),
            world_vectors_el2: n(),
            el3_done: n(),
            enter: World::TOUR.iter().map(|_| n()).collect(),
            world: World::TOUR.iter().map(|_| n()).collect(),
        }
    }
}

/// From reset: known SCTLR_EL3, SP_EL3, VBAR_EL3, console, tour state,
/// banner; then the first world.
fn emit_el3_entry(a: &mut Asm, con: &Console, l: &Labels) {
    world::emit_el3_reset(a, l.el3.entry, l.el3.vectors, EL3_STACK_TOP);
    a.mov_imm(19, TOUR_STATE);
    a64!(a.ops ; str wzr, [x19]);
    con.print_who(a, "Root");
    con.print(a, &format!(": {BANNER}\n"));
    a64!(a.ops ; b =>l.el3_next_world);
}

/// Enters World::TOUR[tour state], or finishes when all were visited.
fn emit_el3_next_world(a: &mut Asm, l: &Labels) {
    a.symbol("el3_next_world");
    a64!(a.ops ; =>l.el3_next_world);
    a.mov_imm(0, EL3_STACK_TOP);
    a64!(a.ops ; mov sp, x0);
    a.mov_imm(19, TOUR_STATE);
    a64!(a.ops ; ldr w20, [x19]);
    for (i, &w) in World::TOUR.iter().enumerate() {
        a64!(a.ops
            ; cmp w20, w.index()
            ; b.eq =>l.enter[i]
        );
    }
    a64!(a.ops ; b =>l.el3_done);
}

/// VBAR_EL3 + 0x400, synchronous exception from a lower EL in AArch64:
/// the world's SMC. Checks ESR_EL3.EC and the function id, reports the
/// caller's state (SCR_EL3.{NSE,NS}) and EL (SPSR_EL3.M\[3:2\]), moves on.
fn emit_el3_sync_lower(a: &mut Asm, con: &Console, l: &Labels) {
    a.symbol("el3_sync_lower");
    a64!(a.ops
        ; =>l.el3.sync_lower
        ; mov x21, x0
        ; mrs x22, ESR_EL3
        ; ubfx x9, x22, 26, 6       // ESR_EL3.EC
        ; cmp x9, EC_SMC64
        ; b.ne =>l.el3.unexpected
    );
    a.mov_imm(10, u64::from(WORLD_EXCEPTION_FID));
    a64!(a.ops
        ; cmp w21, w10
        ; b.eq =>l.el3_world_exception
    );
    a.mov_imm(19, TOUR_STATE);
    a64!(a.ops ; ldr w20, [x19]);
    a.mov_imm(10, u64::from(SMC_FID_BASE));
    a64!(a.ops
        ; add w10, w10, w20
        ; cmp w21, w10              // SMCCC: the function id is W0
        ; b.ne =>l.el3_bad_smc
    );
    con.print_who(a, "Root");
    con.print(a, ": SMC 0x");
    con.print_hex(a, 21, 8);
    con.print(a, " from ");
    emit_print_caller(a, con, l);
    con.print(a, "\n");
    a64!(a.ops
        ; add w20, w20, 1
        ; str w20, [x19]
        ; b =>l.el3_next_world
    );

    a.symbol("el3_bad_smc");
    a64!(a.ops ; =>l.el3_bad_smc);
    con.print_who(a, "Root");
    con.print(a, ": unexpected SMC function id 0x");
    con.print_hex(a, 21, 8);
    con.print(a, "\n");
    a64!(a.ops ; b =>l.el3.fail);

    // A world's vectors forwarded an exception it took at its own EL:
    // x1 = its ESR_ELx, x2 = its ELR_ELx, x3 = its vector offset.
    a.symbol("el3_world_exception");
    a64!(a.ops
        ; =>l.el3_world_exception
        ; mov x22, x1
        ; mov x24, x2
        ; mov x25, x3
    );
    con.print_who(a, "Root");
    con.print(a, ": exception taken to ");
    emit_print_caller(a, con, l);
    con.print(a, ": ESR=0x");
    con.print_hex(a, 22, 16);
    con.print(a, " ELR=0x");
    con.print_hex(a, 24, 16);
    con.print(a, " vector=+0x");
    con.print_hex(a, 25, 3);
    con.print(a, "\n");
    a64!(a.ops ; b =>l.el3.fail);
}

/// Prints "<State> EL<n>" of the lower EL that trapped to EL3 (see
/// [`world::emit_print_caller`]).
fn emit_print_caller(a: &mut Asm, con: &Console, l: &Labels) {
    world::emit_print_caller(a, con, l.el3.state_names);
}

/// The tour's successful end (its failure is [`world::emit_el3_fail`]).
fn emit_el3_done(a: &mut Asm, con: &Console, l: &Labels) {
    a.symbol("el3_done");
    a64!(a.ops ; =>l.el3_done);
    con.print_line(a, WORLD_TOUR_LINES.last().expect("lines"));
    a64!(a.ops ; b =>l.el3.power_off);
}

#[cfg(test)]
mod tests;
