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

mod common;

use common::guest::*;
use dynasmrt::{DynasmApi, DynasmLabelApi, dynasm};
use rme_emu::{Machine, Stop};

/// CNTPCT_EL0, the physical count (100 MHz on this machine).
const CNTPCT_EL0: u32 = sysreg(3, 3, 14, 0, 1);

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
        // Redistributor awake, system register interface on, Distributor:
        // EnableGrp0 | EnableGrp1NS | EnableGrp1S | ARE_S | ARE_NS.
        gic_pe_init(o);
        gicd_init(o);
        // SPI 34 (bit 2 of the <1> registers): Group 0, priority 0x80,
        // routed to 0.0.0.0, enabled.
        config_spi_group0(o, 34, 0x80);
        group0_fiqs_to_el3(o, 0xf0);
        dynasm!(o ; .arch aarch64
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
        vector_table(o, vectors, ESR_EL3, &[(VEC_FIQ_CURRENT_SPX, fiq)]);
    })
}

/// Runs `code` on one CPU; returns the machine, the stop, the console text
/// and the two CNTPCT_EL0 values the program printed.
fn run_timer(code: Vec<u8>) -> (Machine, Stop, String, u64, u64) {
    let (m, stop, text) = run(1, code);
    let field = |name: &str| {
        let at = text.find(name).unwrap_or_else(|| panic!("no {name} in {text:?}")) + name.len();
        u64::from_str_radix(&text[at..at + 8], 16).unwrap()
    };
    let (start, end) = (field("start="), field("end="));
    (m, stop, text, start, end)
}

/// Timer 0 at 1 MHz (SP810 TimerEn0Sel), one-shot Load = 1000: 1 ms
/// later the FIQ arrives with INTID 34. After TimerXIntClr and the EOI
/// nothing is pending. The CPU slept through the millisecond: the machine
/// fast-forwarded the WFI instead of running a million instructions.
#[test]
fn one_shot_timer_at_1mhz_is_fiq_34_after_1ms() {
    let (m, stop, text, start, end) = run_timer(timer_program(true, 1000));
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
    let (m, stop, text, start, end) = run_timer(timer_program(false, 1000));
    assert!(text.starts_with("fiq intid=022 mis=1 "), "{text:?}");
    assert_eq!(stop, Stop::PowerOff);
    let expected = (1000u64 * 100_000_000).div_ceil(32_768); // 3_051_758 ticks
    assert!(end >= expected, "handler at CNTPCT {end}");
    assert!((expected - 1000..expected + 1000).contains(&(end - start)), "start {start} end {end}");
    assert!(m.retired() < 20_000, "{} instructions", m.retired());
}
