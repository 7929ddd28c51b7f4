//! The physical bus: maps physical addresses to RAM, ROM and MMIO devices.
//!
//! Every access carries its [`AccessAttrs`] (and so its [`crate::Pas`]).
//! An access that hits nothing, or that a device refuses, returns a
//! [`BusError`]; the CPU turns it into a synchronous External abort
//! (Arm ARM D17.2, DFSC `0b010000`), never a host panic.

use crate::guest_ram::GuestRam;
use crate::mmio::{AccessAttrs, MmioDevice, MmioError};
use parking_lot::Mutex;
use std::collections::HashSet;
use std::sync::Arc;

/// What backs a region of the bus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionKind {
    Ram,
    /// Read-only memory: guest writes are ignored (and logged once).
    Rom,
    Mmio,
}

enum Backing {
    Ram(GuestRam),
    Mmio(Arc<dyn MmioDevice>),
}

struct Region {
    name: String,
    base: u64,
    size: u64,
    kind: RegionKind,
    backing: Backing,
}

impl Region {
    fn contains(&self, pa: u64, len: u64) -> bool {
        pa >= self.base && pa - self.base < self.size && len <= self.size - (pa - self.base)
    }
}

/// A failed physical access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BusError {
    #[error("no memory or device at physical address {pa:#x}")]
    Unmapped { pa: u64 },
    #[error("device error at physical address {pa:#x}: {err}")]
    Device { pa: u64, err: MmioError },
}

/// A RAM/ROM location found by [`PhysBus::ram_at`].
pub struct RamHit<'a> {
    pub ram: &'a GuestRam,
    pub offset: u64,
    pub kind: RegionKind,
}

/// The region lookup table covers PAs below 2^CHUNK_MAP_BITS in chunks of
/// 2^CHUNK_BITS bytes (64 GiB in 16 MiB chunks: 4096 entries, 8 KiB).
const CHUNK_BITS: u32 = 24;
const CHUNK_MAP_BITS: u32 = 36;
/// A chunk that meets several regions: binary search.
const CHUNK_MIXED: u16 = u16::MAX;

/// The physical bus of one machine.
#[derive(Default)]
pub struct PhysBus {
    /// Sorted by base address, non-overlapping.
    regions: Vec<Region>,
    /// For each chunk of the low PA space: 0 when no region meets it, the
    /// index + 1 of the only region that does, or [`CHUNK_MIXED`]. Every
    /// CPU access looks its PA up here before anything else, so the common
    /// case (RAM, ROM, flash) needs one load instead of a binary search.
    chunk_map: Vec<u16>,
    /// Pages (4 KiB) of unmapped accesses already logged.
    reported: Mutex<HashSet<u64>>,
    /// Regions whose ignored writes (ROM) were already logged.
    reported_rom: Mutex<HashSet<usize>>,
}

/// Why a region could not be added.
#[derive(Debug, thiserror::Error)]
pub enum MapError {
    #[error("region {name} [{base:#x}, +{size:#x}) overlaps {other}")]
    Overlap {
        name: String,
        base: u64,
        size: u64,
        other: String,
    },
    #[error("region {name} has size 0 or wraps the address space")]
    BadSize { name: String },
    #[error("cannot allocate {size:#x} bytes for {name}: {source}")]
    Alloc {
        name: String,
        size: u64,
        source: std::io::Error,
    },
}

impl PhysBus {
    pub fn new() -> PhysBus {
        PhysBus::default()
    }

    fn insert(&mut self, region: Region) -> Result<(), MapError> {
        if region.size == 0 || region.base.checked_add(region.size - 1).is_none() {
            return Err(MapError::BadSize { name: region.name });
        }
        let end = region.base + (region.size - 1);
        if let Some(o) = self
            .regions
            .iter()
            .find(|o| region.base <= o.base + (o.size - 1) && o.base <= end)
        {
            return Err(MapError::Overlap {
                name: region.name,
                base: region.base,
                size: region.size,
                other: o.name.clone(),
            });
        }
        let at = self.regions.partition_point(|o| o.base < region.base);
        self.regions.insert(at, region);
        self.rebuild_chunk_map();
        Ok(())
    }

