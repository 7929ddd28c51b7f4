//! rme-emu: machine, platforms, loaders and CLI of the emulator.
#![forbid(unsafe_code)]
