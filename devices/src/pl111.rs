//! ARM PrimeCell Color LCD Controller (PL111): FVP Base RevC's
//! `clcd@1f0000` at 0x1c1f_0000 (CLCDINTR on SPI 14), scanning out of the
//! 8 MiB `vram@18000000` (the platform maps that as RAM named "vram").
//!
//! Reference: *ARM PrimeCell Color LCD Controller (PL111) Technical
//! Reference Manual*, ARM DDI 0293, chapter 3 "Programmer's Model"
//! (LCDTiming0-3, LCDUPBASE, LCDLPBASE, LCDControl, LCDIMSC, LCDRIS,
//! LCDMIS, LCDICR, LCDUPCURR, LCDLPCURR, LCDPalette, CursorImage,
//! ClcdCrsrCtrl, ClcdCrsrConfig, ClcdCrsrPalette0/1, ClcdCrsrXY,
//! ClcdCrsrClip, ClcdCrsrIMSC, ClcdCrsrICR, ClcdCrsrRIS, ClcdCrsrMIS,
//! CLCDPeriphID0-3, CLCDPCellID0-3); Linux `drivers/gpu/drm/pl111`
//! (`pl111_display_enable`: timings, then LCDControl with LcdEn, then
//! LcdPwr).
//!
//! What is modelled: the registers, without display output (rendering the
//! frame buffer can come later).
//! * Every register holds its value (reserved bits read as zero);
//!   LCDControl.LcdEn and LcdPwr are held as written, so the power-up
//!   sequence software runs reads back as it expects. LCDUPCURR/LCDLPCURR
//!   (the DMA's current address) read LCDUPBASE/LCDLPBASE while LcdEn is
//!   set (each frame starts there; the DMA's progress through the frame is
//!   not modelled) and 0 otherwise.
//! * The palette (256 x 16 bits, 0x200-0x3fc) and the cursor image
//!   (256 words, 0x800-0xbfc) are RAM.
//! * Interrupts: LCDMIS = LCDRIS & LCDIMSC, ClcdCrsrMIS = ClcdCrsrRIS &
//!   ClcdCrsrIMSC, LCDICR/ClcdCrsrICR clear; CLCDINTR (any of them) drives
//!   the [`InterruptLine`] given with [`Pl111::connect_interrupt`]. With
//!   no scan-out timing, the raw interrupts stay inactive: the vertical
//!   compare (VCompRIS), next base address update (LNBURIS), FIFO
//!   underflow (FUFRIS), AHB master error (MBERRORRIS) and cursor
//!   (CrsrRIS) are never raised. Software waiting for them (a DRM vblank
//!   wait) times out.
//! * Identification: part 0x111, designer 0x41, revision 2 (Linux
//!   `pl111_id_table`: 0x00041110 under mask 0x000ffffe).
//!
//! Accesses to offsets with no register, writes to read-only and reads of
//! write-only registers read as zero / are ignored and are logged once
//! (target `platform`) and counted ([`Pl111::bad_accesses`]).

use crate::access::{BadAccess, BadAccesses, mmio_device_of_registers};
use crate::interrupt_line::{InterruptLine, InterruptOutput};
use crate::peripheral_id::{CIDR_PRIMECELL, IdRegs};
use parking_lot::Mutex;
use rme_mmu::AccessAttrs;

/// FVP Base RevC address and interrupt (SPI n is INTID 32 + n).
pub const FVP_CLCD_BASE: u64 = 0x1c1f_0000;
pub const FVP_CLCD_SPI: u32 = 14;
pub const PL111_SIZE: u64 = 0x1000;
/// The video RAM the CLCD scans out (the DT's `vram@18000000`).
pub const FVP_VRAM_BASE: u64 = 0x1800_0000;
pub const FVP_VRAM_SIZE: u64 = 8 << 20;

