//! The `rme-emu` binary: parses the command line, sets up logging and
//! Ctrl-C, builds the FVP machine, loads the images, runs, and prints one
//! summary line. Exit codes: see [`rme_emu::cli::EXIT_CODES_HELP`].
#![forbid(unsafe_code)]

use clap::Parser;
use rme_emu::cli::{BootArgs, Cli, Command};
use rme_emu::console::{self, Console};
use rme_emu::platform::fvp_memory_map::PlatformError;
use rme_emu::stop::{EXIT_BAD_INPUT, EXIT_EMULATOR_STOP};
use rme_emu::{Machine, MachineConfig, boot_plan, images};
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use tracing_subscriber::filter::{EnvFilter, LevelFilter};

fn main() -> ExitCode {
    // Usage errors exit with code 2 (clap's convention, ours too).
    let cli = Cli::parse();
    init_logging();
    let interrupt = install_ctrl_c();
    let code = match cli.command {
        Command::Boot(args) => boot(&args, interrupt),
    };
    ExitCode::from(code as u8)
}

/// `RME_LOG` is the filter (e.g. `platform=debug,cpu=trace`); default
/// `warn`. Logs go to stderr so stdout carries only the guest's UARTs.
fn init_logging() {
    let filter = EnvFilter::builder()
        .with_default_directive(LevelFilter::WARN.into())
        .with_env_var("RME_LOG")
        .from_env_lossy();
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .init();
}

/// First Ctrl-C: the run stops cleanly at the end of the current quantum
/// (exit 130 with the summary); a second one (flag already set) exits at
/// once with 130.
fn install_ctrl_c() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let registered = signal_hook::flag::register_conditional_shutdown(
        signal_hook::consts::SIGINT,
        130,
        flag.clone(),
    )
    .and_then(|_| signal_hook::flag::register(signal_hook::consts::SIGINT, flag.clone()));
    if let Err(e) = registered {
        tracing::warn!(target: "platform", "cannot install the Ctrl-C handler: {e}");
    }
    flag
}

fn error(msg: impl std::fmt::Display) {
    eprintln!("rme-emu: error: {msg}");
}

fn boot(args: &BootArgs, interrupt: Arc<AtomicBool>) -> i32 {
    let plan = match boot_plan::resolve(args) {
        Ok(p) => p,
        Err(e) => {
            error(e);
            return EXIT_BAD_INPUT;
        }
    };
    if let Some(line) = plan.ignored_line() {
        eprintln!("rme-emu: {line}");
    }
    // Read every image before building anything: bad input fails fast.
    let imgs = match images::read_boot_images(&plan) {
        Ok(i) => i,
        Err(e) => {
            error(e);
            return EXIT_BAD_INPUT;
        }
    };
    let console = Console::stdout();
    let sinks = match console::open_sinks(&plan.uarts, &console) {
        Ok(s) => s,
        Err(e) => {
            error(e);
            return EXIT_BAD_INPUT;
        }
    };
    // Real firmware (--bl1) expects every PE out of reset, as FVP does.
    let config = MachineConfig {
        cluster_cores: Some(plan.cluster_cores),
        memory: plan.memory,
        rvbar: plan.rvbar.clone(),
        startup: Some(plan.startup.clone()),
        ..MachineConfig::default()
    };
    let mut machine = match Machine::new(&config, sinks) {
        Ok(m) => m,
        Err(e @ PlatformError::MemorySize { .. }) => {
            error(e);
            return EXIT_BAD_INPUT;
        }
        Err(e) => {
            error(format_args!("cannot build the machine: {e}"));
            return EXIT_EMULATOR_STOP;
        }
    };
    if let Err(e) = machine.load_images(&imgs.images) {
        error(e);
        return EXIT_BAD_INPUT;
    }
    for &(cpu, pc) in &imgs.entries {
        machine.set_entry(cpu, pc);
    }
    if plan.runs_demo() {
        // The trusted ROM holds the built-in demo unless --bl1 replaces it.
        tracing::info!(target: "platform", demo = plan.demo.name(), "no --bl1: the trusted ROM holds a built-in demo");
        if let Err(e) = machine.load_demo(plan.demo) {
            error(e);
            return EXIT_EMULATOR_STOP;
        }
    }

    machine.set_interrupt_flag(interrupt);
    // Typing at the terminal reaches UART0 when it is on stdio.
    if plan.uarts[0] == console::UartTarget::Stdio
        && let Some(input) = console::ConsoleInput::from_stdin_terminal() {
            machine.set_console_input(input);
        }

    let summary = machine.run(plan.max_insns);
    machine.flush_consoles();
    console.flush();
    let _ = std::io::stdout().flush();
    eprintln!("rme-emu: {summary}");
    summary.stop.exit_code()
}
