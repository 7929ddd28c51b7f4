//! FVP-style model parameters (`-C NAME=VALUE`, `-f FILE`) and `--data`,
//! so that an FVP user's command line works with the binary name changed:
//!
//! ```text
//! FVP_Base_RevC-2xAEMvA -C bp.secureflashloader.fname=bl1.bin \
//!     -C bp.flashloader0.fname=fip.bin -C bp.pl011_uart1.out_file=uart1.log \
//!     --data cluster0.cpu0=Image@0x84000000 ...
//! rme-emu boot          -C bp.secureflashloader.fname=bl1.bin ...
//! ```
//!
//! Each known parameter either sets the matching `rme-emu` option
//! ([`ParameterEffect`]) or states what this model always does (e.g.
//! `bp.has_rme=1`). Every other name is ignored and listed once, on one
//! line, so a user sees which of their settings have no effect here.
//! A parameter that contradicts what is modelled (e.g. `bp.has_rme=0`) is
//! an error rather than silently ignored.

use crate::console::{UartRoute, UartTarget};
use std::path::PathBuf;

/// One `-C NAME=VALUE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FvpParameter {
    pub name: String,
    pub value: String,
}

/// Parses `NAME=VALUE` (as `-C` takes it).
pub fn parse_parameter(s: &str) -> Result<FvpParameter, String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}`: expected NAME=VALUE"))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("`{s}`: empty parameter name"));
    }
    Ok(FvpParameter {
        name: name.to_string(),
        value: unquote(value.trim()).to_string(),
    })
}

fn unquote(v: &str) -> &str {
    v.strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(v)
}

/// Reads an FVP configuration file (`-f FILE`): one `NAME=VALUE` per line,
/// `#` starts a comment, blank lines are skipped.
pub fn read_config_file(path: &std::path::Path) -> Result<Vec<FvpParameter>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read -f {}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        out.push(
            parse_parameter(line)
                .map_err(|e| format!("-f {} line {}: {e}", path.display(), n + 1))?,
        );
    }
    Ok(out)
}

/// One `--data [INSTANCE=]FILE@ADDR`: a file loaded at a physical address
/// before the CPUs start (FVP: `--data cluster0.cpu0=FILE@ADDR`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataLoad {
    /// The FVP component instance (`cluster0.cpu0`); all CPUs share one
    /// physical address space here, so it only has to be well-formed.
    pub instance: Option<String>,
    pub path: PathBuf,
    pub addr: u64,
}

/// Parses `[INSTANCE=]FILE@ADDR` (ADDR decimal or 0x-hex).
pub fn parse_data(s: &str) -> Result<DataLoad, String> {
    let (instance, rest) = match s.split_once('=') {
        Some((i, r)) if !i.contains('@') && !i.contains('/') => (Some(i.trim().to_string()), r),
        _ => (None, s),
    };
    let (file, addr) = rest.rsplit_once('@').ok_or_else(|| {
        format!("`{s}`: expected [INSTANCE=]FILE@ADDR, e.g. cluster0.cpu0=Image@0x84000000")
    })?;
    if file.is_empty() {
        return Err(format!("`{s}`: no file name before @"));
    }
    if let Some(i) = &instance
        && !is_cpu_instance(i) {
            return Err(format!(
                "`{s}`: `{i}` is not a CPU instance (clusterN.cpuM)"
            ));
        }
    Ok(DataLoad {
        instance,
        path: PathBuf::from(file),
        addr: parse_u64(addr).map_err(|e| format!("`{s}`: {e}"))?,
    })
}

/// `clusterN.cpuM`, optionally under the model's name
/// (`FVP_Base_RevC_2xAEMvA.cluster0.cpu0`).
fn is_cpu_instance(i: &str) -> bool {
    cpu_instance(i).is_some()
}

/// `(N, M)` of `[MODEL.]clusterN.cpuM`.
pub fn cpu_instance(i: &str) -> Option<(u32, u32)> {
    let mut parts = i.rsplit('.');
    let core = parts.next()?.strip_prefix("cpu").filter(|d| all_digits(d))?.parse().ok()?;
    let cluster = parts.next()?.strip_prefix("cluster").filter(|d| all_digits(d))?.parse().ok()?;
    Some((cluster, core))
}

