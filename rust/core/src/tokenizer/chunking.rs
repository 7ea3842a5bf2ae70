//! Cutting long texts into independent chunks, so that huge documents run as fast per byte
//! as small ones.
//!
//! Processing a 10 MB document as one piece materialises megabytes of normalized text and
//! word ranges, which evict the vocabulary trie from the CPU caches and made tokenization
//! three times slower per byte than on 10 KB documents. When the pipeline is *local* (no
//! normalization or added-token match crosses ASCII whitespace, and the pre-tokenizer always
//! splits there) cutting the text at ASCII whitespace cannot change any token, so we feed it
//! in chunks of about `TARGET` bytes. With BERT's pre-tokenizer, which isolates every
//! punctuation character, a cut right before ASCII punctuation is safe too: no normalization
//! form composes a character with a following ASCII punctuation mark.
//!
//! Byte-level pipelines (GPT-2 and after) cannot be cut this way, since their split patterns
//! attach white space to the next word; they get the same cache benefit one level down, where the
//! known split patterns are scanned a block of pieces at a time (`SCAN_ABOVE` in `tokenizer.rs`).

use crate::normalize::Normalizer;
use crate::pretokenize::PreTokenizer;
use crate::tokenizer::added_vocab::AddedVocabulary;
use std::ops::Range;

/// Size a chunk grows to before we look for a cut; small enough to stay in L2 cache.
const TARGET: usize = 8 * 1024;

/// Bytes the search for a cut looks at together: a block with no candidate is skipped whole.
const BLOCK: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkPolicy {
    cut_before_punctuation: bool,
}

impl ChunkPolicy {
    /// Whether a cut right before byte `b` changes no token. ASCII bytes never occur inside a
    /// multi-byte UTF-8 sequence, so such a cut falls on a character boundary.
    #[inline]
    pub fn safe_before(self, b: u8) -> bool {
        b.is_ascii_whitespace() || (self.cut_before_punctuation && b.is_ascii_punctuation())
    }

    /// The first position of `bytes` before which a cut is safe. Blocks with no byte that may
    /// be one are skipped by a branch-free check the compiler vectorizes: one 1 MB word (one
    /// letter repeated under BERT) was scanned a byte at a time, through two classification
    /// branches, in three fifths of its encoding time.
    fn first_safe(self, bytes: &[u8]) -> Option<usize> {
        let punctuation = self.cut_before_punctuation;
        let mut block_start = 0;
        for block in bytes.chunks(BLOCK) {
            let may_hold =
                block.iter().fold(false, |seen, &b| seen | may_be_white(b) | (punctuation & is_ascii_punctuation(b)));
            if may_hold {
                if let Some(k) = block.iter().position(|&b| self.safe_before(b)) {
                    return Some(block_start + k);
                }
            }
            block_start += block.len();
        }
        None
    }
}

/// ASCII white space and the vertical tab (a superset is enough to look closer), as range
/// checks the compiler vectorizes (`u8::is_ascii_whitespace` is a bit test that it does not).
#[inline(always)]
pub(super) fn may_be_white(b: u8) -> bool {
    (b == b' ') | (b.wrapping_sub(b'\t') < 5)
}

/// ASCII punctuation, without a table: the compiler vectorizes these range checks.
#[inline(always)]
pub(super) fn is_ascii_punctuation(b: u8) -> bool {
    (b.wrapping_sub(b'!') < 15) | (b.wrapping_sub(b':') < 7) | (b.wrapping_sub(b'[') < 6) | (b.wrapping_sub(b'{') < 4)
}

/// Normalizers that rewrite each character on its own (or compose only across marks), so that
/// a cut at ASCII white space changes nothing. Not: Replace (a pattern can span the cut),
/// Prepend and Strip (they act at the ends of each chunk), Precompiled (its rules span
/// grapheme clusters, "\r\n" among them), ByteLevel (white space stops being white space).
fn normalizer_is_local(n: &Normalizer) -> bool {
    match n {
        Normalizer::BertNormalizer(_)
        | Normalizer::NFC {}
        | Normalizer::NFD {}
        | Normalizer::NFKC {}
        | Normalizer::NFKD {}
        | Normalizer::Lowercase {}
        | Normalizer::StripAccents {}
        | Normalizer::Nmt {} => true,
        Normalizer::Sequence { normalizers } => normalizers.iter().all(normalizer_is_local),
        Normalizer::Replace(_)
        | Normalizer::Prepend { .. }
        | Normalizer::Strip { .. }
        | Normalizer::Precompiled(_)
        | Normalizer::ByteLevel {}
        | Normalizer::SentencePiece(_) => false,
    }
}

