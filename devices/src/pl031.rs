//! ARM PrimeCell Real Time Clock (PL031): FVP Base RevC's `rtc@170000`
//! (0x1c17_0000, motherboard interrupt 4: GIC SPI 4, INTID 36).
//!
//! Reference: *ARM PrimeCell Real Time Clock (PL031) Technical Reference
//! Manual*, ARM DDI 0224 (revision r1p3): 2.1 "Real Time Clock overview"
//! (a 32-bit counter incremented on the rising edges of CLK1HZ, loaded
//! through RTCLR, compared with RTCMR to raise RTCINTR), chapter 3
//! "Programmers Model" (3.2 "Summary of RTC registers": RTCDR 0x000, RTCMR
//! 0x004, RTCLR 0x008, RTCCR 0x00C, RTCIMSC 0x010, RTCRIS 0x014, RTCMIS
//! 0x018, RTCICR 0x01C, RTCPeriphID0-3 0xFE0-0xFEC, RTCPCellID0-3
//! 0xFF0-0xFFC). Linux `drivers/rtc/rtc-pl031.c` (the `arm,pl031` variant:
//! probe sets RTCCR.start, `read_time` reads RTCDR, `set_time` writes
//! RTCLR, alarms write RTCMR, RTCICR and RTCIMSC and read RTCRIS).
//!
//! What is modelled:
//! * CLK1HZ: a 1 Hz clock whose rising edges fall on the whole seconds of
//!   guest time ([`GuestClock`]; never the host clock, so runs stay
//!   deterministic). While RTCCR.start is set, each edge increments the
//!   counter (modulo 2^32).
//! * RTCDR (RO): the counter. At reset it holds the base value given to
//!   [`Pl031::new`] (the platform passes 0: 1970-01-01 for Linux).
//! * RTCLR (RW): a write loads the counter at once; reads return the last
//!   value written (0 at reset).
//! * RTCCR (RW, bit 0 "RTC start"): reset 0, counter stopped. Setting it
//!   enables the counter; once it is enabled, writes to the bit have no
//!   effect until a reset (3.3.4), so it reads 1 from then on.
//! * RTCMR (RW) and the match interrupt: RTCRIS (bit 0) is set when the
//!   counter and RTCMR become equal: at the CLK1HZ edge at which the counter
//!   counts up to RTCMR, or when a write to RTCLR or RTCMR makes them equal
//!   (2.1: "When both values are equal, the RTCINTR interrupt is asserted").
//!   It stays set until a write of 1 to RTCICR bit 0 (writing 0 has no
//!   effect). RTCIMSC bit 0 enables the interrupt; RTCMIS = RTCRIS &
//!   RTCIMSC is the RTCINTR output, which drives the [`InterruptLine`]
//!   given with [`Pl031::connect_interrupt`].
//! * Identification: RTCPeriphID0-3 = 0x31, 0x10, 0x14, 0x00 (part 0x031,
//!   designer 0x41, revision 1, configuration 0), RTCPCellID0-3 = 0x0D,
//!   0xF0, 0x05, 0xB1.
//!
//! The model is evaluated lazily: every register access,
//! [`TimedDevice::update`] and [`Pl031::irq_level`] first bring it up to
//! the current guest time (a match that happened since is latched in
//! RTCRIS then) and drive the interrupt line. [`TimedDevice::next_event_ns`]
//! says when the next match will raise RTCINTR, so a machine that skips
//! idle time can stop there and call [`TimedDevice::update`].
//!
//! Accesses to offsets with no register (the test registers at 0x080..
//! included), writes to read-only and reads of write-only registers read
//! as zero and are ignored, logged once per offset (target `platform`)
//! and counted ([`Pl031::bad_accesses`]).

