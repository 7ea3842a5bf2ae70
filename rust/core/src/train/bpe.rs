//! Byte-level BPE training: from word counts to a vocabulary and a merge list, exactly as HF
//! `tokenizers`' `BpeTrainer` computes them (with the 256 byte-level characters as its initial
//! alphabet), so that a team can switch trainers and get the same tokenizer.
//!
//! The algorithm is the classic one, and the order of merges is HF's: repeatedly merge the pair
//! of adjacent symbols with the highest count over all words (weighted by word counts), the
//! lowest pair of ids on ties. Ids: special tokens first, then the 256 byte characters sorted by
//! code point, then each merge's new token (a merge whose token text already exists reuses its
//! id and adds no token).
//!
//! Candidates sit in a max-heap with their counts at the time they were pushed and the words
//! they were seen in; an entry whose count is out of date is corrected and pushed back when it
//! reaches the top (counts only fall between pushes, so the top is then the true maximum). A
//! merge rewrites only the words of its entry and reports the pairs it removed and created; the
//! pairs whose count rose are pushed again with the words where they rose. Two details of HF's
//! bookkeeping decide merges on real corpora and are kept: a merge applies to the words of the
//! entry popped (not to every word holding the pair), so a pair can be merged twice (the merge
//! list HF saves keeps the later rank); and the merged pair's own count is not reset.
//!
//! Speed comes from the representation: all words' symbols in one array (a merge compacts a
//! word in place, no allocation), pairs packed in a `u64`, word lists as sorted `u32` vectors
//! rather than hash sets, one-symbol words left out (they hold no pair), and the counting pass
//! in `word_counts` done on the thread pool.

use super::word_counts::WordCounts;
use crate::error::{Error, Result};
use crate::utils::byte_alphabet::byte_to_char;
use rustc_hash::FxHashMap;
use std::collections::BinaryHeap;

/// What the trainer is asked for (HF `BpeTrainer`'s options of the same names).
#[derive(Debug, Clone)]
pub struct BpeTrainerOptions {
    /// Tokens in the final vocabulary, special tokens and the 256 bytes included; training also
    /// stops earlier when no pair occurs `min_frequency` times.
    pub vocab_size: usize,
    pub min_frequency: u64,
    /// Given the first ids, in order (a repeated one is kept once).
    pub special_tokens: Vec<String>,
    /// Longest token, in bytes (None: no limit), with HF's rule: a pair is only counted as a
    /// candidate when the two symbols together are *shorter* than this.
    pub max_token_length: Option<usize>,
}

/// A trained byte-level BPE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainedBpe {
    /// Every token by id: special tokens as given, the others as their byte-level text (the
    /// `vocab` keys of a `tokenizer.json`).
    pub tokens: Vec<String>,
    /// Ids of the special tokens, in the order given.
    pub special_ids: Vec<u32>,
    /// The merges in rank order, as HF saves them: a pair merged twice is listed once, at its
    /// later rank.
    pub merges: Vec<(u32, u32)>,
}

/// Reports progress: (merges done, merges at most).
pub type OnMerge<'a> = &'a mut dyn FnMut(usize, usize) -> Result<()>;

#[inline]
fn pair_key(left: u32, right: u32) -> u64 {
    (left as u64) << 32 | right as u64
}

#[inline]
fn pair_of(key: u64) -> (u32, u32) {
    ((key >> 32) as u32, key as u32)
}

/// A candidate merge: the pair, its count when pushed, and the words it was seen in.
#[derive(Debug, PartialEq, Eq)]
struct Candidate {
    count: u64,
    pair: u64,
    words: Vec<u32>,
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // Highest count first; on ties the lowest pair (left id, then right id).
        self.count.cmp(&other.count).then_with(|| other.pair.cmp(&self.pair))
    }
}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The vocabulary being built: token texts by id and ids by text.
#[derive(Default)]
pub(super) struct Vocab {
    pub(super) tokens: Vec<String>,
    ids: FxHashMap<String, u32>,
    /// Length of each token in characters of the words (a continuing-subword prefix does not
    /// count), for `max_token_length`.
    lens: Vec<usize>,
}

