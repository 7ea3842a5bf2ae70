//! Precompiled: the normalization rules a SentencePiece model carries (`precompiled_charsmap`:
//! NFKC and friends compiled into a trie of rewrites), as HF's `Precompiled` normalizer applies
//! them to a `tokenizer.json`'s text.
//!
//! The blob is a little-endian u32 (the trie's size in bytes), the double-array trie, then the
//! replacement strings, each ended by a zero byte; a trie value is the offset of its string.
//!
//! HF does not apply the rules as SentencePiece does (longest match over the remaining text): it
//! walks grapheme clusters, rewrites a cluster of under six bytes by the rule of its *shortest*
//! matching prefix, and otherwise rewrites character by character. We follow HF here, since a
//! `tokenizer.json` is checked against HF; `longest_rewrite` is SentencePiece's rule.
//!
//! Speed: nearly all text is made of characters no rule touches. ASCII bytes that start no
//! rule are known from a table built at load, so a piece of such text costs one scan. Other
//! text is walked a character at a time where characters are graphemes of their own (`alone`),
//! and cut into graphemes only elsewhere (`rewrites`); without offsets the new text is built
//! directly, with no change list.

mod alone;
mod double_array;

use crate::tokenizer::normalized_text::Normalized;
use crate::utils::splice::Spliced;
use base64::Engine;
use double_array::DoubleArray;
use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "PrecompiledSpec", into = "PrecompiledSpec")]
pub struct Precompiled {
    charsmap: Vec<u8>,
    trie: DoubleArray,
    /// The replacement strings (valid UTF-8, as HF requires of the whole blob).
    replacements: String,
    /// ASCII bytes that begin a rule made only of ASCII (whose text of ASCII may change).
    ascii_rule: [bool; 128],
    /// A bit per code point: whether some rule begins with that character.
    rule_starts: Vec<u64>,
    /// Per ASCII byte, a bit per following ASCII byte: whether some rule begins with the pair.
    /// With `ascii_is_rule`, it says where SentencePiece's longest match finds nothing in ASCII
    /// text without a walk of the trie (NFKC begins a rule at every letter).
    ascii_pair_starts: Box<[u128; 128]>,
    /// ASCII bytes that are a rule on their own.
    ascii_is_rule: [bool; 128],
    /// Per character of the Basic Multilingual Plane that begins some rule but is none on its
    /// own: an index into `follow_sets` plus one (0: the trie must be walked). NFKC begins
    /// rules at most letters of every script (a letter then a combining mark composes), so
    /// without this SentencePiece's longest match walked the trie at nearly every character of
    /// Cyrillic, Greek or kana text.
    follow_class: Box<[u8]>,
    /// Sets of bytes (a bit each) that continue a rule after such a character: when the next
    /// byte is not in its set, no rule matches there.
    follow_sets: Vec<[u64; 4]>,
}

#[derive(Serialize, Deserialize)]
struct PrecompiledSpec {
    precompiled_charsmap: String,
}

impl TryFrom<PrecompiledSpec> for Precompiled {
    type Error = String;
    fn try_from(spec: PrecompiledSpec) -> Result<Self, String> {
        let blob = base64::engine::general_purpose::STANDARD
            .decode(spec.precompiled_charsmap.as_bytes())
            .map_err(|e| format!("precompiled_charsmap: not base64: {e}"))?;
        Precompiled::from_blob(blob)
    }
}

impl From<Precompiled> for PrecompiledSpec {
    fn from(p: Precompiled) -> Self {
        PrecompiledSpec { precompiled_charsmap: base64::engine::general_purpose::STANDARD.encode(&p.charsmap) }
    }
}

