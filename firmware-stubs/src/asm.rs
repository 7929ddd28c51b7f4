//! The assembler the stubs are written with: dynasm's aarch64
//! `VecAssembler` plus the bookkeeping an image needs (symbols, a string
//! pool) and a few multi-instruction helpers.

use crate::image::FirmwareImage;
use dynasmrt::aarch64::Aarch64Relocation;
use dynasmrt::{DynamicLabel, DynasmApi, DynasmLabelApi, VecAssembler};

/// `dynasm!` with `.arch aarch64` selected: `a64!(asm.ops ; movz x0, 1)`.
macro_rules! a64 {
    ($ops:expr ; $($t:tt)*) => {{
        #[allow(unused_imports)]
        use dynasmrt::{DynasmApi as _, DynasmLabelApi as _};
        dynasmrt::dynasm!($ops ; .arch aarch64 ; $($t)*)
    }};
}
pub(crate) use a64;

/// An image under construction at physical address `base`.
pub struct Asm {
    /// The instruction stream (`a64!(asm.ops ; ...)` appends to it).
    pub ops: VecAssembler<Aarch64Relocation>,
    base: u64,
    symbols: Vec<(&'static str, u64)>,
    strings: Vec<(String, DynamicLabel)>,
}

impl Asm {
    /// An empty image whose first byte will sit at physical `base`.
    pub fn new(base: u64) -> Asm {
        let ops = VecAssembler::new(usize::try_from(base).expect("base fits the host"));
        Asm { ops, base, symbols: Vec::new(), strings: Vec::new() }
    }

    /// Physical address of the next byte emitted.
    pub fn here(&self) -> u64 {
        self.base + self.ops.offset().0 as u64
    }

    /// Names the current address (`FirmwareImage::symbols`).
    pub fn symbol(&mut self, name: &'static str) {
        let here = self.here();
        self.symbols.push((name, here));
    }

    /// Pads with zero bytes (`UDF #0` when executed) to a multiple of
    /// `align` bytes of the physical address.
    pub fn align(&mut self, align: u64) {
        assert!(align.is_power_of_two());
        while !self.here().is_multiple_of(align) {
            self.ops.push(0);
        }
    }

    /// A label for the NUL-terminated `text`, placed in the string pool
    /// that [`Asm::finish`] emits after the code. The same text gets the
    /// same label.
    pub fn string(&mut self, text: &str) -> DynamicLabel {
        assert!(!text.contains('\0'), "strings are NUL-terminated");
        if let Some((_, l)) = self.strings.iter().find(|(t, _)| t == text) {
            return *l;
        }
        let l = self.ops.new_dynamic_label();
        self.strings.push((text.to_owned(), l));
        l
    }

    /// `Xd = value` with MOVZ and as many MOVK as there are non-zero
    /// 16-bit chunks above the first (1 to 4 instructions).
    pub fn mov_imm(&mut self, xd: u8, value: u64) {
        let chunks: Vec<(u32, u32)> =
            (0..4u32).map(|i| (((value >> (16 * i)) & 0xffff) as u32, 16 * i)).filter(|&(c, _)| c != 0).collect();
        match chunks.split_first() {
            None => a64!(self.ops ; movz X(xd), 0),
            Some((&(c, s), rest)) => {
                a64!(self.ops ; movz X(xd), c, lsl s);
                for &(c, s) in rest {
                    a64!(self.ops ; movk X(xd), c, lsl s);
                }
            }
        }
    }

    /// Emits `halt: wfi ; b halt`: stops here for good. WFI is a hint that
    /// may complete at any time (Arm ARM, "Wait for Interrupt"), hence the
    /// loop.
    pub fn wfi_forever(&mut self) {
        a64!(self.ops
            ; halt:
            ; wfi
            ; b <halt
        );
    }

    /// Emits the string pool and returns the finished image.
    pub fn finish(mut self, name: &'static str, entry: u64) -> FirmwareImage {
        self.symbol("strings");
        for (text, label) in std::mem::take(&mut self.strings) {
            self.ops.dynamic_label(label);
            self.ops.extend(text.as_bytes());
            self.ops.push(0);
        }
        self.align(4);
        let bytes = self.ops.finalize().unwrap_or_else(|e| panic!("{name}: unresolved label: {e:?}"));
        FirmwareImage { name, load_addr: self.base, entry, bytes, symbols: self.symbols }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(a: Asm) -> Vec<u32> {
        a.finish("t", 0).bytes.chunks(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect()
    }

    #[test]
    fn mov_imm_uses_movz_then_movk() {
        let mut a = Asm::new(0);
        a.mov_imm(3, 0x4000_0000_0000_053f);
        // movz x3, #0x53f ; movk x3, #0x4000, lsl #48
        assert_eq!(words(a), [0xd280_a7e3, 0xf2e8_0003]);
        let mut a = Asm::new(0);
        a.mov_imm(0, 0);
        assert_eq!(words(a), [0xd280_0000]);
        let mut a = Asm::new(0);
        a.mov_imm(9, 0x1c09_0000);
        assert_eq!(words(a), [0xd2a3_8129]);
    }

    #[test]
    fn strings_are_pooled_and_nul_terminated() {
        let mut a = Asm::new(0x1000);
        let l1 = a.string("ab");
        let l2 = a.string("ab");
        assert_eq!(l1, l2);
        a64!(a.ops ; adr x0, =>l1);
        let img = a.finish("t", 0x1000);
        assert_eq!(img.symbol("strings"), Some(0x1004));
        assert_eq!(&img.bytes[4..7], b"ab\0");
        // adr x0, #4
        assert_eq!(img.word_at(0x1000), Some(0x1000_0020));
    }
}
