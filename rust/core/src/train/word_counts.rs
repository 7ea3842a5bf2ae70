//! The first pass of training: how often each word (piece of the split pattern) occurs.
//!
//! A trainer never needs the corpus again, only this table, so a corpus larger than memory is
//! fed a batch at a time and memory grows with the number of *distinct* words, not with the text
//! (about 40 bytes per distinct word plus its bytes: the key, an 8-byte count, the hash table's
//! slot). A batch is counted on the thread pool: each thread counts its share of the documents
//! into a table of borrowed slices (no allocation per occurrence), and the tables are then
//! folded into the running one, which copies a word's bytes only the first time it is seen.

use crate::error::{Error, Result};
use crate::normalize::Normalizer;
use crate::pretokenize::regex_split::Splitter;
use crate::pretokenize::PreTokenizer;
use crate::tokenizer::normalized_text::Normalized;
use crate::train::unigram::SentencePieceWords;
use crate::utils::parallel;
use rustc_hash::FxHashMap;
use std::ops::Range;

/// How a text becomes words.
#[derive(Debug, Clone)]
pub enum WordSplit {
    /// The matches of a split pattern in the text as it is (byte-level BPE).
    Pattern(Splitter),
    /// The pieces of a `tokenizer.json` pre-tokenizer in the normalized text (WordPiece, BPE over
    /// characters).
    Pipeline { normalizer: Option<Box<Normalizer>>, pre_tokenizer: Box<PreTokenizer> },
    /// The words of SentencePiece's Unigram trainer: normalized lines cut before each `▁`,
    /// each word followed by a byte saying whether it ended its line.
    SentencePiece(Box<SentencePieceWords>),
}

/// Counts of the words of every text fed so far.
#[derive(Debug, Default, Clone)]
pub struct WordCounts {
    counts: FxHashMap<Box<[u8]>, u64>,
    /// Documents and bytes of text fed, for progress reports.
    documents: u64,
    text_bytes: u64,
}

impl WordCounts {
    pub fn new() -> WordCounts {
        WordCounts::default()
    }

    /// Splits each text into words and counts them (empty pieces are not words).
    pub fn add_texts<S: AsRef<str> + Sync>(&mut self, texts: &[S], split: &WordSplit) -> Result<()> {
        match split {
            WordSplit::Pattern(splitter) => self.add_split_texts(texts, splitter)?,
            WordSplit::Pipeline { normalizer, pre_tokenizer } => {
                self.add_pipeline_texts(texts, normalizer.as_deref(), pre_tokenizer)?
            }
            WordSplit::SentencePiece(words) => self.add_sentencepiece_texts(texts, words)?,
        }
        self.documents += texts.len() as u64;
        self.text_bytes += texts.iter().map(|t| t.as_ref().len() as u64).sum::<u64>();
        Ok(())
    }

    fn add_split_texts<S: AsRef<str> + Sync>(&mut self, texts: &[S], splitter: &Splitter) -> Result<()> {
        let parts = parallel::map_chunks(texts, |start, group| {
            let mut local: FxHashMap<&[u8], u64> = FxHashMap::default();
            let mut pieces: Vec<Range<usize>> = Vec::new();
            // The texts by index into `texts`, not through `group`, so that the words borrow
            // from the caller's texts and outlive this closure.
            for text in texts.iter().skip(start).take(group.len()) {
                let text = text.as_ref();
                pieces.clear();
                splitter
                    .try_split(text, &mut pieces)
                    .map_err(|e| Error::InvalidArgument(format!("the split pattern failed on a text: {e}")))?;
                for piece in &pieces {
                    if let Some(word) = text.as_bytes().get(piece.clone()).filter(|w| !w.is_empty()) {
                        *local.entry(word).or_default() += 1;
                    }
                }
                parallel::check_interrupt()?;
            }
            Ok(local)
        })?;
        for local in parts {
            self.merge_borrowed(local);
        }
        Ok(())
    }

