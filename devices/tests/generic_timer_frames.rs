//! Memory-mapped Generic Timer tests: every frame mapped on a real
//! `PhysBus` at its FVP address, counting a `GuestClock`; TF-A's
//! `arm_configure_sys_timer`/`plat_get_syscnt_freq2`/CNTCR enable and
//! Linux's `arch_timer_mem` frame probe replayed against them.

use rme_devices::GuestClock;
use rme_devices::generic_timer_frames::*;
use rme_mmu::{AccessAttrs, Pas, PhysBus};
use std::sync::Arc;

struct Rig {
    bus: PhysBus,
    timer: Arc<GenericTimer>,
    clock: Arc<GuestClock>,
}

fn rig_with(config: GenericTimerConfig) -> Rig {
    let clock = Arc::new(GuestClock::new());
    let timer = GenericTimer::with_config(clock.clone(), config);
    let mut bus = PhysBus::new();
    bus.add_mmio("cnt-control", FVP_CNTCONTROL_BASE, FRAME_SIZE, timer.control_base()).unwrap();
    bus.add_mmio("cnt-read", FVP_CNTREAD_BASE, FRAME_SIZE, timer.read_base()).unwrap();
    bus.add_mmio("cnt-ctl", FVP_CNTCTL_BASE, FRAME_SIZE, timer.ctl_base()).unwrap();
    for n in 0..2 {
        bus.add_mmio(&format!("cnt-base{n}"), fvp_cntbase(n), FRAME_SIZE, timer.timer_base(n)).unwrap();
    }
    Rig { bus, timer, clock }
}

fn rig() -> Rig {
    rig_with(GenericTimerConfig::default())
}

fn root() -> AccessAttrs {
    AccessAttrs::cpu(0, Pas::Root)
}
fn ns() -> AccessAttrs {
    AccessAttrs::cpu(0, Pas::NonSecure)
}

const CNTBASE1: u64 = 0x2a83_0000;
const ALL_CNTACR: u32 = CNTACR_RPCT | CNTACR_RVCT | CNTACR_RFRQ | CNTACR_RVOFF | CNTACR_RWVT | CNTACR_RWPT;

impl Rig {
    fn r(&self, pa: u64, a: AccessAttrs) -> u32 {
        self.bus.read(pa, 4, a).unwrap() as u32
    }
    fn r64(&self, pa: u64, a: AccessAttrs) -> u64 {
        self.bus.read(pa, 8, a).unwrap()
    }
    fn w(&self, pa: u64, v: u32, a: AccessAttrs) {
        self.bus.write(pa, 4, u64::from(v), a).unwrap()
    }
    /// arm_configure_sys_timer (BL31, Root).
    fn tf_a_configure(&self) {
        let freq = self.r(FVP_CNTCONTROL_BASE + CNTFID0, root());
        self.w(FVP_CNTCTL_BASE + cntacr(1), ALL_CNTACR, root());
        self.w(FVP_CNTCTL_BASE + CNTNSAR, 1 << 1, root());
        self.w(FVP_CNTCTL_BASE + CNTCTLBASE_CNTFRQ, freq, root());
    }
    fn ns_ms(&self, ms: u64) {
        self.clock.advance_to(self.clock.now_ns() + ms * 1_000_000);
    }
}

#[test]
fn cntfid0_is_100mhz_and_ends_the_table() {
    let r = rig();
    // plat_get_syscnt_freq2 panics on 0.
    assert_eq!(r.r(FVP_CNTCONTROL_BASE + CNTFID0, root()), 100_000_000);
    assert_eq!(r.r(FVP_CNTCONTROL_BASE + CNTFID1, root()), 0);
    assert_eq!(r.r(FVP_CNTCONTROL_BASE + CNTID, root()), 0);
    r.w(FVP_CNTCONTROL_BASE + CNTFID0, 1, root());
    assert_eq!(r.r(FVP_CNTCONTROL_BASE + CNTFID0, root()), 100_000_000, "read-only");
    assert_eq!(r.timer.bad_accesses(), 1);
}

