//! The memory-mapped Generic Timer of FVP Base RevC: the system counter's
//! control and read frames and the timer frames.
//!
//! References: Arm ARM (DDI 0487) chapter I2 "System Level Implementation
//! of the Generic Timer" (I2.2 the memory-mapped counter module: CNTCR,
//! CNTSR, CNTCV, CNTID, `CNTFID<n>`; I2.3 the memory-mapped timer frames:
//! CNTCTLBase with CNTFRQ, CNTNSAR, CNTTIDR, `CNTACR<n>`, `CNTVOFF<n>`, and
//! `CNTBase<n>` with CNTPCT, CNTVCT, CNTFRQ, CNTEL0ACR, CNTVOFF, CNTP_CVAL,
//! CNTP_TVAL, CNTP_CTL, CNTV_CVAL, CNTV_TVAL, CNTV_CTL) and the external
//! register descriptions (CNTNSAR: "Secure access only. Behaves as RES0 to
//! Non-secure accesses"; CNTFRQ in CNTCTLBase "only accessible by Secure
//! accesses"; CNTTIDR "accessible by both Secure and Non-secure accesses";
//! CNTControlBase "implemented only in the Secure memory map"). TF-A
//! `plat/arm/common/arm_common.c` (`arm_configure_sys_timer`,
//! `plat_get_syscnt_freq2`), `plat/arm/board/fvp/fvp_common.c` (CNTCR.EN),
//! `include/plat/arm/common/arm_def.h` (frame addresses), and the FVP
//! device tree's `arm,armv7-timer-mem` node (frame 1 at 0x2a83_0000, its
//! physical timer on SPI 26).
//!
//! FVP Base RevC frames ([`FVP_CNTCONTROL_BASE`] etc.), each 64 KiB:
//! CNTControlBase 0x2a43_0000, CNTReadBase 0x2a80_0000, CNTCTLBase
//! 0x2a81_0000, CNTBase0 (Secure) 0x2a82_0000, CNTBase1 (Non-secure once
//! TF-A sets CNTNSAR.NS1) 0x2a83_0000. One [`GenericTimer`] holds the state
//! of all of them; [`GenericTimer::control_base`], [`GenericTimer::read_base`],
//! [`GenericTimer::ctl_base`] and [`GenericTimer::timer_base`] give the
//! [`MmioDevice`] of each frame.
//!
//! The count: the system counter is the machine's guest clock
//! ([`GuestClock`], ns), counting at CNTFID0 (100 MHz on FVP):
//! `ticks = ns * CNTFID0 / 10^9`, the same count the PEs read in
//! CNTPCT_EL0, so runs stay deterministic. Because the PEs' view of the
//! counter cannot be stopped or moved from here, CNTCR.EN is stored and
//! reads back but the counter always runs, and writes to CNTCV are ignored
//! (logged once). CNTCR.HDBG is stored (there is no debug halt); the
//! frequency table holds CNTFID0 only (CNTFID1 = 0 ends it), so
//! CNTCR.FCREQ and CNTSR.FCACK stay 0. CNTID = 0 (no counter scaling).
//!
//! Security (Secure = the Secure or Root PAS; Non-secure = Non-secure or
//! Realm): CNTControlBase is Secure-only. In CNTCTLBase, CNTFRQ and CNTNSAR
//! are Secure-only, CNTTIDR is readable by all, `CNTACR<n>`/`CNTVOFF<n>` are
//! Non-secure accessible when `CNTNSAR.NS<n>` = 1. A `CNTBase<n>` frame is
//! Non-secure accessible when `CNTNSAR.NS<n>` = 1, and within the frame
//! `CNTACR<n>` gates each register group for every access (RPCT: CNTPCT,
//! RVCT: CNTVCT, RFRQ: CNTFRQ, RVOFF: CNTVOFF, RWVT: CNTV_*, RWPT:
//! CNTP_*). Refused accesses read as zero and are ignored, and are logged
//! once and counted like accesses to offsets with no register
//! ([`GenericTimer::bad_accesses`]). CNTNSAR, `CNTACR<n>` and the
//! CNTCTLBase CNTFRQ reset to 0 (architecturally UNKNOWN).
//!
//! This FVP model implements frames 0 and 1 with no virtual timer and no
//! EL0 view (CNTTIDR = 0x11), as Linux's `arch_timer` then uses frame 1's
//! physical timer, the interrupt the device tree gives it
//! ([`GenericTimerConfig`] can add virtual capability). Each frame's timer
//! outputs are levels the platform wires to the GIC:
//! [`GenericTimer::irq_level`]; [`GenericTimer::next_event_ns`] says when
//! one will next assert, so an idle machine can jump there.
//!
//! Registers are 32 bits wide; the 64-bit ones (CNTCV, CNTPCT, CNTVCT,
//! CNTVOFF, CNTx_CVAL) also take 64-bit accesses at their offset.

