//! The per-CPU softmmu TLB (DESIGN.md "Translation"): VA page ->
//! PA page, output PAS, permissions and memory type. An entry is filled only
//! after stage 1, stage 2 and the Granule Protection Check have all passed,
//! so a hit needs no walk and no GPT lookup.
//!
//! Entries are tagged with the translation context (regime and security
//! state), so moving between ELs and worlds needs no flush. Everything a
//! translation depends on beyond that (TTBR/TCR/SCTLR/MAIR/HCR/SCR/VTTBR/
//! VTCR and, for the GPC, GPCCR_EL3/GPTBR_EL3 and the GPT itself) is
//! covered by invalidation: register writes flush; a TLBI invalidates the
//! entries it names ([`Tlb::invalidate`] with a [`TlbInvalidation`] decoded
//! by [`decode_tlbi`], Arm ARM D8.13/D8.14 "TLB maintenance instructions"
//! and the shared pseudocode `TLBIMatch`); TLBI PAALL/PAALLOS/RPAOS/RPALOS
//! (GPT caching, FEAT_RME) and unallocated encodings flush everything.
//!
//! For that each entry records what a TLBI matches on (`TLBRecord` in the
//! pseudocode): the context, the VA region of the stage 1 translation it
//! came from (a block is cached as many 4 KiB entries: a by-VA TLBI drops
//! every piece of the block containing the VA), the ASID of a non-global
//! translation and the VMID of a two-stage one. Only final (leaf)
//! translations are cached, combined stage 1 + stage 2, so the leaf-only
//! forms (TLBI VALE1 ...) drop the same entries as the others, and a TLBI
//! by IPA drops every entry of the VMID.

use rme_mmu::translation::{Permissions, Regime, Translation};
use rme_mmu::{Pas, SecurityState};

const ENTRIES: usize = 1024;
const INVALID: u64 = u64::MAX;

/// One cached 4 KiB translation.
#[derive(Clone, Copy, Debug)]
pub struct TlbEntry {
    /// VA >> 12, or INVALID.
    vpage: u64,
    ctx: u32,
    /// log2 of the naturally aligned VA region the stage 1 translation this
    /// piece came from covers (the block or page, widened to the whole
    /// Contiguous range when the descriptor has the Contiguous bit).
    span: u8,
    /// The ASID of a non-global translation; `None` when global (nG = 0,
    /// or a regime without ASIDs).
    asid: Option<u16>,
    /// The VMID of a translation with stage 2 (EL2 enabled, EL1&0).
    vmid: Option<u16>,
    pub pa_page: u64,
    pub pas: Pas,
    pub perms: Permissions,
    pub device: bool,
}

/// The context tag of an entry: `regime << 2 | security state`.
#[inline]
pub fn context(regime: Regime, state: SecurityState) -> u32 {
    (regime as u32) << 2 | state as u32
}

/// How an invalidation matches ASIDs (`TLBIMatch`: `UseASID`, `nG`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AsidMatch {
    /// Any ASID, and global entries (TLBI VMALLE1, VAAE1, ALLE2 ...).
    Any,
    /// Only non-global entries of this ASID (TLBI ASIDE1).
    NonGlobal(u16),
    /// Global entries and non-global ones of this ASID (TLBI VAE1, VALE1).
    OrGlobal(u16),
}

/// A range of VA pages, compared on the VA bits the operand holds:
/// pages `[start, end)` of VA bits `[bits + 11 : 12]` (higher VA bits are
/// ignored, an over-invalidation: the TTBR0/TTBR1 halves alias).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VaRange {
    pub start: u64,
    pub end: u64,
    pub bits: u8,
}

/// What one TLBI invalidates (the pseudocode's `TLBIRecord`, less what
/// this TLB does not cache).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlbInvalidation {
    /// A bit per context tag ([`context`]).
    pub contexts: u16,
    /// Only entries of this VMID (entries without a VMID always match).
    pub vmid: Option<u16>,
    pub asid: AsidMatch,
    /// Only entries whose stage 1 region overlaps these VA pages.
    pub va: Option<VaRange>,
}

/// What a TLBI does to this PE's TLB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlbiOp {
    /// Invalidate everything, the GPT lookup cache included.
    Flush,
    Invalidate(TlbInvalidation),
}

