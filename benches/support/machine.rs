//! Shared by the `translation` and `gpc_guest_loop` benches: a Non-secure
//! EL1 machine on the FVP memory map with 4 KB-granule page tables written
//! by the host, and a GPT from `GptBuilder`.
#![allow(dead_code)]

use rme_cpu::{Cpu, CpuConfig, SysReg};
use rme_mmu::PhysBus;
use rme_mmu::gpc::{GpcFeatures, Gpi, GptBuilder, GptImage, GptLayout};

pub const SRAM: u64 = 0x0400_0000;
pub const RAM: u64 = 0x8000_0000;
/// 2 GiB (lazily allocated): the FVP GPT's level 1 tables are at its top.
pub const RAM_SIZE: u64 = 0x8000_0000;

// Descriptor bits: AF, Inner Shareable, AttrIndx 0 (MAIR Attr0 = Normal WB).
pub const NORMAL: u64 = 1 << 10 | 0b11 << 8;
/// Stage 2: AF, Inner Shareable, MemAttr Normal WB, S2AP read/write.
pub const S2_NORMAL: u64 = 1 << 10 | 0b11 << 8 | 0b1111 << 2 | 0b11 << 6;
pub const MAIR: u64 = 0xff | 0x04 << 8;
/// TCR_EL1: T0SZ 25 (39-bit VA, start level 1), 4 KB, walks WB Inner
/// Shareable, EPD1, TG1 4 KB, IPS 48 bits.
pub const TCR_EL1: u64 = 25 | 1 << 8 | 1 << 10 | 0b11 << 12 | 1 << 23 | 0b10 << 30 | 5 << 32;
/// VTCR_EL2: T0SZ 25 (39-bit IPA), SL0 = 1 (start level 1), 4 KB, PS 48 bits.
pub const VTCR_EL2: u64 = 25 | 1 << 6 | 1 << 8 | 1 << 10 | 0b11 << 12 | 5 << 16 | 1 << 31;
/// SCTLR_EL1.{M, C, I}.
pub const SCTLR_ON: u64 = 1 | 1 << 2 | 1 << 12;

pub fn bus() -> PhysBus {
    let mut bus = PhysBus::new();
    bus.add_ram("trusted-sram", SRAM, 0x4_0000).unwrap();
    bus.add_ram("dram", RAM, RAM_SIZE).unwrap();
    bus
}

/// A CPU at Non-secure EL1 (EL2 present: HCR_EL2 = `hcr`).
pub fn ns_el1_cpu(hcr: u64) -> Cpu {
    let mut cpu = Cpu::new(CpuConfig::fvp(0));
    cpu.set_sr(SysReg::SCR_EL3, 1 | 1 << 8 | 1 << 10);
    cpu.set_sr(SysReg::HCR_EL2, hcr);
    cpu.state.pstate.el = 1;
    cpu
}

/// A 4 KB-granule translation table tree in guest RAM with a bump
/// allocator for its tables.
pub struct Pt {
    pub root: u64,
    next: u64,
    start: i8,
    iasize: u32,
}

impl Pt {
    pub fn new(bus: &PhysBus, iasize: u32, start: i8, area: u64) -> Pt {
        let mut pt = Pt { root: 0, next: area, start, iasize };
        pt.root = pt.alloc(bus);
        pt
    }

    fn alloc(&mut self, bus: &PhysBus) -> u64 {
        let t = self.next;
        self.next += 0x1000;
        bus.load(t, &[0; 0x1000]).unwrap();
        t
    }

    fn index(&self, va: u64, level: i8) -> u64 {
        let lsb = 12 + 9 * (3 - level) as u32;
        let width = if level == self.start { self.iasize - lsb } else { 9 };
        (va >> lsb) & ((1 << width) - 1)
    }

    fn read(bus: &PhysBus, pa: u64) -> u64 {
        let mut b = [0; 8];
        bus.read_bytes(pa, &mut b).unwrap();
        u64::from_le_bytes(b)
    }

    /// Maps `va` -> `pa` with a block (level 1, 2) or page (level 3).
    pub fn map(&mut self, bus: &PhysBus, va: u64, pa: u64, level: i8, attrs: u64) {
        let mut table = self.root;
        for l in self.start..level {
            let da = table + self.index(va, l) * 8;
            let d = Self::read(bus, da);
            table = if d & 3 == 3 {
                d & 0x0000_ffff_ffff_f000
            } else {
                let t = self.alloc(bus);
                bus.load(da, &(t | 3).to_le_bytes()).unwrap();
                t
            };
        }
        let da = table + self.index(va, level) * 8;
        let desc = pa | attrs | if level == 3 { 0b11 } else { 0b01 };
        bus.load(da, &desc.to_le_bytes()).unwrap();
    }
}

/// TF-A's FVP GPT layout with all of DRAM (2 GiB) given the GPI `gpi`.
pub fn gpt(gpi: Gpi) -> GptImage {
    GptBuilder::new(GptLayout::FVP).map_granules(RAM, RAM_SIZE, gpi).build().expect("GPT")
}

/// Loads `img` and turns the GPC on (GPCCR_EL3.GPC = 1, GPTBR_EL3), or off.
pub fn set_gpc(cpu: &mut Cpu, bus: &PhysBus, img: &GptImage, on: bool) {
    img.load(bus).unwrap();
    let mut gpccr = img.gpccr(GpcFeatures::FVP);
    gpccr.gpc = on;
    cpu.set_sr(SysReg::GPTBR_EL3, img.gptbr().encode());
    cpu.set_sr(SysReg::GPCCR_EL3, gpccr.encode());
    // What a GPCCR_EL3 write (and TLBI PAALL) does.
    cpu.tlb.flush();
}
