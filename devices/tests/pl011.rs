//! PL011 tests: each register driven through a real `PhysBus` at the FVP
//! UART addresses.

use rme_devices::pl011::*;
use rme_mmu::{AccessAttrs, BusError, Pas, PhysBus};
use std::sync::Arc;

const UART0: u64 = 0x1c09_0000;

struct Rig {
    bus: PhysBus,
    uart: Arc<Pl011>,
    out: BufferSink,
}

fn a() -> AccessAttrs {
    AccessAttrs::cpu(0, Pas::Root)
}

fn rig() -> Rig {
    let out = BufferSink::new();
    let uart = Arc::new(Pl011::new("uart0", Box::new(out.clone())));
    let mut bus = PhysBus::new();
    bus.add_mmio("uart0", UART0, 0x1000, uart.clone()).unwrap();
    Rig { bus, uart, out }
}

impl Rig {
    fn r(&self, off: u64) -> u64 {
        self.bus.read(UART0 + off, 4, a()).unwrap()
    }
    fn w(&self, off: u64, v: u64) {
        self.bus.write(UART0 + off, 4, v, a()).unwrap()
    }
    /// TF-A's console_pl011_core_init: 8N1, FIFOs on, UART/TX/RX enabled.
    fn enable(&self) {
        self.w(UARTCR, 0);
        self.w(UARTIBRD, 0x1);
        self.w(UARTFBRD, 0x2);
        self.w(UARTLCR_H, 0x70);
        self.w(UARTRSR, 0);
        self.w(UARTCR, u64::from(CR_UARTEN | CR_TXE | CR_RXE));
    }
}

#[test]
fn uartdr_write_reaches_sink() {
    let r = rig();
    r.enable();
    for &c in b"hi\n" {
        r.w(UARTDR, u64::from(c));
    }
    // Linux earlycon writes UARTDR with writeb; only [7:0] is data.
    r.bus.write(UART0 + UARTDR, 1, u64::from(b'!'), a()).unwrap();
    r.w(UARTDR, 0xf00 | u64::from(b'x'));
    assert_eq!(r.out.text(), "hi\n!x");
    assert_eq!(r.out.take_text(), "hi\n!x");
    assert!(r.out.is_empty());
}

#[test]
fn uartdr_read_pops_rx_fifo_in_order() {
    let r = rig();
    r.enable();
    assert_eq!(r.uart.push_rx(b"ab"), 2);
    assert_eq!(r.r(UARTDR), u64::from(b'a'));
    assert_eq!(r.r(UARTDR), u64::from(b'b'));
    // Empty FIFO reads as 0 and changes nothing.
    assert_eq!(r.r(UARTDR), 0);
    assert_ne!(r.r(UARTFR) & u64::from(FR_RXFE), 0);
}

#[test]
fn uartfr_reset_and_transmit_flags() {
    let r = rig();
    assert_eq!(r.r(UARTFR), u64::from(FR_TXFE | FR_RXFE));
    r.enable();
    for _ in 0..1000 {
        r.w(UARTDR, u64::from(b'.'));
        // TF-A putc polls TXFF, flush polls BUSY: neither is ever set.
        let fr = r.r(UARTFR) as u32;
        assert_eq!(fr & (FR_TXFF | FR_BUSY), 0);
        assert_ne!(fr & FR_TXFE, 0);
    }
    assert_eq!(r.out.len(), 1000);
    // 8-bit read of UARTFR returns the low byte.
    assert_eq!(r.bus.read(UART0 + UARTFR, 1, a()).unwrap(), u64::from(FR_TXFE | FR_RXFE));
}

#[test]
fn uartfr_receive_flags_and_fifo_depth() {
    let r = rig();
    r.enable();
    let data: Vec<u8> = (0..40).collect();
    assert_eq!(r.uart.push_rx(&data), RX_FIFO_DEPTH);
    assert_eq!(r.uart.rx_room(), 0);
    let fr = r.r(UARTFR) as u32;
    assert_eq!(fr & (FR_RXFE | FR_RXFF), FR_RXFF);
    assert_eq!(r.uart.push_rx(b"more"), 0);
    assert_eq!(r.r(UARTDR), 0);
    assert_eq!(r.r(UARTFR) as u32 & (FR_RXFE | FR_RXFF), 0);
    for i in 1..32 {
        assert_eq!(r.r(UARTDR), i);
    }
    assert_eq!(r.r(UARTFR) as u32 & (FR_RXFE | FR_RXFF), FR_RXFE);

    // FIFOs disabled: a one-character holding register.
    r.w(UARTLCR_H, 0x60);
    assert_eq!(r.uart.push_rx(b"xy"), 1);
    assert_eq!(r.r(UARTFR) as u32 & (FR_RXFE | FR_RXFF), FR_RXFF);
    assert_eq!(r.r(UARTDR), u64::from(b'x'));
}

