//! How the GIC frames see an access: its Security (from the PAS) and the
//! log/count of accesses that reach no register.
//!
//! With `GICD_CTLR.DS` = 0 the GIC has two Security states. On an RME
//! system the interconnect presents Root and Secure accesses as Secure and
//! Non-secure and Realm accesses as Non-secure (the GIC predates RME and
//! sees only the NS attribute).
//!
//! Reserved offsets, unsupported access sizes and reads of write-only /
//! writes of read-only registers read as zero and ignore writes (the
//! architecture's RAZ/WI for reserved locations), are logged once per
//! (offset, direction) with target `gic`, and counted.

use parking_lot::Mutex;
use rme_mmu::Pas;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};

/// The access is Secure for the GIC.
pub fn is_secure(pas: Pas) -> bool {
    matches!(pas, Pas::Secure | Pas::Root)
}

/// How many distinct bad accesses are logged; a guest probing the whole
/// frame must not flood the log.
const MAX_LOGGED: usize = 64;

/// Counts bad accesses and remembers which were logged.
#[derive(Debug, Default)]
pub struct BadAccesses {
    count: AtomicU64,
    logged: Mutex<BTreeSet<(&'static str, u64, bool)>>,
}

impl BadAccesses {
    /// Records a bad access to `frame` at `offset`.
    pub fn record(&self, frame: &'static str, offset: u64, size: u8, write: bool, why: &str) {
        self.count.fetch_add(1, Ordering::Relaxed);
        let mut logged = self.logged.lock();
        if logged.len() < MAX_LOGGED && logged.insert((frame, offset, write)) {
            tracing::warn!(target: "gic", frame, offset = format_args!("{offset:#x}"), size,
                "{} {why}: reads as zero, writes ignored (logged once)", if write { "write" } else { "read" });
        }
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
}
