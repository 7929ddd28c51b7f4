//! ARM PrimeXsys System Controller (SP810): the FVP motherboard's `sysctl`
//! at 0x1c02_0000, whose only job that software relies on is to choose
//! the reference clock of the SP804 dual timers.
//!
//! References: *ARM PrimeXsys System Controller (SP810) Technical
//! Reference Manual* (Arm DDI 0254), chapter 3 "Programmer's Model"
//! (SCCTRL, SCSYSSTAT, SCIMCTRL, SCIMSTAT, SCXTALCTRL, SCPLLCTRL,
//! SCPLLFCTRL, SCPERCTRL0/1, SCPEREN, SCPERDIS, SCPERCLKEN, SCPERSTAT,
//! SCSYSID0-3, SCITCR, SCITIR0/1, SCITOR, SCCNTCTRL, SCCNTDATA, SCCNTSTEP,
//! SCPeriphID0-3, SCPCellID0-3); Linux `include/linux/amba/sp810.h`
//! (`SCCTRL_TIMERENnSEL_SHIFT(n) = 15 + 2n`) and
//! `drivers/clk/versatile/clk-sp810.c` (the "timerclken0..3" clocks: on
//! prepare Linux sets TimerEn\<n\>Sel to select the 1 MHz TIMCLK); U-Boot's
//! vexpress `SP810_TIMER<n>_ENSEL` (bits 15, 17, 19, 21).
//!
//! What is modelled:
//! * SCCTRL.TimerEn\<n\>Sel [15 + 2n] chooses, for timer `n` (0-3: on FVP
//!   timers 0 and 1 of the SP804 at 0x1c11_0000 and timers 0 and 1 of the
//!   one at 0x1c12_0000), the clock enable TIMCLKEN\<n\>: 0 = REFCLK
//!   (32.768 kHz, the reset value), 1 = TIMCLK (1 MHz). TimerEn\<n\>Ov
//!   [16 + 2n] forces TIMCLKEN\<n\> high: the timer counts at TIMCLK.
//!   [`Sp810::timer_clock_hz`] gives the resulting rate; the SP804s read
//!   it, and [`Sp810::on_timer_clock_change`] tells them just before it
//!   changes so they count the time before the change at the old rate.
//! * SCCTRL.ModeCtrl \[2:0\] / ModeStatus \[6:3\]: the requested mode is
//!   reached at once (no crystal or PLL to wait for): SLEEP (000) reports
//!   0b0000, DOZE (001) 0b0001, SLOW (01x) 0b0010, NORMAL (1xx) 0b0100.
//!   Reset value 0x0000_0009 (DOZE requested and reached). RemapStat \[9\]
//!   reads 0 (FVP does not remap); the other SCCTRL bits are stored.
//! * SCPEREN / SCPERDIS set / clear bits of SCPERCLKEN (reset: all
//!   enabled); SCPERSTAT reads SCPERCLKEN (the clocks follow at once).
//! * SCSYSSTAT reads 0; a write (a system soft-reset request in the TRM) is
//!   logged, not acted on (FVP software resets through PSCI / V2M).
//! * SCIMCTRL, SCIMSTAT, SCXTALCTRL, SCPLLCTRL, SCPLLFCTRL, SCPERCTRL0/1
//!   and the integration-test registers are plain storage; SCSYSID0-3 read
//!   [`Sp810Config::sys_id`].
//! * Identification registers: part 0x810, designer 0x41, revision 0.
//!
//! Bad accesses (no register, read of a write-only or write of a read-only
//! one, wrong size) are logged once per offset and counted (target
//! `platform`), never failed.

use crate::access::{BadAccess, BadAccesses, mmio_device_of_registers};
use crate::peripheral_id::{CIDR_PRIMECELL, IdRegs};
use parking_lot::Mutex;
use rme_mmu::AccessAttrs;

/// FVP Base RevC address (the device tree's sysctl@20000 on the
/// motherboard bus).
pub const FVP_SP810_BASE: u64 = 0x1c02_0000;
pub const SP810_SIZE: u64 = 0x1000;