#[test]
fn receiver_disabled_takes_nothing() {
    let r = rig();
    // Reset: UARTEN clear.
    assert_eq!(r.uart.push_rx(b"a"), 0);
    assert_eq!(r.uart.rx_room(), 0);
    r.enable();
    r.w(UARTCR, u64::from(CR_UARTEN | CR_TXE));
    assert_eq!(r.uart.push_rx(b"a"), 0);
    r.w(UARTCR, u64::from(CR_UARTEN | CR_TXE | CR_RXE));
    assert_eq!(r.uart.push_rx(b"a"), 1);
}

#[test]
fn uartrsr_ecr_overrun_in_loopback() {
    let r = rig();
    r.enable();
    r.w(UARTLCR_H, 0x60); // FIFOs off: one-character receive holding register
    r.w(UARTCR, u64::from(CR_UARTEN | CR_TXE | CR_RXE | CR_LBE));
    r.w(UARTDR, u64::from(b'1'));
    assert_eq!(r.r(UARTRSR), 0);
    r.w(UARTDR, u64::from(b'2')); // finds the holding register full
    assert_eq!(r.r(UARTRSR), u64::from(RSR_OE));
    assert_ne!(r.r(UARTRIS) & u64::from(INT_OE), 0);
    assert_eq!(r.r(UARTDR), u64::from(b'1'));
    // Any write to UARTECR clears the error bits.
    r.w(UARTECR, 0x1234);
    assert_eq!(r.r(UARTRSR), 0);
    // Loopback keeps the characters off the console.
    assert!(r.out.is_empty());
}

#[test]
fn loopback_feeds_receiver() {
    let r = rig();
    r.enable();
    r.w(UARTCR, u64::from(CR_UARTEN | CR_TXE | CR_RXE | CR_LBE));
    for &c in b"ok" {
        r.w(UARTDR, u64::from(c));
    }
    assert_eq!(r.r(UARTDR), u64::from(b'o'));
    assert_eq!(r.r(UARTDR), u64::from(b'k'));
    assert!(r.out.is_empty());
}

fn rw_test(off: u64, reset: u64, write: u64, expect: u64) {
    let r = rig();
    assert_eq!(r.r(off), reset, "reset value at {off:#x}");
    r.w(off, write);
    assert_eq!(r.r(off), expect, "after writing {write:#x} at {off:#x}");
    r.uart.reset();
    assert_eq!(r.r(off), reset, "after reset at {off:#x}");
    assert_eq!(r.uart.bad_accesses(), 0);
}

#[test]
fn uartilpr() {
    rw_test(UARTILPR, 0, 0xfff, 0xff);
}

#[test]
fn uartibrd() {
    rw_test(UARTIBRD, 0, 0xf_ffff, 0xffff);
}

#[test]
fn uartfbrd() {
    rw_test(UARTFBRD, 0, 0xff, 0x3f);
}

#[test]
fn uartlcr_h() {
    rw_test(UARTLCR_H, 0, 0x1ff, 0xff);
}

#[test]
fn uartcr() {
    // Bits [6:3] are reserved.
    rw_test(UARTCR, u64::from(CR_RESET), 0xffff_ffff, 0xff87);
}

#[test]
fn uartifls() {
    rw_test(UARTIFLS, u64::from(IFLS_RESET), 0xff, 0x3f);
}

#[test]
fn uartimsc() {
    rw_test(UARTIMSC, 0, 0xffff, 0x7ff);
}

#[test]
fn uartdmacr() {
    rw_test(UARTDMACR, 0, 0xff, 0x7);
}

#[test]
fn lcr_h_fen_change_flushes_receive_fifo() {
    let r = rig();
    r.enable();
    r.uart.push_rx(b"abc");
    r.w(UARTLCR_H, 0x70); // same FEN: kept
    assert_eq!(r.r(UARTDR), u64::from(b'a'));
    r.w(UARTLCR_H, 0x60); // FEN cleared: flushed
    assert_ne!(r.r(UARTFR) & u64::from(FR_RXFE), 0);
    assert_eq!(r.r(UARTRIS) & u64::from(INT_RX | INT_RT), 0);
}

