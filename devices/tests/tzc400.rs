//! TZC-400 tests: every register driven through a real `PhysBus` at
//! 0x2a4a_0000, and TF-A's `arm_tzc400_setup` for the FVP RME build
//! replayed against it.

mod common;

use common::{MappedDevice, root};
use rme_devices::tzc400::*;
use rme_mmu::{AccessAttrs, Pas};

const BASE: u64 = FVP_TZC400_BASE;

type Rig = MappedDevice<Tzc400>;

fn rig() -> Rig {
    Rig::new("tzc-400", BASE, FVP_TZC400_SIZE, Tzc400::new())
}

fn region(n: u64, reg: u64) -> u64 {
    reg + REGION_STRIDE * n
}

impl Rig {
    fn gate_keeper_os(&self) -> u32 {
        (self.r(GATE_KEEPER) >> GATE_KEEPER_OS_SHIFT) & 0xf
    }
    /// _tzc400_set_gate_keeper: request, then poll open_status.
    fn set_gate_keeper(&self, filter: u32, open: bool) {
        let mut os = self.gate_keeper_os();
        if open {
            os |= 1 << filter;
        } else {
            os &= !(1 << filter);
        }
        self.w(GATE_KEEPER, os & 0xf);
        let mut polls = 0;
        while self.gate_keeper_os() != os {
            polls += 1;
            assert!(polls < 10, "gate keeper never reaches the request");
        }
    }
    /// _tzc400_configure_region.
    fn configure_region(&self, filters: u32, n: u64, base: u64, top: u64, sec: u32, nsaid: u32) {
        self.w(region(n, REGION_BASE_LOW_0), base as u32);
        self.w(region(n, REGION_BASE_HIGH_0), (base >> 32) as u32);
        self.w(region(n, REGION_TOP_LOW_0), top as u32);
        self.w(region(n, REGION_TOP_HIGH_0), (top >> 32) as u32);
        self.w(region(n, REGION_ATTRIBUTES_0), sec << 30 | filters);
        self.w(region(n, REGION_ID_ACCESS_0), nsaid);
    }
}

/// PLAT_ARM_TZC_NS_DEV_ACCESS: RDWR for NSAIDs 0, 1, 8, 9, 15.
const NS_DEV_ACCESS: u32 = 0x8303_8303;
const S_RDWR: u32 = 3;
const S_NONE: u32 = 0;

/// The RME regions of ARM_TZC_REGIONS_DEF on FVP.
const FVP_RME_REGIONS: [(u64, u64, u32, u32); 5] = [
    (0xfc00_0000, 0xfdbf_ffff, S_RDWR, 0),
    (0xffc0_0000, 0xffff_ffff, S_RDWR, 0),
    (0x8000_0000, 0xfbff_ffff, S_NONE, NS_DEV_ACCESS),
    (0xfdc0_0000, 0xffbf_ffff, S_NONE, NS_DEV_ACCESS),
    (0x8_8000_0000, 0xf_ffff_ffff, S_NONE, NS_DEV_ACCESS),
];

#[test]
fn peripheral_id_is_tzc400() {
    let r = rig();
    // _tzc_read_peripheral_id
    let id = r.r(PID0) | (r.r(PID1) & 0xf) << 8;
    assert_eq!(id, 0x460);
    assert_eq!(r.r(PID2), 0x1b);
    assert_eq!(r.r(PID3), 0);
    assert_eq!(r.r(PID4), 0x04);
    let cid: Vec<u32> = (0..4).map(|i| r.r(CID0 + 4 * i)).collect();
    assert_eq!(cid, vec![0x0d, 0xf0, 0x05, 0xb1]);
}

#[test]
fn build_config_reports_filters_width_regions() {
    let r = rig();
    let b = r.r(BUILD_CONFIG);
    assert_eq!(((b >> 24) & 0x3) + 1, 4, "NF");
    assert_eq!(((b >> 8) & 0x3f) + 1, 40, "AW");
    assert_eq!((b & 0x1f) + 1, 9, "NR");
    r.w(BUILD_CONFIG, 0);
    assert_eq!(r.r(BUILD_CONFIG), b, "read-only");
    assert_eq!(r.dev.bad_accesses(), 1);
}

