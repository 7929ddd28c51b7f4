//! PL011 console routines, emitted into an image as subroutines.
//!
//! They run at any EL and in any security state with the MMU off, use no
//! stack and no memory but the UART (so they work before any stack exists
//! and cannot corrupt a world's data), and are position independent. Each
//! is a leaf: the transmit loop is expanded inline where a routine prints
//! more than one character, so `bl` inside a routine never clobbers LR.
//!
//! Calling convention (own, documented per routine): arguments in x0/x1,
//! clobbers only x0-x1 and x9-x12; x19-x28 are preserved, which is what
//! the EL3 code keeps its state in.
//!
//! The transmit loop is TF-A's `console_pl011_core_putc`: poll
//! `UARTFR.TXFF` until clear, then store the byte to `UARTDR` (ARM DDI 0183,
//! 3.3.1 UARTDR, 3.3.3 UARTFR).

use crate::asm::{Asm, a64};
use crate::platform::{
    UART_FBRD_115200, UART_IBRD_115200, UART0_BASE, UARTCR, UARTCR_EN_TX_RX, UARTFBRD, UARTFR, UARTFR_TXFF_BIT,
    UARTIBRD, UARTLCR_H, UARTLCR_H_8BIT_FIFO,
};
use dynasmrt::DynamicLabel;

/// Entry points of the console routines in one image.
#[derive(Debug, Clone, Copy)]
pub struct Console {
    /// `putc`: w0 = byte. Clobbers x9, x10.
    pub putc: DynamicLabel,
    /// `puts`: x0 = address of a NUL-terminated string. Clobbers x0, x9-x11.
    pub puts: DynamicLabel,
    /// `puthex`: x0 = value, x1 = number of hex digits (1..=16), printed
    /// lower case, most significant first, no prefix. Clobbers x0, x1, x9-x12.
    pub puthex: DynamicLabel,
    /// `put_current_el`: prints the digit `CurrentEL.EL` (bits \[3:2\]) of the
    /// EL it runs at. Clobbers x0, x9, x10.
    pub put_current_el: DynamicLabel,
}

/// Transmits w0 on UART0 (x9 = UART base, w10 = UARTFR scratch).
/// Uses the local label `txff`.
fn emit_tx_w0(a: &mut Asm) {
    a.mov_imm(9, UART0_BASE);
    a64!(a.ops
        ; txff:
        ; ldr w10, [x9, UARTFR as u32]
        ; tbnz w10, UARTFR_TXFF_BIT, <txff
        ; str w0, [x9, UARTDR_OFF]
    );
}

const UARTDR_OFF: u32 = crate::platform::UARTDR as u32;

/// Emits code (not a routine) that programs UART0 for 8-bit words with
/// FIFOs at 115200 baud and enables it, as TF-A's `console_pl011_core_init`
/// does: UARTCR = 0, IBRD/FBRD, UARTLCR_H = WLEN 8 | FEN, UARTCR = UARTEN |
/// TXE | RXE. Clobbers x9, x10.
pub fn emit_init(a: &mut Asm) {
    a.mov_imm(9, UART0_BASE);
    a64!(a.ops
        ; str wzr, [x9, UARTCR as u32]
        ; movz w10, UART_IBRD_115200
        ; str w10, [x9, UARTIBRD as u32]
        ; movz w10, UART_FBRD_115200
        ; str w10, [x9, UARTFBRD as u32]
        ; movz w10, UARTLCR_H_8BIT_FIFO
        ; str w10, [x9, UARTLCR_H as u32]
        ; movz w10, UARTCR_EN_TX_RX
        ; str w10, [x9, UARTCR as u32]
    );
}

impl Console {
    /// Labels for the routines, to be defined by [`Console::emit_routines`]
    /// (calls may be emitted before or after).
    pub fn new(a: &mut Asm) -> Console {
        Console {
            putc: a.ops.new_dynamic_label(),
            puts: a.ops.new_dynamic_label(),
            puthex: a.ops.new_dynamic_label(),
            put_current_el: a.ops.new_dynamic_label(),
        }
    }

    /// Emits the console routines at the current position.
    pub fn emit_routines(&self, a: &mut Asm) {
        emit_routines(a, self)
    }
}

