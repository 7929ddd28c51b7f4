//! The PE's generic timers (Arm ARM D11 "The Generic Timer in AArch64
//! state"): the system counter as this PE sees it (CNTPCT/CNTVCT), and the
//! EL1 physical (CNTP), EL1 virtual (CNTV), EL2 physical (CNTHP), EL2
//! virtual (CNTHV, FEAT_VHE) and secure physical (CNTPS) timers. Each timer
//! condition is `CTL.ENABLE && count >= CVAL` (ISTATUS); its interrupt is
//! `ISTATUS && !CTL.IMASK`, driven onto the PE's PPI through the GIC port.
//!
//! Time (DESIGN.md "Time"): guest nanoseconds advance with retired
//! instructions, [`NS_PER_INSN`] each, from the base the machine sets with
//! [`Cpu::set_guest_time`]; the counter runs at [`COUNTER_HZ`] (FVP's
//! 100 MHz). Runs are deterministic.

use crate::cpu::Cpu;
use crate::sysreg::table::SysReg;

/// Guest nanoseconds per retired instruction.
pub const NS_PER_INSN: u64 = 1;
/// The system counter frequency (CNTFRQ_EL0 as FVP firmware programs it).
pub const COUNTER_HZ: u64 = 100_000_000;
const NS_PER_TICK: u64 = 1_000_000_000 / COUNTER_HZ;

/// One of the PE's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    Phys,
    Virt,
    HypPhys,
    HypVirt,
    SecurePhys,
}

impl Timer {
    pub const ALL: [Timer; 5] = [Timer::Phys, Timer::Virt, Timer::HypPhys, Timer::HypVirt, Timer::SecurePhys];

    /// (CTL, CVAL) registers.
    fn regs(self) -> (SysReg, SysReg) {
        match self {
            Timer::Phys => (SysReg::CNTP_CTL_EL0, SysReg::CNTP_CVAL_EL0),
            Timer::Virt => (SysReg::CNTV_CTL_EL0, SysReg::CNTV_CVAL_EL0),
            Timer::HypPhys => (SysReg::CNTHP_CTL_EL2, SysReg::CNTHP_CVAL_EL2),
            Timer::HypVirt => (SysReg::CNTHV_CTL_EL2, SysReg::CNTHV_CVAL_EL2),
            Timer::SecurePhys => (SysReg::CNTPS_CTL_EL1, SysReg::CNTPS_CVAL_EL1),
        }
    }

