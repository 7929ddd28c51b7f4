//! The granule protection fault demo: EL3 firmware that builds a Granule
//! Protection Table at run time, turns the Granule Protection Check on,
//! lets a Non-secure EL2 load hit a Realm granule and checks the fault
//! each routing gives (`rme-emu boot --demo gpf`).
//!
//! What it does, in order (every line it prints is in [`GPF_DEMO_LINES`]):
//!
//! 1. Root EL3, from reset: console, banner; writes [`REALM_SECRET`] into
//!    the granule at [`REALM_GRANULE`] (the check is still off, so the Root
//!    store goes through); builds the GPT described below; programs
//!    `GPTBR_EL3` and `GPCCR_EL3` (PPS 64 GB, PGS 4 KB, GPT fetches Normal
//!    write-back inner shareable as TF-A programs them, GPC = 1), then
//!    `ISB ; TLBI PAALL ; DSB SY ; ISB`; prints both registers read back.
//! 2. `ERET` to Non-secure EL2 (`SCR_EL3.{NSE,NS}` = 0,1, `RW`, `HCE` and
//!    `GPF` = 1; MMU off, so PA = VA) which prints a line and loads from
//!    the Realm granule. The Granule Protection Check fails (GPI Realm,
//!    access in the Non-secure PAS) and, `SCR_EL3.GPF` being 1, the fault
//!    is taken to EL3 as a GPC exception (Arm ARM D9, EC 0x1E), at the
//!    "lower EL, AArch64, synchronous" vector. EL3 prints `ESR_EL3`,
//!    `MFAR_EL3` and `FAR_EL3` and then a verdict: "as expected" only if
//!    they are what the architecture specifies for this access
//!    ([`EXPECTED_ESR_EL3`], [`EXPECTED_MFAR_EL3`], FAR = the load's VA),
//!    else a FAILED line.
//! 3. EL3 clears `SCR_EL3.GPF` and `ERET`s straight back to the faulting
//!    load (`ELR_EL3` is its address). Now the GPF is reported to the EL
//!    of the access as a Data Abort taken from the same EL (EC 0x25) with
//!    DFSC 0x28 (GPF, not on a table walk); Non-secure EL2's vector table
//!    prints `ESR_EL2`/`FAR_EL2` and passes them to EL3 with `SMC`, which
//!    checks them ([`EXPECTED_ESR_EL2`]).
//! 4. `ERET` to Realm EL2 (`SCR_EL3.{NSE,NS}` = 1,1): the same load in the
//!    Realm PAS is allowed; Realm EL2 prints the value it read and passes
//!    it to EL3 with `SMC`; EL3 checks it is [`REALM_SECRET`] and powers
//!    the platform off.
//!
//! Anything else (an unexpected exception, a wrong syndrome, a load that
//! was not stopped, an exception a world takes at EL2 at the wrong time)
//! prints a line saying what, then [`GPF_DEMO_FAILURE_LINE`], and powers
//! off.
//!
//! ## The GPT (built by guest code: `emit_build_gpt`)
//!
//! `GPCCR_EL3.PPS` = 0b001 (64 GB, 36 bits, as TF-A on FVP), `PGS` = 4 KB,
//! `L0GPTSZ` = 1 GB (read-only, 30 bits): the level 0 table has 64
//! entries (512 bytes) at [`GPT_L0_BASE`] in trusted SRAM.
//!
//! | PA range                  | descriptor(s)                               | GPI |
//! |---------------------------|---------------------------------------------|-----|
//! | every 1 GB region but one | L0 block                                    | any (0xF): ROM, SRAM, MMIO, DRAM above 3 GB |
//! | 0x8000_0000-0xBFFF_FFFF   | L0 table -> L1 table at [`GPT_L1_BASE`]     | see below |
//!
//! The L1 table (16384 entries of 8 bytes = 128 KiB, aligned to its
//! size as `DecodeGPTTable` requires) mixes both L1 descriptor kinds:
//!
//! * 0x8000_0000-0x803F_FFFF (the first two 2 MB blocks): *granules*
//!   descriptors (16 GPIs each), Non-secure (0x9) except the L1 table's
//!   own 128 KiB at 0x8010_0000, Root (0xA) as TF-A keeps its L1 tables
//!   in Root memory, and the one granule at [`REALM_GRANULE`], Realm
//!   (0xB);
//! * the rest: *contiguous* descriptors, 2 MB, Non-secure (each written
//!   into all 32 entries of its block, as TF-A does).
//!
//! The Root and Realm granules are the only ones a Non-secure access may
//! not touch; GPT fetches themselves are not checked.
//!
//! ## Memory
//!
//! ```text
//!  trusted ROM 0x0     the image (reset: b el3_entry; vectors; code; strings)
//!  0x0400_0000   u32 demo phase (PHASE_*)
//!  0x0400_1000   GPT level 0 (512 bytes)
//!  0x0400_2000   EL3 stack (top 0x0400_3000)
//!  0x0400_3000   Non-secure EL2 stack (top 0x0400_4000)
//!  0x0400_4000   Realm EL2 stack (top 0x0400_5000)
//!  0x8010_0000   GPT level 1 for 0x8000_0000-0xBFFF_FFFF (128 KiB)
//!  0x8020_0000   the Realm granule (holds REALM_SECRET)
//! ```
//!
//! ## Registers
//!
//! EL3 keeps its state in x19-x26 and x28 (the console routines preserve
//! them): x19 = address of the phase word, x20 = phase, x21 = the caller's
//! w0 (SMC function id), x22 = a syndrome, x23 = the EL3 vector offset,
//! x24-x26 = fault addresses / the caller's values, x28 = re-entry guard of
//! the unexpected-exception report. The worlds use x0-x7, x9-x12 and x27
//! (their vector tables' re-entry guard); the load's base and destination
//! are x6/x7, which EL3 never touches, so EL3 can resume the load with a
//! plain `ERET`.

