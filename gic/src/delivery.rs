//! Interrupt delivery: the highest priority pending interrupt of a PE, the
//! running priority, preemption, and the IRQ/FIQ signals.
//!
//! IHI 0069:
//! * 4.5 "Affinity routing": an SPI goes to the PE named by
//!   `GICD_IROUTER<n>` (Aff3.Aff2.Aff1.Aff0), or with
//!   `Interrupt_Routing_Mode` = 1 to any one participating PE (1 of N; here
//!   every awake PE sees it pending, and the first to acknowledge it takes
//!   it, the others then read a spurious INTID). A PE whose
//!   `GICR_WAKER.ProcessorSleep` = 1 does not participate, so a 1 of N SPI
//!   never raises a wake request.
//! * 4.6.2 "Interrupt assignment to IRQ and FIQ signals" (Table 4-3):
//!   Group 0 is always FIQ; Group 1 of the PE's current Security state is
//!   IRQ; Group 1 of the other Security state is FIQ; at EL3 every group is
//!   FIQ. Realm and Non-secure states are both Non-secure for the GIC.
//! * 4.7 "Interrupt prioritization", 4.8 "Interrupt preemption": an
//!   interrupt is signalled when its priority is higher (numerically lower)
//!   than `ICC_PMR_EL1` and its group priority (the bits the group's binary
//!   point leaves, `GroupBits()` in the pseudocode) is higher than the
//!   running priority (the highest set bit of the active priority registers,
//!   `ICC_RPR_EL1`).
//!
//! The Redistributor forwards to the CPU interface only interrupts that are
//! enabled, pending and not active, whose group is enabled in `GICD_CTLR`
//! and (GIC-600 "release" behaviour) at the CPU interface (`ICC_IGRPEN*`),
//! and never while `GICR_WAKER.ProcessorSleep` = 1 (then it asserts the
//! wake request instead, [`GicState::wake_request`]). Among those the
//! highest priority wins; equal priorities go to the lowest INTID.

use crate::irq_state::IntGroup;
use crate::registers::GICD_IROUTER_INTERRUPT_ROUTING_MODE;
use crate::state::{BANK_NS, BANK_S, GicState, ICC_CTLR_EL1_CBPR, aff32};

/// The highest priority pending interrupt of a PE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hppi {
    pub intid: u32,
    /// Secure view of the priority.
    pub prio: u8,
    pub group: IntGroup,
}

impl GicState {
    /// SPI `intid` is routed to PE `pe` (GICD_IROUTER, affinity routing).
    pub fn spi_routed_to(&self, intid: usize, pe: usize) -> bool {
        let r = self.irouter[intid];
        if r & GICD_IROUTER_INTERRUPT_ROUTING_MODE != 0 {
            !self.pes[pe].rd.processor_sleep
        } else {
            aff32(r) == self.pes[pe].aff32()
        }
    }

    /// The highest priority interrupt the Redistributor of `pe` forwards,
    /// optionally ignoring the CPU interface's group enables (for the wake
    /// request, when the CPU interface is asleep).
    fn highest_pending(&self, pe: usize, cpu_enables: bool) -> Option<Hppi> {
        let icc = &self.pes[pe].icc;
        let group_ok = |g: IntGroup| self.group_enabled(g) && (!cpu_enables || icc.igrpen[g.index()]);
        let mut best: Option<Hppi> = None;
        let mut consider = |intid: usize, prio: u8, group: IntGroup| {
            if best.is_none_or(|b| prio < b.prio) {
                best = Some(Hppi { intid: intid as u32, prio, group });
            }
        };
        let rd = &self.pes[pe].rd.bank;
        let mut w = rd.candidates_word(0);
        while w != 0 {
            let i = w.trailing_zeros() as usize;
            w &= w - 1;
            let g = rd.group_of(i);
            if group_ok(g) {
                consider(i, rd.priority[i], g);
            }
        }
        for word in 1..self.spis.words() {
            let mut w = self.spis.candidates_word(word);
            while w != 0 {
                let i = word * 32 + w.trailing_zeros() as usize;
                w &= w - 1;
                let g = self.spis.group_of(i);
                if group_ok(g) && self.spi_routed_to(i, pe) {
                    consider(i, self.spis.priority[i], g);
                }
            }
        }
        best
    }

    /// The highest priority pending interrupt forwarded to the CPU
    /// interface of `pe` (what ICC_HPPIR0/1 report), if any.
    pub fn hppi(&self, pe: usize) -> Option<Hppi> {
        if self.pes[pe].rd.processor_sleep {
            return None;
        }
        self.highest_pending(pe, true)
    }

    /// GICR_WAKER.ProcessorSleep = 1 and an interrupt is waiting for `pe`:
    /// the Redistributor's wake request to the power controller.
    pub fn wake_request(&self, pe: usize) -> bool {
        self.pes[pe].rd.processor_sleep && self.highest_pending(pe, false).is_some()
    }