#[test]
fn arm_tzc400_setup_for_fvp_rme() {
    let r = rig();
    // tzc400_init: ID, build config.
    assert_eq!(r.r(PID0) | (r.r(PID1) & 0xf) << 8, TZC400_PERIPHERAL_ID);
    let nf = ((r.r(BUILD_CONFIG) >> 24) & 3) + 1;
    // tzc400_disable_filters: filter 0 closed at reset, so every filter.
    assert_eq!(r.gate_keeper_os(), 0);
    for f in 0..nf {
        r.set_gate_keeper(f, false);
    }
    // Region 0 no access; regions 1.. per ARM_TZC_REGIONS_DEF, filter 0.
    r.w(region(0, REGION_ATTRIBUTES_0), S_NONE << 30);
    r.w(region(0, REGION_ID_ACCESS_0), 0);
    for (i, &(base, top, sec, nsaid)) in FVP_RME_REGIONS.iter().enumerate() {
        r.configure_region(1, i as u64 + 1, base, top, sec, nsaid);
    }
    r.w(ACTION, 1); // TZC_ACTION_ERR
    // tzc400_enable_filters: each gate must be closed, then opened.
    for f in 0..nf {
        assert_eq!((r.gate_keeper_os() >> f) & 1, 0, "filter {f} already open");
        r.set_gate_keeper(f, true);
    }
    assert_eq!(r.gate_keeper_os(), 0xf);
    assert_eq!(r.dev.open_filters(), 0xf);
    assert_eq!(r.dev.action(), 1);
    assert_eq!(r.dev.bad_accesses(), 0);

    let regions = r.dev.regions();
    assert_eq!(regions.len(), 6);
    assert_eq!(
        regions[0],
        TzcRegion {
            index: 0,
            base: 0,
            top: 0xff_ffff_ffff,
            secure_read: false,
            secure_write: false,
            filters: 0xf,
            nsaid_read: 0,
            nsaid_write: 0
        }
    );
    for (reg, &(base, top, sec, nsaid)) in regions[1..].iter().zip(FVP_RME_REGIONS.iter()) {
        assert_eq!((reg.base, reg.top), (base, top));
        assert_eq!((reg.secure_read, reg.secure_write), (sec & 1 != 0, sec & 2 != 0));
        assert_eq!(reg.filters, 1);
        assert_eq!(u32::from(reg.nsaid_write) << 16 | u32::from(reg.nsaid_read), nsaid);
    }
}

#[test]
fn gate_keeper_open_status_follows_request() {
    let r = rig();
    r.w(GATE_KEEPER, 0x5);
    assert_eq!(r.r(GATE_KEEPER), 0x5 << 16 | 0x5);
    r.w(GATE_KEEPER, 0xfff0);
    assert_eq!(r.r(GATE_KEEPER), 0, "only open_request[3:0] is writable");
}

#[test]
fn action_and_speculation_ctrl_hold_values() {
    let r = rig();
    r.w(ACTION, 0xffff_ffff);
    assert_eq!(r.r(ACTION), 3);
    r.w(SPECULATION_CTRL, 0xffff_ffff);
    assert_eq!(r.r(SPECULATION_CTRL), 3);
}

#[test]
fn int_status_and_fail_registers_read_zero() {
    let r = rig();
    assert_eq!(r.r(INT_STATUS), 0);
    r.w(INT_CLEAR, 0xf);
    for f in 0..4 {
        for reg in [FAIL_ADDRESS_LOW_0, FAIL_ADDRESS_HIGH_0, FAIL_CONTROL_0, FAIL_ID_0] {
            assert_eq!(r.r(reg + 0x10 * f), 0);
        }
    }
    assert!(!r.dev.irq_level());
    assert_eq!(r.dev.bad_accesses(), 0);
    // INT_CLEAR is write-only, INT_STATUS and FAIL_* read-only.
    r.r(INT_CLEAR);
    r.w(INT_STATUS, 1);
    r.w(FAIL_ID_0, 1);
    assert_eq!(r.dev.bad_accesses(), 3);
}

