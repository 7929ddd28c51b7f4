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
