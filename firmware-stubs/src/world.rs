//! The security states the tour visits, and how EL3 enters each one.
//!
//! With FEAT_RME, `SCR_EL3.{NSE,NS}` select the security state of the
//! lower ELs (Arm ARM D1.2, "Security states"; `SCR_EL3.NSE` is bit 62):
//!
//! | NSE | NS | state                         |
//! |-----|----|-------------------------------|
//! |  0  |  0 | Secure                        |
//! |  0  |  1 | Non-secure                    |
//! |  1  |  0 | Root (EL3 only: reserved for lower ELs) |
//! |  1  |  1 | Realm                         |
//!
//! EL3 enters a world with `ERET` (Arm ARM D1.4.2 "Exception return"):
//! `SPSR_EL3.M[3:0]` is the target EL and stack pointer (EL1h = 0b0101,
//! EL2h = 0b1001), `ELR_EL3` the target address, and `SCR_EL3` at the time
//! of the `ERET` the target's security state and register width.

use crate::asm::{Asm, a64};
use crate::sysreg::{
    ELR_EL3, ESR_EL3, HCR_EL2, SCR_EL3, SCTLR_EL1, SCTLR_EL2, SCTLR_EL3, SP_EL1, SP_EL2, SPSR_EL3, VBAR_EL1, VBAR_EL2,
    VBAR_EL3,
};
use crate::uart::{self, Console};
use crate::vectors;
use dynasmrt::DynamicLabel;

/// `SCR_EL3.NS` \[0\]: lower ELs are Non-secure (or Realm with NSE).
pub const SCR_NS: u64 = 1 << 0;
/// `SCR_EL3.IRQ` \[1\]: physical IRQs are taken to EL3.
pub const SCR_IRQ: u64 = 1 << 1;
/// `SCR_EL3.FIQ` \[2\]: physical FIQs are taken to EL3.
pub const SCR_FIQ: u64 = 1 << 2;
/// `SCR_EL3.EA` \[3\]: External aborts and SErrors are taken to EL3.
pub const SCR_EA: u64 = 1 << 3;
/// `SCR_EL3` bits \[5:4\] are RES1.
pub const SCR_RES1: u64 = (1 << 4) | (1 << 5);
/// `SCR_EL3.SMD` \[7\]: SMC disabled (kept 0: the worlds return with SMC).
pub const SCR_SMD: u64 = 1 << 7;
/// `SCR_EL3.HCE` \[8\]: HVC enabled.
pub const SCR_HCE: u64 = 1 << 8;
/// `SCR_EL3.RW` \[10\]: the next lower EL is AArch64.
pub const SCR_RW: u64 = 1 << 10;
/// `SCR_EL3.EEL2` \[18\]: Secure EL2 enabled (kept 0: Secure EL1 is entered
/// directly).
pub const SCR_EEL2: u64 = 1 << 18;
/// `SCR_EL3.NSE` \[62\] (FEAT_RME).
pub const SCR_NSE: u64 = 1 << 62;
/// The `SCR_EL3` bits common to every world: RES1, IRQ/FIQ/EA routed to
/// EL3 (so anything unexpected lands in the EL3 vectors), HCE, RW; SMD = 0,
/// EEL2 = 0.
pub const SCR_COMMON: u64 = SCR_RES1 | SCR_IRQ | SCR_FIQ | SCR_EA | SCR_HCE | SCR_RW;

/// `SPSR_ELx.M[3:0]` = EL1h (EL1, SP_EL1).
pub const SPSR_M_EL1H: u64 = 0b0101;
/// `SPSR_ELx.M[3:0]` = EL2h (EL2, SP_EL2).
pub const SPSR_M_EL2H: u64 = 0b1001;
/// `SPSR_ELx.{D,A,I,F}` \[9:6\]: all exceptions masked.
pub const SPSR_DAIF: u64 = 0xf << 6;

