//! Host memory backing guest RAM and ROM.
//!
//! Guest RAM is an anonymous `memmap2` mapping made with `no_reserve_swap`,
//! so a large machine only costs the pages the guest touches. This module
//! is the only place in `rme-mmu` that dereferences raw host pointers.
//!
//! Concurrency: the emulator runs all CPUs of a machine in one host thread
//! (DESIGN.md, "SMP"), so accesses never race; a parallel mode would have
//! to switch the accessors below to atomics.

use memmap2::{MmapMut, MmapOptions};
use std::io;

/// A contiguous block of host memory that holds guest RAM or ROM.
pub struct GuestRam {
    map: MmapMut,
    ptr: *mut u8,
    len: usize,
}

// SAFETY: `ptr` points into `map`, which lives as long as `self` and is never
// remapped. All accesses are bounds-checked against `len`. The machine runs
// its CPUs in one host thread (see module docs), so no two threads touch the
// memory concurrently; Sync is needed only so the bus can be shared by
// reference.
unsafe impl Send for GuestRam {}
// SAFETY: see above.
unsafe impl Sync for GuestRam {}

impl GuestRam {
    /// Maps `len` bytes of zeroed, lazily allocated memory.
    pub fn new(len: usize) -> io::Result<GuestRam> {
        let mut map = MmapOptions::new().len(len.max(1)).no_reserve_swap().map_anon()?;
        let ptr = map.as_mut_ptr();
        Ok(GuestRam { map, ptr, len })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    fn check(&self, offset: u64, size: usize) -> Option<usize> {
        let off = usize::try_from(offset).ok()?;
        if off.checked_add(size)? <= self.len { Some(off) } else { None }
    }

    /// Reads `size` (1, 2, 4 or 8) bytes, little-endian, zero-extended.
    /// Returns `None` outside the block.
    #[inline]
    pub fn read(&self, offset: u64, size: u8) -> Option<u64> {
        let off = self.check(offset, size as usize)?;
        // SAFETY: `off + size <= len` was checked above, so the bytes read
        // lie inside the live mapping; unaligned reads are used because guest
        // addresses need not be aligned.
        unsafe {
            let p = self.ptr.add(off);
            Some(match size {
                1 => *p as u64,
                2 => u16::from_le(std::ptr::read_unaligned(p as *const u16)) as u64,
                4 => u32::from_le(std::ptr::read_unaligned(p as *const u32)) as u64,
                8 => u64::from_le(std::ptr::read_unaligned(p as *const u64)),
                _ => return None,
            })
        }
    }

    /// Writes the low `size` (1, 2, 4 or 8) bytes of `value`, little-endian.
    /// Returns `None` outside the block.
    #[inline]
    pub fn write(&self, offset: u64, size: u8, value: u64) -> Option<()> {
        let off = self.check(offset, size as usize)?;
        // SAFETY: bounds checked above; the mapping is writable and owned by
        // `self`; single host thread (module docs) so no data race.
        unsafe {
            let p = self.ptr.add(off);
            match size {
                1 => *p = value as u8,
                2 => std::ptr::write_unaligned(p as *mut u16, (value as u16).to_le()),
                4 => std::ptr::write_unaligned(p as *mut u32, (value as u32).to_le()),
                8 => std::ptr::write_unaligned(p as *mut u64, value.to_le()),
                _ => return None,
            }
        }
        Some(())
    }

    /// Copies `dst.len()` bytes out of the block.
    pub fn read_bytes(&self, offset: u64, dst: &mut [u8]) -> Option<()> {
        let off = self.check(offset, dst.len())?;
        // SAFETY: bounds checked; `dst` is a distinct host buffer.
        unsafe { std::ptr::copy_nonoverlapping(self.ptr.add(off), dst.as_mut_ptr(), dst.len()) };
        Some(())
    }

    /// Copies `src` into the block.
    pub fn write_bytes(&self, offset: u64, src: &[u8]) -> Option<()> {
        let off = self.check(offset, src.len())?;
        // SAFETY: bounds checked; `src` is a distinct host buffer.
        unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), self.ptr.add(off), src.len()) };
        Some(())
    }

    /// Fills `len` bytes at `offset` with zero (DC ZVA).
    pub fn zero(&self, offset: u64, len: usize) -> Option<()> {
        let off = self.check(offset, len)?;
        // SAFETY: bounds checked.
        unsafe { std::ptr::write_bytes(self.ptr.add(off), 0, len) };
        Some(())
    }

    /// Keeps the mapping alive explicitly (the pointer above borrows it).
    pub fn mapping(&self) -> &MmapMut {
        &self.map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_write_round_trip_and_bounds() {
        let ram = GuestRam::new(4096).unwrap();
        ram.write(1, 8, 0x1122_3344_5566_7788).unwrap();
        assert_eq!(ram.read(1, 8), Some(0x1122_3344_5566_7788));
        assert_eq!(ram.read(1, 1), Some(0x88));
        assert_eq!(ram.read(4090, 8), None);
        assert_eq!(ram.write(4096, 1, 0), None);
        assert_eq!(ram.read(u64::MAX, 1), None);
    }

    #[test]
    fn large_sparse_map_is_cheap() {
        // 8 GiB that the test never touches: must not fail on a 24 GiB host.
        let ram = GuestRam::new(8 << 30).unwrap();
        ram.write((8 << 30) - 8, 8, 42).unwrap();
        assert_eq!(ram.read((8 << 30) - 8, 8), Some(42));
    }
}
