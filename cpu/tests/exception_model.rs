//! The exception model and the security states, checked against the rules
//! of the Arm ARM pseudocode (named in each test): exception entry and
//! return, UNDEFINED/trap rules of SVC/HVC/SMC, interrupt routing and
//! masking, and the PAS each security state's accesses carry.

use dynasmrt::{aarch64::Aarch64Relocation, dynasm, VecAssembler};
use rme_cpu::{Cpu, CpuConfig, StepEvent, SysReg};
use rme_mmu::{AccessAttrs, MmioDevice, MmioResult, Pas, PhysBus, SecurityState};
use std::sync::{Arc, Mutex};

type Asm = VecAssembler<Aarch64Relocation>;

const RAM: u64 = 0x8000_0000;
const PROBE: u64 = 0x1c09_0000;

const SCR_NS: u64 = 1;
const SCR_IRQ: u64 = 1 << 1;
const SCR_SMD: u64 = 1 << 7;
const SCR_HCE: u64 = 1 << 8;
const SCR_RW: u64 = 1 << 10;
const SCR_EEL2: u64 = 1 << 18;
const SCR_NSE: u64 = 1 << 62;
const HCR_IMO: u64 = 1 << 4;
const HCR_TSC: u64 = 1 << 19;
const HCR_TGE: u64 = 1 << 27;

/// An MMIO device that records the PAS of every access.
#[derive(Default)]
struct PasProbe(Mutex<Vec<Pas>>);
impl MmioDevice for PasProbe {
    fn name(&self) -> &str {
        "pas-probe"
    }
    fn read(&self, _o: u64, _s: u8, a: AccessAttrs) -> MmioResult<u64> {
        self.0.lock().unwrap().push(a.pas);
        Ok(0)
    }
    fn write(&self, _o: u64, _s: u8, _v: u64, a: AccessAttrs) -> MmioResult<()> {
        self.0.lock().unwrap().push(a.pas);
        Ok(())
    }
}

fn machine(code: &[u8]) -> (Cpu, PhysBus, Arc<PasProbe>) {
    let mut bus = PhysBus::new();
    bus.add_ram("dram", RAM, 1 << 20).unwrap();
    let probe = Arc::new(PasProbe::default());
    bus.add_mmio("probe", PROBE, 0x1000, probe.clone()).unwrap();
    bus.load(RAM, code).unwrap();
    let mut cfg = CpuConfig::fvp(0);
    cfg.rvbar = RAM;
    (Cpu::new(cfg), bus, probe)
}

fn asm(f: impl FnOnce(&mut Asm)) -> Vec<u8> {
    let mut ops = Asm::new(0);
    f(&mut ops);
    ops.finalize().unwrap()
}

