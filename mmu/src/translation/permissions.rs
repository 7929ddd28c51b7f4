//! Access permissions: stage 1 direct permissions with the hierarchical
//! (table) controls, PAN, WXN and the RME/SIF execute restrictions; stage 2
//! S2AP/XN; the combination of both stages.
//!
//! Arm ARM D8.4 "Memory access control" (D8.4.1 stage 1 data access
//! permissions, D8.4.2 execute-never controls, D8.4.3 PAN, D8.4.4 stage 2
//! permissions, D8.4.6 combining stages); pseudocode
//! `AArch64.S1ApplyTablePerms`, `AArch64.S1ApplyOutputPerms`,
//! `AArch64.S1DirectBasePermissions`, `AArch64.S1ComputePermissions`,
//! `AArch64.S1CheckPermissions`, `AArch64.S2ApplyOutputPerms`,
//! `AArch64.S2DirectBasePermissions`, `AArch64.S2CheckPermissions`.
//! Indirect permissions (FEAT_S1PIE/S2PIE), overlays (FEAT_S1POE/S2POE),
//! FEAT_NV2's NV1 layout and hardware dirty-state (DBM with HD) are not
//! implemented, so none of them may be advertised.
//!
//! Permissions are computed for both privilege levels at once so a TLB can
//! cache them; PSTATE.PAN, which can change without a TLB invalidation, is
//! applied when checking an access ([`Permissions::allowed`]).

use super::access::AccessKind;
use super::descriptor as d;
use super::regime::Regime;
use crate::pas::{Pas, SecurityState};

/// Read/write/execute permission for one privilege level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Rwx {
    pub r: bool,
    pub w: bool,
    pub x: bool,
}

impl Rwx {
    pub const NONE: Rwx = Rwx { r: false, w: false, x: false };
    pub const ALL: Rwx = Rwx { r: true, w: true, x: true };

    fn and(self, o: Rwx) -> Rwx {
        Rwx { r: self.r && o.r, w: self.w && o.w, x: self.x && o.x }
    }
}

/// Permissions of a translation for the privileged EL of the regime
/// (EL1, EL2 or EL3) and for EL0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Permissions {
    /// Privileged permissions before PSTATE.PAN.
    pub privileged: Rwx,
    /// EL0 permissions (all false in the EL2 and EL3 regimes).
    pub unprivileged: Rwx,
    /// PSTATE.PAN = 1 removes privileged read and write: stage 1 gives EL0
    /// data access (or, with SCTLR_ELx.EPAN and FEAT_PAN3, EL0 execute).
    pub pan_restricted: bool,
}

/// Why an access was refused: a write was refused (WnR = 1) or a
/// read/fetch was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Denied {
    pub write: bool,
}

impl Permissions {
    pub const ALL: Permissions = Permissions { privileged: Rwx::ALL, unprivileged: Rwx::ALL, pan_restricted: false };

    /// The permissions an access at this privilege level has, with
    /// PSTATE.PAN applied to privileged data accesses when `pan` is set.
    pub fn effective(&self, unprivileged: bool, pan: bool) -> Rwx {
        if unprivileged {
            self.unprivileged
        } else if pan && self.pan_restricted {
            Rwx { r: false, w: false, x: self.privileged.x }
        } else {
            self.privileged
        }
    }

    /// Does `kind` pass? `pan` is PSTATE.PAN for a privileged data access
    /// to which PAN applies (the caller passes `false` otherwise).
    pub fn allowed(&self, kind: AccessKind, unprivileged: bool, pan: bool) -> bool {
        self.check(kind, unprivileged, pan).is_ok()
    }

    /// `AArch64.S1CheckPermissions` for plain loads, stores and fetches:
    /// a read-modify-write reports the read first.
    pub(crate) fn check(&self, kind: AccessKind, unprivileged: bool, pan: bool) -> Result<(), Denied> {
        let pan = pan && kind != AccessKind::Fetch;
        let p = self.effective(unprivileged, pan);
        match kind {
            AccessKind::Fetch if !p.x => Err(Denied { write: false }),
            AccessKind::Read | AccessKind::ReadWrite if !p.r => Err(Denied { write: false }),
            AccessKind::Write | AccessKind::ReadWrite if !p.w => Err(Denied { write: true }),
            _ => Ok(()),
        }
    }

