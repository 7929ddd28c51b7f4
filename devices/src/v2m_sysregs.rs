//! Versatile Express V2M system registers, as the FVP Base RevC provides
//! them at 0x1c01_0000.
//!
//! References: *Motherboard Express µATX (V2M-P1) Technical Reference
//! Manual*, ARM DUI 0447, 4.3 "Register summary" and the register
//! descriptions that follow (SYS_ID, SYS_CFGCTRL, ...); *Fast Models
//! Reference Guide*, the `VE_SysRegs` component of the FVP Base platform.
//! Register names and offsets are those of the TRM; the `SYS_CFG_*`
//! function numbers are those Linux's `vexpress-config`/`vexpress-sysreg`
//! drivers and TF-A's `v2m_def.h` use.
//!
//! What software relies on (see `shared/FVP-MAP.md`):
//! * TF-A BL1/BL2/BL31 read SYS_ID and panic unless ARCH = 1 (model) and
//!   BLD = 1 (A53/A57 GIC map); HBI = 0x020 selects the Base FVP and REV = 2
//!   (RevC) the SMMUv3 and CCI-5xx paths. The default, [`SysId::FVP_BASE_REVC`],
//!   is 0x2020_1100.
//! * TF-A BL1 reads SYS_NVFLAGS and enters firmware update when it is
//!   non-zero. This model has no firmware-update images, so SYS_NVFLAGS
//!   always reads 0; writes to SYS_NVFLAGSSET/CLR are accepted and logged.
//! * PSCI `SYSTEM_OFF`/`SYSTEM_RESET` on FVP write SYS_CFGCTRL with
//!   START | WRITE and FUNCTION = 8 (SHUTDOWN) or 9 (REBOOT), then WFI.
//!   These post [`PowerRequest::Off`]/[`PowerRequest::Reboot`] to the shared
//!   [`SystemControl`]. A write of function 5 (RESET), which Linux's
//!   `vexpress-reset` driver also uses to restart the system, posts
//!   `Reboot` as well.
//!
//! The configuration bus (SYS_CFGDATA/CFGCTRL/CFGSTAT): a write to
//! SYS_CFGCTRL with START set performs the transfer at once, clears START
//! and sets SYS_CFGSTAT.COMPLETE, as Linux's `vexpress_syscfg_exec` polls
//! for. Functions that exist on the V2M (OSC, VOLT, AMP, TEMP, RESET, SCC,
//! MUXFPGA, SHUTDOWN, REBOOT, DVIMODE, POWER, ENERGY) complete without
//! error; reads return 0 in SYS_CFGDATA except OSC, which returns the last
//! frequency written to that oscillator or a default: 50 MHz for OSCCLK0
//! (motherboard clock), 23.75 MHz for OSCCLK1 (the CLCD pixel clock, the
//! bottom of its range in the FVP device tree) and 24 MHz (the peripheral
//! reference clock) for any other. Any other function completes with
//! SYS_CFGSTAT.ERROR set.
//!
//! SYS_100HZ and SYS_24MHZ count guest time ([`GuestClock`]) since the
//! device was created or last reset, as the FVP counts simulated time. SYS_SW, SYS_LED, SYS_FLAGS, SYS_FLASH, SYS_CFGSW, SYS_MISC,
//! SYS_DMA and SYS_PROCID0/1 hold what is written.
//!
//! Accesses to offsets with no register (and writes to read-only or reads
//! of write-only registers) read as zero and are ignored, logged once
//! (target `platform`) and counted ([`V2mSysRegs::bad_accesses`]).

use crate::access::{BadAccess, BadAccesses, mmio_device_of_registers};
use crate::system_control::{PowerRequest, SystemControl};
use parking_lot::Mutex;
use rme_mmu::AccessAttrs;
use std::collections::BTreeMap;
use std::sync::Arc;
use crate::guest_clock::GuestClock;

