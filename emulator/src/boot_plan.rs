//! The boot plan: `rme-emu boot`'s options after merging the FVP spellings
//! (`-C`, `-f`, `--data`) with the native ones (`--bl1`, `--uart`, ...).
//!
//! The same setting given both ways must agree (`--bl1 a.bin -C
//! bp.secureflashloader.fname=b.bin` is an error); given both ways with the
//! same value it is accepted. Unknown FVP parameters are collected in
//! [`BootPlan::ignored`] for the one line that lists them.

use crate::cli::{BootArgs, Demo};
use crate::console::{UartRoute, UartTarget, uart_targets};
use crate::fvp_parameters::{
    self, AffinityPattern, Application, CpuSelection, DataLoad, ParameterEffect,
};
use crate::platform::fvp_memory_map as map;
use std::path::PathBuf;

/// Cores per cluster on FVP Base RevC (and FVP's default `NUM_CORES`).
pub const CORES_PER_CLUSTER: u32 = 4;

/// Everything `boot` needs, resolved.
#[derive(Clone, Debug)]
pub struct BootPlan {
    pub demo: Demo,
    pub bl1: Option<PathBuf>,
    pub fip: Option<PathBuf>,
    pub kernel: Option<PathBuf>,
    pub dtb: Option<PathBuf>,
    pub initrd: Option<PathBuf>,
    pub append: Option<String>,
    pub data: Vec<DataLoad>,
    /// `-a`: ELF applications, each entered by its CPUs.
    pub applications: Vec<Application>,
    /// `clusterN.cpuM.RVBAR`: reset addresses, by CPU index.
    pub rvbar: Vec<(u32, u64)>,
    /// The CPUs (by index) that leave reset running (`pctl.startup`;
    /// default `0.0.0.0`, CPU 0 alone, as in TF-A's FVP RME command line).
    pub startup: Vec<u32>,
    pub uarts: [UartTarget; crate::console::UART_COUNT],
    pub memory: u64,
    /// Cores in cluster 0 and cluster 1.
    pub cluster_cores: [u32; 2],
    pub max_insns: Option<u64>,
    /// `-C` names (with their values) this model does not implement.
    pub ignored: Vec<String>,
}

impl BootPlan {
    /// Total CPUs.
    pub fn cpus(&self) -> u32 {
        self.cluster_cores[0] + self.cluster_cores[1]
    }

    /// The machine's index of `clusterN.cpuM` (cluster 0's cores first).
    pub fn cpu_index(&self, cluster: u32, core: u32) -> Option<u32> {
        match cluster {
            0 if core < self.cluster_cores[0] => Some(core),
            1 if core < self.cluster_cores[1] => Some(self.cluster_cores[0] + core),
            _ => None,
        }
    }

    /// The CPU indices a selection names (empty if it names none here).
    pub fn cpu_indices(&self, sel: CpuSelection) -> Vec<u32> {
        match sel {
            CpuSelection::All => (0..self.cpus()).collect(),
            CpuSelection::Cluster(c) => {
                (0..CORES_PER_CLUSTER).filter_map(|k| self.cpu_index(c, k)).collect()
            }
            CpuSelection::Cpu { cluster, core } => self.cpu_index(cluster, core).into_iter().collect(),
        }
    }

    /// Whether the trusted ROM gets the built-in demo: only when no real
    /// firmware (`--bl1`, `-a`, a reset address) says where CPUs start.
    pub fn runs_demo(&self) -> bool {
        self.bl1.is_none() && self.applications.is_empty() && self.rvbar.is_empty()
    }

    /// The MPIDR_EL1 of each CPU, in machine order.
    pub fn mpidrs(&self) -> Vec<u64> {
        let [c0, c1] = self.cluster_cores;
        (0..c0)
            .map(|k| (0, k))
            .chain((0..c1).map(|k| (1, k)))
            .enumerate()
            .map(|(i, (cl, co))| rme_cpu::CpuConfig::fvp_at(i as u32, cl, co).mpidr)
            .collect()
    }

    /// The one line listing the ignored FVP parameters, if any.
    pub fn ignored_line(&self) -> Option<String> {
        (!self.ignored.is_empty()).then(|| {
            format!(
                "ignoring FVP parameters this model does not implement: {}",
                self.ignored.join(", ")
            )
        })
    }
}

/// A setting given both as a native option and as an FVP parameter.
fn merge<T: PartialEq + std::fmt::Debug>(
    native: Option<T>,
    native_name: &str,
    fvp: Option<T>,
    fvp_name: &str,
) -> Result<Option<T>, String> {
    match (native, fvp) {
        (Some(a), Some(b)) if a != b => Err(format!(
            "{native_name} ({a:?}) and {fvp_name} ({b:?}) disagree"
        )),
        (a, b) => Ok(a.or(b)),
    }
}

