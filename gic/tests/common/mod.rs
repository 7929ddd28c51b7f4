//! A machine with just the GIC on a real `rme_mmu::PhysBus`, mapped where
//! FVP Base RevC has it, and helpers that access it as firmware does.
#![allow(dead_code)]

use rme_gic::registers::*;
use rme_gic::{FVP_GICD_BASE, FVP_GICR_BASE, GICD_SIZE, Gic, GicConfig, IccContext, IccReg};
use rme_mmu::{AccessAttrs, Pas, PhysBus};
use std::sync::Arc;

pub struct Machine {
    pub gic: Arc<Gic>,
    pub bus: PhysBus,
}

/// FVP Base RevC's PEs with the MT=1 MPIDR layout of the -1t device tree:
/// Aff2 = cluster, Aff1 = core, Aff0 = thread 0.
pub fn fvp_affinities(clusters: u64, cores: u64) -> Vec<u64> {
    (0..clusters).flat_map(|c| (0..cores).map(move |k| c << 16 | k << 8)).collect()
}

pub fn machine_with(config: GicConfig) -> Machine {
    let gic = Gic::new(config);
    let mut bus = PhysBus::new();
    bus.add_mmio("gicd", FVP_GICD_BASE, GICD_SIZE, gic.distributor()).unwrap();
    bus.add_mmio("gicr", FVP_GICR_BASE, gic.redistributors_size(), gic.redistributors()).unwrap();
    Machine { gic, bus }
}

/// The default FVP: 2 clusters x 4 cores, GIC-600, 256 SPIs.
pub fn fvp() -> Machine {
    machine_with(GicConfig::gic600(fvp_affinities(2, 4)))
}

pub fn root() -> AccessAttrs {
    AccessAttrs::cpu(0, Pas::Root)
}
pub fn secure() -> AccessAttrs {
    AccessAttrs::cpu(0, Pas::Secure)
}
pub fn ns() -> AccessAttrs {
    AccessAttrs::cpu(0, Pas::NonSecure)
}
pub fn realm() -> AccessAttrs {
    AccessAttrs::cpu(0, Pas::Realm)
}

/// RD_base of PE `cpu`.
pub fn rd(cpu: usize) -> u64 {
    FVP_GICR_BASE + cpu as u64 * GICR_FRAME_SIZE
}

/// SGI_base of PE `cpu`.
pub fn sgi(cpu: usize) -> u64 {
    rd(cpu) + GICR_SGI_BASE
}

pub fn gicd(off: u64) -> u64 {
    FVP_GICD_BASE + off
}

/// EL3 with SCR_EL3.NS = 0.
pub fn el3() -> IccContext {
    IccContext::el3(false)
}
/// Secure EL1.
pub fn s_el1() -> IccContext {
    IccContext::secure(1)
}
/// Non-secure EL1.
pub fn ns_el1() -> IccContext {
    IccContext::non_secure(1)
}
/// Non-secure EL2.
pub fn ns_el2() -> IccContext {
    IccContext::non_secure(2)
}

impl Machine {
    pub fn r32(&self, pa: u64, a: AccessAttrs) -> u32 {
        self.bus.read(pa, 4, a).expect("GIC reads never fail") as u32
    }
    pub fn w32(&self, pa: u64, v: u32, a: AccessAttrs) {
        self.bus.write(pa, 4, u64::from(v), a).expect("GIC writes never fail")
    }
    pub fn r64(&self, pa: u64, a: AccessAttrs) -> u64 {
        self.bus.read(pa, 8, a).expect("GIC reads never fail")
    }
    pub fn w64(&self, pa: u64, v: u64, a: AccessAttrs) {
        self.bus.write(pa, 8, v, a).expect("GIC writes never fail")
    }
    pub fn r8(&self, pa: u64, a: AccessAttrs) -> u8 {
        self.bus.read(pa, 1, a).expect("GIC reads never fail") as u8
    }
    pub fn w8(&self, pa: u64, v: u8, a: AccessAttrs) {
        self.bus.write(pa, 1, u64::from(v), a).expect("GIC writes never fail")
    }

    pub fn icc_r(&self, cpu: usize, reg: IccReg, ctx: IccContext) -> u64 {
        self.gic.icc_read(cpu, reg, ctx).unwrap_or_else(|e| panic!("{} read from {ctx:?}: {e}", reg.name()))
    }
    pub fn icc_w(&self, cpu: usize, reg: IccReg, ctx: IccContext, v: u64) {
        self.gic.icc_write(cpu, reg, ctx, v).unwrap_or_else(|e| panic!("{} write from {ctx:?}: {e}", reg.name()))
    }

    /// (irq, fiq) of `cpu` at `ctx`.
    pub fn signals(&self, cpu: usize, ctx: IccContext) -> (bool, bool) {
        self.gic.cpu_signals(cpu, ctx)
    }

    /// Polls `pa` until `done(value)`; fails the test after `limit` reads
    /// (the boot would hang there).
    pub fn poll(&self, pa: u64, a: AccessAttrs, limit: usize, done: impl Fn(u32) -> bool) -> u32 {
        for _ in 0..limit {
            let v = self.r32(pa, a);
            if done(v) {
                return v;
            }
        }
        panic!("poll of {pa:#x} did not end after {limit} reads");
    }

