//! Guest code drives the GICv3 virtual CPU interface end to end: a
//! hypervisor at Non-secure EL2 fills the list registers (`ICH_LR<n>_EL2`)
//! and controls the interface (`ICH_HCR_EL2`, `ICH_VMCR_EL2`); its guest
//! at Non-secure EL1 takes the virtual interrupts through its vector table
//! and handles them with the `ICC_*` encodings, which under
//! `HCR_EL2.IMO`/`FMO` name the `ICV_*` registers; the maintenance
//! interrupt reaches EL2 as a physical PPI.
//!
//! Expected values come from the *Arm Generic Interrupt Controller
//! Architecture Specification, GIC architecture version 3 and version 4*
//! (Arm IHI 0069: chapter 6 "Virtual interrupt handling and
//! prioritization", the `ICH_*_EL2` and `ICV_*_EL1` register descriptions)
//! and the *Arm Architecture Reference Manual for A-profile* (Arm DDI 0487:
//! exception vectors, HCR_EL2 routing of virtual interrupts, ESR_ELx.EC).
//!
//! The helpers are `common::guest`'s, as in `gic_through_cpus.rs`: programs
//! in the trusted ROM at the reset vector, UART0 output compared as text, an unexpected exception
//! printing `!vector <offset> esr=...`.

mod common;

use common::guest::*;
use dynasmrt::{DynamicLabel, DynasmApi, DynasmLabelApi, dynasm};
use rme_emu::Stop;

// ---------------------------------------------------------------------------
// System registers beyond `common::guest`'s (dynasm's packed
// `o0:op1:CRn:CRm:op2`). Encodings from the Arm ARM and IHI 0069 12.2/12.4.
// ---------------------------------------------------------------------------

const VBAR_EL1: u32 = sysreg(3, 0, 12, 0, 0);
const SPSR_EL2: u32 = sysreg(3, 4, 4, 0, 0);
const ELR_EL2: u32 = sysreg(3, 4, 4, 0, 1);
const ESR_EL1: u32 = sysreg(3, 0, 5, 2, 0);

/// ICH_HCR_EL2, Interrupt Controller Hyp Control Register.
const ICH_HCR_EL2: u32 = sysreg(3, 4, 12, 11, 0);
/// ICH_MISR_EL2, Interrupt Controller Maintenance Interrupt State Register.
const ICH_MISR_EL2: u32 = sysreg(3, 4, 12, 11, 2);
/// ICH_ELRSR_EL2, Interrupt Controller Empty List Register Status Register.
const ICH_ELRSR_EL2: u32 = sysreg(3, 4, 12, 11, 5);
/// ICH_VMCR_EL2, Interrupt Controller Virtual Machine Control Register.
const ICH_VMCR_EL2: u32 = sysreg(3, 4, 12, 11, 7);
/// ICH_LR0_EL2, Interrupt Controller List Register 0.
const ICH_LR0_EL2: u32 = sysreg(3, 4, 12, 12, 0);

/// HCR_EL2.FMO [3], IMO [4], RW [31] (EL1 is AArch64).
const HCR_FMO: u32 = 1 << 3;
const HCR_IMO: u32 = 1 << 4;
const HCR_RW: u32 = 1 << 31;
/// SPSR for EL1h with D, A, F masked and I clear (M [3:0] = 0b0101).
const SPSR_EL1H_I_UNMASKED: u32 = 0x345;

// ICH_LR<n>_EL2 fields (IHI 0069 ICH_LR<n>_EL2): State [63:62], HW [61],
// Group [60], Priority [55:48], pINTID [44:32], vINTID [31:0].
const LR_PENDING: u64 = 1 << 62;
const LR_HW: u64 = 1 << 61;
const LR_GROUP1: u64 = 1 << 60;
const fn lr_priority(p: u64) -> u64 {
    p << 48
}
// ICH_HCR_EL2.En [0], UIE [1]; ICH_VMCR_EL2.VENG1 [1], VPMR [31:24].
const ICH_HCR_EN: u32 = 1 << 0;
const ICH_HCR_UIE: u32 = 1 << 1;
const ICH_VMCR_VENG1: u32 = 1 << 1;
const ICH_VMCR_VPMR_FF: u32 = 0xff << 24;

