//! Pre-tokenizers that rewrite text inside a Sequence: a ByteLevel with `add_prefix_space` puts
//! a space before each piece the earlier steps made, and a Metaspace after another step turns
//! the spaces of each such piece into `▁` (and may prepend one). Pieces are ranges of one string
//! and cannot grow, so such a Sequence runs in stages: each stage starts at a rewriting step,
//! the tokenizer rewrites every piece of the previous stage on its own, and the stage's steps
//! (the rewriting step's own split included) cut it further.

use super::{Metaspace, PreTokenizer};

#[derive(Debug, Clone)]
pub enum Rewrite {
    /// ByteLevel's `add_prefix_space`: a space before a piece that lacks one.
    PrefixSpace,
    Metaspace(Metaspace),
}

#[derive(Debug, Clone)]
pub struct Stage {
    /// What happens to each piece before this stage's steps cut it (none for a first stage
    /// that starts with a plain step).
    pub rewrite: Option<Rewrite>,
    /// The steps, as one Sequence.
    pub cut: PreTokenizer,
}

impl PreTokenizer {
    pub(super) fn flatten_into(&self, steps: &mut Vec<PreTokenizer>) {
        match self {
            PreTokenizer::Sequence { pretokenizers } => pretokenizers.iter().for_each(|p| p.flatten_into(steps)),
            other => steps.push(other.clone()),
        }
    }

    fn rewrite(&self) -> Option<Rewrite> {
        match self {
            PreTokenizer::ByteLevel { add_prefix_space: true, .. } => Some(Rewrite::PrefixSpace),
            PreTokenizer::Metaspace(m) => Some(Rewrite::Metaspace(m.clone())),
            _ => None,
        }
    }

    /// The stages of a Sequence that needs them: one with a prefix-space ByteLevel anywhere, or
    /// a Metaspace after its first step. `None` for every other pre-tokenizer (a single
    /// ByteLevel or a leading Metaspace is rewritten by the tokenizer directly, faster).
    pub fn stages(&self) -> Option<Vec<Stage>> {
        let PreTokenizer::Sequence { .. } = self else { return None };
        let mut steps = Vec::new();
        self.flatten_into(&mut steps);
        let staged = steps.iter().enumerate().any(|(i, step)| match step.rewrite() {
            Some(Rewrite::PrefixSpace) => true,
            Some(Rewrite::Metaspace(_)) => i > 0,
            None => false,
        });
        if !staged {
            return None;
        }
        let mut stages: Vec<Stage> = Vec::new();
        for step in steps {
            let rewrite = step.rewrite();
            match stages.last_mut() {
                Some(stage) if rewrite.is_none() => {
                    if let PreTokenizer::Sequence { pretokenizers } = &mut stage.cut {
                        pretokenizers.push(step);
                    }
                }
                _ => stages.push(Stage { rewrite, cut: PreTokenizer::Sequence { pretokenizers: vec![step] } }),
            }
        }
        Some(stages)
    }
}
