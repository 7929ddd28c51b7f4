//! Helpers shared by the emulator's integration tests (each test file is
//! its own crate and includes this with `mod common;`).

pub mod guest;
