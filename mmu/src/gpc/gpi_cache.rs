//! A per-PE cache of GPT lookups (the "GPT information cached in TLBs" the
//! Arm ARM allows: DDI0487 D9, "GPT caching" — GPT entries may be cached,
//! and software must invalidate them with TLBI PAALL/PAALLOS/RPAOS/RPALOS
//! after changing the GPT, and after writing GPCCR_EL3/GPTBR_EL3).
//!
//! One slot holds the 16 GPIs of a naturally aligned region of 16 granules
//! (PGS each: 64 KiB with 4 KiB granules), which is what one level 1
//! granules descriptor holds; a block or contiguous descriptor is stored as
//! its GPI repeated 16 times (their regions are at least 2 MiB, so they
//! cover the slot's region). 1024 direct-mapped slots cover 64 MiB of
//! 4 KiB granules in 24 KiB. Only successful walks are cached; a fault
//! always walks again.
//!
//! The slots use `Cell`: a translation table walk (which GPC-checks every
//! descriptor it reads) fills the cache through a shared reference.

use super::gpi::Gpi;
use super::walk::GptEntry;
use std::cell::Cell;

/// Number of slots (a power of two).
pub const GPI_CACHE_SLOTS: usize = 1024;

#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    /// `(pa >> region_bits) + 1`; 0 = empty.
    region: u64,
    /// 16 GPI encodings, granule i in bits [4i+3:4i].
    gpis: u64,
    /// The level of the descriptor they came from (reported in GPFs).
    level: u8,
}

/// The cache. See the module documentation.
pub struct GpiCache {
    slots: Box<[Cell<Slot>]>,
}

impl Default for GpiCache {
    fn default() -> Self {
        GpiCache::new()
    }
}

impl GpiCache {
    pub fn new() -> GpiCache {
        GpiCache { slots: (0..GPI_CACHE_SLOTS).map(|_| Cell::new(Slot::default())).collect() }
    }

    #[inline(always)]
    fn slot(&self, region: u64) -> &Cell<Slot> {
        &self.slots[region as usize & (GPI_CACHE_SLOTS - 1)]
    }

    /// The cached GPT entry for `pa`, with granules of `pgs_bits`.
    #[inline]
    pub fn lookup(&self, pa: u64, pgs_bits: u32) -> Option<GptEntry> {
        let region = pa >> (pgs_bits + 4);
        let s = self.slot(region).get();
        if s.region != region.wrapping_add(1) {
            return None;
        }
        let gpi = Gpi::from_encoding((s.gpis >> (4 * ((pa >> pgs_bits) & 0xf))) as u8).ok()?;
        Some(GptEntry { gpi, level: s.level, contig_bits: pgs_bits as u8, gpis: s.gpis })
    }

    /// Records a successful walk of `pa`.
    #[inline]
    pub fn fill(&self, pa: u64, pgs_bits: u32, e: &GptEntry) {
        let region = pa >> (pgs_bits + 4);
        self.slot(region).set(Slot { region: region.wrapping_add(1), gpis: e.gpis, level: e.level });
    }

    /// Forgets everything (TLBI PA*, GPCCR_EL3/GPTBR_EL3 writes).
    pub fn invalidate_all(&self) {
        for s in self.slots.iter() {
            s.set(Slot::default());
        }
    }

    /// Number of filled slots (tests, statistics).
    pub fn filled(&self) -> usize {
        self.slots.iter().filter(|s| s.get().region != 0).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpc::walk::gpt_granules_desc;

    #[test]
    fn granules_region_and_replicated_blocks() {
        let c = GpiCache::new();
        assert!(c.lookup(0x8000_1000, 12).is_none());
        // Granule 3 of the 64 KiB region at 0x8000_0000 is Realm, the rest NS.
        let gpis = (gpt_granules_desc(Gpi::NonSecure) & !(0xf << 12)) | (0xb << 12);
        c.fill(0x8000_3000, 12, &GptEntry { gpi: Gpi::Realm, level: 1, contig_bits: 12, gpis });
        assert_eq!(c.lookup(0x8000_3fff, 12).unwrap().gpi, Gpi::Realm);
        assert_eq!(c.lookup(0x8000_4000, 12).unwrap().gpi, Gpi::NonSecure);
        assert_eq!(c.lookup(0x8000_0000, 12).unwrap().level, 1);
        assert!(c.lookup(0x8001_0000, 12).is_none(), "next region");
        // Same slot, other region (1024 regions apart): replaced, not aliased.
        c.fill(0x8000_0000 + (1024 << 16), 12, &GptEntry { gpi: Gpi::Any, level: 0, contig_bits: 30, gpis: gpt_granules_desc(Gpi::Any) });
        assert!(c.lookup(0x8000_3000, 12).is_none());
        assert_eq!(c.lookup(0x8000_0000 + (1024 << 16) + 0xf000, 12).unwrap().gpi, Gpi::Any);
        assert_eq!(c.filled(), 1);
        c.invalidate_all();
        assert_eq!(c.filled(), 0);
    }
}
