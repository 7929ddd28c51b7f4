// bl33_hello.S - rme-emu's own BL33 test payload for TF-A on FVP Base RevC.
//
// TF-A's BL2 loads this image from the FIP to PLAT_ARM_NS_IMAGE_BASE
// (0x88000000 on FVP) and BL31 enters it at Non-secure EL2 with the MMU and
// caches off. It
//   1. prints "BL33: hello from the Non-secure world at EL<n>" on PL011 UART0,
//      where <n> is read from CurrentEL (so the line proves the entry EL);
//   2. prints the x0 it was entered with. For a BL33 loaded from the FIP
//      (no ARM_LINUX_KERNEL_AS_BL33) TF-A 2.12 passes MPIDR_EL1[15:0] there
//      (0 on the primary core); with ARM_LINUX_KERNEL_AS_BL33=1 it is the
//      DTB address. Either way the DTB copy lives at 0x82000000;
//   3. brings every other CPU of the FVP topology (clusters 0-1, cores 0-3:
//      MPIDR Aff2 = cluster, Aff1 = core) up with PSCI CPU_ON, one at a time:
//      each enters at `secondary` at Non-secure EL2 through TF-A's warm boot
//      (power controller PPONR, BL1's mailbox, BL31), prints
//      "BL33: cpu 0x<mpidr> up at EL<n>", sets its flag and calls PSCI
//      CPU_OFF; the primary waits (bounded) for the flag before the next one
//      and prints "BL33: <n> secondary CPUs came up and went off";
//   4. waits for the UART to drain and powers the platform off through the
//      V2M system registers (the same SYS_CFG shutdown that TF-A's PSCI
//      SYSTEM_OFF uses), then sleeps in a WFI loop.
//
// Built by scripts/images.sh with aarch64-linux-gnu-as/ld/objcopy, linked at
// 0x88000000. Position independent anyway (only ADR and MOV immediates), and
// uses no stack; its only writable memory is one flag word per CPU after the
// code (FLAGS). Byte loads of strings and aligned word accesses only, since
// with the MMU off all data accesses are Device memory.
// Will move to the firmware-stubs crate (dynasm) as the "bl33 hello" image.

        .equ UART0_BASE,   0x1c090000   // PL011 UART0 (FVP boot console)
        .equ UART_DR,      0x00         // data register
        .equ UART_FR,      0x18         // flag register
        .equ UART_FR_BUSY, 3            // FR bit 3: transmitting
        .equ UART_FR_TXFF, 5            // FR bit 5: TX FIFO full
        .equ UART_CR,      0x30         // control register
        .equ UART_CR_EN,   0x101        // UARTEN | TXE

        .equ V2M_SYSREGS,  0x1c010000   // V2M-style system registers
        .equ SYS_CFGDATA,  0xa0
        .equ SYS_CFGCTRL,  0xa4
        // SYS_CFGCTRL: START (bit 31) | WRITE (bit 30) | FUNCTION 8 (shutdown)
        .equ CFG_SHUTDOWN, 0xc0800000

        // PSCI (SMC calling convention, 64-bit function IDs where needed).
        .equ PSCI_VERSION, 0x84000000
        .equ PSCI_CPU_OFF, 0x84000002
        .equ PSCI_CPU_ON,  0xc4000003
        .equ WAIT_LOOPS,   20000000     // bound on the wait for one secondary

        .text
        .global _start
