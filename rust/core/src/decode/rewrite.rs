//! Decoders that rewrite each token's text on its own (or join them): `Strip`, `Fuse`,
//! `Replace`, and `BPEDecoder` (an end-of-word suffix becomes a space).

use serde::{Deserialize, Serialize};

/// Removes up to `start` leading and `stop` trailing `content` characters from each token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Strip {
    pub content: char,
    pub start: usize,
    pub stop: usize,
}

impl Strip {
    pub fn decode_chain(&self, tokens: Vec<String>) -> Vec<String> {
        (tokens.into_iter())
            .map(|token| {
                let chars: Vec<char> = token.chars().collect();
                let from = chars.iter().take(self.start).take_while(|&&c| c == self.content).count();
                let trailing = chars[from..].iter().rev().take(self.stop).take_while(|&&c| c == self.content).count();
                chars[from..chars.len() - trailing].iter().collect()
            })
            .collect()
    }
}

fn end_of_word() -> String {
    "</w>".to_string()
}

/// The decoder of BPE models trained with an end-of-word suffix.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BpeDecoder {
    #[serde(default = "end_of_word")]
    pub suffix: String,
}

impl BpeDecoder {
    pub fn decode_chain(&self, tokens: Vec<String>) -> Vec<String> {
        let last = tokens.len().saturating_sub(1);
        (tokens.into_iter().enumerate())
            .map(|(i, token)| token.replace(&self.suffix, if i == last { "" } else { " " }))
            .collect()
    }
}
