//! A small Flattened Device Tree (DTB) reader, editor and writer.
//!
//! The format is the one of the Devicetree Specification v0.4, chapter 5
//! ("Flattened Devicetree (DTB) Format"):
//!
//! * §5.2 the 40-byte header (all fields big-endian `u32`);
//! * §5.3 the memory reservation block, `(address, size)` `u64` pairs
//!   ended by a `(0, 0)` entry;
//! * §5.4 the structure block, a token stream (`FDT_BEGIN_NODE`,
//!   `FDT_END_NODE`, `FDT_PROP`, `FDT_NOP`, `FDT_END`), every token on a
//!   4-byte boundary;
//! * §5.5 the strings block, the NUL-terminated property names the
//!   `FDT_PROP` tokens point into.
//!
//! [`Fdt::parse`] turns a blob into an owned tree, checking every offset and
//! length against the blob (malformed input gives an [`FdtError`], never a
//! panic); [`Fdt::to_bytes`] writes a version 17 blob back.
//! [`apply_chosen`] is what the CLI uses for `--append` and `--initrd`: it
//! writes `bootargs`, `linux,initrd-start` and `linux,initrd-end` into
//! `/chosen` (Devicetree Specification §3.6 "/chosen Node"; the initrd
//! properties follow Linux's `Documentation/devicetree/bindings/chosen.txt`
//! and QEMU's `hw/arm/boot.c`).

use std::collections::HashMap;

use thiserror::Error;

/// §5.2: the value of the header's `magic` field.
pub const FDT_MAGIC: u32 = 0xd00d_feed;
/// §5.2: the version [`Fdt::to_bytes`] writes.
pub const FDT_VERSION: u32 = 17;
/// §5.2: the `last_comp_version` [`Fdt::to_bytes`] writes (a v17 blob is
/// backwards compatible with version 16).
pub const FDT_LAST_COMP_VERSION: u32 = 16;

/// §5.4.1 structure block tokens.
const FDT_BEGIN_NODE: u32 = 0x1;
const FDT_END_NODE: u32 = 0x2;
const FDT_PROP: u32 = 0x3;
const FDT_NOP: u32 = 0x4;
const FDT_END: u32 = 0x9;

/// §5.2: size of the version 17 header (ten `u32` fields).
const HEADER_LEN: usize = 40;
/// Version 16 headers stop before `size_dt_struct` (added in version 17).
const HEADER_LEN_V16: usize = 36;
/// §5.3: one memory reservation entry is two `u64`.
const RSV_ENTRY_LEN: usize = 16;

/// Deepest node nesting [`Fdt::parse`] accepts. Real trees are a handful of
/// levels deep; the limit keeps the recursive serializer, comparisons and
/// drops of a hostile blob's tree off the stack's edge.
pub const MAX_DEPTH: usize = 256;

/// Why a blob could not be parsed or edited.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FdtError {
    #[error("DTB of {len} bytes is too short for its {need}-byte header")]
    TooShort { len: usize, need: usize },
    #[error("bad magic 0x{0:08x} (a DTB starts with 0xd00dfeed)")]
    BadMagic(u32),
    #[error(
        "unsupported DTB version {version} (last_comp_version {last_comp_version}): \
         need version >= 16 and last_comp_version <= 17"
    )]
    UnsupportedVersion {
        version: u32,
        last_comp_version: u32,
    },
    #[error("header totalsize 0x{totalsize:x} is larger than the 0x{len:x}-byte blob")]
    TotalSizeTooLarge { totalsize: u32, len: usize },
    #[error("header totalsize 0x{totalsize:x} is smaller than the header")]
    TotalSizeTooSmall { totalsize: u32 },
    #[error(
        "{block} block (offset 0x{offset:x}, size 0x{size:x}) extends past \
         totalsize 0x{totalsize:x}"
    )]
    BlockOutOfBounds {
        block: &'static str,
        offset: u32,
        size: u32,
        totalsize: u32,
    },
    #[error("truncated {block} block at offset 0x{offset:x}")]
    Truncated { block: &'static str, offset: usize },
    #[error("unknown structure block token 0x{token:08x} at offset 0x{offset:x}")]
    BadToken { token: u32, offset: usize },
    #[error("node name at offset 0x{offset:x} is not NUL-terminated in the structure block")]
    UnterminatedNodeName { offset: usize },
    #[error("property name offset 0x{nameoff:x} out of the strings block (size 0x{size:x})")]
    NameOffset { nameoff: u32, size: u32 },
    #[error(
        "property name at strings offset 0x{nameoff:x} is not NUL-terminated in the strings block"
    )]
    UnterminatedPropName { nameoff: u32 },
    #[error("{what} at offset 0x{offset:x} is not valid UTF-8")]
    NotUtf8 { what: &'static str, offset: usize },
    #[error("malformed structure block at offset 0x{offset:x}: {reason}")]
    Structure { offset: usize, reason: &'static str },
    #[error("nodes nested deeper than {MAX_DEPTH} levels at offset 0x{offset:x}")]
    TooDeep { offset: usize },
    #[error("root #address-cells is {len} bytes long, expected one 4-byte cell")]
    BadAddressCells { len: usize },
    #[error("root #address-cells = <{0}> is not supported for the initrd addresses (need 1 or 2)")]
    UnsupportedAddressCells(u32),
    #[error("initrd address 0x{0:x} does not fit the single cell of root #address-cells = <1>")]
    InitrdAddressTooLarge(u64),
    #[error("initrd end 0x{end:x} is below its start 0x{start:x}")]
    InitrdRange { start: u64, end: u64 },
}

/// One property (§2.2.4, §5.4.1 `FDT_PROP`): a name and raw bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prop {
    pub name: String,
    pub value: Vec<u8>,
}

/// One node (§2.2.1): its full name (with any `@unit-address`), its
/// properties and children in blob order. The root's name is empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub props: Vec<Prop>,
    pub children: Vec<Node>,
}

/// A whole device tree: header fields worth keeping, the memory reservation
/// block (§5.3) and the root node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fdt {
    /// §5.2 `boot_cpuid_phys`.
    pub boot_cpuid_phys: u32,
    /// §5.3 `(address, size)` entries, without the terminating `(0, 0)`.
    pub mem_reserve: Vec<(u64, u64)>,
    pub root: Node,
}

