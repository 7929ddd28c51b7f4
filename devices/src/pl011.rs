//! ARM PrimeCell UART (PL011), revision r1p5.
//!
//! Reference: *ARM PrimeCell UART (PL011) Technical Reference Manual*,
//! ARM DDI 0183 (issue G, r1p5). Register names and offsets are those of
//! chapter 3, "Programmers Model" (3.2 "Summary of registers"); interrupt
//! behaviour follows 2.8 "Interrupts" (UARTRXINTR, UARTTXINTR, UARTRTINTR,
//! UARTEINTR, combined UARTINTR).
//!
//! On FVP Base RevC, UART0-3 sit at 0x1c09_0000..0x1c0c_0000: TF-A's boot
//! and runtime consoles (`console_pl011_core_putc` polls `UARTFR.TXFF`,
//! `console_pl011_core_flush` polls `UARTFR.BUSY`), the TRP/RMM console and
//! Linux `ttyAMA0`/`earlycon`.
//!
//! What is modelled:
//! * Transmit: a character written to UARTDR leaves at once for the
//!   instance's [`UartSink`]. The transmit FIFO is therefore always empty:
//!   `UARTFR.TXFE` = 1, `TXFF` = 0, `BUSY` = 0. Characters are sent whatever
//!   the word length (`UARTLCR_H.WLEN`): software that prints before it
//!   programs the UART (reset value 5-bit words) still shows its text.
//! * `UARTTXINTR` (RIS.TXRIS): the r1p5 TRM notes that the transmit
//!   interrupt is "based on a transition through a level": it is not set
//!   when the UART and its interrupts are enabled with an empty FIFO, only
//!   once written data has left the FIFO. Here each written character
//!   leaves at once, so every write to UARTDR sets TXRIS; `UARTICR.TXIC`
//!   clears it.
//! * Receive: the host feeds characters with [`Pl011::push_rx`] into the
//!   receive FIFO (32 entries with `UARTLCR_H.FEN` = 1, a 1-character
//!   holding register without). The host side is flow-controlled: bytes
//!   that do not fit (or arrive while `UARTCR.UARTEN`/`RXE` is clear) are
//!   not taken, so nothing typed is lost. `UARTRXINTR` (RXRIS) is set when
//!   the FIFO fill level reaches the `UARTIFLS.RXIFLSEL` trigger level, and
//!   cleared when reads take it below the level (or by `UARTICR.RXIC`).
//!   `UARTRTINTR` (RTRIS) is asserted when the FIFO is not empty and no more
//!   data arrives for 32 bit periods: with no model of line time, the
//!   timeout is taken to expire at the end of each burst given to
//!   `push_rx`. It is cleared when the FIFO becomes empty or by
//!   `UARTICR.RTIC`.
//! * Loopback (`UARTCR.LBE`): transmitted characters go to the receive
//!   FIFO instead of the sink; a character that finds the FIFO full is
//!   lost and sets `UARTRSR.OE` and OERIS (overrun).
//! * UARTIBRD/FBRD, UARTLCR_H, UARTILPR, UARTIFLS, UARTDMACR hold their
//!   values; baud rate, parity, IrDA and DMA have no effect. Modem inputs
//!   (CTS, DSR, DCD, RI) read 0.
//!
//! The combined interrupt output `UARTINTR` (UARTMIS != 0) drives the
//! [`InterruptLine`] given with [`Pl011::connect_interrupt`] after every
//! register access and receive burst; [`Pl011::irq_level`] reads it too.
//!
//! Accesses to offsets with no register (and writes to read-only or reads
//! of write-only registers) do what the APB peripheral does, reads as zero
//! and ignored writes, and are logged once (target `uart`) and counted
//! ([`Pl011::bad_accesses`]).

use crate::access::{BadAccess, BadAccesses, mmio_device_of_registers};
use crate::interrupt_line::{InterruptLine, InterruptOutput};
use parking_lot::Mutex;
use rme_mmu::AccessAttrs;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::Arc;

