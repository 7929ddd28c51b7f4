//! The system register table: one row per register (Arm ARM D23/D24,
//! "AArch64 System Register Descriptions"). A row gives the encoding
//! `(op0, op1, CRn, CRm, op2)`, the access rule, the trap group that
//! HCR_EL2/SCR_EL3 can trap it by, and the reset value. Registers with side
//! effects or state outside the table (PSTATE fields, counters, ID values)
//! get a hook in `sysreg::hooks`. Adding a register is one row.

use super::{Access, Trap};

macro_rules! sysreg_table {
    ($( $name:ident = ($op0:expr, $op1:expr, $crn:expr, $crm:expr, $op2:expr), $access:expr, $trap:ident, $reset:expr; )*) => {
        /// A system register, named as the Arm ARM names it.
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u16)]
        pub enum SysReg { $($name,)* }

        /// Number of rows in [`SYSREG_DEFS`].
        pub const SYSREG_COUNT: usize = [$(SysReg::$name),*].len();

        /// The table, indexed by `SysReg as usize`.
        pub static SYSREG_DEFS: [SysRegDef; SYSREG_COUNT] = [
            $( SysRegDef {
                id: SysReg::$name,
                name: stringify!($name),
                enc: SysRegEnc::new($op0, $op1, $crn, $crm, $op2),
                access: $access,
                trap: Trap::$trap,
                reset: $reset,
            }, )*
        ];
    };
}

/// `(op0, op1, CRn, CRm, op2)` packed as op0\[15:14\] op1\[13:11\] CRn\[10:7\] CRm\[6:3\] op2\[2:0\].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SysRegEnc(pub u16);

impl SysRegEnc {
    pub const fn new(op0: u32, op1: u32, crn: u32, crm: u32, op2: u32) -> SysRegEnc {
        SysRegEnc(((op0 & 3) << 14 | (op1 & 7) << 11 | (crn & 15) << 7 | (crm & 15) << 3 | (op2 & 7)) as u16)
    }
    pub fn op0(self) -> u32 {
        (self.0 >> 14) as u32 & 3
    }
    pub fn op1(self) -> u32 {
        (self.0 >> 11) as u32 & 7
    }
    pub fn crn(self) -> u32 {
        (self.0 >> 7) as u32 & 15
    }
    pub fn crm(self) -> u32 {
        (self.0 >> 3) as u32 & 15
    }
    pub fn op2(self) -> u32 {
        self.0 as u32 & 7
    }
}

/// One row of the table.
#[derive(Clone, Copy, Debug)]
pub struct SysRegDef {
    pub id: SysReg,
    pub name: &'static str,
    pub enc: SysRegEnc,
    pub access: Access,
    pub trap: Trap,
    pub reset: u64,
}

use Access::*;

// SCTLR RES1 bits at reset (Arm ARM D23.2.118/119/120).
const SCTLR_EL1_RES1: u64 = 0x30d0_0800;
const SCTLR_EL23_RES1: u64 = 0x30c5_0830;
/// CTR_EL0: IminLine = DminLine = 64 bytes, PIPT I-cache, ERG = CWG = 64
/// bytes, IDC = DIC = 1 (no cleaning needed for I/D coherence).
const CTR_EL0_VALUE: u64 = 0xb444_c004;
/// CLIDR_EL1: L1 separate I/D, L2 unified, LoUIS = 1, LoC = 2, LoUU = 1.
const CLIDR_EL1_VALUE: u64 = 0x0a20_0023;
/// CCSIDR_EL1: 64-byte lines, 4 ways, 128 sets (the same for every level).
const CCSIDR_EL1_VALUE: u64 = (127 << 13) | (3 << 3) | 2;

