//! A firmware image: bytes to place at one physical address, plus the
//! entry point and the symbols the assembler recorded (for traces and
//! tests).

/// One assembled firmware image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirmwareImage {
    /// Short name, shown by the emulator (`built-in image <name>`).
    pub name: &'static str,
    /// Physical address of `bytes[0]`.
    pub load_addr: u64,
    /// Physical address where execution starts (the reset PC).
    pub entry: u64,
    /// The image contents.
    pub bytes: Vec<u8>,
    /// Named addresses inside the image (physical), in the order they were
    /// defined.
    pub symbols: Vec<(&'static str, u64)>,
}

impl FirmwareImage {
    /// Physical address of the symbol `name`, if the image defines it.
    pub fn symbol(&self, name: &str) -> Option<u64> {
        self.symbols.iter().find(|(n, _)| *n == name).map(|&(_, a)| a)
    }

    /// One past the last byte.
    pub fn end(&self) -> u64 {
        self.load_addr + self.bytes.len() as u64
    }

    /// The little-endian 32-bit word at physical address `addr`, if it lies
    /// inside the image.
    pub fn word_at(&self, addr: u64) -> Option<u32> {
        let off = usize::try_from(addr.checked_sub(self.load_addr)?).ok()?;
        let b = self.bytes.get(off..off.checked_add(4)?)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// What the stubs' tests read off an assembled image.
#[cfg(test)]
impl FirmwareImage {
    /// Target of the B/BL at `addr` (Arm ARM C6.2 B, BL: imm26, a signed
    /// word offset from the instruction).
    pub(crate) fn branch_target(&self, addr: u64) -> u64 {
        let w = self.word_at(addr).unwrap();
        assert_eq!(w & 0x7c00_0000, 0x1400_0000, "B/BL at {addr:#x}: {w:#010x}");
        let imm26 = i64::from(((w & 0x03ff_ffff) << 6) as i32 >> 6);
        addr.wrapping_add_signed(imm26 * 4)
    }

    /// Whether the string pool (`Asm::finish`, from the symbol `strings`
    /// on) holds `bytes`.
    pub(crate) fn strings_contain(&self, bytes: &[u8]) -> bool {
        let pool = &self.bytes[(self.symbol("strings").unwrap() - self.load_addr) as usize..];
        pool.windows(bytes.len()).any(|w| w == bytes)
    }

    /// The system registers the image's MRS/MSR (register) instructions
    /// name, panicking on one [`crate::sysreg::ALL`] does not list. The
    /// code is taken to end at the symbol `state_names`.
    pub(crate) fn sysregs_used(&self) -> std::collections::BTreeSet<&'static str> {
        let code_end = self.symbol("state_names").unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for addr in (self.load_addr..code_end).step_by(4) {
            let w = self.word_at(addr).unwrap();
            // MRS/MSR (register): 1101 0101 00 L 1 ...
            if w & 0xffd0_0000 == 0xd510_0000 {
                let packed = (w >> 5) & 0x7fff;
                let name = crate::sysreg::ALL
                    .iter()
                    .find(|r| r.1 == packed)
                    .unwrap_or_else(|| panic!("{w:#010x} at {addr:#x} names an unlisted register"))
                    .0;
                seen.insert(name);
            }
        }
        seen
    }
}