/// One `Aff3.Aff2.Aff1.Aff0` pattern of `pctl.startup` (`*` = any); with
/// FVP's MPIDR.MT = 1 layout Aff2 is the cluster, Aff1 the core.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AffinityPattern(pub [Option<u8>; 4]);

impl AffinityPattern {
    /// Whether the PE with MPIDR `mpidr` matches.
    pub fn matches(&self, mpidr: u64) -> bool {
        let affs = [(mpidr >> 32) as u8, (mpidr >> 16) as u8, (mpidr >> 8) as u8, mpidr as u8];
        self.0.iter().zip(affs).all(|(p, a)| p.is_none_or(|p| p == a))
    }
}

/// Parses `pctl.startup`: comma-separated `a.b.c.d` patterns, each field a
/// number or `*` (FVP: "0.0.0.0" = only cluster 0 core 0, "0.0.*.*" = the
/// cores of cluster 0, "0.*.*.*" = every PE).
pub fn parse_startup(v: &str) -> Result<Vec<AffinityPattern>, String> {
    let mut out = Vec::new();
    for item in v.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let fields: Vec<&str> = item.split('.').collect();
        if fields.len() != 4 {
            return Err(format!("-C pctl.startup={v}: `{item}` is not Aff3.Aff2.Aff1.Aff0 (e.g. 0.0.0.0, 0.0.*.*)"));
        }
        let mut pat = [None; 4];
        for (slot, f) in pat.iter_mut().zip(&fields) {
            *slot = match *f {
                "*" => None,
                n => Some(n.parse::<u8>().map_err(|_| format!("-C pctl.startup={v}: `{n}` is not an affinity (0-255 or *)"))?),
            };
        }
        out.push(AffinityPattern(pat));
    }
    if out.is_empty() {
        return Err(format!("-C pctl.startup={v}: no PE named"));
    }
    Ok(out)
}

/// Which CPUs an `-a` application is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpuSelection {
    /// No instance, `*` or `clusterN.cpu*`-style wildcards covering all.
    All,
    Cluster(u32),
    Cpu { cluster: u32, core: u32 },
}

/// One `-a [INSTANCE=]FILE` (FVP `--application`): an ELF file loaded at
/// its segments' physical addresses; the selected CPUs start at its entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Application {
    pub cpus: CpuSelection,
    pub path: PathBuf,
}

/// Parses `[INSTANCE=]FILE` with INSTANCE `clusterN.cpuM`, `clusterN.cpu*`
/// or `*` (all CPUs, as no instance).
pub fn parse_application(s: &str) -> Result<Application, String> {
    let (cpus, file) = match s.split_once('=') {
        Some((inst, file)) if !inst.contains('/') => {
            let inst = inst.trim();
            let last_two: Vec<&str> = inst.rsplit('.').take(2).collect();
            let sel = if inst == "*" {
                CpuSelection::All
            } else if let Some((cluster, core)) = cpu_instance(inst) {
                CpuSelection::Cpu { cluster, core }
            } else if let [p, c] = last_two.as_slice() {
                match (c.strip_prefix("cluster").filter(|d| all_digits(d)), *p) {
                    (Some(n), "cpu*") => CpuSelection::Cluster(n.parse().map_err(|_| format!("`{s}`: bad cluster"))?),
                    (None, "cpu*") if *c == "cluster*" => CpuSelection::All,
                    _ => return Err(format!("`{s}`: `{inst}` is not a CPU instance (clusterN.cpuM, clusterN.cpu*, *)")),
                }
            } else {
                return Err(format!("`{s}`: `{inst}` is not a CPU instance (clusterN.cpuM, clusterN.cpu*, *)"));
            };
            (sel, file)
        }
        _ => (CpuSelection::All, s),
    };
    if file.is_empty() {
        return Err(format!("`{s}`: no file name"));
    }
    Ok(Application { cpus, path: PathBuf::from(file) })
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// A number as FVP writes them: decimal or `0x` hex (`_` allowed).
pub fn parse_u64(s: &str) -> Result<u64, String> {
    let t = s.trim().replace('_', "");
    let r = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16),
        None => t.parse(),
    };
    r.map_err(|_| format!("`{s}` is not a number"))
}

