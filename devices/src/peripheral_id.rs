//! The identification registers of a CoreSight / PrimeCell component: the
//! 4 KiB register block of every such peripheral ends with the Peripheral
//! ID registers PIDR4-7 (0xfd0..0xfdc) and PIDR0-3 (0xfe0..0xfec) and the
//! Component ID registers CIDR0-3 (0xff0..0xffc), each an 8-bit value in a
//! 32-bit register (Arm CoreSight Architecture Specification, IHI 0029,
//! "Peripheral Identification Registers" and "Component Identification
//! Registers"; the TRMs of the CCI-550, TZC-400, SP805 and SMMUv3 list
//! them under their own names: PERIPHERAL_ID\<n\>, PID\<n\>, WdogPeriphID\<n\>,
//! SMMU_PIDR\<n\>).
//!
//! `PIDR0.PART_0` \[7:0\] and `PIDR1.PART_1` \[3:0\] hold the part number;
//! the rest of PIDR1-4 the JEP106 designer code and the revision.

/// A component's PIDR0-7 and CIDR0-3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IdRegs {
    /// PIDR0..PIDR7, in register-number order.
    pub pidr: [u8; 8],
    pub cidr: [u8; 4],
}

/// CIDR0-3 of a PrimeCell / CoreSight component of class 0xF (0xB105F00D).
pub(crate) const CIDR_PRIMECELL: [u8; 4] = [0x0d, 0xf0, 0x05, 0xb1];

impl IdRegs {
    /// The first and last offset of the block.
    pub(crate) const FIRST: u64 = 0xfd0;
    pub(crate) const LAST: u64 = 0xffc;

    /// The register at `reg` (a word offset in 0xfd0..=0xffc), else `None`.
    pub(crate) fn read(&self, reg: u64) -> Option<u32> {
        let v = match reg {
            0xfd0..=0xfdc => self.pidr[4 + ((reg - 0xfd0) / 4) as usize],
            0xfe0..=0xfec => self.pidr[((reg - 0xfe0) / 4) as usize],
            0xff0..=0xffc => self.cidr[((reg - 0xff0) / 4) as usize],
            _ => return None,
        };
        Some(u32::from(v))
    }

    /// The part number, `PIDR1.PART_1:PIDR0.PART_0`.
    #[cfg(test)]
    pub(crate) fn part_number(&self) -> u32 {
        u32::from(self.pidr[1] & 0xf) << 8 | u32::from(self.pidr[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_block_layout() {
        let ids = IdRegs { pidr: [0, 1, 2, 3, 4, 5, 6, 7], cidr: CIDR_PRIMECELL };
        assert_eq!(ids.read(0xfe0), Some(0));
        assert_eq!(ids.read(0xfec), Some(3));
        assert_eq!(ids.read(0xfd0), Some(4));
        assert_eq!(ids.read(0xfdc), Some(7));
        assert_eq!(ids.read(0xff0), Some(0x0d));
        assert_eq!(ids.read(0xffc), Some(0xb1));
        assert_eq!(ids.read(0xfcc), None);
    }

    #[test]
    fn part_number() {
        let ids = IdRegs { pidr: [0x23, 0xb4, 0x0b, 0, 0x04, 0, 0, 0], cidr: CIDR_PRIMECELL };
        assert_eq!(ids.part_number(), 0x423);
    }
}
