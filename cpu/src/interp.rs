//! The interpreter: fetch, decode (through a cache of decoded words),
//! execute, take exceptions and interrupts, count retired instructions.

use crate::cpu::{Cpu, WaitState};
use crate::decode::{Insn, decode};
use crate::exception::{Exception, ExceptionRecord};
use crate::exec::{self, Flow};
use rme_mmu::PhysBus;

const CACHE_SIZE: usize = 4096;

/// Direct-mapped cache of decoded instructions keyed by PC and the raw word.
/// The word is re-read on every fetch and compared, so self-modifying code
/// and remapped memory are always seen: the cache only saves the decode.
pub struct DecodeCache {
    entries: Box<[(u64, u32, Insn)]>,
}

impl DecodeCache {
    pub fn new() -> DecodeCache {
        DecodeCache {
            entries: vec![(u64::MAX, 0, Insn::Undefined); CACHE_SIZE].into_boxed_slice(),
        }
    }
    pub fn clear(&mut self) {
        self.entries.fill((u64::MAX, 0, Insn::Undefined));
    }
    #[inline]
    fn get(&mut self, pc: u64, word: u32) -> Insn {
        let e = &mut self.entries[(pc >> 2) as usize & (CACHE_SIZE - 1)];
        if e.0 == pc && e.1 == word {
            return e.2;
        }
        let insn = decode(word);
        *e = (pc, word, insn);
        insn
    }
}

impl Default for DecodeCache {
    fn default() -> Self {
        DecodeCache::new()
    }
}

/// What one [`Cpu::step`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepEvent {
    /// An instruction completed.
    Retired,
    /// A synchronous exception was taken.
    Exception(ExceptionRecord),
    /// An interrupt was taken.
    Interrupt(ExceptionRecord),
    /// The PE is waiting (WFI/WFE) or powered off.
    Waiting(WaitState),
    /// The emulator cannot go on with this PE.
    Stopped(StopReason),
}

/// Why [`Cpu::run`] returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// The instruction budget is used up.
    Budget,
    /// The PE waits for an interrupt or event, or is off.
    Waiting(WaitState),
    /// The guest needs something rme-emu does not implement yet.
    Unimplemented {
        pc: u64,
        word: u32,
        what: &'static str,
    },
}

/// The result of [`Cpu::run`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunExit {
    /// Instructions retired in this call.
    pub retired: u64,
    /// Steps taken: retired instructions plus exceptions and interrupts
    /// taken without retiring one (so a guest stuck in an exception loop
    /// still uses up a run limit).
    pub steps: u64,
    pub reason: StopReason,
}

impl Cpu {
    /// Leaves WFI/WFE when a wake-up condition holds.
    fn try_wake(&mut self, bus: &PhysBus) -> bool {
        let wake = match self.wait {
            WaitState::Running => return true,
            WaitState::Interrupt => self.wfi_wakeup_pending(),
            WaitState::Event => self.event_register || self.exclusive_lost(bus) || self.wfi_wakeup_pending(),
            WaitState::Off => false,
        };
        if wake {
            if self.wait == WaitState::Event {
                self.event_register = false;
            }
            self.wait = WaitState::Running;
        }
        wake
    }

    /// Executes one instruction (or takes one interrupt).
    pub fn step(&mut self, bus: &PhysBus) -> StepEvent {
        if !self.try_wake(bus) {
            return StepEvent::Waiting(self.wait);
        }
        if self.check_interrupts() {
            return StepEvent::Interrupt(self.last_exception.expect("interrupt recorded"));
        }
        let pc = self.state.pc;
        let mut word = 0;
        let result = (|| {
            if pc & 3 != 0 {
                return Err(Exception::PcAlignment { va: pc });
            }
            word = self.fetch(bus, pc)?;
            if self.state.pstate.il {
                return Err(Exception::IllegalState);
            }
            let insn = self.decode_cache.get(pc, word);
            exec::execute(self, bus, insn)
        })();
        match result {
            Ok(flow) => {
                self.retired += 1;
                match flow {
                    Flow::Next => self.state.pc = pc.wrapping_add(4),
                    Flow::Jump => {}
                    Flow::Wfi => {
                        self.state.pc = pc.wrapping_add(4);
                        if !self.wfi_wakeup_pending() {
                            self.wait = WaitState::Interrupt;
                        }
                    }
                    Flow::Wfe => {
                        self.state.pc = pc.wrapping_add(4);
                        self.wait = WaitState::Event;
                    }
                }
                StepEvent::Retired
            }
            Err(Exception::Unimplemented(what)) => {
                tracing::error!(target: "cpu", cpu = self.index, pc = format_args!("{pc:#x}"), word = format_args!("{word:#010x}"), "{what}");
                StepEvent::Stopped(StopReason::Unimplemented { pc, word, what })
            }
            Err(e) => {
                // SVC/HVC/SMC complete: they return to the next instruction.
                if matches!(e, Exception::Svc(_) | Exception::Hvc(_) | Exception::Smc(_)) {
                    self.retired += 1;
                    self.state.pc = pc.wrapping_add(4);
                    self.take_sync_with_return(e, pc);
                } else {
                    self.take_sync(e);
                }
                StepEvent::Exception(self.last_exception.expect("exception recorded"))
            }
        }
    }

    /// Takes an exception whose preferred return address is the next
    /// instruction (SVC/HVC/SMC): the syndrome is computed at `pc`.
    fn take_sync_with_return(&mut self, e: Exception, pc: u64) {
        let next = self.state.pc;
        self.state.pc = pc;
        self.take_sync(e);
        let target = self.el();
        self.set_sr(crate::exception::elr_reg(target), next);
        if let Some(r) = self.last_exception.as_mut() {
            r.elr = next;
        }
    }

    /// Runs up to `budget` instructions; stops early when the PE waits or
    /// the emulator cannot continue. Exceptions taken count against the
    /// budget too, so a guest stuck in an exception loop (which retires
    /// nothing) still returns control to the machine.
    pub fn run(&mut self, bus: &PhysBus, budget: u64) -> RunExit {
        let start = self.retired;
        let mut steps = 0u64;
        while self.retired - start < budget && steps < budget {
            steps += 1;
            match self.step(bus) {
                StepEvent::Retired | StepEvent::Exception(_) | StepEvent::Interrupt(_) => {}
                StepEvent::Waiting(w) => {
                    return RunExit {
                        retired: self.retired - start,
                        steps,
                        reason: StopReason::Waiting(w),
                    };
                }
                StepEvent::Stopped(r) => {
                    return RunExit {
                        retired: self.retired - start,
                        steps,
                        reason: r,
                    };
                }
            }
            if self.wait != WaitState::Running {
                return RunExit {
                    retired: self.retired - start,
                    steps,
                    reason: StopReason::Waiting(self.wait),
                };
            }
        }
        RunExit {
            retired: self.retired - start,
            steps,
            reason: StopReason::Budget,
        }
    }
}
