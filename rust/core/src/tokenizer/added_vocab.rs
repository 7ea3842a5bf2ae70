//! Added tokens: strings matched as a whole before (or right after) normalization, that
//! bypass pre-tokenization and the model, as HF's `AddedVocabulary` does.
//!
//! Tokens marked `normalized: false` (BERT's `[CLS]`, `[SEP]`, ...) are found in the original
//! text; the others are normalized themselves and found in normalized text. Both use a
//! leftmost-longest Aho-Corasick automaton, so matching costs one pass whatever their number.

use crate::normalize::Normalizer;
use crate::utils::unicode::is_word_char;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ops::Range;

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddedToken {
    pub id: u32,
    pub content: String,
    #[serde(default)]
    pub single_word: bool,
    #[serde(default)]
    pub lstrip: bool,
    #[serde(default)]
    pub rstrip: bool,
    #[serde(default = "yes")]
    pub normalized: bool,
    #[serde(default)]
    pub special: bool,
}

impl AddedToken {
    /// A special token matched as written (not normalized), with no stripping: how tokenizers
    /// built from a vocabulary file declare [CLS], <|endoftext|> and the like.
    pub fn special(id: u32, content: &str) -> AddedToken {
        AddedToken {
            id,
            content: content.to_string(),
            single_word: false,
            lstrip: false,
            rstrip: false,
            normalized: false,
            special: true,
        }
    }
}

/// A piece of text after splitting on added tokens: either an added token or text to process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Token(u32, Range<usize>),
    Text(Range<usize>),
}

#[derive(Debug, Clone)]
struct Matcher {
    automaton: AhoCorasick,
    /// Pattern index → index into `tokens`.
    token_of_pattern: Vec<usize>,
}

#[derive(Debug, Clone, Default)]
pub struct AddedVocabulary {
    /// One token per id, by increasing id (the order HF writes them in).
    tokens: Vec<AddedToken>,
    by_id: FxHashMap<u32, usize>,
    by_content: FxHashMap<String, u32>,
    special_ids: FxHashSet<u32>,
    /// Contents of the special tokens: decoding skips a token by its string, as HF does.
    special_contents: FxHashSet<String>,
    /// Normalized content of `normalized` tokens, where it differs from the content: HF (0.23)
    /// names such a token by this form when turning an id back into a string.
    normalized_names: FxHashMap<u32, String>,
    raw: Option<Matcher>,
    normalized: Option<Matcher>,
}

/// Where the ids of added tokens come from.
pub enum AddedIds<'a> {
    /// The ids the tokens carry: tokenizers built from ranks or a vocabulary with explicit
    /// special-token ids.
    AsGiven,
    /// HF's rule for the `added_tokens` of a `tokenizer.json`, whose `id` fields HF ignores
    /// (it only warns when they differ): in file order, a token takes the id its content already
    /// has (as an earlier added token, else in the model's vocabulary), else the next fresh id,
    /// counting from the model's vocabulary size. A later entry with the same content takes over
    /// that id with its own flags; an exact repeat or an empty content is ignored.
    Hf { model_id: &'a dyn Fn(&str) -> Option<u32>, model_size: usize },
}

impl AddedVocabulary {
    pub fn new(tokens: Vec<AddedToken>, normalizer: Option<&Normalizer>) -> Result<Self, String> {
        AddedVocabulary::with_ids(tokens, normalizer, AddedIds::AsGiven)
    }

