//! SMMUv3 tests: every modelled register driven through a real `PhysBus`
//! at 0x2b40_0000, with TF-A's `smmuv3_security_init`, `smmuv3_init` and
//! `smmuv3_ns_set_abort_all` replayed from the Root PAS.

mod common;

use common::{MappedDevice, root};
use rme_devices::smmuv3::*;
use rme_mmu::{AccessAttrs, Pas};

const BASE: u64 = FVP_SMMUV3_BASE;

type Rig = MappedDevice<SmmuV3>;

fn rig() -> Rig {
    Rig::new("smmuv3", BASE, FVP_SMMUV3_SIZE, SmmuV3::new())
}

impl Rig {
    /// smmuv3_poll: the register must reach the value within a few reads
    /// (TF-A gives it 1 ms of generic-timer time).
    fn poll(&self, off: u64, mask: u32, value: u32) {
        for _ in 0..4 {
            if self.r(off) & mask == value {
                return;
            }
        }
        panic!("register {off:#x} never reached {value:#x} under {mask:#x}: {:#x}", self.r(off));
    }
    fn setbits(&self, off: u64, bits: u32) {
        let v = self.r(off);
        self.w(off, v | bits);
    }
}

#[test]
fn id_registers() {
    let r = rig();
    assert_eq!(r.r(SMMU_IDR0), IDR0);
    assert_eq!(r.r(SMMU_IDR0) & 0x3, 0, "no translation stage");
    assert_eq!(r.r(SMMU_IDR0) >> 30 & 1, 0, "RME_IMPL = 0");
    assert_eq!(r.r(SMMU_IDR1), IDR1);
    assert_eq!(r.r(SMMU_IDR2), 0);
    assert_eq!(r.r(SMMU_IDR3), 0);
    assert_eq!(r.r(SMMU_IDR4), 0);
    assert_eq!(r.r(SMMU_IDR5), IDR5);
    assert_eq!(r.r(SMMU_IIDR) & 0xfff, 0x43b, "Implementer Arm");
    assert_eq!(r.r(SMMU_AIDR), 0x02, "SMMUv3.2");
    assert_eq!(r.r(0xff0), 0x0d);
    assert_eq!(r.r(0xffc), 0xb1);
    for reg in [SMMU_IDR0, SMMU_IDR5, SMMU_IIDR, SMMU_AIDR, SMMU_CR0ACK, 0xfe0] {
        r.w(reg, 0xffff_ffff);
    }
    assert_eq!(r.r(SMMU_IDR0), IDR0);
    assert_eq!(r.dev.bad_accesses(), 6);
}

#[test]
fn secure_id_registers() {
    let r = rig();
    assert_eq!(r.r(SMMU_S_IDR0), S_IDR0);
    assert_ne!(r.r(SMMU_S_IDR1) & S_IDR1_SECURE_IMPL, 0);
    for reg in [SMMU_S_IDR2, SMMU_S_IDR3, SMMU_S_IDR4] {
        assert_eq!(r.r(reg), 0);
    }
    // IDR0.STALL_MODEL reports S_IDR0.STALL_MODEL when SECURE_IMPL.
    assert_eq!((r.r(SMMU_IDR0) >> 24) & 3, (r.r(SMMU_S_IDR0) >> 24) & 3);
}

#[test]
fn smmuv3_security_init_aborts_both_worlds() {
    let r = rig();
    assert_eq!(r.r(SMMU_GBPA), GBPA_RESET);
    r.poll(SMMU_GBPA, GBPA_UPDATE, 0);
    r.setbits(SMMU_GBPA, GBPA_UPDATE | GBPA_ABORT);
    r.poll(SMMU_GBPA, GBPA_UPDATE, 0);
    assert_eq!(r.r(SMMU_GBPA), GBPA_RESET | GBPA_ABORT, "ABORT stored, Update self-cleared");
    assert_ne!(r.r(SMMU_S_IDR1) & S_IDR1_SECURE_IMPL, 0);
    r.poll(SMMU_S_GBPA, GBPA_UPDATE, 0);
    r.setbits(SMMU_S_GBPA, GBPA_UPDATE | GBPA_ABORT);
    r.poll(SMMU_S_GBPA, GBPA_UPDATE, 0);
    assert_eq!(r.r(SMMU_S_GBPA), GBPA_RESET | GBPA_ABORT);
    assert_eq!(r.dev.aborts_all(), (true, true));
    assert_eq!(r.dev.bad_accesses(), 0);
}

#[test]
fn gbpa_write_without_update_is_ignored() {
    let r = rig();
    r.w(SMMU_GBPA, GBPA_ABORT);
    assert_eq!(r.r(SMMU_GBPA), GBPA_RESET);
    r.w(SMMU_S_GBPA, GBPA_ABORT);
    assert_eq!(r.r(SMMU_S_GBPA), GBPA_RESET);
    // With Update, every field is taken (reserved bits are not).
    r.w(SMMU_GBPA, 0xffff_ffff);
    assert_eq!(r.r(SMMU_GBPA), 0x001f_3f1f);
}

