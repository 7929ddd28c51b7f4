//! Building Granule Protection Tables in memory, the way firmware does.
//!
//! For tests, benchmarks and machines started without firmware: given a
//! [`GptLayout`] (PPS, PGS, L0GPTSZ, where the level 0 and level 1 tables
//! live) and a list of PAS regions, \[`GptBuilder::build`\] produces the
//! table words ([`GptImage`]) that TF-A 2.12's `gpt_rme` library would
//! write for the same `pas_region_t` list:
//!
//! * every level 0 entry starts as a block descriptor with GPI Any;
//! * an L0-block region (\[`GptBuilder::map_l0`\], TF-A `GPT_MAP_REGION_BLOCK`)
//!   rewrites whole level 0 entries;
//! * a granule region (\[`GptBuilder::map_granules`\], TF-A
//!   `GPT_MAP_REGION_GRANULE`) turns each level 0 entry it touches into a
//!   table descriptor; level 1 tables are handed out in order from the L1
//!   area, start as "all granules Any", and are filled with contiguous
//!   descriptors where the range allows (build option `RME_GPT_MAX_BLOCK`,
//!   512 MB by default in 2.12) and granules descriptors elsewhere.
//!
//! The contiguous fill follows TF-A's observable output: a range shorter
//! than 2 MB gets granules; a range that is not 2 MB aligned gets granules
//! up to the next 2 MB boundary; from a 2 MB aligned address, one pass
//! tries 512 MB, then 32 MB, then 2 MB blocks (each at most once, each only
//! when aligned and fitting), and the pass repeats. So a 1 GB region gives
//! 512 MB + 32 MB + 2 MB + 2 MB ... rather than two 512 MB blocks, as on
//! the real FVP.

use super::gpi::Gpi;
use super::regs::{GpcFeatures, Gpccr, Gptbr, L0GptSz, Pgs};
use super::walk::{ContigSize, GptMemory, gpt_block_desc, gpt_contig_desc, gpt_granules_desc, gpt_table_desc};
use crate::bus::{BusError, PhysBus};

/// Where the GPT lives and how it is shaped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GptLayout {
    /// Protected physical address size in bits (32, 36, 40, 42, 44, 48, 52).
    pub pps_bits: u32,
    pub pgs: Pgs,
    pub l0gptsz: L0GptSz,
    /// Physical address of the level 0 table.
    pub l0_base: u64,
    /// Start and size of the area level 1 tables are allocated from.
    pub l1_base: u64,
    pub l1_size: u64,
}

impl GptLayout {
    /// TF-A 2.12 `PLAT=fvp ENABLE_RME=1`: PPS 64 GB, 4 KB granules,
    /// L0GPTSZ 1 GB, level 0 table in Trusted SRAM at 0x0400_3000, 1 MB of
    /// level 1 tables at 0xfff0_0000 (FVP-MAP.md section B).
    pub const FVP: GptLayout = GptLayout {
        pps_bits: 36,
        pgs: Pgs::K4,
        l0gptsz: L0GptSz::Gb1,
        l0_base: 0x0400_3000,
        l1_base: 0xfff0_0000,
        l1_size: 0x10_0000,
    };

    /// Number of level 0 entries.
    pub const fn l0_entries(&self) -> u64 {
        let l0 = self.l0gptsz.bits();
        if self.pps_bits > l0 { 1 << (self.pps_bits - l0) } else { 1 }
    }

    /// Number of entries of one level 1 table.
    pub const fn l1_entries(&self) -> u64 {
        1 << (self.l0gptsz.bits() - self.pgs.bits() - 4)
    }

    /// Size in bytes of one level 1 table (also its alignment).
    pub const fn l1_table_bytes(&self) -> u64 {
        self.l1_entries() * 8
    }

    /// GPCCR_EL3 enabling the check with this layout (write-back,
    /// inner shareable GPT fetches, as TF-A programs it).
    pub fn gpccr(&self, features: GpcFeatures) -> Gpccr {
        Gpccr::enabled(GpcFeatures { l0gptsz: self.l0gptsz, ..features }, self.pps_bits, self.pgs)
    }

