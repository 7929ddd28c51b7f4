//! System register operands for dynasm's `mrs`/`msr`.
//!
//! dynasm's aarch64 assembler takes the system register of `MRS`/`MSR
//! (register)` as one 15-bit number, which it places unchanged in bits
//! \[19:5\] of the instruction word (`dynasm-5.1.0/src/arch/aarch64/opmap.rs`:
//! `"mrs" = [0xd5300000 = [X, Imm] => [R(0), Ubits(5, 15)]]`, `"msr" =
//! [0xd5100000 = [Imm, X] => [Ubits(5, 15), R(0)]]`). In the Arm ARM
//! encoding (C6.2.247 MRS, C6.2.249 MSR (register)) those bits are
//! `o0:op1:CRn:CRm:op2`, where `o0` is bit 19 and `op0 = 0b1:o0` (bit 20 is
//! fixed at 1 in both base words). So the number is
//! `(op0 - 2) << 14 | op1 << 11 | CRn << 7 | CRm << 3 | op2`, computed by
//! [`sysreg`]; every register the stubs use is a named const below, spelled
//! with the Arm ARM's `S<op0>_<op1>_C<n>_C<m>_<op2>` in its doc.

/// dynasm's packed operand for the system register
/// `S<op0>_<op1>_C<crn>_C<crm>_<op2>` (op0 is 2 or 3 for MRS/MSR).
pub const fn sysreg(op0: u32, op1: u32, crn: u32, crm: u32, op2: u32) -> u32 {
    assert!(op0 == 2 || op0 == 3, "MRS/MSR (register) need op0 = 2 or 3");
    assert!(op1 < 8 && crn < 16 && crm < 16 && op2 < 8);
    ((op0 - 2) << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2
}

/// `SCR_EL3`, Secure Configuration Register: S3_6_C1_C1_0.
pub const SCR_EL3: u32 = sysreg(3, 6, 1, 1, 0);
/// `SCTLR_EL3`, System Control Register (EL3): S3_6_C1_C0_0.
pub const SCTLR_EL3: u32 = sysreg(3, 6, 1, 0, 0);
/// `SPSR_EL3`, Saved Program Status Register (EL3): S3_6_C4_C0_0.
pub const SPSR_EL3: u32 = sysreg(3, 6, 4, 0, 0);
/// `ELR_EL3`, Exception Link Register (EL3): S3_6_C4_C0_1.
pub const ELR_EL3: u32 = sysreg(3, 6, 4, 0, 1);
/// `VBAR_EL3`, Vector Base Address Register (EL3): S3_6_C12_C0_0.
pub const VBAR_EL3: u32 = sysreg(3, 6, 12, 0, 0);
/// `ESR_EL3`, Exception Syndrome Register (EL3): S3_6_C5_C2_0.
pub const ESR_EL3: u32 = sysreg(3, 6, 5, 2, 0);
/// `CurrentEL`: S3_0_C4_C2_2 (EL in bits \[3:2\]).
pub const CURRENT_EL: u32 = sysreg(3, 0, 4, 2, 2);
/// `SCTLR_EL1`, System Control Register (EL1): S3_0_C1_C0_0.
pub const SCTLR_EL1: u32 = sysreg(3, 0, 1, 0, 0);
/// `SCTLR_EL2`, System Control Register (EL2): S3_4_C1_C0_0.
pub const SCTLR_EL2: u32 = sysreg(3, 4, 1, 0, 0);
/// `HCR_EL2`, Hypervisor Configuration Register: S3_4_C1_C1_0.
pub const HCR_EL2: u32 = sysreg(3, 4, 1, 1, 0);
/// `SP_EL1`, the EL1 stack pointer (accessible from EL2 and EL3): S3_4_C4_C1_0.
pub const SP_EL1: u32 = sysreg(3, 4, 4, 1, 0);
/// `SP_EL2`, the EL2 stack pointer (accessible from EL3): S3_6_C4_C1_0.
pub const SP_EL2: u32 = sysreg(3, 6, 4, 1, 0);
/// `VBAR_EL1`, Vector Base Address Register (EL1): S3_0_C12_C0_0.
pub const VBAR_EL1: u32 = sysreg(3, 0, 12, 0, 0);
/// `VBAR_EL2`, Vector Base Address Register (EL2): S3_4_C12_C0_0.
pub const VBAR_EL2: u32 = sysreg(3, 4, 12, 0, 0);
/// `ESR_EL1`, Exception Syndrome Register (EL1): S3_0_C5_C2_0.
pub const ESR_EL1: u32 = sysreg(3, 0, 5, 2, 0);
/// `ESR_EL2`, Exception Syndrome Register (EL2): S3_4_C5_C2_0.
pub const ESR_EL2: u32 = sysreg(3, 4, 5, 2, 0);
/// `ELR_EL1`, Exception Link Register (EL1): S3_0_C4_C0_1.
pub const ELR_EL1: u32 = sysreg(3, 0, 4, 0, 1);
/// `ELR_EL2`, Exception Link Register (EL2): S3_4_C4_C0_1.
pub const ELR_EL2: u32 = sysreg(3, 4, 4, 0, 1);
/// `FAR_EL2`, Fault Address Register (EL2): S3_4_C6_C0_0.
pub const FAR_EL2: u32 = sysreg(3, 4, 6, 0, 0);
/// `FAR_EL3`, Fault Address Register (EL3): S3_6_C6_C0_0.
pub const FAR_EL3: u32 = sysreg(3, 6, 6, 0, 0);
/// `GPCCR_EL3`, Granule Protection Check Control Register (FEAT_RME):
/// S3_6_C2_C1_6.
pub const GPCCR_EL3: u32 = sysreg(3, 6, 2, 1, 6);
/// `GPTBR_EL3`, Granule Protection Table Base Register (FEAT_RME):
/// S3_6_C2_C1_4.
pub const GPTBR_EL3: u32 = sysreg(3, 6, 2, 1, 4);
/// `MFAR_EL3`, PA Fault Address Register (FEAT_RME): S3_6_C6_C0_5.
pub const MFAR_EL3: u32 = sysreg(3, 6, 6, 0, 5);

/// `(op0, op1, CRn, CRm, op2)` of a system register.
pub type Encoding = (u32, u32, u32, u32, u32);

/// Every register above: (Arm ARM name, packed operand, encoding). Tests
/// and disassembly checks walk this table; every one is used by at least
/// one of the stubs (the world tour or the GPF demo).
pub const ALL: &[(&str, u32, Encoding)] = &[
    ("SCR_EL3", SCR_EL3, (3, 6, 1, 1, 0)),
    ("SCTLR_EL3", SCTLR_EL3, (3, 6, 1, 0, 0)),
    ("SPSR_EL3", SPSR_EL3, (3, 6, 4, 0, 0)),
    ("ELR_EL3", ELR_EL3, (3, 6, 4, 0, 1)),
    ("VBAR_EL3", VBAR_EL3, (3, 6, 12, 0, 0)),
    ("ESR_EL3", ESR_EL3, (3, 6, 5, 2, 0)),
    ("CurrentEL", CURRENT_EL, (3, 0, 4, 2, 2)),
    ("SCTLR_EL1", SCTLR_EL1, (3, 0, 1, 0, 0)),
    ("SCTLR_EL2", SCTLR_EL2, (3, 4, 1, 0, 0)),
    ("HCR_EL2", HCR_EL2, (3, 4, 1, 1, 0)),
    ("SP_EL1", SP_EL1, (3, 4, 4, 1, 0)),
    ("SP_EL2", SP_EL2, (3, 6, 4, 1, 0)),
    ("VBAR_EL1", VBAR_EL1, (3, 0, 12, 0, 0)),
    ("VBAR_EL2", VBAR_EL2, (3, 4, 12, 0, 0)),
    ("ESR_EL1", ESR_EL1, (3, 0, 5, 2, 0)),
    ("ESR_EL2", ESR_EL2, (3, 4, 5, 2, 0)),
    ("ELR_EL1", ELR_EL1, (3, 0, 4, 0, 1)),
    ("ELR_EL2", ELR_EL2, (3, 4, 4, 0, 1)),
    ("FAR_EL2", FAR_EL2, (3, 4, 6, 0, 0)),
    ("FAR_EL3", FAR_EL3, (3, 6, 6, 0, 0)),
    ("GPCCR_EL3", GPCCR_EL3, (3, 6, 2, 1, 6)),
    ("GPTBR_EL3", GPTBR_EL3, (3, 6, 2, 1, 4)),
    ("MFAR_EL3", MFAR_EL3, (3, 6, 6, 0, 5)),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asm::{Asm, a64};

    /// MRS <Xt>, <systemreg> as the Arm ARM encodes it (C6.2.247):
    /// 1101 0101 0011 o0 op1 CRn CRm op2 Rt, o0 = op0 - 2.
    fn arm_mrs(op0: u32, op1: u32, crn: u32, crm: u32, op2: u32, rt: u32) -> u32 {
        0xd530_0000 | ((op0 - 2) << 19) | (op1 << 16) | (crn << 12) | (crm << 8) | (op2 << 5) | rt
    }

    /// MSR <systemreg>, <Xt> (C6.2.249): as MRS with L (bit 21) clear.
    fn arm_msr(op0: u32, op1: u32, crn: u32, crm: u32, op2: u32, rt: u32) -> u32 {
        arm_mrs(op0, op1, crn, crm, op2, rt) & !(1 << 21)
    }

    fn assemble_pair(reg: u32, rt: u8) -> (u32, u32) {
        let mut a = Asm::new(0);
        a64!(a.ops ; mrs X(rt), reg ; msr reg, X(rt));
        let b = a.ops.finalize().unwrap();
        (u32::from_le_bytes(b[0..4].try_into().unwrap()), u32::from_le_bytes(b[4..8].try_into().unwrap()))
    }

    #[test]
    fn every_const_assembles_to_the_arm_encoding() {
        for &(name, reg, (op0, op1, crn, crm, op2)) in ALL {
            for rt in [0u8, 1, 17, 30] {
                let (mrs, msr) = assemble_pair(reg, rt);
                let rt = u32::from(rt);
                assert_eq!(mrs, arm_mrs(op0, op1, crn, crm, op2, rt), "mrs x{rt}, {name}: {mrs:#010x}");
                assert_eq!(msr, arm_msr(op0, op1, crn, crm, op2, rt), "msr {name}, x{rt}: {msr:#010x}");
            }
        }
    }

    /// Words checked against `aarch64-linux-gnu-objdump -D -b binary -m
    /// aarch64` (GNU binutils), which names each register: independent of
    /// the packing formula above.
    #[test]
    fn golden_words_from_binutils() {
        let golden: &[(&str, u32, u32, u32)] = &[
            // (name, packed, mrs x0 word, msr <reg>, x0 word)
            ("scr_el3", SCR_EL3, 0xd53e_1100, 0xd51e_1100),
            ("sctlr_el3", SCTLR_EL3, 0xd53e_1000, 0xd51e_1000),
            ("spsr_el3", SPSR_EL3, 0xd53e_4000, 0xd51e_4000),
            ("elr_el3", ELR_EL3, 0xd53e_4020, 0xd51e_4020),
            ("vbar_el3", VBAR_EL3, 0xd53e_c000, 0xd51e_c000),
            ("esr_el3", ESR_EL3, 0xd53e_5200, 0xd51e_5200),
            ("currentel", CURRENT_EL, 0xd538_4240, 0xd518_4240),
            ("sctlr_el1", SCTLR_EL1, 0xd538_1000, 0xd518_1000),
            ("sctlr_el2", SCTLR_EL2, 0xd53c_1000, 0xd51c_1000),
            ("hcr_el2", HCR_EL2, 0xd53c_1100, 0xd51c_1100),
            ("sp_el1", SP_EL1, 0xd53c_4100, 0xd51c_4100),
            ("sp_el2", SP_EL2, 0xd53e_4100, 0xd51e_4100),
            ("vbar_el1", VBAR_EL1, 0xd538_c000, 0xd518_c000),
            ("vbar_el2", VBAR_EL2, 0xd53c_c000, 0xd51c_c000),
            ("esr_el1", ESR_EL1, 0xd538_5200, 0xd518_5200),
            ("esr_el2", ESR_EL2, 0xd53c_5200, 0xd51c_5200),
            ("elr_el1", ELR_EL1, 0xd538_4020, 0xd518_4020),
            ("elr_el2", ELR_EL2, 0xd53c_4020, 0xd51c_4020),
            ("far_el2", FAR_EL2, 0xd53c_6000, 0xd51c_6000),
            ("far_el3", FAR_EL3, 0xd53e_6000, 0xd51e_6000),
            ("gpccr_el3", GPCCR_EL3, 0xd53e_21c0, 0xd51e_21c0),
            ("gptbr_el3", GPTBR_EL3, 0xd53e_2180, 0xd51e_2180),
            ("mfar_el3", MFAR_EL3, 0xd53e_60a0, 0xd51e_60a0),
        ];
        assert_eq!(golden.len(), ALL.len());
        for &(name, reg, mrs_word, msr_word) in golden {
            assert_eq!(assemble_pair(reg, 0), (mrs_word, msr_word), "{name}");
        }
    }

    #[test]
    fn packing_matches_dynasm_docs_example() {
        // The packed number is the 15 bits o0:op1:CRn:CRm:op2.
        #[allow(clippy::unusual_byte_groupings)]
        let (scr, current_el) = (0b1_110_0001_0001_000, 0b1_000_0100_0010_010);
        assert_eq!(SCR_EL3, scr);
        assert_eq!(CURRENT_EL, current_el);
    }
}
