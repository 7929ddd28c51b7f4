//! Memory region attributes: MAIR decoding at stage 1, MemAttr decoding
//! at stage 2, and their combination.
//!
//! Arm ARM D8.6 "Memory region attributes" (D8.6.2 stage 1, D8.6.5/D8.6.6
//! stage 2 with and without FEAT_S2FWB); pseudocode `S1DecodeMemAttrs`,
//! `DecodeLDFAttr`, `DecodeDevice`, `DecodeShareability`,
//! `S2DecodeMemAttrs`, `S2CombineS1MemAttrs`, `S2CombineS1Device`,
//! `S2CombineS1AttrHints`, `S2CombineS1Shareability`,
//! `AArch64.S2ApplyFWBMemAttrs`, `EffectiveShareability`,
//! `AArch64.S1TreatAsNormalNC`, `AArch64.S2TreatAsNormalNC`.
//!
//! CONSTRAINED UNPREDICTABLE (reserved) MAIR and stage 2 MemAttr encodings
//! are mapped to an allocated encoding as the Arm ARM allows:
//! `0000ddxx` with `xx != 00` -> Device-`dd`; `oooo0000` (other than the
//! FEAT_XS/MTE values) -> Normal Non-cacheable; the FEAT_XS values `0x40`
//! and `0xA0` decode as Normal NC and Normal WT read-allocate; `0xF0`
//! (MTE Tagged, not implemented) decodes as Normal Write-Back RW-allocate.

/// Device memory types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeviceType {
    /// Device-nGnRnE (most restrictive).
    NGnRnE,
    NGnRE,
    NGRE,
    GRE,
}

impl DeviceType {
    /// `DecodeDevice`: 00 nGnRnE, 01 nGnRE, 10 nGRE, 11 GRE.
    pub fn decode(dd: u8) -> DeviceType {
        match dd & 3 {
            0 => DeviceType::NGnRnE,
            1 => DeviceType::NGnRE,
            2 => DeviceType::NGRE,
            _ => DeviceType::GRE,
        }
    }

    fn encode(self) -> u8 {
        match self {
            DeviceType::NGnRnE => 0,
            DeviceType::NGnRE => 1,
            DeviceType::NGRE => 2,
            DeviceType::GRE => 3,
        }
    }
}

/// Cacheability of Normal memory at one level (inner or outer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CacheKind {
    NonCacheable,
    WriteThrough,
    WriteBack,
}

/// Normal memory attributes of one level (pseudocode `MemAttrHints`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cacheability {
    pub kind: CacheKind,
    pub read_alloc: bool,
    pub write_alloc: bool,
    pub transient: bool,
}

impl Cacheability {
    pub const NC: Cacheability =
        Cacheability { kind: CacheKind::NonCacheable, read_alloc: false, write_alloc: false, transient: false };
    /// Write-Back, Read/Write-Allocate, non-transient.
    pub const WB_RWA: Cacheability =
        Cacheability { kind: CacheKind::WriteBack, read_alloc: true, write_alloc: true, transient: false };
    /// Write-Through, Read-Allocate, non-transient.
    pub const WT_RA: Cacheability =
        Cacheability { kind: CacheKind::WriteThrough, read_alloc: true, write_alloc: false, transient: false };

    /// `DecodeLDFAttr` for a MAIR nibble that is not `0000`:
    /// `00RW` WT transient, `0100` NC, `01RW` WB transient, `10RW` WT,
    /// `11RW` WB.
    pub fn from_mair_nibble(n: u8) -> Cacheability {
        let n = n & 0xf;
        if n == 0b0100 {
            return Cacheability::NC;
        }
        let kind = if n & 0b0100 != 0 { CacheKind::WriteBack } else { CacheKind::WriteThrough };
        let read_alloc = n & 0b10 != 0;
        let write_alloc = n & 0b01 != 0;
        Cacheability { kind, read_alloc, write_alloc, transient: n & 0b1000 == 0 && (read_alloc || write_alloc) }
    }

