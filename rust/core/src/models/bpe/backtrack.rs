//! Long byte-level pieces: BPE as a search over whole tokens, in about linear time.
//!
//! Why the search gives exactly the ids of the merge loop. The merge loop (lowest rank first,
//! leftmost on ties) is local: watched over the span of two adjacent tokens of its result, a
//! run over a text makes the same merges, in the same order, as the run over those two tokens'
//! bytes alone, because a merge inside the span is chosen as the minimum over the whole text and
//! so also over the span. Two facts follow:
//! 1. in the encoding of any text, every two adjacent tokens are *compatible*: the merge loop
//!    over their concatenated bytes gives back those two tokens;
//! 2. a cover of a text by *reachable* tokens (the merge loop over a token's bytes gives the
//!    token) in which every adjacent pair is compatible is the encoding of the text: the first
//!    merge across one of its boundaries would also be the run over that pair crossing it.
//!
//! So the encoding is the only such cover, and a depth-first search that tries the longest
//! token first and backs up on incompatible pairs finds it. By fact 2 applied to prefixes, the
//! search stands at a position with only one possible stack, so a position it left without
//! success is dead for every path and never tried again.
//!
//! Compatibility is decided without running the merge loop: each token keeps the trace of its
//! own run (rank of each merge, first and last part after it). The runs of the two sides
//! interleave in rank order as they would over the pair, and the pair is incompatible as soon
//! as the parts that meet in the middle would merge before either side's next merge.

use super::merge::{Merges, Symbol};
use super::pair_memo::PairMemo;
use crate::models::trie::Trie;
use std::sync::atomic::{AtomicU64, Ordering};

/// Rank of "no merge": above every real rank.
const NEVER: u32 = u32::MAX;

/// Runs of one byte from this long take `encode_repeated`.
const REPEATED_MIN: usize = 256;
/// Bytes searched to find the token a run repeats.
const REPEATED_PROBE: usize = 512;
/// Lengths of the rest tried after the repeated token (see `encode_repeated`).
const REPEATED_TRIES: u32 = 4;
/// No token known yet for a byte, or none usable.
const UNKNOWN: u32 = u32::MAX;
const UNUSABLE: u32 = u32::MAX - 1;

/// Per byte, the token long runs of it repeat (`encode_repeated`), for one vocabulary: 1 KB per
/// thread, found on the first such run and kept (a forked child keeps its parent's, which are
/// answers about the same vocabulary, told apart by `serial`).
#[derive(Debug)]
struct RepeatedTokens {
    serial: u64,
    tokens: [u32; 256],
}

impl Default for RepeatedTokens {
    fn default() -> Self {
        RepeatedTokens { serial: 0, tokens: [UNKNOWN; 256] }
    }
}

impl RepeatedTokens {
    /// `None` when not known yet; `Some(None)` when no token is usable.
    fn get(&self, serial: u64, byte: u8) -> Option<Option<u32>> {
        match self.tokens[byte as usize] {
            _ if self.serial != serial => None,
            UNKNOWN => None,
            UNUSABLE => Some(None),
            token => Some(Some(token)),
        }
    }

    fn set(&mut self, serial: u64, byte: u8, token: Option<u32>) {
        if self.serial != serial {
            *self = RepeatedTokens { serial, ..Default::default() };
        }
        self.tokens[byte as usize] = token.unwrap_or(UNUSABLE);
    }
}

/// One state of a token's own merge run: the rank of the merge that led to it (unused for the
/// initial state) and the token's first and last parts.
#[derive(Debug, Clone, Copy)]
struct Step {
    rank: u32,
    first: u32,
    last: u32,
}

/// Tables for the search, built once per vocabulary from its bytes and merges.
#[derive(Debug, Clone)]
pub struct LongPieceEncoder {
    /// Reachable tokens by their bytes.
    trie: Trie,
    /// Byte length of each id; 0 for ids that are not reachable tokens.
    len: Vec<u32>,
    /// `traces[trace_start[id]..trace_start[id + 1]]`: the states of the token's merge run.
    trace_start: Vec<u32>,
    traces: Vec<Step>,
    /// Distinguishes this encoder's memo entries from another's in a shared scratch.
    serial: u64,
}

