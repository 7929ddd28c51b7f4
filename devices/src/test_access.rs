//! Register accesses for the devices' unit tests: 32-bit reads and writes
//! from a Non-secure CPU, as a driver in the Normal world makes them.

use rme_mmu::{AccessAttrs, MmioDevice, Pas};

/// The attributes of a Non-secure access from CPU 0.
pub fn ns() -> AccessAttrs {
    AccessAttrs::cpu(0, Pas::NonSecure)
}

/// A 32-bit read at `off`.
pub fn r(d: &impl MmioDevice, off: u64) -> u32 {
    d.read(off, 4, ns()).unwrap() as u32
}

/// A 32-bit write of `v` at `off`.
pub fn w(d: &impl MmioDevice, off: u64, v: u32) {
    d.write(off, 4, u64::from(v), ns()).unwrap()
}
