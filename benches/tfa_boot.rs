//! The boot bench: real TF-A 2.12 (`PLAT=fvp ENABLE_RME=1 DEBUG=1`, built
//! by `bash scripts/images.sh`, which this bench runs first) from BL1 to the
//! BL33 payload's power-off (which first turns every other CPU on and off
//! again with PSCI), on one CPU and on the full eight
//! (`cargo bench -p rme-emu --bench tfa_boot`). Throughput is in guest
//! instructions: criterion's "thrpt" line in Melem/s is the boot's MIPS,
//! and "time" is the wall time of one whole boot (machine set-up included).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rme_devices::NullSink;
use rme_emu::{Image, Machine, MachineConfig, Stop, UartSinks};
use std::path::{Path, PathBuf};
use std::process::Command;

fn images() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf();
    let status = Command::new("bash").arg("scripts/images.sh").current_dir(&root).status().expect("run bash");
    assert!(status.success(), "scripts/images.sh failed");
    root.join("target/images/tf-a-fvp-rme")
}

/// One boot; returns the instructions retired.
fn boot(cpus: u32, bl1: &[u8], fip: &[u8]) -> u64 {
    // FVP's RME set-up: only CPU 0 leaves reset (pctl.startup=0.0.0.0);
    // BL33 brings the others up with PSCI CPU_ON.
    let config = MachineConfig { smp: cpus, ..MachineConfig::default() };
    let mut m = Machine::new(&config, UartSinks::each(|_| Box::new(NullSink))).expect("machine");
    m.load_images(&[Image::builtin("bl1", 0, bl1.to_vec()), Image::builtin("fip", 0x0800_0000, fip.to_vec())])
        .expect("load");
    let s = m.run(Some(100_000_000));
    assert_eq!(s.stop, Stop::PowerOff, "TF-A did not reach BL33's power-off");
    s.retired
}

fn tfa_boot(c: &mut Criterion) {
    let dir = images();
    let bl1 = std::fs::read(dir.join("bl1.bin")).expect("bl1.bin");
    let fip = std::fs::read(dir.join("fip.bin")).expect("fip.bin");
    let mut g = c.benchmark_group("tfa_boot");
    g.sample_size(10);
    for cpus in [1, 8] {
        let retired = boot(cpus, &bl1, &fip);
        g.throughput(Throughput::Elements(retired));
        g.bench_function(format!("bl1_to_bl33_poweroff/{cpus}cpu"), |b| b.iter(|| boot(cpus, &bl1, &fip)));
    }
    g.finish();
}

criterion_group!(benches, tfa_boot);
criterion_main!(benches);
