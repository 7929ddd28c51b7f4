//! The virtual CPU interface: the hypervisor's control registers
//! (`ICH_*_EL2`) and the view a virtual machine has of them (`ICV_*_EL1`),
//! IHI 0069 chapter 6 "Virtual interrupt handling and prioritization" and
//! 12.4/12.5 (register descriptions of `ICH_*_EL2`, `ICV_*_EL1`).
//!
//! [`VirtualCpuInterface`] is the state of one PE's virtual interface and
//! its pure logic (no CPU, no physical GIC):
//! * `ICH_HCR_EL2`: En, UIE, LRENPIE, NPIE, VGrp0EIE, VGrp0DIE, VGrp1EIE,
//!   VGrp1DIE, TC, TALL0, TALL1, TDIR and EOIcount are held; TSEI,
//!   vSGIEOICount and DVIM are RES0 (`ICH_VTR_EL2.SEIS` = 0, no GICv4.1).
//! * `ICH_VMCR_EL2`: VENG0, VENG1, VCBPR, VEOIM, VBPR0, VBPR1, VPMR;
//!   VAckCtl is RES0 and VFIQEn RES1 (System register interface only, so
//!   virtual Group 0 is always vFIQ and Group 1 vIRQ, 6.1 "Virtual
//!   interrupt signalling").
//! * [`NUM_LRS`] list registers `ICH_LR<n>_EL2` (vINTID, pINTID/EOI,
//!   Priority, Group, HW, State); one active-priorities register per group,
//!   `ICH_AP0R0_EL2`/`ICH_AP1R0_EL2` (5 preemption bits: bit n stands for
//!   group priority n << 3).
//! * Computed: `ICH_MISR_EL2`, `ICH_EISR_EL2`, `ICH_ELRSR_EL2`; constant:
//!   `ICH_VTR_EL2` ([`ICH_VTR_EL2`]).
//!
//! Prioritization follows the pseudocode of IHI 0069 chapter 6 / the
//! `ICV_*` register pseudocode: `HighestPriorityVirtualInterrupt()` is the
//! pending (State = 0b01) list register of an enabled group (VENG0/VENG1)
//! with the numerically lowest priority, the lowest-numbered list register
//! on a tie; it is signalled (`CanSignalVirtualInt()`) when
//! `ICH_HCR_EL2.En` = 1, its priority is below `VPMR` and its group
//! priority (`VPriorityGroup()`: the bits left by `VBPR0`, or for Group 1
//! by `VBPR1` - 1 unless `VCBPR` = 1) is below the virtual running
//! priority (the highest active priority of `ICH_AP0R0`/`ICH_AP1R0`).
//! Acknowledge (`ICV_IAR0/1_EL1`) makes the list register Active (Invalid
//! for a vLPI, INTID >= 8192) and sets the active-priority bit of its
//! group priority. `ICV_EOIR0/1_EL1` drops the highest active priority
//! (when it belongs to the register's group) and, with `VEOIM` = 0,
//! deactivates the list register holding the INTID (Active -> Invalid,
//! Pending and active -> Pending); a list register with HW = 1 also
//! deactivates its pINTID in the physical GIC (returned to the caller);
//! an INTID no list register holds increments `ICH_HCR_EL2.EOIcount`.
//! `ICV_DIR_EL1` deactivates the same way, only with `VEOIM` = 1.
//!
//! The maintenance interrupt (PPI 25 on FVP, [`MAINTENANCE_PPI`]) is
//! asserted while `ICH_HCR_EL2.En` = 1 and `ICH_MISR_EL2` != 0
//! (level-sensitive, 6.3 "Maintenance interrupts").
//!
//! [`crate::state::GicState`] holds one of these per PE and routes the
//! `ICC_*` encodings accessed at EL1 under `HCR_EL2.IMO`/`FMO` here
//! ([`crate::cpu_interface`]).

use crate::registers::INTID_SPURIOUS;
use crate::state::GicState;

/// Number of list registers (`ICH_VTR_EL2.ListRegs` + 1).
pub const NUM_LRS: usize = 4;
/// Virtual priority bits (`ICH_VTR_EL2.PRIbits` + 1) and preemption bits
/// (`ICH_VTR_EL2.PREbits` + 1).
pub const VPRI_BITS: u8 = 5;
/// Mask of the implemented bits of a virtual priority (0xf8).
pub const VPRI_MASK: u8 = (0xff00u16 >> VPRI_BITS) as u8;
/// Minimum `ICV_BPR0_EL1`: 7 - preemption bits (group priority \[7:3\]).
pub const VBPR0_MIN: u8 = 7 - VPRI_BITS;
/// Minimum `ICV_BPR1_EL1` (`VBPR0_MIN` + 1).
pub const VBPR1_MIN: u8 = VBPR0_MIN + 1;
/// The maintenance interrupt's PPI on FVP Base RevC (and SBSA).
pub const MAINTENANCE_PPI: u32 = 25;

/// `ICH_VTR_EL2`: PRIbits \[31:29\] = 4 and PREbits \[28:26\] = 4 (5 bits),
/// IDbits \[25:23\] = 0 (16-bit INTIDs), SEIS \[22\] = 0, A3V \[21\] = 1 (as the
/// physical `ICC_CTLR_EL1.A3V`), nV4 \[20\] = 1 (no direct injection: GICv4
/// is not modelled), TDS \[19\] = 1 (`ICH_HCR_EL2.TDIR` implemented),
/// ListRegs \[4:0\] = 3 (4 list registers).
pub const ICH_VTR_EL2: u64 = (VPRI_BITS as u64 - 1) << 29
    | (VPRI_BITS as u64 - 1) << 26
    | 1 << 21
    | 1 << 20
    | 1 << 19
    | (NUM_LRS as u64 - 1);

// ICH_HCR_EL2 fields.
pub const ICH_HCR_EN: u32 = 1 << 0;
pub const ICH_HCR_UIE: u32 = 1 << 1;
pub const ICH_HCR_LRENPIE: u32 = 1 << 2;
pub const ICH_HCR_NPIE: u32 = 1 << 3;
pub const ICH_HCR_VGRP0EIE: u32 = 1 << 4;
pub const ICH_HCR_VGRP0DIE: u32 = 1 << 5;
pub const ICH_HCR_VGRP1EIE: u32 = 1 << 6;
pub const ICH_HCR_VGRP1DIE: u32 = 1 << 7;
pub const ICH_HCR_TC: u32 = 1 << 10;
pub const ICH_HCR_TALL0: u32 = 1 << 11;
pub const ICH_HCR_TALL1: u32 = 1 << 12;
pub const ICH_HCR_TDIR: u32 = 1 << 14;
pub const ICH_HCR_EOICOUNT_SHIFT: u32 = 27;
/// The writable bits of ICH_HCR_EL2 (EOIcount \[31:27\] included).
const ICH_HCR_WRITABLE: u32 =
    0xff | ICH_HCR_TC | ICH_HCR_TALL0 | ICH_HCR_TALL1 | ICH_HCR_TDIR | 0x1f << 27;

