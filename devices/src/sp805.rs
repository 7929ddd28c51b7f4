//! Arm PrimeCell Watchdog Module (SP805): the FVP's Trusted Watchdog at
//! 0x2a49_0000 and the Non-secure V2M watchdog at 0x1c0f_0000.
//!
//! References: *ARM Watchdog Module (SP805) Technical Reference Manual*
//! (Arm DDI 0270), chapter 3 "Programmers Model" (WdogLoad, WdogValue,
//! WdogControl, WdogIntClr, WdogRIS, WdogMIS, WdogLock, WdogITCR,
//! WdogITOP, the identification registers) and 2.2 "Functional
//! description"; TF-A `drivers/arm/sp805/sp805.c` (`sp805_start`: WdogLoad,
//! then WdogControl = RESEN | INTEN, then lock; `sp805_refresh`: unlock,
//! WdogLoad, lock), `include/plat/arm/common/arm_def.h` (32768 Hz clock);
//! Linux `drivers/watchdog/sp805_wdt.c`. This TF-A build disables the
//! Trusted Watchdog (`ARM_DISABLE_TRUSTED_WDOG=1`); Linux may drive the
//! Non-secure one.
//!
//! What is implemented:
//! * The counter runs on guest time ([`GuestClock`]) at
//!   [`Sp805Config::clock_hz`] (32768 Hz on FVP), only while
//!   `WdogControl.INTEN` is set. Each count-down lasts `WdogLoad + 1` ticks
//!   (from WdogLoad down to 0 inclusive; Linux's `wdt_timeleft` counts the
//!   same way). When a count-down ends the interrupt is raised (WdogRIS)
//!   and the counter reloads from WdogLoad and counts again; when one ends
//!   while the interrupt is still raised and `RESEN` is set, the watchdog
//!   resets the system: it posts [`PowerRequest::Reboot`] to the shared
//!   [`SystemControl`] (once; the machine resets the device with the
//!   system). So the watchdog never fires unless it is enabled and counting.
//! * Writing WdogLoad reloads the counter at once; writing WdogIntClr clears
//!   the interrupt and reloads the counter; setting INTEN (from 0) reloads
//!   the counter; clearing it stops the counter, WdogValue holding its value.
//! * WdogLock: writing 0x1ACCE551 enables writes to the other registers, any
//!   other value disables them (ignored writes are logged and counted);
//!   reads return 1 when locked.
//! * WdogITCR/WdogITOP (integration test): held; in test mode the
//!   interrupt output follows WdogITOP.WDOGINT. WdogITOP.WDOGRES is logged,
//!   not acted on.
//! * Identification registers: part 0x805, designer 0x41, revision 1.
//!
//! The model is updated lazily: every register access, [`Sp805::irq_level`]
//! and [`Sp805::update`] first bring it up to the current guest time.
//! [`Sp805::next_event_ns`] says when the next count-down ends, so an idle
//! machine can jump there. The interrupt output is generic:
//! [`Sp805::irq_level`] (WDOGINT: WdogMIS; FVP wires the Trusted Watchdog
//! to INTID 56 (SPI 24, TF-A's `FVP_IRQ_TZ_WDOG`) and the V2M one to INTID
//! 32 (SPI 0 in the device tree)).
//!
//! Security: with [`Sp805Config::secure_only`] (the Trusted Watchdog),
//! Non-secure and Realm accesses read as zero and are ignored, logged and
//! counted. Accesses to offsets with no register likewise
//! ([`Sp805::bad_accesses`], target `platform`).

use crate::access::{BadAccess, BadAccesses, is_secure, mmio_device_of_registers};
use crate::guest_clock::GuestClock;
use crate::peripheral_id::{CIDR_PRIMECELL, IdRegs};
use crate::system_control::{PowerRequest, SystemControl};
use parking_lot::Mutex;
use rme_mmu::AccessAttrs;
use std::sync::Arc;

