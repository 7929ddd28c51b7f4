//! Arm CoreLink CCI-550 Cache Coherent Interconnect: its programmers'
//! model, at 0x2a00_0000 on FVP Base RevC.
//!
//! References: *Arm CoreLink CCI-550 Cache Coherent Interconnect Technical
//! Reference Manual* (Arm 100282), chapter 3 "Programmers model" (register
//! summary: Control Override, Speculation Control, Secure Access, Status,
//! Imprecise Error, PMCR, the identification registers and, per slave
//! interface, Snoop Control, Shareable Override, QoS and Max OT registers);
//! TF-A `drivers/arm/cci/cci.c` and `include/drivers/arm/cci.h` (offsets as
//! TF-A names them), `plat/arm/board/fvp` (slave interfaces 5 and 6 are
//! clusters 0 and 1 on CCI-5xx FVPs).
//!
//! What TF-A relies on, and what is modelled:
//! * `cci_init` reads PERIPHERAL_ID0/1 and (DEBUG builds) asserts that the
//!   part number `PID1[3:0]:PID0[7:0]` is a known CCI: 0x423 (CCI-550), with
//!   7 slave interfaces.
//! * `cci_enable_snoop_dvm_reqs`/`cci_disable_snoop_dvm_reqs` write a slave
//!   interface's Snoop Control register (`0x1000 * (n + 1) + 0x0`:
//!   `enable_snoops` bit 0, `enable_dvms` bit 1) and then poll STATUS
//!   (0x0c) bit 0 `change_pending` until it is 0. Here the change takes
//!   effect at once: `change_pending` always reads 0, and the enables read
//!   back as written. An enable the interface does not support (an ACE-Lite
//!   interface has no snoops; bits 30/31 `support_snoops`/`support_dvms`
//!   report what it supports) reads as 0.
//! * STATUS also reports the snoop filter RAMs powered on (`sf_ram_state`
//!   `[4:2]` = `sf_ram_state_req` `[7:5]` = 0b111, no change pending).
//!
//! Other registers hold what is written (Control Override, Speculation
//! Control, PMCR, interface monitor control; per interface Shareable
//! Override, read/write QoS override, QoS control, Max OT, regulator
//! registers). Imprecise Error reads 0 (no transaction ever errors: nothing
//! flows through this model; coherency of the emulated system does not
//! depend on it). There is no PMU counting.
//!
//! Security (TRM: registers are "accessible using only Secure accesses,
//! unless you set the Secure Access Register to permit Non-secure
//! accesses"): Secure and Root accesses reach every register; Non-secure
//! and Realm accesses reach them only when SECURE_ACCESS bit 0
//! (`non_secure_register_access_override`) is set, and otherwise read as
//! zero, writes ignored, logged and counted. The identification registers
//! are readable by all.
//!
//! Accesses to offsets with no register read as zero and are ignored,
//! logged once (target `platform`) and counted ([`Cci550::bad_accesses`]).

use crate::access::{BadAccess, BadAccesses, is_secure, mmio_device_of_registers};
use crate::peripheral_id::{CIDR_PRIMECELL, IdRegs};
use parking_lot::Mutex;
use rme_mmu::AccessAttrs;

/// FVP Base RevC base address and the size of the register region (global
/// registers and the seven slave interface pages; the PMU at 0x10000.. is
/// not modelled).
pub const FVP_CCI550_BASE: u64 = 0x2a00_0000;
pub const FVP_CCI550_SIZE: u64 = 0x1_0000;

/// Global registers.
pub const CTRL_OVERRIDE: u64 = 0x000;
pub const SPECULATION_CTRL: u64 = 0x004;
pub const SECURE_ACCESS: u64 = 0x008;
pub const STATUS: u64 = 0x00c;
pub const IMPRECISE_ERR: u64 = 0x010;
pub const PERFMON_CTRL: u64 = 0x100;
pub const IFACE_MON_CTRL: u64 = 0x104;
pub const PERIPHERAL_ID4: u64 = 0xfd0;
pub const PERIPHERAL_ID0: u64 = 0xfe0;
pub const PERIPHERAL_ID1: u64 = 0xfe4;
pub const PERIPHERAL_ID2: u64 = 0xfe8;
pub const PERIPHERAL_ID3: u64 = 0xfec;
pub const COMPONENT_ID0: u64 = 0xff0;

