//! ARM PrimeCell MultiMedia Card Interface (PL180): FVP Base RevC's
//! `mmc@50000` at 0x1c05_0000, MCIINTR0 on SPI 9 and MCIINTR1 on SPI 10.
//!
//! Reference: *ARM PrimeCell MultiMedia Card Interface (PL180) Technical
//! Reference Manual*, ARM DDI 0172, chapter 3 "Programmer's Model"
//! (MCIPower, MCIClock, MCIArgument, MCICommand, MCIRespCmd,
//! MCIResponse0-3, MCIDataTimer, MCIDataLength, MCIDataCtrl, MCIDataCnt,
//! MCIStatus, MCIClear, MCIMask0/1, MCISelect, MCIFifoCnt, MCIFIFO,
//! MCIPeriphID0-3, MCIPCellID0-3) and chapter 2 "Functional Overview"
//! (command path state machine CPSM, data path state machine DPSM); Linux
//! `drivers/mmc/host/mmci.c` (`mmci_ids`: 0x00041180 under mask 0xff0fffff
//! is `variant_arm`; `mmci_start_command`, `mmci_cmd_irq`).
//!
//! What is modelled: the MCI with **no card in the slot**. Card detect and
//! write protect are not PL180 signals on FVP: they are the V2M SYS_MCI
//! register (0x1c01_0048, the DT's `cd-gpios`/`wp-gpios`), modelled with
//! the system registers.
//! * CPSM: writing MCICommand with `Enable` sends the command (CmdActive
//!   while it is being sent). A command that expects no response
//!   (`Response` clear) completes with MCIStatus.CmdSent. A command that
//!   expects one waits for it; no card answers, so the CPSM's 64-MCICLK
//!   response timer expires and MCIStatus.CmdTimeOut is set, MCIRespCmd
//!   and MCIResponse0-3 keep their values. Line time is not modelled: the
//!   outcome is there when the write completes (like the PL011 model's
//!   transmit). A command with `Interrupt` set (wait for a card interrupt,
//!   timer disabled) or `Pending` set (wait for the DPSM's CmdPend) stays
//!   active (CmdActive) until software rewrites MCICommand without
//!   `Enable`.
//! * DPSM: writing MCIDataCtrl with `Enable` loads MCIDataCnt from
//!   MCIDataLength and MCIFifoCnt with the number of words to move. A
//!   receive (`Direction` = from card) waits for a start bit that no card
//!   sends: the data timer (MCIDataTimer) expires, MCIStatus.DataTimeOut.
//!   A transmit (RxActive clear, TxActive set) clocks the words written to
//!   MCIFIFO onto the bus at once (the FIFO reads empty); once a block
//!   (2^BlockSize bytes, or the whole length if shorter) has gone out, the
//!   DPSM waits for the card's CRC status token, which never comes:
//!   DataTimeOut. Either way the DPSM returns to Idle.
//! * MCIStatus: the static flags (bits 10:0) are sticky until written to
//!   MCIClear; CmdActive/TxActive/RxActive and the FIFO flags (bits 21:14,
//!   for the active direction) are live. MCIINTR0 = MCIStatus & MCIMask0,
//!   MCIINTR1 = MCIStatus & MCIMask1, each driving an [`InterruptLine`].
//! * MCIPower, MCIClock, MCIArgument, MCIDataTimer, MCIDataLength,
//!   MCISelect hold their values; power, clock rate and bus width do not
//!   change the outcome (there is no card).
//! * Identification: part 0x180, designer 0x41, revision 0, configuration
//!   0 (Linux: `variant_arm`).
//!
//! Accesses to offsets with no register, writes to read-only and reads of
//! write-only registers read as zero / are ignored and are logged once
//! (target `platform`) and counted ([`Pl180::bad_accesses`]).

use crate::access::{BadAccess, BadAccesses, mmio_device_of_registers};
use crate::interrupt_line::InterruptLine;
use crate::peripheral_id::{CIDR_PRIMECELL, IdRegs};
use parking_lot::Mutex;
use rme_mmu::AccessAttrs;

