//! How the CPU reaches memory: virtual to physical (with the MMU off for
//! now), memory type and alignment rules, physical address space, External
//! aborts from the bus, and the exclusive monitor.
//!
//! With the stage 1 MMU off (Arm ARM D8.2.10 "The effects of disabling an
//! address translation stage"): PA = VA, data accesses are Device-nGnRnE
//! (so every unaligned data access is an Alignment fault) unless
//! HCR_EL2.DC = 1 makes EL1&0 accesses Normal Write-Back; instruction
//! fetches are Normal. A VA at or above the implemented PA size gives an
//! Address size fault at level 0.

use crate::cpu::*;
use crate::exception::{fsc, Exception};
use rme_mmu::{AccessAttrs, PhysBus};

/// Rules an instruction adds to a data access.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccessFlags {
    /// Must be naturally aligned whatever the memory type (exclusives,
    /// load-acquire/store-release, atomics, without FEAT_LSE2).
    pub aligned: bool,
    /// Unprivileged access (LDTR/STTR).
    pub unpriv: bool,
    /// A cache-maintenance access (reported as ESR.CM).
    pub cm: bool,
}

impl AccessFlags {
    pub const NORMAL: AccessFlags = AccessFlags { aligned: false, unpriv: false, cm: false };
    pub const ALIGNED: AccessFlags = AccessFlags { aligned: true, unpriv: false, cm: false };
}

/// The local exclusive monitor. Emulated the way single-host-thread
/// emulators do: a store-exclusive succeeds when the reservation matches and
/// memory still holds the value the load-exclusive read, so a store by any
/// other PE (or agent) in between makes it fail.
#[derive(Clone, Copy, Debug, Default)]
pub struct ExclusiveMonitor {
    reservation: Option<Reservation>,
}

#[derive(Clone, Copy, Debug)]
struct Reservation {
    va: u64,
    size: u8,
    values: [u64; 2],
}

impl ExclusiveMonitor {
    pub fn clear(&mut self) {
        self.reservation = None;
    }
}

/// The EL whose translation regime an access at `el` uses (for SCTLR).
fn regime_el(cpu: &Cpu, el: u8) -> u8 {
    match el {
        0 if cpu.in_host() => 2,
        0 => 1,
        e => e,
    }
}

impl Cpu {
    /// Translates a data address with the current regime. Returns the PA and
    /// whether the memory is Device.
    fn translate_data(&self, va: u64, size: u8, write: bool, flags: AccessFlags) -> Result<(u64, bool), Exception> {
        let el = if flags.unpriv && self.el() == 1 { 0 } else { self.el() };
        let regime = regime_el(self, el);
        let sctlr = self.sr(crate::exception::sctlr_reg(regime));
        if sctlr & SCTLR_M != 0 {
            return Err(Exception::Unimplemented("stage 1 translation (SCTLR_ELx.M = 1): the MMU is a later issue"));
        }
        let hcr = self.hcr_el2();
        if regime == 1 && hcr & HCR_VM != 0 {
            return Err(Exception::Unimplemented("stage 2 translation (HCR_EL2.VM = 1): the MMU is a later issue"));
        }
        let fault = |fsc| Exception::DataAbort { va, fsc, wnr: write, cm: flags.cm, external: false };
        if va >> self.features.pa_bits != 0 {
            return Err(fault(fsc::ADDRESS_SIZE_L0));
        }
        let device = !(regime == 1 && hcr & HCR_DC != 0);
        let misaligned = va & (size as u64 - 1) != 0;
        if misaligned && (device || flags.aligned || sctlr & SCTLR_A != 0) {
            return Err(fault(fsc::ALIGNMENT));
        }
        Ok((va, device))
    }

    fn attrs(&self, flags: AccessFlags) -> AccessAttrs {
        let mut a = AccessAttrs::cpu(self.index, self.default_pas());
        a.privileged = self.el() > 0 && !flags.unpriv;
        a
    }

    /// Reads `size` (1, 2, 4, 8) bytes at virtual address `va`.
    pub fn read_mem(&mut self, bus: &PhysBus, va: u64, size: u8, flags: AccessFlags) -> Result<u64, Exception> {
        let (pa, _) = self.translate_data(va, size, false, flags)?;
        if let Some(hit) = bus.ram_at(pa, size as u64) {
            if let Some(v) = hit.ram.read(hit.offset, size) {
                return Ok(v);
            }
        }
        bus.read(pa, size, self.attrs(flags)).map_err(|_| Exception::DataAbort {
            va,
            fsc: fsc::EXTERNAL,
            wnr: false,
            cm: flags.cm,
            external: true,
        })
    }

    /// Writes the low `size` bytes of `value` at virtual address `va`.
    pub fn write_mem(&mut self, bus: &PhysBus, va: u64, size: u8, value: u64, flags: AccessFlags) -> Result<(), Exception> {
        let (pa, _) = self.translate_data(va, size, true, flags)?;
        if let Some(hit) = bus.ram_at(pa, size as u64) {
            if hit.kind == rme_mmu::RegionKind::Ram && hit.ram.write(hit.offset, size, value).is_some() {
                return Ok(());
            }
        }
        bus.write(pa, size, value, self.attrs(flags)).map_err(|_| Exception::DataAbort {
            va,
            fsc: fsc::EXTERNAL,
            wnr: true,
            cm: flags.cm,
            external: true,
        })
    }

    /// Checks that a write of `size` bytes at `va` would be permitted,
    /// without writing (for instructions that must fault before any effect).
    pub fn probe_write(&self, va: u64, size: u8, flags: AccessFlags) -> Result<(), Exception> {
        self.translate_data(va, size, true, flags).map(|_| ())
    }