    /// The MAIR nibble that encodes this cacheability.
    pub fn to_mair_nibble(self) -> u8 {
        let ra_wa = (self.read_alloc as u8) << 1 | self.write_alloc as u8;
        match self.kind {
            CacheKind::NonCacheable => 0b0100,
            // A cacheable nibble with no allocation hint is non-transient.
            CacheKind::WriteThrough if self.transient && ra_wa != 0 => ra_wa,
            CacheKind::WriteThrough => 0b1000 | ra_wa,
            CacheKind::WriteBack if self.transient && ra_wa != 0 => 0b0100 | ra_wa,
            CacheKind::WriteBack => 0b1100 | ra_wa,
        }
    }

    fn is_nc(self) -> bool {
        self.kind == CacheKind::NonCacheable
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Shareability {
    NonShareable,
    Inner,
    Outer,
}

impl Shareability {
    /// `DecodeShareability`: 00 NSH, 10 OSH, 11 ISH; the reserved 01 is
    /// treated as OSH (CONSTRAINED UNPREDICTABLE; a choice of an allocated
    /// value).
    pub fn decode(sh: u8) -> Shareability {
        match sh & 3 {
            0b00 => Shareability::NonShareable,
            0b11 => Shareability::Inner,
            _ => Shareability::Outer,
        }
    }

    /// The SH field encoding (as in PAR_EL1.SH).
    pub fn encode(self) -> u8 {
        match self {
            Shareability::NonShareable => 0b00,
            Shareability::Outer => 0b10,
            Shareability::Inner => 0b11,
        }
    }
}

/// The memory type of a region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MemType {
    Device(DeviceType),
    Normal { inner: Cacheability, outer: Cacheability },
}

/// Memory attributes carried to an access (pseudocode `MemoryAttributes`,
/// without MTE tags and XS).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemAttrs {
    pub mem: MemType,
    pub shareability: Shareability,
}

impl MemAttrs {
    /// Device-nGnRnE, Outer Shareable: data accesses with stage 1 disabled.
    pub const DEVICE_NGNRNE: MemAttrs =
        MemAttrs { mem: MemType::Device(DeviceType::NGnRnE), shareability: Shareability::Outer };

    /// Normal Non-cacheable, Outer Shareable (`NormalNCMemAttr`).
    pub const NORMAL_NC: MemAttrs = MemAttrs {
        mem: MemType::Normal { inner: Cacheability::NC, outer: Cacheability::NC },
        shareability: Shareability::Outer,
    };

    /// Decode a MAIR_ELx attribute byte with descriptor SH
    /// (`S1DecodeMemAttrs`). The shareability is the descriptor's; use
    /// [`Self::effective`] for `EffectiveShareability`.
    pub fn from_mair(attr: u8, sh: u8) -> MemAttrs {
        let shareability = Shareability::decode(sh);
        let outer = attr >> 4;
        let inner = attr & 0xf;
        let mem = if outer == 0 {
            MemType::Device(DeviceType::decode(attr >> 2))
        } else if inner == 0 {
            match attr {
                0xa0 => MemType::Normal { inner: Cacheability::WT_RA, outer: Cacheability::WT_RA },
                0xf0 => MemType::Normal { inner: Cacheability::WB_RWA, outer: Cacheability::WB_RWA },
                _ => MemType::Normal { inner: Cacheability::NC, outer: Cacheability::NC },
            }
        } else {
            MemType::Normal {
                inner: Cacheability::from_mair_nibble(inner),
                outer: Cacheability::from_mair_nibble(outer),
            }
        };
        MemAttrs { mem, shareability }
    }

    /// The MAIR encoding of these attributes (as PAR_EL1.ATTR reports).
    pub fn to_mair(&self) -> u8 {
        match self.mem {
            MemType::Device(d) => d.encode() << 2,
            MemType::Normal { inner, outer } => outer.to_mair_nibble() << 4 | inner.to_mair_nibble(),
        }
    }