use crate::asm::{Asm, a64};
use crate::image::FirmwareImage;
use crate::platform::{TRUSTED_ROM_BASE, TRUSTED_SRAM_BASE};
use crate::sysreg::{ESR_EL2, ESR_EL3, FAR_EL2, FAR_EL3, GPCCR_EL3, GPTBR_EL3, MFAR_EL3, SCR_EL3, SPSR_EL3};
use crate::uart::Console;
use crate::vectors;
use crate::world::{self, SCR_NS, SCR_NSE, SMC_FID_BASE, World};
use dynasmrt::DynamicLabel;

/// Name of the image (`built-in image gpf-demo`).
pub const NAME: &str = "gpf-demo";

/// Address of the demo's phase word (which step EL3 expects next).
pub const DEMO_STATE: u64 = TRUSTED_SRAM_BASE;
/// Phase 0: Non-secure EL2's first load, a GPF taken to EL3 expected.
pub const PHASE_GPF_TO_EL3: u32 = 0;
/// Phase 1: the retried load, a Data Abort at Non-secure EL2 expected.
pub const PHASE_GPF_TO_EL2: u32 = 1;
/// Phase 2: the Realm EL2 load, success expected.
pub const PHASE_REALM_LOAD: u32 = 2;

/// Level 0 GPT: trusted SRAM (TF-A on FVP uses 0x0400_3000).
pub const GPT_L0_BASE: u64 = TRUSTED_SRAM_BASE + 0x1000;
/// Top of the EL3 stack.
pub const EL3_STACK_TOP: u64 = TRUSTED_SRAM_BASE + 0x3000;
/// Top of the Non-secure EL2 stack.
pub const NS_EL2_STACK_TOP: u64 = TRUSTED_SRAM_BASE + 0x4000;
/// Top of the Realm EL2 stack.
pub const REALM_EL2_STACK_TOP: u64 = TRUSTED_SRAM_BASE + 0x5000;

/// The 1 GB region the level 1 table describes (DRAM0's first GB).
pub const GPT_L1_REGION: u64 = 0x8000_0000;
/// Level 1 GPT for [`GPT_L1_REGION`], in DRAM.
pub const GPT_L1_BASE: u64 = 0x8010_0000;
/// The granule marked Realm.
pub const REALM_GRANULE: u64 = 0x8020_0000;
/// What EL3 stores in the Realm granule before the check is on ("REALMDAT").
pub const REALM_SECRET: u64 = 0x5245_414c_4d44_4154;

/// `GPCCR_EL3.PPS` = 0b001: 64 GB protected (36 bits).
pub const PPS_FIELD: u64 = 0b001;
/// log2 of the protected physical address size.
pub const PPS_BITS: u32 = 36;
/// log2 of a level 0 entry's region (`GPCCR_EL3.L0GPTSZ` = 0, read-only).
pub const L0GPTSZ_BITS: u32 = 30;
/// log2 of the granule (`GPCCR_EL3.PGS` = 0b00, 4 KB).
pub const PGS_BITS: u32 = 12;
/// Level 0 entries: PA\[PPS-1:L0GPTSZ\].
pub const L0_ENTRIES: u64 = 1 << (PPS_BITS - L0GPTSZ_BITS);
/// Level 1 entries per table: PA\[L0GPTSZ-1:PGS+4\] (16 GPIs each).
pub const L1_ENTRIES: u64 = 1 << (L0GPTSZ_BITS - PGS_BITS - 4);
/// Bytes of one level 1 table (also its required alignment).
pub const L1_TABLE_BYTES: u64 = L1_ENTRIES * 8;
/// L1 entries of one 2 MB contiguous block.
pub const L1_ENTRIES_PER_2MB: u64 = (2 << 20) >> (PGS_BITS + 4);
/// The L1 entries written as granules descriptors: the first two 2 MB
/// blocks (the L1 table and the Realm granule live there).
pub const L1_GRANULES_ENTRIES: u64 = 2 * L1_ENTRIES_PER_2MB;

