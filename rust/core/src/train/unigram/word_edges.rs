//! The lattice edges of every word under the seed pieces, found once. EM only ever removes
//! pieces, so a word's lattice in any later step is these edges less the pieces gone: looking
//! them up again in a trie of the current pieces at every step was most of the training time.
//! After each pruning the edges of removed pieces are dropped, so later steps read fewer.

use super::em::Words;
use super::lattice::{Pieces, GONE};
use crate::error::{Error, Result};
use crate::utils::parallel;

/// A piece occurring in a word: characters `start..end`, and which seed piece it is.
#[derive(Debug, Clone, Copy)]
pub(super) struct Edge {
    pub start: u16,
    pub end: u16,
    pub seed: u32,
}

pub(super) struct WordEdges {
    /// Per word, where its edges begin in `edges` (one more entry: the end).
    starts: Vec<usize>,
    /// Per word, its length in characters.
    chars: Vec<u16>,
    edges: Vec<Edge>,
}

impl WordEdges {
    /// The edges of each word under `seeds` (whose `list` indices are the seed indices), in
    /// order of start, shortest first, as a trie walk finds them.
    pub fn build(words: &Words, seeds: &Pieces) -> Result<WordEdges> {
        let piece_chars: Vec<u16> =
            seeds.list.iter().map(|p| p.0.iter().filter(|&&b| b & 0xC0 != 0x80).count() as u16).collect();
        let parts = parallel::map_chunks(words, |_, group| {
            let mut chars = Vec::with_capacity(group.len());
            let mut counts = Vec::with_capacity(group.len());
            let mut edges = Vec::new();
            let mut found = Vec::new();
            for &(word, _) in group {
                let before = edges.len();
                let mut begin = 0u32;
                for (at, &b) in word.iter().enumerate() {
                    if b & 0xC0 == 0x80 {
                        continue;
                    }
                    found.clear();
                    seeds.trie().prefixes(&word[at..], &mut found);
                    for &(index, _) in &found {
                        let end = begin + piece_chars[index as usize] as u32;
                        edges.push(Edge { start: begin as u16, end: end as u16, seed: seeds.list[index as usize].2 });
                    }
                    begin += 1;
                }
                let len = u16::try_from(begin).map_err(|_| {
                    Error::InvalidArgument(format!("a word of {begin} characters is too long to train on"))
                })?;
                chars.push(len);
                counts.push(edges.len() - before);
            }
            parallel::check_interrupt()?;
            Ok((chars, counts, edges))
        })?;
        let total: usize = parts.iter().map(|p| p.2.len()).sum();
        let mut all = WordEdges { starts: Vec::with_capacity(words.len() + 1), chars: Vec::new(), edges: Vec::new() };
        all.edges
            .try_reserve_exact(total)
            .map_err(|_| Error::OutOfMemory(format!("{total} lattice edges of the words (Unigram training)")))?;
        all.starts.push(0);
        for (chars, counts, edges) in parts {
            all.chars.extend(chars);
            for n in counts {
                let last = *all.starts.last().unwrap_or(&0);
                all.starts.push(last + n);
            }
            all.edges.extend(edges);
        }
        Ok(all)
    }

    /// Word `i`'s edges and its length in characters.
    pub fn word(&self, i: usize) -> (&[Edge], usize) {
        (&self.edges[self.starts[i]..self.starts[i + 1]], self.chars[i] as usize)
    }

    /// Drops the edges of seed pieces that are no longer pieces.
    pub fn compact(&mut self, pieces: &Pieces) {
        let mut write = 0;
        let mut read = 0;
        for w in 0..self.chars.len() {
            let end = self.starts[w + 1];
            self.starts[w] = write;
            while read < end {
                let edge = self.edges[read];
                if pieces.index_of_seed[edge.seed as usize] != GONE {
                    self.edges[write] = edge;
                    write += 1;
                }
                read += 1;
            }
        }
        if let Some(last) = self.starts.last_mut() {
            *last = write;
        }
        self.edges.truncate(write);
        self.edges.shrink_to_fit();
    }
}
