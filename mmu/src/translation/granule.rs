//! Translation granules and the geometry of a walk: start level, table
//! index per level, block size per level, alignment of the base table.
//!
//! Arm ARM D8.2 "Translation process" (D8.2.6-D8.2.9 for the 4KB, 16KB and
//! 64KB granules). Pseudocode: `TGxGranuleBits`, `AArch64.S1DecodeTG0`,
//! `AArch64.S1DecodeTG1`, `AArch64.S2DecodeTG0`, `AArch64.S1StartLevel`,
//! `AArch64.S1SLTTEntryAddress`, `AArch64.S1TTEntryAddress`,
//! `AArch64.S1TTBaseAddress`, `AArch64.MaxTxSZ`, `AArch64.S1MinTxSZ`.
//! Only VMSAv8-64 with 64-bit descriptors (no FEAT_D128, no FEAT_LPA2, no
//! FEAT_TTST, no FEAT_LVA) is modelled, so TxSZ is 16..=39 and the start
//! level is 0..=3.

/// Index of the last lookup level (pseudocode `FINAL_LEVEL`).
pub const FINAL_LEVEL: i8 = 3;

/// Smallest TxSZ without FEAT_LVA/FEAT_LPA2 (48-bit input addresses).
pub const MIN_TXSZ: u8 = 16;

/// Largest TxSZ without FEAT_TTST (25-bit input addresses).
pub const MAX_TXSZ: u8 = 39;

/// A translation granule size (pseudocode `TGx`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Granule {
    K4,
    K16,
    K64,
}

impl Granule {
    /// log2 of the granule size (pseudocode `TGxGranuleBits`).
    pub fn bits(self) -> u32 {
        match self {
            Granule::K4 => 12,
            Granule::K16 => 14,
            Granule::K64 => 16,
        }
    }

    /// Granule size in bytes.
    pub fn size(self) -> u64 {
        1 << self.bits()
    }

    /// Input-address bits resolved per level (8-byte descriptors).
    pub fn stride(self) -> u32 {
        self.bits() - 3
    }

    /// Decode TCR_ELx.TG0 / VTCR_EL2.TG0 / VSTCR_EL2.TG0 (`AArch64.S1DecodeTG0`,
    /// `AArch64.S2DecodeTG0`): 00 = 4KB, 01 = 64KB, 10 = 16KB. The reserved
    /// value 11 selects an IMPLEMENTATION DEFINED implemented size; rme-emu
    /// uses 4KB (as QEMU does).
    pub fn from_tg0(tg0: u64) -> Granule {
        match tg0 & 3 {
            0b01 => Granule::K64,
            0b10 => Granule::K16,
            _ => Granule::K4,
        }
    }

    /// Decode TCR_ELx.TG1 (`AArch64.S1DecodeTG1`): 01 = 16KB, 10 = 4KB,
    /// 11 = 64KB; the reserved value 00 selects 4KB (IMPLEMENTATION DEFINED).
    pub fn from_tg1(tg1: u64) -> Granule {
        match tg1 & 3 {
            0b01 => Granule::K16,
            0b11 => Granule::K64,
            _ => Granule::K4,
        }
    }

    /// log2 of the memory one descriptor at `level` maps: a page at
    /// level 3, a block (or the span of a next-level table) above.
    pub fn block_shift(self, level: i8) -> u32 {
        debug_assert!((0..=FINAL_LEVEL).contains(&level));
        self.bits() + self.stride() * (FINAL_LEVEL - level) as u32
    }

    /// Stage 1 start level for an input size of `iasize` bits
    /// (`AArch64.S1StartLevel`): `3 - ((iasize - 1 - granulebits) DIV stride)`.
    pub fn s1_start_level(self, iasize: u32) -> i8 {
        FINAL_LEVEL - ((iasize - 1 - self.bits()) / self.stride()) as i8
    }

    /// Byte offset of the descriptor for `ia` inside the table of `level`,
    /// taking input-address bits `[top:lsb]`, where `lsb` is
    /// [`Self::block_shift`] of `level`. At the start level `top` is
    /// `iasize - 1` (which, at stage 2, may span concatenated tables); at
    /// later levels it is `lsb + stride - 1` (`AArch64.S1SLTTEntryAddress`,
    /// `AArch64.S1TTEntryAddress`, and their stage 2 forms).
    pub fn descriptor_offset(self, ia: u64, level: i8, top: u32) -> u64 {
        let lsb = self.block_shift(level);
        debug_assert!(top >= lsb && top < 64);
        let width = top - lsb + 1;
        ((ia >> lsb) & ((1u64 << width) - 1)) << 3
    }