    /// GPTBR_EL3 for this layout.
    pub const fn gptbr(&self) -> Gptbr {
        Gptbr::from_base(self.l0_base)
    }
}

/// How a PAS region is described in the GPT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegionKind {
    /// Whole level 0 entries (block descriptors).
    L0Block,
    /// Level 1 tables (contiguous and granules descriptors).
    Granules,
}

/// One PAS region (TF-A `pas_region_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PasRegion {
    pub base: u64,
    pub size: u64,
    pub gpi: Gpi,
    pub kind: RegionKind,
}

/// Why a GPT could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GptBuildError {
    #[error("invalid layout: {0}")]
    Layout(&'static str),
    #[error("region [{base:#x}, +{size:#x}) is empty, misaligned or beyond the PPS")]
    BadRegion { base: u64, size: u64 },
    #[error("regions [{a:#x}, ..) and [{b:#x}, ..) overlap")]
    Overlap { a: u64, b: u64 },
    #[error("level 1 area [{base:#x}, +{size:#x}) is too small")]
    L1Full { base: u64, size: u64 },
}

/// Collects PAS regions and builds the tables.
#[derive(Clone, Debug)]
pub struct GptBuilder {
    layout: GptLayout,
    max_contig: Option<ContigSize>,
    regions: Vec<PasRegion>,
}

impl GptBuilder {
    /// A builder for `layout`, using contiguous descriptors up to 512 MB
    /// (TF-A 2.12's default `RME_GPT_MAX_BLOCK=512`).
    pub fn new(layout: GptLayout) -> GptBuilder {
        GptBuilder { layout, max_contig: Some(ContigSize::M512), regions: Vec::new() }
    }

    /// The largest contiguous descriptor to write (`RME_GPT_MAX_BLOCK`
    /// 512/32/2); `None` writes granules descriptors only
    /// (`RME_GPT_MAX_BLOCK=0`).
    pub fn max_contig(mut self, max: Option<ContigSize>) -> GptBuilder {
        self.max_contig = max;
        self
    }

    /// Maps whole level 0 regions (`base`, `size` multiples of L0GPTSZ).
    pub fn map_l0(mut self, base: u64, size: u64, gpi: Gpi) -> GptBuilder {
        self.regions.push(PasRegion { base, size, gpi, kind: RegionKind::L0Block });
        self
    }

    /// Maps granules (`base`, `size` multiples of the PGS).
    pub fn map_granules(mut self, base: u64, size: u64, gpi: Gpi) -> GptBuilder {
        self.regions.push(PasRegion { base, size, gpi, kind: RegionKind::Granules });
        self
    }

    /// The regions added so far, in order.
    pub fn regions(&self) -> &[PasRegion] {
        &self.regions
    }

