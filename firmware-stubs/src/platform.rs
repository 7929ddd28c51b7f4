//! The few FVP Base RevC facts the stubs rely on (the emulator's
//! `platform/fvp_memory_map.rs` is the full map; TF-A `plat/arm/board/fvp`
//! and the *Fast Models Reference Guide* are the sources).

/// Trusted boot ROM (BL1's place): the CPU resets at EL3 with PC = 0.
pub const TRUSTED_ROM_BASE: u64 = 0x0000_0000;
/// Size of the trusted boot ROM.
pub const TRUSTED_ROM_SIZE: u64 = 64 << 20;
/// Trusted SRAM: stacks and the tour's state.
pub const TRUSTED_SRAM_BASE: u64 = 0x0400_0000;
/// Size of the trusted SRAM.
pub const TRUSTED_SRAM_SIZE: u64 = 256 << 10;

/// PL011 UART0, the boot console.
pub const UART0_BASE: u64 = 0x1c09_0000;
/// PL011 registers (ARM DDI 0183, 3.2 "Summary of registers").
pub const UARTDR: u64 = 0x000;
pub const UARTFR: u64 = 0x018;
pub const UARTIBRD: u64 = 0x024;
pub const UARTFBRD: u64 = 0x028;
pub const UARTLCR_H: u64 = 0x02c;
pub const UARTCR: u64 = 0x030;
/// UARTFR.TXFF, transmit FIFO full (bit number).
pub const UARTFR_TXFF_BIT: u32 = 5;
/// UARTLCR_H: WLEN = 0b11 (8 bits) | FEN (FIFOs enabled).
pub const UARTLCR_H_8BIT_FIFO: u32 = (0b11 << 5) | (1 << 4);
/// UARTCR: UARTEN | TXE | RXE.
pub const UARTCR_EN_TX_RX: u32 = (1 << 0) | (1 << 8) | (1 << 9);
/// 115200 baud from the FVP's 24 MHz UART clock, as TF-A programs it
/// (divisor 24e6 / (16 * 115200) = 13.02: IBRD 13, FBRD 1).
pub const UART_IBRD_115200: u32 = 13;
pub const UART_FBRD_115200: u32 = 1;

/// V2M-P1 motherboard system registers.
pub const V2M_SYSREGS_BASE: u64 = 0x1c01_0000;
pub const SYS_CFGDATA: u64 = 0xa0;
pub const SYS_CFGCTRL: u64 = 0xa4;
/// SYS_CFGCTRL.START.
pub const SYS_CFGCTRL_START: u32 = 1 << 31;
/// SYS_CFGCTRL.WRITE.
pub const SYS_CFGCTRL_WRITE: u32 = 1 << 30;
/// SYS_CFGCTRL.FUNCTION, bits \[25:20\].
pub const SYS_CFGCTRL_FUNC_SHIFT: u32 = 20;
/// SYS_CFGCTRL.FUNCTION = SHUTDOWN (TF-A `V2M_FUNC_SHUTDOWN`).
pub const SYS_CFG_SHUTDOWN: u32 = 8;
/// The SYS_CFGCTRL word that powers the platform off (TF-A
/// `fvp_pwrc`/`v2m_system_off`).
pub const SYS_CFGCTRL_SHUTDOWN: u32 =
    SYS_CFGCTRL_START | SYS_CFGCTRL_WRITE | (SYS_CFG_SHUTDOWN << SYS_CFGCTRL_FUNC_SHIFT);