    /// The mask of the group-priority bits of a priority of group `g` on
    /// `pe` (the `GroupBits()` pseudocode): the binary point of Group 0
    /// (`ICC_BPR0_EL1`) leaves bits \[7:BPR+1\]; a Group 1 interrupt uses
    /// `ICC_BPR0_EL1` when the `CBPR` of its Security state is set, else its
    /// `ICC_BPR1_EL1`, whose Non-secure copy counts one more (bits \[7:BPR\]).
    pub fn group_priority_mask(&self, pe: usize, g: IntGroup) -> u8 {
        let icc = &self.pes[pe].icc;
        let bpr = match g {
            IntGroup::G0 => icc.bpr[0],
            IntGroup::G1S if icc.ctlr_el1[BANK_S] & ICC_CTLR_EL1_CBPR != 0 => icc.bpr[0],
            IntGroup::G1S => icc.bpr[1],
            IntGroup::G1NS if icc.ctlr_el1[BANK_NS] & ICC_CTLR_EL1_CBPR != 0 => icc.bpr[0],
            IntGroup::G1NS => icc.bpr[2].saturating_sub(1),
        };
        (0xffu16 << (bpr + 1)) as u8
    }

    /// The running priority of `pe` (ICC_RPR_EL1, Secure view): the priority
    /// of the highest set bit of the active priority registers, 0xff when
    /// idle.
    pub fn running_priority(&self, pe: usize) -> u8 {
        let icc = &self.pes[pe].icc;
        let shift = 8 - self.params.pre_bits();
        for n in 0..self.params.num_aprs() {
            let apr = icc.apr[0][n] | icc.apr[1][n] | icc.apr[2][n];
            if apr != 0 {
                return ((n as u32 * 32 + apr.trailing_zeros()) << shift) as u8;
            }
        }
        0xff
    }

    /// The group of the highest active priority of `pe`, if any (the
    /// Group 0 bit wins a tie, then Secure Group 1).
    pub fn highest_active_group(&self, pe: usize) -> Option<IntGroup> {
        let icc = &self.pes[pe].icc;
        for n in 0..self.params.num_aprs() {
            let tz = [0, 1, 2].map(|g| icc.apr[g][n].trailing_zeros());
            let best = tz.iter().min().copied().unwrap_or(32);
            if best < 32 {
                return Some(if tz[0] == best {
                    IntGroup::G0
                } else if tz[1] == best {
                    IntGroup::G1S
                } else {
                    IntGroup::G1NS
                });
            }
        }
        None
    }

    /// The interrupt can be signalled: above the priority mask and its group
    /// priority above the running priority.
    pub fn can_preempt(&self, pe: usize, h: &Hppi) -> bool {
        if h.prio >= self.pes[pe].icc.pmr {
            return false;
        }
        let rpr = self.running_priority(pe);
        if rpr == 0xff {
            return true;
        }
        let mask = self.group_priority_mask(pe, h.group);
        (h.prio & mask) < (rpr & mask)
    }

    /// The IRQ and FIQ outputs of the CPU interface of `pe` for a PE at
    /// exception level `el` in Security state Secure (`secure`, EL3
    /// included) or Non-secure/Realm.
    pub fn signals(&self, pe: usize, el: u8, secure: bool) -> (bool, bool) {
        match self.hppi(pe) {
            Some(h) if self.can_preempt(pe, &h) => {
                let fiq = match h.group {
                    IntGroup::G0 => true,
                    IntGroup::G1S => !secure || el == 3,
                    IntGroup::G1NS => secure || el == 3,
                };
                (!fiq, fiq)
            }
            _ => (false, false),
        }
    }

    /// Acknowledges `h` on `pe`: active priority bit set for its group
    /// priority, the interrupt active and its pending latch cleared.
    pub fn activate(&mut self, pe: usize, h: &Hppi) {
        let prio = h.prio & self.group_priority_mask(pe, h.group);
        let bit = (prio >> (8 - self.params.pre_bits())) as usize;
        self.pes[pe].icc.apr[h.group.index()][bit / 32] |= 1 << (bit % 32);
        self.bank_mut(pe, h.intid as usize).acknowledge(h.intid as usize);
    }

    /// Priority drop: clears the highest set bit of group `g`'s active
    /// priorities.
    pub fn drop_priority(&mut self, pe: usize, g: IntGroup) {
        let n = self.params.num_aprs();
        let apr = &mut self.pes[pe].icc.apr[g.index()];
        if let Some(word) = apr[..n].iter_mut().find(|w| **w != 0) {
            *word &= *word - 1;
        }
    }

    /// Deactivates INTID `intid` (SGIs/PPIs of `pe`).
    pub fn deactivate(&mut self, pe: usize, intid: usize) {
        if intid < self.params.num_intids {
            let bank = self.bank_mut(pe, intid);
            crate::irq_state::set_bit(&mut bank.active, intid, false);
        }
    }

    /// INTID `intid` exists (an SGI, PPI or implemented SPI).
    pub fn intid_exists(&self, intid: u32) -> bool {
        (intid as usize) < self.params.num_intids && (intid as usize) < 1020
    }
}
