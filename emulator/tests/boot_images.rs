//! Boot images through the library, as `rme-emu boot` loads them: the DTB
//! gets `--append` and the `--initrd` range in /chosen, `--data` files land
//! at their addresses, and the FIP sits in the CFI flash model (read-array
//! at reset, query mode on command).

use clap::Parser;
use rme_emu::cli::{Cli, Command};
use rme_emu::fdt::Fdt;
use rme_emu::platform::fvp_memory_map as map;
use rme_emu::{Machine, MachineConfig, UartSinks, boot_plan, images};
use rme_mmu::AccessAttrs;
use std::path::{Path, PathBuf};

/// A scratch directory of this test (tests run in parallel).
fn scratch_dir(test: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("rme-emu-boot-images-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn sample_dtb() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fdt/sample.dtb")
}

fn plan(argv: &[&str]) -> boot_plan::BootPlan {
    let mut full = vec!["rme-emu", "boot"];
    full.extend_from_slice(argv);
    let Command::Boot(b) = Cli::try_parse_from(full).unwrap().command;
    boot_plan::resolve(&b).unwrap()
}

fn machine() -> Machine {
    Machine::new(
        &MachineConfig::default(),
        UartSinks::each(|_| Box::new(rme_devices::NullSink)),
    )
    .unwrap()
}

#[test]
fn dtb_gets_bootargs_and_initrd_and_data_lands() {
    let dir = scratch_dir("dtb");
    let initrd = dir.join("initrd.cpio");
    std::fs::write(&initrd, vec![0x5a; 0x1234]).unwrap();
    let blob = dir.join("blob.bin");
    std::fs::write(&blob, b"rme-emu --data").unwrap();
    let p = plan(&[
        "--dtb",
        sample_dtb().to_str().unwrap(),
        "--append",
        "console=ttyAMA0 earlycon root=/dev/vda",
        "--initrd",
        initrd.to_str().unwrap(),
        "--data",
        &format!("cluster0.cpu0={}@0x88000000", blob.display()),
    ]);
    let imgs = images::read_boot_images(&p).unwrap().images;
    let m = machine();
    m.load_images(&imgs).unwrap();

    let dtb = imgs.iter().find(|i| i.option() == Some("--dtb")).unwrap();
    let mut bytes = vec![0u8; dtb.bytes.len()];
    m.bus().read_bytes(map::DTB_LOAD_ADDR, &mut bytes).unwrap();
    let fdt = Fdt::parse(&bytes).unwrap();
    let chosen = fdt.node("/chosen").expect("/chosen created");
    assert_eq!(
        chosen.prop_str("bootargs"),
        Some("console=ttyAMA0 earlycon root=/dev/vda")
    );
    assert_eq!(
        chosen.prop("linux,initrd-start"),
        Some(&0x9000_0000u64.to_be_bytes()[..])
    );
    assert_eq!(
        chosen.prop("linux,initrd-end"),
        Some(&(0x9000_0000u64 + 0x1234).to_be_bytes()[..])
    );
    // The rest of the tree is the file's.
    assert!(fdt.node("/memory@80000000").is_some());

    let mut data = [0u8; 14];
    m.bus().read_bytes(0x8800_0000, &mut data).unwrap();
    assert_eq!(&data, b"rme-emu --data");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_dtb_and_misplaced_data_are_one_error_each() {
    let dir = scratch_dir("bad");
    let junk = dir.join("junk.dtb");
    std::fs::write(&junk, vec![0u8; 64]).unwrap();
    let p = plan(&["--dtb", junk.to_str().unwrap(), "--append", "x"]);
    let e = images::read_boot_images(&p).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!(
            "--dtb {}: not a usable device tree blob: ",
            junk.display()
        )),
        "{e}"
    );

    // A --data file on a device (UART0) or past the end of DRAM.
    let f = dir.join("f.bin");
    std::fs::write(&f, [1u8; 32]).unwrap();
    for (addr, want) in [
        ("0x1c090000", "uart0 is a device"),
        ("0xffffffF0", "does not fit in dram0"),
    ] {
        let p = plan(&["--data", &format!("{}@{addr}", f.display())]);
        let imgs = images::read_boot_images(&p).unwrap().images;
        let e = machine().load_images(&imgs).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("--data {}", f.display())) && e.contains(want),
            "{e}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn fip_is_in_the_cfi_flash() {
    let dir = scratch_dir("fip");
    let fip = dir.join("fip.bin");
    // A FIP with an empty table of contents (header, end marker), then data.
    let mut contents = Vec::new();
    contents.extend_from_slice(&0xaa64_0001u32.to_le_bytes());
    contents.extend_from_slice(&[0u8; 12 + 40]);
    contents.extend((0..4096u32).map(|i| (i * 7) as u8));
    std::fs::write(&fip, &contents).unwrap();
    let p = plan(&["--fip", fip.to_str().unwrap()]);
    let m = machine();
    m.load_images(&images::read_boot_images(&p).unwrap().images).unwrap();
    let a = AccessAttrs::host();
    let bus = m.bus();
    // Read-array mode at reset: the FIP's bytes at any size.
    assert_eq!(bus.read(map::FLASH0_BASE, 4, a).unwrap(), 0xaa64_0001);
    assert_eq!(bus.read(map::FLASH0_BASE + 56 + 5, 1, a).unwrap(), 35);
    // CFI Read Query (0x98): "QRY" at word addresses 0x10..0x12 (x4 bus).
    bus.write(map::FLASH0_BASE, 4, 0x0098_0098, a).unwrap();
    let q: Vec<u8> = (0x10..0x13)
        .map(|w| bus.read(map::FLASH0_BASE + w * 4, 4, a).unwrap() as u8)
        .collect();
    assert_eq!(q, b"QRY");
    // Read Array (0xFF) again.
    bus.write(map::FLASH0_BASE, 4, 0x00ff_00ff, a).unwrap();
    assert_eq!(
        bus.read(map::FLASH0_BASE + 8, 8, a).unwrap(),
        u64::from_le_bytes(contents[8..16].try_into().unwrap())
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
