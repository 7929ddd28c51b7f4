//! CCI-550 tests: every register driven through a real `PhysBus` at
//! 0x2a00_0000, with TF-A's `cci_init` and `cci_enable_snoop_dvm_reqs`
//! sequences.

mod common;

use common::{MappedDevice, root};
use rme_devices::cci550::*;
use rme_mmu::{AccessAttrs, Pas};

const BASE: u64 = FVP_CCI550_BASE;

type Rig = MappedDevice<Cci550>;

fn rig() -> Rig {
    Rig::new("cci-550", BASE, FVP_CCI550_SIZE, Cci550::new())
}

impl Rig {
    /// cci_enable_snoop_dvm_reqs(master) for slave interface `iface`.
    fn enable_snoop_dvm(&self, iface: usize) {
        self.w(slave_iface_offset(iface) + SNOOP_CTRL, DVM_EN | SNOOP_EN);
        let mut polls = 0;
        while self.r(STATUS) & CHANGE_PENDING != 0 {
            polls += 1;
            assert!(polls < 10, "change_pending never clears");
        }
    }
}

#[test]
fn peripheral_ids_name_a_cci550() {
    let r = rig();
    // read_cci_part_number
    let part = (r.r(PERIPHERAL_ID1) & 0xf) << 8 | (r.r(PERIPHERAL_ID0) & 0xff);
    assert_eq!(part, 0x423);
    assert_eq!(r.r(PERIPHERAL_ID2), 0x0b);
    assert_eq!(r.r(PERIPHERAL_ID3), 0x00);
    assert_eq!(r.r(PERIPHERAL_ID4), 0x04);
    let cid: Vec<u32> = (0..4).map(|i| r.r(COMPONENT_ID0 + 4 * i)).collect();
    assert_eq!(cid, vec![0x0d, 0xf0, 0x05, 0xb1]);
    // Read-only.
    r.w(PERIPHERAL_ID0, 0);
    assert_eq!(r.r(PERIPHERAL_ID0), 0x23);
    assert_eq!(r.dev.bad_accesses(), 1);
}

#[test]
fn snoop_ctrl_enable_for_cluster_interfaces() {
    let r = rig();
    // FVP CCI-5xx map: cluster 0 -> slave interface 5, cluster 1 -> 6.
    for iface in [5, 6] {
        assert_eq!(r.r(slave_iface_offset(iface)) & (SNOOP_EN | DVM_EN), 0, "disabled at reset");
        r.enable_snoop_dvm(iface);
        assert_eq!(r.r(slave_iface_offset(iface) + SNOOP_CTRL), SUPPORT_DVMS | SUPPORT_SNOOPS | DVM_EN | SNOOP_EN);
        assert_eq!(r.dev.snoop_dvm_enabled(iface), (true, true));
    }
    assert_eq!(r.dev.snoop_dvm_enabled(4), (false, false));
}

#[test]
fn snoop_ctrl_disable_writes_complement() {
    let r = rig();
    r.enable_snoop_dvm(5);
    // cci_disable_snoop_dvm_reqs writes ~(DVM_EN | SNOOP_EN).
    r.w(slave_iface_offset(5) + SNOOP_CTRL, !(DVM_EN | SNOOP_EN));
    assert_eq!(r.r(STATUS) & CHANGE_PENDING, 0);
    assert_eq!(r.r(slave_iface_offset(5)), SUPPORT_DVMS | SUPPORT_SNOOPS);
    assert_eq!(r.dev.snoop_dvm_enabled(5), (false, false));
}

#[test]
fn ace_lite_interface_has_no_snoops() {
    let r = rig();
    r.w(slave_iface_offset(0) + SNOOP_CTRL, DVM_EN | SNOOP_EN);
    assert_eq!(r.r(slave_iface_offset(0) + SNOOP_CTRL), SUPPORT_DVMS | DVM_EN);
}

#[test]
fn status_reads_idle_and_is_read_only() {
    let r = rig();
    assert_eq!(r.r(STATUS), STATUS_SF_ON);
    assert_eq!(r.r(STATUS) & CHANGE_PENDING, 0);
    r.w(STATUS, 0xffff_ffff);
    assert_eq!(r.r(STATUS), STATUS_SF_ON);
    assert_eq!(r.dev.bad_accesses(), 1);
}

