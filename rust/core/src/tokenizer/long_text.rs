//! One long text across threads. A batch is spread over threads by documents; a batch of one
//! megabyte document would run on one thread. Such a text is cut into parts at points where
//! no token can cross, the parts are tokenized in parallel, and their ids joined in order.
//!
//! A part may start at byte `p` when the split of the whole text has a piece starting at `p`:
//! patterns have no look-behind, so the pieces from `p` on are then those of the text from `p`
//! alone, and the piece before `p` must be the same whether the text goes on or ends there.
//! These points are known to be such starts:
//! - **A line**: just before an ASCII letter that starts a line, when the byte before the newline
//!   is an ASCII graphic character (`x\nA`). Under every known split pattern (GPT-2, cl100k,
//!   Llama-3, Qwen2, o200k) the piece holding that newline is white space, or punctuation with
//!   trailing newlines, and a letter piece's optional lead character excludes newlines (GPT-2's
//!   lead is a space), so a piece ends right before the letter; and the piece holding the
//!   newline is the same whether the text goes on or ends there (the white space before the
//!   newline is empty, which is what makes GPT-2's `\s+(?!\S)` agree at the end of a part).
//! - **Where the text-level `chunking` policy cuts** (pipelines split at white space, such as
//!   BERT's): before ASCII white space, and before ASCII punctuation when the pre-tokenizer
//!   isolates it (see `chunking`); their cuts at a line are at white space too.
//! - **Punctuation after a word** (scanned patterns only): just before ASCII punctuation other
//!   than `'`, after an ASCII letter or digit (`x+`, `9/`). The piece holding the letter or digit
//!   is a letter piece, a digit piece or a contraction (`'s`), none of which takes punctuation
//!   after its first character (the contractions that follow a letter piece in o200k start with
//!   `'`, which is why it is excluded), and none of which looks past its end. Random base64 has
//!   such a point every few bytes, and no line.
//! - **Inside a run of ASCII digits** (scanned patterns that cut digit runs, `\p{N}{1,3}`): at
//!   a multiple of the piece length from the run's start, where the byte before the run is
//!   ASCII (so not part of a digit outside ASCII that would belong to the run), or from the
//!   start of the current part, which is itself such a start.
//!
//! The rest of the pipeline must be as local: no normalizer that could join characters across
//! the cut, no prefix space added to each part, no added token that strips white space on its
//! left or right, and no occurrence of an added token across or touching the cut (a
//! `single_word` token looks at the characters around it).

use super::chunking::{is_ascii_punctuation, may_be_white, ChunkPolicy};
use super::Tokenizer;
use crate::pretokenize::regex_split::KnownPattern;
use crate::pretokenize::PreTokenizer;
use std::ops::Range;

/// Texts shorter than this stay on one thread: the join is not worth it.
pub const PARALLEL_ABOVE: usize = 256 << 10;
/// Smallest part worth a task.
const MIN_PART: usize = 64 << 10;
/// Parts per thread: more than one, so that a slow part does not hold the others up.
const PARTS_PER_THREAD: usize = 4;
/// Bytes a block of the forward search looks at before it checks its positions one by one.
/// A text with no cut at all (a megabyte of one letter or of digits) is scanned whole, block
/// by block, by a single thread before it runs on one: at 32 bytes, and with
/// `u8::is_ascii_whitespace` (a bit test the compiler does not vectorize), that scan was 0.53
/// ms per MB, a fifth of a BERT call at two threads; now 0.16 ms (session 33). The positions
/// of a block that may hold a cut are still looked at only up to the first cut.
const BLOCK: usize = 256;
/// Points refused for an added token, per text, before the search for cuts gives up.
const MAX_REFUSALS: usize = 256;

/// Where a tokenizer's long texts may be cut (see the module comment).
pub struct CutRules<'a> {
    /// The pattern that scans the pipeline, for the cuts after words and in digit runs.
    known: Option<KnownPattern>,
    /// The text-level chunking policy of pipelines split at white space, for cuts before the
    /// bytes it cuts before.
    chunking: Option<ChunkPolicy>,
    /// The texts of the added tokens: no occurrence may cross or touch a cut.
    added: Vec<&'a [u8]>,
}

