//! The Distributor (GICD): one 64 KiB frame, FVP Base RevC 0x2f00_0000.
//!
//! IHI 0069, 12.8 "The GIC Distributor register descriptions"; GIC-600
//! TRM 4.2 for the ID registers and `GICD_IIDR`. What is modelled:
//! * Two Security states (`GICD_CTLR.DS` = 0, DS is RAZ/WI). `GICD_CTLR`
//!   is banked: the Secure view holds EnableGrp0 \[0\], EnableGrp1NS \[1\],
//!   EnableGrp1S \[2\], ARE_S \[4\], ARE_NS \[5\], DS \[6\]; the Non-secure view
//!   shows EnableGrp1A \[1\] (with ARE_NS = 1, else EnableGrp1 \[0\]) and
//!   ARE_NS \[4\]. RWP \[31\] always reads 0: every write takes effect at
//!   once, so TF-A's and Linux's RWP polls end at the first read.
//! * Affinity routing is always in effect (the ARE bits are stored and read
//!   back; the legacy mode is not modelled). So the GICD registers of
//!   INTIDs 0-31 are RAZ/WI (the Redistributors hold them), `ITARGETSR`,
//!   `CPENDSGIR`/`SPENDSGIR` are RAZ/WI and `GICD_SGIR` is WI.
//! * Non-secure accesses to the fields of Secure interrupts (Group 0,
//!   Secure Group 1) are RAZ/WI, except as `GICD_NSACR` permits (IHI 0069
//!   12.9.19): >= 1 `ISPENDR`/`SETSPI_NSR`, >= 2 also `ICPENDR`/`CLRSPI_NSR`
//!   and reads of `IS/ICACTIVER`, 3 also `IROUTER`. `IGROUPR`, `IGRPMODR`,
//!   `NSACR` and `SETSPI_SR`/`CLRSPI_SR` are Secure-only.
//! * Priorities: a Non-secure access to a Non-secure interrupt's priority
//!   sees the Non-secure view (IHI 0069 4.8.6): a write of `v` stores
//!   `0x80 | v >> 1`, a read returns `stored << 1`. Only the implemented
//!   priority bits (5 by default, `ICC_CTLR_EL1.PRIbits`) are kept.
//! * `GICD_SETSPI_*`/`CLRSPI_*` (message-based SPIs, `GICD_TYPER.MBIS` = 1)
//!   set and clear the pending latch of an SPI. `*_NSR` act on Non-secure
//!   SPIs and on Secure ones whose `GICD_NSACR` permits; `*_SR` are
//!   Secure-only and act on any SPI.
//! * Access sizes: 32-bit for all registers, also 8-bit for `IPRIORITYR`,
//!   `ITARGETSR` and `C/SPENDSGIR`, 64-bit (or either 32-bit half) for
//!   `IROUTER`. Other accesses reach no register (read as zero, writes ignored, logged once and counted: [`crate::Gic::bad_accesses`]).

use crate::Gic;
use crate::access::is_secure;
use crate::irq_state::IntGroup;
use crate::registers::*;
use crate::state::{GIC_INTERNAL, GicState};
use rme_mmu::{AccessAttrs, MmioDevice, MmioResult};
use std::sync::Arc;

/// Why an access reached no register.
pub(crate) type Bad = &'static str;
pub(crate) const NO_REGISTER: Bad = "reaches no register (offset or size)";
pub(crate) const WRITE_ONLY: Bad = "of a write-only register";
pub(crate) const READ_ONLY: Bad = "of a read-only register";

/// Mask of the bits of an access: all for Secure, `ns` for Non-secure.
fn access_mask(secure: bool, ns: u32) -> u32 {
    if secure { !0 } else { ns }
}

/// Spreads a mask over 16 INTIDs (bits [shift+15:shift] of `mask`) into the
/// 2-bit fields of an `ICFGR` value.
pub(crate) fn icfgr_field_mask(mask: u32, shift: u32) -> u32 {
    let mut m = 0;
    for k in 0..16 {
        if mask >> (shift + k) & 1 != 0 {
            m |= 3 << (2 * k);
        }
    }
    m
}