static SERIALS: AtomicU64 = AtomicU64::new(1);

/// Buffers one thread reuses between pieces.
#[derive(Debug, Default)]
pub struct SearchScratch {
    tokens: Vec<u32>,
    frames: Vec<Frame>,
    candidates: Vec<(u32, u32)>,
    dead: Vec<bool>,
    memo: PairMemo,
    repeated: RepeatedTokens,
}

crate::scratch_fields!(SearchScratch: tokens, frames, candidates, dead);

/// A position of the search and the range of its candidates not tried yet.
#[derive(Debug, Clone, Copy)]
struct Frame {
    pos: u32,
    lo: u32,
    hi: u32,
}

impl LongPieceEncoder {
    /// `tokens` are (bytes, id) of the whole vocabulary; `single[b]` the id of byte b's token.
    pub fn build<'a>(
        tokens: impl IntoIterator<Item = (&'a [u8], u32)>,
        single: &[Option<u32>; 256],
        merges: &Merges,
        id_bound: usize,
    ) -> Option<LongPieceEncoder> {
        let single: Vec<u32> = single.iter().map(|s| s.ok_or(())).collect::<Result<_, ()>>().ok()?;
        let mut by_id: Vec<Option<&[u8]>> = vec![None; id_bound];
        for (bytes, id) in tokens {
            if !bytes.is_empty() {
                *by_id.get_mut(id as usize)? = Some(bytes);
            }
        }
        // Each token's own run is independent of the others': runs go to the pool in blocks
        // of ids, each block with its own traces, joined in id order.
        let block_runs = |first: usize, block: &[Option<&[u8]>]| {
            let (mut lens, mut starts, mut traces, mut parts) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for (k, bytes) in block.iter().enumerate() {
                starts.push(traces.len() as u32);
                let id = (first + k) as u32;
                let reached = bytes.filter(|bytes| {
                    let mark = traces.len();
                    let reached = own_run(bytes, &single, merges, &mut parts, &mut traces) == Some(id);
                    if !reached {
                        traces.truncate(mark);
                    }
                    reached
                });
                lens.push(reached.map_or(0, |bytes| bytes.len() as u32));
            }
            (lens, starts, traces)
        };
        const BLOCK: usize = 4096;
        let blocks: Vec<_> = crate::utils::parallel::run(|| {
            use rayon::prelude::*;
            by_id.par_chunks(BLOCK).enumerate().map(|(b, block)| block_runs(b * BLOCK, block)).collect()
        });
        let mut len = Vec::with_capacity(id_bound);
        let mut trace_start = Vec::with_capacity(id_bound + 1);
        let mut traces = Vec::new();
        for (lens, starts, block_traces) in blocks {
            let base = traces.len() as u32;
            len.extend(lens);
            trace_start.extend(starts.into_iter().map(|s| s + base));
            traces.extend(block_traces);
        }
        trace_start.push(traces.len() as u32);
        let reachable = || by_id.iter().enumerate().filter(|(id, _)| len[*id] > 0);
        let trie = Trie::build(reachable().map(|(id, bytes)| (bytes.unwrap(), id as u32)));
        let serial = SERIALS.fetch_add(1, Ordering::Relaxed);
        Some(LongPieceEncoder { trie, len, trace_start, traces, serial })
    }

    /// Whether the merge loop over the token's own bytes gives the token back.
    pub fn reaches(&self, id: u32) -> bool {
        self.len.get(id as usize).is_some_and(|&len| len > 0)
    }

    /// The encoding of `word` as symbols with byte offsets; false if the vocabulary cannot
    /// cover it (not possible when every byte has a token, kept as a guard) or the piece is
    /// beyond 4 GB (positions are u32).
    pub fn encode(&self, word: &[u8], merges: &Merges, scratch: &mut SearchScratch, out: &mut Vec<Symbol>) -> bool {
        if word.len() >= REPEATED_MIN
            && word.iter().all(|&b| b == word[0])
            && self.encode_repeated(word, merges, scratch, out)
        {
            return true;
        }
        self.search(word, merges, scratch, out)
    }