fn parse_bool(p: &FvpParameter) -> Result<bool, String> {
    match p.value.as_str() {
        "1" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "false" | "FALSE" | "False" => Ok(false),
        v => Err(format!("-C {}={v}: expected 0/1 or true/false", p.name)),
    }
}

/// What a known parameter does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParameterEffect {
    /// `bp.secureflashloader.fname`: the `--bl1` image.
    Bl1(PathBuf),
    /// `bp.flashloader0.fname`: the `--fip` image.
    Fip(PathBuf),
    /// `bp.pl011_uartN.out_file`: UART N's output (`-` = standard output).
    Uart(UartRoute),
    /// `bp.dram_size` (GiB): `--memory`.
    Memory(u64),
    /// `clusterN.NUM_CORES`.
    ClusterCores { cluster: usize, cores: u32 },
    /// `clusterN.cpuM.RVBAR` (or `RVBARADDR`): the PE's reset address
    /// (RVBAR_EL3), e.g. for a `RESET_TO_BL31` build loaded with `--data`.
    Rvbar { cluster: u32, core: u32, addr: u64 },
    /// `pctl.startup`: the PEs that leave reset running.
    Startup(Vec<AffinityPattern>),
    /// Asks for what this model always does (RME on, exit on shutdown,
    /// no visualisation, no telnet terminals, ...): nothing to change.
    AlreadySo,
    /// Not modelled: listed once as ignored.
    Ignored,
}

/// Parameters whose only accepted value states what this model always is.
/// (name, value this model has)
const FIXED: &[(&str, bool)] = &[
    ("bp.has_rme", true),
    ("cluster0.has_rme", true),
    ("cluster1.has_rme", true),
    ("bp.ve_sysregs.exit_on_shutdown", true),
    ("bp.vis.disable_visualisation", true),
    ("bp.terminal_0.start_telnet", false),
    ("bp.terminal_1.start_telnet", false),
    ("bp.terminal_2.start_telnet", false),
    ("bp.terminal_3.start_telnet", false),
    ("bp.pl011_uart0.unbuffered_output", true),
    ("bp.pl011_uart1.unbuffered_output", true),
    ("bp.pl011_uart2.unbuffered_output", true),
    ("bp.pl011_uart3.unbuffered_output", true),
    ("cluster0.cpu0.semihosting-enable", false),
    ("cache_state_modelled", false),
    ("cluster0.has_arm_v8-4", true),
    ("cluster1.has_arm_v8-4", true),
    ("cluster0.has_arm_v9-2", true),
    ("cluster1.has_arm_v9-2", true),
    ("bp.refcounter.non_arch_start_at_default", true),
    ("cluster0.gicv3.without-DS-support", true),
    ("cluster1.gicv3.without-DS-support", true),
];