impl Precompiled {
    /// Reads the blob of a `.model` file's normalizer spec or a `tokenizer.json`.
    pub fn from_blob(blob: Vec<u8>) -> Result<Precompiled, String> {
        let bad = |what: &str| format!("precompiled_charsmap: {what}");
        let size_bytes: [u8; 4] =
            blob.get(..4).and_then(|b| b.try_into().ok()).ok_or_else(|| bad("shorter than 4 bytes"))?;
        let trie_bytes = u32::from_le_bytes(size_bytes) as usize;
        let trie_end = 4usize.checked_add(trie_bytes / 4 * 4).filter(|&end| end <= blob.len()).ok_or_else(|| {
            bad(&format!("trie of {trie_bytes} bytes is longer than the blob ({} bytes)", blob.len()))
        })?;
        let units = blob[4..trie_end].chunks_exact(4).map(|u| u32::from_le_bytes([u[0], u[1], u[2], u[3]])).collect();
        let replacements = String::from_utf8(blob[trie_end..].to_vec())
            .map_err(|e| bad(&format!("replacement strings are not UTF-8: {e}")))?;
        let trie = DoubleArray::new(units);
        // Which characters begin a rule: one walk of each character's bytes (a few ms at load).
        let mut rule_starts = vec![0u64; (char::MAX as usize >> 6) + 1];
        let mut buffer = [0u8; 4];
        for c in (0..=char::MAX as u32).filter_map(char::from_u32) {
            if trie.has_prefix(c.encode_utf8(&mut buffer).as_bytes()) {
                rule_starts[c as usize >> 6] |= 1 << (c as u32 & 63);
            }
        }
        // A text of ASCII only meets keys made of ASCII (NFKC's letters begin letter + combining
        // mark keys, which such a text never holds).
        let ascii_rule = std::array::from_fn(|b| trie.has_ascii_key_starting_with(b as u8, 2_000));
        let ascii_pair_starts = Box::new(std::array::from_fn(|first| {
            (0..128u8).filter(|&next| trie.has_prefix(&[first as u8, next])).fold(0u128, |bits, next| bits | 1 << next)
        }));
        let ascii_is_rule = std::array::from_fn(|b| trie.longest_prefix(&[b as u8]).is_some());
        let mut p = Precompiled {
            charsmap: blob,
            trie,
            replacements,
            ascii_rule,
            rule_starts,
            ascii_pair_starts,
            ascii_is_rule,
            follow_class: Box::default(),
            follow_sets: Vec::new(),
        };
        (p.follow_class, p.follow_sets) = p.follow_classes();
        Ok(p)
    }

    /// Whether `c` (which `may_rewrite`), followed by the byte `next` (`None` at the end of the
    /// text), starts no rule that matches there: `longest_rewrite` would find nothing, known
    /// without a walk. `false` means "walk the trie".
    #[inline(always)]
    pub fn passes_before(&self, c: char, next: Option<u8>) -> bool {
        let class = self.follow_class.get(c as usize).copied().unwrap_or(0) as usize;
        let Some(set) = class.checked_sub(1).and_then(|k| self.follow_sets.get(k)) else { return false };
        next.is_none_or(|b| set[b as usize / 64] >> (b % 64) & 1 == 0)
    }

    /// First bytes of characters (not ASCII) that pass wherever a character with such a first
    /// byte follows them: none of their characters is a rule on its own, and no rule that
    /// begins with one goes on with such a byte (see `passes_before`). So in a run of such
    /// characters every one but the last passes, known from its bytes alone. Under NFKC these
    /// are the first bytes of Latin-1 letters, Cyrillic, Hebrew, Arabic and CJK ideographs; not
    /// those of combining marks or kana, which go on rules (a letter then a combining mark, a
    /// kana then a voicing mark), nor Greek's, some of whose characters are rules alone.
    pub fn quiet_leads(&self) -> [bool; 256] {
        let mut quiet = [false; 256];
        quiet[0xC2..=0xEF].fill(true);
        // Bytes that go on a rule after some character: none of them may be a quiet first byte.
        let mut followers = [0u64; 4];
        let mut buffer = [0u8; 4];
        for c in (0x80..0x10000u32).filter_map(char::from_u32).filter(|&c| self.may_rewrite(c)) {
            let lead = c.encode_utf8(&mut buffer).as_bytes()[0];
            let class = self.follow_class.get(c as usize).copied().unwrap_or(0) as usize;
            match class.checked_sub(1).and_then(|k| self.follow_sets.get(k)) {
                Some(set) => followers.iter_mut().zip(set).for_each(|(all, bits)| *all |= bits),
                None => quiet[lead as usize] = false,
            }
        }
        for (b, quiet) in quiet.iter_mut().enumerate() {
            *quiet &= followers[b / 64] >> (b % 64) & 1 == 0;
        }
        quiet
    }

