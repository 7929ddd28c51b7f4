//! Helpers shared by the devices: decoding of 32-bit register accesses and
//! the log/count of bad accesses.
//!
//! The devices of this crate are APB peripherals with 32-bit registers at
//! word-aligned offsets. A guest may read or write one with a 1-, 2- or
//! 4-byte access at the register's offset (Linux `earlycon` writes UARTDR
//! with `writeb`); a narrower read returns the low bytes, a narrower write
//! is zero-extended. Any other access (8 bytes, or an offset that is not
//! word-aligned) reaches no register: it reads as zero, its write is
//! ignored, and it is logged and counted like an access to an offset where
//! nothing is.

use parking_lot::Mutex;
use rme_mmu::Pas;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};

/// The register offset of an access, or `None` when the access cannot reach
/// a 32-bit register (wrong size or alignment).
pub(crate) fn reg_offset(offset: u64, size: u8) -> Option<u64> {
    (offset.is_multiple_of(4) && matches!(size, 1 | 2 | 4)).then_some(offset)
}

/// The low `size` bytes of a register value.
pub(crate) fn narrow(value: u32, size: u8) -> u64 {
    match size {
        1 => u64::from(value & 0xff),
        2 => u64::from(value & 0xffff),
        _ => u64::from(value),
    }
}

/// Why an access reached no register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BadAccess {
    /// No register at this offset.
    NoRegister,
    /// Not a 1/2/4-byte access at a word-aligned offset.
    SizeOrAlignment,
    /// A read of a write-only register.
    WriteOnly,
    /// A write to a read-only register.
    ReadOnly,
    /// A Non-secure (or Realm) access to a register only Secure (and
    /// Root) accesses reach: RAZ/WI.
    SecureOnly,
    /// An access to a Root-only register from another PAS: RAZ/WI.
    RootOnly,
    /// An access an access-control register of the device does not permit
    /// (e.g. a timer frame's CNTACR): RAZ/WI.
    NotPermitted,
}

impl BadAccess {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            BadAccess::NoRegister => "no register at this offset",
            BadAccess::SizeOrAlignment => "not a 1/2/4-byte access at a word-aligned offset",
            BadAccess::WriteOnly => "read of a write-only register",
            BadAccess::ReadOnly => "write to a read-only register",
            BadAccess::SecureOnly => "Non-secure access to a Secure-only register (RAZ/WI)",
            BadAccess::RootOnly => "access to a Root-only register from another PAS (RAZ/WI)",
            BadAccess::NotPermitted => "access not permitted by the device's access control (RAZ/WI)",
        }
    }
}

/// Whether an access is Secure as a legacy (TrustZone-only) completer sees
/// it: the Secure and Root PAS drive the bus NS signal low (with FEAT_RME,
/// Root accesses reach Secure-only registers; Realm accesses are
/// Non-secure to such a device).
pub(crate) fn is_secure(pas: Pas) -> bool {
    matches!(pas, Pas::Secure | Pas::Root)
}

/// The CoreSight/PrimeCell identification block at 0xfd0..=0xffc:
/// PIDR4-7 (0xfd0..), PIDR0-3 (0xfe0..), CIDR0-3 (0xff0..).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IdRegs {
    /// PIDR0..PIDR7, in register-number order.
    pub pidr: [u8; 8],
    pub cidr: [u8; 4],
}

/// CIDR0-3 of a PrimeCell / CoreSight component of class 0xF (0xB105F00D).
pub(crate) const CIDR_PRIMECELL: [u8; 4] = [0x0d, 0xf0, 0x05, 0xb1];

impl IdRegs {
    /// The first and last offset of the block.
    pub(crate) const FIRST: u64 = 0xfd0;
    pub(crate) const LAST: u64 = 0xffc;

    /// The register at `reg` (a word offset in 0xfd0..=0xffc), else `None`.
    pub(crate) fn read(&self, reg: u64) -> Option<u32> {
        let v = match reg {
            0xfd0..=0xfdc => self.pidr[4 + ((reg - 0xfd0) / 4) as usize],
            0xfe0..=0xfec => self.pidr[((reg - 0xfe0) / 4) as usize],
            0xff0..=0xffc => self.cidr[((reg - 0xff0) / 4) as usize],
            _ => return None,
        };
        Some(u32::from(v))
    }
}

/// How many distinct (offset, direction) pairs are logged per device; a
/// guest scanning the whole region must not flood the log.
const MAX_LOGGED: usize = 64;

/// Counts bad accesses and remembers which were already logged.
#[derive(Debug, Default)]
pub(crate) struct BadAccesses {
    count: AtomicU64,
    logged: Mutex<BTreeSet<(u64, bool)>>,
}

impl BadAccesses {
    /// Counts one bad access. Returns `true` when the caller should log it:
    /// the first time this offset is accessed this way (read or write).
    pub(crate) fn record(&self, offset: u64, write: bool) -> bool {
        self.count.fetch_add(1, Ordering::Relaxed);
        let mut logged = self.logged.lock();
        logged.len() < MAX_LOGGED && logged.insert((offset, write))
    }

    pub(crate) fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// Counts one bad access to `device` and logs it (target `platform`)
    /// the first time this offset is accessed this way.
    pub(crate) fn report(&self, device: &str, offset: u64, size: u8, write: bool, why: BadAccess) {
        if self.record(offset, write) {
            tracing::debug!(target: "platform", device, offset = format_args!("{offset:#x}"), size,
                write, "{} (ignored; logged once per offset)", why.describe());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_rules() {
        assert_eq!(reg_offset(0x18, 4), Some(0x18));
        assert_eq!(reg_offset(0x18, 1), Some(0x18));
        assert_eq!(reg_offset(0x19, 1), None);
        assert_eq!(reg_offset(0x18, 8), None);
        assert_eq!(reg_offset(0x18, 3), None);
        assert_eq!(narrow(0x1234_5678, 1), 0x78);
        assert_eq!(narrow(0x1234_5678, 2), 0x5678);
        assert_eq!(narrow(0x1234_5678, 4), 0x1234_5678);
    }

    #[test]
    fn id_block_layout() {
        let ids = IdRegs { pidr: [0, 1, 2, 3, 4, 5, 6, 7], cidr: CIDR_PRIMECELL };
        assert_eq!(ids.read(0xfe0), Some(0));
        assert_eq!(ids.read(0xfec), Some(3));
        assert_eq!(ids.read(0xfd0), Some(4));
        assert_eq!(ids.read(0xfdc), Some(7));
        assert_eq!(ids.read(0xff0), Some(0x0d));
        assert_eq!(ids.read(0xffc), Some(0xb1));
        assert_eq!(ids.read(0xfcc), None);
        assert!(is_secure(Pas::Root) && is_secure(Pas::Secure));
        assert!(!is_secure(Pas::Realm) && !is_secure(Pas::NonSecure));
    }

    #[test]
    fn logs_each_offset_once_and_counts_all() {
        let bad = BadAccesses::default();
        assert!(bad.record(0x10, false));
        assert!(!bad.record(0x10, false));
        assert!(bad.record(0x10, true));
        for i in 0..1000 {
            bad.record(0x100 + 4 * i, false);
        }
        assert_eq!(bad.count(), 1003);
        assert!(bad.logged.lock().len() <= MAX_LOGGED);
    }
}