use crate::access::{BadAccess, BadAccesses, is_secure, narrow};
use crate::guest_clock::GuestClock;
use crate::peripheral_id::{CIDR_PRIMECELL, IdRegs};
use parking_lot::Mutex;
use rme_mmu::{AccessAttrs, MmioDevice, MmioResult};
use std::sync::Arc;

/// FVP Base RevC frame addresses; every frame is [`FRAME_SIZE`] bytes.
pub const FVP_CNTCONTROL_BASE: u64 = 0x2a43_0000;
pub const FVP_CNTREAD_BASE: u64 = 0x2a80_0000;
pub const FVP_CNTCTL_BASE: u64 = 0x2a81_0000;
/// `CNTBase<n>` on FVP: 0x2a82_0000 + n * 64 KiB (frame 0 Secure, frame 1 NS).
pub const fn fvp_cntbase(n: usize) -> u64 {
    0x2a82_0000 + 0x1_0000 * n as u64
}
pub const FRAME_SIZE: u64 = 0x1_0000;
/// The GIC SPI of frame 1's physical timer in the FVP device tree (INTID 58).
pub const FVP_CNTBASE1_PHYS_SPI: u32 = 26;

/// CNTControlBase registers.
pub const CNTCR: u64 = 0x000;
pub const CNTSR: u64 = 0x004;
pub const CNTCV_LO: u64 = 0x008;
pub const CNTCV_HI: u64 = 0x00c;
pub const CNTID: u64 = 0x01c;
pub const CNTFID0: u64 = 0x020;
pub const CNTFID1: u64 = 0x024;
/// CNTReadBase registers.
pub const CNTREAD_CNTCV_LO: u64 = 0x000;
pub const CNTREAD_CNTCV_HI: u64 = 0x004;
/// CNTCTLBase registers.
pub const CNTCTLBASE_CNTFRQ: u64 = 0x000;
pub const CNTNSAR: u64 = 0x004;
pub const CNTTIDR: u64 = 0x008;
pub const fn cntacr(n: usize) -> u64 {
    0x040 + 4 * n as u64
}
pub const fn cntvoff(n: usize) -> u64 {
    0x080 + 8 * n as u64
}
/// `CNTBase<n>` registers.
pub const CNTPCT_LO: u64 = 0x000;
pub const CNTPCT_HI: u64 = 0x004;
pub const CNTVCT_LO: u64 = 0x008;
pub const CNTVCT_HI: u64 = 0x00c;
pub const CNTBASE_CNTFRQ: u64 = 0x010;
pub const CNTEL0ACR: u64 = 0x014;
pub const CNTBASE_CNTVOFF_LO: u64 = 0x018;
pub const CNTBASE_CNTVOFF_HI: u64 = 0x01c;
pub const CNTP_CVAL_LO: u64 = 0x020;
pub const CNTP_CVAL_HI: u64 = 0x024;
pub const CNTP_TVAL: u64 = 0x028;
pub const CNTP_CTL: u64 = 0x02c;
pub const CNTV_CVAL_LO: u64 = 0x030;
pub const CNTV_CVAL_HI: u64 = 0x034;
pub const CNTV_TVAL: u64 = 0x038;
pub const CNTV_CTL: u64 = 0x03c;

/// CNTCR fields.
pub const CNTCR_EN: u32 = 1 << 0;
pub const CNTCR_HDBG: u32 = 1 << 1;
pub const CNTCR_FCREQ_SHIFT: u32 = 8;
/// `CNTACR<n>` fields.
pub const CNTACR_RPCT: u32 = 1 << 0;
pub const CNTACR_RVCT: u32 = 1 << 1;
pub const CNTACR_RFRQ: u32 = 1 << 2;
pub const CNTACR_RVOFF: u32 = 1 << 3;
pub const CNTACR_RWVT: u32 = 1 << 4;
pub const CNTACR_RWPT: u32 = 1 << 5;
const CNTACR_MASK: u32 = 0x3f;
/// CNTx_CTL fields.
pub const CTL_ENABLE: u32 = 1 << 0;
pub const CTL_IMASK: u32 = 1 << 1;
pub const CTL_ISTATUS: u32 = 1 << 2;

