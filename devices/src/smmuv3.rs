//! The FVP Base RevC SMMUv3 (0x2b40_0000): the registers TF-A's FVP RME
//! build touches, with their architected behaviour.
//!
//! References: *Arm System Memory Management Unit Architecture
//! Specification, SMMU architecture version 3* (Arm IHI 0070), chapter 6
//! "Memory map and registers": 6.3.1 SMMU_IDR0 .. 6.3.8 SMMU_AIDR, 6.3.9
//! SMMU_CR0, 6.3.10 SMMU_CR0ACK, 6.3.14 SMMU_GBPA (6.3.14.1 "Update
//! procedure"), 6.3.52/53 SMMU_S_IDR0/1, 6.3.57/58 SMMU_S_CR0/ACK, 6.3.62
//! SMMU_S_INIT, 6.3.63 SMMU_S_GBPA, 6.3.110 SMMU_ROOT_IDR0; TF-A
//! `drivers/arm/smmu/smmu_v3.c` (`smmuv3_security_init`, `smmuv3_init`,
//! `smmuv3_ns_set_abort_all`) and `plat/arm/board/fvp` (the SMMU exists on
//! RevC only; its Root register page is at +0x20000,
//! `PLAT_ARM_SMMUV3_ROOT_REG_OFFSET`).
//!
//! **No translation and no stream handling exist.** There are no command,
//! event or PRI queues, stream tables or TLBs, and no DMA master is
//! modelled on the platform, so no transaction ever reaches the SMMU:
//! nothing bypasses it and nothing is aborted by it. SMMU_IDR0 accordingly
//! reports neither stage 1 nor stage 2 (S1P = S2P = 0; Linux's driver would
//! refuse such an SMMU, and the FVP device tree this build boots has no
//! SMMU node) and RME_IMPL = 0.
//!
//! What TF-A does, and what answers it:
//! * `smmuv3_security_init` (BL1, BL31): polls SMMU_GBPA.Update == 0, sets
//!   GBPA.{Update, ABORT} with one read-modify-write and polls Update again;
//!   reads SMMU_S_IDR1.SECURE_IMPL (1 here) and does the same with
//!   SMMU_S_GBPA. A GBPA write with Update = 1 stores the other fields and
//!   the update completes at once (Update reads 0); a write with Update = 0
//!   is IGNORED, the only behaviour SMMUv3.2 permits (SMMU_AIDR reports
//!   v3.2).
//! * `smmuv3_init` (BL31): writes SMMU_S_INIT.INV_ALL and polls it to 0: the
//!   invalidation completes at once. Then, as FEAT_RME is present, it reads
//!   SMMU_ROOT_IDR0: ROOT_IMPL = 0, so it skips the GPC set-up ("Skip SMMU
//!   GPC configuration").
//! * `smmuv3_ns_set_abort_all` (DRTM; not in this build): GBPA as above, then
//!   clears SMMU_CR0.SMMUEN and polls SMMU_CR0ACK. CR0ACK (and S_CR0ACK)
//!   follow CR0 (S_CR0) at once.
//!
//! Registers: page 0 SMMU_IDR0-5, IIDR, AIDR, CR0, CR0ACK, CR1, CR2 (held),
//! GBPA, the identification registers (0xfd0..0xffc), and the Secure
//! SMMU_S_IDR0-4, S_CR0, S_CR0ACK, S_CR1, S_CR2 (held), S_INIT, S_GBPA; the
//! Root page SMMU_ROOT_IDR0 and SMMU_ROOT_IIDR (both 0). Security: the
//! Secure registers (0x8000..0xffff) are RAZ/WI to accesses that are neither
//! Secure nor Root, the Root page to accesses that are not Root (the
//! specification's rules); such accesses, and accesses to offsets with no
//! register here, read as zero, are ignored, logged once (target
//! `platform`) and counted ([`SmmuV3::bad_accesses`]).

use crate::access::{BadAccess, BadAccesses, is_secure, mmio_device_of_registers};
use crate::peripheral_id::{CIDR_PRIMECELL, IdRegs};
use parking_lot::Mutex;
use rme_mmu::{AccessAttrs, Pas};

