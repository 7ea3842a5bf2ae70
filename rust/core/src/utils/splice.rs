//! A copy of a text with byte ranges replaced, built left to right: the one loop behind every
//! "replace these matches" of the normalizers and decoders (the unchanged text between two
//! ranges is copied once, in one piece).

use std::ops::Range;

pub struct Spliced<'a> {
    source: &'a str,
    out: String,
    /// `source[copied..]` is what `out` does not hold yet.
    copied: usize,
}

impl<'a> Spliced<'a> {
    /// An empty copy of `source`, with room for `capacity` bytes.
    pub fn new(source: &'a str, capacity: usize) -> Spliced<'a> {
        Spliced { source, out: String::with_capacity(capacity), copied: 0 }
    }

    /// Where the text still to copy starts (the end of the last range replaced).
    pub fn copied(&self) -> usize {
        self.copied
    }

    /// Copies the text up to `range` and puts `new` in its place. Ranges come in order, without
    /// overlap, on character boundaries.
    pub fn replace(&mut self, range: Range<usize>, new: &str) {
        self.out.push_str(&self.source[self.copied..range.start]);
        self.out.push_str(new);
        self.copied = range.end;
    }

    /// The whole copy: the rest of the text appended.
    pub fn finish(mut self) -> String {
        self.out.push_str(&self.source[self.copied..]);
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_ranges_in_order_and_keeps_the_rest() {
        let mut s = Spliced::new("a bb ccc", 0);
        s.replace(1..2, "_");
        assert_eq!(s.copied(), 2);
        s.replace(4..5, "");
        s.replace(8..8, "!");
        assert_eq!(s.finish(), "a_bbccc!");
        assert_eq!(Spliced::new("héllo", 0).finish(), "héllo");
    }
}
