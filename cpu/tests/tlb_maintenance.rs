//! TLB maintenance invalidates what it names (Arm ARM DDI0487 D8.13/D8.14
//! "TLB maintenance instructions", C5.5 "A64 System instructions for TLB
//! maintenance", pseudocode `AArch64.TLBI_VA`, `AArch64.TLBI_ASID`,
//! `AArch64.TLBI_VMALL`, `AArch64.TLBI_IPAS2`, `TLBIMatch`).
//!
//! Guest code (dynasm) fills the TLB, rewrites descriptors in memory, then
//! issues a TLBI. A translation the TLBI covers must not be used again; one
//! it does not cover may still be (D8.13: "a translation may be cached"),
//! and the emulator keeps using it, which shows the TLBI was not a flush.
//!
//! The emulator's TLB is direct-mapped on VA[21:12] (1024 sets): the data
//! VAs here use sets the code, vector and table pages do not.

use dynasmrt::{DynasmApi, DynasmLabelApi, VecAssembler, aarch64::Aarch64Relocation, dynasm};
use rme_cpu::tlb::{AsidMatch, TlbInvalidation, TlbiContext, TlbiOp, VaRange, decode_tlbi};
use rme_cpu::{Cpu, CpuConfig, StepEvent, SysReg};
use rme_mmu::translation::Regime;
use rme_mmu::{PhysBus, SecurityState};

type Asm = VecAssembler<Aarch64Relocation>;

const RAM: u64 = 0x8000_0000;
const RAM_SIZE: u64 = 0x8000_0000;
const CODE: u64 = RAM;
const VECTORS: u64 = RAM + 0x2_0000;
/// Stage 1 tables (EL1&0 from TABLES, EL2 from EL2_TABLES, the same 2 MB
/// block, which the EL1&0 regime maps so the guest can edit both).
const TABLES: u64 = RAM + 0x40_0000;
const EL2_TABLES: u64 = RAM + 0x50_0000;
const S2_TABLES: u64 = RAM + 0x80_0000;
const DATA: u64 = RAM + 0x100_0000;

// Sysreg encodings for MSR/MRS (op0, op1, CRn, CRm, op2).
const fn sr(op0: u32, op1: u32, crn: u32, crm: u32, op2: u32) -> u32 {
    (op0 - 2) << 14 | op1 << 11 | crn << 7 | crm << 3 | op2
}
const SCTLR_EL1: u32 = sr(3, 0, 1, 0, 0);
const TTBR0_EL1: u32 = sr(3, 0, 2, 0, 0);
const TCR_EL1: u32 = sr(3, 0, 2, 0, 2);
const MAIR_EL1: u32 = sr(3, 0, 10, 2, 0);
const SCTLR_EL2: u32 = sr(3, 4, 1, 0, 0);
const HCR_EL2: u32 = sr(3, 4, 1, 1, 0);
const TTBR0_EL2: u32 = sr(3, 4, 2, 0, 0);
const TCR_EL2: u32 = sr(3, 4, 2, 0, 2);
const VTTBR_EL2: u32 = sr(3, 4, 2, 1, 0);
const VTCR_EL2: u32 = sr(3, 4, 2, 1, 2);
const MAIR_EL2: u32 = sr(3, 4, 10, 2, 0);
const SPSR_EL2: u32 = sr(3, 4, 4, 0, 0);
const ELR_EL2: u32 = sr(3, 4, 4, 0, 1);

const SCR_NS: u64 = 1;
const SCR_HCE: u64 = 1 << 8;
const SCR_RW: u64 = 1 << 10;
const SCR_NONSECURE: u64 = SCR_NS | SCR_RW | SCR_HCE;
const HCR_VM: u64 = 1;
const HCR_RW: u64 = 1 << 31;
const SPSR_EL1H: u64 = 0x3c5;

const SCTLR_MMU_ON: u64 = 1 | 1 << 2 | 1 << 12;
const AP_EL0: u64 = 1 << 6;
const SH_INNER: u64 = 0b11 << 8;
const AF: u64 = 1 << 10;
const NG: u64 = 1 << 11;
const MAIR: u64 = 0xff;
const NORMAL: u64 = AF | SH_INNER;
const NORMAL_EL2: u64 = NORMAL | AP_EL0;
const S2_NORMAL: u64 = AF | SH_INNER | 0b1111 << 2 | 1 << 6 | 1 << 7;
const PAGE: u64 = 0b11;
const BLOCK: u64 = 0b01;

