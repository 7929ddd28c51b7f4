//! Arm CoreLink TZC-400 TrustZone Address Space Controller: its
//! programmers' model, at 0x2a4a_0000 on FVP Base RevC.
//!
//! References: *Arm CoreLink TZC-400 TrustZone Address Space Controller
//! Technical Reference Manual* (Arm DDI 0504), chapter 3 "Programmers
//! model" (build_config, action, gate_keeper, speculation_ctrl,
//! int_status/int_clear, fail_* per filter, region_* per region, the
//! identification registers); TF-A `drivers/arm/tzc/tzc400.c`,
//! `tzc_common_private.h`, `plat/arm/common/arm_tzc400.c` and
//! `plat/arm/board/fvp/fvp_security.c`.
//!
//! **The programmed regions are stored and reported, not enforced.** No
//! access through the bus is checked against them: the FVP's physical
//! address spaces are enforced by the GPC (RME), and a later step may add
//! the TZC check. [`Tzc400::regions`] reports what firmware programmed.
//!
//! What TF-A relies on, and what is modelled:
//! * `tzc400_init` (DEBUG builds) checks the peripheral ID
//!   (`PID1[3:0]:PID0` = 0x460) and panics otherwise, then reads
//!   BUILD_CONFIG: `NF[25:24]` filters - 1, `AW[13:8]` address width - 1,
//!   `NR[4:0]` regions - 1. This model has 4 filters, a 40-bit address
//!   width and 9 regions (region 0 and 8 programmable regions): TF-A's RME
//!   build programs region 0 and regions 1-5 (up to DRAM2 at
//!   0x8_8000_0000..0xf_ffff_ffff, 30 GiB, which needs AW >= 36), on filter 0.
//! * GATE_KEEPER: `open_request[3:0]` (written) and `open_status[19:16]`
//!   (read). A request takes effect at once, so the status TF-A polls
//!   equals the request on the next read. All gates are closed at reset
//!   (`tzc400_enable_filters` panics if a filter other than 0 is already
//!   open).
//! * ACTION `reaction_value[1:0]`, SPECULATION_CTRL `[1:0]`: held.
//! * INT_STATUS reads 0 and the FAIL_* registers read 0: with nothing
//!   enforced, no access ever fails. INT_CLEAR is accepted.
//! * Region registers: `region_base_low_<n>`/`region_top_low_<n>` keep bits
//!   `[31:12]` (4 KiB granularity; `region_top_low` bits `[11:0]` read as
//!   0xfff, since a region's top is inclusive), the `_high` halves keep the
//!   bits below the address width, `region_attributes_<n>` keeps
//!   `s_wr_en`/`s_rd_en` `[31:30]` and `filter_en[3:0]`, `region_id_access_<n>`
//!   `nsaid_wr_en[31:16]` and `nsaid_rd_en[15:0]`. Region 0 covers the
//!   whole address space: its base/top registers are read-only (base 0, top
//!   the last address) and its attributes have no `filter_en` (every filter
//!   uses it).
//!
//! Security: the programming interface answers Secure (and Root) accesses.
//! This model treats Non-secure and Realm accesses as RAZ/WI (logged and
//! counted); the identification registers are readable by all.
//!
//! The interrupt output is generic: [`Tzc400::irq_level`] (never asserted,
//! as nothing fails). Accesses to offsets with no register read as zero and
//! are ignored, logged once (target `platform`) and counted
//! ([`Tzc400::bad_accesses`]).

use crate::access::{BadAccess, BadAccesses, is_secure, mmio_device_of_registers};
use crate::peripheral_id::{CIDR_PRIMECELL, IdRegs};
use parking_lot::Mutex;
use rme_mmu::AccessAttrs;

/// FVP Base RevC base address and region size.
pub const FVP_TZC400_BASE: u64 = 0x2a4a_0000;
pub const FVP_TZC400_SIZE: u64 = 0x1000;