pub const SCCTRL: u64 = 0x000;
pub const SCSYSSTAT: u64 = 0x004;
pub const SCIMCTRL: u64 = 0x008;
pub const SCIMSTAT: u64 = 0x00c;
pub const SCXTALCTRL: u64 = 0x010;
pub const SCPLLCTRL: u64 = 0x014;
pub const SCPLLFCTRL: u64 = 0x018;
pub const SCPERCTRL0: u64 = 0x01c;
pub const SCPERCTRL1: u64 = 0x020;
pub const SCPEREN: u64 = 0x024;
pub const SCPERDIS: u64 = 0x028;
pub const SCPERCLKEN: u64 = 0x02c;
pub const SCPERSTAT: u64 = 0x030;
pub const SCSYSID0: u64 = 0xee0;
pub const SCSYSID3: u64 = 0xeec;
pub const SCITCR: u64 = 0xf00;
pub const SCITIR0: u64 = 0xf04;
pub const SCITIR1: u64 = 0xf08;
pub const SCITOR: u64 = 0xf0c;
pub const SCCNTCTRL: u64 = 0xf10;
pub const SCCNTDATA: u64 = 0xf14;
pub const SCCNTSTEP: u64 = 0xf18;

/// SCCTRL fields.
pub const SCCTRL_MODECTRL: u32 = 0b111;
pub const SCCTRL_MODESTATUS_SHIFT: u32 = 3;
pub const SCCTRL_MODESTATUS: u32 = 0xf << SCCTRL_MODESTATUS_SHIFT;
pub const SCCTRL_REMAPSTAT: u32 = 1 << 9;
/// SCCTRL.TimerEn\<n\>Sel: 1 selects TIMCLK for timer `n`, 0 REFCLK.
pub const fn scctrl_timeren_sel(n: usize) -> u32 {
    1 << (15 + 2 * n)
}
/// SCCTRL.TimerEn\<n\>Ov: TIMCLKEN\<n\> forced high.
pub const fn scctrl_timeren_ov(n: usize) -> u32 {
    1 << (16 + 2 * n)
}
/// The SCCTRL bits that choose timer clocks (TimerEn0Sel..TimerEn3Ov).
pub const SCCTRL_TIMER_BITS: u32 = 0xff << 15;
/// SCCTRL at reset: ModeCtrl = DOZE (001), ModeStatus = DOZE (0001),
/// every TimerEn\<n\>Sel = 0 (REFCLK).
pub const SCCTRL_RESET: u32 = 0x0000_0009;

/// SCPeriphID0-3 (part 0x810, designer 0x41, revision 0), SCPCellID0-3.
const IDS: IdRegs = IdRegs { pidr: [0x10, 0x18, 0x04, 0x00, 0, 0, 0, 0], cidr: CIDR_PRIMECELL };

/// Board configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sp810Config {
    /// REFCLK, the slow reference clock (Hz).
    pub refclk_hz: u64,
    /// TIMCLK, the timer clock (Hz).
    pub timclk_hz: u64,
    /// SCSYSID0-3 (the SCSYSID inputs, tied off by the integrator).
    pub sys_id: [u32; 4],
}

impl Sp810Config {
    /// The V2M motherboard: REFCLK 32.768 kHz, TIMCLK 1 MHz (the FVP
    /// device tree's v2m_refclk32khz and v2m_refclk1mhz).
    pub const FVP: Sp810Config = Sp810Config { refclk_hz: 32_768, timclk_hz: 1_000_000, sys_id: [0; 4] };
}

impl Default for Sp810Config {
    fn default() -> Self {
        Sp810Config::FVP
    }
}

/// The guest-visible registers of an SP810.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sp810State {
    /// SCCTRL as written (ModeStatus and RemapStat are computed on read).
    pub scctrl: u32,
    pub scimctrl: u32,
    pub scimstat: u32,
    pub scxtalctrl: u32,
    pub scpllctrl: u32,
    pub scpllfctrl: u32,
    pub scperctrl: [u32; 2],
    /// SCPERCLKEN.
    pub perclken: u32,
    pub scitcr: u32,
    pub scitir: [u32; 2],
    pub scitor: u32,
    pub sccnt: [u32; 3],
}

