//! The command line of `rme-emu` (clap derive).
//!
//! ```text
//! rme-emu boot [--demo world-tour|gpf] [--bl1 FILE] [--fip FILE]
//!              [--kernel FILE] [--dtb FILE] [--initrd FILE] [--append ARGS]
//!              [--data [INSTANCE=]FILE@ADDR]... [--uart N=TARGET]...
//!              [-C NAME=VALUE]... [-f FILE] [--smp N] [--memory SIZE]
//!              [--max-insns N]
//! ```
//!
//! `-C`, `-f` and `--data` take FVP's spellings (see
//! [`crate::fvp_parameters`]); [`crate::boot_plan`] merges them with the
//! native options.
//!
//! Without `--bl1` the trusted ROM holds a built-in firmware-stubs demo:
//! the world tour, or the one `--demo` names. The exit codes are listed in [`EXIT_CODES_HELP`] and printed by
//! `--help`.

use crate::console::{UartRoute, parse_uart_route};
use crate::fvp_parameters::{Application, DataLoad, FvpParameter, parse_application, parse_data, parse_parameter};
pub use crate::images::Demo;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// The exit codes, as `--help` shows them.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0    the guest powered the system off (or requested a reboot)
  1    the emulator stopped: the guest needs a feature not implemented yet,
       or every CPU sleeps in WFI/WFE with nothing that can wake it
  2    bad input: unknown option, missing/unreadable/empty image, image
       larger than its region, overlapping images, bad --memory/--smp
  3    --max-insns reached
  130  interrupted (Ctrl-C)

Logging: RME_LOG selects tracing targets and levels (default: warn), e.g.
  RME_LOG=platform=debug,cpu=trace rme-emu boot
Logs go to stderr, guest UART output to stdout; one summary line
(reason, retired instructions, wall time, MIPS) ends every run on stderr.";

/// rme-emu: a full-system emulator of Arm's FVP Base RevC with RME.
#[derive(Debug, Parser)]
#[command(name = "rme-emu", version, about, after_help = EXIT_CODES_HELP, arg_required_else_help = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Boot the FVP Base RevC platform (a built-in demo, the world tour by
    /// default, when no --bl1 is given).
    #[command(after_help = EXIT_CODES_HELP)]
    Boot(BootArgs),
}

/// Arguments of `rme-emu boot`.
#[derive(Debug, Clone, Args)]
pub struct BootArgs {
    /// Built-in firmware-stubs demo in the trusted ROM when no --bl1 is
    /// given: world-tour (the four security states) or gpf (a granule
    /// protection fault, taken to EL3 then to EL2).
    #[arg(long, value_enum, value_name = "NAME", default_value_t = Demo::WorldTour)]
    pub demo: Demo,

    /// BL1 image, loaded into the trusted boot ROM at 0x0 (replaces the
    /// built-in demo). FVP: bp.secureflashloader.fname.
    #[arg(long, value_name = "FILE")]
    pub bl1: Option<PathBuf>,

    /// FIP image, loaded into NOR flash0 at 0x0800_0000.
    /// FVP: bp.flashloader0.fname.
    #[arg(long, value_name = "FILE")]
    pub fip: Option<PathBuf>,

    /// Kernel (or other BL33) image, preloaded in DRAM at 0x8400_0000.
    #[arg(long, value_name = "FILE")]
    pub kernel: Option<PathBuf>,

    /// Device tree blob, preloaded in DRAM at 0x8200_0000.
    #[arg(long, value_name = "FILE")]
    pub dtb: Option<PathBuf>,

    /// Initramfs, preloaded in DRAM at 0x9000_0000 (with --dtb, its range
    /// is written into /chosen as linux,initrd-start/end).
    #[arg(long, value_name = "FILE")]
    pub initrd: Option<PathBuf>,

    /// Kernel command line, written into the --dtb's /chosen as bootargs.
    #[arg(long, value_name = "ARGS", requires = "dtb")]
    pub append: Option<String>,

    /// Load FILE at physical address ADDR before the CPUs start (FVP:
    /// --data cluster0.cpu0=FILE@ADDR). Repeatable.
    #[arg(long, value_name = "[INSTANCE=]FILE@ADDR", value_parser = parse_data)]
    pub data: Vec<DataLoad>,

    /// Load an AArch64 ELF file at its segments' physical addresses and
    /// start the named CPUs (all when no INSTANCE; clusterN.cpuM,
    /// clusterN.cpu*, *) at its entry point (FVP: -a). Repeatable.
    #[arg(short = 'a', long = "application", value_name = "[INSTANCE=]FILE", value_parser = parse_application)]
    pub applications: Vec<Application>,

    /// Where UART N's output goes: stdio (default; tagged per UART once a
    /// second one speaks), file:PATH, or null. Repeatable.
    #[arg(long = "uart", value_name = "N=TARGET", value_parser = parse_uart_route)]
    pub uarts: Vec<UartRoute>,

