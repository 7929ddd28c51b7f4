//! FVP power controller tests: every register driven through a real
//! `PhysBus` at 0x1c10_0000, replaying what TF-A's BL1 (cold/warm boot
//! test, secondaries turning themselves off) and PSCI (CPU_ON, CPU_OFF,
//! cluster off, suspend with wake-up) do.

use rme_devices::fvp_power_controller::*;
use rme_mmu::{AccessAttrs, Pas, PhysBus};
use std::sync::Arc;

const BASE: u64 = FVP_PWRC_BASE;
/// MPIDR_EL1 of the FVP -1t PEs: RES1 bit 31, MT bit 24, Aff2 = cluster,
/// Aff1 = core.
const MPIDR_HI: u64 = 0x8100_0000;
const PES: [u64; 8] = [0x0, 0x100, 0x200, 0x300, 0x1_0000, 0x1_0100, 0x1_0200, 0x1_0300];

struct Rig {
    bus: PhysBus,
    pwrc: Arc<FvpPowerController>,
}

fn rig_with(config: PowerControllerConfig) -> Rig {
    let pwrc = Arc::new(FvpPowerController::with_config(config));
    let mut bus = PhysBus::new();
    bus.add_mmio("fvp-pwrc", BASE, FVP_PWRC_SIZE, pwrc.clone()).unwrap();
    Rig { bus, pwrc }
}

fn rig() -> Rig {
    rig_with(PowerControllerConfig::default())
}

/// CPU `cpu` (its index) at EL3.
fn cpu(cpu: u32) -> AccessAttrs {
    AccessAttrs::cpu(cpu, Pas::Root)
}

impl Rig {
    fn r(&self, c: u32, off: u64) -> u32 {
        self.bus.read(BASE + off, 4, cpu(c)).unwrap() as u32
    }
    fn w(&self, c: u32, off: u64, v: u64) {
        self.bus.write(BASE + off, 4, v, cpu(c)).unwrap()
    }
    /// fvp_pwrc_read_psysr: write the (masked) MPIDR, read PSYSR.
    fn psysr(&self, c: u32, mpidr: u64) -> u32 {
        self.w(c, PSYSR, mpidr & 0xff_ffff);
        self.r(c, PSYSR)
    }
    /// BL1's plat_get_my_entrypoint: `str w2` of the whole MPIDR, read WK.
    fn my_wk(&self, c: u32) -> u32 {
        self.w(c, PSYSR, MPIDR_HI | PES[c as usize]);
        (self.r(c, PSYSR) >> PSYSR_WK_SHIFT) & 3
    }
    /// plat_secondary_cold_boot_setup: PPOFFR with the whole MPIDR, WFI.
    fn secondary_off(&self, c: u32) -> WfiAction {
        self.w(c, PPOFFR, MPIDR_HI | PES[c as usize]);
        self.pwrc.wfi(PES[c as usize])
    }
}

#[test]
fn psysr_cold_boot_every_pe_reads_cold_and_on() {
    let r = rig();
    for (c, &aff) in PES.iter().enumerate() {
        let c = c as u32;
        assert_eq!(r.my_wk(c), 0, "WK cold for {aff:#x}");
        let v = r.r(c, PSYSR);
        assert_eq!(v & ID_MASK, aff as u32, "PSYSR[23:0] is the ID");
        assert_eq!(v & (PSYSR_AFF_L0 | PSYSR_AFF_L1 | PSYSR_AFF_L2), PSYSR_AFF_L0 | PSYSR_AFF_L1 | PSYSR_AFF_L2);
        assert_eq!(v & (PSYSR_WEN | PSYSR_PC | PSYSR_PP), 0);
    }
    assert!(r.pwrc.take_requests().is_empty());
}

#[test]
fn psysr_of_unknown_mpidr_is_invalid() {
    let r = rig();
    // plat_core_pos_by_mpidr validates with PSYSR_INVALID.
    assert_eq!(r.psysr(0, 0x400), PSYSR_INVALID, "core 4 does not exist");
    assert_eq!(r.psysr(0, 0x2_0000), PSYSR_INVALID, "cluster 2 does not exist");
    assert_eq!(r.psysr(0, 0x1), PSYSR_INVALID, "thread 1 does not exist");
    assert_eq!(r.psysr(0, 0x1_0300) & ID_MASK, 0x1_0300);
}

