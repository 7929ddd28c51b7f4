//! VMSAv8-64 address translation: stage 1 for the EL1&0, EL2&0, EL2 and
//! EL3 regimes, stage 2 for EL1&0, and their combination. Pure functions
//! over register values and a [`WalkMemory`]; nothing here knows a CPU.
//!
//! Arm ARM (DDI0487 M.a) D8 "The AArch64 Virtual Memory System
//! Architecture": D8.1-D8.2 translation regimes and process, D8.3
//! descriptor formats, D8.4 memory access control, D8.6 memory region
//! attributes, D8.15 memory aborts; the pseudocode of J1.1.4
//! (`aarch64/translation/vmsa_*`). Each file names the functions it
//! follows. With FEAT_RME (D9, and the NS/NSE descriptor rules of D8.3)
//! the output physical address space of each translation is part of the
//! result; the Granule Protection Check itself is not done here.
//!
//! * [`regime`]: [`Stage1Regime`], [`Stage2Regime`], [`MmuFeatures`].
//! * [`granule`], [`descriptor`]: walk geometry and descriptor fields.
//! * [`stage1`]: [`walk_stage1`]; [`stage2`]: [`walk_stage2`];
//!   [`translate()`]: both stages, stage 2 applied to each stage 1 walk
//!   access (S1PTW) and to the output.
//! * [`attrs`], [`permissions`]: what an access may do and how memory
//!   behaves.
//! * [`fault`]: [`TranslationFault`] with its FSC, WnR, S1PTW, HPFAR.
//!
//! Implemented: 4KB/16KB/64KB granules, 25..48-bit input addresses
//! (TxSZ 16..39), 48-bit output addresses capped by PAMax, block and page
//! descriptors, APTable/UXNTable/PXNTable (and TCR_ELx.HPDn), AP, UXN/PXN/XN,
//! WXN, PAN (and EPAN), AF faults, nG with 8/16-bit ASIDs, VMIDs, TBI/TBID,
//! EPDn, E0PDn, stage 2 S2AP/XN (FEAT_XNX), concatenated stage 2 start
//! tables, HCR_EL2.{DC,TGE,PTW,FWB}, big-endian tables (SCTLR_ELx.EE).
//! Not implemented (the CPU must not advertise them): FEAT_LPA, FEAT_LPA2
//! (52-bit), FEAT_TTST, FEAT_HAFDBS/HAFT (hardware AF/dirty updates),
//! FEAT_D128, FEAT_S1PIE/S2PIE/S1POE/S2POE, FEAT_NV/NV2 descriptor layout,
//! FEAT_THE, FEAT_MTE tags, FEAT_MEC.

#![forbid(unsafe_code)]

pub mod access;
pub mod attrs;
pub mod descriptor;
pub mod fault;
pub mod granule;
pub mod memory;
pub mod permissions;
pub mod regime;
pub mod stage1;
pub mod stage2;
pub mod translate;

pub use access::{Access, AccessKind};
pub use attrs::{CacheKind, Cacheability, DeviceType, MemAttrs, MemType, S2Attrs, Shareability};
pub use fault::{FaultAccess, FaultKind, Stage, TranslationFault};
pub use granule::Granule;
pub use memory::{WalkError, WalkMemory};
pub use permissions::{Permissions, Rwx, S2Permissions};
pub use regime::{MmuFeatures, Regime, Stage1Regime, Stage2Regime};
pub use stage1::{Stage1Result, walk_stage1};
pub use stage2::{Stage2Result, walk_stage2, walk_stage2_for_s1_walk};
pub use translate::{Translation, translate, translate_stage1_only};
