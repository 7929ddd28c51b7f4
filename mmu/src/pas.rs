//! Security states and physical address spaces.
//!
//! With FEAT_RME there are four security states (Arm ARM A2.x, DDI0487
//! "Security states"): Secure, Non-secure, Realm and Root. EL3 is always in
//! Root state; below EL3 the state is chosen by `SCR_EL3.{NSE,NS}`:
//!
//! | NSE | NS | state      |
//! |-----|----|------------|
//! | 0   | 0  | Secure     |
//! | 0   | 1  | Non-secure |
//! | 1   | 0  | Root (EL3 only; reserved for a lower EL) |
//! | 1   | 1  | Realm      |
//!
//! Every physical access carries its physical address space ([`Pas`]).

use std::fmt;

/// The security state of a PE (Arm ARM `CurrentSecurityState()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SecurityState {
    Secure,
    NonSecure,
    Realm,
    Root,
}

/// A physical address space (Arm ARM `PASpace`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pas {
    Secure,
    NonSecure,
    Realm,
    Root,
}

impl SecurityState {
    /// The security state of a lower EL given `SCR_EL3.NSE` and `SCR_EL3.NS`.
    /// Returns `None` for the reserved (NSE=1, NS=0) combination, which only
    /// EL3 (Root) may use.
    pub fn from_scr_bits(nse: bool, ns: bool) -> Option<SecurityState> {
        match (nse, ns) {
            (false, false) => Some(SecurityState::Secure),
            (false, true) => Some(SecurityState::NonSecure),
            (true, true) => Some(SecurityState::Realm),
            (true, false) => None,
        }
    }

    /// The physical address space a translation regime of this state uses by
    /// default (before descriptor NS/NSE bits select another one).
    pub fn default_pas(self) -> Pas {
        match self {
            SecurityState::Secure => Pas::Secure,
            SecurityState::NonSecure => Pas::NonSecure,
            SecurityState::Realm => Pas::Realm,
            SecurityState::Root => Pas::Root,
        }
    }
}

impl Pas {
    /// The `{NSE, NS}` pair that names this PAS in MFAR_EL3, PAR_EL1 and
    /// descriptors (Arm ARM D9.1): Secure 00, Non-secure 01, Root 10, Realm 11.
    pub fn nse_ns(self) -> (bool, bool) {
        match self {
            Pas::Secure => (false, false),
            Pas::NonSecure => (false, true),
            Pas::Root => (true, false),
            Pas::Realm => (true, true),
        }
    }
}

impl fmt::Display for SecurityState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SecurityState::Secure => "Secure",
            SecurityState::NonSecure => "Non-secure",
            SecurityState::Realm => "Realm",
            SecurityState::Root => "Root",
        })
    }
}

impl fmt::Display for Pas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Pas::Secure => "Secure",
            Pas::NonSecure => "Non-secure",
            Pas::Realm => "Realm",
            Pas::Root => "Root",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scr_bits_select_state() {
        assert_eq!(SecurityState::from_scr_bits(false, false), Some(SecurityState::Secure));
        assert_eq!(SecurityState::from_scr_bits(false, true), Some(SecurityState::NonSecure));
        assert_eq!(SecurityState::from_scr_bits(true, true), Some(SecurityState::Realm));
        assert_eq!(SecurityState::from_scr_bits(true, false), None);
    }

    #[test]
    fn pas_encoding_matches_mfar() {
        assert_eq!(Pas::Root.nse_ns(), (true, false));
        assert_eq!(Pas::Realm.nse_ns(), (true, true));
        assert_eq!(Pas::NonSecure.nse_ns(), (false, true));
        assert_eq!(Pas::Secure.nse_ns(), (false, false));
    }
}
