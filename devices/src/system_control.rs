//! Requests from the guest to the machine as a whole: power off, reboot.
//!
//! Devices that can end or restart the system (the V2M system registers'
//! `SYS_CFG_SHUTDOWN`/`SYS_CFG_REBOOT` functions, which TF-A's FVP PSCI
//! `SYSTEM_OFF`/`SYSTEM_RESET` use) post a [`PowerRequest`] to the shared
//! [`SystemControl`]; the machine loop polls it between runs of the CPUs and
//! acts on it. The first request stands until the machine takes it.

use std::sync::atomic::{AtomicU8, Ordering};

/// What the guest asked the machine to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PowerRequest {
    /// Power the system off (PSCI `SYSTEM_OFF`).
    Off,
    /// Reset the whole system (PSCI `SYSTEM_RESET`).
    Reboot,
}

const NONE: u8 = 0;
const OFF: u8 = 1;
const REBOOT: u8 = 2;

impl PowerRequest {
    fn encode(self) -> u8 {
        match self {
            PowerRequest::Off => OFF,
            PowerRequest::Reboot => REBOOT,
        }
    }

    fn decode(v: u8) -> Option<PowerRequest> {
        match v {
            OFF => Some(PowerRequest::Off),
            REBOOT => Some(PowerRequest::Reboot),
            _ => None,
        }
    }
}

/// The pending [`PowerRequest`] of one machine, shared (`Arc`) between the
/// devices that make requests and the loop that serves them.
#[derive(Debug, Default)]
pub struct SystemControl {
    pending: AtomicU8,
}

impl SystemControl {
    pub fn new() -> SystemControl {
        SystemControl::default()
    }

    /// Posts `req`. Returns `false` (and changes nothing) when a request is
    /// already pending: the first one wins.
    pub fn request(&self, req: PowerRequest) -> bool {
        self.pending.compare_exchange(NONE, req.encode(), Ordering::AcqRel, Ordering::Acquire).is_ok()
    }

    /// Takes the pending request, leaving none.
    pub fn take(&self) -> Option<PowerRequest> {
        PowerRequest::decode(self.pending.swap(NONE, Ordering::AcqRel))
    }

    /// The pending request, left in place.
    pub fn peek(&self) -> Option<PowerRequest> {
        PowerRequest::decode(self.pending.load(Ordering::Acquire))
    }

    /// Whether a request is pending.
    pub fn is_pending(&self) -> bool {
        self.peek().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn first_request_wins_until_taken() {
        let c = SystemControl::new();
        assert_eq!(c.peek(), None);
        assert!(!c.is_pending());
        assert!(c.request(PowerRequest::Reboot));
        assert!(!c.request(PowerRequest::Off));
        assert_eq!(c.peek(), Some(PowerRequest::Reboot));
        assert_eq!(c.take(), Some(PowerRequest::Reboot));
        assert_eq!(c.take(), None);
        assert!(c.request(PowerRequest::Off));
        assert_eq!(c.take(), Some(PowerRequest::Off));
    }

    #[test]
    fn request_from_another_thread() {
        let c = Arc::new(SystemControl::new());
        let c2 = c.clone();
        std::thread::spawn(move || c2.request(PowerRequest::Off)).join().unwrap();
        assert_eq!(c.take(), Some(PowerRequest::Off));
    }
}