/// FVP Base RevC addresses.
pub const FVP_TRUSTED_WDOG_BASE: u64 = 0x2a49_0000;
pub const FVP_V2M_WDOG_BASE: u64 = 0x1c0f_0000;
pub const SP805_SIZE: u64 = 0x1000;
/// FVP interrupt lines (GIC INTIDs).
pub const FVP_TRUSTED_WDOG_INTID: u32 = 56;
pub const FVP_V2M_WDOG_INTID: u32 = 32;

pub const WDOGLOAD: u64 = 0x000;
pub const WDOGVALUE: u64 = 0x004;
pub const WDOGCONTROL: u64 = 0x008;
pub const WDOGINTCLR: u64 = 0x00c;
pub const WDOGRIS: u64 = 0x010;
pub const WDOGMIS: u64 = 0x014;
pub const WDOGLOCK: u64 = 0xc00;
pub const WDOGITCR: u64 = 0xf00;
pub const WDOGITOP: u64 = 0xf04;
pub const WDOGPERIPHID0: u64 = 0xfe0;
pub const WDOGPCELLID0: u64 = 0xff0;

/// WdogControl bits.
pub const INTEN: u32 = 1 << 0;
pub const RESEN: u32 = 1 << 1;
/// The WdogLock key that enables register writes.
pub const UNLOCK_KEY: u32 = 0x1ACC_E551;
/// WdogITOP bits.
pub const ITOP_WDOGRES: u32 = 1 << 0;
pub const ITOP_WDOGINT: u32 = 1 << 1;

/// WdogPeriphID0-3 (part 0x805, designer 0x41, revision 1), WdogPCellID0-3.
const IDS: IdRegs = IdRegs { pidr: [0x05, 0x18, 0x14, 0x00, 0, 0, 0, 0], cidr: CIDR_PRIMECELL };

/// Board configuration of one watchdog.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sp805Config {
    /// WDOGCLK frequency in Hz.
    pub clock_hz: u64,
    /// Only Secure (and Root) accesses reach the registers.
    pub secure_only: bool,
}

impl Sp805Config {
    /// The FVP Trusted Watchdog (0x2a49_0000): 32768 Hz, Secure only.
    pub const FVP_TRUSTED: Sp805Config = Sp805Config { clock_hz: 32768, secure_only: true };
    /// The FVP V2M watchdog (0x1c0f_0000): 32768 Hz, any PAS.
    pub const FVP_V2M: Sp805Config = Sp805Config { clock_hz: 32768, secure_only: false };
}

/// The guest-visible state of an SP805.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sp805State {
    pub load: u32,
    pub control: u32,
    /// WdogRIS: the interrupt is raised.
    pub ris: bool,
    /// WdogLock: register writes are disabled.
    pub locked: bool,
    pub itcr: u32,
    pub itop: u32,
    /// The reset output was asserted (posted to the [`SystemControl`]).
    pub reset_asserted: bool,
    /// While counting: the WDOGCLK tick (counted from guest time 0) at
    /// which the current count-down started from `load`.
    pub epoch_tick: u64,
    /// While stopped: WdogValue.
    pub stopped_value: u32,
}

impl Sp805State {
    fn reset(now_tick: u64) -> Sp805State {
        Sp805State {
            load: u32::MAX,
            control: 0,
            ris: false,
            locked: false,
            itcr: 0,
            itop: 0,
            reset_asserted: false,
            epoch_tick: now_tick,
            stopped_value: u32::MAX,
        }
    }

    fn running(&self) -> bool {
        self.control & INTEN != 0
    }
}

/// One SP805 watchdog.
pub struct Sp805 {
    name: String,
    config: Sp805Config,
    control: Arc<SystemControl>,
    clock: Arc<GuestClock>,
    inner: Mutex<Sp805State>,
    bad: BadAccesses,
}