/// Index of the 32-bit word of a bitmap register array at `base`.
fn word_of(off: u64, base: u64) -> usize {
    ((off - base) / 4) as usize
}

/// Reads one byte of `IPRIORITYR` for INTID `intid` of `bank`'s group.
pub(crate) fn read_priority(prio: u8, group: IntGroup, secure: bool) -> u8 {
    if secure {
        prio
    } else if group == IntGroup::G1NS {
        prio << 1
    } else {
        0
    }
}

/// The value a write of `v` to a priority field stores, or `None` when the
/// write is ignored (Non-secure write to a Secure interrupt).
pub(crate) fn write_priority(v: u8, group: IntGroup, secure: bool, mask: u8) -> Option<u8> {
    if secure {
        Some(v & mask)
    } else if group == IntGroup::G1NS {
        Some((0x80 | v >> 1) & mask)
    } else {
        None
    }
}

impl GicState {
    fn spi_word(&self, w: usize) -> bool {
        w >= 1 && w < self.spis.words()
    }

    fn spi(&self, intid: usize) -> bool {
        (GIC_INTERNAL..self.params.num_intids).contains(&intid)
    }

    /// NS mask of SPI word `w`: Non-secure interrupts, and Secure ones whose
    /// NSACR field is at least `nsacr` (0 = NSACR grants nothing).
    fn spi_ns_mask(&self, w: usize, nsacr: u32) -> u32 {
        let m = self.spis.ns_mask(w);
        if nsacr == 0 { m } else { m | self.nsacr_mask(w, nsacr) }
    }

    pub(crate) fn gicd_ctlr_read(&self, secure: bool) -> u32 {
        let c = self.gicd_ctlr;
        if secure {
            return c;
        }
        let are_ns = c & GICD_CTLR_ARE_NS != 0;
        let en = c & GICD_CTLR_ENABLE_GRP1NS != 0;
        let mut v = 0;
        if are_ns {
            v |= GICD_CTLR_NS_ARE_NS;
            if en {
                v |= GICD_CTLR_NS_ENABLE_GRP1A;
            }
        } else if en {
            v |= GICD_CTLR_NS_ENABLE_GRP1;
        }
        v
    }

    fn gicd_ctlr_write(&mut self, v: u32, secure: bool) {
        if secure {
            let w = GICD_CTLR_ENABLE_GRP0
                | GICD_CTLR_ENABLE_GRP1NS
                | GICD_CTLR_ENABLE_GRP1S
                | GICD_CTLR_ARE_S
                | GICD_CTLR_ARE_NS;
            self.gicd_ctlr = v & w;
            return;
        }
        let are_ns = self.gicd_ctlr & GICD_CTLR_ARE_NS != 0;
        let en_bit = if are_ns { GICD_CTLR_NS_ENABLE_GRP1A } else { GICD_CTLR_NS_ENABLE_GRP1 };
        let mut c = self.gicd_ctlr & !(GICD_CTLR_ENABLE_GRP1NS | GICD_CTLR_ARE_NS);
        if v & en_bit != 0 {
            c |= GICD_CTLR_ENABLE_GRP1NS;
        }
        if v & GICD_CTLR_NS_ARE_NS != 0 {
            c |= GICD_CTLR_ARE_NS;
        }
        self.gicd_ctlr = c;
    }

    fn gicd_typer(&self) -> u32 {
        let itlines = (self.params.num_intids / 32 - 1) as u32;
        let cpus = (self.pes.len().clamp(1, 8) - 1) as u32;
        itlines << GICD_TYPER_ITLINESNUMBER_SHIFT
            | cpus << GICD_TYPER_CPUNUMBER_SHIFT
            | GICD_TYPER_SECURITYEXTN
            | GICD_TYPER_MBIS
            | 15 << GICD_TYPER_IDBITS_SHIFT
            | GICD_TYPER_A3V
    }

