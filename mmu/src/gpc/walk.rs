//! The Granule Protection Table walk.
//!
//! Arm ARM (DDI0487) chapter D9 (GPT formats and lookup). Pseudocode
//! `GPTWalk`, `GPTLevel0Index`, `GPTLevel1Index`, `GPIIndex`,
//! `DecodeGPTBlock`, `DecodeGPTTable`, `DecodeGPTContiguous`,
//! `DecodeGPTGranules`.
//!
//! ```text
//! level 0 (indexed by PA[PPS-1:L0GPTSZ], 8-byte entries, table aligned to
//!          Max(PPS - L0GPTSZ + 3, 12) bits)
//!   block:  \[63:8\] RES0 | \[7:4\] GPI | \[3:0\] 0b0001    whole L0 region has one GPI
//!   table:  \[63:52\] RES0 | \[51:12\] L1 address | \[11:4\] RES0 | \[3:0\] 0b0011
//!           (L1 address aligned to the L1 table size, 2^(L0GPTSZ-PGS-1) bytes)
//!   other:  GPT walk fault at level 0
//! level 1 (indexed by PA[L0GPTSZ-1:PGS+4])
//!   contiguous: \[63:10\] RES0 | \[9:8\] Contig (01 2MB, 10 32MB, 11 512MB, 00 reserved)
//!               | \[7:4\] GPI | \[3:0\] 0b0001
//!   granules:   16 GPIs, GPI[i] in bits [4i+3:4i] for PA[PGS+3:PGS] == i;
//!               every one of the 16 must be valid
//! ```
//!
//! GPT fetches are Root PAS reads ([`GptMemory`]); a failed read is a
//! Synchronous External abort on the GPT fetch at that level.

use super::fault::{GpcFault, GpcFaultKind};
use super::gpi::Gpi;
use super::regs::{Gpccr, Gptbr, Pgs};
use crate::bus::PhysBus;
use crate::mmio::AccessAttrs;
use crate::pas::Pas;

/// Memory a GPT walk reads: 64-bit little-endian words in the Root PAS.
/// `None` means the read failed (an External abort on the GPT fetch).
pub trait GptMemory {
    /// Reads the 8-byte-aligned GPT entry at physical address `pa`.
    fn read_gpt_entry(&self, pa: u64) -> Option<u64>;
}

impl<T: GptMemory + ?Sized> GptMemory for &T {
    #[inline]
    fn read_gpt_entry(&self, pa: u64) -> Option<u64> {
        (**self).read_gpt_entry(pa)
    }
}

/// GPT fetches on the machine's bus: Root PAS reads, no requesting CPU.
impl GptMemory for PhysBus {
    #[inline]
    fn read_gpt_entry(&self, pa: u64) -> Option<u64> {
        const GPT_FETCH: AccessAttrs = AccessAttrs { pas: Pas::Root, requester: None, privileged: true };
        self.read(pa, 8, GPT_FETCH).ok()
    }
}

/// A sparse memory of GPT words keyed by PA (tests); absent words abort.
impl GptMemory for std::collections::BTreeMap<u64, u64> {
    fn read_gpt_entry(&self, pa: u64) -> Option<u64> {
        self.get(&pa).copied()
    }
}

/// A sparse memory of GPT words keyed by PA (tests); absent words abort.
impl GptMemory for std::collections::HashMap<u64, u64> {
    fn read_gpt_entry(&self, pa: u64) -> Option<u64> {
        self.get(&pa).copied()
    }
}

/// Descriptor type in bits \[3:0\] of a level 0 block descriptor
/// (pseudocode `GPT_Block`).
pub const GPT_BLOCK: u64 = 0b0001;
/// Descriptor type in bits \[3:0\] of a level 0 table descriptor
/// (pseudocode `GPT_Table`).
pub const GPT_TABLE: u64 = 0b0011;
/// Descriptor type in bits \[3:0\] of a level 1 contiguous descriptor
/// (pseudocode `GPT_Contig`).
pub const GPT_CONTIG: u64 = 0b0001;

/// The size of the region a level 1 contiguous descriptor covers
/// (`Contig`, bits \[9:8\]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContigSize {
    /// 0b01: 2 MB.
    M2,
    /// 0b10: 32 MB.
    M32,
    /// 0b11: 512 MB.
    M512,
}

impl ContigSize {
    /// The `Contig` field value.
    pub const fn field(self) -> u64 {
        match self {
            ContigSize::M2 => 0b01,
            ContigSize::M32 => 0b10,
            ContigSize::M512 => 0b11,
        }
    }

    /// log2 of the covered size (`GPTRange_2MB`, `GPTRange_32MB`,
    /// `GPTRange_512MB`).
    pub const fn bits(self) -> u32 {
        match self {
            ContigSize::M2 => 21,
            ContigSize::M32 => 25,
            ContigSize::M512 => 29,
        }
    }