impl Default for Sp810State {
    fn default() -> Self {
        Sp810State {
            scctrl: SCCTRL_RESET & !SCCTRL_MODESTATUS,
            scimctrl: 0,
            scimstat: 0,
            scxtalctrl: 0,
            scpllctrl: 0,
            scpllfctrl: 0,
            scperctrl: [0; 2],
            perclken: u32::MAX,
            scitcr: 0,
            scitir: [0; 2],
            scitor: 0,
            sccnt: [0; 3],
        }
    }
}

type Listener = Box<dyn Fn() + Send + Sync>;

/// One SP810 system controller.
pub struct Sp810 {
    name: String,
    config: Sp810Config,
    inner: Mutex<Sp810State>,
    listeners: Mutex<Vec<Listener>>,
    bad: BadAccesses,
}

impl Sp810 {
    pub fn new(name: impl Into<String>, config: Sp810Config) -> Sp810 {
        Sp810 {
            name: name.into(),
            config,
            inner: Mutex::new(Sp810State::default()),
            listeners: Mutex::new(Vec::new()),
            bad: BadAccesses::default(),
        }
    }

    pub fn config(&self) -> &Sp810Config {
        &self.config
    }

    /// The rate (Hz) at which timer `n` (0-3) counts: TIMCLK when
    /// SCCTRL.TimerEn\<n\>Ov or TimerEn\<n\>Sel is set, else REFCLK.
    pub fn timer_clock_hz(&self, n: usize) -> u64 {
        let scctrl = self.inner.lock().scctrl;
        if scctrl & (scctrl_timeren_sel(n) | scctrl_timeren_ov(n)) != 0 {
            self.config.timclk_hz
        } else {
            self.config.refclk_hz
        }
    }

    /// Calls `f` just before a write changes a timer clock selection (so a
    /// timer can count the time up to now at the old rate); `f` may call
    /// [`Sp810::timer_clock_hz`], which still gives the old rates.
    pub fn on_timer_clock_change(&self, f: impl Fn() + Send + Sync + 'static) {
        self.listeners.lock().push(Box::new(f));
    }

    /// SCCTRL as read: ModeStatus follows ModeCtrl at once.
    fn scctrl_read(scctrl: u32) -> u32 {
        let status = match scctrl & SCCTRL_MODECTRL {
            0b000 => 0b0000,       // SLEEP
            0b001 => 0b0001,       // DOZE
            0b010 | 0b011 => 0b0010, // SLOW
            _ => 0b0100,           // NORMAL
        };
        (scctrl & !(SCCTRL_MODESTATUS | SCCTRL_REMAPSTAT)) | status << SCCTRL_MODESTATUS_SHIFT
    }

    /// A copy of the registers.
    pub fn state(&self) -> Sp810State {
        self.inner.lock().clone()
    }

    /// Returns the registers to their reset values (bad-access count kept;
    /// listeners told if the timer clocks change).
    pub fn reset(&self) {
        self.set_scctrl(Sp810State::default().scctrl);
        *self.inner.lock() = Sp810State::default();
    }

    /// Accesses that reached no register (see the module documentation).
    pub fn bad_accesses(&self) -> u64 {
        self.bad.count()
    }

    fn bad_access(&self, offset: u64, size: u8, write: bool, why: BadAccess) {
        self.bad.report(&self.name, offset, size, write, why);
    }

    fn set_scctrl(&self, value: u32) {
        let value = value & !(SCCTRL_MODESTATUS | SCCTRL_REMAPSTAT);
        let old = self.inner.lock().scctrl;
        if (old ^ value) & SCCTRL_TIMER_BITS != 0 {
            // Without our lock held: the listeners read the old rates.
            for f in self.listeners.lock().iter() {
                f();
            }
            tracing::debug!(target: "platform", device = %self.name,
                rates = ?(0..4).map(|n| if value & (scctrl_timeren_sel(n) | scctrl_timeren_ov(n)) != 0 {
                    self.config.timclk_hz } else { self.config.refclk_hz }).collect::<Vec<_>>(),
                "SP804 timer clocks selected");
        }
        self.inner.lock().scctrl = value;
    }