    fn rebuild_chunk_map(&mut self) {
        let mut map = vec![0u16; 1 << (CHUNK_MAP_BITS - CHUNK_BITS)];
        for (i, r) in self.regions.iter().enumerate() {
            let first = r.base >> CHUNK_BITS;
            let last = (r.base + (r.size - 1)) >> CHUNK_BITS;
            for c in first..=last.min(map.len() as u64 - 1) {
                let e = &mut map[c as usize];
                *e = if *e == 0 && i + 1 < CHUNK_MIXED as usize { i as u16 + 1 } else { CHUNK_MIXED };
            }
        }
        self.chunk_map = map;
    }

    fn alloc(name: &str, size: u64) -> Result<GuestRam, MapError> {
        let len = usize::try_from(size).map_err(|_| MapError::BadSize { name: name.into() })?;
        GuestRam::new(len).map_err(|source| MapError::Alloc {
            name: name.into(),
            size,
            source,
        })
    }

    /// Adds zero-filled RAM.
    pub fn add_ram(&mut self, name: &str, base: u64, size: u64) -> Result<(), MapError> {
        let ram = Self::alloc(name, size)?;
        self.insert(Region {
            name: name.into(),
            base,
            size,
            kind: RegionKind::Ram,
            backing: Backing::Ram(ram),
        })
    }

    /// Adds ROM of `size` bytes (zero-filled; load contents with [`PhysBus::load`]).
    pub fn add_rom(&mut self, name: &str, base: u64, size: u64) -> Result<(), MapError> {
        let ram = Self::alloc(name, size)?;
        self.insert(Region {
            name: name.into(),
            base,
            size,
            kind: RegionKind::Rom,
            backing: Backing::Ram(ram),
        })
    }

    /// Adds a memory-mapped device.
    pub fn add_mmio(
        &mut self,
        name: &str,
        base: u64,
        size: u64,
        dev: Arc<dyn MmioDevice>,
    ) -> Result<(), MapError> {
        self.insert(Region {
            name: name.into(),
            base,
            size,
            kind: RegionKind::Mmio,
            backing: Backing::Mmio(dev),
        })
    }

    #[inline]
    fn find(&self, pa: u64) -> Option<usize> {
        if let Some(&e) = self.chunk_map.get((pa >> CHUNK_BITS) as usize) {
            if e == 0 {
                return None;
            }
            if e != CHUNK_MIXED {
                let i = e as usize - 1;
                let r = &self.regions[i];
                return (pa.wrapping_sub(r.base) < r.size).then_some(i);
            }
        }
        self.find_by_search(pa)
    }

    fn find_by_search(&self, pa: u64) -> Option<usize> {
        let i = self.regions.partition_point(|r| r.base <= pa);
        if i == 0 {
            return None;
        }
        let r = &self.regions[i - 1];
        if pa - r.base < r.size {
            Some(i - 1)
        } else {
            None
        }
    }

    /// The region holding `pa`: (name, base, size, kind).
    pub fn region_at(&self, pa: u64) -> Option<(&str, u64, u64, RegionKind)> {
        self.find(pa).map(|i| {
            let r = &self.regions[i];
            (r.name.as_str(), r.base, r.size, r.kind)
        })
    }

