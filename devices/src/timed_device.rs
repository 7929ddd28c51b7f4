//! Devices whose outputs change with guest time alone (timers, watchdogs):
//! what the machine needs to keep them up to date without per-instruction
//! work, and to fast-forward an idle machine to their next event.
//!
//! Such a device computes its state lazily from the [`GuestClock`](crate::GuestClock)
//! (crate::guest_clock::GuestClock) on every register access. Between
//! accesses nothing would drive its interrupt output when a count-down ends,
//! so the machine calls [`TimedDevice::update`] after it advances guest
//! time (every round of its run loop), and, when every CPU sleeps in WFI,
//! jumps guest time to the earliest [`TimedDevice::next_event_ns`] of its
//! devices and CPU timers (DESIGN.md "Time": WFI fast-forward).

/// A device with guest-time events.
pub trait TimedDevice: Send + Sync {
    /// The earliest guest time (ns) at which the device's outputs (its
    /// interrupt, or a system reset) change without a register access;
    /// `None` when no such event is due (stopped, or the output is already
    /// asserted and another count-down would change nothing visible).
    fn next_event_ns(&self) -> Option<u64>;

    /// Brings the device up to guest time `now_ns`: the events due at or
    /// before it happen (raw interrupt status set, counters reloaded, the
    /// interrupt line driven).
    fn update(&self, now_ns: u64);
}
