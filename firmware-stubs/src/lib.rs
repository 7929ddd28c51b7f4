//! rme-firmware-stubs: small AArch64 firmware images assembled in Rust.