    fn gicd_irouter_read(&self, intid: usize, secure: bool) -> u64 {
        if !self.spi(intid) {
            return 0;
        }
        if !secure && self.spis.group_of(intid).is_secure() && self.spi_nsacr(intid) != 3 {
            return 0;
        }
        self.irouter[intid]
    }

    fn gicd_irouter_write(&mut self, intid: usize, v: u64, secure: bool) {
        if !self.spi(intid) {
            return;
        }
        if !secure && self.spis.group_of(intid).is_secure() && self.spi_nsacr(intid) != 3 {
            return;
        }
        self.irouter[intid] = v & GICD_IROUTER_MASK;
    }

    pub(crate) fn gicd_read8(&self, off: u64, secure: bool) -> Result<u8, Bad> {
        match off {
            GICD_IPRIORITYR..0x0800 => {
                let intid = (off - GICD_IPRIORITYR) as usize;
                if !self.spi(intid) {
                    return Ok(0);
                }
                Ok(read_priority(self.spis.priority[intid], self.spis.group_of(intid), secure))
            }
            GICD_ITARGETSR..0x0c00 => Ok(0),
            GICD_CPENDSGIR..0x0f30 => Ok(0),
            _ => Err(NO_REGISTER),
        }
    }

    pub(crate) fn gicd_write8(&mut self, off: u64, v: u8, secure: bool) -> Result<(), Bad> {
        match off {
            GICD_IPRIORITYR..0x0800 => {
                let intid = (off - GICD_IPRIORITYR) as usize;
                if self.spi(intid)
                    && let Some(p) = write_priority(v, self.spis.group_of(intid), secure, self.params.pri_mask())
                {
                    self.spis.priority[intid] = p;
                }
                Ok(())
            }
            GICD_ITARGETSR..0x0c00 => Ok(()),
            GICD_CPENDSGIR..0x0f30 => Ok(()),
            _ => Err(NO_REGISTER),
        }
    }

    pub(crate) fn gicd_read32(&self, off: u64, secure: bool) -> Result<u32, Bad> {
        let s = &self.spis;
        Ok(match off {
            GICD_CTLR => self.gicd_ctlr_read(secure),
            GICD_TYPER => self.gicd_typer(),
            GICD_IIDR => self.params.iidr,
            GICD_TYPER2 | GICD_STATUSR => 0,
            GICD_SETSPI_NSR | GICD_CLRSPI_NSR | GICD_SETSPI_SR | GICD_CLRSPI_SR | GICD_SGIR => {
                return Err(WRITE_ONLY);
            }
            GICD_IGROUPR..0x0100 => {
                let w = word_of(off, GICD_IGROUPR);
                if secure && self.spi_word(w) { s.group[w] } else { 0 }
            }
            GICD_ISENABLER..0x0200 => {
                let w = word_of(off, if off < GICD_ICENABLER { GICD_ISENABLER } else { GICD_ICENABLER });
                if !self.spi_word(w) {
                    return Ok(0);
                }
                s.enable[w] & access_mask(secure, self.spi_ns_mask(w, 0))
            }
            GICD_ISPENDR..0x0300 => {
                let (w, nsacr) =
                    if off < GICD_ICPENDR { (word_of(off, GICD_ISPENDR), 1) } else { (word_of(off, GICD_ICPENDR), 2) };
                if !self.spi_word(w) {
                    return Ok(0);
                }
                s.pending_word(w) & access_mask(secure, self.spi_ns_mask(w, nsacr))
            }
            GICD_ISACTIVER..0x0400 => {
                let w = word_of(off, if off < GICD_ICACTIVER { GICD_ISACTIVER } else { GICD_ICACTIVER });
                if !self.spi_word(w) {
                    return Ok(0);
                }
                s.active[w] & access_mask(secure, self.spi_ns_mask(w, 2))
            }
            GICD_IPRIORITYR..0x0800 => {
                let mut v = 0;
                for k in 0..4 {
                    v |= u32::from(self.gicd_read8(off + k, secure)?) << (8 * k);
                }
                v
            }
            GICD_ITARGETSR..0x0c00 => 0,
            GICD_ICFGR..0x0d00 => {
                let n = word_of(off, GICD_ICFGR);
                let w = n / 2;
                if !self.spi_word(w) {
                    return Ok(0);
                }
                s.icfgr(n) & icfgr_field_mask(access_mask(secure, self.spi_ns_mask(w, 0)), (n as u32 % 2) * 16)
            }
            GICD_IGRPMODR..0x0d80 => {
                let w = word_of(off, GICD_IGRPMODR);
                if secure && self.spi_word(w) { s.grpmod[w] } else { 0 }
            }
            GICD_NSACR..0x0f00 => {
                let n = word_of(off, GICD_NSACR);
                if secure && self.spi_word(n / 2) { self.gicd_nsacr[n] } else { 0 }
            }
            GICD_CPENDSGIR..0x0f30 => 0,
            GICD_IROUTER..0x7fe0 => {
                let intid = ((off - GICD_IROUTER) / 8) as usize;
                (self.gicd_irouter_read(intid, secure) >> ((off % 8) * 8)) as u32
            }
            0xffd0..=0xfffc => id_register(GIC600_PART_GICD, off).ok_or(NO_REGISTER)?,
            _ => return Err(NO_REGISTER),
        })
    }