impl Vocab {
    /// The id of `text`, added as a new token of `len` characters if it is not one yet.
    pub(super) fn id_of(&mut self, text: String, len: usize) -> u32 {
        if let Some(&id) = self.ids.get(&text) {
            return id;
        }
        let id = self.tokens.len() as u32;
        self.lens.push(len);
        self.ids.insert(text.clone(), id);
        self.tokens.push(text);
        id
    }

    pub(super) fn get(&self, text: &str) -> Option<u32> {
        self.ids.get(text).copied()
    }

    pub(super) fn len(&self) -> usize {
        self.tokens.len()
    }
}

/// All words' symbols in one array: word `w` is `symbols[starts[w]..starts[w] + lens[w]]`.
#[derive(Default)]
pub(super) struct Words {
    symbols: Vec<u32>,
    starts: Vec<usize>,
    lens: Vec<u32>,
    counts: Vec<u64>,
}

impl Words {
    /// Adds a word of these symbols, `count` times; one of fewer than two symbols holds no pair
    /// and is left out.
    pub(super) fn push(&mut self, symbols: impl IntoIterator<Item = u32>, count: u64) -> Result<()> {
        let start = self.symbols.len();
        self.symbols.extend(symbols);
        if self.symbols.len() - start < 2 {
            self.symbols.truncate(start);
            return Ok(());
        }
        if self.starts.len() >= u32::MAX as usize {
            return Err(Error::InvalidArgument("more than 2^32 - 1 distinct words to train on".into()));
        }
        self.starts.push(start);
        self.lens.push((self.symbols.len() - start) as u32);
        self.counts.push(count);
        Ok(())
    }
}

/// Trains on `counts`; `on_merge` is called after each merge (it may stop training with an
/// error, e.g. on Ctrl-C).
pub fn train(counts: &WordCounts, options: &BpeTrainerOptions, on_merge: OnMerge<'_>) -> Result<TrainedBpe> {
    let mut vocab = Vocab::default();
    let special_ids: Vec<u32> = options.special_tokens.iter().map(|s| vocab.id_of(s.clone(), 1)).collect();
    // The byte-level characters in code point order, as HF sorts its alphabet.
    let mut alphabet: Vec<(char, u8)> = (0..=255u8).map(|b| (byte_to_char(b), b)).collect();
    alphabet.sort_unstable();
    let mut byte_id = [0u32; 256];
    for (c, b) in alphabet {
        byte_id[b as usize] = vocab.id_of(c.to_string(), 1);
    }
    let mut words = Words::default();
    for (word, count) in counts.iter() {
        words.push(word.iter().map(|&b| byte_id[b as usize]), count)?;
    }
    let merges = merge_loop(&mut vocab, words, None, options, on_merge)?;
    Ok(TrainedBpe { tokens: vocab.tokens, special_ids, merges: saved_merges(&merges) })
}

/// Merges until the vocabulary has `options.vocab_size` tokens or no pair is frequent enough;
/// returns every merge done with its token, in order. `prefix` is the continuing-subword prefix,
/// left out of a merged token's second part.
pub(super) fn merge_loop(
    vocab: &mut Vocab,
    mut words: Words,
    prefix: Option<&str>,
    options: &BpeTrainerOptions,
    on_merge: OnMerge<'_>,
) -> Result<Vec<(u64, u32)>> {
    let max_len = options.max_token_length.unwrap_or(usize::MAX);
    let (mut pair_counts, mut heap) = initial_candidates(&words);
    let budget = options.vocab_size.saturating_sub(vocab.len());
    // The budget comes from the caller and may be huge: reserve no more than the pairs there are.
    let mut merges: Vec<(u64, u32)> = Vec::with_capacity(budget.min(heap.len()));
    let mut rose: Vec<(u64, u32)> = Vec::new();
    while vocab.len() < options.vocab_size {
        let Some(mut top) = heap.pop() else { break };
        let current = pair_counts.get(&top.pair).copied().unwrap_or(0);
        if top.count != current as u64 {
            top.count = current as u64;
            heap.push(top);
            continue;
        }
        if top.count < 1 || options.min_frequency > top.count {
            break;
        }
        let (left, right) = pair_of(top.pair);
        let right_text = token(vocab, right)?;
        let right_text = prefix.and_then(|p| right_text.strip_prefix(p)).unwrap_or(right_text);
        let text = format!("{}{}", token(vocab, left)?, right_text);
        let len =
            vocab.lens.get(left as usize).copied().unwrap_or(0) + vocab.lens.get(right as usize).copied().unwrap_or(0);
        let merged = vocab.id_of(text, len);
        merges.push((top.pair, merged));

        rose.clear();
        for &w in &top.words {
            let count = words.counts.get(w as usize).copied().unwrap_or(0) as i64;
            merge_in_word(&mut words, w as usize, (left, right), merged, &vocab.lens, max_len, |pair, delta| {
                *pair_counts.entry(pair).or_default() += delta * count;
                if delta > 0 {
                    rose.push((pair, w));
                }
            });
        }
        push_risen(&mut rose, &pair_counts, &mut heap);
        on_merge(merges.len(), budget)?;
    }
    Ok(merges)
}

