//! SP805 watchdog tests: every register driven through a real `PhysBus`
//! at the FVP addresses, counting a `GuestClock`; TF-A's `sp805_start`,
//! `sp805_refresh` and `sp805_stop` replayed against it.

use rme_devices::GuestClock;
use rme_devices::sp805::*;
use rme_devices::system_control::{PowerRequest, SystemControl};
use rme_mmu::{AccessAttrs, Pas, PhysBus};
use std::sync::Arc;

struct Rig {
    bus: PhysBus,
    wdog: Arc<Sp805>,
    control: Arc<SystemControl>,
    clock: Arc<GuestClock>,
    base: u64,
}

fn rig_at(base: u64, config: Sp805Config) -> Rig {
    let control = Arc::new(SystemControl::new());
    let clock = Arc::new(GuestClock::new());
    let wdog = Arc::new(Sp805::new("twdog", config, control.clone(), clock.clone()));
    let mut bus = PhysBus::new();
    bus.add_mmio("twdog", base, SP805_SIZE, wdog.clone()).unwrap();
    Rig { bus, wdog, control, clock, base }
}

fn trusted() -> Rig {
    rig_at(FVP_TRUSTED_WDOG_BASE, Sp805Config::FVP_TRUSTED)
}

fn root() -> AccessAttrs {
    AccessAttrs::cpu(0, Pas::Root)
}

/// Guest ns of `ticks` WDOGCLK (32768 Hz) ticks, rounded up.
fn ns(ticks: u64) -> u64 {
    (ticks * 1_000_000_000).div_ceil(32768)
}

impl Rig {
    fn r(&self, off: u64) -> u32 {
        self.bus.read(self.base + off, 4, root()).unwrap() as u32
    }
    fn w(&self, off: u64, v: u32) {
        self.bus.write(self.base + off, 4, u64::from(v), root()).unwrap()
    }
    fn at_tick(&self, t: u64) {
        self.clock.advance_to(ns(t));
    }
    fn sp805_start(&self, ticks: u32) {
        self.w(WDOGLOAD, ticks);
        self.w(WDOGCONTROL, RESEN | INTEN);
        self.w(WDOGLOCK, 0);
    }
    fn sp805_refresh(&self, ticks: u32) {
        self.w(WDOGLOCK, UNLOCK_KEY);
        self.w(WDOGLOAD, ticks);
        self.w(WDOGLOCK, 0);
    }
}

#[test]
fn identification_registers() {
    let r = trusted();
    let pid: Vec<u32> = (0..4).map(|i| r.r(WDOGPERIPHID0 + 4 * i)).collect();
    assert_eq!(pid, vec![0x05, 0x18, 0x14, 0x00]);
    assert_eq!((pid[1] & 0xf) << 8 | pid[0], 0x805);
    let cid: Vec<u32> = (0..4).map(|i| r.r(WDOGPCELLID0 + 4 * i)).collect();
    assert_eq!(cid, vec![0x0d, 0xf0, 0x05, 0xb1]);
}

#[test]
fn reset_values() {
    let r = trusted();
    assert_eq!(r.r(WDOGLOAD), 0xffff_ffff);
    assert_eq!(r.r(WDOGVALUE), 0xffff_ffff);
    assert_eq!(r.r(WDOGCONTROL), 0);
    assert_eq!(r.r(WDOGRIS), 0);
    assert_eq!(r.r(WDOGMIS), 0);
    assert_eq!(r.r(WDOGLOCK), 0);
    assert_eq!(r.r(WDOGITCR), 0);
    assert!(!r.wdog.irq_level());
    assert_eq!(r.wdog.next_event_ns(), None);
}

#[test]
fn disabled_watchdog_never_fires() {
    let r = trusted();
    r.w(WDOGLOAD, 10);
    r.w(WDOGCONTROL, RESEN);
    r.clock.advance_to(1_000_000_000_000);
    r.wdog.update();
    assert_eq!(r.r(WDOGRIS), 0);
    assert_eq!(r.r(WDOGVALUE), 10, "stopped");
    assert_eq!(r.control.peek(), None);
}

