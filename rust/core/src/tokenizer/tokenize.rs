//! One sequence to tokens: added tokens are matched first, the rest is normalized,
//! pre-tokenized and given to the model, with character offsets when asked. Long texts under a
//! known split pattern are split and tokenized a block of pieces at a time.

use super::added_vocab::Piece;
use super::normalized_text::Normalized;
use super::{chunking, Tokenizer};
use crate::error::Result;
use crate::models::ModelScratch;
use crate::pretokenize::regex_split;
use crate::pretokenize::PreTokenizer;
use crate::utils::memory::Scratch as _;
use std::cell::RefCell;
use std::ops::Range;

/// Texts longer than this are split a block of `SCAN_BLOCK` pieces at a time, when the
/// pre-tokenizer allows it: the ranges of a whole megabyte (4 MB of them for random base64)
/// would leave the caches between splitting and tokenizing (measured: 10% slower on base64 and
/// 20% on prose than the same text in 4 KB documents). The text-level counterpart, for
/// pipelines that split at white space, is `chunking`.
const SCAN_ABOVE: usize = 16 << 10;
const SCAN_BLOCK: usize = 1024;

/// Where the tokens of a text go: ids, and when asked their offsets and the token texts that
/// differ from the vocabulary (see `Encoding::token_texts`).
pub(super) struct Sink<'a> {
    pub ids: &'a mut Vec<u32>,
    pub offsets: Option<&'a mut Vec<(u32, u32)>>,
    pub texts: Option<&'a mut Vec<(usize, Box<str>)>>,
    pub words: Option<WordIds<'a>>,
}

/// The word of each token, when asked (see `Encoding::word_ids`): `next` is the index the
/// next word gets; a word that yields no token still takes its index, as in HF.
pub struct WordIds<'a> {
    pub ids: &'a mut Vec<u32>,
    pub next: &'a mut u32,
}

impl Sink<'_> {
    pub(super) fn reborrow(&mut self) -> Sink<'_> {
        Sink {
            ids: &mut *self.ids,
            offsets: self.offsets.as_deref_mut(),
            texts: self.texts.as_deref_mut(),
            words: self.words.as_mut().map(WordIds::reborrow),
        }
    }
}

impl WordIds<'_> {
    pub(super) fn reborrow(&mut self) -> WordIds<'_> {
        WordIds { ids: &mut *self.ids, next: &mut *self.next }
    }

    /// Takes the next index for a new word.
    fn take(&mut self) -> u32 {
        let index = *self.next;
        *self.next += 1;
        index
    }
}

/// Buffers reused across calls on the same thread.
#[derive(Default)]
struct Scratch {
    raw_pieces: Vec<Piece>,
    norm_pieces: Vec<Piece>,
    normalized: Normalized,
    words: WordBuffers,
}

/// Buffers of the pre-tokenizer and the model.
#[derive(Default)]
pub(super) struct WordBuffers {
    words: Vec<Range<usize>>,
    split_scratch: Vec<Range<usize>>,
    model: ModelScratch,
}

