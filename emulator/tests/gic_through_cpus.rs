//! Guest code on the emulated CPUs drives the GICv3 end to end: the
//! Distributor and Redistributors through MMIO on the bus, the CPU
//! interface through its `ICC_*` system registers, and interrupts taken as
//! IRQ/FIQ exceptions through the vector tables.
//!
//! Expected values come from the *Arm Generic Interrupt Controller
//! Architecture Specification, GIC architecture version 3 and version 4*
//! (Arm IHI 0069, cited by section and register name) and the *Arm
//! Architecture Reference Manual for A-profile* (Arm DDI 0487: exception
//! vectors, SCR_EL3/HCR_EL2 routing of IRQ and FIQ).
//!
//! Every program is a handful of instructions in the trusted ROM at the
//! reset vector; every CPU starts at EL3 (EL3h, PSTATE.DAIF all set). The
//! programs report over UART0 and power off through V2M SYS_CFGCTRL; the
//! tests compare the UART text, so a wrong value shows up in the assert
//! message, and an unexpected exception prints `!vector <offset> esr=...`.

mod common;

use common::guest::*;
use dynasmrt::{DynasmApi, DynasmLabelApi, dynasm};
use rme_emu::Stop;

// System registers beyond `common::guest`'s (Arm ARM encodings).
const CURRENT_EL: u32 = sysreg(3, 0, 4, 2, 2);
const CNTPS_TVAL_EL1: u32 = sysreg(3, 7, 14, 2, 0);
const CNTPS_CTL_EL1: u32 = sysreg(3, 7, 14, 2, 1);

// ---------------------------------------------------------------------------
// Tests.
// ---------------------------------------------------------------------------

/// CPU 0 sends SGI 5 to CPU 1 with ICC_SGI0R_EL1; CPU 1 has it as Group 0
/// and takes it as an FIQ at EL3.
///
/// IHI 0069: "Software Generated Interrupts" and ICC_SGI0R_EL1 (INTID
/// [27:24], Aff1 [23:16], TargetList [15:0]: CPU 1 is Aff1 = 1, Aff0 = 0);
/// GICR_IGROUPR0/GICR_IGRPMODR0 = 0/0 is Group 0; "Interrupt assignment to
/// IRQ and FIQ signals": Group 0 is always signalled as FIQ; the Arm ARM
/// routes FIQ to EL3 with SCR_EL3.FIQ = 1, to the "Current EL with SP_ELx"
/// FIQ vector, VBAR_EL3 + 0x300. ICC_IAR0_EL1 returns the INTID.
#[test]
fn sgi0_from_cpu0_is_taken_as_fiq_at_el3_on_cpu1() {
    let code = program(|o| {
        let fiq = o.new_dynamic_label();
        let vectors = o.new_dynamic_label();
        let cpu1 = o.new_dynamic_label();
        gic_pe_init(o);
        dynasm!(o ; .arch aarch64
            ; movz x23, 0x0400, lsl 16 // trusted SRAM: "CPU 1 ready" flag
            ; cbnz x4, =>cpu1);
        // CPU 0: enable the Distributor, wait for CPU 1, send SGI 5 to
        // Aff3.Aff2.Aff1 = 0.0.1, TargetList = {Aff0 0}.
        gicd_init(o);
        dynasm!(o ; .arch aarch64
            ; ready:
            ; ldr w5, [x23]
            ; cbz w5, <ready);
        mov32(o, 5, 5 << 24 | 1 << 16 | 1);
        dynasm!(o ; .arch aarch64
            ; msr ICC_SGI0R_EL1, x5
            ; isb
            ; park0:
            ; wfi
            ; b <park0);
        // CPU 1: SGI 5 Group 0, priority 0x80, enabled; PMR = 0xf0,
        // IGRPEN0 = 1, FIQs to EL3, F unmasked; then sleep.
        dynasm!(o ; .arch aarch64 ; =>cpu1);
        config_private(o, 0, 5, 0x80);
        group0_fiqs_to_el3(o, 0xf0);
        dynasm!(o ; .arch aarch64
            ; adr x5, =>vectors
            ; msr VBAR_EL3, x5
            ; isb
            ; msr daifclr, 1 // PSTATE.F = 0
            ; movz w5, 1
            ; str w5, [x23]
            ; sleep1:
            ; wfi
            ; b <sleep1);
        // FIQ handler: acknowledge, report, EOI, power off.
        dynasm!(o ; .arch aarch64 ; =>fiq ; mrs x19, ICC_IAR0_EL1 ; mrs x24, MPIDR_EL1 ; ubfx x24, x24, 8, 8);
        print(o, "cpu");
        hex(o, 24, 1);
        print(o, " fiq intid=");
        hex(o, 19, 3);
        dynasm!(o ; .arch aarch64 ; msr ICC_EOIR0_EL1, x19 ; isb ; mrs x19, ICC_RPR_EL1);
        print(o, " rpr after eoi=");
        hex(o, 19, 2);
        print(o, "\n");
        power_off(o);
        vector_table(o, vectors, ESR_EL3, &[(VEC_FIQ_CURRENT_SPX, fiq)]);
    });
    let (m, stop, text) = run(2, code);
    assert_eq!(text, "cpu1 fiq intid=005 rpr after eoi=ff\n");
    assert_eq!(stop, Stop::PowerOff);
    // CPU 1 took the exception from EL3 and is still at EL3.
    assert_eq!(m.cpus()[1].el(), 3);
}

