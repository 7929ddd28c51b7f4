//! Granule Protection Information (GPI): the 4-bit value a GPT entry holds
//! for each granule, and which physical address spaces it lets through.
//!
//! Arm ARM (DDI0487) chapter D9 (GPT formats: GPI encodings) and the pseudocode
//! `GPIValid` (which encodings a configuration accepts) and `GPICheck`
//! (whether a GPI permits an access to a PAS).
//!
//! | GPI    | name       | permits                                         |
//! |--------|------------|-------------------------------------------------|
//! | 0b0000 | No access  | nothing                                         |
//! | 0b1000 | Secure     | Secure PAS (valid only with FEAT_SEL2)          |
//! | 0b1001 | Non-secure | Non-secure PAS                                  |
//! | 0b1010 | Root       | Root PAS                                        |
//! | 0b1011 | Realm      | Realm PAS                                       |
//! | 0b1101 | NSO        | Non-secure PAS from Non-secure or Root state (FEAT_RME_GPC2, GPCCR_EL3.NSO = 1) |
//! | 0b1111 | Any        | every PAS                                       |
//! | other  | reserved   | GPT walk fault, never an access                 |

use crate::pas::{Pas, SecurityState};

/// A GPI value that names a protection (pseudocode `GPT_NoAccess`,
/// `GPT_Secure`, `GPT_NonSecure`, `GPT_Root`, `GPT_Realm`, `GPT_Any`, and
/// the GPC2 Non-secure-only GPI).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Gpi {
    NoAccess,
    Secure,
    NonSecure,
    Root,
    Realm,
    /// Non-secure only (FEAT_RME_GPC2 with `GPCCR_EL3.NSO == 1`).
    Nso,
    Any,
}

/// A 4-bit GPI encoding with no meaning (reserved). The walk reports it as
/// a GPT walk fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[error("reserved GPI encoding {0:#06b}")]
pub struct ReservedGpi(pub u8);

impl Gpi {
    /// All named GPIs.
    pub const ALL: [Gpi; 7] = [Gpi::NoAccess, Gpi::Secure, Gpi::NonSecure, Gpi::Root, Gpi::Realm, Gpi::Nso, Gpi::Any];

    /// The 4-bit encoding.
    pub const fn encoding(self) -> u8 {
        match self {
            Gpi::NoAccess => 0b0000,
            Gpi::Secure => 0b1000,
            Gpi::NonSecure => 0b1001,
            Gpi::Root => 0b1010,
            Gpi::Realm => 0b1011,
            Gpi::Nso => 0b1101,
            Gpi::Any => 0b1111,
        }
    }

    /// Decodes the low 4 bits of `bits` by name only. Whether the
    /// configuration accepts the value (Secure needs FEAT_SEL2, NSO needs
    /// GPC2 with NSO enabled) is \[`crate::gpc::Gpccr::decode_gpi`\]'s job.
    #[inline(always)]
    pub const fn from_encoding(bits: u8) -> Result<Gpi, ReservedGpi> {
        const BY_ENCODING: [Option<Gpi>; 16] = {
            let mut t = [None; 16];
            let mut i = 0;
            while i < Gpi::ALL.len() {
                t[Gpi::ALL[i].encoding() as usize] = Some(Gpi::ALL[i]);
                i += 1;
            }
            t
        };
        match BY_ENCODING[(bits & 0xf) as usize] {
            Some(g) => Ok(g),
            None => Err(ReservedGpi(bits & 0xf)),
        }
    }

    /// Pseudocode `GPICheck(paspace, gpi)`: whether an access to `pas` by a
    /// PE in security state `state` passes a granule with this GPI. Only
    /// the NSO GPI looks at `state` (Secure and Realm state may reach the
    /// Non-secure PAS, but not granules marked Non-secure-only).
    #[inline(always)]
    pub const fn permits(self, pas: Pas, state: SecurityState) -> bool {
        // Bit sets over PAS: Secure 1, Non-secure 2, Realm 4, Root 8.
        const S: u8 = 1;
        const NS: u8 = 2;
        const RL: u8 = 4;
        const RT: u8 = 8;
        let pas_bit = match pas {
            Pas::Secure => S,
            Pas::NonSecure => NS,
            Pas::Realm => RL,
            Pas::Root => RT,
        };
        let allowed = match self {
            Gpi::NoAccess => 0,
            Gpi::Secure => S,
            Gpi::NonSecure => NS,
            Gpi::Root => RT,
            Gpi::Realm => RL,
            Gpi::Nso => {
                if matches!(state, SecurityState::NonSecure | SecurityState::Root) {
                    NS
                } else {
                    0
                }
            }
            Gpi::Any => S | NS | RL | RT,
        };
        allowed & pas_bit != 0
    }

