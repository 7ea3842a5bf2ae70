//! Pre-tokenizers: cut normalized text into words, as byte ranges of that text.
//!
//! Pieces are ranges into one normalized string, never copies; each pre-tokenizer of a
//! `Sequence` splits every piece the previous one produced. The enum mirrors the
//! `pre_tokenizer` field of an HF `tokenizer.json`.

mod bert;
mod byte_mapped;
mod metaspace;
mod pattern_split;
pub mod regex_split;
mod split;
mod stages;
mod unicode_scripts;
mod whitespace;

pub use metaspace::{Metaspace, PrependScheme};
pub use pattern_split::Split;
pub use split::SplitBehavior;
pub use stages::{Rewrite, Stage};

use crate::error::Result;
use crate::pretokenize::regex_split::KnownPattern;
use crate::utils::unicode::is_bert_punctuation;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// Type names a `pre_tokenizer` may have in a file we accept.
pub const SUPPORTED: &[&str] = &[
    "BertPreTokenizer",
    "Whitespace",
    "WhitespaceSplit",
    "Punctuation",
    "Digits",
    "Split",
    "ByteLevel",
    "Metaspace",
    "CharDelimiterSplit",
    "FixedLength",
    "UnicodeScripts",
    "Sequence",
];

fn isolated() -> SplitBehavior {
    SplitBehavior::Isolated
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum PreTokenizer {
    BertPreTokenizer {},
    Whitespace {},
    WhitespaceSplit {},
    Punctuation {
        #[serde(default = "isolated")]
        behavior: SplitBehavior,
    },
    Digits {
        #[serde(default)]
        individual_digits: bool,
    },
    Split(Split),
    /// GPT-2's byte-level step: split with GPT-2's pattern (`use_regex`) and hand the model
    /// bytes. `add_prefix_space` is applied by the tokenizer, which owns the text.
    ByteLevel {
        #[serde(default = "yes")]
        add_prefix_space: bool,
        #[serde(default = "yes")]
        trim_offsets: bool,
        #[serde(default = "yes")]
        use_regex: bool,
    },
    /// SentencePiece's spaces; the tokenizer rewrites the text first (see `leading_metaspace`).
    Metaspace(Metaspace),
    /// Cuts at one character, which is dropped.
    CharDelimiterSplit {
        delimiter: char,
    },
    /// Pieces of `length` characters (the last may be shorter).
    FixedLength {
        #[serde(default = "five", deserialize_with = "positive")]
        length: usize,
    },
    /// Cuts where the script changes (see `unicode_scripts`).
    UnicodeScripts {},
    Sequence {
        pretokenizers: Vec<PreTokenizer>,
    },
}

fn yes() -> bool {
    true
}

fn five() -> usize {
    5
}

fn positive<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<usize, D::Error> {
    match usize::deserialize(d)? {
        0 => Err(serde::de::Error::custom("length: must be at least 1")),
        n => Ok(n),
    }
}

impl PreTokenizer {
    /// Replaces `pieces` (ranges of `text`) by their sub-pieces. Empty pieces are dropped.
    /// Fails only when a general split regex gives up (see `RegexSplitter::try_split`).
    pub fn split(&self, text: &str, pieces: &mut Vec<Range<usize>>, scratch: &mut Vec<Range<usize>>) -> Result<()> {
        if let PreTokenizer::Sequence { pretokenizers } = self {
            for (i, p) in pretokenizers.iter().enumerate() {
                p.split(text, pieces, scratch)?;
                if matches!(p, PreTokenizer::ByteLevel { .. }) {
                    if let Some(rest) = pretokenizers.get(i + 1..).filter(|rest| !rest.is_empty()) {
                        return byte_mapped::split(rest, text, pieces);
                    }
                }
            }
            return Ok(());
        }
        scratch.clear();
        let mut matches = Vec::new();
        for piece in pieces.iter() {
            self.split_piece(text, piece.clone(), &mut matches, scratch)?;
        }
        std::mem::swap(pieces, scratch);
        Ok(())
    }

    fn split_piece(
        &self,
        text: &str,
        range: Range<usize>,
        matches: &mut Vec<Range<usize>>,
        out: &mut Vec<Range<usize>>,
    ) -> Result<()> {
        match self {
            PreTokenizer::Split(s) => s.split(text, range, matches, out)?,
            PreTokenizer::ByteLevel { use_regex: true, .. } => {
                pattern_split::byte_level_split(text, range, matches, out)
            }
            PreTokenizer::ByteLevel { use_regex: false, .. } => out.push(range),
            PreTokenizer::Metaspace(m) => m.split(text, range, out),
            PreTokenizer::CharDelimiterSplit { delimiter } => {
                split::split_on_char(text, range, |c| c == *delimiter, SplitBehavior::Removed, out)
            }
            PreTokenizer::FixedLength { length } => split::split_every(text, range, *length, out),
            PreTokenizer::UnicodeScripts {} => unicode_scripts::split(text, range, out),
            PreTokenizer::BertPreTokenizer {} => bert::split(text, range, out),
            PreTokenizer::Whitespace {} => whitespace::split_words(text, range, out),
            PreTokenizer::WhitespaceSplit {} => {
                split::split_on_char(text, range, char::is_whitespace, SplitBehavior::Removed, out)
            }
            PreTokenizer::Punctuation { behavior } => {
                split::split_on_char(text, range, is_bert_punctuation, *behavior, out)
            }
            PreTokenizer::Digits { individual_digits } => {
                let behavior = if *individual_digits { SplitBehavior::Isolated } else { SplitBehavior::Contiguous };
                split::split_on_char(text, range, char::is_numeric, behavior, out)
            }
            PreTokenizer::Sequence { .. } => {
                let mut pieces = vec![range];
                self.split(text, &mut pieces, &mut Vec::new())?;
                out.extend(pieces);
            }
        }
        Ok(())
    }

    /// The Metaspace that rewrites the text before any cut: this pre-tokenizer when it is one,
    /// or the first step of a Sequence. The tokenizer applies its rewrite to each piece of text;
    /// the step itself then only cuts.
    pub fn leading_metaspace(&self) -> Option<&Metaspace> {
        match self {
            PreTokenizer::Metaspace(m) => Some(m),
            PreTokenizer::Sequence { pretokenizers } => pretokenizers.first().and_then(PreTokenizer::leading_metaspace),
            _ => None,
        }
    }

    fn count_metaspaces(&self) -> usize {
        match self {
            PreTokenizer::Metaspace(_) => 1,
            PreTokenizer::Sequence { pretokenizers } => pretokenizers.iter().map(PreTokenizer::count_metaspaces).sum(),
            _ => 0,
        }
    }

    /// Whether a Metaspace is present.
    pub fn has_metaspace(&self) -> bool {
        self.count_metaspaces() > 0
    }

    /// How many ByteLevel steps there are (HF maps the bytes once per step), and whether
    /// another step follows one (HF runs it on the byte-mapped text, where `Ġ` stands for a
    /// space and `Â²` for a `²`).
    pub fn byte_level_steps(&self) -> (usize, bool) {
        let mut steps = Vec::new();
        self.flatten_into(&mut steps);
        let at: Vec<usize> = (steps.iter().enumerate())
            .filter(|(_, s)| matches!(s, PreTokenizer::ByteLevel { .. }))
            .map(|(i, _)| i)
            .collect();
        (at.len(), at.first().is_some_and(|&i| i + 1 < steps.len()))
    }

    /// Whether the model gets bytes (a ByteLevel step is present).
    pub fn is_byte_level(&self) -> bool {
        match self {
            PreTokenizer::ByteLevel { .. } => true,
            PreTokenizer::Sequence { pretokenizers } => pretokenizers.iter().any(|p| p.is_byte_level()),
            _ => false,
        }
    }

    /// The known pattern whose matches are exactly this pre-tokenizer's pieces, if any: GPT-2's
    /// ByteLevel split, or an isolating Split on a known pattern, alone or in a Sequence whose
    /// other steps split nothing. Such pieces can be produced a block at a time
    /// (`regex_split::scan_some`).
    pub fn scanned_by(&self) -> Option<KnownPattern> {
        match self {
            PreTokenizer::ByteLevel { use_regex: true, .. } => Some(KnownPattern::Gpt2),
            PreTokenizer::Split(s) => s.scanned_by(),
            PreTokenizer::Sequence { pretokenizers } => {
                let mut splitting =
                    pretokenizers.iter().filter(|p| !matches!(p, PreTokenizer::ByteLevel { use_regex: false, .. }));
                match (splitting.next(), splitting.next()) {
                    (Some(only), None) => only.scanned_by(),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// Whether a space is put before each piece that lacks one: only a top-level ByteLevel can
    /// ask for it here; inside a Sequence it is refused at load time.
    pub fn adds_prefix_space(&self) -> bool {
        matches!(self, PreTokenizer::ByteLevel { add_prefix_space: true, .. })
    }
}
