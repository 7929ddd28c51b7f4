//! Boot images: reading them from files, checking where they go, loading
//! them into the machine's memory.
//!
//! FVP conventions (see `FVP-MAP.md` and TF-A `plat/arm/board/fvp`):
//!
//! | option     | load address  | region          | FVP parameter                |
//! |------------|---------------|-----------------|------------------------------|
//! | `--bl1`    | `0x0`         | trusted ROM     | `bp.secureflashloader.fname` |
//! | `--fip`    | `0x0800_0000` | NOR flash0 (CFI)| `bp.flashloader0.fname`      |
//! | `--kernel` | `0x8400_0000` | DRAM            | preloaded BL33               |
//! | `--dtb`    | `0x8200_0000` | DRAM            | preloaded DTB (x0 of BL33)   |
//! | `--initrd` | `0x9000_0000` | DRAM            | initramfs                    |
//!
//! Every image is checked before any is loaded: it must be non-empty, fit
//! in the bus region at its load address, and not overlap another image.
//! Each problem is one [`ImageError`] naming the file.

use crate::platform::fvp_memory_map as map;
use rme_mmu::PhysBus;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Where an image comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A file given with a command-line option (`--bl1`, ...).
    File { option: &'static str, path: PathBuf },
    /// An image built into the emulator (the firmware-stubs demo).
    Builtin { name: String },
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::File { option, path } => write!(f, "{option} {}", path.display()),
            Source::Builtin { name } => write!(f, "built-in image {name}"),
        }
    }
}

/// An image read into host memory, with its load address.
#[derive(Clone, Debug)]
pub struct Image {
    pub source: Source,
    pub load_addr: u64,
    pub bytes: Vec<u8>,
}

/// A problem with an image. `Display` is one line naming the file.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("cannot read {source_}: {err}")]
    Read {
        source_: Source,
        err: std::io::Error,
    },
    #[error("{source_} is empty")]
    Empty { source_: Source },
    #[error(
        "{source_} ({len} bytes) does not fit in {region} at {load_addr:#x}: {room} bytes available"
    )]
    TooLarge {
        source_: Source,
        len: u64,
        region: String,
        load_addr: u64,
        room: u64,
    },
    #[error("{source_}: load address {load_addr:#x} is not in any memory of the machine{hint}")]
    NoMemory {
        source_: Source,
        load_addr: u64,
        hint: String,
    },
    #[error("{source_}: {err}")]
    Elf { source_: Source, err: crate::elf_image::ElfError },
    #[error("{source_}: {err}")]
    Fip { source_: Source, err: crate::fip::FipError },
    #[error("{source_}: not a usable device tree blob: {err}")]
    Dtb {
        source_: Source,
        err: crate::fdt::FdtError,
    },
    #[error("{source_} [{a_start:#x}, {a_end:#x}) overlaps {other} [{b_start:#x}, {b_end:#x})")]
    Overlap {
        source_: Source,
        a_start: u64,
        a_end: u64,
        other: Source,
        b_start: u64,
        b_end: u64,
    },
}

impl Image {
    /// Reads `path` given with `option`, to be loaded at `load_addr`.
    pub fn from_file(
        option: &'static str,
        path: &Path,
        load_addr: u64,
    ) -> Result<Image, ImageError> {
        let source = Source::File {
            option,
            path: path.to_path_buf(),
        };
        match std::fs::read(path) {
            Ok(bytes) if bytes.is_empty() => Err(ImageError::Empty { source_: source }),
            Ok(bytes) => Ok(Image {
                source,
                load_addr,
                bytes,
            }),
            Err(err) => Err(ImageError::Read {
                source_: source,
                err,
            }),
        }
    }

    /// An image built into the emulator.
    pub fn builtin(name: &str, load_addr: u64, bytes: Vec<u8>) -> Image {
        Image {
            source: Source::Builtin { name: name.into() },
            load_addr,
            bytes,
        }
    }

    /// The option that named the file (`--dtb`), if it came from one.
    pub fn option(&self) -> Option<&'static str> {
        match &self.source {
            Source::File { option, .. } => Some(option),
            Source::Builtin { .. } => None,
        }
    }

    /// One past the last byte.
    pub fn end(&self) -> u64 {
        self.load_addr.saturating_add(self.bytes.len() as u64)
    }

    /// SHA-256 of the contents, lower-case hex.
    pub fn sha256_hex(&self) -> String {
        let digest = Sha256::digest(&self.bytes);
        let mut s = String::with_capacity(64);
        for b in digest.iter() {
            let _ = write!(s, "{b:02x}");
        }
        s
    }
}

