//! A device's level-sensitive interrupt output, wired by the platform to an
//! interrupt controller input (on FVP a GICv3 SPI, through the motherboard
//! bus's `interrupt-map`: child interrupt n is SPI n, INTID 32 + n).
//!
//! The device calls [`InterruptLine::set_level`] whenever the level may have
//! changed; only changes reach the controller. An unconnected line (the
//! default, and what device unit tests use) just remembers its level.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

type Input = dyn Fn(bool) + Send + Sync;

/// One interrupt output. Clones share the same wire.
#[derive(Clone, Default)]
pub struct InterruptLine {
    input: Option<Arc<Input>>,
    level: Arc<AtomicBool>,
}

impl InterruptLine {
    /// A line driving `input` (e.g. `move |l| gic.set_spi_level(37, l)`).
    pub fn new(input: impl Fn(bool) + Send + Sync + 'static) -> InterruptLine {
        InterruptLine { input: Some(Arc::new(input)), level: Arc::new(AtomicBool::new(false)) }
    }

    /// A line connected to nothing.
    pub fn unconnected() -> InterruptLine {
        InterruptLine::default()
    }

    /// Drives the line; the controller sees only changes of level.
    pub fn set_level(&self, level: bool) {
        if self.level.swap(level, Ordering::AcqRel) != level
            && let Some(input) = &self.input {
                input(level);
            }
    }

    /// The level last driven.
    pub fn level(&self) -> bool {
        self.level.load(Ordering::Acquire)
    }
}

/// A device's interrupt output pin: the [`InterruptLine`] the platform
/// connects (unconnected until then), driven with the device's level.
#[derive(Debug, Default)]
pub struct InterruptOutput(parking_lot::Mutex<InterruptLine>);

impl InterruptOutput {
    /// Connects `line` and drives it with the device's current `level`.
    pub fn connect(&self, line: InterruptLine, level: bool) {
        let mut l = self.0.lock();
        *l = line;
        l.set_level(level);
    }

    /// Drives the pin (only changes reach the controller).
    pub fn drive(&self, level: bool) {
        self.0.lock().set_level(level);
    }
}

impl fmt::Debug for InterruptLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InterruptLine")
            .field("connected", &self.input.is_some())
            .field("level", &self.level())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parking_lot::Mutex;

    #[test]
    fn only_changes_reach_the_input() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        let line = InterruptLine::new(move |l| s.lock().push(l));
        for l in [false, true, true, false, false, true] {
            line.set_level(l);
        }
        assert_eq!(*seen.lock(), vec![true, false, true]);
        assert!(line.clone().level());
        let idle = InterruptLine::unconnected();
        idle.set_level(true);
        assert!(idle.level());
    }
}
