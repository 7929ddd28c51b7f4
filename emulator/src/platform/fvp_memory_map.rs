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
//!  0x0_0c00_0000           64 MiB    NOR flash1               MMIO (CFI, as flash0; nothing loaded: reads 0)
//!  0x0_1800_0000           8 MiB     VRAM (CLCD frame buffer) RAM  (the DT's vram@18000000, name "vram")
//!  0x0_1c01_0000           4 KiB     V2M system registers     MMIO (SYS_ID, SYS_CFGCTRL)
//!  0x0_1c02_0000           4 KiB     SP810 system controller  MMIO (SCCTRL.TimerEn\<n\>Sel: SP804 clocks 32.768 kHz / 1 MHz)
//!  0x0_1c04_0000           4 KiB     PL041 AACI               MMIO (SPI 11; no AC'97 codec: codec reads time out)
//!  0x0_1c05_0000           4 KiB     PL180 MCI                MMIO (SPI 9, 10; no card: commands time out)
//!  0x0_1c06_0000           4 KiB     PL050 KMI0 (keyboard)    MMIO (SPI 12; nothing attached: no clock, no data)
//!  0x0_1c07_0000           4 KiB     PL050 KMI1 (mouse)       MMIO (SPI 13; nothing attached)
//!  0x0_1c09_0000           4 KiB     PL011 UART0              MMIO (boot console; UARTn -> SPI 5+n)
//!  0x0_1c0a_0000           4 KiB     PL011 UART1              MMIO (BL31 runtime console)
//!  0x0_1c0b_0000           4 KiB     PL011 UART2              MMIO
//!  0x0_1c0c_0000           4 KiB     PL011 UART3              MMIO (TRP / RMM console)
//!  0x0_1c0f_0000           4 KiB     SP805 V2M watchdog       MMIO (Non-secure; 32768 Hz; resets on 2nd timeout)
//!  0x0_1c10_0000           4 KiB     power controller         MMIO (PSYSR, PPONR/PPOFFR/PCOFFR/PWKUPR)
//!  0x0_1c11_0000           4 KiB     SP804 dual timer 0       MMIO (SPI 2; guest time, clocks from the SP810)
//!  0x0_1c12_0000           4 KiB     SP804 dual timer 1       MMIO (SPI 3)
//!  0x0_1c13_0000 ...       3 x 0x200 virtio-mmio slots        MMIO (@0x1c13/14/15_0000, SPI 42-44; DeviceID 0: empty)
//!  0x0_1c17_0000           4 KiB     PL031 RTC                MMIO (SPI 4; guest seconds from RTC_RESET_SECONDS)
//!  0x0_1c1f_0000           4 KiB     PL111 CLCD               MMIO (SPI 14; registers only, no scan-out)
//!  0x0_1c20_0000           0x200     virtio-mmio slot         MMIO (SPI 46, disabled in the DT; DeviceID 0: empty)
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