/// The most CNTBase frames.
pub const MAX_FRAMES: usize = 8;

/// Identification registers of every frame (placeholder values: the FVP's
/// are not documented; CIDR is the standard preamble).
const IDS: IdRegs = IdRegs { pidr: [0; 8], cidr: CIDR_PRIMECELL };

/// Configuration of the counter and timer frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GenericTimerConfig {
    /// CNTFID0: the counter frequency in Hz (FVP: 100 MHz).
    pub frequency: u32,
    /// Implemented `CNTBase<n>` frames (bit n).
    pub frames: u8,
    /// Frames with the virtual timer and `CNTVOFF<n>` (CNTTIDR.FVI).
    pub virtual_frames: u8,
}

impl Default for GenericTimerConfig {
    /// FVP Base RevC as this model presents it: 100 MHz, frames 0 and 1,
    /// physical timers only.
    fn default() -> GenericTimerConfig {
        GenericTimerConfig { frequency: 100_000_000, frames: 0b11, virtual_frames: 0 }
    }
}

impl GenericTimerConfig {
    /// The CNTTIDR value.
    pub fn cnttidr(&self) -> u32 {
        (0..MAX_FRAMES)
            .filter(|&n| self.frames & (1 << n) != 0)
            .map(|n| (1 | if self.virtual_frames & (1 << n) != 0 { 2 } else { 0 }) << (4 * n))
            .sum()
    }

    fn implemented(&self, n: usize) -> bool {
        n < MAX_FRAMES && self.frames & (1 << n) != 0
    }

    fn has_virtual(&self, n: usize) -> bool {
        self.implemented(n) && self.virtual_frames & (1 << n) != 0
    }
}

/// The physical or virtual timer of a CNTBase frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FrameTimer {
    Phys,
    Virt,
}

/// The timers of one CNTBase frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimerFrameRegs {
    pub cntp_cval: u64,
    /// CNTP_CTL.{ENABLE, IMASK} (ISTATUS is computed).
    pub cntp_ctl: u32,
    pub cntv_cval: u64,
    pub cntv_ctl: u32,
}

/// The guest-visible state of the counter module and the timer frames.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GenericTimerState {
    /// CNTCR: EN, HDBG (FCREQ stays 0).
    pub cntcr: u32,
    /// CNTFRQ of CNTCTLBase (mirrored read-only in each CNTBase frame).
    pub cntfrq: u32,
    pub cntnsar: u32,
    pub cntacr: [u32; MAX_FRAMES],
    pub cntvoff: [u64; MAX_FRAMES],
    pub frames: [TimerFrameRegs; MAX_FRAMES],
}

/// The counter module and timer frames of one machine.
pub struct GenericTimer {
    config: GenericTimerConfig,
    clock: Arc<GuestClock>,
    inner: Mutex<GenericTimerState>,
    bad: BadAccesses,
    /// Each frame's physical and virtual timer interrupt output.
    outputs: [[crate::interrupt_line::InterruptOutput; 2]; MAX_FRAMES],
}

/// Which frame a [`GenericTimerFrame`] shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FrameKind {
    /// CNTControlBase.
    Control,
    /// CNTReadBase.
    Read,
    /// CNTCTLBase.
    Ctl,
    /// `CNTBase<n>`.
    Timer(usize),
}

impl FrameKind {
    /// Distinguishes the frames in the bad-access log.
    fn tag(self) -> u64 {
        let t = match self {
            FrameKind::Control => 0x10,
            FrameKind::Read => 0x11,
            FrameKind::Ctl => 0x12,
            FrameKind::Timer(n) => n as u64,
        };
        t << 32
    }
}

/// One 64 KiB frame of a [`GenericTimer`], as an MMIO device.
pub struct GenericTimerFrame {
    timer: Arc<GenericTimer>,
    kind: FrameKind,
    name: String,
}

impl GenericTimerFrame {
    pub fn kind(&self) -> FrameKind {
        self.kind
    }
}

/// The result of decoding one access.
enum Access {
    /// A 32-bit register (or half of a 64-bit one) at this word offset.
    Word(u64),
    /// A 64-bit access to the 64-bit register at this offset.
    Double(u64),
}

fn decode(offset: u64, size: u8) -> Option<Access> {
    match size {
        1 | 2 | 4 if offset.is_multiple_of(4) => Some(Access::Word(offset)),
        8 if offset.is_multiple_of(8) => Some(Access::Double(offset)),
        _ => None,
    }
}