#[test]
fn cntcr_enable_and_fcreq() {
    let r = rig();
    assert_eq!(r.r(FVP_CNTCONTROL_BASE + CNTCR, root()), 0);
    // CNTCR_FCREQ(0) | CNTCR_EN, as BL31 writes it.
    r.w(FVP_CNTCONTROL_BASE + CNTCR, CNTCR_EN, root());
    assert_eq!(r.r(FVP_CNTCONTROL_BASE + CNTCR, root()), CNTCR_EN);
    r.w(FVP_CNTCONTROL_BASE + CNTCR, CNTCR_EN | CNTCR_HDBG | 1 << CNTCR_FCREQ_SHIFT, root());
    assert_eq!(r.r(FVP_CNTCONTROL_BASE + CNTCR, root()), CNTCR_EN | CNTCR_HDBG, "no frequency entry 1");
    assert_eq!(r.r(FVP_CNTCONTROL_BASE + CNTSR, root()), 0, "FCACK 0, not halted");
    assert_eq!(r.timer.state().cntcr, CNTCR_EN | CNTCR_HDBG);
}

#[test]
fn cntcv_counts_guest_time() {
    let r = rig();
    assert_eq!(r.r64(FVP_CNTCONTROL_BASE + CNTCV_LO, root()), 0);
    r.clock.advance_to(1_234_567_890);
    assert_eq!(r.r64(FVP_CNTCONTROL_BASE + CNTCV_LO, root()), 123_456_789);
    assert_eq!(r.r(FVP_CNTCONTROL_BASE + CNTCV_LO, root()), 123_456_789);
    assert_eq!(r.r(FVP_CNTCONTROL_BASE + CNTCV_HI, root()), 0);
    r.clock.advance_to(50_000_000_000_000);
    let count = 5_000_000_000_000u64;
    assert_eq!(r.r(FVP_CNTCONTROL_BASE + CNTCV_HI, root()), (count >> 32) as u32);
    assert_eq!(r.timer.count(), count);
    // The counter is the guest clock: writes are ignored.
    r.w(FVP_CNTCONTROL_BASE + CNTCV_LO, 0, root());
    assert_eq!(r.r64(FVP_CNTCONTROL_BASE + CNTCV_LO, root()), count);
    assert_eq!(r.timer.bad_accesses(), 0);
}

#[test]
fn cntcontrolbase_is_secure_only() {
    let r = rig();
    assert_eq!(r.r(FVP_CNTCONTROL_BASE + CNTFID0, ns()), 0);
    assert_eq!(r.r(FVP_CNTCONTROL_BASE + CNTFID0, AccessAttrs::cpu(0, Pas::Realm)), 0);
    r.w(FVP_CNTCONTROL_BASE + CNTCR, CNTCR_EN, ns());
    assert_eq!(r.r(FVP_CNTCONTROL_BASE + CNTCR, root()), 0);
    assert_eq!(r.timer.bad_accesses(), 3);
    assert_eq!(r.r(FVP_CNTCONTROL_BASE + CNTFID0, AccessAttrs::cpu(0, Pas::Secure)), 100_000_000);
}

#[test]
fn cntreadbase_reads_the_count_from_any_pas() {
    let r = rig();
    r.clock.advance_to(10_000);
    assert_eq!(r.r(FVP_CNTREAD_BASE + CNTREAD_CNTCV_LO, ns()), 1000);
    assert_eq!(r.r64(FVP_CNTREAD_BASE + CNTREAD_CNTCV_LO, ns()), 1000);
    assert_eq!(r.r(FVP_CNTREAD_BASE + CNTREAD_CNTCV_HI, ns()), 0);
    r.w(FVP_CNTREAD_BASE + CNTREAD_CNTCV_LO, 5, root());
    assert_eq!(r.timer.bad_accesses(), 1, "read-only");
}

#[test]
fn cntctlbase_tf_a_configuration() {
    let r = rig();
    r.tf_a_configure();
    assert_eq!(r.r(FVP_CNTCTL_BASE + CNTCTLBASE_CNTFRQ, root()), 100_000_000);
    assert_eq!(r.r(FVP_CNTCTL_BASE + CNTNSAR, root()), 0b10);
    // No virtual capability: RWVT and RVOFF do not stick.
    assert_eq!(r.r(FVP_CNTCTL_BASE + cntacr(1), root()), CNTACR_RPCT | CNTACR_RVCT | CNTACR_RFRQ | CNTACR_RWPT);
    assert_eq!(r.r(FVP_CNTCTL_BASE + CNTTIDR, ns()), 0x11, "frames 0 and 1, no virtual, no EL0 view");
    assert_eq!(r.timer.bad_accesses(), 0);
}