/// SCR_EL3 for the hypervisor: Non-secure, EL2 AArch64, HVC enabled.
const SCR_NS_EL2_HVC: u32 = SCR_RW | SCR_HCE | SCR_RES1 | SCR_NS;

// ---------------------------------------------------------------------------
// Assembly helpers (the rest are in `common::guest`).
// ---------------------------------------------------------------------------

/// EL3: x20 = RD_base, x21 = SGI_base, x22 = GICD base of PE 0; the
/// Redistributor woken, ICC_SRE_EL3 = SRE | DFB | DIB | Enable, the
/// Distributor enabled (GICD_CTLR = EnableGrp0/1NS/1S, ARE_S/NS).
fn gic_init(o: &mut Asm) {
    gic_pe_init(o);
    gicd_init(o);
}

/// EL3: PPI `intid` as Non-secure Group 1 (GICR_IGROUPR0 bit set,
/// GICR_IGRPMODR0 = 0) at `priority`, enabled.
fn config_ns_ppi(o: &mut Asm, intid: u32, priority: u32) {
    config_private(o, 1 << intid, intid, priority);
}

/// EL2: HCR_EL2 = RW | IMO | FMO, ICC_SRE_EL2 = 0xf, VBAR_EL2 = `vectors2`.
fn el2_init(o: &mut Asm, vectors2: DynamicLabel) {
    mov32(o, 5, HCR_RW | HCR_IMO | HCR_FMO);
    dynasm!(o ; .arch aarch64
        ; msr HCR_EL2, x5
        ; adr x5, =>vectors2
        ; msr VBAR_EL2, x5
        ; movz x5, 0xf
        ; msr ICC_SRE_EL2, x5
        ; isb);
}

/// EL2: ERET to Non-secure EL1h at `el1` with PSTATE.I = 0 and VBAR_EL1 =
/// `vectors1`.
fn enter_el1(o: &mut Asm, el1: DynamicLabel, vectors1: DynamicLabel) {
    dynasm!(o ; .arch aarch64
        ; adr x5, =>vectors1
        ; msr VBAR_EL1, x5
        ; movz x5, SPSR_EL1H_I_UNMASKED
        ; msr SPSR_EL2, x5
        ; adr x5, =>el1
        ; msr ELR_EL2, x5
        ; isb
        ; eret);
}

// ---------------------------------------------------------------------------
// Tests.
// ---------------------------------------------------------------------------

