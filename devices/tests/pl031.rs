//! PL031 RTC tests: every register driven through a real `PhysBus` at the
//! FVP address (0x1c17_0000), counting a `GuestClock`; Linux's
//! `rtc-pl031` probe, `set_time`/`read_time` and alarm sequences replayed.
//! References: ARM DDI 0224 (PL031 TRM) 2.1 and chapter 3.

mod common;

use common::MappedDevice;
use rme_devices::pl031::*;
use rme_devices::{GuestClock, InterruptLine, TimedDevice};
use std::sync::Arc;

const S: u64 = 1_000_000_000;

struct Rig {
    m: MappedDevice<Pl031>,
    clock: Arc<GuestClock>,
    line: InterruptLine,
}

fn rig_with(base: u32) -> Rig {
    let clock = Arc::new(GuestClock::new());
    let m = MappedDevice::new(
        "rtc",
        FVP_RTC_BASE,
        PL031_SIZE,
        Pl031::new("rtc", clock.clone(), base),
    );
    let line = InterruptLine::unconnected();
    m.dev.connect_interrupt(line.clone());
    Rig { m, clock, line }
}

fn rig() -> Rig {
    rig_with(0)
}

impl Rig {
    fn r(&self, off: u64) -> u32 {
        self.m.r(off)
    }
    fn w(&self, off: u64, v: u32) {
        self.m.w(off, v)
    }
    fn at(&self, ns: u64) {
        self.clock.advance_to(ns);
    }
    /// `pl031_probe` (arm variant): RTCCR |= start.
    fn linux_probe(&self) {
        let cr = self.r(RTCCR);
        self.w(RTCCR, cr | RTCCR_START);
    }
    /// `pl031_set_alarm` + `pl031_alarm_irq_enable(1)`.
    fn linux_set_alarm(&self, secs: u32) {
        self.w(RTCMR, secs);
        self.w(RTCICR, RTC_INT);
        let imsc = self.r(RTCIMSC);
        self.w(RTCIMSC, imsc | RTC_INT);
    }
}

#[test]
fn identification_registers() {
    let r = rig();
    let pid: Vec<u32> = (0..4).map(|i| r.r(RTCPERIPHID0 + 4 * i)).collect();
    assert_eq!(pid, vec![0x31, 0x10, 0x14, 0x00]);
    // Linux's AMBA bus matches the `arm,pl031` driver on 0x00041031.
    let periph_id = pid
        .iter()
        .enumerate()
        .fold(0u32, |acc, (i, b)| acc | b << (8 * i));
    assert_eq!(periph_id & 0x000f_ffff, 0x0004_1031);
    let cid: Vec<u32> = (0..4).map(|i| r.r(RTCPCELLID0 + 4 * i)).collect();
    assert_eq!(cid, vec![0x0d, 0xf0, 0x05, 0xb1]);
    assert_eq!(r.m.dev.bad_accesses(), 0);
}

#[test]
fn reset_values() {
    let r = rig_with(1234);
    r.at(5 * S);
    assert_eq!(r.r(RTCDR), 1234, "stopped at reset: the base value");
    assert_eq!(r.r(RTCMR), 0);
    assert_eq!(r.r(RTCLR), 0);
    assert_eq!(r.r(RTCCR), 0);
    assert_eq!(r.r(RTCIMSC), 0);
    assert_eq!(r.r(RTCRIS), 0);
    assert_eq!(r.r(RTCMIS), 0);
    assert!(!r.line.level());
}

#[test]
fn start_bit_enables_counting_and_cannot_be_cleared() {
    let r = rig_with(100);
    r.at(S / 2);
    r.linux_probe();
    assert_eq!(r.r(RTCCR), 1);
    assert_eq!(r.r(RTCDR), 100);
    // CLK1HZ rising edges fall on whole guest seconds.
    r.at(S - 1);
    assert_eq!(r.r(RTCDR), 100);
    r.at(S);
    assert_eq!(r.r(RTCDR), 101);
    r.at(10 * S + 3);
    assert_eq!(r.r(RTCDR), 110);
    // Once enabled, writes to the start bit have no effect until reset.
    r.w(RTCCR, 0);
    assert_eq!(r.r(RTCCR), 1);
    r.at(12 * S);
    assert_eq!(r.r(RTCDR), 112, "still counting");
    r.w(RTCCR, 1);
    assert_eq!(r.r(RTCDR), 112, "a second start does not reload");
    r.m.dev.reset();
    assert_eq!(r.r(RTCCR), 0);
    assert_eq!(r.r(RTCDR), 100);
}

