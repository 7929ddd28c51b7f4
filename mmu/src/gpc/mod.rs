//! The Granule Protection Check (FEAT_RME), as pure functions.
//!
//! Arm ARM (DDI0487) chapter D9 "The Granule Protection Check Mechanism":
//! configuration (GPCCR_EL3, GPTBR_EL3), GPT formats, the check and lookup,
//! faults. Rule IDs (R_xxxxx) are cited where the code implements them.
//! Every physical access (instruction fetch, data access, translation table
//! walk) carries a PA and a physical address space; [`gpc_check`] decides
//! whether the Granule Protection Table lets it through, and if not,
//! reports a [`GpcFault`] with the kind and level that ESR_EL3.GPCSC and
//! MFAR_EL3 need.
//!
//! * [`regs`]: GPCCR_EL3 / GPTBR_EL3 decoding, the implementation's
//!   [`GpcFeatures`] (L0GPTSZ, FEAT_RME_GPC2, FEAT_SEL2),
//!   `GPCRegistersConsistent`.
//! * [`gpi`]: the [`Gpi`] values, `GPIValid`, `GPICheck`.
//! * [`walk`]: [`gpt_walk`] (`GPTWalk`) and the descriptor decoders
//!   (`DecodeGPTBlock`, `DecodeGPTTable`, `DecodeGPTContiguous`,
//!   `DecodeGPTGranules`) over any [`GptMemory`] (a `PhysBus`, a test map).
//! * [`check`]: [`gpc_check`] (`AArch64.GranuleProtectionCheck`), and
//!   [`gpc_check_cached`] with a per-PE [`GpiCache`] ([`gpi_cache`]).
//! * [`fault`]: [`GpcFault`], GPCSC and MFAR_EL3 encodings.
//! * [`builder`]: GPTs laid out as TF-A writes them, for tests and
//!   firmware-less machines.
//!
//! The functions read nothing but their arguments and GPT words, so a
//! cache of results (the softmmu TLB) stays correct as long as it is
//! flushed when GPCCR_EL3/GPTBR_EL3 are written and on TLBI PA*.

pub mod builder;
pub mod check;
pub mod fault;
pub mod gpi;
pub mod gpi_cache;
pub mod regs;
pub mod walk;

pub use builder::{GptBuildError, GptBuilder, GptImage, GptLayout};
pub use check::{AccessKind, GpcAccess, gpc_check, gpc_check_cached};
pub use fault::{GpcFault, GpcFaultKind, mfar_el3};
pub use gpi::{Gpi, ReservedGpi};
pub use gpi_cache::{GPI_CACHE_SLOTS, GpiCache};
pub use regs::{GpcFeatures, Gpccr, Gptbr, L0GptSz, Pgs};
pub use walk::{ContigSize, GptEntry, GptMemory, gpt_walk};
