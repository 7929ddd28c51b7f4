//! The machine's run loop with tiny hand-assembled programs in the trusted
//! ROM: power requests, the instruction limit, the interrupt flag, SEV
//! broadcast between CPUs, and the stops for "nothing can wake" and
//! "not implemented".

mod common;

use common::guest::{asm, machine, sys_cfgctrl};
use dynasmrt::{DynasmApi, DynasmLabelApi, dynasm};
use rme_emu::Stop;
use std::sync::atomic::Ordering;

#[test]
fn power_off_and_reboot_requests_stop_the_run() {
    for (func, stop) in [(8, Stop::PowerOff), (9, Stop::Reboot)] {
        let code = asm(|o| {
            dynasm!(o ; .arch aarch64 ; movz x0, 0x1c09, lsl 16 ; movz w1, 0x4f ; str w1, [x0] ; movz w1, 0x6b ; str w1, [x0]);
            sys_cfgctrl(o, func);
        });
        let (mut m, console) = machine(1, code);
        let s = m.run(None);
        assert_eq!(s.stop, stop);
        assert_eq!(s.stop.exit_code(), 0);
        assert_eq!(console.bytes(), b"Ok");
    }
}

#[test]
fn instruction_limit_is_exact_and_resumable() {
    let code = asm(|o| dynasm!(o ; .arch aarch64 ; ->l: ; add x0, x0, 1 ; b ->l));
    let (mut m, _) = machine(1, code);
    let s = m.run(Some(1000));
    assert_eq!((s.stop.clone(), s.retired), (Stop::InstructionLimit, 1000));
    assert_eq!(s.stop.exit_code(), 3);
    assert_eq!(m.cpus()[0].state.x[0], 500);
    let s = m.run(Some(12_345));
    assert_eq!(s.retired, 12_345);
    assert_eq!(m.retired(), 13_345);
}

#[test]
fn instruction_limit_stops_an_exception_loop() {
    // VBAR_EL3 -> a page whose every vector is UDF: each Undefined
    // Instruction exception is taken to a UDF again, retiring nothing.
    let code = asm(|o| {
        dynasm!(o ; .arch aarch64
            ; movz x0, 0x1000
            ; msr 0x7600, x0      // VBAR_EL3 = S3_6_C12_C0_0
            ; isb
            ; udf 0);
        while o.offset().0 < 0x1000 + 0x800 {
            dynasm!(o ; .arch aarch64 ; udf 1);
        }
    });
    let (mut m, _) = machine(1, code);
    let s = m.run(Some(50_000));
    assert_eq!(s.stop, Stop::InstructionLimit);
    assert_eq!(s.retired, 3, "only the set-up retires");
}

#[test]
fn interrupt_flag_stops_the_run() {
    let code = asm(|o| dynasm!(o ; .arch aarch64 ; ->l: ; b ->l));
    let (mut m, _) = machine(1, code);
    m.interrupt_flag().store(true, Ordering::SeqCst);
    let s = m.run(None);
    assert_eq!((s.stop.clone(), s.retired), (Stop::Interrupted, 0));
    assert_eq!(s.stop.exit_code(), 130);
}

#[test]
fn wfi_with_no_wake_up_source_is_reported() {
    let code = asm(|o| dynasm!(o ; .arch aarch64 ; nop ; wfi ; b 0));
    let (mut m, _) = machine(1, code);
    let s = m.run(None);
    assert_eq!(s.stop, Stop::AllHalted);
    assert_eq!(s.stop.exit_code(), 1);
    assert_eq!(
        s.stop.to_string(),
        "all CPUs halted in WFI/WFE with no wake-up source"
    );
    assert_eq!(s.retired, 2);
}

#[test]
fn secondaries_stay_off_at_reset() {
    // Every CPU would print its own mark; only CPU 0 runs.
    let code = asm(|o| {
        dynasm!(o ; .arch aarch64
            ; mrs x4, 0x4005            // MPIDR_EL1
            ; ubfx x4, x4, 8, 8         // Aff1 = core
            ; add w1, w4, 0x30          // '0' + core
            ; movz x0, 0x1c09, lsl 16
            ; str w1, [x0]);
        sys_cfgctrl(o, 8);
    });
    let (mut m, console) = machine(4, code);
    assert_eq!(m.run(None).stop, Stop::PowerOff);
    assert_eq!(console.bytes(), b"0");
}