pub const SYS_ID: u64 = 0x00;
pub const SYS_SW: u64 = 0x04;
pub const SYS_LED: u64 = 0x08;
pub const SYS_100HZ: u64 = 0x24;
/// SYS_FLAGS when read, SYS_FLAGSSET when written.
pub const SYS_FLAGS: u64 = 0x30;
pub const SYS_FLAGSSET: u64 = 0x30;
pub const SYS_FLAGSCLR: u64 = 0x34;
/// SYS_NVFLAGS when read, SYS_NVFLAGSSET when written.
pub const SYS_NVFLAGS: u64 = 0x38;
pub const SYS_NVFLAGSSET: u64 = 0x38;
pub const SYS_NVFLAGSCLR: u64 = 0x3c;
pub const SYS_MCI: u64 = 0x48;
pub const SYS_FLASH: u64 = 0x4c;
pub const SYS_CFGSW: u64 = 0x58;
pub const SYS_24MHZ: u64 = 0x5c;
pub const SYS_MISC: u64 = 0x60;
pub const SYS_DMA: u64 = 0x64;
pub const SYS_PROCID0: u64 = 0x84;
pub const SYS_PROCID1: u64 = 0x88;
pub const SYS_CFGDATA: u64 = 0xa0;
pub const SYS_CFGCTRL: u64 = 0xa4;
pub const SYS_CFGSTAT: u64 = 0xa8;

/// SYS_CFGCTRL fields.
pub const CFGCTRL_START: u32 = 1 << 31;
pub const CFGCTRL_WRITE: u32 = 1 << 30;
pub const CFGCTRL_DCC_SHIFT: u32 = 26;
pub const CFGCTRL_FUNC_SHIFT: u32 = 20;
pub const CFGCTRL_SITE_SHIFT: u32 = 16;
pub const CFGCTRL_POSITION_SHIFT: u32 = 12;
/// `DCC[29:26]`, `FUNCTION[25:20]`, `SITE[17:16]`, `POSITION[15:12]`, `DEVICE[11:0]`.
const CFGCTRL_MASK: u32 = 0xfff3_ffff;
/// The fields that name one device on the configuration bus.
const CFGCTRL_TARGET_MASK: u32 = 0x3c03_ffff;

/// SYS_CFGSTAT bits.
pub const CFGSTAT_COMPLETE: u32 = 1 << 0;
pub const CFGSTAT_ERROR: u32 = 1 << 1;

/// SYS_CFGCTRL.FUNCTION values.
pub const SYS_CFG_OSC: u32 = 1;
pub const SYS_CFG_VOLT: u32 = 2;
pub const SYS_CFG_AMP: u32 = 3;
pub const SYS_CFG_TEMP: u32 = 4;
pub const SYS_CFG_RESET: u32 = 5;
pub const SYS_CFG_SCC: u32 = 6;
pub const SYS_CFG_MUXFPGA: u32 = 7;
pub const SYS_CFG_SHUTDOWN: u32 = 8;
pub const SYS_CFG_REBOOT: u32 = 9;
pub const SYS_CFG_DVIMODE: u32 = 11;
pub const SYS_CFG_POWER: u32 = 12;
pub const SYS_CFG_ENERGY: u32 = 13;

/// A SYS_CFGCTRL value for `func` at `site`/`position`/`device`, START set
/// (`write` adds WRITE). Out-of-range fields are truncated to their width.
pub fn cfgctrl(func: u32, write: bool, site: u32, position: u32, device: u32) -> u32 {
    CFGCTRL_START
        | if write { CFGCTRL_WRITE } else { 0 }
        | (func & 0x3f) << CFGCTRL_FUNC_SHIFT
        | (site & 0x3) << CFGCTRL_SITE_SHIFT
        | (position & 0xf) << CFGCTRL_POSITION_SHIFT
        | (device & 0xfff)
}

/// The fields of SYS_ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SysId {
    /// `REV[31:28]`: board revision (FVP Base: 0 = original, 2 = RevC).
    pub rev: u8,
    /// `HBI[27:16]`: board number (0x020 = Base FVP, 0x010 = Foundation).
    pub hbi: u16,
    /// `BLD[15:12]`: build variant (1 = A53/A57 GIC memory map).
    pub build: u8,
    /// `ARCH[11:8]`: bus architecture (1 = model, as TF-A's ARCH_MODEL).
    pub arch: u8,
    /// `FPGA[7:0]`: FPGA build.
    pub fpga: u8,
}

impl SysId {
    /// FVP Base RevC: 0x2020_1100.
    pub const FVP_BASE_REVC: SysId = SysId { rev: 2, hbi: 0x020, build: 1, arch: 1, fpga: 0 };