impl GenericTimer {
    /// The FVP counter and frames, counting the machine's guest time.
    pub fn new(clock: Arc<GuestClock>) -> Arc<GenericTimer> {
        GenericTimer::with_config(clock, GenericTimerConfig::default())
    }

    pub fn with_config(clock: Arc<GuestClock>, config: GenericTimerConfig) -> Arc<GenericTimer> {
        Arc::new(GenericTimer {
            config,
            clock,
            inner: Mutex::new(GenericTimerState::default()),
            bad: BadAccesses::default(),
            outputs: Default::default(),
        })
    }

    pub fn config(&self) -> &GenericTimerConfig {
        &self.config
    }

    fn frame(self: &Arc<Self>, kind: FrameKind, name: String) -> Arc<GenericTimerFrame> {
        Arc::new(GenericTimerFrame { timer: self.clone(), kind, name })
    }

    /// CNTControlBase (map at [`FVP_CNTCONTROL_BASE`]).
    pub fn control_base(self: &Arc<Self>) -> Arc<GenericTimerFrame> {
        self.frame(FrameKind::Control, "cnt-control".into())
    }

    /// CNTReadBase (map at [`FVP_CNTREAD_BASE`]).
    pub fn read_base(self: &Arc<Self>) -> Arc<GenericTimerFrame> {
        self.frame(FrameKind::Read, "cnt-read".into())
    }

    /// CNTCTLBase (map at [`FVP_CNTCTL_BASE`]).
    pub fn ctl_base(self: &Arc<Self>) -> Arc<GenericTimerFrame> {
        self.frame(FrameKind::Ctl, "cnt-ctl".into())
    }

    /// `CNTBase<n>` (map at [`fvp_cntbase`]`(n)`). A frame the configuration
    /// does not implement reads as zero everywhere.
    pub fn timer_base(self: &Arc<Self>, n: usize) -> Arc<GenericTimerFrame> {
        self.frame(FrameKind::Timer(n), format!("cnt-base{n}"))
    }

    /// The system count now (CNTCV, CNTPCT): guest ns at CNTFID0.
    pub fn count(&self) -> u64 {
        (u128::from(self.clock.now_ns()) * u128::from(self.config.frequency) / 1_000_000_000) as u64
    }

    /// Guest ns at which the count reaches `ticks` (rounded up).
    fn ns_at_count(&self, ticks: u64) -> u64 {
        let f = u128::from(self.config.frequency.max(1));
        let ns = (u128::from(ticks) * 1_000_000_000).div_ceil(f);
        u64::try_from(ns).unwrap_or(u64::MAX)
    }

    /// The count frame `n`'s timer compares against.
    fn timer_count(&self, s: &GenericTimerState, n: usize, t: FrameTimer, count: u64) -> u64 {
        match t {
            FrameTimer::Phys => count,
            FrameTimer::Virt => count.wrapping_sub(s.cntvoff[n]),
        }
    }

    fn ctl_cval(s: &GenericTimerState, n: usize, t: FrameTimer) -> (u32, u64) {
        let f = &s.frames[n];
        match t {
            FrameTimer::Phys => (f.cntp_ctl, f.cntp_cval),
            FrameTimer::Virt => (f.cntv_ctl, f.cntv_cval),
        }
    }

    /// CNTx_CTL with ISTATUS.
    fn ctl_value(&self, s: &GenericTimerState, n: usize, t: FrameTimer, count: u64) -> u32 {
        let (ctl, cval) = Self::ctl_cval(s, n, t);
        let fired = ctl & CTL_ENABLE != 0 && self.timer_count(s, n, t, count) >= cval;
        ctl | if fired { CTL_ISTATUS } else { 0 }
    }

    fn exists(&self, n: usize, t: FrameTimer) -> bool {
        match t {
            FrameTimer::Phys => self.config.implemented(n),
            FrameTimer::Virt => self.config.has_virtual(n),
        }
    }

    /// The interrupt output of frame `n`'s timer `t`: ENABLE, ISTATUS and
    /// not IMASK. The platform wires it to the GIC (FVP: frame 1's physical
    /// timer is SPI [`FVP_CNTBASE1_PHYS_SPI`]).
    pub fn irq_level(&self, n: usize, t: FrameTimer) -> bool {
        if !self.exists(n, t) {
            return false;
        }
        let s = self.inner.lock();
        let ctl = self.ctl_value(&s, n, t, self.count());
        ctl & (CTL_ISTATUS | CTL_IMASK) == CTL_ISTATUS
    }

