//! NOR flash with a CFI (Common Flash Interface) programming interface:
//! FVP Base RevC's flash0 at 0x0800_0000 (64 MiB), which holds the FIP.
//!
//! References: *Common Flash Interface (CFI) and Command Sets* (JEDEC
//! JESD68 / Intel AP-646: the query structure at word address 0x10, "QRY",
//! the device geometry at 0x27.., the Intel/Sharp primary extended table
//! "PRI"); the Intel/Sharp command set (ID 0x0001) as Intel's StrataFlash
//! datasheets describe it (Read Array 0xFF, Read Identifier 0x90, Read
//! Query 0x98, Read Status 0x70, Clear Status 0x50, Word Program 0x40/0x10,
//! Buffered Program 0xE8 .. 0xD0, Block Erase 0x20/0xD0, Block Lock setup
//! 0x60 then 0x01 lock / 0xD0 unlock / 0x2F lock-down, Suspend 0xB0,
//! Resume 0xD0; status register bits DWS 7, ESS 6, ES 5, PS 4, VPPS 3,
//! PSS 2, BLS 1); TF-A `drivers/cfi/v2m/v2m_flash.c` and
//! `include/drivers/cfi/v2m_flash.h` (commands written as `NOR_2X16(cmd)`:
//! the flash is two x16 chips side by side on a 32-bit bus, and status is
//! read from both halves), `plat/arm/common/arm_nor_psci_mem_protect.c`;
//! the FVP device tree (`arm,vexpress-flash`, `cfi-flash`, bank-width 4).
//!
//! What software relies on, and what is modelled:
//! * BL1 and BL2 read the FIP with `memcpy`: in read-array mode (the state
//!   at reset) reads of any size and alignment return the array's bytes
//!   directly. The host fills the array with [`CfiFlash::load`]; bytes it
//!   does not load read as 0 (so the PSCI MEM_PROTECT word at the start of
//!   the last 256 KiB block, 0x0bfc_0000, reads 0 — protection off — until
//!   written).
//! * PSCI MEM_PROTECT (`arm_nor_psci_write_mem_protect`): unlock the block
//!   (0x60, 0xD0), erase it if enabling (0x20, 0xD0), word-program the
//!   value (0x40, data), each followed by polling the status register
//!   (0x70) for DWS and checking the error bits, then read array (0xFF).
//!   Programming and erasing complete at once: DWS always reads 1. A
//!   program can only clear bits (the new contents are the old AND the
//!   data); an erase sets its block to 0xFF. A program or erase of a locked
//!   block fails with PS/ES and BLS set and changes nothing; an erase
//!   confirm other than 0xD0 is a command sequence error (PS and ES). Error
//!   bits stay set until Clear Status.
//! * The chips and the bus: a command is the low byte of the written value
//!   (both chips get the same command from `NOR_2X16`); status, identifier
//!   and query data read back in both 16-bit halves of each 32-bit word;
//!   query and identifier data are addressed in 32-bit words (the chip's
//!   x16 word address times the bank width, 4). A block here is 256 KiB,
//!   the two chips' 128 KiB blocks side by side.
//! * Buffered programming (0xE8, word count, data, 0xD0), which Linux's
//!   `cfi_cmdset_0001` uses when the query says a write buffer exists.
//! * Read Identifier: manufacturer 0x0089, device 0x001d (an Intel
//!   StrataFlash 256 Mbit x16 part), block lock status at word 2 of each
//!   block. Query: a 32 MiB x16 chip, one erase region of 256 uniform
//!   128 KiB blocks, 32-byte write buffer, primary extended table v1.0 at
//!   0x31. Suspend/resume are accepted and do nothing (nothing is ever in
//!   progress).
//!
//! Blocks are unlocked at reset ([`CfiFlashConfig::locked_at_reset`]).
//! Unknown commands are ignored, logged once per command value (target
//! `platform`) and counted ([`CfiFlash::bad_accesses`]).