    /// Whether some rule begins with `c`: a character that begins none passes unchanged.
    #[inline]
    pub fn may_rewrite(&self, c: char) -> bool {
        self.rule_starts.get(c as usize >> 6).is_some_and(|bits| bits >> (c as u32 & 63) & 1 == 1)
    }

    /// The replacement string at `offset` (up to its zero byte); `None` if the file points
    /// outside the strings or inside a character.
    fn replacement_at(&self, offset: u32) -> Option<&str> {
        let rest = self.replacements.get(offset as usize..)?;
        // Replacements end at a NUL (a byte search, not `split`'s char searcher: this runs for
        // every rewrite of a normalized text).
        Some(memchr::memchr(0, rest.as_bytes()).and_then(|end| rest.get(..end)).unwrap_or(rest))
    }

    /// HF's rewrite of a chunk: the rule of its shortest matching prefix.
    fn shortest_rewrite(&self, chunk: &str) -> Option<&str> {
        let (_, offset) = self.trie.shortest_prefix(chunk.as_bytes())?;
        self.replacement_at(offset)
    }

    /// Whether the ASCII byte `byte`, followed by `next` (`None` at the end of the text), starts
    /// no rule that matches there: `longest_rewrite` would find nothing, known without a walk.
    /// `false` means "walk the trie" (a following byte that is not ASCII may complete a rule).
    #[inline(always)]
    pub fn ascii_passes(&self, byte: u8, next: Option<u8>) -> bool {
        let Some(&alone) = self.ascii_is_rule.get(byte as usize) else { return false };
        let pairs = self.ascii_pair_starts.get(byte as usize).copied().unwrap_or(u128::MAX);
        !alone
            && match next {
                None => true,
                Some(n) if n < 128 => pairs >> n & 1 == 0,
                Some(_) => false,
            }
    }

    /// Whether the ASCII byte `byte` starts no rule that matches when an ASCII byte or nothing
    /// follows it (`ascii_passes` for any such `next`).
    #[inline]
    pub fn ascii_inert(&self, byte: u8) -> bool {
        self.ascii_is_rule.get(byte as usize) == Some(&false) && self.ascii_pair_starts.get(byte as usize) == Some(&0)
    }

    /// SentencePiece's rewrite at the start of `text`: the longest matching rule, as
    /// (bytes consumed, replacement).
    pub fn longest_rewrite(&self, text: &[u8]) -> Option<(usize, &str)> {
        let (len, offset) = self.trie.longest_prefix(text)?;
        Some((len, self.replacement_at(offset)?))
    }

    /// Whether no rule can apply anywhere in `text`.
    fn untouched(&self, text: &str) -> bool {
        text.bytes().all(|b| b < 128 && !self.ascii_rule[b as usize])
    }

    pub fn normalize(&self, n: &mut Normalized) {
        let text = n.text();
        if self.untouched(text) {
            return;
        }
        if !n.tracks() {
            if let Some(rewritten) = self.rewritten_text(text) {
                n.set(rewritten, Vec::new());
            }
            return;
        }
        // HF's changes: every character kept as (c, 0), every rewrite as `push_rewrite` has it.
        let mut changes: Vec<(char, isize)> = Vec::with_capacity(text.len());
        let mut kept = 0;
        let mut modified = false;
        self.rewrites(text, |range, new| {
            changes.extend(text[kept..range.start].chars().map(|c| (c, 0)));
            push_rewrite(&mut changes, &text[range.clone()], new);
            kept = range.end;
            modified = true;
        });
        if modified {
            changes.extend(text[kept..].chars().map(|c| (c, 0)));
            n.transform(changes, 0);
        }
    }
}

