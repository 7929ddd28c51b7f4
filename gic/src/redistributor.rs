//! The Redistributors (GICR): per PE a 128 KiB region of two 64 KiB frames,
//! RD_base and SGI_base, contiguous in PE order (FVP Base RevC
//! 0x2f10_0000, 8 x 128 KiB for the default 2x4 PEs).
//!
//! IHI 0069, 12.10 "The GIC Redistributor register map" and 12.11 "The GIC
//! Redistributor register descriptions"; GIC-600 TRM 4.3 for `GICR_PWRR`.
//! What software relies on and what is modelled:
//! * `GICR_TYPER` (64-bit, or two 32-bit halves): Affinity_Value \[63:32\]
//!   (Aff3.Aff2.Aff1.Aff0 of the PE's MPIDR), Processor_Number \[23:8\] (the
//!   PE's index), Last \[4\] on the final frame; no LPIs (PLPIS = VLPIS = 0),
//!   so frames are 128 KiB apart. TF-A's `gicv3_rdistif_probe` and Linux's
//!   `gic_iterate_rdists` walk the frames until Last.
//! * `GICR_WAKER`: ProcessorSleep \[1\] resets to 1; ChildrenAsleep \[2\]
//!   follows it at once (the interface quiesces instantly), so TF-A's
//!   `gicv3_rdistif_mark_core_awake/asleep` polls end at the first read.
//!   While ProcessorSleep = 1 no interrupt is forwarded to the CPU
//!   interface and the wake request is asserted instead
//!   ([`crate::Gic::wake_request`]). Secure-only: Non-secure accesses are
//!   RAZ/WI (Linux reads 0 and goes on).
//! * `GICR_PWRR` (GIC-600): RDPD \[0\] resets to 1 (powered down), RDAG \[1\]
//!   holds what is written; RDGPD \[2\] and RDGPO \[3\] both read as RDPD (each
//!   redistributor is its own power group, which is never in transition),
//!   so TF-A's `gic600_pwr_on` loop (wait RDGPD == RDGPO, write RDPD = 0,
//!   poll RDPD == 0) ends. Power state has no further effect: registers
//!   stay accessible and interrupts are delivered whatever RDPD says.
//! * `GICR_CTLR` reads 0 (no LPIs, RWP/UWP = 0, DPGS = 0), `GICR_STATUSR`,
//!   `GICR_PROPBASER`/`PENDBASER` are RAZ/WI. `GICR_IIDR` is the GIC's IIDR
//!   (TF-A compares it with GIC-600's to decide on `GICR_PWRR`).
//! * SGI_base: `IGROUPR0`, `IGRPMODR0` and `NSACR` are Secure-only; the
//!   enable, pending, active, priority and configuration fields of Secure
//!   SGIs/PPIs are RAZ/WI to Non-secure accesses (`GICR_NSACR` only governs
//!   SGI generation by Non-secure software, see [`crate::sgi`]).
//!   `ICFGR0` reads all SGIs as edge-triggered and ignores writes; `ICFGR1`
//!   configures the PPIs. `IPRIORITYR` is byte-accessible with the
//!   Non-secure view of priorities as in the Distributor.
//! * The ID registers sit at the end of RD_base (PIDR2.ArchRev = 3, the
//!   GIC-600 Redistributor part number 0x493).

use crate::Gic;
use crate::access::is_secure;
use crate::distributor::{Bad, NO_REGISTER, READ_ONLY, icfgr_field_mask, read_priority, write_priority};
use crate::registers::*;
use crate::state::GicState;
use rme_mmu::{AccessAttrs, MmioDevice, MmioResult};
use std::sync::Arc;

impl GicState {
    fn gicr_typer(&self, pe: usize) -> u64 {
        let mut v = u64::from(self.pes[pe].aff32()) << GICR_TYPER_AFFINITY_VALUE_SHIFT
            | (pe as u64 & 0xffff) << GICR_TYPER_PROCESSOR_NUMBER_SHIFT;
        if pe + 1 == self.pes.len() {
            v |= GICR_TYPER_LAST;
        }
        v
    }

    fn gicr_waker(&self, pe: usize) -> u32 {
        if self.pes[pe].rd.processor_sleep { GICR_WAKER_PROCESSOR_SLEEP | GICR_WAKER_CHILDREN_ASLEEP } else { 0 }
    }

    fn gicr_pwrr(&self, pe: usize) -> u32 {
        let rd = &self.pes[pe].rd;
        let mut v = 0;
        if rd.power_down {
            v |= GICR_PWRR_RDPD | GICR_PWRR_RDGPD | GICR_PWRR_RDGPO;
        }
        if rd.rdag {
            v |= GICR_PWRR_RDAG;
        }
        v
    }