/// FVP Base RevC address and interrupts (SPI n is INTID 32 + n).
pub const FVP_MMCI_BASE: u64 = 0x1c05_0000;
pub const FVP_MMCI_SPIS: [u32; 2] = [9, 10];
pub const PL180_SIZE: u64 = 0x1000;

pub const MCIPOWER: u64 = 0x000;
pub const MCICLOCK: u64 = 0x004;
pub const MCIARGUMENT: u64 = 0x008;
pub const MCICOMMAND: u64 = 0x00c;
pub const MCIRESPCMD: u64 = 0x010;
pub const MCIRESPONSE0: u64 = 0x014;
pub const MCIRESPONSE3: u64 = 0x020;
pub const MCIDATATIMER: u64 = 0x024;
pub const MCIDATALENGTH: u64 = 0x028;
pub const MCIDATACTRL: u64 = 0x02c;
pub const MCIDATACNT: u64 = 0x030;
pub const MCISTATUS: u64 = 0x034;
pub const MCICLEAR: u64 = 0x038;
pub const MCIMASK0: u64 = 0x03c;
pub const MCIMASK1: u64 = 0x040;
pub const MCISELECT: u64 = 0x044;
pub const MCIFIFOCNT: u64 = 0x048;
/// MCIFIFO: 16 words, 0x080..=0x0bc.
pub const MCIFIFO: u64 = 0x080;
pub const MCIFIFO_LAST: u64 = 0x0bc;
pub const MCIPERIPHID0: u64 = 0xfe0;
pub const MCIPCELLID0: u64 = 0xff0;

/// MCICommand bits.
pub const CMD_INDEX: u32 = 0x3f;
pub const CMD_RESPONSE: u32 = 1 << 6;
pub const CMD_LONGRSP: u32 = 1 << 7;
pub const CMD_INTERRUPT: u32 = 1 << 8;
pub const CMD_PENDING: u32 = 1 << 9;
pub const CMD_ENABLE: u32 = 1 << 10;

/// MCIDataCtrl bits.
pub const DATA_ENABLE: u32 = 1 << 0;
pub const DATA_DIRECTION: u32 = 1 << 1;
pub const DATA_MODE: u32 = 1 << 2;
pub const DATA_DMAENABLE: u32 = 1 << 3;

/// MCIStatus bits (the same positions in MCIMask0/1; bits 10:0 in MCIClear).
pub const ST_CMDCRCFAIL: u32 = 1 << 0;
pub const ST_DATACRCFAIL: u32 = 1 << 1;
pub const ST_CMDTIMEOUT: u32 = 1 << 2;
pub const ST_DATATIMEOUT: u32 = 1 << 3;
pub const ST_TXUNDERRUN: u32 = 1 << 4;
pub const ST_RXOVERRUN: u32 = 1 << 5;
pub const ST_CMDRESPEND: u32 = 1 << 6;
pub const ST_CMDSENT: u32 = 1 << 7;
pub const ST_DATAEND: u32 = 1 << 8;
pub const ST_STARTBITERR: u32 = 1 << 9;
pub const ST_DATABLOCKEND: u32 = 1 << 10;
pub const ST_CMDACTIVE: u32 = 1 << 11;
pub const ST_TXACTIVE: u32 = 1 << 12;
pub const ST_RXACTIVE: u32 = 1 << 13;
pub const ST_TXFIFOHALFEMPTY: u32 = 1 << 14;
pub const ST_RXFIFOHALFFULL: u32 = 1 << 15;
pub const ST_TXFIFOFULL: u32 = 1 << 16;
pub const ST_RXFIFOFULL: u32 = 1 << 17;
pub const ST_TXFIFOEMPTY: u32 = 1 << 18;
pub const ST_RXFIFOEMPTY: u32 = 1 << 19;
pub const ST_TXDATAAVLBL: u32 = 1 << 20;
pub const ST_RXDATAAVLBL: u32 = 1 << 21;
/// The static (sticky, MCIClear-able) flags.
const ST_STATIC: u32 = 0x7ff;
const ST_MASK: u32 = 0x3f_ffff;