/// TCR_EL1 value: T0SZ 25, 4KB, EPD1, IPS 48 bits; walks WB Inner Shareable.
const TCR1: u64 = 25 | 1 << 8 | 1 << 10 | 0b11 << 12 | 1 << 23 | 0b10 << 30 | 5 << 32;
/// TCR_EL2 value (E2H = 0): T0SZ 25, 4KB, PS 48 bits, RES1 bits 23 and 31.
const TCR2: u64 = 25 | 1 << 8 | 1 << 10 | 0b11 << 12 | 5 << 16 | 1 << 23 | 1 << 31;
/// VTCR_EL2: T0SZ 25, SL0 = 1, 4KB, PS 48 bits, RES1 bit 31.
const VTCR: u64 = 25 | 1 << 6 | 1 << 8 | 1 << 10 | 0b11 << 12 | 5 << 16 | 1 << 31;

// TLBI (op1, CRm, op2) with CRn = 8 (C5.5).
const VMALLE1: (u32, u32, u32) = (0, 7, 0);
const VAE1: (u32, u32, u32) = (0, 7, 1);
const ASIDE1: (u32, u32, u32) = (0, 7, 2);
const VAAE1: (u32, u32, u32) = (0, 7, 3);
const VALE1: (u32, u32, u32) = (0, 7, 5);
const RVAE1: (u32, u32, u32) = (0, 6, 1);
const VMALLE1IS: (u32, u32, u32) = (0, 3, 0);
const IPAS2E1IS: (u32, u32, u32) = (4, 0, 1);
const ALLE2: (u32, u32, u32) = (4, 7, 0);

/// `TLBI <op>, X<rt>`: SYS #op1, C8, C<CRm>, #op2, X<rt>.
fn tlbi(o: &mut Asm, (op1, crm, op2): (u32, u32, u32), rt: u32) {
    o.push_u32(0xd508_0000 | op1 << 16 | 8 << 12 | crm << 8 | op2 << 5 | rt);
}

fn barrier(o: &mut Asm) {
    dynasm!(o ; .arch aarch64 ; dsb ish ; isb);
}

fn asm(f: impl FnOnce(&mut Asm)) -> Vec<u8> {
    let mut o = Asm::new(0);
    f(&mut o);
    o.finalize().unwrap()
}

struct Machine {
    cpu: Cpu,
    bus: PhysBus,
}

impl Machine {
    fn new(code: &[u8], el: u8) -> Machine {
        let mut bus = PhysBus::new();
        bus.add_ram("dram", RAM, RAM_SIZE).unwrap();
        bus.load(CODE, code).unwrap();
        let mut cfg = CpuConfig::fvp(0);
        cfg.rvbar = CODE;
        let mut cpu = Cpu::new(cfg);
        for v in [SysReg::VBAR_EL1, SysReg::VBAR_EL2, SysReg::VBAR_EL3] {
            cpu.set_sr(v, VECTORS);
        }
        cpu.set_sr(SysReg::SCR_EL3, SCR_NONSECURE);
        cpu.state.pstate.el = el;
        cpu.state.pstate.sp = true;
        cpu.state.pc = CODE;
        Machine { cpu, bus }
    }

    /// The handler of synchronous exceptions from a lower EL (VBAR + 0x400).
    fn lower_el_vector(&self, code: &[u8]) {
        self.bus.load(VECTORS + 0x400, code).unwrap();
    }

    fn write64(&self, pa: u64, v: u64) {
        self.bus.load(pa, &v.to_le_bytes()).unwrap();
    }

    fn read64(&self, pa: u64) -> u64 {
        let mut b = [0; 8];
        self.bus.read_bytes(pa, &mut b).unwrap();
        u64::from_le_bytes(b)
    }

    fn x(&self, n: usize) -> u64 {
        self.cpu.state.x[n]
    }

    fn set_x(&mut self, regs: &[(usize, u64)]) {
        for &(n, v) in regs {
            self.cpu.state.x[n] = v;
        }
    }