    /// The register value (each field truncated to its width).
    pub const fn value(self) -> u32 {
        ((self.rev as u32 & 0xf) << 28)
            | ((self.hbi as u32 & 0xfff) << 16)
            | ((self.build as u32 & 0xf) << 12)
            | ((self.arch as u32 & 0xf) << 8)
            | self.fpga as u32
    }

    pub const fn from_value(v: u32) -> SysId {
        SysId {
            rev: (v >> 28) as u8 & 0xf,
            hbi: (v >> 16) as u16 & 0xfff,
            build: (v >> 12) as u8 & 0xf,
            arch: (v >> 8) as u8 & 0xf,
            fpga: v as u8,
        }
    }
}

impl Default for SysId {
    fn default() -> SysId {
        SysId::FVP_BASE_REVC
    }
}

/// Board configuration: values the hardware fixes, not the guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct V2mConfig {
    pub sys_id: SysId,
    /// Reset value of SYS_SW (user switches).
    pub sys_sw: u32,
    /// Reset values of SYS_PROCID0/1 (daughterboard identification).
    pub procid0: u32,
    pub procid1: u32,
}

impl Default for V2mConfig {
    /// FVP Base RevC.
    fn default() -> V2mConfig {
        V2mConfig { sys_id: SysId::FVP_BASE_REVC, sys_sw: 0, procid0: 0, procid1: 0 }
    }
}

/// Oscillator frequency (Hz) read before any write (see the module docs).
fn default_osc_hz(device: u32) -> u32 {
    match device {
        0 => 50_000_000,
        1 => 23_750_000,
        _ => 24_000_000,
    }
}

/// How many oscillators remember a written frequency; the guest chooses
/// the SITE/POSITION/DEVICE numbers, so the table is bounded.
const MAX_OSCS: usize = 64;

/// The guest-visible state of the V2M system registers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct V2mSysRegsState {
    pub sys_sw: u32,
    pub sys_led: u32,
    pub sys_flags: u32,
    pub sys_flash: u32,
    pub sys_cfgsw: u32,
    pub sys_misc: u32,
    pub sys_dma: u32,
    pub sys_procid0: u32,
    pub sys_procid1: u32,
    pub sys_cfgdata: u32,
    pub sys_cfgctrl: u32,
    pub sys_cfgstat: u32,
    /// Frequencies written to oscillators, by the DCC/SITE/POSITION/DEVICE
    /// bits of SYS_CFGCTRL.
    pub osc_hz: BTreeMap<u32, u32>,
}

impl V2mSysRegsState {
    fn reset(config: &V2mConfig) -> V2mSysRegsState {
        V2mSysRegsState {
            sys_sw: config.sys_sw,
            sys_led: 0,
            sys_flags: 0,
            sys_flash: 0,
            sys_cfgsw: 0,
            sys_misc: 0,
            sys_dma: 0,
            sys_procid0: config.procid0,
            sys_procid1: config.procid1,
            sys_cfgdata: 0,
            sys_cfgctrl: 0,
            sys_cfgstat: 0,
            osc_hz: BTreeMap::new(),
        }
    }
}

struct Inner {
    regs: V2mSysRegsState,
    /// Guest time (ns) at which SYS_100HZ / SYS_24MHZ started counting.
    epoch_ns: u64,
}

/// The V2M system register block.
pub struct V2mSysRegs {
    config: V2mConfig,
    control: Arc<SystemControl>,
    clock: Arc<GuestClock>,
    inner: Mutex<Inner>,
    bad: BadAccesses,
}

impl V2mSysRegs {
    /// The FVP Base RevC block, posting power requests to `control`.
    pub fn new(control: Arc<SystemControl>) -> V2mSysRegs {
        V2mSysRegs::with_config(control, V2mConfig::default())
    }

    pub fn with_config(control: Arc<SystemControl>, config: V2mConfig) -> V2mSysRegs {
        V2mSysRegs::with_clock(control, config, Arc::new(GuestClock::new()))
    }

    /// A block whose counters read the machine's guest clock.
    pub fn with_clock(control: Arc<SystemControl>, config: V2mConfig, clock: Arc<GuestClock>) -> V2mSysRegs {
        let epoch_ns = clock.now_ns();
        V2mSysRegs {
            config,
            control,
            clock,
            inner: Mutex::new(Inner { regs: V2mSysRegsState::reset(&config), epoch_ns }),
            bad: BadAccesses::default(),
        }
    }