#[test]
fn cntctlbase_security() {
    let r = rig();
    r.tf_a_configure();
    // CNTFRQ and CNTNSAR: Secure only.
    assert_eq!(r.r(FVP_CNTCTL_BASE + CNTCTLBASE_CNTFRQ, ns()), 0);
    assert_eq!(r.r(FVP_CNTCTL_BASE + CNTNSAR, ns()), 0);
    r.w(FVP_CNTCTL_BASE + CNTNSAR, 0b11, ns());
    assert_eq!(r.r(FVP_CNTCTL_BASE + CNTNSAR, root()), 0b10);
    // CNTACR1 follows CNTNSAR.NS1; CNTACR0 stays Secure.
    assert_eq!(r.r(FVP_CNTCTL_BASE + cntacr(1), ns()), CNTACR_RPCT | CNTACR_RVCT | CNTACR_RFRQ | CNTACR_RWPT);
    assert_eq!(r.r(FVP_CNTCTL_BASE + cntacr(0), ns()), 0);
    assert_eq!(r.timer.bad_accesses(), 4);
    // Frames that do not exist have no CNTACR.
    assert_eq!(r.r(FVP_CNTCTL_BASE + cntacr(2), root()), 0);
    assert_eq!(r.timer.bad_accesses(), 5);
    // CNTNSAR only has bits for implemented frames.
    r.w(FVP_CNTCTL_BASE + CNTNSAR, 0xff, root());
    assert_eq!(r.r(FVP_CNTCTL_BASE + CNTNSAR, root()), 0b11);
}

#[test]
fn linux_arch_timer_mem_probe_picks_frame1_physical() {
    let r = rig();
    r.tf_a_configure();
    // arch_timer_mem_find_best_frame, from Non-secure EL1.
    let cnttidr = r.r(FVP_CNTCTL_BASE + CNTTIDR, ns());
    r.w(FVP_CNTCTL_BASE + cntacr(1), ALL_CNTACR, ns());
    let acr = r.r(FVP_CNTCTL_BASE + cntacr(1), ns());
    let virt = cnttidr & (2 << 4) != 0 && (!acr & (CNTACR_RWVT | CNTACR_RVCT)) == 0;
    let phys = (!acr & (CNTACR_RWPT | CNTACR_RPCT)) == 0;
    assert!(!virt && phys, "cnttidr {cnttidr:#x} cntacr {acr:#x}");
    // arch_timer_mem_frame_get_cntfrq
    assert_eq!(r.r(CNTBASE1 + CNTBASE_CNTFRQ, ns()), 100_000_000);
    assert_eq!(r.timer.bad_accesses(), 0);
}

#[test]
fn cntbase_frame_access_follows_cntnsar_and_cntacr() {
    let r = rig();
    r.clock.advance_to(1_000);
    // Before TF-A: frame 1 is Secure only, CNTACR1 = 0.
    assert_eq!(r.r(CNTBASE1 + CNTPCT_LO, ns()), 0);
    assert_eq!(r.r(CNTBASE1 + CNTPCT_LO, root()), 0, "RPCT clear");
    assert_eq!(r.timer.bad_accesses(), 2);
    r.tf_a_configure();
    assert_eq!(r.r(CNTBASE1 + CNTPCT_LO, ns()), 100);
    assert_eq!(r.r64(CNTBASE1 + CNTPCT_LO, ns()), 100);
    assert_eq!(r.r64(CNTBASE1 + CNTVCT_LO, ns()), 100, "no CNTVOFF: virtual = physical count");
    assert_eq!(r.r(CNTBASE1 + CNTPCT_HI, ns()), 0);
    // Frame 0 stays Secure.
    assert_eq!(r.r(fvp_cntbase(0) + CNTBASE_CNTFRQ, ns()), 0);
    assert_eq!(r.timer.bad_accesses(), 3);
    // Taking RFRQ away hides CNTFRQ.
    r.w(FVP_CNTCTL_BASE + cntacr(1), CNTACR_RPCT, root());
    assert_eq!(r.r(CNTBASE1 + CNTBASE_CNTFRQ, ns()), 0);
    assert_eq!(r.timer.bad_accesses(), 4);
}

#[test]
fn cntbase_read_only_and_res0_registers() {
    let r = rig();
    r.tf_a_configure();
    r.w(CNTBASE1 + CNTBASE_CNTFRQ, 5, ns());
    r.w(CNTBASE1 + CNTPCT_LO, 5, ns());
    assert_eq!(r.timer.bad_accesses(), 2);
    // No EL0 view, no virtual timer: RES0.
    r.w(CNTBASE1 + CNTEL0ACR, 0x3, ns());
    assert_eq!(r.r(CNTBASE1 + CNTEL0ACR, ns()), 0);
    r.w(CNTBASE1 + CNTV_CTL, 1, ns());
    assert_eq!(r.r(CNTBASE1 + CNTV_CTL, ns()), 0);
    assert_eq!(r.r(CNTBASE1 + CNTBASE_CNTVOFF_LO, ns()), 0);
    assert_eq!(r.timer.bad_accesses(), 2);
}