    /// Builds the level 0 and level 1 tables.
    pub fn build(&self) -> Result<GptImage, GptBuildError> {
        let lay = self.layout;
        let l0sz = lay.l0gptsz.bits();
        let p = lay.pgs.bits();
        if crate::gpc::regs::encode_pps(lay.pps_bits).is_none() {
            return Err(GptBuildError::Layout("PPS must be 32, 36, 40, 42, 44, 48 or 52 bits"));
        }
        let l0_align = (lay.pps_bits + 3).saturating_sub(l0sz).max(12);
        if lay.l0_base & ((1 << l0_align) - 1) != 0 || lay.l0_base >> lay.pps_bits != 0 {
            return Err(GptBuildError::Layout("level 0 table misaligned or beyond the PPS"));
        }
        if lay.l1_base & (lay.l1_table_bytes() - 1) != 0 || (lay.l1_base + lay.l1_size) >> lay.pps_bits != 0 {
            return Err(GptBuildError::Layout("level 1 area misaligned or beyond the PPS"));
        }
        let pps_end = 1u64 << lay.pps_bits;
        for r in &self.regions {
            let align = match r.kind {
                RegionKind::L0Block => 1u64 << l0sz,
                RegionKind::Granules => 1u64 << p,
            };
            let bad = r.size == 0
                || r.base % align != 0
                || r.size % align != 0
                || r.base.checked_add(r.size).is_none_or(|end| end > pps_end);
            if bad {
                return Err(GptBuildError::BadRegion { base: r.base, size: r.size });
            }
        }
        for (i, a) in self.regions.iter().enumerate() {
            for b in &self.regions[i + 1..] {
                if a.base < b.base + b.size && b.base < a.base + a.size {
                    return Err(GptBuildError::Overlap { a: a.base, b: b.base });
                }
            }
        }

        let mut img =
            GptImage { layout: lay, l0: vec![gpt_block_desc(Gpi::Any); lay.l0_entries() as usize], l1: Vec::new() };
        for r in self.regions.iter().filter(|r| r.kind == RegionKind::L0Block) {
            for i in (r.base >> l0sz)..((r.base + r.size) >> l0sz) {
                img.l0[i as usize] = gpt_block_desc(r.gpi);
            }
        }
        let l1_tables_max = lay.l1_size / lay.l1_table_bytes();
        for r in self.regions.iter().filter(|r| r.kind == RegionKind::Granules) {
            let mut first = r.base;
            let end = r.base + r.size;
            while first < end {
                let l0_index = (first >> l0sz) as usize;
                let chunk_end = (((first >> l0sz) + 1) << l0sz).min(end);
                let table = match img.table_of(l0_index) {
                    Some(t) => t,
                    None => {
                        let t = img.l1.len() as u64 / lay.l1_entries();
                        if t >= l1_tables_max {
                            return Err(GptBuildError::L1Full { base: lay.l1_base, size: lay.l1_size });
                        }
                        img.l1.extend(std::iter::repeat_n(gpt_granules_desc(Gpi::Any), lay.l1_entries() as usize));
                        img.l0[l0_index] = gpt_table_desc(lay.l1_base + t * lay.l1_table_bytes());
                        t as usize
                    }
                };
                self.fill_l1(&mut img, table, first, chunk_end, r.gpi);
                first = chunk_end;
            }
        }
        Ok(img)
    }

    /// Fills `[first, end)` (inside one level 0 region) of level 1 table
    /// number `table`.
    fn fill_l1(&self, img: &mut GptImage, table: usize, mut first: u64, end: u64, gpi: Gpi) {
        const M2: u64 = 1 << 21;
        let sizes: &[ContigSize] = match self.max_contig {
            None => &[],
            Some(ContigSize::M2) => &[ContigSize::M2],
            Some(ContigSize::M32) => &[ContigSize::M32, ContigSize::M2],
            Some(ContigSize::M512) => &[ContigSize::M512, ContigSize::M32, ContigSize::M2],
        };
        while first < end {
            let len = end - first;
            if sizes.is_empty() || len < M2 {
                img.fill_granules(table, first, end, gpi);
                return;
            }
            if !first.is_multiple_of(M2) {
                let next = (first | (M2 - 1)) + 1;
                img.fill_granules(table, first, next, gpi);
                first = next;
                continue;
            }
            for &size in sizes {
                if end - first >= size.bytes() && first.is_multiple_of(size.bytes()) {
                    img.fill_contig(table, first, size, gpi);
                    first += size.bytes();
                    if first == end {
                        break;
                    }
                }
            }
        }
    }
}

/// Level 0 and level 1 table words, ready to load into guest memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GptImage {
    pub layout: GptLayout,
    /// The level 0 table, at `layout.l0_base`.
    pub l0: Vec<u64>,
    /// The level 1 tables in use, back to back from `layout.l1_base`.
    pub l1: Vec<u64>,
}

impl GptImage {
    /// GPCCR_EL3 for this GPT (check enabled).
    pub fn gpccr(&self, features: GpcFeatures) -> Gpccr {
        self.layout.gpccr(features)
    }

    /// GPTBR_EL3 for this GPT.
    pub fn gptbr(&self) -> Gptbr {
        self.layout.gptbr()
    }