/// What [`decode_tlbi`] needs from the PE's state.
#[derive(Clone, Copy, Debug)]
pub struct TlbiContext {
    /// Security state of EL1 and EL2 (`SecurityStateAtEL`, from SCR_EL3).
    pub state: SecurityState,
    /// `EL2Enabled()` in that state.
    pub el2_enabled: bool,
    /// HCR_EL2.{E2H, TGE} (as the register holds them).
    pub e2h: bool,
    pub tge: bool,
    /// VTTBR_EL2.VMID (16 bits when VTCR_EL2.VS and FEAT_VMID16).
    pub vmid: u16,
    /// 16-bit ASIDs in use by the EL1&0 (TCR_EL1.AS) and EL2&0
    /// (TCR_EL2.AS) regimes.
    pub asid16_el1: bool,
    pub asid16_el2: bool,
    /// FEAT_TLBIRANGE (ID_AA64ISAR0_EL1.TLB == 0b0010).
    pub range: bool,
}

const CTX_ALL_STATES: u16 = 0xf;

fn regime_contexts(regime: Regime, state: SecurityState) -> u16 {
    1 << context(regime, state)
}

/// Decodes TLBI `op1, C8, CRm, op2` with operand `xt` (Arm ARM C5.5 "A64
/// System instructions for TLB maintenance"; D8.13.5 "TLB maintenance
/// instructions" and the per-instruction pseudocode `AArch64.TLBI_VMALL`,
/// `AArch64.TLBI_VA`, `AArch64.TLBI_ASID`, `AArch64.TLBI_RVA`,
/// `AArch64.TLBI_IPAS2`, `AArch64.TLBI_ALL`, `AArch64.TLBI_VMALLS12`).
/// Encodings it does not know (unallocated, range forms without
/// FEAT_TLBIRANGE, the FEAT_RME PA forms) flush everything, as before.
///
/// The FEAT_TTL level hint (Xt\[47:44\]) is ignored: the TTL field is
/// RES0 without FEAT_TTL, and ignoring it only over-invalidates.
pub fn decode_tlbi(op1: u32, crm: u32, op2: u32, xt: u64, c: &TlbiContext) -> TlbiOp {
    use Regime::*;
    let range = matches!(crm, 2 | 5 | 6);
    if range && !c.range {
        return TlbiOp::Flush;
    }
    // VA[55:12] in Xt[43:0] (the forms by VA), or the range encoding.
    let va = || {
        if range {
            decode_range(xt)
        } else {
            Some(VaRange {
                start: xt & ((1 << 44) - 1),
                end: (xt & ((1 << 44) - 1)) + 1,
                bits: 44,
            })
        }
    };
    let asid = |asid16: bool| {
        let a = (xt >> 48) as u16;
        if asid16 { a } else { a & 0xff }
    };
    let inv = |contexts, vmid, asid, va| {
        TlbiOp::Invalidate(TlbInvalidation {
            contexts,
            vmid,
            asid,
            va,
        })
    };
    match (op1, crm, op2) {
        // EL1 forms (op1 = 0; CRm 1 OS, 3 IS, 7 non-shareable, 2/5/6 the
        // range forms). `AArch64.TLBI_*`: with HCR_EL2.{E2H, TGE} ==
        // {1, 1} they apply to the EL2&0 regime, else to EL1&0 with the
        // current VMID when EL2 is enabled.
        (0, 1 | 3 | 7 | 2 | 5 | 6, _) => {
            let host = c.el2_enabled && c.e2h && c.tge;
            let (regime, vmid, asid16) = if host {
                (El20, None, c.asid16_el2)
            } else {
                (El10, c.el2_enabled.then_some(c.vmid), c.asid16_el1)
            };
            let ctxs = regime_contexts(regime, c.state);
            match (range, op2) {
                // VMALLE1: every entry of the regime (and VMID).
                (false, 0) => inv(ctxs, vmid, AsidMatch::Any, None),
                // VAE1, VALE1 / RVAE1, RVALE1: by VA, this ASID or global.
                (_, 1 | 5) => inv(ctxs, vmid, AsidMatch::OrGlobal(asid(asid16)), va()),
                // ASIDE1: non-global entries of the ASID.
                (false, 2) => inv(ctxs, vmid, AsidMatch::NonGlobal(asid(asid16)), None),
                // VAAE1, VAALE1 / RVAAE1, RVAALE1: by VA, any ASID.
                (_, 3 | 7) => inv(ctxs, vmid, AsidMatch::Any, va()),
                _ => TlbiOp::Flush,
            }
        }
        // IPAS2E1IS, RIPAS2E1IS, IPAS2LE1IS, RIPAS2LE1IS (CRm 0), and the
        // OS / non-shareable IPA forms (CRm 4). Entries hold stage 1 and
        // stage 2 combined, so an IPA names no VA: drop every EL1&0 entry
        // of the current VMID. (`AArch64.TLBI_IPAS2`: only when EL2 is
        // enabled; otherwise this drops all EL1&0 entries.)
        (4, 0, 1 | 2 | 5 | 6) | (4, 4, _) => {
            if matches!(op2, 2 | 3 | 6 | 7) && !c.range {
                return TlbiOp::Flush;
            }
            inv(
                regime_contexts(El10, c.state),
                c.el2_enabled.then_some(c.vmid),
                AsidMatch::Any,
                None,
            )
        }
        // EL2 forms (op1 = 4): the EL2 regime, or EL2&0 with E2H (take
        // both: E2H may have changed since the entries were filled).
        (4, 1 | 3 | 7 | 2 | 5 | 6, _) => {
            let el2 = regime_contexts(El2, c.state) | regime_contexts(El20, c.state);
            let el10 = regime_contexts(El10, c.state);
            // `AArch64.TLBI_VA` with EL2&0 (ELIsInHost(EL2)) matches the
            // ASID; the EL2 regime has none (its entries are global).
            let asid2 = if c.e2h {
                AsidMatch::OrGlobal(asid(c.asid16_el2))
            } else {
                AsidMatch::Any
            };
            match (range, op2) {
                // ALLE2
                (false, 0) => inv(el2, None, AsidMatch::Any, None),
                // VAE2, VALE2 / RVAE2, RVALE2
                (_, 1 | 5) => inv(el2, None, asid2, va()),
                // ALLE1: EL1&0 entries of every VMID.
                (false, 4) => inv(el10, None, AsidMatch::Any, None),
                // VMALLS12E1: EL1&0 entries, stage 1 and 2, current VMID.
                (false, 6) => inv(el10, c.el2_enabled.then_some(c.vmid), AsidMatch::Any, None),
                _ => TlbiOp::Flush,
            }
        }
        // EL3 forms (op1 = 6): the EL3 regime.
        (6, 1 | 3 | 7 | 2 | 5 | 6, _) => {
            let el3 = CTX_ALL_STATES << (4 * El3 as u32);
            match (range, op2) {
                // ALLE3
                (false, 0) => inv(el3, None, AsidMatch::Any, None),
                // VAE3, VALE3 / RVAE3, RVALE3
                (_, 1 | 5) => inv(el3, None, AsidMatch::Any, va()),
                // PAALL, PAALLOS (FEAT_RME): every TLB entry and cached GPT
                // information; and anything unallocated.
                _ => TlbiOp::Flush,
            }
        }
        // RPAOS, RPALOS (op1 6, CRm 4) and anything else.
        _ => TlbiOp::Flush,
    }
}