    /// Both stages: an access needs stage 1 and stage 2 permission.
    pub fn combine(s1: Permissions, s2: &S2Permissions) -> Permissions {
        Permissions {
            privileged: s1.privileged.and(Rwx { r: s2.r, w: s2.w, x: s2.px }),
            unprivileged: s1.unprivileged.and(Rwx { r: s2.r, w: s2.w, x: s2.ux }),
            pan_restricted: s1.pan_restricted,
        }
    }
}

/// The hierarchical controls gathered from the table descriptors of a walk
/// (`Permissions.ap_table`, `uxn_table`/`xn_table`, `pxn_table`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct TablePerms {
    /// APTable\[0\]: no EL0 access.
    pub no_el0: bool,
    /// APTable\[1\]: no write access.
    pub no_write: bool,
    /// UXNTable (XNTable in single-privilege regimes).
    pub uxn: bool,
    pub pxn: bool,
}

impl TablePerms {
    /// `AArch64.S1ApplyTablePerms`: OR in the controls of one table
    /// descriptor. In the EL2/EL3 regimes APTable\[0\] and PXNTable are RES0.
    pub fn apply(&mut self, desc: u64, regime: Regime) {
        self.no_write |= desc & d::AP_TABLE1 != 0;
        self.uxn |= desc & d::UXN_TABLE != 0;
        if regime.has_unprivileged() {
            self.no_el0 |= desc & d::AP_TABLE0 != 0;
            self.pxn |= desc & d::PXN_TABLE != 0;
        }
    }
}

/// Everything stage 1 permissions depend on besides the descriptors.
#[derive(Clone, Copy, Debug)]
pub(crate) struct S1PermContext {
    pub regime: Regime,
    pub security: SecurityState,
    /// Output PAS of the translation.
    pub out_pas: Pas,
    pub wxn: bool,
    pub epan: bool,
    pub sif: bool,
}

/// `AArch64.S1DirectBasePermissions` and `AArch64.S1ComputePermissions`,
/// for both privilege levels.
pub(crate) fn s1_permissions(leaf: u64, table: TablePerms, cx: &S1PermContext) -> Permissions {
    let (mut p, mut u, pan_restricted);
    if cx.regime.has_unprivileged() {
        // Leaf AP[2:1].
        let (pr, mut pw, mut ur, mut uw) = match ((leaf & d::AP2 != 0), (leaf & d::AP1 != 0)) {
            (false, false) => (true, true, false, false),
            (false, true) => (true, true, true, true),
            (true, false) => (true, false, false, false),
            (true, true) => (true, false, true, false),
        };
        // Hierarchical APTable.
        if table.no_el0 {
            ur = false;
            uw = false;
        }
        if table.no_write {
            pw = false;
            uw = false;
        }
        // Locations writable at EL0 are never executable at EL1.
        let px = !(leaf & d::PXN != 0 || table.pxn || uw);
        let ux = !(leaf & d::UXN != 0 || table.uxn);
        pan_restricted = ur || uw || (cx.epan && ux);
        p = Rwx { r: pr, w: pw, x: px };
        u = Rwx { r: ur, w: uw, x: ux };
    } else {
        let pw = leaf & d::AP2 == 0 && !table.no_write;
        let px = !(leaf & d::XN != 0 || table.uxn);
        p = Rwx { r: true, w: pw, x: px };
        u = Rwx::NONE;
        pan_restricted = false;
    }
    // SCTLR_ELx.WXN: writable means not executable (per privilege level).
    if cx.wxn {
        p.x &= !p.w;
        u.x &= !u.w;
    }
    // SCR_EL3.SIF: no Secure fetch from Non-secure PAS.
    // RME: Root executes only Root memory; Realm EL2 and EL2&0 only Realm
    // memory (Realm EL1&0 is restricted by stage 2).
    let no_exec = (cx.security == SecurityState::Secure && cx.out_pas == Pas::NonSecure && cx.sif)
        || (cx.security == SecurityState::Root && cx.out_pas != Pas::Root)
        || (cx.security == SecurityState::Realm
            && matches!(cx.regime, Regime::El2 | Regime::El20)
            && cx.out_pas != Pas::Realm);
    if no_exec {
        p.x = false;
        u.x = false;
    }
    Permissions { privileged: p, unprivileged: u, pan_restricted }
}

