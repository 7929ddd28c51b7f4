//! Builds an FVP Base RevC machine in code, puts a tiny program in its
//! trusted boot ROM, and runs it: the program prints a greeting on UART0
//! from EL3 (Root) and asks the V2M system registers to power off.
//!
//! ```sh
//! cargo run --example hello_machine
//! ```

use dynasmrt::{DynasmApi, DynasmLabelApi, VecAssembler, aarch64::Aarch64Relocation, dynasm};
use rme_devices::BufferSink;
use rme_emu::{Image, Machine, MachineConfig, UartSinks};

fn main() {
    // The program: X0 = UART0 data register; one store per character; then
    // SYS_CFGCTRL = START | RW | FUNC(8) (shutdown), and WFI for ever.
    let mut ops: VecAssembler<Aarch64Relocation> = VecAssembler::new(0);
    dynasm!(ops ; .arch aarch64 ; movz x0, 0x1c09, lsl 16);
    for b in "Hello from EL3 on rme-emu\n".bytes() {
        dynasm!(ops ; .arch aarch64 ; movz w1, b as u32 ; str w1, [x0]);
    }
    dynasm!(ops ; .arch aarch64
        ; movz x2, 0x1c01, lsl 16
        ; movz w3, 0xc080, lsl 16
        ; str w3, [x2, 0xa4]
        ; ->park:
        ; wfi
        ; b ->park);
    let program = ops.finalize().expect("assemble");

    // A 1-CPU machine with 128 MiB of DRAM; every UART into one buffer.
    let console = BufferSink::new();
    let sinks = UartSinks::each(|_| Box::new(console.clone()));
    let config = MachineConfig { smp: 1, memory: 128 << 20, ..MachineConfig::default() };
    let mut machine = Machine::new(&config, sinks).expect("build the machine");
    machine.load_images(&[Image::builtin("hello", 0x0, program)]).expect("load the program");

    let summary = machine.run(Some(1_000_000));
    print!("{}", String::from_utf8_lossy(&console.bytes()));
    println!("{summary}");
    assert_eq!(summary.stop, rme_emu::Stop::PowerOff);
}
