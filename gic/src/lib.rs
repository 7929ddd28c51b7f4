//! rme-gic: the GICv3 of rme-emu, as FVP Base RevC has it (a GIC-600 with
//! two Security states): the Distributor, one Redistributor per PE and the
//! CPU interfaces' system registers.
//!
//! Reference: *Arm Generic Interrupt Controller Architecture Specification,
//! GIC architecture version 3 and version 4*, Arm IHI 0069 (H.b), and the
//! *Arm CoreLink GIC-600 Generic Interrupt Controller Technical Reference
//! Manual* (Arm 100336) for the IMPLEMENTATION DEFINED parts (`GICR_PWRR`,
//! ID registers, `GICD_IIDR` = 0x0200_043b).
//!
//! * [`registers`]: offsets and fields of the GICD/GICR frames.
//! * [`irq_state`]: per-INTID state (enable, pending, active, group,
//!   priority, trigger, line level).
//! * [`distributor`]: the GICD frame (SPIs, affinity routing, security).
//! * [`redistributor`]: the GICR frames (SGIs/PPIs, wake, power, TYPER).
//! * [`cpu_interface`]: the `ICC_*` system registers.
//! * [`virtual_cpu_interface`]: the virtual CPU interface (`ICH_*_EL2`,
//!   `ICV_*_EL1`, list registers, the maintenance interrupt).
//! * [`sgi`]: SGI generation and its routing/security rules.
//! * [`delivery`]: highest priority pending interrupt, preemption, IRQ/FIQ.
//!
//! All state lives in one plain struct ([`state::GicState`]) behind one lock.
//! The GIC knows the bus types of `rme-mmu` but not the CPU: the CPU calls
//! [`Gic::icc_read`]/[`Gic::icc_write`] from its system-register path and
//! polls [`Gic::cpu_signals`] (cheaply gated by [`Gic::generation`]) to
//! drive its IRQ/FIQ inputs and [`Gic::virtual_signals`] for its virtual
//! IRQ/FIQ; devices drive [`Gic::set_spi_level`] and
//! [`Gic::set_ppi_level`].
//!
//! Not modelled: LPIs and the ITS (so no GICv4 direct injection), legacy
//! (ARE = 0) operation, `GICD_CTLR.DS` = 1, NMIs (FEAT_GICv3_NMI), extended
//! SPI/PPI ranges.
#![forbid(unsafe_code)]

mod access;
pub mod cpu_interface;
pub mod delivery;
pub mod distributor;
pub mod irq_state;
pub mod redistributor;
pub mod registers;
pub mod sgi;
pub mod state;
pub mod virtual_cpu_interface;

pub use cpu_interface::{IccContext, IccError, IccReg};
pub use irq_state::IntGroup;
pub use virtual_cpu_interface::IchReg;

use access::BadAccesses;
use parking_lot::Mutex;
use rme_mmu::MmioDevice;
use state::{GicState, Params};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// GICD_IIDR/GICR_IIDR of Arm's GIC-600 (ProductID 0x02, Implementer 0x43B).
pub const GIC600_IIDR: u32 = 0x0200_043b;

/// Base of the Distributor on FVP Base RevC.
pub const FVP_GICD_BASE: u64 = 0x2f00_0000;
/// Base of the Redistributors on FVP Base RevC.
pub const FVP_GICR_BASE: u64 = 0x2f10_0000;
/// Size of the Distributor frame.
pub const GICD_SIZE: u64 = 0x1_0000;

/// How to build a [`Gic`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GicConfig {
    /// One entry per PE, in PE order: its MPIDR_EL1 affinity fields (Aff3 in
    /// \[39:32\], Aff2 \[23:16\], Aff1 \[15:8\], Aff0 \[7:0\]; other bits ignored).
    /// The index is the PE number used by every per-CPU call and reported
    /// as `GICR_TYPER.Processor_Number`.
    pub cpu_affinities: Vec<u64>,
    /// Number of SPIs: a multiple of 32, at most 960 (256 gives INTIDs
    /// 32-287).
    pub num_spis: u32,
    /// `GICD_IIDR` and `GICR_IIDR` ([`GIC600_IIDR`] for FVP).
    pub iidr: u32,
    /// Implemented priority bits, 5-8 (`ICC_CTLR_EL1.PRIbits` + 1). GIC-600
    /// CPU interfaces implement 5.
    pub priority_bits: u8,
}

impl GicConfig {
    /// A GIC-600 with 256 SPIs and 5 priority bits for these PEs.
    pub fn gic600(cpu_affinities: Vec<u64>) -> GicConfig {
        GicConfig { cpu_affinities, num_spis: 256, iidr: GIC600_IIDR, priority_bits: 5 }
    }
}

/// The GICv3.
#[derive(Debug)]
pub struct Gic {
    state: Mutex<GicState>,
    /// Bumped by every access that may change the interrupt outputs.
    generation: AtomicU64,
    bad: BadAccesses,
}

impl Gic {
    /// Builds the GIC in its reset state.
    ///
    /// # Panics
    /// When the configuration is invalid: no PEs, `num_spis` not a multiple
    /// of 32 or above 960, `priority_bits` outside 5-8.
    pub fn new(config: GicConfig) -> Arc<Gic> {
        assert!(!config.cpu_affinities.is_empty(), "a GIC needs at least one PE");
        assert!(
            config.num_spis.is_multiple_of(32) && config.num_spis <= 960,
            "num_spis must be a multiple of 32 up to 960, not {}",
            config.num_spis
        );
        assert!((5..=8).contains(&config.priority_bits), "priority_bits must be 5-8");
        let params =
            Params { iidr: config.iidr, num_intids: 32 + config.num_spis as usize, pri_bits: config.priority_bits };
        let mpidrs: Vec<u64> = config.cpu_affinities.iter().map(|a| a & 0xff_00ff_ffff).collect();
        Arc::new(Gic {
            state: Mutex::new(GicState::new(params, &mpidrs)),
            generation: AtomicU64::new(0),
            bad: BadAccesses::default(),
        })
    }