    /// A run of one byte as the token such runs repeat, then the search over a short rest. By
    /// the facts in the module comment that is the encoding when the token is reachable, is
    /// compatible with itself and with the rest's first token (the rest's own pairs are): the
    /// rest is the run's length modulo the token's plus 0 to `REPEATED_TRIES - 1` tokens (at
    /// most `REPEATED_PROBE` bytes more), tried until that holds; else `false` and the caller
    /// searches the whole run. The token is the middle one of the search over `REPEATED_PROBE` bytes of the run's
    /// byte, found once per thread and vocabulary (`RepeatedTokens`). The search alone visits
    /// every position of such a run with all its candidates (cl100k has 26 tokens of dashes, up
    /// to 96 long: 1 MB of dashes took 170 ms); GPT-2's spaces are a million one-byte tokens.
    fn encode_repeated(
        &self,
        word: &[u8],
        merges: &Merges,
        scratch: &mut SearchScratch,
        out: &mut Vec<Symbol>,
    ) -> bool {
        let (Some(&byte), Ok(n)) = (word.first(), u32::try_from(word.len())) else { return false };
        let token = match scratch.repeated.get(self.serial, byte) {
            Some(known) => known,
            None => {
                let probe = [byte; REPEATED_PROBE];
                let found = self.search(&probe, merges, scratch, out).then(|| out.get(out.len() / 2).map(|s| s.id));
                let token = found.flatten().filter(|&t| self.reaches(t) && self.compatible(t, t, merges));
                scratch.repeated.set(self.serial, byte, token);
                token
            }
        };
        let Some(token) = token else { return false };
        let token_len = self.len[token as usize];
        // A few lengths of the rest, each searched: the first or second fits in practice, and
        // a run whose rest never fits costs at most these searches before the whole one.
        for extra in 0..REPEATED_TRIES {
            let rest = n % token_len + extra * token_len;
            if rest > n || rest as usize > REPEATED_PROBE + token_len as usize {
                break;
            }
            let head = n - rest;
            let fits = rest == 0
                || (self.search(&word[head as usize..], merges, scratch, out)
                    && out.first().is_some_and(|first| head == 0 || self.compatible(token, first.id, merges)));
            if fits {
                let repeats = (head / token_len) as usize;
                if rest == 0 {
                    out.clear();
                }
                // The rest's symbols (offsets within the rest) move behind the head's repeats.
                let tail = out.len();
                out.resize(repeats + tail, Symbol { id: token, start: 0, end: 0 });
                out.copy_within(..tail, repeats);
                let (head_symbols, rest_symbols) = out.split_at_mut(repeats);
                for (k, symbol) in head_symbols.iter_mut().enumerate() {
                    let start = k as u32 * token_len;
                    *symbol = Symbol { id: token, start, end: start + token_len };
                }
                for symbol in rest_symbols {
                    symbol.start += head;
                    symbol.end += head;
                }
                return true;
            }
        }
        false
    }