/// Data register: write transmits, read pops the receive FIFO.
pub const UARTDR: u64 = 0x000;
/// Receive status register (read) / error clear register (write).
pub const UARTRSR: u64 = 0x004;
/// Alias of [`UARTRSR`] for writes.
pub const UARTECR: u64 = 0x004;
/// Flag register (read-only).
pub const UARTFR: u64 = 0x018;
/// IrDA low-power counter register.
pub const UARTILPR: u64 = 0x020;
/// Integer baud rate register.
pub const UARTIBRD: u64 = 0x024;
/// Fractional baud rate register.
pub const UARTFBRD: u64 = 0x028;
/// Line control register.
pub const UARTLCR_H: u64 = 0x02c;
/// Control register.
pub const UARTCR: u64 = 0x030;
/// Interrupt FIFO level select register.
pub const UARTIFLS: u64 = 0x034;
/// Interrupt mask set/clear register.
pub const UARTIMSC: u64 = 0x038;
/// Raw interrupt status register (read-only).
pub const UARTRIS: u64 = 0x03c;
/// Masked interrupt status register (read-only).
pub const UARTMIS: u64 = 0x040;
/// Interrupt clear register (write-only).
pub const UARTICR: u64 = 0x044;
/// DMA control register.
pub const UARTDMACR: u64 = 0x048;
/// UARTPeriphID0; ID registers follow at 4-byte steps up to UARTPCellID3.
pub const UARTPERIPHID0: u64 = 0xfe0;
/// UARTPCellID3, the last identification register.
pub const UARTPCELLID3: u64 = 0xffc;

/// UARTPeriphID0-3 (r1p5: part 0x011, designer 0x41 'A', revision 3) and
/// UARTPCellID0-3.
pub const ID_REGS: [u8; 8] = [0x11, 0x10, 0x34, 0x00, 0x0d, 0xf0, 0x05, 0xb1];

/// UARTDR / UARTRSR error bits (UARTDR holds them in `[11:8]`).
pub const RSR_FE: u32 = 1 << 0;
pub const RSR_PE: u32 = 1 << 1;
pub const RSR_BE: u32 = 1 << 2;
pub const RSR_OE: u32 = 1 << 3;

/// UARTFR bits.
pub const FR_CTS: u32 = 1 << 0;
pub const FR_DSR: u32 = 1 << 1;
pub const FR_DCD: u32 = 1 << 2;
pub const FR_BUSY: u32 = 1 << 3;
pub const FR_RXFE: u32 = 1 << 4;
pub const FR_TXFF: u32 = 1 << 5;
pub const FR_RXFF: u32 = 1 << 6;
pub const FR_TXFE: u32 = 1 << 7;
pub const FR_RI: u32 = 1 << 8;

/// UARTLCR_H.FEN: FIFOs enabled.
pub const LCR_H_FEN: u32 = 1 << 4;

/// UARTCR bits.
pub const CR_UARTEN: u32 = 1 << 0;
pub const CR_SIREN: u32 = 1 << 1;
pub const CR_SIRLP: u32 = 1 << 2;
pub const CR_LBE: u32 = 1 << 7;
pub const CR_TXE: u32 = 1 << 8;
pub const CR_RXE: u32 = 1 << 9;
pub const CR_DTR: u32 = 1 << 10;
pub const CR_RTS: u32 = 1 << 11;
pub const CR_OUT1: u32 = 1 << 12;
pub const CR_OUT2: u32 = 1 << 13;
pub const CR_RTSEN: u32 = 1 << 14;
pub const CR_CTSEN: u32 = 1 << 15;
/// UARTCR bits that exist (`[6:3]` are reserved).
const CR_MASK: u32 = 0xff87;
/// UARTCR reset value: TXE and RXE set, UART disabled.
pub const CR_RESET: u32 = CR_TXE | CR_RXE;

/// Interrupt bits, the same in UARTIMSC (xxIM), UARTRIS (xxRIS), UARTMIS
/// (xxMIS) and UARTICR (xxIC).
pub const INT_RI: u32 = 1 << 0;
pub const INT_CTS: u32 = 1 << 1;
pub const INT_DCD: u32 = 1 << 2;
pub const INT_DSR: u32 = 1 << 3;
pub const INT_RX: u32 = 1 << 4;
pub const INT_TX: u32 = 1 << 5;
pub const INT_RT: u32 = 1 << 6;
pub const INT_FE: u32 = 1 << 7;
pub const INT_PE: u32 = 1 << 8;
pub const INT_BE: u32 = 1 << 9;
pub const INT_OE: u32 = 1 << 10;
const INT_MASK: u32 = 0x7ff;