// ICH_VMCR_EL2 fields.
pub const ICH_VMCR_VENG0: u32 = 1 << 0;
pub const ICH_VMCR_VENG1: u32 = 1 << 1;
pub const ICH_VMCR_VFIQEN: u32 = 1 << 3;
pub const ICH_VMCR_VCBPR: u32 = 1 << 4;
pub const ICH_VMCR_VEOIM: u32 = 1 << 9;
pub const ICH_VMCR_VBPR1_SHIFT: u32 = 18;
pub const ICH_VMCR_VBPR0_SHIFT: u32 = 21;
pub const ICH_VMCR_VPMR_SHIFT: u32 = 24;

// ICH_MISR_EL2 fields.
pub const ICH_MISR_EOI: u32 = 1 << 0;
pub const ICH_MISR_U: u32 = 1 << 1;
pub const ICH_MISR_LRENP: u32 = 1 << 2;
pub const ICH_MISR_NP: u32 = 1 << 3;
pub const ICH_MISR_VGRP0E: u32 = 1 << 4;
pub const ICH_MISR_VGRP0D: u32 = 1 << 5;
pub const ICH_MISR_VGRP1E: u32 = 1 << 6;
pub const ICH_MISR_VGRP1D: u32 = 1 << 7;

// ICH_LR<n>_EL2 fields.
/// vINTID \[31:0\]; 16 bits implemented (IDbits = 0).
pub const ICH_LR_VINTID_MASK: u64 = 0xffff;
pub const ICH_LR_PINTID_SHIFT: u32 = 32;
/// pINTID \[44:32\] (HW = 1).
pub const ICH_LR_PINTID_MASK: u64 = 0x1fff;
/// EOI \[41\] (HW = 0): maintenance interrupt when the entry is deactivated.
pub const ICH_LR_EOI: u64 = 1 << 41;
pub const ICH_LR_PRIORITY_SHIFT: u32 = 48;
pub const ICH_LR_GROUP: u64 = 1 << 60;
pub const ICH_LR_HW: u64 = 1 << 61;
pub const ICH_LR_STATE_SHIFT: u32 = 62;
/// The bits of an ICH_LR\<n\>_EL2 that hold state: State, HW, Group, the
/// implemented Priority bits, pINTID/EOI, vINTID.
const ICH_LR_WRITABLE: u64 = 3 << 62
    | ICH_LR_HW
    | ICH_LR_GROUP
    | (VPRI_MASK as u64) << ICH_LR_PRIORITY_SHIFT
    | ICH_LR_PINTID_MASK << ICH_LR_PINTID_SHIFT
    | ICH_LR_VINTID_MASK;

/// `ICH_LR<n>_EL2.State`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LrState {
    Invalid = 0,
    Pending = 1,
    Active = 2,
    PendingActive = 3,
}

impl LrState {
    fn of(lr: u64) -> LrState {
        match lr >> ICH_LR_STATE_SHIFT {
            0 => LrState::Invalid,
            1 => LrState::Pending,
            2 => LrState::Active,
            _ => LrState::PendingActive,
        }
    }
    fn is_active(self) -> bool {
        matches!(self, LrState::Active | LrState::PendingActive)
    }
}

fn with_state(lr: u64, s: LrState) -> u64 {
    (lr & !(3 << ICH_LR_STATE_SHIFT)) | (s as u64) << ICH_LR_STATE_SHIFT
}

fn lr_vintid(lr: u64) -> u32 {
    (lr & ICH_LR_VINTID_MASK) as u32
}

fn lr_priority(lr: u64) -> u8 {
    (lr >> ICH_LR_PRIORITY_SHIFT) as u8 & VPRI_MASK
}

fn lr_group1(lr: u64) -> bool {
    lr & ICH_LR_GROUP != 0
}

/// A special INTID (1020-1023): EOIR/DIR writes of it are ignored.
fn is_special(intid: u32) -> bool {
    (1020..=1023).contains(&intid)
}

/// First virtual LPI INTID: LPIs have no active state.
const FIRST_LPI: u32 = 8192;

/// An `ICH_*_EL2` register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IchReg {
    /// `ICH_AP0R<n>_EL2`, `S3_4_C12_C8_<n>`.
    Ap0r(u8),
    /// `ICH_AP1R<n>_EL2`, `S3_4_C12_C9_<n>`.
    Ap1r(u8),
    /// ICH_HCR_EL2, S3_4_C12_C11_0.
    Hcr,
    /// ICH_VTR_EL2, S3_4_C12_C11_1.
    Vtr,
    /// ICH_MISR_EL2, S3_4_C12_C11_2.
    Misr,
    /// ICH_EISR_EL2, S3_4_C12_C11_3.
    Eisr,
    /// ICH_ELRSR_EL2, S3_4_C12_C11_5.
    Elrsr,
    /// ICH_VMCR_EL2, S3_4_C12_C11_7.
    Vmcr,
    /// `ICH_LR<n>_EL2`, `S3_4_C12_C12_<n>` (n < 8), `S3_4_C12_C13_<n-8>`.
    Lr(u8),
}

impl IchReg {
    /// The register named by an MRS/MSR encoding (op0, op1, CRn, CRm, op2),
    /// implemented or not (AP0R1-3, LR4-15 are UNDEFINED here).
    pub fn from_encoding(op0: u8, op1: u8, crn: u8, crm: u8, op2: u8) -> Option<IchReg> {
        Some(match (op0, op1, crn, crm, op2) {
            (3, 4, 12, 8, n @ 0..=3) => IchReg::Ap0r(n),
            (3, 4, 12, 9, n @ 0..=3) => IchReg::Ap1r(n),
            (3, 4, 12, 11, 0) => IchReg::Hcr,
            (3, 4, 12, 11, 1) => IchReg::Vtr,
            (3, 4, 12, 11, 2) => IchReg::Misr,
            (3, 4, 12, 11, 3) => IchReg::Eisr,
            (3, 4, 12, 11, 5) => IchReg::Elrsr,
            (3, 4, 12, 11, 7) => IchReg::Vmcr,
            (3, 4, 12, 12, n) => IchReg::Lr(n),
            (3, 4, 12, 13, n) => IchReg::Lr(n + 8),
            _ => return None,
        })
    }

