//! Post-processors: add the model's special tokens around one or two sequences and set the
//! token type ids. Both kinds BERT files use reduce to one template of steps, applied by
//! `Template::apply`; the enum keeps the file's own form so that saving writes it back.

pub mod byte_level;
mod template;

pub use template::{Piece, SequenceId, SpecialTokenSpec, Step, Template, TemplateProcessing};

use crate::tokenizer::encoding::Encoding;
use serde::{Deserialize, Serialize};

/// Type names a `post_processor` may have in a file we accept.
pub const SUPPORTED: &[&str] = &["TemplateProcessing", "BertProcessing", "ByteLevel"];

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
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BertProcessing {
    pub sep: (String, u32),
    pub cls: (String, u32),
}

impl PostProcessor {
    pub fn templates(&self) -> (Template, Template) {
        match self {
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