pub const LCDTIMING0: u64 = 0x000;
pub const LCDTIMING1: u64 = 0x004;
pub const LCDTIMING2: u64 = 0x008;
pub const LCDTIMING3: u64 = 0x00c;
pub const LCDUPBASE: u64 = 0x010;
pub const LCDLPBASE: u64 = 0x014;
pub const LCDCONTROL: u64 = 0x018;
pub const LCDIMSC: u64 = 0x01c;
pub const LCDRIS: u64 = 0x020;
pub const LCDMIS: u64 = 0x024;
pub const LCDICR: u64 = 0x028;
pub const LCDUPCURR: u64 = 0x02c;
pub const LCDLPCURR: u64 = 0x030;
/// LCDPalette: 128 words, 0x200..=0x3fc.
pub const LCDPALETTE: u64 = 0x200;
pub const LCDPALETTE_LAST: u64 = 0x3fc;
/// CursorImage: 256 words, 0x800..=0xbfc.
pub const CURSORIMAGE: u64 = 0x800;
pub const CURSORIMAGE_LAST: u64 = 0xbfc;
pub const CLCDCRSRCTRL: u64 = 0xc00;
pub const CLCDCRSRCONFIG: u64 = 0xc04;
pub const CLCDCRSRPALETTE0: u64 = 0xc08;
pub const CLCDCRSRPALETTE1: u64 = 0xc0c;
pub const CLCDCRSRXY: u64 = 0xc10;
pub const CLCDCRSRCLIP: u64 = 0xc14;
pub const CLCDCRSRIMSC: u64 = 0xc20;
pub const CLCDCRSRICR: u64 = 0xc24;
pub const CLCDCRSRRIS: u64 = 0xc28;
pub const CLCDCRSRMIS: u64 = 0xc2c;
pub const CLCDPERIPHID0: u64 = 0xfe0;
pub const CLCDPCELLID0: u64 = 0xff0;

/// LCDControl bits.
pub const CNTL_LCDEN: u32 = 1 << 0;
pub const CNTL_LCDTFT: u32 = 1 << 5;
pub const CNTL_LCDPWR: u32 = 1 << 11;
const CNTL_MASK: u32 = 0x1_3fff;

/// LCDIMSC / LCDRIS / LCDMIS / LCDICR bits.
pub const INT_FUF: u32 = 1 << 1;
pub const INT_LNBU: u32 = 1 << 2;
pub const INT_VCOMP: u32 = 1 << 3;
pub const INT_MBERROR: u32 = 1 << 4;
const INT_MASK: u32 = 0x1e;

/// CLCDPeriphID0-3 (part 0x111, designer 0x41, revision 2), CLCDPCellID0-3.
const IDS: IdRegs = IdRegs { pidr: [0x11, 0x11, 0x24, 0x00, 0, 0, 0, 0], cidr: CIDR_PRIMECELL };

/// The programmer-visible state of a PL111.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pl111State {
    pub timing: [u32; 4],
    pub upbase: u32,
    pub lpbase: u32,
    pub control: u32,
    pub imsc: u32,
    pub ris: u32,
    /// LCDPalette, two 16-bit entries per word.
    pub palette: [u32; 128],
    pub cursor_image: [u32; 256],
    pub crsr_ctrl: u32,
    pub crsr_config: u32,
    pub crsr_palette: [u32; 2],
    pub crsr_xy: u32,
    pub crsr_clip: u32,
    pub crsr_imsc: u32,
    pub crsr_ris: u32,
}

impl Default for Pl111State {
    fn default() -> Pl111State {
        Pl111State {
            timing: [0; 4],
            upbase: 0,
            lpbase: 0,
            control: 0,
            imsc: 0,
            ris: 0,
            palette: [0; 128],
            cursor_image: [0; 256],
            crsr_ctrl: 0,
            crsr_config: 0,
            crsr_palette: [0; 2],
            crsr_xy: 0,
            crsr_clip: 0,
            crsr_imsc: 0,
            crsr_ris: 0,
        }
    }
}

impl Pl111State {
    fn enabled(&self) -> bool {
        self.control & CNTL_LCDEN != 0
    }

    fn irq(&self) -> bool {
        self.ris & self.imsc != 0 || self.crsr_ris & self.crsr_imsc != 0
    }
}

/// One PL111 CLCD (registers only; no scan-out).
pub struct Pl111 {
    name: String,
    inner: Mutex<Pl111State>,
    bad: BadAccesses,
    /// CLCDINTR.
    irq: InterruptOutput,
}

impl Pl111 {
    /// A CLCD in its reset state, named `name` in logs ("clcd").
    pub fn new(name: impl Into<String>) -> Pl111 {
        Pl111 {
            name: name.into(),
            inner: Mutex::new(Pl111State::default()),
            bad: BadAccesses::default(),
            irq: InterruptOutput::default(),
        }
    }

    /// Wires CLCDINTR to `line` (and drives it with the current level).
    pub fn connect_interrupt(&self, line: InterruptLine) {
        self.irq.connect(line, self.irq_level());
    }

    /// CLCDINTR.
    pub fn irq_level(&self) -> bool {
        self.inner.lock().irq()
    }

    fn update_interrupt(&self) {
        self.irq.drive(self.irq_level());
    }

    /// A copy of the register state.
    pub fn state(&self) -> Pl111State {
        self.inner.lock().clone()
    }

