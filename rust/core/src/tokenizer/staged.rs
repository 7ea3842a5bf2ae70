//! Tokenizing under a pre-tokenizer Sequence that rewrites pieces after cutting them (see
//! `pretokenize::stages`): each piece of a stage is copied out with its alignment, rewritten as
//! HF rewrites it (a prefix space, or Metaspace's `▁`), and cut by the next stage. Slower than
//! the one-string path, and only taken by these rare pipelines.

use super::normalized_text::Normalized;
use super::tokenize::{Sink, WordBuffers};
use super::Tokenizer;
use crate::error::Result;
use crate::pretokenize::Rewrite;

impl Tokenizer {
    /// Rewrites `piece` for stage `k` and cuts it with that stage's steps; the last stage
    /// hands its pieces to the model. `starts_input`: the piece begins the whole input
    /// (Metaspace's `first` scheme prepends only there).
    pub(super) fn tokenize_staged(
        &self,
        mut piece: Normalized,
        k: usize,
        starts_input: bool,
        buffers: &mut WordBuffers,
        sink: Sink<'_>,
    ) -> Result<()> {
        let Some(stage) = self.stages.as_ref().and_then(|stages| stages.get(k)) else {
            return Ok(());
        };
        match &stage.rewrite {
            Some(Rewrite::PrefixSpace) if !piece.text().is_empty() && !piece.text().starts_with(' ') => {
                piece = piece.with_prefix(0..piece.text().len(), ' ');
            }
            Some(Rewrite::Metaspace(m)) => m.rewrite(&mut piece, starts_input),
            _ => {}
        }
        let whole = 0..piece.text().len();
        let last = self.stages.as_ref().is_some_and(|stages| k + 1 == stages.len());
        if last {
            return self.tokenize_words(&piece, whole, Some(&stage.cut), None, buffers, sink);
        }
        let mut sink = sink;
        let (mut pieces, mut scratch) = (vec![whole], Vec::new());
        stage.cut.split(piece.text(), &mut pieces, &mut scratch)?;
        for r in pieces {
            let starts = piece.original_span(r.clone()).0 == 0 && (piece.tracks() || starts_input && r.start == 0);
            let sub = piece.slice(r);
            self.tokenize_staged(sub, k + 1, starts, buffers, sink.reborrow())?;
        }
        Ok(())
    }
}