    /// Wires the interrupt output of frame `n`'s timer `t` to `line`.
    pub fn connect_interrupt(&self, n: usize, t: FrameTimer, line: crate::InterruptLine) {
        if let Some(o) = self.outputs.get(n) {
            o[t as usize].connect(line, self.irq_level(n, t));
        }
    }

    /// Drives every output with its current level (after a register write,
    /// and as guest time passes: [`crate::TimedDevice::update`]).
    fn update_outputs(&self) {
        for (n, o) in self.outputs.iter().enumerate() {
            for t in [FrameTimer::Phys, FrameTimer::Virt] {
                o[t as usize].drive(self.irq_level(n, t));
            }
        }
    }

    /// The earliest guest time (ns) at which a timer output that is now
    /// deasserted will assert (enabled, unmasked timers only); `None` when
    /// no such event is due.
    pub fn next_event_ns(&self) -> Option<u64> {
        let s = self.inner.lock();
        let count = self.count();
        let mut next: Option<u64> = None;
        for n in 0..MAX_FRAMES {
            for t in [FrameTimer::Phys, FrameTimer::Virt] {
                if !self.exists(n, t) {
                    continue;
                }
                let (ctl, cval) = Self::ctl_cval(&s, n, t);
                let now = self.timer_count(&s, n, t, count);
                if ctl & (CTL_ENABLE | CTL_IMASK) != CTL_ENABLE || now >= cval {
                    continue;
                }
                let at = self.ns_at_count(count.saturating_add(cval - now));
                next = Some(next.map_or(at, |x| x.min(at)));
            }
        }
        next
    }

    /// A copy of the register state.
    pub fn state(&self) -> GenericTimerState {
        self.inner.lock().clone()
    }

    /// Returns the registers to their reset values (bad-access count kept;
    /// the count is the guest clock and is not reset here).
    pub fn reset(&self) {
        *self.inner.lock() = GenericTimerState::default();
    }

    /// Accesses that reached no register or were refused (see the module
    /// documentation).
    pub fn bad_accesses(&self) -> u64 {
        self.bad.count()
    }

    fn bad_access(&self, kind: FrameKind, offset: u64, size: u8, write: bool, why: BadAccess) {
        if self.bad.record(kind.tag() | offset, write) {
            tracing::debug!(target: "timer", frame = ?kind, offset = format_args!("{offset:#x}"), size,
                write, "{} (ignored; logged once per offset)", why.describe());
        }
    }

