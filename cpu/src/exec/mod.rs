//! Instruction semantics, one module per encoding group. Each handler takes
//! the named fields of its table row; [`execute`] matches every `Insn`
//! variant with all its fields, so a table change that a handler does not
//! follow fails the build.
// A handler takes one argument per named field of its encoding row.
#![allow(clippy::too_many_arguments)]

pub mod alu;
pub mod branch_exc_sys;
pub mod data_proc_imm;
pub mod data_proc_reg;
pub mod loads_stores;
pub mod pauth;

use crate::cpu::Cpu;
use crate::decode::Insn;
use crate::exception::Exception;
use rme_mmu::PhysBus;

/// How the PC moves after an instruction that completed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// PC += 4.
    Next,
    /// The instruction wrote the PC.
    Jump,
    /// WFI completed: PC += 4, then wait for an interrupt.
    Wfi,
    /// WFE completed with the event register clear: PC += 4, then wait.
    Wfe,
}

/// Executes one decoded instruction at `cpu.state.pc`.
pub fn execute(cpu: &mut Cpu, bus: &PhysBus, insn: Insn) -> Result<Flow, Exception> {
    use branch_exc_sys as b;
    use data_proc_imm as i;
    use data_proc_reg as r;
    use loads_stores as l;
    match insn {
        Insn::Adr { op, immlo, immhi, rd } => i::adr(cpu, op, immlo, immhi, rd),
        Insn::AddSubImm { sf, op, s, sh, imm12, rn, rd } => i::add_sub_imm(cpu, sf, op, s, sh, imm12, rn, rd),
        Insn::LogicalImm { sf, opc, n, immr, imms, rn, rd } => i::logical_imm(cpu, sf, opc, n, immr, imms, rn, rd),
        Insn::MoveWide { sf, opc, hw, imm16, rd } => i::move_wide(cpu, sf, opc, hw, imm16, rd),
        Insn::Bitfield { sf, opc, n, immr, imms, rn, rd } => i::bitfield(cpu, sf, opc, n, immr, imms, rn, rd),
        Insn::Extract { sf, op21, n, o0, rm, imms, rn, rd } => i::extract(cpu, sf, op21, n, o0, rm, imms, rn, rd),

        Insn::BranchCond { o1, imm19, o0, cond } => b::branch_cond(cpu, o1, imm19, o0, cond),
        Insn::ExcGen { opc, imm16, op2, ll } => b::exc_gen(cpu, opc, imm16, op2, ll),
        Insn::Hint { crm, op2 } => b::hint(cpu, crm, op2),
        Insn::Barrier { crm, op2 } => b::barrier(cpu, crm, op2),
        Insn::MsrImm { op1, crm, op2 } => b::msr_imm(cpu, op1, crm, op2),
        Insn::Sys { l, op1, crn, crm, op2, rt } => b::sys(cpu, bus, l, op1, crn, crm, op2, rt),
        Insn::MoveSysReg { l, o0, op1, crn, crm, op2, rt } => b::move_sys_reg(cpu, l, o0, op1, crn, crm, op2, rt),
        Insn::BranchReg { opc, op2, op3, rn, op4 } => b::branch_reg(cpu, opc, op2, op3, rn, op4),
        Insn::BranchImm { op, imm26 } => b::branch_imm(cpu, op, imm26),
        Insn::CompareBranch { sf, op, imm19, rt } => b::compare_branch(cpu, sf, op, imm19, rt),
        Insn::TestBranch { b5, op, b40, imm14, rt } => b::test_branch(cpu, b5, op, b40, imm14, rt),

        Insn::LdStExcl { size, o2, l, o1, rs, o0, rt2, rn, rt } => l::ld_st_excl(cpu, bus, size, o2, l, o1, rs, o0, rt2, rn, rt),
        Insn::LdStRcpcUnscaled { size, opc, imm9, rn, rt } => l::ld_st_rcpc_unscaled(cpu, bus, size, opc, imm9, rn, rt),
        Insn::LoadLiteral { opc, v, imm19, rt } => l::load_literal(cpu, bus, opc, v, imm19, rt),
        Insn::LdStPair { opc, v, idx, l: ld, imm7, rt2, rn, rt } => l::ld_st_pair(cpu, bus, opc, v, idx, ld, imm7, rt2, rn, rt),
        Insn::LdStAtomic { size, v, a, r: rel, rs, o3, opc, rn, rt } => l::ld_st_atomic(cpu, bus, size, v, a, rel, rs, o3, opc, rn, rt),
        Insn::LdStPac { size, v, m, s, imm9, w, rn, rt } => l::ld_st_pac(cpu, bus, size, v, m, s, imm9, w, rn, rt),
        Insn::LdStRegOffset { size, v, opc, rm, option, s, rn, rt } => l::ld_st_reg_offset(cpu, bus, size, v, opc, rm, option, s, rn, rt),
        Insn::LdStImm9 { size, v, opc, imm9, idx, rn, rt } => l::ld_st_imm9(cpu, bus, size, v, opc, imm9, idx, rn, rt),
        Insn::LdStUImm { size, v, opc, imm12, rn, rt } => l::ld_st_uimm(cpu, bus, size, v, opc, imm12, rn, rt),

        Insn::DataProc2Src { sf, s, rm, opcode, rn, rd } => r::data_proc_2src(cpu, sf, s, rm, opcode, rn, rd),
        Insn::DataProc1Src { sf, s, opcode2, opcode, rn, rd } => r::data_proc_1src(cpu, sf, s, opcode2, opcode, rn, rd),
        Insn::LogicalShifted { sf, opc, shift, n, rm, imm6, rn, rd } => r::logical_shifted(cpu, sf, opc, shift, n, rm, imm6, rn, rd),
        Insn::AddSubShifted { sf, op, s, shift, rm, imm6, rn, rd } => r::add_sub_shifted(cpu, sf, op, s, shift, rm, imm6, rn, rd),
        Insn::AddSubExt { sf, op, s, opt, rm, option, imm3, rn, rd } => r::add_sub_ext(cpu, sf, op, s, opt, rm, option, imm3, rn, rd),
        Insn::AddSubCarry { sf, op, s, rm, rn, rd } => r::add_sub_carry(cpu, sf, op, s, rm, rn, rd),
        Insn::RotateIntoFlags { sf, op, s, imm6, rn, o2, mask } => r::rotate_into_flags(cpu, sf, op, s, imm6, rn, o2, mask),
        Insn::EvalIntoFlags { sf, op, s, opcode2, sz, rn, o3, mask } => r::eval_into_flags(cpu, sf, op, s, opcode2, sz, rn, o3, mask),
        Insn::CondCmpReg { sf, op, s, rm, cond, o2, rn, o3, nzcv } => r::cond_cmp_reg(cpu, sf, op, s, rm, cond, o2, rn, o3, nzcv),
        Insn::CondCmpImm { sf, op, s, imm5, cond, o2, rn, o3, nzcv } => r::cond_cmp_imm(cpu, sf, op, s, imm5, cond, o2, rn, o3, nzcv),
        Insn::CondSelect { sf, op, s, rm, cond, op2, rn, rd } => r::cond_select(cpu, sf, op, s, rm, cond, op2, rn, rd),
        Insn::DataProc3Src { sf, op54, op31, rm, o0, ra, rn, rd } => r::data_proc_3src(cpu, sf, op54, op31, rm, o0, ra, rn, rd),

        Insn::Undefined => Err(Exception::Undefined),
    }
}
