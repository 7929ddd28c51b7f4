//! VMSAv8-64 translation table descriptors (64-bit, 48-bit output
//! address, no FEAT_LPA/FEAT_LPA2).
//!
//! Arm ARM D8.3 "Translation table descriptor formats"; pseudocode
//! `AArch64.DecodeDescriptorType`, `AArch64.BlockDescSupported`,
//! `AArch64.NextTableBase`, `AArch64.S1LeafBase`, `AArch64.S2LeafBase`.
//!
//! ```text
//! table:      63 NSTable | 62:61 APTable | 60 UXNTable/XNTable | 59 PXNTable
//!             47:granule next-level table address | 1 = 1 | 0 = 1
//! block/page: 55 NS (Realm stage 2) | 54 UXN/XN (S2: XN\[1\]) | 53 PXN (S2: XN\[0\])
//!             52 Contiguous | 51 DBM | 50 GP | 47:n output address
//!             11 nG (EL3 with RME: NSE) | 10 AF | 9:8 SH | 7:6 AP (S2: S2AP)
//!             5 NS (S2: MemAttr\[3\]) | 4:2 AttrIndx (S2: MemAttr\[2:0\])
//!             1 = 1 page (level 3) / 0 block (levels 1-2) | 0 valid
//! ```

use super::granule::{FINAL_LEVEL, Granule};

pub const VALID: u64 = 1 << 0;
pub const TABLE_OR_PAGE: u64 = 1 << 1;
pub const NS: u64 = 1 << 5;
pub const AP1: u64 = 1 << 6;
pub const AP2: u64 = 1 << 7;
pub const AF: u64 = 1 << 10;
/// nG in regimes with two privilege levels; NSE in the EL3 regime with RME.
pub const NG: u64 = 1 << 11;
pub const NSE: u64 = 1 << 11;
pub const GP: u64 = 1 << 50;
pub const DBM: u64 = 1 << 51;
pub const CONTIGUOUS: u64 = 1 << 52;
pub const PXN: u64 = 1 << 53;
pub const UXN: u64 = 1 << 54;
/// XN in the single-privilege (EL2, EL3) regimes.
pub const XN: u64 = 1 << 54;
/// Stage 2 XN\[0\] (FEAT_XNX).
pub const S2_XNX: u64 = 1 << 53;
/// Stage 2 XN\[1\].
pub const S2_XN: u64 = 1 << 54;
/// NS in Realm stage 2 block/page descriptors (FEAT_RME).
pub const S2_NS: u64 = 1 << 55;
pub const PXN_TABLE: u64 = 1 << 59;
pub const UXN_TABLE: u64 = 1 << 60;
pub const XN_TABLE: u64 = 1 << 60;
/// APTable\[0\]: no EL0 access below this table.
pub const AP_TABLE0: u64 = 1 << 61;
/// APTable\[1\]: no write access below this table.
pub const AP_TABLE1: u64 = 1 << 62;
pub const NS_TABLE: u64 = 1 << 63;

/// Address bits of a descriptor (OA\[47:0\] before alignment).
const ADDR_MASK: u64 = (1 << 48) - 1;

/// What a descriptor is at a given level (`AArch64.DecodeDescriptorType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DescriptorType {
    Invalid,
    Table,
    /// A block (levels 1-2) or page (level 3) descriptor.
    Leaf,
}

/// Can a block descriptor appear at `level` (`AArch64.BlockDescSupported`
/// with DS = 0, D128 = 0, PAMax <= 48)? 4KB: levels 1 and 2; 16KB and
/// 64KB: level 2 only.
pub fn block_supported(granule: Granule, level: i8) -> bool {
    match granule {
        Granule::K4 => level == 1 || level == 2,
        Granule::K16 | Granule::K64 => level == 2,
    }
}

/// Decode the type of `desc` read at `level`.
pub fn decode_type(desc: u64, granule: Granule, level: i8) -> DescriptorType {
    if desc & VALID == 0 {
        DescriptorType::Invalid
    } else if desc & TABLE_OR_PAGE != 0 {
        if level == FINAL_LEVEL { DescriptorType::Leaf } else { DescriptorType::Table }
    } else if block_supported(granule, level) {
        DescriptorType::Leaf
    } else {
        // Level 3 "block" (reserved) or a block at an unsupported level.
        DescriptorType::Invalid
    }
}

/// The next-level table address of a table descriptor
/// (`AArch64.NextTableBase`): bits \[47:granule\].
pub fn next_table_base(desc: u64, granule: Granule) -> u64 {
    desc & ADDR_MASK & !(granule.size() - 1)
}

/// The output address of a block/page descriptor at `level`
/// (`AArch64.S1LeafBase`, `AArch64.S2LeafBase`): bits \[47:blocksize\].
pub fn leaf_base(desc: u64, granule: Granule, level: i8) -> u64 {
    desc & ADDR_MASK & !((1u64 << granule.block_shift(level)) - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_per_granule_and_level() {
        let block = 0x4000_0001u64;
        let table = 0x4000_0003u64;
        assert_eq!(decode_type(0x4000_0000, Granule::K4, 1), DescriptorType::Invalid);
        assert_eq!(decode_type(block, Granule::K4, 0), DescriptorType::Invalid);
        assert_eq!(decode_type(block, Granule::K4, 1), DescriptorType::Leaf);
        assert_eq!(decode_type(block, Granule::K4, 2), DescriptorType::Leaf);
        assert_eq!(decode_type(block, Granule::K4, 3), DescriptorType::Invalid);
        assert_eq!(decode_type(table, Granule::K4, 3), DescriptorType::Leaf);
        assert_eq!(decode_type(table, Granule::K4, 0), DescriptorType::Table);
        assert_eq!(decode_type(block, Granule::K16, 1), DescriptorType::Invalid);
        assert_eq!(decode_type(block, Granule::K16, 2), DescriptorType::Leaf);
        assert_eq!(decode_type(block, Granule::K64, 1), DescriptorType::Invalid);
        assert_eq!(decode_type(block, Granule::K64, 2), DescriptorType::Leaf);
    }

    #[test]
    fn addresses_drop_attribute_and_res0_bits() {
        let desc = 0xfff0_1234_5678_9fffu64;
        assert_eq!(next_table_base(desc, Granule::K4), 0x1234_5678_9000);
        assert_eq!(next_table_base(desc, Granule::K16), 0x1234_5678_8000);
        assert_eq!(next_table_base(desc, Granule::K64), 0x1234_5678_0000);
        assert_eq!(leaf_base(desc, Granule::K4, 2), 0x1234_5660_0000);
        assert_eq!(leaf_base(desc, Granule::K4, 1), 0x1234_4000_0000);
        assert_eq!(leaf_base(desc, Granule::K64, 3), 0x1234_5678_0000);
    }
}
