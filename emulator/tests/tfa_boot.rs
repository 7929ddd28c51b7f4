//! Real TF-A: `bash scripts/images.sh` builds TF-A 2.12 (`PLAT=fvp
//! ENABLE_RME=1 DEBUG=1`, with the TRP as RMM and the project's BL33) from
//! Debian's source package, then `rme-emu boot` must print what the same
//! images print on Arm's FVP, in order, and power off with exit 0, with no
//! TF-A ERROR/ASSERT line; twice, with identical output (determinism).
//!
//! The image script runs first (about a minute on a fresh machine: the
//! cross toolchain and the source package come from Debian's archive; a
//! few seconds when target/images is already built). A failure to build
//! the images fails this test: it is not skipped.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The lines TF-A prints on FVP for this build, in this order (from BL1,
/// BL2, BL31, the TRP, BL31 again, then the project's BL33).
const EXPECTED_IN_ORDER: &[&str] = &[
    "Booting Trusted Firmware",
    "BL1: Booting BL2",
    "GPT: Boot Configuration",
    "Enabling Granule Protection Checks",
    "BL2: Booting BL31",
    "BL31: Initializing RMM",
    "TRP: ",
    "RMM init end",
    "BL33: hello from the Non-secure world at EL2",
    // PSCI from the Normal world: BL33 turns each other CPU of FVP's
    // 2 x 4 on with CPU_ON (power controller PPONR, BL1's warm boot through
    // the mailbox, BL31), each reports from NS-EL2 and turns itself off.
    "BL33: PSCI v1.1",
    "BL33: cpu 0x0000000000000100 up at EL2",
    "BL33: cpu 0x0000000000000200 up at EL2",
    "BL33: cpu 0x0000000000000300 up at EL2",
    "BL33: cpu 0x0000000000010000 up at EL2",
    "BL33: cpu 0x0000000000010100 up at EL2",
    "BL33: cpu 0x0000000000010200 up at EL2",
    "BL33: cpu 0x0000000000010300 up at EL2",
    "BL33: 7 secondary CPUs came up and went off",
    "BL33: powering off",
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// Builds (or reuses) target/images once per test process.
fn images() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = repo_root();
        let o = Command::new("bash")
            .arg("scripts/images.sh")
            .current_dir(&root)
            .output()
            .expect("run bash");
        assert!(
            o.status.success(),
            "scripts/images.sh failed ({}):\n{}",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        );
        let dir = root.join("target/images/tf-a-fvp-rme");
        for f in ["bl1.bin", "fip.bin"] {
            assert!(
                dir.join(f).is_file(),
                "scripts/images.sh did not produce {}",
                dir.join(f).display()
            );
        }
        dir
    })
}

fn rme_emu(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rme-emu"))
        .args(args)
        .env_remove("RME_LOG")
        .output()
        .expect("run rme-emu")
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// Asserts the expected lines appear in order in `out`, and no TF-A error.
fn assert_tfa_boot(out: &str) {
    let mut from = 0;
    for line in EXPECTED_IN_ORDER {
        let at = out[from..].find(line).unwrap_or_else(|| {
            panic!("{line:?} missing (in order, after byte {from}) from the console:\n{out}")
        });
        from += at + line.len();
    }
    for bad in ["ERROR:", "ASSERT", "PANIC", "Unhandled Exception", "did not come up"] {
        assert!(!out.contains(bad), "the console has {bad:?}:\n{out}");
    }
}

/// The instruction count of the summary line on stderr.
fn retired(stderr: &str) -> u64 {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("rme-emu: power-off: "))
        .unwrap_or_else(|| panic!("no power-off summary in {stderr}"));
    let n = line
        .trim_start_matches("rme-emu: power-off: ")
        .split(' ')
        .next()
        .unwrap_or("");
    n.parse().unwrap_or_else(|_| panic!("bad summary {line:?}"))
}