/// FVP Base RevC base address; the region covers page 0, page 1 and the
/// Root page.
pub const FVP_SMMUV3_BASE: u64 = 0x2b40_0000;
pub const FVP_SMMUV3_SIZE: u64 = 0x3_0000;
/// Offset of the Root register page on FVP.
pub const ROOT_PAGE_OFFSET: u64 = 0x2_0000;

pub const SMMU_IDR0: u64 = 0x0000;
pub const SMMU_IDR1: u64 = 0x0004;
pub const SMMU_IDR2: u64 = 0x0008;
pub const SMMU_IDR3: u64 = 0x000c;
pub const SMMU_IDR4: u64 = 0x0010;
pub const SMMU_IDR5: u64 = 0x0014;
pub const SMMU_IIDR: u64 = 0x0018;
pub const SMMU_AIDR: u64 = 0x001c;
pub const SMMU_CR0: u64 = 0x0020;
pub const SMMU_CR0ACK: u64 = 0x0024;
pub const SMMU_CR1: u64 = 0x0028;
pub const SMMU_CR2: u64 = 0x002c;
pub const SMMU_GBPA: u64 = 0x0044;
pub const SMMU_S_IDR0: u64 = 0x8000;
pub const SMMU_S_IDR1: u64 = 0x8004;
pub const SMMU_S_IDR2: u64 = 0x8008;
pub const SMMU_S_IDR3: u64 = 0x800c;
pub const SMMU_S_IDR4: u64 = 0x8010;
pub const SMMU_S_CR0: u64 = 0x8020;
pub const SMMU_S_CR0ACK: u64 = 0x8024;
pub const SMMU_S_CR1: u64 = 0x8028;
pub const SMMU_S_CR2: u64 = 0x802c;
pub const SMMU_S_INIT: u64 = 0x803c;
pub const SMMU_S_GBPA: u64 = 0x8044;
pub const SMMU_ROOT_IDR0: u64 = ROOT_PAGE_OFFSET;
pub const SMMU_ROOT_IIDR: u64 = ROOT_PAGE_OFFSET + 0x8;

/// SMMU_(S_)CR0 fields.
pub const CR0_SMMUEN: u32 = 1 << 0;
pub const CR0_EVENTQEN: u32 = 1 << 2;
pub const CR0_CMDQEN: u32 = 1 << 3;
pub const S_CR0_SIF: u32 = 1 << 5;
/// CR0 bits this SMMU implements (no PRI, ATS, VMID wildcards or DPT).
const CR0_MASK: u32 = CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN;
/// S_CR0 bits (no Stall, so no NSSTALLD).
const S_CR0_MASK: u32 = CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN | S_CR0_SIF;
/// SMMU_(S_)GBPA fields.
pub const GBPA_UPDATE: u32 = 1 << 31;
pub const GBPA_ABORT: u32 = 1 << 20;
/// ABORT, INSTCFG, PRIVCFG, SHCFG, ALLOCCFG, MTCFG, MemAttr.
const GBPA_FIELDS: u32 = GBPA_ABORT | 0xf_0000 | 0x3000 | 0xf00 | 0x1f;
/// GBPA at reset: no abort, SHCFG = use incoming.
pub const GBPA_RESET: u32 = 0x1 << 12;
/// SMMU_S_IDR1.SECURE_IMPL.
pub const S_IDR1_SECURE_IMPL: u32 = 1 << 31;
/// SMMU_S_INIT.INV_ALL.
pub const S_INIT_INV_ALL: u32 = 1 << 0;
/// SMMU_ROOT_IDR0.ROOT_IMPL.
pub const ROOT_IDR0_ROOT_IMPL: u32 = 1 << 0;

/// SMMU_IDR0: TERM_MODEL = 1 (terminated transactions abort), STALL_MODEL =
/// 0b01 (no stall), TTENDIAN = 0b10 (little-endian), TTF = 0b10 (AArch64);
/// no stage 1 or 2, no RME_IMPL.
pub const IDR0: u32 = (1 << 26) | (0b01 << 24) | (0b10 << 21) | (0b10 << 2);
/// SMMU_IDR1: one stream, no substreams, one-entry queues, no presets or
/// attribute overrides.
pub const IDR1: u32 = 0;
/// SMMU_IDR5: GRAN4K, OAS = 40 bits.
pub const IDR5: u32 = (1 << 4) | 0b010;
/// SMMU_IIDR: Implementer Arm (0x43b), product 0.
pub const IIDR: u32 = 0x43b;
/// SMMU_AIDR: SMMUv3.2.
pub const AIDR: u32 = 0x02;
/// SMMU_S_IDR0: STALL_MODEL = 0b01.
pub const S_IDR0: u32 = 0b01 << 24;
/// SMMU_S_IDR1: SECURE_IMPL, one Secure stream.
pub const S_IDR1: u32 = S_IDR1_SECURE_IMPL;

