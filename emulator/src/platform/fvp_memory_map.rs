//! The memory map of Arm's FVP Base RevC, as TF-A `PLAT=fvp`, TF-RMM `fvp`
//! and Linux `fvp-base-revc.dts` use it (`shared/FVP-MAP.md` has the
//! details each piece of software relies on).
//!
//! ```text
//!  physical address        size      what                     modelled as
//!  ---------------------   -------   ----------------------   --------------------------
//!  0x0_0000_0000           64 MiB    trusted boot ROM (BL1)   ROM  (--bl1 / world tour)
//!  0x0_0400_0000           256 KiB   trusted SRAM             RAM
//!  0x0_0600_0000           32 MiB    trusted DRAM             RAM
//!  0x0_0800_0000           64 MiB    NOR flash0 (FIP)         MMIO (--fip; CFI read-array, program, erase)
//!  0x0_1c01_0000           4 KiB     V2M system registers     MMIO (SYS_ID, SYS_CFGCTRL)
//!  0x0_1c09_0000           4 KiB     PL011 UART0              MMIO (boot console; UARTn -> SPI 5+n)
//!  0x0_1c0a_0000           4 KiB     PL011 UART1              MMIO (BL31 runtime console)
//!  0x0_1c0b_0000           4 KiB     PL011 UART2              MMIO
//!  0x0_1c0c_0000           4 KiB     PL011 UART3              MMIO (TRP / RMM console)
//!  0x0_1c10_0000           4 KiB     power controller         MMIO (PSYSR, PPONR/PPOFFR/PCOFFR/PWKUPR)
//!  0x0_2a00_0000           64 KiB    CCI-550                  MMIO (snoop/DVM enables, STATUS)
//!  0x0_2a43_0000           64 KiB    CNTControlBase           MMIO (Secure only; counter on guest time)
//!  0x0_2a49_0000           4 KiB     SP805 trusted watchdog   MMIO (Secure only)
//!  0x0_2a4a_0000           4 KiB     TZC-400                  MMIO (regions stored, not enforced)
//!  0x0_2a80_0000 ...       4 x 64 KiB CNTRead/CNTCTL/CNTBase0/1 MMIO (memory-mapped timers)
//!  0x0_2b40_0000           192 KiB   SMMUv3 registers         MMIO (no DMA masters: registers only)
//!  0x0_2f00_0000           64 KiB    GICv3 distributor        MMIO (rme-gic, GIC-600 IDs)
//!  0x0_2f10_0000           128 KiB/PE GICv3 redistributors   MMIO (one frame pair per CPU)
//!  0x0_8000_0000           <= 2 GiB  DRAM bank 0              RAM  (first 2 GiB of --memory)
//!      0x0_8200_0000                   --dtb load address
//!      0x0_8400_0000                   --kernel load address
//!      0x0_9000_0000                   --initrd load address
//!  0x8_8000_0000           <= 30 GiB DRAM bank 1              RAM  (the rest of --memory)
//! ```
//!
//! Anything else is unmapped: an access to it is a bus error (the CPU
//! takes an External abort) and is logged once per 4 KiB page under the
//! `platform` target.

use rme_devices::sp805::Sp805Config;
use rme_devices::{
    Cci550, CfiFlash, FvpPowerController, InterruptLine, PowerControllerConfig, GenericTimer, GuestClock, Pl011, SmmuV3, Sp805,
    StdoutSink, SystemControl, Tzc400, UartSink, V2mConfig, V2mSysRegs,
};
use rme_gic::{Gic, GicConfig};
use rme_mmu::{MapError, PhysBus};
use std::sync::Arc;

pub const TRUSTED_ROM_BASE: u64 = 0x0000_0000;
pub const TRUSTED_ROM_SIZE: u64 = 64 << 20;
pub const TRUSTED_SRAM_BASE: u64 = 0x0400_0000;
pub const TRUSTED_SRAM_SIZE: u64 = 256 << 10;
pub const TRUSTED_DRAM_BASE: u64 = 0x0600_0000;
pub const TRUSTED_DRAM_SIZE: u64 = 32 << 20;
pub const FLASH0_BASE: u64 = 0x0800_0000;
pub const FLASH0_SIZE: u64 = 64 << 20;
pub const V2M_SYSREGS_BASE: u64 = 0x1c01_0000;
pub const V2M_SYSREGS_SIZE: u64 = 0x1000;
/// PL011 UART0-3.
pub const UART_BASES: [u64; 4] = [0x1c09_0000, 0x1c0a_0000, 0x1c0b_0000, 0x1c0c_0000];
/// Their interrupts: SPI 5-8 (INTID 37-40), as FVP Base RevC's device tree says.
pub const UART_SPIS: [u32; 4] = [5, 6, 7, 8];
pub const UART_SIZE: u64 = 0x1000;
pub const DRAM0_BASE: u64 = 0x8000_0000;
/// The most DRAM bank 0 holds; the rest of `--memory` goes to bank 1.
pub const DRAM0_MAX: u64 = 2 << 30;
pub const DRAM1_BASE: u64 = 0x8_8000_0000;
/// DRAM bank 1 window: 0x8_8000_0000..0x10_0000_0000.
pub const DRAM1_MAX: u64 = 30 << 30;
/// The most `--memory` can be.
pub const MEMORY_MAX: u64 = DRAM0_MAX + DRAM1_MAX;
/// `--memory` default.
/// FVP Base RevC's default (`bp.dram_size=4`): 2 GiB in bank 0 and 2 GiB
/// in bank 1, which is what TF-A's FVP device trees give Linux.
pub const MEMORY_DEFAULT: u64 = 4 << 30;
/// Granule of `--memory`.
pub const MEMORY_GRANULE: u64 = 4 << 10;