    /// The GPI that gives a granule to exactly this PAS.
    pub const fn for_pas(pas: Pas) -> Gpi {
        match pas {
            Pas::Secure => Gpi::Secure,
            Pas::NonSecure => Gpi::NonSecure,
            Pas::Root => Gpi::Root,
            Pas::Realm => Gpi::Realm,
        }
    }
}

impl std::fmt::Display for Gpi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Gpi::NoAccess => "NO_ACCESS",
            Gpi::Secure => "SECURE",
            Gpi::NonSecure => "NS",
            Gpi::Root => "ROOT",
            Gpi::Realm => "REALM",
            Gpi::Nso => "NSO",
            Gpi::Any => "ANY",
        })
    }
}

impl super::Gpccr {
    /// Decodes a GPI from a GPT entry for this configuration (pseudocode
    /// `GPIValid`): reserved encodings, the Secure GPI without FEAT_SEL2
    /// and the NSO GPI unless FEAT_RME_GPC2 with `GPCCR_EL3.NSO == 1` are
    /// all errors, which the walk reports as GPT walk faults.
    #[inline(always)]
    pub const fn decode_gpi(&self, bits: u8) -> Result<Gpi, ReservedGpi> {
        let bits = bits & 0xf;
        if self.valid_gpi_set() & (1 << bits) == 0 {
            return Err(ReservedGpi(bits));
        }
        Gpi::from_encoding(bits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpc::{GpcFeatures, Gpccr, Pgs};

    #[test]
    fn encodings_round_trip_and_reserved_values_fail() {
        let mut named = 0;
        for bits in 0u8..16 {
            match Gpi::from_encoding(bits) {
                Ok(g) => {
                    assert_eq!(g.encoding(), bits);
                    named += 1;
                }
                Err(ReservedGpi(b)) => assert_eq!(b, bits),
            }
        }
        assert_eq!(named, Gpi::ALL.len());
        for g in Gpi::ALL {
            assert_eq!(Gpi::from_encoding(g.encoding()), Ok(g));
        }
    }

    #[test]
    fn gpi_check_rules() {
        use SecurityState as S;
        let all_pas = [Pas::Secure, Pas::NonSecure, Pas::Realm, Pas::Root];
        for pas in all_pas {
            let st = match pas {
                Pas::Secure => S::Secure,
                Pas::NonSecure => S::NonSecure,
                Pas::Realm => S::Realm,
                Pas::Root => S::Root,
            };
            assert!(!Gpi::NoAccess.permits(pas, st));
            assert!(Gpi::Any.permits(pas, st));
            assert!(Gpi::for_pas(pas).permits(pas, st));
            for other in all_pas {
                assert_eq!(Gpi::for_pas(other).permits(pas, st), other == pas);
            }
        }
        // NSO: Non-secure PAS, and only from Non-secure or Root state.
        assert!(Gpi::Nso.permits(Pas::NonSecure, S::NonSecure));
        assert!(Gpi::Nso.permits(Pas::NonSecure, S::Root));
        assert!(!Gpi::Nso.permits(Pas::NonSecure, S::Secure));
        assert!(!Gpi::Nso.permits(Pas::NonSecure, S::Realm));
        assert!(!Gpi::Nso.permits(Pas::Root, S::Root));
    }

    #[test]
    fn gpi_valid_depends_on_configuration() {
        let fvp = Gpccr::enabled(GpcFeatures::FVP, 36, Pgs::K4);
        assert_eq!(fvp.decode_gpi(0b1000), Ok(Gpi::Secure));
        assert_eq!(fvp.decode_gpi(0b1101), Err(ReservedGpi(0b1101)));
        let no_sel2 = Gpccr::enabled(GpcFeatures { sel2: false, ..GpcFeatures::FVP }, 36, Pgs::K4);
        assert_eq!(no_sel2.decode_gpi(0b1000), Err(ReservedGpi(0b1000)));
        let gpc2 = GpcFeatures { gpc2: true, ..GpcFeatures::FVP };
        let mut g = Gpccr::enabled(gpc2, 36, Pgs::K4);
        assert_eq!(g.decode_gpi(0b1101), Err(ReservedGpi(0b1101)), "NSO needs GPCCR_EL3.NSO");
        g.nso = true;
        assert_eq!(g.decode_gpi(0b1101), Ok(Gpi::Nso));
        for bits in [1u8, 2, 3, 4, 5, 6, 7, 0b1100, 0b1110] {
            assert_eq!(g.decode_gpi(bits), Err(ReservedGpi(bits)));
        }
    }
}