/// The built-in firmware-stubs images `boot` can put in the trusted ROM
/// when no `--bl1` is given (`--demo`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Demo {
    /// Root EL3 -> Secure EL1 -> Realm EL2 -> Non-secure EL2, one line from each.
    #[default]
    WorldTour,
    /// Builds a GPT, enables the GPC, takes a Non-secure access to a Realm
    /// granule as a GPF at EL3, then as a data abort at EL2, then lets Realm read it.
    Gpf,
}

impl Demo {
    /// The assembled firmware (loaded at its `load_addr`, entered at its `entry`).
    pub fn firmware(self) -> rme_firmware_stubs::FirmwareImage {
        match self {
            Demo::WorldTour => rme_firmware_stubs::world_tour(),
            Demo::Gpf => rme_firmware_stubs::gpf_demo(),
        }
    }

    /// What it prints on UART0 when all goes well, line by line.
    pub fn expected_lines(self) -> &'static [&'static str] {
        match self {
            Demo::WorldTour => rme_firmware_stubs::WORLD_TOUR_LINES,
            Demo::Gpf => rme_firmware_stubs::GPF_DEMO_LINES,
        }
    }

    /// The name `--demo` takes.
    pub fn name(self) -> &'static str {
        match self {
            Demo::WorldTour => "world-tour",
            Demo::Gpf => "gpf",
        }
    }
}

/// What the boot plan's files put in memory, and where CPUs start.
#[derive(Clone, Debug, Default)]
pub struct BootImages {
    pub images: Vec<Image>,
    /// `(cpu index, entry point)` of `-a` applications.
    pub entries: Vec<(u32, u64)>,
}

