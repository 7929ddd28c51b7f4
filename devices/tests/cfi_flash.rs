//! CFI flash tests: flash0 on a real `PhysBus` at 0x0800_0000; FIP reads,
//! TF-A's `v2m_flash.c` sequences for PSCI MEM_PROTECT, CFI query and
//! identifier reads as Linux's CFI probe does them, buffered programming.

use rme_devices::cfi_flash::*;
use rme_mmu::{AccessAttrs, Pas, PhysBus};
use std::sync::Arc;

const BASE: u64 = FVP_FLASH0_BASE;
/// PLAT_ARM_MEM_PROT_ADDR.
const MEM_PROT: u64 = 0x0bfc_0000;

struct Rig {
    bus: PhysBus,
    flash: Arc<CfiFlash>,
}

fn rig_with(config: CfiFlashConfig) -> Rig {
    let flash = Arc::new(CfiFlash::with_config("flash0", config));
    let mut bus = PhysBus::new();
    bus.add_mmio("flash0", BASE, config.size, flash.clone()).unwrap();
    Rig { bus, flash }
}

fn rig() -> Rig {
    rig_with(CfiFlashConfig::default())
}

fn a() -> AccessAttrs {
    AccessAttrs::cpu(0, Pas::Root)
}

/// NOR_2X16
fn x2(cmd: u8) -> u64 {
    u64::from(cmd) << 16 | u64::from(cmd)
}

impl Rig {
    fn r(&self, pa: u64) -> u32 {
        self.bus.read(pa, 4, a()).unwrap() as u32
    }
    fn w(&self, pa: u64, v: u64) {
        self.bus.write(pa, 4, v, a()).unwrap()
    }
    fn nor_send_cmd(&self, pa: u64, cmd: u8) {
        self.w(pa, x2(cmd));
    }
    /// nor_poll_dws (with a small retry budget).
    fn nor_poll_dws(&self, pa: u64) -> bool {
        for _ in 0..4 {
            self.nor_send_cmd(pa, CMD_READ_STATUS);
            let status = self.r(pa);
            let end = u32::from(SR_DWS) | u32::from(SR_DWS) << 16;
            if status & end == end {
                return true;
            }
        }
        false
    }
    /// nor_full_status_check: 0, -EPERM (1) or -EIO (2).
    fn nor_full_status_check(&self, pa: u64) -> u32 {
        self.nor_send_cmd(pa, CMD_READ_STATUS);
        let mut status = self.r(pa);
        status |= status >> 16;
        let status = status as u8;
        if status & (SR_PS | SR_BLS | SR_ESS | SR_PSS) != 0 {
            1
        } else if status & (SR_VPPS | SR_ES) != 0 {
            2
        } else {
            0
        }
    }
    fn nor_unlock(&self, pa: u64) -> u32 {
        self.nor_send_cmd(pa, CMD_CLEAR_STATUS);
        self.nor_send_cmd(pa, CMD_LOCK_SETUP);
        self.nor_send_cmd(pa, CMD_UNLOCK_BLOCK);
        assert!(self.nor_poll_dws(pa));
        let ret = self.nor_full_status_check(pa);
        self.nor_send_cmd(pa, CMD_READ_ARRAY);
        ret
    }
    fn nor_lock(&self, pa: u64) -> u32 {
        self.nor_send_cmd(pa, CMD_CLEAR_STATUS);
        self.nor_send_cmd(pa, CMD_LOCK_SETUP);
        self.nor_send_cmd(pa, CMD_LOCK_BLOCK);
        assert!(self.nor_poll_dws(pa));
        let ret = self.nor_full_status_check(pa);
        self.nor_send_cmd(pa, CMD_READ_ARRAY);
        ret
    }
    fn nor_erase(&self, pa: u64) -> u32 {
        self.nor_send_cmd(pa, CMD_CLEAR_STATUS);
        self.nor_send_cmd(pa, CMD_BLOCK_ERASE);
        self.nor_send_cmd(pa, CMD_CONFIRM);
        assert!(self.nor_poll_dws(pa));
        let ret = self.nor_full_status_check(pa);
        self.nor_send_cmd(pa, CMD_READ_ARRAY);
        ret
    }
    fn nor_word_program(&self, pa: u64, data: u32) -> u32 {
        self.nor_send_cmd(pa, CMD_CLEAR_STATUS);
        self.nor_send_cmd(pa, CMD_WORD_PROGRAM);
        self.w(pa, u64::from(data));
        let mut ret = 0;
        assert!(self.nor_poll_dws(pa));
        self.nor_send_cmd(pa, CMD_READ_STATUS);
        let status = self.r(pa) as u8;
        if status & (SR_PS | SR_BLS) != 0 {
            self.nor_send_cmd(pa, CMD_CLEAR_STATUS);
            ret = 1;
        }
        if ret == 0 {
            ret = self.nor_full_status_check(pa);
        }
        self.nor_send_cmd(pa, CMD_READ_ARRAY);
        ret
    }
    /// arm_nor_psci_write_mem_protect
    fn write_mem_protect(&self, val: u32) {
        assert_eq!(self.nor_unlock(MEM_PROT), 0);
        if val != 0 {
            assert_eq!(self.nor_erase(MEM_PROT), 0);
        }
        assert_eq!(self.nor_word_program(MEM_PROT, u32::from(val != 0)), 0);
    }
}