impl Sp805 {
    /// A watchdog named `name` in logs, counting `clock`, resetting the
    /// system through `control`.
    pub fn new(
        name: impl Into<String>,
        config: Sp805Config,
        control: Arc<SystemControl>,
        clock: Arc<GuestClock>,
    ) -> Sp805 {
        let state = Sp805State::reset(Self::tick_at(&config, clock.now_ns()));
        Sp805 { name: name.into(), config, control, clock, inner: Mutex::new(state), bad: BadAccesses::default() }
    }

    pub fn config(&self) -> &Sp805Config {
        &self.config
    }

    /// WDOGCLK ticks from guest time 0 to `ns`.
    fn tick_at(config: &Sp805Config, ns: u64) -> u64 {
        (u128::from(ns) * u128::from(config.clock_hz) / 1_000_000_000) as u64
    }

    /// The guest time (ns) at which tick `tick` occurs.
    fn ns_of_tick(&self, tick: u64) -> u64 {
        let ns = (u128::from(tick) * 1_000_000_000).div_ceil(u128::from(self.config.clock_hz.max(1)));
        u64::try_from(ns).unwrap_or(u64::MAX)
    }

    /// Brings the state up to WDOGCLK tick `now`: count-downs that ended
    /// raise the interrupt or reset the system.
    fn advance(&self, s: &mut Sp805State, now: u64) {
        if !s.running() {
            return;
        }
        let period = u64::from(s.load) + 1;
        let ended = now.saturating_sub(s.epoch_tick) / period;
        if ended == 0 {
            return;
        }
        // The first end raises the interrupt unless it is raised already;
        // any later end (with it raised) resets the system if RESEN.
        let resets = if s.ris { ended } else { ended - 1 };
        s.ris = true;
        if resets > 0 && s.control & RESEN != 0 && !s.reset_asserted {
            s.reset_asserted = true;
            let posted = self.control.request(PowerRequest::Reboot);
            tracing::info!(target: "platform", watchdog = %self.name, posted, "watchdog timeout: system reset");
        }
        s.epoch_tick += ended * period;
    }

    fn value(&self, s: &Sp805State, now: u64) -> u32 {
        if !s.running() {
            return s.stopped_value;
        }
        let period = u64::from(s.load) + 1;
        (u64::from(s.load) - now.saturating_sub(s.epoch_tick) % period) as u32
    }

    /// The state brought up to now, and the current tick.
    fn lock_state(&self) -> (parking_lot::MutexGuard<'_, Sp805State>, u64) {
        let now = Self::tick_at(&self.config, self.clock.now_ns());
        let mut s = self.inner.lock();
        self.advance(&mut s, now);
        (s, now)
    }

    /// Brings the watchdog up to the current guest time (raising its
    /// interrupt or resetting the system if a count-down ended).
    pub fn update(&self) {
        drop(self.lock_state());
    }

    /// The interrupt output WDOGINT (WdogMIS, or WdogITOP.WDOGINT in
    /// integration test mode), at the current guest time.
    pub fn irq_level(&self) -> bool {
        let (s, _) = self.lock_state();
        if s.itcr & 1 != 0 { s.itop & ITOP_WDOGINT != 0 } else { s.ris && s.running() }
    }

    /// When (guest ns) the current count-down ends, if the watchdog counts.
    pub fn next_event_ns(&self) -> Option<u64> {
        let (s, _) = self.lock_state();
        s.running().then(|| self.ns_of_tick(s.epoch_tick + u64::from(s.load) + 1))
    }

    /// WdogValue now.
    pub fn value_now(&self) -> u32 {
        let (s, now) = self.lock_state();
        self.value(&s, now)
    }

    /// A copy of the state (at the current guest time).
    pub fn state(&self) -> Sp805State {
        self.lock_state().0.clone()
    }

    /// Returns the watchdog to its reset state (bad-access count kept).
    pub fn reset(&self) {
        *self.inner.lock() = Sp805State::reset(Self::tick_at(&self.config, self.clock.now_ns()));
    }