    /// Top input-address bit indexed by a table at a level after the start.
    pub fn next_level_top(self, level: i8) -> u32 {
        self.block_shift(level) + self.stride() - 1
    }

    /// log2 of the alignment (and size, in bytes) of the initial table
    /// for a walk starting at `start_level` over `iasize` bits
    /// (`AArch64.S1TTBaseAddress`, `AArch64.S2TTBaseAddress`:
    /// `tsize = (iasize - (levels*stride + granulebits)) + 3`).
    pub fn base_table_shift(self, iasize: u32, start_level: i8) -> u32 {
        let levels = (FINAL_LEVEL - start_level) as u32;
        iasize - (levels * self.stride() + self.bits()) + 3
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tg_encodings() {
        assert_eq!(Granule::from_tg0(0b00), Granule::K4);
        assert_eq!(Granule::from_tg0(0b01), Granule::K64);
        assert_eq!(Granule::from_tg0(0b10), Granule::K16);
        assert_eq!(Granule::from_tg1(0b01), Granule::K16);
        assert_eq!(Granule::from_tg1(0b10), Granule::K4);
        assert_eq!(Granule::from_tg1(0b11), Granule::K64);
    }

    #[test]
    fn start_levels_follow_s1startlevel() {
        // 4KB: 48 bits -> 0, 39 -> 1, 30 -> 2, 25 -> 2.
        assert_eq!(Granule::K4.s1_start_level(48), 0);
        assert_eq!(Granule::K4.s1_start_level(40), 0);
        assert_eq!(Granule::K4.s1_start_level(39), 1);
        assert_eq!(Granule::K4.s1_start_level(31), 1);
        assert_eq!(Granule::K4.s1_start_level(30), 2);
        assert_eq!(Granule::K4.s1_start_level(25), 2);
        // 16KB: 48 -> 0 (two entries), 47 -> 1, 37 -> 1, 36 -> 2, 26 -> 2, 25 -> 3.
        assert_eq!(Granule::K16.s1_start_level(48), 0);
        assert_eq!(Granule::K16.s1_start_level(47), 1);
        assert_eq!(Granule::K16.s1_start_level(37), 1);
        assert_eq!(Granule::K16.s1_start_level(36), 2);
        assert_eq!(Granule::K16.s1_start_level(26), 2);
        assert_eq!(Granule::K16.s1_start_level(25), 3);
        // 64KB: 48 -> 1, 42 -> 2, 29 -> 3.
        assert_eq!(Granule::K64.s1_start_level(48), 1);
        assert_eq!(Granule::K64.s1_start_level(43), 1);
        assert_eq!(Granule::K64.s1_start_level(42), 2);
        assert_eq!(Granule::K64.s1_start_level(29), 3);
    }

    #[test]
    fn block_sizes() {
        assert_eq!(Granule::K4.block_shift(1), 30);
        assert_eq!(Granule::K4.block_shift(2), 21);
        assert_eq!(Granule::K16.block_shift(2), 25);
        assert_eq!(Granule::K64.block_shift(2), 29);
        assert_eq!(Granule::K64.block_shift(3), 16);
    }

    #[test]
    fn base_table_sizes() {
        // 4KB, 48 bits, start 0: 512 entries -> 4KB table.
        assert_eq!(Granule::K4.base_table_shift(48, 0), 12);
        // 4KB, 32 bits, start 1: 4 entries -> 32 bytes.
        assert_eq!(Granule::K4.base_table_shift(32, 1), 5);
        // 16KB, 48 bits, start 0: 2 entries -> 16 bytes.
        assert_eq!(Granule::K16.base_table_shift(48, 0), 4);
        // 64KB, 48 bits, start 1: 64 entries -> 512 bytes.
        assert_eq!(Granule::K64.base_table_shift(48, 1), 9);
    }

    #[test]
    fn descriptor_offsets() {
        let va = 0x0000_7f12_3456_7000u64;
        // 4KB level 0 indexes VA[47:39].
        assert_eq!(Granule::K4.descriptor_offset(va, 0, 47), ((va >> 39) & 0x1ff) << 3);
        assert_eq!(Granule::K4.descriptor_offset(va, 3, Granule::K4.next_level_top(3)), ((va >> 12) & 0x1ff) << 3);
        // 64KB level 2 indexes VA[41:29].
        assert_eq!(Granule::K64.next_level_top(2), 41);
    }
}