pub const BUILD_CONFIG: u64 = 0x000;
pub const ACTION: u64 = 0x004;
pub const GATE_KEEPER: u64 = 0x008;
pub const SPECULATION_CTRL: u64 = 0x00c;
pub const INT_STATUS: u64 = 0x010;
pub const INT_CLEAR: u64 = 0x014;
/// Filter `f`'s fail registers are at these offsets + 0x10 * f.
pub const FAIL_ADDRESS_LOW_0: u64 = 0x020;
pub const FAIL_ADDRESS_HIGH_0: u64 = 0x024;
pub const FAIL_CONTROL_0: u64 = 0x028;
pub const FAIL_ID_0: u64 = 0x02c;
/// Region `n`'s registers are at these offsets + 0x20 * n.
pub const REGION_BASE_LOW_0: u64 = 0x100;
pub const REGION_BASE_HIGH_0: u64 = 0x104;
pub const REGION_TOP_LOW_0: u64 = 0x108;
pub const REGION_TOP_HIGH_0: u64 = 0x10c;
pub const REGION_ATTRIBUTES_0: u64 = 0x110;
pub const REGION_ID_ACCESS_0: u64 = 0x114;
pub const REGION_STRIDE: u64 = 0x20;
pub const PID4: u64 = 0xfd0;
pub const PID0: u64 = 0xfe0;
pub const PID1: u64 = 0xfe4;
pub const PID2: u64 = 0xfe8;
pub const PID3: u64 = 0xfec;
pub const CID0: u64 = 0xff0;

/// GATE_KEEPER fields.
pub const GATE_KEEPER_OS_SHIFT: u32 = 16;
/// region_attributes fields.
pub const ATTR_S_RD_EN: u32 = 1 << 30;
pub const ATTR_S_WR_EN: u32 = 1 << 31;

/// The TZC-400's peripheral ID (`PID1[3:0]:PID0`).
pub const TZC400_PERIPHERAL_ID: u32 = 0x460;

/// PID0-7 (part 0x460, JEP106 Arm, r0p1) and CID0-3.
const IDS: IdRegs = IdRegs { pidr: [0x60, 0xb4, 0x1b, 0x00, 0x04, 0x00, 0x00, 0x00], cidr: CIDR_PRIMECELL };

/// The most filters and regions a TZC-400 has.
pub const MAX_FILTERS: u8 = 4;
pub const MAX_REGIONS: u8 = 9;

/// Build configuration (what BUILD_CONFIG reports).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tzc400Config {
    /// Number of filters, 1..=4.
    pub filters: u8,
    /// Address width in bits, 32..=64.
    pub address_width: u8,
    /// Number of regions including region 0, 1..=9.
    pub regions: u8,
}

impl Default for Tzc400Config {
    /// 4 filters, 40-bit addresses, 9 regions.
    fn default() -> Tzc400Config {
        Tzc400Config { filters: 4, address_width: 40, regions: 9 }
    }
}

impl Tzc400Config {
    /// The BUILD_CONFIG value.
    pub fn build_config(&self) -> u32 {
        (u32::from(self.filters.clamp(1, MAX_FILTERS) - 1) << 24)
            | (u32::from(self.address_width.clamp(32, 64) - 1) << 8)
            | u32::from(self.regions.clamp(1, MAX_REGIONS) - 1)
    }

    fn filter_mask(&self) -> u32 {
        (1 << self.filters.clamp(1, MAX_FILTERS)) - 1
    }

    /// The writable bits of an address's high word.
    fn high_mask(&self) -> u32 {
        let w = u32::from(self.address_width.clamp(32, 64)) - 32;
        if w >= 32 { u32::MAX } else { (1u32 << w) - 1 }
    }

    /// The last address of the address space.
    fn max_address(&self) -> u64 {
        let w = u32::from(self.address_width.clamp(32, 64));
        if w == 64 { u64::MAX } else { (1u64 << w) - 1 }
    }
}

/// The registers of one region.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RegionRegs {
    pub base_low: u32,
    pub base_high: u32,
    pub top_low: u32,
    pub top_high: u32,
    pub attributes: u32,
    pub id_access: u32,
}

/// The guest-visible state of the TZC-400.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tzc400State {
    pub action: u32,
    /// GATE_KEEPER.open_request (open_status follows it at once).
    pub gate_keeper: u32,
    pub speculation_ctrl: u32,
    pub regions: [RegionRegs; MAX_REGIONS as usize],
}

/// One programmed region, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TzcRegion {
    /// Region number (0 is the background region).
    pub index: u8,
    /// First and last (inclusive) address.
    pub base: u64,
    pub top: u64,
    /// Secure reads / writes permitted (`s_rd_en` / `s_wr_en`).
    pub secure_read: bool,
    pub secure_write: bool,
    /// Filters the region is enabled on (`filter_en`; every filter for region 0).
    pub filters: u32,
    /// NSAIDs allowed to read / write (`nsaid_rd_en` / `nsaid_wr_en`).
    pub nsaid_read: u16,
    pub nsaid_write: u16,
}

