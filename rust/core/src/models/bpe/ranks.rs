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

/// Each token in rank order with its splits into two tokens, `split(left bytes, right bytes,
/// left id, right id)` of each.
fn splits<'a, T: Send>(
    tokens: &'a [(Vec<u8>, u32)],
    split: impl Fn(&'a [u8], &'a [u8], u32, u32) -> T + Sync,
) -> Result<Vec<(u32, Vec<T>)>> {
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
    Ok(parallel::run(|| ordered.par_iter().map(|(bytes, rank)| (*rank, of_token(bytes))).collect()))
}

/// The merge list of `ranks` as a file writes it.
pub fn merge_list(ranks: &[(Vec<u8>, u32)]) -> Result<Vec<MergeSpec>> {
    let per_token = splits(ranks, |a, b, _, _| MergeSpec::Pair(encode_bytes(a), encode_bytes(b)))?;
    Ok(per_token.into_iter().flat_map(|(_, merges)| merges).collect())
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
        let listed =
            per_token.into_iter().flat_map(|(merged, pairs)| pairs.into_iter().map(move |(l, r)| (l, r, merged)));
        let merges = Merges::build(listed.enumerate().map(|(rank, (l, r, merged))| (l, r, rank as u32, merged)));
        Bpe::with_merge_table(spec, merges).map_err(|e| Error::Config(format!("model.{e}")))
    }
}

/// The merge list of a model loaded by `from_ranks`, for writing it out.
pub(super) fn merge_list_of_vocab(vocab: &FxHashMap<String, u32>) -> Vec<MergeSpec> {
    let ranks: Vec<(Vec<u8>, u32)> = vocab.iter().filter_map(|(t, &id)| Some((decode_chars(t)?, id))).collect();
    merge_list(&ranks).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_ranks_encodes_and_saves_as_the_merge_list_says() {
        // Bytes, then tokens whose splits overlap: "ab" < "bc" < "abc" < "cab" < "abcab".
        let mut ranks: Vec<(Vec<u8>, u32)> = (0..=255u8).map(|b| (vec![b], b as u32)).collect();
        for (k, t) in ["ab", "bc", "abc", "cab", "abcab"].iter().enumerate() {
            ranks.push((t.as_bytes().to_vec(), 256 + k as u32));
        }
        let fast = Bpe::from_ranks(&ranks).unwrap();
        let vocab = ranks.iter().map(|(b, r)| (encode_bytes(b), *r)).collect();
        let listed = Bpe::from_spec(BpeSpec::new(vocab, merge_list(&ranks).unwrap(), true)).unwrap();
        let encode = |bpe: &Bpe, word: &str| {
            let mut ids = Vec::new();
            bpe.tokenize(word, &mut Vec::new(), |id, _, _| ids.push(id)).unwrap();
            ids
        };
        for word in ["abcab", "cabc", "bcabca", "aabbcc", "abcabcab", "cba"] {
            assert_eq!(encode(&fast, word), encode(&listed, word), "{word}");
        }
        // Saved, the model writes out the merge list it was built without.
        let saved = BpeSpec::from(fast);
        assert!(!saved.merges_of_ranks);
        assert_eq!(saved.merges, merge_list(&ranks).unwrap());
    }
}
