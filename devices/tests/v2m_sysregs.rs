//! V2M system register tests: each register driven through a real
//! `PhysBus` at the FVP address, power requests checked at the
//! `SystemControl`.

use rme_devices::system_control::{PowerRequest, SystemControl};
use rme_devices::v2m_sysregs::*;
use rme_mmu::{AccessAttrs, Pas, PhysBus};
use std::sync::Arc;
use rme_devices::GuestClock;

const BASE: u64 = 0x1c01_0000;

struct Rig {
    bus: PhysBus,
    regs: Arc<V2mSysRegs>,
    control: Arc<SystemControl>,
    clock: Arc<GuestClock>,
}

fn a() -> AccessAttrs {
    AccessAttrs::cpu(0, Pas::Root)
}

fn rig_with(config: V2mConfig) -> Rig {
    let control = Arc::new(SystemControl::new());
    let clock = Arc::new(GuestClock::new());
    let regs = Arc::new(V2mSysRegs::with_clock(control.clone(), config, clock.clone()));
    let mut bus = PhysBus::new();
    bus.add_mmio("v2m-sysregs", BASE, 0x1000, regs.clone()).unwrap();
    Rig { bus, regs, control, clock }
}

fn rig() -> Rig {
    rig_with(V2mConfig::default())
}

impl Rig {
    fn r(&self, off: u64) -> u32 {
        self.bus.read(BASE + off, 4, a()).unwrap() as u32
    }
    fn w(&self, off: u64, v: u32) {
        self.bus.write(BASE + off, 4, u64::from(v), a()).unwrap()
    }
    /// Linux's vexpress_syscfg_exec: data, clear status, command, poll.
    fn syscfg(&self, func: u32, write: bool, device: u32, data: u32) -> (u32, u32) {
        assert_eq!(self.r(SYS_CFGCTRL) & CFGCTRL_START, 0, "busy before the transfer");
        self.w(SYS_CFGDATA, if write { data } else { 0xdead_beef });
        self.w(SYS_CFGSTAT, 0);
        self.w(SYS_CFGCTRL, cfgctrl(func, write, 0, 0, device));
        let stat = self.r(SYS_CFGSTAT);
        assert_eq!(self.r(SYS_CFGCTRL) & CFGCTRL_START, 0, "START not cleared");
        (stat, self.r(SYS_CFGDATA))
    }
}

#[test]
fn sys_id_is_fvp_base_revc() {
    let r = rig();
    let id = r.r(SYS_ID);
    assert_eq!(id, 0x2020_1100);
    // The fields TF-A's fvp_config_setup checks.
    assert_eq!(id >> 28, 2, "REV = RevC");
    assert_eq!((id >> 16) & 0xfff, 0x020, "HBI = Base FVP");
    assert_eq!((id >> 12) & 0xf, 1, "BLD = A53/A57 GIC map");
    assert_eq!((id >> 8) & 0xf, 1, "ARCH = model");
    // Read-only.
    r.w(SYS_ID, 0);
    assert_eq!(r.r(SYS_ID), 0x2020_1100);
    assert_eq!(r.regs.bad_accesses(), 1);
}

#[test]
fn sys_id_is_configurable() {
    let sys_id = SysId { rev: 0, hbi: 0x010, build: 1, arch: 1, fpga: 0 };
    let r = rig_with(V2mConfig { sys_id, ..V2mConfig::default() });
    assert_eq!(r.r(SYS_ID), 0x0010_1100);
}

#[test]
fn sys_sw() {
    let r = rig_with(V2mConfig { sys_sw: 0x5, ..V2mConfig::default() });
    assert_eq!(r.r(SYS_SW), 0x5);
    r.w(SYS_SW, 0xa0);
    assert_eq!(r.r(SYS_SW), 0xa0);
    r.regs.reset();
    assert_eq!(r.r(SYS_SW), 0x5);
}

#[test]
fn sys_led() {
    let r = rig();
    assert_eq!(r.r(SYS_LED), 0);
    r.w(SYS_LED, 0x1a5);
    assert_eq!(r.r(SYS_LED), 0xa5);
}

