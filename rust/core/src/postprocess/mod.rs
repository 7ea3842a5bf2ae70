//! Post-processors: add the model's special tokens around one or two sequences and set the
//! token type ids. Both kinds BERT files use reduce to one template of steps, applied by
//! `Template::apply`; the enum keeps the file's own form so that saving writes it back.

pub mod byte_level;
mod template;

pub use template::{Piece, SequenceId, SpecialTokenSpec, Step, Template, TemplateProcessing};

use crate::tokenizer::encoding::Encoding;
use serde::{Deserialize, Serialize};

/// Type names a `post_processor` may have in a file we accept.
pub const SUPPORTED: &[&str] = &["TemplateProcessing", "BertProcessing", "RobertaProcessing", "ByteLevel", "Sequence"];

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum PostProcessor {
    TemplateProcessing(TemplateProcessing),
    BertProcessing(BertProcessing),
    /// Joins sequences (no special tokens) and, with `trim_offsets`, trims spaces from offsets.
    ByteLevel {
        #[serde(default = "yes")]
        add_prefix_space: bool,
        #[serde(default = "yes")]
        trim_offsets: bool,
        #[serde(default = "yes")]
        use_regex: bool,
    },
    /// `<s> $A </s>` and `<s> $A </s> </s> $B </s>`, every type id 0; trims offsets as ByteLevel.
    RobertaProcessing(RobertaProcessing),
    /// Each step in turn. Only one step may add special tokens (see `check`).
    Sequence {
        processors: Vec<PostProcessor>,
    },
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BertProcessing {
    pub sep: (String, u32),
    pub cls: (String, u32),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RobertaProcessing {
    pub sep: (String, u32),
    pub cls: (String, u32),
    #[serde(default = "yes")]
    pub trim_offsets: bool,
    #[serde(default = "yes")]
    pub add_prefix_space: bool,
}

fn special(token: &(String, u32)) -> Step {
    Step::Special(vec![token.1], 0, vec![(0, token.0.as_str().into())])
}

impl PostProcessor {
    /// Refuses what cannot be reduced to one template: a Sequence with two steps that add
    /// special tokens (HF would apply the second template to the first one's output).
    pub fn check(&self) -> Result<(), String> {
        if let PostProcessor::Sequence { processors } = self {
            let adding: Vec<usize> =
                processors.iter().enumerate().filter(|(_, p)| p.adds_tokens()).map(|(i, _)| i).collect();
            if adding.len() > 1 {
                return Err(format!(
                    "post_processor.processors: steps {adding:?} both add special tokens; one template per \
                     tokenizer is supported"
                ));
            }
            for (i, p) in processors.iter().enumerate() {
                p.check().map_err(|e| e.replacen("post_processor", &format!("post_processor.processors[{i}]"), 1))?;
            }
        }
        Ok(())
    }

    fn adds_tokens(&self) -> bool {
        match self {
            PostProcessor::ByteLevel { .. } => false,
            PostProcessor::Sequence { processors } => processors.iter().any(PostProcessor::adds_tokens),
            _ => true,
        }
    }

    /// Whether HF's processor builds new encodings (BERT's and RoBERTa's, also in a Sequence),
    /// with only the sequence ranges it sets.
    pub fn builds_new_ranges(&self) -> bool {
        match self {
            PostProcessor::BertProcessing(_) | PostProcessor::RobertaProcessing(_) => true,
            PostProcessor::Sequence { processors } => processors.iter().any(PostProcessor::builds_new_ranges),
            _ => false,
        }
    }

    pub fn templates(&self) -> (Template, Template) {
        match self {
            PostProcessor::RobertaProcessing(r) => {
                let (cls, sep) = (special(&r.cls), special(&r.sep));
                (
                    Template(vec![cls.clone(), Step::Sequence(0, 0), sep.clone()]),
                    Template(vec![cls, Step::Sequence(0, 0), sep.clone(), sep.clone(), Step::Sequence(1, 0), sep]),
                )
            }
            PostProcessor::Sequence { processors } => match processors.iter().find(|p| p.adds_tokens()) {
                Some(p) => p.templates(),
                None => PostProcessor::ByteLevel { add_prefix_space: true, trim_offsets: false, use_regex: true }
                    .templates(),
            },
            PostProcessor::TemplateProcessing(t) => (t.single_template(), t.pair_template()),
            PostProcessor::BertProcessing(b) => {
                let cls = Step::Special(vec![b.cls.1], 0, vec![(0, b.cls.0.as_str().into())]);
                let sep0 = Step::Special(vec![b.sep.1], 0, vec![(0, b.sep.0.as_str().into())]);
                let sep1 = Step::Special(vec![b.sep.1], 1, vec![(0, b.sep.0.as_str().into())]);
                (
                    Template(vec![cls.clone(), Step::Sequence(0, 0), sep0.clone()]),
                    Template(vec![cls, Step::Sequence(0, 0), sep0, Step::Sequence(1, 1), sep1]),
                )
            }
            PostProcessor::ByteLevel { .. } => {
                (Template(vec![Step::Sequence(0, 0)]), Template(vec![Step::Sequence(0, 0), Step::Sequence(1, 1)]))
            }
        }
    }
}

impl PostProcessor {
    /// `Some(add_prefix_space)` when offsets are to be trimmed of spaces.
    pub fn trims_offsets(&self) -> Option<bool> {
        match self {
            PostProcessor::ByteLevel { add_prefix_space, trim_offsets: true, .. } => Some(*add_prefix_space),
            PostProcessor::RobertaProcessing(r) if r.trim_offsets => Some(r.add_prefix_space),
            PostProcessor::Sequence { processors } => processors.iter().find_map(PostProcessor::trims_offsets),
            _ => None,
        }
    }
}

/// Without a post-processor sequences are simply joined.
pub fn join(first: Encoding, second: Option<Encoding>) -> Encoding {
    let mut out = first;
    if let Some(s) = second {
        out.merge_with(s);
    }
    out
}