    /// The depth-first search over `word` (see the module comment).
    fn search(&self, word: &[u8], merges: &Merges, scratch: &mut SearchScratch, out: &mut Vec<Symbol>) -> bool {
        let n = word.len();
        if u32::try_from(n).is_err() {
            return false;
        }
        let SearchScratch { tokens, frames, candidates, dead, memo, .. } = scratch;
        memo.reset_for(self.serial, self.len.len());
        tokens.clear();
        frames.clear();
        candidates.clear();
        dead.clear();
        dead.resize(n + 1, false);
        // A frame is a position and its untried candidates, `candidates[lo..hi]` (shortest
        // first, tried from the end); `tokens[k]` is the token frame k chose, which led to frame k + 1.
        self.trie.prefixes(word, candidates);
        frames.push(Frame { pos: 0, lo: 0, hi: candidates.len() as u32 });
        'search: while let Some(frame) = frames.last_mut() {
            let previous = tokens.last().copied();
            while frame.hi > frame.lo {
                frame.hi -= 1;
                let (token, len) = candidates[frame.hi as usize];
                let end = frame.pos as usize + len as usize;
                if dead[end] || !previous.is_none_or(|p| memo.get_or(p, token, || self.compatible(p, token, merges))) {
                    continue;
                }
                tokens.push(token);
                if end == n {
                    break 'search;
                }
                let lo = candidates.len() as u32;
                self.trie.prefixes(&word[end..], candidates);
                frames.push(Frame { pos: end as u32, lo, hi: candidates.len() as u32 });
                continue 'search;
            }
            // No way on from here, whatever comes before: back to the previous frame.
            dead[frame.pos as usize] = true;
            candidates.truncate(frame.lo as usize);
            frames.pop();
            tokens.pop();
        }
        if frames.is_empty() {
            return false;
        }
        out.clear();
        let mut start = 0u32;
        for &id in tokens.iter() {
            let end = start + self.len[id as usize];
            out.push(Symbol { id, start, end });
            start = end;
        }
        true
    }

    fn trace(&self, id: u32) -> &[Step] {
        let (s, e) = (self.trace_start[id as usize] as usize, self.trace_start[id as usize + 1] as usize);
        &self.traces[s..e]
    }

    /// Whether the merge loop over `left`'s bytes followed by `right`'s gives `[left, right]`.
    #[inline(never)]
    fn compatible(&self, left: u32, right: u32, merges: &Merges) -> bool {
        let (a, b) = (self.trace(left), self.trace(right));
        let (mut i, mut j) = (0, 0);
        let mut meeting = (a[0].last, b[0].first);
        let mut middle = rank_of(merges, meeting);
        loop {
            let next_a = a.get(i + 1).map_or(NEVER, |s| s.rank);
            let next_b = b.get(j + 1).map_or(NEVER, |s| s.rank);
            // Ties go to the leftmost pair: the left side beats the middle, the middle the right.
            if middle < next_a && middle <= next_b {
                return false;
            }
            if next_a == NEVER && next_b == NEVER {
                return true;
            }
            if next_a <= next_b {
                i += 1;
            } else {
                j += 1;
            }
            let now = (a[i].last, b[j].first);
            if now != meeting {
                meeting = now;
                middle = rank_of(merges, meeting);
            }
        }
    }
}

fn rank_of(merges: &Merges, pair: (u32, u32)) -> u32 {
    merges.get(pair.0, pair.1).map_or(NEVER, |(rank, _)| rank)
}

