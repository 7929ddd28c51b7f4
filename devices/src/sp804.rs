//! ARM Dual-Timer Module (SP804): the FVP motherboard's two dual timers at
//! 0x1c11_0000 (timer@110000, `interrupts = <2>`: SPI 2, INTID 34) and
//! 0x1c12_0000 (timer@120000, SPI 3, INTID 35), which Linux's
//! `timer-sp804.c` uses as a clocksource and clockevent.
//!
//! References: *ARM Dual-Timer Module (SP804) Technical Reference Manual*
//! (Arm DDI 0271), 2.2 "Functional overview" (free-running, periodic and
//! one-shot modes; the interrupt when the counter reaches zero) and
//! chapter 3 "Programmers Model" (TimerXLoad, TimerXValue, TimerXControl,
//! TimerXIntClr, TimerXRIS, TimerXMIS, TimerXBGLoad, TimerITCR,
//! TimerITOP, TimerPeriphID0-3, TimerPCellID0-3); Linux
//! `drivers/clocksource/timer-sp804.c` and `timer-sp.h`.
//!
//! What is implemented, per timer X (1 at 0x00, 2 at 0x20):
//! * TimerXControl: OneShot \[0\], TimerSize \[1\] (0 = 16-bit, 1 = 32-bit),
//!   TimerPre \[3:2\] (00 = /1, 01 = /16, 10 = /256; 11 is "undefined, do
//!   not use": counted as /256 and logged), IntEnable \[5\], TimerMode \[6\]
//!   (0 = free-running, 1 = periodic), TimerEn \[7\]. Reset 0x20.
//! * The counter decrements on each TIMCLKEN tick divided by the
//!   prescaler, while TimerEn is set. TIMCLKEN runs at the rate the SP810
//!   selects for the timer ([`Sp810::timer_clock_hz`]: REFCLK 32.768 kHz at
//!   reset, TIMCLK 1 MHz once software sets SCCTRL.TimerEn\<n\>Sel), or at a
//!   fixed rate ([`TimerClock::Fixed`]). When the counter reaches zero
//!   TimerXRIS is set (and stays set until TimerXIntClr is written); on
//!   the next tick a one-shot counter halts at zero, a periodic one reloads
//!   from TimerXLoad, a free-running one wraps to 0xFFFF / 0xFFFF_FFFF. So
//!   a periodic timer with TimerXLoad = N raises its interrupt every N + 1
//!   ticks, N ticks after the load.
//! * Writing TimerXLoad loads the counter at once ("the counter is
//!   immediately restarted"); writing 0 raises the interrupt at once (the
//!   TRM's minimum valid value is 1). TimerXBGLoad writes the same register
//!   without restarting the counter; both read TimerXLoad. In 16-bit mode
//!   the low 16 bits of TimerXLoad are used.
//! * TimerXValue: the counter (reset 0xFFFF_FFFF); TimerXRIS; TimerXMIS =
//!   TimerXRIS & IntEnable; TimerXIntClr (write-only) clears TimerXRIS.
//! * The interrupt output is TIMINTC (TIMINT1 | TIMINT2, each the timer's
//!   MIS), the one FVP wires to the GIC, driven on the [`InterruptLine`]
//!   given with [`Sp804::connect_interrupt`].
//! * TimerITCR / TimerITOP (integration test): in test mode (ITCR \[0\])
//!   TIMINT1 and TIMINT2 follow TimerITOP \[0\] and \[1\].
//! * Identification registers: part 0x804, designer 0x41, revision 1.
//!
//! Time: the model is evaluated lazily on guest time ([`GuestClock`]); no
//! work per instruction. Every register access and [`TimedDevice::update`]
//! bring it up to the current time; [`TimedDevice::next_event_ns`] says
//! when an interrupt that is now low will rise, so an idle machine can jump
//! there. Changes of clock rate (TimerPre, SP810 selection) and TimerXLoad
//! writes start a new counting epoch at the last tick; otherwise the tick
//! times are computed from the epoch, so they never drift.
//!
//! Bad accesses (no register, read of a write-only or write of a read-only
//! register, wrong size) are logged once per offset and counted (target
//! `platform`), never failed.

use crate::access::{BadAccess, BadAccesses, mmio_device_of_registers};
use crate::guest_clock::GuestClock;
use crate::interrupt_line::InterruptLine;
use crate::peripheral_id::{CIDR_PRIMECELL, IdRegs};
use crate::sp810::Sp810;
use crate::timed_device::TimedDevice;
use parking_lot::Mutex;
use rme_mmu::AccessAttrs;
use std::sync::{Arc, Weak};

