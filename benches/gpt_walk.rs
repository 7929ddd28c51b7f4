//! Granule Protection Check cost per lookup
//! (`cargo bench -p rme-mmu --bench gpt_walk`).
//!
//! Every variant runs the full `gpc_check` (configuration, PPS and GPTBR
//! checks, level 0 + level 1 GPT fetch, GPI check) with the GPT in guest
//! RAM on a `PhysBus`, as the emulator will. Criterion's time per
//! iteration is the time per lookup.
//!
//! * `warm_fvp`: TF-A's FVP GPT (FVP-MAP.md section B), a handful of PAs
//!   looked up again and again (everything in the host's L1 cache). Also
//!   `warm_fvp_image`, the same on the plain in-memory `GptImage`, to show
//!   the bus's share.
//! * `random_4g`: 4 GiB described granule by granule (4 KB, no contiguous
//!   descriptors, mixed PAS as after many RMM delegations: 512 KiB of level
//!   1 tables), random PAs.
//! * `cold_1t`: PPS 1 TB, all of it granule by granule (128 MiB of level 1
//!   tables, larger than the host's last-level cache), random PAs: nearly
//!   every lookup misses the host caches.

use criterion::{Criterion, criterion_group, criterion_main};
use rme_mmu::gpc::{GpcAccess, GpcFeatures, Gpi, GptBuilder, GptImage, GptLayout, L0GptSz, Pgs, gpc_check};
use rme_mmu::{Pas, PhysBus, SecurityState};
use std::hint::black_box;
use std::time::Duration;

const PA_BITS: u32 = 48;

/// xorshift64*: deterministic pseudo-random numbers without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

const MIXED: [Gpi; 5] = [Gpi::NonSecure, Gpi::Realm, Gpi::Secure, Gpi::Root, Gpi::Any];

/// Replaces every level 1 word with 16 GPIs drawn from `MIXED`.
fn scramble(img: &mut GptImage, seed: u64) {
    let mut rng = Rng(seed);
    for w in &mut img.l1 {
        let r = rng.next();
        let mut word = 0;
        for i in 0..16 {
            let pick = ((r >> (4 * i)) & 0xf) as usize % MIXED.len();
            word |= (MIXED[pick].encoding() as u64) << (4 * i);
        }
        *w = word;
    }
}

fn pas_for(gpi: Gpi) -> Pas {
    match gpi {
        Gpi::Secure => Pas::Secure,
        Gpi::Realm => Pas::Realm,
        Gpi::Root => Pas::Root,
        _ => Pas::NonSecure,
    }
}