impl Node {
    /// An empty node called `name` (e.g. `"chosen"`, `"memory@80000000"`).
    pub fn new(name: impl Into<String>) -> Node {
        Node {
            name: name.into(),
            props: Vec::new(),
            children: Vec::new(),
        }
    }

    /// The value of property `name`, if present.
    pub fn prop(&self, name: &str) -> Option<&[u8]> {
        self.props
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.value.as_slice())
    }

    /// Property `name` read as one big-endian `u32` cell (§2.2.4.1), if it
    /// is present and exactly 4 bytes long.
    pub fn prop_u32(&self, name: &str) -> Option<u32> {
        let bytes: [u8; 4] = self.prop(name)?.try_into().ok()?;
        Some(u32::from_be_bytes(bytes))
    }

    /// Property `name` read as a NUL-terminated string (§2.2.4.1
    /// `<string>`), if present and well formed.
    pub fn prop_str(&self, name: &str) -> Option<&str> {
        let (last, body) = self.prop(name)?.split_last()?;
        if *last != 0 || body.contains(&0) {
            return None;
        }
        std::str::from_utf8(body).ok()
    }

    /// Sets property `name` to `value`, replacing an existing value in
    /// place (so its position is kept) or appending a new property.
    ///
    /// `name` must not contain a NUL byte (§2.2.4.1 property names are
    /// printable ASCII).
    pub fn set_prop(&mut self, name: &str, value: Vec<u8>) {
        debug_assert!(!name.contains('\0'), "property name with NUL: {name:?}");
        match self.props.iter_mut().find(|p| p.name == name) {
            Some(p) => p.value = value,
            None => self.props.push(Prop {
                name: name.to_owned(),
                value,
            }),
        }
    }

    /// Sets a `<string>` property: the bytes of `value` plus a NUL.
    pub fn set_prop_str(&mut self, name: &str, value: &str) {
        let mut bytes = Vec::with_capacity(value.len().saturating_add(1));
        bytes.extend_from_slice(value.as_bytes());
        bytes.push(0);
        self.set_prop(name, bytes);
    }

    /// Sets a `<u32>` property: one big-endian cell.
    pub fn set_prop_u32(&mut self, name: &str, value: u32) {
        self.set_prop(name, value.to_be_bytes().to_vec());
    }

    /// Sets a `<u64>` property: two big-endian cells, high cell first.
    pub fn set_prop_u64(&mut self, name: &str, value: u64) {
        self.set_prop(name, value.to_be_bytes().to_vec());
    }

    /// Removes property `name`; returns its value if it was present.
    pub fn remove_prop(&mut self, name: &str) -> Option<Vec<u8>> {
        let idx = self.props.iter().position(|p| p.name == name)?;
        Some(self.props.remove(idx).value)
    }

    /// The child whose full name is `name`.
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The child whose full name is `name`, mutably.
    pub fn child_mut(&mut self, name: &str) -> Option<&mut Node> {
        self.children.iter_mut().find(|c| c.name == name)
    }
}

/// The components of an absolute path (`"/"`, `"/chosen"`, `"/cpus/cpu@0"`).
/// Empty components (a trailing or doubled `/`) are skipped.
fn path_components(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|c| !c.is_empty())
}

