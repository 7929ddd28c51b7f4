//! The per-CPU softmmu TLB (DESIGN.md "Translation"): VA page ->
//! PA page, output PAS, permissions and memory type. An entry is filled only
//! after stage 1, stage 2 and the Granule Protection Check have all passed,
//! so a hit needs no walk and no GPT lookup.
//!
//! Entries are tagged with the translation context (regime and security
//! state), so moving between ELs and worlds needs no flush. Everything a
//! translation depends on beyond that (TTBR/TCR/SCTLR/MAIR/HCR/SCR/VTTBR/
//! VTCR and, for the GPC, GPCCR_EL3/GPTBR_EL3 and the GPT itself) is
//! covered by invalidation: register writes flush, every TLBI flushes (an
//! over-invalidation the architecture always permits), TLBI PA* flush.

use rme_mmu::Pas;
use rme_mmu::translation::Permissions;

const ENTRIES: usize = 1024;
const INVALID: u64 = u64::MAX;

/// One cached 4 KiB translation.
#[derive(Clone, Copy, Debug)]
pub struct TlbEntry {
    /// VA >> 12, or INVALID.
    vpage: u64,
    ctx: u32,
    pub pa_page: u64,
    pub pas: Pas,
    pub perms: Permissions,
    pub device: bool,
}

/// A direct-mapped TLB, with the PE's cache of GPT lookups beside it (a
/// fill's GPC checks, of the descriptors walked and of the output address,
/// are served from it; flushed together with the TLB).
pub struct Tlb {
    entries: Box<[TlbEntry]>,
    /// Cached GPT lookups ([`rme_mmu::gpc::GpiCache`]).
    pub gpis: rme_mmu::gpc::GpiCache,
    /// Fills since the last flush, for tests and statistics.
    pub fills: u64,
    /// Counts flushes: a translation remembered outside the TLB (the
    /// instruction fetch page) is valid only while this is unchanged.
    pub epoch: u64,
}

impl Default for Tlb {
    fn default() -> Self {
        Tlb::new()
    }
}

impl Tlb {
    pub fn new() -> Tlb {
        let empty = TlbEntry {
            vpage: INVALID,
            ctx: 0,
            pa_page: 0,
            pas: Pas::NonSecure,
            perms: Permissions { privileged: Default::default(), unprivileged: Default::default(), pan_restricted: false },
            device: false,
        };
        Tlb { entries: vec![empty; ENTRIES].into_boxed_slice(), gpis: rme_mmu::gpc::GpiCache::new(), fills: 0, epoch: 0 }
    }

    #[inline]
    pub fn lookup(&self, va: u64, ctx: u32) -> Option<&TlbEntry> {
        let vpage = va >> 12;
        let e = &self.entries[vpage as usize & (ENTRIES - 1)];
        (e.vpage == vpage && e.ctx == ctx).then_some(e)
    }

    pub fn insert(&mut self, va: u64, ctx: u32, pa: u64, pas: Pas, perms: Permissions, device: bool) {
        let vpage = va >> 12;
        self.entries[vpage as usize & (ENTRIES - 1)] = TlbEntry { vpage, ctx, pa_page: pa >> 12, pas, perms, device };
        self.fills += 1;
    }

    /// Invalidates every entry.
    pub fn flush(&mut self) {
        for e in self.entries.iter_mut() {
            e.vpage = INVALID;
        }
        self.gpis.invalidate_all();
        self.epoch = self.epoch.wrapping_add(1);
    }

    /// Number of valid entries.
    pub fn valid_entries(&self) -> usize {
        self.entries.iter().filter(|e| e.vpage != INVALID).count()
    }
}