/// Priority masking and the running priority, one CPU, SGI 3 Group 0 at
/// priority 0x80 sent to itself.
///
/// IHI 0069 "Interrupt prioritization" and ICC_PMR_EL1: an interrupt is
/// signalled only when its priority is higher (numerically lower) than the
/// mask, so with PMR = 0x80 it stays pending: ICC_HPPIR0_EL1 reports it
/// (no priority checks), ICC_IAR0_EL1 returns 1023 ("Special INTIDs": no
/// pending interrupt of sufficient priority) and no FIQ is taken while the
/// CPU keeps running. ICC_PMR_EL1 with 5 implemented priority bits
/// (ICC_CTLR_EL3.PRIbits [10:8] = 4) reads 0x87 back as 0x80
/// (unimplemented low bits RAZ/WI). Raising PMR to 0x88 signals it.
/// ICC_RPR_EL1 is the idle priority 0xff until the acknowledge, then the
/// priority of the active interrupt (0x80), and 0xff again after the EOI
/// (priority drop).
#[test]
fn priority_mask_holds_an_sgi_pending_until_raised() {
    let code = program(|o| {
        let fiq = o.new_dynamic_label();
        let vectors = o.new_dynamic_label();
        gic_pe_init(o);
        gicd_init(o);
        config_private(o, 0, 3, 0x80);
        group0_fiqs_to_el3(o, 0x80);
        dynasm!(o ; .arch aarch64
            ; adr x5, =>vectors
            ; msr VBAR_EL3, x5
            ; isb
            ; msr daifclr, 1);
        // SGI 3 to this PE (Aff1 = 0, TargetList = {0}).
        mov32(o, 5, 3 << 24 | 1);
        dynasm!(o ; .arch aarch64
            ; msr ICC_SGI0R_EL1, x5
            ; isb
            ; movz x6, 2000
            ; spin1:
            ; subs x6, x6, 1
            ; b.ne <spin1
            ; mrs x19, ICC_HPPIR0_EL1);
        print(o, "hppir=");
        hex(o, 19, 3);
        dynasm!(o ; .arch aarch64 ; mrs x19, ICC_IAR0_EL1);
        print(o, " iar=");
        hex(o, 19, 3);
        dynasm!(o ; .arch aarch64 ; mrs x19, ICC_RPR_EL1);
        print(o, " rpr=");
        hex(o, 19, 2);
        dynasm!(o ; .arch aarch64 ; mrs x19, ICC_CTLR_EL3 ; ubfx x19, x19, 8, 3);
        print(o, " pribits=");
        hex(o, 19, 1);
        dynasm!(o ; .arch aarch64
            ; movz x5, 0x87
            ; msr ICC_PMR_EL1, x5
            ; isb
            ; mrs x19, ICC_PMR_EL1
            ; movz x6, 2000
            ; spin2:
            ; subs x6, x6, 1
            ; b.ne <spin2);
        print(o, " pmr=");
        hex(o, 19, 2);
        print(o, " |");
        dynasm!(o ; .arch aarch64
            ; movz x5, 0x88
            ; msr ICC_PMR_EL1, x5
            ; isb);
        print(o, " | done\n");
        power_off(o);
        // FIQ handler: RPR, acknowledge, RPR, EOI, RPR, return.
        dynasm!(o ; .arch aarch64 ; =>fiq ; mrs x19, ICC_RPR_EL1);
        print(o, " fiq rpr=");
        hex(o, 19, 2);
        dynasm!(o ; .arch aarch64 ; mrs x25, ICC_IAR0_EL1 ; mrs x19, ICC_RPR_EL1);
        print(o, " iar=");
        hex(o, 25, 3);
        print(o, " rpr=");
        hex(o, 19, 2);
        dynasm!(o ; .arch aarch64 ; msr ICC_EOIR0_EL1, x25 ; isb ; mrs x19, ICC_RPR_EL1);
        print(o, " eoi rpr=");
        hex(o, 19, 2);
        dynasm!(o ; .arch aarch64 ; eret);
        vector_table(o, vectors, ESR_EL3, &[(VEC_FIQ_CURRENT_SPX, fiq)]);
    });
    let (_, stop, text) = run(1, code);
    assert_eq!(
        text,
        "hppir=003 iar=3ff rpr=ff pribits=4 pmr=80 | fiq rpr=ff iar=003 rpr=80 eoi rpr=ff | done\n"
    );
    assert_eq!(stop, Stop::PowerOff);
}

