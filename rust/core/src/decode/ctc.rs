//! CTC: the output of a speech model's frame-by-frame classifier: repeated tokens collapse into
//! one, the padding (blank) token disappears and the word delimiter becomes a space.

use serde::{Deserialize, Serialize};

fn pad() -> String {
    "<pad>".to_string()
}
fn bar() -> String {
    "|".to_string()
}
fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ctc {
    #[serde(default = "pad")]
    pub pad_token: String,
    #[serde(default = "bar")]
    pub word_delimiter_token: String,
    #[serde(default = "yes")]
    pub cleanup: bool,
}

impl Ctc {
    pub fn decode_chain(&self, mut tokens: Vec<String>) -> Vec<String> {
        tokens.dedup();
        (tokens.into_iter())
            .filter_map(|token| {
                let mut text = token.replace(&self.pad_token, "");
                if self.cleanup {
                    text = super::wordpiece::cleanup(&text).replace(&self.word_delimiter_token, " ");
                }
                (!text.is_empty()).then_some(text)
            })
            .collect()
    }
}
