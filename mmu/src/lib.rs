//! rme-mmu: the memory system of rme-emu.
//!
//! * [`pas`]: security states and physical address spaces (Arm ARM A2.x
//!   "Security states", D9.1 "Physical address spaces" with FEAT_RME).
//! * [`guest_ram`]: host memory that backs guest RAM and ROM (the only place
//!   in the crate with `unsafe`).
//! * [`mmio`]: the [`MmioDevice`] trait devices implement.
//! * [`bus`]: the [`PhysBus`], routing each physical access by address.
//!
//! Stage 1/2 translation, the TLB and the Granule Protection Check are built
//! on top of these (see DESIGN.md).

pub mod bus;
pub mod gpc;
pub mod guest_ram;
pub mod mmio;
pub mod pas;
pub mod translation;

pub use bus::{BusError, MapError, PhysBus, RamHit, RegionKind};
pub use guest_ram::GuestRam;
pub use mmio::{AccessAttrs, MmioDevice, MmioError, MmioResult};
pub use pas::{Pas, SecurityState};
