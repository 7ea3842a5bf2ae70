//! SentencePiece's own normalization of a text before its model sees it, as the `sentencepiece`
//! library does it for a `.model` file (HF's `tokenizer.json` converters approximate it with
//! Precompiled + Strip + Replace + Metaspace; they differ at white space, see the shared data).
//!
//! Left to right: a user-defined piece is kept verbatim; otherwise the longest rule of the
//! precompiled charsmap rewrites a prefix; otherwise one character passes. Leading white space
//! is dropped and runs of it collapse into one (`remove_extra_whitespaces`), a space is put in
//! front (`add_dummy_prefix`, or behind with `treat_whitespace_as_suffix`), spaces become `▁`
//! (`escape_whitespaces`), and trailing ones are dropped.

use super::proto::NormalizerSpec;
use crate::models::trie::Trie;
use crate::normalize::Precompiled;
use crate::tokenizer::normalized_text::Normalized;

pub const SPACE_SYMBOL: &str = "\u{2581}";

/// Bytes of input normalized between two looks for Ctrl-C.
const LOOK_FOR_CTRL_C_EVERY: usize = 1 << 20;

/// Bytes `plain_ascii_blocks` normalizes at a time.
const BLOCK: usize = 16;
/// The most bytes the normalizer goes step by step before it tries a block again (after
/// blocks that could not be taken, each doubling the wait from `BLOCK`).
const LONGEST_SKIP: usize = 256;

#[derive(Debug, Clone)]
pub struct SentencePieceNormalizer {
    rules: Option<Precompiled>,
    user_defined: Option<Trie>,
    add_dummy_prefix: bool,
    remove_extra_whitespaces: bool,
    escape_whitespaces: bool,
    whitespace_as_suffix: bool,
    /// First bytes of user-defined pieces: a character starting with another byte is not one.
    user_first_bytes: [bool; 256],
    /// Without rules, the bytes that end a passing run: a space and those first bytes (no
    /// other byte of a character is ever a first byte, so runs end on character boundaries).
    run_stops: [bool; 256],
    /// The same bytes as a list when there are at most three (a space alone for most files),
    /// found by `memchr`'s vector search rather than a table probe per byte.
    few_run_stops: Option<Vec<u8>>,
    /// A space is only a space here: no rule rewrites it and no user-defined piece starts with it.
    plain_space: bool,
    /// With rules, the bytes that may end a passing run of ASCII: all but the ASCII bytes that
    /// pass whatever ASCII follows them (see `passing_run`).
    ascii_stops: [bool; 256],
    /// With rules, the first bytes of characters such that all but the last of a run of such
    /// characters pass (the rules' `quiet_leads` that begin no user-defined piece).
    quiet_lead: [bool; 256],
    /// `quiet_lead`, and the bytes that continue a character: the bytes of such a run.
    in_quiet_run: [bool; 256],
    /// Bytes that normalize exactly as a plain space does, whatever ASCII follows them: a space
    /// when `plain_space`, and the control characters a rule rewrites to one space alone
    /// (newlines and tabs under the `nmt_nfkc` rules).
    space_like: [bool; 256],
}

