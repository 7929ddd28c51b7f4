//! rme-firmware-stubs: small AArch64 firmware images of rme-emu's own,
//! assembled in Rust with dynasm's aarch64 assembler, so they build on a
//! machine with only the Rust toolchain.
//!
//! * [`world_tour`]: the EL3 firmware `rme-emu boot` runs when given no
//!   image. It starts in Root EL3, visits Secure EL1, Realm EL2 and
//!   Non-secure EL2 through `ERET` with `SCR_EL3.{NSE,NS}` set for each,
//!   each world prints a line naming its security state and its EL (read
//!   from `CurrentEL`) and returns with `SMC`, then the firmware powers the
//!   platform off. [`WORLD_TOUR_LINES`] is what it prints.
//! * [`gpf_demo()`]: EL3 firmware that builds a Granule Protection Table,
//!   turns the Granule Protection Check on and lets Non-secure EL2 load
//!   from a Realm granule: the fault taken to EL3 (EC 0x1E, SCR_EL3.GPF =
//!   1), then to EL2 as a Data Abort (SCR_EL3.GPF = 0), then the same load
//!   from Realm EL2 succeeding. [`GPF_DEMO_LINES`] is what it prints.
//!
//! One concept per module: [`image`] (the image type), [`asm`] (the
//! assembler and its helpers), [`sysreg`] (system register operands),
//! [`platform`] (FVP addresses), [`uart`] (PL011 console routines),
//! [`power`] (power-off), [`vectors`] (exception vector tables), [`world`]
//! (the security states and how EL3 enters them), [`demo`] (the tour),
//! [`mod@gpf_demo`] (the granule protection fault demo).

// dynasm expands a dynamic register operand `X(r)` to `r.into()`, which is
// a same-type conversion when `r` is already a `u8`.
#![allow(clippy::useless_conversion)]

pub mod asm;
pub mod demo;
pub mod gpf_demo;
pub mod image;
pub mod platform;
pub mod power;
pub mod sysreg;
pub mod uart;
pub mod vectors;
pub mod world;

pub use demo::{WORLD_TOUR_FAILURE_LINE, WORLD_TOUR_LINES, expected_lines, world_tour};
pub use gpf_demo::{GPF_DEMO_FAILURE_LINE, GPF_DEMO_LINES, gpf_demo};
pub use image::FirmwareImage;
pub use world::World;