    pub fn config(&self) -> &V2mConfig {
        &self.config
    }

    /// The [`SystemControl`] this block posts to.
    pub fn system_control(&self) -> &Arc<SystemControl> {
        &self.control
    }

    /// A copy of the register state.
    pub fn state(&self) -> V2mSysRegsState {
        self.inner.lock().regs.clone()
    }

    /// Returns the registers to their reset values and restarts the
    /// counters (the bad-access count is kept).
    pub fn reset(&self) {
        let mut inner = self.inner.lock();
        inner.regs = V2mSysRegsState::reset(&self.config);
        inner.epoch_ns = self.clock.now_ns();
    }

    /// Accesses that reached no register (see the module documentation).
    pub fn bad_accesses(&self) -> u64 {
        self.bad.count()
    }

    fn bad_access(&self, offset: u64, size: u8, write: bool, why: BadAccess) {
        self.bad.report("v2m-sysregs", offset, size, write, why);
    }

    /// Performs the configuration transfer SYS_CFGCTRL (START set) describes.
    fn config_transfer(&self, regs: &mut V2mSysRegsState) {
        let ctrl = regs.sys_cfgctrl;
        let write = ctrl & CFGCTRL_WRITE != 0;
        let func = (ctrl >> CFGCTRL_FUNC_SHIFT) & 0x3f;
        let target = ctrl & CFGCTRL_TARGET_MASK;
        let device = ctrl & 0xfff;
        let mut status = CFGSTAT_COMPLETE;
        match func {
            SYS_CFG_OSC => {
                if write {
                    if regs.osc_hz.len() < MAX_OSCS || regs.osc_hz.contains_key(&target) {
                        regs.osc_hz.insert(target, regs.sys_cfgdata);
                    }
                    tracing::debug!(target: "platform", ctrl = format_args!("{ctrl:#x}"), hz = regs.sys_cfgdata,
                        "SYS_CFG_OSC write");
                } else {
                    regs.sys_cfgdata = regs.osc_hz.get(&target).copied().unwrap_or_else(|| default_osc_hz(device));
                }
            }
            SYS_CFG_SHUTDOWN | SYS_CFG_REBOOT | SYS_CFG_RESET if write => {
                let req = if func == SYS_CFG_SHUTDOWN { PowerRequest::Off } else { PowerRequest::Reboot };
                let posted = self.control.request(req);
                tracing::info!(target: "platform", ctrl = format_args!("{ctrl:#x}"), ?req, posted,
                    "power request through SYS_CFGCTRL");
            }
            SYS_CFG_VOLT | SYS_CFG_AMP | SYS_CFG_TEMP | SYS_CFG_RESET | SYS_CFG_SCC | SYS_CFG_MUXFPGA
            | SYS_CFG_SHUTDOWN | SYS_CFG_REBOOT | SYS_CFG_DVIMODE | SYS_CFG_POWER | SYS_CFG_ENERGY => {
                if write {
                    tracing::debug!(target: "platform", ctrl = format_args!("{ctrl:#x}"), data = regs.sys_cfgdata,
                        "SYS_CFGCTRL write accepted without effect");
                } else {
                    regs.sys_cfgdata = 0;
                }
            }
            _ => {
                status |= CFGSTAT_ERROR;
                tracing::debug!(target: "platform", ctrl = format_args!("{ctrl:#x}"), func,
                    "SYS_CFGCTRL: no such configuration function (SYS_CFGSTAT.ERROR set)");
            }
        }
        regs.sys_cfgctrl &= !CFGCTRL_START;
        regs.sys_cfgstat = status;
    }
}