impl Tokenizer {
    /// Where long texts can be cut into parts, or `None` when they cannot (see the module
    /// comment).
    pub(super) fn long_text_cuts(&self) -> Option<CutRules<'_>> {
        let scanned = self.scanned_by.is_some()
            && self.file.normalizer.is_none()
            && !self.file.pre_tokenizer.as_ref().is_some_and(PreTokenizer::adds_prefix_space);
        let pipeline = scanned || self.chunking.is_some();
        // Dropout draws in order along one text (see `bpe::dropout`): it stays on one thread.
        let ordered_draws = self.model().dropout_seed().is_some();
        let tokens = self.added.tokens();
        if !pipeline || ordered_draws || tokens.iter().any(|t| t.lstrip || t.rstrip) {
            return None;
        }
        let known = if scanned { self.scanned_by } else { None };
        let chunking = if scanned { None } else { self.chunking };
        Some(CutRules { known, chunking, added: tokens.iter().map(|t| t.content.as_bytes()).collect() })
    }
}

impl CutRules<'_> {
    /// Whether the whole text has a piece starting at byte `p` by one of the rules, given the
    /// digit run the search is in (whose floor, the current part's start, starts a piece);
    /// added tokens are not looked at.
    fn allows(&self, bytes: &[u8], p: usize, run: &mut DigitRun) -> bool {
        let (Some(&at), Some(&before)) = (bytes.get(p), p.checked_sub(1).and_then(|b| bytes.get(b))) else {
            return false;
        };
        let line = at.is_ascii_alphabetic()
            && before == b'\n'
            && p.checked_sub(2).and_then(|b| bytes.get(b)).is_some_and(u8::is_ascii_graphic);
        line || self.chunking.is_some_and(|policy| policy.safe_before(at))
            || self.known.is_some_and(|known| {
                let after_word = at.is_ascii_punctuation() && at != b'\'' && before.is_ascii_alphanumeric();
                after_word || (at.is_ascii_digit() && before.is_ascii_digit() && run.in_step(bytes, p, known))
            })
    }

    /// Whether an occurrence of an added token crosses byte `p` or starts or ends there.
    fn crosses_added(&self, bytes: &[u8], p: usize) -> bool {
        self.added.iter().any(|token| {
            let Some(&first_byte) = token.first() else { return false };
            let first = p.saturating_sub(token.len());
            (first..=p).any(|s| {
                bytes.get(s) == Some(&first_byte) && bytes.get(s..s + token.len()).is_some_and(|seen| seen == *token)
            })
        })
    }

    /// The first byte at or after `from` a part may start at, given that `part_start` starts
    /// one. Each point a rule allows but an added token touches takes one of `refusals`; when
    /// none is left the search gives up (text made of added tokens would otherwise cost a look
    /// at every token at every point).
    fn next_cut(&self, bytes: &[u8], from: usize, part_start: usize, refusals: &mut usize) -> Option<usize> {
        let digits = self.known.is_some_and(|k| k.digits_per_piece().is_some());
        let punctuation = self.known.is_some() || self.chunking.is_some();
        let white = self.chunking.is_some();
        let mut run = DigitRun { floor: part_start, start: part_start, end: part_start };
        let mut block_start = from;
        while block_start < bytes.len() {
            // Positions can only be cuts at a newline's next byte, white space (for a chunking
            // policy), punctuation or a digit: a block without any is skipped whole (a
            // branch-free fold the compiler vectorizes). The byte before the block is looked at
            // too: a newline there makes the block's first byte a candidate. White space counts
            // only with a chunking policy: under a scanned pattern a megabyte of spaces was
            // looked at byte by byte, 1.5 ms of a call at two threads that then ran on one
            // (session 39, GPT-2, `benches/bench_peers.py`: 454 MB/s at one thread, 263 at two).
            let block = bytes.get(block_start.saturating_sub(1)..(block_start + BLOCK).min(bytes.len()));
            let block = block.unwrap_or_default();
            let may_hold = block.iter().fold(false, |seen, &b| {
                seen | (b == b'\n')
                    | (white & may_be_white(b))
                    | (punctuation & is_ascii_punctuation(b))
                    | (digits & (b.wrapping_sub(b'0') < 10))
            });
            if may_hold {
                let end = (block_start + BLOCK).min(bytes.len());
                for p in block_start.max(1)..end {
                    if !self.allows(bytes, p, &mut run) {
                        continue;
                    }
                    if !self.crosses_added(bytes, p) {
                        return Some(p);
                    }
                    *refusals = refusals.checked_sub(1)?;
                }
            }
            block_start += BLOCK;
        }
        None
    }

    /// The first byte at or after `from` where a head of `bytes` may end: the text up to it has
    /// the tokens the whole text starts with (a part may start there). `None` when there is
    /// none, or when added tokens refused too many points.
    pub(super) fn head_end(&self, bytes: &[u8], from: usize) -> Option<usize> {
        let mut refusals = MAX_REFUSALS;
        self.next_cut(bytes, from, 0, &mut refusals)
    }

    /// Consecutive ranges covering `text`, cut at safe points near equal shares for `threads`
    /// threads; one range when no cut is found or the text is short.
    pub fn parts(&self, text: &str, threads: usize) -> Vec<Range<usize>> {
        let bytes = text.as_bytes();
        let wanted = (threads * PARTS_PER_THREAD).min(bytes.len() / MIN_PART).max(1);
        let mut out = Vec::with_capacity(wanted);
        let mut start = 0;
        let mut refusals = MAX_REFUSALS;
        for k in 1..wanted {
            let target = (bytes.len() / wanted * k).max(start + MIN_PART / 2);
            let Some(found) = self.next_cut(bytes, target, start, &mut refusals) else { break };
            out.push(start..found);
            start = found;
        }
        out.push(start..bytes.len());
        out
    }
}