impl Precompiled {
    /// `follow_class` and `follow_sets` for the trie: each character of the BMP that begins a
    /// rule and is not one (nor has a rule ending inside it) gets the set of bytes that continue
    /// a rule after it. Sets are shared (most are the first bytes of combining marks); a
    /// character past the 255th distinct set is walked.
    fn follow_classes(&self) -> (Box<[u8]>, Vec<[u64; 4]>) {
        let mut class = vec![0u8; 0x10000].into_boxed_slice();
        let mut sets: Vec<[u64; 4]> = Vec::new();
        let mut index_of: rustc_hash::FxHashMap<[u64; 4], u8> = Default::default();
        let mut buffer = [0u8; 4];
        for c in (0x80..0x10000u32).filter_map(char::from_u32).filter(|&c| self.may_rewrite(c)) {
            let bytes = c.encode_utf8(&mut buffer).as_bytes();
            if self.trie.longest_prefix(bytes).is_some() {
                continue;
            }
            let Some(next) = self.trie.next_bytes(bytes) else { continue };
            let index = match index_of.get(&next) {
                Some(&k) => k,
                None if sets.len() < 255 => {
                    sets.push(next);
                    index_of.insert(next, sets.len() as u8 - 1);
                    sets.len() as u8 - 1
                }
                None => continue,
            };
            class[c as usize] = index + 1;
        }
        (class, sets)
    }
}

impl Precompiled {
    /// HF's grapheme walk when no alignment is kept: the new text, or `None` if nothing changes.
    fn rewritten_text(&self, text: &str) -> Option<String> {
        // Made on the first rewrite.
        let mut out: Option<Spliced> = None;
        self.rewrites(text, |range, new| {
            out.get_or_insert_with(|| Spliced::new(text, text.len() + text.len() / 8)).replace(range, new);
        });
        out.map(Spliced::finish)
    }

    /// HF's grapheme walk: calls `rewrite(range, new)`, in order, for each grapheme rewritten
    /// whole and each character rewritten alone; the rest of the text stays as it is. A
    /// character that stands alone (see `alone`) before another is a grapheme of its own, so
    /// such text is looked at a character at a time (ASCII from a table), and cut into
    /// graphemes only elsewhere, from a grapheme boundary (where cutting the rest alone cuts it
    /// as the whole text does).
    fn rewrites(&self, text: &str, mut rewrite: impl FnMut(std::ops::Range<usize>, &str)) {
        let bytes = text.as_bytes();
        // The character at `at` (a grapheme boundary) if it is a grapheme of its own.
        let own_grapheme = |at: usize| -> Option<char> {
            let c = text.get(at..)?.chars().next()?;
            let own = alone::stands_alone(c)
                && text[at + c.len_utf8()..]
                    .chars()
                    .next()
                    .is_none_or(|next| alone::stands_alone(next) && !(c == '\r' && next == '\n'));
            own.then_some(c)
        };
        let mut at = 0;
        while at < bytes.len() {
            // ASCII before ASCII, by bytes: most of the text of most inputs.
            if let (Some(&b), Some(&next)) = (bytes.get(at), bytes.get(at + 1)) {
                if b < 0x80 && next < 0x80 && !(b == b'\r' && next == b'\n') {
                    if self.ascii_is_rule[b as usize] {
                        if let Some(new) = self.shortest_rewrite(&text[at..at + 1]) {
                            rewrite(at..at + 1, new);
                        }
                    }
                    at += 1;
                    continue;
                }
            }
            if let Some(c) = own_grapheme(at) {
                let part = at..at + c.len_utf8();
                let starts_rule = if c.is_ascii() { self.ascii_is_rule[c as usize] } else { self.may_rewrite(c) };
                if starts_rule {
                    if let Some(new) = self.shortest_rewrite(&text[part.clone()]) {
                        rewrite(part.clone(), new);
                    }
                }
                at = part.end;
                continue;
            }
            let start = at;
            at = bytes.len();
            for (offset, grapheme) in text[start..].grapheme_indices(true) {
                let position = start + offset;
                let whole = (grapheme.len() < 6).then(|| self.shortest_rewrite(grapheme)).flatten();
                match whole {
                    Some(new) => rewrite(position..position + grapheme.len(), new),
                    None => {
                        for (i, c) in grapheme.char_indices() {
                            let part = position + i..position + i + c.len_utf8();
                            if let Some(new) = self.shortest_rewrite(&text[part.clone()]) {
                                rewrite(part, new);
                            }
                        }
                    }
                }
                // Back to the characters when two in a row stand alone: a new grapheme iterator
                // costs more than the iterator's own step over one.
                let end = position + grapheme.len();
                if own_grapheme(end).is_some_and(|c| own_grapheme(end + c.len_utf8()).is_some()) {
                    at = end;
                    break;
                }
            }
        }
    }
}