    pub fn is_device(&self) -> bool {
        matches!(self.mem, MemType::Device(_))
    }

    /// Normal memory that is Write-Back at both levels (the kind a host
    /// pointer may back directly).
    pub fn is_normal_wb(&self) -> bool {
        matches!(self.mem, MemType::Normal { inner, outer }
            if inner.kind == CacheKind::WriteBack && outer.kind == CacheKind::WriteBack)
    }

    /// `EffectiveShareability`: Device and Normal Inner+Outer
    /// Non-cacheable memory are Outer Shareable.
    pub fn effective(mut self) -> MemAttrs {
        let force_osh = match self.mem {
            MemType::Device(_) => true,
            MemType::Normal { inner, outer } => inner.is_nc() && outer.is_nc(),
        };
        if force_osh {
            self.shareability = Shareability::Outer;
        }
        self
    }

    /// Normal memory seen with the cache disabled (SCTLR_ELx.C = 0 for
    /// data, SCTLR_ELx.I = 0 for fetches) or Device memory fetched from:
    /// Normal Non-cacheable (`AArch64.S1TreatAsNormalNC`).
    pub fn as_normal_nc(self) -> MemAttrs {
        MemAttrs::NORMAL_NC
    }
}

/// Stage 2 memory attributes as decoded from a descriptor
/// (MemAttr\[3:0\] = descriptor bits \[5:2\], SH = bits \[9:8\]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct S2Attrs {
    pub memattr: u8,
    pub sh: u8,
}

impl S2Attrs {
    /// Stage 2 attributes with HCR_EL2.FWB = 0 (`S2DecodeMemAttrs`):
    /// `00dd` Device, otherwise MemAttr\[3:2\] outer and \[1:0\] inner with
    /// 01 NC, 10 WT, 11 WB. Reserved `xx00` (Normal with inner 00) and
    /// `0100` (FEAT_MTE_PERM) decode as Normal Non-cacheable.
    pub fn decode(&self) -> MemAttrs {
        let a = self.memattr & 0xf;
        let level = |v: u8| match v & 3 {
            0b10 => Cacheability { kind: CacheKind::WriteThrough, ..Cacheability::NC },
            0b11 => Cacheability { kind: CacheKind::WriteBack, ..Cacheability::NC },
            _ => Cacheability::NC,
        };
        let mem = if a >> 2 == 0 {
            MemType::Device(DeviceType::decode(a))
        } else if a & 3 == 0 {
            MemType::Normal { inner: Cacheability::NC, outer: Cacheability::NC }
        } else {
            MemType::Normal { inner: level(a), outer: level(a >> 2) }
        };
        MemAttrs { mem, shareability: Shareability::decode(self.sh) }
    }

    /// Is this stage 2 mapping Device memory (for HCR_EL2.PTW and fetches)?
    pub fn is_device(&self, fwb: bool) -> bool {
        if fwb { self.memattr & 0b100 == 0 } else { self.memattr & 0b1100 == 0 }
    }

    /// The attributes of the access after stage 2: `S2CombineS1MemAttrs`
    /// (FWB = 0) or `AArch64.S2ApplyFWBMemAttrs` (FWB = 1), then
    /// `EffectiveShareability`.
    pub fn combine(&self, s1: MemAttrs, fwb: bool) -> MemAttrs {
        let s2_sh = Shareability::decode(self.sh);
        let shareability = s1.shareability.max(s2_sh);
        let mem = if fwb { self.fwb_mem(s1) } else { combine_mem(s1.mem, self.decode().mem) };
        MemAttrs { mem, shareability }.effective()
    }