/// FVP Base RevC addresses and interrupts (SPI numbers: INTID 32 + n).
pub const FVP_SP804_0_BASE: u64 = 0x1c11_0000;
pub const FVP_SP804_1_BASE: u64 = 0x1c12_0000;
pub const FVP_SP804_0_SPI: u32 = 2;
pub const FVP_SP804_1_SPI: u32 = 3;
pub const SP804_SIZE: u64 = 0x1000;

/// Offsets within a timer's block; timer 1 at 0x00, timer 2 at 0x20.
pub const TIMER_LOAD: u64 = 0x00;
pub const TIMER_VALUE: u64 = 0x04;
pub const TIMER_CONTROL: u64 = 0x08;
pub const TIMER_INTCLR: u64 = 0x0c;
pub const TIMER_RIS: u64 = 0x10;
pub const TIMER_MIS: u64 = 0x14;
pub const TIMER_BGLOAD: u64 = 0x18;
/// The second timer's block.
pub const TIMER2: u64 = 0x20;
pub const TIMER_ITCR: u64 = 0xf00;
pub const TIMER_ITOP: u64 = 0xf04;

/// TimerXControl bits.
pub const CTRL_ONESHOT: u32 = 1 << 0;
pub const CTRL_32BIT: u32 = 1 << 1;
pub const CTRL_PRE_SHIFT: u32 = 2;
pub const CTRL_PRE_16: u32 = 0b01 << CTRL_PRE_SHIFT;
pub const CTRL_PRE_256: u32 = 0b10 << CTRL_PRE_SHIFT;
pub const CTRL_INTEN: u32 = 1 << 5;
pub const CTRL_PERIODIC: u32 = 1 << 6;
pub const CTRL_ENABLE: u32 = 1 << 7;
/// The defined bits (bit 4 is reserved).
const CTRL_MASK: u32 = 0xef;
/// TimerXControl at reset: IntEnable.
pub const CTRL_RESET: u32 = CTRL_INTEN;

/// TimerPeriphID0-3 (part 0x804, designer 0x41, revision 1), TimerPCellID0-3.
const IDS: IdRegs = IdRegs { pidr: [0x04, 0x18, 0x14, 0x00, 0, 0, 0, 0], cidr: CIDR_PRIMECELL };

const NS_PER_S: u128 = 1_000_000_000;

/// Where the timers' clock enables come from.
#[derive(Clone)]
pub enum TimerClock {
    /// Both timers count at this rate (Hz) before the prescaler.
    Fixed(u64),
    /// Timer 1 counts at `sysctl.timer_clock_hz(first)`, timer 2 at
    /// `first + 1` (FVP: 0 for the SP804 at 0x1c11_0000, 2 for 0x1c12_0000).
    Sp810 { sysctl: Arc<Sp810>, first: usize },
}

/// One timer's registers and counting epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sp804Timer {
    /// TimerXLoad (= TimerXBGLoad).
    pub load: u32,
    pub control: u32,
    /// TimerXRIS.
    pub ris: bool,
    /// The counter at `epoch_ns` (TimerXValue while stopped).
    pub value: u32,
    /// Guest time (ns) at which the counter held `value`, while enabled.
    pub epoch_ns: u64,
    /// Ticks since the epoch whose zero crossings are already in `ris`.
    pub seen_ticks: u64,
}

impl Sp804Timer {
    fn reset() -> Sp804Timer {
        Sp804Timer { load: 0, control: CTRL_RESET, ris: false, value: u32::MAX, epoch_ns: 0, seen_ticks: 0 }
    }

    fn enabled(&self) -> bool {
        self.control & CTRL_ENABLE != 0
    }

    fn mis(&self) -> bool {
        self.ris && self.control & CTRL_INTEN != 0
    }

    fn width(&self) -> u64 {
        if self.control & CTRL_32BIT != 0 { 0xffff_ffff } else { 0xffff }
    }

    fn oneshot(&self) -> bool {
        self.control & CTRL_ONESHOT != 0
    }

    /// The value the counter takes on the tick after zero: TimerXLoad
    /// (periodic) or the maximum (free-running).
    fn top(&self) -> u64 {
        if self.control & CTRL_PERIODIC != 0 { u64::from(self.load) & self.width() } else { self.width() }
    }

    /// Ticks from zero to the next zero (periodic / free-running).
    fn period(&self) -> u64 {
        self.top() + 1
    }

    fn prescale(&self) -> u64 {
        match (self.control >> CTRL_PRE_SHIFT) & 3 {
            0 => 1,
            1 => 16,
            _ => 256,
        }
    }