    /// Number of level 1 tables in use.
    pub fn l1_tables(&self) -> usize {
        (self.l1.len() as u64 / self.layout.l1_entries()) as usize
    }

    /// The level 1 table number a level 0 entry points to, if it is a table.
    fn table_of(&self, l0_index: usize) -> Option<usize> {
        let d = self.l0[l0_index];
        (d & 0xf == super::walk::GPT_TABLE)
            .then(|| ((d & 0x000f_ffff_ffff_f000) - self.layout.l1_base) / self.layout.l1_table_bytes())
            .map(|t| t as usize)
    }

    fn l1_slot(&self, table: usize, pa: u64) -> usize {
        let shift = self.layout.pgs.bits() + 4;
        let index = (pa >> shift) & (self.layout.l1_entries() - 1);
        table * self.layout.l1_entries() as usize + index as usize
    }

    /// Sets the GPI of every granule in `[first, end)`.
    fn fill_granules(&mut self, table: usize, first: u64, end: u64, gpi: Gpi) {
        let p = self.layout.pgs.bits();
        let per_entry = 1u64 << (p + 4);
        let desc = gpt_granules_desc(gpi);
        let mut pa = first;
        while pa < end {
            // The granules [lo, hi) of the level 1 entry holding `pa`.
            let entry_start = pa & !(per_entry - 1);
            let stop = end.min(entry_start + per_entry);
            let lo = (pa - entry_start) >> p;
            let hi = (stop - entry_start) >> p;
            let mask = if hi - lo == 16 { u64::MAX } else { ((1u64 << (4 * (hi - lo))) - 1) << (4 * lo) };
            let slot = self.l1_slot(table, pa);
            let w = &mut self.l1[slot];
            *w = (*w & !mask) | (desc & mask);
            pa = stop;
        }
    }

    /// Writes the contiguous descriptor into every level 1 entry of the
    /// block at `first`.
    fn fill_contig(&mut self, table: usize, first: u64, size: ContigSize, gpi: Gpi) {
        let per_entry = 1u64 << (self.layout.pgs.bits() + 4);
        let slot = self.l1_slot(table, first);
        let n = (size.bytes() / per_entry) as usize;
        self.l1[slot..slot + n].fill(gpt_contig_desc(gpi, size));
    }

    /// The level 1 word that describes `pa`, if `pa` is covered by a table.
    pub fn l1_entry_for(&self, pa: u64) -> Option<u64> {
        let table = self.table_of((pa >> self.layout.l0gptsz.bits()) as usize)?;
        Some(self.l1[self.l1_slot(table, pa)])
    }

