//! The state of a bank of interrupts: per INTID the enable, pending,
//! active, group and group-modifier bits, the priority, the trigger mode
//! and the level of the input line (IHI 0069, 4.1 "Interrupt lifecycle",
//! 4.1.2 "Interrupt handling state machine").
//!
//! One [`IrqBank`] holds the SGIs and PPIs of a Redistributor (INTIDs
//! 0-31), another the SPIs of the Distributor. Both are indexed by INTID
//! (the Distributor's bank leaves INTIDs 0-31 unused) and kept as 32-bit
//! words so the `GICx_IS*/IC*R<n>` registers are one word each.
//!
//! Pending state: for an edge-triggered interrupt the pending latch is set
//! by a rising edge (or `ISPENDR`, `SETSPI`, an SGI) and cleared when the
//! interrupt is acknowledged or by `ICPENDR`. A level-sensitive interrupt
//! is pending while its line is asserted or its latch (set by `ISPENDR`) is
//! set; acknowledging clears the latch only, so an interrupt whose line is
//! still high becomes active and pending.
//!
//! Groups with two Security states (`GICD_CTLR.DS` = 0), IHI 0069 4.6.1:
//!
//! | IGROUPR | IGRPMODR | group |
//! |---------|----------|-------|
//! | 0 | 0 | Group 0 (Secure) |
//! | 0 | 1 | Secure Group 1 |
//! | 1 | 0 | Non-secure Group 1 |
//! | 1 | 1 | reserved: treated as Non-secure Group 1 |

/// The group of an interrupt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IntGroup {
    /// Group 0: always Secure, always signalled as FIQ.
    G0,
    /// Secure Group 1.
    G1S,
    /// Non-secure Group 1.
    G1NS,
}

impl IntGroup {
    /// The group of an interrupt given its `IGROUPR` and `IGRPMODR` bits.
    pub fn from_bits(group: bool, grpmod: bool) -> IntGroup {
        match (group, grpmod) {
            (false, false) => IntGroup::G0,
            (false, true) => IntGroup::G1S,
            (true, _) => IntGroup::G1NS,
        }
    }

    /// The interrupt is Secure (Group 0 or Secure Group 1).
    pub fn is_secure(self) -> bool {
        self != IntGroup::G1NS
    }

    /// Index of the group in per-group arrays (APRs, enables): G0, G1S, G1NS.
    pub(crate) fn index(self) -> usize {
        match self {
            IntGroup::G0 => 0,
            IntGroup::G1S => 1,
            IntGroup::G1NS => 2,
        }
    }
}

/// Bit `i` of a bitmap of words.
#[inline]
pub(crate) fn bit(words: &[u32], i: usize) -> bool {
    words[i / 32] >> (i % 32) & 1 != 0
}

/// Sets or clears bit `i` of a bitmap of words.
#[inline]
pub(crate) fn set_bit(words: &mut [u32], i: usize, v: bool) {
    if v {
        words[i / 32] |= 1 << (i % 32);
    } else {
        words[i / 32] &= !(1 << (i % 32));
    }
}

/// The state of `len` interrupts indexed by INTID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IrqBank {
    /// `IGROUPR`: 1 = Non-secure Group 1.
    pub group: Vec<u32>,
    /// `IGRPMODR`: with group 0, 1 = Secure Group 1.
    pub grpmod: Vec<u32>,
    /// `ISENABLER`/`ICENABLER`.
    pub enable: Vec<u32>,
    /// The pending latch (see the module documentation).
    pub pend: Vec<u32>,
    /// `ISACTIVER`/`ICACTIVER`.
    pub active: Vec<u32>,
    /// Level of the input line (PPIs, SPIs).
    pub level: Vec<u32>,
    /// `ICFGR` Int_config\[1\]: 1 = edge-triggered, 0 = level-sensitive.
    pub edge: Vec<u32>,
    /// `IPRIORITYR`, Secure view (as the Distributor stores it).
    pub priority: Vec<u8>,
}

impl IrqBank {
    /// A bank of `len` interrupts (a multiple of 32) in their reset state:
    /// Group 0, disabled, inactive, not pending, priority 0, level-sensitive.
    pub fn new(len: usize) -> IrqBank {
        let words = len.div_ceil(32);
        IrqBank {
            group: vec![0; words],
            grpmod: vec![0; words],
            enable: vec![0; words],
            pend: vec![0; words],
            active: vec![0; words],
            level: vec![0; words],
            edge: vec![0; words],
            priority: vec![0; words * 32],
        }
    }

