//! Boots the built-in granule protection fault demo (rme-firmware-stubs
//! `gpf_demo`, `rme-emu boot --demo gpf`) on the FVP machine: through the
//! library with the UARTs captured, checking the exact console and the
//! power-off, the GPT the guest built, and that the demo's own checks do
//! catch a wrong fault; and through the binary as a user runs it.

use rme_devices::BufferSink;
use rme_emu::images::Demo;
use rme_emu::{Image, Machine, MachineConfig, RunSummary, Stop, UartSinks};
use rme_firmware_stubs::gpf_demo::{self as demo, GPF_DEMO_FAILURE_LINE, GPF_DEMO_LINES};
use rme_mmu::gpc::{GpcFeatures, Gpccr, Gpi, Gptbr, gpt_walk};
use std::process::Command;

/// The demo is ~60k instructions; the limit only turns a hang into a failure.
const LIMIT: u64 = 50_000_000;

fn machine(config: &MachineConfig) -> (Machine, BufferSink) {
    let console = BufferSink::new();
    let m = Machine::new(config, UartSinks::each(|_| Box::new(console.clone()))).unwrap();
    (m, console)
}

fn boot(config: &MachineConfig) -> (Machine, RunSummary, String) {
    let (mut m, console) = machine(config);
    m.load_demo(Demo::Gpf).unwrap();
    let summary = m.run(Some(LIMIT));
    (m, summary, console.text())
}

/// Boots the demo with the instruction word at `symbol` replaced by `word`.
fn boot_patched(symbol: &str, word: u32) -> (RunSummary, String) {
    let fw = rme_firmware_stubs::gpf_demo();
    let mut bytes = fw.bytes.clone();
    let at = usize::try_from(fw.symbol(symbol).unwrap() - fw.load_addr).unwrap();
    bytes[at..at + 4].copy_from_slice(&word.to_le_bytes());
    let (mut m, console) = machine(&MachineConfig::default());
    m.load_images(&[Image::builtin("gpf-demo-patched", fw.load_addr, bytes)])
        .unwrap();
    m.cpus_mut()[0].state.pc = fw.entry;
    let summary = m.run(Some(LIMIT));
    (summary, console.text())
}

#[test]
fn gpf_demo_prints_the_expected_lines_and_powers_off() {
    let (_, summary, text) = boot(&MachineConfig::default());
    assert!(
        !text.contains(GPF_DEMO_FAILURE_LINE),
        "the demo reported a failure:\n{text}"
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines, GPF_DEMO_LINES, "console:\n{text}");
    assert!(text.ends_with('\n'));
    assert_eq!(summary.stop, Stop::PowerOff, "console:\n{text}");
    assert_eq!(Demo::Gpf.expected_lines(), GPF_DEMO_LINES);
}

#[test]
fn gpf_demo_builds_the_documented_gpt_in_guest_memory() {
    let (m, summary, text) = boot(&MachineConfig::default());
    assert_eq!(summary.stop, Stop::PowerOff, "{text}");
    let bus = m.bus();
    let word = |pa: u64| bus.read(pa, 8, rme_mmu::AccessAttrs::host()).unwrap();
    for i in 0..demo::L0_ENTRIES {
        assert_eq!(
            word(demo::GPT_L0_BASE + 8 * i),
            demo::gpt_l0_entry(i),
            "L0 entry {i}"
        );
    }
    for i in 0..demo::L1_ENTRIES {
        assert_eq!(
            word(demo::GPT_L1_BASE + 8 * i),
            demo::gpt_l1_entry(i),
            "L1 entry {i}"
        );
    }
    assert_eq!(word(demo::REALM_GRANULE), demo::REALM_SECRET);

    // Walked by rme-mmu's GPT walk, with the registers the guest programmed.
    let gpccr = Gpccr::decode(demo::GPCCR_VALUE, GpcFeatures::FVP);
    assert!(gpccr.gpc && gpccr.registers_consistent(48));
    let gptbr = Gptbr::decode(demo::GPTBR_VALUE);
    for (pa, gpi, level) in [
        (0x0, Gpi::Any, 0),
        (0x1c09_0000, Gpi::Any, 0),
        (0x8000_0000, Gpi::NonSecure, 1),
        (0x8010_0000, Gpi::Root, 1),
        (0x8011_f000, Gpi::Root, 1),
        (0x8012_0000, Gpi::NonSecure, 1),
        (0x801f_f000, Gpi::NonSecure, 1),
        (demo::REALM_GRANULE, Gpi::Realm, 1),
        (demo::REALM_GRANULE + 0xfff, Gpi::Realm, 1),
        (demo::REALM_GRANULE + 0x1000, Gpi::NonSecure, 1),
        (0x8040_0000, Gpi::NonSecure, 1),
        (0xbfff_f000, Gpi::NonSecure, 1),
        (0xc000_0000, Gpi::Any, 0),
        (0x8_8000_0000, Gpi::Any, 0),
    ] {
        let e = gpt_walk(bus, &gpccr, gptbr, pa).unwrap_or_else(|f| panic!("{pa:#x}: {f}"));
        assert_eq!((e.gpi, e.level), (gpi, level), "{pa:#x}");
    }
    // Granules descriptors in the first 4 MB, 2 MB contiguous ones after.
    assert_eq!(
        gpt_walk(bus, &gpccr, gptbr, 0x8020_1000)
            .unwrap()
            .contig_bits,
        12
    );
    assert_eq!(
        gpt_walk(bus, &gpccr, gptbr, 0x8040_0000)
            .unwrap()
            .contig_bits,
        21
    );
}

