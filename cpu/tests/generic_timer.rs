//! The generic timers (Arm ARM D11.2): TVAL/CVAL/CTL.ISTATUS semantics,
//! the interrupt output on the timer's PPI, CNTVOFF_EL2 for the virtual
//! timer, and WFI waking on a timer interrupt delivered through the GIC port.

use rme_cpu::gic_port::{CpuIfContext, CpuIfError, GicCpuPort};
use rme_cpu::sysreg::table::SysRegEnc;
use rme_cpu::{Cpu, CpuConfig, SysReg};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A GIC stand-in: asserts IRQ while any PPI line is high.
#[derive(Default)]
struct PpiRecorder {
    lines: Mutex<Vec<(u32, bool)>>,
    high: Mutex<u32>,
    generation: AtomicU64,
}

impl GicCpuPort for PpiRecorder {
    fn read(&self, _: usize, _: SysRegEnc, _: CpuIfContext) -> Option<Result<u64, CpuIfError>> {
        None
    }
    fn write(&self, _: usize, _: SysRegEnc, _: CpuIfContext, _: u64) -> Option<Result<(), CpuIfError>> {
        None
    }
    fn signals(&self, _: usize, _: CpuIfContext) -> (bool, bool) {
        (*self.high.lock().unwrap() != 0, false)
    }
    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Relaxed)
    }
    fn set_ppi(&self, _: usize, intid: u32, level: bool) {
        self.lines.lock().unwrap().push((intid, level));
        let mut h = self.high.lock().unwrap();
        if level { *h += 1 } else { *h -= 1 }
        self.generation.fetch_add(1, Ordering::Relaxed);
    }
    fn wake_request(&self, _: usize) -> bool {
        false
    }
}

fn cpu() -> Cpu {
    let mut c = Cpu::new(CpuConfig::fvp(0));
    c.set_sr(SysReg::SCR_EL3, 1 | 1 << 8 | 1 << 10);
    c.state.pstate.el = 1;
    c
}

#[test]
fn tval_cval_and_istatus() {
    let mut c = cpu();
    c.set_guest_time(1_000); // 100 ticks at 100 MHz
    assert_eq!(c.physical_count(), 100);
    let enc = |r: SysReg| r.def().enc;
    let w = |c: &mut Cpu, r: SysReg, v: u64| {
        let t = c.sysreg_access(enc(r), 0, false).unwrap();
        c.sysreg_write(t, v);
    };
    let r = |c: &mut Cpu, reg: SysReg| {
        let t = c.sysreg_access(enc(reg), 0, true).unwrap();
        c.sysreg_read(t)
    };
    w(&mut c, SysReg::CNTP_TVAL_EL0, 50);
    assert_eq!(r(&mut c, SysReg::CNTP_CVAL_EL0), 150, "TVAL write: CVAL = count + TVAL");
    w(&mut c, SysReg::CNTP_CTL_EL0, 1);
    assert_eq!(r(&mut c, SysReg::CNTP_CTL_EL0), 1, "not yet: ISTATUS clear");
    assert_eq!(c.next_timer_event_ns(), Some(1_500));
    c.set_guest_time(1_600);
    assert_eq!(r(&mut c, SysReg::CNTP_CTL_EL0), 0b101, "ISTATUS set once count >= CVAL");
    assert_eq!(r(&mut c, SysReg::CNTP_TVAL_EL0), (-10i64) as u64, "TVAL is signed");
}

#[test]
fn timer_interrupt_reaches_its_ppi_and_wakes_wfi() {
    let port = Arc::new(PpiRecorder::default());
    let mut c = cpu();
    c.attach_gic(port.clone());
    assert_eq!(c.sr(SysReg::ID_AA64PFR0_EL1) >> 24 & 0xf, 1, "GIC sysreg interface advertised");
    c.set_sr(SysReg::CNTVOFF_EL2, 0);
    let t = c.sysreg_access(SysReg::CNTV_CVAL_EL0.def().enc, 0, false).unwrap();
    c.sysreg_write(t, 20);
    let t = c.sysreg_access(SysReg::CNTV_CTL_EL0.def().enc, 0, false).unwrap();
    c.sysreg_write(t, 1);
    assert!(port.lines.lock().unwrap().is_empty());
    c.set_guest_time(200);
    assert!(c.wfi_wakeup_pending(), "the virtual timer's PPI raised IRQ");
    assert_eq!(port.lines.lock().unwrap().as_slice(), &[(27, true)]);
    // IMASK drops the output.
    let t = c.sysreg_access(SysReg::CNTV_CTL_EL0.def().enc, 0, false).unwrap();
    c.sysreg_write(t, 0b11);
    assert_eq!(port.lines.lock().unwrap().last(), Some(&(27, false)));
}