/// `SCTLR_EL1` RES1 bits (11, 20, 22, 23, 28, 29; TF-A `SCTLR_EL1_RES1`):
/// MMU, caches and alignment checks off, little-endian.
pub const SCTLR_EL1_RES1: u64 = (1 << 29) | (1 << 28) | (1 << 23) | (1 << 22) | (1 << 20) | (1 << 11);
/// `SCTLR_EL2` (with `HCR_EL2.E2H` = 0) and `SCTLR_EL3` RES1 bits (4, 5,
/// 11, 16, 18, 22, 23, 28, 29; TF-A `SCTLR_EL2_RES1`/`SCTLR_EL3_RES1`):
/// MMU, caches and alignment checks off, little-endian.
pub const SCTLR_EL2_EL3_RES1: u64 =
    (1 << 29) | (1 << 28) | (1 << 23) | (1 << 22) | (1 << 18) | (1 << 16) | (1 << 11) | (1 << 5) | (1 << 4);
/// `HCR_EL2.RW` \[31\]: EL1 is AArch64. Everything else 0 (`E2H` = 0, no
/// traps, no stage 2).
pub const HCR_EL2_RW: u64 = 1 << 31;

/// SMCCC function id base of the worlds' "I am done" calls: fast call
/// (bit 31), SMC64 (bit 30), owning entity 2 (SiP service calls).
pub const SMC_FID_BASE: u32 = 0xc200_0000;

/// A (security state, EL) the tour visits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum World {
    /// Secure EL1 (`SCR_EL3.{NSE,NS}` = 0,0; `EEL2` = 0).
    SecureEl1,
    /// Realm EL2 (`SCR_EL3.{NSE,NS}` = 1,1).
    RealmEl2,
    /// Non-secure EL2 (`SCR_EL3.{NSE,NS}` = 0,1).
    NonSecureEl2,
}

impl World {
    /// The order of the tour.
    pub const TOUR: [World; 3] = [World::SecureEl1, World::RealmEl2, World::NonSecureEl2];

    /// Position in [`World::TOUR`].
    pub fn index(self) -> u32 {
        match self {
            World::SecureEl1 => 0,
            World::RealmEl2 => 1,
            World::NonSecureEl2 => 2,
        }
    }

    /// The security state's name as printed ("Secure", "Realm", "Non-secure").
    pub fn state_name(self) -> &'static str {
        match self {
            World::SecureEl1 => "Secure",
            World::RealmEl2 => "Realm",
            World::NonSecureEl2 => "Non-secure",
        }
    }

    /// The exception level the world runs at.
    pub fn el(self) -> u8 {
        match self {
            World::SecureEl1 => 1,
            World::RealmEl2 | World::NonSecureEl2 => 2,
        }
    }

    /// `SCR_EL3` while the world runs.
    pub fn scr_el3(self) -> u64 {
        SCR_COMMON
            | match self {
                World::SecureEl1 => 0,
                World::RealmEl2 => SCR_NSE | SCR_NS,
                World::NonSecureEl2 => SCR_NS,
            }
    }

    /// `SPSR_EL3` for the `ERET` into the world: its EL with SP_ELx, DAIF
    /// masked, AArch64.
    pub fn spsr_el3(self) -> u64 {
        SPSR_DAIF | if self.el() == 1 { SPSR_M_EL1H } else { SPSR_M_EL2H }
    }

    /// The SMC function id the world passes in w0 when it returns.
    pub fn smc_function_id(self) -> u32 {
        SMC_FID_BASE + self.index()
    }

    /// Symbol of the world's entry point in the image.
    pub fn entry_symbol(self) -> &'static str {
        match self {
            World::SecureEl1 => "secure_el1_entry",
            World::RealmEl2 => "realm_el2_entry",
            World::NonSecureEl2 => "non_secure_el2_entry",
        }
    }

    /// Symbol of the EL3 code that enters the world.
    pub fn enter_symbol(self) -> &'static str {
        match self {
            World::SecureEl1 => "enter_secure_el1",
            World::RealmEl2 => "enter_realm_el2",
            World::NonSecureEl2 => "enter_non_secure_el2",
        }
    }

    /// The first part of the world's line, before the EL digit the world
    /// reads from `CurrentEL`: "Secure EL".
    pub fn line_head(self) -> String {
        format!("{} EL", self.state_name())
    }

    /// The rest of the world's line after the EL digit.
    pub fn line_tail(self) -> String {
        format!(": hello from the {} world\n", self.state_name().to_lowercase())
    }

    /// The whole line the world prints (without the newline).
    pub fn line(self) -> String {
        format!("{}{}{}", self.line_head(), self.el(), self.line_tail().trim_end_matches('\n'))
    }
}