    /// Accesses that reached no register or were refused (see the module
    /// documentation).
    pub fn bad_accesses(&self) -> u64 {
        self.bad.count()
    }

    fn bad_access(&self, offset: u64, size: u8, write: bool, why: BadAccess) {
        self.bad.report(&self.name, offset, size, write, why);
    }
}

impl Sp805 {
    fn read_reg(&self, reg: u64, attrs: AccessAttrs) -> Result<u32, BadAccess> {
        if self.config.secure_only && !is_secure(attrs.pas) {
            return Err(BadAccess::SecureOnly);
        }
        let (s, now) = self.lock_state();
        match reg {
            WDOGLOAD => Ok(s.load),
            WDOGVALUE => Ok(self.value(&s, now)),
            WDOGCONTROL => Ok(s.control),
            WDOGRIS => Ok(u32::from(s.ris)),
            WDOGMIS => Ok(u32::from(s.ris && s.running())),
            WDOGLOCK => Ok(u32::from(s.locked)),
            WDOGITCR => Ok(s.itcr),
            WDOGINTCLR | WDOGITOP => Err(BadAccess::WriteOnly),
            r => IDS.read(r).ok_or(BadAccess::NoRegister),
        }
    }

    fn write_reg(&self, reg: u64, value: u32, attrs: AccessAttrs) -> Result<(), BadAccess> {
        if self.config.secure_only && !is_secure(attrs.pas) {
            return Err(BadAccess::SecureOnly);
        }
        let (mut s, now) = self.lock_state();
        if reg == WDOGLOCK {
            s.locked = value != UNLOCK_KEY;
            Ok(())
        } else if s.locked && matches!(reg, WDOGLOAD | WDOGCONTROL | WDOGINTCLR | WDOGITCR | WDOGITOP) {
            Err(BadAccess::NotPermitted)
        } else {
            match reg {
                WDOGLOAD => {
                    s.load = value;
                    s.epoch_tick = now;
                    s.stopped_value = value;
                    Ok(())
                }
                WDOGCONTROL => {
                    let was = s.running();
                    s.control = value & (INTEN | RESEN);
                    match (was, s.running()) {
                        (false, true) => s.epoch_tick = now,
                        (true, false) => s.stopped_value = self.value(&s, now),
                        _ => {}
                    }
                    Ok(())
                }
                WDOGINTCLR => {
                    s.ris = false;
                    s.epoch_tick = now;
                    s.stopped_value = s.load;
                    Ok(())
                }
                WDOGITCR => {
                    s.itcr = value & 1;
                    Ok(())
                }
                WDOGITOP => {
                    s.itop = value & (ITOP_WDOGRES | ITOP_WDOGINT);
                    if s.itcr & 1 != 0 && s.itop & ITOP_WDOGRES != 0 {
                        tracing::debug!(target: "platform", watchdog = %self.name,
                            "WdogITOP.WDOGRES set in test mode (not acted on)");
                    }
                    Ok(())
                }
                WDOGVALUE | WDOGRIS | WDOGMIS => Err(BadAccess::ReadOnly),
                r if IDS.read(r).is_some() => Err(BadAccess::ReadOnly),
                _ => Err(BadAccess::NoRegister),
            }
        }
    }
}

mmio_device_of_registers!(Sp805, |self| &self.name);

impl crate::timed_device::TimedDevice for Sp805 {
    /// When the current count-down ends, if that changes an output: the
    /// interrupt rises (WdogRIS clear) or, with RESEN, the system resets
    /// (not yet asserted). A count-down that would change nothing is no
    /// event, so an idle machine does not jump from one to the next.
    fn next_event_ns(&self) -> Option<u64> {
        let s = self.state();
        let resets = s.control & RESEN != 0 && !s.reset_asserted;
        if s.ris && !resets {
            return None;
        }
        Sp805::next_event_ns(self)
    }

    fn update(&self, _now_ns: u64) {
        Sp805::update(self);
    }
}
