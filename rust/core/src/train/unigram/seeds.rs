//! The seed pieces the EM starts from, as `sentencepiece` 0.2.3 makes them: every substring
//! that branches in the corpus (an internal node of its suffix tree, found as an LCP interval
//! of the suffix array) and may be a piece, scored by frequency × length in characters; the
//! best `seed_size` of them, after every character of the alphabet.
//!
//! The library builds its suffix array over the whole corpus, line by line. Pieces never cross
//! a `▁`, so the same intervals come from the distinct words, each written once and weighted
//! by its count, followed by what follows it in the corpus as far as a piece can tell: `▁`
//! (the next word) or the end of the line. Memory then grows with the distinct words, not the
//! corpus. (What the library does differently: it counts a suffix of the corpus's very last
//! line twice, and its 500 MB chunks split counts; neither is copied.)

use super::valid::PieceRules;
use super::words::SPACE;
use crate::error::{Error, Result};
use libsais::SuffixArrayConstruction;
use rustc_hash::FxHashMap;

/// One distinct word with whether it ended its line, and its count.
pub(super) struct SeedWord<'a> {
    pub word: &'a [u8],
    pub line_end: bool,
    pub count: u64,
}

/// The best substrings with their scores (frequency × characters, in `f32` as the library
/// scores them), best first: by score, then longer in bytes, then in byte order.
pub(super) fn frequent_substrings(
    words: &[SeedWord],
    rules: &PieceRules,
    seed_size: usize,
) -> Result<Vec<(Box<[u8]>, f32)>> {
    let mut text: Vec<u8> = Vec::new();
    let mut weights: Vec<u64> = Vec::new();
    for w in words {
        let start = text.len();
        text.extend_from_slice(w.word);
        if !w.line_end {
            text.extend_from_slice(SPACE.as_bytes());
        }
        text.push(0);
        weights.resize(weights.len() + (text.len() - start), w.count);
    }
    if text.len() >= i32::MAX as usize {
        return Err(Error::InvalidArgument(format!(
            "the distinct words hold {} bytes; seed extraction indexes at most 2 GB",
            text.len()
        )));
    }
    let n = text.len();
    if n == 0 {
        return Ok(Vec::new());
    }
    let failed = |e: libsais::LibsaisError| Error::InvalidArgument(format!("suffix array construction failed: {e:?}"));
    let sa =
        SuffixArrayConstruction::for_text(&text[..]).in_owned_buffer32().single_threaded().run().map_err(failed)?;
    let with_plcp = sa.plcp_construction().single_threaded().run().map_err(failed)?;
    let with_lcp = with_plcp.lcp_construction().single_threaded().run().map_err(failed)?;
    let (sa, lcp, _, _) = with_lcp.into_parts();
    let (sa, lcp): (&[i32], &[i32]) = (&sa, &lcp);
    // Weight of the suffixes before each rank: an interval's frequency is a difference.
    let mut below = Vec::with_capacity(n + 1);
    below.push(0u64);
    let mut sum = 0u64;
    for &at in sa {
        sum += weights[at as usize];
        below.push(sum);
    }
    drop(weights);

    let mut found: FxHashMap<&[u8], u64> = FxHashMap::default();
    let mut consider = |l: usize, r: usize, depth: usize| {
        if depth <= 1 {
            return;
        }
        let offset = sa[l] as usize;
        if offset + depth > n {
            return;
        }
        let continuation = |b: u8| b & 0xC0 == 0x80;
        if continuation(text[offset]) || (offset + depth < n && continuation(text[offset + depth])) {
            return;
        }
        let mut piece = &text[offset..offset + depth];
        while let [rest @ .., 0] = piece {
            piece = rest;
        }
        if piece.contains(&0) {
            return;
        }
        let Ok(as_str) = std::str::from_utf8(piece) else { return };
        let chars = as_str.chars().count();
        if chars <= 1 || chars > rules.max_chars || !rules.is_valid(as_str) {
            return;
        }
        *found.entry(piece).or_default() += below[r + 1] - below[l];
    };
    // The LCP intervals bottom-up with a stack of (left end, depth) (Abouelhoda et al. 2004).
    let mut stack: Vec<(usize, usize)> = vec![(0, 0)];
    for i in 1..=n {
        let depth_here = lcp.get(i).map_or(0, |&d| d.max(0) as usize);
        let mut last_left = i - 1;
        while stack.last().is_some_and(|&(_, d)| depth_here < d) {
            let Some((left, depth)) = stack.pop() else { break };
            last_left = left;
            consider(left, i - 1, depth);
            if stack.last().is_some_and(|&(_, d)| depth_here > d) {
                stack.push((left, depth_here));
            }
        }
        if stack.last().is_some_and(|&(_, d)| depth_here > d) {
            stack.push((last_left, depth_here));
        }
    }

    let mut scored: Vec<(&[u8], f32)> = found
        .into_iter()
        .filter(|&(_, freq)| freq >= 2)
        .map(|(piece, freq)| {
            let chars = piece.iter().filter(|&&b| b & 0xC0 != 0x80).count();
            (piece, freq as f32 * chars as f32)
        })
        .collect();
    scored.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(b.0.len().cmp(&a.0.len())).then(a.0.cmp(b.0)));
    scored.truncate(seed_size);
    Ok(scored.into_iter().map(|(piece, score)| (piece.into(), score)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branching_substrings_weighted_by_word_counts() {
        let rules =
            PieceRules { max_chars: 16, split_by_unicode_script: true, split_by_number: true, split_digits: false };
        let words = [
            SeedWord { word: "▁abc".as_bytes(), line_end: false, count: 3 },
            SeedWord { word: "▁abd".as_bytes(), line_end: true, count: 2 },
        ];
        let seeds = frequent_substrings(&words, &rules, 100).unwrap();
        let get = |p: &str| seeds.iter().find(|s| &s.0[..] == p.as_bytes()).map(|s| s.1);
        // "▁ab" and "ab" branch (c / d) and occur 5 times; "bc" never branches.
        assert_eq!(get("▁ab"), Some(15.0));
        assert_eq!(get("ab"), Some(10.0));
        assert_eq!(get("bc"), None);
        assert_eq!(seeds[0].0[..], *"▁ab".as_bytes());
    }
}
