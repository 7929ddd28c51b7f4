//! virtio-mmio empty-slot tests (VIRTIO 1.2, 4.2.2 Table 4.1), through a
//! real `PhysBus` at FVP's virtio@130000, replaying Linux's
//! `virtio_mmio_probe` checks.

mod common;

use common::MappedDevice;
use rme_devices::virtio_mmio::*;

fn slot() -> MappedDevice<VirtioMmioSlot> {
    MappedDevice::new(
        "virtio0",
        FVP_VIRTIO_BASES[0],
        VIRTIO_MMIO_SIZE,
        VirtioMmioSlot::new("virtio0"),
    )
}

#[test]
fn identification_says_no_device() {
    let s = slot();
    assert_eq!(s.r(MAGIC_VALUE), 0x7472_6976);
    assert_eq!(s.r(MAGIC_VALUE).to_le_bytes(), *b"virt");
    assert_eq!(s.r(VERSION), 2);
    assert_eq!(
        s.r(DEVICE_ID),
        0,
        "4.2.3.1.1: the driver ignores DeviceID 0"
    );
    assert_eq!(s.r(VENDOR_ID), VENDOR_ID_VALUE);
    assert_eq!(s.dev.bad_accesses(), 0);
}

#[test]
fn registers_of_an_empty_slot() {
    let s = slot();
    for reg in [
        DEVICE_FEATURES,
        QUEUE_NUM_MAX,
        QUEUE_READY,
        INTERRUPT_STATUS,
        STATUS,
        QUEUE_RESET,
        CONFIG_GENERATION,
    ] {
        assert_eq!(s.r(reg), 0, "{reg:#x}");
    }
    // No shared memory region: length -1, base all ones.
    for reg in [SHM_LEN_LOW, SHM_LEN_HIGH, SHM_BASE_LOW, SHM_BASE_HIGH] {
        assert_eq!(s.r(reg), 0xffff_ffff, "{reg:#x}");
    }
    assert_eq!(s.r(CONFIG), 0);
    assert_eq!(s.r(0x1fc), 0);
    assert_eq!(s.dev.bad_accesses(), 0);
}

#[test]
fn writes_are_ignored() {
    let s = slot();
    // A driver that did not check DeviceID: reset, ACKNOWLEDGE | DRIVER,
    // select features and a queue, try to make it ready.
    s.w(STATUS, 0);
    s.w(STATUS, 1 | 2);
    s.w(DEVICE_FEATURES_SEL, 1);
    s.w(DRIVER_FEATURES, 0xffff_ffff);
    s.w(DRIVER_FEATURES_SEL, 1);
    s.w(QUEUE_SEL, 0);
    s.w(QUEUE_NUM, 128);
    for reg in [
        QUEUE_DESC_LOW,
        QUEUE_DESC_HIGH,
        QUEUE_DRIVER_LOW,
        QUEUE_DRIVER_HIGH,
        QUEUE_DEVICE_LOW,
        QUEUE_DEVICE_HIGH,
    ] {
        s.w(reg, 0x8000_0000);
    }
    s.w(QUEUE_READY, 1);
    s.w(QUEUE_NOTIFY, 0);
    s.w(INTERRUPT_ACK, 1);
    s.w(SHM_SEL, 0);
    s.w(QUEUE_RESET, 1);
    s.w(CONFIG, 0x1234);
    assert_eq!(s.dev.bad_accesses(), 0);
    assert_eq!(s.r(STATUS), 0);
    assert_eq!(s.r(QUEUE_READY), 0);
    assert_eq!(s.r(QUEUE_NUM_MAX), 0);
    assert_eq!(s.r(DEVICE_FEATURES), 0);
    assert_eq!(s.r(INTERRUPT_STATUS), 0);
    assert_eq!(s.r(CONFIG), 0);
    // The identification registers are read-only.
    s.w(MAGIC_VALUE, 0);
    s.w(DEVICE_ID, 2);
    assert_eq!(s.r(MAGIC_VALUE), 0x7472_6976);
    assert_eq!(s.r(DEVICE_ID), 0);
    assert_eq!(s.dev.bad_accesses(), 2);
}

#[test]
fn bad_accesses_are_counted_not_fatal() {
    let s = slot();
    assert_eq!(s.r(QUEUE_SEL), 0, "write-only");
    assert_eq!(s.r(0x018), 0, "no register");
    s.w(0x0a8, 1);
    assert_eq!(s.dev.bad_accesses(), 3);
    // Outside the 0x200-byte slot: no device, a bus error.
    assert!(
        s.bus
            .read(FVP_VIRTIO_BASES[0] + VIRTIO_MMIO_SIZE, 4, common::root())
            .is_err()
    );
}
