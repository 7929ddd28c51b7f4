//! Turns the A64 encoding tables (`src/decode/*.decode`) into the `Insn`
//! enum, the decoder and the encoding list the oracle fuzzer draws from.
//!
//! Table format, one encoding per line (Arm ARM encoding diagrams, msb
//! first, 32 bits in total):
//!
//! ```text
//! # comment
//! AddSubImm  sf op S 100010 sh imm12:12 rn:5 rd:5
//! ```
//!
//! A token of `0`/`1` characters is fixed bits; `x` characters are bits the
//! encoding ignores; `name:width` is a field (`name` alone is one bit). The
//! first row that matches wins, so specific rows come before general ones.
//! A field mismatch between a row and its semantic function fails the build
//! because every variant is matched with all its named fields.

use std::fmt::Write as _;
use std::{env, fs, path::Path};

struct Field {
    name: String,
    lsb: u32,
    width: u32,
}

struct Row {
    name: String,
    group: String,
    mask: u32,
    value: u32,
    fields: Vec<Field>,
}

const GROUPS: &[&str] = &["data_proc_imm", "branch_exc_sys", "loads_stores", "data_proc_reg"];

fn parse(group: &str, text: &str, rows: &mut Vec<Row>) {
    for (lineno, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap().trim();
        if line.is_empty() {
            continue;
        }
        let mut toks = line.split_whitespace();
        let name = toks.next().unwrap().to_string();
        let mut pos: i32 = 32;
        let (mut mask, mut value) = (0u32, 0u32);
        let mut fields = Vec::new();
        for t in toks {
            if t.chars().all(|c| c == '0' || c == '1' || c == 'x') {
                for c in t.chars() {
                    pos -= 1;
                    assert!(pos >= 0, "{group}.decode:{}: {name} is longer than 32 bits", lineno + 1);
                    if c != 'x' {
                        mask |= 1 << pos;
                        if c == '1' {
                            value |= 1 << pos;
                        }
                    }
                }
            } else {
                let (fname, width) = match t.split_once(':') {
                    Some((n, w)) => (n.to_string(), w.parse::<u32>().expect("field width")),
                    None => (t.to_string(), 1),
                };
                pos -= width as i32;
                assert!(pos >= 0, "{group}.decode:{}: {name} is longer than 32 bits", lineno + 1);
                assert!(!fields.iter().any(|f: &Field| f.name == fname), "{name}: duplicate field {fname}");
                fields.push(Field { name: fname, lsb: pos as u32, width });
            }
        }
        assert_eq!(pos, 0, "{group}.decode:{}: {name} covers {} bits, not 32", lineno + 1, 32 - pos);
        assert!(!rows.iter().any(|r| r.name == name), "duplicate encoding name {name}");
        rows.push(Row { name, group: group.to_string(), mask, value, fields });
    }
}

fn main() {
    let dir = Path::new("src/decode");
    let mut rows = Vec::new();
    for g in GROUPS {
        let p = dir.join(format!("{g}.decode"));
        println!("cargo:rerun-if-changed={}", p.display());
        let text = fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        parse(g, &text, &mut rows);
    }
    println!("cargo:rerun-if-changed=build.rs");

    let mut out = String::new();
    out.push_str("/// One decoded A64 instruction: the encoding row that matched and its fields.\n");
    out.push_str("#[allow(non_snake_case)]\n#[derive(Clone, Copy, Debug, PartialEq, Eq)]\npub enum Insn {\n");
    for r in &rows {
        write!(out, "    {} {{ ", r.name).unwrap();
        for f in &r.fields {
            write!(out, "{}: u32, ", f.name).unwrap();
        }
        out.push_str("},\n");
    }
    out.push_str("    /// No row matched: an unallocated encoding.\n    Undefined,\n}\n\n");

    // Buckets by bits [28:25] (the Arm ARM's top-level op0) to cut the scan.
    out.push_str("static BUCKETS: [&[(u32, u32, u16)]; 16] = [\n");
    for b in 0..16u32 {
        out.push_str("    &[");
        for (i, r) in rows.iter().enumerate() {
            let bm = r.mask & (0xf << 25);
            if (b << 25) & bm == r.value & bm {
                write!(out, "({:#010x}, {:#010x}, {}), ", r.mask, r.value, i).unwrap();
            }
        }
        out.push_str("],\n");
    }
    out.push_str("];\n\n");

    out.push_str("/// Decodes one A64 instruction word. Total: every word gives an `Insn`.\n");
    out.push_str("pub fn decode(w: u32) -> Insn {\n    for &(mask, value, id) in BUCKETS[((w >> 25) & 0xf) as usize] {\n");
    out.push_str("        if w & mask == value {\n            return build(id, w);\n        }\n    }\n    Insn::Undefined\n}\n\n");
    out.push_str("#[inline]\nfn build(id: u16, w: u32) -> Insn {\n    match id {\n");
    for (i, r) in rows.iter().enumerate() {
        write!(out, "        {i} => Insn::{} {{ ", r.name).unwrap();
        for f in &r.fields {
            let m = if f.width == 32 { u32::MAX } else { (1u32 << f.width) - 1 };
            write!(out, "{}: (w >> {}) & {:#x}, ", f.name, f.lsb, m).unwrap();
        }
        out.push_str("},\n");
    }
    out.push_str("        _ => Insn::Undefined,\n    }\n}\n\n");

    out.push_str("/// Every encoding row, for tests and the oracle fuzzer.\npub static ENCODINGS: &[Encoding] = &[\n");
    for r in &rows {
        write!(out, "    Encoding {{ name: {:?}, group: {:?}, mask: {:#010x}, value: {:#010x}, fields: &[", r.name, r.group, r.mask, r.value).unwrap();
        for f in &r.fields {
            write!(out, "Field {{ name: {:?}, lsb: {}, width: {} }}, ", f.name, f.lsb, f.width).unwrap();
        }
        out.push_str("] },\n");
    }
    out.push_str("];\n\nimpl Insn {\n    /// The name of the encoding row (`\"AddSubImm\"`), or `\"Undefined\"`.\n    pub fn name(&self) -> &'static str {\n        match self {\n");
    for r in &rows {
        writeln!(out, "            Insn::{} {{ .. }} => {:?},", r.name, r.name).unwrap();
    }
    out.push_str("            Insn::Undefined => \"Undefined\",\n        }\n    }\n}\n");

    let dst = Path::new(&env::var("OUT_DIR").unwrap()).join("decode_gen.rs");
    fs::write(dst, out).unwrap();
}