/// The images named by the boot plan, read from their files, in the
/// order `--bl1 --fip --dtb --kernel --initrd --data... -a...`:
///
/// * `--bl1`, `--kernel` and `-a` may be AArch64 ELF files: their PT_LOAD
///   segments go to their physical addresses ([`crate::elf_image`]);
///   `-a` must be one, and its CPUs start at its entry point;
/// * `--fip`'s table of contents is checked ([`crate::fip`]);
/// * with `--dtb`, `--append` becomes /chosen `bootargs` and `--initrd`'s
///   range /chosen `linux,initrd-start`/`linux,initrd-end` (as QEMU and
///   FVP users' boot-wrappers do).
pub fn read_boot_images(plan: &crate::boot_plan::BootPlan) -> Result<BootImages, ImageError> {
    let slots: [(&'static str, &Option<PathBuf>, u64); 5] = [
        ("--bl1", &plan.bl1, map::TRUSTED_ROM_BASE),
        ("--fip", &plan.fip, map::FLASH0_BASE),
        ("--dtb", &plan.dtb, map::DTB_LOAD_ADDR),
        ("--kernel", &plan.kernel, map::KERNEL_LOAD_ADDR),
        ("--initrd", &plan.initrd, map::INITRD_LOAD_ADDR),
    ];
    let mut out = BootImages::default();
    for (option, path, addr) in slots {
        let Some(path) = path else { continue };
        let img = Image::from_file(option, path, addr)?;
        match option {
            "--bl1" | "--kernel" if crate::elf_image::is_elf(&img.bytes) => {
                out.images.extend(elf_segments(&img)?.0);
            }
            "--fip" => {
                crate::fip::toc_entries(&img.bytes).map_err(|err| ImageError::Fip { source_: img.source.clone(), err })?;
                out.images.push(img);
            }
            _ => out.images.push(img),
        }
    }
    let initrd = out.images.iter().find(|i| i.option() == Some("--initrd")).map(|i| (i.load_addr, i.end()));
    if let Some(dtb) = out.images.iter_mut().find(|i| i.option() == Some("--dtb"))
        && (plan.append.is_some() || initrd.is_some()) {
            dtb.bytes = crate::fdt::apply_chosen(&dtb.bytes, plan.append.as_deref(), initrd)
                .map_err(|err| ImageError::Dtb { source_: dtb.source.clone(), err })?;
        }
    for d in &plan.data {
        out.images.push(Image::from_file("--data", &d.path, d.addr)?);
    }
    for app in &plan.applications {
        let img = Image::from_file("-a", &app.path, 0)?;
        if !crate::elf_image::is_elf(&img.bytes) {
            return Err(ImageError::Elf {
                source_: img.source,
                err: crate::elf_image::ElfError::Malformed(
                    "not an ELF file (-a loads ELF; give a raw binary with --data FILE@ADDR)".into(),
                ),
            });
        }
        let (segments, entry) = elf_segments(&img)?;
        out.images.extend(segments);
        out.entries.extend(plan.cpu_indices(app.cpus).into_iter().map(|cpu| (cpu, entry)));
    }
    Ok(out)
}

/// An ELF file's PT_LOAD segments as images (same source), and its entry.
fn elf_segments(img: &Image) -> Result<(Vec<Image>, u64), ImageError> {
    let load = crate::elf_image::parse(&img.bytes).map_err(|err| ImageError::Elf { source_: img.source.clone(), err })?;
    let images = load
        .segments
        .into_iter()
        .map(|s| Image { source: img.source.clone(), load_addr: s.paddr, bytes: s.bytes })
        .collect();
    Ok((images, load.entry))
}

/// Checks that every image lies in one RAM/ROM region of `bus` and that no
/// two images overlap. Nothing is written.
pub fn check(images: &[Image], bus: &PhysBus) -> Result<(), ImageError> {
    for img in images {
        if img.bytes.is_empty() {
            return Err(ImageError::Empty {
                source_: img.source.clone(),
            });
        }
        let Some((name, base, size, kind)) = bus.region_at(img.load_addr) else {
            let hint = if img.load_addr >= map::DRAM0_BASE {
                " (is --memory large enough?)".to_string()
            } else {
                String::new()
            };
            return Err(ImageError::NoMemory {
                source_: img.source.clone(),
                load_addr: img.load_addr,
                hint,
            });
        };
        if kind == rme_mmu::RegionKind::Mmio && !bus.is_loadable(img.load_addr) {
            return Err(ImageError::NoMemory {
                source_: img.source.clone(),
                load_addr: img.load_addr,
                hint: format!(" ({name} is a device)"),
            });
        }
        let room = base + size - img.load_addr;
        let len = img.bytes.len() as u64;
        if len > room {
            return Err(ImageError::TooLarge {
                source_: img.source.clone(),
                len,
                region: name.to_string(),
                load_addr: img.load_addr,
                room,
            });
        }
    }
    for (i, a) in images.iter().enumerate() {
        for b in &images[..i] {
            if a.load_addr < b.end() && b.load_addr < a.end() {
                return Err(ImageError::Overlap {
                    source_: a.source.clone(),
                    a_start: a.load_addr,
                    a_end: a.end(),
                    other: b.source.clone(),
                    b_start: b.load_addr,
                    b_end: b.end(),
                });
            }
        }
    }
    Ok(())
}

/// Checks (see [`check`]) then loads every image, logging its size and
/// SHA-256 (target `platform`, level info).
pub fn load(images: &[Image], bus: &PhysBus) -> Result<(), ImageError> {
    check(images, bus)?;
    for img in images {
        let region = bus
            .region_at(img.load_addr)
            .map(|r| r.0.to_string())
            .unwrap_or_default();
        tracing::info!(target: "platform", image = %img.source, addr = format_args!("{:#x}", img.load_addr),
            size = img.bytes.len(), sha256 = %img.sha256_hex(), %region, "image loaded");
        bus.load(img.load_addr, &img.bytes)
            .map_err(|_| ImageError::NoMemory {
                source_: img.source.clone(),
                load_addr: img.load_addr,
                hint: String::new(),
            })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bus() -> PhysBus {
        let mut bus = PhysBus::new();
        bus.add_rom("trusted-rom", 0, 0x1000).unwrap();
        bus.add_ram("dram", 0x8000_0000, 0x10_0000).unwrap();
        bus
    }

    #[test]
    fn sha256_of_abc() {
        let img = Image::builtin("t", 0, b"abc".to_vec());
        assert_eq!(
            img.sha256_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn missing_file_names_option_and_path() {
        let e = Image::from_file("--bl1", Path::new("/nonexistent/x"), 0).unwrap_err();
        let s = e.to_string();
        assert!(s.starts_with("cannot read --bl1 /nonexistent/x: "), "{s}");
        assert!(s.contains("os error 2"), "{s}");
    }

    #[test]
    fn fits_overlaps_and_loads() {
        let bus = bus();
        let ok = Image::builtin("a", 0x8000_0000, vec![1, 2, 3, 4]);
        load(std::slice::from_ref(&ok), &bus).unwrap();
        assert_eq!(
            bus.read(0x8000_0000, 4, rme_mmu::AccessAttrs::host())
                .unwrap(),
            0x0403_0201
        );

        let big = Image::builtin("big", 0x800, vec![0; 0x801]);
        assert!(matches!(
            check(&[big], &bus),
            Err(ImageError::TooLarge { room: 0x800, .. })
        ));

        let nowhere = Image::builtin("n", 0x9000_0000, vec![0; 4]);
        assert!(matches!(
            check(&[nowhere], &bus),
            Err(ImageError::NoMemory { .. })
        ));

        let b = Image::builtin("b", 0x8000_0002, vec![0; 4]);
        let e = check(&[ok, b], &bus).unwrap_err();
        assert!(matches!(e, ImageError::Overlap { .. }));
        assert!(e.to_string().contains("built-in image b"), "{e}");
    }
}