    /// The counter at the epoch, as the counter logic sees it.
    fn v0(&self) -> u64 {
        u64::from(self.value) & self.width()
    }

    /// Ticks elapsed from the epoch to `now` at `hz` / prescale.
    fn ticks(&self, now: u64, hz: u64) -> u64 {
        if !self.enabled() || hz == 0 {
            return 0;
        }
        let dt = u128::from(now.saturating_sub(self.epoch_ns));
        u64::try_from(dt * u128::from(hz) / (NS_PER_S * u128::from(self.prescale()))).unwrap_or(u64::MAX)
    }

    /// Guest ns from the epoch to tick `k` (rounded up).
    fn tick_ns(&self, k: u64, hz: u64) -> u64 {
        let ns = (u128::from(k) * NS_PER_S * u128::from(self.prescale())).div_ceil(u128::from(hz.max(1)));
        u64::try_from(ns).unwrap_or(u64::MAX)
    }

    /// How many times the counter reached zero in ticks 1..=n.
    fn hits_upto(&self, n: u64) -> u64 {
        let v0 = self.v0();
        let from_zero = |m: u64| if self.oneshot() { 0 } else { m / self.period() };
        match (n, v0) {
            (0, _) => 0,
            (n, 0) => from_zero(n),
            (n, v0) if n < v0 => 0,
            (n, v0) => 1 + from_zero(n - v0),
        }
    }

    /// TimerXValue after `n` ticks.
    fn value_at(&self, n: u64) -> u32 {
        if n == 0 {
            return self.value;
        }
        let v0 = self.v0();
        if v0 > 0 && n < v0 {
            return (v0 - n) as u32;
        }
        let m = n - v0;
        if self.oneshot() {
            return 0;
        }
        let k = m % self.period();
        if k == 0 { 0 } else { (self.top() + 1 - k) as u32 }
    }

    /// The first tick after `seen` at which the counter reaches zero.
    fn next_hit_after(&self, seen: u64) -> Option<u64> {
        let v0 = self.v0();
        if v0 > 0 && seen < v0 {
            return Some(v0);
        }
        if self.oneshot() {
            return None;
        }
        let p = self.period();
        let j = (seen - v0) / p + 1;
        j.checked_mul(p)?.checked_add(v0)
    }

    /// Brings RIS up to `now`.
    fn sync(&mut self, now: u64, hz: u64) {
        let n = self.ticks(now, hz).max(self.seen_ticks);
        if self.hits_upto(n) > self.hits_upto(self.seen_ticks) {
            self.ris = true;
        }
        self.seen_ticks = n;
    }

    /// Brings the timer up to `now` and starts a new epoch at the last
    /// tick (before a change of the counting parameters).
    fn rebase(&mut self, now: u64, hz: u64) {
        self.sync(now, hz);
        if self.enabled() {
            let n = self.seen_ticks;
            self.value = self.value_at(n);
            self.epoch_ns = self.epoch_ns.saturating_add(self.tick_ns(n, hz));
            self.seen_ticks = 0;
        }
    }
}

/// The guest-visible state of an SP804.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sp804State {
    pub timers: [Sp804Timer; 2],
    pub itcr: u32,
    pub itop: u32,
}

impl Sp804State {
    fn reset() -> Sp804State {
        Sp804State { timers: [Sp804Timer::reset(), Sp804Timer::reset()], itcr: 0, itop: 0 }
    }

    /// TIMINTC.
    fn level(&self) -> bool {
        if self.itcr & 1 != 0 { self.itop & 3 != 0 } else { self.timers.iter().any(Sp804Timer::mis) }
    }
}

/// One SP804 dual timer.
pub struct Sp804 {
    name: String,
    clock: Arc<GuestClock>,
    timclk: TimerClock,
    inner: Mutex<Sp804State>,
    irq: Mutex<InterruptLine>,
    bad: BadAccesses,
}

impl Sp804 {
    /// A dual timer named `name` in logs, counting on `clock` at the rates
    /// `timclk` gives. With an SP810 it registers to hear of clock changes.
    pub fn new(name: impl Into<String>, clock: Arc<GuestClock>, timclk: TimerClock) -> Arc<Sp804> {
        Arc::new_cyclic(|me: &Weak<Sp804>| {
            if let TimerClock::Sp810 { sysctl, .. } = &timclk {
                let me = me.clone();
                sysctl.on_timer_clock_change(move || {
                    if let Some(t) = me.upgrade() {
                        t.rebase_all();
                    }
                });
            }
            Sp804 {
                name: name.into(),
                clock,
                timclk,
                inner: Mutex::new(Sp804State::reset()),
                irq: Mutex::new(InterruptLine::unconnected()),
                bad: BadAccesses::default(),
            }
        })
    }