#[test]
fn gpf_demo_is_deterministic_and_independent_of_smp() {
    let (_, a, ta) = boot(&MachineConfig::default());
    let (_, b, tb) = boot(&MachineConfig::default());
    let (_, c, tc) = boot(&MachineConfig {
        smp: 4,
        memory: 4 << 30,
        ..MachineConfig::default()
    });
    assert_eq!((ta.as_str(), a.retired), (tb.as_str(), b.retired));
    assert_eq!((ta.as_str(), a.retired), (tc.as_str(), c.retired));
    assert_eq!(c.stop, Stop::PowerOff);
}

#[test]
fn a_wrong_fault_address_is_reported_as_a_failure() {
    // ldr x7, [x6, #8]: the same granule, so still a GPF, but FAR_EL3 is
    // not the address the demo expects.
    let (summary, text) = boot_patched("non_secure_el2_load", 0xf940_04c7);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[..4], GPF_DEMO_LINES[..4], "{text}");
    assert_eq!(
        lines[4],
        "Root EL3: GPF from Non-secure EL2: ESR_EL3=0x000000007a034028 MFAR_EL3=0x8000000080200000 \
         FAR_EL3=0x0000000080200008"
    );
    assert!(
        lines[5].starts_with("Root EL3: FAILED: expected ESR_EL3=0x7a034028"),
        "{text}"
    );
    assert_eq!(lines[6..], [GPF_DEMO_FAILURE_LINE], "{text}");
    assert_eq!(summary.stop, Stop::PowerOff);
}

#[test]
fn a_load_the_gpc_does_not_stop_is_reported_as_a_failure() {
    // `msr GPCCR_EL3, x0` replaced by NOP: the check stays off.
    let fw = rme_firmware_stubs::gpf_demo();
    let start = fw.symbol("enable_gpc").unwrap();
    let msr = (start..fw.symbol("enter_non_secure_el2").unwrap())
        .step_by(4)
        .find(|&a| fw.word_at(a) == Some(0xd51e_21c0))
        .unwrap();
    let bytes = {
        let mut b = fw.bytes.clone();
        b[msr as usize..msr as usize + 4].copy_from_slice(&0xd503_201fu32.to_le_bytes());
        b
    };
    let (mut m, console) = machine(&MachineConfig::default());
    m.load_images(&[Image::builtin("gpf-demo-no-gpc", 0, bytes)])
        .unwrap();
    let summary = m.run(Some(LIMIT));
    let text = console.text();
    assert!(
        text.contains("Non-secure EL2: the load was not stopped: read 0x5245414c4d444154\n"),
        "{text}"
    );
    assert!(
        text.ends_with(&format!(
            "Root EL3: FAILED: the Non-secure load from the Realm granule was not stopped\n{GPF_DEMO_FAILURE_LINE}\n"
        )),
        "{text}"
    );
    assert_eq!(summary.stop, Stop::PowerOff);
}

#[test]
fn cli_boot_demo_gpf_exits_0_with_the_demo_on_stdout() {
    let o = Command::new(env!("CARGO_BIN_EXE_rme-emu"))
        .args(["boot", "--demo", "gpf"])
        .env_remove("RME_LOG")
        .output()
        .expect("run rme-emu");
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "stdout:\n{out}\nstderr:\n{err}");
    let expected: String = GPF_DEMO_LINES.iter().map(|l| format!("{l}\n")).collect();
    assert_eq!(out, expected);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "stderr should be just the summary: {err}");
    assert!(lines[0].starts_with("rme-emu: power-off: "), "{err}");
}
