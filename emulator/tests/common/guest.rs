//! Hand-assembled guest programs (dynasm) for the emulator's integration
//! tests: system register encodings, the GIC frames of FVP Base RevC,
//! UART0 output, power-off through V2M SYS_CFGCTRL, vector tables, the GIC
//! set-up steps every interrupt test starts with, and a machine to run a
//! program on.
//!
//! Programs are assembled at address 0 and loaded into the trusted ROM at
//! the reset vector, so label offsets are addresses; every CPU starts at
//! EL3 (EL3h, PSTATE.DAIF all set). Register conventions of the helpers:
//! x9-x11 (and x0, x1, x30 for `hex`) are output scratch, x2/x3 power-off,
//! x4-x5 and x20-x22 the GIC set-up, x19 the unexpected-vector report.

#![allow(dead_code)]

use dynasmrt::{DynamicLabel, DynasmApi, DynasmLabelApi, VecAssembler, aarch64::Aarch64Relocation, dynasm};
use rme_devices::BufferSink;
use rme_emu::{Image, Machine, MachineConfig, Stop, UartSinks};

pub type Asm = VecAssembler<Aarch64Relocation>;

// ---------------------------------------------------------------------------
// System registers (dynasm takes MRS/MSR's `o0:op1:CRn:CRm:op2` as one
// 15-bit number, see rme-firmware-stubs' sysreg.rs). Encodings from the
// Arm ARM and IHI 0069 12.2 "AArch64 System register descriptions".
// ---------------------------------------------------------------------------