#[test]
fn sys_100hz_counts() {
    let r = rig();
    let t0 = r.r(SYS_100HZ);
    // Guest time, not host time: 35 ms of guest time is 3 ticks of 10 ms.
    r.clock.advance_to(35_000_000);
    let t1 = r.r(SYS_100HZ);
    assert_eq!((t0, t1), (0, 3));
    r.w(SYS_100HZ, 0); // read-only
    assert_eq!(r.regs.bad_accesses(), 1);
}

#[test]
fn sys_24mhz_counts() {
    let r = rig();
    let t0 = r.r(SYS_24MHZ);
    r.clock.advance_to(20_000_000);
    let t1 = r.r(SYS_24MHZ);
    // Exactly 20 ms worth of a 24 MHz clock.
    assert_eq!((t0, t1), (0, 480_000));
}

#[test]
fn sys_flags_set_and_clear() {
    let r = rig();
    assert_eq!(r.r(SYS_FLAGS), 0);
    r.w(SYS_FLAGSSET, 0x8000_0010);
    r.w(SYS_FLAGSSET, 0x3);
    assert_eq!(r.r(SYS_FLAGS), 0x8000_0013);
    r.w(SYS_FLAGSCLR, 0x8000_0001);
    assert_eq!(r.r(SYS_FLAGS), 0x12);
    // SYS_FLAGSCLR is write-only.
    assert_eq!(r.r(SYS_FLAGSCLR), 0);
    assert_eq!(r.regs.bad_accesses(), 1);
}

#[test]
fn sys_nvflags_reads_zero() {
    let r = rig();
    assert_eq!(r.r(SYS_NVFLAGS), 0);
    // BL2's error handler may set an error code; BL1 must still not take
    // the firmware-update path.
    r.w(SYS_NVFLAGSSET, 0xffff_ffb6);
    assert_eq!(r.r(SYS_NVFLAGS), 0);
    r.w(SYS_NVFLAGSCLR, 0xffff_ffff);
    assert_eq!(r.r(SYS_NVFLAGS), 0);
    assert_eq!(r.regs.bad_accesses(), 0);
}

#[test]
fn sys_mci_no_card() {
    let r = rig();
    assert_eq!(r.r(SYS_MCI), 0);
}

#[test]
fn sys_flash() {
    let r = rig();
    r.w(SYS_FLASH, 0xffff_ffff);
    assert_eq!(r.r(SYS_FLASH), 1);
}

#[test]
fn sys_cfgsw() {
    let r = rig();
    r.w(SYS_CFGSW, 0x1234);
    assert_eq!(r.r(SYS_CFGSW), 0x34);
}

#[test]
fn sys_misc() {
    let r = rig();
    r.w(SYS_MISC, 1 << 14);
    assert_eq!(r.r(SYS_MISC), 1 << 14);
}

#[test]
fn sys_dma() {
    let r = rig();
    r.w(SYS_DMA, 0x0303);
    assert_eq!(r.r(SYS_DMA), 0x0303);
}

#[test]
fn sys_procid() {
    let r = rig_with(V2mConfig { procid0: 0x1400_0237, procid1: 0xff00_0000, ..V2mConfig::default() });
    assert_eq!(r.r(SYS_PROCID0), 0x1400_0237);
    assert_eq!(r.r(SYS_PROCID1), 0xff00_0000);
    r.w(SYS_PROCID0, 1);
    r.w(SYS_PROCID1, 2);
    assert_eq!((r.r(SYS_PROCID0), r.r(SYS_PROCID1)), (1, 2));
}

#[test]
fn sys_cfgdata_and_cfgstat_hold_values() {
    let r = rig();
    r.w(SYS_CFGDATA, 0xcafe_f00d);
    assert_eq!(r.r(SYS_CFGDATA), 0xcafe_f00d);
    r.w(SYS_CFGSTAT, 0xffff_ffff);
    assert_eq!(r.r(SYS_CFGSTAT), CFGSTAT_COMPLETE | CFGSTAT_ERROR);
    r.w(SYS_CFGSTAT, 0);
    assert_eq!(r.r(SYS_CFGSTAT), 0);
}