/// GPI encodings (Arm ARM D9, `GPIValid`).
pub const GPI_NS: u64 = 0b1001;
pub const GPI_ROOT: u64 = 0b1010;
pub const GPI_REALM: u64 = 0b1011;
pub const GPI_ANY: u64 = 0b1111;

/// Level 0 block descriptor: GPI any.
pub const GPT_L0_BLOCK_ANY: u64 = (GPI_ANY << 4) | 0b0001;
/// Level 0 table descriptor pointing to [`GPT_L1_BASE`].
pub const GPT_L0_TABLE: u64 = GPT_L1_BASE | 0b0011;
/// Level 1 contiguous descriptor: 2 MB (`Contig` = 0b01), GPI Non-secure.
pub const GPT_L1_CONTIG_2MB_NS: u64 = (0b01 << 8) | (GPI_NS << 4) | 0b0001;
/// Level 1 granules descriptor with all 16 GPIs `gpi`.
pub const fn gpt_l1_granules(gpi: u64) -> u64 {
    gpi * 0x1111_1111_1111_1111
}
/// Index of the level 1 entry of `pa` (inside [`GPT_L1_REGION`]).
pub const fn l1_index(pa: u64) -> u64 {
    (pa - GPT_L1_REGION) >> (PGS_BITS + 4)
}
/// The level 1 entry holding the Realm granule: Non-secure granules with
/// the one GPI of [`REALM_GRANULE`] (GPI index PA\[15:12\]) set to Realm.
pub const GPT_L1_REALM_ENTRY: u64 = {
    let shift = 4 * ((REALM_GRANULE >> PGS_BITS) & 0xf);
    (gpt_l1_granules(GPI_NS) & !(0xf << shift)) | (GPI_REALM << shift)
};

/// Level 0 entry `i` as the demo writes it (for checks of the memory
/// after a run).
pub const fn gpt_l0_entry(i: u64) -> u64 {
    if i == GPT_L1_REGION >> L0GPTSZ_BITS { GPT_L0_TABLE } else { GPT_L0_BLOCK_ANY }
}

/// Level 1 entry `i` as the demo writes it.
pub const fn gpt_l1_entry(i: u64) -> u64 {
    if i == l1_index(REALM_GRANULE) {
        GPT_L1_REALM_ENTRY
    } else if i >= l1_index(GPT_L1_BASE) && i < l1_index(GPT_L1_BASE + L1_TABLE_BYTES) {
        gpt_l1_granules(GPI_ROOT)
    } else if i < L1_GRANULES_ENTRIES {
        gpt_l1_granules(GPI_NS)
    } else {
        GPT_L1_CONTIG_2MB_NS
    }
}

/// `GPCCR_EL3` as the demo programs it (TF-A's value for FVP): PPS 64 GB,
/// IRGN = ORGN = 0b01 (write-back read/write-allocate), SH = 0b11 (inner
/// shareable), PGS = 0b00 (4 KB, bits \[15:14\] left 0), GPC = 1.
pub const GPCCR_VALUE: u64 = PPS_FIELD | (0b01 << 8) | (0b01 << 10) | (0b11 << 12) | (1 << 16);
/// `GPTBR_EL3`: BADDR = PA\[51:12\] of the level 0 table.
pub const GPTBR_VALUE: u64 = GPT_L0_BASE >> 12;
/// `TLBI PAALL` (FEAT_RME; dynasm has no mnemonic for it).
pub const TLBI_PAALL: u32 = 0xd50e_879f;

/// `SCR_EL3.GPF` \[48\]: GPFs from lower ELs are taken to EL3.
pub const SCR_GPF: u64 = 1 << 48;

/// `ESR_ELx.EC` of an SMC from AArch64.
pub const EC_SMC64: u64 = 0x17;
/// `ESR_EL3.EC` of a GPC exception.
pub const EC_GPC: u64 = 0x1e;
/// `ESR_ELx.EC` of a Data Abort taken without a change of EL.
pub const EC_DATA_ABORT_SAME_EL: u64 = 0x25;
/// `ESR_ELx.IL` \[25\] (not checked: the verdicts compare every other bit).
pub const ESR_IL: u64 = 1 << 25;
/// GPCSC of a GPF at GPT level 1 (ISS\[19:14\]).
pub const GPCSC_GPF_L1: u64 = 0b001101;
/// xFSC/DFSC 0x28: granule protection fault, not on a translation table walk.
pub const FSC_GPF: u64 = 0b101000;
/// The `ESR_EL3` the architecture specifies for the Non-secure EL2 load:
/// EC 0x1E, IL 1, S2PTW 0, InD 0 (data), GPCSC 0b001101 (GPF at level 1),
/// VNCR 0, CM 0, S1PTW 0, WnR 0 (a load), xFSC 0x28.
pub const EXPECTED_ESR_EL3: u64 = (EC_GPC << 26) | ESR_IL | (GPCSC_GPF_L1 << 14) | FSC_GPF;
/// `MFAR_EL3`: the PA with the access's PAS, Non-secure (NS = 1, NSE = 0).
pub const EXPECTED_MFAR_EL3: u64 = (1 << 63) | REALM_GRANULE;
/// The `ESR_EL2` of the retried load: EC 0x25, IL 1, ISV 0, everything
/// else 0 but DFSC 0x28.
pub const EXPECTED_ESR_EL2: u64 = (EC_DATA_ABORT_SAME_EL << 26) | ESR_IL | FSC_GPF;
/// The EL2 vector the abort must arrive at: current EL with SP_ELx, sync.
pub const EL2_SYNC_SPX: u64 = 0x200;

