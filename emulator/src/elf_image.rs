//! ELF images: `--bl1`, `--kernel` and `-a` accept an AArch64 ELF file
//! (bl1.elf, bl31.elf, a bare-metal test) as well as a raw binary. Its
//! `PT_LOAD` segments' file contents (`p_filesz` bytes) are loaded at their
//! physical addresses (`p_paddr`, the load address TF-A's linker scripts
//! give with `AT(...)`). The rest of a segment (`p_memsz` beyond
//! `p_filesz`, ELF gABI "Program Header") is not written: memory is zero
//! at reset, and in ROM-resident images such as bl1.elf the NOBITS
//! segments (.bss, stacks) carry a ROM `p_paddr` though they live in SRAM
//! at their `p_vaddr`, where the program clears them itself.
//!
//! Anything else that starts with the ELF magic is refused with one clear
//! error: a 32-bit or big-endian ELF, or an ELF for another machine
//! (`e_machine` other than EM_AARCH64, 183), or one whose segments lie
//! outside the file (truncated).

use goblin::elf::Elf;
use goblin::elf::header::{EI_CLASS, EI_DATA, ELFCLASS64, ELFDATA2LSB, EM_AARCH64, machine_to_str};
use goblin::elf::program_header::PT_LOAD;

/// The first four bytes of every ELF file.
pub const ELF_MAGIC: &[u8; 4] = b"\x7fELF";

/// True when `bytes` starts with the ELF magic.
pub fn is_elf(bytes: &[u8]) -> bool {
    bytes.starts_with(ELF_MAGIC)
}

/// Why an ELF file cannot be loaded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ElfError {
    #[error("not an AArch64 ELF: e_machine is {machine} ({name}), expected {EM_AARCH64} (AArch64)")]
    NotAarch64 { machine: u16, name: &'static str },
    #[error("a 32-bit ELF (ELFCLASS32): rme-emu loads AArch64 (ELFCLASS64) images")]
    Class32,
    #[error("a big-endian ELF: rme-emu loads little-endian AArch64 images")]
    BigEndian,
    #[error("malformed ELF: {0}")]
    Malformed(String),
    #[error("truncated: segment {index} has file bytes [{offset:#x}, {end:#x}) but the file has {len:#x} bytes")]
    SegmentPastEnd { index: usize, offset: u64, end: u64, len: usize },
    #[error("has no loadable (PT_LOAD) segment with file contents")]
    NothingToLoad,
}

/// One segment to load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub paddr: u64,
    pub bytes: Vec<u8>,
}

/// The loadable contents of an ELF file and its entry point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElfLoad {
    pub segments: Vec<Segment>,
    pub entry: u64,
}

