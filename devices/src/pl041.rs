//! ARM PrimeCell Advanced Audio CODEC Interface (PL041, AACI): FVP Base
//! RevC's `aaci@40000` at 0x1c04_0000, AACIINTR on SPI 11.
//!
//! Reference: *ARM PrimeCell Advanced Audio CODEC Interface (PL041)
//! Technical Reference Manual*, ARM DDI 0173, chapter 3 "Programmer's
//! Model" (AACIRXCR1-4, AACITXCR1-4, AACISR1-4, AACIISR1-4, AACIIE1-4,
//! AACISL1RX/TX, AACISL2RX/TX, AACISL12RX/TX, AACISLFR, AACISLISTAT,
//! AACISLIEN, AACIINTCLR, AACIMAINCR, AACIRESET, AACISYNC, AACIALLINTS,
//! AACIMAINFR, AACIDR1-4, AACIPeriphID0-3, AACIPCellID0-3); Linux
//! `sound/arm/aaci.c` and `aaci.h` (register offsets and bits; the probe).
//!
//! What is modelled: the AACI with **no AC'97 codec on the AC-link**. The
//! link's bit clock (AACIBITCLK) is an input driven by the codec; with no
//! codec it never toggles, so no AC'97 frame is ever sent or received:
//! * Slot registers: writing AACISL1TX/SL2TX/SL12TX loads the register
//!   (AACISLFR.SLnTXE clears) and the data waits for a frame that never
//!   comes; AACISLFR.SLnTXB (shifting out in the current frame) stays
//!   clear. AACISLFR.SLnRXV (a received slot is valid) and SLnRXB never
//!   set; AACISLnRX read 0. Disabling the interface (AACIMAINCR.IfE 1 to
//!   0) empties the slot registers and the FIFOs.
//!   Linux `aaci_ac97_read` therefore sees slot 1 "sent" (SL1TXB clear),
//!   then waits its eight frame periods (168 x `udelay(1)`) for
//!   SL1RXV|SL2RXV and returns ~0 ("timeout on RX valid");
//!   `aaci_ac97_write` returns after its wait. `snd_ac97_mixer`'s two
//!   500 ms `ac97_reset_wait` loops end, the vendor ID reads 0xffffffff
//!   ("AC'97 0 access is not valid"), and `aaci_probe` fails with -EIO:
//!   about one second of guest time, bounded by the driver's own
//!   timeouts (each `udelay` is guest time on the Generic Timer).
//! * Channels 1-4 (offsets 0x00, 0x14, 0x28, 0x3c): AACIRXCR/TXCR/IE hold
//!   their values. Each transmit FIFO is [`FIFO_DEPTH`] entries deep
//!   (one entry per AACIDR write, two in compact mode; one entry with
//!   `TXCR.FEn` clear); with no frames nothing drains it. The receive
//!   FIFOs stay empty. AACISR: RXFE, TXFE, TXHE, TXFF from the fill levels;
//!   TXB/RXB (a slot being shifted), overrun, underrun and time-outs never
//!   set (they need frames).
//! * Interrupts: per channel, the raw TXCINTR (transmit FIFO empty and not
//!   busy) and TXINTR (transmit FIFO half empty or less) while the
//!   channel's TXCR.TxEn is set; the receive, overrun, underrun and
//!   time-out interrupts never rise. AACIISRn = raw & AACIIEn;
//!   AACIALLINTS packs AACIISR1-4 seven bits each (channel n at 7(n-1)).
//!   AACISLISTAT = AACISLIEN & AACISLFR\[13:6\] (slot 1 RX valid, slot 1 TX
//!   empty, slot 2 RX valid/TX empty, slot 12 RX valid/TX empty, GPIO,
//!   wake-up, in AACISLFR's order). AACIINTR (any of them) drives the
//!   [`InterruptLine`] given with [`Pl041::connect_interrupt`].
//! * AACIRESET.nRESET, AACISYNC.ForceSync hold their values (nothing on
//!   the link to reset); AACIMAINFR (link receive/transmit busy) reads 0.
//! * Identification: part 0x041, designer 0x41, revision 0 (Linux
//!   `aaci_ids`: 0x00041041 under mask 0x000fffff); AACIPeriphID3 reads 0.
//!
//! Accesses to offsets with no register, writes to read-only and reads of
//! write-only registers read as zero / are ignored and are logged once
//! (target `platform`) and counted ([`Pl041::bad_accesses`]).

