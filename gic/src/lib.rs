//! rme-gic: the GICv3 of rme-emu (distributor, redistributors and the CPU
//! interface handlers).
//!
//! Not implemented yet: the GIC is the subject of the platform issue (FVP
//! Base RevC, GICv3, generic timers). This crate exists so the workspace has
//! its final shape; it exports nothing until then.
#![forbid(unsafe_code)]