/// MCIPeriphID0-3 (part 0x180, designer 0x41, revision 0, configuration 0),
/// MCIPCellID0-3.
const IDS: IdRegs = IdRegs { pidr: [0x80, 0x11, 0x04, 0x00, 0, 0, 0, 0], cidr: CIDR_PRIMECELL };

/// What the DPSM is doing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Dpsm {
    #[default]
    Idle,
    /// Transmitting to the card: `sent` bytes of the current block so far.
    Send { sent: u32 },
}

/// The programmer-visible state of a PL180.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pl180State {
    pub power: u32,
    pub clock: u32,
    pub argument: u32,
    pub command: u32,
    pub respcmd: u32,
    pub response: [u32; 4],
    pub datatimer: u32,
    pub datalength: u32,
    pub datactrl: u32,
    pub datacnt: u32,
    /// The static flags of MCIStatus (bits 10:0).
    pub status: u32,
    pub mask: [u32; 2],
    pub select: u32,
    pub fifocnt: u32,
    /// The CPSM waits (`Interrupt` or `Pending` command): CmdActive.
    pub cmd_active: bool,
    pub dpsm: Dpsm,
}

impl Pl180State {
    /// MCIStatus: the static flags and the live ones.
    fn status(&self) -> u32 {
        let mut s = self.status;
        if self.cmd_active {
            s |= ST_CMDACTIVE;
        }
        if let Dpsm::Send { .. } = self.dpsm {
            // Words written to the FIFO leave at once: it is always empty.
            s |= ST_TXACTIVE | ST_TXFIFOEMPTY | ST_TXFIFOHALFEMPTY;
        }
        s
    }

    fn write_command(&mut self, value: u32) {
        self.command = value & 0x7ff;
        if self.command & CMD_ENABLE == 0 {
            // CPSM disabled: back to Idle.
            self.cmd_active = false;
            return;
        }
        if self.command & (CMD_INTERRUPT | CMD_PENDING) != 0 {
            // Waits for a card interrupt / CmdPend that never comes.
            self.cmd_active = true;
            return;
        }
        self.cmd_active = false;
        if self.command & CMD_RESPONSE == 0 {
            self.status |= ST_CMDSENT;
        } else {
            // No card drives CMD: the response timer expires.
            self.status |= ST_CMDTIMEOUT;
        }
    }

    fn block_bytes(&self) -> u32 {
        1 << ((self.datactrl >> 4) & 0xf)
    }

    fn write_datactrl(&mut self, value: u32) {
        self.datactrl = value & 0xff;
        if self.datactrl & DATA_ENABLE == 0 {
            self.dpsm = Dpsm::Idle;
            return;
        }
        self.datacnt = self.datalength;
        self.fifocnt = self.datalength.div_ceil(4);
        if self.datacnt == 0 {
            self.dpsm = Dpsm::Idle;
        } else if self.datactrl & DATA_DIRECTION != 0 {
            // Wait_R: no card sends a start bit; the data timer expires.
            self.status |= ST_DATATIMEOUT;
            self.dpsm = Dpsm::Idle;
        } else {
            self.dpsm = Dpsm::Send { sent: 0 };
        }
    }

    /// A word written to MCIFIFO.
    fn write_fifo(&mut self) {
        let Dpsm::Send { sent } = self.dpsm else { return };
        let n = self.datacnt.min(4);
        self.datacnt -= n;
        self.fifocnt = self.fifocnt.saturating_sub(1);
        let sent = sent + n;
        if sent >= self.block_bytes() || self.datacnt == 0 {
            // The block is out; Busy: no card returns the CRC status token.
            self.status |= ST_DATATIMEOUT;
            self.dpsm = Dpsm::Idle;
        } else {
            self.dpsm = Dpsm::Send { sent };
        }
    }

    fn irq(&self, line: usize) -> bool {
        self.status() & self.mask[line] != 0
    }
}