    /// Covered size in bytes.
    pub const fn bytes(self) -> u64 {
        1 << self.bits()
    }

    /// Decodes the `Contig` field; 0b00 is reserved.
    pub const fn from_field(field: u64) -> Option<ContigSize> {
        match field {
            0b01 => Some(ContigSize::M2),
            0b10 => Some(ContigSize::M32),
            0b11 => Some(ContigSize::M512),
            _ => None,
        }
    }
}

/// A level 0 block descriptor giving the whole L0 region `gpi`.
pub const fn gpt_block_desc(gpi: Gpi) -> u64 {
    GPT_BLOCK | ((gpi.encoding() as u64) << 4)
}

/// A level 0 table descriptor pointing to the level 1 table at `l1_pa`.
pub const fn gpt_table_desc(l1_pa: u64) -> u64 {
    GPT_TABLE | (l1_pa & 0x000f_ffff_ffff_f000)
}

/// A level 1 contiguous descriptor.
pub const fn gpt_contig_desc(gpi: Gpi, size: ContigSize) -> u64 {
    GPT_CONTIG | ((gpi.encoding() as u64) << 4) | (size.field() << 8)
}

/// A level 1 granules descriptor with the same GPI for all 16 granules.
pub const fn gpt_granules_desc(gpi: Gpi) -> u64 {
    (gpi.encoding() as u64) * 0x1111_1111_1111_1111
}

/// The result of a successful walk (pseudocode `GPTEntry`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GptEntry {
    pub gpi: Gpi,
    /// The level of the descriptor that gave the GPI (0 or 1).
    pub level: u8,
    /// log2 of the naturally aligned PA region that shares this GPI by
    /// construction (`GPTEntry.contig_size`): L0GPTSZ for a block, 21/25/29
    /// for a contiguous descriptor, PGS for a granules descriptor. A cache
    /// of GPC results may cover that much.
    pub contig_bits: u8,
    /// The 16 GPI encodings of the naturally aligned region of 16 granules
    /// around the PA (granule i in bits \[4i+3:4i\]): the level 1 granules
    /// descriptor itself, or a block/contiguous GPI repeated (what a
    /// [`super::GpiCache`] slot holds).
    pub gpis: u64,
}

/// Pseudocode `DecodeGPTBlock`: a level 0 block descriptor
/// (bits \[3:0\] == 0b0001).
#[inline(always)]
pub fn decode_gpt_block(gpccr: &Gpccr, entry: u64) -> Result<GptEntry, GpcFaultKind> {
    debug_assert_eq!(entry & 0xf, GPT_BLOCK);
    if entry >> 8 != 0 {
        return Err(GpcFaultKind::Walk);
    }
    let gpi = gpccr.decode_gpi((entry >> 4) as u8).map_err(|_| GpcFaultKind::Walk)?;
    Ok(GptEntry { gpi, level: 0, contig_bits: gpccr.l0gptsz_bits() as u8, gpis: gpt_granules_desc(gpi) })
}

/// Pseudocode `DecodeGPTTable`: a level 0 table descriptor
/// (bits \[3:0\] == 0b0011). Returns the level 1 table address.
///
/// RES0 bits (\[63:52\], \[11:4\]) or an address not aligned to the size of a
/// level 1 table are a walk fault; an address above the protected physical
/// address size (`pps_bits`) is a GPT address size fault.
#[inline(always)]
pub fn decode_gpt_table(gpccr: &Gpccr, pgs: Pgs, pps_bits: u32, entry: u64) -> Result<u64, GpcFaultKind> {
    debug_assert_eq!(entry & 0xf, GPT_TABLE);
    const RES0: u64 = (0xfff << 52) | 0xff0;
    if entry & RES0 != 0 {
        return Err(GpcFaultKind::Walk);
    }
    // A level 1 table holds 2^(L0GPTSZ - PGS - 4) entries of 8 bytes.
    let table_bits = gpccr.l0gptsz_bits() - pgs.bits() - 1;
    let address = entry & 0x000f_ffff_ffff_f000;
    if address & ((1u64 << table_bits) - 1) != 0 {
        return Err(GpcFaultKind::Walk);
    }
    if address >> pps_bits != 0 {
        return Err(GpcFaultKind::AddressSize);
    }
    Ok(address)
}

