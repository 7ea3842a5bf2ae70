//! Prints, for every code point 0..=0x10FFFF, 1 when it was assigned in Unicode 9.0 or earlier
//! and 0 otherwise (input of `unicode_scripts_table.py`). Not part of the build: run it as the
//! `main.rs` of a scratch crate that depends on `unic-ucd-age = "0.9"` (Unicode 10.0 ages).
use std::io::Write;
use unic_ucd_age::Age;

fn main() {
    let mut out = std::io::BufWriter::new(std::io::stdout());
    for cp in 0u32..=0x10FFFF {
        let assigned = char::from_u32(cp).and_then(Age::of).is_some_and(|age| {
            let v = age.actual();
            (v.major, v.minor) <= (9, 0)
        });
        writeln!(out, "{}", u8::from(assigned)).unwrap();
    }
}
