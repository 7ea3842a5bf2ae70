//! `.tiktoken` files: one `base64(token bytes) rank` per line, ranks doubling as ids.
//!
//! tiktoken merges the adjacent pair whose concatenation has the lowest rank. We express that
//! as an HF byte-level BPE: the vocabulary in the byte-level alphabet, one merge (a, b) for
//! every split of every token into two tokens, ordered by the rank of the whole, and
//! `ignore_merges` (tiktoken takes a piece that is itself a token as it is).

use crate::byte_level::encode_bytes;
use crate::error::{Error, Result};
use crate::models::bpe::{BpeSpec, MergeSpec};
use base64::Engine;
use rustc_hash::FxHashMap;

/// Ranks of a `.tiktoken` file, in file order.
pub fn parse_ranks(text: &str) -> Result<Vec<(Vec<u8>, u32)>> {
    let mut ranks = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |what: &str| Error::Config(format!("line {}: {what}: {line:?}", i + 1));
        let (token, rank) = line.split_once(' ').ok_or_else(|| bad("expected 'base64 rank'"))?;
        let bytes = base64::engine::general_purpose::STANDARD.decode(token).map_err(|_| bad("invalid base64"))?;
        let rank: u32 = rank.trim().parse().map_err(|_| bad("invalid rank"))?;
        ranks.push((bytes, rank));
    }
    if ranks.is_empty() {
        return Err(Error::Config("the file holds no tokens".to_string()));
    }
    Ok(ranks)
}

/// The byte-level BPE model equivalent to `ranks`.
pub fn bpe_spec(ranks: &[(Vec<u8>, u32)]) -> Result<BpeSpec> {
    let by_bytes: FxHashMap<&[u8], u32> = ranks.iter().map(|(b, r)| (b.as_slice(), *r)).collect();
    if by_bytes.len() != ranks.len() {
        return Err(Error::Config("a token appears twice".to_string()));
    }
    let mut ordered: Vec<&(Vec<u8>, u32)> = ranks.iter().collect();
    ordered.sort_by_key(|(_, r)| *r);
    let mut merges = Vec::new();
    for (bytes, _) in &ordered {
        for cut in 1..bytes.len() {
            let (a, b) = bytes.split_at(cut);
            if by_bytes.contains_key(a) && by_bytes.contains_key(b) {
                merges.push(MergeSpec::Pair(encode_bytes(a), encode_bytes(b)));
            }
        }
    }
    let vocab = ranks.iter().map(|(b, r)| (encode_bytes(b), *r)).collect();
    Ok(BpeSpec::new(vocab, merges, true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::Bpe;

    #[test]
    fn splits_become_merges_in_rank_order() {
        let text = "YQ== 0\nYg== 1\nYw== 2\nYmM= 3\nYWJj 4\n"; // a b c bc abc
        let ranks = parse_ranks(text).unwrap();
        let spec = bpe_spec(&ranks).unwrap();
        assert_eq!(
            spec.merges,
            vec![MergeSpec::Pair("b".into(), "c".into()), MergeSpec::Pair("a".into(), "bc".into())]
        );
        let bpe = Bpe::from_spec(spec).unwrap();
        let mut out = Vec::new();
        bpe.tokenize("abcb", &mut Vec::new(), |id, _, _| out.push(id)).unwrap();
        assert_eq!(out, vec![4, 1]);
    }

    #[test]
    fn bad_lines_say_where() {
        let err = parse_ranks("YQ== 0\nnot-base64! 1\n").unwrap_err().to_string();
        assert!(err.starts_with("line 2: invalid base64"), "{err}");
    }
}