#[test]
fn sys_cfgctrl_without_start_does_nothing() {
    let r = rig();
    let v = cfgctrl(SYS_CFG_SHUTDOWN, true, 0, 0, 0) & !CFGCTRL_START;
    r.w(SYS_CFGCTRL, v);
    assert_eq!(r.r(SYS_CFGCTRL), v);
    assert_eq!(r.r(SYS_CFGSTAT), 0);
    assert_eq!(r.control.peek(), None);
    // Reserved bits [19:18] read as zero.
    r.w(SYS_CFGCTRL, 0x000c_0000);
    assert_eq!(r.r(SYS_CFGCTRL), 0);
}

#[test]
fn sys_cfgctrl_shutdown_requests_power_off() {
    let r = rig();
    // TF-A fvp_system_off: START | RW | FUNC(SHUTDOWN), site 0, device 0.
    r.w(SYS_CFGCTRL, 0xc080_0000);
    assert_eq!(r.control.peek(), Some(PowerRequest::Off));
    assert_eq!(r.r(SYS_CFGSTAT), CFGSTAT_COMPLETE);
    assert_eq!(r.r(SYS_CFGCTRL), 0x4080_0000);
    assert_eq!(r.control.take(), Some(PowerRequest::Off));
    assert_eq!(r.control.take(), None);
}

#[test]
fn sys_cfgctrl_reboot_requests_reboot() {
    let r = rig();
    let (stat, _) = r.syscfg(SYS_CFG_REBOOT, true, 0, 0);
    assert_eq!(stat, CFGSTAT_COMPLETE);
    assert_eq!(r.control.take(), Some(PowerRequest::Reboot));
}

#[test]
fn sys_cfgctrl_reset_function_requests_reboot() {
    let r = rig();
    let (stat, _) = r.syscfg(SYS_CFG_RESET, true, 0, 0);
    assert_eq!(stat, CFGSTAT_COMPLETE);
    assert_eq!(r.control.take(), Some(PowerRequest::Reboot));
}

#[test]
fn sys_cfgctrl_power_functions_read_do_nothing() {
    let r = rig();
    for func in [SYS_CFG_SHUTDOWN, SYS_CFG_REBOOT, SYS_CFG_RESET] {
        let (stat, data) = r.syscfg(func, false, 0, 0);
        assert_eq!((stat, data), (CFGSTAT_COMPLETE, 0), "func {func}");
    }
    assert_eq!(r.control.peek(), None);
}

#[test]
fn sys_cfgctrl_osc_reads_defaults_and_remembers_writes() {
    let r = rig();
    assert_eq!(r.syscfg(SYS_CFG_OSC, false, 0, 0), (CFGSTAT_COMPLETE, 50_000_000));
    assert_eq!(r.syscfg(SYS_CFG_OSC, false, 1, 0), (CFGSTAT_COMPLETE, 23_750_000));
    assert_eq!(r.syscfg(SYS_CFG_OSC, false, 2, 0), (CFGSTAT_COMPLETE, 24_000_000));
    assert_eq!(r.syscfg(SYS_CFG_OSC, true, 1, 31_500_000).0, CFGSTAT_COMPLETE);
    assert_eq!(r.syscfg(SYS_CFG_OSC, false, 1, 0), (CFGSTAT_COMPLETE, 31_500_000));
    // Other oscillators are unaffected.
    assert_eq!(r.syscfg(SYS_CFG_OSC, false, 2, 0), (CFGSTAT_COMPLETE, 24_000_000));
}