#[test]
fn physical_timer_tval_ctl_and_interrupt() {
    let r = rig();
    r.tf_a_configure();
    r.clock.advance_to(1_000_000); // count 100_000
    r.w(CNTBASE1 + CNTP_TVAL, 1000, ns());
    assert_eq!(r.r64(CNTBASE1 + CNTP_CVAL_LO, ns()), 101_000);
    assert_eq!(r.r(CNTBASE1 + CNTP_TVAL, ns()), 1000);
    assert_eq!(r.r(CNTBASE1 + CNTP_CTL, ns()), 0);
    assert_eq!(r.timer.next_event_ns(), None, "disabled");
    r.w(CNTBASE1 + CNTP_CTL, CTL_ENABLE, ns());
    assert_eq!(r.r(CNTBASE1 + CNTP_CTL, ns()), CTL_ENABLE);
    assert!(!r.timer.irq_level(1, FrameTimer::Phys));
    // 1000 ticks at 100 MHz = 10 us.
    assert_eq!(r.timer.next_event_ns(), Some(1_010_000));
    r.clock.advance_to(1_009_999);
    assert!(!r.timer.irq_level(1, FrameTimer::Phys));
    r.clock.advance_to(1_010_000);
    assert_eq!(r.r(CNTBASE1 + CNTP_CTL, ns()), CTL_ENABLE | CTL_ISTATUS);
    assert!(r.timer.irq_level(1, FrameTimer::Phys));
    assert_eq!(r.timer.next_event_ns(), None, "already asserted");
    r.ns_ms(1);
    assert_eq!(r.r(CNTBASE1 + CNTP_TVAL, ns()) as i32, -100_000, "TVAL counts down past zero");
    // IMASK masks the output, not ISTATUS.
    r.w(CNTBASE1 + CNTP_CTL, CTL_ENABLE | CTL_IMASK, ns());
    assert_eq!(r.r(CNTBASE1 + CNTP_CTL, ns()), CTL_ENABLE | CTL_IMASK | CTL_ISTATUS);
    assert!(!r.timer.irq_level(1, FrameTimer::Phys));
    // ISTATUS is read-only; a negative TVAL sets CVAL in the past.
    r.w(CNTBASE1 + CNTP_CTL, CTL_ENABLE | CTL_ISTATUS, ns());
    r.w(CNTBASE1 + CNTP_TVAL, (-5i32) as u32, ns());
    assert!(r.timer.irq_level(1, FrameTimer::Phys));
    assert!(!r.timer.irq_level(1, FrameTimer::Virt), "no virtual timer");
    assert!(!r.timer.irq_level(0, FrameTimer::Phys));
}

#[test]
fn physical_timer_cval_halves_and_64bit() {
    let r = rig();
    r.tf_a_configure();
    r.w(CNTBASE1 + CNTP_CVAL_LO, 0x89ab_cdef, ns());
    r.w(CNTBASE1 + CNTP_CVAL_HI, 0x0123_4567, ns());
    assert_eq!(r.r64(CNTBASE1 + CNTP_CVAL_LO, ns()), 0x0123_4567_89ab_cdef);
    r.bus.write(CNTBASE1 + CNTP_CVAL_LO, 8, 0x5000, ns()).unwrap();
    assert_eq!(r.r(CNTBASE1 + CNTP_CVAL_LO, ns()), 0x5000);
    assert_eq!(r.r(CNTBASE1 + CNTP_CVAL_HI, ns()), 0);
    r.w(CNTBASE1 + CNTP_CTL, CTL_ENABLE, ns());
    assert_eq!(r.timer.next_event_ns(), Some(0x5000 * 10));
    assert_eq!(r.timer.state().frames[1].cntp_cval, 0x5000);
    // 8-byte accesses only reach 64-bit registers.
    assert_eq!(r.bus.read(CNTBASE1 + CNTBASE_CNTFRQ, 8, ns()).unwrap(), 0);
    assert_eq!(r.timer.bad_accesses(), 1);
}