    pub(crate) fn gicd_write32(&mut self, off: u64, v: u32, secure: bool) -> Result<(), Bad> {
        match off {
            GICD_CTLR => self.gicd_ctlr_write(v, secure),
            GICD_TYPER | GICD_IIDR | GICD_TYPER2 => return Err(READ_ONLY),
            GICD_STATUSR => {}
            GICD_SETSPI_NSR | GICD_CLRSPI_NSR => {
                let intid = (v & 0x3ff) as usize;
                if self.spi(intid) {
                    let set = off == GICD_SETSPI_NSR;
                    let ok = !self.spis.group_of(intid).is_secure()
                        || self.spi_nsacr(intid) >= if set { 1 } else { 2 };
                    if ok {
                        crate::irq_state::set_bit(&mut self.spis.pend, intid, set);
                    }
                }
            }
            GICD_SETSPI_SR | GICD_CLRSPI_SR => {
                let intid = (v & 0x3ff) as usize;
                if secure && self.spi(intid) {
                    crate::irq_state::set_bit(&mut self.spis.pend, intid, off == GICD_SETSPI_SR);
                }
            }
            GICD_SGIR => {}
            GICD_IGROUPR..0x0100 => {
                let w = word_of(off, GICD_IGROUPR);
                if secure && self.spi_word(w) {
                    self.spis.group[w] = v;
                }
            }
            GICD_ISENABLER..0x0200 => {
                let set = off < GICD_ICENABLER;
                let w = word_of(off, if set { GICD_ISENABLER } else { GICD_ICENABLER });
                if self.spi_word(w) {
                    let m = v & access_mask(secure, self.spi_ns_mask(w, 0));
                    if set {
                        self.spis.enable[w] |= m;
                    } else {
                        self.spis.enable[w] &= !m;
                    }
                }
            }
            GICD_ISPENDR..0x0300 => {
                let set = off < GICD_ICPENDR;
                let w = word_of(off, if set { GICD_ISPENDR } else { GICD_ICPENDR });
                if self.spi_word(w) {
                    let m = v & access_mask(secure, self.spi_ns_mask(w, if set { 1 } else { 2 }));
                    if set {
                        self.spis.pend[w] |= m;
                    } else {
                        self.spis.pend[w] &= !m;
                    }
                }
            }
            GICD_ISACTIVER..0x0400 => {
                let set = off < GICD_ICACTIVER;
                let w = word_of(off, if set { GICD_ISACTIVER } else { GICD_ICACTIVER });
                if self.spi_word(w) {
                    let m = v & access_mask(secure, self.spi_ns_mask(w, 0));
                    if set {
                        self.spis.active[w] |= m;
                    } else {
                        self.spis.active[w] &= !m;
                    }
                }
            }
            GICD_IPRIORITYR..0x0800 => {
                for k in 0..4 {
                    self.gicd_write8(off + k, (v >> (8 * k)) as u8, secure)?;
                }
            }
            GICD_ITARGETSR..0x0c00 => {}
            GICD_ICFGR..0x0d00 => {
                let n = word_of(off, GICD_ICFGR);
                let w = n / 2;
                if self.spi_word(w) {
                    let m = access_mask(secure, self.spi_ns_mask(w, 0));
                    self.spis.write_icfgr(n, v, m);
                }
            }
            GICD_IGRPMODR..0x0d80 => {
                let w = word_of(off, GICD_IGRPMODR);
                if secure && self.spi_word(w) {
                    self.spis.grpmod[w] = v;
                }
            }
            GICD_NSACR..0x0f00 => {
                let n = word_of(off, GICD_NSACR);
                if secure && self.spi_word(n / 2) {
                    self.gicd_nsacr[n] = v;
                }
            }
            GICD_CPENDSGIR..0x0f30 => {}
            GICD_IROUTER..0x7fe0 => {
                let intid = ((off - GICD_IROUTER) / 8) as usize;
                let shift = (off % 8) * 8;
                let old = self.gicd_irouter_read(intid, secure);
                let new = (old & !(0xffff_ffffu64 << shift)) | (u64::from(v) << shift);
                self.gicd_irouter_write(intid, new, secure);
            }
            0xffd0..=0xfffc if id_register(GIC600_PART_GICD, off).is_some() => return Err(READ_ONLY),
            _ => return Err(NO_REGISTER),
        }
        Ok(())
    }