/// Stage 2 permissions (`AArch64.S2DirectBasePermissions`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct S2Permissions {
    /// S2AP\[0\].
    pub r: bool,
    /// S2AP\[1\].
    pub w: bool,
    /// Execute at EL1.
    pub px: bool,
    /// Execute at EL0.
    pub ux: bool,
}

impl S2Permissions {
    pub const ALL: S2Permissions = S2Permissions { r: true, w: true, px: true, ux: true };

    /// Decode S2AP (bits \[7:6\]) and XN\[1:0\] (bits \[54:53\]; bit 53 only with
    /// FEAT_XNX): 00 both execute, 01 EL1 no, 10 neither, 11 EL0 no.
    /// A Realm translation whose output is not in the Realm PAS is never
    /// executable (`AArch64.S2CheckPermissions`: "Prevent execution from
    /// Non-secure space by Realm state").
    pub(crate) fn from_descriptor(desc: u64, xnx: bool, realm_non_realm_output: bool) -> S2Permissions {
        let xn = desc & d::S2_XN != 0;
        let xnx = xnx && desc & d::S2_XNX != 0;
        let (px, ux) = match (xn, xnx) {
            (false, false) => (true, true),
            (false, true) => (false, true),
            (true, false) => (false, false),
            (true, true) => (true, false),
        };
        let exec = !realm_non_realm_output;
        S2Permissions { r: desc & d::AP1 != 0, w: desc & d::AP2 != 0, px: px && exec, ux: ux && exec }
    }

