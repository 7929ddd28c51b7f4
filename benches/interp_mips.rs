//! Interpreter throughput on a guest integer loop (`cargo bench -p rme-cpu`).
//!
//! The guest loop mixes ALU work, a load, a store and a conditional branch
//! per iteration (8 instructions), runs at Non-secure EL1 out of RAM, and is
//! measured in guest instructions per second: criterion's "thrpt" line in
//! Melem/s is the interpreter's MIPS.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dynasmrt::{aarch64::Aarch64Relocation, dynasm, DynasmApi, DynasmLabelApi, VecAssembler};
use rme_cpu::{Cpu, CpuConfig, SysReg};
use rme_mmu::PhysBus;
use std::hint::black_box;

const CODE: u64 = 0x8000_0000;
const DATA: u64 = 0x8010_0000;
const ITERATIONS: u64 = 100_000;
/// Instructions per iteration of the loop body below.
const BODY: u64 = 8;

fn guest_loop() -> Vec<u8> {
    let mut ops: VecAssembler<Aarch64Relocation> = VecAssembler::new(0);
    dynasm!(ops
        ; .arch aarch64
        ; movz x0, (ITERATIONS & 0xffff) as u32
        ; movk x0, (ITERATIONS >> 16) as u32, lsl 16
        ; movz x1, (DATA >> 16) as u32, lsl 16
        ; movz x2, 0
        ; movz x3, 7
        ; ->top:
        ; add x2, x2, x3
        ; eor x4, x2, x0, lsl 3
        ; ldr x5, [x1, 8]
        ; add x5, x5, x4
        ; str x5, [x1, 8]
        ; madd x3, x3, x4, x2
        ; subs x0, x0, 1
        ; b.ne ->top
        ; brk 0
    );
    ops.finalize().expect("assemble guest loop")
}

fn machine() -> (Cpu, PhysBus) {
    let mut bus = PhysBus::new();
    bus.add_ram("dram", 0x8000_0000, 16 << 20).unwrap();
    bus.load(CODE, &guest_loop()).unwrap();
    let mut cpu = Cpu::new(CpuConfig::fvp(0));
    // Non-secure EL1h, MMU off (aligned accesses only in the loop).
    cpu.set_sr(SysReg::SCR_EL3, 1 | 1 << 8 | 1 << 10);
    cpu.state.pstate.el = 1;
    (cpu, bus)
}

fn interp_mips(c: &mut Criterion) {
    let (mut cpu, bus) = machine();
    let insns = 5 + ITERATIONS * BODY;
    let mut g = c.benchmark_group("interpreter");
    g.throughput(Throughput::Elements(insns));
    g.sample_size(20);
    g.bench_function("integer_loop", |b| {
        b.iter(|| {
            cpu.state.pc = CODE;
            let exit = cpu.run(&bus, insns);
            assert_eq!(exit.retired, insns);
            black_box(cpu.state.x[5]);
        })
    });
    g.finish();
}

criterion_group!(benches, interp_mips);
criterion_main!(benches);
