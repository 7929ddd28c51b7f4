//! The virtio-mmio transport of an empty slot: FVP Base RevC's device tree
//! lists four `virtio,mmio` nodes on the motherboard bus (0x200 bytes
//! each): virtio@130000 (0x1c13_0000, SPI 42; the FVP's block device),
//! virtio@140000 (0x1c14_0000, SPI 43), virtio@150000 (0x1c15_0000, SPI
//! 44) and virtio@200000 (0x1c20_0000, SPI 46, `status = "disabled"`).
//!
//! Reference: *Virtual I/O Device (VIRTIO) Version 1.2*, OASIS, section
//! 4.2 "Virtio Over MMIO": 4.2.2 "MMIO Device Register Layout" (Table
//! 4.1), 4.2.2.1 "Device Requirements", 4.2.3.1.1 "Driver Requirements:
//! Device Initialization" ("The driver MUST ignore a device with DeviceID
//! 0x0, but MUST check for MagicValue and Version"), and 5 "Device Types"
//! (Table 5.1: device ID 0 is reserved, invalid). Linux `virtio_mmio_probe` reads
//! MagicValue, Version and DeviceID and, on DeviceID 0, gives up on the
//! slot quietly (-ENODEV) without touching any other register.
//!
//! A [`VirtioMmioSlot`] is the register block of a transport with no device
//! behind it:
//! * MagicValue (0x000) = 0x74726976 ("virt"), Version (0x004) = 2 (the
//!   non-legacy interface), DeviceID (0x008) = 0 (no device), VendorID
//!   (0x00c) = [`VENDOR_ID_VALUE`].
//! * The other readable registers of Table 4.1 (DeviceFeatures,
//!   QueueNumMax, QueueReady, InterruptStatus, Status, QueueReset,
//!   ConfigGeneration) read 0: no features, no queues (QueueNumMax 0), no
//!   interrupts, a Status that stays 0 (reset). The exception is the shared
//!   memory registers: no region exists, and 4.2.2 gives a non-existent
//!   region SHMLen -1 and SHMBase 0xffffffffffffffff, so SHMLenLow/High and
//!   SHMBaseLow/High read 0xffffffff.
//! * Writes to the writable registers (DeviceFeaturesSel, DriverFeatures,
//!   DriverFeaturesSel, QueueSel, QueueNum, QueueReady, QueueNotify,
//!   InterruptACK, Status, the queue address registers, SHMSel, QueueReset)
//!   are accepted and ignored: there is no device to take them.
//! * The device-specific configuration space (0x100..0x200) of a
//!   device-less slot is empty: reads 0, writes ignored.
//! * Writes to read-only registers, reads of write-only registers and
//!   accesses to offsets with no register read as zero and are ignored,
//!   logged once per offset (target `platform`) and counted
//!   ([`VirtioMmioSlot::bad_accesses`]).
//!
//! Spec 4.2.2: "All register values are organized as Little Endian", and
//! the control registers are 32 bits wide: accesses are decoded like the
//! other devices' (1, 2 or 4 bytes at a word-aligned offset).
//!
//! The interrupt line (`interrupts` in the device tree) stays low: with no
//! device, InterruptStatus never has a bit set.
//!
//! Device backends (block, net, ...) come later: a slot with a backend
//! will report its DeviceID and run the feature negotiation and the
//! virtqueues of 4.2.3 here.

use crate::access::{BadAccess, BadAccesses, mmio_device_of_registers};
use rme_mmu::AccessAttrs;

/// FVP Base RevC's virtio-mmio slots (`virtio@130000`, `@140000`,
/// `@150000`, `@200000`) and their motherboard interrupts (GIC SPIs).
pub const FVP_VIRTIO_BASES: [u64; 4] = [0x1c13_0000, 0x1c14_0000, 0x1c15_0000, 0x1c20_0000];
pub const FVP_VIRTIO_SPIS: [u32; 4] = [42, 43, 44, 46];
/// The size of one slot (`reg = <... 0x200>`).
pub const VIRTIO_MMIO_SIZE: u64 = 0x200;

/// Table 4.1 register offsets.
pub const MAGIC_VALUE: u64 = 0x000;
pub const VERSION: u64 = 0x004;
pub const DEVICE_ID: u64 = 0x008;
pub const VENDOR_ID: u64 = 0x00c;
pub const DEVICE_FEATURES: u64 = 0x010;
pub const DEVICE_FEATURES_SEL: u64 = 0x014;
pub const DRIVER_FEATURES: u64 = 0x020;
pub const DRIVER_FEATURES_SEL: u64 = 0x024;
pub const QUEUE_SEL: u64 = 0x030;
pub const QUEUE_NUM_MAX: u64 = 0x034;
pub const QUEUE_NUM: u64 = 0x038;
pub const QUEUE_READY: u64 = 0x044;
pub const QUEUE_NOTIFY: u64 = 0x050;
pub const INTERRUPT_STATUS: u64 = 0x060;
pub const INTERRUPT_ACK: u64 = 0x064;
pub const STATUS: u64 = 0x070;
pub const QUEUE_DESC_LOW: u64 = 0x080;
pub const QUEUE_DESC_HIGH: u64 = 0x084;
pub const QUEUE_DRIVER_LOW: u64 = 0x090;
pub const QUEUE_DRIVER_HIGH: u64 = 0x094;
pub const QUEUE_DEVICE_LOW: u64 = 0x0a0;
pub const QUEUE_DEVICE_HIGH: u64 = 0x0a4;
pub const SHM_SEL: u64 = 0x0ac;
pub const SHM_LEN_LOW: u64 = 0x0b0;
pub const SHM_LEN_HIGH: u64 = 0x0b4;
pub const SHM_BASE_LOW: u64 = 0x0b8;
pub const SHM_BASE_HIGH: u64 = 0x0bc;
pub const QUEUE_RESET: u64 = 0x0c0;
pub const CONFIG_GENERATION: u64 = 0x0fc;
/// The device-specific configuration space.
pub const CONFIG: u64 = 0x100;