/// SMMU_PIDR0-7 (JEP106 Arm, part number 0: placeholder values, the
/// FVP's are not documented) and SMMU_CIDR0-3.
const IDS: IdRegs = IdRegs { pidr: [0x00, 0xb0, 0x0b, 0x00, 0x04, 0, 0, 0], cidr: CIDR_PRIMECELL };

/// The guest-visible state of the SMMU's modelled registers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmmuV3State {
    pub cr0: u32,
    pub cr1: u32,
    pub cr2: u32,
    /// GBPA without Update (updates complete at once).
    pub gbpa: u32,
    pub s_cr0: u32,
    pub s_cr1: u32,
    pub s_cr2: u32,
    pub s_gbpa: u32,
    /// SMMU_S_INIT.INV_ALL operations performed.
    pub invalidations: u64,
}

impl Default for SmmuV3State {
    fn default() -> SmmuV3State {
        SmmuV3State {
            cr0: 0,
            cr1: 0,
            cr2: 0,
            gbpa: GBPA_RESET,
            s_cr0: 0,
            s_cr1: 0,
            s_cr2: 0,
            s_gbpa: GBPA_RESET,
            invalidations: 0,
        }
    }
}

/// The FVP SMMUv3's programming interface.
pub struct SmmuV3 {
    inner: Mutex<SmmuV3State>,
    bad: BadAccesses,
}

impl SmmuV3 {
    pub fn new() -> SmmuV3 {
        SmmuV3 { inner: Mutex::new(SmmuV3State::default()), bad: BadAccesses::default() }
    }

    /// A copy of the register state.
    pub fn state(&self) -> SmmuV3State {
        self.inner.lock().clone()
    }

    /// GBPA.ABORT / S_GBPA.ABORT: incoming Non-secure / Secure transactions
    /// would be aborted while the SMMU is disabled.
    pub fn aborts_all(&self) -> (bool, bool) {
        let s = self.inner.lock();
        (s.gbpa & GBPA_ABORT != 0, s.s_gbpa & GBPA_ABORT != 0)
    }

    /// Returns the registers to their reset values (bad-access count kept).
    pub fn reset(&self) {
        *self.inner.lock() = SmmuV3State::default();
    }

    /// Accesses that reached no register or were refused (see the module
    /// documentation).
    pub fn bad_accesses(&self) -> u64 {
        self.bad.count()
    }

    fn bad_access(&self, offset: u64, size: u8, write: bool, why: BadAccess) {
        self.bad.report("smmuv3", offset, size, write, why);
    }

    /// Whether `attrs` may reach the register at `reg`.
    fn check(reg: u64, attrs: AccessAttrs) -> Result<(), BadAccess> {
        if reg >= ROOT_PAGE_OFFSET {
            if attrs.pas == Pas::Root { Ok(()) } else { Err(BadAccess::RootOnly) }
        } else if (0x8000..0x1_0000).contains(&reg) && !is_secure(attrs.pas) {
            Err(BadAccess::SecureOnly)
        } else {
            Ok(())
        }
    }

    /// A write to GBPA/S_GBPA (6.3.14.1): with Update the fields change and
    /// the update completes at once; without, the write is IGNORED.
    fn write_gbpa(reg: &mut u32, value: u32, which: &str) -> Result<(), BadAccess> {
        if value & GBPA_UPDATE == 0 {
            tracing::debug!(target: "platform", value = format_args!("{value:#x}"),
                "SMMU {which} written without Update: ignored (SMMUv3.2)");
            return Ok(());
        }
        *reg = value & GBPA_FIELDS;
        tracing::debug!(target: "platform", abort = value & GBPA_ABORT != 0, "SMMU {which} updated");
        Ok(())
    }
}

impl Default for SmmuV3 {
    fn default() -> SmmuV3 {
        SmmuV3::new()
    }
}