    /// NS mask of this PE's SGI/PPI word: the Non-secure Group 1 interrupts.
    fn rd_mask(&self, pe: usize, secure: bool) -> u32 {
        if secure { !0 } else { self.pes[pe].rd.bank.ns_mask(0) }
    }

    pub(crate) fn gicr_read8(&self, pe: usize, off: u64, secure: bool) -> Result<u8, Bad> {
        match off {
            o if (GICR_SGI_BASE + GICR_IPRIORITYR..GICR_SGI_BASE + GICR_IPRIORITYR + 32).contains(&o) => {
                let i = (o - GICR_SGI_BASE - GICR_IPRIORITYR) as usize;
                let b = &self.pes[pe].rd.bank;
                Ok(read_priority(b.priority[i], b.group_of(i), secure))
            }
            _ => Err(NO_REGISTER),
        }
    }

    pub(crate) fn gicr_write8(&mut self, pe: usize, off: u64, v: u8, secure: bool) -> Result<(), Bad> {
        match off {
            o if (GICR_SGI_BASE + GICR_IPRIORITYR..GICR_SGI_BASE + GICR_IPRIORITYR + 32).contains(&o) => {
                let i = (o - GICR_SGI_BASE - GICR_IPRIORITYR) as usize;
                let mask = self.params.pri_mask();
                let b = &mut self.pes[pe].rd.bank;
                if let Some(p) = write_priority(v, b.group_of(i), secure, mask) {
                    b.priority[i] = p;
                }
                Ok(())
            }
            _ => Err(NO_REGISTER),
        }
    }

    pub(crate) fn gicr_read32(&self, pe: usize, off: u64, secure: bool) -> Result<u32, Bad> {
        let rd = &self.pes[pe].rd;
        let b = &rd.bank;
        let m = self.rd_mask(pe, secure);
        const S: u64 = GICR_SGI_BASE;
        Ok(match off {
            GICR_CTLR | GICR_STATUSR => 0,
            GICR_IIDR => self.params.iidr,
            GICR_TYPER => self.gicr_typer(pe) as u32,
            0x000c => (self.gicr_typer(pe) >> 32) as u32,
            GICR_WAKER => {
                if secure {
                    self.gicr_waker(pe)
                } else {
                    0
                }
            }
            GICR_PWRR => self.gicr_pwrr(pe),
            GICR_PROPBASER | 0x0074 | GICR_PENDBASER | 0x007c => 0,
            0xffd0..=0xfffc => id_register(GIC600_PART_GICR, off).ok_or(NO_REGISTER)?,
            o if o == S + GICR_IGROUPR0 => {
                if secure {
                    b.group[0]
                } else {
                    0
                }
            }
            o if o == S + GICR_ISENABLER0 || o == S + GICR_ICENABLER0 => b.enable[0] & m,
            o if o == S + GICR_ISPENDR0 || o == S + GICR_ICPENDR0 => b.pending_word(0) & m,
            o if o == S + GICR_ISACTIVER0 || o == S + GICR_ICACTIVER0 => b.active[0] & m,
            o if (S + GICR_IPRIORITYR..S + GICR_IPRIORITYR + 32).contains(&o) => {
                let mut v = 0;
                for k in 0..4 {
                    v |= u32::from(self.gicr_read8(pe, o + k, secure)?) << (8 * k);
                }
                v
            }
            o if o == S + GICR_ICFGR0 => b.icfgr(0) & icfgr_field_mask(m, 0),
            o if o == S + GICR_ICFGR1 => b.icfgr(1) & icfgr_field_mask(m, 16),
            o if o == S + GICR_IGRPMODR0 => {
                if secure {
                    b.grpmod[0]
                } else {
                    0
                }
            }
            o if o == S + GICR_NSACR => {
                if secure {
                    rd.nsacr
                } else {
                    0
                }
            }
            _ => return Err(NO_REGISTER),
        })
    }

