//! rme-cpu: the AArch64 CPU of rme-emu.
//!
//! * [`decode`](mod@decode): table-driven A64 decoding into [`Insn`].
//! * [`exec`]: the semantics, one module per encoding group, written as
//!   functions over [`Cpu`] and the physical bus.
//! * [`sysreg`]: the declarative system register table and its access rules.
//! * [`exception`]: synchronous exceptions and interrupts, routing between
//!   EL0-EL3 and the four security states of FEAT_RME.
//! * [`memory`]: how the CPU reaches memory (address translation, alignment,
//!   external aborts, the exclusive monitor).
//! * [`interp`]: the interpreter loop with a decoded-instruction cache.

pub mod address_translation;
pub mod cpu;
pub mod decode;
pub mod exception;
pub mod exec;
pub mod features;
pub mod generic_timer;
pub mod gic_port;
pub mod interp;
pub mod memory;
pub mod pstate;
pub mod sysreg;
pub mod tlb;

pub use cpu::{Cpu, CpuConfig, CpuState, WaitState};
pub use decode::{decode, Encoding, Insn, ENCODINGS};
pub use exception::{Exception, ExceptionRecord};
pub use gic_port::{CpuIfContext, CpuIfError, GicCpuPort};
pub use interp::{RunExit, StepEvent, StopReason};
pub use pstate::Pstate;
pub use sysreg::table::SysReg;
