//! rme-devices: memory-mapped devices of the FVP Base RevC platform.
//!
//! Each device implements [`rme_mmu::MmioDevice`], names its registers as
//! its TRM does, keeps its state in one plain struct, is generic over its
//! interrupt line (it reports a level; the platform wires it), and logs and
//! counts bad accesses instead of failing them.
//!
//! * [`pl011`]: ARM PrimeCell UART PL011 (DDI 0183), FVP UART0-3.
//! * [`v2m_sysregs`]: V2M motherboard system registers (DUI 0447), FVP
//!   0x1c01_0000: SYS_ID, SYS_CFGCTRL power-off/reboot.
//! * [`system_control`]: the power-off/reboot requests the machine polls.
//! * [`guest_clock`]: guest time as devices read it (deterministic).
//! * [`fvp_power_controller`]: the FVP Base power controller (0x1c10_0000):
//!   per-PE power state, PSYSR, CPU on/off requests the machine polls.
//! * [`cci550`]: CoreLink CCI-550 programmers' model (0x2a00_0000).
//! * [`tzc400`]: CoreLink TZC-400 (0x2a4a_0000); regions stored, not enforced.
//! * [`generic_timer_frames`]: memory-mapped Generic Timer: CNTControlBase,
//!   CNTReadBase, CNTCTLBase, `CNTBase<n>` (0x2a43_0000, 0x2a80_0000..).
//! * [`sp805`]: SP805 watchdogs (0x2a49_0000 Trusted, 0x1c0f_0000 V2M).
//! * [`sp804`]: SP804 dual timers (0x1c11_0000, 0x1c12_0000; SPI 2, 3).
//! * [`sp810`]: SP810 system controller (0x1c02_0000): the SP804 clocks.
//! * [`timed_device`]: devices with guest-time events ([`TimedDevice`]),
//!   which the machine updates and fast-forwards to.
//! * [`smmuv3`]: the SMMUv3 registers TF-A touches (0x2b40_0000); no
//!   translation.
//! * [`cfi_flash`]: CFI NOR flash0 (0x0800_0000) holding the FIP.
//! * [`pl031`]: ARM PrimeCell Real Time Clock PL031 (DDI 0224), FVP
//!   0x1c17_0000.
//! * [`virtio_mmio`]: virtio-mmio transports (VIRTIO 1.2, 4.2) of the FVP's
//!   empty virtio slots (DeviceID 0).
//! * [`pl041`]: ARM PrimeCell AACI PL041 (DDI 0173), FVP 0x1c04_0000; no
//!   AC'97 codec on the link.
//! * [`pl050`]: ARM PrimeCell KMI PL050 (DDI 0143), FVP 0x1c06_0000 and
//!   0x1c07_0000; no PS/2 device attached.
//! * [`pl111`]: ARM PrimeCell CLCD PL111 (DDI 0293), FVP 0x1c1f_0000;
//!   registers only, no scan-out.
//! * [`pl180`]: ARM PrimeCell MCI PL180 (DDI 0172), FVP 0x1c05_0000; no
//!   card.
//! * [`interrupt_line`]: a device's interrupt output, wired by the platform.
#![forbid(unsafe_code)]

mod access;
pub mod cci550;
pub mod cfi_flash;
pub mod interrupt_line;
pub mod fvp_power_controller;
pub mod generic_timer_frames;
pub mod guest_clock;
mod peripheral_id;
pub mod pl011;
pub mod pl031;
pub mod pl041;
pub mod pl050;
pub mod pl111;
pub mod pl180;
pub mod smmuv3;
pub mod sp804;
pub mod sp805;
pub mod sp810;
pub mod system_control;
#[cfg(test)]
mod test_access;
pub mod timed_device;
pub mod tzc400;
pub mod v2m_sysregs;
pub mod virtio_mmio;

pub use cci550::Cci550;
pub use cfi_flash::CfiFlash;
pub use interrupt_line::InterruptLine;
pub use fvp_power_controller::{FvpPowerController, PowerControllerConfig, PowerEvent, PowerEventKind, WakeReason, WfiAction};
pub use generic_timer_frames::{FrameTimer, GenericTimer, GenericTimerFrame};
pub use guest_clock::GuestClock;
pub use pl011::{BufferSink, FileSink, NullSink, Pl011, Pl011State, StdoutSink, UartSink};
pub use pl041::Pl041;
pub use pl050::Pl050;
pub use pl111::Pl111;
pub use pl180::Pl180;
pub use pl031::Pl031;
pub use smmuv3::SmmuV3;
pub use sp804::Sp804;
pub use sp805::Sp805;
pub use sp810::Sp810;
pub use system_control::{PowerRequest, SystemControl};
pub use timed_device::TimedDevice;
pub use tzc400::Tzc400;
pub use v2m_sysregs::{SysId, V2mConfig, V2mSysRegs, V2mSysRegsState};
pub use virtio_mmio::VirtioMmioSlot;

/// The V2M motherboard's system-level pieces in one place: the system
/// registers and the [`SystemControl`] they post to.
pub mod v2m {
    pub use crate::system_control::{PowerRequest, SystemControl};
    pub use crate::v2m_sysregs::*;
}