use crate::access::{BadAccess, BadAccesses, mmio_device_of_registers};
use crate::interrupt_line::{InterruptLine, InterruptOutput};
use crate::peripheral_id::{CIDR_PRIMECELL, IdRegs};
use parking_lot::Mutex;
use rme_mmu::AccessAttrs;

/// FVP Base RevC address and interrupt (SPI n is INTID 32 + n).
pub const FVP_AACI_BASE: u64 = 0x1c04_0000;
pub const FVP_AACI_SPI: u32 = 11;
pub const PL041_SIZE: u64 = 0x1000;

/// Number of FIFO channels.
pub const CHANNELS: usize = 4;
/// Entries of each transmit FIFO (with TXCR.FEn set).
pub const FIFO_DEPTH: u32 = 512;

/// Channel n's registers sit at `n * CHANNEL_STRIDE` plus these.
pub const CHANNEL_STRIDE: u64 = 0x14;
pub const AACIRXCR: u64 = 0x00;
pub const AACITXCR: u64 = 0x04;
pub const AACISR: u64 = 0x08;
pub const AACIISR: u64 = 0x0c;
pub const AACIIE: u64 = 0x10;
pub const AACISL1RX: u64 = 0x50;
pub const AACISL1TX: u64 = 0x54;
pub const AACISL2RX: u64 = 0x58;
pub const AACISL2TX: u64 = 0x5c;
pub const AACISL12RX: u64 = 0x60;
pub const AACISL12TX: u64 = 0x64;
pub const AACISLFR: u64 = 0x68;
pub const AACISLISTAT: u64 = 0x6c;
pub const AACISLIEN: u64 = 0x70;
pub const AACIINTCLR: u64 = 0x74;
pub const AACIMAINCR: u64 = 0x78;
pub const AACIRESET: u64 = 0x7c;
pub const AACISYNC: u64 = 0x80;
pub const AACIALLINTS: u64 = 0x84;
pub const AACIMAINFR: u64 = 0x88;
/// AACIDR1: 8 word aliases 0x90..=0xac; AACIDRn at 0x90 + 0x20 (n - 1).
pub const AACIDR1: u64 = 0x90;
pub const AACIDR_LAST: u64 = 0x10c;
pub const AACIPERIPHID0: u64 = 0xfe0;
pub const AACIPCELLID0: u64 = 0xff0;

/// AACITXCR bits.
pub const TXCR_TXEN: u32 = 1 << 0;
pub const TXCR_COMPACT: u32 = 1 << 15;
pub const TXCR_FEN: u32 = 1 << 16;

/// AACISR bits.
pub const SR_RXFE: u32 = 1 << 0;
pub const SR_TXFE: u32 = 1 << 1;
pub const SR_RXHF: u32 = 1 << 2;
pub const SR_TXHE: u32 = 1 << 3;
pub const SR_RXFF: u32 = 1 << 4;
pub const SR_TXFF: u32 = 1 << 5;
pub const SR_RXB: u32 = 1 << 6;
pub const SR_TXB: u32 = 1 << 7;

/// AACIISR / AACIIE bits.
pub const INT_TXC: u32 = 1 << 0;
pub const INT_RXTO: u32 = 1 << 1;
pub const INT_TX: u32 = 1 << 2;
pub const INT_RX: u32 = 1 << 3;
pub const INT_OR: u32 = 1 << 4;
pub const INT_UR: u32 = 1 << 5;
pub const INT_RXTOFE: u32 = 1 << 6;

/// AACISLFR bits.
pub const SLFR_1RXB: u32 = 1 << 0;
pub const SLFR_1TXB: u32 = 1 << 1;
pub const SLFR_2RXB: u32 = 1 << 2;
pub const SLFR_2TXB: u32 = 1 << 3;
pub const SLFR_12RXB: u32 = 1 << 4;
pub const SLFR_12TXB: u32 = 1 << 5;
pub const SLFR_1RXV: u32 = 1 << 6;
pub const SLFR_1TXE: u32 = 1 << 7;
pub const SLFR_2RXV: u32 = 1 << 8;
pub const SLFR_2TXE: u32 = 1 << 9;
pub const SLFR_12RXV: u32 = 1 << 10;
pub const SLFR_12TXE: u32 = 1 << 11;