_start:
        mov     x19, x0                 // keep the entry x0 for printing
        mov     x20, #UART0_BASE        // x20 = UART0 base for putc/puts

        // Make sure the transmitter is on (BL1/BL2 left it on; harmless).
        ldr     w1, [x20, #UART_CR]
        mov     w2, #UART_CR_EN
        orr     w1, w1, w2
        str     w1, [x20, #UART_CR]

        // "BL33: hello from the Non-secure world at EL<n>\r\n"
        adr     x21, msg_hello
        bl      puts
        mrs     x1, CurrentEL
        ubfx    x1, x1, #2, #2          // CurrentEL.EL is bits [3:2]
        add     w0, w1, #'0'
        bl      putc
        adr     x21, msg_eol
        bl      puts

        // "BL33: x0 = 0x<16 hex digits>\r\n"
        adr     x21, msg_x0
        bl      puts
        mov     x0, x19
        bl      puthex64
        adr     x21, msg_eol
        bl      puts

        // "BL33: PSCI v<major>.<minor>"
        adr     x21, msg_psci
        bl      puts
        mov     x0, #(PSCI_VERSION & 0xffff)
        movk    x0, #(PSCI_VERSION >> 16), lsl #16
        smc     #0
        mov     x26, x0
        lsr     x0, x26, #16
        add     w0, w0, #'0'
        bl      putc
        mov     w0, #'.'
        bl      putc
        and     x0, x26, #0xffff
        add     w0, w0, #'0'
        bl      putc
        adr     x21, msg_eol
        bl      puts

        // CPU_ON every other MPIDR of 2 clusters x 4 cores, one at a time.
        mrs     x27, mpidr_el1
        and     x27, x27, #0xffffff     // own Aff2.Aff1.Aff0
        mov     x28, #0                 // secondaries that came up
        mov     x11, #0                 // cluster
3:      mov     x12, #0                 // core
4:      lsl     x1, x11, #16
        orr     x1, x1, x12, lsl #8     // target MPIDR
        cmp     x1, x27
        b.eq    6f
        mov     x19, x1
        // flag[core + 4 * cluster] = 0
        adr     x2, flags
        add     x3, x12, x11, lsl #2
        str     wzr, [x2, x3, lsl #2]
        mov     x0, #(PSCI_CPU_ON & 0xffff)
        movk    x0, #(PSCI_CPU_ON >> 16), lsl #16
        adr     x2, secondary           // entry point
        mov     x3, x19                 // context ID: the MPIDR
        smc     #0
        cbnz    x0, 6f                  // not turned on: skip it
        adr     x2, flags
        add     x3, x12, x11, lsl #2
        mov     x4, #(WAIT_LOOPS & 0xffff)
        movk    x4, #(WAIT_LOOPS >> 16), lsl #16
5:      ldr     w5, [x2, x3, lsl #2]
        cbnz    w5, 7f
        subs    x4, x4, #1
        b.ne    5b
        adr     x21, msg_late           // "BL33: cpu 0x... did not come up"
        bl      puts
        mov     x0, x19
        bl      puthex64
        adr     x21, msg_late2
        bl      puts
        b       6f
7:      add     x28, x28, #1
6:      add     x12, x12, #1
        cmp     x12, #4
        b.lo    4b
        add     x11, x11, #1
        cmp     x11, #2
        b.lo    3b

        // "BL33: <n> secondary CPUs came up and went off"
        adr     x21, msg_bl33
        bl      puts
        add     w0, w28, #'0'
        bl      putc
        adr     x21, msg_count
        bl      puts

        adr     x21, msg_off
        bl      puts

        // Drain the UART so the last line is out before the power goes.
1:      ldr     w1, [x20, #UART_FR]
        tbnz    w1, #UART_FR_BUSY, 1b

        // Power off: SYS_CFGDATA = 0, then SYS_CFGCTRL = START|WRITE|SHUTDOWN.
        mov     x2, #V2M_SYSREGS
        str     wzr, [x2, #SYS_CFGDATA]
        mov     w1, #CFG_SHUTDOWN
        str     w1, [x2, #SYS_CFGCTRL]
        dsb     sy
2:      wfi
        b       2b

// secondary: PSCI CPU_ON entry (Non-secure EL2, MMU off, x0 = context ID =
// own MPIDR). Prints its line, sets its flag, then CPU_OFF (no return).
secondary:
        mov     x19, x0
        mov     x20, #UART0_BASE
        adr     x21, msg_cpu
        bl      puts
        mov     x0, x19
        bl      puthex64
        adr     x21, msg_up
        bl      puts
        mrs     x1, CurrentEL
        ubfx    x1, x1, #2, #2
        add     w0, w1, #'0'
        bl      putc
        adr     x21, msg_eol
        bl      puts
1:      ldr     w1, [x20, #UART_FR]     // drain before the primary goes on
        tbnz    w1, #UART_FR_BUSY, 1b
        // flag[core + 4 * cluster] = 1
        ubfx    x2, x19, #8, #8         // core (Aff1)
        ubfx    x3, x19, #16, #8        // cluster (Aff2)
        add     x2, x2, x3, lsl #2
        adr     x3, flags
        mov     w4, #1
        dsb     sy
        str     w4, [x3, x2, lsl #2]
        dsb     sy
        mov     x0, #(PSCI_CPU_OFF & 0xffff)
        movk    x0, #(PSCI_CPU_OFF >> 16), lsl #16
        smc     #0
2:      wfi                             // CPU_OFF does not return
        b       2b

// putc: write the byte in w0 to the UART at x20. Clobbers w1.
putc:
        ldr     w1, [x20, #UART_FR]
        tbnz    w1, #UART_FR_TXFF, putc
        str     w0, [x20, #UART_DR]
        ret

// puts: write the NUL-terminated string at x21. Clobbers x0, x1, x21, x22.
puts:
        mov     x22, x30
1:      ldrb    w0, [x21], #1
        cbz     w0, 2f
        bl      putc
        b       1b
2:      ret     x22

// puthex64: write x0 as 16 hex digits. Clobbers x0, x1, x23, x24, x25.
puthex64:
        mov     x23, x30
        mov     x24, x0
        mov     x25, #60                // shift of the top nibble
1:      lsr     x0, x24, x25
        and     x0, x0, #0xf
        cmp     x0, #10
        add     x1, x0, #'0'
        add     x0, x0, #('a' - 10)
        csel    x0, x1, x0, lo
        bl      putc
        subs    x25, x25, #4
        b.ge    1b
        ret     x23

msg_hello:
        .asciz  "BL33: hello from the Non-secure world at EL"
msg_x0:
        .asciz  "BL33: x0 = 0x"
msg_off:
        .asciz  "BL33: powering off\r\n"
msg_psci:
        .asciz  "BL33: PSCI v"
msg_cpu:
        .asciz  "BL33: cpu 0x"
msg_up:
        .asciz  " up at EL"
msg_late:
        .asciz  "BL33: cpu 0x"
msg_late2:
        .asciz  " did not come up\r\n"
msg_bl33:
        .asciz  "BL33: "
msg_count:
        .asciz  " secondary CPUs came up and went off\r\n"
msg_eol:
        .asciz  "\r\n"
        .balign 4
// One word per CPU (core + 4 * cluster): set by that CPU once it is up.
flags:
        .fill   8, 4, 0