#[test]
fn tfa_rme_boots_to_bl33_and_is_deterministic() {
    let dir = images();
    let (bl1, fip) = (dir.join("bl1.bin"), dir.join("fip.bin"));
    let args = ["boot", "--bl1", path(&bl1), "--fip", path(&fip)];
    let first = rme_emu(&args);
    let out = String::from_utf8_lossy(&first.stdout).into_owned();
    let err = String::from_utf8_lossy(&first.stderr).into_owned();
    assert_eq!(
        first.status.code(),
        Some(0),
        "exit code; stderr:\n{err}\nstdout:\n{out}"
    );
    assert_tfa_boot(&out);
    // BL1/BL2 print on UART0 and the TRP on UART3: once the second UART
    // speaks, every line carries its UART's tag.
    assert!(
        out.contains("[uart3] NOTICE:  TRP: "),
        "TRP lines are tagged with UART3:\n{out}"
    );
    let n = retired(&err);
    assert!(
        n > 1_000_000,
        "TF-A retires millions of instructions, not {n}"
    );

    let second = rme_emu(&args);
    assert_eq!(second.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&second.stdout),
        out,
        "two runs print different output"
    );
    assert_eq!(
        retired(&String::from_utf8_lossy(&second.stderr)),
        n,
        "two runs retire different instruction counts"
    );

    // BL1 as its ELF file, by FVP's -a (segments at their load addresses,
    // every CPU entering at e_entry): the same run.
    let elf = dir.join("elf/bl1.elf");
    let third = rme_emu(&["boot", "-a", path(&elf), "--fip", path(&fip)]);
    assert_eq!(third.status.code(), Some(0), "{}", String::from_utf8_lossy(&third.stderr));
    assert_eq!(String::from_utf8_lossy(&third.stdout), out, "-a bl1.elf differs from --bl1 bl1.bin");
    assert_eq!(retired(&String::from_utf8_lossy(&third.stderr)), n);
}

#[test]
fn fvp_spelling_with_uart_files_and_eight_cpus() {
    let dir = images();
    let scratch = std::env::temp_dir().join(format!("rme-emu-tfa-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let uart3 = scratch.join("uart3.log");
    let o = rme_emu(&[
        "boot",
        "-C",
        &format!("bp.secureflashloader.fname={}", path(&dir.join("bl1.bin"))),
        "-C",
        &format!("bp.flashloader0.fname={}", path(&dir.join("fip.bin"))),
        "-C",
        &format!("bp.pl011_uart3.out_file={}", path(&uart3)),
        "-C",
        "bp.has_rme=1",
        "-C",
        "cluster0.NUM_CORES=4",
        "-C",
        "cluster1.NUM_CORES=4",
        "-C",
        "pctl.startup=0.0.0.0",
        "-C",
        "bp.terminal_0.start_telnet=0",
        "-C",
        "cluster0.ecv_support_level=2",
    ]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(0), "stderr:\n{err}\nstdout:\n{out}");
    // The one unknown parameter is listed once; known ones are not.
    let ignored: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("ignoring FVP parameters"))
        .collect();
    assert_eq!(
        ignored,
        [
            "rme-emu: ignoring FVP parameters this model does not implement: cluster0.ecv_support_level=2"
        ]
    );
    // UART3 (the TRP) went to its file; the rest stays on stdout, untagged
    // because only UART0 spoke there.
    let trp = std::fs::read_to_string(&uart3).unwrap();
    assert!(
        trp.contains("TRP: ") && !trp.contains("[uart"),
        "uart3 file:\n{trp}"
    );
    assert!(
        !out.contains("TRP: ") && !out.contains("[uart"),
        "stdout:\n{out}"
    );
    assert!(out.contains("BL33: 7 secondary CPUs came up and went off"), "{out}");
    assert!(
        out.contains("RMM init end")
            && out.contains("BL33: hello from the Non-secure world at EL2"),
        "{out}"
    );
    std::fs::remove_dir_all(&scratch).unwrap();
}

#[test]
fn psci_cpu_on_only_reaches_cpus_that_exist() {
    // With two CPUs the power controller knows two PEs: PSYSR of any other
    // MPIDR reads PSYSR_INVALID, so TF-A's PSCI refuses CPU_ON for them and
    // BL33 counts one secondary.
    let dir = images();
    let o = rme_emu(&[
        "boot",
        "--bl1",
        path(&dir.join("bl1.bin")),
        "--fip",
        path(&dir.join("fip.bin")),
        "--smp",
        "2",
    ]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("BL33: cpu 0x0000000000000100 up at EL2"), "{out}");
    assert!(out.contains("BL33: 1 secondary CPUs came up and went off"), "{out}");
    assert!(!out.contains("did not come up") && !out.contains("ERROR:"), "{out}");
}