#[test]
fn read_array_returns_the_loaded_fip() {
    let r = rig();
    let fip: Vec<u8> = (0..4096u32).map(|i| (i * 7 + 3) as u8).collect();
    r.flash.load(0, &fip).unwrap();
    // memcpy-style reads of every size, aligned or not.
    let mut got = Vec::new();
    for off in (0..4096u64).step_by(8) {
        got.extend_from_slice(&r.bus.read(BASE + off, 8, a()).unwrap().to_le_bytes());
    }
    assert_eq!(got, fip);
    assert_eq!(r.bus.read(BASE + 1, 1, a()).unwrap(), u64::from(fip[1]));
    assert_eq!(r.bus.read(BASE + 3, 2, a()).unwrap(), u64::from(u16::from_le_bytes([fip[3], fip[4]])));
    assert_eq!(r.bus.read(BASE + 5, 4, a()).unwrap(), u64::from(u32::from_le_bytes(fip[5..9].try_into().unwrap())));
    assert_eq!(
        r.bus.read(BASE + 4092, 8, a()).unwrap() & 0xffff_ffff,
        u64::from(u32::from_le_bytes(fip[4092..].try_into().unwrap()))
    );
    // The ToC header magic TF-A checks would be at offset 0.
    r.flash.load(0, &0xaa64_0001u32.to_le_bytes()).unwrap();
    assert_eq!(r.r(BASE), 0xaa64_0001);
    let mut host = [0u8; 4];
    r.flash.read_bytes(0, &mut host).unwrap();
    assert_eq!(u32::from_le_bytes(host), 0xaa64_0001);
}

#[test]
fn load_out_of_range_is_an_error() {
    let r = rig();
    assert!(r.flash.load(FVP_FLASH0_SIZE - 2, &[1, 2, 3]).is_err());
    assert!(r.flash.load(u64::MAX, &[1]).is_err());
    assert!(r.flash.load(FVP_FLASH0_SIZE - 3, &[1, 2, 3]).is_ok());
    let err = r.flash.read_bytes(FVP_FLASH0_SIZE, &mut [0u8; 1]).unwrap_err();
    assert!(err.to_string().contains("exceed"));
}

#[test]
fn mem_protect_word_reads_zero_until_written() {
    let r = rig();
    assert_eq!(MEM_PROT, BASE + FVP_MEM_PROTECT_OFFSET);
    // arm_psci_read_mem_protect: *(int *)PLAT_ARM_MEM_PROT_ADDR == 1?
    assert_eq!(r.r(MEM_PROT), 0);
    assert_eq!(r.bus.read(MEM_PROT, 8, a()).unwrap(), 0);
}

#[test]
fn psci_mem_protect_enable_then_disable() {
    let r = rig();
    r.write_mem_protect(1);
    assert_eq!(r.r(MEM_PROT), 1);
    assert_eq!(r.r(MEM_PROT + 4), 0xffff_ffff, "the rest of the block is erased");
    assert_eq!(r.r(MEM_PROT - 4), 0, "the previous block is untouched");
    assert_eq!(r.flash.state().mode, ReadMode::Array);
    // arm_nor_psci_do_static_mem_protect clears it again: program 0.
    r.write_mem_protect(0);
    assert_eq!(r.r(MEM_PROT), 0);
    assert_eq!(r.flash.bad_accesses(), 0);
}

#[test]
fn status_register_reads_ready_on_both_chips() {
    let r = rig();
    r.nor_send_cmd(BASE, CMD_READ_STATUS);
    assert_eq!(r.r(BASE), 0x0080_0080);
    assert_eq!(r.bus.read(BASE + 0x1000, 8, a()).unwrap(), 0x0080_0080_0080_0080, "any address");
    assert_eq!(r.bus.read(BASE + 2, 2, a()).unwrap(), 0x0080);
    r.nor_send_cmd(BASE, CMD_READ_ARRAY);
    assert_eq!(r.r(BASE), 0);
}