/// The run of ASCII digits the forward search is in: `bytes[start..end]` are digits, and
/// `start` is where the run starts or `floor` (the start of the current part), so each run is
/// measured once, not once per byte.
struct DigitRun {
    floor: usize,
    start: usize,
    end: usize,
}

impl DigitRun {
    /// Whether byte `p`, after an ASCII digit, starts a digit piece of `known`: a multiple of
    /// its piece length from where the run starts, or from the part's start (a piece start)
    /// when the run goes back past it. A run preceded by a byte outside ASCII may continue a
    /// digit outside ASCII: no cut then.
    fn in_step(&mut self, bytes: &[u8], p: usize, known: KnownPattern) -> bool {
        let Some(step) = known.digits_per_piece() else { return false };
        if (self.start..=self.end).contains(&(p - 1)) {
            self.end = self.end.max(p);
        } else {
            (self.start, self.end) = (digit_run_start(bytes, p, self.floor), p);
        }
        let lead_is_ascii = self.start == self.floor || bytes.get(self.start - 1).is_some_and(u8::is_ascii);
        lead_is_ascii && (p - self.start).is_multiple_of(step)
    }
}

/// The first byte of the run of ASCII digits that ends at `p` (exclusive), not before `floor`.
fn digit_run_start(bytes: &[u8], p: usize, floor: usize) -> usize {
    let mut start = p;
    // Whole blocks first (the compiler vectorizes the fold), then byte by byte.
    while start >= floor + BLOCK
        && bytes.get(start - BLOCK..start).is_some_and(|b| b.iter().fold(true, |all, c| all & c.is_ascii_digit()))
    {
        start -= BLOCK;
    }
    while start > floor && bytes.get(start - 1).is_some_and(u8::is_ascii_digit) {
        start -= 1;
    }
    start
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pretokenize::regex_split::scan_some;

    fn rules(known: Option<KnownPattern>, added: &[&'static str]) -> CutRules<'static> {
        CutRules { known, chunking: None, added: added.iter().map(|t| t.as_bytes()).collect() }
    }

    #[test]
    fn punctuation_table_is_ascii_punctuation() {
        for b in 0..=255u8 {
            assert_eq!(is_ascii_punctuation(b), b.is_ascii_punctuation(), "{b}");
        }
    }

    #[test]
    fn parts_tile_the_text_and_start_at_a_letter_after_a_newline() {
        let text = "x = 1.\nNext line, then  \n  indented\nAnother\n\n".repeat(40_000);
        let cuts = rules(None, &[]);
        let ranges = cuts.parts(&text, 2);
        assert_eq!(ranges.len(), 2 * PARTS_PER_THREAD);
        assert_eq!(ranges.first().map(|r| r.start), Some(0));
        assert_eq!(ranges.last().map(|r| r.end), Some(text.len()));
        for pair in ranges.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
            let p = pair[1].start;
            assert!(text.as_bytes()[p].is_ascii_alphabetic() && text.as_bytes()[p - 1] == b'\n');
        }
    }

    /// The search returns the first cut at or after where it starts, wherever that falls in or
    /// across its blocks, after any length without one.
    #[test]
    fn the_first_cut_after_the_start_is_found_across_blocks() {
        let cuts = rules(None, &[]);
        // Letters or spaces before the cut: blocks of white space are skipped too.
        for (filler, cut) in ["a", " "].into_iter().flat_map(|filler| {
            (3..1200).step_by(7).chain([BLOCK, BLOCK + 1, 2 * BLOCK - 1, 2 * BLOCK]).map(move |cut| (filler, cut))
        }) {
            let text = format!("{}x\nA{}", filler.repeat(cut - 2), filler.repeat(700));
            assert_eq!(text.as_bytes()[cut], b'A');
            for from in (0..cut + 5).step_by(11).chain([cut - 1, cut, cut + 1]) {
                let expected = (from <= cut).then_some(cut);
                let mut refusals = MAX_REFUSALS;
                assert_eq!(
                    cuts.next_cut(text.as_bytes(), from, 0, &mut refusals),
                    expected,
                    "{filler:?}: cut {cut}, from {from}"
                );
            }
        }
    }

    #[test]
    fn no_cut_without_a_line_starting_with_a_letter() {
        let cuts = rules(None, &[]);
        for text in ["a".repeat(1 << 20), " \nA".repeat(1 << 18), "1\n2\n".repeat(1 << 18), "ab+c".repeat(1 << 18)] {
            assert_eq!(cuts.parts(&text, 2), vec![0..text.len()]);
        }
        assert_eq!(cuts.parts("short\nText", 2), vec![0..10]);
    }

    #[test]
    fn no_cut_in_runs_the_pattern_keeps_whole() {
        let gpt2 = rules(Some(KnownPattern::Gpt2), &[]);
        for text in ["7".repeat(1 << 20), " ".repeat(1 << 20), "q".repeat(1 << 20), "ab'c".repeat(1 << 18)] {
            assert_eq!(gpt2.parts(&text, 2), vec![0..text.len()], "{}", &text[..8]);
        }
        // A digit outside ASCII before a run may belong to it (`\p{N}`): its groups are unknown.
        let o200k = rules(Some(KnownPattern::O200k), &[]);
        let text = format!("x٣{}", "1".repeat(1 << 20));
        assert_eq!(o200k.parts(&text, 2), vec![0..text.len()]);
    }

    /// Under each known pattern, on texts made to hold the three kinds of point and their near
    /// misses: every point the rules allow is a piece start of the whole text's split, and the
    /// text before it and the text after it, split alone, give the whole split's pieces.
    #[test]
    fn allowed_points_are_piece_starts_whose_sides_split_alone_as_in_the_whole() {
        let atoms = [
            "abc", "Q", "9", "123", "4567", "+", "/", "=", "'", "'s", "'ll", " ", "  ", "\n", "\r\n", "x\nA", "é", "٣",
            "½", "日本", "\u{301}", "--", "<|eot|>", ".\n", "\t", "0000000",
        ];
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let split = |known, text: &str| {
            let mut pieces = Vec::new();
            scan_some(known, text, 0, usize::MAX, &mut pieces);
            pieces
        };
        for known in KnownPattern::ALL {
            let cuts = rules(Some(known), &["<|eot|>"]);
            let (mut allowed, mut sides) = (0, 0);
            for _ in 0..60 {
                let mut text = String::new();
                while text.len() < 2000 {
                    text.push_str(atoms[(next() % atoms.len() as u64) as usize]);
                }
                let whole = split(known, &text);
                for p in 1..text.len() {
                    let mut run = DigitRun { floor: 0, start: 0, end: 0 };
                    if !cuts.allows(text.as_bytes(), p, &mut run) || cuts.crosses_added(text.as_bytes(), p) {
                        continue;
                    }
                    allowed += 1;
                    let at = whole.iter().position(|r| r.start == p);
                    assert!(at.is_some(), "{known:?}: {p} in {text:?}");
                    if next() % 8 == 0 {
                        sides += 1;
                        let (before, after) = whole.split_at(at.unwrap_or_default());
                        assert_eq!(split(known, &text[..p]), before, "{known:?}: {p} in {text:?}");
                        let after: Vec<_> = after.iter().map(|r| r.start - p..r.end - p).collect();
                        assert_eq!(split(known, &text[p..]), after, "{known:?}: {p} in {text:?}");
                    }
                }
            }
            assert!(allowed > 5000 && sides > 500, "{known:?}: {allowed} {sides}");
        }
    }

    #[test]
    fn digit_runs_are_cut_at_their_groups() {
        let text: String = (0..1 << 20).map(|k| char::from(b'0' + (k * 7 % 10) as u8)).collect();
        for (known, step) in [(KnownPattern::O200k, 3), (KnownPattern::Cl100k, 3), (KnownPattern::Qwen2, 1)] {
            let ranges = rules(Some(known), &[]).parts(&text, 2);
            assert_eq!(ranges.len(), 2 * PARTS_PER_THREAD, "{known:?}");
            assert!(ranges.iter().all(|r| r.start % step == 0));
        }
        // After a letter the run starts there: "x" + digits is grouped from byte 1.
        let text = format!("x{text}");
        let ranges = rules(Some(KnownPattern::O200k), &[]).parts(&text, 2);
        assert!(ranges.len() > 1 && ranges.iter().skip(1).all(|r| (r.start - 1) % 3 == 0));
    }

    #[test]
    fn base64_is_cut_before_its_punctuation() {
        let text = "QUJD+ZGVm/Z2hp".repeat(1 << 16);
        let ranges = rules(Some(KnownPattern::Cl100k), &[]).parts(&text, 2);
        assert_eq!(ranges.len(), 2 * PARTS_PER_THREAD);
        assert!(ranges.iter().skip(1).all(|r| matches!(text.as_bytes()[r.start], b'+' | b'/')));
    }

    #[test]
    fn chunked_pipelines_are_cut_where_their_chunks_are() {
        let path =
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/tokenizers/bert-base-uncased/tokenizer.json");
        let tok = Tokenizer::from_json(&std::fs::read_to_string(path).unwrap()).unwrap();
        let cuts = tok.long_text_cuts().unwrap();
        assert!(cuts.known.is_none() && cuts.chunking.is_some());
        let text = "QUJD+ZGVm/Z2hp".repeat(1 << 16);
        let ranges = cuts.parts(&text, 2);
        assert_eq!(ranges.len(), 2 * PARTS_PER_THREAD);
        assert!(ranges.iter().skip(1).all(|r| matches!(text.as_bytes()[r.start], b'+' | b'/')));
        let words = "abc\tdé ".repeat(1 << 17);
        assert!(cuts.parts(&words, 2).iter().skip(1).all(|r| matches!(words.as_bytes()[r.start], b'\t' | b' ')));
    }

    #[test]
    fn no_cut_across_or_beside_an_added_token() {
        let cuts = rules(Some(KnownPattern::O200k), &["ab+cd", "<|end|>"]);
        let text = "ab+cd<|end|>".repeat(1 << 16);
        for r in cuts.parts(&text, 2).iter().skip(1) {
            assert!(!cuts.crosses_added(text.as_bytes(), r.start));
        }
        // Every point a rule allows here touches a token: none is taken.
        assert_eq!(cuts.parts(&text, 2), vec![0..text.len()]);
    }
}