fn emit_routines(a: &mut Asm, c: &Console) {
    a.symbol("putc");
    a64!(a.ops ; =>c.putc);
    emit_tx_w0(a);
    a64!(a.ops ; ret);

    a.symbol("puts");
    a64!(a.ops
        ; =>c.puts
        ; mov x11, x0
        ; next:
        ; ldrb w0, [x11], 1
        ; cbz w0, >done
    );
    emit_tx_w0(a);
    a64!(a.ops
        ; b <next
        ; done:
        ; ret
    );

    a.symbol("puthex");
    a64!(a.ops
        ; =>c.puthex
        ; mov x11, x0
        ; lsl x12, x1, 2          // bit position just above the first digit
        ; digit:
        ; sub x12, x12, 4
        ; lsr x0, x11, x12
        ; and x0, x0, 0xf
        ; cmp x0, 10
        ; b.lo >decimal
        ; add x0, x0, (b'a' - 10) as u32
        ; b >tx
        ; decimal:
        ; add x0, x0, b'0' as u32
        ; tx:
    );
    emit_tx_w0(a);
    a64!(a.ops
        ; cbnz x12, <digit
        ; ret
    );

    a.symbol("put_current_el");
    a64!(a.ops
        ; =>c.put_current_el
        ; mrs x0, crate::sysreg::CURRENT_EL
        ; ubfx x0, x0, 2, 2       // CurrentEL.EL
        ; add x0, x0, b'0' as u32
    );
    emit_tx_w0(a);
    a64!(a.ops ; ret);
}

impl Console {
    /// Emits `adr x0, text ; bl puts` (clobbers x0, x9-x11, x30).
    pub fn print(&self, a: &mut Asm, text: &str) {
        let s = a.string(text);
        a64!(a.ops ; adr x0, =>s ; bl =>self.puts);
    }

    /// Emits a call printing x`xn`'s low `digits` hex digits (clobbers x0,
    /// x1, x9-x12, x30; `xn` must not be one of them unless it is x0).
    pub fn print_hex(&self, a: &mut Asm, xn: u8, digits: u32) {
        assert!((1..=16).contains(&digits));
        assert!(!matches!(xn, 1 | 9..=12 | 30), "x{xn} is clobbered before use");
        if xn != 0 {
            a64!(a.ops ; mov X(0), X(xn));
        }
        a64!(a.ops ; movz x1, digits ; bl =>self.puthex);
    }

    /// Emits the start of a console line: `<who> EL<CurrentEL>` (e.g.
    /// `Root EL3`), the EL read from hardware. Clobbers as `puts`.
    pub fn print_who(&self, a: &mut Asm, who: &str) {
        self.print(a, &format!("{who} EL"));
        a64!(a.ops ; bl =>self.put_current_el);
    }

    /// Emits code printing `line` and a newline, where `line` is one of the
    /// lines a stub lists as what it prints: `<who> EL<n><rest>`, e.g.
    /// `Root EL3: ... powering off`. The digit `n` is what the code is
    /// expected to print; the code prints the EL read from `CurrentEL`
    /// ([`Console::print_who`]). Clobbers as `puts`.
    pub fn print_line(&self, a: &mut Asm, line: &str) {
        let (who, el_rest) = line.split_once(" EL").unwrap_or_else(|| panic!("not a `<who> EL<n>` line: {line}"));
        let rest = el_rest.strip_prefix(|c: char| c.is_ascii_digit()).unwrap_or_else(|| panic!("no EL digit: {line}"));
        self.print_who(a, who);
        self.print(a, &format!("{rest}\n"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tx_loop_polls_txff_then_writes_uartdr() {
        let mut a = Asm::new(0);
        emit_tx_w0(&mut a);
        let img = a.finish("t", 0);
        let w: Vec<u32> = (0..4).map(|i| img.word_at(4 * i).unwrap()).collect();
        assert_eq!(
            w,
            [
                0xd2a3_8129, // movz x9, #0x1c09, lsl #16
                0xb940_192a, // ldr w10, [x9, #0x18]
                0x372f_ffea, // tbnz w10, #5, <ldr>
                0xb900_0120, // str w0, [x9]
            ]
        );
    }
}