#[test]
fn program_only_clears_bits() {
    let r = rig();
    r.flash.load(0x100, &[0xf0, 0x0f, 0xff, 0x00]).unwrap();
    assert_eq!(r.nor_word_program(BASE + 0x100, 0x3c3c_3c3c), 0);
    assert_eq!(r.r(BASE + 0x100), 0x003c_0c30);
    // A 1-byte program touches one byte.
    r.nor_send_cmd(BASE, CMD_WORD_PROGRAM);
    r.bus.write(BASE + 0x103, 1, 0x00, a()).unwrap();
    r.nor_send_cmd(BASE, CMD_READ_ARRAY);
    assert_eq!(r.r(BASE + 0x100), 0x003c_0c30);
}

#[test]
fn locked_block_refuses_program_and_erase() {
    let r = rig();
    assert_eq!(r.nor_lock(MEM_PROT), 0);
    assert_eq!(r.nor_word_program(MEM_PROT, 0), 1, "-EPERM");
    r.nor_send_cmd(MEM_PROT, CMD_CLEAR_STATUS);
    assert_eq!(r.nor_erase(MEM_PROT), 1, "-EPERM (BLS)");
    assert_eq!(r.r(MEM_PROT), 0, "unchanged");
    // Error bits are sticky until Clear Status.
    r.nor_send_cmd(MEM_PROT, CMD_READ_STATUS);
    assert_eq!(r.r(MEM_PROT) & 0xff, u32::from(SR_DWS | SR_ES | SR_BLS));
    r.nor_send_cmd(MEM_PROT, CMD_CLEAR_STATUS);
    assert_eq!(r.r(MEM_PROT) & 0xff, u32::from(SR_DWS));
    // Other blocks are not locked.
    assert_eq!(r.nor_erase(BASE), 0);
    assert_eq!(r.r(BASE), 0xffff_ffff);
}

#[test]
fn lock_down_cannot_be_unlocked() {
    let r = rig();
    r.nor_send_cmd(BASE, CMD_LOCK_SETUP);
    r.nor_send_cmd(BASE, CMD_LOCK_DOWN_BLOCK);
    assert_eq!(r.nor_unlock(BASE), 0);
    assert_eq!(r.flash.state().locks[0], BlockLock { locked: true, locked_down: true });
    assert_eq!(r.nor_erase(BASE), 1);
}

#[test]
fn locked_at_reset_when_configured() {
    let r = rig_with(CfiFlashConfig { locked_at_reset: true, ..CfiFlashConfig::default() });
    assert_eq!(r.nor_word_program(MEM_PROT, 1), 1);
    r.write_mem_protect(1);
    assert_eq!(r.r(MEM_PROT), 1);
}

#[test]
fn erase_sequence_error() {
    let r = rig();
    r.nor_send_cmd(BASE, CMD_BLOCK_ERASE);
    r.nor_send_cmd(BASE, CMD_READ_ARRAY);
    // Not a confirm: command sequence error, nothing erased.
    assert_eq!(r.r(BASE) & 0xff, u32::from(SR_DWS | SR_PS | SR_ES));
    r.nor_send_cmd(BASE, CMD_READ_ARRAY);
    assert_eq!(r.r(BASE), 0);
    r.nor_send_cmd(BASE, CMD_LOCK_SETUP);
    r.nor_send_cmd(BASE, 0x77);
    assert_eq!(r.r(BASE) & 0xff, u32::from(SR_DWS | SR_PS | SR_ES));
    assert_eq!(r.flash.bad_accesses(), 1, "the bad lock command is logged");
}