/// The VA range of a FEAT_TLBIRANGE operand (`TLBIRange` in the
/// pseudocode): TG Xt\[47:46\], SCALE Xt\[45:44\], NUM Xt\[43:39\], TTL
/// Xt\[38:37\] (a hint, ignored), BaseADDR Xt\[36:0\] in units of the granule;
/// the range is `(NUM + 1) * 2^(5 * SCALE + 1)` granules. `None` (the whole
/// context) for the reserved TG 0b00 or a range past the top of the
/// BaseADDR field: over-invalidation.
fn decode_range(xt: u64) -> Option<VaRange> {
    let tg_bits = match (xt >> 46) & 3 {
        0b01 => 12,
        0b10 => 14,
        0b11 => 16,
        _ => return None,
    };
    let scale = (xt >> 44) & 3;
    let num = (xt >> 39) & 0x1f;
    let page_shift = tg_bits - 12;
    let start = (xt & ((1 << 37) - 1)) << page_shift;
    let end = start + ((num + 1) << (5 * scale + 1 + page_shift));
    let bits = 37 + page_shift as u8;
    (end <= 1 << bits).then_some(VaRange { start, end, bits })
}

/// log2 of the VA region a stage 1 leaf covers, with the Contiguous bit's
/// range (Arm ARM D8.6.1 "The Contiguous bit": 16 entries with the 4KB
/// granule; 128 level 3 / 32 level 2 with 16KB; 32 with 64KB). A TLB may
/// hold the whole range as one entry, and a TLBI by any VA in it must
/// remove that; an unknown size takes the largest, 128.
fn stage1_span(t: &Translation) -> u8 {
    let s = t.stage1.block_shift.max(12);
    if !t.stage1.contiguous {
        return s;
    }
    s + match s {
        12 | 21 | 30 => 4,
        25 | 16 | 29 => 5,
        _ => 7,
    }
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
    /// Counts flushes and invalidations: a translation remembered outside
    /// the TLB (the instruction fetch page) is valid only while this is
    /// unchanged.
    pub epoch: u64,
    /// Broadcast TLBIs (IS/OS forms) this PE executed that the machine has
    /// not yet applied to the other PEs ([`Tlb::take_broadcast`]).
    broadcast: Vec<TlbiOp>,
}