    fn add_pipeline_texts<S: AsRef<str> + Sync>(
        &mut self,
        texts: &[S],
        normalizer: Option<&Normalizer>,
        pre_tokenizer: &PreTokenizer,
    ) -> Result<()> {
        let parts = parallel::map_chunks(texts, |_, group| {
            let mut local: FxHashMap<Box<[u8]>, u64> = FxHashMap::default();
            let (mut pieces, mut scratch) = (Vec::new(), Vec::new());
            for text in group {
                let normalized;
                let text = match normalizer {
                    Some(n) => {
                        normalized = n.normalize_str(text.as_ref());
                        normalized.as_str()
                    }
                    None => text.as_ref(),
                };
                pieces.clear();
                pieces.push(0..text.len());
                pre_tokenizer.split(text, &mut pieces, &mut scratch)?;
                for piece in &pieces {
                    let Some(word) = text.as_bytes().get(piece.clone()).filter(|w| !w.is_empty()) else { continue };
                    match local.get_mut(word) {
                        Some(count) => *count += 1,
                        None => {
                            local.insert(word.into(), 1);
                        }
                    }
                }
                parallel::check_interrupt()?;
            }
            Ok(local)
        })?;
        for local in parts {
            // Owned words move into the table as they are (no second copy).
            for (word, n) in local {
                *self.counts.entry(word).or_default() += n;
            }
        }
        Ok(())
    }

    fn add_sentencepiece_texts<S: AsRef<str> + Sync>(&mut self, texts: &[S], words: &SentencePieceWords) -> Result<()> {
        let parts = parallel::map_chunks(texts, |_, group| {
            let mut local: FxHashMap<Box<[u8]>, u64> = FxHashMap::default();
            let (mut normalized, mut key) = (Normalized::new("", 0, false), Vec::new());
            for text in group {
                words.for_each_word(text.as_ref(), &mut normalized, &mut key, |word| match local.get_mut(word) {
                    Some(count) => *count += 1,
                    None => {
                        local.insert(word.into(), 1);
                    }
                });
                parallel::check_interrupt()?;
            }
            Ok(local)
        })?;
        for local in parts {
            for (word, n) in local {
                *self.counts.entry(word).or_default() += n;
            }
        }
        Ok(())
    }

    fn merge_borrowed(&mut self, local: FxHashMap<&[u8], u64>) {
        for (word, n) in local {
            self.add_word(word, n);
        }
    }

    /// Adds a word `n` more times (counts given by the caller, e.g. from a saved table).
    pub fn add_word(&mut self, word: &[u8], n: u64) {
        if word.is_empty() || n == 0 {
            return;
        }
        match self.counts.get_mut(word) {
            Some(count) => *count += n,
            None => {
                self.counts.insert(word.into(), n);
            }
        }
    }

    /// Number of distinct words.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    pub fn documents(&self) -> u64 {
        self.documents
    }

    pub fn text_bytes(&self) -> u64 {
        self.text_bytes
    }

    /// Bytes held by the distinct words themselves (the table adds about 40 per word).
    pub fn word_bytes(&self) -> usize {
        self.counts.keys().map(|w| w.len()).sum()
    }

    /// The words and their counts, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], u64)> {
        self.counts.iter().map(|(w, &n)| (&w[..], n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_pieces_across_batches_and_threads() {
        let splitter = WordSplit::Pattern(Splitter::from_name("gpt2").unwrap());
        let mut counts = WordCounts::new();
        counts.add_texts(&["the cat and the hat", "", "the end"], &splitter).unwrap();
        counts.add_texts(&[String::from("hat hat")], &splitter).unwrap();
        let get = |counts: &WordCounts, w: &str| counts.iter().find(|(k, _)| *k == w.as_bytes()).map(|(_, n)| n);
        assert_eq!(get(&counts, "the"), Some(2));
        assert_eq!(get(&counts, " the"), Some(1));
        assert_eq!(get(&counts, " hat"), Some(2));
        assert_eq!(get(&counts, "hat"), Some(1));
        assert_eq!(get(&counts, " end"), Some(1));
        assert_eq!(counts.len(), 7);
        assert_eq!(counts.documents(), 4);
        counts.add_word(b" end", 4);
        counts.add_word(b"", 9);
        assert_eq!(get(&counts, " end"), Some(5));
        assert_eq!(counts.len(), 7);
    }
}