/// EL2 puts a pending Group 1 virtual interrupt (vINTID 27, priority 0xa0)
/// in ICH_LR0_EL2 with ICH_HCR_EL2.En = 1 and ICH_VMCR_EL2.VENG1 = 1,
/// VPMR = 0xff, and enters EL1 with PSTATE.I = 0.
///
/// IHI 0069 chapter 6: the list register is the highest priority pending
/// virtual interrupt, its priority is below VPMR and the idle running
/// priority (0xff), so it is signalled; Group 1 is a virtual IRQ. The Arm
/// ARM takes a virtual IRQ (HCR_EL2.IMO = 1) at EL1, here from EL1 with
/// SP_EL1: VBAR_EL1 + 0x280. ICV_HPPIR1_EL1 and ICV_IAR1_EL1 return 27;
/// after the acknowledge ICV_RPR_EL1 is the interrupt's group priority
/// (0xa0, VBPR1 at its minimum 3 keeps bits [7:3]); ICV_EOIR1_EL1 with
/// VEOIM = 0 drops the priority (RPR 0xff) and deactivates the list
/// register. HVC (EC 0x16) goes to EL2, where ICH_LR0_EL2.State reads 0
/// (Invalid), ICH_ELRSR_EL2 = 0xf (all four list registers empty) and
/// ICH_MISR_EL2 = 0 (no maintenance condition enabled).
#[test]
fn list_register_interrupt_is_taken_as_virtual_irq_at_el1() {
    let code = program(|o| {
        let el2 = o.new_dynamic_label();
        let el1 = o.new_dynamic_label();
        let virq = o.new_dynamic_label();
        let hvc = o.new_dynamic_label();
        let (vectors1, vectors2, vectors3) = (
            o.new_dynamic_label(),
            o.new_dynamic_label(),
            o.new_dynamic_label(),
        );
        gic_init(o);
        enter_ns_el2(o, el2, vectors3, SCR_NS_EL2_HVC);
        // Non-secure EL2: the hypervisor.
        dynasm!(o ; .arch aarch64 ; =>el2);
        el2_init(o, vectors2);
        mov32(o, 5, ICH_VMCR_VENG1 | ICH_VMCR_VPMR_FF);
        dynasm!(o ; .arch aarch64 ; msr ICH_VMCR_EL2, x5 ; movz x5, ICH_HCR_EN ; msr ICH_HCR_EL2, x5);
        mov64(o, 5, LR_PENDING | LR_GROUP1 | lr_priority(0xa0) | 27);
        dynasm!(o ; .arch aarch64 ; msr ICH_LR0_EL2, x5 ; isb);
        enter_el1(o, el1, vectors1);
        // Non-secure EL1: the guest waits.
        dynasm!(o ; .arch aarch64 ; =>el1 ; sleep: ; wfi ; b <sleep);
        // The guest's IRQ handler.
        dynasm!(o ; .arch aarch64 ; =>virq ; mrs x19, ICC_HPPIR1_EL1);
        print(o, "el1 virq hppir1=");
        hex(o, 19, 3);
        dynasm!(o ; .arch aarch64 ; mrs x25, ICC_IAR1_EL1 ; mrs x19, ICC_RPR_EL1);
        print(o, " iar1=");
        hex(o, 25, 3);
        print(o, " rpr=");
        hex(o, 19, 2);
        dynasm!(o ; .arch aarch64 ; msr ICC_EOIR1_EL1, x25 ; isb ; mrs x19, ICC_RPR_EL1);
        print(o, " rpr after eoi=");
        hex(o, 19, 2);
        dynasm!(o ; .arch aarch64 ; hvc 0);
        // EL2: the HVC.
        dynasm!(o ; .arch aarch64 ; =>hvc ; mrs x19, ESR_EL2 ; ubfx x19, x19, 26, 6);
        print(o, " | el2 ec=");
        hex(o, 19, 2);
        dynasm!(o ; .arch aarch64 ; mrs x19, ICH_LR0_EL2 ; lsr x19, x19, 62);
        print(o, " lr0.state=");
        hex(o, 19, 1);
        dynasm!(o ; .arch aarch64 ; mrs x19, ICH_ELRSR_EL2);
        print(o, " elrsr=");
        hex(o, 19, 1);
        dynasm!(o ; .arch aarch64 ; mrs x19, ICH_MISR_EL2);
        print(o, " misr=");
        hex(o, 19, 2);
        print(o, "\n");
        power_off(o);
        vector_table(o, vectors1, ESR_EL1, &[(VEC_IRQ_CURRENT_SPX, virq)]);
        vector_table(o, vectors2, ESR_EL2, &[(VEC_SYNC_LOWER_A64, hvc)]);
        vector_table(o, vectors3, ESR_EL3, &[]);
    });
    let (m, stop, text) = run(1, code);
    assert_eq!(
        text,
        "el1 virq hppir1=01b iar1=01b rpr=a0 rpr after eoi=ff | el2 ec=16 lr0.state=0 elrsr=f misr=00\n"
    );
    assert_eq!(stop, Stop::PowerOff);
    assert_eq!(m.cpus()[0].el(), 2);
}

