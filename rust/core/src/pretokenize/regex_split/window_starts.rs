//! GPT-2, o200k_base and the cl100k family on ASCII text, 64 bytes at a time: where every piece
//! of a window starts, from its class masks with shifts and ands, instead of deciding the pieces
//! one after the other.
//!
//! Why: the per-piece paths (`ascii_piece` of each scanner) put a chain of data-dependent
//! branches on each piece (letters? digits? punctuation? white space?), which English text
//! mispredicts at nearly every piece. Here the branches go per window, and the pieces of a
//! window come out of one mask by trailing-zero counts.
//!
//! A piece starts at bit 0 of the window (the caller's position is a piece start), and the rest
//! follow from the patterns (see `o200k.rs`, `cl100k.rs`, `gpt2.rs`) on ASCII, where o200k's `U`
//! is `A-Z` and `W` is `a-z`:
//! - letters: a letter run starts a piece, unless the character before it is a one-character
//!   prefix that starts a piece itself (white space other than a newline, or punctuation that
//!   is a run of one, not after a space, not taken by a trailer; gpt2: a space only); inside a
//!   run, under o200k, a capital after a small letter starts one (`U*W+|U+W*` on ASCII splits
//!   only there);
//! - o200k: a contraction after a letter run belongs to it, and the piece after it starts where
//!   it ends; a contraction right after another one is no contraction (the letter piece has had
//!   its one), which only the scalar loop over candidates can see, so it is done there.
//!   cl100k and gpt2: a quote that starts a piece starts a contraction if one follows (the
//!   first alternative), a piece of its own;
//! - punctuation: a run starts a piece unless a space before it does (` ?P+`); under o200k and
//!   cl100k the run takes the newlines (o200k: and slashes) after it (`[\r\n/]*`, the trailer);
//! - digits: every third digit of a run, from its first (every digit for Qwen2; gpt2: the run,
//!   with a space before it);
//! - white space (less what trailers took): a run starts a piece; its part after its last
//!   newline, if any (gpt2: the whole run), starts another; if that part has two or more
//!   characters its last one starts another (it goes with what follows, or alone:
//!   `\s+(?!\S)`).
//!
//! Only bits whose status is certain are used: a start needs to see at most three bytes ahead
//! (a contraction), except in a white-space run, whose starts depend on where the run ends and
//! whether a newline comes later. So the window is cut four bytes before its first non-ASCII byte
//! (or the text's end, or the window's end), and before any white-space run that reaches that
//! point; what lies after the cut is the next window's, from its own piece start. A window that
//! gives no piece this way (a long run of one class, non-ASCII text) is left to the per-piece
//! path, which the module tests check this against, piece by piece.

use super::ascii_window::{Mask, Window, WIDTH};
use super::scan::Text;
use std::ops::Range;

/// Appends the pieces of `text` from `start` (a piece start), at most `limit` of them, and
/// returns where the next piece starts: windows that [`starts`] cuts give their pieces at
/// once; the rest goes through the per-piece path (`ascii_piece`, `next_piece`, see
/// [`Text::tile`]), which gives the same pieces.
#[inline(always)]
pub fn split(
    text: &Text,
    rules: Rules,
    start: usize,
    limit: usize,
    out: &mut Vec<Range<usize>>,
    ascii_piece: impl Fn(&Text, &Window, usize) -> Option<usize> + Copy,
    next_piece: impl Fn(&Text, usize) -> Option<usize> + Copy,
) -> usize {
    let (mut at, mut left) = (start, limit);
    while left > 0 && at < text.len() {
        let window = Window::at(text.bytes, at);
        let (starts, cut) = starts(text, &window, rules);
        if cut > 0 {
            let mut rest = starts & !1;
            let mut from = 0;
            let count = rest.count_ones() as usize;
            if count <= left {
                // At most 63 pieces, eight at a time into reserved room: the loop's exit (where
                // the branch predictor misses, the count changing from window to window) comes
                // an eighth as often. Slots past the count get ranges from the emptied mask,
                // which the length set after the loop leaves out.
                out.reserve(WIDTH + 8);
                let len = out.len();
                let spare = out.spare_capacity_mut();
                let mut written = 0;
                while written < count {
                    for _ in 0..8 {
                        let to = rest.trailing_zeros() as usize;
                        rest &= rest.wrapping_sub(1);
                        if let Some(slot) = spare.get_mut(written) {
                            slot.write(at + from..at + to);
                        }
                        written += 1;
                        from = to;
                    }
                }
                // SAFETY: the first `count` slots after `len` were just written (`count` <= 63,
                // and the room reserved is at least `WIDTH + 8`).
                unsafe { out.set_len(len + count) };
                left -= count;
                if let Some(last) = (WIDTH - 1).checked_sub((starts & !1).leading_zeros() as usize) {
                    at += last;
                }
            } else {
                while rest != 0 && left > 0 {
                    let to = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    out.push(at + from..at + to);
                    from = to;
                    left -= 1;
                }
                at += from;
            }
        } else {
            // Near non-ASCII bytes: past their run (so that text in another script does not
            // try a window per character, and ASCII text resumes right after an accented
            // letter); else one piece (a run longer than the window).
            let first = window.non_ascii.trailing_zeros();
            let stop = if first as usize > LOOKAHEAD + 1 {
                at + 1
            } else {
                at + (first + (!window.non_ascii).checked_shr(first).unwrap_or(0).trailing_zeros()) as usize
            };
            let before = out.len();
            at = text.tile(at, left, stop, out, ascii_piece, next_piece);
            if out.len() == before {
                break;
            }
            left -= out.len() - before;
        }
    }
    at
}

