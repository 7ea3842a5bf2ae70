//! WordLevel: each pre-tokenized word is one token, or the unknown token when the vocabulary
//! lacks it (an error when the vocabulary lacks that too, as in HF).

use crate::error::{Error, Result};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct WordLevelSpec {
    #[serde(serialize_with = "crate::models::serialize_vocab_by_id")]
    vocab: FxHashMap<String, u32>,
    unk_token: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "WordLevelSpec", into = "WordLevelSpec")]
pub struct WordLevel {
    spec: WordLevelSpec,
    id_to_token: Vec<Option<String>>,
}

impl TryFrom<WordLevelSpec> for WordLevel {
    type Error = String;
    fn try_from(spec: WordLevelSpec) -> std::result::Result<Self, String> {
        let id_to_token = crate::models::ids_to_tokens(&spec.vocab)?;
        Ok(WordLevel { spec, id_to_token })
    }
}

impl From<WordLevel> for WordLevelSpec {
    fn from(w: WordLevel) -> Self {
        w.spec
    }
}

impl WordLevel {
    pub fn tokenize(&self, word: &str, mut emit: impl FnMut(u32, usize, usize)) -> Result<()> {
        let id = match self.spec.vocab.get(word).or_else(|| self.spec.vocab.get(&self.spec.unk_token)) {
            Some(&id) => id,
            None => {
                return Err(Error::InvalidArgument(format!(
                    "the word {word:?} is not in the vocabulary, and neither is the unknown token {:?}",
                    self.spec.unk_token
                )))
            }
        };
        emit(id, 0, word.len());
        Ok(())
    }

    pub fn id_to_token(&self, id: u32) -> Option<&str> {
        self.id_to_token.get(id as usize).and_then(|t| t.as_deref())
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
}