/// SMC function ids the worlds use (SiP fast SMC64 calls, after the world
/// tour's 0xc200_0000-0xc200_0002).
pub const FID_EL2_EXCEPTION: u32 = SMC_FID_BASE + 0x10;
/// Realm EL2 read the granule: x1 = the value.
pub const FID_REALM_LOADED: u32 = SMC_FID_BASE + 0x11;
/// Non-secure EL2's load was not stopped: x1 = the value.
pub const FID_NS_LOADED: u32 = SMC_FID_BASE + 0x12;

/// The banner, after "Root EL3: ".
pub const BANNER: &str = "rme-emu firmware stubs: granule protection fault demo";

/// Every line the demo prints, in order (without the newline).
pub const GPF_DEMO_LINES: &[&str] = &[
    "Root EL3: rme-emu firmware stubs: granule protection fault demo",
    "Root EL3: GPT built: 0x80200000 Realm, 0x80100000-0x8011ffff Root (L1 table), \
     rest of 0x80000000-0xbfffffff Non-secure, other 1 GB regions any",
    "Root EL3: GPC on: GPCCR_EL3=0x0000000000013501 GPTBR_EL3=0x0000000000004001; \
     entering Non-secure EL2 with SCR_EL3.GPF=1",
    "Non-secure EL2: loading from Realm granule 0x80200000",
    "Root EL3: GPF from Non-secure EL2: ESR_EL3=0x000000007a034028 MFAR_EL3=0x8000000080200000 \
     FAR_EL3=0x0000000080200000",
    "Root EL3: granule protection fault as expected (EC 0x1E, GPCSC 0x0d: GPF at level 1, xFSC 0x28)",
    "Root EL3: SCR_EL3.GPF=0, retrying the load in Non-secure EL2",
    "Non-secure EL2: exception (vector +0x200): ESR_EL2=0x0000000096000028 FAR_EL2=0x0000000080200000",
    "Root EL3: GPF reported to Non-secure EL2 as expected (EC 0x25: data abort from EL2, DFSC 0x28)",
    "Realm EL2: read 0x5245414c4d444154 from Realm granule 0x80200000",
    "Root EL3: Realm access allowed as expected; GPF demo passed, powering off",
];

/// The line the demo prints, before powering off, when something went
/// wrong (after a line saying what).
pub const GPF_DEMO_FAILURE_LINE: &str = "Root EL3: GPF demo FAILED, powering off";

/// Assembles the demo (deterministic: the same bytes every call).
pub fn gpf_demo() -> FirmwareImage {
    let mut a = Asm::new(TRUSTED_ROM_BASE);
    let l = Labels::new(&mut a);
    let con = Console::new(&mut a);

    l.el3.emit_reset_and_vectors(&mut a);

    emit_el3_entry(&mut a, &con, &l);
    emit_build_gpt(&mut a);
    emit_enable_gpc(&mut a, &con, &l);
    emit_el3_sync_lower(&mut a, &con, &l);
    emit_el3_gpc(&mut a, &con, &l);
    emit_el3_el2_exception(&mut a, &con, &l);
    emit_el3_realm_loaded(&mut a, &con, &l);
    l.el3.emit_failure(&mut a, &con, EL3_STACK_TOP, GPF_DEMO_FAILURE_LINE);
    crate::power::emit_power_off(&mut a, l.el3.power_off);

    con.emit_routines(&mut a);
    emit_non_secure_el2(&mut a, &con, &l);
    emit_realm_el2(&mut a, &con, &l);
    emit_el2_vectors(&mut a, &con, World::NonSecureEl2, l.ns_el2_vectors);
    emit_el2_vectors(&mut a, &con, World::RealmEl2, l.realm_el2_vectors);
    world::emit_state_names(&mut a, l.el3.state_names);

    a.finish(NAME, TRUSTED_ROM_BASE)
}

/// Labels the code jumps between.
struct Labels {
    el3: world::El3Labels,
    el3_gpc: DynamicLabel,
    el3_el2_exception: DynamicLabel,
    el3_realm_loaded: DynamicLabel,
    el3_ns_loaded: DynamicLabel,
    ns_el2_entry: DynamicLabel,
    realm_el2_entry: DynamicLabel,
    ns_el2_vectors: DynamicLabel,
    realm_el2_vectors: DynamicLabel,
}