    /// FEAT_S2FWB: MemAttr\[2\] = 0 Device (S1 Device combines to the
    /// stricter type); MemAttr\[1:0\] = 11 use stage 1; 10 force Write-Back
    /// (keeping stage 1 hints of cacheable levels); otherwise Non-cacheable
    /// unless stage 1 is Device.
    fn fwb_mem(&self, s1: MemAttrs) -> MemType {
        let a = self.memattr & 0xf;
        if a & 0b100 == 0 {
            let s2d = DeviceType::decode(a);
            return match s1.mem {
                MemType::Device(s1d) => MemType::Device(s1d.min(s2d)),
                MemType::Normal { .. } => MemType::Device(s2d),
            };
        }
        match a & 3 {
            0b11 => s1.mem,
            0b10 => {
                let keep = |c: Cacheability| {
                    if c.is_nc() { Cacheability::WB_RWA } else { Cacheability { kind: CacheKind::WriteBack, ..c } }
                };
                match s1.mem {
                    MemType::Normal { inner, outer } => MemType::Normal { inner: keep(inner), outer: keep(outer) },
                    MemType::Device(_) => MemType::Normal { inner: Cacheability::WB_RWA, outer: Cacheability::WB_RWA },
                }
            }
            _ => match s1.mem {
                MemType::Device(_) => s1.mem,
                MemType::Normal { .. } => MemType::Normal { inner: Cacheability::NC, outer: Cacheability::NC },
            },
        }
    }
}

/// `S2CombineS1MemAttrs` memory type: Device wins (the stricter Device
/// type when both are Device); otherwise each level is the weaker of the
/// two cacheabilities with stage 1's allocation hints.
fn combine_mem(s1: MemType, s2: MemType) -> MemType {
    match (s1, s2) {
        (MemType::Device(a), MemType::Device(b)) => MemType::Device(a.min(b)),
        (MemType::Device(a), _) => MemType::Device(a),
        (_, MemType::Device(b)) => MemType::Device(b),
        (MemType::Normal { inner: i1, outer: o1 }, MemType::Normal { inner: i2, outer: o2 }) => {
            MemType::Normal { inner: combine_hints(i1, i2), outer: combine_hints(o1, o2) }
        }
    }
}