    fn read_reg(&self, reg: u64, _attrs: AccessAttrs) -> Result<u32, BadAccess> {
        let s = self.inner.lock();
        match reg {
            SCCTRL => Ok(Self::scctrl_read(s.scctrl)),
            SCSYSSTAT => Ok(0),
            SCIMCTRL => Ok(s.scimctrl),
            SCIMSTAT => Ok(s.scimstat),
            SCXTALCTRL => Ok(s.scxtalctrl),
            SCPLLCTRL => Ok(s.scpllctrl),
            SCPLLFCTRL => Ok(s.scpllfctrl),
            SCPERCTRL0 => Ok(s.scperctrl[0]),
            SCPERCTRL1 => Ok(s.scperctrl[1]),
            SCPERCLKEN | SCPERSTAT => Ok(s.perclken),
            SCPEREN | SCPERDIS => Err(BadAccess::WriteOnly),
            SCSYSID0..=SCSYSID3 => Ok(self.config.sys_id[((reg - SCSYSID0) / 4) as usize]),
            SCITCR => Ok(s.scitcr),
            SCITIR0 => Ok(s.scitir[0]),
            SCITIR1 => Ok(s.scitir[1]),
            SCITOR => Ok(s.scitor),
            SCCNTCTRL..=SCCNTSTEP => Ok(s.sccnt[((reg - SCCNTCTRL) / 4) as usize]),
            r => IDS.read(r).ok_or(BadAccess::NoRegister),
        }
    }

    fn write_reg(&self, reg: u64, value: u32, _attrs: AccessAttrs) -> Result<(), BadAccess> {
        if reg == SCCTRL {
            self.set_scctrl(value);
            return Ok(());
        }
        let mut s = self.inner.lock();
        match reg {
            SCSYSSTAT => {
                tracing::info!(target: "platform", device = %self.name,
                    "SCSYSSTAT written (soft reset request): not acted on");
            }
            SCIMCTRL => s.scimctrl = value,
            SCIMSTAT => s.scimstat = value,
            SCXTALCTRL => s.scxtalctrl = value,
            SCPLLCTRL => s.scpllctrl = value,
            SCPLLFCTRL => s.scpllfctrl = value,
            SCPERCTRL0 => s.scperctrl[0] = value,
            SCPERCTRL1 => s.scperctrl[1] = value,
            SCPEREN => s.perclken |= value,
            SCPERDIS => s.perclken &= !value,
            SCITCR => s.scitcr = value & 1,
            SCITIR0 => s.scitir[0] = value,
            SCITIR1 => s.scitir[1] = value,
            SCITOR => s.scitor = value,
            SCCNTCTRL..=SCCNTSTEP => s.sccnt[((reg - SCCNTCTRL) / 4) as usize] = value,
            SCPERCLKEN | SCPERSTAT | SCSYSID0..=SCSYSID3 => return Err(BadAccess::ReadOnly),
            r if IDS.read(r).is_some() => return Err(BadAccess::ReadOnly),
            _ => return Err(BadAccess::NoRegister),
        }
        Ok(())
    }
}

