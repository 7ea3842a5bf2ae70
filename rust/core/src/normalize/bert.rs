//! BERT's normalizer: clean control characters, pad CJK ideographs with spaces, strip accents
//! (NFD then drop nonspacing marks) and lowercase.
//!
//! HF runs the steps one after the other over the whole text. Cleaning, CJK padding and
//! lowercasing rewrite one character at a time, so we run them fused in a single pass; ASCII
//! text, the common case, takes a byte loop with no decoding at all. Accent stripping is an NFD
//! of the whole text followed by dropping nonspacing marks (Mn; spacing and enclosing marks
//! stay). Decomposing character by character gives the same text and offsets unless NFD's
//! canonical reordering moves a mark that stays (one with a combining class, not Mn, such as
//! the musical symbol stems U+1D165..): only then do we run HF's steps one by one.

use super::bert_chars::{hangul_jamo, stripped_lowercased, two_byte_char, Stripped};
use crate::tokenizer::normalized_text::Normalized;
use crate::utils::unicode::{bert_flag, bert_flags, is_chinese_char, is_nonspacing_mark};
use serde::{Deserialize, Serialize};
use unicode_normalization_alignments::char::{canonical_combining_class, decompose_canonical};
use unicode_normalization_alignments::UnicodeNormalization;

type Buffers = (String, Vec<(u32, u32)>);

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BertNormalizer {
    #[serde(default = "yes")]
    pub clean_text: bool,
    #[serde(default = "yes")]
    pub handle_chinese_chars: bool,
    /// `None` means: strip accents when lowercasing.
    #[serde(default)]
    pub strip_accents: Option<bool>,
    #[serde(default = "yes")]
    pub lowercase: bool,
}

impl Default for BertNormalizer {
    fn default() -> Self {
        BertNormalizer { clean_text: true, handle_chinese_chars: true, strip_accents: None, lowercase: true }
    }
}

impl BertNormalizer {
    pub fn normalize(&self, n: &mut Normalized) {
        if n.text().is_ascii() {
            self.normalize_ascii(n);
        } else {
            self.normalize_unicode(n);
        }
    }

    fn strips_accents(&self) -> bool {
        self.strip_accents.unwrap_or(self.lowercase)
    }

    fn normalize_ascii(&self, n: &mut Normalized) {
        // Nothing to remove (the usual case): rewrite the bytes in place, alignment unchanged.
        if !self.drops_some(n.text().as_bytes()) {
            let (text, align) = n.take_buffers();
            let mut bytes = text.into_bytes();
            self.rewrite_ascii(&mut bytes, self.lowercase);
            // ASCII stays ASCII, so this cannot fail.
            n.set(String::from_utf8(bytes).unwrap_or_default(), align);
            return;
        }
        let track = n.tracks();
        let mut text = Vec::with_capacity(n.text().len());
        let mut align = Vec::with_capacity(if track { n.text().len() } else { 0 });
        let old_align = n.alignments();
        for (i, &b) in n.text().as_bytes().iter().enumerate() {
            let Some(out) = self.ascii_byte(b, self.lowercase) else { continue };
            text.push(out);
            if track {
                align.push(old_align[i]);
            }
        }
        // Only ASCII bytes were pushed, so the text is valid UTF-8.
        let text = String::from_utf8(text).unwrap_or_default();
        n.set(text, align);
    }

    /// Whether cleaning drops any of these ASCII bytes (control characters other than tab,
    /// newline and CR).
    fn drops_some(&self, ascii: &[u8]) -> bool {
        self.clean_text && ascii.iter().any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r') || b == 0x7f)
    }

    /// Rewrites ASCII bytes of which cleaning drops none as `ascii_byte` does, in place: a loop
    /// with no pushes and no branches the compiler cannot turn into selects.
    fn rewrite_ascii(&self, ascii: &mut [u8], lowercase: bool) {
        for b in ascii.iter_mut() {
            if self.clean_text && matches!(*b, b'\t' | b'\n' | b'\r') {
                *b = b' ';
            } else if lowercase {
                b.make_ascii_lowercase();
            }
        }
    }

    /// What an ASCII byte becomes: cleaning turns tab, newline and CR into a space and drops
    /// the other control characters (ASCII's `\p{C}`), then lowercasing; None when dropped.
    /// Accent stripping and CJK padding leave ASCII alone.
    #[inline(always)]
    fn ascii_byte(&self, b: u8, lowercase: bool) -> Option<u8> {
        let out = if self.clean_text {
            match b {
                b'\t' | b'\n' | b'\r' => b' ',
                0..=0x1f | 0x7f => return None,
                _ => b,
            }
        } else {
            b
        };
        Some(if lowercase { out.to_ascii_lowercase() } else { out })
    }