/// Width of one entry of the state-name table [`emit_state_names`] emits.
pub const STATE_NAME_STRIDE: u32 = 16;

/// Emits a table of the four security states' names, indexed by
/// `SCR_EL3.NSE:NS` ([`STATE_NAME_STRIDE`] bytes each, NUL padded), at `l`.
pub fn emit_state_names(a: &mut Asm, l: DynamicLabel) {
    a.align(16);
    a.symbol("state_names");
    a64!(a.ops ; =>l);
    for name in ["Secure", "Non-secure", "Root", "Realm"] {
        let mut entry = [0u8; STATE_NAME_STRIDE as usize];
        entry[..name.len()].copy_from_slice(name.as_bytes());
        a.ops.extend(entry);
    }
}

/// Emits the EL3 code that enters `world` at `entry` with its stack
/// pointer at `stack_top` and its vectors at `vbar`: the target EL's SCTLR
/// (and HCR_EL2 for EL2) set to known values with the MMU off,
/// VBAR_EL1/VBAR_EL2, SP_EL1/SP_EL2, SCR_EL3, SPSR_EL3, ELR_EL3, then
/// `ERET`. Clobbers x0.
pub fn emit_enter(a: &mut Asm, world: World, entry: DynamicLabel, stack_top: u64, vbar: DynamicLabel) {
    emit_enter_with_scr(a, world, world.scr_el3(), entry, stack_top, vbar)
}

/// [`emit_enter`] with an explicit `SCR_EL3` value (the world's
/// [`World::scr_el3`] plus extra controls such as `SCR_EL3.GPF`). `scr`
/// must select the world's security state. Clobbers x0.
pub fn emit_enter_with_scr(a: &mut Asm, world: World, scr: u64, entry: DynamicLabel, stack_top: u64, vbar: DynamicLabel) {
    assert_eq!(scr & (SCR_NSE | SCR_NS), world.scr_el3() & (SCR_NSE | SCR_NS), "{world:?}: SCR_EL3 {scr:#x}");
    if world.el() == 1 {
        a.mov_imm(0, SCTLR_EL1_RES1);
        a64!(a.ops ; msr SCTLR_EL1, x0 ; adr x0, =>vbar ; msr VBAR_EL1, x0);
        a.mov_imm(0, stack_top);
        a64!(a.ops ; msr SP_EL1, x0);
    } else {
        a.mov_imm(0, HCR_EL2_RW);
        a64!(a.ops ; msr HCR_EL2, x0);
        a.mov_imm(0, SCTLR_EL2_EL3_RES1);
        a64!(a.ops ; msr SCTLR_EL2, x0 ; adr x0, =>vbar ; msr VBAR_EL2, x0);
        a.mov_imm(0, stack_top);
        a64!(a.ops ; msr SP_EL2, x0);
    }
    a.mov_imm(0, scr);
    a64!(a.ops ; msr SCR_EL3, x0);
    a.mov_imm(0, world.spsr_el3());
    a64!(a.ops
        ; msr SPSR_EL3, x0
        ; adr x0, =>entry
        ; msr ELR_EL3, x0
        ; isb
        ; eret
    );
}

/// Emits EL3 code printing "`<State> EL<n>`" of the lower EL that trapped
/// to EL3: the state from `SCR_EL3.{NSE,NS}` (looked up in the table at
/// `state_names`, see [`emit_state_names`]), the EL from
/// `SPSR_EL3.M[3:2]`. Clobbers as the console routines (x0, x1, x9-x12,
/// x30).
pub fn emit_print_caller(a: &mut Asm, con: &Console, state_names: DynamicLabel) {
    a64!(a.ops
        ; mrs x0, SCR_EL3
        ; lsr x9, x0, 61            // SCR_EL3.NSE (bit 62) to bit 1
        ; and x9, x9, 2
        ; and x10, x0, 1            // SCR_EL3.NS
        ; orr x9, x9, x10
        ; adr x0, =>state_names
        ; add x0, x0, x9, lsl 4     // STATE_NAME_STRIDE = 16
        ; bl =>con.puts
    );
    con.print(a, " EL");
    a64!(a.ops
        ; mrs x0, SPSR_EL3
        ; ubfx x0, x0, 2, 2         // SPSR_EL3.M[3:2]: the EL the exception came from
        ; add x0, x0, b'0' as u32
        ; bl =>con.putc
    );
}