    pub fn with_ids(
        tokens: Vec<AddedToken>,
        normalizer: Option<&Normalizer>,
        ids: AddedIds<'_>,
    ) -> Result<Self, String> {
        let normalized_name = |t: &AddedToken| -> Option<String> {
            let n = normalizer.filter(|_| t.normalized)?.normalize_str(&t.content);
            (n != t.content).then_some(n)
        };
        let mut by_content = FxHashMap::default();
        let mut by_id_token: BTreeMap<u32, AddedToken> = BTreeMap::new();
        let mut special_contents = FxHashSet::default();
        let mut normalized_names = FxHashMap::default();
        // Every token kept, whichever way its id was chosen, is indexed the same way.
        let mut record =
            |t: AddedToken, by_content: &mut FxHashMap<String, u32>, by_id_token: &mut BTreeMap<u32, AddedToken>| {
                if let Some(n) = normalized_name(&t) {
                    normalized_names.insert(t.id, n);
                }
                by_content.insert(t.content.clone(), t.id);
                if t.special {
                    special_contents.insert(t.content.clone());
                }
                by_id_token.insert(t.id, t);
            };
        match ids {
            AddedIds::AsGiven => {
                for (i, t) in tokens.into_iter().enumerate() {
                    if t.content.is_empty() {
                        return Err(format!("added_tokens[{i}].content: an added token cannot be empty"));
                    }
                    if let Some(other) = by_id_token.get(&t.id) {
                        return Err(format!(
                            "added tokens {:?} and {:?} both have id {}",
                            other.content, t.content, t.id
                        ));
                    }
                    record(t, &mut by_content, &mut by_id_token);
                }
            }
            AddedIds::Hf { model_id, model_size } => {
                let mut next_id = u32::try_from(model_size).map_err(|_| "model: vocabulary too large".to_string())?;
                for mut t in tokens {
                    if t.content.is_empty() {
                        continue;
                    }
                    let known = by_content.get(&t.content).copied();
                    if known.and_then(|id| by_id_token.get(&id)).is_some_and(|old| same_flags(old, &t)) {
                        continue;
                    }
                    t.id = match known.or_else(|| model_id(&t.content)) {
                        Some(id) => id,
                        None => {
                            let id = next_id;
                            next_id =
                                next_id.checked_add(1).ok_or_else(|| "added_tokens: too many tokens".to_string())?;
                            id
                        }
                    };
                    record(t, &mut by_content, &mut by_id_token);
                }
            }
        }
        let tokens: Vec<AddedToken> = by_id_token.into_values().collect();
        let by_id = tokens.iter().enumerate().map(|(i, t)| (t.id, i)).collect();
        let special_ids = tokens.iter().filter(|t| special_contents.contains(&t.content)).map(|t| t.id).collect();
        let (mut raw_patterns, mut raw_tokens) = (Vec::new(), Vec::new());
        let (mut norm_patterns, mut norm_tokens) = (Vec::new(), Vec::new());
        for (i, t) in tokens.iter().enumerate() {
            if t.normalized {
                let content = normalized_names.get(&t.id).unwrap_or(&t.content);
                if !content.is_empty() {
                    norm_patterns.push(content.clone());
                    norm_tokens.push(i);
                }
            } else {
                raw_patterns.push(t.content.clone());
                raw_tokens.push(i);
            }
        }
        Ok(AddedVocabulary {
            raw: build_matcher(raw_patterns, raw_tokens)?,
            normalized: build_matcher(norm_patterns, norm_tokens)?,
            tokens,
            by_id,
            by_content,
            special_ids,
            special_contents,
            normalized_names,
        })
    }

    /// Content and id of every added token, including a content whose id a later entry took
    /// over (HF's `added_tokens_map`, part of its `get_vocab`).
    pub fn ids_by_content(&self) -> impl Iterator<Item = (&str, u32)> {
        self.by_content.iter().map(|(c, &id)| (c.as_str(), id))
    }

    /// The added tokens, one per id, by increasing id.
    pub fn tokens(&self) -> &[AddedToken] {
        &self.tokens
    }

    /// The string of an added token's id: its normalized form for a `normalized` token that the
    /// normalizer changes, else its content (HF's `simple_id_to_token`).
    pub fn id_to_token(&self, id: u32) -> Option<&str> {
        let &i = self.by_id.get(&id)?;
        Some(self.normalized_names.get(&id).unwrap_or(&self.tokens[i].content))
    }

    pub fn token_to_id(&self, content: &str) -> Option<u32> {
        self.by_content.get(content).copied()
    }

    pub fn is_special(&self, id: u32) -> bool {
        self.special_ids.contains(&id)
    }

    /// Whether a token string is the content of a special token. Decoding skips by string, so
    /// a special token named by its normalized form is kept, as in HF.
    pub fn is_special_content(&self, token: &str) -> bool {
        self.special_contents.contains(token)
    }

    pub fn has_raw(&self) -> bool {
        self.raw.is_some()
    }

    pub fn has_normalized(&self) -> bool {
        self.normalized.is_some()
    }

    /// Splits original text on tokens matched before normalization. With `skip_special`,
    /// special tokens are left in the text, to be encoded as ordinary text (HF's
    /// `encode_special_tokens`, tiktoken's `encode_ordinary`).
    pub fn split_raw(&self, text: &str, skip_special: bool, out: &mut Vec<Piece>) {
        self.split(self.raw.as_ref(), text, skip_special, out)
    }

    /// Splits normalized text on tokens matched after normalization.
    pub fn split_normalized(&self, text: &str, skip_special: bool, out: &mut Vec<Piece>) {
        self.split(self.normalized.as_ref(), text, skip_special, out)
    }