use crate::access::{BadAccess, BadAccesses, mmio_device_of_registers};
use crate::guest_clock::GuestClock;
use crate::interrupt_line::InterruptLine;
use crate::peripheral_id::{CIDR_PRIMECELL, IdRegs};
use crate::timed_device::TimedDevice;
use parking_lot::Mutex;
use rme_mmu::AccessAttrs;
use std::sync::Arc;

/// FVP Base RevC: `rtc@170000` on the motherboard bus.
pub const FVP_RTC_BASE: u64 = 0x1c17_0000;
pub const PL031_SIZE: u64 = 0x1000;
/// Motherboard interrupt 4: GIC SPI 4.
pub const FVP_RTC_SPI: u32 = 4;

pub const RTCDR: u64 = 0x000;
pub const RTCMR: u64 = 0x004;
pub const RTCLR: u64 = 0x008;
pub const RTCCR: u64 = 0x00c;
pub const RTCIMSC: u64 = 0x010;
pub const RTCRIS: u64 = 0x014;
pub const RTCMIS: u64 = 0x018;
pub const RTCICR: u64 = 0x01c;
pub const RTCPERIPHID0: u64 = 0xfe0;
pub const RTCPCELLID0: u64 = 0xff0;

/// RTCCR bit 0: RTC start.
pub const RTCCR_START: u32 = 1 << 0;
/// RTCIMSC/RTCRIS/RTCMIS/RTCICR bit 0: the match interrupt.
pub const RTC_INT: u32 = 1 << 0;

/// RTCPeriphID0-3 (part 0x031, designer 0x41, revision 1), RTCPCellID0-3.
const IDS: IdRegs = IdRegs {
    pidr: [0x31, 0x10, 0x14, 0x00, 0, 0, 0, 0],
    cidr: CIDR_PRIMECELL,
};

const NS_PER_S: u64 = 1_000_000_000;

/// The guest-visible state of a PL031.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pl031State {
    /// RTCMR.
    pub match_value: u32,
    /// RTCLR: the value last written.
    pub load: u32,
    /// RTCCR.start: the counter counts.
    pub started: bool,
    /// RTCIMSC bit 0.
    pub imsc: bool,
    /// RTCRIS bit 0.
    pub ris: bool,
    /// The counter's value at CLK1HZ edge `epoch_edge` (while stopped: its
    /// value).
    pub epoch_value: u32,
    /// A CLK1HZ edge: edge n is at guest time n seconds.
    pub epoch_edge: u64,
    /// The CLK1HZ edge up to which matches have been looked for.
    pub checked_edge: u64,
}

impl Pl031State {
    fn reset(base: u32, now_edge: u64) -> Pl031State {
        Pl031State {
            match_value: 0,
            load: 0,
            started: false,
            imsc: false,
            ris: false,
            epoch_value: base,
            epoch_edge: now_edge,
            checked_edge: now_edge,
        }
    }

    /// The counter at CLK1HZ edge `edge` (not before `epoch_edge`).
    fn counter_at(&self, edge: u64) -> u32 {
        if self.started {
            self.epoch_value
                .wrapping_add(edge.saturating_sub(self.epoch_edge) as u32)
        } else {
            self.epoch_value
        }
    }

    /// Edges from the counter at edge `from` until it next equals RTCMR by
    /// counting (1..=2^32).
    fn edges_to_match(&self, from: u64) -> u64 {
        match u64::from(self.match_value.wrapping_sub(self.counter_at(from))) {
            0 => 1 << 32,
            d => d,
        }
    }

    /// Brings the state to CLK1HZ edge `now`: latches RTCRIS if the
    /// counter counted up to RTCMR since the last check.
    fn advance(&mut self, now: u64) {
        if self.started
            && now > self.checked_edge
            && self.edges_to_match(self.checked_edge) <= now - self.checked_edge
        {
            self.ris = true;
        }
        self.checked_edge = self.checked_edge.max(now);
    }

    fn mis(&self) -> bool {
        self.ris && self.imsc
    }
}