/// UARTIFLS reset value: both trigger levels at 1/2 full.
pub const IFLS_RESET: u32 = 0x12;

/// Depth of the receive FIFO when `UARTLCR_H.FEN` is set.
pub const RX_FIFO_DEPTH: usize = 32;

/// Where a UART's transmitted characters go.
pub trait UartSink: Send {
    fn write_byte(&mut self, b: u8);
    /// Pushes out anything buffered (called by [`Pl011::flush`]).
    fn flush(&mut self) {}
}

/// Writes to the host's standard output, flushing at each newline. Output
/// errors (a closed pipe) are dropped: they must not stop the guest.
#[derive(Clone, Copy, Debug, Default)]
pub struct StdoutSink;

impl UartSink for StdoutSink {
    fn write_byte(&mut self, b: u8) {
        let mut out = io::stdout().lock();
        let _ = out.write_all(&[b]);
        if b == b'\n' {
            let _ = out.flush();
        }
    }

    fn flush(&mut self) {
        let _ = io::stdout().flush();
    }
}

/// Collects the output in memory, for tests and harnesses. Clones share
/// the same buffer: keep one and give another to the UART.
#[derive(Clone, Debug, Default)]
pub struct BufferSink {
    buf: Arc<Mutex<Vec<u8>>>,
}

impl BufferSink {
    pub fn new() -> BufferSink {
        BufferSink::default()
    }

    /// A copy of the bytes written so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.buf.lock().clone()
    }

    /// The output so far as text (invalid UTF-8 replaced), left in place.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.buf.lock()).into_owned()
    }

    /// Takes the bytes written so far, leaving the buffer empty.
    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.buf.lock())
    }

    /// Takes the output so far as text, leaving the buffer empty.
    pub fn take_text(&self) -> String {
        String::from_utf8_lossy(&self.take()).into_owned()
    }

    /// Whether the output so far contains `needle`.
    pub fn contains(&self, needle: &str) -> bool {
        let buf = self.buf.lock();
        let needle = needle.as_bytes();
        needle.is_empty() || buf.windows(needle.len()).any(|w| w == needle)
    }

    pub fn len(&self) -> usize {
        self.buf.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.lock().is_empty()
    }
}

impl UartSink for BufferSink {
    fn write_byte(&mut self, b: u8) {
        self.buf.lock().push(b);
    }
}

/// Writes to a file (buffered, flushed at each newline). After a write
/// error the sink logs once and discards further output.
#[derive(Debug)]
pub struct FileSink {
    out: BufWriter<File>,
    failed: bool,
}

impl FileSink {
    /// Creates (or truncates) the file at `path`.
    pub fn create(path: impl AsRef<Path>) -> io::Result<FileSink> {
        Ok(FileSink::new(File::create(path)?))
    }

    pub fn new(file: File) -> FileSink {
        FileSink { out: BufWriter::new(file), failed: false }
    }

    fn check(&mut self, r: io::Result<()>) {
        if let Err(e) = r {
            self.failed = true;
            tracing::warn!(target: "uart", error = %e, "UART output file: write failed; further output discarded");
        }
    }
}

impl UartSink for FileSink {
    fn write_byte(&mut self, b: u8) {
        if self.failed {
            return;
        }
        let r = self.out.write_all(&[b]);
        self.check(r);
        if b == b'\n' && !self.failed {
            let r = self.out.flush();
            self.check(r);
        }
    }

    fn flush(&mut self) {
        if !self.failed {
            let r = self.out.flush();
            self.check(r);
        }
    }
}

/// Discards the output.
#[derive(Clone, Copy, Debug, Default)]
pub struct NullSink;

impl UartSink for NullSink {
    fn write_byte(&mut self, _b: u8) {}
}