#[test]
fn counts_down_on_guest_time() {
    let r = trusted();
    r.sp805_start(1000);
    assert_eq!(r.r(WDOGLOCK), 1, "locked by sp805_start");
    assert_eq!(r.r(WDOGVALUE), 1000);
    r.at_tick(1);
    assert_eq!(r.r(WDOGVALUE), 999);
    r.at_tick(400);
    assert_eq!(r.wdog.value_now(), 600);
    assert_eq!(r.wdog.next_event_ns(), Some(ns(1001)));
}

#[test]
fn timeout_raises_interrupt_then_resets_the_system() {
    let r = trusted();
    r.sp805_start(1000);
    // The first count-down (1001 ticks: 1000..0) raises WDOGINT and reloads.
    r.at_tick(1000);
    assert!(!r.wdog.irq_level());
    r.at_tick(1001);
    assert!(r.wdog.irq_level());
    assert_eq!(r.r(WDOGRIS), 1);
    assert_eq!(r.r(WDOGMIS), 1);
    assert_eq!(r.r(WDOGVALUE), 1000, "reloaded");
    assert_eq!(r.control.peek(), None);
    // Not serviced: the second end resets the system, once.
    r.at_tick(2002);
    r.wdog.update();
    assert_eq!(r.control.take(), Some(PowerRequest::Reboot));
    assert!(r.wdog.state().reset_asserted);
    r.at_tick(5000);
    r.wdog.update();
    assert_eq!(r.control.take(), None);
    r.wdog.reset();
    assert_eq!(r.r(WDOGCONTROL), 0);
}

#[test]
fn a_long_stall_still_resets() {
    let r = trusted();
    r.sp805_start(10);
    r.at_tick(1_000_000);
    assert!(r.wdog.irq_level());
    assert_eq!(r.control.take(), Some(PowerRequest::Reboot));
}

#[test]
fn refresh_keeps_it_quiet() {
    let r = trusted();
    r.sp805_start(1000);
    for k in 1..10 {
        r.at_tick(900 * k);
        r.sp805_refresh(1000);
    }
    r.wdog.update();
    assert_eq!(r.r(WDOGRIS), 0);
    assert_eq!(r.control.peek(), None);
    assert_eq!(r.wdog.bad_accesses(), 0);
}

#[test]
fn intclr_clears_and_reloads() {
    let r = trusted();
    r.w(WDOGLOAD, 100);
    r.w(WDOGCONTROL, INTEN | RESEN);
    r.at_tick(101);
    assert!(r.wdog.irq_level());
    r.at_tick(150);
    r.w(WDOGINTCLR, 0);
    assert!(!r.wdog.irq_level());
    assert_eq!(r.r(WDOGVALUE), 100);
    r.at_tick(251);
    assert!(r.wdog.irq_level(), "interrupt again after a full count-down");
    assert_eq!(r.control.peek(), None);
}

#[test]
fn interrupt_only_without_resen() {
    let r = trusted();
    r.w(WDOGLOAD, 5);
    r.w(WDOGCONTROL, INTEN);
    r.at_tick(100);
    assert!(r.wdog.irq_level());
    assert_eq!(r.control.peek(), None);
    // sp805_stop: unlock, control 0: the counter stops, MIS drops.
    r.w(WDOGLOCK, UNLOCK_KEY);
    r.w(WDOGCONTROL, 0);
    assert_eq!(r.r(WDOGMIS), 0);
    assert_eq!(r.r(WDOGRIS), 1);
    assert!(!r.wdog.irq_level());
    let v = r.r(WDOGVALUE);
    r.at_tick(200);
    assert_eq!(r.r(WDOGVALUE), v);
}

