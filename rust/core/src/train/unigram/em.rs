//! The EM rounds of SentencePiece's Unigram trainer (sentencepiece 0.2.3, discrete pruning):
//! E step (expected uses of each piece over all words), M step (a Bayesian update that drops
//! pieces expected less than half a time), and pruning (drop the pieces whose loss to the
//! likelihood is smallest, keeping `shrinking_factor` of them), until the vocabulary is near
//! its size; then pieces no best path can reach are dropped and the vocabulary is cut to size.
//! Floating point follows the library's choices of `f32` and `f64` where they decide ties.

use super::lattice::{Entry, Lattice, Pieces};
use super::word_edges::WordEdges;
use crate::error::Result;
use crate::utils::parallel;
use rayon::prelude::*;

/// The words of the corpus with their counts, most frequent first.
pub(super) type Words<'a> = [(&'a [u8], u64)];

/// The digamma function as the library computes it (asymptotic series after a shift).
pub(super) fn digamma(mut x: f64) -> f64 {
    let mut result = 0.0;
    while x < 7.0 {
        result -= 1.0 / x;
        x += 1.0;
    }
    x -= 0.5;
    let xx = 1.0 / x;
    let xx2 = xx * xx;
    let xx4 = xx2 * xx2;
    result + x.ln() + xx2 / 24.0 - 7.0 / 960.0 * xx4 + 31.0 / 8064.0 * xx4 * xx2 - 127.0 / 30720.0 * xx4 * xx4
}

/// Runs `each(lattice, accumulator, word index, count)` over the words on the pool, the words
/// dealt round-robin as the library does, one accumulator of `width` per thread; returns their
/// sum.
fn sum_over_words(
    words: &Words,
    width: usize,
    each: impl Fn(&mut Lattice, &mut [f64], usize, u64) + Sync,
) -> Result<Vec<f64>> {
    let threads = parallel::num_threads().clamp(1, words.len().max(1));
    let parts: Vec<Result<Vec<f64>>> = parallel::run(|| {
        (0..threads)
            .into_par_iter()
            .map(|t| {
                let mut acc = vec![0.0f64; width];
                let mut lattice = Lattice::default();
                for (k, (i, &(_, count))) in words.iter().enumerate().skip(t).step_by(threads).enumerate() {
                    each(&mut lattice, &mut acc, i, count);
                    if k % 4096 == 4095 {
                        parallel::check_interrupt()?;
                    }
                }
                Ok(acc)
            })
            .collect()
    });
    let mut total = vec![0.0f64; width];
    for part in parts {
        for (t, x) in total.iter_mut().zip(part?) {
            *t += x;
        }
    }
    Ok(total)
}

/// E step: the expected uses of each piece, summed over the words with their counts.
pub(super) fn expected_counts(pieces: &Pieces, words: &Words, edges: &WordEdges) -> Result<Vec<f64>> {
    let probs: Vec<f64> = pieces.list.iter().map(|p| (p.1 as f64).exp()).collect();
    sum_over_words(words, pieces.len(), |lattice, acc, i, count| {
        let (word_edges, chars) = edges.word(i);
        lattice.from_edges(word_edges, chars, pieces);
        lattice.add_expected(count as f64, &probs, acc);
    })
}

/// M step: pieces expected at least half a time, scored digamma(count) - digamma(total).
pub(super) fn maximize(pieces: &Pieces, expected: &[f64]) -> Vec<Entry> {
    let mut kept = Vec::with_capacity(pieces.len());
    let mut sum = 0.0f32;
    for (piece, &e) in pieces.list.iter().zip(expected) {
        let freq = e as f32;
        if freq < 0.5 {
            continue;
        }
        kept.push((piece.0.clone(), freq, piece.2));
        sum += freq;
    }
    let log_sum = digamma(sum as f64) as f32;
    for piece in &mut kept {
        piece.1 = (digamma(piece.1 as f64) - log_sum as f64) as f32;
    }
    kept
}