    fn to_le_bytes(words: &[u64]) -> Vec<u8> {
        words.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    /// Copies the tables into guest memory (RAM or ROM regions of `bus`).
    pub fn load(&self, bus: &PhysBus) -> Result<(), BusError> {
        bus.load(self.layout.l0_base, &Self::to_le_bytes(&self.l0))?;
        if !self.l1.is_empty() {
            bus.load(self.layout.l1_base, &Self::to_le_bytes(&self.l1))?;
        }
        Ok(())
    }
}

/// The image itself is readable GPT memory: the level 0 and level 1 words
/// at their addresses; any other address aborts.
impl GptMemory for GptImage {
    #[inline]
    fn read_gpt_entry(&self, pa: u64) -> Option<u64> {
        let word = |base: u64, words: &[u64]| {
            let off = pa.checked_sub(base)?;
            if off % 8 != 0 {
                return None;
            }
            words.get(usize::try_from(off / 8).ok()?).copied()
        };
        word(self.layout.l0_base, &self.l0).or_else(|| word(self.layout.l1_base, &self.l1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contiguous_pass_order_matches_tfa() {
        // 1 GB of NS at 2 GB: 512 MB, then 32 MB + 2 MB per pass.
        let img = GptBuilder::new(GptLayout::FVP).map_granules(0x8000_0000, 1 << 30, Gpi::NonSecure).build().unwrap();
        assert_eq!(img.l1_tables(), 1);
        assert_eq!(img.l0[2], gpt_table_desc(0xfff0_0000));
        let ns = |s| Some(gpt_contig_desc(Gpi::NonSecure, s));
        assert_eq!(img.l1_entry_for(0x8000_0000), ns(ContigSize::M512));
        assert_eq!(img.l1_entry_for(0x9fff_ffff), ns(ContigSize::M512));
        assert_eq!(img.l1_entry_for(0xa000_0000), ns(ContigSize::M32));
        assert_eq!(img.l1_entry_for(0xa200_0000), ns(ContigSize::M2));
        assert_eq!(img.l1_entry_for(0xa220_0000), ns(ContigSize::M2));
        assert_eq!(img.l1_entry_for(0xa400_0000), ns(ContigSize::M32));
        assert_eq!(img.l1_entry_for(0xa600_0000), ns(ContigSize::M2));
    }

    #[test]
    fn granules_only_without_contig() {
        let img = GptBuilder::new(GptLayout::FVP)
            .max_contig(None)
            .map_granules(0x8000_0000, 1 << 30, Gpi::Realm)
            .build()
            .unwrap();
        assert!(img.l1.iter().all(|&w| w == gpt_granules_desc(Gpi::Realm)));
    }

    #[test]
    fn partial_entries_keep_any() {
        let img = GptBuilder::new(GptLayout::FVP).map_granules(0x8000_3000, 0x2000, Gpi::Root).build().unwrap();
        assert_eq!(img.l1_entry_for(0x8000_0000), Some(0xffff_ffff_fffa_afff));
    }

    #[test]
    fn granule_runs_across_entries() {
        // Granules 15 of entry 0 and 0..=1 of entry 1 (64 KB per entry).
        let img = GptBuilder::new(GptLayout::FVP).map_granules(0x8000_f000, 0x3000, Gpi::Realm).build().unwrap();
        assert_eq!(img.l1_entry_for(0x8000_0000), Some(0xbfff_ffff_ffff_ffff));
        assert_eq!(img.l1_entry_for(0x8001_0000), Some(0xffff_ffff_ffff_ffbb));
        assert_eq!(img.l1_entry_for(0x8002_0000), Some(gpt_granules_desc(Gpi::Any)));
        // 16 KB granules: 256 KB per entry.
        let lay = GptLayout { pgs: Pgs::K16, ..GptLayout::FVP };
        let img = GptBuilder::new(lay).map_granules(0x8003_c000, 0x8000, Gpi::Root).build().unwrap();
        assert_eq!(img.l1_entry_for(0x8000_0000), Some(0xafff_ffff_ffff_ffff));
        assert_eq!(img.l1_entry_for(0x8004_0000), Some(0xffff_ffff_ffff_fffa));
    }

    #[test]
    fn bad_regions_rejected() {
        let b = GptBuilder::new(GptLayout::FVP);
        assert!(matches!(
            b.clone().map_granules(0x8000_0800, 0x1000, Gpi::Root).build(),
            Err(GptBuildError::BadRegion { .. })
        ));
        assert!(matches!(
            b.clone().map_l0(0x8000_0000, 0x1000, Gpi::Root).build(),
            Err(GptBuildError::BadRegion { .. })
        ));
        assert!(matches!(
            b.clone().map_granules(0xf_ffff_f000, 0x2000, Gpi::Root).build(),
            Err(GptBuildError::BadRegion { .. })
        ));
        assert!(matches!(
            b.clone()
                .map_granules(0x8000_0000, 0x2000, Gpi::Root)
                .map_granules(0x8000_1000, 0x1000, Gpi::Realm)
                .build(),
            Err(GptBuildError::Overlap { .. })
        ));
        // 1 MB of L1 space holds 8 tables of 128 KB.
        let nine = (0..9u64).fold(b, |b, i| b.map_granules(i << 30, 0x1000, Gpi::Root));
        assert!(matches!(nine.build(), Err(GptBuildError::L1Full { .. })));
    }
}