    pub(crate) fn gicd_read64(&self, off: u64, secure: bool) -> Result<u64, Bad> {
        match off {
            GICD_IROUTER..0x7fe0 => Ok(self.gicd_irouter_read(((off - GICD_IROUTER) / 8) as usize, secure)),
            _ => Err(NO_REGISTER),
        }
    }

    pub(crate) fn gicd_write64(&mut self, off: u64, v: u64, secure: bool) -> Result<(), Bad> {
        match off {
            GICD_IROUTER..0x7fe0 => {
                self.gicd_irouter_write(((off - GICD_IROUTER) / 8) as usize, v, secure);
                Ok(())
            }
            _ => Err(NO_REGISTER),
        }
    }
}

/// The Distributor frame as a bus device.
pub struct Distributor {
    gic: Arc<Gic>,
}

impl Distributor {
    pub(crate) fn new(gic: Arc<Gic>) -> Distributor {
        Distributor { gic }
    }
}

impl MmioDevice for Distributor {
    fn name(&self) -> &str {
        "gicd"
    }

    fn read(&self, offset: u64, size: u8, attrs: AccessAttrs) -> MmioResult<u64> {
        let secure = is_secure(attrs.pas);
        let r = {
            let st = self.gic.state.lock();
            match size {
                1 => st.gicd_read8(offset, secure).map(u64::from),
                4 if offset.is_multiple_of(4) => st.gicd_read32(offset, secure).map(u64::from),
                8 if offset.is_multiple_of(8) => st.gicd_read64(offset, secure),
                _ => Err(NO_REGISTER),
            }
        };
        Ok(r.unwrap_or_else(|why| {
            self.gic.bad.record("gicd", offset, size, false, why);
            0
        }))
    }

    fn write(&self, offset: u64, size: u8, value: u64, attrs: AccessAttrs) -> MmioResult<()> {
        let secure = is_secure(attrs.pas);
        let r = {
            let mut st = self.gic.state.lock();
            match size {
                1 => st.gicd_write8(offset, value as u8, secure),
                4 if offset.is_multiple_of(4) => st.gicd_write32(offset, value as u32, secure),
                8 if offset.is_multiple_of(8) => st.gicd_write64(offset, value, secure),
                _ => Err(NO_REGISTER),
            }
        };
        self.gic.changed();
        if let Err(why) = r {
            self.gic.bad.record("gicd", offset, size, true, why);
        }
        Ok(())
    }
}
