//! Cost of one translated access (`cargo bench -p rme-mmu --bench translation`).
//!
//! `Cpu::read_mem` of 8 bytes at Non-secure EL1, 4 KB granule, 3-level
//! stage 1 (T0SZ 25) and 3-level stage 2 (T0SZ 25, SL0 = 1), tables and
//! data in guest RAM on a `PhysBus`. Criterion's time per iteration is the
//! time per access:
//!
//! * `tlb_hit`: the same VA again and again (softmmu TLB hit: no walk, no
//!   GPC).
//! * `miss_s1`: stage 1 only; 64 VAs 4 MiB apart, which all fall in the
//!   same set of the direct-mapped 1024-entry TLB, so every access misses
//!   and walks (3 descriptor reads).
//! * `miss_s1_s2`: the same through stage 2: 3 stage 1 reads, each table
//!   address and the output translated by stage 2 (4 x 3 reads): 15
//!   descriptor reads.
//! * `miss_s1_s2_gpc`: the same with the GPC on (GPT from `GptBuilder`, FVP
//!   layout, DRAM Non-secure): every descriptor read and the output are
//!   checked (16 GPT lookups).
//! * `translate_s1_s2`: `rme_mmu::translation::translate` called directly
//!   (no CPU, no TLB, no GPC) for the stage 1 + 2 walk.

#[path = "support/machine.rs"]
mod machine;

use criterion::{Criterion, criterion_group, criterion_main};
use machine::*;
use rme_cpu::SysReg;
use rme_cpu::memory::AccessFlags;
use rme_mmu::gpc::Gpi;
use rme_mmu::translation::{
    Access, AccessKind, MmuFeatures, Regime, Stage1Regime, Stage2Regime, WalkError, WalkMemory, translate,
};
use rme_mmu::{AccessAttrs, Pas, PhysBus, SecurityState};
use std::hint::black_box;
use std::time::Duration;

const S1_TABLES: u64 = RAM + 0x10_0000;
const S2_TABLES: u64 = RAM + 0x20_0000;
const DATA: u64 = RAM + 0x100_0000;
const VA: u64 = 0x40_0000_0000;
const IPA: u64 = 0x1_0000_0000;
/// VAs 4 MiB apart: one TLB set (VA[21:12] equal).
const ALIAS: u64 = 4 << 20;
const N: u64 = 64;
const HCR_VM: u64 = 1;

/// Descriptor reads straight from the bus (no GPC).
struct BusMem<'a>(&'a PhysBus);
impl WalkMemory for BusMem<'_> {
    fn read_descriptor(&self, pa: u64, pas: Pas) -> Result<u64, WalkError> {
        self.0.read(pa, 8, AccessAttrs::cpu(0, pas)).map_err(|_| WalkError::ExternalAbort)
    }
}

/// Stage 1 (VA + k * ALIAS -> IPA + k * 4K) and stage 2 (IPA + k * 4K ->
/// DATA + k * 4K, stage 1 tables identity mapped, all with pages).
fn two_stage(bus: &PhysBus) -> (Pt, Pt) {
    let mut s1 = Pt::new(bus, 39, 1, S1_TABLES);
    let mut s2 = Pt::new(bus, 39, 1, S2_TABLES);
    for k in 0..N {
        s1.map(bus, VA + k * ALIAS, IPA + k * 0x1000, 3, NORMAL);
        s2.map(bus, IPA + k * 0x1000, DATA + k * 0x1000, 3, S2_NORMAL);
        bus.load(DATA + k * 0x1000, &k.to_le_bytes()).unwrap();
    }
    for page in (S1_TABLES..S1_TABLES + 0x10_0000).step_by(0x1000) {
        s2.map(bus, page, page, 3, S2_NORMAL);
    }
    (s1, s2)
}