    /// The encoding (op0, op1, CRn, CRm, op2).
    pub const fn encoding(self) -> (u8, u8, u8, u8, u8) {
        match self {
            IchReg::Ap0r(n) => (3, 4, 12, 8, n & 3),
            IchReg::Ap1r(n) => (3, 4, 12, 9, n & 3),
            IchReg::Hcr => (3, 4, 12, 11, 0),
            IchReg::Vtr => (3, 4, 12, 11, 1),
            IchReg::Misr => (3, 4, 12, 11, 2),
            IchReg::Eisr => (3, 4, 12, 11, 3),
            IchReg::Elrsr => (3, 4, 12, 11, 5),
            IchReg::Vmcr => (3, 4, 12, 11, 7),
            IchReg::Lr(n) => (3, 4, 12, 12 + (n >> 3 & 1), n & 7),
        }
    }

    /// The architectural name ("ICH_LR0_EL2").
    pub fn name(self) -> &'static str {
        const AP0R: [&str; 4] = [
            "ICH_AP0R0_EL2",
            "ICH_AP0R1_EL2",
            "ICH_AP0R2_EL2",
            "ICH_AP0R3_EL2",
        ];
        const AP1R: [&str; 4] = [
            "ICH_AP1R0_EL2",
            "ICH_AP1R1_EL2",
            "ICH_AP1R2_EL2",
            "ICH_AP1R3_EL2",
        ];
        const LR: [&str; 16] = [
            "ICH_LR0_EL2",
            "ICH_LR1_EL2",
            "ICH_LR2_EL2",
            "ICH_LR3_EL2",
            "ICH_LR4_EL2",
            "ICH_LR5_EL2",
            "ICH_LR6_EL2",
            "ICH_LR7_EL2",
            "ICH_LR8_EL2",
            "ICH_LR9_EL2",
            "ICH_LR10_EL2",
            "ICH_LR11_EL2",
            "ICH_LR12_EL2",
            "ICH_LR13_EL2",
            "ICH_LR14_EL2",
            "ICH_LR15_EL2",
        ];
        match self {
            IchReg::Ap0r(n) => AP0R[(n & 3) as usize],
            IchReg::Ap1r(n) => AP1R[(n & 3) as usize],
            IchReg::Hcr => "ICH_HCR_EL2",
            IchReg::Vtr => "ICH_VTR_EL2",
            IchReg::Misr => "ICH_MISR_EL2",
            IchReg::Eisr => "ICH_EISR_EL2",
            IchReg::Elrsr => "ICH_ELRSR_EL2",
            IchReg::Vmcr => "ICH_VMCR_EL2",
            IchReg::Lr(n) => LR[(n & 15) as usize],
        }
    }

    /// MSR of the register is defined (VTR, MISR, EISR, ELRSR are read-only).
    pub fn is_writable(self) -> bool {
        !matches!(
            self,
            IchReg::Vtr | IchReg::Misr | IchReg::Eisr | IchReg::Elrsr
        )
    }

    /// The register exists here: one active-priorities register per group
    /// (5 preemption bits), [`NUM_LRS`] list registers.
    pub fn is_implemented(self) -> bool {
        match self {
            IchReg::Ap0r(n) | IchReg::Ap1r(n) => n == 0,
            IchReg::Lr(n) => (n as usize) < NUM_LRS,
            _ => true,
        }
    }
}

/// The `ICV_*_EL1` registers, as the `ICC_*` encodings name them at EL1
/// under `HCR_EL2.IMO`/`FMO`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IcvReg {
    Pmr,
    Iar(bool),
    Eoir(bool),
    Hppir(bool),
    Bpr(bool),
    /// `ICV_AP0R<n>` (false) / `ICV_AP1R<n>` (true).
    Apr(bool, u8),
    Dir,
    Rpr,
    Ctlr,
    Igrpen(bool),
}

/// One PE's virtual CPU interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VirtualCpuInterface {
    /// ICH_HCR_EL2.
    pub hcr: u32,
    /// ICH_VMCR_EL2.
    pub vmcr: u32,
    /// `ICH_LR<n>_EL2`.
    pub lr: [u64; NUM_LRS],
    /// ICH_AP0R0_EL2 (Group 0 active priorities).
    pub ap0r: u32,
    /// ICH_AP1R0_EL2 (Group 1 active priorities).
    pub ap1r: u32,
}

impl Default for VirtualCpuInterface {
    fn default() -> Self {
        VirtualCpuInterface::new()
    }
}

impl VirtualCpuInterface {
    /// The reset state: everything 0 (disabled, list registers Invalid)
    /// but the binary points at their minimum and VFIQEn (RES1).
    pub fn new() -> VirtualCpuInterface {
        VirtualCpuInterface {
            hcr: 0,
            vmcr: ICH_VMCR_VFIQEN
                | (VBPR0_MIN as u32) << ICH_VMCR_VBPR0_SHIFT
                | (VBPR1_MIN as u32) << ICH_VMCR_VBPR1_SHIFT,
            lr: [0; NUM_LRS],
            ap0r: 0,
            ap1r: 0,
        }
    }

    /// An MSR of ICH_VMCR_EL2: VAckCtl RES0, VFIQEn RES1, binary points
    /// below the minimum read as the minimum, unimplemented VPMR bits RAZ.
    pub fn write_vmcr(&mut self, v: u32) {
        let vbpr0 = ((v >> ICH_VMCR_VBPR0_SHIFT & 7) as u8).max(VBPR0_MIN);
        let vbpr1 = ((v >> ICH_VMCR_VBPR1_SHIFT & 7) as u8).max(VBPR1_MIN);
        let vpmr = (v >> ICH_VMCR_VPMR_SHIFT) as u8 & VPRI_MASK;
        self.vmcr = (v & (ICH_VMCR_VENG0 | ICH_VMCR_VENG1 | ICH_VMCR_VCBPR | ICH_VMCR_VEOIM))
            | ICH_VMCR_VFIQEN
            | (vbpr0 as u32) << ICH_VMCR_VBPR0_SHIFT
            | (vbpr1 as u32) << ICH_VMCR_VBPR1_SHIFT
            | (vpmr as u32) << ICH_VMCR_VPMR_SHIFT;
    }

