//! The lattice of one word under the current pieces, as SentencePiece's trainer builds it: at
//! every character, a node for each piece that starts there, and an unknown node of one
//! character where no one-character piece does. On it: the expected count of each piece
//! (forward-backward), the best path (Viterbi) and the two best paths.

use super::word_edges::Edge;
use crate::models::trie::Trie;
use std::sync::OnceLock;

/// What an unknown node scores below the lowest piece (the library's `kUnkPenalty`).
const UNKNOWN_PENALTY: f32 = 10.0;
/// A path's probability stays a normal `f64` while its log is above this; longer words are
/// summed in the log domain.
const LINEAR_LOG_FLOOR: f64 = -690.0;

/// A piece: its text, score (log probability) and index among the seed pieces (which names it
/// in the words' edges, see `word_edges`).
pub(super) type Entry = (Box<[u8]>, f32, u32);

/// Marks a seed piece that is no longer a piece.
pub(super) const GONE: u32 = u32::MAX;

/// The current pieces, in the order the trainer keeps.
pub(super) struct Pieces {
    pub list: Vec<Entry>,
    /// Per seed piece, its index in `list`, or `GONE`.
    pub index_of_seed: Vec<u32>,
    /// Built when a lattice of a piece's own text needs it (pruning), not for every EM step.
    trie: OnceLock<Trie>,
    min_score: f32,
}

impl Pieces {
    /// `seeds`: how many seed pieces there were (the bound of the seed indices in `list`).
    pub fn new(list: Vec<Entry>, seeds: usize) -> Pieces {
        let min_score = list.iter().map(|p| p.1).fold(f32::MAX, f32::min);
        let mut index_of_seed = vec![GONE; seeds];
        for (i, p) in list.iter().enumerate() {
            if let Some(slot) = index_of_seed.get_mut(p.2 as usize) {
                *slot = i as u32;
            }
        }
        Pieces { list, index_of_seed, trie: OnceLock::new(), min_score }
    }