impl Labels {
    fn new(a: &mut Asm) -> Labels {
        let el3 = world::El3Labels::new(a);
        let mut n = || a.ops.new_dynamic_label();
        Labels {
            el3,
            el3_gpc: n(),
            el3_el2_exception: n(),
            el3_realm_loaded: n(),
            el3_ns_loaded: n(),
            ns_el2_entry: n(),
            realm_el2_entry: n(),
            ns_el2_vectors: n(),
            realm_el2_vectors: n(),
        }
    }
}

/// Emits "phase := `phase`" (x19 = [`DEMO_STATE`]). Clobbers x9.
fn emit_set_phase(a: &mut Asm, phase: u32) {
    a.mov_imm(19, DEMO_STATE);
    a64!(a.ops ; movz w9, phase ; str w9, [x19]);
}

/// Emits "unless phase == `phase`, print `Root EL3: <what>` and fail".
/// Loads the phase into w20. Clobbers as the console routines.
fn emit_expect_phase(a: &mut Asm, con: &Console, l: &Labels, phase: u32, what: &str) {
    a.mov_imm(19, DEMO_STATE);
    a64!(a.ops
        ; ldr w20, [x19]
        ; cmp w20, phase
        ; b.eq >ok
    );
    con.print_who(a, "Root");
    con.print(a, &format!(": {what}\n"));
    a64!(a.ops
        ; b =>l.el3.fail
        ; ok:
    );
}

/// Emits "unless x`xn` == `value`, branch to `fail`". Clobbers x10.
fn emit_expect_eq(a: &mut Asm, xn: u8, value: u64, fail: DynamicLabel) {
    a.mov_imm(10, value);
    a64!(a.ops
        ; cmp X(xn), x10
        ; b.ne =>fail
    );
}

/// From reset: SCTLR_EL3, SP_EL3, VBAR_EL3, console, banner, phase 0, the
/// Realm granule's contents.
fn emit_el3_entry(a: &mut Asm, con: &Console, l: &Labels) {
    world::emit_el3_reset(a, l.el3.entry, l.el3.vectors, EL3_STACK_TOP);
    con.print_who(a, "Root");
    con.print(a, &format!(": {BANNER}\n"));
    emit_set_phase(a, PHASE_GPF_TO_EL3);
    // The check is off: this Root store to DRAM is not checked.
    a.mov_imm(0, REALM_GRANULE);
    a.mov_imm(1, REALM_SECRET);
    a64!(a.ops ; str x1, [x0]);
}

/// Builds the GPT described in the module docs (loops in guest code).
/// Clobbers x0-x2.
fn emit_build_gpt(a: &mut Asm) {
    a.symbol("build_gpt");
    // Level 0: every entry a block descriptor "any", then the table
    // descriptor for the DRAM region.
    a.mov_imm(0, GPT_L0_BASE);
    a.mov_imm(1, GPT_L0_BLOCK_ANY);
    a.mov_imm(2, L0_ENTRIES);
    a64!(a.ops
        ; l0:
        ; str x1, [x0], 8
        ; subs x2, x2, 1
        ; b.ne <l0
    );
    let l0_index = GPT_L1_REGION >> L0GPTSZ_BITS;
    a.mov_imm(0, GPT_L0_BASE + 8 * l0_index);
    a.mov_imm(1, GPT_L0_TABLE);
    a64!(a.ops ; str x1, [x0]);

    // Level 1: 2 MB contiguous Non-secure descriptors everywhere...
    a.mov_imm(0, GPT_L1_BASE);
    a.mov_imm(1, GPT_L1_CONTIG_2MB_NS);
    a.mov_imm(2, L1_ENTRIES);
    a64!(a.ops
        ; l1_contig:
        ; str x1, [x0], 8
        ; subs x2, x2, 1
        ; b.ne <l1_contig
    );
    // ...but granules descriptors (Non-secure) in the first 4 MB...
    a.mov_imm(0, GPT_L1_BASE);
    a.mov_imm(1, gpt_l1_granules(GPI_NS));
    a.mov_imm(2, L1_GRANULES_ENTRIES);
    a64!(a.ops
        ; l1_granules:
        ; str x1, [x0], 8
        ; subs x2, x2, 1
        ; b.ne <l1_granules
    );
    // ...where the L1 table itself is Root...
    a.mov_imm(0, GPT_L1_BASE);
    a.mov_imm(1, gpt_l1_granules(GPI_ROOT));
    for i in l1_index(GPT_L1_BASE)..l1_index(GPT_L1_BASE + L1_TABLE_BYTES) {
        a64!(a.ops ; str x1, [x0, (8 * i) as u32]);
    }
    // ...and one granule Realm.
    a.mov_imm(1, GPT_L1_REALM_ENTRY);
    a64!(a.ops
        ; str x1, [x0, (8 * l1_index(REALM_GRANULE)) as u32]
        ; dsb sy                    // the GPT is written before the GPC may fetch it
    );
}