use rme_devices::cfi_flash::CfiFlashConfig;
use rme_devices::sp805::Sp805Config;
use rme_devices::sp804::{Sp804, TimerClock};
use rme_devices::sp810::{Sp810, Sp810Config};
use rme_devices::TimedDevice;
use rme_devices::virtio_mmio::{FVP_VIRTIO_BASES, FVP_VIRTIO_SPIS, VIRTIO_MMIO_SIZE};
use rme_devices::{
    Cci550, CfiFlash, FvpPowerController, InterruptLine, PowerControllerConfig, GenericTimer, GuestClock, Pl011, SmmuV3, Sp805,
    StdoutSink, SystemControl, Tzc400, UartSink, V2mConfig, V2mSysRegs, Pl031, VirtioMmioSlot,
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
/// NOR flash1: the device tree's `flash@0` node, chip select 4
/// (`reg = <0 0 0x4000000>, <4 0 0x4000000>`: flash0 and flash1).
pub const FLASH1_BASE: u64 = 0x0c00_0000;
pub const FLASH1_SIZE: u64 = 64 << 20;
/// The Non-secure SP805 watchdog (`watchdog@f0000`, SPI 0).
pub const V2M_WDOG_BASE: u64 = 0x1c0f_0000;
pub const V2M_WDOG_SIZE: u64 = 0x1000;
/// The PL031 RTC (`rtc@170000`) and its interrupt (SPI 4, INTID 36).
pub const RTC_BASE: u64 = 0x1c17_0000;
pub const RTC_SIZE: u64 = 0x1000;
pub const RTC_SPI: u32 = 4;
/// RTCDR at reset: seconds since 1970-01-01 (a constant, never the host
/// clock, so runs stay deterministic).
pub const RTC_RESET_SECONDS: u32 = 0;
/// The virtio-mmio slots (`virtio@130000`, `@140000`, `@150000`,
/// `@200000`; 0x200 bytes each) and their interrupts (SPI 42, 43, 44, 46).
pub const VIRTIO_BASES: [u64; 4] = FVP_VIRTIO_BASES;
pub const VIRTIO_SPIS: [u32; 4] = FVP_VIRTIO_SPIS;
pub const VIRTIO_SIZE: u64 = VIRTIO_MMIO_SIZE;
/// The SP810 system controller (`sysctl@20000`).
pub const SP810_BASE: u64 = 0x1c02_0000;
pub const SP810_SIZE: u64 = 0x1000;
/// The SP804 dual timers (`timer@110000`, `timer@120000`) and their
/// combined interrupts TIMINTC (`interrupts = <2>`, `<3>`: SPI 2, 3).
pub const SP804_BASES: [u64; 2] = [0x1c11_0000, 0x1c12_0000];
pub const SP804_SPIS: [u32; 2] = [2, 3];
pub const SP804_SIZE: u64 = 0x1000;
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
    /// The SP810 system controller (the SP804s' clock selection).
    pub sysctl: Arc<Sp810>,
    /// The SP804 dual timers at 0x1c11_0000 and 0x1c12_0000.
    pub dual_timers: [Arc<Sp804>; 2],
    /// The devices with guest-time events: the machine calls
    /// [`TimedDevice::update`] as guest time advances and fast-forwards an
    /// idle machine to their [`TimedDevice::next_event_ns`].
    pub timed: Vec<Arc<dyn TimedDevice>>,
    /// NOR flash1 (nothing loaded).
    pub flash1: Arc<CfiFlash>,
    /// The PL031 real time clock.
    pub rtc: Arc<Pl031>,
    /// The Non-secure SP805 watchdog.
    pub v2m_wdog: Arc<Sp805>,
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
    // Flash1 is the same part as flash0 (Linux's physmap probes CFI on
    // both chip selects). Nothing is loaded into it: like flash0's unloaded
    // blocks (see rme_devices::cfi_flash) it reads 0 until programmed.
    let flash1 = Arc::new(CfiFlash::with_config("flash1", CfiFlashConfig { size: FLASH1_SIZE, ..CfiFlashConfig::default() }));
    bus.add_mmio("flash1", FLASH1_BASE, FLASH1_SIZE, flash1.clone())?;

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
    let wdog = Arc::new(wdog);
    bus.add_mmio("trusted-wdog", 0x2a49_0000, 0x1000, wdog.clone())?;
    // The SP810 chooses each SP804 timer's clock: timers 0, 1 of the first
    // dual timer, 2, 3 of the second.
    let sysctl = Arc::new(Sp810::new("sysctl", Sp810Config::FVP));
    bus.add_mmio("sysctl", SP810_BASE, SP810_SIZE, sysctl.clone())?;
    let dual_timers = [0, 1].map(|i| {
        Sp804::new(format!("dual-timer{i}"), clock.clone(), TimerClock::Sp810 { sysctl: sysctl.clone(), first: 2 * i })
    });
    for (i, t) in dual_timers.iter().enumerate() {
        bus.add_mmio(&format!("dual-timer{i}"), SP804_BASES[i], SP804_SIZE, t.clone())?;
    }
    // The Non-secure watchdog: WDOGCLK is the DT's refclk32khz (32768 Hz),
    // any PAS reaches it, and it resets the system on a second timeout
    // like the Trusted one.
    let v2m_wdog = Arc::new(Sp805::new("v2m-wdog", Sp805Config::FVP_V2M, control.clone(), clock.clone()));
    bus.add_mmio("v2m-wdog", V2M_WDOG_BASE, V2M_WDOG_SIZE, v2m_wdog.clone())?;
    let rtc = Arc::new(Pl031::new("rtc", clock.clone(), RTC_RESET_SECONDS));
    bus.add_mmio("rtc", RTC_BASE, RTC_SIZE, rtc.clone())?;
    for (i, base) in VIRTIO_BASES.into_iter().enumerate() {
        let name = format!("virtio{i}");
        bus.add_mmio(&name, base, VIRTIO_SIZE, Arc::new(VirtioMmioSlot::new(name.clone())))?;
    }
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
    {
        let gic = gic.clone();
        rtc.connect_interrupt(InterruptLine::new(move |level| gic.set_spi_level(32 + RTC_SPI, level)));
    }

    for (t, spi) in dual_timers.iter().zip(SP804_SPIS) {
        let gic = gic.clone();
        t.connect_interrupt(InterruptLine::new(move |level| gic.set_spi_level(32 + spi, level)));
    }
    let mut timed: Vec<Arc<dyn TimedDevice>> = vec![wdog, v2m_wdog.clone()];
    timed.extend(dual_timers.iter().map(|t| t.clone() as Arc<dyn TimedDevice>));
    // The RTC's match interrupt (RTCINTR) rises with guest time alone.
    timed.push(rtc.clone());
    // The memory-mapped timer's Non-secure frame (CNTBase1, the DT's
    // frame@2a830000) interrupts on SPI 26: Linux's broadcast timer for
    // CPUs in power-down idle states.
    {
        let gic = gic.clone();
        let spi = rme_devices::generic_timer_frames::FVP_CNTBASE1_PHYS_SPI;
        timer_frames.connect_interrupt(
            1,
            rme_devices::FrameTimer::Phys,
            InterruptLine::new(move |l| gic.set_spi_level(32 + spi, l)),
        );
    }
    timed.push(timer_frames.clone());

    // The motherboard's AMBA peripherals with nothing attached: the AACI
    // (no codec), the MCI (no card; card detect is SYS_MCI), KMI0/1 (no
    // keyboard or mouse) and the CLCD with its VRAM (no display output).
    {
        use rme_devices::{pl041, pl050, pl111, pl180};
        let spi_line = |spi: u32| {
            let gic = gic.clone();
            InterruptLine::new(move |level| gic.set_spi_level(32 + spi, level))
        };
        let aaci = Arc::new(rme_devices::Pl041::new("aaci"));
        aaci.connect_interrupt(spi_line(pl041::FVP_AACI_SPI));
        bus.add_mmio("aaci", pl041::FVP_AACI_BASE, pl041::PL041_SIZE, aaci)?;
        let mmci = Arc::new(rme_devices::Pl180::new("mmci"));
        let [mci0, mci1] = pl180::FVP_MMCI_SPIS;
        mmci.connect_interrupts(spi_line(mci0), spi_line(mci1));
        bus.add_mmio("mmci", pl180::FVP_MMCI_BASE, pl180::PL180_SIZE, mmci)?;
        for (i, (base, spi)) in
            [(pl050::FVP_KMI0_BASE, pl050::FVP_KMI0_SPI), (pl050::FVP_KMI1_BASE, pl050::FVP_KMI1_SPI)].into_iter().enumerate()
        {
            let kmi = Arc::new(rme_devices::Pl050::new(format!("kmi{i}")));
            kmi.connect_interrupt(spi_line(spi));
            bus.add_mmio(&format!("kmi{i}"), base, pl050::PL050_SIZE, kmi)?;
        }
        let clcd = Arc::new(rme_devices::Pl111::new("clcd"));
        clcd.connect_interrupt(spi_line(pl111::FVP_CLCD_SPI));
        bus.add_mmio("clcd", pl111::FVP_CLCD_BASE, pl111::PL111_SIZE, clcd)?;
        bus.add_ram("vram", pl111::FVP_VRAM_BASE, pl111::FVP_VRAM_SIZE)?;
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
        sysctl,
        dual_timers,
        timed,
        flash1,
        rtc,
        v2m_wdog,
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

    fn platform() -> FvpPlatform {
        build(64 << 20, &[0x8000_0000], &[true], UartSinks::each(|_| Box::new(rme_devices::NullSink))).unwrap()
    }

    fn ns() -> rme_mmu::AccessAttrs {
        rme_mmu::AccessAttrs::cpu(0, rme_mmu::Pas::NonSecure)
    }

    fn r32(p: &FvpPlatform, pa: u64) -> u32 {
        p.bus.read(pa, 4, ns()).unwrap() as u32
    }

    fn w32(p: &FvpPlatform, pa: u64, v: u32) {
        p.bus.write(pa, 4, u64::from(v), ns()).unwrap()
    }

    #[test]
    fn flash1_answers_cfi_query() {
        let p = platform();
        // Read-array mode at reset: nothing loaded.
        assert_eq!(r32(&p, FLASH1_BASE), 0);
        // Read Query (0x98, to both x16 chips): "QRY" at word addresses
        // 0x10-0x12, each byte in both 16-bit halves of a 32-bit word.
        w32(&p, FLASH1_BASE + 0x55 * 4, 0x0098_0098);
        let qry: Vec<u32> = (0x10..0x13).map(|i| r32(&p, FLASH1_BASE + i * 4)).collect();
        assert_eq!(qry, vec![0x0051_0051, 0x0052_0052, 0x0059_0059]);
        // Flash0 is a separate device, still in read-array mode.
        assert_eq!(p.flash0.state().mode, rme_devices::cfi_flash::ReadMode::Array);
        w32(&p, FLASH1_BASE, 0x00ff_00ff);
        assert_eq!(r32(&p, FLASH1_BASE + 0x10 * 4), 0);
        // The last byte of flash1 is mapped; the next is not.
        assert!(p.bus.read(FLASH1_BASE + FLASH1_SIZE - 4, 4, ns()).is_ok());
        assert!(p.bus.read(FLASH1_BASE + FLASH1_SIZE, 4, ns()).is_err());
    }

    #[test]
    fn ns_watchdog_is_mapped() {
        let p = platform();
        let base = V2M_WDOG_BASE;
        // WdogPeriphID0-1: part 0x805; reachable from the Non-secure PAS.
        assert_eq!(r32(&p, base + 0xfe0), 0x05);
        assert_eq!(r32(&p, base + 0xfe4), 0x18);
        assert_eq!(r32(&p, base), u32::MAX, "WdogLoad reset value");
        w32(&p, base, 0x1000);
        assert_eq!(r32(&p, base), 0x1000);
        assert_eq!(p.v2m_wdog.config().clock_hz, 32768);
        assert_eq!(p.v2m_wdog.bad_accesses(), 0);
    }

    #[test]
    fn rtc_is_mapped_and_interrupts_spi4() {
        let p = platform();
        assert_eq!(r32(&p, RTC_BASE + 0xfe0), 0x31);
        assert_eq!(r32(&p, RTC_BASE + 0xfe4), 0x10);
        assert_eq!(r32(&p, RTC_BASE), RTC_RESET_SECONDS);
        // Linux: start the RTC, set an alarm 2 s ahead, enable it.
        w32(&p, RTC_BASE + 0x0c, 1);
        w32(&p, RTC_BASE + 0x04, RTC_RESET_SECONDS + 2);
        w32(&p, RTC_BASE + 0x1c, 1);
        w32(&p, RTC_BASE + 0x10, 1);
        let ispendr1 = |p: &FvpPlatform| {
            p.bus.read(GICD_BASE + 0x204, 4, rme_mmu::AccessAttrs::cpu(0, rme_mmu::Pas::Root)).unwrap() as u32
        };
        let intid = 32 + RTC_SPI;
        assert_eq!(ispendr1(&p) & 1 << (intid - 32), 0);
        // The RTC is one of the platform's timed devices: an idle machine
        // fast-forwards to its match and updates it, as the run loop does.
        assert_eq!(p.timed.iter().filter_map(|d| d.next_event_ns()).min(), Some(2_000_000_000));
        p.clock.advance_to(2_000_000_000);
        for d in &p.timed {
            d.update(p.clock.now_ns());
        }
        assert_eq!(r32(&p, RTC_BASE), RTC_RESET_SECONDS + 2);
        assert_ne!(ispendr1(&p) & 1 << (intid - 32), 0, "INTID 36 pending");
        w32(&p, RTC_BASE + 0x1c, 1);
        assert_eq!(ispendr1(&p) & 1 << (intid - 32), 0);
    }

    #[test]
    fn virtio_slots_are_empty() {
        let p = platform();
        for base in VIRTIO_BASES {
            assert_eq!(r32(&p, base), 0x7472_6976, "{base:#x} MagicValue");
            assert_eq!(r32(&p, base + 4), 2, "{base:#x} Version");
            assert_eq!(r32(&p, base + 8), 0, "{base:#x} DeviceID");
            assert!(p.bus.read(base + VIRTIO_SIZE, 4, ns()).is_err());
        }
    }

    #[test]
    fn sys_mci_reads_no_card() {
        let p = platform();
        assert_eq!(r32(&p, V2M_SYSREGS_BASE + 0x48), 0);
        assert_eq!(p.sysregs.bad_accesses(), 0);
    }

    #[test]
    fn amba_peripherals_are_mapped() {
        let p = platform();
        // Linux's AMBA bus reads each PrimeCell's PeriphID0-3 and PCellID0-3.
        let periph_id = |base: u64| (0..4).fold(0, |acc, i| acc | r32(&p, base + 0xfe0 + 4 * i) << (8 * i));
        let pcell_id = |base: u64| (0..4).fold(0, |acc, i| acc | r32(&p, base + 0xff0 + 4 * i) << (8 * i));
        for (base, id, mask) in [
            (0x1c04_0000, 0x0004_1041, 0x000f_ffff), // aaci_ids
            (0x1c05_0000, 0x0004_1180, 0xff0f_ffff), // mmci_ids: variant_arm
            (0x1c06_0000, 0x0004_1050, 0x000f_ffff), // amba_kmi_idtable
            (0x1c07_0000, 0x0004_1050, 0x000f_ffff),
            (0x1c1f_0000, 0x0004_1110, 0x000f_fffe), // pl111_id_table
        ] {
            assert_eq!(periph_id(base) & mask, id, "{base:#x}");
            assert_eq!(pcell_id(base), 0xb105_f00d, "{base:#x}");
        }
        // KMI: KMISTAT reset value; MCI: a command with response times out.
        assert_eq!(r32(&p, 0x1c06_0004), 0x43);
        w32(&p, 0x1c05_0000 + 0x03c, 1 << 2); // MCIMask0.CmdTimeOut
        w32(&p, 0x1c05_0000 + 0x00c, 8 | 1 << 6 | 1 << 10);
        assert_eq!(r32(&p, 0x1c05_0000 + 0x034), 1 << 2);
        let ispendr1 =
            p.bus.read(GICD_BASE + 0x204, 4, rme_mmu::AccessAttrs::cpu(0, rme_mmu::Pas::Root)).unwrap() as u32;
        assert_ne!(ispendr1 & 1 << 9, 0, "MCIINTR0: SPI 9 pending");
        // VRAM is RAM.
        w32(&p, 0x1800_0000 + (8 << 20) - 4, 0x1234_5678);
        assert_eq!(r32(&p, 0x1800_0000 + (8 << 20) - 4), 0x1234_5678);
        assert!(p.bus.read(0x1800_0000 + (8 << 20), 4, ns()).is_err());
    }

    #[test]
    fn image_addresses_are_in_dram0() {
        for a in [DTB_LOAD_ADDR, KERNEL_LOAD_ADDR, INITRD_LOAD_ADDR] {
            assert!((DRAM0_BASE..DRAM0_BASE + DRAM0_MAX).contains(&a));
        }
    }
}