    /// Steps (through HVCs, which the test handles at EL2) to `brk #imm`.
    fn run_to_brk(&mut self, imm: u32) {
        for _ in 0..1000 {
            match self.cpu.step(&self.bus) {
                StepEvent::Retired => {}
                StepEvent::Exception(r) if r.ec == 0x16 => {}
                StepEvent::Exception(r) => {
                    assert_eq!((r.ec, r.iss), (0x3c, imm), "expected BRK #{imm}: {r:x?}");
                    return;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        panic!("no BRK, pc={:#x}", self.cpu.state.pc)
    }
}

/// A 4KB-granule translation table tree (start level 1, 39-bit input),
/// tables from a bump allocator.
struct Pt {
    root: u64,
    next: u64,
}

impl Pt {
    fn new(m: &Machine, area: u64) -> Pt {
        let mut pt = Pt {
            root: 0,
            next: area,
        };
        pt.root = pt.alloc(m);
        pt
    }

    fn alloc(&mut self, m: &Machine) -> u64 {
        let t = self.next;
        self.next += 0x1000;
        m.bus.load(t, &[0; 0x1000]).unwrap();
        t
    }

    /// The descriptor address for `va` at `level` (1..=3), creating tables.
    fn slot(&mut self, m: &Machine, va: u64, level: u32) -> u64 {
        let mut table = self.root;
        for l in 1..level {
            let da = table + ((va >> (39 - 9 * l)) & 0x1ff) * 8;
            let d = m.read64(da);
            table = if d & 3 == 3 {
                d & 0x0000_ffff_ffff_f000
            } else {
                let t = self.alloc(m);
                m.write64(da, t | 3);
                t
            };
        }
        table + ((va >> (39 - 9 * level)) & 0x1ff) * 8
    }

    /// Maps `va` to `pa` (a page at level 3, a block above); returns the
    /// descriptor's address.
    fn map(&mut self, m: &Machine, va: u64, pa: u64, level: u32, attrs: u64) -> u64 {
        let da = self.slot(m, va, level);
        m.write64(da, pa | attrs | if level == 3 { PAGE } else { BLOCK });
        da
    }
}

/// Non-secure EL1 with the EL1&0 MMU on (x0-x3 hold MAIR, TCR, TTBR0,
/// SCTLR), code and tables identity mapped, then `body`.
fn el1_machine(body: impl FnOnce(&mut Asm), asid: u64) -> (Machine, Pt) {
    let code = asm(|o| {
        dynasm!(o ; .arch aarch64
            ; msr MAIR_EL1, x0 ; msr TCR_EL1, x1 ; msr TTBR0_EL1, x2 ; isb
            ; msr SCTLR_EL1, x3 ; isb);
        body(o);
    });
    let mut m = Machine::new(&code, 1);
    let mut pt = Pt::new(&m, TABLES);
    pt.map(&m, CODE, CODE, 2, NORMAL);
    pt.map(&m, TABLES, TABLES, 2, NORMAL);
    m.set_x(&[
        (0, MAIR),
        (1, TCR1),
        (2, pt.root | asid << 48),
        (3, SCTLR_MMU_ON),
    ]);
    (m, pt)
}

/// Xt of a TLBI by VA: ASID in [63:48], VA[55:12] in [43:0].
fn va_op(asid: u64, va: u64) -> u64 {
    asid << 48 | (va >> 12) & ((1 << 44) - 1)
}

#[test]
fn tlbi_vae1_invalidates_only_the_named_page() {
    // AArch64.TLBI_VA: entries translating VA1 go; VA2's cached (now
    // stale) translation is not named, so it may be, and here is, used.
    let (va1, va2) = (0x40_0008_0000u64, 0x40_0010_1000u64); // sets 0x080, 0x101
    let (mut m, mut pt) = el1_machine(
        |o| {
            dynasm!(o ; .arch aarch64
                ; ldr x10, [x20] ; ldr x11, [x21]
                ; str x5, [x6] ; str x7, [x8] ; dsb ish
                ; ldr x12, [x20] ; ldr x13, [x21]);
            tlbi(o, VAE1, 22);
            barrier(o);
            dynasm!(o ; .arch aarch64 ; ldr x14, [x20] ; ldr x15, [x21] ; brk 1);
        },
        0,
    );
    let pte1 = pt.map(&m, va1, DATA, 3, NORMAL);
    let pte2 = pt.map(&m, va2, DATA + 0x2000, 3, NORMAL);
    for (i, pa) in [DATA, DATA + 0x1000, DATA + 0x2000, DATA + 0x3000]
        .into_iter()
        .enumerate()
    {
        m.write64(pa, i as u64 + 1);
    }
    m.set_x(&[
        (5, (DATA + 0x1000) | NORMAL | PAGE),
        (6, pte1),
        (7, (DATA + 0x3000) | NORMAL | PAGE),
        (8, pte2),
        (20, va1),
        (21, va2),
        (22, va_op(0, va1)),
    ]);
    m.run_to_brk(1);
    assert_eq!((m.x(10), m.x(11)), (1, 3), "first mappings");
    assert_eq!((m.x(12), m.x(13)), (1, 3), "cached, changes not seen yet");
    assert_eq!(m.x(14), 2, "TLBI VAE1 VA1: the new mapping");
    assert_eq!(m.x(15), 3, "VA2 not named: its cached translation survives");
    assert!(
        !m.cpu.take_tlbi_broadcast(),
        "a non-shareable TLBI is local"
    );
}

#[test]
fn tlbi_by_va_drops_every_cached_piece_of_a_block() {
    // A 2 MB block is cached as 4 KB pieces; TLBI VALE1 of one VA of the
    // block must remove the whole block's translation (the entry "used to
    // translate" the VA is the block). A VA outside the block does not.
    let blk = 0x40_0020_0000u64;
    let (a, b) = (blk + 0x3000, blk + 0x15_0000); // sets 0x203, 0x350
    let (p1, p2) = (RAM + 0x200_0000, RAM + 0x400_0000);
    let (mut m, mut pt) = el1_machine(
        |o| {
            dynasm!(o ; .arch aarch64
                ; ldr x10, [x20] ; ldr x11, [x21]
                ; str x5, [x6] ; dsb ish);
            tlbi(o, VAE1, 23); // the page below the block
            barrier(o);
            dynasm!(o ; .arch aarch64 ; ldr x12, [x20] ; ldr x13, [x21]);
            tlbi(o, VALE1, 22);
            barrier(o);
            dynasm!(o ; .arch aarch64 ; ldr x14, [x20] ; ldr x15, [x21] ; brk 2);
        },
        0,
    );
    let desc = pt.map(&m, blk, p1, 2, NORMAL);
    m.write64(p1 + 0x3000, 0x11);
    m.write64(p1 + 0x15_0000, 0x12);
    m.write64(p2 + 0x3000, 0x21);
    m.write64(p2 + 0x15_0000, 0x22);
    m.set_x(&[
        (5, p2 | NORMAL | BLOCK),
        (6, desc),
        (20, a),
        (21, b),
        (22, va_op(0, a)),
        (23, va_op(0, blk - 0x1000)),
    ]);
    m.run_to_brk(2);
    assert_eq!((m.x(10), m.x(11)), (0x11, 0x12));
    assert_eq!(
        (m.x(12), m.x(13)),
        (0x11, 0x12),
        "a TLBI outside the block keeps both pieces"
    );
    assert_eq!(
        (m.x(14), m.x(15)),
        (0x21, 0x22),
        "TLBI VALE1 of one piece drops the block"
    );
}

#[test]
fn tlbi_aside1_matches_the_asid_and_spares_global_entries() {
    // AArch64.TLBI_ASID: non-global entries of that ASID only.
    // AArch64.TLBI_VA: global entries, or non-global ones of the ASID.
    // AArch64.TLBI_VAA: the VA, any ASID.
    // TTBR0_EL1.ASID = 1 (TCR_EL1.A1 = 0); VA_NG is nG, VA_G global.
    let (va_ng, va_g) = (0x40_0008_0000u64, 0x40_0010_1000u64);
    let (mut m, mut pt) = el1_machine(
        |o| {
            dynasm!(o ; .arch aarch64
                ; ldr x10, [x20] ; ldr x11, [x21]
                ; str x5, [x6] ; str x7, [x8] ; dsb ish);
            tlbi(o, ASIDE1, 23); // ASID 2
            barrier(o);
            dynasm!(o ; .arch aarch64 ; ldr x12, [x20] ; ldr x13, [x21]);
            tlbi(o, VAE1, 24); // VA_NG, ASID 2
            barrier(o);
            dynasm!(o ; .arch aarch64 ; ldr x14, [x20]);
            tlbi(o, ASIDE1, 25); // ASID 1
            barrier(o);
            dynasm!(o ; .arch aarch64 ; ldr x15, [x20] ; ldr x16, [x21]);
            tlbi(o, VAE1, 26); // VA_G, ASID 2
            barrier(o);
            dynasm!(o ; .arch aarch64 ; ldr x17, [x21]
                ; str x9, [x6] ; dsb ish);
            tlbi(o, VAAE1, 24); // VA_NG, any ASID
            barrier(o);
            dynasm!(o ; .arch aarch64 ; ldr x19, [x20] ; brk 3);
        },
        1,
    );
    let pte_ng = pt.map(&m, va_ng, DATA, 3, NORMAL | NG);
    let pte_g = pt.map(&m, va_g, DATA + 0x2000, 3, NORMAL);
    for (i, pa) in [DATA, DATA + 0x1000, DATA + 0x2000, DATA + 0x3000]
        .into_iter()
        .enumerate()
    {
        m.write64(pa, i as u64 + 1);
    }
    m.set_x(&[
        (5, (DATA + 0x1000) | NORMAL | NG | PAGE),
        (6, pte_ng),
        (7, (DATA + 0x3000) | NORMAL | PAGE),
        (8, pte_g),
        (9, DATA | NORMAL | NG | PAGE),
        (20, va_ng),
        (21, va_g),
        (23, 2 << 48),
        (24, va_op(2, va_ng)),
        (25, 1 << 48),
        (26, va_op(2, va_g)),
    ]);
    m.run_to_brk(3);
    assert_eq!((m.x(10), m.x(11)), (1, 3));
    assert_eq!(
        (m.x(12), m.x(13)),
        (1, 3),
        "TLBI ASIDE1 of ASID 2 keeps ASID 1 and global entries"
    );
    assert_eq!(
        m.x(14),
        1,
        "TLBI VAE1 with ASID 2 keeps the ASID 1 entry of the VA"
    );
    assert_eq!(m.x(15), 2, "TLBI ASIDE1 of ASID 1 drops its entry");
    assert_eq!(m.x(16), 3, "... but not the global one");
    assert_eq!(
        m.x(17),
        4,
        "TLBI VAE1 drops a global entry whatever the ASID"
    );
    assert_eq!(
        m.x(19),
        1,
        "TLBI VAAE1 drops the VA's entries of every ASID"
    );
}

#[test]
fn tlbi_vmalle1_keeps_el2_entries() {
    // AArch64.TLBI_VMALL: the EL1&0 regime (current VMID) only. EL2 fills
    // an EL2-regime entry, EL1 an EL1&0 one; EL1 changes both descriptors
    // and issues TLBI VMALLE1: its own VA sees the change, EL2's stays
    // cached until TLBI ALLE2. (All translation registers are written
    // first: a write to one flushes the TLB.)
    let (va2, va1) = (0x40_0030_0000u64, 0x40_0008_0000u64);
    let mut o = Asm::new(0);
    dynasm!(o ; .arch aarch64
        ; msr HCR_EL2, x9 ; isb
        ; msr MAIR_EL1, x0 ; msr TCR_EL1, x1 ; msr TTBR0_EL1, x2 ; msr SCTLR_EL1, x3
        ; msr MAIR_EL2, x0 ; msr TCR_EL2, x4 ; msr TTBR0_EL2, x19 ; isb
        ; msr SCTLR_EL2, x3 ; isb
        ; ldr x10, [x20]
        ; msr SPSR_EL2, x22 ; msr ELR_EL2, x23 ; eret);
    let el1_at = CODE + o.offset().0 as u64;
    dynasm!(o ; .arch aarch64
        ; ldr x11, [x21]
        ; str x24, [x25] ; str x26, [x27] ; dsb ish);
    tlbi(&mut o, VMALLE1, 31);
    barrier(&mut o);
    dynasm!(o ; .arch aarch64 ; ldr x12, [x21] ; hvc 0);
    let mut m = Machine::new(&o.finalize().unwrap(), 2);
    m.lower_el_vector(&asm(|o| {
        dynasm!(o ; .arch aarch64 ; ldr x13, [x20]);
        tlbi(o, ALLE2, 31);
        barrier(o);
        dynasm!(o ; .arch aarch64 ; ldr x14, [x20] ; brk 4);
    }));
    let mut pt1 = Pt::new(&m, TABLES);
    pt1.map(&m, CODE, CODE, 2, NORMAL);
    pt1.map(&m, TABLES, TABLES, 2, NORMAL);
    let pte1 = pt1.map(&m, va1, DATA, 3, NORMAL);
    let mut pt2 = Pt::new(&m, EL2_TABLES);
    pt2.map(&m, CODE, CODE, 2, NORMAL_EL2);
    let pte2 = pt2.map(&m, va2, DATA + 0x2000, 3, NORMAL_EL2);
    for (i, pa) in [DATA, DATA + 0x1000, DATA + 0x2000, DATA + 0x3000]
        .into_iter()
        .enumerate()
    {
        m.write64(pa, i as u64 + 1);
    }
    m.set_x(&[
        (0, MAIR),
        (1, TCR1),
        (2, pt1.root),
        (3, SCTLR_MMU_ON),
        (4, TCR2),
        (9, HCR_RW),
        (19, pt2.root),
        (20, va2),
        (21, va1),
        (22, SPSR_EL1H),
        (23, el1_at),
        (24, (DATA + 0x1000) | NORMAL | PAGE),
        (25, pte1),
        (26, (DATA + 0x3000) | NORMAL_EL2 | PAGE),
        (27, pte2),
    ]);
    m.run_to_brk(4);
    assert_eq!((m.x(10), m.x(11)), (3, 1));
    assert_eq!(m.x(12), 2, "TLBI VMALLE1 drops the EL1&0 entry");
    assert_eq!(m.x(13), 3, "... not the EL2 one");
    assert_eq!(m.x(14), 4, "TLBI ALLE2 drops it");
}

#[test]
fn tlbi_ipas2e1is_and_vmalle1is_after_a_stage2_change() {
    // The usual sequence after changing a stage 2 descriptor (D8.13.6,
    // "TLB maintenance ... when stage 2 translation is used"): TLBI
    // IPAS2E1IS of the IPA, DSB, TLBI VMALLE1IS, DSB, ISB. Entries hold the
    // combined stage 1 + 2 translation. EL1 loads, traps with HVC; EL2
    // rewrites the stage 2 descriptor (the first time without a TLBI: the
    // stale translation is still used) and returns.
    let (va, ipa) = (0x40_0008_0000u64, 0x1_2340_0000u64);
    let mut o = Asm::new(0);
    dynasm!(o ; .arch aarch64
        ; msr VTCR_EL2, x7 ; msr VTTBR_EL2, x8 ; msr HCR_EL2, x9
        ; msr MAIR_EL1, x0 ; msr TCR_EL1, x1 ; msr TTBR0_EL1, x2 ; msr SCTLR_EL1, x3 ; isb
        ; msr SPSR_EL2, x5 ; msr ELR_EL2, x6 ; eret);
    let el1_at = CODE + o.offset().0 as u64;
    dynasm!(o ; .arch aarch64
        ; ldr x10, [x20] ; hvc 0
        ; ldr x11, [x20] ; hvc 0
        ; ldr x12, [x20] ; brk 5);
    let mut m = Machine::new(&o.finalize().unwrap(), 2);
    m.lower_el_vector(&asm(|o| {
        dynasm!(o ; .arch aarch64
            ; str x24, [x25] ; dsb ish
            ; cbz x28, >skip);
        tlbi(o, IPAS2E1IS, 26);
        dynasm!(o ; .arch aarch64 ; dsb ish);
        tlbi(o, VMALLE1IS, 31);
        barrier(o);
        dynasm!(o ; .arch aarch64
            ; skip:
            ; add x28, x28, 1
            ; eret);
    }));
    let mut s1 = Pt::new(&m, TABLES);
    let mut s2 = Pt::new(&m, S2_TABLES);
    s1.map(&m, CODE, CODE, 2, NORMAL);
    s1.map(&m, va, ipa, 3, NORMAL);
    for base in [CODE, TABLES, TABLES + 0x20_0000] {
        s2.map(&m, base, base, 2, S2_NORMAL);
    }
    let s2pte = s2.map(&m, ipa, DATA, 3, S2_NORMAL);
    m.write64(DATA, 1);
    m.write64(DATA + 0x1000, 2);
    m.set_x(&[
        (0, MAIR),
        (1, TCR1),
        (2, s1.root),
        (3, SCTLR_MMU_ON),
        (5, SPSR_EL1H),
        (6, el1_at),
        (7, VTCR),
        (8, s2.root | 5 << 48),
        (9, HCR_VM | HCR_RW),
        (20, va),
        (24, (DATA + 0x1000) | S2_NORMAL | PAGE),
        (25, s2pte),
        (26, ipa >> 12),
        (28, 0),
    ]);
    m.run_to_brk(5);
    assert_eq!(m.x(10), 1);
    assert_eq!(m.x(11), 1, "no TLBI: the cached translation");
    assert_eq!(
        m.x(12),
        2,
        "TLBI IPAS2E1IS + VMALLE1IS: the new stage 2 mapping"
    );
    // The IS forms reach the other PEs through the machine, which gets them
    // as decoded invalidations.
    assert!(m.cpu.take_tlbi_broadcast());
    let ops = m.cpu.tlb.take_broadcast();
    assert_eq!(ops.len(), 2);
    assert!(
        ops.iter()
            .all(|op| matches!(op, TlbiOp::Invalidate(i) if i.vmid == Some(5))),
        "{ops:?}"
    );
}

#[test]
fn range_tlbi_only_with_feat_tlbirange() {
    // FEAT_TLBIRANGE (ID_AA64ISAR0_EL1.TLB = 0b0010): TLBI RVAE1 with TG 4KB,
    // SCALE 0, NUM 0 covers 2 pages from BaseADDR ((NUM + 1) * 2^(5 * SCALE
    // + 1) granules). Without it (the emulator's default, TLB = TLBIOS)
    // the encoding is kept as it was: everything is flushed.
    let va = 0x40_0008_0000u64;
    let run = |range: bool| {
        let (mut m, mut pt) = el1_machine(
            |o| {
                dynasm!(o ; .arch aarch64
                    ; ldr x10, [x20] ; ldr x11, [x20, 0x1000] ; ldr x12, [x21]
                    ; str x5, [x6] ; str x7, [x6, 8] ; str x8, [x6, 16] ; dsb ish);
                tlbi(o, RVAE1, 22);
                barrier(o);
                dynasm!(o ; .arch aarch64 ; ldr x13, [x20] ; ldr x14, [x21] ; ldr x15, [x20, 0x1000] ; brk 6);
            },
            0,
        );
        if range {
            let isar0 = m.cpu.sr(SysReg::ID_AA64ISAR0_EL1);
            m.cpu
                .set_sr(SysReg::ID_AA64ISAR0_EL1, isar0 & !(0xf << 56) | 2 << 56);
        }
        let pte = pt.map(&m, va, DATA, 3, NORMAL);
        pt.map(&m, va + 0x1000, DATA + 0x1000, 3, NORMAL);
        pt.map(&m, va + 0x2000, DATA + 0x2000, 3, NORMAL);
        for i in 0..6 {
            m.write64(DATA + i * 0x1000, i + 1);
        }
        m.set_x(&[
            (5, (DATA + 0x3000) | NORMAL | PAGE),
            (6, pte),
            (7, (DATA + 0x4000) | NORMAL | PAGE),
            (8, (DATA + 0x5000) | NORMAL | PAGE),
            (20, va),
            (21, va + 0x2000),
            (22, 0b01 << 46 | (va >> 12)),
        ]);
        m.run_to_brk(6);
        (m.x(10), m.x(11), m.x(12), m.x(13), m.x(15), m.x(14))
    };
    assert_eq!(
        run(true),
        (1, 2, 3, 4, 5, 3),
        "pages 0-1 of the range dropped, page 2 cached"
    );
    assert_eq!(
        run(false),
        (1, 2, 3, 4, 5, 6),
        "without FEAT_TLBIRANGE: a flush"
    );
}

fn ctx() -> TlbiContext {
    TlbiContext {
        state: SecurityState::NonSecure,
        el2_enabled: true,
        e2h: false,
        tge: false,
        vmid: 7,
        asid16_el1: false,
        asid16_el2: false,
        range: false,
    }
}

fn bit(r: Regime, s: SecurityState) -> u16 {
    1 << rme_cpu::tlb::context(r, s)
}

#[test]
fn decode_follows_the_tlbi_encodings() {
    use SecurityState::*;
    let ns = |r| bit(r, NonSecure);
    let x = va_op(0x1234, 0x40_0008_0000);
    let one = Some(VaRange {
        start: 0x40_0008_0000 >> 12,
        end: (0x40_0008_0000 >> 12) + 1,
        bits: 44,
    });
    // TLBI VAE1IS: EL1&0 of the state, current VMID, 8-bit ASID (TCR_EL1.AS = 0).
    assert_eq!(
        decode_tlbi(0, 3, 1, x, &ctx()),
        TlbiOp::Invalidate(TlbInvalidation {
            contexts: ns(Regime::El10),
            vmid: Some(7),
            asid: AsidMatch::OrGlobal(0x34),
            va: one
        })
    );
    // With HCR_EL2.{E2H, TGE} = {1, 1} the EL1 forms apply to EL2&0.
    let host = TlbiContext {
        e2h: true,
        tge: true,
        asid16_el2: true,
        ..ctx()
    };
    assert_eq!(
        decode_tlbi(0, 3, 2, x, &host),
        TlbiOp::Invalidate(TlbInvalidation {
            contexts: ns(Regime::El20),
            vmid: None,
            asid: AsidMatch::NonGlobal(0x1234),
            va: None
        })
    );
    // VMALLS12E1 / ALLE1: EL1&0 of this VMID / of every VMID.
    assert_eq!(
        decode_tlbi(4, 7, 6, 0, &ctx()),
        TlbiOp::Invalidate(TlbInvalidation {
            contexts: ns(Regime::El10),
            vmid: Some(7),
            asid: AsidMatch::Any,
            va: None
        })
    );
    assert_eq!(
        decode_tlbi(4, 3, 4, 0, &ctx()),
        TlbiOp::Invalidate(TlbInvalidation {
            contexts: ns(Regime::El10),
            vmid: None,
            asid: AsidMatch::Any,
            va: None
        })
    );
    // IPAS2E1 (CRm 4, op2 1): every entry of the VMID.
    assert_eq!(
        decode_tlbi(4, 4, 1, 0x12345, &ctx()),
        TlbiOp::Invalidate(TlbInvalidation {
            contexts: ns(Regime::El10),
            vmid: Some(7),
            asid: AsidMatch::Any,
            va: None
        })
    );
    // VAE2: EL2 and EL2&0.
    assert_eq!(
        decode_tlbi(4, 7, 1, x, &ctx()),
        TlbiOp::Invalidate(TlbInvalidation {
            contexts: ns(Regime::El2) | ns(Regime::El20),
            vmid: None,
            asid: AsidMatch::Any,
            va: one
        })
    );
    // VAE3: EL3 (any state tag).
    assert_eq!(
        decode_tlbi(6, 7, 1, x, &ctx()),
        TlbiOp::Invalidate(TlbInvalidation {
            contexts: 0xf000,
            vmid: None,
            asid: AsidMatch::Any,
            va: one
        })
    );
    // PAALL, PAALLOS, RPAOS, RPALOS (FEAT_RME): GPT caching too, a flush.
    for (crm, op2) in [(7, 4), (1, 4), (4, 3), (4, 7)] {
        assert_eq!(decode_tlbi(6, crm, op2, 0, &ctx()), TlbiOp::Flush);
    }
    // Range forms only with FEAT_TLBIRANGE; 64KB granule, SCALE 1, NUM 2:
    // 3 * 2^6 granules of 64 KB from BaseADDR * 64 KB.
    assert_eq!(decode_tlbi(0, 6, 1, 0, &ctx()), TlbiOp::Flush);
    let r = 0b11 << 46 | 1 << 44 | 2 << 39 | 0x10;
    assert_eq!(
        decode_tlbi(
            0,
            6,
            3,
            r,
            &TlbiContext {
                range: true,
                ..ctx()
            }
        ),
        TlbiOp::Invalidate(TlbInvalidation {
            contexts: ns(Regime::El10),
            vmid: Some(7),
            asid: AsidMatch::Any,
            va: Some(VaRange {
                start: 0x10 << 4,
                end: (0x10 << 4) + (3 << 6 << 4),
                bits: 41
            }),
        })
    );
}