pub const fn sysreg(op0: u32, op1: u32, crn: u32, crm: u32, op2: u32) -> u32 {
    ((op0 - 2) << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2
}

pub const MPIDR_EL1: u32 = sysreg(3, 0, 0, 0, 5);
pub const SCR_EL3: u32 = sysreg(3, 6, 1, 1, 0);
pub const HCR_EL2: u32 = sysreg(3, 4, 1, 1, 0);
pub const VBAR_EL3: u32 = sysreg(3, 6, 12, 0, 0);
pub const VBAR_EL2: u32 = sysreg(3, 4, 12, 0, 0);
pub const SPSR_EL3: u32 = sysreg(3, 6, 4, 0, 0);
pub const ELR_EL3: u32 = sysreg(3, 6, 4, 0, 1);
pub const ESR_EL3: u32 = sysreg(3, 6, 5, 2, 0);
pub const ESR_EL2: u32 = sysreg(3, 4, 5, 2, 0);

// The GIC CPU interface (IHI 0069 12.2). At EL1 under HCR_EL2.IMO/FMO the
// ICC_* encodings below name the ICV_* registers (IHI 0069 chapter 6).

/// ICC_PMR_EL1, Interrupt Controller Interrupt Priority Mask Register
/// (ICV_PMR_EL1 at EL1 under IMO/FMO).
pub const ICC_PMR_EL1: u32 = sysreg(3, 0, 4, 6, 0);
/// ICC_IAR0_EL1, Interrupt Acknowledge Register 0.
pub const ICC_IAR0_EL1: u32 = sysreg(3, 0, 12, 8, 0);
/// ICC_EOIR0_EL1, End Of Interrupt Register 0.
pub const ICC_EOIR0_EL1: u32 = sysreg(3, 0, 12, 8, 1);
/// ICC_HPPIR0_EL1, Highest Priority Pending Interrupt Register 0.
pub const ICC_HPPIR0_EL1: u32 = sysreg(3, 0, 12, 8, 2);
/// ICC_RPR_EL1, Running Priority Register (ICV_RPR_EL1).
pub const ICC_RPR_EL1: u32 = sysreg(3, 0, 12, 11, 3);
/// ICC_SGI1R_EL1, SGI Group 1 Register.
pub const ICC_SGI1R_EL1: u32 = sysreg(3, 0, 12, 11, 5);
/// ICC_SGI0R_EL1, SGI Group 0 Register (op1 = 0, not 2).
pub const ICC_SGI0R_EL1: u32 = sysreg(3, 0, 12, 11, 7);
/// ICC_IAR1_EL1, Interrupt Acknowledge Register 1 (ICV_IAR1_EL1).
pub const ICC_IAR1_EL1: u32 = sysreg(3, 0, 12, 12, 0);
/// ICC_EOIR1_EL1, End Of Interrupt Register 1 (ICV_EOIR1_EL1).
pub const ICC_EOIR1_EL1: u32 = sysreg(3, 0, 12, 12, 1);
/// ICC_HPPIR1_EL1, Highest Priority Pending Interrupt Register 1
/// (ICV_HPPIR1_EL1).
pub const ICC_HPPIR1_EL1: u32 = sysreg(3, 0, 12, 12, 2);
/// ICC_CTLR_EL1, Interrupt Controller Control Register (EL1; the
/// Non-secure bank at Non-secure EL2).
pub const ICC_CTLR_EL1: u32 = sysreg(3, 0, 12, 12, 4);
/// ICC_IGRPEN0_EL1, Interrupt Group 0 Enable Register.
pub const ICC_IGRPEN0_EL1: u32 = sysreg(3, 0, 12, 12, 6);
/// ICC_IGRPEN1_EL1, Interrupt Group 1 Enable Register (banked by Security state).
pub const ICC_IGRPEN1_EL1: u32 = sysreg(3, 0, 12, 12, 7);
/// ICC_SRE_EL2, System Register Enable Register (EL2).
pub const ICC_SRE_EL2: u32 = sysreg(3, 4, 12, 9, 5);
/// ICC_CTLR_EL3, Interrupt Controller Control Register (EL3).
pub const ICC_CTLR_EL3: u32 = sysreg(3, 6, 12, 12, 4);
/// ICC_SRE_EL3, System Register Enable Register (EL3).
pub const ICC_SRE_EL3: u32 = sysreg(3, 6, 12, 12, 5);

// ---------------------------------------------------------------------------
// GIC frames on FVP Base RevC and register offsets (IHI 0069 "The GIC
// Distributor register map", "The GIC Redistributor register map").
// ---------------------------------------------------------------------------

pub const GICD_BASE_HI: u32 = 0x2f00; // 0x2f00_0000
pub const GICR_BASE_HI: u32 = 0x2f10; // 0x2f10_0000, 128 KiB (RD_base + SGI_base) per PE

pub const GICD_CTLR: u32 = 0x0000;
pub const GICD_IGROUPR1: u32 = 0x0084; // GICD_IGROUPR<1>: SPIs 32-63
pub const GICD_ISENABLER1: u32 = 0x0104;
pub const GICD_ISPENDR1: u32 = 0x0204;
pub const GICD_IPRIORITYR: u32 = 0x0400; // byte n = INTID n
pub const GICD_IGRPMODR1: u32 = 0x0d04;
/// GICD_IROUTER<n> is at `GICD_IROUTER + 8 * n`.
pub const GICD_IROUTER: u32 = 0x6000;
// RD_base
pub const GICR_WAKER: u32 = 0x0014;
// SGI_base (RD_base + 0x10000)
pub const GICR_IGROUPR0: u32 = 0x0080;
pub const GICR_ISENABLER0: u32 = 0x0100;
pub const GICR_ICENABLER0: u32 = 0x0180;
pub const GICR_ISPENDR0: u32 = 0x0200;
pub const GICR_ISACTIVER0: u32 = 0x0300;
pub const GICR_IPRIORITYR: u32 = 0x0400; // byte n = INTID n
pub const GICR_IGRPMODR0: u32 = 0x0d00;

/// Arm ARM "Exception vectors": offsets from VBAR_ELx.
pub const VEC_IRQ_CURRENT_SPX: u32 = 0x280;
pub const VEC_FIQ_CURRENT_SPX: u32 = 0x300;
pub const VEC_SYNC_LOWER_A64: u32 = 0x400;

/// SCR_EL3 bits (Arm ARM D-register description).
pub const SCR_NS: u32 = 1 << 0;
pub const SCR_FIQ: u32 = 1 << 2;
pub const SCR_RES1: u32 = 0b11 << 4;
/// SCR_EL3.HCE: HVC enabled.
pub const SCR_HCE: u32 = 1 << 8;
pub const SCR_RW: u32 = 1 << 10;

// ---------------------------------------------------------------------------
// Assembly helpers.
// ---------------------------------------------------------------------------

/// `f`'s code, assembled at address 0.
pub fn asm(f: impl FnOnce(&mut Asm)) -> Vec<u8> {
    let mut ops = Asm::new(0);
    f(&mut ops);
    ops.finalize().unwrap()
}

/// A program: `f` then the `->puthex` subroutine.
pub fn program(f: impl FnOnce(&mut Asm)) -> Vec<u8> {
    asm(|ops| {
        f(ops);
        // ->puthex: prints x0's low `x1` hex digits on UART0; clobbers x9-x11.
        dynasm!(ops ; .arch aarch64
            ; ->puthex:
            ; movz x9, 0x1c09, lsl 16
            ; lsl x10, x1, 2
            ; digit:
            ; sub x10, x10, 4
            ; lsr x11, x0, x10
            ; and x11, x11, 0xf
            ; cmp x11, 10
            ; b.lo >dec
            ; add x11, x11, 0x27 // 'a' - 10 - '0'
            ; dec:
            ; add x11, x11, 0x30
            ; str w11, [x9]
            ; cbnz x10, <digit
            ; ret);
    })
}

/// Prints `s` on UART0 (data register at offset 0); clobbers x9, x11.
pub fn print(o: &mut Asm, s: &str) {
    dynasm!(o ; .arch aarch64 ; movz x9, 0x1c09, lsl 16);
    for b in s.bytes() {
        dynasm!(o ; .arch aarch64 ; movz w11, b as u32 ; str w11, [x9]);
    }
}

/// Prints X(`reg`)'s low `digits` hex digits; clobbers x0, x1, x9-x11, x30.
/// Needs the `->puthex` of [`program`].
pub fn hex(o: &mut Asm, reg: u8, digits: u32) {
    dynasm!(o ; .arch aarch64 ; mov x0, X(reg) ; movz x1, digits ; bl ->puthex);
}

/// X(`r`) = `v` (32 bits).
pub fn mov32(o: &mut Asm, r: u8, v: u32) {
    dynasm!(o ; .arch aarch64 ; movz X(r), v & 0xffff);
    if v >> 16 != 0 {
        dynasm!(o ; .arch aarch64 ; movk X(r), v >> 16, lsl 16);
    }
}

/// X(`r`) = `v` (64 bits; MOVK only for the non-zero halfwords).
pub fn mov64(o: &mut Asm, r: u8, v: u64) {
    dynasm!(o ; .arch aarch64 ; movz X(r), (v & 0xffff) as u32);
    for k in 1..4u32 {
        let part = (v >> (16 * k)) as u32 & 0xffff;
        if part != 0 {
            dynasm!(o ; .arch aarch64 ; movk X(r), part, lsl 16 * k);
        }
    }
}

/// V2M SYS_CFGCTRL (0x1c01_00a4) = START | RW | FUNC = `func` (8 shutdown,
/// 9 reboot), written from `w3`, then parks in WFI.
pub fn sys_cfgctrl(o: &mut Asm, func: u32) {
    let value_hi = (1u32 << 15) | (1 << 14) | (func << 4); // START | RW | FUNC, bits [31:16]
    dynasm!(o ; .arch aarch64
        ; movz x2, 0x1c01, lsl 16
        ; movz w3, value_hi, lsl 16
        ; str w3, [x2, 0xa4]
        ; park:
        ; wfi
        ; b <park);
}

/// V2M SYS_CFGCTRL (0x1c01_00a4): START | RW | FUNC = 8 (shutdown), then
/// parks in WFI.
pub fn power_off(o: &mut Asm) {
    sys_cfgctrl(o, 8);
}

/// A vector table at the next 2 KiB boundary (Arm ARM "Exception
/// vectors": entry `0x80 * k`). `handlers` maps entry offsets to code;
/// every other entry prints `!vector <offset> esr=<ESR>` (ESR of `esr`)
/// and powers off. `base` labels the table (the program is assembled at
/// 0, so label offsets are addresses).
pub fn vector_table(o: &mut Asm, base: DynamicLabel, esr: u32, handlers: &[(u32, DynamicLabel)]) {
    let unexpected = o.new_dynamic_label();
    while !o.offset().0.is_multiple_of(0x800) {
        dynasm!(o ; .arch aarch64 ; nop);
    }
    dynasm!(o ; .arch aarch64 ; =>base);
    for k in 0..16u32 {
        let off = k * 0x80;
        match handlers.iter().find(|h| h.0 == off) {
            Some(&(_, l)) => dynasm!(o ; .arch aarch64 ; b =>l),
            None => dynasm!(o ; .arch aarch64 ; movz x19, off ; b =>unexpected),
        }
        while !o.offset().0.is_multiple_of(0x80) {
            dynasm!(o ; .arch aarch64 ; nop);
        }
    }
    dynasm!(o ; .arch aarch64 ; =>unexpected);
    print(o, "!vector ");
    hex(o, 19, 3);
    print(o, " esr=");
    dynasm!(o ; .arch aarch64 ; mrs x19, esr);
    hex(o, 19, 8);
    print(o, "\n");
    power_off(o);
}

/// Per-PE set-up at EL3: x20 = RD_base, x21 = SGI_base of this PE's
/// Redistributor (cluster 0: MPIDR_EL1.MT = 1, so Aff1 is the core number
/// and the PE index, left in x4), x22 = GICD base; the Redistributor woken
/// and the system register interface enabled.
pub fn gic_pe_init(o: &mut Asm) {
    dynasm!(o ; .arch aarch64
        ; mrs x4, MPIDR_EL1
        ; ubfx x4, x4, 8, 8
        ; movz x20, GICR_BASE_HI, lsl 16
        ; add x20, x20, x4, lsl 17
        ; add x21, x20, 0x10, lsl 12
        ; movz x22, GICD_BASE_HI, lsl 16
        // GICR_WAKER: clear ProcessorSleep [1], then wait for ChildrenAsleep
        // [2] to read 0 (IHI 0069 "Power management", GICR_WAKER).
        ; ldr w5, [x20, GICR_WAKER]
        ; and w5, w5, 0xffff_fffd
        ; str w5, [x20, GICR_WAKER]
        ; asleep:
        ; ldr w5, [x20, GICR_WAKER]
        ; tbnz w5, 2, <asleep
        // ICC_SRE_EL3: SRE [0], DFB [1], DIB [2], Enable [3] (lower ELs may
        // use ICC_SRE_EL1/EL2).
        ; movz x5, 0xf
        ; msr ICC_SRE_EL3, x5
        ; isb);
}

/// GICD_CTLR (Secure view, DS = 0): EnableGrp0 [0], EnableGrp1NS [1],
/// EnableGrp1S [2], ARE_S [4], ARE_NS [5]; then wait for RWP [31] = 0.
/// Needs x22 = GICD base ([`gic_pe_init`]).
pub fn gicd_init(o: &mut Asm) {
    dynasm!(o ; .arch aarch64
        ; movz w5, 0x37
        ; str w5, [x22, GICD_CTLR]
        ; rwp:
        ; ldr w5, [x22, GICD_CTLR]
        ; tbnz w5, 31, <rwp);
}

/// SGI/PPI `intid` of this PE (x21 = SGI_base): group bits
/// (GICR_IGROUPR0 = `igroupr0`, GICR_IGRPMODR0 = 0), priority, enabled.
pub fn config_private(o: &mut Asm, igroupr0: u32, intid: u32, priority: u32) {
    mov32(o, 5, igroupr0);
    dynasm!(o ; .arch aarch64
        ; str w5, [x21, GICR_IGROUPR0]
        ; str wzr, [x21, GICR_IGRPMODR0]
        ; movz w5, priority
        ; strb w5, [x21, GICR_IPRIORITYR + intid]);
    mov32(o, 5, 1 << intid);
    dynasm!(o ; .arch aarch64 ; str w5, [x21, GICR_ISENABLER0]);
}

/// SPI `intid` (32-63, the GICD_*<1> registers; x22 = GICD base): Group 0
/// (its GICD_IGROUPR1 bit cleared, GICD_IGRPMODR1 = 0), `priority`
/// (GICD_IPRIORITYR<n>), routed to PE 0.0.0.0 (GICD_IROUTER<n> = 0, IRM 0),
/// enabled (GICD_ISENABLER1).
pub fn config_spi_group0(o: &mut Asm, intid: u32, priority: u32) {
    assert!((32..64).contains(&intid), "SPI {intid} is not in GICD_*<1>");
    let bit = 1u32 << (intid - 32);
    dynasm!(o ; .arch aarch64
        ; ldr w5, [x22, GICD_IGROUPR1]
        ; and w5, w5, !bit
        ; str w5, [x22, GICD_IGROUPR1]
        ; str wzr, [x22, GICD_IGRPMODR1]
        ; movz w5, priority
        ; strb w5, [x22, GICD_IPRIORITYR + intid]
        ; movz x5, GICD_IROUTER + 8 * intid
        ; str xzr, [x22, x5]);
    mov32(o, 5, bit);
    dynasm!(o ; .arch aarch64 ; str w5, [x22, GICD_ISENABLER1]);
}

/// SCR_EL3 |= `bits`.
pub fn scr_set(o: &mut Asm, bits: u32) {
    dynasm!(o ; .arch aarch64 ; mrs x5, SCR_EL3 ; orr x5, x5, bits as u64 ; msr SCR_EL3, x5 ; isb);
}

/// Group 0 interrupts as FIQs at EL3: ICC_PMR_EL1 = `pmr`,
/// ICC_IGRPEN0_EL1 = 1, SCR_EL3.FIQ = 1 (PSTATE.F is left masked).
pub fn group0_fiqs_to_el3(o: &mut Asm, pmr: u32) {
    dynasm!(o ; .arch aarch64
        ; movz x5, pmr
        ; msr ICC_PMR_EL1, x5
        ; movz x5, 1
        ; msr ICC_IGRPEN0_EL1, x5);
    scr_set(o, SCR_FIQ);
}

/// EL3 -> Non-secure EL2h at `el2` (SCR_EL3 = `scr`, e.g. NS | RW | RES1,
/// IRQ/FIQ not routed to EL3; SPSR_EL3 with DAIF masked), with VBAR_EL3 =
/// `vectors3`.
pub fn enter_ns_el2(o: &mut Asm, el2: DynamicLabel, vectors3: DynamicLabel, scr: u32) {
    dynasm!(o ; .arch aarch64 ; adr x5, =>vectors3 ; msr VBAR_EL3, x5);
    mov32(o, 5, scr);
    dynasm!(o ; .arch aarch64
        ; msr SCR_EL3, x5
        ; movz x5, 0x3c9 // SPSR_EL3: DAIF masked, M = EL2h
        ; msr SPSR_EL3, x5
        ; adr x5, =>el2
        ; msr ELR_EL3, x5
        ; isb
        ; eret);
}

// ---------------------------------------------------------------------------
// Machines.
// ---------------------------------------------------------------------------

/// A machine for `cfg`, every UART into one buffer, `code` in the trusted
/// ROM at the reset vector.
pub fn machine_with(cfg: &MachineConfig, code: Vec<u8>) -> (Machine, BufferSink) {
    let console = BufferSink::new();
    let sinks = UartSinks::each(|_| Box::new(console.clone()));
    let m = Machine::new(cfg, sinks).unwrap();
    m.load_images(&[Image::builtin("test", 0, code)]).unwrap();
    (m, console)
}

/// A machine with `smp` CPUs (only CPU 0 leaves reset running) and 64 MiB,
/// as [`machine_with`].
pub fn machine(smp: u32, code: Vec<u8>) -> (Machine, BufferSink) {
    machine_with(&MachineConfig { smp, memory: 64 << 20, ..MachineConfig::default() }, code)
}

/// Runs `code` on `smp` CPUs (all of them leaving reset running) for up to
/// 2M instructions; returns the machine, the stop and the UART text.
pub fn run(smp: u32, code: Vec<u8>) -> (Machine, Stop, String) {
    let cfg = MachineConfig { smp, memory: 64 << 20, start_secondaries: smp > 1, ..MachineConfig::default() };
    let (mut m, console) = machine_with(&cfg, code);
    let s = m.run(Some(2_000_000));
    (m, s.stop, console.text())
}