/// One TZC-400.
pub struct Tzc400 {
    config: Tzc400Config,
    inner: Mutex<Tzc400State>,
    bad: BadAccesses,
}

impl Tzc400 {
    /// The TZC-400 of [`Tzc400Config::default`].
    pub fn new() -> Tzc400 {
        Tzc400::with_config(Tzc400Config::default())
    }

    pub fn with_config(config: Tzc400Config) -> Tzc400 {
        Tzc400 { config, inner: Mutex::new(Tzc400State::default()), bad: BadAccesses::default() }
    }

    pub fn config(&self) -> &Tzc400Config {
        &self.config
    }

    /// A copy of the register state.
    pub fn state(&self) -> Tzc400State {
        self.inner.lock().clone()
    }

    /// The regions as programmed: region 0, then every region whose
    /// `filter_en` is non-zero. (Stored only; see the module documentation.)
    pub fn regions(&self) -> Vec<TzcRegion> {
        let s = self.inner.lock();
        (0..self.config.regions.clamp(1, MAX_REGIONS))
            .map(|n| self.region(&s, n))
            .filter(|r| r.index == 0 || r.filters != 0)
            .collect()
    }

    /// Region `n` decoded, whether enabled or not.
    pub fn region_regs(&self, n: u8) -> Option<TzcRegion> {
        let s = self.inner.lock();
        (n < self.config.regions.clamp(1, MAX_REGIONS)).then(|| self.region(&s, n))
    }

    fn region(&self, s: &Tzc400State, n: u8) -> TzcRegion {
        let r = &s.regions[n as usize];
        let (base, top, filters) = if n == 0 {
            (0, self.config.max_address(), self.config.filter_mask())
        } else {
            (
                u64::from(r.base_high) << 32 | u64::from(r.base_low & !0xfff),
                u64::from(r.top_high) << 32 | u64::from(r.top_low | 0xfff),
                r.attributes & self.config.filter_mask(),
            )
        };
        TzcRegion {
            index: n,
            base,
            top,
            secure_read: r.attributes & ATTR_S_RD_EN != 0,
            secure_write: r.attributes & ATTR_S_WR_EN != 0,
            filters,
            nsaid_read: r.id_access as u16,
            nsaid_write: (r.id_access >> 16) as u16,
        }
    }

    /// GATE_KEEPER.open_status: the filters whose gates are open.
    pub fn open_filters(&self) -> u32 {
        self.inner.lock().gate_keeper
    }

    /// ACTION.reaction_value.
    pub fn action(&self) -> u32 {
        self.inner.lock().action
    }

    /// The interrupt output (never asserted: nothing is enforced, so no
    /// access fails).
    pub fn irq_level(&self) -> bool {
        false
    }

    /// Returns the registers to their reset values (bad-access count kept).
    pub fn reset(&self) {
        *self.inner.lock() = Tzc400State::default();
    }

    /// Accesses that reached no register or were refused (see the module
    /// documentation).
    pub fn bad_accesses(&self) -> u64 {
        self.bad.count()
    }

    fn bad_access(&self, offset: u64, size: u8, write: bool, why: BadAccess) {
        self.bad.report("tzc-400", offset, size, write, why);
    }

    /// (region, register offset within it) of a region register.
    fn region_reg(&self, reg: u64) -> Option<(usize, u64)> {
        let n = reg.checked_sub(REGION_BASE_LOW_0)? / REGION_STRIDE;
        let r = (reg - REGION_BASE_LOW_0) % REGION_STRIDE;
        (n < u64::from(self.config.regions.clamp(1, MAX_REGIONS)) && r <= 0x14).then_some((n as usize, r))
    }

    /// Whether `reg` is one of the fail registers of an implemented filter.
    fn fail_reg(&self, reg: u64) -> bool {
        (FAIL_ADDRESS_LOW_0..FAIL_ADDRESS_LOW_0 + 0x10 * u64::from(self.config.filters.clamp(1, MAX_FILTERS)))
            .contains(&reg)
    }
}