/// AACIMAINCR bits.
pub const MAINCR_IFE: u32 = 1 << 0;
pub const MAINCR_LOOPBACK: u32 = 1 << 1;
pub const MAINCR_LPM: u32 = 1 << 2;
pub const MAINCR_SL1RXEN: u32 = 1 << 3;
pub const MAINCR_SL1TXEN: u32 = 1 << 4;
pub const MAINCR_SL2RXEN: u32 = 1 << 5;
pub const MAINCR_SL2TXEN: u32 = 1 << 6;

/// AACIPeriphID0-3 (part 0x041, designer 0x41, revision 0), AACIPCellID0-3.
const IDS: IdRegs = IdRegs { pidr: [0x41, 0x10, 0x04, 0x00, 0, 0, 0, 0], cidr: CIDR_PRIMECELL };

/// One FIFO channel's registers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Channel {
    pub rxcr: u32,
    pub txcr: u32,
    pub ie: u32,
    /// Entries in the transmit FIFO.
    pub tx_level: u32,
}

impl Channel {
    fn tx_depth(&self) -> u32 {
        if self.txcr & TXCR_FEN != 0 { FIFO_DEPTH } else { 1 }
    }

    /// AACISRn.
    fn sr(&self) -> u32 {
        let mut sr = SR_RXFE;
        if self.tx_level == 0 {
            sr |= SR_TXFE;
        }
        if self.tx_level <= self.tx_depth() / 2 {
            sr |= SR_TXHE;
        }
        if self.tx_level >= self.tx_depth() {
            sr |= SR_TXFF;
        }
        sr
    }

    /// The raw interrupt status.
    fn raw(&self) -> u32 {
        if self.txcr & TXCR_TXEN == 0 {
            return 0;
        }
        let sr = self.sr();
        let mut raw = 0;
        if sr & SR_TXFE != 0 && sr & SR_TXB == 0 {
            raw |= INT_TXC;
        }
        if sr & SR_TXHE != 0 {
            raw |= INT_TX;
        }
        raw
    }

    /// AACIISRn.
    fn isr(&self) -> u32 {
        self.raw() & self.ie
    }

    /// A write to AACIDRn.
    fn push(&mut self) {
        let entries = if self.txcr & TXCR_COMPACT != 0 && self.txcr & TXCR_FEN != 0 { 2 } else { 1 };
        if self.tx_level + entries <= self.tx_depth() {
            self.tx_level += entries;
        }
    }
}

/// The programmer-visible state of a PL041.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pl041State {
    pub channels: [Channel; CHANNELS],
    /// AACISL1TX, AACISL2TX, AACISL12TX as last written.
    pub sltx: [u32; 3],
    /// AACISLFR (only the TX-empty bits ever change).
    pub slfr: u32,
    pub slien: u32,
    pub maincr: u32,
    pub reset: u32,
    pub sync: u32,
}

/// AACISLFR at reset: the slot transmit registers are empty.
pub const SLFR_RESET: u32 = SLFR_1TXE | SLFR_2TXE | SLFR_12TXE;

impl Default for Pl041State {
    fn default() -> Pl041State {
        Pl041State {
            channels: [Channel::default(); CHANNELS],
            sltx: [0; 3],
            slfr: SLFR_RESET,
            slien: 0,
            maincr: 0,
            reset: 0,
            sync: 0,
        }
    }
}

impl Pl041State {
    fn allints(&self) -> u32 {
        self.channels.iter().enumerate().fold(0, |acc, (i, c)| acc | c.isr() << (7 * i))
    }

    fn slistat(&self) -> u32 {
        (self.slfr >> 6) & self.slien
    }

    fn irq(&self) -> bool {
        self.allints() != 0 || self.slistat() != 0
    }

    /// The interface was disabled: FIFOs and slot registers emptied.
    fn flush(&mut self) {
        for c in &mut self.channels {
            c.tx_level = 0;
        }
        self.slfr = SLFR_RESET;
    }
}