    /// Wires TIMINTC to `line` (and drives it with the current level).
    pub fn connect_interrupt(&self, line: InterruptLine) {
        let level = self.inner.lock().level();
        line.set_level(level);
        *self.irq.lock() = line;
    }

    /// The rate (Hz, before the prescaler) of timer `i` (0 or 1).
    pub fn clock_hz(&self, i: usize) -> u64 {
        match &self.timclk {
            TimerClock::Fixed(hz) => *hz,
            TimerClock::Sp810 { sysctl, first } => sysctl.timer_clock_hz(first + i),
        }
    }

    fn rebase_all(&self) {
        let now = self.clock.now_ns();
        let mut s = self.inner.lock();
        for i in 0..2 {
            let hz = self.clock_hz(i);
            s.timers[i].rebase(now, hz);
        }
    }

    /// Runs `f` on the state brought up to `now`, then drives TIMINTC.
    fn with_state<R>(&self, now: u64, f: impl FnOnce(&mut Sp804State, [u64; 2]) -> R) -> R {
        let hz = [self.clock_hz(0), self.clock_hz(1)];
        let (r, level) = {
            let mut s = self.inner.lock();
            for (t, hz) in s.timers.iter_mut().zip(hz) {
                t.sync(now, hz);
            }
            let r = f(&mut s, hz);
            (r, s.level())
        };
        self.irq.lock().set_level(level);
        r
    }

    /// TIMINTC at the current guest time.
    pub fn irq_level(&self) -> bool {
        self.with_state(self.clock.now_ns(), |s, _| s.level())
    }

    /// TimerXValue of timer `i` now.
    pub fn value_now(&self, i: usize) -> u32 {
        let now = self.clock.now_ns();
        self.with_state(now, |s, hz| {
            let t = &s.timers[i];
            t.value_at(t.ticks(now, hz[i]))
        })
    }

    /// A copy of the state (at the current guest time).
    pub fn state(&self) -> Sp804State {
        self.with_state(self.clock.now_ns(), |s, _| s.clone())
    }

    /// Returns the timers to their reset state (bad-access count kept).
    pub fn reset(&self) {
        *self.inner.lock() = Sp804State::reset();
        self.irq.lock().set_level(false);
    }

    /// Accesses that reached no register (see the module documentation).
    pub fn bad_accesses(&self) -> u64 {
        self.bad.count()
    }

    fn bad_access(&self, offset: u64, size: u8, write: bool, why: BadAccess) {
        self.bad.report(&self.name, offset, size, write, why);
    }

    fn read_reg(&self, reg: u64, _attrs: AccessAttrs) -> Result<u32, BadAccess> {
        let now = self.clock.now_ns();
        self.with_state(now, |s, hz| {
            if reg < 2 * TIMER2 {
                let i = (reg / TIMER2) as usize;
                let t = &s.timers[i];
                return match reg % TIMER2 {
                    TIMER_LOAD | TIMER_BGLOAD => Ok(t.load),
                    TIMER_VALUE => Ok(t.value_at(t.ticks(now, hz[i]))),
                    TIMER_CONTROL => Ok(t.control),
                    TIMER_RIS => Ok(u32::from(t.ris)),
                    TIMER_MIS => Ok(u32::from(t.mis())),
                    TIMER_INTCLR => Err(BadAccess::WriteOnly),
                    _ => Err(BadAccess::NoRegister),
                };
            }
            match reg {
                TIMER_ITCR => Ok(s.itcr),
                TIMER_ITOP => Err(BadAccess::WriteOnly),
                r => IDS.read(r).ok_or(BadAccess::NoRegister),
            }
        })
    }