/// The programmer-visible state of a PL011 (register values as the TRM
/// names them, and the receive FIFO).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pl011State {
    /// UARTRSR: FE, PE, BE, OE.
    pub rsr: u32,
    pub ilpr: u32,
    pub ibrd: u32,
    pub fbrd: u32,
    pub lcr_h: u32,
    pub cr: u32,
    pub ifls: u32,
    pub imsc: u32,
    pub ris: u32,
    pub dmacr: u32,
    /// Received characters, oldest first: data in `[7:0]`, error bits in `[11:8]`.
    pub rx_fifo: VecDeque<u16>,
}

impl Default for Pl011State {
    /// The reset state (TRM 3.3, reset values).
    fn default() -> Pl011State {
        Pl011State {
            rsr: 0,
            ilpr: 0,
            ibrd: 0,
            fbrd: 0,
            lcr_h: 0,
            cr: CR_RESET,
            ifls: IFLS_RESET,
            imsc: 0,
            ris: 0,
            dmacr: 0,
            rx_fifo: VecDeque::with_capacity(RX_FIFO_DEPTH),
        }
    }
}

impl Pl011State {
    fn fifo_enabled(&self) -> bool {
        self.lcr_h & LCR_H_FEN != 0
    }

    fn rx_depth(&self) -> usize {
        if self.fifo_enabled() { RX_FIFO_DEPTH } else { 1 }
    }

    /// The receive FIFO fill level at which RXRIS is set (UARTIFLS.RXIFLSEL:
    /// 1/8, 1/4, 1/2, 3/4, 7/8 full; the reserved encodings act as 1/2).
    fn rx_trigger(&self) -> usize {
        if !self.fifo_enabled() {
            return 1;
        }
        match (self.ifls >> 3) & 7 {
            0 => RX_FIFO_DEPTH / 8,
            1 => RX_FIFO_DEPTH / 4,
            3 => RX_FIFO_DEPTH * 3 / 4,
            4 => RX_FIFO_DEPTH * 7 / 8,
            _ => RX_FIFO_DEPTH / 2,
        }
    }

    fn receiver_enabled(&self) -> bool {
        self.cr & (CR_UARTEN | CR_RXE) == CR_UARTEN | CR_RXE
    }

    fn transmitter_enabled(&self) -> bool {
        self.cr & (CR_UARTEN | CR_TXE) == CR_UARTEN | CR_TXE
    }

    /// Free entries in the receive FIFO.
    fn rx_room(&self) -> usize {
        self.rx_depth().saturating_sub(self.rx_fifo.len())
    }

    /// UARTFR.
    fn fr(&self) -> u32 {
        let mut fr = FR_TXFE;
        if self.rx_fifo.is_empty() {
            fr |= FR_RXFE;
        }
        if self.rx_fifo.len() >= self.rx_depth() {
            fr |= FR_RXFF;
        }
        fr
    }

    fn mis(&self) -> u32 {
        self.ris & self.imsc
    }

    /// One character arrives at the receiver. Returns `false` on overrun
    /// (the FIFO was full: the character is lost, RSR.OE and OERIS set).
    fn receive(&mut self, ch: u16) -> bool {
        if self.rx_fifo.len() >= self.rx_depth() {
            self.rsr |= RSR_OE;
            self.ris |= INT_OE;
            return false;
        }
        self.rx_fifo.push_back(ch);
        if self.rx_fifo.len() == self.rx_trigger() {
            self.ris |= INT_RX;
        }
        true
    }

    /// The receive line went idle with data in the FIFO (the receive
    /// timeout of 32 bit periods is taken as elapsed).
    fn rx_idle(&mut self) {
        if !self.rx_fifo.is_empty() {
            self.ris |= INT_RT;
        }
    }

    /// A read of UARTDR.
    fn read_dr(&mut self) -> u32 {
        let Some(ch) = self.rx_fifo.pop_front() else { return 0 };
        if self.rx_fifo.len() < self.rx_trigger() {
            self.ris &= !INT_RX;
        }
        if self.rx_fifo.is_empty() {
            self.ris &= !INT_RT;
        }
        u32::from(ch)
    }

    /// Empties the receive FIFO (UARTLCR_H.FEN changed).
    fn flush_rx(&mut self) {
        self.rx_fifo.clear();
        self.ris &= !(INT_RX | INT_RT);
    }
}