fn token(vocab: &Vocab, id: u32) -> Result<&str> {
    vocab.tokens.get(id as usize).map(String::as_str).ok_or_else(|| Error::OutOfRange(format!("token {id}")))
}

/// Counts of every adjacent pair, and a candidate for each pair that occurs, with all its words.
/// Two passes over the words (count, then place) fill each pair's word list in place: a list of
/// (pair, word) occurrences to sort would take four times the memory.
fn initial_candidates(words: &Words) -> (FxHashMap<u64, i64>, BinaryHeap<Candidate>) {
    // Per pair: its count, and (index, occurrences) for its word list.
    let mut pairs: FxHashMap<u64, (i64, u32, u32)> = FxHashMap::default();
    for_each_pair(words, |key, count, _| {
        let next = pairs.len() as u32;
        let entry = pairs.entry(key).or_insert((0, next, 0));
        entry.0 += count;
        entry.2 += 1;
    });
    let mut lists: Vec<Vec<u32>> = vec![Vec::new(); pairs.len()];
    for &(_, index, occurrences) in pairs.values() {
        lists[index as usize].reserve_exact(occurrences as usize);
    }
    for_each_pair(words, |key, _, w| {
        if let Some(&(_, index, _)) = pairs.get(&key) {
            let list = &mut lists[index as usize];
            // A word holding the pair twice is listed once (its occurrences are adjacent).
            if list.last() != Some(&w) {
                list.push(w);
            }
        }
    });
    let mut heap = BinaryHeap::with_capacity(pairs.len());
    let mut pair_counts = FxHashMap::with_capacity_and_hasher(pairs.len(), Default::default());
    for (key, (count, index, _)) in pairs {
        pair_counts.insert(key, count);
        if count > 0 {
            let mut list = std::mem::take(&mut lists[index as usize]);
            list.shrink_to_fit();
            heap.push(Candidate { count: count as u64, pair: key, words: list });
        }
    }
    (pair_counts, heap)
}

/// Calls `f(pair, word count, word)` for each adjacent pair of each word, in word order.
fn for_each_pair(words: &Words, mut f: impl FnMut(u64, i64, u32)) {
    for (w, (&start, &len)) in words.starts.iter().zip(&words.lens).enumerate() {
        let count = words.counts[w] as i64;
        for pair in words.symbols[start..start + len as usize].windows(2) {
            f(pair_key(pair[0], pair[1]), count, w as u32);
        }
    }
}

/// Pushes a candidate for each pair of `rose` (pair, word) whose count is positive, with its
/// words (sorted, each once); empties `rose`.
fn push_risen(rose: &mut Vec<(u64, u32)>, pair_counts: &FxHashMap<u64, i64>, heap: &mut BinaryHeap<Candidate>) {
    rose.sort_unstable();
    rose.dedup();
    for group in rose.chunk_by(|a, b| a.0 == b.0) {
        let pair = group[0].0;
        let count = pair_counts.get(&pair).copied().unwrap_or(0);
        if count > 0 {
            heap.push(Candidate { count: count as u64, pair, words: group.iter().map(|&(_, w)| w).collect() });
        }
    }
    rose.clear();
}