    /// Reads the 32-bit register (or half) at `reg` of `kind`.
    fn read_word(
        &self,
        s: &GenericTimerState,
        kind: FrameKind,
        reg: u64,
        secure: bool,
        count: u64,
    ) -> Result<u32, BadAccess> {
        if let Some(v) = IDS.read(reg) {
            if let FrameKind::Timer(n) = kind
                && !self.config.implemented(n)
            {
                return Err(BadAccess::NoRegister);
            }
            return Ok(v);
        }
        match kind {
            FrameKind::Control => {
                if !secure {
                    return Err(BadAccess::SecureOnly);
                }
                match reg {
                    CNTCR => Ok(s.cntcr),
                    CNTSR => Ok(0),
                    CNTCV_LO => Ok(count as u32),
                    CNTCV_HI => Ok((count >> 32) as u32),
                    CNTID => Ok(0),
                    CNTFID0 => Ok(self.config.frequency),
                    CNTFID1 => Ok(0),
                    _ => Err(BadAccess::NoRegister),
                }
            }
            FrameKind::Read => match reg {
                CNTREAD_CNTCV_LO => Ok(count as u32),
                CNTREAD_CNTCV_HI => Ok((count >> 32) as u32),
                _ => Err(BadAccess::NoRegister),
            },
            FrameKind::Ctl => match reg {
                CNTCTLBASE_CNTFRQ | CNTNSAR if !secure => Err(BadAccess::SecureOnly),
                CNTCTLBASE_CNTFRQ => Ok(s.cntfrq),
                CNTNSAR => Ok(s.cntnsar),
                CNTTIDR => Ok(self.config.cnttidr()),
                0x040..=0x05c => {
                    let n = ((reg - 0x40) / 4) as usize;
                    self.ctl_frame_access(s, n, secure, false)?;
                    Ok(s.cntacr[n])
                }
                0x080..=0x0bc => {
                    let n = ((reg - 0x80) / 8) as usize;
                    self.ctl_frame_access(s, n, secure, true)?;
                    Ok(if reg.is_multiple_of(8) { s.cntvoff[n] as u32 } else { (s.cntvoff[n] >> 32) as u32 })
                }
                _ => Err(BadAccess::NoRegister),
            },
            FrameKind::Timer(n) => {
                self.timer_frame_access(s, n, secure)?;
                let acr = s.cntacr[n];
                let need = |bit: u32| if acr & bit != 0 { Ok(()) } else { Err(BadAccess::NotPermitted) };
                let virt = self.config.has_virtual(n);
                let vcount = count.wrapping_sub(s.cntvoff[n]);
                let f = &s.frames[n];
                let half = |v: u64, hi: bool| if hi { (v >> 32) as u32 } else { v as u32 };
                match reg {
                    CNTPCT_LO | CNTPCT_HI => need(CNTACR_RPCT).map(|_| half(count, reg == CNTPCT_HI)),
                    CNTVCT_LO | CNTVCT_HI => need(CNTACR_RVCT).map(|_| half(vcount, reg == CNTVCT_HI)),
                    CNTBASE_CNTFRQ => need(CNTACR_RFRQ).map(|_| s.cntfrq),
                    // No EL0 view (CNTTIDR.FEL0 = 0): RES0.
                    CNTEL0ACR => Ok(0),
                    CNTBASE_CNTVOFF_LO | CNTBASE_CNTVOFF_HI if virt => {
                        need(CNTACR_RVOFF).map(|_| half(s.cntvoff[n], reg == CNTBASE_CNTVOFF_HI))
                    }
                    CNTP_CVAL_LO | CNTP_CVAL_HI => need(CNTACR_RWPT).map(|_| half(f.cntp_cval, reg == CNTP_CVAL_HI)),
                    CNTP_TVAL => need(CNTACR_RWPT).map(|_| f.cntp_cval.wrapping_sub(count) as u32),
                    CNTP_CTL => need(CNTACR_RWPT).map(|_| self.ctl_value(s, n, FrameTimer::Phys, count)),
                    CNTV_CVAL_LO | CNTV_CVAL_HI if virt => {
                        need(CNTACR_RWVT).map(|_| half(f.cntv_cval, reg == CNTV_CVAL_HI))
                    }
                    CNTV_TVAL if virt => need(CNTACR_RWVT).map(|_| f.cntv_cval.wrapping_sub(vcount) as u32),
                    CNTV_CTL if virt => need(CNTACR_RWVT).map(|_| self.ctl_value(s, n, FrameTimer::Virt, count)),
                    // The virtual time and offset registers of a frame
                    // without virtual capability are RES0.
                    CNTBASE_CNTVOFF_LO | CNTBASE_CNTVOFF_HI | CNTV_CVAL_LO | CNTV_CVAL_HI | CNTV_TVAL | CNTV_CTL => {
                        Ok(0)
                    }
                    _ => Err(BadAccess::NoRegister),
                }
            }
        }
    }

    /// Whether `CNTACR<n>` (`voff` false) or `CNTVOFF<n>` (`voff` true) of
    /// CNTCTLBase is reachable.
    fn ctl_frame_access(&self, s: &GenericTimerState, n: usize, secure: bool, voff: bool) -> Result<(), BadAccess> {
        let present = if voff { self.config.has_virtual(n) } else { self.config.implemented(n) };
        if !present {
            Err(BadAccess::NoRegister)
        } else if !secure && s.cntnsar & (1 << n) == 0 {
            Err(BadAccess::SecureOnly)
        } else {
            Ok(())
        }
    }

    fn timer_frame_access(&self, s: &GenericTimerState, n: usize, secure: bool) -> Result<(), BadAccess> {
        if !self.config.implemented(n) {
            Err(BadAccess::NoRegister)
        } else if !secure && s.cntnsar & (1 << n) == 0 {
            Err(BadAccess::SecureOnly)
        } else {
            Ok(())
        }
    }