sysreg_table! {
    // -- Identification (Arm ARM D23.2) -------------------------------------
    MIDR_EL1        = (3, 0, 0, 0, 0), El1Ro, Tid0, 0;
    MPIDR_EL1       = (3, 0, 0, 0, 5), El1Ro, Tid0, 0;
    REVIDR_EL1      = (3, 0, 0, 0, 6), El1Ro, Tid1, 0;
    ID_AA64PFR0_EL1 = (3, 0, 0, 4, 0), El1Ro, Tid3, 0;
    ID_AA64PFR1_EL1 = (3, 0, 0, 4, 1), El1Ro, Tid3, 0;
    ID_AA64PFR2_EL1 = (3, 0, 0, 4, 2), El1Ro, Tid3, 0;
    ID_AA64ZFR0_EL1 = (3, 0, 0, 4, 4), El1Ro, Tid3, 0;
    ID_AA64SMFR0_EL1 = (3, 0, 0, 4, 5), El1Ro, Tid3, 0;
    ID_AA64DFR0_EL1 = (3, 0, 0, 5, 0), El1Ro, Tid3, 0;
    ID_AA64DFR1_EL1 = (3, 0, 0, 5, 1), El1Ro, Tid3, 0;
    ID_AA64AFR0_EL1 = (3, 0, 0, 5, 4), El1Ro, Tid3, 0;
    ID_AA64AFR1_EL1 = (3, 0, 0, 5, 5), El1Ro, Tid3, 0;
    ID_AA64ISAR0_EL1 = (3, 0, 0, 6, 0), El1Ro, Tid3, 0;
    ID_AA64ISAR1_EL1 = (3, 0, 0, 6, 1), El1Ro, Tid3, 0;
    ID_AA64ISAR2_EL1 = (3, 0, 0, 6, 2), El1Ro, Tid3, 0;
    ID_AA64MMFR0_EL1 = (3, 0, 0, 7, 0), El1Ro, Tid3, 0;
    ID_AA64MMFR1_EL1 = (3, 0, 0, 7, 1), El1Ro, Tid3, 0;
    ID_AA64MMFR2_EL1 = (3, 0, 0, 7, 2), El1Ro, Tid3, 0;
    ID_AA64MMFR3_EL1 = (3, 0, 0, 7, 3), El1Ro, Tid3, 0;
    ID_AA64MMFR4_EL1 = (3, 0, 0, 7, 4), El1Ro, Tid3, 0;
    CCSIDR_EL1      = (3, 1, 0, 0, 0), El1Ro, Tid2, CCSIDR_EL1_VALUE;
    CLIDR_EL1       = (3, 1, 0, 0, 1), El1Ro, Tid2, CLIDR_EL1_VALUE;
    AIDR_EL1        = (3, 1, 0, 0, 7), El1Ro, Tid1, 0;
    CSSELR_EL1      = (3, 2, 0, 0, 0), El1Rw, Tid2, 0;
    CTR_EL0         = (3, 3, 0, 0, 1), El0Ro, Tid2, CTR_EL0_VALUE;
    DCZID_EL0       = (3, 3, 0, 0, 7), El0Ro, None, 0;
    VPIDR_EL2       = (3, 4, 0, 0, 0), El2Rw, None, 0;
    VMPIDR_EL2      = (3, 4, 0, 0, 5), El2Rw, None, 0;
    LORID_EL1       = (3, 0, 10, 4, 7), El1Ro, Lor, 0;

    // -- System control -----------------------------------------------------
    SCTLR_EL1       = (3, 0, 1, 0, 0), El1Rw, Tvm, SCTLR_EL1_RES1;
    ACTLR_EL1       = (3, 0, 1, 0, 1), El1Rw, Tacr, 0;
    CPACR_EL1       = (3, 0, 1, 0, 2), El1Rw, None, 0;
    SCTLR_EL2       = (3, 4, 1, 0, 0), El2Rw, None, SCTLR_EL23_RES1;
    ACTLR_EL2       = (3, 4, 1, 0, 1), El2Rw, None, 0;
    HCR_EL2         = (3, 4, 1, 1, 0), El2Rw, None, 0;
    MDCR_EL2        = (3, 4, 1, 1, 1), El2Rw, None, 0;
    CPTR_EL2        = (3, 4, 1, 1, 2), El2Rw, None, 0x0000_33ff;
    HSTR_EL2        = (3, 4, 1, 1, 3), El2Rw, None, 0;
    HACR_EL2        = (3, 4, 1, 1, 7), El2Rw, None, 0;
    HCRX_EL2        = (3, 4, 1, 2, 2), El2Rw, None, 0;
    SCTLR_EL3       = (3, 6, 1, 0, 0), El3Rw, None, SCTLR_EL23_RES1;
    ACTLR_EL3       = (3, 6, 1, 0, 1), El3Rw, None, 0;
    SCR_EL3         = (3, 6, 1, 1, 0), El3Rw, None, 0x30;
    CPTR_EL3        = (3, 6, 1, 1, 2), El3Rw, None, 0;
    MDCR_EL3        = (3, 6, 1, 3, 1), El3Rw, None, 0;

    // -- Translation control (used once the MMU is on) -----------------------
    TTBR0_EL1       = (3, 0, 2, 0, 0), El1Rw, Tvm, 0;
    TTBR1_EL1       = (3, 0, 2, 0, 1), El1Rw, Tvm, 0;
    TCR_EL1         = (3, 0, 2, 0, 2), El1Rw, Tvm, 0;
    TTBR0_EL2       = (3, 4, 2, 0, 0), El2Rw, None, 0;
    TTBR1_EL2       = (3, 4, 2, 0, 1), El2Rw, None, 0;
    TCR_EL2         = (3, 4, 2, 0, 2), El2Rw, None, 0;
    VTTBR_EL2       = (3, 4, 2, 1, 0), El2Rw, None, 0;
    VTCR_EL2        = (3, 4, 2, 1, 2), El2Rw, None, 0;
    VSTTBR_EL2      = (3, 4, 2, 6, 0), El2Rw, None, 0;
    VSTCR_EL2       = (3, 4, 2, 6, 2), El2Rw, None, 0;
    TTBR0_EL3       = (3, 6, 2, 0, 0), El3Rw, None, 0;
    TCR_EL3         = (3, 6, 2, 0, 2), El3Rw, None, 0;
    GPTBR_EL3       = (3, 6, 2, 1, 4), El3Rw, None, 0;
    GPCCR_EL3       = (3, 6, 2, 1, 6), El3Rw, None, 0;
    MAIR_EL1        = (3, 0, 10, 2, 0), El1Rw, Tvm, 0;
    AMAIR_EL1       = (3, 0, 10, 3, 0), El1Rw, Tvm, 0;
    MAIR_EL2        = (3, 4, 10, 2, 0), El2Rw, None, 0;
    AMAIR_EL2       = (3, 4, 10, 3, 0), El2Rw, None, 0;
    MAIR_EL3        = (3, 6, 10, 2, 0), El3Rw, None, 0;
    AMAIR_EL3       = (3, 6, 10, 3, 0), El3Rw, None, 0;
    LORSA_EL1       = (3, 0, 10, 4, 0), El1Rw, Lor, 0;
    LOREA_EL1       = (3, 0, 10, 4, 1), El1Rw, Lor, 0;
    LORN_EL1        = (3, 0, 10, 4, 2), El1Rw, Lor, 0;
    LORC_EL1        = (3, 0, 10, 4, 3), El1Rw, Lor, 0;
    PAR_EL1         = (3, 0, 7, 4, 0), El1Rw, None, 0;

    // -- Pointer authentication keys (FEAT_PAuth) ----------------------------
    APIAKeyLo_EL1   = (3, 0, 2, 1, 0), El1Rw, PauthKey, 0;
    APIAKeyHi_EL1   = (3, 0, 2, 1, 1), El1Rw, PauthKey, 0;
    APIBKeyLo_EL1   = (3, 0, 2, 1, 2), El1Rw, PauthKey, 0;
    APIBKeyHi_EL1   = (3, 0, 2, 1, 3), El1Rw, PauthKey, 0;
    APDAKeyLo_EL1   = (3, 0, 2, 2, 0), El1Rw, PauthKey, 0;
    APDAKeyHi_EL1   = (3, 0, 2, 2, 1), El1Rw, PauthKey, 0;
    APDBKeyLo_EL1   = (3, 0, 2, 2, 2), El1Rw, PauthKey, 0;
    APDBKeyHi_EL1   = (3, 0, 2, 2, 3), El1Rw, PauthKey, 0;
    APGAKeyLo_EL1   = (3, 0, 2, 3, 0), El1Rw, PauthKey, 0;
    APGAKeyHi_EL1   = (3, 0, 2, 3, 1), El1Rw, PauthKey, 0;

    // -- Exception handling --------------------------------------------------
    SPSR_EL1        = (3, 0, 4, 0, 0), El1Rw, None, 0;
    ELR_EL1         = (3, 0, 4, 0, 1), El1Rw, None, 0;
    SPSR_EL2        = (3, 4, 4, 0, 0), El2Rw, None, 0;
    ELR_EL2         = (3, 4, 4, 0, 1), El2Rw, None, 0;
    SPSR_EL3        = (3, 6, 4, 0, 0), El3Rw, None, 0;
    ELR_EL3         = (3, 6, 4, 0, 1), El3Rw, None, 0;
    AFSR0_EL1       = (3, 0, 5, 1, 0), El1Rw, Tvm, 0;
    AFSR1_EL1       = (3, 0, 5, 1, 1), El1Rw, Tvm, 0;
    ESR_EL1         = (3, 0, 5, 2, 0), El1Rw, Tvm, 0;
    AFSR0_EL2       = (3, 4, 5, 1, 0), El2Rw, None, 0;
    AFSR1_EL2       = (3, 4, 5, 1, 1), El2Rw, None, 0;
    ESR_EL2         = (3, 4, 5, 2, 0), El2Rw, None, 0;
    AFSR0_EL3       = (3, 6, 5, 1, 0), El3Rw, None, 0;
    AFSR1_EL3       = (3, 6, 5, 1, 1), El3Rw, None, 0;
    ESR_EL3         = (3, 6, 5, 2, 0), El3Rw, None, 0;
    FAR_EL1         = (3, 0, 6, 0, 0), El1Rw, Tvm, 0;
    FAR_EL2         = (3, 4, 6, 0, 0), El2Rw, None, 0;
    HPFAR_EL2       = (3, 4, 6, 0, 4), El2Rw, None, 0;
    FAR_EL3         = (3, 6, 6, 0, 0), El3Rw, None, 0;
    MFAR_EL3        = (3, 6, 6, 0, 5), El3Rw, None, 0;
    VBAR_EL1        = (3, 0, 12, 0, 0), El1Rw, None, 0;
    VBAR_EL2        = (3, 4, 12, 0, 0), El2Rw, None, 0;
    VBAR_EL3        = (3, 6, 12, 0, 0), El3Rw, None, 0;
    RVBAR_EL3       = (3, 6, 12, 0, 1), El3Ro, None, 0;
    RMR_EL3         = (3, 6, 12, 0, 2), El3Rw, None, 1;
    ISR_EL1         = (3, 0, 12, 1, 0), El1Ro, None, 0;

    // -- Thread and context IDs ----------------------------------------------
    CONTEXTIDR_EL1  = (3, 0, 13, 0, 1), El1Rw, Tvm, 0;
    TPIDR_EL1       = (3, 0, 13, 0, 4), El1Rw, None, 0;
    CONTEXTIDR_EL2  = (3, 4, 13, 0, 1), El2Rw, None, 0;
    TPIDR_EL2       = (3, 4, 13, 0, 2), El2Rw, None, 0;
    TPIDR_EL3       = (3, 6, 13, 0, 2), El3Rw, None, 0;
    TPIDR_EL0       = (3, 3, 13, 0, 2), El0Rw, None, 0;
    TPIDRRO_EL0     = (3, 3, 13, 0, 3), El0RoEl1Rw, None, 0;

    // -- PSTATE views and special-purpose registers (hooks) -------------------
    NZCV            = (3, 3, 4, 2, 0), El0Rw, None, 0;
    DAIF            = (3, 3, 4, 2, 1), El0Daif, None, 0;
    DIT             = (3, 3, 4, 2, 5), El0Rw, None, 0;
    SSBS            = (3, 3, 4, 2, 6), El0Rw, None, 0;
    SP_EL0          = (3, 0, 4, 1, 0), SpEl0, None, 0;
    SP_EL1          = (3, 4, 4, 1, 0), El2Rw, None, 0;
    SP_EL2          = (3, 6, 4, 1, 0), El3Rw, None, 0;
    SPSel           = (3, 0, 4, 2, 0), El1Rw, None, 0;
    CurrentEL       = (3, 0, 4, 2, 2), El1Ro, None, 0;
    PAN             = (3, 0, 4, 2, 3), El1Rw, None, 0;
    UAO             = (3, 0, 4, 2, 4), El1Rw, None, 0;
    RNDR            = (3, 3, 2, 4, 0), El0Ro, None, 0;
    RNDRRS          = (3, 3, 2, 4, 1), El0Ro, None, 0;

    // -- Generic timer: frequency and counters (the timers come with the GIC)
    CNTFRQ_EL0      = (3, 3, 14, 0, 0), CntFrq, None, 100_000_000;
    CNTPCT_EL0      = (3, 3, 14, 0, 1), CntPct, None, 0;
    CNTVCT_EL0      = (3, 3, 14, 0, 2), CntVct, None, 0;
    CNTKCTL_EL1     = (3, 0, 14, 1, 0), El1Rw, None, 0;
    CNTHCTL_EL2     = (3, 4, 14, 1, 0), El2Rw, None, 0;
    CNTVOFF_EL2     = (3, 4, 14, 0, 3), El2Rw, None, 0;
    // The generic timers (Arm ARM D11.2); CTL.ISTATUS and TVAL are hooks.
    CNTP_TVAL_EL0   = (3, 3, 14, 2, 0), TimerEl0(false), None, 0;
    CNTP_CTL_EL0    = (3, 3, 14, 2, 1), TimerEl0(false), None, 0;
    CNTP_CVAL_EL0   = (3, 3, 14, 2, 2), TimerEl0(false), None, 0;
    CNTV_TVAL_EL0   = (3, 3, 14, 3, 0), TimerEl0(true), None, 0;
    CNTV_CTL_EL0    = (3, 3, 14, 3, 1), TimerEl0(true), None, 0;
    CNTV_CVAL_EL0   = (3, 3, 14, 3, 2), TimerEl0(true), None, 0;
    CNTHP_TVAL_EL2  = (3, 4, 14, 2, 0), El2Rw, None, 0;
    CNTHP_CTL_EL2   = (3, 4, 14, 2, 1), El2Rw, None, 0;
    CNTHP_CVAL_EL2  = (3, 4, 14, 2, 2), El2Rw, None, 0;
    CNTHV_TVAL_EL2  = (3, 4, 14, 3, 0), El2Rw, None, 0;
    CNTHV_CTL_EL2   = (3, 4, 14, 3, 1), El2Rw, None, 0;
    CNTHV_CVAL_EL2  = (3, 4, 14, 3, 2), El2Rw, None, 0;
    CNTPS_TVAL_EL1  = (3, 7, 14, 2, 0), CntPs, None, 0;
    CNTPS_CTL_EL1   = (3, 7, 14, 2, 1), CntPs, None, 0;
    CNTPS_CVAL_EL1  = (3, 7, 14, 2, 2), CntPs, None, 0;

    // -- AArch32 EL1 state kept by EL2/EL3 context switches. AArch32 is not
    // implemented at EL1, so nothing uses these values; they are kept as
    // written for firmware that saves and restores them (TF-A's
    // CTX_INCLUDE_AARCH32_REGS).
    SPSR_abt        = (3, 4, 4, 3, 1), El2Rw, None, 0;
    SPSR_und        = (3, 4, 4, 3, 2), El2Rw, None, 0;
    SPSR_irq        = (3, 4, 4, 3, 0), El2Rw, None, 0;
    SPSR_fiq        = (3, 4, 4, 3, 3), El2Rw, None, 0;
    DACR32_EL2      = (3, 4, 3, 0, 0), El2Rw, None, 0;
    IFSR32_EL2      = (3, 4, 5, 0, 1), El2Rw, None, 0;

    // -- GICv3: the CPU interface (ICC_*, IHI0069 12.2) and the virtual CPU
    // interface's control (ICH_*_EL2, 12.4) and view (ICV_*_EL1, 12.5) have
    // no rows here: their state is per PE in the GIC (rme-gic
    // cpu_interface/virtual_cpu_interface), reached through the GIC port
    // (crate::gic_port), which also delivers the virtual IRQ/FIQ.

    // -- FEAT_RAS with no error records (ERRIDR_EL1.NUM = 0): the deferred
    // and virtual SError syndrome registers. No SError is ever deferred.
    ERRIDR_EL1      = (3, 0, 5, 3, 0), El1Ro, None, 0;
    ERRSELR_EL1     = (3, 0, 5, 3, 1), El1Rw, None, 0;
    DISR_EL1        = (3, 0, 12, 1, 1), El1Rw, None, 0;
    VDISR_EL2       = (3, 4, 12, 1, 1), El2Rw, None, 0;
    VSESR_EL2       = (3, 4, 5, 2, 3), El2Rw, None, 0;

    // -- FEAT_CSV2_2: software context numbers (values only; the EnSCXT
    // traps of SCR_EL3/HCR_EL2/SCTLR_ELx are not modelled yet).
    SCXTNUM_EL0     = (3, 3, 13, 0, 7), El0Rw, None, 0;
    SCXTNUM_EL1     = (3, 0, 13, 0, 7), El1Rw, None, 0;
    SCXTNUM_EL2     = (3, 4, 13, 0, 7), El2Rw, None, 0;
    SCXTNUM_EL3     = (3, 6, 13, 0, 7), El3Rw, None, 0;

    // -- PMUv3 (Arm ARM D13): the cycle counter only (PMCR_EL0.N = 0) --------
    PMCR_EL0        = (3, 3, 9, 12, 0), Pmu, None, 0x4100_0000;
    PMCNTENSET_EL0  = (3, 3, 9, 12, 1), Pmu, None, 0;
    PMCNTENCLR_EL0  = (3, 3, 9, 12, 2), Pmu, None, 0;
    PMOVSCLR_EL0    = (3, 3, 9, 12, 3), Pmu, None, 0;
    PMSWINC_EL0     = (3, 3, 9, 12, 4), Pmu, None, 0;
    PMSELR_EL0      = (3, 3, 9, 12, 5), Pmu, None, 0;
    PMCEID0_EL0     = (3, 3, 9, 12, 6), Pmu, None, 0;
    PMCEID1_EL0     = (3, 3, 9, 12, 7), Pmu, None, 0;
    PMCCNTR_EL0     = (3, 3, 9, 13, 0), Pmu, None, 0;
    PMXEVTYPER_EL0  = (3, 3, 9, 13, 1), Pmu, None, 0;
    PMXEVCNTR_EL0   = (3, 3, 9, 13, 2), Pmu, None, 0;
    PMUSERENR_EL0   = (3, 3, 9, 14, 0), Pmu, None, 0;
    PMINTENSET_EL1  = (3, 0, 9, 14, 1), Pmu, None, 0;
    PMINTENCLR_EL1  = (3, 0, 9, 14, 2), Pmu, None, 0;
    PMOVSSET_EL0    = (3, 3, 9, 14, 3), Pmu, None, 0;
    PMCCFILTR_EL0   = (3, 3, 14, 15, 7), Pmu, None, 0;

    // -- Debug (register state only: no debug events are generated) ----------
    MDSCR_EL1       = (2, 0, 0, 2, 2), El1Rw, Tda, 0;
    MDCCINT_EL1     = (2, 0, 0, 2, 0), El1Rw, Tda, 0;
    OSDTRRX_EL1     = (2, 0, 0, 0, 2), El1Rw, Tda, 0;
    OSDTRTX_EL1     = (2, 0, 0, 3, 2), El1Rw, Tda, 0;
    OSECCR_EL1      = (2, 0, 0, 6, 2), El1Rw, Tda, 0;
    MDRAR_EL1       = (2, 0, 1, 0, 0), El1Ro, Tda, 0;
    OSLAR_EL1       = (2, 0, 1, 0, 4), El1Wo, Tda, 0;
    OSLSR_EL1       = (2, 0, 1, 1, 4), El1Ro, Tda, 0b1000;
    OSDLR_EL1       = (2, 0, 1, 3, 4), El1Rw, Tda, 0;
    DBGPRCR_EL1     = (2, 0, 1, 4, 4), El1Rw, Tda, 0;
    DBGCLAIMSET_EL1 = (2, 0, 7, 8, 6), El1Rw, Tda, 0;
    DBGCLAIMCLR_EL1 = (2, 0, 7, 9, 6), El1Rw, Tda, 0;
    DBGAUTHSTATUS_EL1 = (2, 0, 7, 14, 6), El1Ro, Tda, 0;
    MDCCSR_EL0      = (2, 3, 0, 1, 0), El1Ro, Tda, 0;
    DBGBVR0_EL1     = (2, 0, 0, 0, 4), El1Rw, Tda, 0;
    DBGBCR0_EL1     = (2, 0, 0, 0, 5), El1Rw, Tda, 0;
    DBGWVR0_EL1     = (2, 0, 0, 0, 6), El1Rw, Tda, 0;
    DBGWCR0_EL1     = (2, 0, 0, 0, 7), El1Rw, Tda, 0;
    DBGBVR1_EL1     = (2, 0, 0, 1, 4), El1Rw, Tda, 0;
    DBGBCR1_EL1     = (2, 0, 0, 1, 5), El1Rw, Tda, 0;
    DBGWVR1_EL1     = (2, 0, 0, 1, 6), El1Rw, Tda, 0;
    DBGWCR1_EL1     = (2, 0, 0, 1, 7), El1Rw, Tda, 0;

    // -- VHE aliases (FEAT_VHE): valid at EL2/EL3 when HCR_EL2.E2H == 1 -------
    SCTLR_EL12      = (3, 5, 1, 0, 0), Alias12(SysReg::SCTLR_EL1), None, 0;
    CPACR_EL12      = (3, 5, 1, 0, 2), Alias12(SysReg::CPACR_EL1), None, 0;
    TTBR0_EL12      = (3, 5, 2, 0, 0), Alias12(SysReg::TTBR0_EL1), None, 0;
    TTBR1_EL12      = (3, 5, 2, 0, 1), Alias12(SysReg::TTBR1_EL1), None, 0;
    TCR_EL12        = (3, 5, 2, 0, 2), Alias12(SysReg::TCR_EL1), None, 0;
    SPSR_EL12       = (3, 5, 4, 0, 0), Alias12(SysReg::SPSR_EL1), None, 0;
    ELR_EL12        = (3, 5, 4, 0, 1), Alias12(SysReg::ELR_EL1), None, 0;
    AFSR0_EL12      = (3, 5, 5, 1, 0), Alias12(SysReg::AFSR0_EL1), None, 0;
    AFSR1_EL12      = (3, 5, 5, 1, 1), Alias12(SysReg::AFSR1_EL1), None, 0;
    ESR_EL12        = (3, 5, 5, 2, 0), Alias12(SysReg::ESR_EL1), None, 0;
    FAR_EL12        = (3, 5, 6, 0, 0), Alias12(SysReg::FAR_EL1), None, 0;
    MAIR_EL12       = (3, 5, 10, 2, 0), Alias12(SysReg::MAIR_EL1), None, 0;
    AMAIR_EL12      = (3, 5, 10, 3, 0), Alias12(SysReg::AMAIR_EL1), None, 0;
    VBAR_EL12       = (3, 5, 12, 0, 0), Alias12(SysReg::VBAR_EL1), None, 0;
    CONTEXTIDR_EL12 = (3, 5, 13, 0, 1), Alias12(SysReg::CONTEXTIDR_EL1), None, 0;
    CNTKCTL_EL12    = (3, 5, 14, 1, 0), Alias12(SysReg::CNTKCTL_EL1), None, 0;
    CNTP_TVAL_EL02  = (3, 5, 14, 2, 0), Alias12(SysReg::CNTP_TVAL_EL0), None, 0;
    CNTP_CTL_EL02   = (3, 5, 14, 2, 1), Alias12(SysReg::CNTP_CTL_EL0), None, 0;
    CNTP_CVAL_EL02  = (3, 5, 14, 2, 2), Alias12(SysReg::CNTP_CVAL_EL0), None, 0;
    CNTV_TVAL_EL02  = (3, 5, 14, 3, 0), Alias12(SysReg::CNTV_TVAL_EL0), None, 0;
    CNTV_CTL_EL02   = (3, 5, 14, 3, 1), Alias12(SysReg::CNTV_CTL_EL0), None, 0;
    CNTV_CVAL_EL02  = (3, 5, 14, 3, 2), Alias12(SysReg::CNTV_CVAL_EL0), None, 0;
}

