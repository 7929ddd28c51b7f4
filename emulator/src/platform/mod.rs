//! Platforms rme-emu models. One file per platform memory map.

pub mod fvp_memory_map;