/// Pseudocode `DecodeGPTContiguous`: a level 1 contiguous descriptor
/// (bits \[3:0\] == 0b0001).
#[inline(always)]
pub fn decode_gpt_contiguous(gpccr: &Gpccr, entry: u64) -> Result<GptEntry, GpcFaultKind> {
    debug_assert_eq!(entry & 0xf, GPT_CONTIG);
    if entry >> 10 != 0 {
        return Err(GpcFaultKind::Walk);
    }
    let gpi = gpccr.decode_gpi((entry >> 4) as u8).map_err(|_| GpcFaultKind::Walk)?;
    let size = ContigSize::from_field((entry >> 8) & 3).ok_or(GpcFaultKind::Walk)?;
    Ok(GptEntry { gpi, level: 1, contig_bits: size.bits() as u8, gpis: gpt_granules_desc(gpi) })
}

/// Pseudocode `DecodeGPTGranules`: a level 1 granules descriptor. All 16
/// GPIs must be valid (`GPIValid`), not only the one selected by `index`
/// (PA\[PGS+3:PGS\]).
#[inline(always)]
pub fn decode_gpt_granules(gpccr: &Gpccr, pgs: Pgs, index: u32, entry: u64) -> Result<GptEntry, GpcFaultKind> {
    let valid = gpccr.valid_gpi_set();
    let mut e = entry;
    for _ in 0..16 {
        if valid & (1 << (e & 0xf)) == 0 {
            return Err(GpcFaultKind::Walk);
        }
        e >>= 4;
    }
    let gpi = Gpi::from_encoding((entry >> (4 * (index & 0xf))) as u8).map_err(|_| GpcFaultKind::Walk)?;
    Ok(GptEntry { gpi, level: 1, contig_bits: pgs.bits() as u8, gpis: entry })
}

