//! BPE: a word starts as one symbol per character (or per byte, with byte fallback) and is
//! merged pair by pair in the order of the file's merge list (see `merge`).
//!
//! The `model` object of an HF `tokenizer.json` with `"type": "BPE"`. Byte-level tokenizers
//! (GPT-2 and after) map bytes to printable characters before the model, so for them a
//! character is a byte; that mapping is the pre-tokenizer's job, not the model's.

mod atoms;
mod backtrack;
mod byte_level;
pub mod dropout;
mod merge;
mod merge_table;
mod pair_memo;
mod ranks;
mod substring_merge;

pub use merge::{merge_word, Merges, Symbol};
pub use ranks::merge_list;

pub use byte_level::BpeScratch;
use byte_level::ByteTables;

use crate::error::{Error, Result};
use crate::models::pair_cuts::{PairCuts, Unknowns};
use once_cell::race::OnceBox;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// A merge as files write it: `"a b"` (older files) or `["a", "b"]`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum MergeSpec {
    Joined(String),
    Pair(String, String),
}

/// Read by hand rather than as an untagged enum, which serde reads by buffering every merge
/// into a generic tree first (a tenth of loading a 200k-merge file).
impl<'de> Deserialize<'de> for MergeSpec {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = MergeSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a merge: a string \"a b\" or a pair of strings [\"a\", \"b\"]")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<MergeSpec, E> {
                Ok(MergeSpec::Joined(v.to_string()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> std::result::Result<MergeSpec, E> {
                Ok(MergeSpec::Joined(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<MergeSpec, A::Error> {
                use serde::de::Error;
                let a: String = seq.next_element()?.ok_or_else(|| A::Error::invalid_length(0, &self))?;
                let b: String = seq.next_element()?.ok_or_else(|| A::Error::invalid_length(1, &self))?;
                if seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
                    return Err(A::Error::invalid_length(3, &self));
                }
                Ok(MergeSpec::Pair(a, b))
            }
        }
        deserializer.deserialize_any(Visit)
    }
}

impl MergeSpec {
    fn parts(&self) -> Option<(&str, &str)> {
        match self {
            MergeSpec::Joined(s) => s.split_once(' ').filter(|(_, b)| !b.contains(' ')),
            MergeSpec::Pair(a, b) => Some((a, b)),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BpeSpec {
    #[serde(default)]
    pub dropout: Option<f32>,
    #[serde(default)]
    pub unk_token: Option<String>,
    #[serde(default)]
    pub continuing_subword_prefix: Option<String>,
    #[serde(default)]
    pub end_of_word_suffix: Option<String>,
    #[serde(default)]
    pub fuse_unk: bool,
    #[serde(default)]
    pub byte_fallback: bool,
    #[serde(default)]
    pub ignore_merges: bool,
    #[serde(serialize_with = "crate::models::serialize_vocab_by_id")]
    pub vocab: FxHashMap<String, u32>,
    pub merges: Vec<MergeSpec>,
    /// The merges are every split of a token into two tokens, ranked by the token (a model
    /// from ranks, see `ranks`): `merges` is left empty and written out only when saved.
    #[serde(skip)]
    pub merges_of_ranks: bool,
}

impl BpeSpec {
    /// A plain BPE: no unknown token, prefix, suffix, byte fallback or dropout.
    pub fn new(vocab: FxHashMap<String, u32>, merges: Vec<MergeSpec>, ignore_merges: bool) -> BpeSpec {
        BpeSpec {
            dropout: None,
            unk_token: None,
            continuing_subword_prefix: None,
            end_of_word_suffix: None,
            fuse_unk: false,
            byte_fallback: false,
            ignore_merges,
            vocab,
            merges,
            merges_of_ranks: false,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "BpeSpec", into = "BpeSpec")]
pub struct Bpe {
    spec: BpeSpec,
    merges: Merges,
    id_to_token: Vec<Option<String>>,
    /// The unknown token's id, or its name when the vocabulary lacks it.
    unk_id: Option<std::result::Result<u32, String>>,
    /// Ids of `<0x00>`..`<0xFF>` when byte fallback is on and all of them exist.
    byte_ids: Option<Vec<u32>>,
    /// Tables for byte-level input, built at load by `prepare_byte_level` (or on first use).
    /// OnceBox, not OnceLock: threads race to build it without a lock, so a child forked while
    /// another thread builds it does not wait forever on a thread that the fork did not copy.
    /// Shared by clones of the model, whose vocabulary and merges are the same.
    byte_level: std::sync::Arc<OnceBox<ByteTables>>,
    /// Names this model in a thread's word caches (see `word_cache`).
    owner: u64,
    /// Where a word may be cut into parts encoded alone (see `pair_cuts`), when the file allows
    /// it: built at load by `prepare_word_cuts` for text that is not byte-level (or on first
    /// use), never for byte-level tokenizers, which do not cut. OnceBox for the reason above.
    word_cuts: std::sync::Arc<OnceBox<Option<PairCuts>>>,
    /// BPE-dropout's probability (see `dropout`), when above 0, and the seed of its draws.
    dropout: Option<(f32, u64)>,
}

impl TryFrom<BpeSpec> for Bpe {
    type Error = String;
    fn try_from(spec: BpeSpec) -> std::result::Result<Self, String> {
        if let Some(p) = spec.dropout.filter(|p| !(0.0..=1.0).contains(p)) {
            return Err(format!("dropout: {p} is not a probability (0 to 1)"));
        }
        let prefix_len = spec.continuing_subword_prefix.as_ref().map_or(0, |p| p.len());
        // Resolving a merge to ids is independent of the others (hundreds of thousands of
        // string lookups for a large vocabulary): done on the pool, then inserted in rank order.
        let resolve =
            |merged: &mut String, rank: usize, m: &MergeSpec| -> std::result::Result<(u32, u32, u32), String> {
                let (a, b) = m.parts().ok_or_else(|| format!("merges[{rank}]: {m:?} is not a pair of tokens"))?;
                let id = |t: &str| {
                    spec.vocab
                        .get(t)
                        .copied()
                        .ok_or_else(|| format!("merges[{rank}]: token {t:?} is not in the vocabulary"))
                };
                // The merged token's name is built in a buffer reused across merges: an allocation
                // per merge was a third of resolving them.
                merged.clear();
                merged.push_str(a);
                merged.push_str(b.get(prefix_len..).filter(|_| prefix_len > 0).unwrap_or(b));
                Ok((id(a)?, id(b)?, id(merged)?))
            };
        let resolved: Vec<_> = crate::utils::parallel::run(|| {
            use rayon::prelude::*;
            spec.merges
                .par_iter()
                .enumerate()
                .map_init(String::new, |merged, (rank, m)| resolve(merged, rank, m))
                .collect()
        });
        let mut listed = Vec::with_capacity(resolved.len());
        for (rank, found) in resolved.into_iter().enumerate() {
            let (left, right, merged) = found?;
            listed.push((left, right, rank as u32, merged));
        }
        // A pair listed twice keeps its first (best) rank.
        let merges = Merges::build(listed);
        Bpe::with_merge_table(spec, merges)
    }
}

impl Bpe {
    /// The model of `spec` with its merges already resolved to ids.
    fn with_merge_table(spec: BpeSpec, merges: Merges) -> std::result::Result<Bpe, String> {
        let id_to_token = crate::models::ids_to_tokens(&spec.vocab)?;
        let spec_dropout = spec.dropout;
        // An unknown token missing from the vocabulary is accepted, as HF accepts it: the error
        // comes when a text needs it (see `initial_symbols`).
        let unk_id = spec.unk_token.as_ref().map(|u| spec.vocab.get(u).copied().ok_or_else(|| u.clone()));
        let byte_ids = if spec.byte_fallback {
            crate::models::byte_token_ids(|t| spec.vocab.get(t).copied()).into_iter().collect()
        } else {
            None
        };
        Ok(Bpe {
            spec,
            merges,
            id_to_token,
            unk_id,
            byte_ids,
            byte_level: Default::default(),
            owner: crate::models::piece_cache::next_owner(),
            word_cuts: Default::default(),
            dropout: None,
        }
        .with_dropout(spec_dropout, 0))
    }
}

/// What a character the vocabulary lacks becomes, for word cuts (see `pair_cuts`): bytes with
/// complete byte fallback, else the unknown token, fused in runs with `fuse_unk` (or nothing,
/// without an unknown token); alone either way unless a merge takes a byte token or the
/// unknown token as a half (which a file could list), or the merges are derived from ranks.
fn unknown_characters(spec: &BpeSpec, spells_bytes: bool) -> Unknowns {
    let is_byte_token = |t: &str| t.len() == 6 && t.starts_with("<0x") && t.ends_with('>');
    let unknown = spec.unk_token.as_deref();
    let merges_unknowns = spec.merges_of_ranks
        || spec
            .merges
            .iter()
            .any(|m| m.parts().is_none_or(|(a, b)| [a, b].iter().any(|t| is_byte_token(t) || Some(*t) == unknown)));
    match (merges_unknowns, spells_bytes || !spec.fuse_unk) {
        (true, _) => Unknowns::MayMerge,
        (false, true) => Unknowns::StandAlone,
        (false, false) => Unknowns::FuseInRuns,
    }
}

impl From<Bpe> for BpeSpec {
    fn from(b: Bpe) -> Self {
        let mut spec = b.spec;
        if spec.merges_of_ranks {
            spec.merges = ranks::merge_list_of_vocab(&spec.vocab);
            spec.merges_of_ranks = false;
        }
        spec
    }
}

impl Bpe {
    /// Calls `emit(id, start, end)` for each token of `word`, with byte offsets into `word`.
    pub fn tokenize(
        &self,
        word: &str,
        symbols: &mut Vec<Symbol>,
        mut emit: impl FnMut(u32, usize, usize),
    ) -> Result<()> {
        if word.is_empty() {
            return Ok(());
        }
        if self.spec.ignore_merges {
            if let Some(&id) = self.spec.vocab.get(word) {
                emit(id, 0, word.len());
                return Ok(());
            }
        }
        self.initial_symbols(word, symbols)?;
        match self.dropout {
            Some((p, _)) => dropout::merge_word(symbols, &self.merges, p),
            None => merge_word(symbols, &self.merges),
        }
        for s in symbols.iter() {
            emit(s.id, s.start as usize, s.end as usize);
        }
        Ok(())
    }

    /// One symbol per character (with the continuation prefix and end-of-word suffix the file
    /// asks for); unknown characters become bytes (byte fallback) or the unknown token, fused
    /// into one when `fuse_unk` says so, or are dropped when the file has no unknown token.
    fn initial_symbols(&self, word: &str, symbols: &mut Vec<Symbol>) -> Result<()> {
        symbols.clear();
        let mut pending_unk: Option<Symbol> = None;
        // The word cuts' table of one-character tokens answers without hashing a string; it
        // exists exactly when a symbol is its character alone (no prefix or suffix), and is
        // built at load for such models (`Model::prepare`), never for byte-level ones.
        let one_char_tokens = self.word_cuts.get().and_then(|cuts| cuts.as_ref());
        let mut key = String::new();
        let mut chars = word.char_indices().peekable();
        while let Some((start, c)) = chars.next() {
            let end = chars.peek().map_or(word.len(), |&(i, _)| i);
            key.clear();
            let found = match one_char_tokens {
                Some(table) => {
                    key.push(c);
                    table.token_id(c)
                }
                None => {
                    if start > 0 {
                        if let Some(p) = &self.spec.continuing_subword_prefix {
                            key.push_str(p);
                        }
                    }
                    key.push(c);
                    if end == word.len() {
                        if let Some(s) = &self.spec.end_of_word_suffix {
                            key.push_str(s);
                        }
                    }
                    self.spec.vocab.get(key.as_str()).copied()
                }
            };
            let (start, end) = (start as u32, end as u32);
            if let Some(id) = found {
                symbols.extend(pending_unk.take());
                symbols.push(Symbol { id, start, end });
                continue;
            }
            if let Some(bytes) = &self.byte_ids {
                symbols.extend(pending_unk.take());
                for (k, b) in key.bytes().enumerate() {
                    let at = (start + k as u32).min(end);
                    symbols.push(Symbol { id: bytes[b as usize], start: at, end: (at + 1).min(end) });
                }
                continue;
            }
            // Without an unknown token the file gives no way to say "unknown": HF drops the
            // character, and so do we, for parity.
            let unk = match &self.unk_id {
                None => continue,
                Some(Ok(unk)) => *unk,
                Some(Err(name)) => {
                    return Err(Error::InvalidArgument(format!(
                        "the text has a character the vocabulary lacks ({c:?}), and the unknown token {name:?} is not in the vocabulary either"
                    )))
                }
            };
            pending_unk = match pending_unk {
                Some(p) if self.spec.fuse_unk => Some(Symbol { end, ..p }),
                Some(p) => {
                    symbols.push(p);
                    Some(Symbol { id: unk, start, end })
                }
                None => Some(Symbol { id: unk, start, end }),
            };
        }
        symbols.extend(pending_unk);
        Ok(())
    }

    pub fn id_to_token(&self, id: u32) -> Option<&str> {
        self.id_to_token.get(id as usize).and_then(|t| t.as_deref())
    }

    pub fn owner(&self) -> u64 {
        self.owner
    }

    /// This model with BPE-dropout at probability `p` (none when `None` or 0) drawing from
    /// `seed`; saved files carry `p` as HF's `dropout`.
    pub fn with_dropout(mut self, p: Option<f32>, seed: u64) -> Bpe {
        self.spec.dropout = p;
        self.dropout = p.filter(|&p| p > 0.0).map(|p| (p, seed));
        // Tokens drawn at random must not be remembered as a word's encoding.
        self.owner = crate::models::piece_cache::next_owner();
        self
    }

    /// BPE-dropout's probability and seed, when it is on.
    pub fn dropout(&self) -> Option<(f32, u64)> {
        self.dropout
    }

    /// Where a word may be cut into parts encoded alone, if anywhere (see `pair_cuts`).
    pub fn word_cuts(&self) -> Option<&PairCuts> {
        self.word_cuts.get_or_init(|| Box::new(self.build_word_cuts())).as_ref()
    }

    /// Builds the word cuts now (at load), so that the first call is not slower than the next.
    pub fn prepare_word_cuts(&self) {
        self.word_cuts();
    }

    fn build_word_cuts(&self) -> Option<PairCuts> {
        let spec = &self.spec;
        // Cutting a word changes nothing only when a token's spelling does not depend on its
        // place in the word (no prefix or suffix) and merges alone decide (no whole-word lookup).
        // The vocabulary stands in for the merges' results (it holds them all, and more).
        (spec.continuing_subword_prefix.is_none() && spec.end_of_word_suffix.is_none() && !spec.ignore_merges).then(
            || {
                let tokens = spec.vocab.iter().map(|(t, &id)| (t.as_str(), id));
                PairCuts::build(tokens, unknown_characters(spec, self.byte_ids.is_some()))
            },
        )
    }

    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.spec.vocab.get(token).copied()
    }

    pub fn vocab(&self) -> &FxHashMap<String, u32> {
        &self.spec.vocab
    }

    pub fn id_bound(&self) -> usize {
        self.id_to_token.len()
    }

    pub fn from_spec(spec: BpeSpec) -> Result<Bpe> {
        Bpe::try_from(spec).map_err(|e| Error::Config(format!("model.{e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(vocab: &[&str], merges: &[&str]) -> BpeSpec {
        BpeSpec::new(
            vocab.iter().enumerate().map(|(i, t)| (t.to_string(), i as u32)).collect(),
            merges.iter().map(|m| MergeSpec::Joined(m.to_string())).collect(),
            false,
        )
    }

    fn run(b: &Bpe, word: &str) -> Vec<(u32, usize, usize)> {
        let mut out = Vec::new();
        b.tokenize(word, &mut Vec::new(), |id, s, e| out.push((id, s, e))).unwrap();
        out
    }

    #[test]
    fn merges_in_rank_order() {
        let b = Bpe::from_spec(spec(&["a", "b", "c", "ab", "bc", "abc"], &["b c", "a bc"])).unwrap();
        assert_eq!(run(&b, "abc"), vec![(5, 0, 3)]);
        assert_eq!(run(&b, "ab"), vec![(0, 0, 1), (1, 1, 2)]);
    }

    #[test]
    fn unknown_characters_fuse_when_asked() {
        let mut s = spec(&["<unk>", "a"], &[]);
        s.unk_token = Some("<unk>".into());
        s.fuse_unk = true;
        let b = Bpe::from_spec(s).unwrap();
        assert_eq!(run(&b, "xya"), vec![(0, 0, 2), (1, 2, 3)]);
    }

    #[test]
    fn byte_fallback_spells_unknown_characters_as_bytes() {
        let mut vocab: Vec<String> = (0..=255u8).map(|b| format!("<0x{b:02X}>")).collect();
        vocab.push("a".into());
        let refs: Vec<&str> = vocab.iter().map(String::as_str).collect();
        let mut s = spec(&refs, &[]);
        s.byte_fallback = true;
        let b = Bpe::from_spec(s).unwrap();
        assert_eq!(run(&b, "é"), vec![(0xC3, 0, 1), (0xA9, 1, 2)]);
    }

    #[test]
    fn a_dropout_that_is_not_a_probability_is_refused() {
        for p in [1.5, -0.1, f32::NAN] {
            let mut s = spec(&["a"], &[]);
            s.dropout = Some(p);
            let err = Bpe::from_spec(s).unwrap_err().to_string();
            assert!(err.starts_with("model.dropout"), "{err}");
        }
    }

    /// Only vocabularies whose characters come last index the merge grid through slots: a
    /// SentencePiece model converted to `tokenizer.json` does, byte-level ones do not.
    #[test]
    fn the_merge_grid_uses_slots_only_where_characters_come_last() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/tokenizers/");
        for (file, slots) in [
            ("gpt2/tokenizer.json", false),
            ("cl100k_base/tokenizer.json", false),
            ("sentencepiece/mistral_v1.legacy.tokenizer.json", true),
        ] {
            let json = std::fs::read_to_string(format!("{root}{file}")).unwrap();
            let crate::models::Model::Bpe(bpe) = crate::formats::hf_json::parse(&json).unwrap().model else {
                panic!("{file} is a BPE")
            };
            assert_eq!(bpe.merges.uses_slots(), slots, "{file}");
        }
    }
}
