//! Shared helpers for the translation tests: a fake physical memory with
//! one address space per PAS, a page-table builder, and register builders.
#![allow(dead_code)]

use rme_mmu::translation::*;
use rme_mmu::{Pas, SecurityState};
use std::cell::RefCell;
use std::collections::HashMap;

/// Descriptor bits.
pub const VALID: u64 = 1;
pub const TABLE: u64 = 0b11;
pub const BLOCK: u64 = 0b01;
pub const PAGE: u64 = 0b11;
pub const NS: u64 = 1 << 5;
pub const AP_EL0: u64 = 1 << 6; // AP[1]
pub const AP_RO: u64 = 1 << 7; // AP[2]
pub const SH_INNER: u64 = 0b11 << 8;
pub const SH_OUTER: u64 = 0b10 << 8;
pub const AF: u64 = 1 << 10;
pub const NG: u64 = 1 << 11;
pub const NSE: u64 = 1 << 11;
pub const GP: u64 = 1 << 50;
pub const PXN: u64 = 1 << 53;
pub const UXN: u64 = 1 << 54;
pub const XN: u64 = 1 << 54;
pub const PXN_TABLE: u64 = 1 << 59;
pub const UXN_TABLE: u64 = 1 << 60;
pub const AP_TABLE_NO_EL0: u64 = 1 << 61;
pub const AP_TABLE_RO: u64 = 1 << 62;
pub const NS_TABLE: u64 = 1 << 63;
/// Stage 2: S2AP read / write, MemAttr Normal WB (1111) and Device-nGnRE
/// (0001), XN[1], XN[0] (FEAT_XNX), Realm NS (bit 55).
pub const S2_R: u64 = 1 << 6;
pub const S2_W: u64 = 1 << 7;
pub const S2_WB: u64 = 0b1111 << 2;
pub const S2_DEVICE: u64 = 0b0001 << 2;
pub const S2_XN: u64 = 1 << 54;
pub const S2_XNX: u64 = 1 << 53;
pub const S2_NS: u64 = 1 << 55;

/// AttrIndx values for [`MAIR`].
pub const ATTR_WB: u64 = 0 << 2;
pub const ATTR_DEVICE_NGNRE: u64 = 1 << 2;
pub const ATTR_NC: u64 = 2 << 2;
pub const ATTR_DEVICE_NGNRNE: u64 = 3 << 2;
/// MAIR: 0 = Normal WB RWA, 1 = Device-nGnRE, 2 = Normal NC,
/// 3 = Device-nGnRnE.
pub const MAIR: u64 = 0xff | (0x04 << 8) | (0x44 << 16);

/// A normal read/write page for privileged code only.
pub const KERNEL_RW: u64 = AF | SH_INNER | ATTR_WB;

/// Fake physical memory: 8-byte words per (PAS, address), plus addresses
/// that abort or fail the GPC.
#[derive(Default)]
pub struct FakeMem {
    pub words: HashMap<(Pas, u64), u64>,
    pub aborts: Vec<(Pas, u64)>,
    pub gpf: HashMap<(Pas, u64), u32>,
    pub reads: RefCell<Vec<(u64, Pas)>>,
}

impl FakeMem {
    pub fn write(&mut self, pas: Pas, pa: u64, v: u64) {
        assert_eq!(pa & 7, 0);
        self.words.insert((pas, pa), v);
    }

    pub fn read(&self, pas: Pas, pa: u64) -> u64 {
        self.words.get(&(pas, pa)).copied().unwrap_or(0)
    }

    pub fn take_reads(&self) -> Vec<(u64, Pas)> {
        std::mem::take(&mut self.reads.borrow_mut())
    }
}

impl WalkMemory for FakeMem {
    fn read_descriptor(&self, pa: u64, pas: Pas) -> Result<u64, WalkError> {
        self.reads.borrow_mut().push((pa, pas));
        if self.aborts.contains(&(pas, pa)) {
            return Err(WalkError::ExternalAbort);
        }
        if let Some(&code) = self.gpf.get(&(pas, pa)) {
            return Err(WalkError::GranuleProtection { code });
        }
        Ok(self.read(pas, pa))
    }
}

/// Builds translation tables in one address space of a [`FakeMem`].
pub struct Tables {
    pub granule: Granule,
    pub pas: Pas,
    /// Input address size in bits.
    pub iasize: u32,
    pub start_level: i8,
    pub root: u64,
    /// Added to every table address when writing the tables (for stage 1
    /// tables at IPAs that stage 2 maps elsewhere).
    pub phys_offset: u64,
    next: u64,
}

impl Tables {
    /// Stage 1 tables (start level from the input size). Tables are
    /// allocated from `arena` upwards; the root table is at `arena`.
    pub fn stage1(granule: Granule, pas: Pas, iasize: u32, arena: u64) -> Tables {
        let start_level = 3 - ((iasize - 1 - granule.bits()) / granule.stride()) as i8;
        Tables { granule, pas, iasize, start_level, root: arena, phys_offset: 0, next: arena + granule.size() * 16 }
    }

    /// Stage 2 tables with an explicit start level (which may need
    /// concatenated tables: room for 16 is left at the root).
    pub fn stage2(granule: Granule, pas: Pas, iasize: u32, start_level: i8, arena: u64) -> Tables {
        Tables { granule, pas, iasize, start_level, root: arena, phys_offset: 0, next: arena + granule.size() * 16 }
    }