    /// The Distributor frame, to map at [`FVP_GICD_BASE`] with size
    /// [`GICD_SIZE`].
    pub fn distributor(self: &Arc<Self>) -> Arc<dyn MmioDevice> {
        Arc::new(distributor::Distributor::new(self.clone()))
    }

    /// The Redistributor frames of all PEs (128 KiB each, in PE order), to
    /// map at [`FVP_GICR_BASE`] with size [`Gic::redistributors_size`].
    pub fn redistributors(self: &Arc<Self>) -> Arc<dyn MmioDevice> {
        Arc::new(redistributor::Redistributors::new(self.clone()))
    }

    /// Size of the Redistributor region: PEs x 128 KiB.
    pub fn redistributors_size(&self) -> u64 {
        self.num_cpus() as u64 * registers::GICR_FRAME_SIZE
    }

    pub fn num_cpus(&self) -> usize {
        self.state.lock().pes.len()
    }

    /// Number of INTIDs below the first unimplemented SPI (32 + SPIs).
    pub fn num_intids(&self) -> u32 {
        self.state.lock().params.num_intids as u32
    }

    fn changed(&self) {
        self.generation.fetch_add(1, Ordering::Release);
    }

    /// A counter bumped by every event that may change any PE's IRQ/FIQ
    /// outputs (register writes, ICC accesses, input lines). A caller that
    /// saw the same generation (and has the same [`IccContext`]) may reuse
    /// its last [`Gic::cpu_signals`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Accesses to the GIC frames that reached no register (logged once
    /// each with target `gic`).
    pub fn bad_accesses(&self) -> u64 {
        self.bad.count()
    }

    /// Drives the input line of SPI `intid` (32..num_intids). Out-of-range
    /// INTIDs are logged and ignored.
    pub fn set_spi_level(&self, intid: u32, level: bool) {
        let mut st = self.state.lock();
        let i = intid as usize;
        if !(state::GIC_INTERNAL..st.params.num_intids).contains(&i) {
            drop(st);
            self.bad.record("spi-input", u64::from(intid), 0, true, "names no SPI");
            return;
        }
        st.spis.set_level(i, level);
        drop(st);
        self.changed();
    }

    /// Drives the input line of PPI `intid` (16-31) of PE `cpu`.
    /// Out-of-range arguments are logged and ignored.
    pub fn set_ppi_level(&self, cpu: usize, intid: u32, level: bool) {
        let mut st = self.state.lock();
        if cpu >= st.pes.len() || !(16..32).contains(&intid) {
            drop(st);
            self.bad.record("ppi-input", u64::from(intid), 0, true, "names no PPI of an existing PE");
            return;
        }
        st.pes[cpu].rd.bank.set_level(intid as usize, level);
        drop(st);
        self.changed();
    }

    /// MRS of an `ICC_*` register by PE `cpu` in context `ctx`.
    pub fn icc_read(&self, cpu: usize, reg: IccReg, ctx: IccContext) -> Result<u64, IccError> {
        let mut st = self.state.lock();
        if cpu >= st.pes.len() {
            return Err(IccError::Undefined);
        }
        let r = st.icc_read(cpu, reg, &ctx);
        drop(st);
        if matches!(reg, IccReg::Iar0 | IccReg::Iar1) {
            self.changed();
        }
        r
    }

    /// MSR of an `ICC_*` register by PE `cpu` in context `ctx`.
    pub fn icc_write(&self, cpu: usize, reg: IccReg, ctx: IccContext, value: u64) -> Result<(), IccError> {
        let mut st = self.state.lock();
        if cpu >= st.pes.len() {
            return Err(IccError::Undefined);
        }
        let r = st.icc_write(cpu, reg, &ctx, value);
        drop(st);
        self.changed();
        r
    }

    /// The (IRQ, FIQ) outputs of PE `cpu`'s CPU interface for a PE at
    /// `ctx.el` in `ctx`'s Security state (only `el` and `secure` matter).
    pub fn cpu_signals(&self, cpu: usize, ctx: IccContext) -> (bool, bool) {
        let st = self.state.lock();
        if cpu >= st.pes.len() {
            return (false, false);
        }
        st.signals(cpu, ctx.el, ctx.is_secure())
    }

    /// The (vIRQ, vFIQ) outputs of PE `cpu`'s virtual CPU interface
    /// (`ICH_HCR_EL2.En` and a list register that can be signalled; Group 1
    /// is vIRQ, Group 0 vFIQ). The CPU takes them at EL1/EL0 per
    /// `HCR_EL2.IMO`/`FMO`.
    pub fn virtual_signals(&self, cpu: usize) -> (bool, bool) {
        let st = self.state.lock();
        if cpu >= st.pes.len() {
            return (false, false);
        }
        st.virtual_signals(cpu)
    }

    /// The Redistributor of PE `cpu` asks the power controller to wake it:
    /// `GICR_WAKER.ProcessorSleep` = 1 and an interrupt waits for it.
    pub fn wake_request(&self, cpu: usize) -> bool {
        let st = self.state.lock();
        cpu < st.pes.len() && st.wake_request(cpu)
    }

    /// A copy of the whole state (debuggers, tests, snapshots).
    pub fn snapshot(&self) -> GicState {
        self.state.lock().clone()
    }
}
