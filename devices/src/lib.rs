//! rme-devices: memory-mapped devices of the FVP Base RevC platform.
#![forbid(unsafe_code)]