#[test]
fn ppoffr_secondaries_power_off_at_wfi() {
    let r = rig();
    // A secondary writes PPOFFR: off is pending until its WFI.
    r.w(1, PPOFFR, MPIDR_HI | 0x100);
    let v = r.psysr(0, 0x100);
    assert_ne!(v & PSYSR_PP, 0);
    assert_ne!(v & PSYSR_AFF_L0, 0, "still on until WFI");
    assert_eq!(r.r(0, PPOFFR), 0x100, "PPOFFR reads back the ID");
    assert_eq!(r.pwrc.wfi(0x100), WfiAction::PowerDown);
    let v = r.psysr(0, 0x100);
    assert_eq!(v & (PSYSR_AFF_L0 | PSYSR_PP), 0);
    assert_eq!(r.pwrc.is_on(0x100), Some(false));
    // All the other secondaries too; the primary's WFI is a plain standby.
    for c in 2..8 {
        assert_eq!(r.secondary_off(c), WfiAction::PowerDown);
    }
    assert_eq!(r.pwrc.wfi(0), WfiAction::Standby);
    assert_eq!(r.pwrc.is_on(0), Some(true));
    assert!(r.pwrc.take_requests().is_empty(), "powering off is not an event");
}

#[test]
fn pponr_cpu_on_releases_core_with_wake_reason_pponr() {
    let r = rig();
    for c in 1..8 {
        r.secondary_off(c);
    }
    // fvp_pwr_domain_on: poll until AFF_L0 clears, then PPONR.
    let target = 0x1_0200;
    while r.psysr(0, target) & PSYSR_AFF_L0 != 0 {}
    r.w(0, PPONR, target);
    assert_eq!(r.r(0, PPONR), target as u32);
    assert_eq!(
        r.pwrc.take_requests(),
        vec![PowerEvent { mpidr: target as u32, kind: PowerEventKind::On { reason: WakeReason::Pponr } }]
    );
    assert!(r.pwrc.take_requests().is_empty(), "taken once");
    // The released core runs BL1: plat_get_my_entrypoint sees a warm boot.
    assert_eq!(r.my_wk(6), WKUP_PPONR_VALUE);
    let v = r.psysr(0, target);
    assert_ne!(v & PSYSR_AFF_L0, 0);
    assert_ne!(v & PSYSR_AFF_L2, 0, "its cluster is on");
}

/// WKUP_PPONR in TF-A's fvp_pwrc.h.
const WKUP_PPONR_VALUE: u32 = 2;

#[test]
fn pponr_of_a_running_pe_cancels_pending_power_off() {
    let r = rig();
    r.w(0, PPOFFR, 0x0);
    r.w(0, PCOFFR, 0x0);
    let v = r.psysr(0, 0);
    assert_ne!(v & PSYSR_PP, 0);
    assert_ne!(v & PSYSR_PC, 0);
    // fvp_power_domain_on_finish_common writes PPONR for itself.
    r.w(0, PPONR, 0x0);
    assert_eq!(r.psysr(0, 0) & (PSYSR_PP | PSYSR_PC), 0);
    assert!(r.pwrc.take_requests().is_empty(), "no power-on for a running PE");
    assert_eq!(r.pwrc.wfi(0), WfiAction::Standby);
}