/// MagicValue: "virt" in little-endian bytes.
pub const MAGIC: u32 = 0x7472_6976;
/// Version 2: the virtio 1.x (non-legacy) MMIO interface.
pub const TRANSPORT_VERSION: u32 = 2;
/// DeviceID 0: reserved, no device (4.2.3.1.1: the driver ignores the slot).
pub const NO_DEVICE: u32 = 0;
/// The VendorID this emulator reports: "RMEE" in little-endian bytes
/// (0x45454d52). The specification assigns no VendorIDs to MMIO
/// transports; implementations identify themselves with four ASCII bytes
/// (QEMU "QEMU" 0x554d4551, kvmtool "LKVM"). The FVP's own value is not
/// documented in the sources at hand, so the emulator names itself rather
/// than claim to be QEMU or Arm. Drivers do not look at it for DeviceID 0.
pub const VENDOR_ID_VALUE: u32 = u32::from_le_bytes(*b"RMEE");

/// 4.2.2 SHMLenLow/High and SHMBaseLow/High of a shared memory region that
/// does not exist: a length of -1 and a base of 0xffff_ffff_ffff_ffff.
const SHM_ABSENT: u32 = u32::MAX;

/// One virtio-mmio transport with no device behind it.
pub struct VirtioMmioSlot {
    name: String,
    bad: BadAccesses,
}

impl VirtioMmioSlot {
    /// An empty slot named `name` in logs ("virtio0").
    pub fn new(name: impl Into<String>) -> VirtioMmioSlot {
        VirtioMmioSlot {
            name: name.into(),
            bad: BadAccesses::default(),
        }
    }

    /// Accesses that reached no register (see the module documentation).
    pub fn bad_accesses(&self) -> u64 {
        self.bad.count()
    }

    fn bad_access(&self, offset: u64, size: u8, write: bool, why: BadAccess) {
        self.bad.report(&self.name, offset, size, write, why);
    }

    fn read_reg(&self, reg: u64, _attrs: AccessAttrs) -> Result<u32, BadAccess> {
        match reg {
            MAGIC_VALUE => Ok(MAGIC),
            VERSION => Ok(TRANSPORT_VERSION),
            DEVICE_ID => Ok(NO_DEVICE),
            VENDOR_ID => Ok(VENDOR_ID_VALUE),
            // No features, no queues, no interrupts, status 0 (reset).
            DEVICE_FEATURES | QUEUE_NUM_MAX | QUEUE_READY | INTERRUPT_STATUS | STATUS
            | QUEUE_RESET | CONFIG_GENERATION => Ok(0),
            // 4.2.2: reading SHMLen/SHMBase of a non-existent region (and
            // with no device, none exists) gives a length of -1 and a base
            // of 0xffffffffffffffff.
            SHM_LEN_LOW | SHM_LEN_HIGH | SHM_BASE_LOW | SHM_BASE_HIGH => Ok(SHM_ABSENT),
            // An empty device-specific configuration space.
            r if (CONFIG..VIRTIO_MMIO_SIZE).contains(&r) => Ok(0),
            DEVICE_FEATURES_SEL | DRIVER_FEATURES | DRIVER_FEATURES_SEL | QUEUE_SEL | QUEUE_NUM
            | QUEUE_NOTIFY | INTERRUPT_ACK | QUEUE_DESC_LOW | QUEUE_DESC_HIGH
            | QUEUE_DRIVER_LOW | QUEUE_DRIVER_HIGH | QUEUE_DEVICE_LOW | QUEUE_DEVICE_HIGH
            | SHM_SEL => Err(BadAccess::WriteOnly),
            _ => Err(BadAccess::NoRegister),
        }
    }

    fn write_reg(&self, reg: u64, _value: u32, _attrs: AccessAttrs) -> Result<(), BadAccess> {
        match reg {
            MAGIC_VALUE | VERSION | DEVICE_ID | VENDOR_ID | DEVICE_FEATURES | QUEUE_NUM_MAX
            | INTERRUPT_STATUS | SHM_LEN_LOW | SHM_LEN_HIGH | SHM_BASE_LOW | SHM_BASE_HIGH
            | CONFIG_GENERATION => Err(BadAccess::ReadOnly),
            // Write-ignored: there is no device to take them.
            DEVICE_FEATURES_SEL | DRIVER_FEATURES | DRIVER_FEATURES_SEL | QUEUE_SEL | QUEUE_NUM
            | QUEUE_READY | QUEUE_NOTIFY | INTERRUPT_ACK | STATUS | QUEUE_DESC_LOW
            | QUEUE_DESC_HIGH | QUEUE_DRIVER_LOW | QUEUE_DRIVER_HIGH | QUEUE_DEVICE_LOW
            | QUEUE_DEVICE_HIGH | SHM_SEL | QUEUE_RESET => Ok(()),
            r if (CONFIG..VIRTIO_MMIO_SIZE).contains(&r) => Ok(()),
            _ => Err(BadAccess::NoRegister),
        }
    }
}

mmio_device_of_registers!(VirtioMmioSlot, |self| &self.name);