/// Emits the world's own code at `entry`: print its line (the EL digit
/// from `CurrentEL`), then `SMC #0` with w0 = its function id. EL3 never
/// returns to it; should it, the world waits in WFI.
pub fn emit_world(a: &mut Asm, con: &Console, world: World, entry: DynamicLabel) {
    emit_world_entry(a, world.entry_symbol(), entry);
    con.print_who(a, world.state_name());
    con.print(a, &world.line_tail());
    emit_smc_and_stop(a, world.smc_function_id());
}

/// Emits the start of a world's code, named `symbol`, at `entry` (where
/// EL3's `ERET` lands): clears x27, the re-entry guard of the world's
/// vectors (`vectors::emit_world_vectors`, the GPF demo's EL2 vectors).
pub fn emit_world_entry(a: &mut Asm, symbol: &'static str, entry: DynamicLabel) {
    a.symbol(symbol);
    a64!(a.ops ; =>entry ; movz x27, 0);
}

/// Emits a world's last words: `SMC #0` with w0 = `function_id` (SMCCC:
/// the function id is W0; x1-x7 carry what the caller put there), then,
/// as EL3 is not expected to return, a wait in WFI for good.
pub fn emit_smc_and_stop(a: &mut Asm, function_id: u32) {
    a.mov_imm(0, u64::from(function_id));
    a64!(a.ops ; smc 0);
    a.wfi_forever();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scr_values() {
        assert_eq!(World::SecureEl1.scr_el3(), 0x53e);
        assert_eq!(World::NonSecureEl2.scr_el3(), 0x53f);
        assert_eq!(World::RealmEl2.scr_el3(), 0x4000_0000_0000_053f);
        for w in World::TOUR {
            let scr = w.scr_el3();
            assert_eq!(scr & (SCR_SMD | SCR_EEL2), 0, "{w:?}");
            assert_eq!(scr & (SCR_RES1 | SCR_RW | SCR_HCE), SCR_RES1 | SCR_RW | SCR_HCE, "{w:?}");
        }
    }

    #[test]
    fn spsr_values() {
        assert_eq!(World::SecureEl1.spsr_el3(), 0x3c5);
        assert_eq!(World::RealmEl2.spsr_el3(), 0x3c9);
        assert_eq!(World::NonSecureEl2.spsr_el3(), 0x3c9);
    }

    #[test]
    fn sctlr_res1() {
        assert_eq!(SCTLR_EL1_RES1, 0x30d0_0800);
        assert_eq!(SCTLR_EL2_EL3_RES1, 0x30c5_0830);
    }

    #[test]
    fn lines() {
        assert_eq!(World::SecureEl1.line(), "Secure EL1: hello from the secure world");
        assert_eq!(World::RealmEl2.line(), "Realm EL2: hello from the realm world");
        assert_eq!(World::NonSecureEl2.line(), "Non-secure EL2: hello from the non-secure world");
        assert_eq!(World::RealmEl2.smc_function_id(), 0xc200_0001);
    }
}

/// A marker in x28 while EL3 reports an unexpected exception: a second
/// exception during the report goes straight to power-off.
pub const REPORT_GUARD: u64 = 0x5245_504f_5254; // "REPORT"

/// The labels every EL3 image of this crate has, and the code around them
/// that does not depend on what the image is for.
#[derive(Debug, Clone, Copy)]
pub struct El3Labels {
    /// Where the reset vector branches to ([`emit_el3_reset`]).
    pub entry: DynamicLabel,
    /// The EL3 vector table (`VBAR_EL3`).
    pub vectors: DynamicLabel,
    /// The "lower EL using AArch64, synchronous" vector's handler: the
    /// image's own.
    pub sync_lower: DynamicLabel,
    /// Every other vector's: the unexpected-exception reporter
    /// ([`emit_el3_unexpected`]).
    pub unexpected: DynamicLabel,
    /// The "FAILED, powering off" path ([`emit_el3_fail`]).
    pub fail: DynamicLabel,
    /// Power-off (`power::emit_power_off`).
    pub power_off: DynamicLabel,
    /// The state-name table ([`emit_state_names`]).
    pub state_names: DynamicLabel,
}