/// `S2CombineS1AttrHints`.
fn combine_hints(s1: Cacheability, s2: Cacheability) -> Cacheability {
    let kind = if s1.is_nc() || s2.is_nc() {
        CacheKind::NonCacheable
    } else if s1.kind == CacheKind::WriteThrough || s2.kind == CacheKind::WriteThrough {
        CacheKind::WriteThrough
    } else {
        CacheKind::WriteBack
    };
    if kind == CacheKind::NonCacheable { Cacheability::NC } else { Cacheability { kind, ..s1 } }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mair_device_types() {
        assert_eq!(MemAttrs::from_mair(0x00, 0).mem, MemType::Device(DeviceType::NGnRnE));
        assert_eq!(MemAttrs::from_mair(0x04, 0).mem, MemType::Device(DeviceType::NGnRE));
        assert_eq!(MemAttrs::from_mair(0x08, 0).mem, MemType::Device(DeviceType::NGRE));
        assert_eq!(MemAttrs::from_mair(0x0c, 0).mem, MemType::Device(DeviceType::GRE));
        // Device is always Outer Shareable in effect.
        assert_eq!(MemAttrs::from_mair(0x04, 0b11).effective().shareability, Shareability::Outer);
    }

    #[test]
    fn mair_normal() {
        let a = MemAttrs::from_mair(0xff, 0b11);
        assert_eq!(a.mem, MemType::Normal { inner: Cacheability::WB_RWA, outer: Cacheability::WB_RWA });
        assert_eq!(a.effective().shareability, Shareability::Inner);
        assert!(a.is_normal_wb());
        let nc = MemAttrs::from_mair(0x44, 0b11);
        assert_eq!(nc.mem, MemType::Normal { inner: Cacheability::NC, outer: Cacheability::NC });
        assert_eq!(nc.effective().shareability, Shareability::Outer);
        // Outer WB transient RA, inner WT non-transient RWA.
        let m = MemAttrs::from_mair(0x6b, 0);
        assert_eq!(
            m.mem,
            MemType::Normal {
                inner: Cacheability {
                    kind: CacheKind::WriteThrough,
                    read_alloc: true,
                    write_alloc: true,
                    transient: false
                },
                outer: Cacheability {
                    kind: CacheKind::WriteBack,
                    read_alloc: true,
                    write_alloc: false,
                    transient: true
                },
            }
        );
        for attr in [0x00u8, 0x04, 0x08, 0x0c, 0x44, 0xff, 0xbb, 0x6b, 0x4f, 0xf4, 0x11, 0x88] {
            assert_eq!(MemAttrs::from_mair(attr, 0).to_mair(), attr, "MAIR {attr:#x}");
        }
    }

    #[test]
    fn stage2_decode_and_combine() {
        let wb = MemAttrs::from_mair(0xff, 0b11);
        let s2_wb = S2Attrs { memattr: 0b1111, sh: 0b11 };
        let s2_nc = S2Attrs { memattr: 0b0101, sh: 0b11 };
        let s2_dev = S2Attrs { memattr: 0b0001, sh: 0 };
        assert_eq!(s2_wb.combine(wb, false).mem, wb.mem);
        assert_eq!(s2_wb.combine(wb, false).shareability, Shareability::Inner);
        assert_eq!(s2_nc.combine(wb, false), MemAttrs::NORMAL_NC);
        assert_eq!(
            s2_dev.combine(wb, false),
            MemAttrs { mem: MemType::Device(DeviceType::NGnRE), shareability: Shareability::Outer }
        );
        // Both Device: the stricter.
        let s1_dev = MemAttrs::from_mair(0x0c, 0);
        assert_eq!(s2_dev.combine(s1_dev, false).mem, MemType::Device(DeviceType::NGnRE));
        // WT at stage 2 over WB at stage 1 gives WT with stage 1 hints.
        let s2_wt = S2Attrs { memattr: 0b1010, sh: 0b10 };
        let c = s2_wt.combine(wb, false);
        assert_eq!(
            c.mem,
            MemType::Normal {
                inner: Cacheability { kind: CacheKind::WriteThrough, ..Cacheability::WB_RWA },
                outer: Cacheability { kind: CacheKind::WriteThrough, ..Cacheability::WB_RWA }
            }
        );
        assert_eq!(c.shareability, Shareability::Outer);
        assert!(s2_dev.is_device(false));
        assert!(!s2_wb.is_device(false));
    }

    #[test]
    fn stage2_fwb() {
        let nc = MemAttrs::from_mair(0x44, 0);
        let dev = MemAttrs::from_mair(0x04, 0);
        let wb = MemAttrs::from_mair(0xff, 0b11);
        // 110: force Write-Back, even over Normal NC.
        let force_wb = S2Attrs { memattr: 0b0110, sh: 0b11 };
        assert!(force_wb.combine(nc, true).is_normal_wb());
        assert!(force_wb.combine(dev, true).is_normal_wb());
        // 111: use stage 1 attributes.
        let use_s1 = S2Attrs { memattr: 0b0111, sh: 0b11 };
        assert_eq!(use_s1.combine(dev, true).mem, dev.mem);
        assert_eq!(use_s1.combine(wb, true).mem, wb.mem);
        // 101: NC unless stage 1 is Device.
        let nc_s2 = S2Attrs { memattr: 0b0101, sh: 0b11 };
        assert_eq!(nc_s2.combine(wb, true), MemAttrs::NORMAL_NC);
        assert_eq!(nc_s2.combine(dev, true).mem, dev.mem);
        // 0dd: Device.
        let dev_s2 = S2Attrs { memattr: 0b0000, sh: 0 };
        assert_eq!(dev_s2.combine(wb, true).mem, MemType::Device(DeviceType::NGnRnE));
        assert!(dev_s2.is_device(true));
        assert!(!force_wb.is_device(true));
    }
}