    fn split(&self, matcher: Option<&Matcher>, text: &str, skip_special: bool, out: &mut Vec<Piece>) {
        out.clear();
        let Some(m) = matcher else {
            out.push(Piece::Text(0..text.len()));
            return;
        };
        let mut done = 0;
        for mat in m.automaton.find_iter(text) {
            let token = &self.tokens[m.token_of_pattern[mat.pattern().as_usize()]];
            if skip_special && token.special {
                continue;
            }
            let (mut start, mut stop) = (mat.start(), mat.end());
            if token.single_word {
                let alone_before = text[..start].chars().next_back().is_none_or(|c| !is_word_char(c));
                let alone_after = text[stop..].chars().next().is_none_or(|c| !is_word_char(c));
                if !alone_before || !alone_after {
                    continue;
                }
            }
            if token.lstrip {
                let trimmed = text[..start].trim_end_matches(char::is_whitespace).len();
                start = trimmed.max(done);
            }
            if token.rstrip {
                stop = text.len() - text[stop..].trim_start_matches(char::is_whitespace).len();
            }
            if done < start {
                out.push(Piece::Text(done..start));
            }
            out.push(Piece::Token(token.id, start..stop));
            done = stop;
        }
        if done < text.len() || out.is_empty() {
            out.push(Piece::Text(done..text.len()));
        }
    }
}

/// Two entries for the same content that differ only in their `id` field.
fn same_flags(a: &AddedToken, b: &AddedToken) -> bool {
    AddedToken { id: b.id, ..a.clone() } == *b
}

fn build_matcher(patterns: Vec<String>, token_of_pattern: Vec<usize>) -> Result<Option<Matcher>, String> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let automaton = AhoCorasickBuilder::new()
        .match_kind(MatchKind::LeftmostLongest)
        .build(&patterns)
        .map_err(|e| format!("added_tokens: {e}"))?;
    Ok(Some(Matcher { automaton, token_of_pattern }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(id: u32, content: &str) -> AddedToken {
        AddedToken {
            id,
            content: content.into(),
            single_word: false,
            lstrip: false,
            rstrip: false,
            normalized: false,
            special: true,
        }
    }

    #[test]
    fn splits_around_the_longest_match() {
        let v = AddedVocabulary::new(vec![token(1, "[A]"), token(2, "[A]B")], None).unwrap();
        let mut out = Vec::new();
        v.split_raw("x[A]By", false, &mut out);
        assert_eq!(out, vec![Piece::Text(0..1), Piece::Token(2, 1..5), Piece::Text(5..6)]);
        v.split_raw("x[A]By", true, &mut out);
        assert_eq!(out, vec![Piece::Text(0..6)]);
    }

    #[test]
    fn hf_ids_ignore_the_file_and_follow_the_vocabulary_then_count_on() {
        // Model vocabulary: a=0 b=1 c=2.
        let model_id = |c: &str| ["a", "b", "c"].iter().position(|&t| t == c).map(|i| i as u32);
        let ids = AddedIds::Hf { model_id: &model_id, model_size: 3 };
        let mut plain = token(9, "<p>");
        plain.special = false;
        let tokens = vec![token(7, "b"), token(50, "<x>"), token(40, "<y>"), token(1, "<x>"), plain, token(5, "")];
        let v = AddedVocabulary::with_ids(tokens, None, ids).unwrap();
        let got: Vec<(u32, &str, bool)> = v.tokens().iter().map(|t| (t.id, t.content.as_str(), t.special)).collect();
        // "b" keeps the vocabulary's id; the exact repeat of "<x>" is ignored, "<p>" is new, the
        // empty one is dropped.
        assert_eq!(got, vec![(1, "b", true), (3, "<x>", true), (4, "<y>", true), (5, "<p>", false)]);
        assert_eq!(v.token_to_id("<y>"), Some(4));
        assert!(v.is_special_content("<x>") && !v.is_special_content("<p>"));
    }

    #[test]
    fn hf_ids_a_repeat_with_other_flags_takes_over_the_id() {
        let model_id = |_: &str| None;
        let ids = AddedIds::Hf { model_id: &model_id, model_size: 10 };
        let mut again = token(99, "<d>");
        again.special = false;
        let v = AddedVocabulary::with_ids(vec![token(20, "<d>"), again], None, ids).unwrap();
        assert_eq!(v.tokens().len(), 1);
        assert_eq!((v.tokens()[0].id, v.tokens()[0].special), (10, false));
        // HF keeps the content among its special tokens once it was special.
        assert!(v.is_special_content("<d>"));
    }

    #[test]
    fn given_ids_must_be_distinct() {
        let err = AddedVocabulary::new(vec![token(4, "<a>"), token(4, "<b>")], None).unwrap_err();
        assert_eq!(err, r#"added tokens "<a>" and "<b>" both have id 4"#);
    }

    #[test]
    fn strips_whitespace_when_asked() {
        let mut t = token(7, "<m>");
        t.lstrip = true;
        t.rstrip = true;
        let v = AddedVocabulary::new(vec![t], None).unwrap();
        let mut out = Vec::new();
        v.split_raw("a  <m>  b", false, &mut out);
        assert_eq!(out, vec![Piece::Text(0..1), Piece::Token(7, 1..8), Piece::Text(8..9)]);
    }
}