    /// The RAM or ROM behind `[pa, pa+len)`, when the whole range is in one
    /// RAM/ROM region. The fast path of CPU accesses.
    #[inline]
    pub fn ram_at(&self, pa: u64, len: u64) -> Option<RamHit<'_>> {
        let r = &self.regions[self.find(pa)?];
        match &r.backing {
            Backing::Ram(ram) if r.contains(pa, len) => Some(RamHit {
                ram,
                offset: pa - r.base,
                kind: r.kind,
            }),
            _ => None,
        }
    }

    fn unmapped(&self, pa: u64) -> BusError {
        BusError::Unmapped { pa }
    }

    /// True the first time an unmapped access hits the 4 KiB page of `pa`
    /// (false afterwards): the requester logs that first access once, with
    /// what only it knows (the PC, the EL), under the `platform` target.
    pub fn first_unmapped_access(&self, pa: u64) -> bool {
        self.reported.lock().insert(pa >> 12)
    }

    /// Reads `size` (1, 2, 4, 8) bytes at `pa`, little-endian.
    pub fn read(&self, pa: u64, size: u8, attrs: AccessAttrs) -> Result<u64, BusError> {
        let Some(i) = self.find(pa) else {
            return Err(self.unmapped(pa));
        };
        let r = &self.regions[i];
        if !r.contains(pa, size as u64) {
            return Err(self.unmapped(pa));
        }
        match &r.backing {
            Backing::Ram(ram) => ram.read(pa - r.base, size).ok_or(BusError::Unmapped { pa }),
            Backing::Mmio(dev) => dev
                .read(pa - r.base, size, attrs)
                .map_err(|err| BusError::Device { pa, err }),
        }
    }

    /// Writes the low `size` bytes of `value` at `pa`, little-endian.
    pub fn write(&self, pa: u64, size: u8, value: u64, attrs: AccessAttrs) -> Result<(), BusError> {
        let Some(i) = self.find(pa) else {
            return Err(self.unmapped(pa));
        };
        let r = &self.regions[i];
        if !r.contains(pa, size as u64) {
            return Err(self.unmapped(pa));
        }
        match (&r.backing, r.kind) {
            (Backing::Ram(_), RegionKind::Rom) => {
                if self.reported_rom.lock().insert(i) {
                    tracing::debug!(target: "platform", pa = format_args!("{pa:#x}"), region = %r.name,
                        "write to ROM ignored (logged once per region)");
                }
                Ok(())
            }
            (Backing::Ram(ram), _) => ram
                .write(pa - r.base, size, value)
                .ok_or(BusError::Unmapped { pa }),
            (Backing::Mmio(dev), _) => dev
                .write(pa - r.base, size, value, attrs)
                .map_err(|err| BusError::Device { pa, err }),
        }
    }

    /// Whether an image can be loaded at `pa`: RAM, ROM, or a device with
    /// a backing store ([`MmioDevice::can_preload`], e.g. NOR flash).
    pub fn is_loadable(&self, pa: u64) -> bool {
        self.find(pa)
            .is_some_and(|i| match &self.regions[i].backing {
                Backing::Ram(_) => true,
                Backing::Mmio(dev) => dev.can_preload(),
            })
    }

    /// Host-side load of an image into RAM, ROM or a preloadable device
    /// (see [`PhysBus::is_loadable`]). The whole range must lie in one region.
    pub fn load(&self, pa: u64, bytes: &[u8]) -> Result<(), BusError> {
        if let Some(hit) = self.ram_at(pa, bytes.len() as u64) {
            return hit
                .ram
                .write_bytes(hit.offset, bytes)
                .ok_or(BusError::Unmapped { pa });
        }
        let i = self.find(pa).ok_or(BusError::Unmapped { pa })?;
        let r = &self.regions[i];
        match &r.backing {
            Backing::Mmio(dev) if r.contains(pa, bytes.len() as u64) => dev
                .preload(pa - r.base, bytes)
                .map_err(|err| BusError::Device { pa, err }),
            _ => Err(BusError::Unmapped { pa }),
        }
    }

    /// Host-side read of RAM/ROM bytes (debugger, tests).
    pub fn read_bytes(&self, pa: u64, dst: &mut [u8]) -> Result<(), BusError> {
        let hit = self
            .ram_at(pa, dst.len() as u64)
            .ok_or(BusError::Unmapped { pa })?;
        hit.ram
            .read_bytes(hit.offset, dst)
            .ok_or(BusError::Unmapped { pa })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mmio::MmioResult;
    use crate::pas::Pas;
    use std::sync::atomic::{AtomicU64, Ordering};

    struct Scratch(AtomicU64);
    impl MmioDevice for Scratch {
        fn name(&self) -> &str {
            "scratch"
        }
        fn read(&self, offset: u64, _size: u8, _attrs: AccessAttrs) -> MmioResult<u64> {
            if offset == 0 {
                Ok(self.0.load(Ordering::Relaxed))
            } else {
                Err(MmioError::Decode { offset, size: 4 })
            }
        }
        fn write(&self, offset: u64, _size: u8, value: u64, _attrs: AccessAttrs) -> MmioResult<()> {
            if offset == 0 {
                self.0.store(value, Ordering::Relaxed);
                Ok(())
            } else {
                Err(MmioError::Decode { offset, size: 4 })
            }
        }
    }

    fn bus() -> PhysBus {
        let mut bus = PhysBus::new();
        bus.add_rom("rom", 0, 0x1000).unwrap();
        bus.add_ram("ram", 0x8000_0000, 0x10000).unwrap();
        bus.add_mmio(
            "dev",
            0x1c09_0000,
            0x1000,
            Arc::new(Scratch(AtomicU64::new(0))),
        )
        .unwrap();
        bus
    }

    #[test]
    fn routes_by_address() {
        let bus = bus();
        let a = AccessAttrs::cpu(0, Pas::NonSecure);
        bus.write(0x8000_0010, 4, 0xdead_beef, a).unwrap();
        assert_eq!(bus.read(0x8000_0010, 4, a).unwrap(), 0xdead_beef);
        bus.write(0x1c09_0000, 4, 7, a).unwrap();
        assert_eq!(bus.read(0x1c09_0000, 4, a).unwrap(), 7);
    }

    #[test]
    fn unmapped_and_refused_accesses_are_errors() {
        let bus = bus();
        let a = AccessAttrs::cpu(0, Pas::Root);
        assert_eq!(
            bus.read(0x4000_0000, 4, a),
            Err(BusError::Unmapped { pa: 0x4000_0000 })
        );
        // straddles the end of RAM
        assert!(bus.read(0x8000_fffc, 8, a).is_err());
        assert!(matches!(
            bus.read(0x1c09_0004, 4, a),
            Err(BusError::Device { .. })
        ));
        assert!(bus.read(u64::MAX, 1, a).is_err());
    }

    #[test]
    fn rom_ignores_guest_writes_but_loads() {
        let bus = bus();
        let a = AccessAttrs::cpu(0, Pas::Root);
        bus.load(0x10, &[1, 2, 3, 4]).unwrap();
        bus.write(0x10, 4, 0, a).unwrap();
        assert_eq!(bus.read(0x10, 4, a).unwrap(), 0x0403_0201);
    }

    #[test]
    fn chunk_map_agrees_with_the_search() {
        // FVP-like layout: several small devices in one 16 MiB chunk, RAM
        // and ROM alone in theirs, a region past the mapped 64 GiB.
        let mut b = PhysBus::new();
        b.add_rom("rom", 0, 64 << 20).unwrap();
        b.add_ram("sram", 0x0400_0000, 256 << 10).unwrap();
        for (i, base) in [0x1c01_0000u64, 0x1c09_0000, 0x1c0a_0000, 0x1c10_0000].into_iter().enumerate() {
            b.add_ram(&format!("dev{i}"), base, 0x1000).unwrap();
        }
        b.add_ram("dram", 0x8000_0000, 16 << 20).unwrap();
        b.add_ram("high", 0x20_0000_0000, 0x1000).unwrap();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut probes: Vec<u64> = vec![0, (64 << 20) - 1, 64 << 20, 0x0403_ffff, 0x0404_0000, 0x1c09_0fff, 0x1c0a_1000,
            0x7fff_ffff, 0x8000_0000, 0x80ff_ffff, 0x8100_0000, 0x20_0000_0fff, 0x20_0000_1000, u64::MAX];
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            probes.push(x & ((1 << 38) - 1));
            probes.push(0x1c00_0000 | (x & 0xff_ffff));
        }
        for pa in probes {
            assert_eq!(b.find(pa), b.find_by_search(pa), "pa {pa:#x}");
        }
    }

    #[test]
    fn overlapping_regions_are_refused() {
        let mut bus = bus();
        assert!(matches!(
            bus.add_ram("x", 0x8000_8000, 0x10000),
            Err(MapError::Overlap { .. })
        ));
        assert!(matches!(
            bus.add_ram("y", u64::MAX, 2),
            Err(MapError::BadSize { .. })
        ));
    }
}