#[test]
fn smmuv3_init_invalidates_and_skips_gpc() {
    let r = rig();
    r.w(SMMU_S_INIT, S_INIT_INV_ALL);
    r.poll(SMMU_S_INIT, S_INIT_INV_ALL, 0);
    assert_eq!(r.dev.state().invalidations, 1);
    // ENABLE_RME: ROOT_IDR0.ROOT_IMPL == 0 -> "Skip SMMU GPC configuration".
    assert_eq!(r.r(SMMU_ROOT_IDR0) & ROOT_IDR0_ROOT_IMPL, 0);
    assert_eq!(r.r(SMMU_ROOT_IIDR), 0);
    r.w(SMMU_S_INIT, 0);
    assert_eq!(r.dev.state().invalidations, 1, "writing 0 does nothing");
    assert_eq!(r.dev.bad_accesses(), 0);
}

#[test]
fn cr0ack_follows_cr0() {
    let r = rig();
    r.w(SMMU_CR0, CR0_SMMUEN | CR0_CMDQEN | CR0_EVENTQEN);
    assert_eq!(r.r(SMMU_CR0), 0xd);
    assert_eq!(r.r(SMMU_CR0ACK), 0xd);
    r.w(SMMU_CR0, 0xffff_ffff);
    assert_eq!(r.r(SMMU_CR0ACK), 0xd, "PRIQEN, ATSCHK, VMW are not implemented");
    // smmuv3_ns_set_abort_all
    r.poll(SMMU_GBPA, GBPA_UPDATE, 0);
    r.setbits(SMMU_GBPA, GBPA_UPDATE | GBPA_ABORT);
    r.poll(SMMU_GBPA, GBPA_UPDATE, 0);
    let v = r.r(SMMU_CR0);
    r.w(SMMU_CR0, v & !CR0_SMMUEN);
    r.poll(SMMU_CR0ACK, CR0_SMMUEN, 0);
    assert_eq!(r.r(SMMU_CR0ACK), 0xc);
}

#[test]
fn s_cr0ack_follows_s_cr0() {
    let r = rig();
    r.w(SMMU_S_CR0, 0xffff_ffff);
    assert_eq!(r.r(SMMU_S_CR0), 0x2d, "SMMUEN, EVENTQEN, CMDQEN, SIF");
    assert_eq!(r.r(SMMU_S_CR0ACK), 0x2d);
    r.w(SMMU_S_CR0, 0);
    assert_eq!(r.r(SMMU_S_CR0ACK), 0);
    r.w(SMMU_S_CR0ACK, 1);
    assert_eq!(r.dev.bad_accesses(), 1, "S_CR0ACK is read-only");
}

#[test]
fn cr1_cr2_hold_values() {
    let r = rig();
    for (reg, mask) in [(SMMU_CR1, 0xfff), (SMMU_CR2, 0x7), (SMMU_S_CR1, 0xfff), (SMMU_S_CR2, 0x7)] {
        r.w(reg, 0xffff_ffff);
        assert_eq!(r.r(reg), mask, "reg {reg:#x}");
    }
}

#[test]
fn secure_registers_are_raz_wi_to_non_secure_and_realm() {
    let r = rig();
    for pas in [Pas::NonSecure, Pas::Realm] {
        let a = AccessAttrs::cpu(0, pas);
        assert_eq!(r.r_as(SMMU_S_IDR1, a), 0);
        r.w_as(SMMU_S_GBPA, GBPA_UPDATE | GBPA_ABORT, a);
        r.w_as(SMMU_S_INIT, S_INIT_INV_ALL, a);
    }
    assert_eq!(r.dev.aborts_all(), (false, false));
    assert_eq!(r.dev.state().invalidations, 0);
    assert_eq!(r.dev.bad_accesses(), 6);
    // Non-secure registers are open to Non-secure.
    let ns = AccessAttrs::cpu(0, Pas::NonSecure);
    assert_eq!(r.r_as(SMMU_IDR0, ns), IDR0);
    r.w_as(SMMU_GBPA, GBPA_UPDATE | GBPA_ABORT, ns);
    assert_eq!(r.dev.aborts_all(), (true, false));
    // Secure reaches the Secure registers.
    assert_ne!(r.r_as(SMMU_S_IDR1, AccessAttrs::cpu(0, Pas::Secure)), 0);
}

#[test]
fn root_page_is_root_only() {
    let r = rig();
    for pas in [Pas::Secure, Pas::NonSecure, Pas::Realm] {
        assert_eq!(r.r_as(SMMU_ROOT_IDR0, AccessAttrs::cpu(0, pas)), 0);
    }
    assert_eq!(r.dev.bad_accesses(), 3);
    assert_eq!(r.r(SMMU_ROOT_IDR0), 0);
    assert_eq!(r.dev.bad_accesses(), 3);
    r.w(SMMU_ROOT_IDR0, 1);
    assert_eq!(r.dev.bad_accesses(), 4, "read-only");
}

#[test]
fn unmodelled_registers_are_counted() {
    let r = rig();
    // SMMU_STRTAB_BASE (64-bit), CMDQ_PROD, page 1, ROOT_CR0: not modelled.
    assert_eq!(r.bus.read(BASE + 0x80, 8, root()).unwrap(), 0);
    assert_eq!(r.r(0x98), 0);
    assert_eq!(r.r(0x1_00a8), 0);
    assert_eq!(r.r(ROOT_PAGE_OFFSET + 0x20), 0);
    r.w(0x50, 1);
    assert_eq!(r.dev.bad_accesses(), 5);
    r.dev.reset();
    assert_eq!(r.dev.state(), SmmuV3State::default());
}