/// EL3 sets up SGI 9 as Non-secure Group 1 and enters Non-secure EL2
/// (SCR_EL3.NS = 1, RW = 1, IRQ = 0), which sends it to itself with
/// ICC_SGI1R_EL1 and takes it as an IRQ at EL2 (HCR_EL2.IMO = 1).
///
/// IHI 0069: GICR_IGROUPR0 = 1, GICR_IGRPMODR0 = 0 is Non-secure Group 1;
/// ICC_SGI1R_EL1 from Non-secure state generates a Non-secure Group 1 SGI;
/// ICC_HPPIR1_EL1 shows it, ICC_HPPIR0_EL1 reads 1023 (not Group 0);
/// "Interrupt assignment to IRQ and FIQ signals": Group 1 of the current
/// Security state is IRQ; ICC_IAR1_EL1 returns the INTID. Arm ARM: with
/// SCR_EL3.IRQ = 0 and HCR_EL2.IMO = 1 a physical IRQ is taken to EL2, at
/// VBAR_EL2 + 0x280 from EL2 with SP_EL2.
#[test]
fn sgi1_in_non_secure_el2_is_taken_as_irq_at_el2() {
    let code = program(|o| {
        let irq = o.new_dynamic_label();
        let el2 = o.new_dynamic_label();
        let vectors2 = o.new_dynamic_label();
        let vectors3 = o.new_dynamic_label();
        gic_pe_init(o);
        gicd_init(o);
        config_private(o, 1 << 9, 9, 0xa0);
        enter_ns_el2(o, el2, vectors3, SCR_RW | SCR_RES1 | SCR_NS);
        // Non-secure EL2.
        dynasm!(o ; .arch aarch64
            ; =>el2
            ; adr x5, =>vectors2
            ; msr VBAR_EL2, x5
            ; movz x5, 1 << 4 // HCR_EL2.IMO
            ; msr HCR_EL2, x5
            ; movz x5, 0xf // ICC_SRE_EL2: SRE, DFB, DIB, Enable
            ; msr ICC_SRE_EL2, x5
            ; isb
            ; movz x5, 0xf0
            ; msr ICC_PMR_EL1, x5
            ; movz x5, 1
            ; msr ICC_IGRPEN1_EL1, x5 // Non-secure bank: EnableGrp1NS
            ; isb);
        mov32(o, 5, 9 << 24 | 1);
        dynasm!(o ; .arch aarch64
            ; msr ICC_SGI1R_EL1, x5
            ; isb
            ; mrs x19, CURRENT_EL
            ; ubfx x19, x19, 2, 2);
        print(o, "el");
        hex(o, 19, 1);
        dynasm!(o ; .arch aarch64 ; mrs x19, ICC_HPPIR1_EL1);
        print(o, " hppir1=");
        hex(o, 19, 3);
        dynasm!(o ; .arch aarch64 ; mrs x19, ICC_HPPIR0_EL1);
        print(o, " hppir0=");
        hex(o, 19, 3);
        dynasm!(o ; .arch aarch64
            ; msr daifclr, 2 // PSTATE.I = 0
            ; sleep:
            ; wfi
            ; b <sleep);
        // IRQ handler at EL2.
        dynasm!(o ; .arch aarch64
            ; =>irq
            ; mrs x25, ICC_IAR1_EL1
            ; mrs x19, CURRENT_EL
            ; ubfx x19, x19, 2, 2);
        print(o, " | irq at el");
        hex(o, 19, 1);
        print(o, " iar1=");
        hex(o, 25, 3);
        dynasm!(o ; .arch aarch64 ; msr ICC_EOIR1_EL1, x25 ; isb ; mrs x19, ICC_RPR_EL1);
        print(o, " rpr after eoi=");
        hex(o, 19, 2);
        print(o, "\n");
        power_off(o);
        vector_table(o, vectors2, ESR_EL2, &[(VEC_IRQ_CURRENT_SPX, irq)]);
        vector_table(o, vectors3, ESR_EL3, &[]);
    });
    let (m, stop, text) = run(1, code);
    assert_eq!(
        text,
        "el2 hppir1=009 hppir0=3ff | irq at el2 iar1=009 rpr after eoi=ff\n"
    );
    assert_eq!(stop, Stop::PowerOff);
    assert_eq!(m.cpus()[0].el(), 2);
}