#[test]
fn uartris_tx_interrupt_after_each_character() {
    let r = rig();
    r.enable();
    // Not set just because the FIFO is empty (r1p5: transition through a level).
    assert_eq!(r.r(UARTRIS), 0);
    r.w(UARTDR, u64::from(b'a'));
    assert_eq!(r.r(UARTRIS), u64::from(INT_TX));
    r.w(UARTICR, u64::from(INT_TX));
    assert_eq!(r.r(UARTRIS), 0);
    r.w(UARTDR, u64::from(b'b'));
    assert_eq!(r.r(UARTRIS), u64::from(INT_TX));
}

#[test]
fn uartmis_is_ris_masked_by_imsc_and_drives_irq() {
    let r = rig();
    r.enable();
    r.w(UARTDR, u64::from(b'a'));
    assert_eq!(r.r(UARTMIS), 0);
    assert!(!r.uart.irq_level());
    r.w(UARTIMSC, u64::from(INT_TX));
    assert_eq!(r.r(UARTMIS), u64::from(INT_TX));
    assert!(r.uart.irq_level());
    r.w(UARTIMSC, u64::from(INT_RX | INT_RT));
    assert_eq!(r.r(UARTMIS), 0);
    assert!(!r.uart.irq_level());
    assert_eq!(r.r(UARTRIS), u64::from(INT_TX));
}

#[test]
fn uarticr_clears_only_written_bits() {
    let r = rig();
    r.enable();
    r.w(UARTDR, u64::from(b'a'));
    r.uart.push_rx(b"z");
    assert_eq!(r.r(UARTRIS), u64::from(INT_TX | INT_RT));
    r.w(UARTICR, u64::from(INT_RT));
    assert_eq!(r.r(UARTRIS), u64::from(INT_TX));
    r.w(UARTICR, 0xffff);
    assert_eq!(r.r(UARTRIS), 0);
    // UARTICR is write-only: reads as zero, counted as a bad access.
    assert_eq!(r.r(UARTICR), 0);
    assert_eq!(r.uart.bad_accesses(), 1);
}

#[test]
fn rx_interrupts_trigger_level_and_timeout() {
    let r = rig();
    r.enable();
    r.w(UARTIFLS, 0); // RXIFLSEL = 1/8: 4 characters
    r.w(UARTIMSC, u64::from(INT_RX | INT_RT));
    r.w(UARTICR, 0x7ff);
    // A short burst: below the trigger level, only the receive timeout.
    assert_eq!(r.uart.push_rx(b"ab"), 2);
    assert_eq!(r.r(UARTRIS), u64::from(INT_RT));
    assert!(r.uart.irq_level());
    // Reaching the trigger level sets RXRIS.
    assert_eq!(r.uart.push_rx(b"cd"), 2);
    assert_eq!(r.r(UARTMIS), u64::from(INT_RX | INT_RT));
    // Reading below the level clears RXRIS; emptying clears RTRIS.
    assert_eq!(r.r(UARTDR), u64::from(b'a'));
    assert_eq!(r.r(UARTRIS), u64::from(INT_RT));
    for c in *b"bcd" {
        assert_eq!(r.r(UARTDR), u64::from(c));
    }
    assert_eq!(r.r(UARTRIS), 0);
    assert!(!r.uart.irq_level());
}

#[test]
fn rx_interrupt_without_fifo_is_one_character() {
    let r = rig();
    r.enable();
    r.w(UARTLCR_H, 0x60);
    r.uart.push_rx(b"q");
    assert_eq!(r.r(UARTRIS), u64::from(INT_RX | INT_RT));
    r.r(UARTDR);
    assert_eq!(r.r(UARTRIS), 0);
}

#[test]
fn peripheral_and_primecell_ids() {
    let r = rig();
    let ids: Vec<u64> = (0..8).map(|i| r.r(UARTPERIPHID0 + 4 * i)).collect();
    assert_eq!(ids, [0x11, 0x10, 0x34, 0x00, 0x0d, 0xf0, 0x05, 0xb1]);
    // Read-only.
    r.w(UARTPERIPHID0, 0);
    assert_eq!(r.r(UARTPERIPHID0), 0x11);
    assert_eq!(r.uart.bad_accesses(), 1);
}