    fn write_reg(&self, reg: u64, value: u32, _attrs: AccessAttrs) -> Result<(), BadAccess> {
        let now = self.clock.now_ns();
        self.with_state(now, |s, hz| {
            if reg < 2 * TIMER2 {
                let i = (reg / TIMER2) as usize;
                let t = &mut s.timers[i];
                match reg % TIMER2 {
                    TIMER_LOAD => {
                        // "the counter is immediately restarted from the new
                        // value"; 0 raises the interrupt at once.
                        t.load = value;
                        t.value = value;
                        t.epoch_ns = now;
                        t.seen_ticks = 0;
                        if t.enabled() && t.v0() == 0 {
                            t.ris = true;
                        }
                    }
                    TIMER_BGLOAD => {
                        // The next reload uses it; the count goes on.
                        t.rebase(now, hz[i]);
                        t.load = value;
                    }
                    TIMER_CONTROL => {
                        t.rebase(now, hz[i]);
                        let was = t.enabled();
                        t.control = value & CTRL_MASK;
                        if !was && t.enabled() {
                            t.epoch_ns = now;
                            t.seen_ticks = 0;
                        }
                        if (value >> CTRL_PRE_SHIFT) & 3 == 3 {
                            tracing::debug!(target: "platform", device = %self.name, timer = i + 1,
                                "TimerPre = 11 (undefined): counting at /256");
                        }
                    }
                    TIMER_INTCLR => t.ris = false,
                    TIMER_VALUE | TIMER_RIS | TIMER_MIS => return Err(BadAccess::ReadOnly),
                    _ => return Err(BadAccess::NoRegister),
                }
                return Ok(());
            }
            match reg {
                TIMER_ITCR => s.itcr = value & 1,
                TIMER_ITOP => s.itop = value & 3,
                r if IDS.read(r).is_some() => return Err(BadAccess::ReadOnly),
                _ => return Err(BadAccess::NoRegister),
            }
            Ok(())
        })
    }
}

impl TimedDevice for Sp804 {
    /// When a timer whose interrupt is enabled and not yet raised next
    /// reaches zero (in test mode, never).
    fn next_event_ns(&self) -> Option<u64> {
        let now = self.clock.now_ns();
        self.with_state(now, |s, hz| {
            if s.itcr & 1 != 0 {
                return None;
            }
            s.timers
                .iter()
                .zip(hz)
                .filter(|(t, hz)| t.enabled() && t.control & CTRL_INTEN != 0 && !t.ris && *hz > 0)
                .filter_map(|(t, hz)| {
                    let tick = t.next_hit_after(t.seen_ticks)?;
                    Some(t.epoch_ns.saturating_add(t.tick_ns(tick, hz)))
                })
                .min()
        })
    }

    fn update(&self, now_ns: u64) {
        self.with_state(now_ns, |_, _| ());
    }
}