/// Pending broadcasts kept before they collapse into one flush.
const BROADCAST_MAX: usize = 32;

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
            span: 12,
            asid: None,
            vmid: None,
            pa_page: 0,
            pas: Pas::NonSecure,
            perms: Permissions {
                privileged: Default::default(),
                unprivileged: Default::default(),
                pan_restricted: false,
            },
            device: false,
        };
        Tlb {
            entries: vec![empty; ENTRIES].into_boxed_slice(),
            gpis: rme_mmu::gpc::GpiCache::new(),
            fills: 0,
            epoch: 0,
            broadcast: Vec::new(),
        }
    }

    #[inline]
    pub fn lookup(&self, va: u64, ctx: u32) -> Option<&TlbEntry> {
        let vpage = va >> 12;
        let e = &self.entries[vpage as usize & (ENTRIES - 1)];
        (e.vpage == vpage && e.ctx == ctx).then_some(e)
    }

    /// Caches the 4 KiB page of `va` of translation `t` (of context `ctx`).
    pub fn insert(&mut self, va: u64, ctx: u32, t: &Translation, device: bool) {
        let vpage = va >> 12;
        self.entries[vpage as usize & (ENTRIES - 1)] = TlbEntry {
            vpage,
            ctx,
            span: stage1_span(t),
            asid: if t.global { None } else { t.asid },
            vmid: t.vmid,
            pa_page: t.pa >> 12,
            pas: t.pas,
            perms: t.perms,
            device,
        };
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

    /// Does `inv` name entry `e` (`TLBIMatch`)?
    fn matches(e: &TlbEntry, inv: &TlbInvalidation) -> bool {
        if inv.contexts & (1 << e.ctx) == 0 {
            return false;
        }
        // An entry without a VMID (EL2 disabled when it was filled), or an
        // operation without one, matches any: over-invalidation.
        if let (Some(v), Some(ev)) = (inv.vmid, e.vmid)
            && v != ev
        {
            return false;
        }
        let asid_ok = match inv.asid {
            AsidMatch::Any => true,
            AsidMatch::NonGlobal(a) => e.asid == Some(a),
            AsidMatch::OrGlobal(a) => e.asid.is_none_or(|ea| ea == a),
        };
        if !asid_ok {
            return false;
        }
        match inv.va {
            None => true,
            Some(r) => {
                // The stage 1 region holding this piece, in the operand's
                // VA bits: [base, base + size) overlaps [start, end)?
                let mask = (1u64 << r.bits) - 1;
                let size = 1u64 << (e.span - 12).min(r.bits);
                let base = e.vpage & mask & !(size - 1);
                base < r.end && r.start < base + size
            }
        }
    }

    /// Applies a decoded TLBI: drops the entries it names (walking them all:
    /// a block's pieces sit in many sets), or flushes. Either way the
    /// epoch moves, so the instruction fetch page is re-translated.
    pub fn invalidate(&mut self, op: &TlbiOp) {
        match op {
            TlbiOp::Flush => self.flush(),
            TlbiOp::Invalidate(inv) => {
                for e in self.entries.iter_mut() {
                    if e.vpage != INVALID && Tlb::matches(e, inv) {
                        e.vpage = INVALID;
                    }
                }
                self.epoch = self.epoch.wrapping_add(1);
            }
        }
    }

    /// Records a broadcast TLBI for the other PEs (bounded: too many
    /// pending collapse into a flush).
    pub fn push_broadcast(&mut self, op: TlbiOp) {
        if self.broadcast.first() == Some(&TlbiOp::Flush) {
            return;
        }
        if op == TlbiOp::Flush || self.broadcast.len() >= BROADCAST_MAX {
            self.broadcast.clear();
            self.broadcast.push(TlbiOp::Flush);
        } else {
            self.broadcast.push(op);
        }
    }

    /// The broadcast TLBIs executed since the last call, for the machine
    /// to apply to every other PE's TLB with [`Tlb::invalidate`] (when
    /// [`crate::Cpu::take_tlbi_broadcast`] says there are some).
    pub fn take_broadcast(&mut self) -> Vec<TlbiOp> {
        std::mem::take(&mut self.broadcast)
    }

    /// Number of valid entries.
    pub fn valid_entries(&self) -> usize {
        self.entries.iter().filter(|e| e.vpage != INVALID).count()
    }
}