/// Slave interface `n`'s register page.
pub const fn slave_iface_offset(n: usize) -> u64 {
    0x1000 * (n as u64 + 1)
}
/// Registers within a slave interface page.
pub const SNOOP_CTRL: u64 = 0x000;
pub const SH_OVERRIDE: u64 = 0x004;
pub const READ_QOS_OVERRIDE: u64 = 0x100;
pub const WRITE_QOS_OVERRIDE: u64 = 0x104;
pub const QOS_CTRL: u64 = 0x10c;
pub const MAX_OT: u64 = 0x110;
pub const REGULATOR_TARGET: u64 = 0x130;
pub const QOS_REGULATOR_SCALE: u64 = 0x134;
pub const QOS_RANGE: u64 = 0x138;

/// SNOOP_CTRL bits.
pub const SNOOP_EN: u32 = 1 << 0;
pub const DVM_EN: u32 = 1 << 1;
pub const SUPPORT_SNOOPS: u32 = 1 << 30;
pub const SUPPORT_DVMS: u32 = 1 << 31;
/// STATUS.change_pending.
pub const CHANGE_PENDING: u32 = 1 << 0;
/// STATUS with the snoop filter RAMs on and nothing pending.
pub const STATUS_SF_ON: u32 = (0b111 << 5) | (0b111 << 2);
/// SECURE_ACCESS.non_secure_register_access_override.
pub const NS_REG_ACCESS_OVERRIDE: u32 = 1 << 0;

/// The CCI-550's part number (`PERIPHERAL_ID1[3:0]:PERIPHERAL_ID0`).
pub const CCI550_PART_NUM: u32 = 0x423;
/// Slave interfaces of a CCI-550 as TF-A counts them.
pub const SLAVE_IFACES: usize = 7;

/// PERIPHERAL_ID0-7 (part 0x423, JEP106 Arm 0x3b/continuation 4, r0p0)
/// and COMPONENT_ID0-3.
const IDS: IdRegs = IdRegs { pidr: [0x23, 0xb4, 0x0b, 0x00, 0x04, 0x00, 0x00, 0x00], cidr: CIDR_PRIMECELL };

/// What one slave interface supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlaveIface {
    /// An ACE interface: snoops can be enabled.
    pub snoops: bool,
    /// DVM messages can be enabled.
    pub dvms: bool,
}

/// Board configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cci550Config {
    pub ifaces: [SlaveIface; SLAVE_IFACES],
}

impl Default for Cci550Config {
    /// FVP Base RevC: interfaces 5 and 6 are the two clusters (ACE, snoops
    /// and DVM); 0-4 are ACE-Lite I/O interfaces (DVM only, for SMMUs).
    fn default() -> Cci550Config {
        let lite = SlaveIface { snoops: false, dvms: true };
        let ace = SlaveIface { snoops: true, dvms: true };
        Cci550Config { ifaces: [lite, lite, lite, lite, lite, ace, ace] }
    }
}

/// The registers of one slave interface.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SlaveIfaceRegs {
    /// `enable_snoops` / `enable_dvms` (the support bits are added on read).
    pub snoop_ctrl: u32,
    pub sh_override: u32,
    pub read_qos_override: u32,
    pub write_qos_override: u32,
    pub qos_ctrl: u32,
    pub max_ot: u32,
    pub regulator_target: u32,
    pub qos_regulator_scale: u32,
    pub qos_range: u32,
}

/// The guest-visible state of the CCI-550.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cci550State {
    pub ctrl_override: u32,
    pub speculation_ctrl: u32,
    pub secure_access: u32,
    pub perfmon_ctrl: u32,
    pub iface_mon_ctrl: u32,
    pub ifaces: [SlaveIfaceRegs; SLAVE_IFACES],
}