/// FVP preloaded-image conventions.
pub const DTB_LOAD_ADDR: u64 = 0x8200_0000;
pub const KERNEL_LOAD_ADDR: u64 = 0x8400_0000;
pub const INITRD_LOAD_ADDR: u64 = 0x9000_0000;

/// Why the platform could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    /// `--memory` is out of range (bad input).
    #[error("--memory {size} bytes: {why}")]
    MemorySize { size: u64, why: &'static str },
    /// A region could not be added (host allocation failure or a bug).
    #[error(transparent)]
    Map(#[from] MapError),
}

/// The DRAM banks for `memory` bytes: `(base, size)` of bank 0 and, when
/// `memory` exceeds 2 GiB, bank 1.
pub fn dram_banks(memory: u64) -> Result<Vec<(u64, u64)>, PlatformError> {
    if memory == 0 || !memory.is_multiple_of(MEMORY_GRANULE) {
        return Err(PlatformError::MemorySize {
            size: memory,
            why: "must be a non-zero multiple of 4 KiB",
        });
    }
    if memory > MEMORY_MAX {
        return Err(PlatformError::MemorySize {
            size: memory,
            why: "the FVP DRAM windows hold at most 32 GiB",
        });
    }
    let mut banks = vec![(DRAM0_BASE, memory.min(DRAM0_MAX))];
    if memory > DRAM0_MAX {
        banks.push((DRAM1_BASE, memory - DRAM0_MAX));
    }
    Ok(banks)
}

/// The console sinks of UART0-3.
pub struct UartSinks(pub [Box<dyn UartSink>; 4]);

impl UartSinks {
    /// Every UART to the host's stdout (the CLI's console).
    pub fn stdout() -> UartSinks {
        UartSinks::each(|_| Box::new(StdoutSink))
    }

    /// UART `i` to `make(i)`.
    pub fn each(mut make: impl FnMut(usize) -> Box<dyn UartSink>) -> UartSinks {
        UartSinks([make(0), make(1), make(2), make(3)])
    }
}

/// The bus and the devices of one FVP Base RevC machine.
pub struct FvpPlatform {
    pub bus: PhysBus,
    /// Power-off / reboot requests made through the V2M system registers.
    pub control: Arc<SystemControl>,
    pub sysregs: Arc<V2mSysRegs>,
    /// Guest time as the devices read it; the machine advances it.
    pub clock: Arc<GuestClock>,
    /// PL011 UART0-3.
    pub uarts: [Arc<Pl011>; 4],
    /// The GICv3 (GIC-600).
    pub gic: Arc<Gic>,
    /// The FVP power controller (CPU power-on/off requests).
    pub power: Arc<FvpPowerController>,
    /// The memory-mapped generic timer frames.
    pub timer_frames: Arc<GenericTimer>,
    /// NOR flash0 (the FIP; PSCI MEM_PROTECT's word in its last block).
    pub flash0: Arc<CfiFlash>,
}

pub const GICD_BASE: u64 = rme_gic::FVP_GICD_BASE;
pub const GICR_BASE: u64 = rme_gic::FVP_GICR_BASE;

/// Builds the memory map above with `memory` bytes of DRAM, for PEs with
/// the given MPIDR_EL1 values (one GIC redistributor each).
/// `running` tells, per PE, whether it leaves reset powered on (FVP
/// `pctl.startup`; the power controller's PSYSR reports the others off).
pub fn build(memory: u64, mpidrs: &[u64], running: &[bool], sinks: UartSinks) -> Result<FvpPlatform, PlatformError> {
    let banks = dram_banks(memory)?;
    let mut bus = PhysBus::new();
    bus.add_rom("trusted-rom", TRUSTED_ROM_BASE, TRUSTED_ROM_SIZE)?;
    bus.add_ram("trusted-sram", TRUSTED_SRAM_BASE, TRUSTED_SRAM_SIZE)?;
    bus.add_ram("trusted-dram", TRUSTED_DRAM_BASE, TRUSTED_DRAM_SIZE)?;
    let flash0 = Arc::new(CfiFlash::new());
    bus.add_mmio("flash0", FLASH0_BASE, FLASH0_SIZE, flash0.clone())?;

    let clock = Arc::new(GuestClock::new());
    let control = Arc::new(SystemControl::new());
    let sysregs = Arc::new(V2mSysRegs::with_clock(
        control.clone(),
        V2mConfig::default(),
        clock.clone(),
    ));
    bus.add_mmio(
        "v2m-sysregs",
        V2M_SYSREGS_BASE,
        V2M_SYSREGS_SIZE,
        sysregs.clone(),
    )?;

    let [s0, s1, s2, s3] = sinks.0;
    let uarts = [
        Arc::new(Pl011::new("uart0", s0)),
        Arc::new(Pl011::new("uart1", s1)),
        Arc::new(Pl011::new("uart2", s2)),
        Arc::new(Pl011::new("uart3", s3)),
    ];
    for (i, uart) in uarts.iter().enumerate() {
        bus.add_mmio(&format!("uart{i}"), UART_BASES[i], UART_SIZE, uart.clone())?;
    }

    // The power controller knows exactly the machine's PEs: an MPIDR with
    // no PE reads PSYSR_INVALID, which TF-A's plat_core_pos_by_mpidr uses
    // to refuse PSCI CPU_ON of a CPU that does not exist.
    let affinity = |m: &u64| (*m & 0xff_ffff) as u32;
    let power = Arc::new(FvpPowerController::with_config(PowerControllerConfig {
        pes: mpidrs.iter().map(affinity).collect(),
        startup: Some(mpidrs.iter().zip(running).filter(|(_, on)| **on).map(|(m, _)| affinity(m)).collect()),
        mt: true,
    }));
    bus.add_mmio("power-controller", 0x1c10_0000, 0x1000, power.clone())?;
    bus.add_mmio("cci-550", 0x2a00_0000, 0x1_0000, Arc::new(Cci550::new()))?;
    bus.add_mmio("tzc-400", 0x2a4a_0000, 0x1000, Arc::new(Tzc400::new()))?;
    bus.add_mmio("smmuv3", 0x2b40_0000, 0x3_0000, Arc::new(SmmuV3::new()))?;
    let wdog = Sp805::new(
        "trusted-wdog",
        Sp805Config::FVP_TRUSTED,
        control.clone(),
        clock.clone(),
    );
    bus.add_mmio("trusted-wdog", 0x2a49_0000, 0x1000, Arc::new(wdog))?;
    let timer_frames = GenericTimer::new(clock.clone());
    bus.add_mmio(
        "cnt-control",
        0x2a43_0000,
        0x1_0000,
        timer_frames.control_base(),
    )?;
    bus.add_mmio("cnt-read", 0x2a80_0000, 0x1_0000, timer_frames.read_base())?;
    bus.add_mmio("cnt-ctl", 0x2a81_0000, 0x1_0000, timer_frames.ctl_base())?;
    bus.add_mmio(
        "cnt-base0",
        0x2a82_0000,
        0x1_0000,
        timer_frames.timer_base(0),
    )?;
    bus.add_mmio(
        "cnt-base1",
        0x2a83_0000,
        0x1_0000,
        timer_frames.timer_base(1),
    )?;

    let gic = Gic::new(GicConfig::gic600(
        mpidrs.iter().map(|m| m & 0xff_00ff_ffff).collect(),
    ));
    bus.add_mmio("gicd", GICD_BASE, rme_gic::GICD_SIZE, gic.distributor())?;
    bus.add_mmio(
        "gicr",
        GICR_BASE,
        gic.redistributors_size(),
        gic.redistributors(),
    )?;
    // Motherboard interrupts reach the GIC as SPIs (the FVP device tree's
    // interrupt-map: child interrupt n is SPI n, INTID 32 + n).
    for (uart, spi) in uarts.iter().zip(UART_SPIS) {
        let gic = gic.clone();
        uart.connect_interrupt(InterruptLine::new(move |level| gic.set_spi_level(32 + spi, level)));
    }

    for (i, (base, size)) in banks.into_iter().enumerate() {
        bus.add_ram(&format!("dram{i}"), base, size)?;
    }
    Ok(FvpPlatform {
        bus,
        control,
        sysregs,
        clock,
        uarts,
        gic,
        power,
        timer_frames,
        flash0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dram_split() {
        assert_eq!(dram_banks(2 << 30).unwrap(), vec![(DRAM0_BASE, 2 << 30)]);
        assert_eq!(
            dram_banks(512 << 20).unwrap(),
            vec![(DRAM0_BASE, 512 << 20)]
        );
        assert_eq!(
            dram_banks(8 << 30).unwrap(),
            vec![(DRAM0_BASE, 2 << 30), (DRAM1_BASE, 6 << 30)]
        );
        assert!(dram_banks(0).is_err());
        assert!(dram_banks(1000).is_err());
        assert!(dram_banks(33 << 30).is_err());
        assert!(dram_banks(MEMORY_MAX).is_ok());
    }

    #[test]
    fn image_addresses_are_in_dram0() {
        for a in [DTB_LOAD_ADDR, KERNEL_LOAD_ADDR, INITRD_LOAD_ADDR] {
            assert!((DRAM0_BASE..DRAM0_BASE + DRAM0_MAX).contains(&a));
        }
    }
}