/// The underflow maintenance interrupt: ICH_HCR_EL2.En = 1 and UIE = 1
/// with no valid list register set ICH_MISR_EL2.U [1]; the maintenance
/// interrupt, PPI 25 on FVP (made Non-secure Group 1 here), is
/// level-sensitive and reaches EL2 as a physical IRQ (HCR_EL2.IMO = 1:
/// VBAR_EL2 + 0x280 from EL2). ICC_IAR1_EL1 at EL2 (physical) returns 25.
/// Clearing UIE clears MISR and the interrupt's level, so after the EOI
/// nothing is pending: ICC_HPPIR1_EL1 = 1023.
#[test]
fn underflow_maintenance_interrupt_is_ppi_25_at_el2() {
    let code = program(|o| {
        let el2 = o.new_dynamic_label();
        let irq = o.new_dynamic_label();
        let (vectors2, vectors3) = (o.new_dynamic_label(), o.new_dynamic_label());
        gic_init(o);
        config_ns_ppi(o, 25, 0x80);
        enter_ns_el2(o, el2, vectors3, SCR_NS_EL2_HVC);
        dynasm!(o ; .arch aarch64 ; =>el2);
        el2_init(o, vectors2);
        dynasm!(o ; .arch aarch64
            ; movz x5, 0xf0
            ; msr ICC_PMR_EL1, x5
            ; movz x5, 1
            ; msr ICC_IGRPEN1_EL1, x5
            ; movz x5, ICH_HCR_EN | ICH_HCR_UIE
            ; msr ICH_HCR_EL2, x5
            ; isb
            ; msr daifclr, 2
            ; sleep:
            ; wfi
            ; b <sleep);
        dynasm!(o ; .arch aarch64 ; =>irq ; mrs x25, ICC_IAR1_EL1 ; mrs x19, ICH_MISR_EL2);
        print(o, "el2 irq iar1=");
        hex(o, 25, 3);
        print(o, " misr=");
        hex(o, 19, 2);
        dynasm!(o ; .arch aarch64
            ; movz x5, ICH_HCR_EN
            ; msr ICH_HCR_EL2, x5
            ; msr ICC_EOIR1_EL1, x25
            ; isb
            ; mrs x19, ICH_MISR_EL2);
        print(o, " | uie=0 misr=");
        hex(o, 19, 2);
        dynasm!(o ; .arch aarch64 ; mrs x19, ICC_HPPIR1_EL1);
        print(o, " hppir1=");
        hex(o, 19, 3);
        print(o, "\n");
        power_off(o);
        vector_table(o, vectors2, ESR_EL2, &[(VEC_IRQ_CURRENT_SPX, irq)]);
        vector_table(o, vectors3, ESR_EL3, &[]);
    });
    let (_, stop, text) = run(1, code);
    assert_eq!(
        text,
        "el2 irq iar1=019 misr=02 | uie=0 misr=00 hppir1=3ff\n"
    );
    assert_eq!(stop, Stop::PowerOff);
}

