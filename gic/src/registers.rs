//! Register offsets and fields of the GICv3 memory-mapped frames, named as
//! the *GIC architecture specification* (Arm IHI 0069, chapter 12
//! "Programmers' model", 12.8 "The GIC Distributor register descriptions",
//! 12.10/12.11 "The GIC Redistributor register descriptions") and the
//! *GIC-600 TRM* (Arm 100336: `GICR_PWRR`, the ID registers) name them.
//!
//! Offsets of register arrays are those of the first register (`<n>` = 0);
//! the register for INTID `m` is found as the spec says (e.g.
//! `GICD_IPRIORITYR + m`, `GICD_IROUTER + 8 * m`, `GICD_ICFGR + m / 4`).

// ---------------------------------------------------------------------------
// Distributor (GICD), one 64 KiB frame.
// ---------------------------------------------------------------------------

/// Distributor Control Register.
pub const GICD_CTLR: u64 = 0x0000;
/// Interrupt Controller Type Register.
pub const GICD_TYPER: u64 = 0x0004;
/// Distributor Implementer Identification Register.
pub const GICD_IIDR: u64 = 0x0008;
/// Interrupt Controller Type Register 2 (GICv4.1; RES0 here).
pub const GICD_TYPER2: u64 = 0x000c;
/// Error Reporting Status Register (optional; RAZ/WI here).
pub const GICD_STATUSR: u64 = 0x0010;
/// Set Non-secure SPI Pending Register.
pub const GICD_SETSPI_NSR: u64 = 0x0040;
/// Clear Non-secure SPI Pending Register.
pub const GICD_CLRSPI_NSR: u64 = 0x0048;
/// Set Secure SPI Pending Register.
pub const GICD_SETSPI_SR: u64 = 0x0050;
/// Clear Secure SPI Pending Register.
pub const GICD_CLRSPI_SR: u64 = 0x0058;
/// Interrupt Group Registers.
pub const GICD_IGROUPR: u64 = 0x0080;
/// Interrupt Set-Enable Registers.
pub const GICD_ISENABLER: u64 = 0x0100;
/// Interrupt Clear-Enable Registers.
pub const GICD_ICENABLER: u64 = 0x0180;
/// Interrupt Set-Pending Registers.
pub const GICD_ISPENDR: u64 = 0x0200;
/// Interrupt Clear-Pending Registers.
pub const GICD_ICPENDR: u64 = 0x0280;
/// Interrupt Set-Active Registers.
pub const GICD_ISACTIVER: u64 = 0x0300;
/// Interrupt Clear-Active Registers.
pub const GICD_ICACTIVER: u64 = 0x0380;
/// Interrupt Priority Registers (one byte per INTID).
pub const GICD_IPRIORITYR: u64 = 0x0400;
/// Interrupt Processor Targets Registers (legacy; RAZ/WI with affinity routing).
pub const GICD_ITARGETSR: u64 = 0x0800;
/// Interrupt Configuration Registers (two bits per INTID).
pub const GICD_ICFGR: u64 = 0x0c00;
/// Interrupt Group Modifier Registers.
pub const GICD_IGRPMODR: u64 = 0x0d00;
/// Non-secure Access Control Registers (two bits per INTID).
pub const GICD_NSACR: u64 = 0x0e00;
/// Software Generated Interrupt Register (legacy; WI with affinity routing).
pub const GICD_SGIR: u64 = 0x0f00;
/// SGI Clear-Pending Registers (legacy; RAZ/WI with affinity routing).
pub const GICD_CPENDSGIR: u64 = 0x0f10;
/// SGI Set-Pending Registers (legacy; RAZ/WI with affinity routing).
pub const GICD_SPENDSGIR: u64 = 0x0f20;
/// Interrupt Routing Registers (64-bit, one per INTID; INTIDs 0-31 reserved).
pub const GICD_IROUTER: u64 = 0x6000;

// GICD_CTLR, Secure view (two Security states, DS = 0).
pub const GICD_CTLR_ENABLE_GRP0: u32 = 1 << 0;
pub const GICD_CTLR_ENABLE_GRP1NS: u32 = 1 << 1;
pub const GICD_CTLR_ENABLE_GRP1S: u32 = 1 << 2;
pub const GICD_CTLR_ARE_S: u32 = 1 << 4;
pub const GICD_CTLR_ARE_NS: u32 = 1 << 5;
pub const GICD_CTLR_DS: u32 = 1 << 6;
pub const GICD_CTLR_E1NWF: u32 = 1 << 7;
pub const GICD_CTLR_RWP: u32 = 1 << 31;
// GICD_CTLR, Non-secure view.
/// NS view: EnableGrp1 (only with ARE_NS = 0; RES0 here).
pub const GICD_CTLR_NS_ENABLE_GRP1: u32 = 1 << 0;
/// NS view: EnableGrp1A, alias of the Secure view's EnableGrp1NS.
pub const GICD_CTLR_NS_ENABLE_GRP1A: u32 = 1 << 1;
/// NS view: ARE_NS, alias of the Secure view's ARE_NS (bit 5).
pub const GICD_CTLR_NS_ARE_NS: u32 = 1 << 4;

