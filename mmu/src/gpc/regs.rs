//! `GPCCR_EL3` and `GPTBR_EL3`: the registers that configure the Granule
//! Protection Check, and the implementation choices behind them.
//!
//! Arm ARM (DDI0487) chapter D9 (GPC configuration) and the register descriptions
//! of GPCCR_EL3 (`S3_6_C2_C1_6`) and GPTBR_EL3 (`S3_6_C2_C1_4`).
//! Pseudocode: `DecodePPS`, `DecodePGS`, `GPTL0Size`, `AArch64.PAMax`,
//! `GPCRegistersConsistent`.
//!
//! ```text
//! GPCCR_EL3
//!  63       25  24     23..20    19  18     17   16  15..14 13..12 11..10 9..8  7    6     5    4..3  2..0
//! +-----------+------+---------+---+------+----+---+------+------+------+----+----+-----+-----+-----+----+
//! |   RES0    |APPSAA| L0GPTSZ |NSO|TBGPCD|GPCP|GPC| PGS  |  SH  | ORGN |IRGN|SPAD|NSPAD|RLPAD|RES0 |PPS |
//! +-----------+------+---------+---+------+----+---+------+------+------+----+----+-----+-----+-----+----+
//!              GPC2    RO                GPC2  GPC2                          GPC2  GPC2  GPC2
//! ```
//!
//! Fields marked GPC2 exist only with FEAT_RME_GPC2 (\[`GpcFeatures::gpc2`\]);
//! without it they are RES0 (read as zero, writes ignored). `L0GPTSZ` is
//! read-only and holds the implementation's level 0 GPT entry size
//! (\[`GpcFeatures::l0gptsz`\]).

/// Bit positions of the GPCCR_EL3 fields.
pub mod gpccr_bits {
    pub const PPS_SHIFT: u32 = 0;
    pub const PPS_MASK: u64 = 0b111;
    pub const RLPAD: u64 = 1 << 5;
    pub const NSPAD: u64 = 1 << 6;
    pub const SPAD: u64 = 1 << 7;
    pub const IRGN_SHIFT: u32 = 8;
    pub const ORGN_SHIFT: u32 = 10;
    pub const SH_SHIFT: u32 = 12;
    pub const PGS_SHIFT: u32 = 14;
    pub const GPC: u64 = 1 << 16;
    pub const GPCP: u64 = 1 << 17;
    pub const TBGPCD: u64 = 1 << 18;
    pub const NSO: u64 = 1 << 19;
    pub const L0GPTSZ_SHIFT: u32 = 20;
    pub const L0GPTSZ_MASK: u64 = 0xf << L0GPTSZ_SHIFT;
    pub const APPSAA: u64 = 1 << 24;
    /// Writable fields present in every FEAT_RME implementation:
    /// PPS, IRGN, ORGN, SH, PGS, GPC, GPCP.
    pub const BASE_RW: u64 = PPS_MASK | (0xff << IRGN_SHIFT) | GPC | GPCP;
    /// Writable fields added by FEAT_RME_GPC2.
    pub const GPC2_RW: u64 = RLPAD | NSPAD | SPAD | TBGPCD | NSO | APPSAA;
}

/// The size of the region one level 0 GPT entry describes
/// (`GPCCR_EL3.L0GPTSZ`, pseudocode `GPTL0Size()`). Read-only: a property of
/// the implementation. FVP and TF-A's `PLAT=fvp` use 30 bits (1 GB).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum L0GptSz {
    /// 0b0000: 30 bits, 1 GB.
    Gb1,
    /// 0b0100: 34 bits, 16 GB.
    Gb16,
    /// 0b0110: 36 bits, 64 GB.
    Gb64,
    /// 0b1001: 39 bits, 512 GB.
    Gb512,
}

impl L0GptSz {
    /// The `GPCCR_EL3.L0GPTSZ` field value.
    pub const fn encoding(self) -> u8 {
        match self {
            L0GptSz::Gb1 => 0b0000,
            L0GptSz::Gb16 => 0b0100,
            L0GptSz::Gb64 => 0b0110,
            L0GptSz::Gb512 => 0b1001,
        }
    }

