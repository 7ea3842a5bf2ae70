//! Padding of a batch of encodings to a common length.

use crate::error::{Error, Result};
use crate::tokenizer::encoding::{Direction, Encoding};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PaddingStrategy {
    BatchLongest,
    Fixed(usize),
}

fn pad_token() -> String {
    "[PAD]".to_string()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaddingParams {
    pub strategy: PaddingStrategy,
    #[serde(default)]
    pub direction: Direction,
    #[serde(default)]
    pub pad_to_multiple_of: Option<usize>,
    #[serde(default)]
    pub pad_id: u32,
    #[serde(default)]
    pub pad_type_id: u32,
    #[serde(default = "pad_token")]
    pub pad_token: String,
    /// Set by the Python layer for the default padding of a tokenizer that has no padding
    /// token (no `[PAD]`, none configured): a batch whose rows need padding is then an error
    /// instead of rows silently padded with id 0 (a real token, `"!"` in GPT-2). Never part of
    /// a `tokenizer.json`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_pad_token: bool,
}

impl PaddingParams {
    /// The length every row is padded to, given the longest one.
    /// The length every row is padded to, given the longest one; an error when rounding up to
    /// `pad_to_multiple_of` overflows.
    pub fn target_length(&self, longest: usize) -> Result<usize> {
        let base = match self.strategy {
            PaddingStrategy::BatchLongest => longest,
            PaddingStrategy::Fixed(n) => n,
        };
        match self.pad_to_multiple_of {
            Some(m) if m > 0 && base % m != 0 => {
                (base / m).checked_add(1).and_then(|k| k.checked_mul(m)).ok_or_else(|| {
                    Error::InvalidArgument(format!("padding: {base} rounded up to a multiple of {m} is too large"))
                })
            }
            _ => Ok(base),
        }
    }

    /// The error for rows that need padding when there is no padding token.
    pub fn check_pad_token(&self, shortest: usize, target: usize) -> Result<()> {
        if self.no_pad_token && shortest < target {
            return Err(Error::InvalidArgument(
                "padding: this tokenizer has no padding token ('[PAD]' is not in its vocabulary and none is \
                 configured), and the rows differ in length; choose one with \
                 tok.enable_padding(pad_token=...) (for GPT-style tokenizers often '<|endoftext|>'), or use \
                 encode_batch_flat for unpadded ids"
                    .to_string(),
            ));
        }
        Ok(())
    }

    /// Pads every encoding to the common target; `vocabulary_name` is the vocabulary's string for
    /// `pad_id` (padding positions are named by `pad_token` where it differs).
    pub fn pad_all(&self, encodings: &mut [Encoding], vocabulary_name: Option<&str>) -> Result<()> {
        let pad_name = Some(self.pad_token.as_str()).filter(|&name| Some(name) != vocabulary_name);
        let longest = encodings.iter().map(|e| e.len()).max().unwrap_or(0);
        let target = self.target_length(longest)?;
        self.check_pad_token(encodings.iter().map(|e| e.len()).min().unwrap_or(target), target)?;
        for e in encodings {
            e.pad(target, self.pad_id, self.pad_type_id, self.direction, pad_name)?;
        }
        Ok(())
    }
}