impl Fdt {
    /// Parses a DTB (§5). Every offset and length is checked against the
    /// blob; anything malformed or truncated is an [`FdtError`].
    pub fn parse(blob: &[u8]) -> Result<Fdt, FdtError> {
        // §5.2 header. Check the magic first so that a non-DTB gets the
        // clearest message.
        let magic = be32(blob, 0).ok_or(FdtError::TooShort {
            len: blob.len(),
            need: HEADER_LEN,
        })?;
        if magic != FDT_MAGIC {
            return Err(FdtError::BadMagic(magic));
        }
        let field = |off: usize| {
            be32(blob, off).ok_or(FdtError::TooShort {
                len: blob.len(),
                need: HEADER_LEN,
            })
        };
        let version = field(20)?;
        let last_comp_version = field(24)?;
        // §5.2: version 17 is current and backwards compatible with 16; a
        // later version stays readable as long as it declares itself
        // compatible with 17.
        if version < 16 || last_comp_version > 17 {
            return Err(FdtError::UnsupportedVersion {
                version,
                last_comp_version,
            });
        }
        let header_len = if version >= 17 {
            HEADER_LEN
        } else {
            HEADER_LEN_V16
        };
        if blob.len() < header_len {
            return Err(FdtError::TooShort {
                len: blob.len(),
                need: header_len,
            });
        }
        let totalsize = field(4)?;
        let off_dt_struct = field(8)?;
        let off_dt_strings = field(12)?;
        let off_mem_rsvmap = field(16)?;
        let boot_cpuid_phys = field(28)?;
        let size_dt_strings = field(32)?;
        let total = to_usize(totalsize);
        if total > blob.len() {
            return Err(FdtError::TotalSizeTooLarge {
                totalsize,
                len: blob.len(),
            });
        }
        if total < header_len {
            return Err(FdtError::TotalSizeTooSmall { totalsize });
        }
        // Nothing past totalsize belongs to the tree.
        let blob = blob.get(..total).unwrap_or(blob);

        let block = |name: &'static str, offset: u32, size: u32| {
            let start = to_usize(offset);
            start
                .checked_add(to_usize(size))
                .and_then(|end| blob.get(start..end))
                .ok_or(FdtError::BlockOutOfBounds {
                    block: name,
                    offset,
                    size,
                    totalsize,
                })
        };
        let size_dt_struct = if version >= 17 {
            field(36)?
        } else {
            // Version 16 has no size_dt_struct: the block runs at most to
            // the end of the blob and ends at its FDT_END token.
            totalsize.saturating_sub(off_dt_struct)
        };
        let structure = block("structure", off_dt_struct, size_dt_struct)?;
        let strings = block("strings", off_dt_strings, size_dt_strings)?;
        let mem_reserve = parse_mem_reserve(blob, to_usize(off_mem_rsvmap))?;
        let root = parse_structure(structure, to_usize(off_dt_struct), strings, size_dt_strings)?;
        Ok(Fdt {
            boot_cpuid_phys,
            mem_reserve,
            root,
        })
    }

    /// Serializes to a version 17 DTB (§5): the 40-byte header, the memory
    /// reservation block at offset 40 (8-byte aligned, §5.3), the structure
    /// block right after it (4-byte aligned, §5.4), then the strings block
    /// (§5.5, each name stored once).
    ///
    /// # Panics
    /// If the blob would exceed 4 GiB (the header's fields are `u32`).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut strings = StringTable::default();
        let mut structure = Vec::new();
        emit_node(&self.root, &mut structure, &mut strings);
        structure.extend_from_slice(&FDT_END.to_be_bytes());

        let off_mem_rsvmap = HEADER_LEN; // 40: already 8-byte aligned
        let rsv_len = (self.mem_reserve.len() + 1) * RSV_ENTRY_LEN;
        let off_dt_struct = off_mem_rsvmap + rsv_len; // multiple of 8
        let off_dt_strings = off_dt_struct + structure.len(); // multiple of 4
        let totalsize = off_dt_strings + strings.bytes.len();

        let mut out = Vec::with_capacity(totalsize);
        for v in [
            FDT_MAGIC,
            u32_len(totalsize),
            u32_len(off_dt_struct),
            u32_len(off_dt_strings),
            u32_len(off_mem_rsvmap),
            FDT_VERSION,
            FDT_LAST_COMP_VERSION,
            self.boot_cpuid_phys,
            u32_len(strings.bytes.len()),
            u32_len(structure.len()),
        ] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        for &(addr, size) in self.mem_reserve.iter().chain(std::iter::once(&(0, 0))) {
            out.extend_from_slice(&addr.to_be_bytes());
            out.extend_from_slice(&size.to_be_bytes());
        }
        out.extend_from_slice(&structure);
        out.extend_from_slice(&strings.bytes);
        debug_assert_eq!(out.len(), totalsize);
        out
    }

    /// The node at absolute `path` (`"/"` is the root). Each component must
    /// match a node's full name, unit address included (`"/memory@80000000"`).
    pub fn node(&self, path: &str) -> Option<&Node> {
        if !path.starts_with('/') {
            return None;
        }
        path_components(path).try_fold(&self.root, |node, name| node.child(name))
    }

    /// The node at absolute `path`, mutably; see [`Fdt::node`].
    pub fn node_mut(&mut self, path: &str) -> Option<&mut Node> {
        if !path.starts_with('/') {
            return None;
        }
        path_components(path).try_fold(&mut self.root, |node, name| node.child_mut(name))
    }

    /// The node at `path`, creating it and any missing parents (empty, at
    /// the end of their parent's children). A path without a leading `/`
    /// is taken from the root too.
    pub fn node_or_create(&mut self, path: &str) -> &mut Node {
        let mut node = &mut self.root;
        for name in path_components(path) {
            let idx = match node.children.iter().position(|c| c.name == name) {
                Some(idx) => idx,
                None => {
                    node.children.push(Node::new(name));
                    node.children.len() - 1
                }
            };
            node = &mut node.children[idx];
        }
        node
    }
}

/// §5.3: `(address, size)` big-endian `u64` pairs from `offset`, up to the
/// `(0, 0)` terminator.
fn parse_mem_reserve(blob: &[u8], offset: usize) -> Result<Vec<(u64, u64)>, FdtError> {
    let mut entries = Vec::new();
    let mut pos = offset;
    loop {
        let truncated = FdtError::Truncated {
            block: "memory reservation",
            offset: pos,
        };
        let entry = pos
            .checked_add(RSV_ENTRY_LEN)
            .and_then(|end| blob.get(pos..end))
            .ok_or(truncated)?;
        let (addr, size) = entry.split_at(8);
        let addr = u64::from_be_bytes(addr.try_into().unwrap_or_default());
        let size = u64::from_be_bytes(size.try_into().unwrap_or_default());
        if addr == 0 && size == 0 {
            return Ok(entries);
        }
        entries.push((addr, size));
        pos += RSV_ENTRY_LEN; // cannot overflow: pos + 16 was checked above
    }
}

/// §5.4: walks the token stream of `structure` (which starts at blob offset
/// `base`, used in error messages) and builds the tree. Nodes under
/// construction live on an explicit stack, so hostile nesting cannot
/// overflow the call stack.
fn parse_structure(
    structure: &[u8],
    base: usize,
    strings: &[u8],
    size_dt_strings: u32,
) -> Result<Node, FdtError> {
    let at = |pos: usize| base.saturating_add(pos);
    let truncated = |pos: usize| FdtError::Truncated {
        block: "structure",
        offset: at(pos),
    };
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    let mut pos = 0usize;
    loop {
        let token_pos = pos;
        let token = be32(structure, pos).ok_or_else(|| truncated(pos))?;
        pos += 4; // be32 succeeded, so pos + 4 <= structure.len()
        match token {
            FDT_BEGIN_NODE => {
                if root.is_some() {
                    return Err(FdtError::Structure {
                        offset: at(token_pos),
                        reason: "a second top-level node after the root node",
                    });
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(FdtError::TooDeep {
                        offset: at(token_pos),
                    });
                }
                // §5.4.1: the unit name, NUL-terminated, padded to 4 bytes.
                let rest = structure.get(pos..).unwrap_or_default();
                let len = rest
                    .iter()
                    .position(|&b| b == 0)
                    .ok_or(FdtError::UnterminatedNodeName { offset: at(pos) })?;
                let name =
                    std::str::from_utf8(rest.get(..len).unwrap_or_default()).map_err(|_| {
                        FdtError::NotUtf8 {
                            what: "node name",
                            offset: at(pos),
                        }
                    })?;
                stack.push(Node::new(name));
                pos = align4(pos + len + 1).ok_or_else(|| truncated(pos))?;
            }
            FDT_END_NODE => {
                let node = stack.pop().ok_or(FdtError::Structure {
                    offset: at(token_pos),
                    reason: "FDT_END_NODE without a matching FDT_BEGIN_NODE",
                })?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
            }
            FDT_PROP => {
                // §5.4.1: struct { u32 len; u32 nameoff; } then the value,
                // padded to 4 bytes.
                let len = be32(structure, pos).ok_or_else(|| truncated(pos))?;
                let nameoff = be32(structure, pos + 4).ok_or_else(|| truncated(pos + 4))?;
                pos += 8;
                let node = stack.last_mut().ok_or(FdtError::Structure {
                    offset: at(token_pos),
                    reason: "FDT_PROP outside any node",
                })?;
                let end = pos
                    .checked_add(to_usize(len))
                    .ok_or_else(|| truncated(pos))?;
                let value = structure.get(pos..end).ok_or_else(|| truncated(pos))?;
                let name = prop_name(strings, nameoff, size_dt_strings)?;
                node.props.push(Prop {
                    name: name.to_owned(),
                    value: value.to_vec(),
                });
                pos = align4(end).ok_or_else(|| truncated(end))?;
            }
            FDT_NOP => {}
            FDT_END => {
                if !stack.is_empty() {
                    return Err(FdtError::Structure {
                        offset: at(token_pos),
                        reason: "FDT_END inside an unclosed node",
                    });
                }
                return root.ok_or(FdtError::Structure {
                    offset: at(token_pos),
                    reason: "FDT_END before any node",
                });
            }
            token => {
                return Err(FdtError::BadToken {
                    token,
                    offset: at(token_pos),
                });
            }
        }
    }
}