/// One PL031 real time clock.
pub struct Pl031 {
    name: String,
    /// The counter's value at reset.
    base: u32,
    clock: Arc<GuestClock>,
    inner: Mutex<Pl031State>,
    bad: BadAccesses,
    /// RTCINTR.
    irq: Mutex<InterruptLine>,
}

/// The CLK1HZ rising edges from guest time 0 to `ns`.
fn edge_at(ns: u64) -> u64 {
    ns / NS_PER_S
}

impl Pl031 {
    /// An RTC named `name` in logs, counting on `clock`, whose counter
    /// holds `base` at reset (seconds; Linux reads them as time since
    /// 1970-01-01 UTC).
    pub fn new(name: impl Into<String>, clock: Arc<GuestClock>, base: u32) -> Pl031 {
        let state = Pl031State::reset(base, edge_at(clock.now_ns()));
        Pl031 {
            name: name.into(),
            base,
            clock,
            inner: Mutex::new(state),
            bad: BadAccesses::default(),
            irq: Mutex::new(InterruptLine::unconnected()),
        }
    }

    /// Wires RTCINTR to `line` (and drives it with the current level).
    pub fn connect_interrupt(&self, line: InterruptLine) {
        *self.irq.lock() = line;
        self.update_interrupt();
    }

    /// The state brought up to now, and the current CLK1HZ edge.
    fn lock_state(&self) -> (parking_lot::MutexGuard<'_, Pl031State>, u64) {
        self.lock_state_at(self.clock.now_ns())
    }

    /// The state brought up to guest time `ns`, and the CLK1HZ edge then.
    fn lock_state_at(&self, ns: u64) -> (parking_lot::MutexGuard<'_, Pl031State>, u64) {
        let now = edge_at(ns);
        let mut s = self.inner.lock();
        s.advance(now);
        (s, now)
    }

    /// Drives RTCINTR from RTCMIS at the current guest time.
    fn update_interrupt(&self) {
        self.irq_level();
    }

    /// RTCINTR (RTCMIS) at the current guest time; the interrupt line is
    /// driven with it.
    pub fn irq_level(&self) -> bool {
        let level = self.lock_state().0.mis();
        self.irq.lock().set_level(level);
        level
    }

    /// RTCDR now.
    pub fn counter(&self) -> u32 {
        let (s, now) = self.lock_state();
        s.counter_at(now)
    }

    /// A copy of the state (at the current guest time).
    pub fn state(&self) -> Pl031State {
        self.lock_state().0.clone()
    }

    /// Returns the RTC to its reset state: counter at the base value and
    /// stopped (the bad-access count is kept).
    pub fn reset(&self) {
        *self.inner.lock() = Pl031State::reset(self.base, edge_at(self.clock.now_ns()));
        self.update_interrupt();
    }

    /// Accesses that reached no register (see the module documentation).
    pub fn bad_accesses(&self) -> u64 {
        self.bad.count()
    }

    fn bad_access(&self, offset: u64, size: u8, write: bool, why: BadAccess) {
        self.bad.report(&self.name, offset, size, write, why);
    }

    fn read_reg(&self, reg: u64, _attrs: AccessAttrs) -> Result<u32, BadAccess> {
        let value = {
            let (s, now) = self.lock_state();
            match reg {
                RTCDR => Ok(s.counter_at(now)),
                RTCMR => Ok(s.match_value),
                RTCLR => Ok(s.load),
                RTCCR => Ok(u32::from(s.started)),
                RTCIMSC => Ok(u32::from(s.imsc)),
                RTCRIS => Ok(u32::from(s.ris)),
                RTCMIS => Ok(u32::from(s.mis())),
                RTCICR => Err(BadAccess::WriteOnly),
                r => IDS.read(r).ok_or(BadAccess::NoRegister),
            }
        };
        // A match may have been latched on the way.
        self.update_interrupt();
        value
    }