    /// FVP model parameter, e.g. -C bp.secureflashloader.fname=bl1.bin,
    /// -C bp.flashloader0.fname=fip.bin, -C bp.pl011_uart1.out_file=F,
    /// -C bp.dram_size=4, -C cluster0.NUM_CORES=4. Unknown names are listed
    /// once as ignored. Repeatable.
    #[arg(short = 'C', long = "parameter", value_name = "NAME=VALUE", value_parser = parse_parameter)]
    pub parameters: Vec<FvpParameter>,

    /// FVP configuration file: one NAME=VALUE per line, # comments.
    #[arg(short = 'f', long = "config-file", value_name = "FILE")]
    pub config_file: Option<PathBuf>,

    /// Number of CPUs (1-8; FVP layout: 4 cores per cluster) [default: 8
    /// with real firmware (--bl1, -a), 1 for the built-in demos]. Only CPU 0
    /// leaves reset (FVP pctl.startup=0.0.0.0); the firmware starts the
    /// others through the power controller (PSCI CPU_ON).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=8))]
    pub smp: Option<u32>,

    /// DRAM size (e.g. 2G, 512M, 4096K, 3G) [default: 4G, as FVP]: the first 2 GiB
    /// at 0x8000_0000, the rest (up to 30 GiB) at 0x8_8000_0000.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub memory: Option<u64>,

    /// Stop after N retired instructions (exit code 3). Exceptions taken
    /// without retiring an instruction count too, so a guest stuck in an
    /// exception loop also stops.
    #[arg(long, value_name = "N")]
    pub max_insns: Option<u64>,
}

impl BootArgs {
    /// True when no image was given (only the built-in demo boots).
    pub fn no_images(&self) -> bool {
        self.bl1.is_none()
            && self.fip.is_none()
            && self.kernel.is_none()
            && self.dtb.is_none()
            && self.initrd.is_none()
            && self.data.is_empty()
            && self.applications.is_empty()
            && self.parameters.is_empty()
            && self.config_file.is_none()
    }
}

/// Parses a size: a number with an optional binary suffix
/// `K`/`M`/`G`/`T` (`KiB`, `KB`, ... are accepted too), e.g. `2G`, `512M`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, suffix) = t.split_at(split);
    if num.is_empty() {
        return Err(format!("`{s}` is not a size (expected e.g. 2G, 512M)"));
    }
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a size (expected e.g. 2G, 512M)"))?;
    let shift = match suffix.to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        "T" | "TB" | "TIB" => 40,
        _ => {
            return Err(format!(
                "`{s}`: unknown size suffix `{suffix}` (use K, M, G or T)"
            ));
        }
    };
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("`{s}` is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("4096k"), Ok(4 << 20));
        assert_eq!(parse_size("3GiB"), Ok(3 << 30));
        assert_eq!(parse_size("65536"), Ok(65536));
        assert!(parse_size("").is_err());
        assert!(parse_size("G").is_err());
        assert!(parse_size("2X").is_err());
        assert!(parse_size("99999999999T").is_err());
    }

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn demo_names() {
        for (name, demo) in [("world-tour", Demo::WorldTour), ("gpf", Demo::Gpf)] {
            let cli = Cli::try_parse_from(["rme-emu", "boot", "--demo", name]).unwrap();
            let Command::Boot(b) = cli.command;
            assert_eq!(b.demo, demo);
            assert_eq!(demo.name(), name);
        }
        let e = Cli::try_parse_from(["rme-emu", "boot", "--demo", "nope"]).unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::InvalidValue);
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn defaults() {
        let cli = Cli::try_parse_from(["rme-emu", "boot"]).unwrap();
        let Command::Boot(b) = cli.command;
        assert_eq!(b.smp, None);
        assert_eq!(b.memory, None);
        assert!(b.no_images());
        assert_eq!(b.demo, Demo::WorldTour);
        assert!(Cli::try_parse_from(["rme-emu", "boot", "--smp", "0"]).is_err());
        assert!(Cli::try_parse_from(["rme-emu", "boot", "--bogus"]).is_err());
    }

    #[test]
    fn fvp_spellings() {
        let cli = Cli::try_parse_from([
            "rme-emu",
            "boot",
            "-C",
            "bp.secureflashloader.fname=bl1.bin",
            "-C",
            "bp.flashloader0.fname=fip.bin",
            "--data",
            "cluster0.cpu0=Image@0x84000000",
            "--uart",
            "1=null",
            "--parameter",
            "bp.has_rme=1",
        ])
        .unwrap();
        let Command::Boot(b) = cli.command;
        assert_eq!(b.parameters.len(), 3);
        assert_eq!(b.data.len(), 1);
        assert_eq!(b.uarts.len(), 1);
        assert!(!b.no_images());
        // --append needs --dtb; a -C without = is a usage error.
        assert!(Cli::try_parse_from(["rme-emu", "boot", "--append", "x"]).is_err());
        assert!(Cli::try_parse_from(["rme-emu", "boot", "-C", "novalue"]).is_err());
        assert!(Cli::try_parse_from(["rme-emu", "boot", "--uart", "7=stdio"]).is_err());
    }
}
