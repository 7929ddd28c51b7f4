//! Software Generated Interrupts from `ICC_SGI0R_EL1`, `ICC_SGI1R_EL1` and
//! `ICC_ASGI1R_EL1` (IHI 0069, 12.2.20-22 and 4.4 "SGIs").
//!
//! The written value names the SGI (INTID \[27:24\]) and its targets:
//! `IRM` \[40\] = 1 sends it to every PE but the writer; otherwise to the PEs
//! with affinity Aff3 \[55:48\] . Aff2 \[39:32\] . Aff1 \[23:16\] . Aff0 where
//! `Aff0 = RS \[47:44\] * 16 + n` for each bit n set in TargetList \[15:0\].
//!
//! Each target's Redistributor then decides, from its own configuration of
//! that SGI (`GICR_IGROUPR0`/`GICR_IGRPMODR0`) and `GICR_NSACR`, whether the
//! SGI is forwarded (the forwarding table in the `ICC_SGI1R_EL1`
//! description of IHI 0069, for `GICD_CTLR.DS` = 0):
//! * `ICC_SGI0R_EL1` asks for a Group 0 SGI, `ICC_SGI1R_EL1` for Group 1 of
//!   the writer's Security state, `ICC_ASGI1R_EL1` for Group 1 of the other
//!   state. EL3 writes as Secure; Realm writes as Non-secure.
//! * The SGI is set pending only when the target's group for it is the one
//!   asked for, except that a Secure Group 1 request is also accepted by a
//!   target that configured the SGI as Group 0.
//! * A Non-secure writer reaches a Secure SGI only as `GICR_NSACR` permits:
//!   0b00 never, 0b01 Group 0 only, 0b10 Group 0 and Secure Group 1.

use crate::irq_state::{IntGroup, set_bit};
use crate::state::GicState;

/// Which SGI register was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SgiRegister {
    Sgi0r,
    Sgi1r,
    Asgi1r,
}

/// The fields of an `ICC_SGI*R_EL1` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SgiRequest {
    pub intid: u32,
    pub target_list: u16,
    pub aff1: u8,
    pub aff2: u8,
    pub aff3: u8,
    pub rs: u8,
    pub irm: bool,
}

impl SgiRequest {
    pub fn decode(v: u64) -> SgiRequest {
        SgiRequest {
            target_list: v as u16,
            aff1: (v >> 16) as u8,
            intid: (v >> 24 & 0xf) as u32,
            aff2: (v >> 32) as u8,
            irm: v >> 40 & 1 != 0,
            rs: (v >> 44 & 0xf) as u8,
            aff3: (v >> 48) as u8,
        }
    }

    /// The request names the PE of affinity `aff32` (Aff3.Aff2.Aff1.Aff0).
    fn targets(&self, aff32: u32) -> bool {
        let upper = u32::from(self.aff3) << 24 | u32::from(self.aff2) << 16 | u32::from(self.aff1) << 8;
        if aff32 & 0xffff_ff00 != upper {
            return false;
        }
        let aff0 = aff32 & 0xff;
        let base = u32::from(self.rs) * 16;
        aff0 >= base && aff0 < base + 16 && self.target_list >> (aff0 - base) & 1 != 0
    }
}

impl GicState {
    /// PE `from` in Security state Secure (`secure`) or Non-secure wrote
    /// `value` to SGI register `reg`.
    pub fn generate_sgi(&mut self, from: usize, reg: SgiRegister, secure: bool, value: u64) {
        let req = SgiRequest::decode(value);
        let asked = match (reg, secure) {
            (SgiRegister::Sgi0r, _) => IntGroup::G0,
            (SgiRegister::Sgi1r, true) | (SgiRegister::Asgi1r, false) => IntGroup::G1S,
            (SgiRegister::Sgi1r, false) | (SgiRegister::Asgi1r, true) => IntGroup::G1NS,
        };
        let intid = req.intid as usize;
        for pe in 0..self.pes.len() {
            let hit = if req.irm { pe != from } else { req.targets(self.pes[pe].aff32()) };
            if !hit {
                continue;
            }
            let rd = &mut self.pes[pe].rd;
            let configured = rd.bank.group_of(intid);
            let accepted = match (asked, configured) {
                (a, c) if a == c => true,
                (IntGroup::G1S, IntGroup::G0) => true,
                _ => false,
            };
            if !accepted {
                continue;
            }
            if !secure && configured.is_secure() {
                let nsacr = rd.nsacr >> (intid * 2) & 3;
                let permitted = match configured {
                    IntGroup::G0 => nsacr >= 1,
                    _ => nsacr >= 2,
                };
                if !permitted {
                    continue;
                }
            }
            set_bit(&mut rd.bank.pend, intid, true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_fields() {
        let v = 0x0012_0034_0b56_0005u64 | 1 << 40 | 3 << 44;
        let r = SgiRequest::decode(v);
        assert_eq!(r.target_list, 5);
        assert_eq!(r.aff1, 0x56);
        assert_eq!(r.intid, 0xb);
        assert_eq!(r.aff2, 0x34);
        assert!(r.irm);
        assert_eq!(r.rs, 3);
        assert_eq!(r.aff3, 0x12);
    }

    #[test]
    fn target_matching() {
        let r = SgiRequest { intid: 1, target_list: 0b1010, aff1: 1, aff2: 0, aff3: 0, rs: 0, irm: false };
        assert!(r.targets(0x0000_0101));
        assert!(r.targets(0x0000_0103));
        assert!(!r.targets(0x0000_0102));
        assert!(!r.targets(0x0000_0001));
        let r = SgiRequest { rs: 1, target_list: 1, ..r };
        assert!(r.targets(0x0000_0110));
        assert!(!r.targets(0x0000_0100));
    }
}