struct Inner {
    regs: Pl011State,
    sink: Box<dyn UartSink>,
    /// A character was sent while the transmitter was disabled (logged once).
    warned_tx_disabled: bool,
}

/// One PL011 UART.
pub struct Pl011 {
    name: String,
    inner: Mutex<Inner>,
    bad: BadAccesses,
    /// UARTINTR.
    irq: InterruptOutput,
}

impl Pl011 {
    /// A UART in its reset state, named `name` in logs ("uart0"), sending
    /// its output to `sink`.
    pub fn new(name: impl Into<String>, sink: Box<dyn UartSink>) -> Pl011 {
        Pl011 {
            name: name.into(),
            inner: Mutex::new(Inner { regs: Pl011State::default(), sink, warned_tx_disabled: false }),
            bad: BadAccesses::default(),
            irq: InterruptOutput::default(),
        }
    }

    /// Wires UARTINTR to `line` (and drives it with the current level).
    pub fn connect_interrupt(&self, line: InterruptLine) {
        self.irq.connect(line, self.irq_level());
    }

    /// Drives UARTINTR from the current UARTMIS.
    fn update_interrupt(&self) {
        self.irq.drive(self.irq_level());
    }

    /// Replaces the output sink, returning the previous one.
    pub fn set_sink(&self, sink: Box<dyn UartSink>) -> Box<dyn UartSink> {
        std::mem::replace(&mut self.inner.lock().sink, sink)
    }

    /// Host input: feeds `bytes` to the receiver, as one burst. Returns how
    /// many were taken; the rest did not fit in the receive FIFO (or the
    /// receiver is disabled: `UARTCR.UARTEN` or `RXE` clear) and should be
    /// offered again later.
    pub fn push_rx(&self, bytes: &[u8]) -> usize {
        let mut inner = self.inner.lock();
        let regs = &mut inner.regs;
        if !regs.receiver_enabled() {
            return 0;
        }
        let n = bytes.len().min(regs.rx_room());
        for &b in &bytes[..n] {
            regs.receive(u16::from(b));
        }
        regs.rx_idle();
        drop(inner);
        self.update_interrupt();
        n
    }

    /// How many bytes [`Pl011::push_rx`] would take now.
    pub fn rx_room(&self) -> usize {
        let inner = self.inner.lock();
        if inner.regs.receiver_enabled() { inner.regs.rx_room() } else { 0 }
    }

    /// The level of the combined interrupt output UARTINTR (UARTMIS != 0).
    pub fn irq_level(&self) -> bool {
        self.inner.lock().regs.mis() != 0
    }

    /// Accesses that reached no register (see the module documentation).
    pub fn bad_accesses(&self) -> u64 {
        self.bad.count()
    }

    /// A copy of the register state.
    pub fn state(&self) -> Pl011State {
        self.inner.lock().regs.clone()
    }

    /// Returns the registers and FIFO to their reset state (the sink and
    /// the bad-access count are kept).
    pub fn reset(&self) {
        let mut inner = self.inner.lock();
        inner.regs = Pl011State::default();
        inner.warned_tx_disabled = false;
    }

    /// Flushes the sink.
    pub fn flush(&self) {
        self.inner.lock().sink.flush();
    }

    fn bad_access(&self, offset: u64, size: u8, write: bool, why: BadAccess) {
        if self.bad.record(offset, write) {
            tracing::debug!(target: "uart", uart = %self.name, offset = format_args!("{offset:#x}"), size,
                write, "{} (ignored; logged once per offset)", why.describe());
        }
    }

    /// A character written to UARTDR.
    fn transmit(&self, inner: &mut Inner, value: u32) {
        let b = (value & 0xff) as u8;
        let regs = &mut inner.regs;
        if regs.cr & CR_LBE != 0 {
            // Loopback: the transmit path feeds the receive path.
            if regs.receiver_enabled() {
                regs.receive(u16::from(b));
                regs.rx_idle();
            }
        } else {
            if !regs.transmitter_enabled() && !inner.warned_tx_disabled {
                inner.warned_tx_disabled = true;
                tracing::debug!(target: "uart", uart = %self.name, cr = format_args!("{:#x}", regs.cr),
                    "character written while UARTCR.UARTEN/TXE is clear; sent anyway (logged once)");
            }
            inner.sink.write_byte(b);
        }
        // The character has left the (one-deep) transmit FIFO at once.
        inner.regs.ris |= INT_TX;
    }
}

