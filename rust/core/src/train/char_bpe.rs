//! BPE over characters, with a continuing-subword prefix: what HF's `BpeTrainer` does on words
//! of any text (not byte-level), and what its `WordPieceTrainer` runs (prefix `##`).
//!
//! Ids: special tokens, then the alphabet (every character of the words, plus `initial_alphabet`,
//! at most `limit_alphabet` of them keeping the most frequent) in code point order, then the
//! prefixed forms of the characters that occur after a word's first character, then one token
//! per merge. A character left out of the alphabet is left out of its words, as in HF.
//!
//! One difference from HF, on purpose: HF numbers the prefixed characters in the order it meets
//! them while walking its hash map of words, which changes from run to run (and so can the merges
//! that tie on count, which HF breaks by ids: tokenizers #1794). Here they are numbered in code
//! point order, so a training run is reproducible (or in an order given, to reproduce one of HF's
//! runs: the tests do, and get HF's vocabulary exactly). Without a prefix there is no such step, and the
//! ids and merges are HF's exactly.

use super::bpe::{merge_loop, saved_merges, BpeTrainerOptions, OnMerge, TrainedBpe, Vocab, Words};
use super::word_counts::WordCounts;
use crate::error::{Error, Result};
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::BTreeSet;

/// The options of character-level training beyond `BpeTrainerOptions`.
#[derive(Debug, Clone, Default)]
pub struct CharOptions {
    /// Put before every symbol that does not start a word (`##` for WordPiece).
    pub continuing_subword_prefix: Option<String>,
    /// Most characters kept in the alphabet (the most frequent; the initial alphabet counts as
    /// the most frequent of all).
    pub limit_alphabet: Option<usize>,
    /// Characters in the alphabet whether or not the words hold them.
    pub initial_alphabet: Vec<char>,
    /// The order in which prefixed characters are numbered, before the rest (in code point
    /// order): HF's order of a past run, to reproduce it.
    pub prefixed_order: Vec<char>,
}

/// Trains a character-level BPE on `counts` (words as UTF-8).
pub fn train_chars(
    counts: &WordCounts,
    options: &BpeTrainerOptions,
    chars: &CharOptions,
    on_merge: OnMerge<'_>,
) -> Result<TrainedBpe> {
    let mut vocab = Vocab::default();
    let special_ids: Vec<u32> = options.special_tokens.iter().map(|s| vocab.id_of(s.clone(), 1)).collect();
    let words: Vec<(&str, u64)> = (counts.iter())
        .map(|(word, n)| {
            std::str::from_utf8(word)
                .map(|w| (w, n))
                .map_err(|_| Error::InvalidArgument("a word to train on is not UTF-8".into()))
        })
        .collect::<Result<_>>()?;
    let letters = alphabet(&words, chars);
    for &c in &letters {
        vocab.id_of(c.to_string(), 1);
    }
    let letters: FxHashSet<char> = letters.into_iter().collect();
    let in_alphabet = |c: char| letters.contains(&c);
    let prefix = chars.continuing_subword_prefix.as_deref().filter(|p| !p.is_empty());
    if let Some(prefix) = prefix {
        // The characters met after a word's first one, in code point order (see the module).
        let later: BTreeSet<char> =
            words.iter().flat_map(|(w, _)| w.chars().skip(1)).filter(|&c| in_alphabet(c)).collect();
        let given = chars.prefixed_order.iter().filter(|c| later.contains(c));
        for c in given.chain(&later) {
            vocab.id_of(format!("{prefix}{c}"), 1);
        }
    }
    let mut symbols = Words::default();
    let mut ids: Vec<u32> = Vec::new();
    for (word, count) in &words {
        ids.clear();
        for (k, c) in word.chars().enumerate() {
            let text = match prefix {
                Some(prefix) if k > 0 => format!("{prefix}{c}"),
                _ => c.to_string(),
            };
            // Characters outside the alphabet are dropped, and so are their prefixed forms.
            if in_alphabet(c) {
                if let Some(id) = vocab.get(&text) {
                    ids.push(id);
                }
            }
        }
        symbols.push(ids.iter().copied(), *count)?;
    }
    let merges = merge_loop(&mut vocab, symbols, prefix, options, on_merge)?;
    Ok(TrainedBpe { tokens: vocab.tokens, special_ids, merges: saved_merges(&merges) })
}