    fn normalize_unicode(&self, n: &mut Normalized) {
        let strip = self.strips_accents();
        if let Some((text, align)) = self.per_char(n, strip, self.lowercase) {
            n.set(text, align);
            return;
        }
        // A kept mark could be reordered: clean and pad, then HF's NFD over the whole text.
        if let Some((text, align)) = self.per_char(n, false, false) {
            n.set(text, align);
        }
        self.strip_accents_then_lowercase(n);
    }

    /// The per-character steps in one pass over `n`, into new buffers: cleaning, CJK padding,
    /// then (when asked) accent stripping by per-character decomposition and lowercasing. Every
    /// output character takes the range of the input character it comes from, which is what
    /// HF's transforms give. `None` when stripping met a mark that stays and has a combining
    /// class, whose place and range only a whole-text NFD decides.
    fn per_char(&self, n: &Normalized, strip: bool, lowercase: bool) -> Option<Buffers> {
        let track = n.tracks();
        let (old, old_align) = (n.text(), n.alignments());
        let mut text = String::with_capacity(old.len() + old.len() / 8);
        let mut align = Vec::with_capacity(if track { old_align.len() + old_align.len() / 8 } else { 0 });
        let mut kept_mark = false;
        let mut at = 0;
        while let Some(&byte) = old.as_bytes().get(at) {
            // ASCII (most of the text even in languages with accents) a run at a time by the
            // byte rule, without decoding a character or looking up its Unicode classes: copied
            // whole and rewritten in place unless cleaning drops a byte of it.
            if byte < 0x80 {
                let end = at + ascii_run_len(&old.as_bytes()[at..]);
                let run = &old.as_bytes()[at..end];
                if self.drops_some(run) {
                    for (i, &b) in run.iter().enumerate() {
                        if let Some(out) = self.ascii_byte(b, lowercase) {
                            text.push(out as char);
                            if track {
                                align.push(old_align[at + i]);
                            }
                        }
                    }
                } else {
                    let from = text.len();
                    text.push_str(&old[at..end]);
                    // SAFETY: ASCII bytes are rewritten as ASCII bytes, so `text` stays UTF-8.
                    self.rewrite_ascii(unsafe { &mut text.as_bytes_mut()[from..] }, lowercase);
                    if track {
                        align.extend_from_slice(&old_align[at..end]);
                    }
                }
                at = end;
                continue;
            }
            // A two-byte character (Latin accents, Greek, Cyrillic, Hebrew, Arabic): its whole
            // rule in one table lookup, no decoding through `chars`.
            if byte & 0xE0 == 0xC0 {
                if let Some(&next) = old.as_bytes().get(at + 1) {
                    let code = (byte as u32 & 0x1F) << 6 | (next as u32 & 0x3F);
                    match two_byte_char(code, self.clean_text, strip, lowercase) {
                        Stripped::Dropped => {
                            at += 2;
                            continue;
                        }
                        Stripped::One(d) => {
                            text.push(d);
                            if track {
                                align.extend(std::iter::repeat_n(old_align[at], d.len_utf8()));
                            }
                            at += 2;
                            continue;
                        }
                        Stripped::Several => {}
                    }
                }
            }
            let Some(c) = old[at..].chars().next() else { break };
            let b = at;
            at += c.len_utf8();
            let flags = bert_flags(c);
            let c = if self.clean_text {
                if flags & bert_flag::CONTROL != 0 {
                    continue;
                }
                if flags & bert_flag::WHITESPACE != 0 {
                    ' '
                } else {
                    c
                }
            } else {
                c
            };
            let a = if track { old_align[b] } else { (0, 0) };
            let padded = self.handle_chinese_chars && is_chinese_char(c);
            // Most characters of most scripts come out as they went in, CJK ideographs between
            // two spaces: no table to consult.
            let unchanged = (!lowercase || flags & bert_flag::SAME_LOWERCASED != 0)
                && (!strip || flags & bert_flag::SAME_STRIPPED != 0);
            if unchanged && c != ' ' {
                if padded {
                    text.push(' ');
                }
                text.push(c);
                if padded {
                    text.push(' ');
                }
                if track {
                    align.extend(std::iter::repeat_n(a, c.len_utf8() + 2 * padded as usize));
                }
                continue;
            }
            // A Hangul syllable decomposes into its conjoining jamo by arithmetic, and jamo are
            // letters without case or combining class: stripping gives the jamo whether or not
            // the text is lowercased (the general path below asked the decomposition tables,
            // the mark and class tables and a lowercasing search for each jamo: Korean ran at a
            // third of the speed of the other scripts of the multilingual mix).
            if strip && !padded {
                if let Some(jamo) = hangul_jamo(c) {
                    for j in jamo.into_iter().flatten() {
                        text.push(j);
                        if track {
                            align.extend(std::iter::repeat_n(a, j.len_utf8()));
                        }
                    }
                    continue;
                }
            }
            // Accented letters and the marks of most scripts strip and lowercase to one
            // character or to none: answered per code point by a table.
            if strip && lowercase && c != ' ' && !padded {
                match stripped_lowercased(c) {
                    Stripped::Dropped => continue,
                    Stripped::One(d) => {
                        text.push(d);
                        if track {
                            align.extend(std::iter::repeat_n(a, d.len_utf8()));
                        }
                        continue;
                    }
                    Stripped::Several => {}
                }
            }
            let mut emit = |out: char| {
                text.push(out);
                if track {
                    align.extend(std::iter::repeat_n(a, out.len_utf8()));
                }
            };
            let mut finish = |d: char| {
                if lowercase {
                    d.to_lowercase().for_each(&mut emit);
                } else {
                    emit(d);
                }
            };
            if padded {
                finish(' ');
            }
            if strip && !c.is_ascii() {
                decompose_canonical(c, |d| {
                    if !is_nonspacing_mark(d) {
                        kept_mark |= canonical_combining_class(d) != 0;
                        finish(d);
                    }
                });
                if kept_mark {
                    return None;
                }
            } else {
                finish(c);
            }
            if padded {
                finish(' ');
            }
        }
        Some((text, align))
    }

