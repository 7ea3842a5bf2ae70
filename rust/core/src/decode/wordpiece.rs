//! WordPiece decoding: glue `##` continuations to the previous token, put a space before the
//! others, and optionally undo the spaces tokenization put before punctuation and contractions.

use serde::{Deserialize, Serialize};

fn default_prefix() -> String {
    "##".to_string()
}
fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WordPieceDecoder {
    #[serde(default = "default_prefix")]
    pub prefix: String,
    #[serde(default = "yes")]
    pub cleanup: bool,
}

impl Default for WordPieceDecoder {
    fn default() -> Self {
        WordPieceDecoder { prefix: default_prefix(), cleanup: true }
    }
}

/// The clean-up rules of HF (and of the original BERT code), applied to each token with the
/// space that precedes it, in this order.
const CLEANUP: [(&str, &str); 11] = [
    (" .", "."),
    (" ?", "?"),
    (" !", "!"),
    (" ,", ","),
    (" ' ", "'"),
    (" n't", "n't"),
    (" 'm", "'m"),
    (" do not", " don't"),
    (" 's", "'s"),
    (" 've", "'ve"),
    (" 're", "'re"),
];

/// HF's clean-up of decoded text (also used by the CTC decoder).
pub fn cleanup(text: &str) -> String {
    let mut cleaned = text.to_string();
    for (from, to) in CLEANUP {
        if cleaned.contains(from) {
            cleaned = cleaned.replace(from, to);
        }
    }
    cleaned
}

impl WordPieceDecoder {
    pub fn decode(&self, tokens: &[&str]) -> String {
        let mut out = String::new();
        let mut piece = String::new();
        for (i, token) in tokens.iter().enumerate() {
            self.piece(i, token, &mut piece);
            if self.cleanup {
                out.push_str(&cleanup(&piece));
            } else {
                out.push_str(&piece);
            }
        }
        out
    }

    /// Each token's text: a continuation loses its prefix, any other token after the first gets
    /// a space before it, and the clean-up applies to each token with that space.
    pub fn decode_chain(&self, tokens: Vec<String>) -> Vec<String> {
        let mut piece = String::new();
        (tokens.iter().enumerate())
            .map(|(i, token)| {
                self.piece(i, token, &mut piece);
                if self.cleanup {
                    cleanup(&piece)
                } else {
                    piece.clone()
                }
            })
            .collect()
    }

    fn piece(&self, i: usize, token: &str, piece: &mut String) {
        piece.clear();
        if i == 0 {
            piece.push_str(token);
        } else if let Some(rest) = token.strip_prefix(self.prefix.as_str()) {
            piece.push_str(rest);
        } else {
            piece.push(' ');
            piece.push_str(token);
        }
    }
}