impl SmmuV3 {
    fn read_reg(&self, reg: u64, attrs: AccessAttrs) -> Result<u32, BadAccess> {
        Self::check(reg, attrs).and_then(|()| {
            let s = self.inner.lock();
            Ok(match reg {
                SMMU_IDR0 => IDR0,
                SMMU_IDR1 => IDR1,
                SMMU_IDR2 | SMMU_IDR3 | SMMU_IDR4 => 0,
                SMMU_IDR5 => IDR5,
                SMMU_IIDR => IIDR,
                SMMU_AIDR => AIDR,
                SMMU_CR0 | SMMU_CR0ACK => s.cr0,
                SMMU_CR1 => s.cr1,
                SMMU_CR2 => s.cr2,
                SMMU_GBPA => s.gbpa,
                SMMU_S_IDR0 => S_IDR0,
                SMMU_S_IDR1 => S_IDR1,
                SMMU_S_IDR2 | SMMU_S_IDR3 | SMMU_S_IDR4 => 0,
                SMMU_S_CR0 | SMMU_S_CR0ACK => s.s_cr0,
                SMMU_S_CR1 => s.s_cr1,
                SMMU_S_CR2 => s.s_cr2,
                // Invalidations complete at once.
                SMMU_S_INIT => 0,
                SMMU_S_GBPA => s.s_gbpa,
                SMMU_ROOT_IDR0 | SMMU_ROOT_IIDR => 0,
                r => return IDS.read(r).ok_or(BadAccess::NoRegister),
            })
        })
    }

    fn write_reg(&self, reg: u64, value: u32, attrs: AccessAttrs) -> Result<(), BadAccess> {
        Self::check(reg, attrs).and_then(|()| {
            let mut s = self.inner.lock();
            match reg {
                SMMU_CR0 => {
                    s.cr0 = value & CR0_MASK;
                    Ok(())
                }
                SMMU_CR1 => {
                    s.cr1 = value & 0xfff;
                    Ok(())
                }
                SMMU_CR2 => {
                    s.cr2 = value & 0x7;
                    Ok(())
                }
                SMMU_GBPA => Self::write_gbpa(&mut s.gbpa, value, "GBPA"),
                SMMU_S_CR0 => {
                    s.s_cr0 = value & S_CR0_MASK;
                    Ok(())
                }
                SMMU_S_CR1 => {
                    s.s_cr1 = value & 0xfff;
                    Ok(())
                }
                SMMU_S_CR2 => {
                    s.s_cr2 = value & 0x7;
                    Ok(())
                }
                SMMU_S_INIT => {
                    if value & S_INIT_INV_ALL != 0 {
                        s.invalidations += 1;
                        tracing::debug!(target: "platform", "SMMU_S_INIT.INV_ALL (nothing cached; completes at once)");
                    }
                    Ok(())
                }
                SMMU_S_GBPA => Self::write_gbpa(&mut s.s_gbpa, value, "S_GBPA"),
                SMMU_IDR0 | SMMU_IDR1 | SMMU_IDR2 | SMMU_IDR3 | SMMU_IDR4 | SMMU_IDR5 | SMMU_IIDR | SMMU_AIDR
                | SMMU_CR0ACK | SMMU_S_IDR0 | SMMU_S_IDR1 | SMMU_S_IDR2 | SMMU_S_IDR3 | SMMU_S_IDR4 | SMMU_S_CR0ACK
                | SMMU_ROOT_IDR0 | SMMU_ROOT_IIDR => Err(BadAccess::ReadOnly),
                r if IDS.read(r).is_some() => Err(BadAccess::ReadOnly),
                _ => Err(BadAccess::NoRegister),
            }
        })
    }
}

mmio_device_of_registers!(SmmuV3, |self| "smmuv3");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idr0_fields() {
        assert_eq!(IDR0 & 0b11, 0, "no translation stage");
        assert_eq!((IDR0 >> 2) & 3, 0b10, "TTF AArch64");
        assert_eq!((IDR0 >> 21) & 3, 0b10, "TTENDIAN little");
        assert_eq!((IDR0 >> 24) & 3, 0b01, "STALL_MODEL none");
        assert_eq!(IDR0 >> 30 & 1, 0, "RME_IMPL");
    }
}