use crate::access::BadAccesses;
use parking_lot::Mutex;
use rme_mmu::{AccessAttrs, MmioDevice, MmioResult};
use std::fmt;

/// FVP Base RevC flash0.
pub const FVP_FLASH0_BASE: u64 = 0x0800_0000;
pub const FVP_FLASH0_SIZE: u64 = 64 << 20;
/// The erase block (two interleaved 128 KiB chip blocks).
pub const BLOCK_SIZE: u64 = 256 << 10;
/// The PSCI MEM_PROTECT word on FVP: the last block of flash0
/// (`PLAT_ARM_MEM_PROT_ADDR` = 0x0bfc_0000), as an offset into the flash.
pub const FVP_MEM_PROTECT_OFFSET: u64 = FVP_FLASH0_SIZE - BLOCK_SIZE;

/// Commands (Intel/Sharp command set).
pub const CMD_READ_ARRAY: u8 = 0xff;
pub const CMD_READ_ID: u8 = 0x90;
pub const CMD_READ_QUERY: u8 = 0x98;
pub const CMD_READ_STATUS: u8 = 0x70;
pub const CMD_CLEAR_STATUS: u8 = 0x50;
pub const CMD_WORD_PROGRAM: u8 = 0x40;
pub const CMD_WORD_PROGRAM_ALT: u8 = 0x10;
pub const CMD_BUFFERED_PROGRAM: u8 = 0xe8;
pub const CMD_BLOCK_ERASE: u8 = 0x20;
pub const CMD_CONFIRM: u8 = 0xd0;
pub const CMD_LOCK_SETUP: u8 = 0x60;
pub const CMD_LOCK_BLOCK: u8 = 0x01;
pub const CMD_UNLOCK_BLOCK: u8 = 0xd0;
pub const CMD_LOCK_DOWN_BLOCK: u8 = 0x2f;
pub const CMD_SUSPEND: u8 = 0xb0;
/// AMD-style reset, which Linux's CFI probe also writes: read array.
pub const CMD_AMD_RESET: u8 = 0xf0;

/// Status register bits.
pub const SR_DWS: u8 = 1 << 7;
pub const SR_ESS: u8 = 1 << 6;
pub const SR_ES: u8 = 1 << 5;
pub const SR_PS: u8 = 1 << 4;
pub const SR_VPPS: u8 = 1 << 3;
pub const SR_PSS: u8 = 1 << 2;
pub const SR_BLS: u8 = 1 << 1;

/// Manufacturer and device codes (Read Identifier).
pub const MANUFACTURER_ID: u16 = 0x0089;
pub const DEVICE_ID: u16 = 0x001d;

/// Bytes per write-buffer operation of one chip (query 0x2a: 2^5).
const CHIP_BUFFER_BYTES: u64 = 32;

/// The CFI query data of one x16 chip, from word address 0x10.
const QUERY: [u8; 0x34] = [
    // 0x10: "QRY", primary command set 0x0001, its extended table at 0x31,
    // no alternate command set.
    b'Q', b'R', b'Y', 0x01, 0x00, 0x31, 0x00, 0x00, 0x00, 0x00,
    0x00, // 0x1b: Vcc 2.7-3.6 V, no Vpp.
    0x27, 0x36, 0x00, 0x00,
    // 0x1f: typical timeouts: word program 2^7 us, buffer 2^8 us, block erase
    // 2^10 ms, no chip erase; 0x23: maxima 2^n times typical.
    0x07, 0x08, 0x0a, 0x00, 0x04, 0x04, 0x04, 0x00,
    // 0x27: 2^25 bytes; x16 interface; 2^5-byte write buffer; one erase
    // region of 256 blocks of 0x200 * 256 bytes (128 KiB).
    0x19, 0x01, 0x00, 0x05, 0x00, 0x01, 0xff, 0x00, 0x00, 0x02,
    // 0x31: "PRI" v1.0; features: erase suspend, program suspend, legacy
    // lock/unlock, instant individual block locking, protection bits;
    // program after erase suspend; block status: lock, lock-down;
    // Vcc/Vpp optimum 3.3 V / none; one protection register at word 0x80,
    // 2^3 factory and 2^3 user bytes.
    b'P', b'R', b'I', b'1', b'0', 0x66, 0x00, 0x00, 0x00, 0x01, 0x03, 0x00, 0x33, 0x00, 0x01, 0x80,
    0x00, 0x03, 0x03,
];
const QUERY_FIRST: u64 = 0x10;