impl SentencePieceNormalizer {
    pub fn new(
        spec: &NormalizerSpec,
        user_defined: Option<Trie>,
        whitespace_as_suffix: bool,
    ) -> Result<SentencePieceNormalizer, String> {
        let rules = match spec.precompiled_charsmap.as_deref() {
            Some(blob) if !blob.is_empty() => Some(Precompiled::from_blob(blob.to_vec())?),
            _ => None,
        };
        let user_first_bytes =
            std::array::from_fn(|b| user_defined.as_ref().is_some_and(|t| t.has_entry_starting_with(b as u8)));
        let run_stops: [bool; 256] = std::array::from_fn(|b| b == b' ' as usize || user_first_bytes[b]);
        let stop_bytes: Vec<u8> = (0..=255u8).filter(|&b| run_stops[b as usize]).collect();
        let few_run_stops = (stop_bytes.len() <= 3).then_some(stop_bytes);
        let plain_space = !user_first_bytes[b' ' as usize] && !rules.as_ref().is_some_and(|r| r.may_rewrite(' '));
        let ascii_stops = std::array::from_fn(|b| {
            run_stops[b] || b >= 0x80 || !rules.as_ref().is_some_and(|r| r.ascii_inert(b as u8))
        });
        let quiet_leads = rules.as_ref().map_or([false; 256], Precompiled::quiet_leads);
        // Leads of characters of two and three bytes only (`quiet_leads` has no others).
        let quiet_lead: [bool; 256] =
            std::array::from_fn(|b| quiet_leads[b] && !user_first_bytes[b] && (0xC2..=0xEF).contains(&b));
        let in_quiet_run = std::array::from_fn(|b| quiet_lead[b] || (0x80..=0xBF).contains(&b));
        let rewrites_to_space = |b: u8| {
            rules.as_ref().is_some_and(|r| {
                (0..0x80u8).all(|next| r.longest_rewrite(&[b, next]).is_some_and(|(len, to)| len == 1 && to == " "))
            })
        };
        let space_like = std::array::from_fn(|b| {
            plain_space && !user_first_bytes[b] && (b == b' ' as usize || (b < 0x20 && rewrites_to_space(b as u8)))
        });
        Ok(SentencePieceNormalizer {
            space_like,
            quiet_lead,
            in_quiet_run,
            ascii_stops,
            run_stops,
            few_run_stops,
            plain_space,
            user_first_bytes,
            rules,
            user_defined,
            add_dummy_prefix: spec.add_dummy_prefix(),
            remove_extra_whitespaces: spec.remove_extra_whitespaces(),
            escape_whitespaces: spec.escape_whitespaces(),
            whitespace_as_suffix,
        })
    }

    pub fn adds_dummy_prefix(&self) -> bool {
        self.add_dummy_prefix
    }

    pub fn removes_extra_whitespaces(&self) -> bool {
        self.remove_extra_whitespaces
    }

    /// Where the run of characters with a `quiet_lead` at the start of `text` (valid UTF-8)
    /// ends: at the first character without one, or the end. The bytes are judged 16 at a time
    /// by independent lookups, where a walk from lead to lead made each character wait for the
    /// one before (session 42: that walk was half the normalizer's time on Russian under
    /// XLM-R).
    #[inline]
    fn quiet_run_end(&self, text: &[u8]) -> usize {
        let mut end = 0;
        while let Some(block) = text.get(end..end + 16) {
            let outside = block
                .iter()
                .enumerate()
                .fold(0u32, |mask, (i, &x)| mask | (!self.in_quiet_run[x as usize] as u32) << i);
            if outside != 0 {
                return end + outside.trailing_zeros() as usize;
            }
            end += 16;
        }
        // The last bytes (a block may have ended inside a character: its other bytes are in the
        // run too).
        end + text[end..].iter().position(|&x| !self.in_quiet_run[x as usize]).unwrap_or(text.len() - end)
    }