    /// log2 of the region size (pseudocode `GPTL0Size()`: `GPTRange_1GB` ...).
    pub const fn bits(self) -> u32 {
        match self {
            L0GptSz::Gb1 => 30,
            L0GptSz::Gb16 => 34,
            L0GptSz::Gb64 => 36,
            L0GptSz::Gb512 => 39,
        }
    }

    /// The size named by a `GPCCR_EL3.L0GPTSZ` field value; other values are
    /// reserved.
    pub const fn from_encoding(field: u8) -> Option<L0GptSz> {
        match field {
            0b0000 => Some(L0GptSz::Gb1),
            0b0100 => Some(L0GptSz::Gb16),
            0b0110 => Some(L0GptSz::Gb64),
            0b1001 => Some(L0GptSz::Gb512),
            _ => None,
        }
    }
}

/// Implementation choices that shape the GPC. They do not change at run
/// time; the CPU advertises the matching ID register fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GpcFeatures {
    /// The read-only `GPCCR_EL3.L0GPTSZ` value.
    pub l0gptsz: L0GptSz,
    /// FEAT_RME_GPC2 (`ID_AA64PFR0_EL1.RME == 0b0010`): the SPAD/NSPAD/RLPAD,
    /// NSO, TBGPCD and APPSAA fields and the NSO GPI. Off by default (TF-A
    /// 2.12 and the FVP Base RevC model do not use it). The GPC bypass
    /// windows are not modelled.
    pub gpc2: bool,
    /// FEAT_SEL2 is implemented. The pseudocode `GPIValid` accepts the
    /// Secure GPI (0b1000) only then; without it a Secure GPI is a GPT walk
    /// fault. On by default: FVP Base RevC implements Secure EL2 and TF-A
    /// marks the TZC DRAM Secure in the GPT.
    pub sel2: bool,
}

impl Default for GpcFeatures {
    fn default() -> Self {
        GpcFeatures::FVP
    }
}

impl GpcFeatures {
    /// What FVP Base RevC (and TF-A `PLAT=fvp`) assumes: L0GPTSZ = 1 GB, no
    /// GPC2, Secure EL2 present.
    pub const FVP: GpcFeatures = GpcFeatures { l0gptsz: L0GptSz::Gb1, gpc2: false, sel2: true };

    /// The GPCCR_EL3 bits an MSR can change.
    pub const fn gpccr_writable_mask(&self) -> u64 {
        if self.gpc2 { gpccr_bits::BASE_RW | gpccr_bits::GPC2_RW } else { gpccr_bits::BASE_RW }
    }

    /// The value GPCCR_EL3 holds after `MSR GPCCR_EL3, value`: RES0 fields
    /// (including the GPC2 ones without FEAT_RME_GPC2) dropped, the
    /// read-only L0GPTSZ field forced to the implementation's value.
    pub const fn gpccr_write(&self, value: u64) -> u64 {
        (value & self.gpccr_writable_mask()) | ((self.l0gptsz.encoding() as u64) << gpccr_bits::L0GPTSZ_SHIFT)
    }

    /// The value of GPCCR_EL3 at reset: GPC = 0 (the check is off) and, for
    /// determinism, every other writable field 0 (architecturally UNKNOWN).
    pub const fn gpccr_reset(&self) -> u64 {
        self.gpccr_write(0)
    }
}

/// The physical granule size of the GPT (`GPCCR_EL3.PGS`, pseudocode
/// `PGSe` and `DecodePGS`). Note the field order: 0b00 = 4 KB, 0b01 = 64 KB,
/// 0b10 = 16 KB, 0b11 reserved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pgs {
    K4,
    K16,
    K64,
}

impl Pgs {
    /// Decodes the 2-bit `GPCCR_EL3.PGS` field (`DecodePGS`); 0b11 is
    /// reserved.
    pub const fn from_field(field: u8) -> Option<Pgs> {
        match field {
            0b00 => Some(Pgs::K4),
            0b01 => Some(Pgs::K64),
            0b10 => Some(Pgs::K16),
            _ => None,
        }
    }