    /// Returns the registers to their reset state (bad-access count kept).
    pub fn reset(&self) {
        *self.inner.lock() = Pl111State::default();
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
            LCDTIMING0..=LCDTIMING3 => Ok(s.timing[(reg / 4) as usize]),
            LCDUPBASE => Ok(s.upbase),
            LCDLPBASE => Ok(s.lpbase),
            LCDCONTROL => Ok(s.control),
            LCDIMSC => Ok(s.imsc),
            LCDRIS => Ok(s.ris),
            LCDMIS => Ok(s.ris & s.imsc),
            LCDUPCURR => Ok(if s.enabled() { s.upbase } else { 0 }),
            LCDLPCURR => Ok(if s.enabled() { s.lpbase } else { 0 }),
            LCDPALETTE..=LCDPALETTE_LAST => Ok(s.palette[((reg - LCDPALETTE) / 4) as usize]),
            CURSORIMAGE..=CURSORIMAGE_LAST => Ok(s.cursor_image[((reg - CURSORIMAGE) / 4) as usize]),
            CLCDCRSRCTRL => Ok(s.crsr_ctrl),
            CLCDCRSRCONFIG => Ok(s.crsr_config),
            CLCDCRSRPALETTE0 => Ok(s.crsr_palette[0]),
            CLCDCRSRPALETTE1 => Ok(s.crsr_palette[1]),
            CLCDCRSRXY => Ok(s.crsr_xy),
            CLCDCRSRCLIP => Ok(s.crsr_clip),
            CLCDCRSRIMSC => Ok(s.crsr_imsc),
            CLCDCRSRRIS => Ok(s.crsr_ris),
            CLCDCRSRMIS => Ok(s.crsr_ris & s.crsr_imsc),
            LCDICR | CLCDCRSRICR => Err(BadAccess::WriteOnly),
            r => IDS.read(r).ok_or(BadAccess::NoRegister),
        }
    }

    fn write_reg(&self, reg: u64, value: u32, _attrs: AccessAttrs) -> Result<(), BadAccess> {
        let r = {
            let mut s = self.inner.lock();
            match reg {
                // LCDTiming0 [1:0] and LCDTiming2 [15] are reserved;
                // LCDTiming3 holds LED [6:0] and LEE [16].
                LCDTIMING0 => s.timing[0] = value & !0x3,
                LCDTIMING1 => s.timing[1] = value,
                LCDTIMING2 => s.timing[2] = value & !(1 << 15),
                LCDTIMING3 => s.timing[3] = value & 0x1_007f,
                // Frame bases are doubleword aligned.
                LCDUPBASE => s.upbase = value & !0x7,
                LCDLPBASE => s.lpbase = value & !0x7,
                LCDCONTROL => s.control = value & CNTL_MASK,
                LCDIMSC => s.imsc = value & INT_MASK,
                LCDICR => s.ris &= !(value & INT_MASK),
                LCDPALETTE..=LCDPALETTE_LAST => s.palette[((reg - LCDPALETTE) / 4) as usize] = value,
                CURSORIMAGE..=CURSORIMAGE_LAST => s.cursor_image[((reg - CURSORIMAGE) / 4) as usize] = value,
                CLCDCRSRCTRL => s.crsr_ctrl = value & 0x31,
                CLCDCRSRCONFIG => s.crsr_config = value & 0x3,
                CLCDCRSRPALETTE0 => s.crsr_palette[0] = value & 0xff_ffff,
                CLCDCRSRPALETTE1 => s.crsr_palette[1] = value & 0xff_ffff,
                CLCDCRSRXY => s.crsr_xy = value & 0x0fff_0fff,
                CLCDCRSRCLIP => s.crsr_clip = value & 0x3f3f,
                CLCDCRSRIMSC => s.crsr_imsc = value & 1,
                CLCDCRSRICR => s.crsr_ris &= !(value & 1),
                LCDRIS | LCDMIS | LCDUPCURR | LCDLPCURR | CLCDCRSRRIS | CLCDCRSRMIS => {
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

mmio_device_of_registers!(Pl111, |self| &self.name);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_access::{r, w};


    #[test]
    fn reset_values() {
        let d = Pl111::new("clcd");
        for off in (LCDTIMING0..=LCDLPCURR).step_by(4).filter(|&o| o != LCDICR) {
            assert_eq!(r(&d, off), 0, "offset {off:#x}");
        }
        for off in [CLCDCRSRCTRL, CLCDCRSRCONFIG, CLCDCRSRXY, CLCDCRSRCLIP, CLCDCRSRIMSC, CLCDCRSRRIS, CLCDCRSRMIS] {
            assert_eq!(r(&d, off), 0, "offset {off:#x}");
        }
        assert_eq!(d.bad_accesses(), 0);
    }

    #[test]
    fn id_registers() {
        let d = Pl111::new("clcd");
        let ids: Vec<u32> = (0..8).map(|i| r(&d, CLCDPERIPHID0 + 4 * i)).collect();
        assert_eq!(ids, [0x11, 0x11, 0x24, 0x00, 0x0d, 0xf0, 0x05, 0xb1]);
        assert_eq!(IDS.part_number(), 0x111);
        let pid = ids[..4].iter().enumerate().fold(0, |acc, (i, b)| acc | b << (8 * i));
        assert_eq!(pid & 0x000f_fffe, 0x0004_1110);
    }

    #[test]
    fn registers_hold_values_with_reserved_bits_zero() {
        let d = Pl111::new("clcd");
        for (off, expect) in [
            (LCDTIMING0, !0x3),
            (LCDTIMING1, !0),
            (LCDTIMING2, !(1 << 15)),
            (LCDTIMING3, 0x1_007f),
            (LCDUPBASE, !0x7),
            (LCDLPBASE, !0x7),
            (LCDCONTROL, 0x1_3fff),
            (LCDIMSC, 0x1e),
            (CLCDCRSRCTRL, 0x31),
            (CLCDCRSRCONFIG, 0x3),
            (CLCDCRSRPALETTE0, 0xff_ffff),
            (CLCDCRSRPALETTE1, 0xff_ffff),
            (CLCDCRSRXY, 0x0fff_0fff),
            (CLCDCRSRCLIP, 0x3f3f),
            (CLCDCRSRIMSC, 1),
        ] {
            w(&d, off, !0);
            assert_eq!(r(&d, off), expect, "offset {off:#x}");
        }
        w(&d, LCDPALETTE + 0x1fc, 0x7fff_001f);
        assert_eq!(r(&d, LCDPALETTE_LAST), 0x7fff_001f);
        w(&d, CURSORIMAGE + 0x100, 0xaaaa_5555);
        assert_eq!(r(&d, CURSORIMAGE + 0x100), 0xaaaa_5555);
        assert_eq!(d.bad_accesses(), 0);
    }

    /// `pl111_display_enable`: timings and base, then LcdEn, then LcdPwr;
    /// disable in the reverse order.
    #[test]
    fn power_sequence() {
        let d = Pl111::new("clcd");
        w(&d, LCDTIMING0, 0x3f1f_3f4c);
        w(&d, LCDTIMING1, 0x090b_61df);
        w(&d, LCDTIMING2, 0x067f_1800);
        w(&d, LCDUPBASE, 0x1800_0000);
        let cntl = CNTL_LCDTFT | (5 << 1);
        w(&d, LCDCONTROL, cntl);
        assert_eq!(r(&d, LCDUPCURR), 0);
        w(&d, LCDCONTROL, cntl | CNTL_LCDEN);
        w(&d, LCDCONTROL, cntl | CNTL_LCDEN | CNTL_LCDPWR);
        assert_eq!(r(&d, LCDCONTROL), cntl | CNTL_LCDEN | CNTL_LCDPWR);
        assert_eq!(r(&d, LCDUPCURR), 0x1800_0000);
        w(&d, LCDCONTROL, cntl | CNTL_LCDEN);
        w(&d, LCDCONTROL, cntl);
        assert_eq!(r(&d, LCDCONTROL), cntl);
        assert_eq!(r(&d, LCDUPCURR), 0);
    }

    #[test]
    fn interrupts_stay_inactive_and_clear() {
        let d = Pl111::new("clcd");
        w(&d, LCDIMSC, INT_VCOMP | INT_LNBU | INT_FUF | INT_MBERROR);
        w(&d, LCDCONTROL, CNTL_LCDEN | CNTL_LCDPWR);
        assert_eq!(r(&d, LCDRIS), 0);
        assert_eq!(r(&d, LCDMIS), 0);
        assert!(!d.irq_level());
        // Masked status and ICR follow RIS when something is raised.
        d.inner.lock().ris = INT_VCOMP | INT_LNBU;
        assert_eq!(r(&d, LCDMIS), INT_VCOMP | INT_LNBU);
        assert!(d.irq_level());
        w(&d, LCDICR, INT_VCOMP | INT_LNBU);
        assert_eq!(r(&d, LCDRIS), 0);
        assert!(!d.irq_level());
        let _ = r(&d, LCDICR);
        w(&d, LCDRIS, 0);
        assert_eq!(d.bad_accesses(), 2);
    }
}