/// The changes for `old` becoming `new`, in HF's convention: characters added are marked +1 at
/// the end; characters removed are counted on the last change pushed so far (even one of an
/// earlier character when `new` is empty, as HF does).
fn push_rewrite(changes: &mut Vec<(char, isize)>, old: &str, new: &str) {
    let diff = new.chars().count() as isize - old.chars().count() as isize;
    changes.extend(new.chars().map(|c| (c, 0)));
    if diff > 0 {
        for change in changes.iter_mut().rev().take(diff as usize) {
            change.1 = 1;
        }
    } else if diff < 0 {
        if let Some(last) = changes.last_mut() {
            last.1 += diff;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The charsmaps of real models: nmt_nfkc (botchan BPE) and nfkc (botchan Unigram).
    fn real_charsmaps() -> Vec<(&'static str, Precompiled)> {
        use prost::Message;
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/tokenizers/sentencepiece/");
        let load = |name: &'static str| {
            let bytes = std::fs::read(format!("{root}{name}")).unwrap();
            let proto = crate::sentencepiece::proto::ModelProto::decode(bytes.as_slice()).unwrap();
            let blob = proto.normalizer_spec.and_then(|n| n.precompiled_charsmap).unwrap();
            (name, Precompiled::from_blob(blob).unwrap())
        };
        vec![load("botchan_en_bpe_1000.model"), load("botchan_en_unigram_1000.model")]
    }

    /// The ASCII tables against the trie itself, on the charsmaps of real models (nmt_nfkc,
    /// nfkc): wherever they say a byte passes, no rule matches there; and they let letters pass.
    #[test]
    fn ascii_tables_agree_with_longest_rewrite() {
        for (name, rules) in real_charsmaps() {
            let mut passing = 0;
            for b in 0..128u8 {
                let followers = (0..128u8).map(Some).chain([None, Some(0xCC), Some(0xE3)]);
                for next in followers {
                    let mut text = vec![b];
                    match next {
                        Some(0xCC) => text.extend("\u{301}".as_bytes()),
                        Some(0xE3) => text.extend("あ".as_bytes()),
                        Some(n) => text.push(n),
                        None => {}
                    }
                    if rules.ascii_passes(b, next) {
                        passing += 1;
                        assert_eq!(rules.longest_rewrite(&text), None, "{name}: {text:?}");
                    }
                }
                if b.is_ascii_alphanumeric() {
                    assert!(rules.ascii_passes(b, Some(b'a')) && rules.ascii_passes(b, None), "{name}: {b}");
                }
            }
            assert!(passing > 5_000, "{name}: {passing}");
        }
    }

    /// `passes_before` against the trie, on the same charsmaps: for every character of the BMP
    /// that begins a rule, followed by each byte or nothing, it says "passes" only where
    /// `longest_rewrite` finds no rule; and it says so for most letters of Cyrillic and Greek
    /// followed by a letter (each of which begins a rule under NFKC: letter + combining mark).
    #[test]
    fn follow_sets_agree_with_longest_rewrite() {
        for (name, rules) in real_charsmaps() {
            let mut buffer = [0u8; 4];
            let mut passed = 0;
            for c in (0x80..0x10000u32).filter_map(char::from_u32).filter(|&c| rules.may_rewrite(c)) {
                let own = c.encode_utf8(&mut buffer).as_bytes().to_vec();
                // Every byte after it (completed to a character where it starts one, so the
                // text is what a `&str` can hold), and the end of the text.
                let followers = (0..=255u8).map(Some).chain([None]);
                for next in followers {
                    let mut text = own.clone();
                    match next {
                        Some(b) if b < 0x80 => text.push(b),
                        Some(b @ 0xC2..=0xDF) => text.extend([b, 0x80]),
                        Some(b @ 0xE1..=0xEC) => text.extend([b, 0x80, 0x80]),
                        Some(_) | None => {}
                    }
                    let next = text.get(own.len()).copied();
                    if rules.passes_before(c, next) {
                        passed += 1;
                        assert_eq!(rules.longest_rewrite(&text), None, "{name}: {c:?} then {text:?}");
                    }
                }
            }
            let letters = ('а'..='я').chain('α'..='ω').filter(|&c| rules.may_rewrite(c));
            let (count, passing) =
                letters.fold((0, 0), |(n, p), c| (n + 1, p + rules.passes_before(c, Some(b'x')) as usize));
            assert!(count >= 10 && passing == count, "{name}: {passing} of {count} letters pass");
            assert!(passed > 30_000, "{name}: {passed}");
        }
    }

    /// `quiet_leads` against the trie: a character whose first byte is quiet, followed by any
    /// character with a quiet first byte, begins no rule that matches (`longest_rewrite`
    /// finds none); and under NFKC Latin-1 letters, Cyrillic and the CJK ideographs are quiet,
    /// combining marks and kana are not (they go on rules).
    #[test]
    fn quiet_leads_agree_with_longest_rewrite() {
        for (name, rules) in real_charsmaps() {
            let quiet = rules.quiet_leads();
            let leads: Vec<u8> = (0..=255u8).filter(|&b| quiet[b as usize]).collect();
            for b in [0xC3, 0xD0, 0xD1, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9] {
                assert!(quiet[b], "{name}: {b:#x} is not quiet ({leads:x?})");
            }
            for b in [0xCC, 0xCD, 0xE3] {
                assert!(!quiet[b], "{name}: {b:#x} is quiet");
            }
            // One character of each quiet first byte after every character of the BMP with one.
            let mut buffer = [0u8; 4];
            let followers: Vec<Vec<u8>> = leads
                .iter()
                .filter_map(|&b| {
                    (0x80..0x10000u32)
                        .filter_map(char::from_u32)
                        .find(|c| c.encode_utf8(&mut buffer).as_bytes()[0] == b)
                })
                .map(|c| c.to_string().into_bytes())
                .collect();
            assert_eq!(followers.len(), leads.len());
            for c in (0x80..0x10000u32).filter_map(char::from_u32) {
                let own = c.encode_utf8(&mut buffer).as_bytes().to_vec();
                if !quiet[own[0] as usize] {
                    continue;
                }
                for next in &followers {
                    let text = [own.as_slice(), next].concat();
                    assert_eq!(rules.longest_rewrite(&text), None, "{name}: {c:?} then {text:?}");
                }
            }
        }
    }

    /// A blob without any rule: a trie of just a root, and no strings.
    #[test]
    fn malformed_blobs_are_errors_not_panics() {
        assert!(Precompiled::from_blob(vec![1, 2]).unwrap_err().contains("shorter than 4 bytes"));
        assert!(Precompiled::from_blob(vec![200, 0, 0, 0, 1]).unwrap_err().contains("longer than the blob"));
        // A root whose offset points far outside the array: every walk is a miss.
        let p = Precompiled::from_blob(vec![4, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]).unwrap();
        let mut n = Normalized::new("héllo\r\n", 0, true);
        p.normalize(&mut n);
        assert_eq!(n.text(), "héllo\r\n");
    }
}
