//! The machine: the platform's bus and devices, the CPUs, and the run loop.
//!
//! The CPUs run round-robin in one host thread, each for a fixed quantum
//! of retired instructions (DESIGN.md "SMP"), so a run is deterministic:
//! the same images give the same console output and the same instruction
//! count every time. Between slices the loop
//!
//! * broadcasts TLBI IS/OS: the other CPUs' TLBs are invalidated;
//! * broadcasts SEV: a CPU that executed SEV gets `send_event` delivered to
//!   every other CPU;
//! * polls the platform's [`SystemControl`] for a power-off or reboot
//!   request (V2M `SYS_CFGCTRL`);
//! * checks the instruction limit and the host interrupt flag (Ctrl-C).
//!
//! Guest time ([`rme_devices::GuestClock`]) advances with retired
//! instructions ([`NS_PER_INSN`]), never with host time.
//!
//! It stops with [`Stop::AllHalted`] when every CPU waits in WFI/WFE (or is
//! off) and nothing modelled can wake one: no pending event register or
//! interrupt, and no timer event (the CPUs' generic timers, the platform's
//! [`rme_devices::TimedDevice`]s) to fast-forward guest time to.
//!
//! Power: with real firmware every CPU leaves reset (as on FVP) and the
//! firmware parks the secondaries through the FVP power controller
//! (0x1c10_0000): a WFI after PPOFFR powers a PE down, PPONR powers it on.
//! The built-in demos run on CPU 0 alone.

use crate::console::ConsoleInput;
use crate::images::{self, Demo, Image, ImageError};
use crate::platform::fvp_memory_map::{self as map, FvpPlatform, PlatformError, UartSinks};
use crate::stop::{RunSummary, Stop};
use rme_cpu::{Cpu, CpuConfig, StopReason, WaitState};
use rme_devices::{Pl011, PowerRequest, SystemControl};
use rme_mmu::PhysBus;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Retired instructions each CPU runs before the next one gets its turn.
pub const DEFAULT_QUANTUM: u64 = 10_000;

/// Guest time per retired instruction: the virtual clock runs at one
/// instruction per nanosecond (1 GHz). In a round of the loop time
/// advances by the most instructions any one CPU retired (the CPUs run in
/// parallel in guest time).
pub const NS_PER_INSN: u64 = rme_cpu::generic_timer::NS_PER_INSN;

/// How to build a [`Machine`].
#[derive(Clone, Debug)]
pub struct MachineConfig {
    /// Number of CPUs (FVP layout: 4 cores per cluster, see
    /// [`CpuConfig::fvp`]); [`MachineConfig::cluster_cores`] overrides it.
    pub smp: u32,
    /// Cores in cluster 0 and in cluster 1 (`-C clusterN.NUM_CORES`).
    pub cluster_cores: Option<[u32; 2]>,
    /// Reset addresses (RVBAR_EL3) other than 0, by CPU index.
    pub rvbar: Vec<(u32, u64)>,
    /// DRAM bytes (see [`map::dram_banks`]).
    pub memory: u64,
    /// Round-robin quantum in retired instructions.
    pub quantum: u64,
    /// Every CPU leaves reset running (FVP `pctl.startup=0.*.*.*`; the
    /// firmware must park the secondaries itself). When false only CPU 0
    /// runs, as in the FVP RME set-up TF-A documents
    /// (`pctl.startup=0.0.0.0`), unless [`MachineConfig::startup`] says.
    pub start_secondaries: bool,
    /// The CPUs (by index) that leave reset running, overriding
    /// `start_secondaries` (the CLI's `-C pctl.startup`).
    pub startup: Option<Vec<u32>>,
}

impl MachineConfig {
    /// Each CPU's configuration, in machine order (cluster 0 first).
    pub fn cpu_configs(&self) -> Vec<CpuConfig> {
        let [c0, c1] = self.cluster_cores.unwrap_or_else(|| {
            let n = self.smp.max(1);
            [n.min(4), n.saturating_sub(4)]
        });
        let layout = (0..c0)
            .map(|core| (0, core))
            .chain((0..c1).map(|core| (1, core)));
        let mut cpus: Vec<CpuConfig> = layout
            .enumerate()
            .map(|(i, (cl, co))| CpuConfig::fvp_at(i as u32, cl, co))
            .collect();
        for &(i, addr) in &self.rvbar {
            if let Some(c) = cpus.get_mut(i as usize) {
                c.rvbar = addr;
            }
        }
        if cpus.is_empty() {
            vec![CpuConfig::fvp(0)]
        } else {
            cpus
        }
    }
}