#[test]
fn sev_wakes_a_cpu_waiting_in_wfe() {
    // CPU 1 waits in WFE for a flag in trusted SRAM, then prints and powers
    // off; CPU 0 spins well past one quantum, sets the flag, SEV, then WFI.
    // Without the SEV broadcast CPU 1 would sleep for ever.
    let code = asm(|o| {
        dynasm!(o ; .arch aarch64
            ; movz x5, 0x0400, lsl 16   // trusted SRAM
            ; mrs x4, 0x4005
            ; ubfx x4, x4, 8, 8
            ; cbnz x4, ->secondary
            ; movz x6, 50_000
            ; ->spin:
            ; subs x6, x6, 1
            ; b.ne ->spin
            ; movz w7, 1
            ; str w7, [x5]
            ; sev
            ; ->primary_park:
            ; wfi
            ; b ->primary_park
            ; ->secondary:
            ; wfe
            ; ldr w7, [x5]
            ; cbz w7, ->secondary
            ; movz x0, 0x1c09, lsl 16
            ; movz w1, 0x31
            ; str w1, [x0]);
        sys_cfgctrl(o, 8);
    });
    let (mut m, console) = machine(2, code);
    m.cpus_mut()[1].power_on();
    let s = m.run(None);
    assert_eq!(s.stop, Stop::PowerOff);
    assert_eq!(console.bytes(), b"1");
    assert!(s.retired > 100_000);
}

#[test]
fn a_store_to_a_reserved_location_wakes_wfe() {
    // A spinlock as TF-A takes it: CPU 1 finds the lock word held
    // (LDAXR sees 1) and waits in WFE; CPU 0 releases it with STLR and never
    // executes SEV. Clearing CPU 1's global monitor is the wake-up event
    // (Arm ARM D1.6.1); without it CPU 1 would sleep for ever.
    let code = asm(|o| {
        dynasm!(o ; .arch aarch64
            ; movz x5, 0x0400, lsl 16   // trusted SRAM: the lock word
            ; mrs x4, 0x4005
            ; ubfx x4, x4, 8, 8
            ; cbnz x4, ->secondary
            ; movz w7, 1
            ; str w7, [x5]              // take the lock
            ; movz x6, 50_000
            ; ->spin:
            ; subs x6, x6, 1
            ; b.ne ->spin
            ; stlr wzr, [x5]            // release: no SEV
            ; ->primary_park:
            ; wfi
            ; b ->primary_park
            ; ->secondary:
            ; movz x6, 5_000             // let CPU 0 take the lock first
            ; ->delay:
            ; subs x6, x6, 1
            ; b.ne ->delay
            ; sevl
            ; ->wait:
            ; wfe
            ; ldaxr w7, [x5]
            ; cbnz w7, ->wait
            ; movz x0, 0x1c09, lsl 16
            ; movz w1, 0x32
            ; str w1, [x0]);
        sys_cfgctrl(o, 8);
    });
    let (mut m, console) = machine(2, code);
    m.cpus_mut()[1].power_on();
    let s = m.run(None);
    assert_eq!(s.stop, Stop::PowerOff);
    assert_eq!(console.bytes(), b"2");
}

#[test]
fn runs_are_deterministic() {
    let code = asm(|o| {
        dynasm!(o ; .arch aarch64
            ; movz x6, 30_000
            ; ->l: ; subs x6, x6, 1 ; b.ne ->l);
        sys_cfgctrl(o, 8);
    });
    let a = machine(1, code.clone()).0.run(None);
    let b = machine(1, code).0.run(None);
    assert_eq!((a.stop, a.retired), (b.stop, b.retired));
}

#[test]
fn guest_time_follows_retired_instructions() {
    let code = asm(|o| dynasm!(o ; .arch aarch64 ; ->l: ; b ->l));
    let (mut m, _) = machine(1, code);
    assert_eq!(m.guest_time_ns(), 0);
    m.run(Some(25_000));
    assert_eq!(m.guest_time_ns(), 25_000 * rme_emu::machine::NS_PER_INSN);
}