impl El3Labels {
    pub fn new(a: &mut Asm) -> El3Labels {
        let mut n = || a.ops.new_dynamic_label();
        El3Labels {
            entry: n(),
            vectors: n(),
            sync_lower: n(),
            unexpected: n(),
            fail: n(),
            power_off: n(),
            state_names: n(),
        }
    }

    /// Emits the start of an image loaded at the reset address: the reset
    /// vector, where the CPU starts in EL3 (Root) with the MMU off, branching
    /// to `entry`; then the EL3 vector table
    /// ([`vectors::emit_el3_vectors`]).
    pub fn emit_reset_and_vectors(&self, a: &mut Asm) {
        a.symbol("reset");
        a64!(a.ops ; b =>self.entry);
        vectors::emit_el3_vectors(a, self.vectors, self.sync_lower, self.unexpected);
    }

    /// Emits the ways an EL3 image fails: the unexpected-exception
    /// reporter (its stack at `stack_top`), then the failure path printing
    /// `failure_line`; both end at `power_off`, which the image emits
    /// (`power::emit_power_off`).
    pub fn emit_failure(&self, a: &mut Asm, con: &Console, stack_top: u64, failure_line: &str) {
        emit_el3_unexpected(a, con, *self, stack_top);
        emit_el3_fail(a, con, *self, failure_line);
    }
}

/// Emits the EL3 code the reset vector branches to, at `entry` (symbol
/// `el3_entry`), up to a working console: PSTATE.{D,A,I,F} masked (as at
/// reset already), `SCTLR_EL3` with the MMU (M), caches (C, I) and
/// alignment checks (A) off and little-endian data (EE = 0), its reset
/// value being partly UNKNOWN; `SP_EL3` = `stack_top` (PSTATE.SP = 1 at
/// reset: `sp` is SP_EL3); `VBAR_EL3` = `vbar`; x28 = 0, no
/// unexpected-exception report in progress ([`REPORT_GUARD`]); UART0
/// programmed ([`uart::emit_init`]). Clobbers x0, x9, x10.
pub fn emit_el3_reset(a: &mut Asm, entry: DynamicLabel, vbar: DynamicLabel, stack_top: u64) {
    a.symbol("el3_entry");
    a64!(a.ops
        ; =>entry
        ; msr daifset, 0xf
    );
    a.mov_imm(0, SCTLR_EL2_EL3_RES1);
    a64!(a.ops ; msr SCTLR_EL3, x0 ; isb);
    a.mov_imm(0, stack_top);
    a64!(a.ops
        ; mov sp, x0
        ; adr x0, =>vbar
        ; msr VBAR_EL3, x0
        ; isb
        ; movz x28, 0
    );
    uart::emit_init(a);
}

/// Every other EL3 vector (x23 = its offset), and a synchronous exception
/// from a lower EL the firmware did not expect: report ESR_EL3, ELR_EL3 and
/// the vector on a fresh stack at `stack_top`, then fail. An exception
/// while reporting goes straight to power-off.
pub fn emit_el3_unexpected(a: &mut Asm, con: &Console, l: El3Labels, stack_top: u64) {
    a.symbol("el3_unexpected");
    a64!(a.ops ; =>l.unexpected);
    a.mov_imm(9, REPORT_GUARD);
    a64!(a.ops
        ; cmp x28, x9
        ; b.eq =>l.power_off
        ; mov x28, x9
        ; mrs x22, ESR_EL3
        ; mrs x24, ELR_EL3
    );
    a.mov_imm(0, stack_top);
    a64!(a.ops ; mov sp, x0);
    con.print_who(a, "Root");
    con.print(a, ": unexpected exception ESR=0x");
    con.print_hex(a, 22, 16);
    con.print(a, " ELR=0x");
    con.print_hex(a, 24, 16);
    con.print(a, " vector=+0x");
    con.print_hex(a, 23, 3);
    con.print(a, "\n");
    a64!(a.ops ; b =>l.fail);
}

/// Emits the end of a failed run at `l.fail` (symbol `el3_fail`): prints
/// `failure_line` (a `Root EL3: ...` line, see [`Console::print_line`]),
/// then branches to `l.power_off`.
pub fn emit_el3_fail(a: &mut Asm, con: &Console, l: El3Labels, failure_line: &str) {
    a.symbol("el3_fail");
    a64!(a.ops ; =>l.fail);
    con.print_line(a, failure_line);
    a64!(a.ops ; b =>l.power_off);
}