// GICD_TYPER fields.
pub const GICD_TYPER_ITLINESNUMBER_SHIFT: u32 = 0;
pub const GICD_TYPER_CPUNUMBER_SHIFT: u32 = 5;
pub const GICD_TYPER_SECURITYEXTN: u32 = 1 << 10;
pub const GICD_TYPER_MBIS: u32 = 1 << 16;
pub const GICD_TYPER_IDBITS_SHIFT: u32 = 19;
pub const GICD_TYPER_A3V: u32 = 1 << 24;
pub const GICD_TYPER_NO1N: u32 = 1 << 25;

// GICD_IROUTER fields.
pub const GICD_IROUTER_INTERRUPT_ROUTING_MODE: u64 = 1 << 31;
/// The bits of GICD_IROUTER software can write: Aff3, IRM, Aff2, Aff1, Aff0.
pub const GICD_IROUTER_MASK: u64 = 0xff_8000_0000 | 0x00ff_ffff;

// ---------------------------------------------------------------------------
// Redistributor (GICR): per PE an RD_base frame and an SGI_base frame.
// ---------------------------------------------------------------------------

/// Size of one PE's redistributor (RD_base + SGI_base, no VLPI frames).
pub const GICR_FRAME_SIZE: u64 = 0x2_0000;
/// Offset of the SGI_base frame inside one redistributor.
pub const GICR_SGI_BASE: u64 = 0x1_0000;

// RD_base frame.
/// Redistributor Control Register.
pub const GICR_CTLR: u64 = 0x0000;
/// Redistributor Implementer Identification Register.
pub const GICR_IIDR: u64 = 0x0004;
/// Redistributor Type Register (64-bit).
pub const GICR_TYPER: u64 = 0x0008;
/// Error Reporting Status Register (optional; RAZ/WI here).
pub const GICR_STATUSR: u64 = 0x0010;
/// Redistributor Wake Register.
pub const GICR_WAKER: u64 = 0x0014;
/// GIC-600 Power Register (IMPLEMENTATION DEFINED; GIC-600 TRM 4.3).
pub const GICR_PWRR: u64 = 0x0024;
/// LPI configuration table base (LPIs not implemented: RAZ/WI).
pub const GICR_PROPBASER: u64 = 0x0070;
/// LPI pending table base (LPIs not implemented: RAZ/WI).
pub const GICR_PENDBASER: u64 = 0x0078;

// SGI_base frame (offsets relative to SGI_base).
pub const GICR_IGROUPR0: u64 = 0x0080;
pub const GICR_ISENABLER0: u64 = 0x0100;
pub const GICR_ICENABLER0: u64 = 0x0180;
pub const GICR_ISPENDR0: u64 = 0x0200;
pub const GICR_ICPENDR0: u64 = 0x0280;
pub const GICR_ISACTIVER0: u64 = 0x0300;
pub const GICR_ICACTIVER0: u64 = 0x0380;
/// GICR_IPRIORITYR0..7 (one byte per INTID 0-31).
pub const GICR_IPRIORITYR: u64 = 0x0400;
/// SGI configuration (read-only: all SGIs are edge-triggered).
pub const GICR_ICFGR0: u64 = 0x0c00;
/// PPI configuration.
pub const GICR_ICFGR1: u64 = 0x0c04;
pub const GICR_IGRPMODR0: u64 = 0x0d00;
/// Non-secure Access Control Register (two bits per SGI).
pub const GICR_NSACR: u64 = 0x0e00;

// GICR_TYPER fields.
pub const GICR_TYPER_LAST: u64 = 1 << 4;
pub const GICR_TYPER_PROCESSOR_NUMBER_SHIFT: u32 = 8;
pub const GICR_TYPER_AFFINITY_VALUE_SHIFT: u32 = 32;

// GICR_WAKER fields.
pub const GICR_WAKER_PROCESSOR_SLEEP: u32 = 1 << 1;
pub const GICR_WAKER_CHILDREN_ASLEEP: u32 = 1 << 2;

