#!/usr/bin/env python3
"""Batch runner of the unicorn ISA oracle for rme-cpu's differential test
(`cpu/tests/oracle_unicorn.rs`).

It executes one A64 instruction per case on unicorn (QEMU's AArch64 TCG at
EL1, cpu model "max") and writes the resulting state back. The test drives
it over pipes; it is not meant to be run by hand, but
`python3 unicorn_runner.py < cases.bin > results.bin` works.

Wire format (all little-endian, `struct` notation):

  Header, once:
    "<4sI" magic b"RMEO", version (1)
    "<QQQQQQ" code_base, code_size, data_base, data_size, win_base, win_size
      Both regions are mapped RWX and zero-filled. The window
      [win_base, win_base + win_size) lies inside the data region; it is the
      only memory a case reads or writes, so it is the only memory sent.

  Case, repeated until EOF (CASE_HEAD + 33 u64 + win_size bytes):
    "<IIQ"  word, prefix, pc
            prefix != 0: the word `prefix` is placed at pc - 4 and executed
            first (2 instructions); prefix == 0: only `word` runs at pc.
    "<33Q"  X0..X30, SP (SP_EL1, the current SP at EL1h), NZCV (bits 31:28)
    win_size bytes: the contents of the window before the instruction

  Result, one per case (RES_HEAD + 33 u64 + win_size bytes):
    "<IIQ"  outcome, detail, pc
            outcome: 0 ok (completed; a branch to unmapped memory counts as
            completed: unicorn faults when it fetches the *next*
            instruction), 1 undefined, 2 svc, 3 brk, 4 data abort (in the
            mapped window the only data abort is an alignment fault),
            5 other. detail: the QEMU exception number (EXCP_UDEF = 1,
            EXCP_SWI = 2, EXCP_PREFETCH_ABORT = 3, EXCP_DATA_ABORT = 4,
            EXCP_BKPT = 7, ...) for exceptions, 0x100 + UcError code for
            unicorn errors, 0 otherwise.
    "<33Q"  X0..X30, SP, NZCV after the instruction
    win_size bytes: the window after the instruction

Speed: one Uc for every case (registers and window rewritten per case) and
direct calls of the C API through ctypes for the register batch. Because
the Uc is reused, the translation blocks over the case's code are dropped
before each case: a branch of an earlier case may have translated a block
there from older contents, and unicorn would run it stale (seen as spurious
UNDEFINED results).
"""

import ctypes
import struct
import sys

try:
    import unicorn
    from unicorn import Uc, UcError, UC_ARCH_ARM64, UC_MODE_ARM, UC_HOOK_INTR
    from unicorn import arm64_const as A
    from unicorn import unicorn_const as C
except ImportError as e:  # the test reports this loudly
    sys.stderr.write(f"unicorn_runner: cannot import unicorn: {e}\n")
    sys.exit(3)

MAGIC = b"RMEO"
VERSION = 1
HEAD = struct.Struct("<4sI")
LAYOUT = struct.Struct("<QQQQQQ")
CASE_HEAD = struct.Struct("<IIQ")
REGS = struct.Struct("<33Q")

OK, UNDEFINED, SVC, BRK, DATA_ABORT, OTHER = range(6)
# QEMU target/arm exception numbers (cpu.h).
EXCP_UDEF, EXCP_SWI, EXCP_PREFETCH_ABORT, EXCP_DATA_ABORT, EXCP_BKPT = 1, 2, 3, 4, 7
INTR_CLASS = {EXCP_UDEF: UNDEFINED, EXCP_SWI: SVC, EXCP_DATA_ABORT: DATA_ABORT, EXCP_BKPT: BRK}
ERR_CLASS = {
    C.UC_ERR_INSN_INVALID: UNDEFINED,
    C.UC_ERR_READ_UNALIGNED: DATA_ABORT,
    C.UC_ERR_WRITE_UNALIGNED: DATA_ABORT,
}

REG_IDS = [getattr(A, f"UC_ARM64_REG_X{i}") for i in range(31)] + [A.UC_ARM64_REG_SP, A.UC_ARM64_REG_NZCV]