    /// `AArch64.S2CheckPermissions` for a data access or fetch at EL0
    /// (`unprivileged`) or EL1.
    pub(crate) fn check(&self, kind: AccessKind, unprivileged: bool) -> Result<(), Denied> {
        match kind {
            AccessKind::Fetch if !(if unprivileged { self.ux } else { self.px }) => Err(Denied { write: false }),
            AccessKind::Read | AccessKind::ReadWrite if !self.r => Err(Denied { write: false }),
            AccessKind::Write | AccessKind::ReadWrite if !self.w => Err(Denied { write: true }),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx(regime: Regime) -> S1PermContext {
        S1PermContext {
            regime,
            security: SecurityState::NonSecure,
            out_pas: Pas::NonSecure,
            wxn: false,
            epan: false,
            sif: false,
        }
    }

    const AP_RW_EL1: u64 = 0;
    const AP_RW_ALL: u64 = d::AP1;
    const AP_RO_EL1: u64 = d::AP2;
    const AP_RO_ALL: u64 = d::AP2 | d::AP1;

    fn rwx(r: bool, w: bool, x: bool) -> Rwx {
        Rwx { r, w, x }
    }

    #[test]
    fn ap_table_for_two_privilege_levels() {
        let c = cx(Regime::El10);
        let t = TablePerms::default();
        let p = s1_permissions(AP_RW_EL1, t, &c);
        assert_eq!((p.privileged, p.unprivileged), (rwx(true, true, true), rwx(false, false, true)));
        // EL0-writable: never privileged-executable.
        let p = s1_permissions(AP_RW_ALL, t, &c);
        assert_eq!((p.privileged, p.unprivileged), (rwx(true, true, false), rwx(true, true, true)));
        assert!(p.pan_restricted);
        let p = s1_permissions(AP_RO_EL1, t, &c);
        assert_eq!((p.privileged, p.unprivileged), (rwx(true, false, true), rwx(false, false, true)));
        assert!(!p.pan_restricted);
        let p = s1_permissions(AP_RO_ALL, t, &c);
        assert_eq!((p.privileged, p.unprivileged), (rwx(true, false, true), rwx(true, false, true)));
    }

    #[test]
    fn hierarchical_controls() {
        let c = cx(Regime::El10);
        let mut t = TablePerms::default();
        t.apply(d::AP_TABLE0, Regime::El10);
        let p = s1_permissions(AP_RW_ALL, t, &c);
        assert_eq!(p.unprivileged, rwx(false, false, true));
        assert_eq!(p.privileged, rwx(true, true, true));
        let mut t = TablePerms::default();
        t.apply(d::AP_TABLE1 | d::UXN_TABLE, Regime::El10);
        let p = s1_permissions(AP_RW_ALL, t, &c);
        assert_eq!(p.unprivileged, rwx(true, false, false));
        assert_eq!(p.privileged, rwx(true, false, true));
        let mut t = TablePerms::default();
        t.apply(d::PXN_TABLE, Regime::El10);
        assert_eq!(s1_permissions(AP_RW_EL1, t, &c).privileged, rwx(true, true, false));
        // EL3: APTable[0] and PXNTable are RES0; XNTable is bit 60.
        let mut t = TablePerms::default();
        t.apply(d::AP_TABLE0 | d::PXN_TABLE, Regime::El3);
        assert_eq!(s1_permissions(0, t, &cx(Regime::El3)).privileged, rwx(true, true, true));
        t.apply(d::XN_TABLE | d::AP_TABLE1, Regime::El3);
        assert_eq!(s1_permissions(0, t, &cx(Regime::El3)).privileged, rwx(true, false, false));
    }

    #[test]
    fn wxn_and_pan() {
        let mut c = cx(Regime::El10);
        c.wxn = true;
        let p = s1_permissions(AP_RW_EL1, TablePerms::default(), &c);
        assert_eq!(p.privileged, rwx(true, true, false));
        assert!(p.unprivileged.x);
        let p = s1_permissions(AP_RO_ALL, TablePerms::default(), &c);
        assert!(p.privileged.x);
        assert!(p.allowed(AccessKind::Read, false, false));
        assert!(!p.allowed(AccessKind::Read, false, true));
        assert!(p.allowed(AccessKind::Fetch, false, true));
        assert_eq!(p.check(AccessKind::ReadWrite, true, false), Err(Denied { write: true }));
        // EPAN: EL0-executable memory is PAN-protected too.
        c.wxn = false;
        c.epan = true;
        let p = s1_permissions(AP_RW_EL1, TablePerms::default(), &c);
        assert!(p.pan_restricted);
    }

    #[test]
    fn rme_execute_restrictions() {
        let mut c = cx(Regime::El3);
        c.security = SecurityState::Root;
        c.out_pas = Pas::NonSecure;
        assert!(!s1_permissions(0, TablePerms::default(), &c).privileged.x);
        c.out_pas = Pas::Root;
        assert!(s1_permissions(0, TablePerms::default(), &c).privileged.x);
        let mut c = cx(Regime::El2);
        c.security = SecurityState::Realm;
        c.out_pas = Pas::NonSecure;
        assert!(!s1_permissions(0, TablePerms::default(), &c).privileged.x);
        let mut c = cx(Regime::El10);
        c.security = SecurityState::Secure;
        c.out_pas = Pas::NonSecure;
        assert!(s1_permissions(0, TablePerms::default(), &c).privileged.x);
        c.sif = true;
        assert!(!s1_permissions(0, TablePerms::default(), &c).privileged.x);
    }

    #[test]
    fn stage2_xn_encodings() {
        let rw = d::AP1 | d::AP2;
        let p = |bits: u64| S2Permissions::from_descriptor(rw | bits, true, false);
        assert_eq!((p(0).px, p(0).ux), (true, true));
        assert_eq!((p(d::S2_XNX).px, p(d::S2_XNX).ux), (false, true));
        assert_eq!((p(d::S2_XN).px, p(d::S2_XN).ux), (false, false));
        assert_eq!((p(d::S2_XN | d::S2_XNX).px, p(d::S2_XN | d::S2_XNX).ux), (true, false));
        // Without FEAT_XNX bit 53 is ignored.
        let q = S2Permissions::from_descriptor(rw | d::S2_XNX, false, false);
        assert_eq!((q.px, q.ux), (true, true));
        let ro = S2Permissions::from_descriptor(d::AP1, true, false);
        assert_eq!(ro.check(AccessKind::Write, false), Err(Denied { write: true }));
        assert_eq!(ro.check(AccessKind::Read, false), Ok(()));
        let realm_ns = S2Permissions::from_descriptor(rw, true, true);
        assert_eq!(realm_ns.check(AccessKind::Fetch, false), Err(Denied { write: false }));
    }
}