#[test]
fn cfi_query_as_linux_probes_it() {
    let r = rig();
    // cfi_probe: reset, then 0x98 at word 0x55 (x4 bank width).
    r.w(BASE, x2(CMD_AMD_RESET));
    r.w(BASE, x2(CMD_READ_ARRAY));
    r.w(BASE + 0x55 * 4, x2(CMD_READ_QUERY));
    let q = |i: u64| r.r(BASE + i * 4);
    assert_eq!([q(0x10), q(0x11), q(0x12)], [0x0051_0051, 0x0052_0052, 0x0059_0059], "QRY on both chips");
    let b = |i: u64| q(i) & 0xffff;
    assert_eq!(b(0x13) | b(0x14) << 8, 0x0001, "Intel/Sharp command set");
    let pri = b(0x15) | b(0x16) << 8;
    assert_eq!(1u64 << b(0x27), 32 << 20, "32 MiB per chip");
    assert_eq!(b(0x28) | b(0x29) << 8, 1, "x16");
    assert_eq!(1u64 << b(0x2a), 32, "write buffer");
    assert_eq!(b(0x2c), 1, "one erase region");
    assert_eq!((b(0x2d) | b(0x2e) << 8) + 1, 256, "blocks per chip");
    assert_eq!((b(0x2f) | b(0x30) << 8) * 256, 128 << 10, "block size per chip");
    // Two chips side by side: 256 blocks of 256 KiB = the whole flash.
    assert_eq!(256 * 2 * (128 << 10), FVP_FLASH0_SIZE);
    let pri = u64::from(pri);
    assert_eq!([b(pri), b(pri + 1), b(pri + 2)], [0x50, 0x52, 0x49], "PRI");
    assert_eq!([b(pri + 3), b(pri + 4)], [u32::from(b'1'), u32::from(b'0')]);
    // Back to the array.
    r.w(BASE, x2(CMD_READ_ARRAY));
    assert_eq!(r.r(BASE + 0x10 * 4), 0);
}

#[test]
fn read_identifier_codes_and_lock_status() {
    let r = rig();
    r.nor_lock(MEM_PROT);
    r.nor_send_cmd(BASE, CMD_READ_ID);
    assert_eq!(r.r(BASE), 0x0089_0089);
    assert_eq!(r.r(BASE + 4), 0x001d_001d);
    assert_eq!(r.r(BASE + 8), 0, "block 0 unlocked");
    assert_eq!(r.r(MEM_PROT + 8), 0x0001_0001, "last block locked");
    assert_eq!(r.r(BASE + 0x80 * 4), 0, "protection register");
    r.nor_send_cmd(BASE, CMD_READ_ARRAY);
}

#[test]
fn buffered_program() {
    let r = rig();
    let blk = BASE + BLOCK_SIZE;
    r.nor_erase(blk);
    // 0xE8, status (buffer ready), count - 1 = 3 words per chip, data, confirm.
    r.nor_send_cmd(blk, CMD_BUFFERED_PROGRAM);
    assert_eq!(r.r(blk) & 0x80, 0x80, "XSR: buffer available");
    r.w(blk, x2(3));
    for i in 0..4u64 {
        r.w(blk + 0x40 + 4 * i, 0x1111_1111 * (i + 1));
    }
    assert_eq!(r.flash.state().mode, ReadMode::Status);
    r.nor_send_cmd(blk, CMD_CONFIRM);
    assert_eq!(r.r(blk) & 0xff, u32::from(SR_DWS), "no error");
    r.nor_send_cmd(blk, CMD_READ_ARRAY);
    for i in 0..4u64 {
        assert_eq!(u64::from(r.r(blk + 0x40 + 4 * i)), 0x1111_1111 * (i + 1));
    }
    assert_eq!(r.r(blk + 0x50), 0xffff_ffff);
    // A count larger than the buffer is a sequence error.
    r.nor_send_cmd(blk, CMD_BUFFERED_PROGRAM);
    r.w(blk, x2(63));
    assert_eq!(r.r(blk) & 0xff, u32::from(SR_DWS | SR_PS | SR_ES));
    assert_eq!(r.flash.state().pending, Pending::None);
}

#[test]
fn suspend_resume_and_unknown_commands() {
    let r = rig();
    r.nor_send_cmd(BASE, CMD_SUSPEND);
    assert_eq!(r.r(BASE), 0x0080_0080);
    r.nor_send_cmd(BASE, CMD_CONFIRM);
    assert_eq!(r.r(BASE), 0x0080_0080);
    r.nor_send_cmd(BASE, 0x42);
    r.nor_send_cmd(BASE, 0x42);
    r.nor_send_cmd(BASE, 0x43);
    assert_eq!(r.flash.bad_accesses(), 3);
    assert_eq!(r.flash.state().mode, ReadMode::Status, "unknown commands change nothing");
}

#[test]
fn reset_returns_to_read_array_and_keeps_data() {
    let r = rig();
    r.write_mem_protect(1);
    r.nor_lock(BASE);
    r.nor_send_cmd(BASE, CMD_READ_QUERY);
    r.flash.reset();
    assert_eq!(r.r(MEM_PROT), 1, "non-volatile");
    assert_eq!(r.flash.state().mode, ReadMode::Array);
    assert!(!r.flash.state().locks[0].locked);
}
