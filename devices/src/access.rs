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
}

impl BadAccess {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            BadAccess::NoRegister => "no register at this offset",
            BadAccess::SizeOrAlignment => "not a 1/2/4-byte access at a word-aligned offset",
            BadAccess::WriteOnly => "read of a write-only register",
            BadAccess::ReadOnly => "write to a read-only register",
        }
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