/// Runs the merge loop over a token's bytes, appending its states to `trace`; returns the id
/// it ends in when it ends in one symbol.
fn own_run(bytes: &[u8], single: &[u32], merges: &Merges, parts: &mut Vec<u32>, trace: &mut Vec<Step>) -> Option<u32> {
    parts.clear();
    parts.extend(bytes.iter().map(|&b| single[b as usize]));
    trace.push(Step { rank: NEVER, first: parts[0], last: parts[parts.len() - 1] });
    while parts.len() > 1 {
        let mut best: Option<(u32, usize, u32)> = None;
        for i in 0..parts.len() - 1 {
            if let Some((rank, merged)) = merges.get(parts[i], parts[i + 1]) {
                if best.is_none_or(|(r, _, _)| rank < r) {
                    best = Some((rank, i, merged));
                }
            }
        }
        let (rank, i, merged) = best?;
        parts[i] = merged;
        parts.remove(i + 1);
        trace.push(Step { rank, first: parts[0], last: parts[parts.len() - 1] });
    }
    Some(parts[0])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::bpe::merge::merge_word;

    /// A byte vocabulary (ids = byte values) plus merges given as (left bytes, right bytes),
    /// ranked in order; merged tokens get ids from 256 on.
    fn vocab(merge_list: &[(&str, &str)]) -> (Vec<(Vec<u8>, u32)>, Merges) {
        let mut tokens: Vec<(Vec<u8>, u32)> = (0..=255u8).map(|b| (vec![b], b as u32)).collect();
        let mut listed = Vec::new();
        for (rank, (a, b)) in merge_list.iter().enumerate() {
            let id_of = |t: &[u8], tokens: &Vec<(Vec<u8>, u32)>| tokens.iter().find(|(x, _)| x == t).map(|(_, i)| *i);
            let (ia, ib) = (id_of(a.as_bytes(), &tokens).unwrap(), id_of(b.as_bytes(), &tokens).unwrap());
            let joined = [a.as_bytes(), b.as_bytes()].concat();
            let id = match id_of(&joined, &tokens) {
                Some(id) => id,
                None => {
                    tokens.push((joined, tokens.len() as u32));
                    tokens.len() as u32 - 1
                }
            };
            listed.push((ia, ib, rank as u32, id));
        }
        (tokens, Merges::build(listed))
    }

    fn encoder(tokens: &[(Vec<u8>, u32)], merges: &Merges) -> LongPieceEncoder {
        let single: [Option<u32>; 256] = std::array::from_fn(|b| Some(b as u32));
        LongPieceEncoder::build(tokens.iter().map(|(b, i)| (b.as_slice(), *i)), &single, merges, tokens.len()).unwrap()
    }

    fn by_merging(word: &[u8], merges: &Merges) -> Vec<Symbol> {
        let mut symbols: Vec<Symbol> = word
            .iter()
            .enumerate()
            .map(|(i, &b)| Symbol { id: b as u32, start: i as u32, end: i as u32 + 1 })
            .collect();
        merge_word(&mut symbols, merges);
        symbols
    }

    fn by_search(enc: &LongPieceEncoder, word: &[u8], merges: &Merges) -> Vec<Symbol> {
        let mut out = Vec::new();
        assert!(enc.encode(word, merges, &mut SearchScratch::default(), &mut out));
        out
    }

    #[test]
    fn equals_the_merge_loop_on_runs_and_mixtures() {
        let (tokens, merges) =
            vocab(&[("a", "a"), ("aa", "aa"), ("a", "b"), ("aa", "a"), ("ab", "a"), ("b", "aa"), ("aaaa", "aaaa")]);
        let enc = encoder(&tokens, &merges);
        for n in 1..70 {
            let word = vec![b'a'; n];
            assert_eq!(by_search(&enc, &word, &merges), by_merging(&word, &merges), "a x {n}");
        }
        let mut seed = 7u32;
        for _ in 0..300 {
            let word: Vec<u8> = (0..seed % 90 + 1)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    b"aab"[(seed >> 16) as usize % 3]
                })
                .collect();
            assert_eq!(
                by_search(&enc, &word, &merges),
                by_merging(&word, &merges),
                "{:?}",
                String::from_utf8_lossy(&word)
            );
        }
    }

    /// Runs of one byte (which take `encode_repeated` from `REPEATED_MIN` bytes on) against the
    /// merge loop, under cl100k_base and gpt2: every byte at one length, and the bytes of
    /// real separator lines (dashes, equals signs, spaces, tabs...) at lengths with every
    /// remainder of their longest tokens, and up to 100 KB.
    #[test]
    fn runs_of_one_byte_equal_the_merge_loop() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/tokenizers/");
        // One scratch for both vocabularies, and the first again: each byte's token is
        // remembered for one vocabulary at a time.
        let mut scratch = SearchScratch::default();
        for file in ["cl100k_base/cl100k_base.tiktoken", "gpt2/gpt2.tiktoken", "cl100k_base/cl100k_base.tiktoken"] {
            let text = std::fs::read_to_string(format!("{root}{file}")).unwrap();
            let bpe =
                crate::models::bpe::Bpe::from_ranks(&crate::formats::tiktoken::parse_ranks(&text).unwrap()).unwrap();
            let tables = bpe.byte_tables();
            let long = tables.long.as_ref().expect("the long-piece search is built");
            let merged = |word: &[u8]| {
                let mut symbols: Vec<Symbol> = word
                    .iter()
                    .enumerate()
                    .map(|(i, &b)| Symbol {
                        id: tables.single[b as usize].unwrap(),
                        start: i as u32,
                        end: i as u32 + 1,
                    })
                    .collect();
                merge_word(&mut symbols, &bpe.merges);
                symbols
            };
            let mut check = |byte: u8, n: usize| {
                let word = vec![byte; n];
                let mut out = Vec::new();
                assert!(long.encode(&word, &bpe.merges, &mut scratch, &mut out), "{file}: {byte} x {n}");
                assert_eq!(out, merged(&word), "{file}: {byte} x {n}");
            };
            // Separator lines take the two short searches (`encode_repeated`), not the whole one.
            for &byte in b"-= \t" {
                let mut out = Vec::new();
                let word = vec![byte; 40 * REPEATED_MIN + 3];
                assert!(
                    long.encode_repeated(&word, &bpe.merges, &mut SearchScratch::default(), &mut out),
                    "{file}: {byte}"
                );
            }
            for byte in 0..=255u8 {
                check(byte, REPEATED_MIN + byte as usize);
            }
            for &byte in b"-=*#/._~ \t!0a" {
                for n in
                    [REPEATED_MIN - 1, 20_011, 65_536, 100_003].into_iter().chain((0..200).map(|k| REPEATED_MIN + k))
                {
                    check(byte, n);
                }
            }
        }
    }

    /// Runs of one letter under random vocabularies of runs of that letter (merges of two
    /// runs in random order, so the tokens a run repeats, and whether they go with themselves,
    /// vary): `encode_repeated` or the search, as `encode` picks, against the merge loop.
    #[test]
    fn runs_under_random_merges_equal_the_merge_loop() {
        let mut rng = crate::utils::test_random::Lcg::new(99);
        let mut next = |n: u64| rng.below(n);
        let runs: Vec<String> = (1..=11).map(|k| "a".repeat(k)).collect();
        for round in 0..1000 {
            let mut lengths = vec![1usize];
            let mut merge_list: Vec<(&str, &str)> = Vec::new();
            for _ in 0..next(14) + 1 {
                let (i, j) =
                    (lengths[next(lengths.len() as u64) as usize], lengths[next(lengths.len() as u64) as usize]);
                if i + j <= runs.len() && !merge_list.contains(&(runs[i - 1].as_str(), runs[j - 1].as_str())) {
                    merge_list.push((runs[i - 1].as_str(), runs[j - 1].as_str()));
                    if !lengths.contains(&(i + j)) {
                        lengths.push(i + j);
                    }
                }
            }
            let (tokens, merges) = vocab(&merge_list);
            let enc = encoder(&tokens, &merges);
            let mut scratch = SearchScratch::default();
            for n in [REPEATED_MIN, REPEATED_MIN + 1 + next(600) as usize, 3000 + next(7) as usize] {
                let word = vec![b'a'; n];
                let mut out = Vec::new();
                assert!(enc.encode(&word, &merges, &mut scratch, &mut out));
                assert_eq!(out, by_merging(&word, &merges), "round {round}: {merge_list:?}, a x {n}");
            }
        }
    }

    #[test]
    fn unreachable_tokens_are_never_used() {
        // "ab" is a token, but "a a" merges first inside "aab", so "aab" is never [a, ab].
        let (tokens, merges) = vocab(&[("a", "a"), ("a", "b"), ("aa", "b")]);
        let enc = encoder(&tokens, &merges);
        assert_eq!(by_search(&enc, b"aab", &merges), by_merging(b"aab", &merges));
        // A token whose own bytes merge differently ("c" + "d" is only listed after "cd" exists
        // through a rank no pair reaches) is not reachable.
        let mut tokens = tokens;
        tokens.push((b"cd".to_vec(), tokens.len() as u32));
        let enc = encoder(&tokens, &merges);
        assert_eq!(by_search(&enc, b"cdcd", &merges).len(), 4);
    }
}