/// One CCI-550.
pub struct Cci550 {
    config: Cci550Config,
    inner: Mutex<Cci550State>,
    bad: BadAccesses,
}

/// Where a register offset points.
enum Reg {
    Global(u64),
    Iface(usize, u64),
    Id(u64),
}

fn decode(reg: u64) -> Reg {
    match reg {
        IdRegs::FIRST..=IdRegs::LAST => Reg::Id(reg),
        0x1000..=0x7fff => Reg::Iface((reg / 0x1000 - 1) as usize, reg & 0xfff),
        _ => Reg::Global(reg),
    }
}

impl Cci550 {
    /// The FVP Base RevC CCI-550.
    pub fn new() -> Cci550 {
        Cci550::with_config(Cci550Config::default())
    }

    pub fn with_config(config: Cci550Config) -> Cci550 {
        Cci550 { config, inner: Mutex::new(Cci550State::default()), bad: BadAccesses::default() }
    }

    pub fn config(&self) -> &Cci550Config {
        &self.config
    }

    /// A copy of the register state.
    pub fn state(&self) -> Cci550State {
        self.inner.lock().clone()
    }

    /// Whether snoops / DVM messages are enabled to slave interface `n`
    /// (`(snoops, dvms)`), as the guest programmed it.
    pub fn snoop_dvm_enabled(&self, n: usize) -> (bool, bool) {
        let v = self.inner.lock().ifaces.get(n).map_or(0, |i| i.snoop_ctrl);
        (v & SNOOP_EN != 0, v & DVM_EN != 0)
    }

    /// Returns the registers to their reset values (bad-access count kept).
    pub fn reset(&self) {
        *self.inner.lock() = Cci550State::default();
    }

    /// Accesses that reached no register or were refused (see the module
    /// documentation).
    pub fn bad_accesses(&self) -> u64 {
        self.bad.count()
    }

    fn bad_access(&self, offset: u64, size: u8, write: bool, why: BadAccess) {
        self.bad.report("cci-550", offset, size, write, why);
    }

    /// The writable SNOOP_CTRL bits of interface `n`.
    fn snoop_ctrl_mask(&self, n: usize) -> u32 {
        let i = self.config.ifaces[n];
        (if i.snoops { SNOOP_EN } else { 0 }) | (if i.dvms { DVM_EN } else { 0 })
    }

    fn support_bits(&self, n: usize) -> u32 {
        let i = self.config.ifaces[n];
        (if i.snoops { SUPPORT_SNOOPS } else { 0 }) | (if i.dvms { SUPPORT_DVMS } else { 0 })
    }

    fn permitted(&self, s: &Cci550State, attrs: AccessAttrs) -> bool {
        is_secure(attrs.pas) || s.secure_access & NS_REG_ACCESS_OVERRIDE != 0
    }
}

impl Default for Cci550 {
    fn default() -> Cci550 {
        Cci550::new()
    }
}

impl Cci550 {
    fn read_reg(&self, reg: u64, attrs: AccessAttrs) -> Result<u32, BadAccess> {
        let s = self.inner.lock();
        let decoded = decode(reg);
        if !matches!(decoded, Reg::Id(_)) && !self.permitted(&s, attrs) {
            return Err(BadAccess::SecureOnly);
        }
        let value = match decoded {
            Reg::Id(r) => IDS.read(r),
            Reg::Global(r) => match r {
                CTRL_OVERRIDE => Some(s.ctrl_override),
                SPECULATION_CTRL => Some(s.speculation_ctrl),
                SECURE_ACCESS => Some(s.secure_access),
                STATUS => Some(STATUS_SF_ON),
                IMPRECISE_ERR => Some(0),
                PERFMON_CTRL => Some(s.perfmon_ctrl),
                IFACE_MON_CTRL => Some(s.iface_mon_ctrl),
                _ => None,
            },
            Reg::Iface(n, r) => {
                let i = &s.ifaces[n];
                match r {
                    SNOOP_CTRL => Some(i.snoop_ctrl | self.support_bits(n)),
                    SH_OVERRIDE => Some(i.sh_override),
                    READ_QOS_OVERRIDE => Some(i.read_qos_override),
                    WRITE_QOS_OVERRIDE => Some(i.write_qos_override),
                    QOS_CTRL => Some(i.qos_ctrl),
                    MAX_OT => Some(i.max_ot),
                    REGULATOR_TARGET => Some(i.regulator_target),
                    QOS_REGULATOR_SCALE => Some(i.qos_regulator_scale),
                    QOS_RANGE => Some(i.qos_range),
                    _ => None,
                }
            }
        };
        value.ok_or(BadAccess::NoRegister)
    }