/// §5.5: the NUL-terminated name at `nameoff` in the strings block.
fn prop_name(strings: &[u8], nameoff: u32, size: u32) -> Result<&str, FdtError> {
    let rest = strings
        .get(to_usize(nameoff)..)
        .filter(|rest| !rest.is_empty())
        .ok_or(FdtError::NameOffset { nameoff, size })?;
    let len = rest
        .iter()
        .position(|&b| b == 0)
        .ok_or(FdtError::UnterminatedPropName { nameoff })?;
    std::str::from_utf8(rest.get(..len).unwrap_or_default()).map_err(|_| FdtError::NotUtf8 {
        what: "property name in the strings block",
        offset: to_usize(nameoff),
    })
}

/// §5.5 strings block being built: each name once.
#[derive(Default)]
struct StringTable {
    bytes: Vec<u8>,
    offsets: HashMap<String, u32>,
}

impl StringTable {
    fn offset_of(&mut self, name: &str) -> u32 {
        if let Some(&off) = self.offsets.get(name) {
            return off;
        }
        let off = u32_len(self.bytes.len());
        self.bytes.extend_from_slice(name.as_bytes());
        self.bytes.push(0);
        self.offsets.insert(name.to_owned(), off);
        off
    }
}

/// §5.4.1/§5.4.2: one node's tokens, children after properties.
fn emit_node(node: &Node, out: &mut Vec<u8>, strings: &mut StringTable) {
    out.extend_from_slice(&FDT_BEGIN_NODE.to_be_bytes());
    out.extend_from_slice(node.name.as_bytes());
    out.push(0);
    pad4(out);
    for prop in &node.props {
        out.extend_from_slice(&FDT_PROP.to_be_bytes());
        out.extend_from_slice(&u32_len(prop.value.len()).to_be_bytes());
        out.extend_from_slice(&strings.offset_of(&prop.name).to_be_bytes());
        out.extend_from_slice(&prop.value);
        pad4(out);
    }
    for child in &node.children {
        emit_node(child, out, strings);
    }
    out.extend_from_slice(&FDT_END_NODE.to_be_bytes());
}