/// How far ahead a start is decided (a contraction reads three bytes after its quote).
const LOOKAHEAD: usize = 4;

/// The pattern whose pieces are cut (they differ on ASCII text in the points below).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rules {
    /// A capital after a small letter starts a piece, a contraction ends a letter piece, and
    /// slashes join the trailer.
    O200k,
    /// A contraction is a piece of its own; `max_digits` is 3, or 1 (Qwen2).
    Cl100k { max_digits: usize },
    /// A contraction is a piece of its own (its letters case-sensitive); only a space is a
    /// prefix, of letters, digits and punctuation alike; digit runs are whole; no trailers, and
    /// a newline is white space like any other.
    Gpt2,
}

/// The piece starts of the window at `w.base` (bit 0 is one) and the offset of the last start
/// that is certain (the cut): the pieces between the starts up to the cut are exactly the
/// pattern's. A cut of 0 means no piece can be decided here.
#[inline(always)]
pub fn starts(text: &Text, w: &Window, rules: Rules) -> (Mask, usize) {
    let known = (w.non_ascii.trailing_zeros() as usize).min(WIDTH);
    let max_digits = match rules {
        Rules::O200k => 3,
        Rules::Cl100k { max_digits } => max_digits,
        Rules::Gpt2 => usize::MAX,
    };
    if known <= LOOKAHEAD + 1 || !matches!(max_digits, 1 | 3 | usize::MAX) {
        return (1, 0);
    }
    let o200k = rules == Rules::O200k;
    let gpt2 = rules == Rules::Gpt2;
    let mut limit = known - LOOKAHEAD;
    let prev = |m: Mask| m << 1;
    let next = |m: Mask| m >> 1;

    let (letter, upper, lower, digit) = (w.letter, w.upper, w.lower, w.digit);
    let newline = w.newline;
    let blank_or_tab = w.space & !newline;

    // Trailers: the newlines right after punctuation, and the newlines (and slashes) after them.
    let trailer = match rules {
        Rules::O200k => fill_forward(newline & prev(w.punct), newline | w.slash),
        Rules::Cl100k { .. } => fill_forward(newline & prev(w.punct), newline),
        Rules::Gpt2 => 0,
    };
    let punct = w.punct & !trailer;
    let space = w.space & !trailer;

    // A white-space run over the limit has starts that depend on what follows it.
    if space >> limit & 1 != 0 {
        let run_starts = space & !prev(space) & Window::span(0, limit + 1);
        limit = match run_starts {
            0 => 0,
            m => WIDTH - 1 - m.leading_zeros() as usize,
        };
        if limit == 0 {
            return (1, 0);
        }
    }

    // Punctuation that starts its piece, and such a run of one that can be a letter prefix.
    let punct_starts = punct & !prev(punct) & !prev(w.blank);
    let prefix = if gpt2 { w.blank } else { blank_or_tab | punct_starts };

    // Contractions. o200k: `'` after a letter, with its letters, skipped right after another
    // one. cl100k and gpt2: a quote that starts a piece.
    let (mut absorbed, mut after_contraction) = (0 as Mask, 0 as Mask);
    let quotes = if o200k { w.quote & prev(letter) } else { w.quote & punct_starts };
    let mut candidates = quotes & Window::span(0, limit + 1);
    let mut last_end = usize::MAX;
    while candidates != 0 {
        let at = candidates.trailing_zeros() as usize;
        candidates &= candidates - 1;
        if at == last_end {
            continue;
        }
        let len = text.contraction(w.base + at, !gpt2);
        if len == 0 {
            continue;
        }
        // Under cl100k and gpt2 the quote starts the contraction's own piece.
        let bits = ((1 << len) - 1) << at;
        absorbed |= if o200k { bits } else { bits & !(1 << at) };
        after_contraction |= 1u64.checked_shl((at + len) as u32).unwrap_or(0);
        last_end = if o200k { at + len } else { usize::MAX };
    }

    let letter_run_starts = letter & !prev(letter);
    let case_splits = if o200k { upper & prev(lower) } else { 0 };
    let letter_starts = (letter_run_starts & !prev(prefix)) | case_splits;

    // Every third digit of a run (every digit for Qwen2; gpt2: whole runs, after a space the
    // space's).
    let mut digit_starts = digit & !prev(digit);
    if gpt2 {
        digit_starts &= !prev(w.blank);
    } else if max_digits == 1 {
        digit_starts = digit;
    } else {
        let three_digits = digit & prev(digit) & prev(prev(digit));
        let mut step = digit_starts;
        while step != 0 {
            step = (step << 3) & three_digits;
            digit_starts |= step;
        }
    }

    // White space: the run, its part after the last newline (gpt2: the whole run), and that
    // part's last character. The part after the last newline is every segment of the run not
    // followed by a newline (rarely is one: the fill below then has nothing to do).
    let run_starts = space & !prev(space);
    let segment = if gpt2 { space } else { space & !newline };
    let segment_starts = segment & !prev(segment);
    // The run's last byte: `\s+(?!\S)` stops before it when something follows, so it starts a
    // piece (alone, or as the prefix of the word or punctuation after it).
    let tail_last = segment & !next(space);
    let tail = if gpt2 { segment } else { segment & !fill_backward(segment & next(newline), segment) };
    let space_starts = run_starts | (segment_starts & tail) | tail_last;

    let all = ((letter_starts | punct_starts | digit_starts | space_starts) & !absorbed) | after_contraction | 1;
    let certain = all & Window::span(0, limit + 1);
    let cut = WIDTH - 1 - certain.leading_zeros() as usize;
    (certain, cut)
}