/// Board configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CfiFlashConfig {
    /// Bytes (a multiple of [`BLOCK_SIZE`]).
    pub size: u64,
    /// Every block locked at power-on (as some Intel parts are).
    pub locked_at_reset: bool,
}

impl Default for CfiFlashConfig {
    /// FVP flash0: 64 MiB, unlocked.
    fn default() -> CfiFlashConfig {
        CfiFlashConfig {
            size: FVP_FLASH0_SIZE,
            locked_at_reset: false,
        }
    }
}

/// What reads return.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReadMode {
    Array,
    Status,
    Identifier,
    Query,
}

/// A multi-cycle command in progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pending {
    None,
    /// 0x40/0x10 written: the next write is the data.
    Program,
    /// 0x20 written at this block: the next write must be 0xD0.
    Erase {
        block: usize,
    },
    /// 0x60 written at this block: the next write is 0x01, 0xD0 or 0x2F.
    Lock {
        block: usize,
    },
    /// 0xE8 written at this block: the next write is the word count - 1.
    BufferCount {
        block: usize,
    },
    /// Buffered program data: `left` more bus writes, collected in `data`.
    BufferData {
        block: usize,
        left: u64,
        data: Vec<(u64, u8, u64)>,
    },
    /// All buffer data written: the next write must be 0xD0.
    BufferConfirm {
        block: usize,
        data: Vec<(u64, u8, u64)>,
    },
}

/// Per-block lock state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BlockLock {
    pub locked: bool,
    pub locked_down: bool,
}

/// The programming-interface state (the array is kept beside it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CfiFlashState {
    pub mode: ReadMode,
    pub pending: Pending,
    /// Status register (DWS is always set).
    pub status: u8,
    pub locks: Vec<BlockLock>,
}

impl CfiFlashState {
    fn reset(config: &CfiFlashConfig) -> CfiFlashState {
        let blocks = config.size.div_ceil(BLOCK_SIZE) as usize;
        CfiFlashState {
            mode: ReadMode::Array,
            pending: Pending::None,
            status: SR_DWS,
            locks: vec![
                BlockLock {
                    locked: config.locked_at_reset,
                    locked_down: false
                };
                blocks
            ],
        }
    }
}

struct Inner {
    regs: CfiFlashState,
    array: Vec<u8>,
}

/// A host access outside the flash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlashRangeError {
    pub offset: u64,
    pub len: u64,
    pub size: u64,
}

impl fmt::Display for FlashRangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:#x} bytes at flash offset {:#x} exceed the flash ({:#x} bytes)",
            self.len, self.offset, self.size
        )
    }
}

impl std::error::Error for FlashRangeError {}

/// One CFI NOR flash device.
pub struct CfiFlash {
    name: String,
    config: CfiFlashConfig,
    inner: Mutex<Inner>,
    bad: BadAccesses,
}

/// `size` bytes of the 32-bit word `word` repeated, starting at byte
/// `offset & 3` (status, identifier and query reads).
fn lane_read(word: u32, offset: u64, size: u8) -> u64 {
    let rep = u64::from(word) | u64::from(word) << 32;
    let shifted = rep >> (8 * (offset & 3));
    let doubled = shifted
        | if offset & 3 != 0 {
            u64::from(word) << (64 - 8 * (offset & 3))
        } else {
            0
        };
    match size {
        8 => doubled,
        n => doubled & ((1u64 << (8 * u32::from(n))) - 1),
    }
}

