//! The MMU and the Granule Protection Check as the CPU uses them on every
//! access: guest code (assembled with dynasm) programs MAIR/TCR/TTBR and
//! sets SCTLR_ELx.M over page tables the host writes into guest RAM, then
//! loads, stores and fetches. Checked against the Arm ARM (DDI0487):
//!
//! * D8.2 "Translation process" for the 4KB/16KB/64KB granules and the
//!   EL1&0, EL2, EL2&0 and EL3 regimes (`AArch64.S1Translate`,
//!   `AArch64.S1Walk`, `AArch64.S1StartLevel`, `TranslationRegime`);
//! * the output PAS (`AArch64.S1NextWalkStateTable`,
//!   `AArch64.S1NextWalkStateLeaf`: NSTable/NS in Secure state,
//!   {NSE, NS} at EL3 with FEAT_RME);
//! * D8.15 "Memory aborts": fault kinds and priorities, ESR_ELx.{EC, DFSC,
//!   WnR, S1PTW}, FAR_ELx, HPFAR_EL2 (`AArch64.Abort`,
//!   `AArch64.DataAbort`, `AArch64.InstructionAbort`);
//! * stage 2 (`AArch64.S2Translate`, `AArch64.S2Walk`) with faults to EL2;
//! * AT into PAR_EL1 (`AArch64.AT_S1`, `AArch64.AT_S12`, `AArch64.EncodePAR`);
//! * D8.16/D8.17 TLB maintenance: an entry changed in memory is not used
//!   until the TLB is invalidated (a cached translation may be used),
//!   TLBI VMALLE1 / ALLE3 / PAALL;
//! * D9 "The Granule Protection Check Mechanism"
//!   (`AArch64.GranuleProtectionCheck`, `GPTWalk`, `GPICheck`, fault
//!   priority R_GMGRR): GPC exceptions (EC 0x1E, GPCSC, MFAR_EL3; GPT faults
//!   always, R_PYTGX) and GPFs as aborts (FSC 0x28, 0b1001LL on a walk),
//!   routing by SCR_EL3.GPF (`ReportAsGPCException`) and HCR_EL2.GPF
//!   (`AArch64.Abort`), and TLBI PAALL after a GPT change.
//!
//! The emulator's TLB is direct-mapped on VA[21:12] (1024 sets): tests that
//! rely on a stale entry staying cached use data VAs outside the code
//! page's set.

use dynasmrt::{aarch64::Aarch64Relocation, dynasm, DynasmApi, VecAssembler};
use rme_cpu::{Cpu, CpuConfig, ExceptionRecord, StepEvent, SysReg};
use rme_mmu::gpc::{GpcFeatures, Gpi, GptBuilder, GptImage, GptLayout};
use rme_mmu::{AccessAttrs, MmioDevice, MmioResult, Pas, PhysBus};
use std::sync::{Arc, Mutex};

type Asm = VecAssembler<Aarch64Relocation>;

// ---------------------------------------------------------------------------
// The machine: Trusted SRAM (the FVP GPT level 0 table lives there), 2 GiB of
// DRAM (lazily allocated; the FVP GPT level 1 tables are at its top), and a
// probe device at the UART0 address recording PA offset and PAS.

const SRAM: u64 = 0x0400_0000;
const RAM: u64 = 0x8000_0000;
const RAM_SIZE: u64 = 0x8000_0000;
const PROBE: u64 = 0x1c09_0000;

/// Where things are in RAM.
const CODE: u64 = RAM;
/// A second code page (64 KiB aligned, so a page of every granule).
const CODE2: u64 = RAM + 0x1_0000;
const VECTORS: u64 = RAM + 0x2_0000;
/// Stage 1 tables are allocated from here, stage 2 tables from S2_TABLES.
const TABLES: u64 = RAM + 0x40_0000;
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
const PAR_EL1: u32 = sr(3, 0, 7, 4, 0);
const SCTLR_EL2: u32 = sr(3, 4, 1, 0, 0);
const HCR_EL2: u32 = sr(3, 4, 1, 1, 0);
const TTBR0_EL2: u32 = sr(3, 4, 2, 0, 0);
const TTBR1_EL2: u32 = sr(3, 4, 2, 0, 1);
const TCR_EL2: u32 = sr(3, 4, 2, 0, 2);
const VTTBR_EL2: u32 = sr(3, 4, 2, 1, 0);
const VTCR_EL2: u32 = sr(3, 4, 2, 1, 2);
const MAIR_EL2: u32 = sr(3, 4, 10, 2, 0);
const SPSR_EL2: u32 = sr(3, 4, 4, 0, 0);
const ELR_EL2: u32 = sr(3, 4, 4, 0, 1);
const SCTLR_EL3: u32 = sr(3, 6, 1, 0, 0);
const SCR_EL3: u32 = sr(3, 6, 1, 1, 0);
const TTBR0_EL3: u32 = sr(3, 6, 2, 0, 0);
const TCR_EL3: u32 = sr(3, 6, 2, 0, 2);
const GPTBR_EL3: u32 = sr(3, 6, 2, 1, 4);
const GPCCR_EL3: u32 = sr(3, 6, 2, 1, 6);
const MAIR_EL3: u32 = sr(3, 6, 10, 2, 0);
const SPSR_EL3: u32 = sr(3, 6, 4, 0, 0);
const ELR_EL3: u32 = sr(3, 6, 4, 0, 1);

// SCR_EL3 / HCR_EL2 bits.
const SCR_NS: u64 = 1;
const SCR_HCE: u64 = 1 << 8;
const SCR_RW: u64 = 1 << 10;
const SCR_GPF: u64 = 1 << 48;
const SCR_NSE: u64 = 1 << 62;
const SCR_NONSECURE: u64 = SCR_NS | SCR_RW | SCR_HCE;
const HCR_VM: u64 = 1;
const HCR_TGE: u64 = 1 << 27;
const HCR_E2H: u64 = 1 << 34;
const HCR_GPF: u64 = 1 << 38;

/// SCTLR_ELx.{M, C, I}.
const SCTLR_MMU_ON: u64 = 1 | 1 << 2 | 1 << 12;
/// SPSR values: EL0t, EL1h, EL2h with DAIF masked.
const SPSR_EL0T: u64 = 0x3c0;
const SPSR_EL1H: u64 = 0x3c5;

// Stage 1 descriptor bits (D8.3).
const TABLE: u64 = 0b11;
const NS: u64 = 1 << 5;
const AP_EL0: u64 = 1 << 6; // AP[1]; RES1 in the EL2 and EL3 regimes
const AP_RO: u64 = 1 << 7; // AP[2]
const SH_INNER: u64 = 0b11 << 8;
const AF: u64 = 1 << 10;
const NSE: u64 = 1 << 11;
const PXN: u64 = 1 << 53;
const NS_TABLE: u64 = 1 << 63;
/// MAIR: Attr0 Normal WB RWA, Attr1 Device-nGnRE, Attr2 Normal NC.
const MAIR: u64 = 0xff | 0x04 << 8 | 0x44 << 16;
const ATTR_DEVICE: u64 = 1 << 2;
const NORMAL: u64 = AF | SH_INNER;
const DEVICE: u64 = AF | ATTR_DEVICE;
/// Single-privilege regimes (EL2, EL3): AP[1] is RES1.
const NORMAL_EL23: u64 = NORMAL | AP_EL0;
const DEVICE_EL23: u64 = DEVICE | AP_EL0;

// Stage 2 descriptor bits: S2AP read/write, MemAttr Normal WB.
const S2_R: u64 = 1 << 6;
const S2_W: u64 = 1 << 7;
const S2_NORMAL: u64 = AF | SH_INNER | 0b1111 << 2 | S2_R | S2_W;

/// One access the probe saw: (write, offset, PAS).
type ProbeAccess = (bool, u64, Pas);

/// An MMIO device recording every access.
#[derive(Default)]
struct Probe(Mutex<Vec<ProbeAccess>>);
impl MmioDevice for Probe {
    fn name(&self) -> &str {
        "probe"
    }
    fn read(&self, o: u64, _s: u8, a: AccessAttrs) -> MmioResult<u64> {
        self.0.lock().unwrap().push((false, o, a.pas));
        Ok(0x5a5a)
    }
    fn write(&self, o: u64, _s: u8, _v: u64, a: AccessAttrs) -> MmioResult<()> {
        self.0.lock().unwrap().push((true, o, a.pas));
        Ok(())
    }
}

struct Machine {
    cpu: Cpu,
    bus: PhysBus,
    probe: Arc<Probe>,
}