#[test]
fn sys_cfgctrl_osc_table_is_bounded() {
    let r = rig();
    for dev in 0..0x1000 {
        r.syscfg(SYS_CFG_OSC, true, dev, 1000 + dev);
    }
    assert!(r.regs.state().osc_hz.len() <= 64);
    // The first ones were remembered, later ones read their default.
    assert_eq!(r.syscfg(SYS_CFG_OSC, false, 3, 0).1, 1003);
    assert_eq!(r.syscfg(SYS_CFG_OSC, false, 0xfff, 0).1, 24_000_000);
}

#[test]
fn sys_cfgctrl_other_functions_complete_with_zero() {
    let r = rig();
    for func in [
        SYS_CFG_VOLT,
        SYS_CFG_AMP,
        SYS_CFG_TEMP,
        SYS_CFG_SCC,
        SYS_CFG_MUXFPGA,
        SYS_CFG_DVIMODE,
        SYS_CFG_POWER,
        SYS_CFG_ENERGY,
    ] {
        assert_eq!(r.syscfg(func, false, 0, 0), (CFGSTAT_COMPLETE, 0), "read func {func}");
        assert_eq!(r.syscfg(func, true, 0, 7).0, CFGSTAT_COMPLETE, "write func {func}");
    }
    assert_eq!(r.control.peek(), None);
}

#[test]
fn sys_cfgctrl_unknown_function_reports_error() {
    let r = rig();
    for func in [0, 10, 14, 63] {
        let (stat, _) = r.syscfg(func, true, 0, 0);
        assert_eq!(stat, CFGSTAT_COMPLETE | CFGSTAT_ERROR, "func {func}");
    }
    assert_eq!(r.control.peek(), None);
}

#[test]
fn unknown_and_malformed_accesses_are_counted_not_fatal() {
    let r = rig();
    let before = r.regs.state();
    assert_eq!(r.r(0x0c), 0);
    r.w(0x0c, 0xffff_ffff);
    assert_eq!(r.r(0xffc), 0);
    r.w(SYS_MCI, 1);
    r.w(SYS_24MHZ, 1);
    assert_eq!(r.bus.read(BASE + SYS_ID + 2, 2, a()).unwrap(), 0);
    r.bus.write(BASE + SYS_CFGCTRL, 8, 0xc080_0000, a()).unwrap();
    assert_eq!(r.regs.bad_accesses(), 7);
    assert_eq!(r.regs.state(), before);
    assert_eq!(r.control.peek(), None);
    // Narrow reads at a register's offset return its low bytes.
    assert_eq!(r.bus.read(BASE + SYS_ID, 2, a()).unwrap(), 0x1100);
    assert_eq!(r.bus.read(BASE + SYS_ID, 1, a()).unwrap(), 0x00);
}

#[test]
fn every_offset_and_size_is_safe() {
    let r = rig();
    for off in 0..0x1000u64 {
        for size in [1u8, 2, 4, 8] {
            if off + u64::from(size) > 0x1000 {
                continue;
            }
            r.bus.read(BASE + off, size, a()).unwrap();
            r.bus.write(BASE + off, size, 0x5a5a_5a5a_5a5a_5a5a, a()).unwrap();
        }
    }
    assert!(r.regs.bad_accesses() > 0);
}

#[test]
fn reset_restores_registers() {
    let r = rig();
    r.w(SYS_LED, 0xff);
    r.w(SYS_FLAGSSET, 0xff);
    r.syscfg(SYS_CFG_OSC, true, 1, 42);
    r.regs.reset();
    assert_eq!(r.r(SYS_LED), 0);
    assert_eq!(r.r(SYS_FLAGS), 0);
    assert_eq!(r.r(SYS_CFGSTAT), 0);
    assert_eq!(r.syscfg(SYS_CFG_OSC, false, 1, 0).1, 23_750_000);
}

#[test]
fn device_name_and_control_accessors() {
    let r = rig();
    assert_eq!(rme_mmu::MmioDevice::name(&*r.regs), "v2m-sysregs");
    assert!(Arc::ptr_eq(r.regs.system_control(), &r.control));
    assert_eq!(r.regs.config().sys_id, SysId::FVP_BASE_REVC);
}
