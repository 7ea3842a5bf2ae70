//! BPE-dropout (Provilkov et al., 2020): while merging a word, each candidate merge is skipped
//! with probability `p`, so a word gets one of its coarser segmentations, a regularizer for
//! training. As in HF: the lowest-ranked (then leftmost) candidate is drawn; a skipped one waits
//! and comes back into play when the next candidate is not skipped; with `p = 1` no merge
//! happens.
//!
//! HF draws from an unseeded generator. Here the draws are reproducible: the generator of a
//! thread is reseeded from (seed, text) when a text starts (`reseed`), and one text is always
//! encoded in order on one thread, so the same seed gives the same tokens for the same text,
//! in any batch and any number of threads. Change the seed (per epoch, say) to draw others.

use super::merge::{Merges, Symbol};
use std::cell::Cell;
use std::hash::{Hash, Hasher};

thread_local! {
    static STATE: Cell<u64> = const { Cell::new(0x9E37_79B9_7F4A_7C15) };
}

/// Starts the draws for `text` under `seed`.
pub fn reseed(seed: u64, text: &str) {
    let mut h = rustc_hash::FxHasher::default();
    seed.hash(&mut h);
    text.hash(&mut h);
    STATE.with(|s| s.set(h.finish()));
}

/// A uniform draw in [0, 1) (SplitMix64, 24 bits of mantissa).
fn draw() -> f32 {
    STATE.with(|s| {
        let mut z = s.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        s.set(z);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 40) as f32 / (1u64 << 24) as f32
    })
}

/// Merges `symbols` in place, skipping each candidate merge with probability `p`.
pub fn merge_word(symbols: &mut Vec<Symbol>, merges: &Merges, p: f32) {
    super::merge::merge_by_heap_skipping(symbols, merges, || draw() < p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(ids: &[u32]) -> Vec<Symbol> {
        ids.iter().enumerate().map(|(i, &id)| Symbol { id, start: i as u32, end: i as u32 + 1 }).collect()
    }

    fn merges() -> Merges {
        // a b -> ab (10), ab c -> abc (11), b c -> bc (12)
        Merges::build(vec![(1, 2, 0, 10), (10, 3, 1, 11), (2, 3, 2, 12)])
    }

    #[test]
    fn no_dropout_merges_fully_and_full_dropout_not_at_all() {
        let mut w = word(&[1, 2, 3]);
        merge_word(&mut w, &merges(), 0.0);
        assert_eq!(w.iter().map(|s| s.id).collect::<Vec<_>>(), [11]);
        let mut w = word(&[1, 2, 3]);
        merge_word(&mut w, &merges(), 1.0);
        assert_eq!(w.iter().map(|s| s.id).collect::<Vec<_>>(), [1, 2, 3]);
    }

    #[test]
    fn the_same_seed_and_text_draw_the_same_and_others_differ() {
        let draws = |seed: u64, text: &str| {
            reseed(seed, text);
            (0..64).map(|_| draw()).collect::<Vec<f32>>()
        };
        assert_eq!(draws(7, "text"), draws(7, "text"));
        assert_ne!(draws(7, "text"), draws(8, "text"));
        assert_ne!(draws(7, "text"), draws(7, "other"));
        let many = draws(1, "x").into_iter().chain(draws(2, "x")).collect::<Vec<_>>();
        assert!(many.iter().all(|d| (0.0..1.0).contains(d)));
        let mean = many.iter().sum::<f32>() / many.len() as f32;
        assert!((0.35..0.65).contains(&mean), "{mean}");
    }
}