#[test]
fn unknown_and_malformed_accesses_are_counted_not_fatal() {
    let r = rig();
    r.enable();
    let before = r.uart.state();
    assert_eq!(r.r(0x100), 0);
    r.w(0x100, 0xffff_ffff);
    assert_eq!(r.r(0xffc - 0x20 - 4), 0); // 0xfd8: below the ID registers
    r.w(UARTFR, 0xffff_ffff); // read-only
    r.w(UARTRIS, 0xffff_ffff);
    r.w(UARTMIS, 0xffff_ffff);
    // Unaligned and 64-bit accesses reach no register, even at UARTDR.
    assert_eq!(r.bus.read(UART0 + 1, 1, a()).unwrap(), 0);
    r.bus.write(UART0 + 2, 2, 0x41, a()).unwrap();
    r.bus.write(UART0, 8, 0x41, a()).unwrap();
    assert_eq!(r.bus.read(UART0 + UARTCR, 8, a()).unwrap(), 0);
    assert_eq!(r.uart.bad_accesses(), 10);
    assert_eq!(r.uart.state(), before);
    assert!(r.out.is_empty());
    // The region ends at 4 KiB: beyond is the bus's business, not the device's.
    assert!(matches!(r.bus.read(UART0 + 0x1000, 4, a()), Err(BusError::Unmapped { .. })));
}

#[test]
fn every_offset_and_size_is_safe() {
    let r = rig();
    r.enable();
    for off in 0..0x1000u64 {
        for size in [1u8, 2, 4, 8] {
            if off + u64::from(size) > 0x1000 {
                continue;
            }
            let _ = r.bus.read(UART0 + off, size, a()).unwrap();
            if off != UARTDR {
                r.bus.write(UART0 + off, size, u64::MAX, a()).unwrap();
            }
        }
    }
    assert!(r.uart.bad_accesses() > 0);
}

#[test]
fn four_uarts_are_independent() {
    let bases = [0x1c09_0000u64, 0x1c0a_0000, 0x1c0b_0000, 0x1c0c_0000];
    let mut bus = PhysBus::new();
    let mut sinks = Vec::new();
    for (i, &base) in bases.iter().enumerate() {
        let out = BufferSink::new();
        let uart = Arc::new(Pl011::new(format!("uart{i}"), Box::new(out.clone())));
        assert_eq!(rme_mmu::MmioDevice::name(&*uart), format!("uart{i}"));
        bus.add_mmio(&format!("uart{i}"), base, 0x1000, uart).unwrap();
        sinks.push(out);
    }
    for (i, &base) in bases.iter().enumerate() {
        bus.write(base + UARTDR, 4, u64::from(b'0' + i as u8), a()).unwrap();
    }
    let got: Vec<String> = sinks.iter().map(|s| s.text()).collect();
    assert_eq!(got, ["0", "1", "2", "3"]);
}

#[test]
fn file_and_null_sinks() {
    let path = std::env::temp_dir().join(format!("rme-devices-pl011-{}.log", std::process::id()));
    {
        let uart = Pl011::new("uart1", Box::new(FileSink::create(&path).unwrap()));
        let mut bus = PhysBus::new();
        let uart = Arc::new(uart);
        bus.add_mmio("uart1", 0x1c0a_0000, 0x1000, uart.clone()).unwrap();
        for &c in b"BL31: ok\npartial" {
            bus.write(0x1c0a_0000 + UARTDR, 4, u64::from(c), a()).unwrap();
        }
        // Flushed at the newline; the rest on flush().
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "BL31: ok\n");
        uart.flush();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "BL31: ok\npartial");
        // Swapping in a NullSink discards further output.
        let _old = uart.set_sink(Box::new(NullSink));
        bus.write(0x1c0a_0000 + UARTDR, 4, u64::from(b'x'), a()).unwrap();
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "BL31: ok\npartial");
    let _ = std::fs::remove_file(&path);
}

#[test]
fn reset_restores_registers_and_empties_fifo() {
    let r = rig();
    r.enable();
    r.uart.push_rx(b"abc");
    r.w(UARTIMSC, 0x7ff);
    r.w(UARTDR, u64::from(b'a'));
    r.uart.reset();
    assert_eq!(r.uart.state(), Pl011State::default());
    assert_eq!(r.r(UARTFR), u64::from(FR_TXFE | FR_RXFE));
    assert!(!r.uart.irq_level());
    assert_eq!(r.out.text(), "a");
}

#[test]
fn concurrent_writers_lose_nothing() {
    let r = rig();
    r.enable();
    let bus = Arc::new(r.bus);
    let threads: Vec<_> = (0..4)
        .map(|cpu| {
            let bus = bus.clone();
            std::thread::spawn(move || {
                for _ in 0..500 {
                    bus.write(UART0 + UARTDR, 4, u64::from(b'a' + cpu as u8), AccessAttrs::cpu(cpu, Pas::Root))
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let out = r.out.bytes();
    assert_eq!(out.len(), 2000);
    for c in b"abcd" {
        assert_eq!(out.iter().filter(|&&b| b == *c).count(), 500);
    }
}