/// Trains a byte-level BPE with character options (a continuing-subword prefix, a limit on the
/// alphabet, more initial characters), as HF's `BpeTrainer` does on words of a ByteLevel
/// pre-tokenizer with `initial_alphabet=ByteLevel.alphabet()`: each word of `counts` (raw bytes)
/// becomes its byte-level characters, and the 256 of them are the initial alphabet.
pub fn train_byte_level_chars(
    counts: &WordCounts,
    options: &BpeTrainerOptions,
    chars: &CharOptions,
    on_merge: OnMerge<'_>,
) -> Result<TrainedBpe> {
    use crate::utils::byte_alphabet::byte_to_char;
    let mut mapped = WordCounts::new();
    let mut text = String::new();
    for (word, n) in counts.iter() {
        text.clear();
        text.extend(word.iter().map(|&b| byte_to_char(b)));
        mapped.add_word(text.as_bytes(), n);
    }
    let mut chars = chars.clone();
    chars.initial_alphabet.extend((0..=255u8).map(byte_to_char));
    train_chars(&mapped, options, &chars, on_merge)
}

/// The alphabet in code point order: the words' characters and the initial ones, cut to the
/// `limit_alphabet` most frequent (ties: the lower code point is kept).
fn alphabet(words: &[(&str, u64)], chars: &CharOptions) -> Vec<char> {
    let mut counts: FxHashMap<char, u64> = FxHashMap::default();
    for (word, n) in words {
        for c in word.chars() {
            let count = counts.entry(c).or_default();
            *count = count.saturating_add(*n);
        }
    }
    for &c in &chars.initial_alphabet {
        counts.insert(c, u64::MAX);
    }
    let mut kept: Vec<(char, u64)> = counts.into_iter().collect();
    if let Some(limit) = chars.limit_alphabet {
        if kept.len() > limit {
            kept.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            kept.truncate(limit);
        }
    }
    let mut alphabet: Vec<char> = kept.into_iter().map(|(c, _)| c).collect();
    alphabet.sort_unstable();
    alphabet
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(words: &[(&str, u64)]) -> WordCounts {
        let mut c = WordCounts::new();
        for (w, n) in words {
            c.add_word(w.as_bytes(), *n);
        }
        c
    }

    #[test]
    fn prefixed_merges_drop_the_inner_prefix() {
        let options = BpeTrainerOptions {
            vocab_size: 100,
            min_frequency: 0,
            special_tokens: vec!["[UNK]".into()],
            max_token_length: None,
        };
        let chars = CharOptions { continuing_subword_prefix: Some("##".into()), ..CharOptions::default() };
        let t = train_chars(&counts(&[("abab", 3), ("ba", 1)]), &options, &chars, &mut |_, _| Ok(())).unwrap();
        // [UNK], the alphabet a b, then ##a ##b (both occur after a first character).
        assert_eq!(&t.tokens[..5], ["[UNK]", "a", "b", "##a", "##b"]);
        // (a, ##b) occurs 6 times, then (ab, ##a) ... : merged texts lose the inner "##".
        assert_eq!(t.tokens[5], "ab");
        assert!(t.tokens.iter().all(|s| !s[1..].contains("##")), "{:?}", t.tokens);
    }

    #[test]
    fn the_alphabet_keeps_the_most_frequent_and_the_initial_characters() {
        let chars = CharOptions { limit_alphabet: Some(2), initial_alphabet: vec!['z'], ..CharOptions::default() };
        let words = [("aab", 5u64), ("c", 1)];
        assert_eq!(alphabet(&words, &chars), ['a', 'z']);
        let all = CharOptions::default();
        assert_eq!(alphabet(&words, &all), ['a', 'b', 'c']);
    }
}