    /// The `GPCCR_EL3.PGS` field value.
    pub const fn field(self) -> u8 {
        match self {
            Pgs::K4 => 0b00,
            Pgs::K64 => 0b01,
            Pgs::K16 => 0b10,
        }
    }

    /// log2 of the granule size (the pseudocode's `p`: 12, 14 or 16).
    pub const fn bits(self) -> u32 {
        match self {
            Pgs::K4 => 12,
            Pgs::K16 => 14,
            Pgs::K64 => 16,
        }
    }
}

/// log2 of the protected physical address space for a `GPCCR_EL3.PPS`
/// value (pseudocode `DecodePPS`); 0b111 is reserved.
pub const fn decode_pps(pps: u8) -> Option<u32> {
    match pps {
        0b000 => Some(32),
        0b001 => Some(36),
        0b010 => Some(40),
        0b011 => Some(42),
        0b100 => Some(44),
        0b101 => Some(48),
        0b110 => Some(52),
        _ => None,
    }
}

/// The inverse of [`decode_pps`].
pub const fn encode_pps(bits: u32) -> Option<u8> {
    match bits {
        32 => Some(0b000),
        36 => Some(0b001),
        40 => Some(0b010),
        42 => Some(0b011),
        44 => Some(0b100),
        48 => Some(0b101),
        52 => Some(0b110),
        _ => None,
    }
}

/// `bit` if `set`, else 0.
const fn flag(set: bool, bit: u64) -> u64 {
    if set { bit } else { 0 }
}

/// GPCCR_EL3, decoded. Build it with \[`Gpccr::decode`\] when the register is
/// written (the check then reads plain fields) and turn it back into the
/// register value with \[`Gpccr::encode`\].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Gpccr {
    /// The implementation this value belongs to (GPC2, SEL2, L0GPTSZ).
    pub features: GpcFeatures,
    /// `PPS[2:0]`: protected physical address size, see [`decode_pps`].
    pub pps: u8,
    /// `RLPAD` (GPC2): Realm PAS accesses are disabled.
    pub rlpad: bool,
    /// `NSPAD` (GPC2): Non-secure PAS accesses are disabled.
    pub nspad: bool,
    /// `SPAD` (GPC2): Secure PAS accesses are disabled.
    pub spad: bool,
    /// `IRGN[1:0]`: inner cacheability of GPT fetches.
    pub irgn: u8,
    /// `ORGN[1:0]`: outer cacheability of GPT fetches.
    pub orgn: u8,
    /// `SH[1:0]`: shareability of GPT fetches (0b01 reserved).
    pub sh: u8,
    /// `PGS[1:0]` field value, see \[`Pgs::from_field`\] (0b11 reserved).
    pub pgs: u8,
    /// `GPC`: the granule protection check is enabled.
    pub gpc: bool,
    /// `GPCP`: GPC fault priority for stage 2 walks (no effect on the
    /// result of a check).
    pub gpcp: bool,
    /// `TBGPCD` (GPC2): trace buffer GPC disable (no effect on PE accesses).
    pub tbgpcd: bool,
    /// `NSO` (GPC2): the Non-secure-only GPI (0b1101) is enabled.
    pub nso: bool,
    /// `APPSAA` (GPC2): accesses above PPS are allowed for every PAS.
    pub appsaa: bool,
}

