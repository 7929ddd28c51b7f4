//! rme-cpu
pub mod decode;
pub mod pstate;
pub mod sysreg;