impl Machine {
    /// A fresh machine with `code` at CODE, every VBAR at VECTORS, the CPU
    /// at `el` of the state SCR_EL3 = `scr` selects, PC = CODE.
    fn new(code: &[u8], scr: u64, el: u8) -> Machine {
        let mut bus = PhysBus::new();
        bus.add_ram("sram", SRAM, 0x4_0000).unwrap();
        bus.add_ram("dram", RAM, RAM_SIZE).unwrap();
        let probe = Arc::new(Probe::default());
        bus.add_mmio("probe", PROBE, 0x1000, probe.clone()).unwrap();
        bus.load(CODE, code).unwrap();
        let mut cfg = CpuConfig::fvp(0);
        cfg.rvbar = CODE;
        let mut cpu = Cpu::new(cfg);
        for v in [SysReg::VBAR_EL1, SysReg::VBAR_EL2, SysReg::VBAR_EL3] {
            cpu.set_sr(v, VECTORS);
        }
        cpu.set_sr(SysReg::SCR_EL3, scr);
        cpu.state.pstate.el = el;
        cpu.state.pstate.sp = el > 0;
        cpu.state.pc = CODE;
        Machine { cpu, bus, probe }
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

    /// Steps until an exception is taken.
    fn run_to_exception(&mut self, limit: usize) -> ExceptionRecord {
        for _ in 0..limit {
            match self.cpu.step(&self.bus) {
                StepEvent::Exception(r) | StepEvent::Interrupt(r) => return r,
                StepEvent::Retired => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        panic!("no exception within {limit} steps, pc={:#x}", self.cpu.state.pc)
    }

    /// Runs to the final `brk #imm` of the test program.
    fn run_to_brk(&mut self, imm: u32) {
        let r = self.run_to_exception(200);
        let esr = self.esr(r.target_el);
        assert_eq!(
            (r.ec, r.iss),
            (0x3c, imm),
            "expected BRK #{imm}, got EC {:#x} ISS {:#x} at EL{} (ESR {esr:#x}, FAR {:#x?}, ELR {:#x})",
            r.ec,
            r.iss,
            r.target_el,
            r.far,
            r.elr
        );
    }

    fn esr(&self, el: u8) -> u64 {
        self.cpu.sr(match el {
            1 => SysReg::ESR_EL1,
            2 => SysReg::ESR_EL2,
            _ => SysReg::ESR_EL3,
        })
    }

    fn far(&self, el: u8) -> u64 {
        self.cpu.sr(match el {
            1 => SysReg::FAR_EL1,
            2 => SysReg::FAR_EL2,
            _ => SysReg::FAR_EL3,
        })
    }

    fn probe_log(&self) -> Vec<ProbeAccess> {
        std::mem::take(&mut self.probe.0.lock().unwrap())
    }
}

/// What an abort wrote, decoded from ESR_ELx/FAR_ELx of its target EL.
#[derive(Debug, PartialEq, Eq)]
struct Fault {
    el: u8,
    ec: u64,
    fsc: u64,
    wnr: bool,
    s1ptw: bool,
    far: u64,
}

impl Machine {
    /// Runs to the next exception and decodes it as an abort.
    fn run_to_fault(&mut self) -> Fault {
        let r = self.run_to_exception(200);
        let esr = self.esr(r.target_el);
        assert_eq!(esr >> 26, r.ec as u64, "ESR_EL{} holds the EC", r.target_el);
        assert_eq!(esr >> 25 & 1, 1, "ESR.IL");
        Fault {
            el: r.target_el,
            ec: esr >> 26,
            fsc: esr & 0x3f,
            wnr: esr >> 6 & 1 != 0,
            s1ptw: esr >> 7 & 1 != 0,
            far: self.far(r.target_el),
        }
    }
}

fn asm(f: impl FnOnce(&mut Asm)) -> Vec<u8> {
    let mut ops = Asm::new(0);
    f(&mut ops);
    ops.finalize().unwrap()
}

// ---------------------------------------------------------------------------
// Page tables, written by the host into guest RAM.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum G {
    K4,
    K16,
    K64,
}

impl G {
    fn bits(self) -> u32 {
        match self {
            G::K4 => 12,
            G::K16 => 14,
            G::K64 => 16,
        }
    }
    fn size(self) -> u64 {
        1 << self.bits()
    }
    fn stride(self) -> u32 {
        self.bits() - 3
    }
    /// log2 of what one descriptor at `level` maps.
    fn shift(self, level: i8) -> u32 {
        self.bits() + self.stride() * (3 - level) as u32
    }
    /// TCR_ELx.TG0 / VTCR_EL2.TG0.
    fn tg0(self) -> u64 {
        match self {
            G::K4 => 0b00,
            G::K64 => 0b01,
            G::K16 => 0b10,
        }
    }
    /// `AArch64.S1StartLevel`.
    fn s1_start(self, iasize: u32) -> i8 {
        3 - ((iasize - 1 - self.bits()) / self.stride()) as i8
    }
}

/// A translation table tree: the root and a bump allocator for the
/// next-level tables.
struct Pt {
    g: G,
    iasize: u32,
    start: i8,
    root: u64,
    /// Where the next table is allocated.
    next: u64,
    /// Extra bits of the table descriptors this builder creates
    /// (NSTable, ...).
    table_bits: u64,
}

impl Pt {
    /// A stage 1 tree for TxSZ = `txsz`, tables from `area`.
    fn s1(m: &Machine, g: G, txsz: u32, area: u64) -> Pt {
        let iasize = 64 - txsz;
        Pt::with_start(m, g, iasize, g.s1_start(iasize), area)
    }

    fn with_start(m: &Machine, g: G, iasize: u32, start: i8, area: u64) -> Pt {
        let mut pt = Pt { g, iasize, start, root: 0, next: area, table_bits: 0 };
        pt.root = pt.alloc(m);
        pt
    }

    fn alloc(&mut self, m: &Machine) -> u64 {
        let t = self.next;
        assert_eq!(t % self.g.size(), 0);
        self.next += self.g.size();
        m.bus.load(t, &vec![0; self.g.size() as usize]).unwrap();
        t
    }

    fn index(&self, va: u64, level: i8) -> u64 {
        let lsb = self.g.shift(level);
        let width = if level == self.start { self.iasize - lsb } else { self.g.stride() };
        (va >> lsb) & ((1 << width) - 1)
    }

    /// The address of the descriptor for `va` at `level`, creating the
    /// tables above it.
    fn slot(&mut self, m: &Machine, va: u64, level: i8) -> u64 {
        assert!(level >= self.start && level <= 3);
        let mut table = self.root;
        for l in self.start..level {
            let da = table + self.index(va, l) * 8;
            let d = m.read64(da);
            table = if d & 3 == TABLE {
                d & 0x0000_ffff_ffff_f000 & !(self.g.size() - 1)
            } else {
                let t = self.alloc(m);
                m.write64(da, t | TABLE | self.table_bits);
                t
            };
        }
        table + self.index(va, level) * 8
    }

    /// Maps `va` to `pa` with a block (levels 1-2) or page (level 3)
    /// descriptor with `attrs`; returns the descriptor's address.
    fn map(&mut self, m: &Machine, va: u64, pa: u64, level: i8, attrs: u64) -> u64 {
        let size = 1u64 << self.g.shift(level);
        assert_eq!((va | pa) & (size - 1), 0, "{va:#x} -> {pa:#x} not aligned to level {level}");
        let da = self.slot(m, va, level);
        m.write64(da, pa | attrs | if level == 3 { 0b11 } else { 0b01 });
        da
    }

    /// Maps `[va, va + size)` with pages.
    fn map_pages(&mut self, m: &Machine, va: u64, pa: u64, size: u64, attrs: u64) {
        let mut off = 0;
        while off < size {
            self.map(m, va + off, pa + off, 3, attrs);
            off += self.g.size();
        }
    }

    /// TTBR value (BADDR).
    fn ttbr(&self) -> u64 {
        self.root
    }
}

// TCR values (D23.2 TCR_EL1/TCR_EL2/TCR_EL3, VTCR_EL2). Table walks
// Inner/Outer WB, Inner Shareable.
const TCR_WALK_ATTRS: u64 = 1 << 8 | 1 << 10 | 0b11 << 12;

/// TCR_EL1 (and TCR_EL2 with E2H): T0SZ, TG0, EPD1 (no TTBR1 walks), TG1
/// 4KB, IPS.
fn tcr_el1(g: G, t0sz: u32, ips: u64) -> u64 {
    t0sz as u64 | TCR_WALK_ATTRS | g.tg0() << 14 | 1 << 23 | 0b10 << 30 | ips << 32
}

/// TCR_EL2 (E2H = 0) / TCR_EL3: T0SZ, TG0, PS[18:16], RES1 bits 23 and 31.
fn tcr_el23(g: G, t0sz: u32, ps: u64) -> u64 {
    t0sz as u64 | TCR_WALK_ATTRS | g.tg0() << 14 | ps << 16 | 1 << 23 | 1 << 31
}

/// PS/IPS encodings.
const PS_32: u64 = 0;
const PS_48: u64 = 5;

/// The MMU-enable sequence for the regime of `el`, from x0 (MAIR), x1
/// (TCR), x2 (TTBR0), x3 (SCTLR).
fn mmu_on(o: &mut Asm, el: u8) {
    match el {
        1 => dynasm!(o ; .arch aarch64
            ; msr MAIR_EL1, x0 ; msr TCR_EL1, x1 ; msr TTBR0_EL1, x2 ; isb
            ; msr SCTLR_EL1, x3 ; isb),
        2 => dynasm!(o ; .arch aarch64
            ; msr MAIR_EL2, x0 ; msr TCR_EL2, x1 ; msr TTBR0_EL2, x2 ; isb
            ; msr SCTLR_EL2, x3 ; isb),
        _ => dynasm!(o ; .arch aarch64
            ; msr MAIR_EL3, x0 ; msr TCR_EL3, x1 ; msr TTBR0_EL3, x2 ; isb
            ; msr SCTLR_EL3, x3 ; isb),
    }
}

fn mmu_regs(m: &mut Machine, tcr: u64, pt: &Pt) {
    m.set_x(&[(0, MAIR), (1, tcr), (2, pt.ttbr()), (3, SCTLR_MMU_ON)]);
}

fn align_up(v: u64, a: u64) -> u64 {
    v.div_ceil(a) * a
}

// ---------------------------------------------------------------------------
// Translation: every granule, every regime.

#[test]
fn el1_translation_with_each_granule_reaches_the_mapped_pa() {
    // AArch64.S1Translate / S1Walk with the 4KB (T0SZ 25: start level 1),
    // 16KB (T0SZ 16: start level 0, a 2-entry level 0 table) and 64KB
    // (T0SZ 22: start level 2) granules; pages at level 3, blocks at level 2
    // (2 MB, 32 MB, 512 MB). Non-secure EL1, stage 2 off: every output is in
    // the Non-secure PAS.
    let code = asm(|o| {
        mmu_on(o, 1);
        dynasm!(o ; .arch aarch64
            ; ldr x10, [x20]            // page, load
            ; str x11, [x20, 8]         // page, store
            ; ldr x12, [x21]            // block
            ; str w13, [x22, 0x10]      // probe (Device)
            ; ldr w14, [x22, 0x18]
            ; br x23)                   // fetch through a non-identity page
    });
    let far_code = asm(|o| dynasm!(o ; .arch aarch64 ; movz x9, 0x1234 ; brk 7));
    for (g, t0sz) in [(G::K4, 25), (G::K16, 16), (G::K64, 22)] {
        let mut m = Machine::new(&code, SCR_NONSECURE, 1);
        m.bus.load(CODE2, &far_code).unwrap();
        let mut pt = Pt::s1(&m, g, t0sz, TABLES);
        let gs = g.size();
        pt.map_pages(&m, CODE, CODE, 0x2_0000, NORMAL);
        let (va_page, pa_page) = (0x10_0000_0000 + 3 * gs, DATA + 5 * gs);
        pt.map(&m, va_page, pa_page, 3, NORMAL);
        let block = 1u64 << g.shift(2);
        let (va_block, pa_block) = (0x20_0000_0000, align_up(RAM + 0x400_0000, block));
        pt.map(&m, va_block, pa_block, 2, NORMAL);
        let va_probe = 0x30_0000_0000;
        pt.map(&m, va_probe, PROBE, 3, DEVICE);
        let va_fetch = 0x38_0000_0000;
        pt.map(&m, va_fetch, CODE2, 3, NORMAL);

        m.write64(pa_page, 0x1111_2222_3333_4444);
        m.write64(pa_block + block - 0x1000 + 0x238, 0xb10c);
        mmu_regs(&mut m, tcr_el1(g, t0sz, PS_48), &pt);
        m.set_x(&[
            (11, 0xfeed_f00d),
            (13, 0x77),
            (20, va_page),
            (21, va_block + block - 0x1000 + 0x238),
            (22, va_probe),
            (23, va_fetch),
        ]);
        m.run_to_brk(7);
        assert_eq!(m.x(10), 0x1111_2222_3333_4444, "{g:?} page load");
        assert_eq!(m.read64(pa_page + 8), 0xfeed_f00d, "{g:?} page store");
        assert_eq!(m.x(12), 0xb10c, "{g:?} block load");
        assert_eq!(m.x(14), 0x5a5a, "{g:?} probe read");
        assert_eq!(m.probe_log(), [(true, 0x10, Pas::NonSecure), (false, 0x18, Pas::NonSecure)], "{g:?}");
        assert_eq!(m.x(9), 0x1234, "{g:?}: fetched from {CODE2:#x} through {va_fetch:#x}");
        assert_eq!(m.cpu.sr(SysReg::ELR_EL1), va_fetch + 4, "{g:?}: BRK's own VA");
        assert!(m.cpu.tlb.valid_entries() > 0);
    }
}

#[test]
fn el2_non_vhe_regime_uses_ttbr0_el2_and_faults_to_el2() {
    // TranslationRegime(EL2) with HCR_EL2.E2H = 0: TCR_EL2 in its
    // single-range layout (PS at [18:16]), TTBR0_EL2, 4KB granule, T0SZ 16
    // (4 levels, start level 0). A store to a read-only page is a
    // Permission fault at level 3 taken to EL2: EC 0x25 (same EL), DFSC
    // 0b001111, WnR = 1, FAR_EL2 = VA.
    let code = asm(|o| {
        mmu_on(o, 2);
        dynasm!(o ; .arch aarch64
            ; ldr x10, [x20]
            ; str x11, [x21]
            ; str x11, [x20])           // read-only: faults
    });
    let mut m = Machine::new(&code, SCR_NONSECURE, 2);
    let mut pt = Pt::s1(&m, G::K4, 16, TABLES);
    assert_eq!(pt.start, 0);
    pt.map(&m, CODE, CODE, 2, NORMAL_EL23);
    let (va_ro, va_rw) = (0x7f00_1234_5000u64, 0x7f00_1234_6000u64);
    pt.map(&m, va_ro, DATA, 3, NORMAL_EL23 | AP_RO);
    pt.map(&m, va_rw, DATA + 0x3000, 3, NORMAL_EL23);
    m.write64(DATA, 42);
    mmu_regs(&mut m, tcr_el23(G::K4, 16, PS_48), &pt);
    m.set_x(&[(11, 0xabc), (20, va_ro), (21, va_rw)]);
    let f = m.run_to_fault();
    assert_eq!(m.x(10), 42);
    assert_eq!(m.read64(DATA + 0x3000), 0xabc);
    assert_eq!(f, Fault { el: 2, ec: 0x25, fsc: 0b00_1111, wnr: true, s1ptw: false, far: va_ro });
    assert_eq!(m.cpu.sr(SysReg::ELR_EL2), CODE + 6 * 4 + 8, "the faulting store");
    // Nothing was written by the faulting store.
    assert_eq!(m.read64(DATA), 42);
}

#[test]
fn el20_vhe_regime_uses_both_ttbrs_and_takes_el0_faults_to_el2() {
    // With HCR_EL2.{E2H, TGE} = {1, 1} EL2 and EL0 share the EL2&0 regime
    // (TranslationRegime; AArch64.S1TTWParamsEL20): TCR_EL2 in the TCR_EL1
    // layout, TTBR0_EL2 for the lower range and TTBR1_EL2 for VA[55] = 1.
    // An EL0 load from a privileged-only page is a Permission fault taken
    // to EL2 (TGE) as EC 0x24 (from a lower EL).
    let mut el2 = Asm::new(0);
    dynasm!(el2 ; .arch aarch64
        ; msr MAIR_EL2, x0 ; msr TCR_EL2, x1 ; msr TTBR0_EL2, x2 ; msr TTBR1_EL2, x4 ; isb
        ; msr SCTLR_EL2, x3 ; isb
        ; ldr x10, [x20]                // upper range, TTBR1_EL2
        ; ldr x11, [x21]                // lower range, TTBR0_EL2
        ; msr SPSR_EL2, x5 ; msr ELR_EL2, x6 ; eret
    );
    let el0_at = el2.offset().0 as u64;
    dynasm!(el2 ; .arch aarch64
        ; ldr x12, [x22]                // EL0-readable page
        ; ldr x13, [x20]                // privileged only: faults
    );
    let code = el2.finalize().unwrap();
    let mut m = Machine::new(&code, SCR_NONSECURE, 2);
    m.cpu.set_sr(SysReg::HCR_EL2, HCR_E2H | HCR_TGE);
    let mut lo = Pt::s1(&m, G::K4, 25, TABLES);
    let mut hi = Pt::s1(&m, G::K4, 25, TABLES + 0x10_0000);
    // EL0 and EL2 both run the code: AP[2:1] = 0b11 (read-only at both
    // levels, executable at both).
    lo.map(&m, CODE, CODE, 2, NORMAL | AP_EL0 | AP_RO);
    let va_hi = 0xffff_ff80_4000_2000u64;
    hi.map(&m, va_hi, DATA + 0x2000, 3, NORMAL);
    let va_user = 0x40_0000u64;
    lo.map(&m, va_user, DATA + 0x5000, 3, NORMAL | AP_EL0);
    lo.map(&m, 0x50_0000, DATA + 0x6000, 3, NORMAL);
    m.write64(DATA + 0x2000, 0x4848);
    m.write64(DATA + 0x5000, 0x5050);
    m.write64(DATA + 0x6000, 0x6060);
    // TCR_EL2 (E2H = 1): T0SZ = T1SZ = 25, TG0 4KB, TG1 4KB, IPS 48 bits.
    let tcr = tcr_el1(G::K4, 25, PS_48) & !(1 << 23) | 25 << 16;
    mmu_regs(&mut m, tcr, &lo);
    m.set_x(&[(4, hi.ttbr()), (5, SPSR_EL0T), (6, CODE + el0_at), (20, va_hi), (21, 0x50_0000), (22, va_user)]);
    let f = m.run_to_fault();
    assert_eq!((m.x(10), m.x(11), m.x(12)), (0x4848, 0x6060, 0x5050));
    assert_eq!(f, Fault { el: 2, ec: 0x24, fsc: 0b00_1111, wnr: false, s1ptw: false, far: va_hi });
    assert_eq!(m.cpu.last_exception().unwrap().from_el, 0);
}

#[test]
fn el3_output_pas_comes_from_nse_and_ns() {
    // FEAT_RME, EL3 regime (AArch64.S1NextWalkStateLeaf): the leaf's
    // {NSE, NS} select Secure (00), Non-secure (01), Root (10), Realm (11).
    // Root executes only from the Root PAS (the code is mapped NSE = 1).
    // TCR_EL3 with T0SZ 32: start level 1 (4KB), 2 (16KB), 2 (64KB).
    let code = asm(|o| {
        mmu_on(o, 3);
        dynasm!(o ; .arch aarch64
            ; str x11, [x20] ; str x11, [x21] ; str x11, [x22] ; str x11, [x23]
            ; brk 3)
    });
    for g in [G::K4, G::K16, G::K64] {
        let mut m = Machine::new(&code, SCR_RW, 3);
        let mut pt = Pt::s1(&m, g, 32, TABLES);
        pt.map_pages(&m, CODE, CODE, 0x2_0000, NORMAL_EL23 | NSE);
        let gs = g.size();
        let vas = [0x1000_0000u64, 0x1000_0000 + gs, 0x1000_0000 + 2 * gs, 0x1000_0000 + 3 * gs];
        for (va, bits) in vas.iter().zip([0, NS, NSE, NSE | NS]) {
            pt.map(&m, *va, PROBE, 3, DEVICE_EL23 | bits);
        }
        mmu_regs(&mut m, tcr_el23(g, 32, PS_48), &pt);
        m.set_x(&[(20, vas[0] + 8), (21, vas[1] + 8), (22, vas[2] + 8), (23, vas[3] + 8)]);
        m.run_to_brk(3);
        let pas: Vec<Pas> = m.probe_log().into_iter().map(|(w, off, pas)| {
            assert!(w && off == 8);
            pas
        }).collect();
        assert_eq!(pas, [Pas::Secure, Pas::NonSecure, Pas::Root, Pas::Realm], "{g:?}");
    }
}

#[test]
fn secure_ns_and_nstable_select_the_pas_other_states_ignore_ns() {
    // AArch64.S1NextWalkStateTable/Leaf: in Secure state a leaf's NS bit
    // selects the Non-secure PAS, and NSTable in a table descriptor moves
    // the rest of the walk (and the output) to Non-secure whatever the
    // leaf says. In Non-secure state the output is always Non-secure; in
    // Realm EL1&0 (stage 2 off) always Realm: their NS bit is ignored.
    let code = asm(|o| {
        mmu_on(o, 1);
        dynasm!(o ; .arch aarch64
            ; str x11, [x20] ; str x11, [x21] ; str x11, [x22]
            ; brk 5)
    });
    for (scr, expect) in [
        (SCR_RW, [Pas::Secure, Pas::NonSecure, Pas::NonSecure]),
        (SCR_NONSECURE, [Pas::NonSecure; 3]),
        (SCR_NONSECURE | SCR_NSE, [Pas::Realm; 3]),
    ] {
        let mut m = Machine::new(&code, scr, 1);
        let mut pt = Pt::s1(&m, G::K4, 25, TABLES);
        pt.map(&m, CODE, CODE, 2, NORMAL);
        pt.map(&m, 0x4000_0000, PROBE, 3, DEVICE);
        pt.map(&m, 0x4000_1000, PROBE, 3, DEVICE | NS);
        // A separate level 1 entry whose table descriptor has NSTable set.
        pt.table_bits = NS_TABLE;
        pt.map(&m, 0x8_0000_0000, PROBE, 3, DEVICE);
        pt.table_bits = 0;
        mmu_regs(&mut m, tcr_el1(G::K4, 25, PS_48), &pt);
        m.set_x(&[(20, 0x4000_0000), (21, 0x4000_1000), (22, 0x8_0000_0000)]);
        m.run_to_brk(5);
        let pas: Vec<Pas> = m.probe_log().into_iter().map(|(_, _, p)| p).collect();
        assert_eq!(pas, expect, "SCR_EL3 = {scr:#x}");
    }
}

// ---------------------------------------------------------------------------
// Faults.

/// A Non-secure EL1 machine, 4KB granule, T0SZ 25 (start level 1), with the
/// code identity mapped and `body` after the MMU enable sequence.
fn el1_fault_machine(body: impl FnOnce(&mut Asm), ips: u64, setup: impl FnOnce(&Machine, &mut Pt)) -> Machine {
    let code = asm(|o| {
        mmu_on(o, 1);
        body(o);
    });
    let mut m = Machine::new(&code, SCR_NONSECURE, 1);
    let mut pt = Pt::s1(&m, G::K4, 25, TABLES);
    pt.map(&m, CODE, CODE, 2, NORMAL);
    setup(&m, &mut pt);
    mmu_regs(&mut m, tcr_el1(G::K4, 25, ips), &pt);
    m
}

/// PC of the first instruction after the MMU enable sequence.
const BODY: u64 = CODE + 6 * 4;

#[test]
fn stage1_fault_kinds_report_fsc_with_level_wnr_and_far() {
    // D8.15 and the ESR_ELx DFSC table: Translation 0b0001LL, Access flag
    // 0b0010LL, Permission 0b0011LL, Address size 0b0000LL, LL = lookup
    // level; taken to EL1 as EC 0x25 (from EL1), FAR_EL1 = VA, ELR_EL1 =
    // the faulting instruction.
    let load = |o: &mut Asm| dynasm!(o ; .arch aarch64 ; ldr x10, [x20]);
    let store = |o: &mut Asm| dynasm!(o ; .arch aarch64 ; str x10, [x20]);
    let va = 0x40_1234_5000u64; // L1 index 256, L2 index 0x91, L3 index 0x145
    struct Case {
        what: &'static str,
        store: bool,
        ips: u64,
        setup: fn(&Machine, &mut Pt, u64),
        fsc: u64,
    }
    let cases = [
        Case { what: "translation, level 1 (invalid L1 entry)", store: false, ips: PS_48, setup: |_, _, _| {}, fsc: 0b00_0101 },
        Case {
            what: "translation, level 2",
            store: false,
            ips: PS_48,
            setup: |m, pt, va| {
                pt.map(m, va + (1 << 21), DATA, 3, NORMAL); // another L2 entry
            },
            fsc: 0b00_0110,
        },
        Case {
            what: "translation, level 3",
            store: false,
            ips: PS_48,
            setup: |m, pt, va| {
                pt.map(m, va + 0x1000, DATA, 3, NORMAL);
            },
            fsc: 0b00_0111,
        },
        Case {
            what: "access flag, level 3 page",
            store: false,
            ips: PS_48,
            setup: |m, pt, va| {
                pt.map(m, va, DATA, 3, NORMAL & !AF);
            },
            fsc: 0b00_1011,
        },
        Case {
            what: "access flag, level 2 block",
            store: true,
            ips: PS_48,
            setup: |m, pt, va| {
                pt.map(m, va & !0x1f_ffff, RAM + 0x20_0000, 2, NORMAL & !AF);
            },
            fsc: 0b00_1010,
        },
        Case {
            what: "permission, level 3 (store to read-only)",
            store: true,
            ips: PS_48,
            setup: |m, pt, va| {
                pt.map(m, va, DATA, 3, NORMAL | AP_RO);
            },
            fsc: 0b00_1111,
        },
        Case {
            what: "permission, level 1 block",
            store: true,
            ips: PS_48,
            setup: |m, pt, va| {
                pt.map(m, va & !0x3fff_ffff, 0x4000_0000, 1, NORMAL | AP_RO);
            },
            fsc: 0b00_1101,
        },
        Case {
            what: "address size, level 3 (OA beyond IPS = 32 bits)",
            store: false,
            ips: PS_32,
            setup: |m, pt, va| {
                pt.map(m, va, 0x1_0000_0000, 3, NORMAL);
            },
            fsc: 0b00_0011,
        },
        Case {
            what: "address size, level 2 (next-level table beyond IPS)",
            store: false,
            ips: PS_32,
            setup: |m, pt, va| {
                let da = pt.slot(m, va, 2);
                m.write64(da, 0x2_0000_0000 | TABLE);
            },
            fsc: 0b00_0010,
        },
    ];
    for c in cases {
        let body = if c.store { store as fn(&mut Asm) } else { load as fn(&mut Asm) };
        let mut m = el1_fault_machine(body, c.ips, |m, pt| (c.setup)(m, pt, va));
        m.set_x(&[(20, va + 0x18)]);
        let f = m.run_to_fault();
        assert_eq!(
            f,
            Fault { el: 1, ec: 0x25, fsc: c.fsc, wnr: c.store, s1ptw: false, far: va + 0x18 },
            "{}",
            c.what
        );
        assert_eq!(m.cpu.sr(SysReg::ELR_EL1), BODY, "{}", c.what);
        assert_eq!(m.cpu.sr(SysReg::ESR_EL2), 0, "nothing at EL2 ({})", c.what);
    }
    // TTBR0_EL1 beyond the IPS: Address size fault, level 0 (AArch64.S1Walk
    // checks the base before any read), here on the very next fetch (the
    // ISB after the SCTLR_EL1 write): an Instruction Abort, EC 0x21.
    let mut m = el1_fault_machine(load, PS_32, |_, pt| pt.root = 0x1_0000_0000);
    let f = m.run_to_fault();
    assert_eq!(f, Fault { el: 1, ec: 0x21, fsc: 0b00_0000, wnr: false, s1ptw: false, far: BODY - 4 });
}

#[test]
fn instruction_aborts_and_el0_data_aborts() {
    // A fetch from a PXN page is a Permission fault reported as an
    // Instruction Abort (EC 0x21 from EL1, IFSC 0b001111, FAR = ELR = the
    // target); from EL0 an Access flag fault is a Data Abort with EC 0x24.
    let mut m = el1_fault_machine(
        |o| dynasm!(o ; .arch aarch64 ; br x20),
        PS_48,
        |m, pt| {
            pt.map(m, 0x40_0000_0000, CODE2, 3, NORMAL | PXN);
        },
    );
    m.set_x(&[(20, 0x40_0000_0000)]);
    let f = m.run_to_fault();
    assert_eq!((f.el, f.ec, f.fsc, f.far), (1, 0x21, 0b00_1111, 0x40_0000_0000));
    assert_eq!(m.cpu.sr(SysReg::ELR_EL1), 0x40_0000_0000);

    // EL0: eret from EL1 into code mapped for EL0.
    let mut m = el1_fault_machine(
        |o| {
            dynasm!(o ; .arch aarch64
                ; msr 0x4200, x5          // SPSR_EL1 = S3_0_C4_C0_0
                ; msr 0x4201, x6          // ELR_EL1 = S3_0_C4_C0_1
                ; eret
                ; ldr x10, [x20])
        },
        PS_48,
        |m, pt| {
            // Remap the code read-only for both levels (executable at both).
            pt.map(m, CODE, CODE, 2, NORMAL | AP_EL0 | AP_RO);
            pt.map(m, 0x40_0000_0000, DATA, 3, (NORMAL | AP_EL0) & !AF);
        },
    );
    m.set_x(&[(5, SPSR_EL0T), (6, BODY + 12), (20, 0x40_0000_0010)]);
    let f = m.run_to_fault();
    assert_eq!(f, Fault { el: 1, ec: 0x24, fsc: 0b00_1011, wnr: false, s1ptw: false, far: 0x40_0000_0010 });
}

#[test]
fn el3_faults_are_taken_to_el3() {
    // The EL3 regime's faults go to EL3 (ESR_EL3/FAR_EL3, EC 0x25).
    let code = asm(|o| {
        mmu_on(o, 3);
        dynasm!(o ; .arch aarch64 ; ldr x10, [x20] ; ldr x10, [x21]);
    });
    let mut m = Machine::new(&code, SCR_RW, 3);
    let mut pt = Pt::s1(&m, G::K4, 32, TABLES);
    pt.map(&m, CODE, CODE, 2, NORMAL_EL23 | NSE);
    pt.map(&m, 0x1000_0000, DATA, 3, NORMAL_EL23 | NSE);
    mmu_regs(&mut m, tcr_el23(G::K4, 32, PS_48), &pt);
    m.set_x(&[(20, 0x1000_0008), (21, 0x1000_1008)]);
    let f = m.run_to_fault();
    assert_eq!(f, Fault { el: 3, ec: 0x25, fsc: 0b00_0111, wnr: false, s1ptw: false, far: 0x1000_1008 });
}

// ---------------------------------------------------------------------------
// Stage 2.

/// VTCR_EL2: 4KB granule, T0SZ 25 (39-bit IPA), SL0 = 1 (start level 1),
/// PS 48 bits, RES1 bit 31.
fn vtcr_4k() -> u64 {
    25 | 1 << 6 | TCR_WALK_ATTRS | G::K4.tg0() << 14 | PS_48 << 16 | 1 << 31
}

/// Guest code starting at Non-secure EL2: programs stage 2 from x7 (VTCR),
/// x8 (VTTBR), x9 (HCR), enters EL1 (x5 = SPSR, x6 = ELR), where `el1`
/// turns stage 1 on and runs.
fn el2_then_el1(el1: impl FnOnce(&mut Asm)) -> (Vec<u8>, u64) {
    let mut o = Asm::new(0);
    dynasm!(o ; .arch aarch64
        ; msr VTCR_EL2, x7 ; msr VTTBR_EL2, x8 ; msr HCR_EL2, x9 ; isb
        ; msr SPSR_EL2, x5 ; msr ELR_EL2, x6 ; eret);
    let at = o.offset().0 as u64;
    mmu_on(&mut o, 1);
    el1(&mut o);
    (o.finalize().unwrap(), CODE + at)
}

/// Stage 1 (4KB, T0SZ 25) and stage 2 trees, with the code, the stage 1
/// tables and the data area identity mapped at stage 2 (2 MB blocks).
fn two_stage_machine(el1: impl FnOnce(&mut Asm)) -> (Machine, Pt, Pt) {
    let (code, el1_at) = el2_then_el1(el1);
    let mut m = Machine::new(&code, SCR_NONSECURE, 2);
    let mut s1 = Pt::s1(&m, G::K4, 25, TABLES);
    let mut s2 = Pt::with_start(&m, G::K4, 39, 1, S2_TABLES);
    s1.map(&m, CODE, CODE, 2, NORMAL);
    for base in [CODE, TABLES, TABLES + 0x20_0000] {
        s2.map(&m, base, base, 2, S2_NORMAL);
    }
    mmu_regs(&mut m, tcr_el1(G::K4, 25, PS_48), &s1);
    m.set_x(&[(5, SPSR_EL1H), (6, el1_at), (7, vtcr_4k()), (8, s2.ttbr() | 5 << 48), (9, HCR_VM)]);
    (m, s1, s2)
}

#[test]
fn stage2_translates_ipas_and_its_faults_go_to_el2_with_hpfar() {
    // AArch64.FullTranslate: VA -(stage 1)-> IPA -(stage 2)-> PA.
    let body = |o: &mut Asm| dynasm!(o ; .arch aarch64 ; ldr x10, [x20] ; ldr x11, [x21]);
    let (va, ipa, pa) = (0x40_0000_0000u64, 0x1_2340_0000u64, DATA + 0x7000);
    let (mut m, mut s1, mut s2) = two_stage_machine(body);
    s1.map(&m, va, ipa, 3, NORMAL);
    s2.map(&m, ipa, pa, 3, S2_NORMAL);
    // Stage 2 Translation fault on the output address: IPA 0x1_2340_1000
    // has no level 3 entry.
    s1.map(&m, va + 0x1000, ipa + 0x1000, 3, NORMAL);
    m.write64(pa + 0x20, 0x5151);
    m.set_x(&[(20, va + 0x20), (21, va + 0x1028)]);
    let f = m.run_to_fault();
    assert_eq!(m.x(10), 0x5151, "two-stage load");
    // EC 0x24 (from EL1), DFSC Translation level 3, HPFAR_EL2.FIPA =
    // IPA[47:12] at bits [43:4], FAR_EL2 = the VA.
    assert_eq!(f, Fault { el: 2, ec: 0x24, fsc: 0b00_0111, wnr: false, s1ptw: false, far: va + 0x1028 });
    assert_eq!(m.cpu.sr(SysReg::HPFAR_EL2), (ipa + 0x1000) >> 12 << 4);
    assert_eq!(m.cpu.sr(SysReg::ESR_EL1), 0, "nothing reported at EL1");

    // A stage 2 fault on a stage 1 table walk: S1PTW = 1, HPFAR_EL2 = the
    // IPA of the stage 1 table, the level is stage 2's (1: no entry at all).
    let (mut m, mut s1, _s2) = two_stage_machine(body);
    s1.map(&m, va, DATA, 3, NORMAL); // L1/L2 tables for va exist
    s1.next = RAM + 0x4000_0000; // IPA not mapped at stage 2
    s1.map(&m, va + (1 << 21), DATA, 3, NORMAL); // new level 3 table
    m.set_x(&[(20, va + (1 << 21) + 8), (21, va)]);
    let f = m.run_to_fault();
    assert_eq!(f, Fault { el: 2, ec: 0x24, fsc: 0b00_0101, wnr: false, s1ptw: true, far: va + (1 << 21) + 8 });
    assert_eq!(m.cpu.sr(SysReg::HPFAR_EL2), (RAM + 0x4000_0000) >> 12 << 4);

    // Stage 2 Permission fault: a store to an IPA that stage 2 maps read-only.
    let body = |o: &mut Asm| dynasm!(o ; .arch aarch64 ; ldr x10, [x20] ; str x10, [x20]);
    let (mut m, mut s1, mut s2) = two_stage_machine(body);
    s1.map(&m, va, ipa, 3, NORMAL);
    s2.map(&m, ipa, pa, 3, S2_NORMAL & !S2_W);
    m.set_x(&[(20, va + 0x30)]);
    let f = m.run_to_fault();
    assert_eq!(f, Fault { el: 2, ec: 0x24, fsc: 0b00_1111, wnr: true, s1ptw: false, far: va + 0x30 });
    // Stage 1 faults of the EL1&0 regime still go to EL1.
    let body = |o: &mut Asm| dynasm!(o ; .arch aarch64 ; ldr x10, [x20]);
    let (mut m, _s1, _s2) = two_stage_machine(body);
    m.set_x(&[(20, va)]);
    let f = m.run_to_fault();
    assert_eq!((f.el, f.ec, f.fsc), (1, 0x25, 0b00_0101));
}

// ---------------------------------------------------------------------------
// AT -> PAR_EL1.

const PAR_F: u64 = 1;

/// PAR_EL1 fault format: F, FST[6:1], PTW[8], S[9], RES1 bit 11.
fn par_fault(fst: u64, ptw: bool, s2: bool) -> u64 {
    PAR_F | fst << 1 | (ptw as u64) << 8 | (s2 as u64) << 9 | 1 << 11
}

#[test]
fn at_s1e1r_s1e1w_write_par_el1() {
    // AArch64.AT_S1 + EncodePAR: success gives PA[47:12], ATTR (the MAIR
    // byte: Normal WB RWA = 0xff), SH; a fault gives F = 1 and FST = the
    // DFSC, without taking an exception.
    let body = |o: &mut Asm| {
        dynasm!(o ; .arch aarch64
            ; at s1e1r, x20 ; isb ; mrs x10, PAR_EL1
            ; at s1e1w, x20 ; isb ; mrs x11, PAR_EL1
            ; at s1e1r, x21 ; isb ; mrs x12, PAR_EL1
            ; at s1e1r, x22 ; isb ; mrs x13, PAR_EL1
            ; brk 1)
    };
    let mut m = el1_fault_machine(body, PS_48, |m, pt| {
        pt.map(m, 0x40_0000_0000, DATA + 0x9000, 3, NORMAL | AP_RO);
        pt.map(m, 0x40_0020_0000, PROBE, 3, DEVICE);
    });
    m.set_x(&[(20, 0x40_0000_0abc), (21, 0x40_0000_1000), (22, 0x40_0020_0000)]);
    m.run_to_brk(1);
    let par = m.x(10);
    assert_eq!(par & PAR_F, 0);
    assert_eq!(par & 0x0000_ffff_ffff_f000, DATA + 0x9000, "PA");
    assert_eq!(par >> 56, 0xff, "ATTR = MAIR Attr0");
    assert_eq!(par >> 7 & 3, 0b11, "SH = Inner Shareable");
    assert_eq!(m.x(11), par_fault(0b00_1111, false, false), "S1E1W on read-only: Permission level 3");
    assert_eq!(m.x(12), par_fault(0b00_0111, false, false), "Translation level 3");
    assert_eq!(m.x(13) & 0x0000_ffff_ffff_f000, PROBE);
    assert_eq!(m.x(13) >> 56, 0x04, "Device-nGnRE");
    assert_eq!(m.cpu.last_exception().unwrap().ec, 0x3c, "AT took no exception");
}

#[test]
fn at_s1e3r_reports_nse_ns() {
    // PAR_EL1.{NSE, NS} (bits 11, 9) of an EL3 regime result are the
    // output PAS (FEAT_RME).
    let code = asm(|o| {
        mmu_on(o, 3);
        dynasm!(o ; .arch aarch64
            ; at s1e3r, x20 ; mrs x10, PAR_EL1
            ; at s1e3r, x21 ; mrs x11, PAR_EL1
            ; at s1e3r, x22 ; mrs x12, PAR_EL1
            ; at s1e3r, x23 ; mrs x13, PAR_EL1
            ; at s1e3w, x24 ; mrs x14, PAR_EL1
            ; brk 2)
    });
    let mut m = Machine::new(&code, SCR_RW, 3);
    let mut pt = Pt::s1(&m, G::K4, 32, TABLES);
    pt.map(&m, CODE, CODE, 2, NORMAL_EL23 | NSE);
    for (i, bits) in [0, NS, NSE, NSE | NS].into_iter().enumerate() {
        pt.map(&m, 0x1000_0000 + 0x1000 * i as u64, DATA + 0x1000 * i as u64, 3, NORMAL_EL23 | bits);
    }
    pt.map(&m, 0x1000_8000, DATA, 3, NORMAL_EL23 | AP_RO);
    mmu_regs(&mut m, tcr_el23(G::K4, 32, PS_48), &pt);
    m.set_x(&[(20, 0x1000_0000), (21, 0x1000_1000), (22, 0x1000_2000), (23, 0x1000_3000), (24, 0x1000_8000)]);
    m.run_to_brk(2);
    for (i, (nse, ns)) in [(0, 0), (0, 1), (1, 0), (1, 1)].into_iter().enumerate() {
        let par = m.x(10 + i);
        assert_eq!(par & PAR_F, 0);
        assert_eq!(par & 0x0000_ffff_ffff_f000, DATA + 0x1000 * i as u64);
        assert_eq!((par >> 11 & 1, par >> 9 & 1), (nse, ns), "PAR {par:#x}");
    }
    assert_eq!(m.x(14), par_fault(0b00_1111, false, false));
}

#[test]
fn at_s12e1r_walks_both_stages() {
    // AArch64.AT_S12: from EL2, the EL1&0 regime with stage 2. Success gives
    // the final PA; a stage 2 fault sets S (bit 9), and PTW (bit 8) when it
    // was on the stage 1 walk.
    let code = asm(|o| {
        dynasm!(o ; .arch aarch64
            ; msr VTCR_EL2, x7 ; msr VTTBR_EL2, x8 ; msr HCR_EL2, x9
            ; msr MAIR_EL1, x0 ; msr TCR_EL1, x1 ; msr TTBR0_EL1, x2 ; msr SCTLR_EL1, x3 ; isb
            ; at s12e1r, x20 ; isb ; mrs x10, PAR_EL1
            ; at s12e1r, x21 ; isb ; mrs x11, PAR_EL1
            ; at s12e1r, x22 ; isb ; mrs x12, PAR_EL1
            ; at s1e1r, x20 ; isb ; mrs x13, PAR_EL1
            ; brk 4)
    });
    let mut m = Machine::new(&code, SCR_NONSECURE, 2);
    let mut s1 = Pt::s1(&m, G::K4, 25, TABLES);
    let mut s2 = Pt::with_start(&m, G::K4, 39, 1, S2_TABLES);
    for base in [CODE, TABLES, TABLES + 0x20_0000] {
        s2.map(&m, base, base, 2, S2_NORMAL);
    }
    let (va, ipa, pa) = (0x40_0000_0000u64, 0x1_2340_0000u64, DATA + 0x7000);
    s1.map(&m, va, ipa, 3, NORMAL);
    s2.map(&m, ipa, pa, 3, S2_NORMAL);
    s1.map(&m, va + 0x1000, ipa + 0x1000, 3, NORMAL); // no stage 2 entry
    s1.next = RAM + 0x4000_0000; // a stage 1 table at an unmapped IPA
    s1.map(&m, va + (1 << 21), DATA, 3, NORMAL);
    mmu_regs(&mut m, tcr_el1(G::K4, 25, PS_48), &s1);
    m.set_x(&[(7, vtcr_4k()), (8, s2.ttbr()), (9, HCR_VM), (20, va + 0x123), (21, va + 0x1000), (22, va + (1 << 21))]);
    m.run_to_brk(4);
    assert_eq!(m.x(10) & (PAR_F | 0x0000_ffff_ffff_f000), pa, "S12E1R: the PA");
    assert_eq!(m.x(11), par_fault(0b00_0111, false, true), "stage 2 Translation level 3");
    assert_eq!(m.x(12), par_fault(0b00_0101, true, true), "stage 2 fault on the stage 1 walk");
    assert_eq!(m.x(13) & (PAR_F | 0x0000_ffff_ffff_f000), ipa, "S1E1R: the IPA");
}

#[test]
fn at_s1e1r_walks_stage_1_tables_through_stage_2() {
    // AArch64.AT_S1 from EL2 with HCR_EL2.VM = 1: the result is the stage 1
    // output (an IPA), but the stage 1 table walk is still translated by
    // stage 2 (AArch64.S1Walk), so TTBR0_EL1 and the table pointers are
    // IPAs. Here TTBR0_EL1 holds IPA 0x2_0000_0000, which only stage 2
    // makes the PA of the root table; a walk of it as a PA would find no
    // memory. A stage 2 fault on that walk is PAR.{S, PTW} = {1, 1}.
    let code = asm(|o| {
        dynasm!(o ; .arch aarch64
            ; msr VTCR_EL2, x7 ; msr VTTBR_EL2, x8 ; msr HCR_EL2, x9
            ; msr MAIR_EL1, x0 ; msr TCR_EL1, x1 ; msr TTBR0_EL1, x2 ; msr SCTLR_EL1, x3 ; isb
            ; at s1e1r, x20 ; isb ; mrs x10, PAR_EL1
            ; at s1e0r, x20 ; isb ; mrs x11, PAR_EL1
            ; at s1e1r, x22 ; isb ; mrs x12, PAR_EL1
            ; brk 5)
    });
    let mut m = Machine::new(&code, SCR_NONSECURE, 2);
    let root_ipa = 0x2_0000_0000u64;
    let mut s1 = Pt::s1(&m, G::K4, 25, TABLES);
    let mut s2 = Pt::with_start(&m, G::K4, 39, 1, S2_TABLES);
    for base in [CODE, TABLES, TABLES + 0x20_0000] {
        s2.map(&m, base, base, 2, S2_NORMAL);
    }
    s2.map(&m, root_ipa, TABLES, 2, S2_NORMAL);
    let (va, ipa) = (0x40_0000_0000u64, 0x1_2340_0000u64);
    s1.map(&m, va, ipa, 3, NORMAL | AP_EL0);
    s1.next = RAM + 0x4000_0000; // a stage 1 table at an IPA stage 2 does not map
    s1.map(&m, va + (1 << 21), DATA, 3, NORMAL);
    mmu_regs(&mut m, tcr_el1(G::K4, 25, PS_48), &s1);
    m.set_x(&[(2, root_ipa), (7, vtcr_4k()), (8, s2.ttbr()), (9, HCR_VM), (20, va + 0x123), (22, va + (1 << 21))]);
    m.run_to_brk(5);
    assert_eq!(m.x(10) & (PAR_F | 0x0000_ffff_ffff_f000), ipa, "S1E1R: the IPA, via a root table found through stage 2");
    assert_eq!(m.x(11) & (PAR_F | 0x0000_ffff_ffff_f000), ipa, "S1E0R too");
    assert_eq!(m.x(12), par_fault(0b00_0101, true, true), "stage 2 fault on the stage 1 walk");
}

#[test]
fn at_s1e1r_in_secure_state_reports_ns() {
    // Secure EL1&0: PAR_EL1.NS reflects the NS bit of the leaf.
    let body = |o: &mut Asm| {
        dynasm!(o ; .arch aarch64
            ; at s1e1r, x20 ; mrs x10, PAR_EL1
            ; at s1e1r, x21 ; mrs x11, PAR_EL1
            ; brk 6)
    };
    let code = asm(|o| {
        mmu_on(o, 1);
        body(o);
    });
    let mut m = Machine::new(&code, SCR_RW, 1);
    let mut pt = Pt::s1(&m, G::K4, 25, TABLES);
    pt.map(&m, CODE, CODE, 2, NORMAL);
    pt.map(&m, 0x4000_0000, DATA, 3, NORMAL);
    pt.map(&m, 0x4000_1000, DATA, 3, NORMAL | NS);
    mmu_regs(&mut m, tcr_el1(G::K4, 25, PS_48), &pt);
    m.set_x(&[(20, 0x4000_0000), (21, 0x4000_1000)]);
    m.run_to_brk(6);
    assert_eq!((m.x(10) & PAR_F, m.x(10) >> 9 & 1), (0, 0));
    assert_eq!((m.x(11) & PAR_F, m.x(11) >> 9 & 1), (0, 1));
}

// ---------------------------------------------------------------------------
// TLB maintenance.

#[test]
fn changed_descriptors_are_not_seen_until_tlbi_vmalle1() {
    // D8.16: a translation may be cached in a TLB, so after a descriptor is
    // changed in memory the old translation can still be used until a TLBI
    // removes it (the emulator always uses it: the TLB was filled by the
    // first access). TLBI VMALLE1 invalidates stage 1 EL1&0 entries; then
    // the new descriptor is used. Break-before-make: an invalidated entry
    // keeps working until TLBI, after which the access faults.
    // (The emulator's TLB is direct-mapped on VA[21:12]: the data VA must
    // not share a set with the code page, or fetches would evict it, which
    // the architecture also allows.)
    let body = |o: &mut Asm| {
        dynasm!(o ; .arch aarch64
            ; ldr x10, [x20]            // fills the TLB: PA1
            ; str x5, [x6]              // the guest rewrites the PTE -> PA2
            ; dsb ish
            ; ldr x11, [x20]            // stale: still PA1
            ; tlbi vmalle1
            ; dsb ish ; isb
            ; ldr x12, [x20]            // PA2
            ; str xzr, [x6]             // invalid
            ; dsb ish
            ; ldr x13, [x20]            // stale: still PA2
            ; tlbi vmalle1
            ; dsb ish ; isb
            ; ldr x14, [x20])           // Translation fault, level 3
    };
    let va = 0x40_0008_0000u64;
    let (pa1, pa2) = (DATA, DATA + 0x1000);
    let mut pte = 0;
    let mut m = el1_fault_machine(body, PS_48, |m, pt| {
        pte = pt.map(m, va, pa1, 3, NORMAL);
        // The tables are reachable (identity, Normal) so the guest can edit them.
        pt.map(m, TABLES, TABLES, 2, NORMAL);
    });
    m.write64(pa1, 1);
    m.write64(pa2, 2);
    m.set_x(&[(5, pa2 | NORMAL | 0b11), (6, pte), (20, va)]);
    let f = m.run_to_fault();
    assert_eq!((m.x(10), m.x(11), m.x(12), m.x(13)), (1, 1, 2, 2));
    assert_eq!(f, Fault { el: 1, ec: 0x25, fsc: 0b00_0111, wnr: false, s1ptw: false, far: va });
}

#[test]
fn changed_descriptors_are_not_seen_until_tlbi_alle3() {
    // The same at EL3 with TLBI ALLE3.
    let code = asm(|o| {
        mmu_on(o, 3);
        dynasm!(o ; .arch aarch64
            ; ldr x10, [x20]
            ; str x5, [x6]
            ; dsb sy
            ; ldr x11, [x20]
            ; tlbi alle3
            ; dsb sy ; isb
            ; ldr x12, [x20]
            ; brk 9)
    });
    let mut m = Machine::new(&code, SCR_RW, 3);
    let mut pt = Pt::s1(&m, G::K16, 28, TABLES);
    pt.map(&m, CODE, CODE, 2, NORMAL_EL23 | NSE);
    let va = 0x4010_0000u64; // TLB set 0x100, the code is in set 0
    // (the 32 MB code block also maps the tables: the guest edits them)
    let pte = pt.map(&m, va, DATA, 3, NORMAL_EL23 | NSE);
    m.write64(DATA + 0x10, 1);
    m.write64(DATA + 0x4010, 2);
    mmu_regs(&mut m, tcr_el23(G::K16, 28, PS_48), &pt);
    m.set_x(&[(5, (DATA + 0x4000) | NORMAL_EL23 | NSE | 0b11), (6, pte), (20, va + 0x10)]);
    m.run_to_brk(9);
    assert_eq!((m.x(10), m.x(11), m.x(12)), (1, 1, 2));
}

#[test]
fn context_register_writes_invalidate_cached_translations() {
    // A TLB may hold entries of another TTBR0_EL1 value only tagged by
    // ASID/VMID; the emulator does not tag them, so writing TTBR0_EL1 must
    // drop them: the load after the switch uses the new tables.
    let body = |o: &mut Asm| {
        dynasm!(o ; .arch aarch64
            ; ldr x10, [x20]
            ; msr TTBR0_EL1, x7 ; isb
            ; ldr x11, [x20]
            ; brk 2)
    };
    let va = 0x40_0000_0000u64;
    let mut m = el1_fault_machine(body, PS_48, |m, pt| {
        pt.map(m, va, DATA, 3, NORMAL);
    });
    let mut other = Pt::s1(&m, G::K4, 25, TABLES + 0x10_0000);
    other.map(&m, CODE, CODE, 2, NORMAL);
    other.map(&m, va, DATA + 0x1000, 3, NORMAL);
    m.write64(DATA, 1);
    m.write64(DATA + 0x1000, 2);
    m.set_x(&[(7, other.ttbr() | 1 << 48), (20, va)]);
    m.run_to_brk(2);
    assert_eq!((m.x(10), m.x(11)), (1, 2));
}

// ---------------------------------------------------------------------------
// The Granule Protection Check.

/// Granules with a PAS other than Any in the test GPT.
const REALM_PAGE: u64 = RAM + 0x90_0000;
const NS_PAGE: u64 = RAM + 0x91_0000;
const ROOT_PAGE: u64 = RAM + 0x92_0000;
/// A Realm granule holding a stage 1 table.
const REALM_TABLE: u64 = RAM + 0x93_0000;

/// TF-A's FVP GPT shape (PPS 64 GB, 4 KB PGS, L0GPTSZ 1 GB, level 0 in
/// Trusted SRAM, level 1 at 0xfff0_0000), everything Any except a few
/// granules.
fn test_gpt() -> GptBuilder {
    GptBuilder::new(GptLayout::FVP)
        .map_granules(REALM_PAGE, 0x1000, Gpi::Realm)
        .map_granules(NS_PAGE, 0x1000, Gpi::NonSecure)
        .map_granules(ROOT_PAGE, 0x1000, Gpi::Root)
        .map_granules(REALM_TABLE, 0x1000, Gpi::Realm)
}

/// The level 1 word describing `pa` (one level 1 table, for DRAM's first GB).
fn l1_word_addr(img: &GptImage, pa: u64) -> u64 {
    assert_eq!(img.l1_tables(), 1);
    let lay = img.layout;
    lay.l1_base + ((pa >> 16) & (lay.l1_entries() - 1)) * 8
}

/// EL3 code: enables the GPC (x15 = GPTBR_EL3, x16 = GPCCR_EL3), then
/// ERETs to `lower` (x17 = SCR_EL3, x18 = SPSR_EL3, x19 = ELR_EL3).
fn gpc_then_lower(lower: impl FnOnce(&mut Asm)) -> Vec<u8> {
    let mut o = Asm::new(0);
    dynasm!(o ; .arch aarch64
        ; msr GPTBR_EL3, x15 ; msr GPCCR_EL3, x16 ; isb
        ; msr SCR_EL3, x17 ; msr SPSR_EL3, x18 ; msr ELR_EL3, x19 ; eret);
    assert_eq!(CODE + o.offset().0 as u64, LOWER);
    lower(&mut o);
    o.finalize().unwrap()
}
const LOWER: u64 = CODE + 0x1c;

/// A machine at EL3 with `img` loaded, x15/x16 = GPTBR_EL3/GPCCR_EL3 for
/// it, and x17..x19 set to enter `el` of the state SCR_EL3 = `scr` selects
/// at LOWER.
fn gpc_machine(code: &[u8], img: &GptImage, scr: u64, el: u64) -> Machine {
    let mut m = Machine::new(code, SCR_RW, 3);
    img.load(&m.bus).unwrap();
    let gpccr = img.gpccr(GpcFeatures::FVP).encode();
    m.set_x(&[(15, img.gptbr().encode()), (16, gpccr), (17, scr), (18, 0x3c0 | el << 2 | 1), (19, LOWER)]);
    m
}

#[test]
fn gpf_is_a_gpc_exception_at_el3_when_scr_el3_gpf_is_set() {
    // D9: a Granule Protection Fault from below EL3 with SCR_EL3.GPF = 1 is
    // a GPC exception: EC 0x1E at EL3, ESR_EL3.ISS.GPCSC = 0b00110L (GPF at
    // GPT level L), xFSC 0x28, WnR, InD (bit 20) for fetches; MFAR_EL3 =
    // PA[51:12] with the PAS in NS (63) / NSE (62); FAR_EL3 = the VA.
    let img = test_gpt().build().unwrap();
    let lower = |o: &mut Asm| dynasm!(o ; .arch aarch64 ; ldr x10, [x21] ; ldr x10, [x20]);
    let mut m = gpc_machine(&gpc_then_lower(lower), &img, SCR_NONSECURE | SCR_GPF, 1);
    m.write64(NS_PAGE, 0x4e53);
    m.set_x(&[(20, REALM_PAGE + 0x18), (21, NS_PAGE)]);
    let r = m.run_to_exception(20);
    assert_eq!(m.x(10), 0x4e53, "NS access to a Non-secure granule");
    assert_eq!((r.ec, r.target_el, r.from_el, r.elr), (0x1e, 3, 1, LOWER + 4));
    let esr = m.cpu.sr(SysReg::ESR_EL3);
    assert_eq!(esr >> 26, 0x1e);
    assert_eq!(esr >> 14 & 0x3f, 0b00_1101, "GPCSC: GPF, level 1");
    assert_eq!(esr & 0x3f, 0x28);
    assert_eq!(esr >> 6 & 1, 0, "WnR");
    assert_eq!(esr >> 20 & 1, 0, "InD");
    assert_eq!(m.cpu.sr(SysReg::MFAR_EL3), REALM_PAGE | 1 << 63, "PA and NS (Non-secure PAS)");
    assert_eq!(m.cpu.sr(SysReg::FAR_EL3), REALM_PAGE + 0x18);
    assert_eq!(m.cpu.sr(SysReg::ESR_EL1), 0);

    // A store sets WnR; a fetch sets InD.
    let lower = |o: &mut Asm| dynasm!(o ; .arch aarch64 ; str x10, [x20]);
    let mut m = gpc_machine(&gpc_then_lower(lower), &img, SCR_NONSECURE | SCR_GPF, 1);
    m.set_x(&[(20, ROOT_PAGE + 8)]);
    m.run_to_exception(20);
    let esr = m.cpu.sr(SysReg::ESR_EL3);
    assert_eq!((esr >> 26, esr >> 6 & 1, esr & 0x3f), (0x1e, 1, 0x28));
    assert_eq!(m.cpu.sr(SysReg::MFAR_EL3), ROOT_PAGE | 1 << 63);
    let lower = |o: &mut Asm| dynasm!(o ; .arch aarch64 ; br x20);
    let mut m = gpc_machine(&gpc_then_lower(lower), &img, SCR_NONSECURE | SCR_GPF, 1);
    m.set_x(&[(20, REALM_PAGE)]);
    let r = m.run_to_exception(20);
    let esr = m.cpu.sr(SysReg::ESR_EL3);
    assert_eq!((r.ec, esr >> 20 & 1, esr & 0x3f, r.elr), (0x1e, 1, 0x28, REALM_PAGE));
}

#[test]
fn gpf_is_a_data_abort_with_fsc_0x28_when_scr_el3_gpf_is_clear() {
    // Without SCR_EL3.GPF the GPF is reported as a Data Abort to the EL the
    // access would fault to (EL1 here: EC 0x25, DFSC 0x28, FAR_EL1), or to
    // EL2 with HCR_EL2.GPF (EC 0x24 from EL1). At EL3 a GPF is always a
    // Data Abort at EL3.
    let img = test_gpt().build().unwrap();
    let lower = |o: &mut Asm| dynasm!(o ; .arch aarch64 ; ldr x10, [x20]);
    let mut m = gpc_machine(&gpc_then_lower(lower), &img, SCR_NONSECURE, 1);
    m.set_x(&[(20, REALM_PAGE + 0x40)]);
    let f = m.run_to_fault();
    assert_eq!(f, Fault { el: 1, ec: 0x25, fsc: 0x28, wnr: false, s1ptw: false, far: REALM_PAGE + 0x40 });
    assert_eq!(m.cpu.sr(SysReg::ESR_EL3), 0, "no GPC exception");

    let mut m = gpc_machine(&gpc_then_lower(lower), &img, SCR_NONSECURE, 1);
    m.cpu.set_sr(SysReg::HCR_EL2, HCR_GPF);
    m.set_x(&[(20, REALM_PAGE + 0x40)]);
    let f = m.run_to_fault();
    assert_eq!((f.el, f.ec, f.fsc), (2, 0x24, 0x28), "HCR_EL2.GPF routes to EL2");

    // Realm EL1 may access the Realm granule but not the Non-secure one.
    let lower = |o: &mut Asm| dynasm!(o ; .arch aarch64 ; ldr x10, [x20] ; ldr x11, [x21]);
    let mut m = gpc_machine(&gpc_then_lower(lower), &img, SCR_NONSECURE | SCR_NSE, 1);
    m.write64(REALM_PAGE, 0x7e);
    m.set_x(&[(20, REALM_PAGE), (21, NS_PAGE + 8)]);
    let f = m.run_to_fault();
    assert_eq!(m.x(10), 0x7e);
    assert_eq!((f.el, f.ec, f.fsc, f.far), (1, 0x25, 0x28, NS_PAGE + 8));

    // EL3 (Root PAS with the MMU off): the Root granule is fine, the Realm
    // one is a Data Abort at EL3 whatever SCR_EL3.GPF says.
    let code = asm(|o| {
        dynasm!(o ; .arch aarch64
            ; msr GPTBR_EL3, x15 ; msr GPCCR_EL3, x16 ; isb
            ; ldr x10, [x21] ; ldr x10, [x20])
    });
    let mut m = gpc_machine(&code, &img, 0, 0);
    m.cpu.set_sr(SysReg::SCR_EL3, SCR_RW | SCR_GPF);
    m.set_x(&[(20, REALM_PAGE), (21, ROOT_PAGE)]);
    let f = m.run_to_fault();
    assert_eq!(f, Fault { el: 3, ec: 0x25, fsc: 0x28, wnr: false, s1ptw: false, far: REALM_PAGE });
}

#[test]
fn gpc_off_lets_everything_through() {
    // GPCCR_EL3.GPC = 0: no check.
    let img = test_gpt().build().unwrap();
    let lower = |o: &mut Asm| dynasm!(o ; .arch aarch64 ; ldr x10, [x20] ; brk 1);
    let mut m = gpc_machine(&gpc_then_lower(lower), &img, SCR_NONSECURE | SCR_GPF, 1);
    let gpccr_off = m.x(16) & !(1 << 16);
    m.set_x(&[(16, gpccr_off), (20, REALM_PAGE)]);
    m.write64(REALM_PAGE, 3);
    m.run_to_brk(1);
    assert_eq!(m.x(10), 3);
}

#[test]
fn gpt_walk_faults_are_gpc_exceptions_even_without_scr_el3_gpf() {
    // GPTWalk: a reserved GPI in a Granules descriptor is a GPT walk fault
    // (GPCSC 0b00010L), always a GPC exception at EL3.
    let img = test_gpt().build().unwrap();
    let lower = |o: &mut Asm| dynasm!(o ; .arch aarch64 ; ldr x10, [x20]);
    let mut m = gpc_machine(&gpc_then_lower(lower), &img, SCR_NONSECURE, 1);
    m.write64(l1_word_addr(&img, NS_PAGE), 0x2222_2222_2222_2222);
    m.set_x(&[(20, NS_PAGE + 0x10)]);
    let r = m.run_to_exception(20);
    let esr = m.cpu.sr(SysReg::ESR_EL3);
    assert_eq!((r.ec, r.target_el), (0x1e, 3));
    assert_eq!(esr >> 14 & 0x3f, 0b00_0101, "GPCSC: GPT walk fault, level 1");
    assert_eq!(m.cpu.sr(SysReg::MFAR_EL3), NS_PAGE | 1 << 63);
}

#[test]
fn gpf_on_a_translation_table_walk() {
    // The GPC checks every descriptor read with the walk's PAS: a stage 1
    // table in a Realm granule walked by Non-secure EL1 gives a GPF on the
    // walk: DFSC 0b1001LL (LL = level of the descriptor read) as a Data
    // Abort, or xFSC 0b1001LL in a GPC exception with MFAR_EL3 = the table.
    for gpf in [false, true] {
        let img = test_gpt().build().unwrap();
        let lower = |o: &mut Asm| {
            mmu_on(o, 1);
            dynasm!(o ; .arch aarch64 ; ldr x10, [x20]);
        };
        let scr = SCR_NONSECURE | if gpf { SCR_GPF } else { 0 };
        let mut m = gpc_machine(&gpc_then_lower(lower), &img, scr, 1);
        let mut pt = Pt::s1(&m, G::K4, 25, TABLES);
        pt.map(&m, CODE, CODE, 2, NORMAL);
        let va = 0x40_0000_0000u64;
        pt.map(&m, va + (1 << 21), DATA, 3, NORMAL);
        pt.next = REALM_TABLE;
        pt.map(&m, va, DATA, 3, NORMAL); // level 3 table in the Realm granule
        mmu_regs(&mut m, tcr_el1(G::K4, 25, PS_48), &pt);
        m.set_x(&[(20, va + 8)]);
        let r = m.run_to_exception(40);
        if gpf {
            let esr = m.cpu.sr(SysReg::ESR_EL3);
            assert_eq!((r.ec, r.target_el), (0x1e, 3));
            assert_eq!(esr & 0x3f, 0b10_0111, "xFSC: GPF on walk, level 3");
            assert_eq!(esr >> 14 & 0x3f, 0b00_1101, "GPCSC");
            assert_eq!(m.cpu.sr(SysReg::MFAR_EL3), REALM_TABLE | 1 << 63);
            assert_eq!(m.cpu.sr(SysReg::FAR_EL3), va + 8);
        } else {
            let esr = m.cpu.sr(SysReg::ESR_EL1);
            assert_eq!((r.ec, r.target_el), (0x25, 1));
            assert_eq!(esr & 0x3f, 0b10_0111, "DFSC: GPF on walk, level 3");
            assert_eq!(m.cpu.sr(SysReg::FAR_EL1), va + 8);
        }
    }
}

#[test]
fn gpt_changes_need_tlbi_paall_for_cached_translations() {
    // The TLB caches the result of the GPC with the translation (an entry
    // is filled only once the GPC passed). After the GPT changes, the
    // architecture requires TLBI PAALL (or RPA*) before the change is
    // guaranteed to be seen; until then the cached translation is used.
    // EL3 maps VA -> NS_PAGE in the Non-secure PAS, loads (fills the TLB),
    // rewrites NS_PAGE's GPT entry to Realm through a Root mapping of the
    // GPT, loads again (stale: passes), TLBI PAALL, loads: GPF (at EL3 a
    // Data Abort to EL3 with DFSC 0x28, whatever SCR_EL3.GPF says).
    let realm = test_gpt().build().unwrap();
    let changed = GptBuilder::new(GptLayout::FVP)
        .map_granules(REALM_PAGE, 0x1000, Gpi::Realm)
        .map_granules(NS_PAGE, 0x1000, Gpi::Realm)
        .map_granules(ROOT_PAGE, 0x1000, Gpi::Root)
        .map_granules(REALM_TABLE, 0x1000, Gpi::Realm)
        .build()
        .unwrap();
    let word_at = l1_word_addr(&realm, NS_PAGE);
    let new_word = changed.l1_entry_for(NS_PAGE).unwrap();
    assert_ne!(realm.l1_entry_for(NS_PAGE), Some(new_word));

    let mut o = Asm::new(0);
    dynasm!(o ; .arch aarch64 ; msr GPTBR_EL3, x15 ; msr GPCCR_EL3, x16 ; isb);
    mmu_on(&mut o, 3);
    dynasm!(o ; .arch aarch64
        ; ldr x10, [x20]                // TLB filled, GPC passed
        ; str x5, [x6]                  // the GPT entry now says Realm
        ; dsb sy
        ; ldr x11, [x20]                // cached: no GPC
        ; sys 6, c8, c7, 4              // TLBI PAALL
        ; dsb sy ; isb);
    let last = CODE + o.offset().0 as u64;
    dynasm!(o ; .arch aarch64 ; ldr x12, [x20]); // GPF
    let code = o.finalize().unwrap();
    let mut m = gpc_machine(&code, &realm, 0, 0);
    m.cpu.set_sr(SysReg::SCR_EL3, SCR_RW | SCR_GPF);
    let mut pt = Pt::s1(&m, G::K4, 32, TABLES);
    pt.map(&m, CODE, CODE, 2, NORMAL_EL23 | NSE);
    let va = 0x1008_0000u64; // TLB set 0x80, the code is in set 0
    pt.map(&m, va, NS_PAGE, 3, NORMAL_EL23 | NS);
    pt.map(&m, word_at & !0xfff, word_at & !0xfff, 3, NORMAL_EL23 | NSE); // Root
    m.write64(NS_PAGE + 0x20, 0x55);
    mmu_regs(&mut m, tcr_el23(G::K4, 32, PS_48), &pt);
    m.set_x(&[(5, new_word), (6, word_at), (20, va + 0x20)]);
    let f = m.run_to_fault();
    assert_eq!((m.x(10), m.x(11)), (0x55, 0x55), "before TLBI PAALL the cached translation is used");
    assert_eq!(f, Fault { el: 3, ec: 0x25, fsc: 0x28, wnr: false, s1ptw: false, far: va + 0x20 });
    assert_eq!(m.cpu.sr(SysReg::ELR_EL3), last);
    assert_eq!(m.read64(word_at), new_word);
}

#[test]
fn gpf_on_a_stage2_walk_is_a_stage2_fault() {
    // A GPF on a stage 2 translation table walk belongs to the second stage
    // (the FaultRecord of AArch64.S2Walk has secondstage = TRUE): as a Data
    // Abort it is routed to EL2 by IsSecondStage() in AArch64.Abort (EC
    // 0x24, DFSC 0b1001LL with the stage 2 level, HPFAR_EL2 = the IPA);
    // as a GPC exception (SCR_EL3.GPF = 1) ESR_EL3.ISS.S2PTW (bit 21) is set.
    for gpf in [false, true] {
        let img = test_gpt().build().unwrap();
        let mut o = Asm::new(0);
        dynasm!(o ; .arch aarch64
            ; msr GPTBR_EL3, x15 ; msr GPCCR_EL3, x16 ; isb
            ; msr SCR_EL3, x17 ; msr SPSR_EL3, x18 ; msr ELR_EL3, x19 ; eret
            // EL2: stage 2 on, then EL1 (stage 1 off: VA = IPA).
            ; msr VTCR_EL2, x7 ; msr VTTBR_EL2, x8 ; msr HCR_EL2, x9 ; isb
            ; msr SPSR_EL2, x5 ; msr ELR_EL2, x6 ; eret);
        let el1 = CODE + o.offset().0 as u64;
        dynasm!(o ; .arch aarch64 ; ldr x10, [x20]);
        let code = o.finalize().unwrap();
        let scr = SCR_NONSECURE | if gpf { SCR_GPF } else { 0 };
        let mut m = gpc_machine(&code, &img, scr, 2);
        let mut s2 = Pt::with_start(&m, G::K4, 39, 1, S2_TABLES);
        s2.map(&m, CODE, CODE, 2, S2_NORMAL);
        let ipa = RAM + 0x120_0000;
        s2.next = REALM_TABLE; // the level 3 table for `ipa`
        s2.map(&m, ipa, DATA, 3, S2_NORMAL);
        m.set_x(&[(5, SPSR_EL1H), (6, el1), (7, vtcr_4k()), (8, s2.ttbr()), (9, HCR_VM), (20, ipa + 0x48)]);
        let r = m.run_to_exception(40);
        assert_eq!(r.from_el, 1);
        if gpf {
            let esr = m.cpu.sr(SysReg::ESR_EL3);
            assert_eq!((r.ec, r.target_el), (0x1e, 3));
            assert_eq!(esr >> 21 & 1, 1, "S2PTW");
            assert_eq!(esr >> 14 & 0x3f, 0b00_1101, "GPCSC: GPF level 1");
            assert_eq!(esr & 0x3f, 0b10_0111, "xFSC: GPF on walk, level 3");
            assert_eq!(m.cpu.sr(SysReg::MFAR_EL3), REALM_TABLE | 1 << 63);
            assert_eq!(m.cpu.sr(SysReg::FAR_EL3), ipa + 0x48);
        } else {
            let esr = m.cpu.sr(SysReg::ESR_EL2);
            assert_eq!((r.ec, r.target_el), (0x24, 2), "routed to EL2 as a stage 2 fault");
            assert_eq!(esr & 0x3f, 0b10_0111, "DFSC: GPF on walk, level 3");
            assert_eq!(esr >> 7 & 1, 0, "not on a stage 1 walk");
            assert_eq!(m.cpu.sr(SysReg::FAR_EL2), ipa + 0x48);
            assert_eq!(m.cpu.sr(SysReg::HPFAR_EL2), ipa >> 12 << 4);
            assert_eq!(m.cpu.sr(SysReg::ESR_EL1), 0);
        }
    }
}

#[test]
fn at_with_a_gpf_on_the_walk() {
    // AArch64.AT with a GPF on the translation table walk: when
    // ReportAsGPCException() holds (SCR_EL3.GPF = 1 below EL3) the GPC
    // exception is taken; otherwise the fault is reported in PAR_EL1
    // (F = 1, FST = 0b1001LL, GPF on walk at level LL).
    for gpf in [false, true] {
        let img = test_gpt().build().unwrap();
        let lower = |o: &mut Asm| {
            mmu_on(o, 1);
            dynasm!(o ; .arch aarch64 ; at s1e1r, x20 ; mrs x10, PAR_EL1 ; brk 8);
        };
        let scr = SCR_NONSECURE | if gpf { SCR_GPF } else { 0 };
        let mut m = gpc_machine(&gpc_then_lower(lower), &img, scr, 1);
        let mut pt = Pt::s1(&m, G::K4, 25, TABLES);
        pt.map(&m, CODE, CODE, 2, NORMAL);
        let va = 0x40_0000_0000u64;
        pt.map(&m, va + (1 << 21), DATA, 3, NORMAL);
        pt.next = REALM_TABLE;
        pt.map(&m, va, DATA, 3, NORMAL);
        mmu_regs(&mut m, tcr_el1(G::K4, 25, PS_48), &pt);
        m.set_x(&[(20, va)]);
        if gpf {
            let r = m.run_to_exception(40);
            assert_eq!((r.ec, r.target_el), (0x1e, 3));
            let esr = m.cpu.sr(SysReg::ESR_EL3);
            assert_eq!(esr & 0x3f, 0b10_0111);
            // ISS.CM: the fault comes from an address translation
            // instruction; WnR is 0 for a fault on a walk.
            assert_eq!((esr >> 8 & 1, esr >> 6 & 1), (1, 0), "ESR_EL3 {esr:#x}");
            assert_eq!(m.cpu.sr(SysReg::MFAR_EL3), REALM_TABLE | 1 << 63);
        } else {
            m.run_to_brk(8);
            assert_eq!(m.x(10), par_fault(0b10_0111, false, false));
        }
    }
}
