//! A check of a Firmware Image Package (FIP) before it goes into flash0:
//! the table of contents TF-A's BL1/BL2 read (`include/tools_share/
//! firmware_image_package.h`, the FIP format of the TF-A docs' "Firmware
//! Design", section "Firmware Image Package (FIP)"):
//!
//! ```text
//! ToC header  : name u32 = 0xAA64_0001, serial_number u32, flags u64
//! ToC entry * : uuid [u8; 16], offset_address u64, size u64, flags u64
//! end marker  : an entry whose UUID is all zero
//! ```
//!
//! All little-endian. Every entry's `[offset, offset + size)` must lie in
//! the file: a FIP cut short (an interrupted copy, a wrong file) is caught
//! here with one clear error, instead of BL1 failing later with a load
//! error on the guest console.

/// `TOC_HEADER_NAME`.
pub const TOC_HEADER_NAME: u32 = 0xaa64_0001;
const HEADER_SIZE: usize = 16;
const ENTRY_SIZE: usize = 40;

/// One ToC entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FipEntry {
    pub uuid: [u8; 16],
    pub offset: u64,
    pub size: u64,
}

/// Why a file is not a usable FIP.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FipError {
    #[error("too short for a FIP ToC header ({len} bytes, need {HEADER_SIZE})")]
    TooShort { len: usize },
    #[error("not a FIP: ToC header name {found:#010x}, expected {TOC_HEADER_NAME:#010x}")]
    BadName { found: u32 },
    #[error("truncated: the ToC has no end marker within the file's {len} bytes")]
    NoEndMarker { len: usize },
    #[error("truncated: ToC entry {index} (UUID {uuid}) spans [{offset:#x}, {end:#x}) but the file has {len:#x} bytes")]
    EntryPastEnd { index: usize, uuid: String, offset: u64, end: u64, len: usize },
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// The UUID in its usual text form (TF-A's `uuid_t` byte order: the first
/// three fields as stored, as fiptool prints them).
fn uuid_text(u: &[u8; 16]) -> String {
    let h: Vec<String> = u.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", h[0..4].concat(), h[4..6].concat(), h[6..8].concat(), h[8..10].concat(), h[10..16].concat())
}

/// Parses and checks the ToC of `fip`.
pub fn toc_entries(fip: &[u8]) -> Result<Vec<FipEntry>, FipError> {
    let name = u32_at(fip, 0).ok_or(FipError::TooShort { len: fip.len() })?;
    if fip.len() < HEADER_SIZE {
        return Err(FipError::TooShort { len: fip.len() });
    }
    if name != TOC_HEADER_NAME {
        return Err(FipError::BadName { found: name });
    }
    let mut entries = Vec::new();
    for index in 0.. {
        let at = HEADER_SIZE + index * ENTRY_SIZE;
        let Some(raw) = fip.get(at..at + ENTRY_SIZE) else {
            return Err(FipError::NoEndMarker { len: fip.len() });
        };
        let mut uuid = [0u8; 16];
        uuid.copy_from_slice(&raw[..16]);
        if uuid == [0; 16] {
            break;
        }
        let (offset, size) = (u64_at(raw, 16).unwrap_or(0), u64_at(raw, 24).unwrap_or(0));
        let end = offset.checked_add(size).filter(|&e| e <= fip.len() as u64);
        let Some(_) = end else {
            return Err(FipError::EntryPastEnd {
                index,
                uuid: uuid_text(&uuid),
                offset,
                end: offset.saturating_add(size),
                len: fip.len(),
            });
        };
        entries.push(FipEntry { uuid, offset, size });
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A FIP with `payloads`, laid out as fiptool does (ToC, end marker,
    /// then the images).
    fn fip(payloads: &[&[u8]]) -> Vec<u8> {
        let toc = HEADER_SIZE + (payloads.len() + 1) * ENTRY_SIZE;
        let mut out = Vec::new();
        out.extend_from_slice(&TOC_HEADER_NAME.to_le_bytes());
        out.extend_from_slice(&0x1234u32.to_le_bytes());
        out.extend_from_slice(&0u64.to_le_bytes());
        let mut offset = toc as u64;
        for (i, p) in payloads.iter().enumerate() {
            out.extend_from_slice(&[i as u8 + 1; 16]);
            out.extend_from_slice(&offset.to_le_bytes());
            out.extend_from_slice(&(p.len() as u64).to_le_bytes());
            out.extend_from_slice(&0u64.to_le_bytes());
            offset += p.len() as u64;
        }
        out.extend_from_slice(&[0u8; ENTRY_SIZE]);
        for p in payloads {
            out.extend_from_slice(p);
        }
        out
    }

    #[test]
    fn good_fip() {
        let f = fip(&[b"bl2 image", b"bl31"]);
        let e = toc_entries(&f).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!((e[1].offset, e[1].size), (16 + 3 * 40 + 9, 4));
    }

    #[test]
    fn truncations_and_other_files() {
        let f = fip(&[b"bl2 image", b"bl31"]);
        for cut in 0..f.len() {
            assert!(toc_entries(&f[..cut]).is_err(), "prefix of {cut} bytes accepted");
        }
        let e = toc_entries(&f[..f.len() - 1]).unwrap_err();
        assert_eq!(e.to_string(), format!(
            "truncated: ToC entry 1 (UUID 02020202-0202-0202-0202-020202020202) spans [0x91, 0x95) but the file has {:#x} bytes", f.len() - 1));
        assert_eq!(toc_entries(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0").unwrap_err(), FipError::BadName { found: 0x464c_457f });
        assert_eq!(toc_entries(&[1, 0, 0x64]).unwrap_err(), FipError::TooShort { len: 3 });
    }

    #[test]
    fn real_tf_a_fip_if_built() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/images/tf-a-fvp-rme/fip.bin");
        let Ok(f) = std::fs::read(path) else {
            eprintln!("note: {path} not built (bash scripts/images.sh); the synthetic FIPs above are the gate");
            return;
        };
        let e = toc_entries(&f).unwrap();
        // BL2, BL31, the RMM (TRP), BL33 and the config DTBs.
        assert!(e.len() >= 5, "{e:?}");
    }
}