    pub(crate) fn gicr_write32(&mut self, pe: usize, off: u64, v: u32, secure: bool) -> Result<(), Bad> {
        let m = self.rd_mask(pe, secure);
        const S: u64 = GICR_SGI_BASE;
        let rd = &mut self.pes[pe].rd;
        match off {
            GICR_CTLR | GICR_STATUSR => {}
            GICR_IIDR | GICR_TYPER | 0x000c => return Err(READ_ONLY),
            GICR_WAKER => {
                if secure {
                    rd.processor_sleep = v & GICR_WAKER_PROCESSOR_SLEEP != 0;
                }
            }
            GICR_PWRR => {
                rd.power_down = v & GICR_PWRR_RDPD != 0;
                rd.rdag = v & GICR_PWRR_RDAG != 0;
            }
            GICR_PROPBASER | 0x0074 | GICR_PENDBASER | 0x007c => {}
            0xffd0..=0xfffc if id_register(GIC600_PART_GICR, off).is_some() => return Err(READ_ONLY),
            o if o == S + GICR_IGROUPR0 => {
                if secure {
                    rd.bank.group[0] = v;
                }
            }
            o if o == S + GICR_ISENABLER0 => rd.bank.enable[0] |= v & m,
            o if o == S + GICR_ICENABLER0 => rd.bank.enable[0] &= !(v & m),
            o if o == S + GICR_ISPENDR0 => rd.bank.pend[0] |= v & m,
            o if o == S + GICR_ICPENDR0 => rd.bank.pend[0] &= !(v & m),
            o if o == S + GICR_ISACTIVER0 => rd.bank.active[0] |= v & m,
            o if o == S + GICR_ICACTIVER0 => rd.bank.active[0] &= !(v & m),
            o if (S + GICR_IPRIORITYR..S + GICR_IPRIORITYR + 32).contains(&o) => {
                for k in 0..4 {
                    self.gicr_write8(pe, o + k, (v >> (8 * k)) as u8, secure)?;
                }
            }
            o if o == S + GICR_ICFGR0 => {}
            o if o == S + GICR_ICFGR1 => rd.bank.write_icfgr(1, v, m & 0xffff_0000),
            o if o == S + GICR_IGRPMODR0 => {
                if secure {
                    rd.bank.grpmod[0] = v;
                }
            }
            o if o == S + GICR_NSACR => {
                if secure {
                    rd.nsacr = v;
                }
            }
            _ => return Err(NO_REGISTER),
        }
        Ok(())
    }

    pub(crate) fn gicr_read64(&self, pe: usize, off: u64, _secure: bool) -> Result<u64, Bad> {
        match off {
            GICR_TYPER => Ok(self.gicr_typer(pe)),
            GICR_PROPBASER | GICR_PENDBASER => Ok(0),
            _ => Err(NO_REGISTER),
        }
    }

    pub(crate) fn gicr_write64(&mut self, _pe: usize, off: u64, _v: u64, _secure: bool) -> Result<(), Bad> {
        match off {
            GICR_TYPER => Err(READ_ONLY),
            GICR_PROPBASER | GICR_PENDBASER => Ok(()),
            _ => Err(NO_REGISTER),
        }
    }
}

/// All Redistributor frames as one bus device.
pub struct Redistributors {
    gic: Arc<Gic>,
}

impl Redistributors {
    pub(crate) fn new(gic: Arc<Gic>) -> Redistributors {
        Redistributors { gic }
    }
}

impl MmioDevice for Redistributors {
    fn name(&self) -> &str {
        "gicr"
    }

    fn read(&self, offset: u64, size: u8, attrs: AccessAttrs) -> MmioResult<u64> {
        let secure = is_secure(attrs.pas);
        let pe = (offset / GICR_FRAME_SIZE) as usize;
        let off = offset % GICR_FRAME_SIZE;
        let r = {
            let st = self.gic.state.lock();
            if pe >= st.pes.len() {
                Err(NO_REGISTER)
            } else {
                match size {
                    1 => st.gicr_read8(pe, off, secure).map(u64::from),
                    4 if off.is_multiple_of(4) => st.gicr_read32(pe, off, secure).map(u64::from),
                    8 if off.is_multiple_of(8) => st.gicr_read64(pe, off, secure),
                    _ => Err(NO_REGISTER),
                }
            }
        };
        Ok(r.unwrap_or_else(|why| {
            self.gic.bad.record("gicr", offset, size, false, why);
            0
        }))
    }

    fn write(&self, offset: u64, size: u8, value: u64, attrs: AccessAttrs) -> MmioResult<()> {
        let secure = is_secure(attrs.pas);
        let pe = (offset / GICR_FRAME_SIZE) as usize;
        let off = offset % GICR_FRAME_SIZE;
        let r = {
            let mut st = self.gic.state.lock();
            if pe >= st.pes.len() {
                Err(NO_REGISTER)
            } else {
                match size {
                    1 => st.gicr_write8(pe, off, value as u8, secure),
                    4 if off.is_multiple_of(4) => st.gicr_write32(pe, off, value as u32, secure),
                    8 if off.is_multiple_of(8) => st.gicr_write64(pe, off, value, secure),
                    _ => Err(NO_REGISTER),
                }
            }
        };
        self.gic.changed();
        if let Err(why) = r {
            self.gic.bad.record("gicr", offset, size, true, why);
        }
        Ok(())
    }
}