    /// The same tables, written `offset` bytes above their addresses.
    pub fn at_offset(mut self, offset: u64) -> Tables {
        self.phys_offset = offset;
        self
    }

    fn rd(&self, mem: &FakeMem, addr: u64) -> u64 {
        mem.read(self.pas, addr + self.phys_offset)
    }

    fn wr(&self, mem: &mut FakeMem, addr: u64, v: u64) {
        mem.write(self.pas, addr + self.phys_offset, v)
    }

    fn shift(&self, level: i8) -> u32 {
        self.granule.bits() + self.granule.stride() * (3 - level) as u32
    }

    fn index_addr(&self, table: u64, ia: u64, level: i8) -> u64 {
        let lsb = self.shift(level);
        let width = if level == self.start_level { self.iasize - lsb } else { self.granule.stride() };
        table + (((ia >> lsb) & ((1u64 << width) - 1)) << 3)
    }

    /// The address (before `phys_offset`) of the descriptor for `ia` at
    /// `level`, creating
    /// next-level tables on the way (with no table attributes).
    pub fn entry(&mut self, mem: &mut FakeMem, ia: u64, level: i8) -> u64 {
        let mut table = self.root;
        let mut l = self.start_level;
        loop {
            let addr = self.index_addr(table, ia, l);
            if l == level {
                return addr;
            }
            let desc = self.rd(mem, addr);
            table = if desc & 3 == 3 {
                desc & 0x0000_ffff_ffff_f000 & !(self.granule.size() - 1)
            } else {
                let t = self.next;
                self.next += self.granule.size();
                self.wr(mem, addr, t | TABLE);
                t
            };
            l += 1;
        }
    }

    /// Map `ia` with a leaf at `level` to `oa` with `attrs` (AF etc. are up
    /// to the caller). Returns the leaf descriptor address.
    pub fn map(&mut self, mem: &mut FakeMem, ia: u64, level: i8, oa: u64, attrs: u64) -> u64 {
        let addr = self.entry(mem, ia, level);
        let kind = if level == 3 { PAGE } else { BLOCK };
        let oa = oa & !((1u64 << self.shift(level)) - 1);
        self.wr(mem, addr, oa | attrs | kind);
        addr
    }

    /// Set `bits` in the table descriptor at `level` on the path to `ia`.
    pub fn set_table_bits(&mut self, mem: &mut FakeMem, ia: u64, level: i8, bits: u64) {
        let addr = self.entry(mem, ia, level);
        let d = self.rd(mem, addr);
        assert_eq!(d & 3, 3, "no table descriptor at level {level}");
        self.wr(mem, addr, d | bits);
    }

    /// Overwrite the descriptor at `level` on the path to `ia`.
    pub fn set_raw(&mut self, mem: &mut FakeMem, ia: u64, level: i8, desc: u64) {
        let addr = self.entry(mem, ia, level);
        self.wr(mem, addr, desc);
    }
}

/// TCR_EL1 / TCR_EL2 (E2H) value.
pub fn tcr_two_ranges(t0sz: u64, tg0: Granule, t1sz: u64, tg1: Granule, ips: u64) -> u64 {
    let tg0 = match tg0 {
        Granule::K4 => 0b00,
        Granule::K64 => 0b01,
        Granule::K16 => 0b10,
    };
    let tg1 = match tg1 {
        Granule::K16 => 0b01,
        Granule::K4 => 0b10,
        Granule::K64 => 0b11,
    };
    t0sz | (tg0 << 14) | (t1sz << 16) | (tg1 << 30) | (ips << 32)
}

/// TCR_EL2 (E2H = 0) / TCR_EL3 value.
pub fn tcr_one_range(t0sz: u64, tg0: Granule, ps: u64) -> u64 {
    let tg0 = match tg0 {
        Granule::K4 => 0b00,
        Granule::K64 => 0b01,
        Granule::K16 => 0b10,
    };
    t0sz | (tg0 << 14) | (ps << 16)
}

/// VTCR_EL2 value.
pub fn vtcr(t0sz: u64, sl0: u64, tg0: Granule, ps: u64) -> u64 {
    let tg0 = match tg0 {
        Granule::K4 => 0b00,
        Granule::K64 => 0b01,
        Granule::K16 => 0b10,
    };
    t0sz | (sl0 << 6) | (tg0 << 14) | (ps << 16)
}

/// SCTLR_ELx with M, C, I set.
pub const SCTLR_ON: u64 = 1 | (1 << 2) | (1 << 12);

pub fn stage1(regime: Regime, security: SecurityState, tcr: u64, ttbr0: u64, ttbr1: u64) -> Stage1Regime {
    Stage1Regime {
        regime,
        security,
        tcr,
        ttbr0,
        ttbr1,
        mair: MAIR,
        sctlr: SCTLR_ON,
        hcr: 0,
        sif: false,
        features: MmuFeatures::default(),
    }
}

pub fn stage2(security: SecurityState, vtcr: u64, vttbr: u64) -> Stage2Regime {
    Stage2Regime {
        security,
        hcr: 1, // VM
        vtcr,
        vttbr,
        vstcr: 0,
        vsttbr: 0,
        ee: false,
        features: MmuFeatures::default(),
    }
}