impl SysReg {
    pub fn def(self) -> &'static SysRegDef {
        &SYSREG_DEFS[self as usize]
    }
    pub fn name(self) -> &'static str {
        self.def().name
    }
    /// The register an EL1 register access is redirected to at EL2 when
    /// HCR_EL2.E2H == 1 (Arm ARM D5.6 "Virtualization Host Extensions").
    pub fn e2h_redirect(self) -> Option<SysReg> {
        use SysReg::*;
        Some(match self {
            SCTLR_EL1 => SCTLR_EL2,
            CPACR_EL1 => CPTR_EL2,
            TTBR0_EL1 => TTBR0_EL2,
            TTBR1_EL1 => TTBR1_EL2,
            TCR_EL1 => TCR_EL2,
            SPSR_EL1 => SPSR_EL2,
            ELR_EL1 => ELR_EL2,
            AFSR0_EL1 => AFSR0_EL2,
            AFSR1_EL1 => AFSR1_EL2,
            ESR_EL1 => ESR_EL2,
            FAR_EL1 => FAR_EL2,
            MAIR_EL1 => MAIR_EL2,
            AMAIR_EL1 => AMAIR_EL2,
            VBAR_EL1 => VBAR_EL2,
            CONTEXTIDR_EL1 => CONTEXTIDR_EL2,
            CNTKCTL_EL1 => CNTHCTL_EL2,
            CNTP_TVAL_EL0 => CNTHP_TVAL_EL2,
            CNTP_CTL_EL0 => CNTHP_CTL_EL2,
            CNTP_CVAL_EL0 => CNTHP_CVAL_EL2,
            CNTV_TVAL_EL0 => CNTHV_TVAL_EL2,
            CNTV_CTL_EL0 => CNTHV_CTL_EL2,
            CNTV_CVAL_EL0 => CNTHV_CVAL_EL2,
            _ => return Option::None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn encodings_are_unique_and_table_is_indexed_by_id() {
        let mut seen = HashSet::new();
        for (i, d) in SYSREG_DEFS.iter().enumerate() {
            assert_eq!(d.id as usize, i);
            assert!(seen.insert(d.enc), "{} shares its encoding", d.name);
        }
    }

    #[test]
    fn known_encodings() {
        assert_eq!(SysReg::GPCCR_EL3.def().enc, SysRegEnc::new(3, 6, 2, 1, 6));
        assert_eq!(SysReg::SCR_EL3.def().enc, SysRegEnc::new(3, 6, 1, 1, 0));
        assert_eq!(SysReg::CurrentEL.def().enc, SysRegEnc::new(3, 0, 4, 2, 2));
    }
}