/// Merges `args` into a [`BootPlan`]. Errors are one line (bad input).
pub fn resolve(args: &BootArgs) -> Result<BootPlan, String> {
    let mut params = Vec::new();
    if let Some(f) = &args.config_file {
        params.extend(fvp_parameters::read_config_file(f)?);
    }
    params.extend(args.parameters.iter().cloned());

    let (mut bl1, mut fip, mut memory) = (None, None, None);
    let mut fvp_uarts: Vec<UartRoute> = Vec::new();
    let mut cores: [Option<u32>; 2] = [None, None];
    let mut rvbar_at = Vec::new();
    let mut startup: Option<Vec<AffinityPattern>> = None;
    let mut ignored = Vec::new();
    for p in &params {
        match fvp_parameters::effect(p)? {
            ParameterEffect::Bl1(f) => bl1 = Some(f),
            ParameterEffect::Fip(f) => fip = Some(f),
            ParameterEffect::Memory(m) => memory = Some(m),
            ParameterEffect::Uart(r) => fvp_uarts.push(r),
            ParameterEffect::ClusterCores { cluster, cores: n } => cores[cluster] = Some(n),
            ParameterEffect::Rvbar { cluster, core, addr } => rvbar_at.push((cluster, core, addr)),
            ParameterEffect::Startup(p) => startup = Some(p),
            ParameterEffect::AlreadySo => {}
            ParameterEffect::Ignored => {
                let s = format!("{}={}", p.name, p.value);
                if !ignored.contains(&s) {
                    ignored.push(s);
                }
            }
        }
    }
    let bl1 = merge(
        args.bl1.clone(),
        "--bl1",
        bl1,
        "-C bp.secureflashloader.fname",
    )?;
    let fip = merge(args.fip.clone(), "--fip", fip, "-C bp.flashloader0.fname")?;
    let memory =
        merge(args.memory, "--memory", memory, "-C bp.dram_size")?.unwrap_or(map::MEMORY_DEFAULT);

    for r in &fvp_uarts {
        if let Some(n) = args
            .uarts
            .iter()
            .find(|n| n.index == r.index && n.target != r.target)
        {
            return Err(format!(
                "--uart {}={:?} and -C bp.pl011_uart{}.out_file ({:?}) disagree",
                n.index, n.target, r.index, r.target
            ));
        }
    }
    let mut routes = fvp_uarts;
    routes.extend(args.uarts.iter().cloned());

    // Real firmware gets FVP Base RevC's 2 x 4 cores unless told otherwise;
    // the built-in demos are single-CPU programs.
    let firmware = bl1.is_some() || !args.applications.is_empty() || !rvbar_at.is_empty();
    let cluster_cores = match (args.smp, cores) {
        (smp, [None, None]) => {
            let n = smp.unwrap_or(if firmware { 2 * CORES_PER_CLUSTER } else { 1 });
            [
                n.min(CORES_PER_CLUSTER),
                n.saturating_sub(CORES_PER_CLUSTER),
            ]
        }
        (Some(_), _) => {
            return Err("--smp and -C clusterN.NUM_CORES both set the CPU count; give one".into());
        }
        // FVP's default is 4 cores in each cluster.
        (None, [c0, c1]) => [
            c0.unwrap_or(CORES_PER_CLUSTER),
            c1.unwrap_or(CORES_PER_CLUSTER),
        ],
    };
    if cluster_cores[0] == 0 {
        return Err("-C cluster0.NUM_CORES=0: the boot CPU (cluster0.cpu0) must exist".into());
    }

    let mut plan = BootPlan {
        demo: args.demo,
        bl1,
        fip,
        kernel: args.kernel.clone(),
        dtb: args.dtb.clone(),
        initrd: args.initrd.clone(),
        append: args.append.clone(),
        data: args.data.clone(),
        applications: args.applications.clone(),
        rvbar: Vec::new(),
        startup: Vec::new(),
        uarts: uart_targets(&routes),
        memory,
        cluster_cores,
        max_insns: args.max_insns,
        ignored,
    };
    for (cluster, core, addr) in rvbar_at {
        let i = plan.cpu_index(cluster, core).ok_or_else(|| {
            format!("-C cluster{cluster}.cpu{core}.RVBAR: there is no such CPU with {:?} cores per cluster", plan.cluster_cores)
        })?;
        plan.rvbar.push((i, addr));
    }
    let patterns = startup.unwrap_or_else(|| vec![AffinityPattern([Some(0); 4])]);
    plan.startup = plan
        .mpidrs()
        .iter()
        .enumerate()
        .filter(|(_, m)| patterns.iter().any(|p| p.matches(**m)))
        .map(|(i, _)| i as u32)
        .collect();
    if plan.startup.is_empty() {
        return Err("-C pctl.startup names no CPU of this machine".into());
    }
    for a in &plan.applications {
        if plan.cpu_indices(a.cpus).is_empty() {
            return Err(format!("-a {}: {:?} names no CPU of this machine ({:?} cores per cluster)", a.path.display(), a.cpus, plan.cluster_cores));
        }
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn plan(argv: &[&str]) -> Result<BootPlan, String> {
        let mut full = vec!["rme-emu", "boot"];
        full.extend_from_slice(argv);
        let Command::Boot(b) = Cli::try_parse_from(full).unwrap().command;
        resolve(&b)
    }

    #[test]
    fn defaults() {
        let p = plan(&[]).unwrap();
        assert_eq!(p.cluster_cores, [1, 0]);
        assert_eq!(p.memory, 4 << 30);
        assert!(p.uarts.iter().all(|u| *u == UartTarget::Stdio));
        assert_eq!(p.ignored_line(), None);
        assert_eq!(plan(&["--smp", "6"]).unwrap().cluster_cores, [4, 2]);
    }

    #[test]
    fn fvp_command_line() {
        let p = plan(&[
            "-C",
            "bp.secureflashloader.fname=bl1.bin",
            "-C",
            "bp.flashloader0.fname=fip.bin",
            "-C",
            "bp.has_rme=1",
            "-C",
            "cluster0.has_branch_target_exception=1",
            "-C",
            "bp.dram_size=4",
            "-C",
            "bp.pl011_uart1.out_file=uart1.log",
            "-C",
            "cluster0.NUM_CORES=1",
            "-C",
            "cluster1.NUM_CORES=0",
            "-C",
            "bp.vis.rate_limit-enable=0",
        ])
        .unwrap();
        assert_eq!(p.bl1, Some("bl1.bin".into()));
        assert_eq!(p.fip, Some("fip.bin".into()));
        assert_eq!(p.memory, 4 << 30);
        assert_eq!(p.uarts[1], UartTarget::File("uart1.log".into()));
        assert_eq!(p.cluster_cores, [1, 0]);
        assert_eq!(
            p.ignored_line().unwrap(),
            "ignoring FVP parameters this model does not implement: \
             cluster0.has_branch_target_exception=1, bp.vis.rate_limit-enable=0"
        );
        // FVP's default of four cores in the cluster not named.
        assert_eq!(
            plan(&["-C", "cluster0.NUM_CORES=2"]).unwrap().cluster_cores,
            [2, 4]
        );
    }

    #[test]
    fn both_spellings_must_agree() {
        assert!(plan(&["--bl1", "a.bin", "-C", "bp.secureflashloader.fname=a.bin"]).is_ok());
        let e = plan(&["--bl1", "a.bin", "-C", "bp.secureflashloader.fname=b.bin"]).unwrap_err();
        assert!(e.contains("--bl1") && e.contains("disagree"), "{e}");
        assert!(plan(&["--fip", "a", "-C", "bp.flashloader0.fname=b"]).is_err());
        assert!(plan(&["--memory", "1G", "-C", "bp.dram_size=2"]).is_err());
        assert!(plan(&["--smp", "2", "-C", "cluster0.NUM_CORES=2"]).is_err());
        assert!(plan(&["--uart", "1=null", "-C", "bp.pl011_uart1.out_file=x"]).is_err());
        assert!(plan(&["-C", "cluster0.NUM_CORES=0"]).is_err());
        assert!(plan(&["-C", "bp.has_rme=0"]).is_err());
        assert!(plan(&["--smp", "1", "-C", "cluster1.cpu0.RVBAR=0x1000"]).is_err(), "no cluster 1 with --smp 1");
        assert!(plan(&["--smp", "2", "-a", "cluster0.cpu2=x.elf"]).is_err());
    }

    #[test]
    fn cpus_by_instance() {
        let p = plan(&["-C", "cluster0.NUM_CORES=2", "-C", "cluster1.NUM_CORES=3", "-C", "cluster1.cpu1.RVBAR=0x04001000"])
            .unwrap();
        assert_eq!(p.rvbar, vec![(3, 0x0400_1000)]);
        assert_eq!(p.cpu_indices(CpuSelection::Cluster(1)), vec![2, 3, 4]);
        assert_eq!(p.cpu_indices(CpuSelection::All), vec![0, 1, 2, 3, 4]);
        assert_eq!(p.cpu_index(0, 2), None);
        assert!(!p.runs_demo());
        assert!(plan(&[]).unwrap().runs_demo());
        // FVP's RME set-up: 8 CPUs for real firmware, CPU 0 alone running.
        let fw = plan(&["--bl1", "bl1.bin"]).unwrap();
        assert_eq!((fw.cluster_cores, fw.startup.clone()), ([4, 4], vec![0]));
        let all = plan(&["--bl1", "bl1.bin", "-C", "pctl.startup=0.*.*.*"]).unwrap();
        assert_eq!(all.startup, (0..8).collect::<Vec<u32>>());
        let c1 = plan(&["--bl1", "b", "-C", "pctl.startup=0.1.*.*"]).unwrap();
        assert_eq!(c1.startup, vec![4, 5, 6, 7]);
        assert!(plan(&["--bl1", "b", "--smp", "2", "-C", "pctl.startup=0.1.0.0"]).is_err());
    }
}
