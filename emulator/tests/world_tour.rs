//! Boots the built-in world tour (rme-firmware-stubs) on the FVP machine
//! through the library, with the UARTs captured, and checks its console:
//! one line from each of Root EL3, Secure EL1, Realm EL2 and Non-secure
//! EL2, in order, then a power-off.

use rme_devices::BufferSink;
use rme_emu::{Machine, MachineConfig, Stop, UartSinks};
use rme_firmware_stubs::{WORLD_TOUR_FAILURE_LINE, WORLD_TOUR_LINES};

fn boot(config: &MachineConfig) -> (rme_emu::RunSummary, String) {
    let console = BufferSink::new();
    let mut m = Machine::new(config, UartSinks::each(|_| Box::new(console.clone()))).unwrap();
    m.load_world_tour().unwrap();
    // The tour is a few thousand instructions; the limit only guards
    // against a hang turning into a test that never ends.
    let summary = m.run(Some(50_000_000));
    (summary, console.text())
}

#[test]
fn world_tour_visits_every_state_and_powers_off() {
    let (summary, text) = boot(&MachineConfig::default());
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        !text.contains(WORLD_TOUR_FAILURE_LINE),
        "the tour reported a failure:\n{text}"
    );
    assert_eq!(lines, WORLD_TOUR_LINES, "console:\n{text}");
    assert_eq!(summary.stop, Stop::PowerOff, "console:\n{text}");

    // One line from each security state, in the tour's order.
    let mut from = 0;
    for prefix in [
        "Root EL3: ",
        "Secure EL1: ",
        "Realm EL2: ",
        "Non-secure EL2: ",
    ] {
        let at = lines[from..]
            .iter()
            .position(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line from {prefix:?} after line {from}:\n{text}"));
        from += at + 1;
    }
    assert!(summary.retired > 0);
}

#[test]
fn world_tour_is_deterministic_and_independent_of_smp_and_memory() {
    let (a, ta) = boot(&MachineConfig::default());
    let (b, tb) = boot(&MachineConfig::default());
    let (c, tc) = boot(&MachineConfig {
        smp: 8,
        memory: 16 << 30,
        ..MachineConfig::default()
    });
    assert_eq!((ta.as_str(), a.retired), (tb.as_str(), b.retired));
    assert_eq!((ta.as_str(), a.retired), (tc.as_str(), c.retired));
    assert_eq!(c.stop, Stop::PowerOff);
}
