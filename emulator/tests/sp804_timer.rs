//! The SP804 dual timer end to end: guest code on CPU 0 selects the timer
//! clock in the SP810, programs SP804 #0 timer 1 as a one-shot, sleeps in
//! WFI, and takes the timer's interrupt (TIMINTC, SPI 2 = INTID 34 on FVP)
//! as a Group 0 FIQ at EL3 through the GIC. The machine fast-forwards the
//! WFI to the timer's event.
//!
//! Expected values: *ARM Dual-Timer Module (SP804) TRM* (Arm DDI 0271):
//! TimerXLoad, TimerXControl (OneShot [0], TimerSize [1], IntEnable [5],
//! TimerEn [7]), TimerXMIS, TimerXRIS, TimerXIntClr; *ARM PrimeXsys System
//! Controller (SP810) TRM* (Arm DDI 0254): SCCTRL.TimerEn0Sel [15]
//! selects TIMCLK (1 MHz) instead of REFCLK (32.768 kHz); the FVP device
//! tree: timer@110000 `interrupts = <2>` through the motherboard
//! interrupt-map (SPI 2, INTID 34); *GIC architecture specification* (Arm
//! IHI 0069): GICD_IGROUPR<n>, GICD_IGRPMODR<n>, GICD_IPRIORITYR<n>,
//! GICD_IROUTER<n>, GICD_ISENABLER<n>, GICD_ISPENDR<n>, ICC_IAR0_EL1,
//! ICC_EOIR0_EL1. The guest reads the time from CNTPCT_EL0 (100 MHz).

use dynasmrt::{DynamicLabel, DynasmApi, DynasmLabelApi, VecAssembler, aarch64::Aarch64Relocation, dynasm};
use rme_devices::BufferSink;
use rme_emu::{Image, Machine, MachineConfig, Stop, UartSinks};

type Asm = VecAssembler<Aarch64Relocation>;

const fn sysreg(op0: u32, op1: u32, crn: u32, crm: u32, op2: u32) -> u32 {
    ((op0 - 2) << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2
}

const MPIDR_EL1: u32 = sysreg(3, 0, 0, 0, 5);
const SCR_EL3: u32 = sysreg(3, 6, 1, 1, 0);
const VBAR_EL3: u32 = sysreg(3, 6, 12, 0, 0);
const ESR_EL3: u32 = sysreg(3, 6, 5, 2, 0);
/// CNTPCT_EL0, the physical count (100 MHz on this machine).
const CNTPCT_EL0: u32 = sysreg(3, 3, 14, 0, 1);
const ICC_PMR_EL1: u32 = sysreg(3, 0, 4, 6, 0);
const ICC_IAR0_EL1: u32 = sysreg(3, 0, 12, 8, 0);
const ICC_EOIR0_EL1: u32 = sysreg(3, 0, 12, 8, 1);
const ICC_IGRPEN0_EL1: u32 = sysreg(3, 0, 12, 12, 6);
const ICC_SRE_EL3: u32 = sysreg(3, 6, 12, 12, 5);

const GICD_BASE_HI: u32 = 0x2f00;
const GICR_BASE_HI: u32 = 0x2f10;
const GICD_CTLR: u32 = 0x0000;
const GICD_IGROUPR1: u32 = 0x0084;
const GICD_ISENABLER1: u32 = 0x0104;
const GICD_ISPENDR1: u32 = 0x0204;
const GICD_IPRIORITYR: u32 = 0x0400;
const GICD_IGRPMODR1: u32 = 0x0d04;
const GICD_IROUTER34: u32 = 0x6000 + 8 * 34;
const GICR_WAKER: u32 = 0x0014;

const SP810_HI: u32 = 0x1c02; // 0x1c02_0000
const SP804_0_HI: u32 = 0x1c11; // 0x1c11_0000
const SCCTRL: u32 = 0x000;
const TIMER1_LOAD: u32 = 0x00;
const TIMER1_CONTROL: u32 = 0x08;
const TIMER1_INTCLR: u32 = 0x0c;
const TIMER1_RIS: u32 = 0x10;
const TIMER1_MIS: u32 = 0x14;
/// TimerXControl: OneShot | TimerSize (32-bit) | IntEnable | TimerEn.
const ONESHOT_32_INT_EN: u32 = 1 | 1 << 1 | 1 << 5 | 1 << 7;

const VEC_FIQ_CURRENT_SPX: u32 = 0x300;
const SCR_FIQ: u32 = 1 << 2;

/// A program: `f` then the `->puthex` subroutine (x0's low x1 hex digits
/// on UART0; clobbers x9-x11).
fn program(f: impl FnOnce(&mut Asm)) -> Vec<u8> {
    let mut ops = Asm::new(0);
    f(&mut ops);
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
        ; add x11, x11, 0x27
        ; dec:
        ; add x11, x11, 0x30
        ; str w11, [x9]
        ; cbnz x10, <digit
        ; ret);
    ops.finalize().unwrap()
}