fn splits_at_whitespace(p: &PreTokenizer) -> bool {
    match p {
        PreTokenizer::BertPreTokenizer {} | PreTokenizer::Whitespace {} | PreTokenizer::WhitespaceSplit {} => true,
        // The steps before the one that splits at white space see the whole text: those that
        // count characters or carry state across a piece (FixedLength, UnicodeScripts) would
        // see chunks instead.
        PreTokenizer::Sequence { pretokenizers } => {
            pretokenizers.iter().find(|p| splits_at_whitespace(p) || !cuts_locally(p)).is_some_and(splits_at_whitespace)
        }
        _ => false,
    }
}

fn cuts_locally(p: &PreTokenizer) -> bool {
    !matches!(p, PreTokenizer::FixedLength { .. } | PreTokenizer::UnicodeScripts {})
}

fn isolates_punctuation(p: &PreTokenizer) -> bool {
    match p {
        PreTokenizer::BertPreTokenizer {} => true,
        PreTokenizer::Sequence { pretokenizers } => pretokenizers.iter().any(isolates_punctuation),
        _ => false,
    }
}

/// The policy for a pipeline, or `None` when cutting could change the result.
pub fn policy(
    normalizer: Option<&Normalizer>,
    pre_tokenizer: Option<&PreTokenizer>,
    added: &AddedVocabulary,
) -> Option<ChunkPolicy> {
    let pre = pre_tokenizer?;
    // Metaspace turns spaces into text and may prepend one to a chunk: never cut under it.
    if pre.has_metaspace() || !splits_at_whitespace(pre) || !normalizer.is_none_or(normalizer_is_local) {
        return None;
    }
    // Tokens matched after normalization could span a cut; raw ones are split off before.
    if added.tokens().iter().any(|t| t.normalized) {
        return None;
    }
    Some(ChunkPolicy { cut_before_punctuation: isolates_punctuation(pre) })
}

/// Consecutive sub-ranges of `range` covering it, each cut before a safe byte.
pub fn chunks(text: &str, range: Range<usize>, policy: Option<ChunkPolicy>) -> impl Iterator<Item = Range<usize>> + '_ {
    let bytes = text.as_bytes();
    let mut start = range.start;
    let end = range.end;
    std::iter::from_fn(move || {
        if start >= end {
            return None;
        }
        let Some(p) = policy else {
            start = end;
            return Some(range.start..end);
        };
        let mut cut = end;
        if end - start > 2 * TARGET {
            if let Some(k) = bytes.get(start + TARGET..end).and_then(|rest| p.first_safe(rest)) {
                cut = start + TARGET + k;
            }
        }
        let chunk = start..cut;
        start = cut;
        Some(chunk)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_range_and_cut_before_safe_bytes() {
        let text = "word ".repeat(10_000);
        let policy = Some(ChunkPolicy { cut_before_punctuation: false });
        let parts: Vec<_> = chunks(&text, 0..text.len(), policy).collect();
        assert!(parts.len() > 1);
        assert_eq!(parts.first().map(|r| r.start), Some(0));
        assert_eq!(parts.last().map(|r| r.end), Some(text.len()));
        for w in parts.windows(2) {
            assert_eq!(w[0].end, w[1].start);
            assert_eq!(text.as_bytes()[w[1].start], b' ');
        }
    }

    /// The block scan finds the same first safe byte as a byte-by-byte scan, wherever it is
    /// (first, last or middle byte of a block, or none), for every kind of safe and unsafe byte.
    #[test]
    fn the_block_scan_finds_the_first_safe_byte() {
        for punctuation in [false, true] {
            let policy = ChunkPolicy { cut_before_punctuation: punctuation };
            for b in 0..=255u8 {
                for at in [0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK + 17, 4 * BLOCK - 1] {
                    let mut bytes = vec![b'a'; 4 * BLOCK];
                    bytes[at] = b;
                    // A vertical tab (looked at, never safe) before it, in the same block.
                    if at >= 2 {
                        bytes[at - 2] = 0x0B;
                    }
                    let expected = bytes.iter().position(|&x| policy.safe_before(x));
                    assert_eq!(policy.first_safe(&bytes), expected, "byte {b:#x} at {at}, punctuation {punctuation}");
                }
            }
            assert_eq!(policy.first_safe(&[b'a'; 1000]), None);
            assert_eq!(policy.first_safe(&[]), None);
        }
    }

    #[test]
    fn no_policy_means_one_chunk() {
        let text = "a".repeat(100_000);
        assert_eq!(chunks(&text, 0..text.len(), None).collect::<Vec<_>>(), vec![0..text.len()]);
    }
}