crate::scratch_fields!(Scratch: raw_pieces, norm_pieces, normalized, words);
crate::scratch_fields!(WordBuffers: words, split_scratch, model);

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl Tokenizer {
    /// Runs `f` with this thread's model buffers, those `tokenize_into` uses (its caches
    /// included), for work on one piece outside the pipeline.
    pub(super) fn with_model_scratch<R>(&self, f: impl FnOnce(&mut ModelScratch) -> R) -> R {
        SCRATCH.with(|cell| {
            let mut guard = cell.borrow_mut();
            let result = f(&mut guard.words.model);
            guard.release_excess();
            result
        })
    }

    /// Tokenizes one sequence (no special tokens, no truncation) into `ids` and, when `offsets`
    /// is given, character offsets into `text`; when `texts` is given, the strings of added
    /// tokens that differ from their content (see `Encoding::token_texts`), by index in `ids`.
    pub fn tokenize_into(
        &self,
        text: &str,
        split_special_tokens: bool,
        ids: &mut Vec<u32>,
        offsets: Option<&mut Vec<(u32, u32)>>,
        texts: Option<&mut Vec<(usize, Box<str>)>>,
        words: Option<WordIds<'_>>,
    ) -> Result<()> {
        let track = offsets.is_some() || self.metaspace_needs_alignment;
        if let Some(seed) = self.model().dropout_seed() {
            crate::models::bpe::dropout::reseed(seed, text);
        }
        SCRATCH.with(|cell| {
            let mut guard = cell.borrow_mut();
            let result = self.tokenize_with(text, split_special_tokens, track, &mut guard, ids, offsets, texts, words);
            guard.release_excess();
            result
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn tokenize_with(
        &self,
        text: &str,
        split_special_tokens: bool,
        track: bool,
        s: &mut Scratch,
        ids: &mut Vec<u32>,
        offsets: Option<&mut Vec<(u32, u32)>>,
        texts: Option<&mut Vec<(usize, Box<str>)>>,
        words: Option<WordIds<'_>>,
    ) -> Result<()> {
        let mut out = Sink { ids, offsets, texts, words };
        {
            self.added.split_raw(text, split_special_tokens, &mut s.raw_pieces);
            // Character index of the start of the current raw piece, counted incrementally.
            let (mut seen_bytes, mut seen_chars) = (0usize, 0u32);
            let mut char_index = |byte: usize| -> u32 {
                if track && byte > seen_bytes {
                    seen_chars += text[seen_bytes..byte].chars().count() as u32;
                    seen_bytes = byte;
                }
                seen_chars
            };
            for piece in &s.raw_pieces {
                match piece {
                    Piece::Token(id, r) => {
                        self.note_added_text(*id, &text[r.clone()], out.ids.len(), out.texts.as_deref_mut());
                        out.ids.push(*id);
                        if let Some(w) = out.words.as_mut() {
                            let index = w.take();
                            w.ids.push(index);
                        }
                        let (a, b) = (char_index(r.start), char_index(r.end));
                        if let Some(o) = out.offsets.as_deref_mut() {
                            o.push((a, b));
                        }
                    }
                    Piece::Text(whole) => {
                        for r in chunking::chunks(text, whole.clone(), self.chunking) {
                            let chunk_starts_input = r.start == 0;
                            crate::utils::parallel::check_interrupt()?;
                            let base = char_index(r.start);
                            s.normalized.reset(&text[r.clone()], base, track)?;
                            if let Some(n) = &self.file.normalizer {
                                n.normalize(&mut s.normalized);
                                // Normalizers of long texts stop early once the call is
                                // interrupted (see `replace_ranges`): say so before using it.
                                crate::utils::parallel::check_interrupt()?;
                            }
                            self.added.split_normalized(s.normalized.text(), split_special_tokens, &mut s.norm_pieces);
                            for sub in &s.norm_pieces {
                                match sub {
                                    Piece::Token(id, r) => {
                                        let matched = &s.normalized.text()[r.clone()];
                                        self.note_added_text(*id, matched, out.ids.len(), out.texts.as_deref_mut());
                                        out.ids.push(*id);
                                        if let Some(w) = out.words.as_mut() {
                                            let index = w.take();
                                            w.ids.push(index);
                                        }
                                        if let Some(o) = out.offsets.as_deref_mut() {
                                            o.push(s.normalized.original_span(r.clone()));
                                        }
                                    }
                                    Piece::Text(r) if self.stages.is_some() => {
                                        let starts_input = s.normalized.original_span(r.clone()).0 == 0;
                                        let piece = s.normalized.slice(r.clone());
                                        self.tokenize_staged(piece, 0, starts_input, &mut s.words, out.reborrow())?
                                    }
                                    Piece::Text(r) if self.metaspace.is_some() => {
                                        let starts_input = match s.normalized.tracks() {
                                            true => s.normalized.original_span(r.clone()).0 == 0,
                                            false => chunk_starts_input && r.start == 0,
                                        };
                                        let mut piece = s.normalized.slice(r.clone());
                                        if let Some(m) = &self.metaspace {
                                            m.rewrite(&mut piece, starts_input);
                                        }
                                        self.tokenize_words(
                                            &piece,
                                            0..piece.text().len(),
                                            self.file.pre_tokenizer.as_ref(),
                                            self.scanned_by,
                                            &mut s.words,
                                            out.reborrow(),
                                        )?
                                    }
                                    Piece::Text(r) if self.needs_prefix_space(&s.normalized.text()[r.clone()]) => {
                                        let prefixed = s.normalized.with_prefix(r.clone(), ' ');
                                        self.tokenize_words(
                                            &prefixed,
                                            0..prefixed.text().len(),
                                            self.file.pre_tokenizer.as_ref(),
                                            self.scanned_by,
                                            &mut s.words,
                                            out.reborrow(),
                                        )?
                                    }
                                    Piece::Text(r) => self.tokenize_words(
                                        &s.normalized,
                                        r.clone(),
                                        self.file.pre_tokenizer.as_ref(),
                                        self.scanned_by,
                                        &mut s.words,
                                        out.reborrow(),
                                    )?,
                                }
                            }
                        }
                    }
                }
            }
            Ok(())
        }
    }

    /// HF names an added token by the text it matched, which differs from its content when
    /// `lstrip`/`rstrip` took whitespace or when it matched in normalized form; we keep the name
    /// only in that case.
    fn note_added_text(&self, id: u32, matched: &str, position: usize, texts: Option<&mut Vec<(usize, Box<str>)>>) {
        if let Some(texts) = texts {
            if self.id_to_token(id) != Some(matched) {
                texts.push((position, matched.into()));
            }
        }
    }

    /// ByteLevel's `add_prefix_space`: a piece that does not start with a space gets one.
    fn needs_prefix_space(&self, piece: &str) -> bool {
        !piece.is_empty()
            && !piece.starts_with(' ')
            && self.file.pre_tokenizer.as_ref().is_some_and(PreTokenizer::adds_prefix_space)
    }

    /// Cuts `normalized[range]` with `cut` (a block at a time when `scanned_by` says its pieces
    /// are a known pattern's matches) and tokenizes the pieces.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn tokenize_words(
        &self,
        normalized: &Normalized,
        range: Range<usize>,
        cut: Option<&PreTokenizer>,
        scanned_by: Option<regex_split::KnownPattern>,
        buffers: &mut WordBuffers,
        sink: Sink<'_>,
    ) -> Result<()> {
        let Sink { ids, mut offsets, mut texts, words: mut word_ids } = sink;
        if range.is_empty() {
            return Ok(());
        }
        let text = normalized.text();
        let WordBuffers { words, split_scratch, model: model_scratch } = buffers;
        let model = self.model();
        // Ids alone (ragged batches) take the model's block path, which skips the per-token
        // offsets and names.
        let ids_only = offsets.is_none() && texts.is_none() && word_ids.is_none();
        let mut tokenize = |words: &[Range<usize>], scratch: &mut ModelScratch| -> Result<()> {
            if ids_only {
                for block in words.chunks(4096) {
                    model.ids_of_pieces(text, block, self.byte_level, scratch, ids)?;
                    crate::utils::parallel::check_interrupt()?;
                }
                return Ok(());
            }
            for (k, w) in words.iter().enumerate() {
                // A megabyte document is one item of a batch: look for Ctrl-C inside it too.
                if k % 4096 == 4095 {
                    crate::utils::parallel::check_interrupt()?;
                }
                let start = w.start;
                // Bytes, not a string: after a ByteLevel step a piece may cut a character.
                let Some(word) = text.as_bytes().get(w.clone()) else {
                    return Err(crate::Error::InvalidArgument(format!("piece {w:?} is outside the text")));
                };
                let word_index = word_ids.as_mut().map(|w| w.take());
                model.tokenize_piece(word, self.byte_level, scratch, |id, s, e| {
                    if model.names_token_by_text(id) {
                        if let Some(t) = texts.as_deref_mut() {
                            let covered = word.get(s..e).unwrap_or_default();
                            // After a ByteLevel step the model read the byte-mapped text.
                            let name = match self.byte_level {
                                true => crate::utils::byte_alphabet::encode_bytes(covered),
                                false => String::from_utf8_lossy(covered).into_owned(),
                            };
                            t.push((ids.len(), name.into()));
                        }
                    }
                    if !self.renamed_model_ids.is_empty() && self.renamed_model_ids.contains(&id) {
                        if let (Some(t), Some(name)) = (texts.as_deref_mut(), model.id_to_token(id)) {
                            t.push((ids.len(), name.into()));
                        }
                    }
                    ids.push(id);
                    if let Some(o) = offsets.as_deref_mut() {
                        o.push(normalized.original_span(start + s..start + e));
                    }
                    if let (Some(w), Some(index)) = (word_ids.as_mut(), word_index) {
                        w.ids.push(index);
                    }
                })?;
            }
            Ok(())
        };
        match scanned_by {
            // Long texts, and all texts when only ids are wanted, a block of pieces at a time.
            Some(known) if ids_only || range.len() > SCAN_ABOVE => {
                let (mut at, scope) = (range.start, &text[..range.end]);
                while at < range.end {
                    words.clear();
                    at = regex_split::scan_some(known, scope, at, SCAN_BLOCK, words);
                    tokenize(words, model_scratch)?;
                    crate::utils::parallel::check_interrupt()?;
                }
            }
            _ => {
                words.clear();
                words.push(range);
                if let Some(p) = cut {
                    p.split(text, words, split_scratch)?;
                }
                tokenize(words, model_scratch)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::utils::memory::KEPT_SCRATCH_BYTES;

    const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");
    const LOCAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/sentencepiece");

    fn retained_bytes() -> usize {
        SCRATCH.with(|cell| cell.borrow().retained_bytes())
            + crate::models::unigram::retained_scratch_bytes()
            + crate::sentencepiece::unigram::retained_scratch_bytes()
            + crate::sentencepiece::model::retained_scratch_bytes()
    }

    /// Loading allocates the loading thread's piece caches for the model (so its first call does
    /// not pay for fresh memory); another thread's are allocated on its first call.
    #[test]
    fn loading_prepares_the_loading_threads_caches() {
        let read = |name: &str| std::fs::read_to_string(format!("{SHARED}/tokenizers/{name}")).unwrap();
        let ready = |tok: &Tokenizer| tok.with_model_scratch(|s| tok.model().thread_caches_ready(tok.byte_level, s));
        let loads: [&dyn Fn() -> Tokenizer; 3] = [
            &|| Tokenizer::from_tiktoken(&read("gpt2/gpt2.tiktoken"), "gpt2", &[]).unwrap(),
            &|| Tokenizer::from_json(&read("gpt2/tokenizer.json")).unwrap(),
            &|| Tokenizer::from_json(&read("bert-base-uncased/tokenizer.json")).unwrap(),
        ];
        for load in loads {
            let tok = load();
            assert!(ready(&tok));
            std::thread::scope(|scope| {
                scope.spawn(|| assert!(!ready(&tok)));
            });
        }
    }

    /// A long text grows the thread's buffers (alignments, lattices, symbols: tens of bytes
    /// per input byte); afterwards the thread keeps at most a cap per buffer, whatever the model.
    #[test]
    fn a_long_text_leaves_no_large_buffers_behind() {
        let text = "吾輩は猫である。名前はまだ無い。the cat sat on the mat\n".repeat(60_000);
        let json = |name: &str| std::fs::read_to_string(format!("{SHARED}/tokenizers/sentencepiece/{name}")).unwrap();
        let model = |path: String| std::fs::read(path).unwrap();
        let tokenizers = [
            ("legacy BPE json", Tokenizer::from_json(&json("mistral_v1.legacy.tokenizer.json")).unwrap()),
            ("Unigram json", Tokenizer::from_json(&json("mon_unigram_bytefallback.tokenizer.json")).unwrap()),
            (
                "BPE .model",
                Tokenizer::from_sentencepiece(&model(format!("{LOCAL}/mistral_v3.model")), false, false).unwrap(),
            ),
            (
                "Unigram .model",
                Tokenizer::from_sentencepiece(&model(format!("{LOCAL}/ja_unigram_8000.model")), false, false).unwrap(),
            ),
        ];
        // Twelve buffers at most could each keep the cap.
        let allowed = 12 * KEPT_SCRATCH_BYTES;
        for (what, tokenizer) in &tokenizers {
            for with_offsets in [false, true] {
                let (mut ids, mut offsets) = (Vec::new(), Vec::new());
                let offsets = with_offsets.then_some(&mut offsets);
                tokenizer.tokenize_into(&text, false, &mut ids, offsets, None, None).unwrap();
                assert!(ids.len() > 100_000, "{what}: {} ids", ids.len());
                let kept = retained_bytes();
                assert!(
                    kept <= allowed,
                    "{what} (offsets: {with_offsets}): {kept} bytes kept after {} bytes of text",
                    text.len()
                );
            }
        }
    }
}