    fn write_reg(&self, reg: u64, value: u32, _attrs: AccessAttrs) -> Result<(), BadAccess> {
        let result = {
            let (mut s, now) = self.lock_state();
            let was_equal = s.counter_at(now) == s.match_value;
            match reg {
                RTCMR => {
                    s.match_value = value;
                    s.ris |= !was_equal && s.counter_at(now) == value;
                    Ok(())
                }
                RTCLR => {
                    s.load = value;
                    s.epoch_value = value;
                    s.epoch_edge = now;
                    s.ris |= !was_equal && value == s.match_value;
                    Ok(())
                }
                RTCCR => {
                    // 3.3.4: once the RTC is enabled, writes to the start
                    // bit have no effect until a reset.
                    if !s.started && value & RTCCR_START != 0 {
                        s.epoch_value = s.counter_at(now);
                        s.epoch_edge = now;
                        s.started = true;
                        tracing::debug!(target: "platform", rtc = %self.name, counter = s.epoch_value, "RTC started");
                    }
                    Ok(())
                }
                RTCIMSC => {
                    s.imsc = value & RTC_INT != 0;
                    Ok(())
                }
                RTCICR => {
                    if value & RTC_INT != 0 {
                        s.ris = false;
                    }
                    Ok(())
                }
                RTCDR | RTCRIS | RTCMIS => Err(BadAccess::ReadOnly),
                r if IDS.read(r).is_some() => Err(BadAccess::ReadOnly),
                _ => Err(BadAccess::NoRegister),
            }
        };
        self.update_interrupt();
        result
    }
}

impl TimedDevice for Pl031 {
    /// When (guest ns) the counter next counts up to RTCMR with the
    /// interrupt enabled and not yet raised: the next time RTCINTR rises.
    fn next_event_ns(&self) -> Option<u64> {
        let (s, now) = self.lock_state();
        (s.started && s.imsc && !s.ris)
            .then(|| (now + s.edges_to_match(now)).saturating_mul(NS_PER_S))
    }

    /// Brings the RTC up to guest time `now_ns` (latching a match that
    /// happened by then) and drives its interrupt line.
    fn update(&self, now_ns: u64) {
        let level = self.lock_state_at(now_ns).0.mis();
        self.irq.lock().set_level(level);
    }
}

mmio_device_of_registers!(Pl031, |self| &self.name);

#[cfg(test)]
mod tests {
    use super::*;

    fn state(started: bool, value: u32, mr: u32) -> Pl031State {
        let mut s = Pl031State::reset(value, 10);
        s.started = started;
        s.match_value = mr;
        s
    }

    #[test]
    fn counter_counts_edges_only_when_started() {
        let s = state(false, 7, 0);
        assert_eq!(s.counter_at(20), 7);
        let s = state(true, 7, 0);
        assert_eq!(s.counter_at(10), 7);
        assert_eq!(s.counter_at(13), 10);
        let s = state(true, u32::MAX, 0);
        assert_eq!(s.counter_at(11), 0, "wraps modulo 2^32");
    }

    #[test]
    fn match_by_counting() {
        let mut s = state(true, 100, 103);
        assert_eq!(s.edges_to_match(10), 3);
        s.advance(12);
        assert!(!s.ris);
        s.advance(13);
        assert!(s.ris);
        // Equal now: the next match is a full wrap away.
        let s = state(true, 5, 5);
        assert_eq!(s.edges_to_match(10), 1 << 32);
        // A jump over the match still latches it.
        let mut s = state(true, 0, 50);
        s.advance(1000);
        assert!(s.ris);
        // Stopped: never.
        let mut s = state(false, 0, 1);
        s.advance(1000);
        assert!(!s.ris);
    }

    #[test]
    fn clk1hz_edges_are_whole_guest_seconds() {
        assert_eq!(edge_at(0), 0);
        assert_eq!(edge_at(999_999_999), 0);
        assert_eq!(edge_at(1_000_000_000), 1);
    }
}