    /// HF's `nfd()` then `filter(!is_mark_nonspacing)` then `lowercase()`, in one pass over the
    /// NFD output. Alignment follows HF's transform: a character NFD inserts takes the range of
    /// the byte before it, any other takes the range of the input byte it stands at (canonical
    /// reordering moves characters, not ranges); filtering and lowercasing keep ranges.
    fn strip_accents_then_lowercase(&self, n: &mut Normalized) {
        if n.text().is_ascii() {
            if self.lowercase {
                let lowered = n.text().to_ascii_lowercase();
                let (_, align) = n.take_buffers();
                n.set(lowered, align);
            }
            return;
        }
        let track = n.tracks();
        let (old, old_align) = n.take_buffers();
        let mut text = String::with_capacity(old.len());
        let mut align = Vec::with_capacity(if track { old_align.len() } else { 0 });
        let mut input = old.chars();
        let mut offset = 0usize;
        for (c, change) in old.nfd() {
            let a = match (track, change > 0) {
                (false, _) => (0, 0),
                (true, true) => offset.checked_sub(1).and_then(|i| old_align.get(i)).copied().unwrap_or((0, 0)),
                (true, false) => old_align.get(offset).copied().unwrap_or((0, 0)),
            };
            // NFD only ever replaces or inserts characters (change is 0 or 1).
            if change <= 0 {
                offset += input.next().map_or(0, char::len_utf8);
            }
            if is_nonspacing_mark(c) {
                continue;
            }
            let mut push = |out: char| {
                text.push(out);
                if track {
                    align.extend(std::iter::repeat_n(a, out.len_utf8()));
                }
            };
            if self.lowercase {
                c.to_lowercase().for_each(&mut push);
            } else {
                push(c);
            }
        }
        n.set(text, align);
    }
}

