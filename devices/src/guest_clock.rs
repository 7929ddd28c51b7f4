//! Guest time: the machine's virtual clock as devices read it.
//!
//! DESIGN.md "Time": time advances with retired instructions (or, with
//! `--realtime`, with the host clock), so a run is deterministic. The
//! machine owns the clock and advances it; devices only read it. Host time
//! never reaches a device, or runs would differ.

use std::sync::atomic::{AtomicU64, Ordering};

/// Guest nanoseconds since machine reset, shared by the devices.
#[derive(Debug, Default)]
pub struct GuestClock {
    ns: AtomicU64,
}

impl GuestClock {
    pub fn new() -> GuestClock {
        GuestClock::default()
    }

    /// Guest nanoseconds since reset.
    pub fn now_ns(&self) -> u64 {
        self.ns.load(Ordering::Relaxed)
    }

    /// Moves the clock forward to `ns` (never backwards).
    pub fn advance_to(&self, ns: u64) {
        self.ns.fetch_max(ns, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_only_moves_forward() {
        let c = GuestClock::new();
        c.advance_to(100);
        c.advance_to(50);
        assert_eq!(c.now_ns(), 100);
    }
}
