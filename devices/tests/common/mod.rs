//! The rig the device tests share: one device mapped on a real `PhysBus`
//! at its FVP address, driven with 32-bit loads and stores as a PE at EL3
//! (the Root PAS) or with the attributes a test names.

// Each test crate uses its own part of this module.
#![allow(dead_code)]

use rme_mmu::{AccessAttrs, MmioDevice, Pas, PhysBus};
use std::sync::Arc;

/// A PE's access from the Root PAS (EL3).
pub fn root() -> AccessAttrs {
    AccessAttrs::cpu(0, Pas::Root)
}

/// `dev` mapped alone on a `PhysBus` at `base`.
pub struct MappedDevice<D> {
    pub bus: PhysBus,
    pub dev: Arc<D>,
    pub base: u64,
}

impl<D: MmioDevice + 'static> MappedDevice<D> {
    /// Maps `dev`, named `name`, at `base..base + size`.
    pub fn new(name: &str, base: u64, size: u64, dev: D) -> MappedDevice<D> {
        let dev = Arc::new(dev);
        let mut bus = PhysBus::new();
        bus.add_mmio(name, base, size, dev.clone()).unwrap();
        MappedDevice { bus, dev, base }
    }

    /// The 32-bit register at `off`, read with `a`.
    pub fn r_as(&self, off: u64, a: AccessAttrs) -> u32 {
        self.bus.read(self.base + off, 4, a).unwrap() as u32
    }

    /// Writes the 32-bit register at `off` with `a`.
    pub fn w_as(&self, off: u64, v: u32, a: AccessAttrs) {
        self.bus.write(self.base + off, 4, u64::from(v), a).unwrap()
    }

    /// The 32-bit register at `off`, read from the Root PAS.
    pub fn r(&self, off: u64) -> u32 {
        self.r_as(off, root())
    }

    /// Writes the 32-bit register at `off` from the Root PAS.
    pub fn w(&self, off: u64, v: u32) {
        self.w_as(off, v, root())
    }
}