    fn write_reg(&self, reg: u64, value: u32, attrs: AccessAttrs) -> Result<(), BadAccess> {
        let mut s = self.inner.lock();
        let decoded = decode(reg);
        if !matches!(decoded, Reg::Id(_)) && !self.permitted(&s, attrs) {
            return Err(BadAccess::SecureOnly);
        }
        let why = match decoded {
            Reg::Id(_) => Some(BadAccess::ReadOnly),
            Reg::Global(r) => match r {
                CTRL_OVERRIDE => {
                    s.ctrl_override = value;
                    None
                }
                SPECULATION_CTRL => {
                    s.speculation_ctrl = value;
                    None
                }
                SECURE_ACCESS => {
                    s.secure_access = value;
                    None
                }
                // Write 1 to clear; nothing is ever set.
                IMPRECISE_ERR => None,
                PERFMON_CTRL => {
                    s.perfmon_ctrl = value;
                    None
                }
                IFACE_MON_CTRL => {
                    s.iface_mon_ctrl = value;
                    None
                }
                STATUS => Some(BadAccess::ReadOnly),
                _ => Some(BadAccess::NoRegister),
            },
            Reg::Iface(n, r) => {
                let mask = self.snoop_ctrl_mask(n);
                let i = &mut s.ifaces[n];
                match r {
                    SNOOP_CTRL => {
                        i.snoop_ctrl = value & mask;
                        tracing::trace!(target: "platform", iface = n, snoops = value & mask & SNOOP_EN != 0,
                            dvms = value & mask & DVM_EN != 0, "CCI-550 snoop control");
                        None
                    }
                    SH_OVERRIDE => {
                        i.sh_override = value & 0x3;
                        None
                    }
                    READ_QOS_OVERRIDE => {
                        i.read_qos_override = value & 0xf;
                        None
                    }
                    WRITE_QOS_OVERRIDE => {
                        i.write_qos_override = value & 0xf;
                        None
                    }
                    QOS_CTRL => {
                        i.qos_ctrl = value;
                        None
                    }
                    MAX_OT => {
                        i.max_ot = value;
                        None
                    }
                    REGULATOR_TARGET => {
                        i.regulator_target = value;
                        None
                    }
                    QOS_REGULATOR_SCALE => {
                        i.qos_regulator_scale = value;
                        None
                    }
                    QOS_RANGE => {
                        i.qos_range = value;
                        None
                    }
                    _ => Some(BadAccess::NoRegister),
                }
            }
        };
        why.map_or(Ok(()), Err)
    }
}

mmio_device_of_registers!(Cci550, |self| "cci-550");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_number_from_ids() {
        assert_eq!(IDS.part_number(), CCI550_PART_NUM);
        assert_eq!(IDS.read(PERIPHERAL_ID0), Some(CCI550_PART_NUM & 0xff));
    }

    #[test]
    fn decode_pages() {
        assert!(matches!(decode(0x6000), Reg::Iface(5, 0)));
        assert!(matches!(decode(0x7110), Reg::Iface(6, 0x110)));
        assert!(matches!(decode(0x000c), Reg::Global(STATUS)));
        assert!(matches!(decode(0xfe0), Reg::Id(0xfe0)));
    }
}