impl Gpccr {
    /// Decodes a GPCCR_EL3 value for an implementation. GPC2 fields read as
    /// zero without FEAT_RME_GPC2; L0GPTSZ always comes from `features`.
    pub const fn decode(raw: u64, features: GpcFeatures) -> Gpccr {
        use gpccr_bits::*;
        let gpc2 = features.gpc2;
        Gpccr {
            features,
            pps: (raw & PPS_MASK) as u8,
            rlpad: gpc2 && raw & RLPAD != 0,
            nspad: gpc2 && raw & NSPAD != 0,
            spad: gpc2 && raw & SPAD != 0,
            irgn: ((raw >> IRGN_SHIFT) & 3) as u8,
            orgn: ((raw >> ORGN_SHIFT) & 3) as u8,
            sh: ((raw >> SH_SHIFT) & 3) as u8,
            pgs: ((raw >> PGS_SHIFT) & 3) as u8,
            gpc: raw & GPC != 0,
            gpcp: raw & GPCP != 0,
            tbgpcd: gpc2 && raw & TBGPCD != 0,
            nso: gpc2 && raw & NSO != 0,
            appsaa: gpc2 && raw & APPSAA != 0,
        }
    }

    /// The register value (what `MRS GPCCR_EL3` returns).
    pub const fn encode(&self) -> u64 {
        use gpccr_bits::*;
        let gpc2 = self.features.gpc2;
        (self.pps as u64 & PPS_MASK)
            | flag(gpc2 && self.rlpad, RLPAD)
            | flag(gpc2 && self.nspad, NSPAD)
            | flag(gpc2 && self.spad, SPAD)
            | ((self.irgn as u64 & 3) << IRGN_SHIFT)
            | ((self.orgn as u64 & 3) << ORGN_SHIFT)
            | ((self.sh as u64 & 3) << SH_SHIFT)
            | ((self.pgs as u64 & 3) << PGS_SHIFT)
            | flag(self.gpc, GPC)
            | flag(self.gpcp, GPCP)
            | flag(gpc2 && self.tbgpcd, TBGPCD)
            | flag(gpc2 && self.nso, NSO)
            | ((self.features.l0gptsz.encoding() as u64) << L0GPTSZ_SHIFT)
            | flag(gpc2 && self.appsaa, APPSAA)
    }

    /// A GPCCR_EL3 with the check enabled and GPT fetches Normal
    /// write-back, inner shareable (what TF-A programs), for a PPS given in
    /// bits (32, 36, 40, 42, 44, 48 or 52) and a granule size.
    ///
    /// # Panics
    /// If `pps_bits` is not one of the architected sizes.
    pub fn enabled(features: GpcFeatures, pps_bits: u32, pgs: Pgs) -> Gpccr {
        let pps = encode_pps(pps_bits).expect("PPS must be 32, 36, 40, 42, 44, 48 or 52 bits");
        let mut g = Gpccr::decode(0, features);
        g.pps = pps;
        g.pgs = pgs.field();
        g.irgn = 0b01;
        g.orgn = 0b01;
        g.sh = 0b11;
        g.gpc = true;
        g
    }

    /// The protected physical address size in bits (`DecodePPS`), `None`
    /// for the reserved encoding 0b111.
    #[inline]
    pub const fn pps_bits(&self) -> Option<u32> {
        decode_pps(self.pps)
    }

    /// The physical granule size, `None` for the reserved encoding 0b11.
    #[inline]
    pub const fn pgs(&self) -> Option<Pgs> {
        Pgs::from_field(self.pgs)
    }

    /// log2 of the region of one level 0 entry (`GPTL0Size()`).
    #[inline]
    pub const fn l0gptsz_bits(&self) -> u32 {
        self.features.l0gptsz.bits()
    }

    /// Pseudocode `GPCRegistersConsistent()`: whether this configuration is
    /// usable on a PE whose physical address size is `pa_bits`
    /// (`AArch64.PAMax()`). An inconsistent one makes every checked access
    /// fail with a GPT walk fault at level 0 (rule R_JWCSM).
    pub const fn registers_consistent(&self, pa_bits: u32) -> bool {
        // PPS reserved, or larger than the implemented PA size.
        match self.pps_bits() {
            None => return false,
            Some(pps) if pps > pa_bits => return false,
            Some(_) => {}
        }
        // PGS reserved.
        if self.pgs().is_none() {
            return false;
        }
        // SH reserved.
        if self.sh == 0b01 {
            return false;
        }
        // Inner and outer Non-cacheable GPT fetches must be Outer Shareable.
        if self.orgn == 0 && self.irgn == 0 && self.sh != 0b10 {
            return false;
        }
        true
    }