def read_exact(stream, n):
    buf = stream.read(n)
    if buf is None or len(buf) != n:
        return None
    return buf


def main():
    inp = sys.stdin.buffer
    out = sys.stdout.buffer
    head = read_exact(inp, HEAD.size)
    if head is None:
        return 0
    magic, version = HEAD.unpack(head)
    if magic != MAGIC or version != VERSION:
        sys.stderr.write(f"unicorn_runner: bad header {magic!r} v{version}\n")
        return 2
    code_base, code_size, data_base, data_size, win_base, win_size = LAYOUT.unpack(read_exact(inp, LAYOUT.size))

    uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
    # The default model (cortex-a72) lacks FEAT_LSE: atomics would be UNDEFINED.
    uc.ctl_set_cpu_model(A.UC_CPU_ARM64_MAX)
    uc.mem_map(code_base, code_size)
    uc.mem_map(data_base, data_size)

    intr = []

    def on_intr(uc_, intno, _user):
        intr.append(intno)
        uc_.emu_stop()

    uc.hook_add(UC_HOOK_INTR, on_intr)

    # Direct C API access for the 33-register batch (the Python wrapper
    # rebuilds its argument lists on every call).
    lib = unicorn.unicorn_py3.unicorn.uclib
    uch = uc._uch
    n = len(REG_IDS)
    ids = (ctypes.c_int * n)(*REG_IDS)
    vals = (ctypes.c_uint64 * n)()
    ptrs = (ctypes.c_void_p * n)(*[ctypes.addressof(vals) + 8 * i for i in range(n)])
    vals_view = memoryview(vals).cast("B")
    win = ctypes.create_string_buffer(win_size)
    code = ctypes.create_string_buffer(8)
    rec_size = CASE_HEAD.size + REGS.size + win_size
    res_head = CASE_HEAD  # same shape: outcome, detail, pc

    while True:
        rec = read_exact(inp, rec_size)
        if rec is None:
            break
        word, prefix, pc = CASE_HEAD.unpack_from(rec, 0)
        o = CASE_HEAD.size
        vals_view[:] = rec[o:o + REGS.size]
        o += REGS.size
        win.raw = rec[o:o + win_size]
        if prefix:
            start, count = pc - 4, 2
            code.raw = struct.pack("<II", prefix, word)
            lib.uc_mem_write(uch, start, code, 8)
        else:
            start, count = pc, 1
            code.raw = struct.pack("<II", word, 0)
            lib.uc_mem_write(uch, start, code, 4)
        lib.uc_mem_write(uch, win_base, win, win_size)
        # A branch of an earlier case may have translated a block over this
        # address from older contents: drop it.
        uc.ctl_remove_cache(start, pc + 4)
        lib.uc_reg_write_batch(uch, ids, ptrs, n)
        lib.uc_reg_write(uch, A.UC_ARM64_REG_PC, ctypes.byref(ctypes.c_uint64(start)))
        intr.clear()
        err = lib.uc_emu_start(uch, start, pc + 4, 0, count)
        lib.uc_reg_read_batch(uch, ids, ptrs, n)
        newpc = ctypes.c_uint64()
        lib.uc_reg_read(uch, A.UC_ARM64_REG_PC, ctypes.byref(newpc))
        newpc = newpc.value
        lib.uc_mem_read(uch, win_base, win, win_size)
        if intr:
            outcome, detail = INTR_CLASS.get(intr[0], OTHER), intr[0]
        elif err == C.UC_ERR_OK:
            outcome, detail = OK, 0
        elif err == C.UC_ERR_FETCH_UNMAPPED and newpc != pc and newpc != start:
            # The instruction completed and branched outside the mapped
            # code; unicorn then failed to fetch the next one.
            outcome, detail = OK, 0
        else:
            outcome, detail = ERR_CLASS.get(err, OTHER), 0x100 + err
        out.write(res_head.pack(outcome, detail, newpc))
        out.write(vals_view)
        out.write(win.raw)
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
