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
#![forbid(unsafe_code)]

mod access;
pub mod guest_clock;
pub mod pl011;
pub mod system_control;
pub mod v2m_sysregs;

pub use guest_clock::GuestClock;
pub use pl011::{BufferSink, FileSink, NullSink, Pl011, Pl011State, StdoutSink, UartSink};
pub use system_control::{PowerRequest, SystemControl};
pub use v2m_sysregs::{SysId, V2mConfig, V2mSysRegs, V2mSysRegsState};

/// The V2M motherboard's system-level pieces in one place: the system
/// registers and the [`SystemControl`] they post to.
pub mod v2m {
    pub use crate::system_control::{PowerRequest, SystemControl};
    pub use crate::v2m_sysregs::*;
}