impl Pl011 {
    fn read_reg(&self, reg: u64, attrs: AccessAttrs) -> Result<u32, BadAccess> {
        let r = self.read_reg_inner(reg, attrs);
        // Reading UARTDR can lower the receive interrupts.
        self.update_interrupt();
        r
    }

    fn write_reg(&self, reg: u64, value: u32, attrs: AccessAttrs) -> Result<(), BadAccess> {
        let r = self.write_reg_inner(reg, value, attrs);
        self.update_interrupt();
        r
    }

    fn read_reg_inner(&self, reg: u64, _attrs: AccessAttrs) -> Result<u32, BadAccess> {
        let mut inner = self.inner.lock();
        let regs = &mut inner.regs;
        Ok(match reg {
            UARTDR => regs.read_dr(),
            UARTRSR => regs.rsr,
            UARTFR => regs.fr(),
            UARTILPR => regs.ilpr,
            UARTIBRD => regs.ibrd,
            UARTFBRD => regs.fbrd,
            UARTLCR_H => regs.lcr_h,
            UARTCR => regs.cr,
            UARTIFLS => regs.ifls,
            UARTIMSC => regs.imsc,
            UARTRIS => regs.ris,
            UARTMIS => regs.mis(),
            UARTDMACR => regs.dmacr,
            UARTPERIPHID0..=UARTPCELLID3 => {
                let i = ((reg - UARTPERIPHID0) / 4) as usize;
                ID_REGS.get(i).copied().map_or(0, u32::from)
            }
            _ => {
                return Err(if reg == UARTICR { BadAccess::WriteOnly } else { BadAccess::NoRegister });
            }
        })
    }

    fn write_reg_inner(&self, reg: u64, value: u32, _attrs: AccessAttrs) -> Result<(), BadAccess> {
        let mut inner = self.inner.lock();
        let regs = &mut inner.regs;
        match reg {
            UARTDR => self.transmit(&mut inner, value),
            UARTECR => regs.rsr = 0,
            UARTILPR => regs.ilpr = value & 0xff,
            UARTIBRD => regs.ibrd = value & 0xffff,
            UARTFBRD => regs.fbrd = value & 0x3f,
            UARTLCR_H => {
                let old = regs.lcr_h;
                regs.lcr_h = value & 0xff;
                if (old ^ regs.lcr_h) & LCR_H_FEN != 0 {
                    regs.flush_rx();
                }
            }
            UARTCR => regs.cr = value & CR_MASK,
            UARTIFLS => regs.ifls = value & 0x3f,
            UARTIMSC => regs.imsc = value & INT_MASK,
            UARTICR => regs.ris &= !(value & INT_MASK),
            UARTDMACR => regs.dmacr = value & 0x7,
            _ => {
                let read_only = matches!(reg, UARTFR | UARTRIS | UARTMIS | UARTPERIPHID0..=UARTPCELLID3);
                return Err(if read_only { BadAccess::ReadOnly } else { BadAccess::NoRegister });
            }
        }
        Ok(())
    }
}

mmio_device_of_registers!(Pl011, |self| &self.name);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_levels_follow_ifls() {
        let mut s = Pl011State { lcr_h: LCR_H_FEN, ..Pl011State::default() };
        let expect = [(0, 4), (1, 8), (2, 16), (3, 24), (4, 28), (7, 16)];
        for (sel, level) in expect {
            s.ifls = sel << 3;
            assert_eq!(s.rx_trigger(), level, "RXIFLSEL={sel}");
        }
        s.lcr_h = 0;
        assert_eq!(s.rx_trigger(), 1);
        assert_eq!(s.rx_depth(), 1);
    }

    #[test]
    fn buffer_sink_contains() {
        let mut b = BufferSink::new();
        for &c in b"NOTICE:  Booting" {
            b.write_byte(c);
        }
        assert!(b.contains("Booting"));
        assert!(!b.contains("Linux"));
        assert_eq!(b.len(), 16);
    }
}