impl Default for MachineConfig {
    fn default() -> Self {
        MachineConfig {
            smp: 1,
            cluster_cores: None,
            rvbar: Vec::new(),
            startup: None,
            memory: map::MEMORY_DEFAULT,
            quantum: DEFAULT_QUANTUM,
            start_secondaries: false,
        }
    }
}

/// One emulated FVP Base RevC.
pub struct Machine {
    platform: FvpPlatform,
    cpus: Vec<Cpu>,
    quantum: u64,
    interrupt: Arc<AtomicBool>,
    /// Host input for UART0's receiver (see [`Machine::set_console_input`]).
    console_input: Option<ConsoleInput>,
}

impl Machine {
    /// Builds the platform and the CPUs; every CPU is at its reset state
    /// (EL3, PC = RVBAR_EL3 = 0), CPUs other than 0 powered off.
    pub fn new(config: &MachineConfig, sinks: UartSinks) -> Result<Machine, PlatformError> {
        let configs = config.cpu_configs();
        let mpidrs: Vec<u64> = configs.iter().map(|c| c.mpidr).collect();
        let running: Vec<bool> = (0..configs.len() as u32)
            .map(|i| match &config.startup {
                Some(list) => list.contains(&i),
                None => i == 0 || config.start_secondaries,
            })
            .collect();
        let platform = map::build(config.memory, &mpidrs, &running, sinks)?;
        let port: Arc<dyn rme_cpu::GicCpuPort> =
            Arc::new(crate::gic_adapter::GicPort(platform.gic.clone()));
        let cpus = configs
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                let mut cpu = Cpu::new(c);
                cpu.attach_gic(port.clone());
                if !running[i] {
                    cpu.power_off();
                }
                cpu
            })
            .collect();
        Ok(Machine {
            platform,
            cpus,
            quantum: config.quantum.max(1),
            interrupt: Arc::new(AtomicBool::new(false)),
            console_input: None,
        })
    }

    /// The physical bus (to load or inspect memory).
    pub fn bus(&self) -> &PhysBus {
        &self.platform.bus
    }

    pub fn cpus(&self) -> &[Cpu] {
        &self.cpus
    }

    pub fn cpus_mut(&mut self) -> &mut [Cpu] {
        &mut self.cpus
    }

    /// The platform's power-request channel.
    pub fn system_control(&self) -> &Arc<SystemControl> {
        &self.platform.control
    }

    /// PL011 UART0-3.
    pub fn uarts(&self) -> &[Arc<Pl011>; 4] {
        &self.platform.uarts
    }

    /// A flag that stops [`Machine::run`] with [`Stop::Interrupted`] when set
    /// (the CLI sets it from SIGINT).
    pub fn interrupt_flag(&self) -> Arc<AtomicBool> {
        self.interrupt.clone()
    }

    /// Replaces the interrupt flag with one shared with a signal handler.
    pub fn set_interrupt_flag(&mut self, flag: Arc<AtomicBool>) {
        self.interrupt = flag;
    }

    /// Checks then loads images (see [`images::load`]).
    pub fn load_images(&self, images: &[Image]) -> Result<(), ImageError> {
        images::load(images, &self.platform.bus)
    }

    /// Loads the built-in firmware-stubs world tour into the trusted ROM
    /// and points CPU 0 at its entry (the reset vector, 0x0).
    pub fn load_world_tour(&mut self) -> Result<(), ImageError> {
        self.load_demo(Demo::WorldTour)
    }

    /// Loads a built-in firmware-stubs demo (`--demo`) into the trusted ROM
    /// and points CPU 0 at its entry (the reset vector, 0x0).
    pub fn load_demo(&mut self, demo: Demo) -> Result<(), ImageError> {
        let fw = demo.firmware();
        self.load_images(&[world_tour_image(&fw)])?;
        self.cpus[0].state.pc = fw.entry;
        Ok(())
    }

    /// Starts CPU `cpu` at `pc` (an `-a` application's entry point).
    pub fn set_entry(&mut self, cpu: u32, pc: u64) {
        if let Some(c) = self.cpus.get_mut(cpu as usize) {
            c.state.pc = pc;
        }
    }

    /// Total instructions retired by all CPUs since the machine was built.
    pub fn retired(&self) -> u64 {
        self.cpus.iter().map(|c| c.retired()).sum()
    }

    /// Runs the CPUs round-robin until a [`Stop`]. `max_insns` bounds the
    /// steps of this call, all CPUs together: retired instructions, plus
    /// exceptions taken without retiring one (a guest stuck in an
    /// exception loop stops at the limit too).
    pub fn run(&mut self, max_insns: Option<u64>) -> RunSummary {
        let start = Instant::now();
        let mut retired = 0u64;
        let mut steps = 0u64;
        let stop = 'run: loop {
            self.feed_console_input();
            if self.interrupt.load(Ordering::Relaxed) {
                break 'run Stop::Interrupted;
            }
            // Guest time at the start of the round; each slice runs from it.
            let round_start_ns = self.platform.clock.now_ns();
            let mut round = 0;
            for i in 0..self.cpus.len() {
                if let Some(stop) = self.power_request() {
                    break 'run stop;
                }
                let remaining = max_insns.map_or(u64::MAX, |m| m.saturating_sub(steps));
                if remaining == 0 {
                    break 'run Stop::InstructionLimit;
                }
                if self.cpus[i].wait == WaitState::Off {
                    continue;
                }
                self.cpus[i].set_guest_time(round_start_ns);
                let exit = self.cpus[i].run(&self.platform.bus, self.quantum.min(remaining));
                retired += exit.retired;
                steps += exit.steps.max(exit.retired);
                round = round.max(exit.retired);
                self.platform
                    .clock
                    .advance_to(round_start_ns + round * NS_PER_INSN);
                if self.cpus[i].take_sev() {
                    for (j, other) in self.cpus.iter_mut().enumerate() {
                        if j != i {
                            other.send_event();
                        }
                    }
                }
                // A broadcast TLBI (IS/OS forms, TLBI PAALLOS...) reaches
                // every other PE before it runs again.
                if self.cpus[i].take_tlbi_broadcast() {
                    // The same invalidations, as decoded on the issuing PE
                    // (its ASID/VMID/security state); a flush when there
                    // were too many to keep.
                    let ops = self.cpus[i].tlb.take_broadcast();
                    for (j, other) in self.cpus.iter_mut().enumerate() {
                        if j != i {
                            if ops.is_empty() {
                                other.tlb.flush();
                            }
                            for op in &ops {
                                other.tlb.invalidate(op);
                            }
                        }
                    }
                }
                // FVP power controller: a WFI after PPOFFR/PCOFFR powers the
                // PE down; PPONR (or a GIC wake-up) powers a PE on at RVBAR.
                if exit.reason == StopReason::Waiting(WaitState::Interrupt) {
                    let mpidr = self.cpus[i].sr(rme_cpu::SysReg::MPIDR_EL1);
                    if self.platform.power.wfi(mpidr) == rme_devices::WfiAction::PowerDown {
                        tracing::debug!(target: "platform", cpu = i, "powered down (FVP power controller)");
                        self.cpus[i].power_off();
                    }
                }
                for ev in self.platform.power.take_requests() {
                    let target = self.cpus.iter_mut().find(|c| {
                        c.sr(rme_cpu::SysReg::MPIDR_EL1) & 0xff_ffff == ev.mpidr as u64 & 0xff_ffff
                    });
                    if let Some(c) = target {
                        tracing::debug!(target: "platform", cpu = c.index, "powered on (FVP power controller)");
                        c.power_on();
                        c.set_guest_time(round_start_ns);
                    }
                }
                match exit.reason {
                    StopReason::Budget | StopReason::Waiting(_) => {}
                    StopReason::Unimplemented { pc, word, what } => {
                        break 'run Stop::Unimplemented {
                            cpu: i as u32,
                            pc,
                            word,
                            what,
                        };
                    }
                }
            }
            // Timed devices (SP804, SP805) raise what fell due this round.
            self.update_timed_devices();
            self.wake_powered_off_cpus();
            if let Some(stop) = self.power_request() {
                break 'run stop;
            }
            let bus = &self.platform.bus;
            if !self.cpus.iter_mut().any(|c| can_make_progress(c, bus)) {
                // WFI fast-forward (DESIGN.md "Time"): when every PE waits,
                // guest time jumps to the next timer event: a CPU's generic
                // timer or a timed device's (SP804 dual timers, watchdogs).
                let next = self
                    .cpus
                    .iter()
                    .filter(|c| c.wait != WaitState::Off)
                    .filter_map(|c| c.next_timer_event_ns())
                    .chain(self.platform.timed.iter().filter_map(|d| d.next_event_ns()))
                    .min();
                if let Some(ns) = next.filter(|&ns| ns > self.platform.clock.now_ns()) {
                    self.platform.clock.advance_to(ns);
                    for c in &mut self.cpus {
                        c.set_guest_time(ns);
                    }
                    self.update_timed_devices();
                    continue 'run;
                }
                // An interactive console can still wake the guest (a shell
                // waiting for a key): wait, in host time, for input.
                if let Some(input) = &self.console_input
                    && input.wait_for_input(&self.interrupt) {
                        continue 'run;
                    }
                for c in &self.cpus {
                    tracing::debug!(target: "platform", cpu = c.index, pc = format_args!("{:#x}", c.state.pc),
                        wait = ?c.wait, el = c.el(), "CPU asleep with no wake-up source");
                }
                break 'run Stop::AllHalted;
            }
        };
        for c in &self.cpus {
            tracing::debug!(target: "platform", cpu = c.index, pc = format_args!("{:#x}", c.state.pc), el = c.el(),
                wait = ?c.wait, retired = c.retired(), "CPU state at the end of the run");
        }
        let summary = RunSummary {
            stop,
            retired,
            elapsed: start.elapsed(),
        };
        tracing::debug!(target: "platform", "run stopped: {summary}");
        summary
    }

    /// Guest time now, in ns since reset.
    pub fn guest_time_ns(&self) -> u64 {
        self.platform.clock.now_ns()
    }

    /// Flushes every UART's sink (buffered console output).
    pub fn flush_consoles(&self) {
        for u in &self.platform.uarts {
            u.flush();
        }
    }

    /// Host bytes for UART0 (the CLI fills the queue from an interactive
    /// terminal). Between rounds the machine moves as many as the receive
    /// FIFO takes; the rest wait. Without a queue nothing is received, so a
    /// run stays deterministic.
    pub fn set_console_input(&mut self, input: ConsoleInput) {
        self.console_input = Some(input);
    }

    fn feed_console_input(&self) {
        if let Some(input) = &self.console_input {
            let uart = &self.platform.uarts[0];
            let bytes = input.take(uart.rx_room());
            if !bytes.is_empty() {
                uart.push_rx(&bytes);
            }
        }
    }

    /// Brings the timed devices up to the current guest time (their
    /// interrupts rise when a count-down ended).
    /// GIC wake-up of powered-down PEs (FVP power controller PWKUPR.WEN):
    /// each off PE's Redistributor tells whether it has an interrupt for
    /// it; the power controller powers the PEs whose wake-up is enabled on
    /// (WK = GICREQ), and they restart at their reset vector.
    fn wake_powered_off_cpus(&mut self) {
        for (i, c) in self.cpus.iter().enumerate() {
            if c.wait == WaitState::Off {
                let mpidr = c.sr(rme_cpu::SysReg::MPIDR_EL1);
                self.platform.power.set_wake_request(mpidr, self.platform.gic.wake_request(i));
            }
        }
        let now = self.platform.clock.now_ns();
        for ev in self.platform.power.take_requests() {
            let target = self.cpus.iter_mut().find(|c| c.sr(rme_cpu::SysReg::MPIDR_EL1) & 0xff_ffff == ev.mpidr as u64 & 0xff_ffff);
            if let Some(c) = target {
                tracing::debug!(target: "platform", cpu = c.index, "powered on (FVP power controller, GIC wake-up)");
                c.power_on();
                c.set_guest_time(now);
            }
        }
    }

    fn update_timed_devices(&self) {
        let now = self.platform.clock.now_ns();
        for d in &self.platform.timed {
            d.update(now);
        }
    }

    fn power_request(&self) -> Option<Stop> {
        match self.platform.control.take()? {
            PowerRequest::Off => Some(Stop::PowerOff),
            PowerRequest::Reboot => Some(Stop::Reboot),
        }
    }
}

/// A built-in firmware-stubs image (the world tour, the GPF demo) as an [`Image`].
pub fn world_tour_image(fw: &rme_firmware_stubs::FirmwareImage) -> Image {
    Image::builtin(fw.name, fw.load_addr, fw.bytes.clone())
}

/// Can this CPU retire an instruction or take an interrupt without
/// something outside the CPUs happening first? A WFI waits for an interrupt
/// (GIC, timers); a WFE also for its event register (SEV) or the loss of
/// its exclusive reservation (another PE wrote the location).
fn can_make_progress(cpu: &mut Cpu, bus: &PhysBus) -> bool {
    match cpu.wait {
        WaitState::Running => true,
        WaitState::Interrupt => cpu.wfi_wakeup_pending(),
        WaitState::Event => cpu.event_register || cpu.exclusive_lost(bus) || cpu.wfi_wakeup_pending(),
        WaitState::Off => false,
    }
}