/// A 16-bit value as both chips return it.
fn both_chips(v: u16) -> u32 {
    u32::from(v) << 16 | u32::from(v)
}

impl CfiFlash {
    /// FVP flash0 ("flash0" in logs), all zero.
    pub fn new() -> CfiFlash {
        CfiFlash::with_config("flash0", CfiFlashConfig::default())
    }

    pub fn with_config(name: impl Into<String>, config: CfiFlashConfig) -> CfiFlash {
        let regs = CfiFlashState::reset(&config);
        let array = vec![0u8; config.size as usize];
        CfiFlash {
            name: name.into(),
            config,
            inner: Mutex::new(Inner { regs, array }),
            bad: BadAccesses::default(),
        }
    }

    pub fn config(&self) -> &CfiFlashConfig {
        &self.config
    }

    fn range(&self, offset: u64, len: u64) -> Result<std::ops::Range<usize>, FlashRangeError> {
        let end = offset.checked_add(len).filter(|&e| e <= self.config.size);
        match end {
            Some(end) => Ok(offset as usize..end as usize),
            None => Err(FlashRangeError {
                offset,
                len,
                size: self.config.size,
            }),
        }
    }

    /// Host load: writes `bytes` into the array at `offset` (the FIP at 0).
    pub fn load(&self, offset: u64, bytes: &[u8]) -> Result<(), FlashRangeError> {
        let r = self.range(offset, bytes.len() as u64)?;
        self.inner.lock().array[r].copy_from_slice(bytes);
        Ok(())
    }

    /// Host read of the array (whatever the read mode).
    pub fn read_bytes(&self, offset: u64, dst: &mut [u8]) -> Result<(), FlashRangeError> {
        let r = self.range(offset, dst.len() as u64)?;
        dst.copy_from_slice(&self.inner.lock().array[r]);
        Ok(())
    }

    /// A copy of the programming-interface state.
    pub fn state(&self) -> CfiFlashState {
        self.inner.lock().regs.clone()
    }

    /// Returns the interface to read-array mode with a clear status and the
    /// reset lock state; the array (non-volatile) is kept.
    pub fn reset(&self) {
        self.inner.lock().regs = CfiFlashState::reset(&self.config);
    }

    /// Unknown commands seen (see the module documentation).
    pub fn bad_accesses(&self) -> u64 {
        self.bad.count()
    }

    fn block_of(&self, offset: u64) -> usize {
        (offset / BLOCK_SIZE) as usize
    }

    /// Programs `size` bytes of `value` at `offset` (bits can only clear).
    fn program(array: &mut [u8], offset: u64, size: u8, value: u64) {
        for i in 0..u64::from(size) {
            if let Some(b) = array.get_mut((offset + i) as usize) {
                *b &= (value >> (8 * i)) as u8;
            }
        }
    }

    fn unknown_command(&self, offset: u64, cmd: u8, after: &str) {
        if self.bad.record(0x1_0000_0000 | u64::from(cmd), true) {
            tracing::debug!(target: "platform", flash = %self.name, offset = format_args!("{offset:#x}"),
                cmd = format_args!("{cmd:#04x}"), "unknown CFI command{after} (ignored; logged once per command)");
        }
    }

    /// Identifier data at `offset` (Read Identifier mode).
    fn identifier(regs: &CfiFlashState, offset: u64) -> u16 {
        match (offset % BLOCK_SIZE) / 4 {
            0 => MANUFACTURER_ID,
            1 => DEVICE_ID,
            2 => {
                let l = regs
                    .locks
                    .get((offset / BLOCK_SIZE) as usize)
                    .copied()
                    .unwrap_or_default();
                u16::from(l.locked) | u16::from(l.locked_down) << 1
            }
            _ => 0,
        }
    }