    /// An MSR of ICH_HCR_EL2 (RES0 bits dropped).
    pub fn write_hcr(&mut self, v: u32) {
        self.hcr = v & ICH_HCR_WRITABLE;
    }

    /// An MSR of `ICH_LR<n>_EL2` (RES0 and unimplemented priority bits dropped).
    pub fn write_lr(&mut self, n: usize, v: u64) {
        self.lr[n] = v & ICH_LR_WRITABLE;
    }

    fn vmcr_bit(&self, bit: u32) -> bool {
        self.vmcr & bit != 0
    }

    /// ICH_VMCR_EL2.VPMR (ICV_PMR_EL1).
    pub fn vpmr(&self) -> u8 {
        (self.vmcr >> ICH_VMCR_VPMR_SHIFT) as u8
    }

    fn vbpr0(&self) -> u8 {
        (self.vmcr >> ICH_VMCR_VBPR0_SHIFT & 7) as u8
    }

    fn vbpr1(&self) -> u8 {
        (self.vmcr >> ICH_VMCR_VBPR1_SHIFT & 7) as u8
    }

    fn group_enabled(&self, group1: bool) -> bool {
        self.vmcr_bit(if group1 {
            ICH_VMCR_VENG1
        } else {
            ICH_VMCR_VENG0
        })
    }

    /// ICH_HCR_EL2.EOIcount.
    pub fn eoicount(&self) -> u32 {
        self.hcr >> ICH_HCR_EOICOUNT_SHIFT
    }

    fn increment_eoicount(&mut self) {
        let n = (self.eoicount() + 1) & 0x1f;
        self.hcr = (self.hcr & !(0x1f << ICH_HCR_EOICOUNT_SHIFT)) | n << ICH_HCR_EOICOUNT_SHIFT;
    }

    /// ICH_EISR_EL2: bit n when `ICH_LR<n>_EL2` is Invalid with HW = 0 and
    /// EOI = 1 (an EOI maintenance interrupt request).
    pub fn eisr(&self) -> u32 {
        self.lr.iter().enumerate().fold(0, |acc, (i, &lr)| {
            let eoi =
                LrState::of(lr) == LrState::Invalid && lr & ICH_LR_HW == 0 && lr & ICH_LR_EOI != 0;
            acc | (eoi as u32) << i
        })
    }

    /// ICH_ELRSR_EL2: bit n when `ICH_LR<n>_EL2` is Invalid and holds no EOI
    /// maintenance request (HW = 1 or EOI = 0).
    pub fn elrsr(&self) -> u32 {
        self.lr.iter().enumerate().fold(0, |acc, (i, &lr)| {
            let empty = LrState::of(lr) == LrState::Invalid
                && (lr & ICH_LR_HW != 0 || lr & ICH_LR_EOI == 0);
            acc | (empty as u32) << i
        })
    }

    /// ICH_MISR_EL2 (IHI 0069 ICH_MISR_EL2 field descriptions):
    /// EOI: ICH_EISR_EL2 != 0; U: UIE and at most one list register is not
    /// Invalid; LRENP: LRENPIE and EOIcount != 0; NP: NPIE and no list
    /// register is Pending; VGrp0E/VGrp0D/VGrp1E/VGrp1D: the matching
    /// interrupt enable of ICH_HCR_EL2 with VENG0/VENG1 set/clear.
    pub fn misr(&self) -> u32 {
        let hcr = |b: u32| self.hcr & b != 0;
        let valid = self
            .lr
            .iter()
            .filter(|&&lr| LrState::of(lr) != LrState::Invalid)
            .count();
        let pending = self
            .lr
            .iter()
            .any(|&lr| LrState::of(lr) == LrState::Pending);
        let eng0 = self.vmcr_bit(ICH_VMCR_VENG0);
        let eng1 = self.vmcr_bit(ICH_VMCR_VENG1);
        let bits = [
            (self.eisr() != 0, ICH_MISR_EOI),
            (hcr(ICH_HCR_UIE) && valid <= 1, ICH_MISR_U),
            (hcr(ICH_HCR_LRENPIE) && self.eoicount() != 0, ICH_MISR_LRENP),
            (hcr(ICH_HCR_NPIE) && !pending, ICH_MISR_NP),
            (hcr(ICH_HCR_VGRP0EIE) && eng0, ICH_MISR_VGRP0E),
            (hcr(ICH_HCR_VGRP0DIE) && !eng0, ICH_MISR_VGRP0D),
            (hcr(ICH_HCR_VGRP1EIE) && eng1, ICH_MISR_VGRP1E),
            (hcr(ICH_HCR_VGRP1DIE) && !eng1, ICH_MISR_VGRP1D),
        ];
        bits.iter()
            .fold(0, |acc, &(set, b)| if set { acc | b } else { acc })
    }

    /// The maintenance interrupt's level: ICH_HCR_EL2.En and ICH_MISR_EL2 != 0.
    pub fn maintenance(&self) -> bool {
        self.hcr & ICH_HCR_EN != 0 && self.misr() != 0
    }

    /// `HighestPriorityVirtualInterrupt()`: the Pending list register of an
    /// enabled group with the highest priority (lowest index on a tie).
    pub fn highest_pending(&self) -> Option<usize> {
        let mut best: Option<(usize, u8)> = None;
        for (i, &lr) in self.lr.iter().enumerate() {
            if LrState::of(lr) != LrState::Pending || !self.group_enabled(lr_group1(lr)) {
                continue;
            }
            let p = lr_priority(lr);
            if best.is_none_or(|(_, bp)| p < bp) {
                best = Some((i, p));
            }
        }
        best.map(|(i, _)| i)
    }

    /// `VPriorityGroup()`: the mask of the group-priority bits of a
    /// priority of Group 0/1: bits \[7:VBPR0+1\] for Group 0 (and Group 1
    /// with VCBPR = 1), bits \[7:VBPR1\] for Group 1.
    pub fn group_priority_mask(&self, group1: bool) -> u8 {
        let bpr = if !group1 || self.vmcr_bit(ICH_VMCR_VCBPR) {
            self.vbpr0()
        } else {
            self.vbpr1() - 1
        };
        (0xffu16 << (bpr + 1)) as u8
    }

