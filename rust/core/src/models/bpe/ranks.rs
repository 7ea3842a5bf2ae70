//! BPE from ranks (a `.tiktoken` file): a token's rank is its id and the rank of every merge
//! that makes it. The merge list is every split of a token into two tokens, in rank order.
//!
//! Loading builds the merge table straight from the ranks' bytes, by id: the list of merges as
//! strings (hundreds of thousands of them, two strings each) is written out only when the
//! tokenizer is saved as `tokenizer.json`. That list cost half the load time.

use super::{Bpe, BpeSpec, MergeSpec, Merges};
use crate::error::{Error, Result};
use crate::utils::byte_alphabet::{decode_chars, encode_bytes};
use crate::utils::parallel;
use rayon::prelude::*;
use rustc_hash::FxHashMap;

/// Tokens in rank order with, for each, the (left, right) splits into two tokens.
fn splits<'a, T: Send>(
    tokens: &'a [(Vec<u8>, u32)],
    split: impl Fn(&'a [u8], &'a [u8], u32, u32) -> T + Sync,
) -> Result<Vec<Vec<T>>> {
    let by_bytes: FxHashMap<&[u8], u32> = tokens.iter().map(|(b, r)| (b.as_slice(), *r)).collect();
    if by_bytes.len() != tokens.len() {
        return Err(Error::Config("a token appears twice".to_string()));
    }
    let mut ordered: Vec<&(Vec<u8>, u32)> = tokens.iter().collect();
    ordered.sort_by_key(|(_, r)| *r);
    let of_token = |bytes: &'a [u8]| -> Vec<T> {
        (1..bytes.len())
            .map(|cut| bytes.split_at(cut))
            .filter_map(|(a, b)| Some(split(a, b, *by_bytes.get(a)?, *by_bytes.get(b)?)))
            .collect()
    };
    Ok(parallel::run(|| ordered.par_iter().map(|(bytes, _)| of_token(bytes)).collect()))
}

/// The merge list of `ranks` as a file writes it.
pub fn merge_list(ranks: &[(Vec<u8>, u32)]) -> Result<Vec<MergeSpec>> {
    let per_token = splits(ranks, |a, b, _, _| MergeSpec::Pair(encode_bytes(a), encode_bytes(b)))?;
    Ok(per_token.concat())
}

impl Bpe {
    /// The byte-level BPE equivalent to `ranks`, with whole-piece lookup (`ignore_merges`), as
    /// tiktoken encodes.
    pub fn from_ranks(ranks: &[(Vec<u8>, u32)]) -> Result<Bpe> {
        let vocab: FxHashMap<String, u32> =
            parallel::run(|| ranks.par_iter().map(|(b, r)| (encode_bytes(b), *r)).collect());
        let mut spec = BpeSpec::new(vocab, Vec::new(), true);
        spec.merges_of_ranks = true;
        let per_token = splits(ranks, |_, _, left, right| (left, right))?;
        let mut merges = Merges::default();
        let mut rank = 0u32;
        for ((_, merged), pairs) in sorted_by_rank(ranks).into_iter().zip(per_token) {
            for (left, right) in pairs {
                merges.insert_first(left, right, rank, merged);
                rank += 1;
            }
        }
        Bpe::with_merge_table(spec, merges).map_err(|e| Error::Config(format!("model.{e}")))
    }
}

fn sorted_by_rank(ranks: &[(Vec<u8>, u32)]) -> Vec<(&[u8], u32)> {
    let mut ordered: Vec<(&[u8], u32)> = ranks.iter().map(|(b, r)| (b.as_slice(), *r)).collect();
    ordered.sort_by_key(|&(_, r)| r);
    ordered
}

/// The merge list of a model loaded by `from_ranks`, for writing it out.
pub(super) fn merge_list_of_vocab(vocab: &FxHashMap<String, u32>) -> Vec<MergeSpec> {
    let ranks: Vec<(Vec<u8>, u32)> = vocab.iter().filter_map(|(t, &id)| Some((decode_chars(t)?, id))).collect();
    merge_list(&ranks).unwrap_or_default()
}