fn print(o: &mut Asm, s: &str) {
    dynasm!(o ; .arch aarch64 ; movz x9, 0x1c09, lsl 16);
    for b in s.bytes() {
        dynasm!(o ; .arch aarch64 ; movz w11, b as u32 ; str w11, [x9]);
    }
}

fn hex(o: &mut Asm, reg: u8, digits: u32) {
    dynasm!(o ; .arch aarch64 ; mov x0, X(reg) ; movz x1, digits ; bl ->puthex);
}

/// V2M SYS_CFGCTRL shutdown, then park.
fn power_off(o: &mut Asm) {
    let value_hi = (1u32 << 15) | (1 << 14) | (8 << 4);
    dynasm!(o ; .arch aarch64
        ; movz x2, 0x1c01, lsl 16
        ; movz w3, value_hi, lsl 16
        ; str w3, [x2, 0xa4]
        ; park:
        ; wfi
        ; b <park);
}

/// A vector table at the next 2 KiB boundary; entries other than
/// `handlers` print `!vector <offset> esr=<ESR_EL3>` and power off.
fn vector_table(o: &mut Asm, base: DynamicLabel, handlers: &[(u32, DynamicLabel)]) {
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
    dynasm!(o ; .arch aarch64 ; mrs x19, ESR_EL3);
    hex(o, 19, 8);
    print(o, "\n");
    power_off(o);
}

/// CPU 0 at EL3: GIC set up for SPI 34 as Group 0 to itself; SP810
/// TimerEn0Sel set when `select_1mhz`; SP804 #0 timer 1 one-shot, 32-bit,
/// Load = `load`, interrupt enabled; WFI. The FIQ handler prints the INTID,
/// TimerXMIS, TimerXRIS after TimerXIntClr, whether SPI 34 is still
/// pending after the EOI, and CNTPCT_EL0 before programming the timer and
/// in the handler.
fn timer_program(select_1mhz: bool, load: u32) -> Vec<u8> {
    program(|o| {
        let fiq = o.new_dynamic_label();
        let vectors = o.new_dynamic_label();
        // Redistributor awake, system register interface on (CPU 0: RD_base
        // = GICR base), Distributor: EnableGrp0 | EnableGrp1NS |
        // EnableGrp1S | ARE_S | ARE_NS.
        dynasm!(o ; .arch aarch64
            ; mrs x4, MPIDR_EL1
            ; movz x20, GICR_BASE_HI, lsl 16
            ; movz x22, GICD_BASE_HI, lsl 16
            ; ldr w5, [x20, GICR_WAKER]
            ; and w5, w5, 0xffff_fffd
            ; str w5, [x20, GICR_WAKER]
            ; asleep:
            ; ldr w5, [x20, GICR_WAKER]
            ; tbnz w5, 2, <asleep
            ; movz x5, 0xf
            ; msr ICC_SRE_EL3, x5
            ; isb
            ; movz w5, 0x37
            ; str w5, [x22, GICD_CTLR]
            ; rwp:
            ; ldr w5, [x22, GICD_CTLR]
            ; tbnz w5, 31, <rwp
            // SPI 34 (bit 2 of the <1> registers): Group 0, priority 0x80,
            // routed to 0.0.0.0, enabled.
            ; ldr w5, [x22, GICD_IGROUPR1]
            ; and w5, w5, 0xffff_fffb
            ; str w5, [x22, GICD_IGROUPR1]
            ; str wzr, [x22, GICD_IGRPMODR1]
            ; movz w5, 0x80
            ; strb w5, [x22, GICD_IPRIORITYR + 34]
            ; movz x5, GICD_IROUTER34
            ; str xzr, [x22, x5]
            ; movz w5, 1 << 2
            ; str w5, [x22, GICD_ISENABLER1]
            ; movz x5, 0xf0
            ; msr ICC_PMR_EL1, x5
            ; movz x5, 1
            ; msr ICC_IGRPEN0_EL1, x5
            ; mrs x5, SCR_EL3
            ; orr x5, x5, SCR_FIQ as u64
            ; msr SCR_EL3, x5
            ; adr x5, =>vectors
            ; msr VBAR_EL3, x5
            ; isb
            ; movz x24, SP810_HI, lsl 16
            ; movz x25, SP804_0_HI, lsl 16);
        if select_1mhz {
            // SCCTRL |= TimerEn0Sel (read-modify-write, as Linux's clk-sp810).
            dynasm!(o ; .arch aarch64
                ; ldr w5, [x24, SCCTRL]
                ; orr w5, w5, 1 << 15
                ; str w5, [x24, SCCTRL]);
        }
        dynasm!(o ; .arch aarch64
            ; mrs x26, CNTPCT_EL0
            ; movz w5, load & 0xffff
            ; movk w5, load >> 16, lsl 16
            ; str w5, [x25, TIMER1_LOAD]
            ; movz w5, ONESHOT_32_INT_EN
            ; str w5, [x25, TIMER1_CONTROL]
            ; msr daifclr, 1
            ; sleep:
            ; wfi
            ; b <sleep);
        // FIQ at EL3.
        dynasm!(o ; .arch aarch64
            ; =>fiq
            ; mrs x19, ICC_IAR0_EL1
            ; mrs x27, CNTPCT_EL0
            ; ldr w28, [x25, TIMER1_MIS]
            ; movz w5, 1
            ; str w5, [x25, TIMER1_INTCLR]
            ; ldr w29, [x25, TIMER1_RIS]
            ; msr ICC_EOIR0_EL1, x19
            ; isb
            ; ldr w23, [x22, GICD_ISPENDR1]
            ; ubfx w23, w23, 2, 1);
        print(o, "fiq intid=");
        hex(o, 19, 3);
        print(o, " mis=");
        hex(o, 28, 1);
        print(o, " ris after intclr=");
        hex(o, 29, 1);
        print(o, " pending after eoi=");
        hex(o, 23, 1);
        print(o, " start=");
        hex(o, 26, 8);
        print(o, " end=");
        hex(o, 27, 8);
        print(o, "\n");
        power_off(o);
        vector_table(o, vectors, &[(VEC_FIQ_CURRENT_SPX, fiq)]);
    })
}