#[test]
fn pcoffr_powers_cluster_off_and_aff_levels_follow() {
    let r = rig();
    // Cluster 1: three PEs off, the last one turns the cluster off.
    for c in 5..8 {
        r.secondary_off(c);
    }
    assert_ne!(r.psysr(0, 0x1_0100) & PSYSR_AFF_L2, 0, "cluster 1 still has PE 0x10000 on");
    assert_eq!(r.psysr(0, 0x1_0100) & PSYSR_AFF_L1, 0, "core 1 of cluster 1 is off");
    r.w(4, PPOFFR, MPIDR_HI | 0x1_0000);
    r.w(4, PCOFFR, MPIDR_HI | 0x1_0000);
    assert_eq!(r.r(0, PCOFFR), 0x1_0000);
    assert_ne!(r.psysr(0, 0x1_0000) & PSYSR_PC, 0);
    assert_eq!(r.pwrc.wfi(0x1_0000), WfiAction::PowerDown);
    for aff in [0x1_0000, 0x1_0300] {
        let v = r.psysr(0, aff);
        assert_eq!(v & (PSYSR_AFF_L0 | PSYSR_AFF_L1 | PSYSR_AFF_L2 | PSYSR_PC), 0, "{aff:#x}: {v:#x}");
    }
    assert_ne!(r.psysr(0, 0x0) & PSYSR_AFF_L2, 0, "cluster 0 unaffected");
}

#[test]
fn pcoffr_marks_every_running_pe_of_the_cluster() {
    let r = rig();
    r.w(0, PCOFFR, 0x0);
    for aff in [0x0, 0x100, 0x200, 0x300] {
        assert_ne!(r.psysr(0, aff) & PSYSR_PC, 0, "{aff:#x}");
    }
    assert_eq!(r.psysr(0, 0x1_0000) & PSYSR_PC, 0);
    // A PE of the cluster that WFIs now powers off; powering one on clears
    // the cluster's pending power-off.
    assert_eq!(r.pwrc.wfi(0x200), WfiAction::PowerDown);
    r.w(0, PPONR, 0x200);
    assert_eq!(r.psysr(0, 0x100) & PSYSR_PC, 0);
    assert_eq!(r.pwrc.wfi(0x100), WfiAction::Standby);
}

#[test]
fn pwkupr_wen_and_gic_wake_request() {
    let r = rig();
    // CPU_SUSPEND to power-down: PWKUPR.WEN, PPOFFR, WFI.
    r.w(2, PWKUPR, PWKUPR_WEN as u64 | 0x200);
    assert_eq!(r.r(0, PWKUPR), PWKUPR_WEN | 0x200);
    assert_ne!(r.psysr(0, 0x200) & PSYSR_WEN, 0);
    r.w(2, PPOFFR, 0x200);
    assert_eq!(r.pwrc.wfi(0x200), WfiAction::PowerDown);
    // An interrupt for it: the GIC's wake request powers it on.
    r.pwrc.set_wake_request(0x200, true);
    assert_eq!(
        r.pwrc.take_requests(),
        vec![PowerEvent { mpidr: 0x200, kind: PowerEventKind::On { reason: WakeReason::GicWakeRequest } }]
    );
    assert_eq!(r.my_wk(2), 3, "WKUP_GICREQ");
    // fvp_power_domain_on_finish_common clears WEN.
    r.w(2, PWKUPR, 0x200);
    assert_eq!(r.psysr(0, 0x200) & PSYSR_WEN, 0);
    assert_eq!(r.r(0, PWKUPR), 0x200);
}

#[test]
fn wake_request_without_wen_waits_for_pwkupr() {
    let r = rig();
    r.secondary_off(3);
    r.pwrc.set_wake_request(0x300, true);
    assert!(r.pwrc.take_requests().is_empty(), "WEN clear: stays off");
    assert_eq!(r.pwrc.is_on(0x300), Some(false));
    r.w(0, PWKUPR, PWKUPR_WEN as u64 | 0x300);
    let ev = r.pwrc.take_requests();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].kind, PowerEventKind::On { reason: WakeReason::GicWakeRequest });
    // A withdrawn request does nothing.
    r.secondary_off(3);
    r.pwrc.set_wake_request(0x300, false);
    assert!(!r.pwrc.has_requests());
}

#[test]
fn wfi_with_wake_request_pending_comes_straight_back() {
    let r = rig();
    r.w(1, PWKUPR, PWKUPR_WEN as u64 | 0x100);
    r.pwrc.set_wake_request(0x100, true);
    r.w(1, PPOFFR, 0x100);
    assert_eq!(r.pwrc.wfi(0x100), WfiAction::PowerDown);
    assert_eq!(r.pwrc.take_requests()[0].kind, PowerEventKind::On { reason: WakeReason::GicWakeRequest });
    assert_eq!(r.pwrc.is_on(0x100), Some(true));
}