/// One PL180 MCI with an empty card slot.
pub struct Pl180 {
    name: String,
    inner: Mutex<Pl180State>,
    bad: BadAccesses,
    /// MCIINTR0, MCIINTR1.
    irqs: Mutex<[InterruptLine; 2]>,
}

impl Pl180 {
    /// An MCI in its reset state, named `name` in logs ("mmci").
    pub fn new(name: impl Into<String>) -> Pl180 {
        Pl180 {
            name: name.into(),
            inner: Mutex::new(Pl180State::default()),
            bad: BadAccesses::default(),
            irqs: Mutex::new([InterruptLine::unconnected(), InterruptLine::unconnected()]),
        }
    }

    /// Wires MCIINTR0 and MCIINTR1 (and drives them with their levels).
    pub fn connect_interrupts(&self, intr0: InterruptLine, intr1: InterruptLine) {
        *self.irqs.lock() = [intr0, intr1];
        self.update_interrupts();
    }

    /// The levels of MCIINTR0 and MCIINTR1.
    pub fn irq_levels(&self) -> [bool; 2] {
        let s = self.inner.lock();
        [s.irq(0), s.irq(1)]
    }

    fn update_interrupts(&self) {
        let levels = self.irq_levels();
        let irqs = self.irqs.lock();
        for (line, level) in irqs.iter().zip(levels) {
            line.set_level(level);
        }
    }

    /// A copy of the register state.
    pub fn state(&self) -> Pl180State {
        self.inner.lock().clone()
    }

    /// Returns the registers to their reset state (bad-access count kept).
    pub fn reset(&self) {
        *self.inner.lock() = Pl180State::default();
        self.update_interrupts();
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
            MCIPOWER => Ok(s.power),
            MCICLOCK => Ok(s.clock),
            MCIARGUMENT => Ok(s.argument),
            MCICOMMAND => Ok(s.command),
            MCIRESPCMD => Ok(s.respcmd),
            MCIRESPONSE0..=MCIRESPONSE3 => Ok(s.response[((reg - MCIRESPONSE0) / 4) as usize]),
            MCIDATATIMER => Ok(s.datatimer),
            MCIDATALENGTH => Ok(s.datalength),
            MCIDATACTRL => Ok(s.datactrl),
            MCIDATACNT => Ok(s.datacnt),
            MCISTATUS => Ok(s.status()),
            MCIMASK0 => Ok(s.mask[0]),
            MCIMASK1 => Ok(s.mask[1]),
            MCISELECT => Ok(s.select),
            MCIFIFOCNT => Ok(s.fifocnt),
            // The receive FIFO never holds data (no card).
            MCIFIFO..=MCIFIFO_LAST => Ok(0),
            MCICLEAR => Err(BadAccess::WriteOnly),
            r => IDS.read(r).ok_or(BadAccess::NoRegister),
        }
    }

    fn write_reg(&self, reg: u64, value: u32, _attrs: AccessAttrs) -> Result<(), BadAccess> {
        let r = {
            let mut s = self.inner.lock();
            match reg {
                MCIPOWER => s.power = value & 0xff,
                MCICLOCK => s.clock = value & 0xfff,
                MCIARGUMENT => s.argument = value,
                MCICOMMAND => s.write_command(value),
                MCIDATATIMER => s.datatimer = value,
                MCIDATALENGTH => s.datalength = value & 0xffff,
                MCIDATACTRL => s.write_datactrl(value),
                MCICLEAR => s.status &= !(value & ST_STATIC),
                MCIMASK0 => s.mask[0] = value & ST_MASK,
                MCIMASK1 => s.mask[1] = value & ST_MASK,
                MCISELECT => s.select = value & 0xf,
                MCIFIFO..=MCIFIFO_LAST => s.write_fifo(),
                MCIRESPCMD | MCIRESPONSE0..=MCIRESPONSE3 | MCIDATACNT | MCISTATUS | MCIFIFOCNT => {
                    return Err(BadAccess::ReadOnly);
                }
                r if IDS.read(r).is_some() => return Err(BadAccess::ReadOnly),
                _ => return Err(BadAccess::NoRegister),
            }
            Ok(())
        };
        self.update_interrupts();
        r
    }
}