/// What `p` does here.
pub fn effect(p: &FvpParameter) -> Result<ParameterEffect, String> {
    let name = p.name.as_str();
    match name {
        "bp.secureflashloader.fname" => return Ok(ParameterEffect::Bl1(PathBuf::from(&p.value))),
        "bp.flashloader0.fname" => return Ok(ParameterEffect::Fip(PathBuf::from(&p.value))),
        "bp.dram_size" => {
            let gib = parse_u64(&p.value).map_err(|e| format!("-C {name}: {e}"))?;
            return gib
                .checked_mul(1 << 30)
                .map(ParameterEffect::Memory)
                .ok_or_else(|| format!("-C {name}: too large"));
        }
        "pctl.startup" => return parse_startup(&p.value).map(ParameterEffect::Startup),
        _ => {}
    }
    if let Some(n) = name
        .strip_prefix("bp.pl011_uart")
        .and_then(|r| r.strip_suffix(".out_file"))
    {
        let index: usize = n.parse().map_err(|_| format!("-C {name}: no such UART"))?;
        if index >= crate::console::UART_COUNT {
            return Err(format!(
                "-C {name}: there is no UART{index} (FVP Base RevC has UART0..UART3)"
            ));
        }
        let target = match p.value.as_str() {
            "-" => UartTarget::Stdio,
            "" => UartTarget::Null,
            f => UartTarget::File(PathBuf::from(f)),
        };
        return Ok(ParameterEffect::Uart(UartRoute { index, target }));
    }
    if let Some(c) = name
        .strip_prefix("cluster")
        .and_then(|r| r.strip_suffix(".NUM_CORES"))
    {
        let cluster: usize = c
            .parse()
            .map_err(|_| format!("-C {name}: no such cluster"))?;
        if cluster > 1 {
            return Err(format!("-C {name}: FVP Base RevC has clusters 0 and 1"));
        }
        let cores = parse_u64(&p.value).map_err(|e| format!("-C {name}: {e}"))?;
        if cores > 4 {
            return Err(format!("-C {name}={cores}: at most 4 cores per cluster"));
        }
        return Ok(ParameterEffect::ClusterCores {
            cluster,
            cores: cores as u32,
        });
    }
    if let Some((inst, field)) = name.rsplit_once('.')
        && (field == "RVBAR" || field == "RVBARADDR") {
            let (cluster, core) = cpu_instance(inst).ok_or_else(|| format!("-C {name}: `{inst}` is not clusterN.cpuM"))?;
            if cluster > 1 || core > 3 {
                return Err(format!("-C {name}: FVP Base RevC has cluster0..1, cpu0..3"));
            }
            let addr = parse_u64(&p.value).map_err(|e| format!("-C {name}: {e}"))?;
            if addr & 3 != 0 {
                return Err(format!("-C {name}={}: the reset address must be 4-byte aligned", p.value));
            }
            return Ok(ParameterEffect::Rvbar { cluster, core, addr });
        }
    if let Some(&(_, modelled)) = FIXED.iter().find(|(n, _)| *n == name) {
        return if parse_bool(p)? == modelled {
            Ok(ParameterEffect::AlreadySo)
        } else {
            Err(format!(
                "-C {name}={}: this model always has {name}={}",
                p.value,
                u8::from(modelled)
            ))
        };
    }
    Ok(ParameterEffect::Ignored)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> FvpParameter {
        parse_parameter(s).unwrap()
    }

    #[test]
    fn parameters_parse() {
        assert_eq!(
            p("bp.x.fname=a=b"),
            FvpParameter {
                name: "bp.x.fname".into(),
                value: "a=b".into()
            }
        );
        assert_eq!(p("a = \"q\"").value, "q");
        assert!(parse_parameter("novalue").is_err());
        assert!(parse_parameter("=1").is_err());
    }

    #[test]
    fn known_parameters() {
        assert_eq!(
            effect(&p("bp.secureflashloader.fname=bl1.bin")),
            Ok(ParameterEffect::Bl1("bl1.bin".into()))
        );
        assert_eq!(
            effect(&p("bp.flashloader0.fname=fip.bin")),
            Ok(ParameterEffect::Fip("fip.bin".into()))
        );
        assert_eq!(
            effect(&p("bp.dram_size=4")),
            Ok(ParameterEffect::Memory(4 << 30))
        );
        assert_eq!(
            effect(&p("bp.pl011_uart3.out_file=u3.log")),
            Ok(ParameterEffect::Uart(UartRoute {
                index: 3,
                target: UartTarget::File("u3.log".into())
            }))
        );
        assert_eq!(
            effect(&p("bp.pl011_uart1.out_file=-")),
            Ok(ParameterEffect::Uart(UartRoute {
                index: 1,
                target: UartTarget::Stdio
            }))
        );
        assert!(effect(&p("bp.pl011_uart4.out_file=x")).is_err());
        assert_eq!(
            effect(&p("cluster1.NUM_CORES=2")),
            Ok(ParameterEffect::ClusterCores {
                cluster: 1,
                cores: 2
            })
        );
        assert!(effect(&p("cluster0.NUM_CORES=5")).is_err());
        assert_eq!(effect(&p("bp.has_rme=1")), Ok(ParameterEffect::AlreadySo));
        assert_eq!(
            effect(&p("bp.ve_sysregs.exit_on_shutdown=1")),
            Ok(ParameterEffect::AlreadySo)
        );
        assert!(
            effect(&p("bp.has_rme=0"))
                .unwrap_err()
                .contains("always has bp.has_rme=1")
        );
        assert_eq!(
            effect(&p("cluster0.has_branch_target_exception=1")),
            Ok(ParameterEffect::Ignored)
        );
    }

    #[test]
    fn data_loads() {
        assert_eq!(
            parse_data("cluster0.cpu0=Image@0x84000000"),
            Ok(DataLoad {
                instance: Some("cluster0.cpu0".into()),
                path: "Image".into(),
                addr: 0x8400_0000
            })
        );
        assert_eq!(
            parse_data("/tmp/a=b.bin@4096"),
            Ok(DataLoad {
                instance: None,
                path: "/tmp/a=b.bin".into(),
                addr: 4096
            })
        );
        assert_eq!(parse_data("x@y@0x10").unwrap().path, PathBuf::from("x@y"));
        assert!(parse_data("cluster0.cpu0=Image").is_err());
        assert!(parse_data("cluster0.cpu0=Image@zz").is_err());
        assert!(parse_data("gpu=Image@0x0").is_err());
        assert!(parse_data("@0x10").is_err());
        assert!(parse_data("FVP_Base_RevC_2xAEMvA.cluster1.cpu3=x@0x0").is_ok());
    }

    #[test]
    fn startup_patterns() {
        let one = parse_startup("0.0.0.0").unwrap();
        let mpidr = |cl: u64, co: u64| 1 << 31 | 1 << 24 | cl << 16 | co << 8;
        assert!(one[0].matches(mpidr(0, 0)) && !one[0].matches(mpidr(0, 1)) && !one[0].matches(mpidr(1, 0)));
        let c0 = parse_startup("0.0.*.*").unwrap();
        assert!(c0[0].matches(mpidr(0, 3)) && !c0[0].matches(mpidr(1, 0)));
        let two = parse_startup("0.0.0.0, 0.1.2.0").unwrap();
        assert_eq!(two.len(), 2);
        assert!(two[1].matches(mpidr(1, 2)));
        assert!(parse_startup("0.0.0").is_err());
        assert!(parse_startup("0.0.x.0").is_err());
        assert!(parse_startup("").is_err());
        assert!(matches!(effect(&p("pctl.startup=0.*.*.*")), Ok(ParameterEffect::Startup(_))));
    }

    #[test]
    fn rvbar_and_applications() {
        assert_eq!(
            effect(&p("cluster1.cpu2.RVBAR=0x04001000")),
            Ok(ParameterEffect::Rvbar { cluster: 1, core: 2, addr: 0x0400_1000 })
        );
        assert!(effect(&p("cluster0.cpu0.RVBAR=0x2")).is_err());
        assert!(effect(&p("cluster2.cpu0.RVBAR=0")).is_err());
        assert!(effect(&p("gpu.RVBAR=0")).is_err());
        assert_eq!(parse_application("bl31.elf").unwrap().cpus, CpuSelection::All);
        assert_eq!(parse_application("*=bl31.elf").unwrap().cpus, CpuSelection::All);
        assert_eq!(parse_application("cluster1.cpu*=x").unwrap().cpus, CpuSelection::Cluster(1));
        assert_eq!(parse_application("cluster*.cpu*=x").unwrap().cpus, CpuSelection::All);
        assert_eq!(
            parse_application("FVP_Base_RevC_2xAEMvA.cluster0.cpu3=/a/b.elf").unwrap(),
            Application { cpus: CpuSelection::Cpu { cluster: 0, core: 3 }, path: "/a/b.elf".into() }
        );
        assert!(parse_application("gpu0=x").is_err());
        assert!(parse_application("cluster0.cpu0=").is_err());
    }

    #[test]
    fn config_file() {
        let path = std::env::temp_dir().join(format!("rme-emu-params-{}.txt", std::process::id()));
        std::fs::write(
            &path,
            "# FVP config\nbp.secureflashloader.fname = bl1.bin\n\n cluster0.NUM_CORES=1 # one\n",
        )
        .unwrap();
        let ps = read_config_file(&path).unwrap();
        assert_eq!(ps.len(), 2);
        assert_eq!(
            ps[1],
            FvpParameter {
                name: "cluster0.NUM_CORES".into(),
                value: "1".into()
            }
        );
        std::fs::write(&path, "ok=1\nbroken\n").unwrap();
        assert!(
            read_config_file(&path)
                .unwrap_err()
                .ends_with("line 2: `broken`: expected NAME=VALUE")
        );
        std::fs::remove_file(&path).unwrap();
    }
}