/// Bits of `within` reachable from a bit of `seeds` going up through `within` (seeds included).
/// Adding a seed to `within` carries through the bits above it in its run, which the sum
/// clears: the bits that changed are the filled ones (and the one after the run). A second seed
/// in a run lands on a bit already cleared and only sets itself, hence the `| seeds`.
#[inline(always)]
fn fill_forward(seeds: Mask, within: Mask) -> Mask {
    let seeds = seeds & within;
    ((within ^ within.wrapping_add(seeds)) | seeds) & within
}

/// Bits of `within` reachable from a bit of `seeds` going down through `within`. Callers pass
/// rare seeds: none, no work.
#[inline(always)]
fn fill_backward(seeds: Mask, within: Mask) -> Mask {
    if seeds & within == 0 {
        return 0;
    }
    let (mut filled, mut run) = (seeds & within, within);
    for shift in [1, 2, 4, 8, 16, 32] {
        filled |= (filled >> shift) & run;
        run &= run >> shift;
    }
    filled
}

#[cfg(test)]
mod tests {
    use super::super::classes::classes;
    use super::super::{cl100k, gpt2, o200k, scan_some, KnownPattern};
    use super::{Range, Rules, Text, Window};
    use proptest::prelude::*;

    /// The pieces of a scanner's per-piece path alone (`Text::tile` over the whole text), which
    /// its windows must reproduce.
    fn piece_by_piece(
        text: &str,
        ascii_piece: impl Fn(&Text, &Window, usize) -> Option<usize>,
        next_piece: impl Fn(&Text, usize) -> Option<usize>,
    ) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let all = usize::MAX;
        Text::new(text, classes()).tile(0, all, all, &mut out, ascii_piece, next_piece);
        out
    }

    /// The pieces of `scan_some` called again and again, at most `limit` pieces a call.
    fn by_windows(known: KnownPattern, text: &str, limit: usize) -> Vec<Range<usize>> {
        let (mut out, mut at) = (Vec::new(), 0);
        while at < text.len() {
            at = scan_some(known, text, at, limit, &mut out);
        }
        out
    }

    /// Each scanner with its window rules and its per-piece path.
    fn per_piece(known: KnownPattern, text: &str) -> (Rules, Vec<Range<usize>>) {
        match (known, known.cl100k_style()) {
            (_, Some(style)) => (
                Rules::Cl100k { max_digits: style.max_digits },
                piece_by_piece(
                    text,
                    |t, w, at| cl100k::ascii_piece(t, w, at, style),
                    |t, at| cl100k::next_piece(t, at, style),
                ),
            ),
            (KnownPattern::Gpt2, None) => (Rules::Gpt2, piece_by_piece(text, gpt2::ascii_piece, gpt2::next_piece)),
            (_, None) => (Rules::O200k, piece_by_piece(text, o200k::ascii_piece, o200k::next_piece)),
        }
    }

    const SCANNERS: [KnownPattern; 5] = [
        KnownPattern::Gpt2,
        KnownPattern::O200k,
        KnownPattern::Cl100k,
        KnownPattern::Cl100kTrailingSpace,
        KnownPattern::Qwen2,
    ];

    /// What the window masks decide on: every class boundary, contractions (also one after
    /// another), spaces before punctuation and letters, trailers of newlines and slashes, digit
    /// runs, the white-space characters that are not newlines, and non-ASCII now and then.
    fn tricky_text() -> impl Strategy<Value = String> {
        const PARTS: &[&str] = &[
            "a",
            "Z",
            "s",
            "l",
            "e",
            "r",
            "v",
            "T",
            "'",
            "'s",
            "'ll",
            "'LL",
            "'re",
            "'d",
            "x'll'd",
            " ",
            "  ",
            "\t",
            "\x0b",
            "\x0c",
            "\n",
            "\r\n",
            "/",
            ".",
            "(",
            "\0",
            "1",
            "123",
            "4567",
            "fooBar",
            "HTTPServer",
            "é",
            "\u{A0}",
            " the",
            ". ",
            ".\n/",
            "\n  ",
            "\u{17F}",
            "ä",
            "Ä",
            "ß",
            "ÿ",
            "À",
            "Þ",
            "×",
            "÷",
            "Öl",
            "grün",
            "\u{AA}",
            "\u{B5}",
            "Привет",
            "мир",
            "ЁжЯ",
            "ѠѡѢѣ",
            "\u{482}",
            "\u{483}",
        ];
        proptest::collection::vec(proptest::sample::select(PARTS), 0..120).prop_map(|p| p.concat())
    }

    /// Prose and code with contractions, digits, indentation and punctuation.
    const PROSE_AND_CODE: &str =
        "Hello, world! It's 2024: the quick brown fox's den.\n    def f(x):\n        return x // 2\n";

    /// Whether windows alone cut all of `text` but its last window (runs of windows, each
    /// starting at the previous one's cut): what the per-piece path is left with is not what the
    /// scanners' window tests test.
    fn windows_cut_all_of(text: &str, rules: Rules) -> bool {
        let table = classes();
        let mut at = 0;
        while at + super::WIDTH < text.len() {
            let (_, cut) =
                super::starts(&super::Text::new(text, table), &super::Window::at(text.as_bytes(), at), rules);
            if cut == 0 {
                return false;
            }
            at += cut;
        }
        true
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn windows_give_the_pieces_of_the_per_piece_paths(text in tricky_text(), limit in 1usize..40) {
            for known in SCANNERS {
                let (_, expected) = per_piece(known, &text);
                prop_assert_eq!(by_windows(known, &text, usize::MAX), expected.clone(), "{:?} {:?}", known, text);
                prop_assert_eq!(by_windows(known, &text, limit), expected, "{:?} limit {} {:?}", known, limit, text);
            }
        }
    }

    #[test]
    fn windows_take_prose_and_code_whole() {
        // Most of an ASCII text is cut by windows: the per-piece paths are not what is tested above.
        let text = PROSE_AND_CODE.repeat(40);
        for known in SCANNERS {
            let (rules, expected) = per_piece(known, &text);
            assert!(windows_cut_all_of(&text, rules), "{known:?}");
            assert_eq!(by_windows(known, &text, usize::MAX), expected, "{known:?}");
        }
    }

    #[test]
    fn fills_reach_along_runs_only() {
        let within = 0b0111_0111_1110u64;
        assert_eq!(super::fill_forward(0b10, within), 0b0111_1110);
        assert_eq!(super::fill_forward(0b1000_0000_0000, within), 0, "a seed outside the runs");
        assert_eq!(super::fill_backward(1 << 10, within), 0b0111_0000_0000);
        assert_eq!(super::fill_forward(1, u64::MAX), u64::MAX, "a run of the whole window");
        assert_eq!(super::fill_backward(1 << 63, u64::MAX), u64::MAX);
    }
}