    /// Number of 32-bit words.
    pub fn words(&self) -> usize {
        self.group.len()
    }

    /// The group of interrupt `i`.
    pub fn group_of(&self, i: usize) -> IntGroup {
        IntGroup::from_bits(bit(&self.group, i), bit(&self.grpmod, i))
    }

    /// The pending state of word `w` (what `ISPENDR` reads): the latch, or
    /// the line for level-sensitive interrupts.
    pub fn pending_word(&self, w: usize) -> u32 {
        self.pend[w] | (self.level[w] & !self.edge[w])
    }

    pub fn is_pending(&self, i: usize) -> bool {
        self.pending_word(i / 32) >> (i % 32) & 1 != 0
    }

    /// Word `w` of the interrupts that may be forwarded: enabled, pending
    /// and not active (an active and pending interrupt is not forwarded).
    pub fn candidates_word(&self, w: usize) -> u32 {
        self.pending_word(w) & self.enable[w] & !self.active[w]
    }

    /// A mask of word `w` whose bits are the Non-secure Group 1 interrupts
    /// (the ones a Non-secure access may see with `GICD_CTLR.DS` = 0).
    pub fn ns_mask(&self, w: usize) -> u32 {
        self.group[w]
    }

    /// Drives the input line of interrupt `i`. A rising edge of an
    /// edge-triggered interrupt sets its pending latch.
    pub fn set_level(&mut self, i: usize, level: bool) {
        let was = bit(&self.level, i);
        set_bit(&mut self.level, i, level);
        if level && !was && bit(&self.edge, i) {
            set_bit(&mut self.pend, i, true);
        }
    }

    /// Acknowledge: the interrupt becomes active and its latch is cleared
    /// (a level-sensitive interrupt whose line is high stays pending).
    pub fn acknowledge(&mut self, i: usize) {
        set_bit(&mut self.active, i, true);
        set_bit(&mut self.pend, i, false);
    }

    /// `ICFGR` value of word `reg` (16 INTIDs per register): bit 2k+1 is
    /// Int_config\[1\] (edge) of INTID 16*reg + k.
    pub fn icfgr(&self, reg: usize) -> u32 {
        let half = (self.edge[reg / 2] >> ((reg % 2) * 16)) & 0xffff;
        let mut v = 0;
        for k in 0..16 {
            if half >> k & 1 != 0 {
                v |= 2 << (2 * k);
            }
        }
        v
    }

    /// Writes the edge bits of `ICFGR<reg>`, only for the INTIDs whose bit
    /// is set in `mask` (a mask over the 32 INTIDs of word `reg / 2`).
    pub fn write_icfgr(&mut self, reg: usize, value: u32, mask: u32) {
        let shift = (reg % 2) * 16;
        for k in 0..16 {
            let b = 1u32 << (k + shift);
            if mask & b == 0 {
                continue;
            }
            let edge = value >> (2 * k + 1) & 1 != 0;
            if edge {
                self.edge[reg / 2] |= b;
            } else {
                self.edge[reg / 2] &= !b;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_encoding() {
        assert_eq!(IntGroup::from_bits(false, false), IntGroup::G0);
        assert_eq!(IntGroup::from_bits(false, true), IntGroup::G1S);
        assert_eq!(IntGroup::from_bits(true, false), IntGroup::G1NS);
        assert_eq!(IntGroup::from_bits(true, true), IntGroup::G1NS);
    }

    #[test]
    fn edge_and_level_pending() {
        let mut b = IrqBank::new(64);
        set_bit(&mut b.edge, 40, true);
        b.set_level(40, true);
        b.set_level(40, false);
        assert!(b.is_pending(40), "an edge latches");
        b.acknowledge(40);
        assert!(!b.is_pending(40));
        b.set_level(41, true);
        assert!(b.is_pending(41));
        b.acknowledge(41);
        assert!(b.is_pending(41), "level still high: active and pending");
        assert_eq!(b.candidates_word(1) & (1 << 9), 0, "active and pending is not forwarded");
        b.set_level(41, false);
        assert!(!b.is_pending(41));
    }

    #[test]
    fn icfgr_round_trip() {
        let mut b = IrqBank::new(64);
        b.write_icfgr(3, 0xaaaa_aaaa, 0xffff_0000);
        assert_eq!(b.edge[1], 0xffff_0000);
        assert_eq!(b.icfgr(3), 0xaaaa_aaaa);
        assert_eq!(b.icfgr(2), 0);
        b.write_icfgr(2, 0x0000_0002, 0x0000_ffff);
        assert_eq!(b.edge[1], 0xffff_0001);
    }
}