#[test]
fn global_registers_hold_values() {
    let r = rig();
    for (reg, v) in [(CTRL_OVERRIDE, 0x3), (SPECULATION_CTRL, 0x7f_0000), (PERFMON_CTRL, 0x1), (IFACE_MON_CTRL, 0x5)] {
        r.w(reg, v);
        assert_eq!(r.r(reg), v, "reg {reg:#x}");
    }
    // Imprecise error: write-1-to-clear, nothing ever recorded.
    r.w(IMPRECISE_ERR, 0xffff_ffff);
    assert_eq!(r.r(IMPRECISE_ERR), 0);
    assert_eq!(r.dev.state().ctrl_override, 0x3);
    r.dev.reset();
    assert_eq!(r.r(CTRL_OVERRIDE), 0);
    assert_eq!(r.dev.bad_accesses(), 0);
}

#[test]
fn slave_interface_registers_hold_values() {
    let r = rig();
    let base = slave_iface_offset(2);
    for (reg, v, expect) in [
        (SH_OVERRIDE, 0xffff_ffff, 0x3),
        (READ_QOS_OVERRIDE, 0xff, 0xf),
        (WRITE_QOS_OVERRIDE, 0x1a, 0xa),
        (QOS_CTRL, 0x1_0001, 0x1_0001),
        (MAX_OT, 0x20_0020, 0x20_0020),
        (REGULATOR_TARGET, 0x123, 0x123),
        (QOS_REGULATOR_SCALE, 0x45, 0x45),
        (QOS_RANGE, 0xf0f, 0xf0f),
    ] {
        r.w(base + reg, v);
        assert_eq!(r.r(base + reg), expect, "reg {reg:#x}");
    }
    assert_eq!(r.dev.state().ifaces[2].max_ot, 0x20_0020);
    assert_eq!(r.r(slave_iface_offset(3) + MAX_OT), 0, "interfaces are separate");
}

#[test]
fn non_secure_access_needs_the_override() {
    let r = rig();
    let ns = AccessAttrs::cpu(0, Pas::NonSecure);
    let realm = AccessAttrs::cpu(0, Pas::Realm);
    let secure = AccessAttrs::cpu(0, Pas::Secure);
    r.w(CTRL_OVERRIDE, 0x1);
    assert_eq!(r.r_as(CTRL_OVERRIDE, ns), 0, "RAZ");
    r.w_as(CTRL_OVERRIDE, 0x2, ns);
    assert_eq!(r.r_as(CTRL_OVERRIDE, realm), 0);
    assert_eq!(r.r_as(CTRL_OVERRIDE, secure), 0x1, "WI");
    assert_eq!(r.dev.bad_accesses(), 3);
    // IDs are readable by anyone.
    assert_eq!(r.r_as(PERIPHERAL_ID0, ns), 0x23);
    // Secure Access Register bit 0 opens the registers to Non-secure.
    r.w_as(SECURE_ACCESS, NS_REG_ACCESS_OVERRIDE, secure);
    assert_eq!(r.r_as(SECURE_ACCESS, ns), NS_REG_ACCESS_OVERRIDE);
    r.w_as(CTRL_OVERRIDE, 0x2, ns);
    assert_eq!(r.r(CTRL_OVERRIDE), 0x2);
    assert_eq!(r.dev.bad_accesses(), 3);
}

#[test]
fn unknown_offsets_and_sizes_are_counted() {
    let r = rig();
    assert_eq!(r.r(0x0200), 0);
    assert_eq!(r.r(slave_iface_offset(1) + 0x8), 0);
    assert_eq!(r.r(0x9000), 0, "beyond the seven interfaces");
    r.w(0x0014, 1);
    assert_eq!(r.bus.read(BASE + STATUS, 8, root()).unwrap(), 0);
    assert_eq!(r.bus.read(BASE + 0x2, 2, root()).unwrap(), 0);
    assert_eq!(r.dev.bad_accesses(), 6);
    // Narrow reads of a real register return its low bytes.
    assert_eq!(r.bus.read(BASE + PERIPHERAL_ID1, 1, root()).unwrap(), 0xb4);
}