/// The Secure physical timer (CNTPS_*, PPI 29 on FVP) as Group 0 wakes a
/// CPU sleeping in WFI and is taken as an FIQ at EL3.
///
/// Arm ARM "The Generic Timer": the timer condition is met when the count
/// reaches CVAL (TVAL written = 1_000_000 ticks at 100 MHz = 10 ms); the
/// interrupt output is ISTATUS && !IMASK, a level-sensitive PPI. IHI 0069:
/// PPI 29 in GICR_IGROUPR0/IGRPMODR0 = 0/0 is Group 0, so FIQ;
/// ICC_IAR0_EL1 returns 29 (0x01d). Once the timer is disabled and the
/// interrupt deactivated by the EOI, nothing is pending: ICC_HPPIR0_EL1 =
/// 1023. Guest time fast-forwards across the WFI.
#[test]
fn secure_physical_timer_ppi_is_an_fiq_at_el3() {
    let code = program(|o| {
        let fiq = o.new_dynamic_label();
        let vectors = o.new_dynamic_label();
        gic_pe_init(o);
        gicd_init(o);
        config_private(o, 0, 29, 0x40);
        group0_fiqs_to_el3(o, 0xf0);
        mov32(o, 5, 1_000_000);
        dynasm!(o ; .arch aarch64
            ; adr x6, =>vectors
            ; msr VBAR_EL3, x6
            ; msr CNTPS_TVAL_EL1, x5
            ; movz x5, 1 // CNTPS_CTL_EL1: ENABLE = 1, IMASK = 0
            ; msr CNTPS_CTL_EL1, x5
            ; isb
            ; msr daifclr, 1
            ; sleep:
            ; wfi
            ; b <sleep);
        dynasm!(o ; .arch aarch64
            ; =>fiq
            ; mrs x25, ICC_IAR0_EL1
            ; mrs x19, CNTPS_CTL_EL1);
        print(o, "fiq iar0=");
        hex(o, 25, 3);
        print(o, " cntps_ctl=");
        hex(o, 19, 1);
        dynasm!(o ; .arch aarch64
            ; msr CNTPS_CTL_EL1, xzr
            ; isb
            ; msr ICC_EOIR0_EL1, x25
            ; isb
            ; mrs x19, ICC_HPPIR0_EL1);
        print(o, " then hppir0=");
        hex(o, 19, 3);
        print(o, "\n");
        power_off(o);
        vector_table(o, vectors, ESR_EL3, &[(VEC_FIQ_CURRENT_SPX, fiq)]);
    });
    let (m, stop, text) = run(1, code);
    // CNTPS_CTL_EL1 in the handler: ENABLE [0] = 1, IMASK [1] = 0, ISTATUS [2] = 1.
    assert_eq!(text, "fiq iar0=01d cntps_ctl=5 then hppir0=3ff\n");
    assert_eq!(stop, Stop::PowerOff);
    assert!(
        m.guest_time_ns() >= 10_000_000,
        "guest time {} ns",
        m.guest_time_ns()
    );
    assert!(
        m.retired() < 20_000,
        "the wait was fast-forwarded, not spun: {} instructions",
        m.retired()
    );
}