mmio_device_of_registers!(Sp810, |self| &self.name);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_access::{r, w};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};


    /// DDI 0254: SCCTRL resets to DOZE requested and reached, REFCLK for
    /// every timer; SCPeriphID0-3 / SCPCellID0-3.
    #[test]
    fn reset_values_and_ids() {
        let d = Sp810::new("sysctl", Sp810Config::FVP);
        assert_eq!(r(&d, SCCTRL), SCCTRL_RESET);
        for n in 0..4 {
            assert_eq!(d.timer_clock_hz(n), 32_768);
        }
        assert_eq!(r(&d, SCSYSSTAT), 0);
        assert_eq!(r(&d, SCPERCLKEN), u32::MAX);
        let ids: Vec<u32> = (0..8).map(|i| r(&d, 0xfe0 + 4 * i)).collect();
        assert_eq!(ids, [0x10, 0x18, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1]);
        assert_eq!(IDS.part_number(), 0x810);
        assert_eq!(d.bad_accesses(), 0);
    }

    /// SCCTRL.TimerEn\<n\>Sel [15 + 2n] selects TIMCLK (1 MHz) for timer n;
    /// TimerEn\<n\>Ov [16 + 2n] forces the enable high (TIMCLK too); Linux's
    /// clk-sp810 read-modify-writes one bit per timer.
    #[test]
    fn timer_clock_selection() {
        let d = Sp810::new("sysctl", Sp810Config::FVP);
        w(&d, SCCTRL, r(&d, SCCTRL) | 1 << 15);
        assert_eq!(d.timer_clock_hz(0), 1_000_000);
        assert_eq!(d.timer_clock_hz(1), 32_768);
        w(&d, SCCTRL, r(&d, SCCTRL) | 1 << 17 | 1 << 19 | 1 << 21);
        assert_eq!((0..4).map(|n| d.timer_clock_hz(n)).collect::<Vec<_>>(), [1_000_000; 4]);
        w(&d, SCCTRL, 1 << 22); // TimerEn3Ov only
        assert_eq!((0..4).map(|n| d.timer_clock_hz(n)).collect::<Vec<_>>(), [32_768, 32_768, 32_768, 1_000_000]);
        assert_eq!(r(&d, SCCTRL) & SCCTRL_TIMER_BITS, 1 << 22);
    }

    /// ModeStatus follows ModeCtrl; RemapStat and ModeStatus are not
    /// writable.
    #[test]
    fn mode_control() {
        let d = Sp810::new("sysctl", Sp810Config::FVP);
        for (ctrl, status) in [(0b000, 0b0000), (0b001, 0b0001), (0b010, 0b0010), (0b100, 0b0100)] {
            w(&d, SCCTRL, ctrl | 0xf << 3 | 1 << 9);
            assert_eq!(r(&d, SCCTRL), ctrl | status << 3, "ModeCtrl {ctrl:#b}");
        }
    }

    #[test]
    fn peripheral_clock_enables_and_storage() {
        let d = Sp810::new("sysctl", Sp810Config::FVP);
        w(&d, SCPERDIS, 0x0000_00f0);
        assert_eq!(r(&d, SCPERCLKEN), 0xffff_ff0f);
        w(&d, SCPEREN, 0x0000_0030);
        assert_eq!(r(&d, SCPERCLKEN), 0xffff_ff3f);
        assert_eq!(r(&d, SCPERSTAT), 0xffff_ff3f);
        for reg in [SCIMCTRL, SCXTALCTRL, SCPLLCTRL, SCPLLFCTRL, SCPERCTRL0, SCPERCTRL1, SCCNTDATA] {
            w(&d, reg, 0x1234_5678 ^ reg as u32);
            assert_eq!(r(&d, reg), 0x1234_5678 ^ reg as u32);
        }
        assert_eq!(d.bad_accesses(), 0);
        // Write-only, read-only, nothing.
        assert_eq!(r(&d, SCPEREN), 0);
        w(&d, SCPERSTAT, 0);
        w(&d, SCSYSID0, 1);
        w(&d, 0xfe0, 1);
        assert_eq!(r(&d, 0x100), 0);
        assert_eq!(d.bad_accesses(), 5);
        assert_eq!(r(&d, SCPERSTAT), 0xffff_ff3f);
    }

    /// The listeners run before the change, seeing the old rates, and only
    /// when a timer clock bit changes.
    #[test]
    fn listeners_see_the_old_rate() {
        let d = Arc::new(Sp810::new("sysctl", Sp810Config::FVP));
        let seen = Arc::new(AtomicU32::new(0));
        let (d2, s2) = (Arc::downgrade(&d), seen.clone());
        d.on_timer_clock_change(move || {
            let hz = d2.upgrade().unwrap().timer_clock_hz(0);
            s2.store(hz as u32, Ordering::Relaxed);
        });
        w(&*d, SCCTRL, SCCTRL_RESET | 0b100); // mode only: no call
        assert_eq!(seen.load(Ordering::Relaxed), 0);
        w(&*d, SCCTRL, SCCTRL_RESET | 1 << 15);
        assert_eq!(seen.load(Ordering::Relaxed), 32_768);
        assert_eq!(d.timer_clock_hz(0), 1_000_000);
    }
}