    /// Pseudocode `GPIValid`: the GPI encodings this configuration accepts,
    /// as a bit set over the 16 encodings (bit n = encoding n is valid).
    #[inline(always)]
    pub const fn valid_gpi_set(&self) -> u16 {
        use super::gpi::Gpi;
        let mut set = (1 << Gpi::NoAccess.encoding())
            | (1 << Gpi::NonSecure.encoding())
            | (1 << Gpi::Root.encoding())
            | (1 << Gpi::Realm.encoding())
            | (1 << Gpi::Any.encoding());
        if self.features.sel2 {
            set |= 1 << Gpi::Secure.encoding();
        }
        if self.features.gpc2 && self.nso {
            set |= 1 << Gpi::Nso.encoding();
        }
        set
    }
}

/// GPTBR_EL3: the base of the level 0 GPT.
///
/// `BADDR[39:0]` holds bits \[51:12\] of the level 0 table address. Bits of
/// the address below the table's natural alignment
/// (`Max(PPS - L0GPTSZ + 3, 12)`) are ignored by the walk (`GPTWalk`),
/// not a fault.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Gptbr {
    /// `BADDR[39:0]` = PA\[51:12\] of the level 0 GPT.
    pub baddr: u64,
}

impl Gptbr {
    /// `GPTBR_EL3.BADDR` mask; bits \[63:40\] are RES0.
    pub const BADDR_MASK: u64 = (1 << 40) - 1;

    /// Decodes a GPTBR_EL3 value.
    pub const fn decode(raw: u64) -> Gptbr {
        Gptbr { baddr: raw & Self::BADDR_MASK }
    }

    /// The GPTBR_EL3 for a level 0 table at physical address `pa` (bits
    /// \[11:0\] and above bit 51 are dropped).
    pub const fn from_base(pa: u64) -> Gptbr {
        Gptbr::decode(pa >> 12)
    }

    /// The register value.
    pub const fn encode(&self) -> u64 {
        self.baddr & Self::BADDR_MASK
    }

    /// The value GPTBR_EL3 holds after `MSR GPTBR_EL3, value`.
    pub const fn write(value: u64) -> u64 {
        value & Self::BADDR_MASK
    }