    /// Query data at `offset` (Read Query mode).
    fn query(offset: u64) -> u16 {
        let idx = (offset % BLOCK_SIZE) / 4;
        idx.checked_sub(QUERY_FIRST)
            .and_then(|i| QUERY.get(i as usize))
            .map_or(0, |&b| u16::from(b))
    }

    fn command(&self, inner: &mut Inner, offset: u64, cmd: u8) {
        let regs = &mut inner.regs;
        let block = self.block_of(offset);
        match cmd {
            CMD_READ_ARRAY | CMD_AMD_RESET => regs.mode = ReadMode::Array,
            CMD_READ_STATUS => regs.mode = ReadMode::Status,
            CMD_READ_ID => regs.mode = ReadMode::Identifier,
            CMD_READ_QUERY => regs.mode = ReadMode::Query,
            CMD_CLEAR_STATUS => regs.status = SR_DWS,
            CMD_WORD_PROGRAM | CMD_WORD_PROGRAM_ALT => {
                regs.pending = Pending::Program;
                regs.mode = ReadMode::Status;
            }
            CMD_BLOCK_ERASE => {
                regs.pending = Pending::Erase { block };
                regs.mode = ReadMode::Status;
            }
            CMD_LOCK_SETUP => {
                regs.pending = Pending::Lock { block };
                regs.mode = ReadMode::Status;
            }
            CMD_BUFFERED_PROGRAM => {
                // The buffer is always available: status reads DWS.
                regs.pending = Pending::BufferCount { block };
                regs.mode = ReadMode::Status;
            }
            // Nothing is ever in progress to suspend or resume.
            CMD_SUSPEND | CMD_CONFIRM => regs.mode = ReadMode::Status,
            _ => self.unknown_command(offset, cmd, ""),
        }
    }

    fn bus_write(&self, offset: u64, size: u8, value: u64) {
        let mut inner = self.inner.lock();
        let cmd = value as u8;
        let pending = std::mem::replace(&mut inner.regs.pending, Pending::None);
        match pending {
            Pending::None => self.command(&mut inner, offset, cmd),
            Pending::Program => {
                let block = self.block_of(offset);
                if inner.regs.locks.get(block).is_some_and(|l| l.locked) {
                    inner.regs.status |= SR_PS | SR_BLS;
                } else {
                    Self::program(&mut inner.array, offset, size, value);
                }
                inner.regs.mode = ReadMode::Status;
            }
            Pending::Erase { block } => {
                if cmd != CMD_CONFIRM {
                    inner.regs.status |= SR_PS | SR_ES;
                } else if inner.regs.locks.get(block).is_some_and(|l| l.locked) {
                    inner.regs.status |= SR_ES | SR_BLS;
                } else {
                    let start = block * BLOCK_SIZE as usize;
                    let end = (start + BLOCK_SIZE as usize).min(inner.array.len());
                    inner.array[start..end].fill(0xff);
                    tracing::debug!(target: "platform", flash = %self.name, block, "CFI block erase");
                }
                inner.regs.mode = ReadMode::Status;
            }
            Pending::Lock { block } => {
                let lock = &mut inner.regs.locks[block];
                match cmd {
                    CMD_LOCK_BLOCK => lock.locked = true,
                    CMD_UNLOCK_BLOCK => {
                        if !lock.locked_down {
                            lock.locked = false;
                        }
                    }
                    CMD_LOCK_DOWN_BLOCK => {
                        lock.locked = true;
                        lock.locked_down = true;
                    }
                    _ => {
                        inner.regs.status |= SR_PS | SR_ES;
                        self.unknown_command(offset, cmd, " after lock setup");
                    }
                }
                inner.regs.mode = ReadMode::Status;
            }
            Pending::BufferCount { block } => {
                // Both chips take the same count: words - 1, per x16 chip;
                // each bus write carries one word to each chip.
                let words = u64::from(value as u16) + 1;
                if words * 2 > CHIP_BUFFER_BYTES || self.block_of(offset) != block {
                    inner.regs.status |= SR_PS | SR_ES;
                } else {
                    inner.regs.pending = Pending::BufferData {
                        block,
                        left: words,
                        data: Vec::new(),
                    };
                }
            }
            Pending::BufferData {
                block,
                left,
                mut data,
            } => {
                data.push((offset, size, value));
                inner.regs.pending = if left > 1 {
                    Pending::BufferData {
                        block,
                        left: left - 1,
                        data,
                    }
                } else {
                    Pending::BufferConfirm { block, data }
                };
            }
            Pending::BufferConfirm { block, data } => {
                if cmd != CMD_CONFIRM || data.iter().any(|&(o, _, _)| self.block_of(o) != block) {
                    inner.regs.status |= SR_PS | SR_ES;
                } else if inner.regs.locks.get(block).is_some_and(|l| l.locked) {
                    inner.regs.status |= SR_PS | SR_BLS;
                } else {
                    for (o, s, v) in data {
                        Self::program(&mut inner.array, o, s, v);
                    }
                }
                inner.regs.mode = ReadMode::Status;
            }
        }
    }
}