impl Default for Tzc400 {
    fn default() -> Tzc400 {
        Tzc400::new()
    }
}

impl Tzc400 {
    fn read_reg(&self, reg: u64, attrs: AccessAttrs) -> Result<u32, BadAccess> {
        if let Some(v) = IDS.read(reg) {
            return Ok(v);
        }
        if !is_secure(attrs.pas) {
            return Err(BadAccess::SecureOnly);
        }
        let s = self.inner.lock();
        let value = match reg {
            BUILD_CONFIG => Some(self.config.build_config()),
            ACTION => Some(s.action),
            GATE_KEEPER => Some(s.gate_keeper << GATE_KEEPER_OS_SHIFT | s.gate_keeper),
            SPECULATION_CTRL => Some(s.speculation_ctrl),
            INT_STATUS => Some(0),
            r if self.fail_reg(r) => Some(0),
            r => self.region_reg(r).and_then(|(n, r)| {
                let g = &s.regions[n];
                let max = self.config.max_address();
                Some(match (n, r) {
                    (0, 0x0) | (0, 0x4) => 0,
                    (0, 0x8) => max as u32,
                    (0, 0xc) => (max >> 32) as u32,
                    (_, 0x0) => g.base_low,
                    (_, 0x4) => g.base_high,
                    (_, 0x8) => g.top_low | 0xfff,
                    (_, 0xc) => g.top_high,
                    (_, 0x10) => g.attributes,
                    (_, 0x14) => g.id_access,
                    _ => return None,
                })
            }),
        };
        drop(s);
        value.ok_or(if reg == INT_CLEAR { BadAccess::WriteOnly } else { BadAccess::NoRegister })
    }

    fn write_reg(&self, reg: u64, value: u32, attrs: AccessAttrs) -> Result<(), BadAccess> {
        if !is_secure(attrs.pas) {
            return Err(BadAccess::SecureOnly);
        }
        let fmask = self.config.filter_mask();
        let high_mask = self.config.high_mask();
        let mut s = self.inner.lock();
        let why = match reg {
            ACTION => {
                s.action = value & 0x3;
                None
            }
            GATE_KEEPER => {
                let old = s.gate_keeper;
                s.gate_keeper = value & fmask;
                if old != s.gate_keeper {
                    tracing::debug!(target: "platform", open = format_args!("{:#x}", s.gate_keeper),
                        "TZC-400 filter gates (regions stored, not enforced)");
                }
                None
            }
            SPECULATION_CTRL => {
                s.speculation_ctrl = value & 0x3;
                None
            }
            // Nothing is ever pending.
            INT_CLEAR => None,
            BUILD_CONFIG | INT_STATUS => Some(BadAccess::ReadOnly),
            r if self.fail_reg(r) => Some(BadAccess::ReadOnly),
            r => match self.region_reg(r) {
                Some((0, 0x0..=0xc)) => Some(BadAccess::ReadOnly),
                Some((n, r)) => {
                    let g = &mut s.regions[n];
                    match r {
                        0x0 => g.base_low = value & !0xfff,
                        0x4 => g.base_high = value & high_mask,
                        0x8 => g.top_low = value & !0xfff,
                        0xc => g.top_high = value & high_mask,
                        0x10 => {
                            g.attributes = value & (ATTR_S_RD_EN | ATTR_S_WR_EN | if n == 0 { 0 } else { fmask });
                        }
                        _ => g.id_access = value,
                    }
                    None
                }
                None => Some(BadAccess::NoRegister),
            },
        };
        why.map_or(Ok(()), Err)
    }
}

mmio_device_of_registers!(Tzc400, |self| "tzc-400");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_config_fields() {
        let c = Tzc400Config::default();
        let v = c.build_config();
        assert_eq!(v, 0x0300_2708);
        assert_eq!(((v >> 24) & 3) + 1, 4);
        assert_eq!(((v >> 8) & 0x3f) + 1, 40);
        assert_eq!((v & 0x1f) + 1, 9);
        assert_eq!(c.high_mask(), 0xff);
        assert_eq!(c.max_address(), 0xff_ffff_ffff);
    }

    #[test]
    fn peripheral_id() {
        assert_eq!(IDS.part_number(), TZC400_PERIPHERAL_ID);
        assert_eq!(IDS.read(PID0), Some(TZC400_PERIPHERAL_ID & 0xff));
    }
}