    /// The virtual running priority (ICV_RPR_EL1): the group priority of
    /// the lowest set bit of ICH_AP0R0_EL2 | ICH_AP1R0_EL2, 0xff when idle.
    pub fn running_priority(&self) -> u8 {
        let apr = self.ap0r | self.ap1r;
        if apr == 0 {
            0xff
        } else {
            (apr.trailing_zeros() << (8 - VPRI_BITS)) as u8
        }
    }

    /// `CanSignalVirtualInt()` for list register `i`: priority below VPMR
    /// and group priority below the running priority.
    fn can_signal(&self, i: usize) -> bool {
        let lr = self.lr[i];
        let prio = lr_priority(lr);
        if prio >= self.vpmr() {
            return false;
        }
        let rpr = self.running_priority();
        if rpr == 0xff {
            return true;
        }
        let mask = self.group_priority_mask(lr_group1(lr));
        (prio & mask) < (rpr & mask)
    }

    /// The (vIRQ, vFIQ) the virtual interface asserts: the highest priority
    /// pending interrupt, when ICH_HCR_EL2.En = 1 and it can be signalled;
    /// Group 1 is vIRQ, Group 0 vFIQ.
    pub fn signals(&self) -> (bool, bool) {
        if self.hcr & ICH_HCR_EN == 0 {
            return (false, false);
        }
        match self.highest_pending() {
            Some(i) if self.can_signal(i) => {
                let g1 = lr_group1(self.lr[i]);
                (g1, !g1)
            }
            _ => (false, false),
        }
    }

    /// ICV_HPPIR0/1_EL1: the INTID of the highest priority pending
    /// interrupt when it is of the register's group, else 1023.
    pub fn hppir(&self, group1: bool) -> u32 {
        match self.highest_pending() {
            Some(i) if lr_group1(self.lr[i]) == group1 => lr_vintid(self.lr[i]),
            _ => INTID_SPURIOUS,
        }
    }

    /// ICV_IAR0/1_EL1: acknowledges the highest priority pending interrupt
    /// when it is of the register's group and can be signalled: State
    /// Pending -> Active (Invalid for a vLPI) and the active-priority bit
    /// of its group priority set. Else 1023.
    pub fn acknowledge(&mut self, group1: bool) -> u32 {
        let Some(i) = self.highest_pending() else {
            return INTID_SPURIOUS;
        };
        let lr = self.lr[i];
        if lr_group1(lr) != group1 || !self.can_signal(i) {
            return INTID_SPURIOUS;
        }
        let intid = lr_vintid(lr);
        let next = if intid >= FIRST_LPI {
            LrState::Invalid
        } else {
            LrState::Active
        };
        self.lr[i] = with_state(lr, next);
        let bit = (lr_priority(lr) & self.group_priority_mask(group1)) >> (8 - VPRI_BITS);
        if group1 {
            self.ap1r |= 1 << bit;
        } else {
            self.ap0r |= 1 << bit;
        }
        intid
    }

    /// The group of the highest active priority (Group 0 on a tie), if any.
    fn highest_active_group1(&self) -> Option<bool> {
        let (z0, z1) = (self.ap0r.trailing_zeros(), self.ap1r.trailing_zeros());
        match (z0, z1) {
            (32, 32) => None,
            _ => Some(z1 < z0),
        }
    }

    /// ICV_EOIR0/1_EL1. Returns the pINTID to deactivate in the physical
    /// GIC (a list register with HW = 1 was deactivated).
    pub fn end_of_interrupt(&mut self, group1: bool, value: u64) -> Option<u32> {
        let intid = (value & 0xff_ffff) as u32;
        if is_special(intid) {
            return None;
        }
        // Priority drop: only when the highest active priority is of this
        // register's group (otherwise UNPREDICTABLE; ignored).
        if self.highest_active_group1() != Some(group1) {
            return None;
        }
        let apr = if group1 {
            &mut self.ap1r
        } else {
            &mut self.ap0r
        };
        *apr &= *apr - 1;
        if self.vmcr_bit(ICH_VMCR_VEOIM) {
            return None;
        }
        self.deactivate(intid, Some(group1))
    }

    /// ICV_DIR_EL1: deactivation, only with ICH_VMCR_EL2.VEOIM = 1.
    pub fn deactivate_interrupt(&mut self, value: u64) -> Option<u32> {
        let intid = (value & 0xff_ffff) as u32;
        if is_special(intid) || !self.vmcr_bit(ICH_VMCR_VEOIM) {
            return None;
        }
        self.deactivate(intid, None)
    }

    /// Deactivates the list register holding `intid` (Active -> Invalid,
    /// Pending and active -> Pending), of `group` when given; none:
    /// ICH_HCR_EL2.EOIcount += 1 (not for LPIs).
    fn deactivate(&mut self, intid: u32, group1: Option<bool>) -> Option<u32> {
        let found = self.lr.iter().position(|&lr| {
            lr_vintid(lr) == intid
                && LrState::of(lr).is_active()
                && group1.is_none_or(|g| lr_group1(lr) == g)
        });
        let Some(i) = found else {
            if intid < FIRST_LPI {
                self.increment_eoicount();
            }
            return None;
        };
        let lr = self.lr[i];
        let next = if LrState::of(lr) == LrState::PendingActive {
            LrState::Pending
        } else {
            LrState::Invalid
        };
        self.lr[i] = with_state(lr, next);
        if lr & ICH_LR_HW != 0 {
            let pintid = (lr >> ICH_LR_PINTID_SHIFT & ICH_LR_PINTID_MASK) as u32;
            if pintid < 1020 {
                return Some(pintid);
            }
        }
        None
    }

    /// ICV_CTLR_EL1: CBPR \[0\] = VCBPR, EOImode \[1\] = VEOIM; read-only
    /// PRIbits \[10:8\], IDbits \[13:11\], SEIS \[14\], A3V \[15\] as ICH_VTR_EL2.
    pub fn ctlr(&self) -> u32 {
        let vtr = ICH_VTR_EL2 as u32;
        u32::from(self.vmcr_bit(ICH_VMCR_VCBPR))
            | u32::from(self.vmcr_bit(ICH_VMCR_VEOIM)) << 1
            | (vtr >> 29 & 7) << 8
            | (vtr >> 23 & 7) << 11
            | (vtr >> 22 & 1) << 14
            | (vtr >> 21 & 1) << 15
    }

    fn set_vmcr_field(&mut self, shift: u32, width: u32, v: u32) {
        let m = ((1 << width) - 1) << shift;
        self.vmcr = (self.vmcr & !m) | (v << shift & m);
    }