    /// Normalizes the text from `at` in blocks of `BLOCK` bytes that hold only ASCII bytes
    /// that pass whatever ASCII follows (not `ascii_stops`) and `space_like` bytes, as the
    /// step-by-step loop of `normalize` would (each space a `▁`, a space after a space dropped
    /// when extra white space is removed), and returns where it
    /// stopped: before the first block that holds anything else, or that a byte which is not
    /// ASCII follows (the last letter before it may begin a rule with it). Step by step, each
    /// word of English text was a call to `passing_run`, two copies and a dozen branches, and
    /// each newline a rule looked up. Only for `escape_whitespaces` files with rules whose
    /// spaces are plain (`plain_space`).
    fn plain_ascii_blocks(&self, bytes: &[u8], mut at: usize, previous_space: &mut bool, text: &mut String) -> usize {
        const META: [u8; 3] = [0xE2, 0x96, 0x81];
        while let Some(block) = bytes.get(at..at + BLOCK) {
            if bytes.get(at + BLOCK).is_some_and(|&next| next >= 0x80) {
                break;
            }
            // Any byte that is not ASCII ends it, found a word at a time before the table is
            // looked at (most failed tries are in text of other scripts, where a look at each
            // byte cost XLM-R's Russian 5%).
            if !block.is_ascii() {
                break;
            }
            let (plain, spaces) = block.iter().enumerate().fold((0u32, 0u32), |(plain, spaces), (i, &b)| {
                (
                    plain | (!self.ascii_stops[b as usize] as u32) << i,
                    spaces | (self.space_like[b as usize] as u32) << i,
                )
            });
            if plain | spaces != (1 << BLOCK) - 1 {
                break;
            }
            // The spaces that follow a space, dropped when extra white space is removed.
            let after_space = spaces << 1 | *previous_space as u32;
            let dropped = if self.remove_extra_whitespaces { spaces & after_space } else { 0 };
            // Each byte is written with a `▁` after it; a space's first byte becomes the
            // `▁`'s and keeps the other two, a dropped space keeps none (the next byte is
            // written over it), anything else keeps one byte.
            let mut out = [0u8; 3 * BLOCK];
            let mut n = 0;
            for (i, &b) in block.iter().enumerate() {
                let space = spaces >> i & 1 == 1;
                out[n] = if space { META[0] } else { b };
                out[n + 1] = META[1];
                out[n + 2] = META[2];
                n += match (space, dropped >> i & 1 == 1) {
                    (true, true) => 0,
                    (true, false) => 3,
                    (false, _) => 1,
                };
            }
            let written = &out[..n];
            // SAFETY: `written` is ASCII bytes and whole `▁` sequences: valid UTF-8.
            unsafe { text.as_mut_vec() }.extend_from_slice(written);
            *previous_space = self.remove_extra_whitespaces && spaces >> (BLOCK - 1) & 1 == 1;
            at += BLOCK;
        }
        at
    }

    /// The length of the run of characters at the start of `input` that pass unchanged on their
    /// own: no rule matches where they start, no user-defined piece begins with them, and they are not spaces (which
    /// the white-space handling rewrites). Most text is such runs.
    #[inline]
    fn passing_run(&self, input: &str) -> usize {
        let Some(rules) = &self.rules else {
            // Most `.model` BPE files (Llama, Mistral): only a stop byte ends the run.
            let bytes = input.as_bytes();
            let found = match self.few_run_stops.as_deref() {
                Some(&[a]) => memchr::memchr(a, bytes),
                Some(&[a, b]) => memchr::memchr2(a, b, bytes),
                Some(&[a, b, c]) => memchr::memchr3(a, b, c, bytes),
                _ => bytes.iter().position(|&b| self.run_stops[b as usize]),
            };
            return found.unwrap_or(input.len());
        };
        let bytes = input.as_bytes();
        let mut len = 0;
        while let Some(&b) = bytes.get(len) {
            if !self.ascii_stops[b as usize] {
                // A stretch of ASCII that starts no rule whatever ASCII follows: one table probe
                // a byte. Its last byte is looked at below when a character that is not ASCII
                // follows it (a letter then a combining mark may begin a rule).
                let rest = bytes.get(len..).unwrap_or_default();
                let stretch = rest.iter().position(|&x| self.ascii_stops[x as usize]).unwrap_or(rest.len());
                let before_other = rest.get(stretch).is_some_and(|&x| x >= 0x80);
                let sure = if before_other { stretch - 1 } else { stretch };
                if sure > 0 {
                    len += sure;
                    continue;
                }
            }
            if b == b' ' || self.user_first_bytes[b as usize] {
                break;
            }
            if b < 0x80 {
                // ASCII from tables: most of it starts no rule that matches (NFKC begins rules
                // at every letter, letter + combining mark, which ASCII never completes).
                if !rules.ascii_passes(b, bytes.get(len + 1).copied()) && rules.longest_rewrite(&bytes[len..]).is_some()
                {
                    break;
                }
                len += 1;
                continue;
            }
            if self.quiet_lead[b as usize] {
                // Up to the last character of the run (the byte after it may go on a rule).
                let rest = bytes.get(len..).unwrap_or_default();
                let end = self.quiet_run_end(rest);
                let last = rest[..end].iter().rposition(|&x| x & 0xC0 != 0x80).unwrap_or(0);
                if last > 0 {
                    len += last;
                    continue;
                }
            }
            let Some(c) = input.get(len..).and_then(|rest| rest.chars().next()) else { break };
            // A character that begins rules still passes when no rule matches here: usually a
            // step or two of the trie, or known from the byte after it (`passes_before`).
            if rules.may_rewrite(c)
                && !rules.passes_before(c, bytes.get(len + c.len_utf8()).copied())
                && rules.longest_rewrite(&bytes[len..]).is_some()
            {
                break;
            }
            len += c.len_utf8();
        }
        len
    }