#[test]
fn region0_covers_everything_and_is_fixed() {
    let r = rig();
    r.w(REGION_BASE_LOW_0, 0x1000);
    r.w(REGION_TOP_HIGH_0, 0);
    assert_eq!(r.dev.bad_accesses(), 2);
    assert_eq!(r.r(REGION_BASE_LOW_0), 0);
    assert_eq!(r.r(REGION_BASE_HIGH_0), 0);
    assert_eq!(r.r(REGION_TOP_LOW_0), 0xffff_ffff);
    assert_eq!(r.r(REGION_TOP_HIGH_0), 0xff);
    // Region 0 attributes have no filter enables.
    r.w(REGION_ATTRIBUTES_0, 0xc000_000f);
    assert_eq!(r.r(REGION_ATTRIBUTES_0), 0xc000_0000);
    r.w(REGION_ID_ACCESS_0, 0x0001_0001);
    assert_eq!(r.r(REGION_ID_ACCESS_0), 0x0001_0001);
}

#[test]
fn region_address_registers_keep_4k_granules_and_width() {
    let r = rig();
    r.w(region(3, REGION_BASE_LOW_0), 0x1234_5fff);
    assert_eq!(r.r(region(3, REGION_BASE_LOW_0)), 0x1234_5000);
    r.w(region(3, REGION_TOP_LOW_0), 0x2000_0000);
    assert_eq!(r.r(region(3, REGION_TOP_LOW_0)), 0x2000_0fff, "top is inclusive: [11:0] read as ones");
    r.w(region(3, REGION_BASE_HIGH_0), 0xffff_ffff);
    assert_eq!(r.r(region(3, REGION_BASE_HIGH_0)), 0xff, "40-bit address width");
    r.w(region(3, REGION_TOP_HIGH_0), 0x1ff);
    assert_eq!(r.r(region(3, REGION_TOP_HIGH_0)), 0xff);
    r.w(region(3, REGION_ATTRIBUTES_0), 0xffff_ffff);
    assert_eq!(r.r(region(3, REGION_ATTRIBUTES_0)), 0xc000_000f, "s_wr_en, s_rd_en, filter_en[3:0]");
    r.w(region(3, REGION_ID_ACCESS_0), 0xdead_beef);
    assert_eq!(r.r(region(3, REGION_ID_ACCESS_0)), 0xdead_beef);
    let reg = r.dev.region_regs(3).unwrap();
    assert_eq!((reg.base, reg.top), (0xff_1234_5000, 0xff_2000_0fff));
    assert_eq!((reg.nsaid_read, reg.nsaid_write), (0xbeef, 0xdead));
    assert_eq!(r.dev.bad_accesses(), 0);
}

#[test]
fn regions_reports_only_enabled_regions() {
    let r = rig();
    assert_eq!(r.dev.regions().len(), 1, "region 0 only");
    r.w(region(8, REGION_ATTRIBUTES_0), 0x8000_0002);
    let regions = r.dev.regions();
    assert_eq!(regions.len(), 2);
    assert_eq!(regions[1].index, 8);
    assert_eq!(regions[1].filters, 2);
    assert!(regions[1].secure_write && !regions[1].secure_read);
    assert!(r.dev.region_regs(9).is_none());
    r.dev.reset();
    assert_eq!(r.dev.regions().len(), 1);
}

#[test]
fn non_secure_accesses_are_raz_wi() {
    let r = rig();
    let ns = AccessAttrs::cpu(0, Pas::NonSecure);
    let realm = AccessAttrs::cpu(0, Pas::Realm);
    r.w(ACTION, 2);
    assert_eq!(r.r_as(ACTION, ns), 0);
    assert_eq!(r.r_as(BUILD_CONFIG, realm), 0);
    r.bus.write(BASE + ACTION, 4, 1, ns).unwrap();
    assert_eq!(r.r(ACTION), 2);
    assert_eq!(r.dev.bad_accesses(), 3);
    assert_eq!(r.r_as(PID0, ns), 0x60, "IDs readable by all");
    assert_eq!(r.r_as(ACTION, AccessAttrs::cpu(0, Pas::Secure)), 2);
}

#[test]
fn unknown_offsets_and_sizes_are_counted() {
    let r = rig();
    assert_eq!(r.r(0x18), 0);
    assert_eq!(r.r(0x60), 0, "fail registers of a fifth filter");
    assert_eq!(r.r(region(0, 0x118)), 0, "gap inside a region");
    assert_eq!(r.r(region(9, REGION_BASE_LOW_0)), 0, "region 9");
    r.w(0x800, 1);
    assert_eq!(r.bus.read(BASE + ACTION, 8, root()).unwrap(), 0);
    assert_eq!(r.dev.bad_accesses(), 6);
}
