//! rme-emu: machine, platforms, loaders and CLI of the emulator.
//!
//! * [`platform::fvp_memory_map`]: the FVP Base RevC memory map and the bus
//!   built from it.
//! * [`machine`]: the [`Machine`] (bus, devices, CPUs) and its
//!   deterministic round-robin run loop.
//! * [`images`]: boot images (`--bl1`, `--fip`, `--kernel`, ...): reading,
//!   checking, loading.
//! * [`stop`]: why a run stopped, the summary line and the exit codes.
//! * [`cli`]: the command line; [`fvp_parameters`]: its FVP spellings
//!   (`-C`, `-f`, `--data`); [`boot_plan`]: both merged.
//! * [`elf_image`], [`fip`], [`fdt`]: the image formats `boot` reads (ELF
//!   segments, the FIP's table of contents, the DTB's /chosen).
//! * [`console`]: where each UART's output goes (`--uart`), tagged per UART.
//! * [`gic_adapter`]: the GICv3 behind the CPUs' GIC port.
//! * [`fdt`]: a small DTB reader/editor/writer, used to put `--append` and
//!   `--initrd` into the device tree's `/chosen` node.
#![forbid(unsafe_code)]

pub mod boot_plan;
pub mod cli;
pub mod console;
pub mod elf_image;
pub mod fdt;
pub mod fip;
pub mod fvp_parameters;
pub mod gic_adapter;
pub mod images;
pub mod machine;
pub mod platform;
pub mod stop;

pub use images::{Image, ImageError};
pub use machine::{DEFAULT_QUANTUM, Machine, MachineConfig};
pub use platform::fvp_memory_map::{FvpPlatform, PlatformError, UartSinks};
pub use stop::{RunSummary, Stop};