#[test]
fn a_powered_down_cpu_is_woken_by_the_gic_through_the_power_controller() {
    // CPU 0 arms the memory-mapped timer's frame 1 (CNTBase1, SPI 26 =
    // INTID 58), routes that SPI to itself as Group 0, enables its GIC
    // wake-up (PWKUPR.WEN), marks its Redistributor asleep
    // (GICR_WAKER.ProcessorSleep) and powers itself down (PPOFFR + WFI), as
    // TF-A's PSCI CPU_SUSPEND does on FVP. When the timer fires, the
    // Redistributor's wake request makes the power controller power the PE
    // on again: it restarts at the reset vector and PSYSR.WK reads 3
    // (wake by GIC WakeRequest), which it prints as 'W'.
    let code = asm(|o| {
        dynasm!(o ; .arch aarch64
            ; movz x1, 0x1c10, lsl 16           // power controller
            ; mrs x0, 0x4005                    // MPIDR_EL1
            ; and x0, x0, 0xff_ffff
            ; str w0, [x1, 0x10]                // PSYSR select
            ; ldr w2, [x1, 0x10]
            ; ubfx w2, w2, 24, 2                // PSYSR.WK
            ; cmp w2, 3
            ; b.eq ->woken
            // GICD_CTLR: EnableGrp0 | ARE_S | ARE_NS, wait for RWP.
            ; movz x3, 0x2f00, lsl 16
            ; movz w4, 0x31
            ; str w4, [x3]
            ; ->rwp:
            ; ldr w4, [x3]
            ; tbnz w4, 31, ->rwp
            // INTID 58: Group 0 (GICD_IGROUPR1 bit 26 clear at reset),
            // priority 0x80, GICD_IROUTER58 = PE 0.0.0.0, enabled.
            ; movz w4, 0x80
            ; strb w4, [x3, 0x400 + 58]
            ; movz x5, 0x61d0
            ; str xzr, [x3, x5]
            ; movz w4, 0x400, lsl 16             // bit 26
            ; str w4, [x3, 0x104]
            // Timer frame 1: CNTACR1 gives every access, then CNTP_TVAL =
            // 100_000 (1 ms at 100 MHz) and CNTP_CTL.ENABLE.
            ; movz x6, 0x2a81, lsl 16
            ; movz w4, 0x3f
            ; str w4, [x6, 0x44]
            ; movz x6, 0x2a83, lsl 16
            ; movz w4, 0x86a0
            ; movk w4, 0x1, lsl 16
            ; str w4, [x6, 0x28]
            ; movz w4, 1
            ; str w4, [x6, 0x2c]
            // PWKUPR = MPIDR | WEN; GICR_WAKER.ProcessorSleep; PPOFFR; WFI.
            ; orr w4, w0, 0x8000_0000
            ; str w4, [x1, 0x0c]
            ; movz x7, 0x2f10, lsl 16
            ; movz w4, 2
            ; str w4, [x7, 0x14]
            ; str w0, [x1]
            ; dsb sy
            ; ->off:
            ; wfi
            ; b ->off
            ; ->woken:
            ; movz x0, 0x1c09, lsl 16
            ; movz w1, 0x57
            ; str w1, [x0]);
        sys_cfgctrl(o, 8);
    });
    let (mut m, console) = machine(1, code);
    let s = m.run(Some(1_000_000));
    assert_eq!(console.bytes(), b"W", "woken by the GIC through PWKUPR");
    assert_eq!(s.stop, Stop::PowerOff);
    assert!(m.guest_time_ns() >= 1_000_000, "the timer's 1 ms passed in guest time");
    // 1 ms is 1 M instructions of guest time: the machine jumped over the
    // power-down instead (what retires is the set-up, then the parking
    // loop's WFI falling through for the rest of a quantum, since the
    // timer's interrupt stays pending).
    assert!(s.retired < 100_000, "the power-down wait was skipped over, not spun: {} retired", s.retired);
}