    /// The pieces as a trie, values their indices in `list`.
    pub fn trie(&self) -> &Trie {
        self.trie.get_or_init(|| Trie::build(self.list.iter().enumerate().map(|(i, p)| (&p.0[..], i as u32))))
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn min_score(&self) -> f32 {
        self.min_score
    }

    fn unknown_score(&self) -> f32 {
        self.min_score - UNKNOWN_PENALTY
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Node {
    pub start: u32,
    pub end: u32,
    /// The piece's index; an unknown node has index 0, as in the library (whose trainer's model
    /// has no unknown piece, so its unknown id 0 names the first piece).
    pub id: u32,
    pub score: f32,
    pub unknown: bool,
}

/// Buffers for the lattices of one thread, reused word after word.
#[derive(Default)]
pub(super) struct Lattice {
    pub nodes: Vec<Node>,
    /// Characters in the word.
    pub len: usize,
    char_at_byte: Vec<u32>,
    found: Vec<(u32, u32)>,
    alpha: Vec<f64>,
    beta: Vec<f64>,
    best: Vec<(f32, u32)>,
    best2: Vec<[(f32, u32, u8); 2]>,
    best2_len: Vec<u8>,
}

impl Lattice {
    /// Fills the nodes of a word from its edges under the seed pieces (those still pieces),
    /// in the order `build` gives.
    pub fn from_edges(&mut self, edges: &[Edge], chars: usize, pieces: &Pieces) {
        self.nodes.clear();
        self.len = chars;
        let unknown_score = pieces.unknown_score();
        let mut e = 0;
        for begin in 0..chars as u32 {
            let mut has_single = false;
            while let Some(edge) = edges.get(e).filter(|edge| edge.start as u32 == begin) {
                e += 1;
                let id = pieces.index_of_seed[edge.seed as usize];
                if id == GONE {
                    continue;
                }
                let end = edge.end as u32;
                has_single |= end == begin + 1;
                self.nodes.push(Node { start: begin, end, id, score: pieces.list[id as usize].1, unknown: false });
            }
            if !has_single {
                self.nodes.push(Node { start: begin, end: begin + 1, id: 0, score: unknown_score, unknown: true });
            }
        }
    }

    /// Fills the nodes of `word` (UTF-8) under `pieces`, in order of start.
    pub fn build(&mut self, word: &[u8], pieces: &Pieces) {
        self.nodes.clear();
        self.char_at_byte.clear();
        self.char_at_byte.resize(word.len() + 1, u32::MAX);
        let mut chars = 0u32;
        for (i, &b) in word.iter().enumerate() {
            if b & 0xC0 != 0x80 {
                self.char_at_byte[i] = chars;
                chars += 1;
            }
        }
        self.char_at_byte[word.len()] = chars;
        self.len = chars as usize;
        let unknown_score = pieces.unknown_score();
        for start in 0..word.len() {
            let begin = self.char_at_byte[start];
            if begin == u32::MAX {
                continue;
            }
            self.found.clear();
            pieces.trie().prefixes(&word[start..], &mut self.found);
            let mut has_single = false;
            for &(id, len) in &self.found {
                let end = self.char_at_byte.get(start + len as usize).copied().unwrap_or(u32::MAX);
                if end == u32::MAX {
                    continue; // a piece ending inside a character cannot be (pieces are whole characters)
                }
                has_single |= end == begin + 1;
                let score = pieces.list.get(id as usize).map_or(unknown_score, |p| p.1);
                self.nodes.push(Node { start: begin, end, id, score, unknown: false });
            }
            if !has_single {
                self.nodes.push(Node { start: begin, end: begin + 1, id: 0, score: unknown_score, unknown: true });
            }
        }
        // Nodes are in order of start, as the tie rules need (within a start the order
        // does not matter: those nodes end at different characters).
    }

    /// Adds `count` times the expected number of uses of each piece to `expected` (by index),
    /// and returns log Z, the log of the word's total probability.
    pub fn add_expected(&mut self, count: f64, probs: &[f64], expected: &mut [f64]) -> f64 {
        let len = self.len;
        let lowest = self.nodes.iter().map(|n| n.score).fold(0.0f32, f32::min) as f64;
        if lowest * len as f64 > LINEAR_LOG_FLOOR {
            self.add_expected_linear(count, probs, expected)
        } else {
            self.add_expected_log(count, expected)
        }
    }

    fn prob(node: &Node, probs: &[f64]) -> f64 {
        if node.unknown {
            (node.score as f64).exp()
        } else {
            probs[node.id as usize]
        }
    }

    fn add_expected_linear(&mut self, count: f64, probs: &[f64], expected: &mut [f64]) -> f64 {
        let len = self.len;
        self.alpha.clear();
        self.alpha.resize(len + 1, 0.0);
        self.beta.clear();
        self.beta.resize(len + 1, 0.0);
        self.alpha[0] = 1.0;
        for node in &self.nodes {
            self.alpha[node.end as usize] += self.alpha[node.start as usize] * Self::prob(node, probs);
        }
        self.beta[len] = 1.0;
        for node in self.nodes.iter().rev() {
            self.beta[node.start as usize] += self.beta[node.end as usize] * Self::prob(node, probs);
        }
        let z = self.alpha[len];
        let scale = count / z;
        for node in &self.nodes {
            let through = self.alpha[node.start as usize] * Self::prob(node, probs) * self.beta[node.end as usize];
            expected[node.id as usize] += through * scale;
        }
        z.ln()
    }

    fn add_expected_log(&mut self, count: f64, expected: &mut [f64]) -> f64 {
        let len = self.len;
        let add = |x: f64, y: f64| {
            if x == f64::NEG_INFINITY {
                return y;
            }
            let (lo, hi) = if x < y { (x, y) } else { (y, x) };
            hi + (lo - hi).exp().ln_1p()
        };
        self.alpha.clear();
        self.alpha.resize(len + 1, f64::NEG_INFINITY);
        self.beta.clear();
        self.beta.resize(len + 1, f64::NEG_INFINITY);
        self.alpha[0] = 0.0;
        for node in &self.nodes {
            let (s, e) = (node.start as usize, node.end as usize);
            self.alpha[e] = add(self.alpha[e], self.alpha[s] + node.score as f64);
        }
        self.beta[len] = 0.0;
        for node in self.nodes.iter().rev() {
            let (s, e) = (node.start as usize, node.end as usize);
            self.beta[s] = add(self.beta[s], self.beta[e] + node.score as f64);
        }
        let z = self.alpha[len];
        for node in &self.nodes {
            let (s, e) = (node.start as usize, node.end as usize);
            expected[node.id as usize] += count * (self.alpha[s] + node.score as f64 + self.beta[e] - z).exp();
        }
        z
    }

    /// The best path's nodes (indices into `nodes`) into `path`, and its score. Scores add in
    /// `f32`; of equal paths into a position, the one whose last node starts first wins.
    pub fn viterbi(&mut self, path: &mut Vec<u32>) -> f32 {
        let len = self.len;
        self.best.clear();
        self.best.resize(len + 1, (f32::NEG_INFINITY, u32::MAX));
        self.best[0] = (0.0, u32::MAX);
        for (i, node) in self.nodes.iter().enumerate() {
            let (s, e) = (node.start as usize, node.end as usize);
            let score = self.best[s].0 + node.score;
            if self.best[e].1 == u32::MAX || score > self.best[e].0 {
                self.best[e] = (score, i as u32);
            }
        }
        path.clear();
        let mut at = len;
        while at > 0 {
            let node = self.best[at].1;
            path.push(node);
            at = self.nodes[node as usize].start as usize;
        }
        path.reverse();
        self.best[len].0
    }

    /// The two best paths (fewer if the lattice has only one), best first, as lists of nodes.
    pub fn two_best(&mut self) -> Vec<Vec<u32>> {
        let len = self.len;
        const NO: u32 = u32::MAX;
        self.best2.clear();
        self.best2.resize(len + 1, [(f32::NEG_INFINITY, NO, 0); 2]);
        self.best2_len.clear();
        self.best2_len.resize(len + 1, 0);
        self.best2[0][0] = (0.0, NO, 0);
        self.best2_len[0] = 1;
        for (i, node) in self.nodes.iter().enumerate() {
            let (s, e) = (node.start as usize, node.end as usize);
            for rank in 0..self.best2_len[s] {
                let entry = (self.best2[s][rank as usize].0 + node.score, i as u32, rank);
                let (slots, filled) = (&mut self.best2[e], &mut self.best2_len[e]);
                if *filled == 0 || entry.0 > slots[0].0 {
                    slots[1] = slots[0];
                    slots[0] = entry;
                    *filled = (*filled + 1).min(2);
                } else if *filled == 1 || entry.0 > slots[1].0 {
                    slots[1] = entry;
                    *filled = 2;
                }
            }
        }
        (0..self.best2_len[len])
            .map(|rank| {
                let mut path = Vec::new();
                let (mut at, mut rank) = (len, rank);
                while at > 0 {
                    let (_, node, prev_rank) = self.best2[at][rank as usize];
                    path.push(node);
                    at = self.nodes[node as usize].start as usize;
                    rank = prev_rank;
                }
                path.reverse();
                path
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(list: &[(&str, f32)]) -> Pieces {
        Pieces::new(
            list.iter().enumerate().map(|(i, (t, s))| (t.as_bytes().into(), *s, i as u32)).collect(),
            list.len(),
        )
    }

    #[test]
    fn expected_counts_sum_the_paths_and_both_domains_agree() {
        let p = pieces(&[("a", -1.0), ("b", -2.0), ("ab", -2.5)]);
        let probs: Vec<f64> = p.list.iter().map(|x| (x.1 as f64).exp()).collect();
        let mut lattice = Lattice::default();
        lattice.build(b"ab", &p);
        let mut linear = vec![0.0; 3];
        let z = lattice.add_expected_linear(2.0, &probs, &mut linear);
        // Paths: a+b (e^-3) and ab (e^-2.5).
        let (split, whole) = ((-3.0f64).exp(), (-2.5f64).exp());
        assert!((z - (split + whole).ln()).abs() < 1e-12);
        assert!((linear[2] - 2.0 * whole / (split + whole)).abs() < 1e-12);
        assert!((linear[0] - 2.0 * split / (split + whole)).abs() < 1e-12);
        let mut logged = vec![0.0; 3];
        lattice.add_expected_log(2.0, &mut logged);
        for (x, y) in linear.iter().zip(&logged) {
            assert!((x - y).abs() < 1e-12);
        }
        let mut path = Vec::new();
        assert_eq!(lattice.viterbi(&mut path), -2.5);
        assert_eq!(path.len(), 1);
        let two = lattice.two_best();
        assert_eq!(two.iter().map(Vec::len).collect::<Vec<_>>(), [1, 2]);
    }

    #[test]
    fn a_character_no_piece_covers_is_an_unknown_node() {
        let p = pieces(&[("a", -1.0), ("b", -2.0)]);
        let mut lattice = Lattice::default();
        lattice.build("aé".as_bytes(), &p);
        assert_eq!(lattice.len, 2);
        let unknown = lattice.nodes.iter().find(|n| n.unknown).unwrap();
        assert_eq!((unknown.start, unknown.end, unknown.id, unknown.score), (1, 2, 0, -12.0));
    }
}