    /// The text a prefix of `input` becomes, and how many bytes of `input` it consumes.
    fn normalize_prefix<'a>(&'a self, input: &'a str) -> (&'a str, usize) {
        let Some(first) = input.chars().next() else { return ("", 0) };
        if !self.user_first_bytes[input.as_bytes()[0] as usize]
            && !self.rules.as_ref().is_some_and(|r| r.may_rewrite(first))
        {
            // Nothing begins here (a space, most often): the character passes on its own.
            return (&input[..first.len_utf8()], first.len_utf8());
        }
        if let Some((_, len)) = self.user_defined.as_ref().and_then(|t| t.longest_prefix(input.as_bytes())) {
            if input.is_char_boundary(len) {
                return (&input[..len], len);
            }
        }
        if let Some((len, rewrite)) = self.rules.as_ref().and_then(|r| r.longest_rewrite(input.as_bytes())) {
            // A rule that ends inside a character can only come from a broken file: ignore it.
            if input.is_char_boundary(len) {
                return (rewrite, len);
            }
        }
        let len = input.chars().next().map_or(0, char::len_utf8);
        (&input[..len], len)
    }

    pub fn normalize(&self, n: &mut Normalized) {
        self.normalize_by(n, true)
    }

    /// `normalize`, with the blocks of `plain_ascii_blocks` or (`blocks` false, for tests)
    /// step by step only.
    fn normalize_by(&self, n: &mut Normalized, blocks: bool) {
        let input = n.text();
        let track = n.tracks();
        let in_align = n.alignments();
        let mut text = String::with_capacity(input.len() + input.len() / 4 + 3);
        let mut align: Vec<(u32, u32)> = Vec::new();
        // The alignment of input bytes [from, to): the original characters they came from.
        let span = |from: usize, to: usize| -> (u32, u32) {
            match (in_align.get(from), in_align.get(to.wrapping_sub(1))) {
                (Some(a), Some(b)) if to > from => (a.0, b.1),
                (Some(a), _) => (a.0, a.0),
                _ => in_align.last().map_or((0, 0), |l| (l.1, l.1)),
            }
        };
        let mut at = 0;
        if self.remove_extra_whitespaces {
            while at < input.len() {
                let (piece, used) = self.normalize_prefix(&input[at..]);
                if piece != " " {
                    break;
                }
                at += used;
            }
        }
        if at == input.len() {
            n.set(String::new(), Vec::new());
            return;
        }
        let space = if self.escape_whitespaces { SPACE_SYMBOL } else { " " };
        let push = |text: &mut String, align: &mut Vec<(u32, u32)>, s: &str, a: (u32, u32)| {
            text.push_str(s);
            if track {
                align.extend(std::iter::repeat_n(a, s.len()));
            }
        };
        if self.add_dummy_prefix && !self.whitespace_as_suffix {
            let a = span(at, at);
            push(&mut text, &mut align, space, (a.0, a.0));
        }
        let mut previous_space = self.remove_extra_whitespaces;
        let bytes = input.as_bytes();
        // Without rules, `passing_run`'s `memchr` already takes words whole (blocks measured
        // slower there: Mistral's normalizer on English 10-20%).
        let blocks = blocks && !track && self.plain_space && self.escape_whitespaces && self.rules.is_some();
        let (mut retry_blocks, mut blocks_skip) = (0, BLOCK);
        let mut next_look = LOOK_FOR_CTRL_C_EVERY;
        while at < input.len() {
            if at >= next_look {
                // A whole document can be one piece here: once the call is interrupted, stop;
                // the caller's next look for Ctrl-C reports it, and the text is not used.
                if crate::utils::parallel::check_interrupt().is_err() {
                    break;
                }
                next_look = at + LOOK_FOR_CTRL_C_EVERY;
            }
            if blocks && at >= retry_blocks {
                let end = self.plain_ascii_blocks(bytes, at, &mut previous_space, &mut text);
                if end > at {
                    (at, blocks_skip) = (end, BLOCK);
                    continue;
                }
                // Not here: not again for a while, longer after each miss in a row (text of
                // other scripts would pay for a look at every step).
                (retry_blocks, blocks_skip) = (at + blocks_skip, (blocks_skip * 2).min(LONGEST_SKIP));
            }
            if self.plain_space && bytes[at] == b' ' {
                // What the general step below does with a lone space, without its lookups.
                if !previous_space {
                    let a = if track { span(at, at + 1) } else { (0, 0) };
                    push(&mut text, &mut align, space, a);
                    previous_space = true;
                }
                at += 1;
                if !self.remove_extra_whitespaces {
                    previous_space = false;
                }
                continue;
            }
            let run = self.passing_run(&input[at..]);
            if run > 0 {
                if track {
                    for (i, c) in input[at..at + run].char_indices() {
                        push(
                            &mut text,
                            &mut align,
                            &input[at + i..at + i + c.len_utf8()],
                            span(at + i, at + i + c.len_utf8()),
                        );
                    }
                } else {
                    text.push_str(&input[at..at + run]);
                }
                at += run;
                previous_space = false;
                continue;
            }
            let (piece, used) = self.normalize_prefix(&input[at..]);
            let mut piece = piece;
            if previous_space {
                piece = piece.trim_start_matches(' ');
            }
            if !piece.is_empty() {
                let a = if track { span(at, at + used) } else { (0, 0) };
                if self.escape_whitespaces && piece.contains(' ') {
                    for (k, part) in piece.split(' ').enumerate() {
                        if k > 0 {
                            push(&mut text, &mut align, SPACE_SYMBOL, a);
                        }
                        push(&mut text, &mut align, part, a);
                    }
                } else {
                    push(&mut text, &mut align, piece, a);
                }
                previous_space = piece.ends_with(' ');
            }
            at += used;
            if !self.remove_extra_whitespaces {
                previous_space = false;
            }
        }
        if self.remove_extra_whitespaces {
            while text.ends_with(space) {
                text.truncate(text.len() - space.len());
                align.truncate(text.len());
            }
        }
        if self.add_dummy_prefix && self.whitespace_as_suffix {
            let end = span(input.len(), input.len());
            push(&mut text, &mut align, space, (end.1, end.1));
        }
        n.set(text, align);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Without rules, a passing run ends at the first space or first byte of a user-defined
        /// piece, whichever search finds it (a list of one to three such bytes, or the table
        /// for more): the same end as a probe of the table at every byte.
        #[test]
        fn runs_without_rules_end_at_the_first_stop_byte(
            firsts in prop::collection::btree_set(prop::sample::select(b"<[{|#@^~".to_vec()), 0..7),
            text in "[ a-z<\\[{|#@^~\u{4e2d}\u{0436}]{0,60}",
        ) {
            let pieces: Vec<Vec<u8>> = firsts.iter().map(|&b| vec![b, b'x']).collect();
            let trie = Trie::build(pieces.iter().enumerate().map(|(id, p)| (p.as_slice(), id as u32)));
            let normalizer = SentencePieceNormalizer::new(&NormalizerSpec::default(), Some(trie), false).unwrap();
            prop_assert_eq!(normalizer.few_run_stops.is_some(), firsts.len() < 3);
            let by_table = text.bytes().position(|b| b == b' ' || firsts.contains(&b)).unwrap_or(text.len());
            prop_assert_eq!(normalizer.passing_run(&text), by_table);
        }

        /// A run of characters with quiet leads ends where a walk from lead to lead ends, for
        /// runs shorter and longer than a block of 16 bytes, between scripts whose leads are
        /// quiet (Cyrillic, CJK, Latin-1) and others (Greek, kana, combining marks, ASCII).
        #[test]
        fn quiet_runs_end_where_the_walk_from_lead_to_lead_ends(
            text in "[\u{0436}\u{0444}\u{4e2d}\u{6587}\u{e9}\u{3b1}\u{3042}\u{301} a.]{0,40}",
        ) {
            let normalizer = botchan_normalizer();
            prop_assert!(normalizer.quiet_lead[0xD0] && normalizer.quiet_lead[0xE4]);
            let bytes = text.as_bytes();
            for start in (0..bytes.len()).filter(|&i| text.is_char_boundary(i)) {
                let mut walked = start;
                while let Some(&x) = bytes.get(walked).filter(|&&x| normalizer.quiet_lead[x as usize]) {
                    walked += if x < 0xE0 { 2 } else { 3 };
                }
                prop_assert_eq!(start + normalizer.quiet_run_end(&bytes[start..]), walked, "{:?} at {}", text, start);
            }
        }
    }

    proptest! {
        /// Text normalized with blocks of plain ASCII and spaces taken whole is the text
        /// normalized step by step: words, punctuation, spaces and runs of them, newlines and
        /// tabs (spaces under `nmt_nfkc`), control characters the rules remove, and characters
        /// that are not ASCII (Latin-1, Cyrillic, CJK, a combining mark that composes with the
        /// letter before it), with extra white space removed and kept.
        #[test]
        fn blocks_of_plain_ascii_normalize_as_steps_do(
            text in "([a-zA-Z0-9.,;:()'=_-]{1,12}|[ ]{1,3}|\\n|\\t|\\r|\\x01|\u{e9}|\u{436}|\u{4e2d}|\u{301}){0,40}",
        ) {
            for remove_extra in [true, false] {
                let normalizer = botchan_normalizer_with(remove_extra);
                let normalized = |blocks: bool| {
                    let mut n = Normalized::new(&text, 0, false);
                    normalizer.normalize_by(&mut n, blocks);
                    n.text().to_string()
                };
                prop_assert_eq!(normalized(true), normalized(false), "{:?}, remove_extra {}", text, remove_extra);
            }
        }
    }

    /// Blocks are taken where they can be (the test above would pass without any), newlines
    /// and tabs count as spaces under `nmt_nfkc`, spaces after spaces are dropped, and a block
    /// stops at a control character the rules remove and before a byte that is not ASCII.
    #[test]
    fn blocks_take_plain_english_and_stop_where_steps_are_needed() {
        let normalizer = botchan_normalizer();
        assert!(normalizer.space_like[b'\n' as usize] && normalizer.space_like[b'\t' as usize]);
        assert!(!normalizer.space_like[b'a' as usize] && !normalizer.ascii_stops[b'a' as usize]);
        let blocks = |text: &str| {
            let (mut previous_space, mut out) = (false, String::new());
            (normalizer.plain_ascii_blocks(text.as_bytes(), 0, &mut previous_space, &mut out), out)
        };
        let (taken, out) = blocks("The quick brown fox\njumps over the lazy dog.");
        assert_eq!((taken, out.as_str()), (32, "The▁quick▁brown▁fox▁jumps▁over▁t"));
        let (taken, out) = blocks("two  spaces\n\n  in a block");
        assert_eq!((taken, out.as_str()), (16, "two▁spaces▁i"));
        assert_eq!(blocks("a tab\t\u{1} ends it").0, 0);
        assert_eq!(blocks("0123456789abcdef\u{301}").0, 0);
        assert_eq!(blocks("0123456789abcdef0\u{301}").0, 16);
    }

    /// The normalizer of a `.model` with the `nmt_nfkc` charsmap.
    fn botchan_normalizer() -> SentencePieceNormalizer {
        super::super::read(&std::fs::read(BOTCHAN).unwrap()).unwrap().normalizer
    }

    /// `botchan_normalizer`, with extra white space removed or kept.
    fn botchan_normalizer_with(remove_extra_whitespaces: bool) -> SentencePieceNormalizer {
        use prost::Message;
        let proto = super::super::proto::ModelProto::decode(std::fs::read(BOTCHAN).unwrap().as_slice()).unwrap();
        let spec = NormalizerSpec {
            remove_extra_whitespaces: Some(remove_extra_whitespaces),
            ..proto.normalizer_spec.unwrap()
        };
        SentencePieceNormalizer::new(&spec, None, false).unwrap()
    }

    const BOTCHAN: &str =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/tokenizers/sentencepiece/botchan_en_bpe_1000.model");
}
