//! Why a machine stopped, and the process exit code of each reason.
//!
//! | reason                          | exit code |
//! |---------------------------------|-----------|
//! | guest power-off                 | 0         |
//! | guest reboot request            | 0         |
//! | emulator stop (unimplemented feature, every CPU asleep for ever) | 1 |
//! | bad input (images, options)     | 2 (decided by the CLI, not here) |
//! | `--max-insns` reached           | 3         |
//! | interrupted (Ctrl-C)            | 130       |

use std::fmt;
use std::time::Duration;

/// Exit code of a run the guest ended (power-off, reboot request).
pub const EXIT_GUEST: i32 = 0;
/// Exit code of an emulator stop (unimplemented feature, deadlock).
pub const EXIT_EMULATOR_STOP: i32 = 1;
/// Exit code of bad input: options, image files.
pub const EXIT_BAD_INPUT: i32 = 2;
/// Exit code when `--max-insns` is reached.
pub const EXIT_INSN_LIMIT: i32 = 3;
/// Exit code after Ctrl-C (128 + SIGINT).
pub const EXIT_INTERRUPTED: i32 = 130;

/// Why [`crate::Machine::run`] returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The guest asked the platform to power off (V2M SYS_CFGCTRL shutdown).
    PowerOff,
    /// The guest asked the platform to reboot (V2M SYS_CFGCTRL reboot).
    /// Reported, not performed.
    Reboot,
    /// The instruction limit was reached.
    InstructionLimit,
    /// The host asked the run to stop (Ctrl-C).
    Interrupted,
    /// A CPU needs something rme-emu does not implement yet.
    Unimplemented {
        cpu: u32,
        pc: u64,
        word: u32,
        what: &'static str,
    },
    /// Every CPU waits (WFI/WFE/off) and nothing modelled can wake one.
    AllHalted,
}

impl Stop {
    /// The process exit code of this stop.
    pub fn exit_code(&self) -> i32 {
        match self {
            Stop::PowerOff | Stop::Reboot => EXIT_GUEST,
            Stop::InstructionLimit => EXIT_INSN_LIMIT,
            Stop::Interrupted => EXIT_INTERRUPTED,
            Stop::Unimplemented { .. } | Stop::AllHalted => EXIT_EMULATOR_STOP,
        }
    }
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stop::PowerOff => f.write_str("power-off"),
            Stop::Reboot => f.write_str("reboot requested"),
            Stop::InstructionLimit => f.write_str("instruction limit reached"),
            Stop::Interrupted => f.write_str("interrupted"),
            Stop::Unimplemented {
                cpu,
                pc,
                word,
                what,
            } => {
                write!(
                    f,
                    "not implemented: {what} (CPU {cpu}, PC {pc:#x}, instruction word {word:#010x})"
                )
            }
            Stop::AllHalted => f.write_str("all CPUs halted in WFI/WFE with no wake-up source"),
        }
    }
}

/// The result of a run: why it stopped, how much it did, how long it took.
#[derive(Clone, Debug)]
pub struct RunSummary {
    pub stop: Stop,
    /// Instructions retired by all CPUs during the run.
    pub retired: u64,
    /// Wall time of the run loop.
    pub elapsed: Duration,
}

impl RunSummary {
    /// Millions of instructions per second of wall time.
    pub fn mips(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 {
            self.retired as f64 / s / 1e6
        } else {
            0.0
        }
    }
}

impl fmt::Display for RunSummary {
    /// `<reason>: <N> instructions retired in <T> s (<M> MIPS)`; T has
    /// microsecond precision under a second, milliseconds above.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.elapsed.as_secs_f64();
        let prec = if secs < 1.0 { 6 } else { 3 };
        write!(
            f,
            "{}: {} instructions retired in {secs:.prec$} s ({:.1} MIPS)",
            self.stop,
            self.retired,
            self.mips()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        assert_eq!(Stop::PowerOff.exit_code(), 0);
        assert_eq!(Stop::Reboot.exit_code(), 0);
        assert_eq!(Stop::InstructionLimit.exit_code(), 3);
        assert_eq!(Stop::Interrupted.exit_code(), 130);
        assert_eq!(Stop::AllHalted.exit_code(), 1);
        assert_eq!(
            Stop::Unimplemented {
                cpu: 0,
                pc: 0,
                word: 0,
                what: "x"
            }
            .exit_code(),
            1
        );
    }

    #[test]
    fn summary_line() {
        let s = RunSummary {
            stop: Stop::PowerOff,
            retired: 2_000_000,
            elapsed: Duration::from_secs(2),
        };
        assert_eq!(
            s.to_string(),
            "power-off: 2000000 instructions retired in 2.000 s (1.0 MIPS)"
        );
        let s = RunSummary {
            stop: Stop::InstructionLimit,
            retired: 1000,
            elapsed: Duration::from_micros(250),
        };
        assert_eq!(
            s.to_string(),
            "instruction limit reached: 1000 instructions retired in 0.000250 s (4.0 MIPS)"
        );
    }
}