    /// The PPI (INTID) of the timer on FVP Base RevC (and in Linux's DT).
    pub fn ppi(self) -> u32 {
        match self {
            Timer::SecurePhys => 29,
            Timer::Phys => 30,
            Timer::Virt => 27,
            Timer::HypPhys => 26,
            Timer::HypVirt => 28,
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// Which timer a CTL/CVAL/TVAL register belongs to, and which register.
    pub fn of(reg: SysReg) -> Option<(Timer, TimerReg)> {
        use SysReg::*;
        Some(match reg {
            CNTP_CTL_EL0 => (Timer::Phys, TimerReg::Ctl),
            CNTP_CVAL_EL0 => (Timer::Phys, TimerReg::Cval),
            CNTP_TVAL_EL0 => (Timer::Phys, TimerReg::Tval),
            CNTV_CTL_EL0 => (Timer::Virt, TimerReg::Ctl),
            CNTV_CVAL_EL0 => (Timer::Virt, TimerReg::Cval),
            CNTV_TVAL_EL0 => (Timer::Virt, TimerReg::Tval),
            CNTHP_CTL_EL2 => (Timer::HypPhys, TimerReg::Ctl),
            CNTHP_CVAL_EL2 => (Timer::HypPhys, TimerReg::Cval),
            CNTHP_TVAL_EL2 => (Timer::HypPhys, TimerReg::Tval),
            CNTHV_CTL_EL2 => (Timer::HypVirt, TimerReg::Ctl),
            CNTHV_CVAL_EL2 => (Timer::HypVirt, TimerReg::Cval),
            CNTHV_TVAL_EL2 => (Timer::HypVirt, TimerReg::Tval),
            CNTPS_CTL_EL1 => (Timer::SecurePhys, TimerReg::Ctl),
            CNTPS_CVAL_EL1 => (Timer::SecurePhys, TimerReg::Cval),
            CNTPS_TVAL_EL1 => (Timer::SecurePhys, TimerReg::Tval),
            _ => return None,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimerReg {
    Ctl,
    Cval,
    Tval,
}

const CTL_ENABLE: u64 = 1;
const CTL_IMASK: u64 = 2;
const CTL_ISTATUS: u64 = 4;

impl Cpu {
    /// Sets guest time to `ns` at the current retired count (the machine
    /// calls this at each slice so all PEs share one clock).
    pub fn set_guest_time(&mut self, ns: u64) {
        self.clock_ns_base = ns;
        self.clock_retired_base = self.retired;
    }

    /// Guest nanoseconds now.
    #[inline]
    pub fn now_ns(&self) -> u64 {
        self.clock_ns_base + (self.retired - self.clock_retired_base) * NS_PER_INSN
    }

    /// CNTPCT_EL0.
    #[inline]
    pub fn physical_count(&self) -> u64 {
        self.now_ns() / NS_PER_TICK
    }

    /// The count a timer compares against (virtual timers subtract CNTVOFF_EL2;
    /// the EL2 virtual timer of the host regime does not).
    fn timer_count(&self, t: Timer) -> u64 {
        match t {
            Timer::Virt => self.physical_count().wrapping_sub(self.sr(SysReg::CNTVOFF_EL2)),
            _ => self.physical_count(),
        }
    }

    pub(crate) fn timer_read(&self, t: Timer, r: TimerReg) -> u64 {
        let (ctl, cval) = t.regs();
        match r {
            TimerReg::Ctl => {
                let c = self.sr(ctl) & (CTL_ENABLE | CTL_IMASK);
                let istatus = c & CTL_ENABLE != 0 && self.timer_count(t) >= self.sr(cval);
                c | if istatus { CTL_ISTATUS } else { 0 }
            }
            TimerReg::Cval => self.sr(cval),
            // TVAL = (CVAL - count)[31:0], sign-extended on read.
            TimerReg::Tval => self.sr(cval).wrapping_sub(self.timer_count(t)) as u32 as i32 as i64 as u64,
        }
    }

    pub(crate) fn timer_write(&mut self, t: Timer, r: TimerReg, v: u64) {
        let (ctl, cval) = t.regs();
        match r {
            TimerReg::Ctl => self.set_sr(ctl, v & (CTL_ENABLE | CTL_IMASK)),
            TimerReg::Cval => self.set_sr(cval, v),
            TimerReg::Tval => {
                let c = self.timer_count(t).wrapping_add(v as u32 as i32 as i64 as u64);
                self.set_sr(cval, c);
            }
        }
        self.update_timers();
    }

    /// Recomputes every timer's interrupt output, drives changed PPIs, and
    /// the guest time of the next timer event.
    pub fn update_timers(&mut self) {
        let mut next = u64::MAX;
        for t in Timer::ALL {
            let (ctl, cval) = t.regs();
            let c = self.sr(ctl);
            let enabled = c & CTL_ENABLE != 0;
            let count = self.timer_count(t);
            let cv = self.sr(cval);
            let istatus = enabled && count >= cv;
            let level = istatus && c & CTL_IMASK == 0;
            if enabled && !istatus {
                // Guest time at which count reaches CVAL.
                let ticks = cv - count;
                next = next.min(self.now_ns().saturating_add(ticks.saturating_mul(NS_PER_TICK)));
            }
            let i = t.index();
            if self.timer_levels[i] != level {
                self.timer_levels[i] = level;
                if let Some(port) = self.gic.as_ref() {
                    port.set_ppi(self.index as usize, t.ppi(), level);
                }
                tracing::trace!(target: "timer", cpu = self.index, timer = ?t, level, "timer output");
            }
        }
        self.next_timer_ns = next;
    }

    /// Guest time of the next timer event, if a timer is armed.
    pub fn next_timer_event_ns(&self) -> Option<u64> {
        (self.next_timer_ns != u64::MAX).then_some(self.next_timer_ns)
    }

    /// Timer outputs (Phys, Virt, HypPhys, HypVirt, SecurePhys).
    pub fn timer_levels(&self) -> [bool; 5] {
        self.timer_levels
    }
}