impl V2mSysRegs {
    fn read_reg(&self, reg: u64, _attrs: AccessAttrs) -> Result<u32, BadAccess> {
        let inner = self.inner.lock();
        let regs = &inner.regs;
        Ok(match reg {
            SYS_ID => self.config.sys_id.value(),
            SYS_SW => regs.sys_sw,
            SYS_LED => regs.sys_led,
            // Truncation to 32 bits is the counters' wrap-around.
            SYS_100HZ => (self.clock.now_ns().saturating_sub(inner.epoch_ns) / 10_000_000) as u32,
            SYS_FLAGS => regs.sys_flags,
            SYS_NVFLAGS => 0,
            // MMC card detect and write protect: no card.
            SYS_MCI => 0,
            SYS_FLASH => regs.sys_flash,
            SYS_CFGSW => regs.sys_cfgsw,
            SYS_24MHZ => ((self.clock.now_ns().saturating_sub(inner.epoch_ns) as u128) * 3 / 125) as u32,
            SYS_MISC => regs.sys_misc,
            SYS_DMA => regs.sys_dma,
            SYS_PROCID0 => regs.sys_procid0,
            SYS_PROCID1 => regs.sys_procid1,
            SYS_CFGDATA => regs.sys_cfgdata,
            SYS_CFGCTRL => regs.sys_cfgctrl,
            SYS_CFGSTAT => regs.sys_cfgstat,
            _ => {
                let write_only = matches!(reg, SYS_FLAGSCLR | SYS_NVFLAGSCLR);
                return Err(if write_only { BadAccess::WriteOnly } else { BadAccess::NoRegister });
            }
        })
    }

    fn write_reg(&self, reg: u64, value: u32, _attrs: AccessAttrs) -> Result<(), BadAccess> {
        let mut inner = self.inner.lock();
        let regs = &mut inner.regs;
        match reg {
            SYS_SW => regs.sys_sw = value,
            SYS_LED => {
                regs.sys_led = value & 0xff;
                tracing::trace!(target: "platform", leds = format_args!("{:#010b}", regs.sys_led), "SYS_LED");
            }
            SYS_FLAGSSET => regs.sys_flags |= value,
            SYS_FLAGSCLR => regs.sys_flags &= !value,
            SYS_NVFLAGSSET | SYS_NVFLAGSCLR => {
                let what = if reg == SYS_NVFLAGSSET { "SYS_NVFLAGSSET" } else { "SYS_NVFLAGSCLR" };
                tracing::info!(target: "platform", value = format_args!("{value:#x}"),
                    "{what} written; SYS_NVFLAGS keeps reading 0 (no firmware-update images)");
            }
            SYS_FLASH => regs.sys_flash = value & 1,
            SYS_CFGSW => regs.sys_cfgsw = value & 0xff,
            SYS_MISC => regs.sys_misc = value,
            SYS_DMA => regs.sys_dma = value,
            SYS_PROCID0 => regs.sys_procid0 = value,
            SYS_PROCID1 => regs.sys_procid1 = value,
            SYS_CFGDATA => regs.sys_cfgdata = value,
            SYS_CFGCTRL => {
                regs.sys_cfgctrl = value & CFGCTRL_MASK;
                if value & CFGCTRL_START != 0 {
                    self.config_transfer(regs);
                }
            }
            SYS_CFGSTAT => regs.sys_cfgstat = value & (CFGSTAT_COMPLETE | CFGSTAT_ERROR),
            _ => {
                let read_only = matches!(reg, SYS_ID | SYS_100HZ | SYS_MCI | SYS_24MHZ);
                return Err(if read_only { BadAccess::ReadOnly } else { BadAccess::NoRegister });
            }
        }
        Ok(())
    }
}

mmio_device_of_registers!(V2mSysRegs, |self| "v2m-sysregs");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sys_id_fields_round_trip() {
        assert_eq!(SysId::FVP_BASE_REVC.value(), 0x2020_1100);
        assert_eq!(SysId::from_value(0x2020_1100), SysId::FVP_BASE_REVC);
        let foundation = SysId { rev: 0, hbi: 0x010, build: 1, arch: 1, fpga: 0x5a };
        assert_eq!(foundation.value(), 0x0010_115a);
        assert_eq!(SysId::from_value(foundation.value()), foundation);
    }

    #[test]
    fn cfgctrl_encoding() {
        assert_eq!(cfgctrl(SYS_CFG_SHUTDOWN, true, 0, 0, 0), 0xc080_0000);
        assert_eq!(cfgctrl(SYS_CFG_REBOOT, true, 0, 0, 0), 0xc090_0000);
        assert_eq!(cfgctrl(SYS_CFG_OSC, false, 1, 2, 3), 0x8011_2003);
    }
}
