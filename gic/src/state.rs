//! The whole state of the GIC in one plain struct ([`GicState`]), kept
//! behind the single lock of [`crate::Gic`]: the Distributor's SPIs and
//! routing, and per PE its Redistributor (SGIs, PPIs, wake and power
//! state), its CPU interface (priority mask, binary points, active
//! priorities, group enables, EOI modes) and its virtual CPU interface
//! (`ICH_*_EL2`).
//!
//! Every priority is stored as the Secure view (IHI 0069, 4.8.6
//! "Software accesses of interrupt priority"); Non-secure accesses see
//! the shifted Non-secure view.

use crate::irq_state::{IntGroup, IrqBank};
use crate::registers::*;
use crate::virtual_cpu_interface::VirtualCpuInterface;

/// Number of SGIs and PPIs (INTIDs 0-31, banked per PE).
pub const GIC_INTERNAL: usize = 32;

/// Fixed parameters of one GIC, from its configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// GICD_IIDR and GICR_IIDR.
    pub iidr: u32,
    /// 32 + number of SPIs.
    pub num_intids: usize,
    /// Implemented priority bits (5-8); ICC_CTLR_EL1.PRIbits + 1.
    pub pri_bits: u8,
}

impl Params {
    /// Preemption bits: group-priority bits the active priority registers
    /// track (at most 7: a binary point of 0 leaves bit 0 as subpriority).
    pub fn pre_bits(&self) -> u8 {
        self.pri_bits.min(7)
    }

    /// Mask of the implemented bits of a priority value.
    pub fn pri_mask(&self) -> u8 {
        (0xff00u16 >> self.pri_bits) as u8
    }

    /// Minimum value of ICC_BPR0_EL1 (and of the Secure ICC_BPR1_EL1).
    pub fn min_bpr(&self) -> u8 {
        7 - self.pre_bits()
    }

    /// Number of `ICC_AP0R<n>`/`ICC_AP1R<n>` registers (1, 2 or 4).
    pub fn num_aprs(&self) -> usize {
        1 << (self.pre_bits() - 5)
    }
}

/// A PE's Redistributor: SGIs/PPIs and the wake/power registers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedistState {
    /// INTIDs 0-31 of this PE.
    pub bank: IrqBank,
    /// GICR_NSACR: two bits per SGI.
    pub nsacr: u32,
    /// GICR_WAKER.ProcessorSleep (reset 1). ChildrenAsleep follows it at
    /// once: the interface to the CPU quiesces instantaneously.
    pub processor_sleep: bool,
    /// GICR_PWRR.RDPD (reset 1: GIC-600 redistributors power up off).
    pub power_down: bool,
    /// GICR_PWRR.RDAG.
    pub rdag: bool,
}

/// Index of the Secure and Non-secure banks of banked ICC registers.
pub const BANK_S: usize = 0;
pub const BANK_NS: usize = 1;

/// ICC_CTLR_EL1 fields held per bank.
pub const ICC_CTLR_EL1_CBPR: u32 = 1 << 0;
pub const ICC_CTLR_EL1_EOIMODE: u32 = 1 << 1;

/// A PE's CPU interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CpuIfState {
    /// ICC_PMR_EL1 (Secure view, implemented bits only).
    pub pmr: u8,
    /// ICC_BPR0_EL1, ICC_BPR1_EL1 (Secure), ICC_BPR1_EL1 (Non-secure).
    pub bpr: [u8; 3],
    /// ICC_CTLR_EL1 CBPR/EOImode, Secure and Non-secure banks.
    pub ctlr_el1: [u32; 2],
    /// ICC_CTLR_EL3.EOImode_EL3.
    pub eoimode_el3: bool,
    /// ICC_IGRPEN0_EL1, ICC_IGRPEN1_EL1 (Secure), ICC_IGRPEN1_EL1 (Non-secure).
    pub igrpen: [bool; 3],
    /// `ICC_AP0R<n>`, `ICC_AP1R<n>` (Secure), `ICC_AP1R<n>` (Non-secure).
    pub apr: [[u32; 4]; 3],
    /// ICC_SRE_EL2.Enable.
    pub sre_el2_enable: bool,
    /// ICC_SRE_EL3.Enable.
    pub sre_el3_enable: bool,
}

impl CpuIfState {
    fn reset(params: &Params) -> CpuIfState {
        let min = params.min_bpr();
        CpuIfState {
            pmr: 0,
            bpr: [min, min + 1, min + 1],
            ctlr_el1: [0, 0],
            eoimode_el3: false,
            igrpen: [false; 3],
            apr: [[0; 4]; 3],
            // UNKNOWN at reset; 1 so that lower ELs may reach ICC_SRE_EL1/EL2
            // before EL3 firmware has written ICC_SRE_EL3.
            sre_el2_enable: true,
            sre_el3_enable: true,
        }
    }
}