    /// An MRS of an `ICV_*` register.
    pub fn icv_read(&mut self, reg: IcvReg) -> u64 {
        let v = match reg {
            IcvReg::Pmr => u32::from(self.vpmr()),
            IcvReg::Rpr => u32::from(self.running_priority()),
            IcvReg::Iar(g1) => self.acknowledge(g1),
            IcvReg::Hppir(g1) => self.hppir(g1),
            IcvReg::Bpr(false) => u32::from(self.vbpr0()),
            // With VCBPR, ICV_BPR1_EL1 reads ICV_BPR0_EL1 + 1 (saturated).
            IcvReg::Bpr(true) if self.vmcr_bit(ICH_VMCR_VCBPR) => {
                u32::from((self.vbpr0() + 1).min(7))
            }
            IcvReg::Bpr(true) => u32::from(self.vbpr1()),
            IcvReg::Apr(false, _) => self.ap0r,
            IcvReg::Apr(true, _) => self.ap1r,
            IcvReg::Ctlr => self.ctlr(),
            IcvReg::Igrpen(g1) => u32::from(self.group_enabled(g1)),
            IcvReg::Eoir(_) | IcvReg::Dir => 0,
        };
        u64::from(v)
    }

    /// An MSR of an `ICV_*` register. Returns a pINTID to deactivate in
    /// the physical GIC.
    pub fn icv_write(&mut self, reg: IcvReg, value: u64) -> Option<u32> {
        let v = value as u32;
        match reg {
            IcvReg::Pmr => self.set_vmcr_field(ICH_VMCR_VPMR_SHIFT, 8, v & u32::from(VPRI_MASK)),
            IcvReg::Eoir(g1) => return self.end_of_interrupt(g1, value),
            IcvReg::Dir => return self.deactivate_interrupt(value),
            IcvReg::Bpr(false) => {
                self.set_vmcr_field(ICH_VMCR_VBPR0_SHIFT, 3, (v & 7).max(VBPR0_MIN.into()))
            }
            IcvReg::Bpr(true) => {
                if !self.vmcr_bit(ICH_VMCR_VCBPR) {
                    self.set_vmcr_field(ICH_VMCR_VBPR1_SHIFT, 3, (v & 7).max(VBPR1_MIN.into()));
                }
            }
            IcvReg::Apr(false, _) => self.ap0r = v,
            IcvReg::Apr(true, _) => self.ap1r = v,
            IcvReg::Ctlr => {
                self.set_vmcr_field(4, 1, v & 1); // CBPR -> VCBPR
                self.set_vmcr_field(9, 1, v >> 1 & 1); // EOImode -> VEOIM
            }
            IcvReg::Igrpen(false) => self.set_vmcr_field(0, 1, v & 1),
            IcvReg::Igrpen(true) => self.set_vmcr_field(1, 1, v & 1),
            IcvReg::Iar(_) | IcvReg::Hppir(_) | IcvReg::Rpr => {}
        }
        None
    }

    /// An MRS of an implemented `ICH_*_EL2` register.
    pub fn ich_read(&self, reg: IchReg) -> u64 {
        match reg {
            IchReg::Ap0r(_) => u64::from(self.ap0r),
            IchReg::Ap1r(_) => u64::from(self.ap1r),
            IchReg::Hcr => u64::from(self.hcr),
            IchReg::Vtr => ICH_VTR_EL2,
            IchReg::Misr => u64::from(self.misr()),
            IchReg::Eisr => u64::from(self.eisr()),
            IchReg::Elrsr => u64::from(self.elrsr()),
            IchReg::Vmcr => u64::from(self.vmcr),
            IchReg::Lr(n) => self.lr[n as usize],
        }
    }

    /// An MSR of an implemented, writable `ICH_*_EL2` register.
    pub fn ich_write(&mut self, reg: IchReg, value: u64) {
        match reg {
            IchReg::Ap0r(_) => self.ap0r = value as u32,
            IchReg::Ap1r(_) => self.ap1r = value as u32,
            IchReg::Hcr => self.write_hcr(value as u32),
            IchReg::Vmcr => self.write_vmcr(value as u32),
            IchReg::Lr(n) => self.write_lr(n as usize, value),
            IchReg::Vtr | IchReg::Misr | IchReg::Eisr | IchReg::Elrsr => {}
        }
    }
}

impl GicState {
    /// Drives PE `pe`'s maintenance interrupt (PPI 25) from its virtual
    /// interface's state.
    pub(crate) fn update_maintenance(&mut self, pe: usize) {
        let level = self.pes[pe].vcpu.maintenance();
        self.pes[pe]
            .rd
            .bank
            .set_level(MAINTENANCE_PPI as usize, level);
    }

    /// An MSR/MRS of an `ICV_*` register by PE `pe` (after the access
    /// checks): a list register with HW = 1 deactivated by EOIR/DIR also
    /// deactivates its pINTID here (IHI 0069 "Hardware interrupts").
    pub(crate) fn icv_access(&mut self, pe: usize, reg: IcvReg, write: Option<u64>) -> u64 {
        let r = match write {
            Some(v) => {
                if let Some(pintid) = self.pes[pe].vcpu.icv_write(reg, v)
                    && self.intid_exists(pintid)
                {
                    self.deactivate(pe, pintid as usize);
                }
                0
            }
            None => self.pes[pe].vcpu.icv_read(reg),
        };
        self.update_maintenance(pe);
        r
    }

    /// An MSR of an `ICH_*_EL2` register by PE `pe` (after the access checks).
    pub(crate) fn ich_write(&mut self, pe: usize, reg: IchReg, value: u64) {
        self.pes[pe].vcpu.ich_write(reg, value);
        self.update_maintenance(pe);
    }