    /// Writes the 32-bit register (or half) at `reg` of `kind`.
    fn write_word(
        &self,
        s: &mut GenericTimerState,
        kind: FrameKind,
        reg: u64,
        value: u32,
        secure: bool,
        count: u64,
    ) -> Result<(), BadAccess> {
        if IDS.read(reg).is_some() {
            return Err(BadAccess::ReadOnly);
        }
        let set_half = |old: u64, hi: bool| {
            if hi { (old & 0xffff_ffff) | u64::from(value) << 32 } else { (old & !0xffff_ffff) | u64::from(value) }
        };
        match kind {
            FrameKind::Control => {
                if !secure {
                    return Err(BadAccess::SecureOnly);
                }
                match reg {
                    CNTCR => {
                        let old = s.cntcr;
                        // FCREQ can only select entry 0 (the only table entry).
                        s.cntcr = value & (CNTCR_EN | CNTCR_HDBG);
                        if (old ^ s.cntcr) & CNTCR_EN != 0 {
                            tracing::debug!(target: "timer", en = s.cntcr & CNTCR_EN != 0,
                                "CNTCR.EN written (the counter is the guest clock and always counts)");
                        }
                        Ok(())
                    }
                    CNTCV_LO | CNTCV_HI => {
                        tracing::debug!(target: "timer", value = format_args!("{value:#x}"),
                            "CNTCV write ignored (the counter is the guest clock)");
                        Ok(())
                    }
                    CNTSR | CNTID | CNTFID0 | CNTFID1 => Err(BadAccess::ReadOnly),
                    _ => Err(BadAccess::NoRegister),
                }
            }
            FrameKind::Read => match reg {
                CNTREAD_CNTCV_LO | CNTREAD_CNTCV_HI => Err(BadAccess::ReadOnly),
                _ => Err(BadAccess::NoRegister),
            },
            FrameKind::Ctl => match reg {
                CNTCTLBASE_CNTFRQ | CNTNSAR if !secure => Err(BadAccess::SecureOnly),
                CNTCTLBASE_CNTFRQ => {
                    s.cntfrq = value;
                    Ok(())
                }
                CNTNSAR => {
                    s.cntnsar = value & u32::from(self.config.frames);
                    Ok(())
                }
                CNTTIDR => Err(BadAccess::ReadOnly),
                0x040..=0x05c => {
                    let n = ((reg - 0x40) / 4) as usize;
                    self.ctl_frame_access(s, n, secure, false)?;
                    let mut v = value & CNTACR_MASK;
                    if !self.config.has_virtual(n) {
                        // No virtual time/offset registers to grant.
                        v &= !(CNTACR_RWVT | CNTACR_RVOFF);
                    }
                    s.cntacr[n] = v;
                    Ok(())
                }
                0x080..=0x0bc => {
                    let n = ((reg - 0x80) / 8) as usize;
                    self.ctl_frame_access(s, n, secure, true)?;
                    s.cntvoff[n] = set_half(s.cntvoff[n], !reg.is_multiple_of(8));
                    Ok(())
                }
                _ => Err(BadAccess::NoRegister),
            },
            FrameKind::Timer(n) => {
                self.timer_frame_access(s, n, secure)?;
                let acr = s.cntacr[n];
                let need = |bit: u32| if acr & bit != 0 { Ok(()) } else { Err(BadAccess::NotPermitted) };
                let virt = self.config.has_virtual(n);
                let vcount = count.wrapping_sub(s.cntvoff[n]);
                let f = &mut s.frames[n];
                match reg {
                    CNTP_CVAL_LO | CNTP_CVAL_HI => {
                        need(CNTACR_RWPT)?;
                        f.cntp_cval = set_half(f.cntp_cval, reg == CNTP_CVAL_HI);
                        Ok(())
                    }
                    CNTP_TVAL => {
                        need(CNTACR_RWPT)?;
                        f.cntp_cval = count.wrapping_add(value as i32 as i64 as u64);
                        Ok(())
                    }
                    CNTP_CTL => {
                        need(CNTACR_RWPT)?;
                        f.cntp_ctl = value & (CTL_ENABLE | CTL_IMASK);
                        Ok(())
                    }
                    CNTV_CVAL_LO | CNTV_CVAL_HI if virt => {
                        need(CNTACR_RWVT)?;
                        f.cntv_cval = set_half(f.cntv_cval, reg == CNTV_CVAL_HI);
                        Ok(())
                    }
                    CNTV_TVAL if virt => {
                        need(CNTACR_RWVT)?;
                        f.cntv_cval = vcount.wrapping_add(value as i32 as i64 as u64);
                        Ok(())
                    }
                    CNTV_CTL if virt => {
                        need(CNTACR_RWVT)?;
                        f.cntv_ctl = value & (CTL_ENABLE | CTL_IMASK);
                        Ok(())
                    }
                    // RES0 without an EL0 view / virtual capability.
                    CNTEL0ACR | CNTV_CVAL_LO | CNTV_CVAL_HI | CNTV_TVAL | CNTV_CTL => Ok(()),
                    CNTPCT_LO | CNTPCT_HI | CNTVCT_LO | CNTVCT_HI | CNTBASE_CNTFRQ | CNTBASE_CNTVOFF_LO
                    | CNTBASE_CNTVOFF_HI => Err(BadAccess::ReadOnly),
                    _ => Err(BadAccess::NoRegister),
                }
            }
        }
    }