/// One PE as the GIC sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeState {
    /// MPIDR_EL1 affinity: Aff3 in \[39:32\], Aff2.Aff1.Aff0 in \[23:0\].
    pub mpidr: u64,
    pub rd: RedistState,
    pub icc: CpuIfState,
    /// The virtual CPU interface (`ICH_*_EL2`, `ICV_*_EL1`).
    pub vcpu: VirtualCpuInterface,
}

impl PeState {
    /// The affinity as GICR_TYPER/GICD_IROUTER hold it packed in 32 bits:
    /// Aff3.Aff2.Aff1.Aff0.
    pub fn aff32(&self) -> u32 {
        aff32(self.mpidr)
    }
}

/// Aff3.Aff2.Aff1.Aff0 of an MPIDR-style value (Aff3 in \[39:32\]).
pub fn aff32(mpidr: u64) -> u32 {
    (((mpidr >> 32) & 0xff) << 24) as u32 | (mpidr & 0xff_ffff) as u32
}

/// The state of the whole GIC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GicState {
    pub params: Params,
    /// GICD_CTLR, Secure view (EnableGrp0/1NS/1S, ARE_S, ARE_NS).
    pub gicd_ctlr: u32,
    /// SPIs (INTIDs 32..num_intids; 0-31 unused).
    pub spis: IrqBank,
    /// `GICD_IROUTER<n>`, indexed by INTID.
    pub irouter: Vec<u64>,
    /// `GICD_NSACR<n>`: two bits per INTID, 16 INTIDs per word.
    pub gicd_nsacr: Vec<u32>,
    pub pes: Vec<PeState>,
}

impl GicState {
    pub fn new(params: Params, mpidrs: &[u64]) -> GicState {
        let n = params.num_intids;
        let pes = mpidrs
            .iter()
            .map(|&mpidr| {
                let mut bank = IrqBank::new(GIC_INTERNAL);
                bank.edge[0] = 0x0000_ffff; // SGIs are always edge-triggered
                PeState {
                    mpidr,
                    rd: RedistState { bank, nsacr: 0, processor_sleep: true, power_down: true, rdag: false },
                    icc: CpuIfState::reset(&params),
                    vcpu: VirtualCpuInterface::new(),
                }
            })
            .collect();
        GicState {
            gicd_ctlr: 0,
            spis: IrqBank::new(n),
            irouter: vec![0; n],
            gicd_nsacr: vec![0; n.div_ceil(16)],
            pes,
            params,
        }
    }

    /// The distributor's enable for a group (GICD_CTLR.EnableGrp*).
    pub fn group_enabled(&self, g: IntGroup) -> bool {
        let bit = match g {
            IntGroup::G0 => GICD_CTLR_ENABLE_GRP0,
            IntGroup::G1S => GICD_CTLR_ENABLE_GRP1S,
            IntGroup::G1NS => GICD_CTLR_ENABLE_GRP1NS,
        };
        self.gicd_ctlr & bit != 0
    }

    /// The group of INTID `intid` as seen from PE `pe` (SGIs/PPIs are banked).
    pub fn group_of(&self, pe: usize, intid: usize) -> IntGroup {
        if intid < GIC_INTERNAL { self.pes[pe].rd.bank.group_of(intid) } else { self.spis.group_of(intid) }
    }

    /// The bank holding INTID `intid` for PE `pe`.
    pub fn bank_mut(&mut self, pe: usize, intid: usize) -> &mut IrqBank {
        if intid < GIC_INTERNAL { &mut self.pes[pe].rd.bank } else { &mut self.spis }
    }

    pub fn bank(&self, pe: usize, intid: usize) -> &IrqBank {
        if intid < GIC_INTERNAL { &self.pes[pe].rd.bank } else { &self.spis }
    }

    /// GICD_NSACR field (0-3) of SPI `intid`.
    pub fn spi_nsacr(&self, intid: usize) -> u32 {
        self.gicd_nsacr[intid / 16] >> ((intid % 16) * 2) & 3
    }

    /// A mask over the 32 INTIDs of SPI word `w` of those whose GICD_NSACR
    /// field is at least `min`.
    pub fn nsacr_mask(&self, w: usize, min: u32) -> u32 {
        let mut m = 0;
        for k in 0..32 {
            if self.spi_nsacr(w * 32 + k) >= min {
                m |= 1 << k;
            }
        }
        m
    }

    /// The PE whose affinity is `aff32` (Aff3.Aff2.Aff1.Aff0).
    pub fn pe_by_aff32(&self, aff: u32) -> Option<usize> {
        self.pes.iter().position(|p| p.aff32() == aff)
    }
}