    /// TF-A's GIC-600 redistributor power-up and wake-up for PE `cpu`
    /// (gic600_pwr_on + gicv3_rdistif_mark_core_awake).
    pub fn tfa_rdist_on(&self, cpu: usize) {
        let a = root();
        loop {
            self.poll(rd(cpu) + GICR_PWRR, a, 100, |v| (v >> 2 & 1) == (v >> 3 & 1));
            self.w32(rd(cpu) + GICR_PWRR, 0, a);
            if self.r32(rd(cpu) + GICR_PWRR, a) & GICR_PWRR_RDPD == 0 {
                break;
            }
        }
        let w = self.r32(rd(cpu) + GICR_WAKER, a);
        self.w32(rd(cpu) + GICR_WAKER, w & !GICR_WAKER_PROCESSOR_SLEEP, a);
        self.poll(rd(cpu) + GICR_WAKER, a, 100, |v| v & GICR_WAKER_CHILDREN_ASLEEP == 0);
    }

    /// Minimal setup for interrupt tests: affinity routing, all groups
    /// enabled in the Distributor, every redistributor awake, every CPU
    /// interface with PMR = 0xff (the implemented 0xf8) and all groups
    /// enabled.
    pub fn setup(&self) {
        let a = root();
        self.w32(
            gicd(GICD_CTLR),
            GICD_CTLR_ARE_S | GICD_CTLR_ARE_NS | GICD_CTLR_ENABLE_GRP0 | GICD_CTLR_ENABLE_GRP1S | GICD_CTLR_ENABLE_GRP1NS,
            a,
        );
        for cpu in 0..self.gic.num_cpus() {
            self.tfa_rdist_on(cpu);
            self.icc_w(cpu, IccReg::Pmr, el3(), 0xff);
            self.icc_w(cpu, IccReg::Igrpen0, el3(), 1);
            self.icc_w(cpu, IccReg::Igrpen1El3, el3(), 3);
        }
    }

    /// Configures SPI `intid`: group (IGROUPR, IGRPMODR bits), priority
    /// (Secure view), enabled, routed to `cpu` (by affinity).
    pub fn spi(&self, intid: u32, group: rme_gic::IntGroup, prio: u8, cpu: usize) {
        let a = root();
        let (g, m) = group_bits(group);
        let w = u64::from(intid / 32) * 4;
        let b = 1u32 << (intid % 32);
        let old = self.r32(gicd(GICD_IGROUPR + w), a);
        self.w32(gicd(GICD_IGROUPR + w), if g { old | b } else { old & !b }, a);
        let old = self.r32(gicd(GICD_IGRPMODR + w), a);
        self.w32(gicd(GICD_IGRPMODR + w), if m { old | b } else { old & !b }, a);
        self.w8(gicd(GICD_IPRIORITYR + u64::from(intid)), prio, a);
        self.w64(gicd(GICD_IROUTER + 8 * u64::from(intid)), affinity_route(&self.gic, cpu), a);
        self.w32(gicd(GICD_ISENABLER + w), b, a);
    }

    /// Configures SGI/PPI `intid` of PE `cpu` like [`Machine::spi`].
    pub fn private(&self, cpu: usize, intid: u32, group: rme_gic::IntGroup, prio: u8) {
        let a = root();
        let (g, m) = group_bits(group);
        let b = 1u32 << intid;
        let old = self.r32(sgi(cpu) + GICR_IGROUPR0, a);
        self.w32(sgi(cpu) + GICR_IGROUPR0, if g { old | b } else { old & !b }, a);
        let old = self.r32(sgi(cpu) + GICR_IGRPMODR0, a);
        self.w32(sgi(cpu) + GICR_IGRPMODR0, if m { old | b } else { old & !b }, a);
        self.w8(sgi(cpu) + GICR_IPRIORITYR + u64::from(intid), prio, a);
        self.w32(sgi(cpu) + GICR_ISENABLER0, b, a);
    }

    /// Sets SPI `intid` pending through GICD_ISPENDR (Secure access).
    pub fn pend_spi(&self, intid: u32) {
        self.w32(gicd(GICD_ISPENDR + u64::from(intid / 32) * 4), 1 << (intid % 32), root());
    }

    pub fn spi_pending(&self, intid: u32) -> bool {
        self.r32(gicd(GICD_ISPENDR + u64::from(intid / 32) * 4), root()) >> (intid % 32) & 1 != 0
    }
    pub fn spi_active(&self, intid: u32) -> bool {
        self.r32(gicd(GICD_ISACTIVER + u64::from(intid / 32) * 4), root()) >> (intid % 32) & 1 != 0
    }
    pub fn private_active(&self, cpu: usize, intid: u32) -> bool {
        self.r32(sgi(cpu) + GICR_ISACTIVER0, root()) >> intid & 1 != 0
    }
    pub fn private_pending(&self, cpu: usize, intid: u32) -> bool {
        self.r32(sgi(cpu) + GICR_ISPENDR0, root()) >> intid & 1 != 0
    }
}

pub fn group_bits(g: rme_gic::IntGroup) -> (bool, bool) {
    match g {
        rme_gic::IntGroup::G0 => (false, false),
        rme_gic::IntGroup::G1S => (false, true),
        rme_gic::IntGroup::G1NS => (true, false),
    }
}

/// GICD_IROUTER value naming PE `cpu` (Aff3.Aff2.Aff1.Aff0, IRM = 0).
pub fn affinity_route(gic: &Gic, cpu: usize) -> u64 {
    let st = gic.snapshot();
    let m = st.pes[cpu].mpidr;
    (m & 0xff_ffff) | (m >> 32 & 0xff) << 32
}

/// Special INTIDs as ICC reads return them.
pub const SPURIOUS: u64 = INTID_SPURIOUS as u64;
pub const ID_SECURE: u64 = INTID_SECURE as u64;
pub const ID_NONSECURE: u64 = INTID_NONSECURE as u64;