/// One PL041 AACI with no codec on its AC-link.
pub struct Pl041 {
    name: String,
    inner: Mutex<Pl041State>,
    bad: BadAccesses,
    /// AACIINTR.
    irq: InterruptOutput,
}

impl Pl041 {
    /// An AACI in its reset state, named `name` in logs ("aaci").
    pub fn new(name: impl Into<String>) -> Pl041 {
        Pl041 {
            name: name.into(),
            inner: Mutex::new(Pl041State::default()),
            bad: BadAccesses::default(),
            irq: InterruptOutput::default(),
        }
    }

    /// Wires AACIINTR to `line` (and drives it with the current level).
    pub fn connect_interrupt(&self, line: InterruptLine) {
        self.irq.connect(line, self.irq_level());
    }

    /// AACIINTR.
    pub fn irq_level(&self) -> bool {
        self.inner.lock().irq()
    }

    fn update_interrupt(&self) {
        self.irq.drive(self.irq_level());
    }

    /// A copy of the register state.
    pub fn state(&self) -> Pl041State {
        self.inner.lock().clone()
    }

    /// Returns the registers to their reset state (bad-access count kept).
    pub fn reset(&self) {
        *self.inner.lock() = Pl041State::default();
        self.update_interrupt();
    }

    /// Accesses that reached no register (see the module documentation).
    pub fn bad_accesses(&self) -> u64 {
        self.bad.count()
    }

    fn bad_access(&self, offset: u64, size: u8, write: bool, why: BadAccess) {
        self.bad.report(&self.name, offset, size, write, why);
    }

    fn read_reg(&self, reg: u64, _attrs: AccessAttrs) -> Result<u32, BadAccess> {
        let s = self.inner.lock();
        match reg {
            0x00..=0x4c => {
                let c = &s.channels[(reg / CHANNEL_STRIDE) as usize];
                Ok(match reg % CHANNEL_STRIDE {
                    AACIRXCR => c.rxcr,
                    AACITXCR => c.txcr,
                    AACISR => c.sr(),
                    AACIISR => c.isr(),
                    _ => c.ie,
                })
            }
            // No slot is ever received.
            AACISL1RX | AACISL2RX | AACISL12RX => Ok(0),
            AACISL1TX => Ok(s.sltx[0]),
            AACISL2TX => Ok(s.sltx[1]),
            AACISL12TX => Ok(s.sltx[2]),
            AACISLFR => Ok(s.slfr),
            AACISLISTAT => Ok(s.slistat()),
            AACISLIEN => Ok(s.slien),
            AACIMAINCR => Ok(s.maincr),
            AACIRESET => Ok(s.reset),
            AACISYNC => Ok(s.sync),
            AACIALLINTS => Ok(s.allints()),
            AACIMAINFR => Ok(0),
            // The receive FIFOs stay empty.
            AACIDR1..=AACIDR_LAST => Ok(0),
            AACIINTCLR => Err(BadAccess::WriteOnly),
            r => IDS.read(r).ok_or(BadAccess::NoRegister),
        }
    }

    fn write_reg(&self, reg: u64, value: u32, _attrs: AccessAttrs) -> Result<(), BadAccess> {
        let r = {
            let mut s = self.inner.lock();
            match reg {
                0x00..=0x4c => {
                    let c = &mut s.channels[(reg / CHANNEL_STRIDE) as usize];
                    match reg % CHANNEL_STRIDE {
                        AACIRXCR => c.rxcr = value & 0x1fff_ffff,
                        AACITXCR => c.txcr = value & 0x1_ffff,
                        AACIIE => c.ie = value & 0x7f,
                        _ => return Err(BadAccess::ReadOnly),
                    }
                }
                AACISL1TX => {
                    s.sltx[0] = value & 0xf_ffff;
                    s.slfr &= !SLFR_1TXE;
                }
                AACISL2TX => {
                    s.sltx[1] = value & 0xf_ffff;
                    s.slfr &= !SLFR_2TXE;
                }
                AACISL12TX => {
                    s.sltx[2] = value & 0xf_ffff;
                    s.slfr &= !SLFR_12TXE;
                }
                AACISLIEN => s.slien = value & 0xff,
                // Overrun, underrun, time-out and wake-up never set: nothing to clear.
                AACIINTCLR => {}
                AACIMAINCR => {
                    let was = s.maincr & MAINCR_IFE != 0;
                    s.maincr = value & 0xfff;
                    if was && s.maincr & MAINCR_IFE == 0 {
                        s.flush();
                    }
                }
                AACIRESET => s.reset = value & 1,
                AACISYNC => s.sync = value & 1,
                AACIDR1..=AACIDR_LAST => {
                    let n = ((reg - AACIDR1) / 0x20) as usize;
                    s.channels[n].push();
                }
                AACISL1RX | AACISL2RX | AACISL12RX | AACISLFR | AACISLISTAT | AACIALLINTS | AACIMAINFR => {
                    return Err(BadAccess::ReadOnly);
                }
                r if IDS.read(r).is_some() => return Err(BadAccess::ReadOnly),
                _ => return Err(BadAccess::NoRegister),
            }
            Ok(())
        };
        self.update_interrupt();
        r
    }
}