    /// Whether `reg` is the low half of a 64-bit register of `kind`.
    fn is_64bit(&self, kind: FrameKind, reg: u64) -> bool {
        match kind {
            FrameKind::Control => reg == CNTCV_LO,
            FrameKind::Read => reg == CNTREAD_CNTCV_LO,
            FrameKind::Ctl => (0x080..=0x0b8).contains(&reg),
            FrameKind::Timer(_) => {
                matches!(reg, CNTPCT_LO | CNTVCT_LO | CNTBASE_CNTVOFF_LO | CNTP_CVAL_LO | CNTV_CVAL_LO)
            }
        }
    }

    fn mmio_read(&self, kind: FrameKind, offset: u64, size: u8, attrs: AccessAttrs) -> u64 {
        let secure = is_secure(attrs.pas);
        let result = match decode(offset, size) {
            None => Err(BadAccess::SizeOrAlignment),
            Some(Access::Word(reg)) => {
                let s = self.inner.lock();
                self.read_word(&s, kind, reg, secure, self.count()).map(|v| narrow(v, size))
            }
            Some(Access::Double(reg)) if self.is_64bit(kind, reg) => {
                let s = self.inner.lock();
                let count = self.count();
                self.read_word(&s, kind, reg, secure, count).and_then(|lo| {
                    let hi = self.read_word(&s, kind, reg + 4, secure, count)?;
                    Ok(u64::from(hi) << 32 | u64::from(lo))
                })
            }
            Some(Access::Double(_)) => Err(BadAccess::SizeOrAlignment),
        };
        result.unwrap_or_else(|why| {
            self.bad_access(kind, offset, size, false, why);
            0
        })
    }

    fn mmio_write(&self, kind: FrameKind, offset: u64, size: u8, value: u64, attrs: AccessAttrs) {
        let secure = is_secure(attrs.pas);
        let result = match decode(offset, size) {
            None => Err(BadAccess::SizeOrAlignment),
            Some(Access::Word(reg)) => {
                let mut s = self.inner.lock();
                let v = narrow(value as u32, size) as u32;
                self.write_word(&mut s, kind, reg, v, secure, self.count())
            }
            Some(Access::Double(reg)) if self.is_64bit(kind, reg) => {
                let mut s = self.inner.lock();
                let count = self.count();
                self.write_word(&mut s, kind, reg, value as u32, secure, count)
                    .and_then(|_| self.write_word(&mut s, kind, reg + 4, (value >> 32) as u32, secure, count))
            }
            Some(Access::Double(_)) => Err(BadAccess::SizeOrAlignment),
        };
        if let Err(why) = result {
            self.bad_access(kind, offset, size, true, why);
        }
    }
}

impl MmioDevice for GenericTimerFrame {
    fn name(&self) -> &str {
        &self.name
    }

    fn read(&self, offset: u64, size: u8, attrs: AccessAttrs) -> MmioResult<u64> {
        Ok(self.timer.mmio_read(self.kind, offset, size, attrs))
    }

    fn write(&self, offset: u64, size: u8, value: u64, attrs: AccessAttrs) -> MmioResult<()> {
        self.timer.mmio_write(self.kind, offset, size, value, attrs);
        self.timer.update_outputs();
        Ok(())
    }
}

impl crate::timed_device::TimedDevice for GenericTimer {
    fn next_event_ns(&self) -> Option<u64> {
        GenericTimer::next_event_ns(self)
    }

    fn update(&self, _now_ns: u64) {
        self.update_outputs();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cnttidr_from_config() {
        assert_eq!(GenericTimerConfig::default().cnttidr(), 0x11);
        let c = GenericTimerConfig { frequency: 1, frames: 0b101, virtual_frames: 0b100 };
        assert_eq!(c.cnttidr(), 0x301);
    }

    #[test]
    fn count_follows_guest_ns() {
        let clock = Arc::new(GuestClock::new());
        let t = GenericTimer::new(clock.clone());
        clock.advance_to(1_000_000_007);
        assert_eq!(t.count(), 100_000_000);
        assert_eq!(t.ns_at_count(100_000_001), 1_000_000_010);
    }
}