    /// The physical address `BADDR:Zeros(12)`, before alignment.
    #[inline]
    pub const fn base(&self) -> u64 {
        (self.baddr & Self::BADDR_MASK) << 12
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgs_field_order_is_4k_64k_16k() {
        assert_eq!(Pgs::from_field(0b00), Some(Pgs::K4));
        assert_eq!(Pgs::from_field(0b01), Some(Pgs::K64));
        assert_eq!(Pgs::from_field(0b10), Some(Pgs::K16));
        assert_eq!(Pgs::from_field(0b11), None);
        for p in [Pgs::K4, Pgs::K16, Pgs::K64] {
            assert_eq!(Pgs::from_field(p.field()), Some(p));
        }
        assert_eq!((Pgs::K4.bits(), Pgs::K16.bits(), Pgs::K64.bits()), (12, 14, 16));
    }

    #[test]
    fn pps_table() {
        let want = [32, 36, 40, 42, 44, 48, 52];
        for (enc, bits) in want.iter().enumerate() {
            assert_eq!(decode_pps(enc as u8), Some(*bits));
            assert_eq!(encode_pps(*bits), Some(enc as u8));
        }
        assert_eq!(decode_pps(7), None);
        assert_eq!(encode_pps(33), None);
    }

    #[test]
    fn l0gptsz_is_read_only() {
        for l0 in [L0GptSz::Gb1, L0GptSz::Gb16, L0GptSz::Gb64, L0GptSz::Gb512] {
            assert_eq!(L0GptSz::from_encoding(l0.encoding()), Some(l0));
            let f = GpcFeatures { l0gptsz: l0, ..GpcFeatures::FVP };
            // Software writing all-ones cannot change L0GPTSZ.
            let v = f.gpccr_write(u64::MAX);
            assert_eq!((v >> 20) & 0xf, l0.encoding() as u64);
            assert_eq!(Gpccr::decode(v, f).l0gptsz_bits(), l0.bits());
            assert_eq!(f.gpccr_reset() & gpccr_bits::GPC, 0);
        }
        assert_eq!(L0GptSz::from_encoding(1), None);
        assert_eq!(GpcFeatures::default().l0gptsz.bits(), 30);
    }

    #[test]
    fn gpc2_fields_are_res0_without_gpc2() {
        let all = u64::MAX;
        let base = GpcFeatures::FVP;
        let v = base.gpccr_write(all);
        // L0GPTSZ reads 0 (1 GB) on FVP.
        assert_eq!(v, gpccr_bits::BASE_RW);
        let g = Gpccr::decode(all, base);
        assert!(!g.spad && !g.nspad && !g.rlpad && !g.nso && !g.tbgpcd && !g.appsaa);
        assert!(g.gpc && g.gpcp);

        let gpc2 = GpcFeatures { gpc2: true, ..base };
        let v = gpc2.gpccr_write(all);
        assert_eq!(v, gpccr_bits::BASE_RW | gpccr_bits::GPC2_RW);
        let g = Gpccr::decode(v, gpc2);
        assert!(g.spad && g.nspad && g.rlpad && g.nso && g.tbgpcd && g.appsaa);
    }

    #[test]
    fn decode_encode_round_trip() {
        for f in [GpcFeatures::FVP, GpcFeatures { gpc2: true, l0gptsz: L0GptSz::Gb16, sel2: true }] {
            for seed in 0u64..512 {
                let raw = f.gpccr_write(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
                assert_eq!(Gpccr::decode(raw, f).encode(), raw, "raw {raw:#x}");
            }
        }
        // The value TF-A 2.12 writes on FVP: PPS=64GB, PGS=4K, SH=IS,
        // ORGN=IRGN=WBWA, GPC=1.
        let tfa = (1 << 16) | (0b11 << 12) | (0b01 << 10) | (0b01 << 8) | 0b001;
        let g = Gpccr::decode(tfa, GpcFeatures::FVP);
        assert_eq!(g, Gpccr::enabled(GpcFeatures::FVP, 36, Pgs::K4));
        assert_eq!(g.pps_bits(), Some(36));
        assert_eq!(g.pgs(), Some(Pgs::K4));
        assert!(g.registers_consistent(48));
    }

    #[test]
    fn gpc_registers_consistent() {
        let ok = Gpccr::enabled(GpcFeatures::FVP, 36, Pgs::K4);
        assert!(ok.registers_consistent(36));
        assert!(!ok.registers_consistent(32), "PPS above PAMax");
        assert!(!Gpccr { pps: 7, ..ok }.registers_consistent(52));
        assert!(!Gpccr { pgs: 0b11, ..ok }.registers_consistent(48));
        assert!(!Gpccr { sh: 0b01, ..ok }.registers_consistent(48));
        // Non-cacheable GPT fetches need Outer Shareable.
        assert!(!Gpccr { irgn: 0, orgn: 0, sh: 0b11, ..ok }.registers_consistent(48));
        assert!(!Gpccr { irgn: 0, orgn: 0, sh: 0b00, ..ok }.registers_consistent(48));
        assert!(Gpccr { irgn: 0, orgn: 0, sh: 0b10, ..ok }.registers_consistent(48));
        assert!(Gpccr { irgn: 0, orgn: 1, sh: 0b00, ..ok }.registers_consistent(48));
    }

    #[test]
    fn gptbr_baddr() {
        let b = Gptbr::from_base(0x0400_3000);
        assert_eq!(b.baddr, 0x4003);
        assert_eq!(b.base(), 0x0400_3000);
        assert_eq!(Gptbr::write(u64::MAX), (1 << 40) - 1);
        assert_eq!(Gptbr::decode(u64::MAX).base(), 0x000f_ffff_ffff_f000);
    }
}