fn fvp_gpt() -> GptImage {
    GptBuilder::new(GptLayout::FVP)
        .map_granules(0x8000_0000, 0x7c00_0000, Gpi::NonSecure)
        .map_granules(0xfc00_0000, 0x01c0_0000, Gpi::Secure)
        .map_granules(0xfdc0_0000, 0x0200_0000, Gpi::Realm)
        .map_granules(0xffc0_0000, 0x0030_0000, Gpi::Root)
        .map_granules(0xfff0_0000, 0x0010_0000, Gpi::Root)
        .map_granules(0x8_8000_0000, 0x8000_0000, Gpi::NonSecure)
        .build()
        .expect("FVP GPT")
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("gpt_walk");
    g.sample_size(20).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_millis(2500));

    // --- warm: the FVP GPT, 8 PAs over every kind of descriptor.
    let img = fvp_gpt();
    let mut bus = PhysBus::new();
    bus.add_ram("trusted-sram", 0x0400_0000, 256 * 1024).unwrap();
    bus.add_ram("dram1", 0x8000_0000, 0x8000_0000).unwrap();
    img.load(&bus).unwrap();
    let gpccr = img.gpccr(GpcFeatures::FVP);
    let gptbr = img.gptbr();
    let probes: [(u64, Pas); 8] = [
        (0x8400_0000, Pas::NonSecure),   // 512 MB contiguous
        (0xe210_0000, Pas::NonSecure),   // 2 MB contiguous
        (0xfc10_0000, Pas::Secure),      // 2 MB contiguous
        (0xfdc0_1000, Pas::Realm),       // 2 MB contiguous
        (0xffe0_3000, Pas::Root),        // granules
        (0x1c09_0000, Pas::NonSecure),   // level 0 block (UART0)
        (0x8_8000_0000, Pas::NonSecure), // DRAM2, 512 MB contiguous
        (0x9_0000_0000, Pas::NonSecure), // level 0 block
    ];
    for &(pa, pas) in &probes {
        let st = match pas {
            Pas::Secure => SecurityState::Secure,
            Pas::Realm => SecurityState::Realm,
            Pas::Root => SecurityState::Root,
            Pas::NonSecure => SecurityState::NonSecure,
        };
        assert_eq!(gpc_check(&bus, &gpccr, gptbr, PA_BITS, pa, pas, GpcAccess::read(st)), Ok(()), "{pa:#x}");
    }
    let acc = GpcAccess::read(SecurityState::Root);
    let mut i = 0usize;
    g.bench_function("warm_fvp", |b| {
        b.iter(|| {
            let (pa, pas) = probes[i & 7];
            i = i.wrapping_add(1);
            black_box(gpc_check(&bus, &gpccr, gptbr, PA_BITS, black_box(pa), pas, acc))
        })
    });
    let mut i = 0usize;
    g.bench_function("warm_fvp_image", |b| {
        b.iter(|| {
            let (pa, pas) = probes[i & 7];
            i = i.wrapping_add(1);
            black_box(gpc_check(&img, &gpccr, gptbr, PA_BITS, black_box(pa), pas, acc))
        })
    });
    drop(bus);

    // --- 4 GiB granule by granule, mixed PAS, random PAs.
    let mut img4 = GptBuilder::new(GptLayout::FVP).max_contig(None).map_granules(0, 1 << 32, Gpi::Any).build().unwrap();
    assert_eq!(img4.l1.len() * 8, 512 * 1024);
    scramble(&mut img4, 0x1234_5678);
    let mut bus = PhysBus::new();
    bus.add_ram("trusted-sram", 0x0400_0000, 256 * 1024).unwrap();
    bus.add_ram("gpt-l1", 0xfff0_0000, 0x10_0000).unwrap();
    img4.load(&bus).unwrap();
    let gpccr = img4.gpccr(GpcFeatures::FVP);
    let gptbr = img4.gptbr();
    let mut rng = Rng(42);
    let pas4: Vec<(u64, Pas)> = (0..1 << 16)
        .map(|_| {
            let pa = rng.next() & ((1 << 32) - 1);
            (pa, pas_for(MIXED[(rng.next() % 5) as usize]))
        })
        .collect();
    let mut i = 0usize;
    g.bench_function("random_4g", |b| {
        b.iter(|| {
            let (pa, pas) = pas4[i & 0xffff];
            i = i.wrapping_add(1);
            black_box(gpc_check(&bus, &gpccr, gptbr, PA_BITS, pa, pas, acc))
        })
    });
    drop(bus);
    drop(img4);

    // --- 1 TB granule by granule (128 MiB of level 1 tables), random PAs.
    let layout = GptLayout {
        pps_bits: 40,
        pgs: Pgs::K4,
        l0gptsz: L0GptSz::Gb1,
        l0_base: 0x0400_4000,
        l1_base: 0x1_0000_0000,
        l1_size: 128 << 20,
    };
    let mut img1t = GptBuilder::new(layout).max_contig(None).map_granules(0, 1 << 40, Gpi::Any).build().unwrap();
    assert_eq!(img1t.l1.len() * 8, 128 << 20);
    scramble(&mut img1t, 0xfeed_beef);
    let mut bus = PhysBus::new();
    bus.add_ram("trusted-sram", 0x0400_0000, 256 * 1024).unwrap();
    bus.add_ram("gpt-l1", 0x1_0000_0000, 128 << 20).unwrap();
    img1t.load(&bus).unwrap();
    drop(img1t);
    let gpccr = layout.gpccr(GpcFeatures::FVP);
    let gptbr = layout.gptbr();
    let mut rng = Rng(7);
    let pas1t: Vec<(u64, Pas)> = (0..1 << 20)
        .map(|_| {
            let pa = rng.next() & ((1 << 40) - 1);
            (pa, pas_for(MIXED[(rng.next() % 5) as usize]))
        })
        .collect();
    let mut i = 0usize;
    g.bench_function("cold_1t", |b| {
        b.iter(|| {
            let (pa, pas) = pas1t[i & 0xf_ffff];
            i = i.wrapping_add(1);
            black_box(gpc_check(&bus, &gpccr, gptbr, PA_BITS, pa, pas, acc))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