/// A hardware interrupt forwarded to the guest: PPI 20 (Non-secure Group
/// 1, made pending with GICR_ISPENDR0) is acknowledged at EL2 with
/// ICC_CTLR_EL1.EOImode = 1, so the EOI only drops its priority and it
/// stays active (GICR_ISACTIVER0 bit 20 = 1). EL2 injects it as vINTID 52
/// with ICH_LR0_EL2.HW = 1, pINTID = 20 and enters EL1.
///
/// IHI 0069 ICH_LR<n>_EL2.HW: when the guest deactivates the virtual
/// interrupt (ICV_EOIR1_EL1 with VEOIM = 0), the physical interrupt pINTID
/// is deactivated too: back at EL2 (HVC) GICR_ISACTIVER0 bit 20 reads 0
/// and the list register is Invalid.
#[test]
fn hw_list_register_eoi_deactivates_the_physical_interrupt() {
    let code = program(|o| {
        let el2 = o.new_dynamic_label();
        let el1 = o.new_dynamic_label();
        let irq2 = o.new_dynamic_label();
        let virq = o.new_dynamic_label();
        let hvc = o.new_dynamic_label();
        let (vectors1, vectors2, vectors3) = (
            o.new_dynamic_label(),
            o.new_dynamic_label(),
            o.new_dynamic_label(),
        );
        gic_init(o);
        config_ns_ppi(o, 20, 0x80);
        enter_ns_el2(o, el2, vectors3, SCR_NS_EL2_HVC);
        dynasm!(o ; .arch aarch64 ; =>el2);
        el2_init(o, vectors2);
        dynasm!(o ; .arch aarch64
            ; movz x5, 0xf0
            ; msr ICC_PMR_EL1, x5
            ; movz x5, 2 // ICC_CTLR_EL1.EOImode
            ; msr ICC_CTLR_EL1, x5
            ; movz x5, 1
            ; msr ICC_IGRPEN1_EL1, x5
            ; isb);
        mov32(o, 5, 1 << 20);
        dynasm!(o ; .arch aarch64
            ; str w5, [x21, GICR_ISPENDR0]
            ; msr daifclr, 2
            ; sleep:
            ; wfi
            ; b <sleep);
        // EL2 IRQ handler: acknowledge, drop priority, inject.
        dynasm!(o ; .arch aarch64
            ; =>irq2
            ; mrs x25, ICC_IAR1_EL1
            ; msr ICC_EOIR1_EL1, x25
            ; isb
            ; ldr w19, [x21, GICR_ISACTIVER0]
            ; ubfx x19, x19, 20, 1);
        print(o, "el2 irq iar1=");
        hex(o, 25, 3);
        print(o, " active=");
        hex(o, 19, 1);
        mov32(o, 5, ICH_VMCR_VENG1 | ICH_VMCR_VPMR_FF);
        dynasm!(o ; .arch aarch64 ; msr ICH_VMCR_EL2, x5 ; movz x5, ICH_HCR_EN ; msr ICH_HCR_EL2, x5);
        mov64(
            o,
            5,
            LR_PENDING | LR_HW | LR_GROUP1 | lr_priority(0xa0) | 20 << 32 | 52,
        );
        dynasm!(o ; .arch aarch64 ; msr ICH_LR0_EL2, x5 ; isb);
        enter_el1(o, el1, vectors1);
        dynasm!(o ; .arch aarch64 ; =>el1 ; sleep1: ; wfi ; b <sleep1);
        // EL1 virtual IRQ handler.
        dynasm!(o ; .arch aarch64 ; =>virq ; mrs x25, ICC_IAR1_EL1 ; msr ICC_EOIR1_EL1, x25 ; isb);
        print(o, " | el1 virq iar1=");
        hex(o, 25, 3);
        dynasm!(o ; .arch aarch64 ; hvc 0);
        // EL2: check the physical state.
        dynasm!(o ; .arch aarch64 ; =>hvc ; ldr w19, [x21, GICR_ISACTIVER0] ; ubfx x19, x19, 20, 1);
        print(o, " | el2 active=");
        hex(o, 19, 1);
        dynasm!(o ; .arch aarch64 ; mrs x19, ICH_LR0_EL2 ; lsr x19, x19, 62);
        print(o, " lr0.state=");
        hex(o, 19, 1);
        print(o, "\n");
        power_off(o);
        vector_table(o, vectors1, ESR_EL1, &[(VEC_IRQ_CURRENT_SPX, virq)]);
        vector_table(
            o,
            vectors2,
            ESR_EL2,
            &[(VEC_IRQ_CURRENT_SPX, irq2), (VEC_SYNC_LOWER_A64, hvc)],
        );
        vector_table(o, vectors3, ESR_EL3, &[]);
    });
    let (_, stop, text) = run(1, code);
    assert_eq!(
        text,
        "el2 irq iar1=014 active=1 | el1 virq iar1=034 | el2 active=0 lr0.state=0\n"
    );
    assert_eq!(stop, Stop::PowerOff);
}
