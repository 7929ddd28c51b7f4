//! The `rme-emu` binary as a user runs it: exit codes, what goes to stdout
//! (guest UART output) and to stderr (errors, the summary line).

use std::path::PathBuf;
use std::process::{Command, Output};

fn rme_emu(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rme-emu"))
        .args(args)
        .env_remove("RME_LOG")
        .output()
        .expect("run rme-emu")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A scratch file unique to this test process.
fn scratch(name: &str, len: u64) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rme-emu-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(len).unwrap(); // sparse, zero-filled
    path
}

/// Checks the summary line `rme-emu: <reason>: <N> instructions retired in <T> s (<M> MIPS)`
/// and returns N.
fn summary(line: &str, reason: &str) -> u64 {
    let prefix = format!("rme-emu: {reason}: ");
    let rest = line
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("summary line {line:?} should start with {prefix:?}"));
    let (n, rest) = rest
        .split_once(" instructions retired in ")
        .unwrap_or_else(|| panic!("bad summary {line:?}"));
    let (t, rest) = rest
        .split_once(" s (")
        .unwrap_or_else(|| panic!("bad summary {line:?}"));
    assert!(t.parse::<f64>().is_ok(), "time in {line:?}");
    let m = rest
        .strip_suffix(" MIPS)")
        .unwrap_or_else(|| panic!("bad summary {line:?}"));
    assert!(m.parse::<f64>().is_ok(), "MIPS in {line:?}");
    n.parse().unwrap_or_else(|_| panic!("count in {line:?}"))
}

#[test]
fn boot_world_tour_powers_off() {
    let o = rme_emu(&["boot"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "stderr: {err}");
    let out = stdout(&o);
    let mut from = 0;
    for line in rme_firmware_stubs::WORLD_TOUR_LINES {
        let at = out[from..]
            .find(line)
            .unwrap_or_else(|| panic!("{line:?} missing (in order) from stdout:\n{out}"));
        from += at + line.len();
    }
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "stderr should be just the summary: {err}");
    assert!(summary(lines[0], "power-off") > 0);
}