    /// The (vIRQ, vFIQ) outputs of PE `pe`'s virtual interface.
    pub fn virtual_signals(&self, pe: usize) -> (bool, bool) {
        self.pes[pe].vcpu.signals()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PENDING: u64 = 1 << 62;
    const ACTIVE: u64 = 2 << 62;
    const PENDING_ACTIVE: u64 = 3 << 62;

    fn lr(state: u64, group1: bool, prio: u8, vintid: u32) -> u64 {
        state | (group1 as u64) << 60 | (prio as u64) << 48 | vintid as u64
    }

    /// En, VENG0/VENG1, VPMR = 0xff.
    fn enabled() -> VirtualCpuInterface {
        let mut v = VirtualCpuInterface::new();
        v.write_hcr(ICH_HCR_EN);
        v.write_vmcr(ICH_VMCR_VENG0 | ICH_VMCR_VENG1 | 0xff << 24);
        v
    }

    fn state(v: &VirtualCpuInterface, n: usize) -> u64 {
        v.lr[n] >> 62
    }

    #[test]
    fn vtr_describes_four_list_registers_and_five_priority_bits() {
        assert_eq!(ICH_VTR_EL2 & 0x1f, 3, "ListRegs");
        assert_eq!(ICH_VTR_EL2 >> 29 & 7, 4, "PRIbits");
        assert_eq!(ICH_VTR_EL2 >> 26 & 7, 4, "PREbits");
        assert_eq!(ICH_VTR_EL2 >> 23 & 7, 0, "IDbits: 16 bits");
        assert_eq!(ICH_VTR_EL2, 0x9038_0003);
    }

    #[test]
    fn encodings_round_trip() {
        for r in [
            IchReg::Ap0r(0),
            IchReg::Ap1r(3),
            IchReg::Hcr,
            IchReg::Vtr,
            IchReg::Misr,
            IchReg::Eisr,
        ]
        .into_iter()
        .chain([
            IchReg::Elrsr,
            IchReg::Vmcr,
            IchReg::Lr(0),
            IchReg::Lr(7),
            IchReg::Lr(8),
            IchReg::Lr(15),
        ]) {
            let (a, b, c, d, e) = r.encoding();
            assert_eq!(
                IchReg::from_encoding(a, b, c, d, e),
                Some(r),
                "{}",
                r.name()
            );
        }
        assert_eq!(IchReg::from_encoding(3, 4, 12, 9, 5), None, "ICC_SRE_EL2");
        assert!(!IchReg::Lr(4).is_implemented());
        assert!(!IchReg::Ap1r(1).is_implemented());
    }

    #[test]
    fn writes_keep_implemented_fields_only() {
        let mut v = VirtualCpuInterface::new();
        // VAckCtl (bit 2) RES0, VFIQEn RES1, VBPR0/1 below minimum -> 2/3,
        // VPMR low 3 bits unimplemented.
        v.write_vmcr(1 << 2 | 0xa7 << 24);
        assert_eq!(v.vmcr, ICH_VMCR_VFIQEN | 2 << 21 | 3 << 18 | 0xa0 << 24);
        v.write_lr(0, u64::MAX);
        assert_eq!(v.lr[0], 0xf0f8_1fff_0000_ffff);
        v.write_hcr(u32::MAX);
        assert_eq!(v.hcr, 0xf800_5cff);
    }

    #[test]
    fn elrsr_and_eisr() {
        let mut v = VirtualCpuInterface::new();
        assert_eq!(v.elrsr(), 0xf);
        v.lr[1] = PENDING | 27; // pending vINTID 27
        v.lr[2] = ICH_LR_EOI; // invalid, EOI maintenance requested
        v.lr[3] = ICH_LR_HW | ICH_LR_EOI; // HW = 1: bit 41 is pINTID, not EOI
        assert_eq!(v.elrsr(), 0b1001);
        assert_eq!(v.eisr(), 0b0100);
        assert_eq!(v.misr() & ICH_MISR_EOI, ICH_MISR_EOI);
    }

    #[test]
    fn acknowledge_eoi_and_running_priority() {
        let mut v = enabled();
        v.lr[0] = lr(PENDING, true, 0xa0, 27);
        assert_eq!(v.signals(), (true, false), "Group 1 is vIRQ");
        assert_eq!(v.hppir(true), 27);
        assert_eq!(v.hppir(false), INTID_SPURIOUS);
        assert_eq!(
            v.acknowledge(false),
            INTID_SPURIOUS,
            "IAR0 does not take Group 1"
        );
        assert_eq!(v.acknowledge(true), 27);
        assert_eq!(state(&v, 0), 2, "Active");
        assert_eq!(v.running_priority(), 0xa0);
        assert_eq!(v.ap1r, 1 << (0xa0 >> 3));
        assert_eq!(v.signals(), (false, false));
        assert_eq!(v.end_of_interrupt(true, 27), None);
        assert_eq!(state(&v, 0), 0, "Invalid");
        assert_eq!(v.running_priority(), 0xff);
        assert_eq!(v.elrsr() & 1, 1);
        assert_eq!(v.eoicount(), 0);
    }

    #[test]
    fn priority_mask_and_preemption() {
        let mut v = enabled();
        v.write_vmcr(ICH_VMCR_VENG0 | ICH_VMCR_VENG1 | 0x80 << 24);
        v.lr[0] = lr(PENDING, false, 0x80, 40);
        assert_eq!(v.signals(), (false, false), "priority not below VPMR");
        assert_eq!(v.acknowledge(false), INTID_SPURIOUS);
        v.write_vmcr(ICH_VMCR_VENG0 | ICH_VMCR_VENG1 | 0x88 << 24);
        assert_eq!(v.signals(), (false, true), "Group 0 is vFIQ");
        assert_eq!(v.acknowledge(false), 40);
        // A Group 1 interrupt of the same group priority does not preempt,
        // a higher one does.
        v.lr[1] = lr(PENDING, true, 0x80, 41);
        assert_eq!(v.signals(), (false, false));
        v.lr[1] = lr(PENDING, true, 0x78, 41);
        assert_eq!(v.signals(), (true, false));
        // VBPR1 = 4 makes group priorities [7:4]: 0x78 -> 0x70, 0x80: still
        // higher. VBPR0 = 3, VCBPR: group [7:4] too.
        assert_eq!(v.group_priority_mask(true), 0xf8);
        v.write_vmcr(ICH_VMCR_VENG0 | ICH_VMCR_VENG1 | 0x88 << 24 | 4 << 18);
        assert_eq!(v.group_priority_mask(true), 0xf0);
        v.write_vmcr(ICH_VMCR_VENG0 | ICH_VMCR_VENG1 | ICH_VMCR_VCBPR | 0x88 << 24 | 3 << 21);
        assert_eq!(v.group_priority_mask(true), 0xf0);
        assert_eq!(v.group_priority_mask(false), 0xf0);
        // A disabled group is not considered.
        v.write_vmcr(ICH_VMCR_VENG0 | 0x88 << 24);
        assert_eq!(v.highest_pending(), None);
        assert_eq!(v.signals(), (false, false));
    }

    #[test]
    fn highest_priority_wins_lowest_list_register_on_a_tie() {
        let mut v = enabled();
        v.lr[0] = lr(PENDING, true, 0x90, 30);
        v.lr[1] = lr(PENDING, true, 0x40, 31);
        v.lr[2] = lr(PENDING, true, 0x40, 32);
        v.lr[3] = lr(PENDING_ACTIVE, true, 0x10, 33);
        assert_eq!(v.highest_pending(), Some(1));
        assert_eq!(v.acknowledge(true), 31);
    }

    #[test]
    fn eoi_with_split_mode_and_dir() {
        let mut v = enabled();
        v.write_vmcr(ICH_VMCR_VENG1 | ICH_VMCR_VEOIM | 0xff << 24);
        v.lr[0] = lr(PENDING, true, 0x20, 50);
        assert_eq!(v.acknowledge(true), 50);
        v.lr[0] |= PENDING; // pending again while active
        v.end_of_interrupt(true, 50);
        assert_eq!(v.running_priority(), 0xff, "priority dropped");
        assert_eq!(state(&v, 0), 3, "still pending and active with VEOIM = 1");
        v.deactivate_interrupt(50);
        assert_eq!(state(&v, 0), 1, "pending and active -> pending");
        // DIR is ignored with VEOIM = 0.
        v.lr[1] = lr(ACTIVE, true, 0x20, 51);
        v.write_vmcr(ICH_VMCR_VENG1 | 0xff << 24);
        v.deactivate_interrupt(51);
        assert_eq!(state(&v, 1), 2);
    }

    #[test]
    fn eoi_of_an_intid_in_no_list_register_counts() {
        let mut v = enabled();
        v.write_hcr(ICH_HCR_EN | ICH_HCR_LRENPIE);
        v.ap1r = 1 << 4; // the hypervisor restored an active priority
        assert_eq!(v.misr(), 0);
        v.end_of_interrupt(true, 60);
        assert_eq!(v.eoicount(), 1);
        assert_eq!(v.ap1r, 0);
        assert_eq!(v.misr(), ICH_MISR_LRENP);
        assert!(v.maintenance());
        // Special INTIDs and LPIs do not count.
        v.ap1r = 1;
        v.end_of_interrupt(true, 1023);
        assert_eq!((v.eoicount(), v.ap1r), (1, 1));
        v.end_of_interrupt(true, 8192);
        assert_eq!((v.eoicount(), v.ap1r), (1, 0));
    }

    #[test]
    fn hw_list_register_returns_its_physical_intid() {
        let mut v = enabled();
        v.lr[0] = lr(PENDING, true, 0xa0, 27) | ICH_LR_HW | 30 << 32;
        assert_eq!(v.acknowledge(true), 27);
        assert_eq!(v.end_of_interrupt(true, 27), Some(30));
        assert_eq!(state(&v, 0), 0);
        // A vLPI goes Pending -> Invalid on acknowledge.
        v.lr[1] = lr(PENDING, true, 0xa0, 8200);
        assert_eq!(v.acknowledge(true), 8200);
        assert_eq!(state(&v, 1), 0);
    }

    #[test]
    fn eoi_list_register_raises_the_eoi_maintenance_interrupt() {
        let mut v = enabled();
        v.lr[0] = lr(PENDING, false, 0x10, 70) | ICH_LR_EOI;
        assert_eq!(v.acknowledge(false), 70);
        assert_eq!(v.misr(), 0);
        v.end_of_interrupt(false, 70);
        assert_eq!(v.eisr(), 1);
        assert_eq!(v.elrsr() & 1, 0);
        assert_eq!(v.misr(), ICH_MISR_EOI);
        v.write_hcr(0);
        assert!(!v.maintenance(), "En = 0 masks the maintenance interrupt");
    }

    #[test]
    fn misr_conditions() {
        let mut v = enabled();
        assert_eq!(v.misr(), 0);
        v.write_hcr(ICH_HCR_EN | ICH_HCR_UIE);
        assert_eq!(v.misr(), ICH_MISR_U, "no valid list register");
        v.lr[0] = lr(ACTIVE, true, 0, 1);
        assert_eq!(v.misr(), ICH_MISR_U, "one valid list register");
        v.lr[1] = lr(PENDING, true, 0, 2);
        assert_eq!(v.misr(), 0);
        v.write_hcr(ICH_HCR_EN | ICH_HCR_NPIE);
        assert_eq!(v.misr(), 0);
        v.lr[1] = 0;
        assert_eq!(v.misr(), ICH_MISR_NP);
        let all = ICH_HCR_VGRP0EIE | ICH_HCR_VGRP0DIE | ICH_HCR_VGRP1EIE | ICH_HCR_VGRP1DIE;
        v.write_hcr(ICH_HCR_EN | all);
        v.write_vmcr(ICH_VMCR_VENG0);
        assert_eq!(v.misr(), ICH_MISR_VGRP0E | ICH_MISR_VGRP1D);
        v.write_vmcr(ICH_VMCR_VENG1);
        assert_eq!(v.misr(), ICH_MISR_VGRP0D | ICH_MISR_VGRP1E);
    }

    #[test]
    fn icv_registers() {
        let mut v = enabled();
        assert_eq!(v.icv_read(IcvReg::Pmr), 0xf8);
        v.icv_write(IcvReg::Pmr, 0x87);
        assert_eq!(v.icv_read(IcvReg::Pmr), 0x80);
        v.icv_write(IcvReg::Bpr(false), 0);
        assert_eq!(v.icv_read(IcvReg::Bpr(false)), 2);
        v.icv_write(IcvReg::Bpr(true), 0);
        assert_eq!(v.icv_read(IcvReg::Bpr(true)), 3);
        v.icv_write(IcvReg::Bpr(true), 5);
        assert_eq!(v.vmcr >> 18 & 7, 5);
        // CTLR: CBPR and EOImode writable; PRIbits 4, IDbits 0, A3V 1.
        v.icv_write(IcvReg::Ctlr, 0b11);
        assert_eq!(v.icv_read(IcvReg::Ctlr), 0b11 | 4 << 8 | 1 << 15);
        assert_eq!(
            v.vmcr & (ICH_VMCR_VCBPR | ICH_VMCR_VEOIM),
            ICH_VMCR_VCBPR | ICH_VMCR_VEOIM
        );
        assert_eq!(v.icv_read(IcvReg::Bpr(true)), 3, "VCBPR: BPR0 + 1");
        v.icv_write(IcvReg::Igrpen(true), 0);
        assert_eq!(v.vmcr & ICH_VMCR_VENG1, 0);
        assert_eq!(v.icv_read(IcvReg::Igrpen(false)), 1);
    }
}