/// Pseudocode `GPTWalk`: looks up the GPI of physical address `pa`.
///
/// Expects a configuration that passed `GPCRegistersConsistent` and a PA
/// and GPTBR_EL3 within the PPS (as \[`super::gpc_check`\] ensures); on
/// anything else it still returns a fault, never panics. Level 0 is read
/// at `(GPTBR_EL3.BADDR:Zeros(12))` with the bits below the table alignment
/// ignored, index PA\[PPS-1:L0GPTSZ\] (0 when PPS <= L0GPTSZ).
pub fn gpt_walk<M: GptMemory + ?Sized>(mem: &M, gpccr: &Gpccr, gptbr: Gptbr, pa: u64) -> Result<GptEntry, GpcFault> {
    let fault0 = |kind| GpcFault::new(kind, 0);
    let fault1 = |kind| GpcFault::new(kind, 1);
    let (Some(pps), Some(pgs)) = (gpccr.pps_bits(), gpccr.pgs()) else {
        return Err(fault0(GpcFaultKind::Walk));
    };
    let l0sz = gpccr.l0gptsz_bits();
    let p = pgs.bits();

    // Level 0.
    let align = if pps + 3 > l0sz + 12 { pps + 3 - l0sz } else { 12 };
    let base = gptbr.base() & !((1u64 << align) - 1);
    let l0_index = if pps <= l0sz { 0 } else { (pa >> l0sz) & ((1u64 << (pps - l0sz)) - 1) };
    let l0_desc = mem.read_gpt_entry(base + l0_index * 8).ok_or(fault0(GpcFaultKind::ExternalAbort))?;
    let l1_table = match l0_desc & 0xf {
        GPT_BLOCK => return decode_gpt_block(gpccr, l0_desc).map_err(fault0),
        GPT_TABLE => decode_gpt_table(gpccr, pgs, pps, l0_desc).map_err(fault0)?,
        _ => return Err(fault0(GpcFaultKind::Walk)),
    };

    // Level 1.
    let l1_index = (pa >> (p + 4)) & ((1u64 << (l0sz - p - 4)) - 1);
    let l1_desc = mem.read_gpt_entry(l1_table + l1_index * 8).ok_or(fault1(GpcFaultKind::ExternalAbort))?;
    if l1_desc & 0xf == GPT_CONTIG {
        decode_gpt_contiguous(gpccr, l1_desc).map_err(fault1)
    } else {
        let gpi_index = ((pa >> p) & 0xf) as u32;
        decode_gpt_granules(gpccr, pgs, gpi_index, l1_desc).map_err(fault1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpc::GpcFeatures;
    use std::collections::BTreeMap;

    fn cfg() -> Gpccr {
        Gpccr::enabled(GpcFeatures::FVP, 36, Pgs::K4)
    }

    #[test]
    fn descriptor_constructors() {
        assert_eq!(gpt_block_desc(Gpi::Any), 0xf1);
        assert_eq!(gpt_table_desc(0xfff0_0000), 0xfff0_0003);
        assert_eq!(gpt_contig_desc(Gpi::NonSecure, ContigSize::M512), 0x391);
        assert_eq!(gpt_contig_desc(Gpi::Realm, ContigSize::M2), 0x1b1);
        assert_eq!(gpt_granules_desc(Gpi::Root), 0xaaaa_aaaa_aaaa_aaaa);
    }

    #[test]
    fn block_and_granules_walk() {
        let g = cfg();
        let mut m = BTreeMap::new();
        // L0 table at 0x1000 (64 entries for PPS 36 / L0GPTSZ 30).
        m.insert(0x1000, gpt_block_desc(Gpi::Any));
        m.insert(0x1008, gpt_table_desc(0x40_0000));
        // L1 entry for PA 0x4001_0000: index 1; granule 3 Realm, rest NS.
        let mut d = gpt_granules_desc(Gpi::NonSecure);
        d = (d & !(0xf << 12)) | (0xb << 12);
        m.insert(0x40_0008, d);
        let br = Gptbr::from_base(0x1000);
        assert_eq!(gpt_walk(&m, &g, br, 0x1234).unwrap(), GptEntry { gpi: Gpi::Any, level: 0, contig_bits: 30, gpis: gpt_granules_desc(Gpi::Any) });
        assert_eq!(gpt_walk(&m, &g, br, 0x4001_3fff).unwrap().gpi, Gpi::Realm);
        assert_eq!(gpt_walk(&m, &g, br, 0x4001_4000).unwrap().gpi, Gpi::NonSecure);
        assert_eq!(
            gpt_walk(&m, &g, br, 0x4001_2fff).unwrap(),
            GptEntry { gpi: Gpi::NonSecure, level: 1, contig_bits: 12, gpis: d }
        );
        // No L1 entry stored for index 0: external abort at level 1.
        assert_eq!(gpt_walk(&m, &g, br, 0x4000_0000), Err(GpcFault::new(GpcFaultKind::ExternalAbort, 1)));
        // No L0 entry stored for index 2: external abort at level 0.
        assert_eq!(gpt_walk(&m, &g, br, 0x8000_0000), Err(GpcFault::new(GpcFaultKind::ExternalAbort, 0)));
    }

    #[test]
    fn gptbr_low_bits_ignored() {
        // PPS 36, L0GPTSZ 30: table alignment Max(36 - 30 + 3, 12) = 12, so
        // only BADDR is used; with PPS 52 it is 25 bits.
        let mut m = BTreeMap::new();
        m.insert(0x0200_0000, gpt_block_desc(Gpi::Root));
        let g = Gpccr::enabled(GpcFeatures::FVP, 52, Pgs::K4);
        let e = gpt_walk(&m, &g, Gptbr::from_base(0x0200_0000 | 0x1ff_f000), 0).unwrap();
        assert_eq!(e.gpi, Gpi::Root);
    }

    #[test]
    fn table_address_checks() {
        let g = cfg();
        // 4K granules, L0GPTSZ 30: L1 tables are 128 KB, 128 KB aligned.
        assert_eq!(decode_gpt_table(&g, Pgs::K4, 36, gpt_table_desc(0x2_0000)), Ok(0x2_0000));
        assert_eq!(decode_gpt_table(&g, Pgs::K4, 36, gpt_table_desc(0x1_0000)), Err(GpcFaultKind::Walk));
        // 64K granules: 8 KB tables.
        assert_eq!(decode_gpt_table(&g, Pgs::K64, 36, gpt_table_desc(0x2000)), Ok(0x2000));
        assert_eq!(decode_gpt_table(&g, Pgs::K64, 36, gpt_table_desc(0x1000)), Err(GpcFaultKind::Walk));
        // RES0 bits.
        assert_eq!(decode_gpt_table(&g, Pgs::K4, 36, gpt_table_desc(0x2_0000) | 0x10), Err(GpcFaultKind::Walk));
        assert_eq!(decode_gpt_table(&g, Pgs::K4, 36, gpt_table_desc(0x2_0000) | 1 << 52), Err(GpcFaultKind::Walk));
        // Above PPS.
        assert_eq!(decode_gpt_table(&g, Pgs::K4, 36, gpt_table_desc(1 << 36)), Err(GpcFaultKind::AddressSize));
        assert_eq!(decode_gpt_table(&g, Pgs::K4, 40, gpt_table_desc(1 << 36)), Ok(1 << 36));
    }

    #[test]
    fn granules_need_all_sixteen_valid() {
        let g = cfg();
        let good = gpt_granules_desc(Gpi::NonSecure);
        assert!(decode_gpt_granules(&g, Pgs::K4, 0, good).is_ok());
        for slot in 0..16 {
            let bad = (good & !(0xf << (4 * slot))) | (0b0110 << (4 * slot));
            for index in 0..16 {
                assert_eq!(decode_gpt_granules(&g, Pgs::K4, index, bad), Err(GpcFaultKind::Walk));
            }
        }
    }
}