/// Programs GPTBR_EL3 and GPCCR_EL3, invalidates cached GPT information,
/// reports, and enters Non-secure EL2 with SCR_EL3.GPF = 1.
fn emit_enable_gpc(a: &mut Asm, con: &Console, l: &Labels) {
    a.symbol("enable_gpc");
    a.mov_imm(0, GPTBR_VALUE);
    a64!(a.ops ; msr GPTBR_EL3, x0);
    a.mov_imm(0, GPCCR_VALUE);
    a64!(a.ops ; msr GPCCR_EL3, x0 ; isb);
    a.ops.extend(TLBI_PAALL.to_le_bytes());
    a64!(a.ops ; dsb sy ; isb);

    con.print_who(a, "Root");
    con.print(
        a,
        ": GPT built: 0x80200000 Realm, 0x80100000-0x8011ffff Root (L1 table), \
         rest of 0x80000000-0xbfffffff Non-secure, other 1 GB regions any\n",
    );
    con.print_who(a, "Root");
    con.print(a, ": GPC on: GPCCR_EL3=0x");
    a64!(a.ops ; mrs x22, GPCCR_EL3 ; mrs x24, GPTBR_EL3);
    con.print_hex(a, 22, 16);
    con.print(a, " GPTBR_EL3=0x");
    con.print_hex(a, 24, 16);
    con.print(a, "; entering Non-secure EL2 with SCR_EL3.GPF=1\n");

    a.symbol("enter_non_secure_el2");
    let w = World::NonSecureEl2;
    world::emit_enter_with_scr(a, w, w.scr_el3() | SCR_GPF, l.ns_el2_entry, NS_EL2_STACK_TOP, l.ns_el2_vectors);
}

/// VBAR_EL3 + 0x400: synchronous exception from a lower EL. A GPC
/// exception goes to `el3_gpc`; an SMC is dispatched on its function id.
fn emit_el3_sync_lower(a: &mut Asm, con: &Console, l: &Labels) {
    a.symbol("el3_sync_lower");
    a64!(a.ops
        ; =>l.el3.sync_lower
        ; mov x21, x0
        ; mrs x22, ESR_EL3
        ; ubfx x9, x22, 26, 6       // ESR_EL3.EC
        ; cmp x9, EC_GPC as u32
        ; b.eq =>l.el3_gpc
        ; cmp x9, EC_SMC64 as u32
        ; b.ne =>l.el3.unexpected
    );
    for (fid, target) in [
        (FID_EL2_EXCEPTION, l.el3_el2_exception),
        (FID_REALM_LOADED, l.el3_realm_loaded),
        (FID_NS_LOADED, l.el3_ns_loaded),
    ] {
        a.mov_imm(10, u64::from(fid));
        a64!(a.ops
            ; cmp w21, w10
            ; b.eq =>target
        );
    }
    con.print_who(a, "Root");
    con.print(a, ": unexpected SMC function id 0x");
    con.print_hex(a, 21, 8);
    con.print(a, "\n");
    a64!(a.ops ; b =>l.el3.fail);

    // Non-secure EL2's load went through: the check did not stop it.
    a.symbol("el3_ns_loaded");
    a64!(a.ops ; =>l.el3_ns_loaded);
    con.print_who(a, "Root");
    con.print(a, ": FAILED: the Non-secure load from the Realm granule was not stopped\n");
    a64!(a.ops ; b =>l.el3.fail);
}

/// A GPC exception (EC 0x1E): print ESR_EL3, MFAR_EL3 and FAR_EL3, check
/// them against what the architecture specifies for Non-secure EL2's
/// load, then clear SCR_EL3.GPF and resume the load.
fn emit_el3_gpc(a: &mut Asm, con: &Console, l: &Labels) {
    a.symbol("el3_gpc");
    a64!(a.ops
        ; =>l.el3_gpc
        ; mrs x24, MFAR_EL3
        ; mrs x25, FAR_EL3
    );
    con.print_who(a, "Root");
    con.print(a, ": GPF from ");
    world::emit_print_caller(a, con, l.el3.state_names);
    con.print(a, ": ESR_EL3=0x");
    con.print_hex(a, 22, 16);
    con.print(a, " MFAR_EL3=0x");
    con.print_hex(a, 24, 16);
    con.print(a, " FAR_EL3=0x");
    con.print_hex(a, 25, 16);
    con.print(a, "\n");
    emit_expect_phase(a, con, l, PHASE_GPF_TO_EL3, "FAILED: a granule protection check failed where none should");

    let wrong = a.ops.new_dynamic_label();
    // Every ESR bit but IL, MFAR_EL3, FAR_EL3, and the caller: Non-secure
    // (SCR_EL3.{NSE,NS} = 0,1) EL2h (SPSR_EL3.M[3:0] = 0b1001).
    a.mov_imm(10, !ESR_IL);
    a64!(a.ops ; and x26, x22, x10);
    emit_expect_eq(a, 26, EXPECTED_ESR_EL3 & !ESR_IL, wrong);
    emit_expect_eq(a, 24, EXPECTED_MFAR_EL3, wrong);
    emit_expect_eq(a, 25, REALM_GRANULE, wrong);
    a.mov_imm(10, SCR_NSE | SCR_NS);
    a64!(a.ops ; mrs x26, SCR_EL3 ; and x26, x26, x10);
    emit_expect_eq(a, 26, SCR_NS, wrong);
    a64!(a.ops ; mrs x26, SPSR_EL3 ; and x26, x26, 0xf);
    emit_expect_eq(a, 26, world::SPSR_M_EL2H, wrong);

    con.print_who(a, "Root");
    con.print(a, ": granule protection fault as expected (EC 0x1E, GPCSC 0x0d: GPF at level 1, xFSC 0x28)\n");
    emit_set_phase(a, PHASE_GPF_TO_EL2);
    con.print_who(a, "Root");
    con.print(a, ": SCR_EL3.GPF=0, retrying the load in Non-secure EL2\n");
    // SPSR_EL3 and ELR_EL3 still describe the faulting load: ERET retries it.
    a.mov_imm(10, SCR_GPF);
    a64!(a.ops
        ; mrs x0, SCR_EL3
        ; bic x0, x0, x10
        ; msr SCR_EL3, x0
        ; isb
        ; eret
    );

    a.symbol("el3_gpc_wrong");
    a64!(a.ops ; =>wrong);
    con.print_who(a, "Root");
    con.print(
        a,
        &format!(
            ": FAILED: expected ESR_EL3={EXPECTED_ESR_EL3:#x} (IL aside) MFAR_EL3={EXPECTED_MFAR_EL3:#x} \
             FAR_EL3={REALM_GRANULE:#x} from Non-secure EL2\n"
        ),
    );
    a64!(a.ops ; b =>l.el3.fail);
}

