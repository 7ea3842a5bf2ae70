//! Padding of a batch of encodings to a common length.

use crate::encoding::{Direction, Encoding};
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
}

impl PaddingParams {
    /// The length every row is padded to, given the longest one.
    pub fn target_length(&self, longest: usize) -> usize {
        let base = match self.strategy {
            PaddingStrategy::BatchLongest => longest,
            PaddingStrategy::Fixed(n) => n,
        };
        match self.pad_to_multiple_of {
            Some(m) if m > 0 && base % m != 0 => base + m - base % m,
            _ => base,
        }
    }

    pub fn pad_all(&self, encodings: &mut [Encoding]) {
        let longest = encodings.iter().map(|e| e.len()).max().unwrap_or(0);
        let target = self.target_length(longest);
        for e in encodings {
            e.pad(target, self.pad_id, self.pad_type_id, self.direction);
        }
    }
}