/// Checks the ELF identification and machine, then collects the PT_LOAD
/// segments.
pub fn parse(bytes: &[u8]) -> Result<ElfLoad, ElfError> {
    // e_ident and e_machine are read before the full parse, so that a
    // 32-bit or foreign file gets the precise reason.
    let ident = bytes.get(..20).ok_or_else(|| ElfError::Malformed(format!("{} bytes, shorter than an ELF header", bytes.len())))?;
    let machine_le = u16::from_le_bytes([ident[18], ident[19]]);
    let machine_be = u16::from_be_bytes([ident[18], ident[19]]);
    if ident[EI_DATA] != ELFDATA2LSB {
        if machine_be != EM_AARCH64 {
            return Err(ElfError::NotAarch64 { machine: machine_be, name: machine_to_str(machine_be) });
        }
        return Err(ElfError::BigEndian);
    }
    if machine_le != EM_AARCH64 {
        return Err(ElfError::NotAarch64 { machine: machine_le, name: machine_to_str(machine_le) });
    }
    if ident[EI_CLASS] != ELFCLASS64 {
        return Err(ElfError::Class32);
    }
    let elf = Elf::parse(bytes).map_err(|e| ElfError::Malformed(e.to_string()))?;
    let mut segments = Vec::new();
    for (index, ph) in elf.program_headers.iter().enumerate() {
        if ph.p_type != PT_LOAD || ph.p_memsz == 0 {
            continue;
        }
        let end = ph.p_offset.checked_add(ph.p_filesz);
        let file = end.filter(|&e| e <= bytes.len() as u64).and_then(|e| bytes.get(ph.p_offset as usize..e as usize));
        let Some(file) = file else {
            return Err(ElfError::SegmentPastEnd {
                index,
                offset: ph.p_offset,
                end: ph.p_offset.saturating_add(ph.p_filesz),
                len: bytes.len(),
            });
        };
        if ph.p_memsz < ph.p_filesz {
            return Err(ElfError::Malformed(format!("segment {index}: p_memsz < p_filesz")));
        }
        if file.is_empty() {
            continue;
        }
        let seg = file.to_vec();
        segments.push(Segment { paddr: ph.p_paddr, bytes: seg });
    }
    if segments.is_empty() {
        return Err(ElfError::NothingToLoad);
    }
    Ok(ElfLoad { segments, entry: elf.entry })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal ELF64 with one PT_LOAD segment: `code` at `paddr`, then
    /// `bss` zero bytes.
    fn elf(machine: u16, class: u8, data: u8, code: &[u8], paddr: u64, bss: u64) -> Vec<u8> {
        let mut h = vec![0u8; 64 + 56];
        h[..4].copy_from_slice(ELF_MAGIC);
        h[4] = class;
        h[5] = data;
        h[6] = 1; // EV_CURRENT
        h[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
        h[18..20].copy_from_slice(&machine.to_le_bytes());
        h[20..24].copy_from_slice(&1u32.to_le_bytes());
        h[24..32].copy_from_slice(&(paddr + 4).to_le_bytes()); // e_entry
        h[32..40].copy_from_slice(&64u64.to_le_bytes()); // e_phoff
        h[52..54].copy_from_slice(&64u16.to_le_bytes()); // e_ehsize
        h[54..56].copy_from_slice(&56u16.to_le_bytes()); // e_phentsize
        h[56..58].copy_from_slice(&1u16.to_le_bytes()); // e_phnum
        let ph = &mut h[64..];
        ph[0..4].copy_from_slice(&PT_LOAD.to_le_bytes());
        ph[4..8].copy_from_slice(&5u32.to_le_bytes()); // R+X
        ph[8..16].copy_from_slice(&120u64.to_le_bytes()); // p_offset
        ph[16..24].copy_from_slice(&(paddr | 0xffff_0000_0000_0000).to_le_bytes()); // p_vaddr
        ph[24..32].copy_from_slice(&paddr.to_le_bytes()); // p_paddr
        ph[32..40].copy_from_slice(&(code.len() as u64).to_le_bytes());
        ph[40..48].copy_from_slice(&(code.len() as u64 + bss).to_le_bytes());
        ph[48..56].copy_from_slice(&0x1000u64.to_le_bytes());
        h.extend_from_slice(code);
        h
    }

    #[test]
    fn aarch64_elf_segments_at_paddr() {
        let e = elf(EM_AARCH64, ELFCLASS64, ELFDATA2LSB, &[1, 2, 3, 4], 0x0400_1000, 4);
        let l = parse(&e).unwrap();
        assert_eq!(l.entry, 0x0400_1004);
        assert_eq!(l.segments, vec![Segment { paddr: 0x0400_1000, bytes: vec![1, 2, 3, 4] }]);
    }

    #[test]
    fn foreign_and_broken_elves() {
        let x86 = elf(62, ELFCLASS64, ELFDATA2LSB, &[0x90], 0x1000, 0);
        assert_eq!(parse(&x86).unwrap_err().to_string(), "not an AArch64 ELF: e_machine is 62 (X86_64), expected 183 (AArch64)");
        let arm32 = elf(40, 1, ELFDATA2LSB, &[0], 0, 0);
        assert!(matches!(parse(&arm32).unwrap_err(), ElfError::NotAarch64 { machine: 40, .. }));
        assert_eq!(parse(&elf(EM_AARCH64, 1, ELFDATA2LSB, &[0], 0, 0)).unwrap_err(), ElfError::Class32);
        let mut be = elf(0, ELFCLASS64, 2, &[0], 0, 0);
        be[18..20].copy_from_slice(&EM_AARCH64.to_be_bytes());
        assert_eq!(parse(&be).unwrap_err(), ElfError::BigEndian);
        let good = elf(EM_AARCH64, ELFCLASS64, ELFDATA2LSB, &[7; 64], 0x8000_0000, 0);
        assert!(matches!(parse(&good[..good.len() - 1]).unwrap_err(), ElfError::SegmentPastEnd { index: 0, .. }));
        for cut in 0..good.len() {
            assert!(parse(&good[..cut]).is_err(), "prefix of {cut} bytes accepted");
        }
        assert!(is_elf(&good) && !is_elf(b"\x01\x00\x64\xaa"));
    }

    #[test]
    fn real_tf_a_elf_if_built() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/images/tf-a-fvp-rme/elf/bl31.elf");
        let Ok(b) = std::fs::read(path) else {
            eprintln!("note: {path} not built (bash scripts/images.sh); the synthetic ELF files above are the gate");
            return;
        };
        let l = parse(&b).unwrap();
        // FVP RME: BL31 starts in trusted SRAM (BL31_BASE), its entry first.
        assert!((0x0400_0000..0x0404_0000).contains(&l.segments[0].paddr), "{:#x}", l.segments[0].paddr);
        assert_eq!(l.entry, l.segments[0].paddr);
    }
}