/// Zero-pads `out` to a multiple of 4 bytes (§5.4: tokens are 4-byte aligned).
fn pad4(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

/// `x` rounded up to a multiple of 4, or `None` on overflow.
fn align4(x: usize) -> Option<usize> {
    Some(x.checked_add(3)? & !3)
}

/// The big-endian `u32` at `off`, if the four bytes are there.
fn be32(bytes: &[u8], off: usize) -> Option<u32> {
    let b = bytes.get(off..off.checked_add(4)?)?;
    Some(u32::from_be_bytes(b.try_into().ok()?))
}

/// Header offsets and sizes are `u32`; `usize` is at least that wide on
/// every target this emulator builds for.
fn to_usize(x: u32) -> usize {
    const _: () = assert!(usize::BITS >= 32);
    x as usize
}

/// A length written into a header or `FDT_PROP` field.
fn u32_len(x: usize) -> u32 {
    u32::try_from(x).expect("device tree larger than 4 GiB")
}

/// Parses `dtb`, sets `/chosen` (created if missing, §3.6) properties and
/// returns the re-serialized blob:
///
/// * `bootargs` (the kernel command line, `--append`) as a string;
/// * `linux,initrd-start` / `linux,initrd-end` from `initrd = (start, end)`,
///   each `#address-cells` cells wide as QEMU writes them: one `u32` cell if
///   the root's `#address-cells` is 1, a big-endian `u64` if it is 2 (the
///   default when the root has no `#address-cells`, §2.3.5).
pub fn apply_chosen(
    dtb: &[u8],
    bootargs: Option<&str>,
    initrd: Option<(u64, u64)>,
) -> Result<Vec<u8>, FdtError> {
    let mut fdt = Fdt::parse(dtb)?;
    let address_cells = match fdt.root.prop("#address-cells") {
        None => 2,
        Some(v) => fdt
            .root
            .prop_u32("#address-cells")
            .ok_or(FdtError::BadAddressCells { len: v.len() })?,
    };
    // Validate everything before touching the tree.
    let initrd_cells = match initrd {
        None => None,
        Some((start, end)) => {
            if end < start {
                return Err(FdtError::InitrdRange { start, end });
            }
            let cells = |addr: u64| -> Result<Vec<u8>, FdtError> {
                match address_cells {
                    1 => u32::try_from(addr)
                        .map(|a| a.to_be_bytes().to_vec())
                        .map_err(|_| FdtError::InitrdAddressTooLarge(addr)),
                    2 => Ok(addr.to_be_bytes().to_vec()),
                    n => Err(FdtError::UnsupportedAddressCells(n)),
                }
            };
            Some((cells(start)?, cells(end)?))
        }
    };
    let chosen = fdt.node_or_create("/chosen");
    if let Some(args) = bootargs {
        chosen.set_prop_str("bootargs", args);
    }
    if let Some((start, end)) = initrd_cells {
        chosen.set_prop("linux,initrd-start", start);
        chosen.set_prop("linux,initrd-end", end);
    }
    Ok(fdt.to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::path::{Path, PathBuf};
    use std::process::{Command, Stdio};

    fn data_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fdt")
    }

    fn sample() -> Vec<u8> {
        std::fs::read(data_dir().join("sample.dtb")).expect("fixture sample.dtb")
    }

    fn header(blob: &[u8], off: usize) -> u32 {
        be32(blob, off).unwrap()
    }

    /// `dtc -I dtb -O dts` of `blob`, or `None` (with a note) when dtc is
    /// not installed.
    fn dtc_decompile(blob: &[u8]) -> Option<String> {
        let child = Command::new("dtc")
            .args(["-q", "-I", "dtb", "-O", "dts", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match child {
            Ok(c) => c,
            Err(e) => {
                println!("note: dtc not available ({e}); skipping the dtc oracle check");
                return None;
            }
        };
        child.stdin.take().unwrap().write_all(blob).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "dtc failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(String::from_utf8(out.stdout).unwrap())
    }

    /// Checks the §5.2 header and block layout of a blob we wrote.
    fn check_layout(blob: &[u8]) {
        assert_eq!(header(blob, 0), FDT_MAGIC);
        assert_eq!(to_usize(header(blob, 4)), blob.len(), "totalsize");
        let off_struct = header(blob, 8);
        let off_strings = header(blob, 12);
        let off_rsv = header(blob, 16);
        assert_eq!(header(blob, 20), 17, "version");
        assert_eq!(header(blob, 24), 16, "last_comp_version");
        assert_eq!(off_rsv % 8, 0, "memory reservation block 8-byte aligned");
        assert_eq!(off_struct % 4, 0, "structure block 4-byte aligned");
        assert_eq!(off_struct + header(blob, 36), off_strings);
        assert_eq!(off_strings + header(blob, 32), header(blob, 4));
        // The reservation block ends with a zero entry right before the
        // structure block.
        let end = to_usize(off_struct);
        assert_eq!(&blob[end - 16..end], &[0u8; 16]);
    }

    #[test]
    fn parses_sample_fixture() {
        let blob = sample();
        assert!(blob.len() < 2048);
        assert_eq!(header(&blob, 20), 17, "dtc writes version 17");
        let fdt = Fdt::parse(&blob).unwrap();
        assert_eq!(fdt.boot_cpuid_phys, 0);
        assert_eq!(fdt.mem_reserve, vec![(0x8000_0000, 0x1_0000)]);
        let root = &fdt.root;
        assert_eq!(root.name, "");
        assert_eq!(root.prop_str("model"), Some("rme-emu fdt fixture"));
        assert_eq!(
            root.prop("compatible"),
            Some(&b"arm,fvp-base-revc\0arm,vexpress\0"[..])
        );
        assert_eq!(root.prop_u32("#address-cells"), Some(2));
        assert_eq!(root.prop_u32("#size-cells"), Some(2));
        let names: Vec<&str> = root.children.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "memory@80000000",
                "interrupt-controller@2f000000",
                "uart@1c090000"
            ]
        );

        let mem = fdt.node("/memory@80000000").unwrap();
        assert_eq!(mem.prop_str("device_type"), Some("memory"));
        assert_eq!(
            mem.prop("reg"),
            Some(&[0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0, 0, 0][..])
        );
        let gic = fdt.node("/interrupt-controller@2f000000").unwrap();
        assert_eq!(gic.prop("interrupt-controller"), Some(&[][..]));
        assert_eq!(gic.prop_u32("#interrupt-cells"), Some(3));
        // dtc resolved the &gic reference into a phandle.
        let phandle = gic.prop_u32("phandle").unwrap();
        assert_eq!(root.prop_u32("interrupt-parent"), Some(phandle));
        let uart = fdt.node("/uart@1c090000").unwrap();
        assert_eq!(
            uart.prop("compatible"),
            Some(&b"arm,pl011\0arm,primecell\0"[..])
        );
        assert_eq!(uart.prop_str("status"), Some("okay"));
    }

    #[test]
    fn path_lookup_matches_full_names() {
        let mut fdt = Fdt::parse(&sample()).unwrap();
        assert_eq!(fdt.node("/").map(|n| n.name.as_str()), Some(""));
        assert!(fdt.node("/memory@80000000").is_some());
        assert!(fdt.node("/memory@80000000/").is_some());
        assert!(fdt.node("/memory").is_none(), "bare names do not match");
        assert!(fdt.node("memory@80000000").is_none(), "relative path");
        assert!(fdt.node("/chosen").is_none());
        assert!(fdt.node_mut("/chosen").is_none());
        fdt.node_mut("/uart@1c090000")
            .unwrap()
            .set_prop_str("status", "disabled");
        assert_eq!(
            fdt.node("/uart@1c090000").unwrap().prop_str("status"),
            Some("disabled")
        );

        fdt.node_or_create("/chosen").set_prop_u32("x", 7);
        fdt.node_or_create("/a/b@1/c")
            .set_prop_u64("y", 0x1_0000_0002);
        assert_eq!(fdt.root.children.len(), 5);
        assert_eq!(fdt.node("/chosen").unwrap().prop_u32("x"), Some(7));
        assert_eq!(
            fdt.node("/a/b@1/c").unwrap().prop("y"),
            Some(&[0, 0, 0, 1, 0, 0, 0, 2][..])
        );
        // Creating an existing node returns it, it does not duplicate it.
        fdt.node_or_create("/chosen").set_prop_u32("x", 8);
        assert_eq!(fdt.root.children.len(), 5);
        assert_eq!(fdt.node("/chosen").unwrap().prop_u32("x"), Some(8));
        // set_prop replaces in place.
        let chosen = fdt.node_mut("/chosen").unwrap();
        chosen.set_prop_str("z", "a");
        chosen.set_prop_u32("x", 9);
        let names: Vec<&str> = chosen.props.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["x", "z"]);
        assert_eq!(chosen.remove_prop("x"), Some(vec![0, 0, 0, 9]));
        assert_eq!(chosen.prop("x"), None);
    }

    #[test]
    fn sample_round_trips_to_an_equal_tree() {
        let blob = sample();
        let fdt = Fdt::parse(&blob).unwrap();
        let out = fdt.to_bytes();
        check_layout(&out);
        let again = Fdt::parse(&out).unwrap();
        assert_eq!(again, fdt);
        assert_eq!(again.to_bytes(), out, "serialization is deterministic");
        // Strings are stored once: "compatible" and "reg" appear in several
        // nodes.
        let strings = &out[to_usize(header(&out, 12))..];
        let names: Vec<&[u8]> = strings
            .strip_suffix(b"\0")
            .unwrap()
            .split(|&b| b == 0)
            .collect();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "duplicated names in {names:?}");
        assert!(names.contains(&&b"compatible"[..]) && names.contains(&&b"reg"[..]));
    }

    #[test]
    fn sample_round_trip_matches_dtc() {
        let blob = sample();
        let out = Fdt::parse(&blob).unwrap().to_bytes();
        let (Some(original), Some(ours)) = (dtc_decompile(&blob), dtc_decompile(&out)) else {
            return;
        };
        assert_eq!(original, ours);
        assert!(original.contains("/memreserve/\t0x0000000080000000 0x0000000000010000;"));
    }

    #[test]
    fn apply_chosen_adds_bootargs_and_initrd() {
        let blob = sample();
        let out = apply_chosen(
            &blob,
            Some("console=ttyAMA0 earlycon"),
            Some((0x9000_0000, 0x9080_0000)),
        )
        .unwrap();
        check_layout(&out);
        let fdt = Fdt::parse(&out).unwrap();
        let chosen = fdt.node("/chosen").unwrap();
        assert_eq!(
            chosen.prop_str("bootargs"),
            Some("console=ttyAMA0 earlycon")
        );
        assert_eq!(
            chosen.prop("linux,initrd-start"),
            Some(&[0, 0, 0, 0, 0x90, 0, 0, 0][..])
        );
        assert_eq!(
            chosen.prop("linux,initrd-end"),
            Some(&[0, 0, 0, 0, 0x90, 0x80, 0, 0][..])
        );
        // Everything else is untouched.
        let mut without = fdt.clone();
        without.root.children.retain(|c| c.name != "chosen");
        assert_eq!(without, Fdt::parse(&blob).unwrap());

        // Applying again replaces the values rather than adding duplicates.
        let out2 = apply_chosen(&out, Some("quiet"), None).unwrap();
        let fdt2 = Fdt::parse(&out2).unwrap();
        let chosen2 = fdt2.node("/chosen").unwrap();
        assert_eq!(chosen2.props.len(), 3);
        assert_eq!(chosen2.prop_str("bootargs"), Some("quiet"));
        assert_eq!(
            chosen2.prop("linux,initrd-start"),
            Some(&[0, 0, 0, 0, 0x90, 0, 0, 0][..])
        );
        assert_eq!(
            fdt2.root
                .children
                .iter()
                .filter(|c| c.name == "chosen")
                .count(),
            1
        );
    }

    #[test]
    fn apply_chosen_output_decompiles_with_dtc() {
        let out = apply_chosen(
            &sample(),
            Some("console=ttyAMA0 earlycon"),
            Some((0x9000_0000, 0x9080_0000)),
        )
        .unwrap();
        let Some(dts) = dtc_decompile(&out) else {
            return;
        };
        assert!(dts.contains("\tchosen {\n"), "{dts}");
        assert!(
            dts.contains("bootargs = \"console=ttyAMA0 earlycon\";"),
            "{dts}"
        );
        assert!(
            dts.contains("linux,initrd-start = <0x00 0x90000000>;"),
            "{dts}"
        );
        assert!(
            dts.contains("linux,initrd-end = <0x00 0x90800000>;"),
            "{dts}"
        );
    }

    /// A tree with root `#address-cells = <1>` built through the API.
    fn one_cell_tree() -> Vec<u8> {
        let mut fdt = Fdt::default();
        fdt.root.set_prop_u32("#address-cells", 1);
        fdt.root.set_prop_u32("#size-cells", 1);
        let mem = fdt.node_or_create("/memory@80000000");
        mem.set_prop_str("device_type", "memory");
        mem.set_prop(
            "reg",
            [0x8000_0000u32, 0x1000_0000]
                .iter()
                .flat_map(|v| v.to_be_bytes())
                .collect(),
        );
        fdt.to_bytes()
    }

    #[test]
    fn apply_chosen_uses_32_bit_cells_for_one_address_cell() {
        let blob = one_cell_tree();
        let out = apply_chosen(&blob, None, Some((0x9000_0000, 0x9080_0000))).unwrap();
        let fdt = Fdt::parse(&out).unwrap();
        let chosen = fdt.node("/chosen").unwrap();
        assert_eq!(chosen.prop_u32("linux,initrd-start"), Some(0x9000_0000));
        assert_eq!(chosen.prop_u32("linux,initrd-end"), Some(0x9080_0000));
        assert_eq!(chosen.prop("bootargs"), None);
        if let Some(dts) = dtc_decompile(&out) {
            assert!(dts.contains("linux,initrd-start = <0x90000000>;"), "{dts}");
            assert!(dts.contains("linux,initrd-end = <0x90800000>;"), "{dts}");
        }
        // An initrd above 4 GiB cannot be described with one cell.
        assert_eq!(
            apply_chosen(&blob, None, Some((0x1_0000_0000, 0x1_0000_1000))),
            Err(FdtError::InitrdAddressTooLarge(0x1_0000_0000))
        );
    }

    #[test]
    fn apply_chosen_defaults_and_rejects() {
        // No #address-cells at the root: 2 cells.
        let mut fdt = Fdt::default();
        fdt.node_or_create("/cpus");
        let out = apply_chosen(&fdt.to_bytes(), Some(""), Some((1, 2))).unwrap();
        let chosen = Fdt::parse(&out).unwrap().node("/chosen").cloned().unwrap();
        assert_eq!(
            chosen.prop("linux,initrd-end"),
            Some(&2u64.to_be_bytes()[..])
        );
        assert_eq!(chosen.prop("bootargs"), Some(&b"\0"[..]));

        fdt.root.set_prop_u32("#address-cells", 3);
        let blob = fdt.to_bytes();
        assert_eq!(
            apply_chosen(&blob, None, Some((1, 2))),
            Err(FdtError::UnsupportedAddressCells(3))
        );
        assert!(
            apply_chosen(&blob, Some("x"), None).is_ok(),
            "cells only matter for initrd"
        );
        fdt.root.set_prop("#address-cells", vec![0, 2]);
        assert_eq!(
            apply_chosen(&fdt.to_bytes(), None, Some((1, 2))),
            Err(FdtError::BadAddressCells { len: 2 })
        );
        assert_eq!(
            apply_chosen(&sample(), None, Some((3, 2))),
            Err(FdtError::InitrdRange { start: 3, end: 2 })
        );
        assert!(matches!(
            apply_chosen(b"not a dtb at all", Some("x"), None),
            Err(FdtError::BadMagic(_))
        ));
    }

    #[test]
    fn every_truncation_is_an_error() {
        let blob = sample();
        for len in 0..blob.len() {
            let r = Fdt::parse(&blob[..len]);
            assert!(r.is_err(), "prefix of {len} bytes parsed: {r:?}");
        }
        // Messages are readable.
        assert_eq!(
            Fdt::parse(&blob[..20]).unwrap_err().to_string(),
            "DTB of 20 bytes is too short for its 40-byte header"
        );
        assert_eq!(
            Fdt::parse(&blob[..100]).unwrap_err().to_string(),
            format!(
                "header totalsize 0x{:x} is larger than the 0x64-byte blob",
                blob.len()
            )
        );
    }

    #[test]
    fn truncated_blocks_with_consistent_headers_are_errors() {
        // Cut the blob and lower totalsize (and the block sizes) to match,
        // so the error comes from the block walkers, not the size checks.
        let blob = sample();
        let fdt = Fdt::parse(&blob).unwrap();
        for len in HEADER_LEN..blob.len() {
            let mut cut = blob[..len].to_vec();
            cut[4..8].copy_from_slice(&u32_len(len).to_be_bytes());
            let off_struct = to_usize(header(&cut, 8));
            let off_strings = to_usize(header(&cut, 12));
            let size_strings = len
                .saturating_sub(off_strings)
                .min(to_usize(header(&cut, 32)));
            cut[32..36].copy_from_slice(&u32_len(size_strings).to_be_bytes());
            let size_struct = len
                .saturating_sub(off_struct)
                .min(to_usize(header(&cut, 36)));
            cut[36..40].copy_from_slice(&u32_len(size_struct).to_be_bytes());
            if let Ok(parsed) = Fdt::parse(&cut) {
                // Only cuts that lose nothing may parse (the strings block's
                // last name is not referenced twice, so it cannot be).
                assert_eq!(parsed, fdt, "cut at {len}");
            }
        }
    }

    #[test]
    fn bit_flips_never_panic() {
        let blob = sample();
        let mut ok = 0;
        for bit in 0..blob.len() * 8 {
            let mut bad = blob.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            if let Ok(fdt) = Fdt::parse(&bad) {
                ok += 1;
                // Whatever parsed must serialize and parse back identically.
                assert_eq!(Fdt::parse(&fdt.to_bytes()).unwrap(), fdt, "bit {bit}");
            }
        }
        // Flips in property values and names still parse.
        assert!(ok > 0);
        // Also set each header word to extreme values.
        for word in 0..10 {
            for v in [0u32, 1, 3, 0x7fff_ffff, 0xffff_fffc, 0xffff_ffff] {
                let mut bad = blob.clone();
                bad[word * 4..word * 4 + 4].copy_from_slice(&v.to_be_bytes());
                let _ = Fdt::parse(&bad);
            }
        }
    }

    #[test]
    fn specific_header_errors() {
        let blob = sample();
        let with = |off: usize, v: u32| {
            let mut b = blob.clone();
            b[off..off + 4].copy_from_slice(&v.to_be_bytes());
            Fdt::parse(&b).unwrap_err().to_string()
        };
        assert_eq!(
            with(0, 0xfeedd00d),
            "bad magic 0xfeedd00d (a DTB starts with 0xd00dfeed)"
        );
        assert!(with(20, 15).starts_with("unsupported DTB version 15"));
        assert!(with(24, 18).contains("last_comp_version 18"));
        assert_eq!(
            with(4, 8),
            "header totalsize 0x8 is smaller than the header"
        );
        assert!(with(8, 0xffff_fff0).starts_with("structure block (offset 0xfffffff0"));
        assert!(with(36, 0xffff_ffff).starts_with("structure block"));
        assert!(with(12, 0x1000).starts_with("strings block (offset 0x1000"));
        assert_eq!(
            with(16, 0xffff_fff8),
            "truncated memory reservation block at offset 0xfffffff8"
        );
        // The first token is FDT_BEGIN_NODE; make it unknown.
        let off_struct = to_usize(header(&blob, 8));
        assert_eq!(
            with(off_struct, 0x42),
            format!("unknown structure block token 0x00000042 at offset 0x{off_struct:x}")
        );
        assert!(with(off_struct, FDT_END).contains("FDT_END before any node"));
        assert!(with(off_struct, FDT_END_NODE).contains("FDT_END_NODE without a matching"));
        // A version 16 header (no size_dt_struct) still parses.
        let mut v16 = blob.clone();
        v16[20..24].copy_from_slice(&16u32.to_be_bytes());
        assert_eq!(Fdt::parse(&v16).unwrap(), Fdt::parse(&blob).unwrap());
    }

    /// A blob around a hand-made structure block and strings block.
    fn raw_blob(structure: &[u32], strings: &[u8]) -> Vec<u8> {
        let off_struct = HEADER_LEN + RSV_ENTRY_LEN;
        let size_struct = structure.len() * 4;
        let off_strings = off_struct + size_struct;
        let total = off_strings + strings.len();
        let mut b = Vec::new();
        for v in [
            FDT_MAGIC,
            u32_len(total),
            u32_len(off_struct),
            u32_len(off_strings),
            u32_len(HEADER_LEN),
            17,
            16,
            0,
            u32_len(strings.len()),
            u32_len(size_struct),
        ] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        b.extend_from_slice(&[0; RSV_ENTRY_LEN]);
        for t in structure {
            b.extend_from_slice(&t.to_be_bytes());
        }
        b.extend_from_slice(strings);
        b
    }

    #[test]
    fn structure_errors() {
        let err = |s: &[u32], strings: &[u8]| Fdt::parse(&raw_blob(s, strings)).unwrap_err();
        // Root "" (a zero word holds the NUL and its padding).
        let prop_at = |nameoff: u32| {
            vec![
                FDT_BEGIN_NODE,
                0,
                FDT_PROP,
                0,
                nameoff,
                FDT_END_NODE,
                FDT_END,
            ]
        };
        assert_eq!(
            err(&prop_at(8), b"abc\0"),
            FdtError::NameOffset {
                nameoff: 8,
                size: 4
            }
        );
        assert_eq!(
            err(&prop_at(4), b"abc\0").to_string(),
            "property name offset 0x4 out of the strings block (size 0x4)"
        );
        assert_eq!(
            err(&prop_at(0), b"abc"),
            FdtError::UnterminatedPropName { nameoff: 0 }
        );
        let ok = Fdt::parse(&raw_blob(&prop_at(1), b"abc\0")).unwrap();
        assert_eq!(ok.root.prop("bc"), Some(&[][..]));

        assert!(matches!(
            err(&[FDT_PROP, 0, 0, FDT_END], b"a\0"),
            FdtError::Structure {
                reason: "FDT_PROP outside any node",
                ..
            }
        ));
        assert!(matches!(
            err(&[FDT_BEGIN_NODE, 0, FDT_END], b""),
            FdtError::Structure {
                reason: "FDT_END inside an unclosed node",
                ..
            }
        ));
        assert!(matches!(
            err(
                &[
                    FDT_BEGIN_NODE,
                    0,
                    FDT_END_NODE,
                    FDT_BEGIN_NODE,
                    0,
                    FDT_END_NODE,
                    FDT_END
                ],
                b""
            ),
            FdtError::Structure { .. }
        ));
        // A property whose length runs past the block.
        assert!(matches!(
            err(
                &[
                    FDT_BEGIN_NODE,
                    0,
                    FDT_PROP,
                    0xffff_ffff,
                    0,
                    FDT_END_NODE,
                    FDT_END
                ],
                b"a\0"
            ),
            FdtError::Truncated {
                block: "structure",
                ..
            }
        ));
        // A node name with no NUL before the end of the block.
        assert!(matches!(
            err(&[FDT_BEGIN_NODE, 0x6161_6161], b""),
            FdtError::UnterminatedNodeName { .. }
        ));
        // Missing FDT_END.
        assert!(matches!(
            err(&[FDT_BEGIN_NODE, 0, FDT_END_NODE], b""),
            FdtError::Truncated {
                block: "structure",
                offset: 68
            }
        ));
        // NOPs are skipped anywhere.
        let nops = raw_blob(
            &[
                FDT_NOP,
                FDT_BEGIN_NODE,
                0,
                FDT_NOP,
                FDT_PROP,
                0,
                0,
                FDT_NOP,
                FDT_END_NODE,
                FDT_NOP,
                FDT_END,
            ],
            b"p\0",
        );
        assert_eq!(Fdt::parse(&nops).unwrap().root.prop("p"), Some(&[][..]));
        // Hostile nesting is refused, not recursed into.
        let mut deep = vec![];
        for _ in 0..100_000 {
            deep.extend([FDT_BEGIN_NODE, 0x6100_0000]);
        }
        assert!(matches!(err(&deep, b""), FdtError::TooDeep { .. }));
        // Nesting up to the limit is fine.
        let mut ok_deep = vec![FDT_BEGIN_NODE, 0];
        for _ in 1..MAX_DEPTH {
            ok_deep.extend([FDT_BEGIN_NODE, 0x6100_0000]);
        }
        ok_deep.extend(std::iter::repeat_n(FDT_END_NODE, MAX_DEPTH));
        ok_deep.push(FDT_END);
        let fdt = Fdt::parse(&raw_blob(&ok_deep, b"")).unwrap();
        assert_eq!(Fdt::parse(&fdt.to_bytes()).unwrap(), fdt);
    }

    #[test]
    fn tf_a_fvp_dtbs_round_trip() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/images/tf-a-fvp-rme/elf");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            println!(
                "note: {} absent; skipping the TF-A DTB check",
                dir.display()
            );
            return;
        };
        let mut seen = 0;
        for entry in entries {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "dtb") {
                continue;
            }
            let blob = std::fs::read(&path).unwrap();
            let fdt = Fdt::parse(&blob).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let out = fdt.to_bytes();
            check_layout(&out);
            assert_eq!(Fdt::parse(&out).unwrap(), fdt, "{}", path.display());
            if let (Some(a), Some(b)) = (dtc_decompile(&blob), dtc_decompile(&out)) {
                assert_eq!(a, b, "{}", path.display());
            }
            if path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("fvp-base"))
            {
                assert!(fdt.node("/cpus").is_some());
                let with = apply_chosen(
                    &blob,
                    Some("console=ttyAMA0"),
                    Some((0x8400_0000, 0x8500_0000)),
                )
                .unwrap();
                let chosen = Fdt::parse(&with).unwrap().node("/chosen").cloned().unwrap();
                assert_eq!(chosen.prop_str("bootargs"), Some("console=ttyAMA0"));
            }
            seen += 1;
        }
        if seen == 0 {
            println!(
                "note: no .dtb in {}; skipping the TF-A DTB check",
                dir.display()
            );
        }
    }
}
