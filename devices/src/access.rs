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

/// `MmioDevice::read` of a device of 32-bit registers: `read(reg)` is the
/// value of the register at `reg`, or why the access reaches none; the
/// value is narrowed to the access's `size`. An access that reaches no
/// register (wrong size or alignment included) reads as zero and is handed
/// to `bad`, which logs and counts it.
pub(crate) fn read_register(
    offset: u64,
    size: u8,
    read: impl FnOnce(u64) -> Result<u32, BadAccess>,
    bad: impl FnOnce(BadAccess),
) -> u64 {
    match reg_offset(offset, size).ok_or(BadAccess::SizeOrAlignment).and_then(read) {
        Ok(value) => narrow(value, size),
        Err(why) => {
            bad(why);
            0
        }
    }
}

/// `MmioDevice::write` of a device of 32-bit registers: `write(reg, value)`
/// writes the register at `reg` with `value`, zero-extended from the
/// access's `size`, or says why the access reaches none. An access that
/// reaches no register (wrong size or alignment included) is ignored and
/// handed to `bad`, which logs and counts it.
pub(crate) fn write_register(
    offset: u64,
    size: u8,
    value: u64,
    write: impl FnOnce(u64, u32) -> Result<(), BadAccess>,
    bad: impl FnOnce(BadAccess),
) {
    let value = narrow(value as u32, size) as u32;
    if let Err(why) = reg_offset(offset, size).ok_or(BadAccess::SizeOrAlignment).and_then(|reg| write(reg, value)) {
        bad(why);
    }
}

/// Implements `rme_mmu::MmioDevice` for a device of 32-bit registers with
/// [`read_register`] and [`write_register`] over its own
/// `read_reg(&self, reg, attrs) -> Result<u32, BadAccess>`,
/// `write_reg(&self, reg, value, attrs) -> Result<(), BadAccess>` and
/// `bad_access(&self, offset, size, write, why)`. `name` is what
/// `MmioDevice::name` returns: `mmio_device_of_registers!(Tzc400, |self|
/// "tzc-400")`.
macro_rules! mmio_device_of_registers {
    ($device:ty, |$this:ident| $name:expr) => {
        impl rme_mmu::MmioDevice for $device {
            fn name(&$this) -> &str {
                $name
            }

            fn read(&$this, offset: u64, size: u8, attrs: rme_mmu::AccessAttrs) -> rme_mmu::MmioResult<u64> {
                Ok($crate::access::read_register(offset, size, |reg| $this.read_reg(reg, attrs), |why| {
                    $this.bad_access(offset, size, false, why)
                }))
            }

            fn write(&$this, offset: u64, size: u8, value: u64, attrs: rme_mmu::AccessAttrs) -> rme_mmu::MmioResult<()> {
                $crate::access::write_register(offset, size, value, |reg, value| $this.write_reg(reg, value, attrs), |why| {
                    $this.bad_access(offset, size, true, why)
                });
                Ok(())
            }
        }
    };
}
pub(crate) use mmio_device_of_registers;

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
    fn secure_pas() {
        assert!(is_secure(Pas::Root) && is_secure(Pas::Secure));
        assert!(!is_secure(Pas::Realm) && !is_secure(Pas::NonSecure));
    }

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
