//! A64 decoding (Arm ARM C4.1 "A64 instruction set encoding").
//!
//! The encodings live in one table file per top-level encoding group
//! (`data_proc_imm.decode`, `branch_exc_sys.decode`, `loads_stores.decode`,
//! `data_proc_reg.decode`); `build.rs` turns them into [`Insn`], [`decode`]
//! and [`ENCODINGS`]. Decoding is total: every 32-bit word gives an `Insn`,
//! `Insn::Undefined` for unallocated encodings. Constraints that a table row
//! cannot express (e.g. `sf == 0 && N == 1`) are checked by the semantic
//! function, which then raises UNDEFINED.
// The generated field extraction shifts by 0 and masks whole words.
#![allow(clippy::identity_op)]

/// A named field of an encoding row.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    pub name: &'static str,
    pub lsb: u32,
    pub width: u32,
}

/// One row of the encoding tables.
#[derive(Clone, Copy, Debug)]
pub struct Encoding {
    pub name: &'static str,
    /// The table file (`"loads_stores"`, ...).
    pub group: &'static str,
    pub mask: u32,
    pub value: u32,
    pub fields: &'static [Field],
}

impl Encoding {
    /// Does `word` match this row's fixed bits?
    pub fn matches(&self, word: u32) -> bool {
        word & self.mask == self.value
    }
}

include!(concat!(env!("OUT_DIR"), "/decode_gen.rs"));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_words_decode_to_their_rows() {
        // add x0, x1, #1
        assert_eq!(decode(0x9100_0420), Insn::AddSubImm { sf: 1, op: 0, s: 0, sh: 0, imm12: 1, rn: 1, rd: 0 });
        // ret
        assert_eq!(decode(0xd65f_03c0).name(), "BranchReg");
        // ldr x0, [x1]
        assert_eq!(decode(0xf940_0020).name(), "LdStUImm");
        // msr daifset, #0xf
        assert_eq!(decode(0xd503_4fdf).name(), "MsrImm");
        // udf #0
        assert_eq!(decode(0x0000_0000), Insn::Undefined);
        // ldadd x1, x2, [x3]
        assert_eq!(decode(0xf821_0062).name(), "LdStAtomic");
        // mrs x0, CurrentEL
        assert_eq!(decode(0xd538_4240).name(), "MoveSysReg");
    }

    #[test]
    fn rows_are_reachable() {
        // Every row's own fixed pattern must decode to that row; otherwise an
        // earlier row shadows it completely.
        for e in ENCODINGS {
            assert_eq!(decode(e.value).name(), e.name, "row {} is shadowed", e.name);
        }
    }

    #[test]
    fn decode_is_total() {
        // A coarse sweep over the whole space: no panics.
        let mut w: u32 = 0;
        loop {
            let _ = decode(w);
            match w.checked_add(0x0001_0003) {
                Some(n) => w = n,
                None => break,
            }
        }
    }
}