/// Non-secure software cannot see or change the configuration of Secure
/// interrupts: EL3 makes SGI 5 Group 0 (priority 0x40) and SGI 9
/// Non-secure Group 1 (priority 0xa0), both enabled, then Non-secure EL2
/// reads and writes the Redistributor and Distributor, then returns to EL3
/// with SMC where the Secure (Root) view is read back.
///
/// IHI 0069, GICR_IGROUPR0, GICR_IGRPMODR0, GICD_IGROUPR<n>: with
/// GICD_CTLR.DS = 0 these are RAZ/WI to Non-secure accesses.
/// GICR_ISENABLER0/ICENABLER0: bits of Secure (Group 0, Secure Group 1)
/// interrupts are RAZ/WI to Non-secure accesses. GICR_IPRIORITYR<n> and
/// "Software accesses of interrupt priority": Non-secure accesses to the
/// priority of a Secure interrupt are RAZ/WI, and a Non-secure read of a
/// Non-secure interrupt's priority returns the Non-secure view (the value
/// shifted left one bit: 0xa0 -> 0x40).
#[test]
fn non_secure_writes_to_secure_interrupt_configuration_are_ignored() {
    let code = program(|o| {
        let smc = o.new_dynamic_label();
        let el2 = o.new_dynamic_label();
        let vectors3 = o.new_dynamic_label();
        gic_pe_init(o);
        gicd_init(o);
        mov32(o, 5, 1 << 9);
        dynasm!(o ; .arch aarch64
            ; str w5, [x21, GICR_IGROUPR0]
            ; str wzr, [x21, GICR_IGRPMODR0]
            ; str wzr, [x22, GICD_IGROUPR1]
            ; movz w5, 0x40
            ; strb w5, [x21, GICR_IPRIORITYR + 5]
            ; movz w5, 0xa0
            ; strb w5, [x21, GICR_IPRIORITYR + 9]
            ; movz w5, 1 << 9 | 1 << 5
            ; str w5, [x21, GICR_ISENABLER0]);
        enter_ns_el2(o, el2, vectors3, SCR_RW | SCR_RES1 | SCR_NS);
        // Non-secure EL2 (MMU off: Non-secure PAS).
        dynasm!(o ; .arch aarch64 ; =>el2 ; ldr w19, [x21, GICR_IGROUPR0]);
        print(o, "ns: igroupr0=");
        hex(o, 19, 8);
        dynasm!(o ; .arch aarch64 ; ldr w19, [x21, GICR_ISENABLER0]);
        print(o, " isenabler0=");
        hex(o, 19, 8);
        dynasm!(o ; .arch aarch64 ; ldrb w19, [x21, GICR_IPRIORITYR + 5]);
        print(o, " prio5=");
        hex(o, 19, 2);
        dynasm!(o ; .arch aarch64 ; ldrb w19, [x21, GICR_IPRIORITYR + 9]);
        print(o, " prio9=");
        hex(o, 19, 2);
        print(o, "\n");
        dynasm!(o ; .arch aarch64
            ; movn w5, 0 // 0xffff_ffff
            ; str w5, [x21, GICR_IGROUPR0]
            ; str w5, [x21, GICR_IGRPMODR0]
            ; str w5, [x22, GICD_IGROUPR1]
            ; str w5, [x21, GICR_ICENABLER0]
            ; strb wzr, [x21, GICR_IPRIORITYR + 5]
            ; smc 0);
        // EL3: SMC from a lower EL (synchronous, lower EL using AArch64).
        dynasm!(o ; .arch aarch64 ; =>smc ; mrs x19, ESR_EL3 ; ubfx x19, x19, 26, 6);
        print(o, "root: ec=");
        hex(o, 19, 2);
        dynasm!(o ; .arch aarch64 ; ldr w19, [x21, GICR_IGROUPR0]);
        print(o, " igroupr0=");
        hex(o, 19, 8);
        dynasm!(o ; .arch aarch64 ; ldr w19, [x21, GICR_IGRPMODR0]);
        print(o, " igrpmodr0=");
        hex(o, 19, 8);
        dynasm!(o ; .arch aarch64 ; ldr w19, [x22, GICD_IGROUPR1]);
        print(o, " gicd_igroupr1=");
        hex(o, 19, 8);
        dynasm!(o ; .arch aarch64 ; ldr w19, [x21, GICR_ISENABLER0]);
        print(o, " isenabler0=");
        hex(o, 19, 8);
        dynasm!(o ; .arch aarch64 ; ldrb w19, [x21, GICR_IPRIORITYR + 5]);
        print(o, " prio5=");
        hex(o, 19, 2);
        print(o, "\n");
        power_off(o);
        vector_table(o, vectors3, ESR_EL3, &[(VEC_SYNC_LOWER_A64, smc)]);
    });
    let (_, stop, text) = run(1, code);
    assert_eq!(
        text,
        "ns: igroupr0=00000000 isenabler0=00000200 prio5=00 prio9=40\n\
         root: ec=17 igroupr0=00000200 igrpmodr0=00000000 gicd_igroupr1=00000000 isenabler0=00000020 prio5=40\n"
    );
    assert_eq!(stop, Stop::PowerOff);
}