/// How many bytes at the start of `bytes` are ASCII. Sixteen bytes are ORed at a time (a loop
/// the compiler vectorizes) until a block holds a non-ASCII byte.
fn ascii_run_len(bytes: &[u8]) -> usize {
    let mut len = 0;
    for block in bytes.chunks(16) {
        if block.iter().fold(0u8, |all, &b| all | b) >= 0x80 {
            return len + block.iter().position(|&b| b >= 0x80).unwrap_or(block.len());
        }
        len += block.len();
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::utils::unicode::{is_bert_control, is_bert_whitespace};

    #[test]
    fn the_ascii_byte_rule_is_the_character_rule_on_ascii() {
        for clean_text in [false, true] {
            for lowercase in [false, true] {
                let norm = BertNormalizer { clean_text, ..BertNormalizer::default() };
                for b in 0u8..0x80 {
                    let c = b as char;
                    let by_char = if clean_text && (c == '\0' || is_bert_control(c)) {
                        None
                    } else {
                        let c = if clean_text && is_bert_whitespace(c) { ' ' } else { c };
                        Some(if lowercase { c.to_lowercase().next().unwrap_or(c) } else { c })
                    };
                    assert_eq!(
                        norm.ascii_byte(b, lowercase).map(char::from),
                        by_char,
                        "{b:#x} {clean_text} {lowercase}"
                    );
                    // The run path: drops exactly the bytes the rule drops, rewrites the rest alike.
                    assert_eq!(norm.drops_some(&[b]), by_char.is_none(), "{b:#x} {clean_text}");
                    if let Some(c) = by_char {
                        let mut run = [b];
                        norm.rewrite_ascii(&mut run, lowercase);
                        assert_eq!(char::from(run[0]), c, "{b:#x} {clean_text} {lowercase}");
                    }
                }
            }
        }
    }

    #[test]
    fn ascii_runs_end_at_the_first_non_ascii_byte() {
        for len in 0..40 {
            for tail in ["", "é", "\u{80}"] {
                let text = format!("{}{tail}x", "a".repeat(len));
                let expected = if tail.is_empty() { len + 1 } else { len };
                assert_eq!(ascii_run_len(text.as_bytes()), expected, "{len} {tail:?}");
            }
        }
    }

    #[test]
    fn runs_with_dropped_bytes_and_accents_keep_their_ranges() {
        // A control character (dropped) and a tab (a space) inside ASCII runs between accents;
        // ranges are in characters of the input.
        let n = run("Ab\u{1}C\tÄ xY\u{7f}Z ö");
        assert_eq!(n.text(), "abc a xyz o");
        let spans: Vec<_> = (0..n.text().len()).map(|i| n.original_span(i..i + 1)).collect();
        assert_eq!(
            spans,
            [(0, 1), (1, 2), (3, 4), (4, 5), (5, 6), (6, 7), (7, 8), (8, 9), (10, 11), (11, 12), (12, 13)]
        );
    }

    #[test]
    fn ideographs_come_out_padded_with_their_own_range() {
        // Every ideograph of the BMP blocks BERT pads (the compatibility ones decompose to
        // another): a space, its NFD without nonspacing marks, lowercased, a space.
        let ideographs: String =
            (0x3400..=0x4DBF).chain(0x4E00..=0x9FFF).chain(0xF900..=0xFAFF).filter_map(char::from_u32).collect();
        let expected: String = ideographs
            .chars()
            .flat_map(|c| {
                let mut out = vec![' '];
                decompose_canonical(c, |d| {
                    if !is_nonspacing_mark(d) {
                        out.extend(d.to_lowercase());
                    }
                });
                out.push(' ');
                out
            })
            .collect();
        assert_eq!(run(&ideographs).text(), expected);
        let n = run("a中b");
        assert_eq!(n.text(), "a 中 b");
        let spans: Vec<_> = [0..1, 1..2, 2..5, 5..6, 6..7].into_iter().map(|r| n.original_span(r)).collect();
        assert_eq!(spans, [(0, 1), (1, 2), (1, 2), (1, 2), (2, 3)]);
    }

    #[test]
    fn accent_stripping_keeps_spacing_marks() {
        // U+093E DEVANAGARI VOWEL SIGN AA is Mc: HF keeps it; the acute accent (Mn) goes.
        assert_eq!(run("\u{93e}").text(), "\u{93e}");
        assert_eq!(run("É\u{93e}").text(), "e\u{93e}");
    }

    #[test]
    fn a_reordered_kept_mark_takes_the_range_of_its_new_place() {
        // NFD sorts U+1D165 (Mc, class 216) before U+0301 (Mn, class 230); the transform gives
        // ranges by position, so the kept stem gets the range of the accent it moved past.
        let n = run("a\u{301}\u{1d165}");
        assert_eq!(n.text(), "a\u{1d165}");
        assert_eq!(n.original_span(1..n.text().len()), (1, 2));
    }

    fn run(text: &str) -> Normalized {
        let mut n = Normalized::new(text, 0, true);
        BertNormalizer::default().normalize(&mut n);
        n
    }
}
