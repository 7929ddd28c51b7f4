//! Powering the FVP off: the V2M system registers' configuration bus.
//!
//! As TF-A's `v2m_system_off` / PSCI `SYSTEM_OFF` on FVP: SYS_CFGDATA = 0,
//! then SYS_CFGCTRL = START | WRITE | FUNCTION(SHUTDOWN), then wait in WFI
//! for the model to stop.

use crate::asm::{Asm, a64};
use crate::platform::{SYS_CFGCTRL, SYS_CFGCTRL_SHUTDOWN, SYS_CFGDATA, V2M_SYSREGS_BASE};
use dynasmrt::DynamicLabel;

/// Emits the power-off code at `l` (entered by branch; never returns).
/// Clobbers x9, x10.
pub fn emit_power_off(a: &mut Asm, l: DynamicLabel) {
    a.symbol("power_off");
    a64!(a.ops ; =>l);
    a.mov_imm(9, V2M_SYSREGS_BASE);
    a64!(a.ops ; str wzr, [x9, SYS_CFGDATA as u32]);
    a.mov_imm(10, u64::from(SYS_CFGCTRL_SHUTDOWN));
    a64!(a.ops
        ; str w10, [x9, SYS_CFGCTRL as u32]
        ; dsb sy
    );
    a.wfi_forever();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shutdown_word() {
        assert_eq!(SYS_CFGCTRL_SHUTDOWN, 0xc080_0000);
        let mut a = Asm::new(0);
        let l = a.ops.new_dynamic_label();
        emit_power_off(&mut a, l);
        let img = a.finish("t", 0);
        let w: Vec<u32> = (0..6).map(|i| img.word_at(4 * i).unwrap()).collect();
        assert_eq!(
            w,
            [
                0xd2a3_8029, // movz x9, #0x1c01, lsl #16
                0xb900_a13f, // str wzr, [x9, #0xa0]
                0xd2b8_100a, // movz x10, #0xc080, lsl #16
                0xb900_a52a, // str w10, [x9, #0xa4]
                0xd503_3f9f, // dsb sy
                0xd503_207f, // wfi
            ]
        );
    }
}