fn set_mmu(cpu: &mut rme_cpu::Cpu, s1: &Pt, s2: Option<&Pt>) {
    cpu.set_sr(SysReg::MAIR_EL1, MAIR);
    cpu.set_sr(SysReg::TCR_EL1, TCR_EL1);
    cpu.set_sr(SysReg::TTBR0_EL1, s1.root);
    cpu.set_sr(SysReg::SCTLR_EL1, SCTLR_ON);
    if let Some(s2) = s2 {
        cpu.set_sr(SysReg::VTCR_EL2, VTCR_EL2);
        cpu.set_sr(SysReg::VTTBR_EL2, s2.root);
    }
    cpu.tlb.flush();
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("translation");
    g.sample_size(20).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));

    // --- stage 1 + 2.
    let bus = bus();
    let (s1, s2) = two_stage(&bus);
    let mut cpu = ns_el1_cpu(HCR_VM);
    set_mmu(&mut cpu, &s1, Some(&s2));
    for k in 0..N {
        assert_eq!(cpu.read_mem(&bus, VA + k * ALIAS, 8, AccessFlags::NORMAL), Ok(k));
    }

    g.bench_function("tlb_hit", |b| {
        b.iter(|| black_box(cpu.read_mem(&bus, black_box(VA + 8), 8, AccessFlags::NORMAL)))
    });
    let fills = cpu.tlb.fills;
    let mut k = 0;
    g.bench_function("miss_s1_s2", |b| {
        b.iter(|| {
            k = (k + 1) % N;
            black_box(cpu.read_mem(&bus, VA + k * ALIAS, 8, AccessFlags::NORMAL))
        })
    });
    assert!(cpu.tlb.fills > fills, "the aliasing VAs miss the TLB");

    let img = gpt(Gpi::NonSecure);
    set_gpc(&mut cpu, &bus, &img, true);
    for k in 0..N {
        assert_eq!(cpu.read_mem(&bus, VA + k * ALIAS, 8, AccessFlags::NORMAL), Ok(k));
    }
    g.bench_function("miss_s1_s2_gpc", |b| {
        b.iter(|| {
            k = (k + 1) % N;
            black_box(cpu.read_mem(&bus, VA + k * ALIAS, 8, AccessFlags::NORMAL))
        })
    });
    g.bench_function("tlb_hit_gpc", |b| {
        b.iter(|| black_box(cpu.read_mem(&bus, black_box(VA + 8), 8, AccessFlags::NORMAL)))
    });

    // --- the pure walk, no CPU.
    let features = MmuFeatures::default();
    let r1 = Stage1Regime {
        regime: Regime::El10,
        security: SecurityState::NonSecure,
        tcr: TCR_EL1,
        ttbr0: s1.root,
        ttbr1: 0,
        mair: MAIR,
        sctlr: SCTLR_ON,
        hcr: HCR_VM,
        sif: false,
        features,
    };
    let r2 = Stage2Regime {
        security: SecurityState::NonSecure,
        hcr: HCR_VM,
        vtcr: VTCR_EL2,
        vttbr: s2.root,
        vstcr: 0,
        vsttbr: 0,
        ee: false,
        features,
    };
    let mem = BusMem(&bus);
    assert_eq!(translate(&mem, &r1, Some(&r2), &Access::new(VA + 8, AccessKind::Read)).unwrap().pa, DATA + 8);
    g.bench_function("translate_s1_s2", |b| {
        b.iter(|| {
            k = (k + 1) % N;
            black_box(translate(&mem, &r1, Some(&r2), &Access::new(VA + k * ALIAS, AccessKind::Read)))
        })
    });
    drop(cpu);
    drop(bus);

    // --- stage 1 only.
    let bus = machine::bus();
    let mut s1 = Pt::new(&bus, 39, 1, S1_TABLES);
    for k in 0..N {
        s1.map(&bus, VA + k * ALIAS, DATA + k * 0x1000, 3, NORMAL);
        bus.load(DATA + k * 0x1000, &k.to_le_bytes()).unwrap();
    }
    let mut cpu = ns_el1_cpu(0);
    set_mmu(&mut cpu, &s1, None);
    for k in 0..N {
        assert_eq!(cpu.read_mem(&bus, VA + k * ALIAS, 8, AccessFlags::NORMAL), Ok(k));
    }
    g.bench_function("miss_s1", |b| {
        b.iter(|| {
            k = (k + 1) % N;
            black_box(cpu.read_mem(&bus, VA + k * ALIAS, 8, AccessFlags::NORMAL))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