/// SMC [`FID_EL2_EXCEPTION`] from a world's EL2 vectors (x1 = ESR_EL2,
/// x2 = FAR_EL2, x3 = vector offset): in phase 1 the retried load's Data
/// Abort, checked; then Realm EL2.
fn emit_el3_el2_exception(a: &mut Asm, con: &Console, l: &Labels) {
    a.symbol("el3_el2_exception");
    a64!(a.ops
        ; =>l.el3_el2_exception
        ; mov x22, x1
        ; mov x24, x2
        ; mov x25, x3
    );
    a.mov_imm(19, DEMO_STATE);
    let bad = a.ops.new_dynamic_label();
    let wrong = a.ops.new_dynamic_label();
    a64!(a.ops
        ; ldr w20, [x19]
        ; cmp w20, PHASE_GPF_TO_EL2
        ; b.ne =>bad
    );
    a.mov_imm(10, SCR_NSE | SCR_NS);
    a64!(a.ops ; mrs x26, SCR_EL3 ; and x26, x26, x10);
    emit_expect_eq(a, 26, SCR_NS, bad);
    a.mov_imm(10, !ESR_IL);
    a64!(a.ops ; and x26, x22, x10);
    emit_expect_eq(a, 26, EXPECTED_ESR_EL2 & !ESR_IL, wrong);
    emit_expect_eq(a, 24, REALM_GRANULE, wrong);
    emit_expect_eq(a, 25, EL2_SYNC_SPX, wrong);

    con.print_who(a, "Root");
    con.print(a, ": GPF reported to Non-secure EL2 as expected (EC 0x25: data abort from EL2, DFSC 0x28)\n");
    emit_set_phase(a, PHASE_REALM_LOAD);
    a.symbol("enter_realm_el2");
    let w = World::RealmEl2;
    world::emit_enter_with_scr(a, w, w.scr_el3() | SCR_GPF, l.realm_el2_entry, REALM_EL2_STACK_TOP, l.realm_el2_vectors);

    a.symbol("el3_el2_exception_bad");
    a64!(a.ops ; =>bad);
    con.print_who(a, "Root");
    con.print(a, ": FAILED: unexpected exception taken to ");
    world::emit_print_caller(a, con, l.el3.state_names);
    con.print(a, ": ESR=0x");
    con.print_hex(a, 22, 16);
    con.print(a, " FAR=0x");
    con.print_hex(a, 24, 16);
    con.print(a, " vector=+0x");
    con.print_hex(a, 25, 3);
    con.print(a, "\n");
    a64!(a.ops ; b =>l.el3.fail);

    a.symbol("el3_el2_exception_wrong");
    a64!(a.ops ; =>wrong);
    con.print_who(a, "Root");
    con.print(
        a,
        &format!(
            ": FAILED: expected ESR_EL2={EXPECTED_ESR_EL2:#x} (IL aside) FAR_EL2={REALM_GRANULE:#x} \
             at vector +{EL2_SYNC_SPX:#x}\n"
        ),
    );
    a64!(a.ops ; b =>l.el3.fail);
}