#[test]
fn secure_frame0_timer() {
    let r = rig();
    let s = AccessAttrs::cpu(0, Pas::Secure);
    r.w(FVP_CNTCTL_BASE + cntacr(0), CNTACR_RWPT | CNTACR_RPCT, s);
    r.w(fvp_cntbase(0) + CNTP_TVAL, 10, s);
    r.w(fvp_cntbase(0) + CNTP_CTL, CTL_ENABLE, s);
    assert_eq!(r.timer.next_event_ns(), Some(100));
    r.clock.advance_to(100);
    assert!(r.timer.irq_level(0, FrameTimer::Phys));
    assert_eq!(r.r(fvp_cntbase(0) + CNTP_CTL, ns()), 0, "Non-secure cannot see frame 0");
}

#[test]
fn virtual_timer_when_configured() {
    let r = rig_with(GenericTimerConfig { virtual_frames: 0b10, ..GenericTimerConfig::default() });
    r.tf_a_configure();
    assert_eq!(r.r(FVP_CNTCTL_BASE + CNTTIDR, ns()), 0x31);
    assert_eq!(r.r(FVP_CNTCTL_BASE + cntacr(1), root()), ALL_CNTACR);
    // CNTVOFF1 in CNTCTLBase (64-bit), mirrored read-only in the frame.
    r.bus.write(FVP_CNTCTL_BASE + cntvoff(1), 8, 400, ns()).unwrap();
    assert_eq!(r.r64(FVP_CNTCTL_BASE + cntvoff(1), root()), 400);
    assert_eq!(r.r64(CNTBASE1 + CNTBASE_CNTVOFF_LO, ns()), 400);
    r.clock.advance_to(10_000); // count 1000
    assert_eq!(r.r64(CNTBASE1 + CNTVCT_LO, ns()), 600);
    r.w(CNTBASE1 + CNTV_TVAL, 50, ns());
    assert_eq!(r.r64(CNTBASE1 + CNTV_CVAL_LO, ns()), 650);
    r.w(CNTBASE1 + CNTV_CTL, CTL_ENABLE, ns());
    assert_eq!(r.timer.next_event_ns(), Some(10_500));
    r.clock.advance_to(10_500);
    assert_eq!(r.r(CNTBASE1 + CNTV_CTL, ns()), CTL_ENABLE | CTL_ISTATUS);
    assert!(r.timer.irq_level(1, FrameTimer::Virt));
    assert!(!r.timer.irq_level(1, FrameTimer::Phys));
    // Without RWVT the virtual timer registers read as zero.
    r.w(FVP_CNTCTL_BASE + cntacr(1), CNTACR_RPCT, root());
    assert_eq!(r.r(CNTBASE1 + CNTV_CTL, ns()), 0);
    assert_eq!(r.timer.bad_accesses(), 1);
}

#[test]
fn identification_registers_and_unknown_offsets() {
    let r = rig();
    assert_eq!(r.r(FVP_CNTCTL_BASE + 0xff0, ns()), 0x0d);
    assert_eq!(r.r(FVP_CNTREAD_BASE + 0xffc, ns()), 0xb1);
    assert_eq!(r.timer.bad_accesses(), 0);
    assert_eq!(r.r(FVP_CNTCONTROL_BASE + 0x10, root()), 0, "CNTSCR: no counter scaling");
    assert_eq!(r.r(FVP_CNTCTL_BASE + 0x100, root()), 0);
    assert_eq!(r.r(CNTBASE1 + 0x40, root()), 0);
    assert_eq!(r.bus.read(FVP_CNTCTL_BASE + 0x2, 2, root()).unwrap(), 0);
    assert_eq!(r.timer.bad_accesses(), 4);
}

#[test]
fn unimplemented_frame_reads_zero() {
    let clock = Arc::new(GuestClock::new());
    let timer = GenericTimer::new(clock);
    let mut bus = PhysBus::new();
    bus.add_mmio("cnt-base2", fvp_cntbase(2), FRAME_SIZE, timer.timer_base(2)).unwrap();
    assert_eq!(bus.read(fvp_cntbase(2) + CNTPCT_LO, 4, root()).unwrap(), 0);
    assert_eq!(bus.read(fvp_cntbase(2) + 0xff0, 4, root()).unwrap(), 0);
    assert_eq!(timer.bad_accesses(), 2);
}

#[test]
fn reset_clears_registers() {
    let r = rig();
    r.tf_a_configure();
    r.w(FVP_CNTCONTROL_BASE + CNTCR, CNTCR_EN, root());
    r.timer.reset();
    assert_eq!(r.timer.state(), GenericTimerState::default());
    assert_eq!(r.r(FVP_CNTCTL_BASE + CNTNSAR, root()), 0);
}