impl Default for CfiFlash {
    fn default() -> CfiFlash {
        CfiFlash::new()
    }
}

impl MmioDevice for CfiFlash {
    fn name(&self) -> &str {
        &self.name
    }

    fn read(&self, offset: u64, size: u8, _attrs: AccessAttrs) -> MmioResult<u64> {
        let inner = self.inner.lock();
        let value = match inner.regs.mode {
            ReadMode::Array => {
                let start = offset as usize;
                let mut buf = [0u8; 8];
                let n = usize::from(size.min(8));
                if let Some(src) = inner.array.get(start..start + n) {
                    buf[..n].copy_from_slice(src);
                }
                u64::from_le_bytes(buf)
            }
            ReadMode::Status => lane_read(both_chips(u16::from(inner.regs.status)), offset, size),
            ReadMode::Identifier => lane_read(
                both_chips(Self::identifier(&inner.regs, offset)),
                offset,
                size,
            ),
            ReadMode::Query => lane_read(both_chips(Self::query(offset)), offset, size),
        };
        Ok(value)
    }

    fn write(&self, offset: u64, size: u8, value: u64, _attrs: AccessAttrs) -> MmioResult<()> {
        self.bus_write(offset, size, value);
        Ok(())
    }

    fn can_preload(&self) -> bool {
        true
    }

    fn preload(&self, offset: u64, bytes: &[u8]) -> MmioResult<()> {
        self.load(offset, bytes)
            .map_err(|_| rme_mmu::MmioError::Decode { offset, size: 0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes() {
        assert_eq!(lane_read(0x0080_0080, 0, 4), 0x0080_0080);
        assert_eq!(lane_read(0x0080_0080, 0, 8), 0x0080_0080_0080_0080);
        assert_eq!(lane_read(0x0080_0080, 0, 1), 0x80);
        assert_eq!(lane_read(0x1122_3344, 2, 2), 0x1122);
        assert_eq!(lane_read(0x1122_3344, 1, 4), 0x4411_2233);
    }

    #[test]
    fn query_layout() {
        assert_eq!(QUERY.len() as u64 + QUERY_FIRST, 0x44);
        assert_eq!(CfiFlash::query(0x10 * 4), u16::from(b'Q'));
        assert_eq!(CfiFlash::query(0x27 * 4), 0x19);
        assert_eq!(CfiFlash::query(0x2c * 4), 1);
        assert_eq!(CfiFlash::query(0x31 * 4), u16::from(b'P'));
        assert_eq!(CfiFlash::query(0x43 * 4), 3);
        assert_eq!(CfiFlash::query(0x44 * 4), 0);
    }
}