mmio_device_of_registers!(Pl180, |self| &self.name);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_access::{r, w};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};


    #[test]
    fn reset_values() {
        let m = Pl180::new("mmci");
        for off in (MCIPOWER..=MCIFIFOCNT).step_by(4).filter(|&o| o != MCICLEAR) {
            assert_eq!(r(&m, off), 0, "offset {off:#x}");
        }
        assert_eq!(m.bad_accesses(), 0);
    }

    #[test]
    fn id_registers_match_linux_variant_arm() {
        let m = Pl180::new("mmci");
        let ids: Vec<u32> = (0..8).map(|i| r(&m, MCIPERIPHID0 + 4 * i)).collect();
        assert_eq!(ids, [0x80, 0x11, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1]);
        assert_eq!(IDS.part_number(), 0x180);
        let pid = ids[..4].iter().enumerate().fold(0, |acc, (i, b)| acc | b << (8 * i));
        // mmci_ids: { .id = 0x00041180, .mask = 0xff0fffff } -> variant_arm.
        assert_eq!(pid & 0xff0f_ffff, 0x0004_1180);
    }

    #[test]
    fn register_widths() {
        let m = Pl180::new("mmci");
        w(&m, MCIPOWER, !0);
        w(&m, MCICLOCK, !0);
        w(&m, MCIARGUMENT, !0);
        w(&m, MCIDATATIMER, !0);
        w(&m, MCIDATALENGTH, !0);
        w(&m, MCIMASK0, !0);
        w(&m, MCIMASK1, !0);
        w(&m, MCISELECT, !0);
        assert_eq!(r(&m, MCIPOWER), 0xff);
        assert_eq!(r(&m, MCICLOCK), 0xfff);
        assert_eq!(r(&m, MCIARGUMENT), !0);
        assert_eq!(r(&m, MCIDATATIMER), !0);
        assert_eq!(r(&m, MCIDATALENGTH), 0xffff);
        assert_eq!(r(&m, MCIMASK0), 0x3f_ffff);
        assert_eq!(r(&m, MCIMASK1), 0x3f_ffff);
        assert_eq!(r(&m, MCISELECT), 0xf);
        w(&m, MCISTATUS, 0);
        w(&m, MCIRESPCMD, 0);
        let _ = r(&m, MCICLEAR);
        assert_eq!(m.bad_accesses(), 3);
    }

    #[test]
    fn command_with_response_times_out() {
        let m = Pl180::new("mmci");
        // mmc core: power up, clock, then CMD8 (SEND_IF_COND, R7).
        w(&m, MCIPOWER, 0x02);
        w(&m, MCIPOWER, 0x03);
        w(&m, MCICLOCK, 0x100 | 0x3f);
        w(&m, MCIARGUMENT, 0x1aa);
        w(&m, MCICOMMAND, 8 | CMD_RESPONSE | CMD_ENABLE);
        assert_eq!(r(&m, MCISTATUS), ST_CMDTIMEOUT);
        assert_eq!(r(&m, MCIRESPCMD), 0);
        assert_eq!(r(&m, MCIRESPONSE0), 0);
        // mmci_irq: write the flags back to MCIClear.
        w(&m, MCICLEAR, ST_CMDTIMEOUT);
        assert_eq!(r(&m, MCISTATUS), 0);
        // CMD0 (GO_IDLE_STATE): no response expected.
        w(&m, MCICOMMAND, CMD_ENABLE);
        assert_eq!(r(&m, MCISTATUS), ST_CMDSENT);
        // Long response (CMD2): also a time-out.
        w(&m, MCICLEAR, 0x7ff);
        w(&m, MCICOMMAND, 2 | CMD_RESPONSE | CMD_LONGRSP | CMD_ENABLE);
        assert_eq!(r(&m, MCISTATUS), ST_CMDTIMEOUT);
    }

    #[test]
    fn command_without_enable_does_nothing() {
        let m = Pl180::new("mmci");
        w(&m, MCICOMMAND, 8 | CMD_RESPONSE);
        assert_eq!(r(&m, MCISTATUS), 0);
        assert_eq!(r(&m, MCICOMMAND), 8 | CMD_RESPONSE);
    }

    #[test]
    fn waiting_command_stays_active_until_disabled() {
        let m = Pl180::new("mmci");
        w(&m, MCICOMMAND, 52 | CMD_RESPONSE | CMD_INTERRUPT | CMD_ENABLE);
        assert_eq!(r(&m, MCISTATUS), ST_CMDACTIVE);
        w(&m, MCICOMMAND, 0);
        assert_eq!(r(&m, MCISTATUS), 0);
    }

    #[test]
    fn interrupts_follow_the_masks() {
        let m = Pl180::new("mmci");
        let l0 = Arc::new(AtomicBool::new(false));
        let l1 = Arc::new(AtomicBool::new(false));
        let (c0, c1) = (l0.clone(), l1.clone());
        m.connect_interrupts(
            InterruptLine::new(move |v| c0.store(v, Ordering::SeqCst)),
            InterruptLine::new(move |v| c1.store(v, Ordering::SeqCst)),
        );
        // mmci_probe: mask all, clear all, then MCI_IRQENABLE in MASK0.
        w(&m, MCIMASK0, 0);
        w(&m, MCIMASK1, 0);
        w(&m, MCICLEAR, 0xfff);
        w(&m, MCIMASK0, ST_CMDCRCFAIL | ST_CMDTIMEOUT | ST_CMDRESPEND | ST_CMDSENT);
        w(&m, MCICOMMAND, 55 | CMD_RESPONSE | CMD_ENABLE);
        assert!(l0.load(Ordering::SeqCst));
        assert!(!l1.load(Ordering::SeqCst));
        assert_eq!(m.irq_levels(), [true, false]);
        w(&m, MCICLEAR, ST_CMDTIMEOUT);
        assert!(!l0.load(Ordering::SeqCst));
    }

    #[test]
    fn read_transfer_times_out() {
        let m = Pl180::new("mmci");
        w(&m, MCIDATATIMER, 0x10_0000);
        w(&m, MCIDATALENGTH, 512);
        w(&m, MCIDATACTRL, DATA_ENABLE | DATA_DIRECTION | (9 << 4));
        assert_eq!(r(&m, MCIDATACNT), 512);
        assert_eq!(r(&m, MCIFIFOCNT), 128);
        assert_eq!(r(&m, MCISTATUS), ST_DATATIMEOUT);
        assert_eq!(r(&m, MCIFIFO), 0);
    }

    #[test]
    fn write_transfer_sends_a_block_then_times_out() {
        let m = Pl180::new("mmci");
        w(&m, MCIDATALENGTH, 16);
        w(&m, MCIDATACTRL, DATA_ENABLE | (3 << 4)); // 8-byte blocks
        let st = r(&m, MCISTATUS);
        assert_eq!(st & (ST_TXACTIVE | ST_TXFIFOEMPTY | ST_TXFIFOHALFEMPTY),
            ST_TXACTIVE | ST_TXFIFOEMPTY | ST_TXFIFOHALFEMPTY);
        w(&m, MCIFIFO, 0x1234_5678);
        assert_eq!(r(&m, MCIDATACNT), 12);
        assert_eq!(r(&m, MCIFIFOCNT), 3);
        assert_eq!(r(&m, MCISTATUS) & ST_DATATIMEOUT, 0);
        w(&m, MCIFIFO + 4, 0);
        assert_eq!(r(&m, MCIDATACNT), 8);
        assert_eq!(r(&m, MCISTATUS), ST_DATATIMEOUT);
        // Further FIFO writes go nowhere.
        w(&m, MCIFIFO, 0);
        assert_eq!(r(&m, MCIDATACNT), 8);
    }
}