/// How each piece would be segmented without itself: `None` to keep it whatever happens (no
/// other segmentation), `Some(empty)` when its own best path already splits it (it can go),
/// `Some(ids)` the pieces of its second-best path.
fn alternatives(pieces: &Pieces) -> Vec<Option<Vec<u32>>> {
    let mut lattice = Lattice::default();
    pieces
        .list
        .iter()
        .map(|(text, _, _)| {
            lattice.build(text, pieces);
            let paths = lattice.two_best();
            match paths.as_slice() {
                [best, second] if best.len() == 1 => {
                    Some(second.iter().map(|&n| lattice.nodes[n as usize].id).collect())
                }
                [_, _] => Some(Vec::new()),
                _ => None,
            }
        })
        .collect()
}

/// Pruning: drops pieces never on a best path and the ones whose removal costs the likelihood
/// least, down to `max(desired, shrinking_factor × size)`.
pub(super) fn prune(
    pieces: &Pieces,
    words: &Words,
    edges: &WordEdges,
    desired: usize,
    shrinking_factor: f32,
) -> Result<Vec<Entry>> {
    let alternatives = alternatives(pieces);
    let freq: Vec<f32> = sum_over_words(words, pieces.len(), |lattice, acc, i, count| {
        let (word_edges, chars) = edges.word(i);
        lattice.from_edges(word_edges, chars, pieces);
        let mut path = Vec::new();
        lattice.viterbi(&mut path);
        for &n in &path {
            acc[lattice.nodes[n as usize].id as usize] += count as f64;
        }
    })?
    .into_iter()
    .map(|f| f as f32)
    .collect();
    let sum = freq.iter().map(|&f| f as f64).sum::<f64>() as f32;
    let log_sum = (sum as f64).ln() as f32;
    let mut kept = Vec::new();
    let mut candidates: Vec<(usize, f32)> = Vec::new();
    for (i, alternative) in alternatives.iter().enumerate() {
        match alternative {
            _ if freq[i] == 0.0 => {}
            Some(alt) if alt.is_empty() => {}
            None => kept.push(pieces.list[i].clone()),
            Some(alt) => {
                let log_prob = ((freq[i] as f64).ln() - log_sum as f64) as f32;
                let log_sum_alt = ((sum + freq[i] * (alt.len() - 1) as f32) as f64).ln() as f32;
                let mut log_prob_alt = 0.0f32;
                for &n in alt {
                    log_prob_alt += (((freq[n as usize] + freq[i]) as f64).ln() - log_sum_alt as f64) as f32;
                }
                let share = freq[i] / sum;
                candidates.push((i, share * (log_prob - log_prob_alt)));
            }
        }
    }
    let pruned_size = desired.max((shrinking_factor * pieces.len() as f32) as usize);
    candidates.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    for (i, _) in candidates {
        // The library stops when the size is reached exactly (kept pieces may already exceed it).
        if kept.len() == pruned_size {
            break;
        }
        kept.push(pieces.list[i].clone());
    }
    Ok(kept)
}

/// Drops the pieces whose own text segments better without them (no best path uses them).
pub(super) fn reachable(pieces: &Pieces) -> Vec<Entry> {
    let mut lattice = Lattice::default();
    let mut path = Vec::new();
    let mut kept = Vec::with_capacity(pieces.len());
    for (i, (text, score, seed)) in pieces.list.iter().enumerate() {
        lattice.build(text, pieces);
        let len = lattice.len as u32;
        let Some(own) =
            lattice.nodes.iter().position(|n| !n.unknown && n.id == i as u32 && n.start == 0 && n.end == len)
        else {
            continue;
        };
        lattice.nodes[own].score = f32::NEG_INFINITY;
        let other = lattice.viterbi(&mut path);
        if !path.is_empty() && other > *score {
            continue;
        }
        kept.push((text.clone(), *score, *seed));
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digamma_matches_known_values() {
        // ψ(1) = -γ, ψ(0.5) = -γ - 2 ln 2.
        let gamma = 0.5772156649015329;
        assert!((digamma(1.0) + gamma).abs() < 1e-10);
        assert!((digamma(0.5) + gamma + 2.0 * 2f64.ln()).abs() < 1e-10);
    }

    #[test]
    fn m_step_drops_pieces_expected_under_half() {
        let pieces = Pieces::new(vec![(b"a".as_slice().into(), -1.0, 0), (b"b".as_slice().into(), -1.0, 1)], 2);
        let kept = maximize(&pieces, &[3.0, 0.4]);
        assert_eq!(kept.len(), 1);
        assert!((kept[0].1 as f64 - (digamma(3.0) - digamma(3.0))).abs() < 1e-6);
    }
}