#[test]
fn missing_bl1_is_one_error_line_and_exit_2() {
    let o = rme_emu(&["boot", "--bl1", "/nonexistent"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(
        err,
        "rme-emu: error: cannot read --bl1 /nonexistent: No such file or directory (os error 2)\n",
        "stderr"
    );
    assert!(o.stdout.is_empty());
}

#[test]
fn empty_bl1_is_refused() {
    let p = scratch("empty.bin", 0);
    let o = rme_emu(&["boot", "--bl1", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(p.to_str().unwrap()) && err.contains("empty"),
        "{err}"
    );
}

#[test]
fn oversized_bl1_is_refused() {
    let p = scratch("big-bl1.bin", (64 << 20) + 1);
    let o = rme_emu(&["boot", "--bl1", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(p.to_str().unwrap()) && err.contains("does not fit in trusted-rom"),
        "{err}"
    );
}

#[test]
fn overlapping_images_are_refused() {
    // A 33 MiB DTB at 0x8200_0000 runs into the kernel at 0x8400_0000.
    let dtb = scratch("big.dtb", 33 << 20);
    let kernel = scratch("Image", 4096);
    let o = rme_emu(&[
        "boot",
        "--dtb",
        dtb.to_str().unwrap(),
        "--kernel",
        kernel.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("overlaps") && err.contains("--dtb") && err.contains("--kernel"),
        "{err}"
    );
}

#[test]
fn kernel_outside_small_memory_is_refused() {
    let kernel = scratch("Image2", 4096);
    let o = rme_emu(&[
        "boot",
        "--memory",
        "16M",
        "--kernel",
        kernel.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("--kernel") && err.contains("--memory"),
        "{err}"
    );
}

#[test]
fn unknown_option_and_bad_values_exit_2() {
    for args in [
        &["boot", "--no-such-option"][..],
        &["boot", "--memory", "lots"],
        &["boot", "--memory", "1000"],
        &["boot", "--smp", "0"],
        &["boot", "--demo", "no-such-demo"],
        &["frobnicate"],
    ] {
        let o = rme_emu(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(!o.stderr.is_empty());
    }
}

#[test]
fn help_documents_exit_codes() {
    let o = rme_emu(&["boot", "--help"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for s in [
        "--demo",
        "world-tour",
        "gpf",
        "--bl1",
        "--fip",
        "--kernel",
        "--dtb",
        "--initrd",
        "--smp",
        "--memory",
        "--max-insns",
        "Exit codes",
        "130",
        "RME_LOG",
    ] {
        assert!(out.contains(s), "{s} missing from help:\n{out}");
    }
}

#[test]
fn max_insns_stops_with_exit_3() {
    let o = rme_emu(&["boot", "--max-insns", "1000"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    let line = err.lines().last().expect("summary");
    assert_eq!(summary(line, "instruction limit reached"), 1000);
}

#[test]
fn boot_is_deterministic() {
    let a = rme_emu(&["boot"]);
    let b = rme_emu(&["boot"]);
    assert_eq!(a.status.code(), Some(0));
    assert_eq!(b.status.code(), Some(0));
    assert!(!a.stdout.is_empty());
    assert_eq!(stdout(&a), stdout(&b));
    // Same instruction count too (the time differs).
    let n = |o: &Output| summary(stderr(o).lines().last().unwrap(), "power-off");
    assert_eq!(n(&a), n(&b));
}

#[test]
fn smp_and_large_memory_boot_the_same() {
    let a = rme_emu(&["boot"]);
    let b = rme_emu(&["boot", "--smp", "4", "--memory", "8G"]);
    assert_eq!(b.status.code(), Some(0), "{}", stderr(&b));
    assert_eq!(stdout(&a), stdout(&b));
}

/// A --bl1 file holding `words`.
fn bl1_program(name: &str, words: &[u32]) -> PathBuf {
    let p = scratch(name, 0);
    std::fs::write(
        &p,
        words
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    p
}

const B_SELF: u32 = 0x1400_0000; // b .
const WFI: u32 = 0xd503_207f;

#[test]
fn sleeping_for_ever_is_an_emulator_stop() {
    let p = bl1_program("wfi.bin", &[WFI, B_SELF]);
    let o = rme_emu(&["boot", "--bl1", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    summary(
        err.lines().last().unwrap(),
        "all CPUs halted in WFI/WFE with no wake-up source",
    );
}

#[test]
fn ctrl_c_interrupts_with_130() {
    let p = bl1_program("spin.bin", &[B_SELF]);
    let child = Command::new(env!("CARGO_BIN_EXE_rme-emu"))
        .args(["boot", "--bl1", p.to_str().unwrap()])
        .env_remove("RME_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert!(summary(stderr(&o).lines().last().unwrap(), "interrupted") > 0);
}

#[test]
fn platform_debug_names_the_first_unmodelled_access_with_pc_and_pas() {
    // movz x0, #0x1000, lsl #16 ; ldr w1, [x0] ; ldr w2, [x0, #4] ; b .
    // 0x1000_0000 has no device: the load is an External abort, taken to
    // VBAR_EL3 (0 at reset) + 0x200, where the zeroed ROM is UDF ...: an
    // exception loop, which --max-insns ends.
    let p = bl1_program("unmapped.bin", &[0xd2a2_0000, 0xb940_0001, 0xb940_0402, B_SELF]);
    let o = Command::new(env!("CARGO_BIN_EXE_rme-emu"))
        .args(["boot", "--bl1", p.to_str().unwrap(), "--max-insns", "500"])
        .env("RME_LOG", "platform=debug")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    let hits: Vec<&str> = err.lines().filter(|l| l.contains("unmodelled physical address")).collect();
    assert_eq!(hits.len(), 1, "one line per 4 KiB page, the first access only:\n{err}");
    for field in ["read of an unmodelled", "pc=0x4", "el=3", "pas=Root", "pa=0x10000000", "cpu=0"] {
        assert!(hits[0].contains(field), "{field} missing from {:?}", hits[0]);
    }
}