// GICR_PWRR fields (GIC-600).
/// Redistributor power down (write 0 to power up).
pub const GICR_PWRR_RDPD: u32 = 1 << 0;
/// Redistributor group power down request ("as group").
pub const GICR_PWRR_RDAG: u32 = 1 << 1;
/// Redistributor group powered down.
pub const GICR_PWRR_RDGPD: u32 = 1 << 2;
/// Redistributor group powered off.
pub const GICR_PWRR_RDGPO: u32 = 1 << 3;

// ---------------------------------------------------------------------------
// Identification registers (both frames; GICR ones in RD_base).
// ---------------------------------------------------------------------------

pub const GIC_PIDR4: u64 = 0xffd0;
pub const GIC_PIDR5: u64 = 0xffd4;
pub const GIC_PIDR6: u64 = 0xffd8;
pub const GIC_PIDR7: u64 = 0xffdc;
pub const GIC_PIDR0: u64 = 0xffe0;
pub const GIC_PIDR1: u64 = 0xffe4;
pub const GIC_PIDR2: u64 = 0xffe8;
pub const GIC_PIDR3: u64 = 0xffec;
pub const GIC_CIDR0: u64 = 0xfff0;
pub const GIC_CIDR1: u64 = 0xfff4;
pub const GIC_CIDR2: u64 = 0xfff8;
pub const GIC_CIDR3: u64 = 0xfffc;
pub const GICD_PIDR2: u64 = GIC_PIDR2;
pub const GICR_PIDR2: u64 = GIC_PIDR2;

/// GIC-600 component part number of the Distributor (GICD_PIDR1\[3:0\]:GICD_PIDR0).
pub const GIC600_PART_GICD: u32 = 0x492;
/// GIC-600 component part number of a Redistributor (GICR_PIDR1\[3:0\]:GICR_PIDR0).
pub const GIC600_PART_GICR: u32 = 0x493;

/// The value of an identification register of a GIC-600 frame whose
/// component part number is `part`: PIDR0/1 hold the part number and the
/// JEP106 identity of Arm (0x43B), PIDR2 `ArchRev` = 3 (GICv3), PIDR4 the
/// continuation code and a 64 KiB block, CIDR0-3 the CoreSight preamble.
pub fn id_register(part: u32, offset: u64) -> Option<u32> {
    Some(match offset {
        GIC_PIDR0 => part & 0xff,
        // part_1 [3:0], des_0 [7:4] = JEP106 identity code bits [3:0] (0xB).
        GIC_PIDR1 => ((part >> 8) & 0xf) | 0xb0,
        // des_1 [2:0] = identity bits [6:4] (3), JEDEC [3] = 1, ArchRev [7:4] = 3.
        GIC_PIDR2 => 0x3b,
        GIC_PIDR3 => 0x00,
        // des_2 [3:0] = JEP106 continuation code (4), SIZE [7:4] = 4 (64 KiB).
        GIC_PIDR4 => 0x44,
        GIC_PIDR5 | GIC_PIDR6 | GIC_PIDR7 => 0,
        GIC_CIDR0 => 0x0d,
        GIC_CIDR1 => 0xf0,
        GIC_CIDR2 => 0x05,
        GIC_CIDR3 => 0xb1,
        _ => return None,
    })
}

// ---------------------------------------------------------------------------
// Special INTIDs (IHI 0069, 2.2.1 "Special INTIDs").
// ---------------------------------------------------------------------------

/// Returned to EL3 by ICC_IAR0/HPPIR0 when the HPPI is Secure Group 1.
pub const INTID_SECURE: u32 = 1020;
/// Returned to EL3 by ICC_IAR0/HPPIR0 when the HPPI is Non-secure Group 1.
pub const INTID_NONSECURE: u32 = 1021;
/// Legacy-operation special INTID (not produced: no legacy support).
pub const INTID_LEGACY: u32 = 1022;
/// No pending interrupt of sufficient priority for this access.
pub const INTID_SPURIOUS: u32 = 1023;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gic600_id_registers() {
        assert_eq!(id_register(GIC600_PART_GICD, GIC_PIDR0), Some(0x92));
        assert_eq!(id_register(GIC600_PART_GICD, GIC_PIDR1), Some(0xb4));
        assert_eq!(id_register(GIC600_PART_GICR, GIC_PIDR0), Some(0x93));
        assert_eq!(id_register(GIC600_PART_GICD, GIC_PIDR2).map(|v| (v >> 4) & 0xf), Some(3));
        assert_eq!(id_register(GIC600_PART_GICD, 0xffc0), None);
    }
}