/// A character arriving on UART0 raises its receive interrupt, which the
/// platform wires to SPI 5 (INTID 37, the FVP device tree's `interrupts =
/// <5>` on serial@90000 through the motherboard interrupt-map), taken here
/// as a Group 0 FIQ at EL3.
///
/// PL011 TRM (Arm DDI 0183) UARTIMSC.RXIM [4], UARTRIS.RXRIS: with the FIFOs
/// off, set when a character is received, cleared by reading UARTDR;
/// IHI 0069: an SPI's group (GICD_IGROUPR<n>, GICD_IGRPMODR<n>), priority
/// (GICD_IPRIORITYR<n>), route (GICD_IROUTER<n>: Aff 0.0.0.0, IRM 0) and
/// enable (GICD_ISENABLER<n>); ICC_IAR0_EL1 returns 37. After the handler
/// reads UARTDR and EOIs, the SPI is no longer pending (GICD_ISPENDR1).
#[test]
fn uart0_receive_interrupt_is_spi_37() {
    let (mut m, console) = machine(1, uart_rx_fiq_program());
    // Set-up, then every CPU sleeps with nothing to wake it.
    assert_eq!(m.run(Some(100_000)).stop, Stop::AllHalted);
    assert_eq!(console.text(), "");
    assert_eq!(m.uarts()[0].push_rx(b"Z"), 1);
    let s = m.run(Some(100_000));
    assert_eq!(console.text(), "fiq intid=025 rx=Z pending after=00\n");
    assert_eq!(s.stop, Stop::PowerOff);
}

/// The program of [`uart0_receive_interrupt_is_spi_37`].
fn uart_rx_fiq_program() -> Vec<u8> {
    program(|o| {
        let fiq = o.new_dynamic_label();
        let vectors = o.new_dynamic_label();
        gic_pe_init(o);
        gicd_init(o);
        // SPI 37: Group 0, priority 0x80, to PE 0.0.0.0, enabled.
        config_spi_group0(o, 37, 0x80);
        group0_fiqs_to_el3(o, 0xf0);
        // UART0: UARTCR = UARTEN | TXE | RXE, UARTIMSC = RXIM.
        dynasm!(o ; .arch aarch64
            ; adr x5, =>vectors
            ; msr VBAR_EL3, x5
            ; movz x24, 0x1c09, lsl 16
            ; movz w5, 0x301
            ; str w5, [x24, 0x30]
            ; movz w5, 1 << 4
            ; str w5, [x24, 0x38]
            ; isb
            ; msr daifclr, 1
            ; sleep:
            ; wfi
            ; b <sleep);
        dynasm!(o ; .arch aarch64 ; =>fiq ; mrs x19, ICC_IAR0_EL1);
        print(o, "fiq intid=");
        hex(o, 19, 3);
        dynasm!(o ; .arch aarch64 ; ldr w20, [x24]); // UARTDR
        print(o, " rx=");
        dynasm!(o ; .arch aarch64 ; movz x9, 0x1c09, lsl 16 ; str w20, [x9]);
        dynasm!(o ; .arch aarch64 ; msr ICC_EOIR0_EL1, x19 ; isb ; ldr w19, [x22, GICD_ISPENDR1] ; and w19, w19, 1 << 5);
        print(o, " pending after=");
        hex(o, 19, 2);
        print(o, "\n");
        power_off(o);
        vector_table(o, vectors, ESR_EL3, &[(VEC_FIQ_CURRENT_SPX, fiq)]);
    })
}

#[test]
fn console_input_reaches_uart0_while_the_guest_sleeps() {
    // The same through the machine's console input (what an interactive
    // terminal feeds): when every CPU sleeps, the machine waits for input
    // instead of stopping, then moves it into UART0's FIFO.
    let (mut m, console) = machine(1, uart_rx_fiq_program());
    let input = rme_emu::console::ConsoleInput::default();
    m.set_console_input(input.clone());
    let typist = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(50));
        input.push(b"Q");
        input.close();
    });
    let s = m.run(Some(100_000));
    typist.join().unwrap();
    assert_eq!(console.text(), "fiq intid=025 rx=Q pending after=00\n");
    assert_eq!(s.stop, Stop::PowerOff);
}