/// Merges every occurrence of `pair` in word `w`, left to right, into `merged`, and reports each
/// pair that lost (-1) or gained (+1) an occurrence, as HF's `Word::merge` does: a gained pair
/// is reported only when its two symbols are shorter than `max_len` together.
fn merge_in_word(
    words: &mut Words,
    w: usize,
    (left, right): (u32, u32),
    merged: u32,
    lens: &[usize],
    max_len: usize,
    mut change: impl FnMut(u64, i64),
) {
    let (Some(&start), Some(len)) = (words.starts.get(w), words.lens.get_mut(w)) else { return };
    let Some(word) = words.symbols.get_mut(start..start + *len as usize) else { return };
    let len_of = |id: u32| lens.get(id as usize).copied().unwrap_or(0);
    let merged_len = len_of(merged);
    let n = word.len();
    let (mut read, mut write) = (0, 0);
    while read < n {
        if word[read] == left && read + 1 < n && word[read + 1] == right {
            if write > 0 {
                let before = word[write - 1];
                change(pair_key(before, left), -1);
                if len_of(before) + merged_len < max_len {
                    change(pair_key(before, merged), 1);
                }
            }
            if read + 2 < n {
                let after = word[read + 2];
                change(pair_key(right, after), -1);
                if len_of(after) + merged_len < max_len {
                    change(pair_key(merged, after), 1);
                }
            }
            word[write] = merged;
            read += 2;
        } else {
            word[write] = word[read];
            read += 1;
        }
        write += 1;
    }
    *len = write as u32;
}

/// The merge list as HF writes it: by rank, a pair merged more than once at its last rank.
pub(super) fn saved_merges(merges: &[(u64, u32)]) -> Vec<(u32, u32)> {
    let mut last: FxHashMap<u64, usize> = FxHashMap::default();
    for (rank, &(pair, _)) in merges.iter().enumerate() {
        last.insert(pair, rank);
    }
    (merges.iter().enumerate())
        .filter(|&(rank, &(pair, _))| last.get(&pair) == Some(&rank))
        .map(|(_, &(pair, _))| pair_of(pair))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pretokenize::regex_split::Splitter;
    use crate::train::word_counts::WordSplit;

    fn trained(texts: &[&str], vocab_size: usize, max_token_length: Option<usize>) -> TrainedBpe {
        let mut counts = WordCounts::new();
        counts.add_texts(texts, &WordSplit::Pattern(Splitter::from_name("gpt2").unwrap())).unwrap();
        let options = BpeTrainerOptions { vocab_size, min_frequency: 0, special_tokens: vec![], max_token_length };
        train(&counts, &options, &mut |_, _| Ok(())).unwrap()
    }

    fn merge_texts(t: &TrainedBpe) -> Vec<(&str, &str)> {
        t.merges.iter().map(|&(a, b)| (t.tokens[a as usize].as_str(), t.tokens[b as usize].as_str())).collect()
    }

    #[test]
    fn merges_follow_counts_then_ids_left_to_right() {
        // Worked by hand: (a,a) and (a,b) both occur 3 times and 'a' < 'b'; "aaaa" merges left
        // to right into [aa, aa]; then three pairs occur once, taken by ids: 'Ġ' is below 256,
        // "aa" (256) was made before "ab" (257).
        let t = trained(&["aaaa", "abab ab"], 261, None);
        assert_eq!(merge_texts(&t), [("a", "a"), ("a", "b"), ("Ġ", "ab"), ("aa", "aa"), ("ab", "ab")]);
        assert_eq!(t.tokens.len(), 261);
        assert_eq!(&t.tokens[256..], ["aa", "ab", "Ġab", "aaaa", "abab"]);
    }

    #[test]
    fn max_token_length_keeps_pairs_of_that_length_out() {
        // HF's rule: a new pair is a candidate only when shorter than the limit, so with 3 no
        // token of 3 bytes is made, and the first merges (2 bytes) still are.
        let t = trained(&["abcabc abc"], 300, Some(3));
        assert!(t.tokens.iter().skip(256).all(|s| s.chars().count() == 2), "{:?}", &t.tokens[256..]);
        assert!(!t.merges.is_empty());
    }

    #[test]
    fn a_merge_popped_twice_is_saved_once_at_its_later_rank() {
        let merges = [(pair_key(1, 2), 10), (pair_key(3, 4), 11), (pair_key(1, 2), 10), (pair_key(5, 6), 12)];
        assert_eq!(saved_merges(&merges), [(3, 4), (1, 2), (5, 6)]);
    }
}