    /// Fetches the instruction word at `va` (Normal memory with the MMU off).
    pub fn fetch(&mut self, bus: &PhysBus, va: u64) -> Result<u32, Exception> {
        let el = self.el();
        let regime = regime_el(self, el);
        if self.sr(crate::exception::sctlr_reg(regime)) & SCTLR_M != 0 {
            return Err(Exception::Unimplemented("stage 1 translation (SCTLR_ELx.M = 1): the MMU is a later issue"));
        }
        if regime == 1 && self.hcr_el2() & HCR_VM != 0 {
            return Err(Exception::Unimplemented("stage 2 translation (HCR_EL2.VM = 1): the MMU is a later issue"));
        }
        if va >> self.features.pa_bits != 0 {
            return Err(Exception::InstructionAbort { va, fsc: fsc::ADDRESS_SIZE_L0, external: false });
        }
        if let Some(hit) = bus.ram_at(va, 4) {
            if let Some(v) = hit.ram.read(hit.offset, 4) {
                return Ok(v as u32);
            }
        }
        let attrs = AccessAttrs::cpu(self.index, self.default_pas());
        bus.read(va, 4, attrs)
            .map(|v| v as u32)
            .map_err(|_| Exception::InstructionAbort { va, fsc: fsc::EXTERNAL, external: true })
    }

    /// Load-exclusive of one or two `size`-byte elements (LDXR/LDXP): reads
    /// and sets the reservation.
    pub fn load_exclusive(&mut self, bus: &PhysBus, va: u64, size: u8, pair: bool) -> Result<[u64; 2], Exception> {
        let total = if pair { size * 2 } else { size };
        self.translate_data(va, total.min(8), false, AccessFlags::ALIGNED)?;
        if va & (total as u64 - 1) != 0 {
            return Err(Exception::DataAbort { va, fsc: fsc::ALIGNMENT, wnr: false, cm: false, external: false });
        }
        let v0 = self.read_mem(bus, va, size, AccessFlags::ALIGNED)?;
        let v1 = if pair { self.read_mem(bus, va + size as u64, size, AccessFlags::ALIGNED)? } else { 0 };
        self.monitor.reservation = Some(Reservation { va, size: total, values: [v0, v1] });
        Ok([v0, v1])
    }

    /// Store-exclusive (STXR/STXP). Returns the status: 0 = stored, 1 = failed.
    pub fn store_exclusive(&mut self, bus: &PhysBus, va: u64, size: u8, pair: bool, values: [u64; 2]) -> Result<u64, Exception> {
        let total = if pair { size * 2 } else { size };
        // Alignment and permission faults are checked whether or not the
        // monitor would let the store happen.
        self.translate_data(va, total.min(8), true, AccessFlags::ALIGNED)?;
        if va & (total as u64 - 1) != 0 {
            return Err(Exception::DataAbort { va, fsc: fsc::ALIGNMENT, wnr: true, cm: false, external: false });
        }
        let Some(r) = self.monitor.reservation.take() else { return Ok(1) };
        if r.va != va || r.size != total {
            return Ok(1);
        }
        let cur0 = self.read_mem(bus, va, size, AccessFlags::ALIGNED)?;
        let cur1 = if pair { self.read_mem(bus, va + size as u64, size, AccessFlags::ALIGNED)? } else { 0 };
        if [cur0, cur1] != r.values {
            return Ok(1);
        }
        self.write_mem(bus, va, size, values[0], AccessFlags::ALIGNED)?;
        if pair {
            self.write_mem(bus, va + size as u64, size, values[1], AccessFlags::ALIGNED)?;
        }
        Ok(0)
    }

    /// CLREX and exception return.
    pub fn clear_exclusive(&mut self) {
        self.monitor.clear();
    }

    /// DC ZVA: zeroes the naturally aligned block of DCZID_EL0.BS words
    /// holding `va`.
    pub fn dc_zva(&mut self, bus: &PhysBus, va: u64) -> Result<(), Exception> {
        const BLOCK: u64 = 64;
        let base = va & !(BLOCK - 1);
        let flags = AccessFlags { cm: false, ..AccessFlags::NORMAL };
        // Device memory: DC ZVA is an Alignment fault (Arm ARM C6.2.x "DC ZVA").
        let (pa, device) = self.translate_data(base, 8, true, flags)?;
        if device {
            return Err(Exception::DataAbort { va, fsc: fsc::ALIGNMENT, wnr: true, cm: false, external: false });
        }
        if let Some(hit) = bus.ram_at(pa, BLOCK) {
            if hit.kind == rme_mmu::RegionKind::Ram {
                        hit.ram.zero(hit.offset, BLOCK as usize);
                return Ok(());
            }
        }
        for i in 0..BLOCK / 8 {
            self.write_mem(bus, base + i * 8, 8, 0, flags)?;
        }
        Ok(())
    }

    /// Reads SP with the SP alignment check (SCTLR_ELx.SA/SA0) for an access
    /// that uses SP as its base register (Arm ARM D1.8.2 "SP alignment checking").
    pub fn sp_for_access(&self) -> Result<u64, Exception> {
        let sp = self.sp();
        let el = self.el();
        let sctlr = self.sr(crate::exception::sctlr_reg(regime_el(self, el)));
        let check = if el == 0 { sctlr & SCTLR_SA0 != 0 } else { sctlr & SCTLR_SA != 0 };
        if check && sp & 0xf != 0 {
            return Err(Exception::SpAlignment);
        }
        Ok(sp)
    }
}