mmio_device_of_registers!(Pl041, |self| &self.name);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_access::{r, w};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    const MAINCR_LINUX: u32 = MAINCR_IFE | MAINCR_SL1RXEN | MAINCR_SL1TXEN | MAINCR_SL2RXEN | MAINCR_SL2TXEN;


    #[test]
    fn reset_values() {
        let d = Pl041::new("aaci");
        for n in 0..4 {
            let b = n * CHANNEL_STRIDE;
            assert_eq!(r(&d, b + AACIRXCR), 0);
            assert_eq!(r(&d, b + AACITXCR), 0);
            assert_eq!(r(&d, b + AACISR), SR_RXFE | SR_TXFE | SR_TXHE);
            assert_eq!(r(&d, b + AACIISR), 0);
            assert_eq!(r(&d, b + AACIIE), 0);
        }
        assert_eq!(r(&d, AACISLFR), 0xa80);
        assert_eq!(r(&d, AACIMAINCR), 0);
        assert_eq!(r(&d, AACIALLINTS), 0);
        assert_eq!(r(&d, AACISLISTAT), 0);
        assert_eq!(r(&d, AACIMAINFR), 0);
        assert_eq!(d.bad_accesses(), 0);
    }

    #[test]
    fn id_registers() {
        let d = Pl041::new("aaci");
        let ids: Vec<u32> = (0..8).map(|i| r(&d, AACIPERIPHID0 + 4 * i)).collect();
        assert_eq!(ids, [0x41, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1]);
        assert_eq!(IDS.part_number(), 0x041);
        let pid = ids[..4].iter().enumerate().fold(0, |acc, (i, b)| acc | b << (8 * i));
        assert_eq!(pid & 0x000f_ffff, 0x0004_1041);
    }

    /// `aaci_probe` up to the codec probe, then `aaci_ac97_read` as it
    /// polls: slot 1 goes out (SL1TXB clear) but SL1RXV/SL2RXV never set.
    #[test]
    fn linux_codec_read_never_gets_a_valid_slot() {
        let d = Pl041::new("aaci");
        for n in 0..4 {
            w(&d, n * CHANNEL_STRIDE + AACIIE, 0);
            w(&d, n * CHANNEL_STRIDE + AACITXCR, 0);
            w(&d, n * CHANNEL_STRIDE + AACIRXCR, 0);
        }
        w(&d, AACIINTCLR, 0x1fff);
        w(&d, AACIMAINCR, MAINCR_LINUX);
        let _ = r(&d, 0);
        w(&d, AACIRESET, 0);
        w(&d, AACIRESET, 1);
        assert_eq!(r(&d, AACIRESET), 1);
        // aaci_ac97_read(AC97_VENDOR_ID1 = 0x7c).
        let slfr = r(&d, AACISLFR);
        assert_eq!(slfr & (SLFR_1RXV | SLFR_2RXV), 0);
        assert_eq!(r(&d, AACIMAINCR), MAINCR_LINUX);
        w(&d, AACISL1TX, (0x7c << 12) | (1 << 19));
        assert_eq!(r(&d, AACISLFR) & SLFR_1TXB, 0);
        for _ in 0..168 {
            assert_eq!(r(&d, AACISLFR) & (SLFR_1RXV | SLFR_2RXV), 0);
        }
        assert_eq!(r(&d, AACISL1RX), 0);
        // aaci_ac97_write: SL2TX then SL1TX; never busy.
        w(&d, AACISL2TX, 0x8a05 << 4);
        w(&d, AACISL1TX, 0x1c << 12);
        assert_eq!(r(&d, AACISLFR) & (SLFR_1TXB | SLFR_2TXB), 0);
        // The data waits in the slot registers for a frame.
        assert_eq!(r(&d, AACISLFR) & (SLFR_1TXE | SLFR_2TXE), 0);
        // Disabling the interface empties them.
        w(&d, AACIMAINCR, 0);
        assert_eq!(r(&d, AACISLFR), SLFR_RESET);
        assert_eq!(d.bad_accesses(), 0);
    }

    #[test]
    fn fifo_fills_and_never_drains() {
        let d = Pl041::new("aaci");
        w(&d, AACIMAINCR, MAINCR_LINUX);
        // aaci_size_fifo: FEn | 16-bit | TxEn, no slots; write until TXFF.
        w(&d, AACITXCR, TXCR_FEN | TXCR_TXEN);
        let mut i = 0;
        while r(&d, AACISR) & SR_TXFF == 0 && i < 4096 {
            w(&d, AACIDR1 + 4 * (i % 8), 0);
            i += 1;
        }
        assert_eq!(i, u64::from(FIFO_DEPTH));
        assert_eq!(r(&d, AACISR), SR_RXFE | SR_TXFF);
        w(&d, AACITXCR, 0);
        assert_eq!(r(&d, AACISR) & SR_TXFE, 0, "disabling the channel does not empty the FIFO");
        w(&d, AACIMAINCR, MAINCR_LINUX & !MAINCR_IFE);
        w(&d, AACIMAINCR, MAINCR_LINUX);
        assert_eq!(r(&d, AACISR), SR_RXFE | SR_TXFE | SR_TXHE);
        // Compact mode: two entries per write.
        w(&d, AACITXCR, TXCR_FEN | TXCR_COMPACT | TXCR_TXEN);
        let mut j = 0;
        while r(&d, AACISR) & SR_TXFF == 0 && j < 4096 {
            w(&d, AACIDR1, 0);
            j += 1;
        }
        assert_eq!(j, FIFO_DEPTH / 2);
    }

    #[test]
    fn interrupts() {
        let d = Pl041::new("aaci");
        let level = Arc::new(AtomicBool::new(false));
        let l = level.clone();
        d.connect_interrupt(InterruptLine::new(move |v| l.store(v, Ordering::SeqCst)));
        // Channel 2: enabled, FIFO empty: TXC and TX raw; masked by IE.
        let b = CHANNEL_STRIDE;
        w(&d, b + AACITXCR, TXCR_FEN | TXCR_TXEN);
        assert_eq!(r(&d, b + AACIISR), 0);
        assert!(!level.load(Ordering::SeqCst));
        w(&d, b + AACIIE, INT_TX | INT_UR);
        assert_eq!(r(&d, b + AACIISR), INT_TX);
        assert_eq!(r(&d, AACIALLINTS), INT_TX << 7);
        assert!(level.load(Ordering::SeqCst));
        w(&d, b + AACIIE, 0);
        assert!(!level.load(Ordering::SeqCst));
        // Slot interrupt: slot 1 TX empty.
        w(&d, AACISLIEN, SLFR_1TXE >> 6);
        assert_eq!(r(&d, AACISLISTAT), SLFR_1TXE >> 6);
        assert!(level.load(Ordering::SeqCst));
        w(&d, AACISL1TX, 0);
        assert_eq!(r(&d, AACISLISTAT), 0);
        assert!(!level.load(Ordering::SeqCst));
    }

    #[test]
    fn bad_accesses_are_counted() {
        let d = Pl041::new("aaci");
        w(&d, AACISR, 0);
        w(&d, AACISLFR, 0);
        let _ = r(&d, AACIINTCLR);
        let _ = r(&d, 0x200);
        w(&d, AACIPERIPHID0, 0);
        assert_eq!(d.bad_accesses(), 5);
    }
}
