//! TemplateProcessing: `[CLS] $A [SEP] $B:1 [SEP]:1` and the like.

use crate::tokenizer::encoding::Encoding;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SequenceId {
    A,
    B,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Piece {
    Sequence { id: SequenceId, type_id: u32 },
    SpecialToken { id: String, type_id: u32 },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecialTokenSpec {
    pub id: String,
    pub ids: Vec<u32>,
    pub tokens: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct TemplateSpec {
    single: Vec<Piece>,
    pair: Vec<Piece>,
    #[serde(default)]
    special_tokens: BTreeMap<String, SpecialTokenSpec>,
}

/// The file's template, checked at load: every special token it names is defined.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "TemplateSpec", into = "TemplateSpec")]
pub struct TemplateProcessing {
    spec: TemplateSpec,
}

impl TryFrom<TemplateSpec> for TemplateProcessing {
    type Error = String;
    fn try_from(spec: TemplateSpec) -> Result<Self, String> {
        for (which, pieces) in [("single", &spec.single), ("pair", &spec.pair)] {
            for (i, p) in pieces.iter().enumerate() {
                if let Piece::SpecialToken { id, .. } = p {
                    if !spec.special_tokens.contains_key(id) {
                        return Err(format!("{which}[{i}]: special token {id:?} is not in special_tokens"));
                    }
                }
            }
        }
        for (name, t) in &spec.special_tokens {
            if t.ids.len() != t.tokens.len() {
                return Err(format!("special_tokens.{name}: ids and tokens differ in length"));
            }
        }
        Ok(TemplateProcessing { spec })
    }
}

impl From<TemplateProcessing> for TemplateSpec {
    fn from(t: TemplateProcessing) -> Self {
        t.spec
    }
}

impl TemplateProcessing {
    pub fn new(single: Vec<Piece>, pair: Vec<Piece>, special_tokens: Vec<SpecialTokenSpec>) -> Result<Self, String> {
        let special_tokens = special_tokens.into_iter().map(|t| (t.id.clone(), t)).collect();
        TemplateProcessing::try_from(TemplateSpec { single, pair, special_tokens })
    }

    fn resolve(&self, pieces: &[Piece]) -> Template {
        Template(
            pieces
                .iter()
                .map(|p| match p {
                    Piece::Sequence { id, type_id } => Step::Sequence(usize::from(*id == SequenceId::B), *type_id),
                    Piece::SpecialToken { id, type_id } => {
                        let (ids, names) = match self.spec.special_tokens.get(id) {
                            Some(t) => {
                                let names = t.tokens.iter().map(|n| n.as_str().into()).enumerate().collect();
                                (t.ids.clone(), names)
                            }
                            None => Default::default(),
                        };
                        Step::Special(ids, *type_id, names)
                    }
                })
                .collect(),
        )
    }

    pub fn single_template(&self) -> Template {
        self.resolve(&self.spec.single)
    }

    pub fn pair_template(&self) -> Template {
        self.resolve(&self.spec.pair)
    }
}

/// A template with its special tokens resolved to ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Sequence index (0 = A, 1 = B) and the type id its tokens get.
    Sequence(usize, u32),
    /// Special token ids, their type id, and the names the template gives them as
    /// `(index, name)`: HF reports these names as the tokens. `Template::forget_vocabulary_names`
    /// keeps only those that differ from the vocabulary's.
    Special(Vec<u32>, u32, Vec<(usize, Box<str>)>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template(pub Vec<Step>);

impl Template {
    /// How many tokens the template adds.
    pub fn added_tokens(&self) -> usize {
        self.0.iter().map(|s| if let Step::Special(ids, ..) = s { ids.len() } else { 0 }).sum()
    }

    /// Drops the names that equal the vocabulary's string for their id, so that encodings only
    /// carry the names that differ (usually none).
    pub fn forget_vocabulary_names<'v>(&mut self, vocabulary: impl Fn(u32) -> Option<&'v str>) {
        for step in &mut self.0 {
            if let Step::Special(ids, _, names) = step {
                names.retain(|(i, name)| ids.get(*i).and_then(|&id| vocabulary(id)) != Some(&**name));
            }
        }
    }

    /// Builds the final encoding. As in HF, the template's type id is given to the main window
    /// of each sequence; overflowing windows keep the type id of their sequence.
    pub fn apply(&self, mut sequences: Vec<Encoding>, add_special_tokens: bool) -> Encoding {
        let mut parts: Vec<Encoding> = Vec::with_capacity(self.0.len());
        for step in &self.0 {
            match step {
                Step::Sequence(i, type_id) => {
                    if let Some(seq) = sequences.get_mut(*i) {
                        seq.type_ids.iter_mut().for_each(|t| *t = *type_id);
                        parts.push(seq.clone());
                    }
                }
                Step::Special(ids, type_id, names) => {
                    if add_special_tokens {
                        parts.push(Encoding::special(ids, *type_id, names));
                    }
                }
            }
        }
        let mut iter = parts.into_iter();
        let mut out = iter.next().unwrap_or_default();
        for p in iter {
            out.merge_with(p);
        }
        out
    }
}