/// SMC [`FID_REALM_LOADED`] (x1 = the value Realm EL2 read): the end.
fn emit_el3_realm_loaded(a: &mut Asm, con: &Console, l: &Labels) {
    a.symbol("el3_realm_loaded");
    a64!(a.ops
        ; =>l.el3_realm_loaded
        ; mov x24, x1
    );
    emit_expect_phase(a, con, l, PHASE_REALM_LOAD, "FAILED: Realm EL2 reported a load out of turn");
    let wrong = a.ops.new_dynamic_label();
    a.mov_imm(10, SCR_NSE | SCR_NS);
    a64!(a.ops ; mrs x26, SCR_EL3 ; and x26, x26, x10);
    emit_expect_eq(a, 26, SCR_NSE | SCR_NS, wrong);
    emit_expect_eq(a, 24, REALM_SECRET, wrong);
    con.print_line(a, GPF_DEMO_LINES.last().expect("lines"));
    a64!(a.ops ; b =>l.el3.power_off);

    a64!(a.ops ; =>wrong);
    con.print_who(a, "Root");
    con.print(a, &format!(": FAILED: expected Realm EL2 to read {REALM_SECRET:#x}\n"));
    a64!(a.ops ; b =>l.el3.fail);
}

/// Non-secure EL2: one line, then the load from the Realm granule (base
/// x6, destination x7). Only if the load is not stopped does it go on, to
/// say so.
fn emit_non_secure_el2(a: &mut Asm, con: &Console, l: &Labels) {
    world::emit_world_entry(a, World::NonSecureEl2.entry_symbol(), l.ns_el2_entry);
    a.mov_imm(6, REALM_GRANULE);
    con.print_who(a, "Non-secure");
    con.print(a, ": loading from Realm granule 0x");
    con.print_hex(a, 6, 8);
    con.print(a, "\n");
    a.symbol("non_secure_el2_load");
    a64!(a.ops ; ldr x7, [x6]);
    con.print_who(a, "Non-secure");
    con.print(a, ": the load was not stopped: read 0x");
    con.print_hex(a, 7, 16);
    con.print(a, "\n");
    a64!(a.ops ; mov x1, x7);
    world::emit_smc_and_stop(a, FID_NS_LOADED);
}

/// Realm EL2: the same load, in the Realm PAS; prints and reports the value.
fn emit_realm_el2(a: &mut Asm, con: &Console, l: &Labels) {
    world::emit_world_entry(a, World::RealmEl2.entry_symbol(), l.realm_el2_entry);
    a.mov_imm(6, REALM_GRANULE);
    a.symbol("realm_el2_load");
    a64!(a.ops ; ldr x7, [x6]);
    con.print_who(a, "Realm");
    con.print(a, ": read 0x");
    con.print_hex(a, 7, 16);
    con.print(a, " from Realm granule 0x");
    con.print_hex(a, 6, 8);
    con.print(a, "\n");
    a64!(a.ops ; mov x1, x7);
    world::emit_smc_and_stop(a, FID_REALM_LOADED);
}

/// A world's EL2 vector table at `table` (VBAR_EL2) and its handler: every
/// entry puts its offset in x5 and goes to the handler, which prints
/// `<State> EL2: exception (vector +0x...): ESR_EL2=0x... FAR_EL2=0x...`
/// and reports to EL3 with `SMC #0`, w0 = [`FID_EL2_EXCEPTION`], x1 =
/// ESR_EL2, x2 = FAR_EL2, x3 = the offset. x27 guards against a fault in
/// the handler itself (the world then stops in WFI).
fn emit_el2_vectors(a: &mut Asm, con: &Console, world: World, table: DynamicLabel) {
    let (handler_symbol, table_symbol) = el2_vector_symbols(world);
    let handler = a.ops.new_dynamic_label();
    let halt = a.ops.new_dynamic_label();
    a.symbol(handler_symbol);
    a64!(a.ops
        ; =>handler
        ; cbnz x27, =>halt
        ; movz x27, 1
        ; mrs x3, ESR_EL2
        ; mrs x4, FAR_EL2
    );
    con.print_who(a, world.state_name());
    con.print(a, ": exception (vector +0x");
    con.print_hex(a, 5, 3);
    con.print(a, "): ESR_EL2=0x");
    con.print_hex(a, 3, 16);
    con.print(a, " FAR_EL2=0x");
    con.print_hex(a, 4, 16);
    con.print(a, "\n");
    a64!(a.ops
        ; mov x1, x3
        ; mov x2, x4
        ; mov x3, x5
    );
    a.mov_imm(0, u64::from(FID_EL2_EXCEPTION));
    a64!(a.ops
        ; smc 0
        ; =>halt
        ; wfi
        ; b =>halt
    );
    vectors::emit_table(a, table_symbol, table, 5, |_| handler);
}

/// Symbols of a world's EL2 exception handler and vector table.
pub fn el2_vector_symbols(world: World) -> (&'static str, &'static str) {
    match world {
        World::NonSecureEl2 => ("ns_el2_exception", "ns_el2_vectors"),
        World::RealmEl2 => ("realm_el2_exception", "realm_el2_vectors"),
        World::SecureEl1 => panic!("the GPF demo has no Secure EL1"),
    }
}

#[cfg(test)]
mod tests;