mmio_device_of_registers!(Sp804, |self| &self.name);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sp810::{SCCTRL, Sp810Config, scctrl_timeren_sel};
    use rme_mmu::{MmioDevice, Pas};

    fn attrs() -> AccessAttrs {
        AccessAttrs::cpu(0, Pas::NonSecure)
    }

    struct Rig {
        t: Arc<Sp804>,
        clock: Arc<GuestClock>,
        line: InterruptLine,
    }

    /// A dual timer at a fixed 1 MHz (1 tick = 1000 ns), its line connected.
    fn rig_hz(hz: u64) -> Rig {
        let clock = Arc::new(GuestClock::new());
        let t = Sp804::new("timer", clock.clone(), TimerClock::Fixed(hz));
        let line = InterruptLine::unconnected();
        t.connect_interrupt(line.clone());
        Rig { t, clock, line }
    }

    fn rig() -> Rig {
        rig_hz(1_000_000)
    }

    impl Rig {
        fn r(&self, off: u64) -> u32 {
            self.t.read(off, 4, attrs()).unwrap() as u32
        }
        fn w(&self, off: u64, v: u32) {
            self.t.write(off, 4, u64::from(v), attrs()).unwrap()
        }
        /// Moves guest time to `us` microseconds and updates the device as
        /// the machine does.
        fn at_us(&self, us: u64) {
            self.clock.advance_to(us * 1000);
            self.t.update(us * 1000);
        }
    }

    /// DDI 0271 3.2 "Summary of registers": TimerXLoad 0, TimerXValue
    /// 0xFFFFFFFF, TimerXControl 0x20, RIS/MIS 0, BGLoad 0, ITCR 0;
    /// TimerPeriphID0-3 0x04 0x18 0x14 0x00, TimerPCellID0-3 0x0D 0xF0 0x05
    /// 0xB1. A disabled timer does not count.
    #[test]
    fn reset_values_and_ids() {
        let r = rig();
        r.at_us(5000);
        for base in [0, TIMER2] {
            assert_eq!(r.r(base + TIMER_LOAD), 0);
            assert_eq!(r.r(base + TIMER_VALUE), 0xffff_ffff);
            assert_eq!(r.r(base + TIMER_CONTROL), 0x20);
            assert_eq!(r.r(base + TIMER_RIS), 0);
            assert_eq!(r.r(base + TIMER_MIS), 0);
            assert_eq!(r.r(base + TIMER_BGLOAD), 0);
        }
        assert_eq!(r.r(TIMER_ITCR), 0);
        let ids: Vec<u32> = (0..8).map(|i| r.r(0xfe0 + 4 * i)).collect();
        assert_eq!(ids, [0x04, 0x18, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1]);
        assert_eq!(IDS.part_number(), 0x804);
        assert_eq!(r.t.bad_accesses(), 0);
        assert_eq!(r.t.next_event_ns(), None);
        assert!(!r.line.level());
    }

    /// One-shot: the counter counts Load ticks down to zero, raises the
    /// interrupt, and halts at zero ("until you reprogram it").
    #[test]
    fn one_shot_stops_at_zero() {
        let r = rig();
        r.w(TIMER_LOAD, 1000);
        r.w(TIMER_CONTROL, CTRL_ENABLE | CTRL_INTEN | CTRL_32BIT | CTRL_ONESHOT);
        assert_eq!(r.t.next_event_ns(), Some(1_000_000));
        r.at_us(400);
        assert_eq!(r.r(TIMER_VALUE), 600);
        assert!(!r.line.level());
        r.at_us(999);
        assert_eq!(r.r(TIMER_RIS), 0);
        r.at_us(1000);
        assert_eq!(r.r(TIMER_VALUE), 0);
        assert_eq!((r.r(TIMER_RIS), r.r(TIMER_MIS)), (1, 1));
        assert!(r.line.level());
        assert_eq!(r.t.next_event_ns(), None, "raised already");
        r.at_us(50_000);
        assert_eq!(r.r(TIMER_VALUE), 0, "halted");
        r.w(TIMER_INTCLR, 1);
        assert_eq!(r.r(TIMER_RIS), 0);
        assert!(!r.line.level());
        assert_eq!(r.t.next_event_ns(), None, "one-shot over");
        r.at_us(100_000);
        assert_eq!(r.r(TIMER_RIS), 0, "no second interrupt");
        // Writing TimerXLoad restarts it.
        r.w(TIMER_LOAD, 10);
        assert_eq!(r.t.next_event_ns(), Some(100_010_000));
        r.at_us(100_010);
        assert!(r.line.level());
    }

    /// Periodic: reloads from TimerXLoad after reaching zero, an interrupt
    /// every Load + 1 ticks.
    #[test]
    fn periodic_reloads_from_load() {
        let r = rig();
        r.w(TIMER_LOAD, 99);
        r.w(TIMER_CONTROL, CTRL_ENABLE | CTRL_INTEN | CTRL_32BIT | CTRL_PERIODIC);
        r.at_us(99);
        assert_eq!((r.r(TIMER_VALUE), r.r(TIMER_RIS)), (0, 1));
        r.w(TIMER_INTCLR, 1);
        r.at_us(100);
        assert_eq!(r.r(TIMER_VALUE), 99, "reloaded");
        assert_eq!(r.t.next_event_ns(), Some(199_000));
        r.at_us(150);
        assert_eq!(r.r(TIMER_VALUE), 49);
        r.at_us(199);
        assert_eq!(r.r(TIMER_RIS), 1);
        r.w(TIMER_INTCLR, 1);
        // Many periods later, in one jump: one interrupt raised.
        r.at_us(199 + 100 * 1000 + 30);
        assert_eq!((r.r(TIMER_VALUE), r.r(TIMER_RIS)), (70, 1));
    }

    /// Free-running 32-bit: wraps from 0 to 0xFFFFFFFF, not to Load.
    #[test]
    fn free_running_wraps_to_max() {
        let r = rig();
        r.w(TIMER_LOAD, 5);
        r.w(TIMER_CONTROL, CTRL_ENABLE | CTRL_INTEN | CTRL_32BIT);
        r.at_us(5);
        assert_eq!((r.r(TIMER_VALUE), r.r(TIMER_RIS)), (0, 1));
        r.w(TIMER_INTCLR, 1);
        r.at_us(6);
        assert_eq!(r.r(TIMER_VALUE), 0xffff_ffff);
        r.at_us(8);
        assert_eq!(r.r(TIMER_VALUE), 0xffff_fffd);
        assert_eq!(r.t.next_event_ns(), Some((6 + 0xffff_ffff) * 1000));
    }

    /// 16-bit mode (the reset TimerSize): the low 16 bits of Load count,
    /// and a free-running counter wraps to 0xFFFF.
    #[test]
    fn sixteen_bit_wrap() {
        let r = rig();
        r.w(TIMER_LOAD, 0x1_0003);
        r.w(TIMER_CONTROL, CTRL_ENABLE | CTRL_INTEN);
        r.at_us(2);
        assert_eq!(r.r(TIMER_VALUE), 1);
        r.at_us(3);
        assert_eq!(r.r(TIMER_RIS), 1);
        r.at_us(4);
        assert_eq!(r.r(TIMER_VALUE), 0xffff);
        r.at_us(4 + 0xffff);
        assert_eq!(r.r(TIMER_VALUE), 0);
        // Periodic 16-bit reloads the low half of Load.
        r.w(TIMER_CONTROL, CTRL_ENABLE | CTRL_INTEN | CTRL_PERIODIC);
        r.at_us(5 + 0xffff);
        assert_eq!(r.r(TIMER_VALUE), 3);
        assert_eq!(r.r(TIMER_LOAD), 0x1_0003);
    }

    /// TimerPre: /16 and /256 of the timer clock.
    #[test]
    fn prescale() {
        let r = rig();
        r.w(TIMER_LOAD, 1000);
        r.w(TIMER_CONTROL, CTRL_ENABLE | CTRL_32BIT | CTRL_PRE_16);
        r.w(TIMER2 + TIMER_LOAD, 1000);
        r.w(TIMER2 + TIMER_CONTROL, CTRL_ENABLE | CTRL_32BIT | CTRL_PRE_256);
        r.at_us(256 * 10 + 5);
        assert_eq!(r.r(TIMER_VALUE), 1000 - 160);
        assert_eq!(r.r(TIMER2 + TIMER_VALUE), 1000 - 10);
        // Back to /1: the new rate counts from the last /16 tick (2560 us).
        r.w(TIMER_CONTROL, CTRL_ENABLE | CTRL_32BIT);
        r.at_us(256 * 10 + 5 + 40);
        assert_eq!(r.r(TIMER_VALUE), 1000 - 160 - 45);
    }

    /// TimerXBGLoad sets the reload value without restarting the count;
    /// both read TimerXLoad.
    #[test]
    fn bgload_does_not_restart() {
        let r = rig();
        r.w(TIMER_LOAD, 100);
        r.w(TIMER_CONTROL, CTRL_ENABLE | CTRL_INTEN | CTRL_32BIT | CTRL_PERIODIC);
        r.at_us(30);
        r.w(TIMER_BGLOAD, 10);
        assert_eq!(r.r(TIMER_LOAD), 10);
        assert_eq!(r.r(TIMER_BGLOAD), 10);
        assert_eq!(r.r(TIMER_VALUE), 70, "not restarted");
        r.at_us(100);
        assert_eq!(r.r(TIMER_RIS), 1);
        r.at_us(101);
        assert_eq!(r.r(TIMER_VALUE), 10, "reloaded from the new value");
        // Load, by contrast, restarts.
        r.w(TIMER_LOAD, 500);
        assert_eq!(r.r(TIMER_VALUE), 500);
    }

    /// TimerXMIS = TimerXRIS & IntEnable; TIMINTC is either timer's MIS;
    /// TimerXIntClr clears the raw status.
    #[test]
    fn mis_is_ris_and_inten_and_intclr() {
        let r = rig();
        r.w(TIMER_LOAD, 10);
        r.w(TIMER_CONTROL, CTRL_ENABLE | CTRL_32BIT | CTRL_ONESHOT); // IntEnable = 0
        r.w(TIMER2 + TIMER_LOAD, 20);
        r.w(TIMER2 + TIMER_CONTROL, CTRL_ENABLE | CTRL_INTEN | CTRL_32BIT | CTRL_ONESHOT);
        assert_eq!(r.t.next_event_ns(), Some(20_000), "timer 1's interrupt is disabled");
        r.at_us(10);
        assert_eq!((r.r(TIMER_RIS), r.r(TIMER_MIS)), (1, 0));
        assert!(!r.line.level());
        r.w(TIMER_CONTROL, CTRL_ENABLE | CTRL_INTEN | CTRL_32BIT | CTRL_ONESHOT);
        assert_eq!(r.r(TIMER_MIS), 1);
        assert!(r.line.level());
        r.w(TIMER_INTCLR, 0);
        assert!(!r.line.level());
        r.at_us(20);
        assert_eq!((r.r(TIMER2 + TIMER_RIS), r.r(TIMER2 + TIMER_MIS)), (1, 1));
        assert!(r.line.level());
        r.w(TIMER2 + TIMER_INTCLR, 1);
        assert!(!r.line.level());
        // Writing Load = 0 raises the interrupt at once.
        r.w(TIMER_LOAD, 0);
        assert!(r.line.level());
    }

    /// Disabling holds the count; re-enabling continues from it.
    #[test]
    fn disable_holds_value() {
        let r = rig();
        r.w(TIMER_LOAD, 100);
        r.w(TIMER_CONTROL, CTRL_ENABLE | CTRL_32BIT);
        r.at_us(40);
        r.w(TIMER_CONTROL, CTRL_32BIT);
        r.at_us(1000);
        assert_eq!(r.r(TIMER_VALUE), 60);
        r.w(TIMER_CONTROL, CTRL_ENABLE | CTRL_32BIT);
        r.at_us(1010);
        assert_eq!(r.r(TIMER_VALUE), 50);
    }

    /// Bad accesses: the write-only IntClr / ITOP, the read-only
    /// Value / RIS / MIS / IDs, the reserved 0x1C.
    #[test]
    fn bad_accesses_are_counted() {
        let r = rig();
        assert_eq!(r.r(TIMER_INTCLR), 0);
        r.w(TIMER_VALUE, 5);
        r.w(TIMER2 + TIMER_RIS, 5);
        r.w(0xfe0, 5);
        assert_eq!(r.r(0x1c), 0);
        assert_eq!(r.r(TIMER_ITOP), 0);
        assert_eq!(r.t.bad_accesses(), 6);
        assert_eq!(r.r(TIMER_VALUE), 0xffff_ffff);
    }

    /// Integration test mode: TIMINTC follows TimerITOP.
    #[test]
    fn integration_test_mode() {
        let r = rig();
        r.w(TIMER_ITCR, 1);
        r.w(TIMER_ITOP, 2);
        assert!(r.line.level());
        r.w(TIMER_ITOP, 0);
        assert!(!r.line.level());
        r.w(TIMER_ITCR, 0);
        assert_eq!(r.t.bad_accesses(), 0);
    }

    /// The SP810 selects the rate: REFCLK (32.768 kHz) at reset, TIMCLK
    /// (1 MHz) once SCCTRL.TimerEn\<n\>Sel is set; the count before the change
    /// is kept. The second SP804 uses selections 2 and 3.
    #[test]
    fn sp810_selects_the_count_rate() {
        let clock = Arc::new(GuestClock::new());
        let sysctl = Arc::new(Sp810::new("sysctl", Sp810Config::FVP));
        let t = Sp804::new("timer0", clock.clone(), TimerClock::Sp810 { sysctl: sysctl.clone(), first: 0 });
        let t1 = Sp804::new("timer1", clock.clone(), TimerClock::Sp810 { sysctl: sysctl.clone(), first: 2 });
        let w = |off: u64, v: u32| t.write(off, 4, u64::from(v), attrs()).unwrap();
        let r = |off: u64| t.read(off, 4, attrs()).unwrap() as u32;
        w(TIMER_LOAD, 100_000);
        w(TIMER_CONTROL, CTRL_ENABLE | CTRL_32BIT);
        w(TIMER2 + TIMER_LOAD, 100_000);
        w(TIMER2 + TIMER_CONTROL, CTRL_ENABLE | CTRL_32BIT);
        // 1 s at 32768 Hz.
        clock.advance_to(1_000_000_000);
        assert_eq!(r(TIMER_VALUE), 100_000 - 32_768);
        // Timer 0 to 1 MHz; timer 1 (selection 1) stays on REFCLK.
        sysctl.write(SCCTRL, 4, u64::from(scctrl_timeren_sel(0) | 0b100), attrs()).unwrap();
        assert_eq!(t.clock_hz(0), 1_000_000);
        assert_eq!(t.clock_hz(1), 32_768);
        assert_eq!(t1.clock_hz(0), 32_768);
        clock.advance_to(1_010_000_000);
        assert_eq!(r(TIMER_VALUE), 100_000 - 32_768 - 10_000);
        assert_eq!(r(TIMER2 + TIMER_VALUE), 100_000 - 33_095); // 1.01 s * 32768
    }

    /// A rate that does not divide 1 s: tick times computed from the epoch
    /// (rounded up), so there is no drift over many periods.
    #[test]
    fn refclk_ticks_do_not_drift() {
        let r = rig_hz(32_768);
        r.w(TIMER_LOAD, 32_767);
        r.w(TIMER_CONTROL, CTRL_ENABLE | CTRL_INTEN | CTRL_32BIT | CTRL_PERIODIC);
        for s in 1..=100u64 {
            let next = r.t.next_event_ns().unwrap();
            assert_eq!(next, ((s * 32_768 - 1) * 1_000_000_000).div_ceil(32_768), "period {s}");
            r.clock.advance_to(next);
            r.t.update(next);
            assert!(r.line.level());
            r.w(TIMER_INTCLR, 1);
        }
    }
}
