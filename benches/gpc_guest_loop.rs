//! What the Granule Protection Check costs a guest
//! (`cargo bench -p rme-mmu --bench gpc_guest_loop`).
//!
//! A guest loop at Non-secure EL1 with the MMU on (stage 1 identity map of
//! DRAM with 2 MB blocks, 4 KB granule) reads, increments and writes one
//! doubleword every `stride` bytes over 64 MiB, with the GPC off and on
//! (GPT from `GptBuilder` in TF-A's FVP layout, all of DRAM Non-secure,
//! GPCCR_EL3.GPC = 1). The softmmu TLB caches a translation only after the
//! GPC passed, so a TLB hit does no GPT work: the GPC is paid once per TLB
//! fill (one check of the output PA plus one per descriptor read).
//!
//! * stride 64 B: 64 iterations per page, one TLB fill per page: GPC on
//!   should be within a few percent of off.
//! * stride 4 KiB: every load misses the TLB (16384 pages > 1024 entries),
//!   so every iteration walks and runs 3 GPT lookups (2 descriptor reads +
//!   the output): the worst case.
//!
//! Criterion reports each as time per pass (throughput = data accesses).
//! A closing summary measures off and on alternately and prints the ratio.

#[path = "support/machine.rs"]
mod machine;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dynasmrt::{DynasmLabelApi, VecAssembler, aarch64::Aarch64Relocation, dynasm};
use machine::*;
use rme_cpu::{Cpu, SysReg};
use rme_mmu::PhysBus;
use rme_mmu::gpc::{Gpi, GptImage};
use std::time::{Duration, Instant};

const CODE: u64 = RAM;
const TABLES: u64 = RAM + 0x10_0000;
const BUF: u64 = RAM + 0x1000_0000;
const BUF_SIZE: u64 = 64 << 20;
/// Instructions per loop iteration.
const BODY: u64 = 6;

fn guest_loop() -> Vec<u8> {
    let mut ops: VecAssembler<Aarch64Relocation> = VecAssembler::new(0);
    dynasm!(ops
        ; .arch aarch64
        ; ->top:
        ; ldr x3, [x1]
        ; add x3, x3, 1
        ; str x3, [x1]
        ; add x1, x1, x4
        ; cmp x1, x2
        ; b.ne ->top
    );
    ops.finalize().expect("assemble guest loop")
}

struct Machine {
    cpu: Cpu,
    bus: PhysBus,
    gpt: GptImage,
}

fn machine() -> Machine {
    let bus = bus();
    bus.load(CODE, &guest_loop()).unwrap();
    let mut pt = Pt::new(&bus, 39, 1, TABLES);
    // Identity map the first GB of DRAM with 2 MB blocks.
    for off in (0..0x4000_0000u64).step_by(2 << 20) {
        pt.map(&bus, RAM + off, RAM + off, 2, NORMAL);
    }
    let mut cpu = ns_el1_cpu(0);
    cpu.set_sr(SysReg::MAIR_EL1, MAIR);
    cpu.set_sr(SysReg::TCR_EL1, TCR_EL1);
    cpu.set_sr(SysReg::TTBR0_EL1, pt.root);
    cpu.set_sr(SysReg::SCTLR_EL1, SCTLR_ON);
    let gpt = gpt(Gpi::NonSecure);
    Machine { cpu, bus, gpt }
}

impl Machine {
    fn gpc(&mut self, on: bool) {
        set_gpc(&mut self.cpu, &self.bus, &self.gpt, on);
    }

    /// One pass over the buffer.
    fn pass(&mut self, stride: u64) {
        let iterations = BUF_SIZE / stride;
        let cpu = &mut self.cpu;
        cpu.state.pc = CODE;
        cpu.state.x[1] = BUF;
        cpu.state.x[2] = BUF + BUF_SIZE;
        cpu.state.x[4] = stride;
        let exit = cpu.run(&self.bus, iterations * BODY);
        assert_eq!(exit.retired, iterations * BODY);
        assert_eq!((cpu.state.x[1], cpu.state.pc), (BUF + BUF_SIZE, CODE + BODY * 4), "{exit:?}");
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn bench(c: &mut Criterion) {
    let mut m = machine();
    // Touch the buffer once (host page faults out of the measurement).
    m.gpc(false);
    m.pass(4096);
    m.pass(64);
    let mut g = c.benchmark_group("gpc_guest_loop");
    g.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    for stride in [64u64, 4096] {
        g.throughput(Throughput::Elements(2 * BUF_SIZE / stride));
        for on in [false, true] {
            m.gpc(on);
            let name = format!("stride_{stride}/gpc_{}", if on { "on" } else { "off" });
            g.bench_function(name, |b| b.iter(|| m.pass(stride)));
        }
    }
    g.finish();

    // Off and on alternately, so drift hits both alike.
    println!("\ngpc_guest_loop summary (median of alternating passes over 64 MiB; one iteration = 6 instructions, 1 load + 1 store):");
    for (stride, rounds) in [(64u64, 15), (4096, 61)] {
        let (mut off, mut on) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            for gpc in [false, true] {
                m.gpc(gpc);
                let t = Instant::now();
                m.pass(stride);
                if gpc { &mut on } else { &mut off }.push(t.elapsed());
            }
        }
        let (off, on) = (median(off), median(on));
        let steps = (BUF_SIZE / stride) as f64;
        println!(
            "  stride {stride:>4} B: GPC off {:>8.3} ms ({:.1} ns/iteration), on {:>8.3} ms ({:.1} ns/iteration), on/off = {:.3}",
            off.as_secs_f64() * 1e3,
            off.as_secs_f64() * 1e9 / steps,
            on.as_secs_f64() * 1e3,
            on.as_secs_f64() * 1e9 / steps,
            on.as_secs_f64() / off.as_secs_f64()
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