#[test]
fn load_sets_the_counter_and_reads_back() {
    let r = rig();
    // Loading while stopped: RTCDR takes the value and holds it.
    r.w(RTCLR, 5000);
    assert_eq!(r.r(RTCLR), 5000);
    r.at(3 * S);
    assert_eq!(r.r(RTCDR), 5000);
    r.linux_probe();
    r.at(4 * S);
    assert_eq!(r.r(RTCDR), 5001);
    // Linux `set_time`: RTCLR = seconds since the epoch; `read_time`.
    r.at(4 * S + S / 3);
    r.w(RTCLR, 1_700_000_000);
    assert_eq!(r.r(RTCDR), 1_700_000_000);
    r.at(7 * S);
    assert_eq!(r.r(RTCDR), 1_700_000_003);
    assert_eq!(
        r.r(RTCLR),
        1_700_000_000,
        "RTCLR reads the last value written"
    );
    // The counter wraps modulo 2^32.
    r.w(RTCLR, u32::MAX);
    r.at(8 * S);
    assert_eq!(r.r(RTCDR), 0);
    assert_eq!(r.m.dev.bad_accesses(), 0);
}

#[test]
fn match_raises_the_interrupt_until_cleared() {
    let r = rig();
    r.linux_probe();
    r.w(RTCLR, 1000);
    r.linux_set_alarm(1003);
    assert_eq!(r.r(RTCMR), 1003);
    assert_eq!(r.m.dev.next_event_ns(), Some(3 * S));
    r.at(3 * S - 1);
    assert_eq!(r.r(RTCRIS), 0);
    assert!(!r.line.level());
    r.at(3 * S);
    // The interrupt line follows on the next evaluation (update or access).
    r.m.dev.update(r.clock.now_ns());
    assert!(r.line.level());
    assert_eq!(r.r(RTCRIS), 1);
    assert_eq!(r.r(RTCMIS), 1);
    assert_eq!(r.m.dev.next_event_ns(), None, "already raised");
    // It stays raised after the counter moves past the match.
    r.at(5 * S);
    assert_eq!(r.r(RTCRIS), 1);
    // RTCICR: writing 0 has no effect, writing 1 clears.
    r.w(RTCICR, 0);
    assert_eq!(r.r(RTCRIS), 1);
    r.w(RTCICR, RTC_INT);
    assert_eq!(r.r(RTCRIS), 0);
    assert_eq!(r.r(RTCMIS), 0);
    assert!(!r.line.level());
}

#[test]
fn masked_match_sets_raw_status_only() {
    let r = rig();
    r.linux_probe();
    r.w(RTCMR, 2);
    assert_eq!(
        r.m.dev.next_event_ns(),
        None,
        "masked: RTCINTR will not rise"
    );
    r.at(2 * S);
    assert_eq!(r.r(RTCRIS), 1);
    assert_eq!(r.r(RTCMIS), 0);
    assert!(!r.line.level());
    // Unmasking a pending match raises RTCINTR at once.
    r.w(RTCIMSC, RTC_INT);
    assert_eq!(r.r(RTCMIS), 1);
    assert!(r.line.level());
    r.w(RTCIMSC, 0);
    assert!(!r.line.level());
}

#[test]
fn match_latched_even_when_time_jumps_past_it() {
    let r = rig();
    r.linux_probe();
    r.linux_set_alarm(10);
    r.at(1000 * S);
    assert!(r.m.dev.irq_level());
    assert!(r.line.level());
}

#[test]
fn match_by_load_or_match_write() {
    let r = rig();
    r.w(RTCMR, 77);
    assert_eq!(r.r(RTCRIS), 0);
    // A load that makes the counter equal to RTCMR.
    r.w(RTCLR, 77);
    assert_eq!(r.r(RTCRIS), 1);
    r.w(RTCICR, 1);
    // A match value written equal to the counter.
    r.w(RTCLR, 5);
    r.w(RTCMR, 5);
    assert_eq!(r.r(RTCRIS), 1);
    r.w(RTCICR, 1);
    // Rewriting the same value is no new match.
    r.w(RTCMR, 5);
    assert_eq!(r.r(RTCRIS), 0);
}

#[test]
fn next_match_after_wrap() {
    let r = rig();
    r.linux_probe();
    r.w(RTCLR, 50);
    r.w(RTCICR, 1);
    r.w(RTCIMSC, RTC_INT);
    // Match below the counter: reached after the counter wraps.
    r.w(RTCMR, 40);
    assert_eq!(r.m.dev.next_event_ns(), Some(((1u64 << 32) - 10) * S));
}

#[test]
fn bad_accesses_are_counted_not_fatal() {
    let r = rig();
    r.w(RTCDR, 5);
    r.w(RTCRIS, 1);
    r.w(RTCMIS, 1);
    assert_eq!(r.r(RTCICR), 0);
    assert_eq!(r.r(0x80), 0);
    r.w(RTCPERIPHID0, 0);
    assert_eq!(r.m.dev.bad_accesses(), 6);
    assert_eq!(r.r(RTCDR), 0);
    assert_eq!(r.r(RTCRIS), 0);
}