/// Runs `code` on one CPU; returns the machine, the stop, the console text
/// and the two CNTPCT_EL0 values the program printed.
fn run(code: Vec<u8>) -> (Machine, Stop, String, u64, u64) {
    let console = BufferSink::new();
    let sinks = UartSinks::each(|_| Box::new(console.clone()));
    let cfg = MachineConfig { smp: 1, memory: 64 << 20, ..MachineConfig::default() };
    let mut m = Machine::new(&cfg, sinks).unwrap();
    m.load_images(&[Image::builtin("sp804-test", 0, code)]).unwrap();
    let s = m.run(Some(1_000_000));
    let text = console.text();
    let field = |name: &str| {
        let at = text.find(name).unwrap_or_else(|| panic!("no {name} in {text:?}")) + name.len();
        u64::from_str_radix(&text[at..at + 8], 16).unwrap()
    };
    let (start, end) = (field("start="), field("end="));
    (m, s.stop, text, start, end)
}

/// Timer 0 at 1 MHz (SP810 TimerEn0Sel), one-shot Load = 1000: 1 ms
/// later the FIQ arrives with INTID 34. After TimerXIntClr and the EOI
/// nothing is pending. The CPU slept through the millisecond: the machine
/// fast-forwarded the WFI instead of running a million instructions.
#[test]
fn one_shot_timer_at_1mhz_is_fiq_34_after_1ms() {
    let (m, stop, text, start, end) = run(timer_program(true, 1000));
    assert!(
        text.starts_with("fiq intid=022 mis=1 ris after intclr=0 pending after eoi=0 start="),
        "{text:?}"
    );
    assert_eq!(stop, Stop::PowerOff);
    // 1 ms = 100_000 CNTPCT ticks. Devices see guest time as of the start
    // of the CPU's slice (the machine advances the clock between slices),
    // so the timer started at guest time 0: the handler runs at >= 1 ms,
    // and the span the guest measured misses at most the instructions it
    // ran before its first CNTPCT read.
    assert!(end >= 100_000, "handler at CNTPCT {end}");
    assert!((99_000..101_000).contains(&(end - start)), "start {start} end {end}");
    assert!(m.guest_time_ns() >= 1_000_000);
    assert!(m.retired() < 20_000, "the wait was fast-forwarded, not spun: {} instructions", m.retired());
}

/// Without the SP810 selection the timer counts REFCLK (32.768 kHz): the
/// same Load = 1000 lasts 1000 / 32768 s = 30.52 ms.
#[test]
fn without_sp810_selection_the_timer_counts_refclk() {
    let (m, stop, text, start, end) = run(timer_program(false, 1000));
    assert!(text.starts_with("fiq intid=022 mis=1 "), "{text:?}");
    assert_eq!(stop, Stop::PowerOff);
    let expected = (1000u64 * 100_000_000).div_ceil(32_768); // 3_051_758 ticks
    assert!(end >= expected, "handler at CNTPCT {end}");
    assert!((expected - 1000..expected + 1000).contains(&(end - start)), "start {start} end {end}");
    assert!(m.retired() < 20_000, "{} instructions", m.retired());
}