#[test]
fn registers_naming_no_pe_read_invalid() {
    let r = rig();
    for reg in [PPOFFR, PPONR, PCOFFR, PWKUPR] {
        r.w(0, reg, 0x0500);
        assert_eq!(r.r(0, reg), PSYSR_INVALID, "reg {reg:#x}");
    }
    assert!(r.pwrc.take_requests().is_empty());
    assert_eq!(r.pwrc.bad_accesses(), 0, "valid registers, bad IDs: not bad accesses");
}

#[test]
fn psysr_selection_is_per_requesting_cpu() {
    let r = rig();
    r.secondary_off(1);
    r.w(0, PSYSR, 0x100);
    r.w(1, PSYSR, 0x0);
    assert_eq!(r.r(0, PSYSR) & (ID_MASK | PSYSR_AFF_L0), 0x100, "CPU 0 sees the PE it selected");
    assert_eq!(r.r(1, PSYSR) & (ID_MASK | PSYSR_AFF_L0), PSYSR_AFF_L0);
    assert_eq!(r.pwrc.psysr(0x100) & PSYSR_AFF_L0, 0, "host view");
}

#[test]
fn startup_set_leaves_other_pes_off() {
    let config = PowerControllerConfig { startup: Some(vec![0x0]), ..PowerControllerConfig::default() };
    let r = rig_with(config);
    assert_ne!(r.psysr(0, 0) & PSYSR_AFF_L0, 0);
    assert_eq!(r.psysr(0, 0x100) & PSYSR_AFF_L0, 0);
    assert_eq!(r.psysr(0, 0x1_0000) & (PSYSR_AFF_L0 | PSYSR_AFF_L2), 0, "cluster 1 all off");
    r.w(0, PPONR, 0x1_0000);
    assert_eq!(r.pwrc.take_requests().len(), 1);
}

#[test]
fn non_mt_layout_clusters_are_aff1() {
    let r = rig_with(PowerControllerConfig::fvp(2, 2, 1, false));
    assert_eq!(r.pwrc.config().pes, vec![0x0, 0x1, 0x100, 0x101]);
    r.w(0, PPOFFR, 0x101);
    assert_eq!(r.pwrc.wfi(0x101), WfiAction::PowerDown);
    assert_ne!(r.psysr(0, 0x101) & PSYSR_AFF_L1, 0, "cluster 1 (Aff1) still has 0x100 on");
    r.w(0, PCOFFR, 0x100);
    assert_ne!(r.psysr(0, 0x100) & PSYSR_PC, 0);
    assert_eq!(r.psysr(0, 0x0) & PSYSR_PC, 0, "other cluster");
    assert_eq!(r.pwrc.wfi(0x100), WfiAction::PowerDown);
    assert_eq!(r.psysr(0, 0x101) & PSYSR_AFF_L1, 0, "cluster 1 off");
}

#[test]
fn reset_restores_cold_state() {
    let r = rig();
    r.secondary_off(1);
    r.w(0, PPONR, 0x100);
    assert_eq!(r.my_wk(1), 2);
    r.pwrc.reset();
    assert_eq!(r.my_wk(1), 0);
    assert!(r.pwrc.take_requests().is_empty());
    assert_eq!(r.pwrc.state().pes.iter().filter(|p| p.on).count(), 8);
}

#[test]
fn bad_accesses_are_counted_not_fatal() {
    let r = rig();
    assert_eq!(r.bus.read(BASE + 0x14, 4, cpu(0)).unwrap(), 0);
    r.bus.write(BASE + 0x100, 4, 1, cpu(0)).unwrap();
    assert_eq!(r.bus.read(BASE + PSYSR, 8, cpu(0)).unwrap(), 0, "8-byte access");
    r.bus.write(BASE + 0x2, 2, 0, cpu(0)).unwrap();
    assert_eq!(r.pwrc.bad_accesses(), 4);
    // A 1-byte PSYSR read returns the low byte.
    r.w(0, PSYSR, 0x300);
    assert_eq!(r.bus.read(BASE + PSYSR, 1, cpu(0)).unwrap(), 0x00);
}