/// Steps until an exception is taken (or `limit` steps pass).
fn run_to_exception(cpu: &mut Cpu, bus: &PhysBus, limit: usize) -> rme_cpu::ExceptionRecord {
    for _ in 0..limit {
        match cpu.step(bus) {
            StepEvent::Exception(r) | StepEvent::Interrupt(r) => return r,
            StepEvent::Retired => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    panic!("no exception within {limit} steps, pc={:#x}", cpu.state.pc)
}

/// Puts the CPU at `el` (h) of the state given by SCR_EL3 `scr`, PC = RAM.
fn enter(cpu: &mut Cpu, scr: u64, el: u8) {
    cpu.set_sr(SysReg::SCR_EL3, scr);
    cpu.state.pstate.el = el;
    cpu.state.pstate.sp = el > 0;
    cpu.state.pc = RAM;
}

#[test]
fn eret_enters_each_security_state_with_its_pas() {
    // AArch64.ExceptionReturn from EL3: the lower EL's security state comes
    // from SCR_EL3.{NSE,NS}; its accesses use that state's PAS (MMU off).
    let code = asm(|o| {
        dynasm!(o ; .arch aarch64
            ; movz x1, 0x1c09, lsl 16
            ; str w0, [x1]
            ; brk 1)
    });
    for (scr, el, state, pas) in [
        (SCR_RW, 1u8, SecurityState::Secure, Pas::Secure),
        (SCR_RW | SCR_NS | SCR_HCE, 2, SecurityState::NonSecure, Pas::NonSecure),
        (SCR_RW | SCR_NS | SCR_NSE | SCR_HCE, 2, SecurityState::Realm, Pas::Realm),
    ] {
        let (mut cpu, bus, probe) = machine(&code);
        cpu.set_sr(SysReg::SCR_EL3, scr);
        cpu.set_sr(SysReg::SPSR_EL3, (el as u64) << 2 | 1 | 0x3c0);
        cpu.set_sr(SysReg::ELR_EL3, RAM);
        cpu.exception_return();
        assert_eq!(cpu.el(), el);
        assert_eq!(cpu.security_state(), state);
        let rec = run_to_exception(&mut cpu, &bus, 10);
        assert_eq!(rec.ec, 0x3c, "BRK");
        assert_eq!(probe.0.lock().unwrap().as_slice(), &[pas]);
    }
    // EL3 itself is Root and accesses the Root PAS.
    let (mut cpu, bus, probe) = machine(&code);
    assert_eq!(cpu.security_state(), SecurityState::Root);
    run_to_exception(&mut cpu, &bus, 10);
    assert_eq!(probe.0.lock().unwrap().as_slice(), &[Pas::Root]);
}

#[test]
fn illegal_exception_returns_set_pstate_il() {
    // AArch64.ExceptionReturn / IllegalExceptionReturn: (NSE,NS) = (1,0)
    // below EL3, EL2 without EL2 in the target state, and AArch32 (M[4]) are
    // illegal: PSTATE.IL is set, the EL is unchanged, and the next
    // instruction takes an Illegal Execution state exception (EC 0x0E).
    let code = asm(|o| dynasm!(o ; .arch aarch64 ; nop ; nop));
    for (scr, spsr_el) in [(SCR_RW | SCR_NSE, 1u64), (SCR_RW, 2), (SCR_RW | SCR_NS, 2 | 0x4)] {
        let (mut cpu, bus, _) = machine(&code);
        cpu.set_sr(SysReg::SCR_EL3, scr);
        cpu.set_sr(SysReg::VBAR_EL3, RAM + 0x800);
        cpu.set_sr(SysReg::SPSR_EL3, spsr_el << 2 | 1);
        cpu.set_sr(SysReg::ELR_EL3, RAM);
        cpu.exception_return();
        assert_eq!(cpu.el(), 3, "scr={scr:#x}");
        assert!(cpu.state.pstate.il);
        let rec = run_to_exception(&mut cpu, &bus, 2);
        assert_eq!((rec.ec, rec.target_el), (0x0e, 3));
        assert!(!cpu.state.pstate.il, "taking the exception clears PSTATE.IL");
        assert_eq!(cpu.sr(SysReg::SPSR_EL3) >> 20 & 1, 1, "SPSR_EL3.IL records it");
    }
    // A legal return to EL2 of Secure state needs SCR_EL3.EEL2.
    let (mut cpu, _bus, _) = machine(&code);
    cpu.set_sr(SysReg::SCR_EL3, SCR_RW | SCR_EEL2);
    cpu.set_sr(SysReg::SPSR_EL3, 2 << 2 | 1);
    cpu.set_sr(SysReg::ELR_EL3, RAM);
    cpu.exception_return();
    assert_eq!((cpu.el(), cpu.state.pstate.il), (2, false));
}

#[test]
fn svc_hvc_smc_routing_and_undefined_rules() {
    let svc = asm(|o| dynasm!(o ; .arch aarch64 ; svc 0x12));
    let hvc = asm(|o| dynasm!(o ; .arch aarch64 ; hvc 0x34));
    let smc = asm(|o| dynasm!(o ; .arch aarch64 ; smc 0x56));
    let ns = SCR_RW | SCR_NS | SCR_HCE;

    // SVC from EL0 goes to EL1, or to EL2 when HCR_EL2.TGE = 1.
    let (mut cpu, bus, _) = machine(&svc);
    enter(&mut cpu, ns, 0);
    let r = run_to_exception(&mut cpu, &bus, 1);
    assert_eq!((r.ec, r.target_el, r.iss, r.elr), (0x15, 1, 0x12, RAM + 4));
    assert_eq!(cpu.sr(SysReg::ESR_EL1), 0x15 << 26 | 1 << 25 | 0x12);
    let (mut cpu, bus, _) = machine(&svc);
    enter(&mut cpu, ns, 0);
    cpu.set_sr(SysReg::HCR_EL2, HCR_TGE);
    assert_eq!(run_to_exception(&mut cpu, &bus, 1).target_el, 2);

    // HVC: UNDEFINED when SCR_EL3.HCE = 0, and at Secure EL1 without SEL2.
    let (mut cpu, bus, _) = machine(&hvc);
    enter(&mut cpu, ns, 1);
    let r = run_to_exception(&mut cpu, &bus, 1);
    assert_eq!((r.ec, r.target_el, r.iss), (0x16, 2, 0x34));
    let (mut cpu, bus, _) = machine(&hvc);
    enter(&mut cpu, ns & !SCR_HCE, 1);
    assert_eq!(run_to_exception(&mut cpu, &bus, 1).ec, 0x00);
    let (mut cpu, bus, _) = machine(&hvc);
    enter(&mut cpu, SCR_RW | SCR_HCE, 1);
    assert_eq!(run_to_exception(&mut cpu, &bus, 1).ec, 0x00);

    // SMC: to EL3 (ELR = next instruction); HCR_EL2.TSC traps EL1 to EL2
    // with ELR = the SMC itself, before SCR_EL3.SMD is considered.
    let (mut cpu, bus, _) = machine(&smc);
    enter(&mut cpu, ns, 1);
    let r = run_to_exception(&mut cpu, &bus, 1);
    assert_eq!((r.ec, r.target_el, r.elr), (0x17, 3, RAM + 4));
    let (mut cpu, bus, _) = machine(&smc);
    enter(&mut cpu, ns | SCR_SMD, 1);
    cpu.set_sr(SysReg::HCR_EL2, HCR_TSC);
    let r = run_to_exception(&mut cpu, &bus, 1);
    assert_eq!((r.ec, r.target_el, r.elr), (0x17, 2, RAM));
    let (mut cpu, bus, _) = machine(&smc);
    enter(&mut cpu, ns | SCR_SMD, 1);
    let r = run_to_exception(&mut cpu, &bus, 1);
    assert_eq!((r.ec, r.target_el), (0x00, 1), "SMD makes SMC UNDEFINED");
    let (mut cpu, bus, _) = machine(&smc);
    enter(&mut cpu, ns, 0);
    assert_eq!(run_to_exception(&mut cpu, &bus, 1).ec, 0x00, "SMC is UNDEFINED at EL0");
}

#[test]
fn exception_entry_state_and_vector_offsets() {
    // AArch64.TakeException: vector offset 0x400 from a lower EL, 0x200 from
    // the same EL with SP_ELx; SPSR holds the old PSTATE; DAIF all set.
    let code = asm(|o| dynasm!(o ; .arch aarch64 ; svc 0 ; svc 1));
    let (mut cpu, bus, _) = machine(&code);
    enter(&mut cpu, SCR_RW | SCR_NS | SCR_HCE, 0);
    cpu.set_sr(SysReg::VBAR_EL1, RAM + 0x1000);
    cpu.state.pstate.set_daif(0);
    cpu.state.pstate.n = true;
    run_to_exception(&mut cpu, &bus, 1);
    assert_eq!(cpu.state.pc, RAM + 0x1000 + 0x400);
    assert_eq!(cpu.sr(SysReg::SPSR_EL1), 1 << 31, "N set, EL0t, DAIF clear");
    assert_eq!(cpu.state.pstate.daif(), 0x3c0);
    // Same EL, SP_EL1: offset 0x200.
    cpu.state.pc = RAM + 4;
    run_to_exception(&mut cpu, &bus, 1);
    assert_eq!(cpu.state.pc, RAM + 0x1000 + 0x200);
    assert_eq!(cpu.sr(SysReg::SPSR_EL1) & 0xf, 0b0101);
}

#[test]
fn interrupt_routing_and_masking() {
    // Asynchronous exception routing (Arm ARM D1.3.6): SCR_EL3.IRQ sends a
    // physical IRQ to EL3, unmaskable from below; without routing, an IRQ
    // for EL1 is masked by PSTATE.I at EL1 and never taken at EL2.
    let code = asm(|o| dynasm!(o ; .arch aarch64 ; nop ; nop ; nop));
    let (mut cpu, bus, _) = machine(&code);
    enter(&mut cpu, SCR_RW | SCR_NS | SCR_HCE | SCR_IRQ, 1);
    cpu.state.pstate.i = true;
    cpu.lines.irq = true;
    let r = run_to_exception(&mut cpu, &bus, 1);
    assert_eq!((r.target_el, r.kind), (3, rme_cpu::exception::ExceptionKind::Irq));
    assert_eq!(cpu.state.pc, 0x480, "VBAR_EL3 (0) + lower EL + IRQ");

    let (mut cpu, bus, _) = machine(&code);
    enter(&mut cpu, SCR_RW | SCR_NS | SCR_HCE, 1);
    cpu.state.pstate.i = true;
    cpu.lines.irq = true;
    assert_eq!(cpu.step(&bus), StepEvent::Retired, "masked at EL1");
    cpu.state.pstate.i = false;
    let r = run_to_exception(&mut cpu, &bus, 1);
    assert_eq!(r.target_el, 1);

    let (mut cpu, bus, _) = machine(&code);
    enter(&mut cpu, SCR_RW | SCR_NS | SCR_HCE, 2);
    cpu.state.pstate.i = false;
    cpu.lines.irq = true;
    assert_eq!(cpu.step(&bus), StepEvent::Retired, "an EL1 IRQ is not taken at EL2");
    cpu.set_sr(SysReg::HCR_EL2, HCR_IMO);
    assert_eq!(run_to_exception(&mut cpu, &bus, 1).target_el, 2);
}

#[test]
fn wfi_waits_until_an_interrupt_is_pending() {
    let code = asm(|o| dynasm!(o ; .arch aarch64 ; wfi ; nop));
    let (mut cpu, bus, _) = machine(&code);
    assert_eq!(cpu.step(&bus), StepEvent::Retired);
    assert_eq!(cpu.step(&bus), StepEvent::Waiting(rme_cpu::WaitState::Interrupt));
    cpu.lines.irq = true; // masked at EL3, but wakes WFI
    assert_eq!(cpu.step(&bus), StepEvent::Retired);
    assert_eq!(cpu.state.pc, RAM + 8);
}

#[test]
fn bus_errors_become_external_aborts() {
    // An access to nothing is a synchronous External abort (DFSC 0b010000),
    // taken at EL3 here, never a host panic.
    let code = asm(|o| {
        dynasm!(o ; .arch aarch64
            ; movz x1, 0x4000, lsl 16
            ; ldr x0, [x1])
    });
    let (mut cpu, bus, _) = machine(&code);
    let r = run_to_exception(&mut cpu, &bus, 3);
    assert_eq!((r.ec, r.target_el, r.iss & 0x3f, r.far), (0x25, 3, 0x10, Some(0x4000_0000)));
    // A fetch from nothing is an Instruction Abort.
    let (mut cpu, bus, _) = machine(&code);
    cpu.state.pc = 0x4000_0000;
    let r = run_to_exception(&mut cpu, &bus, 1);
    assert_eq!((r.ec, r.iss & 0x3f), (0x21, 0x10));
}

#[test]
fn sysreg_moves_respect_el_and_vhe() {
    // MRS of an EL3 register at EL2 is UNDEFINED; MSR SCTLR_EL1 at EL2 with
    // HCR_EL2.E2H = 1 writes SCTLR_EL2 (Arm ARM D5.6 "Virtualization Host Extensions").
    let code = asm(|o| {
        dynasm!(o ; .arch aarch64
            ; movz x0, 0x1234
            ; msr 0x4080, x0      // SCTLR_EL1 = S3_0_C1_C0_0
            ; mrs x1, 0x7088      // SCR_EL3 = S3_6_C1_C1_0
            )
    });
    let (mut cpu, bus, _) = machine(&code);
    enter(&mut cpu, SCR_RW | SCR_NS | SCR_HCE, 2);
    cpu.set_sr(SysReg::HCR_EL2, 1 << 34);
    cpu.step(&bus);
    cpu.step(&bus);
    assert_eq!(cpu.sr(SysReg::SCTLR_EL2), 0x1234);
    let r = run_to_exception(&mut cpu, &bus, 1);
    assert_eq!((r.ec, r.target_el), (0x00, 2));
}

#[test]
fn run_returns_from_an_exception_loop() {
    // VBAR_EL3 points at unmapped memory: every fetch takes an Instruction
    // Abort to that same vector and nothing retires. `run` must still
    // return after its budget instead of hanging the host.
    let code = asm(|o| dynasm!(o ; .arch aarch64 ; nop));
    let (mut cpu, bus, _) = machine(&code);
    cpu.set_sr(SysReg::VBAR_EL3, 0x4000_0000);
    cpu.state.pc = 0x4000_0000;
    let exit = cpu.run(&bus, 1000);
    assert_eq!(exit.retired, 0);
    assert_eq!(exit.reason, rme_cpu::StopReason::Budget);
}