#[test]
fn lock_ignores_writes() {
    let r = trusted();
    r.w(WDOGLOCK, 0x1234);
    assert_eq!(r.r(WDOGLOCK), 1);
    r.w(WDOGLOAD, 7);
    r.w(WDOGCONTROL, INTEN);
    r.w(WDOGINTCLR, 1);
    assert_eq!(r.r(WDOGLOAD), 0xffff_ffff);
    assert_eq!(r.r(WDOGCONTROL), 0);
    assert_eq!(r.wdog.bad_accesses(), 3);
    r.w(WDOGLOCK, UNLOCK_KEY);
    assert_eq!(r.r(WDOGLOCK), 0);
    r.w(WDOGLOAD, 7);
    assert_eq!(r.r(WDOGLOAD), 7);
}

#[test]
fn integration_test_mode_drives_the_output() {
    let r = trusted();
    r.w(WDOGITOP, ITOP_WDOGINT);
    assert!(!r.wdog.irq_level(), "not in test mode");
    r.w(WDOGITCR, 1);
    assert_eq!(r.r(WDOGITCR), 1);
    assert!(r.wdog.irq_level());
    r.w(WDOGITOP, ITOP_WDOGRES);
    assert!(!r.wdog.irq_level());
    assert_eq!(r.control.peek(), None, "WDOGRES in test mode is not acted on");
    assert_eq!(r.r(WDOGITOP), 0, "write-only");
    assert_eq!(r.wdog.bad_accesses(), 1);
}

#[test]
fn trusted_watchdog_is_secure_only() {
    let r = trusted();
    let ns_attrs = AccessAttrs::cpu(0, Pas::NonSecure);
    r.bus.write(r.base + WDOGLOAD, 4, 5, ns_attrs).unwrap();
    assert_eq!(r.bus.read(r.base + WDOGLOAD, 4, ns_attrs).unwrap(), 0);
    assert_eq!(r.bus.read(r.base + WDOGLOAD, 4, AccessAttrs::cpu(0, Pas::Realm)).unwrap(), 0);
    assert_eq!(r.r(WDOGLOAD), 0xffff_ffff);
    assert_eq!(r.wdog.bad_accesses(), 3);
    assert_eq!(r.bus.read(r.base + WDOGLOAD, 4, AccessAttrs::cpu(0, Pas::Secure)).unwrap(), 0xffff_ffff);
}

#[test]
fn v2m_watchdog_is_open_to_non_secure() {
    let r = rig_at(FVP_V2M_WDOG_BASE, Sp805Config::FVP_V2M);
    let ns_attrs = AccessAttrs::cpu(0, Pas::NonSecure);
    // Linux sp805_wdt: unlock, load, INTCLR, enable.
    r.bus.write(r.base + WDOGLOCK, 4, u64::from(UNLOCK_KEY), ns_attrs).unwrap();
    r.bus.write(r.base + WDOGLOAD, 4, 32768, ns_attrs).unwrap();
    r.bus.write(r.base + WDOGINTCLR, 4, 0, ns_attrs).unwrap();
    r.bus.write(r.base + WDOGCONTROL, 4, u64::from(INTEN | RESEN), ns_attrs).unwrap();
    assert_eq!(r.bus.read(r.base + WDOGCONTROL, 4, ns_attrs).unwrap(), 3);
    assert_eq!(r.wdog.next_event_ns(), Some(ns(32769)));
    assert_eq!(r.wdog.bad_accesses(), 0);
}

#[test]
fn bad_accesses_are_counted() {
    let r = trusted();
    assert_eq!(r.r(0x18), 0);
    assert_eq!(r.r(WDOGINTCLR), 0, "write-only");
    r.w(WDOGVALUE, 1);
    r.w(WDOGRIS, 1);
    r.w(WDOGPERIPHID0, 1);
    assert_eq!(r.bus.read(r.base + WDOGLOAD, 8, root()).unwrap(), 0);
    assert_eq!(r.wdog.bad_accesses(), 6);
}
