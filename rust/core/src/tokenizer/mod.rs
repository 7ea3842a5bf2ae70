//! The tokenizer: one file's components wired into the pipeline
//! added tokens → normalizer → pre-tokenizer → model → truncation → post-processor → padding.

pub mod added_vocab;
pub mod batch;
pub mod chunking;
pub mod encoding;
pub mod normalized_text;
pub mod padding;
pub mod truncation;

mod build;
mod long_text;
mod raw_bytes;
mod staged;
mod tokenize;
mod truncated_head;

use crate::decode::{self, Decoder};
use crate::error::{Error, Result};
use crate::formats::hf_json::TokenizerFile;
use crate::models::Model;
use crate::postprocess::{self, PostProcessor, Step, Template};
use crate::pretokenize::regex_split::KnownPattern;
use added_vocab::AddedVocabulary;
use chunking::ChunkPolicy;
use encoding::Encoding;
use padding::PaddingParams;
use rustc_hash::{FxHashMap, FxHashSet};
use truncation::TruncationParams;

/// Per-call choices; `None` truncation means none.
#[derive(Debug, Clone)]
pub struct EncodeOptions {
    pub add_special_tokens: bool,
    pub truncation: Option<TruncationParams>,
    /// Compute offsets (costs alignment tracking during normalization).
    pub offsets: bool,
    /// Encode special tokens found in the text as ordinary text.
    pub split_special_tokens: bool,
    /// Keep the strings of the tokens whose string is not their vocabulary entry
    /// (`Encoding::token_texts`). Padded arrays hold ids only and turn this off, which, with
    /// offsets off too, lets the model answer a block of pieces at a time as `encode_batch_flat`
    /// does (the per-token path was 2.4-2.7x slower).
    pub token_texts: bool,
    /// Keep the windows truncation cuts off (`Encoding::overflowing`). Without them a truncated
    /// text is tokenized only as far as its kept tokens reach (see `truncated_head`).
    pub overflowing: bool,
}

#[derive(Debug, Clone)]
pub struct Tokenizer {
    file: TokenizerFile,
    added: AddedVocabulary,
    /// Single and pair templates of the post-processor, if any.
    templates: Option<(Template, Template)>,
    /// How long texts may be cut into independent chunks (None: never).
    chunking: Option<ChunkPolicy>,
    /// Model ids that an added token renames (same id, other string): HF still reports the
    /// model's string for the tokens the model produces. Almost always empty.
    renamed_model_ids: FxHashSet<u32>,
    /// The pre-tokenizer maps text to bytes (GPT-2 style): BPE starts from bytes.
    byte_level: bool,
    /// The known pattern whose matches are the pre-tokenizer's pieces, if it is one: long texts
    /// are then split and tokenized a block of pieces at a time.
    scanned_by: Option<KnownPattern>,
    /// The pre-tokenizer's leading Metaspace, whose rewrite the tokenizer applies to each piece.
    metaspace: Option<crate::pretokenize::Metaspace>,
    /// Its `first` scheme asks whether a piece starts the input, which after a normalizer only
    /// the alignment tells: it is then kept even when offsets are not wanted.
    metaspace_needs_alignment: bool,
    /// A Sequence that rewrites pieces after cutting them (see `pretokenize::stages`).
    stages: Option<Box<[crate::pretokenize::Stage]>>,
}

impl Tokenizer {
    pub fn truncation(&self) -> Option<&TruncationParams> {
        self.file.truncation.as_ref()
    }

    pub fn padding(&self) -> Option<&PaddingParams> {
        self.file.padding.as_ref()
    }

    pub fn set_truncation(&mut self, t: Option<TruncationParams>) {
        self.file.truncation = t;
    }

    pub fn set_padding(&mut self, p: Option<PaddingParams>) {
        self.file.padding = p;
    }

    fn model(&self) -> &Model {
        &self.file.model
    }

    pub fn id_to_token(&self, id: u32) -> Option<&str> {
        self.added.id_to_token(id).or_else(|| self.model().id_to_token(id))
    }

    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.added.token_to_id(token).or_else(|| self.model().token_to_id(token))
    }

    pub fn is_special(&self, id: u32) -> bool {
        self.added.is_special(id)
    }

    /// This tokenizer with BPE-dropout at probability `p` (off when `None` or 0), its draws
    /// seeded by `seed` (see `models::bpe::dropout`). Only BPE models have dropout.
    pub fn with_dropout(&self, p: Option<f32>, seed: u64) -> Result<Tokenizer> {
        if let Some(p) = p.filter(|p| !(0.0..=1.0).contains(p)) {
            return Err(Error::InvalidArgument(format!("dropout: {p} is not a probability (0 to 1)")));
        }
        let mut out = self.clone();
        out.file.model = match &self.file.model {
            Model::Bpe(b) => Model::Bpe(b.clone().with_dropout(p, seed)),
            _ if p.is_none() => return Ok(out),
            _ => return Err(Error::InvalidArgument("dropout: only a BPE model has BPE-dropout".to_string())),
        };
        Ok(out)
    }

    /// Token string to id: the model's, and with `with_added` the added tokens' over them.
    pub fn get_vocab(&self, with_added: bool) -> FxHashMap<String, u32> {
        let mut v = self.model().vocab().clone();
        if with_added {
            for (content, id) in self.added.ids_by_content() {
                v.insert(content.to_string(), id);
            }
        }
        v
    }

    pub fn vocab_size(&self) -> usize {
        self.get_vocab(true).len()
    }

    /// The largest id any token has (added tokens included), None for an empty vocabulary: what
    /// `get_vocab(true)` would give as its largest value, without building it.
    pub fn max_token_id(&self) -> Option<u32> {
        let added = self.added.tokens().iter().map(|t| t.id).max();
        let bound = u32::try_from(self.model().id_bound()).unwrap_or(u32::MAX);
        // The model's ids are dense but for rare holes: the first id from the top is the answer.
        let model = (0..bound).rev().find(|&id| self.model().id_to_token(id).is_some());
        added.max(model)
    }

    /// One past the largest id any token has.
    pub fn id_bound(&self) -> usize {
        let added = self.added.tokens().iter().map(|t| t.id as usize + 1).max().unwrap_or(0);
        self.model().id_bound().max(added)
    }

    /// Ids from a caller as vocabulary ids: each must be in `0..id_bound()`, else the error
    /// names the first one that is not and its position.
    pub fn checked_ids(&self, ids: &[i64]) -> Result<Vec<u32>> {
        let bound = self.id_bound();
        (ids.iter().enumerate())
            .map(|(position, &id)| {
                u32::try_from(id).ok().filter(|&v| (v as usize) < bound).ok_or(Error::IdOutOfRange {
                    id,
                    position,
                    vocab_size: bound,
                })
            })
            .collect()
    }

    /// Number of special tokens the post-processor adds.
    pub fn num_special_tokens_to_add(&self, is_pair: bool) -> usize {
        match &self.templates {
            Some((single, pair)) => if is_pair { pair } else { single }.added_tokens(),
            None => 0,
        }
    }

    /// One sequence as an Encoding; word ids come with offsets (the calls that skip offsets
    /// return arrays without either).
    fn sequence(&self, text: &str, type_id: u32, opts: &EncodeOptions) -> Result<Encoding> {
        let (offsets, split_special_tokens) = (opts.offsets, opts.split_special_tokens);
        let mut ids = Vec::with_capacity(text.len() / 4 + 4);
        let (mut offs, mut texts, mut word_ids) = (Vec::new(), Vec::new(), Vec::new());
        let mut next_word = 0;
        if offsets || opts.token_texts {
            self.tokenize_into(
                text,
                split_special_tokens,
                &mut ids,
                if offsets { Some(&mut offs) } else { None },
                opts.token_texts.then_some(&mut texts),
                offsets.then_some(tokenize::WordIds { ids: &mut word_ids, next: &mut next_word }),
            )?;
        } else {
            self.tokenize_ids(text, split_special_tokens, &mut ids)?;
        }
        if !offsets {
            offs = vec![(0, 0); ids.len()];
            word_ids = vec![encoding::NO_WORD; ids.len()];
        }
        let mut e = Encoding::from_tokens(ids, offs, type_id as u8, word_ids);
        e.token_texts = texts;
        e.type_ids.iter_mut().for_each(|t| *t = type_id);
        Ok(e)
    }

    /// Pre-tokenized input, as HF's `is_pretokenized`: each word is encoded on its own (offsets
    /// within the word), and every token of word `i` has word id `i`.
    fn pretokenized_sequence(&self, words: &[&str], type_id: u32, opts: &EncodeOptions) -> Result<Encoding> {
        let mut out = Encoding::from_tokens(Vec::new(), Vec::new(), type_id as u8, Vec::new());
        for (i, word) in words.iter().enumerate() {
            let index = u32::try_from(i).map_err(|_| Error::InvalidArgument("more than 2^32 words".to_string()))?;
            let mut e = self.sequence(word, type_id, opts)?;
            if opts.offsets {
                e.word_ids.iter_mut().for_each(|w| *w = index);
            }
            out.merge_with(e);
        }
        Ok(out)
    }

    /// Encodes pre-tokenized input (a list of words, and optionally a pair's): as `encode`, with
    /// the words given rather than found.
    pub fn encode_pretokenized(&self, words: &[&str], pair: Option<&[&str]>, opts: &EncodeOptions) -> Result<Encoding> {
        let first = self.pretokenized_sequence(words, 0, opts)?;
        let second = pair.map(|p| self.pretokenized_sequence(p, 1, opts)).transpose()?;
        self.post_process(first, second, opts)
    }

    /// Encodes a text or a pair: tokens, truncation (leaving room for special tokens), then the
    /// post-processor. Padding is the caller's (it depends on the batch).
    pub fn encode(&self, text: &str, pair: Option<&str>, opts: &EncodeOptions) -> Result<Encoding> {
        let first = match (pair, self.tokens_kept(opts)) {
            (None, Some(kept)) => self.sequence_head(text, kept, opts)?,
            _ => self.sequence(text, 0, opts)?,
        };
        let second = pair.map(|p| self.sequence(p, 1, opts)).transpose()?;
        self.post_process(first, second, opts)
    }

    /// Truncation (leaving room for special tokens), then the post-processor: what `encode`
    /// does after tokenizing, also for encodings made elsewhere (HF's `post_process`).
    pub fn post_process(
        &self,
        mut first: Encoding,
        mut second: Option<Encoding>,
        opts: &EncodeOptions,
    ) -> Result<Encoding> {
        let is_pair = second.is_some();
        if let Some(t) = &opts.truncation {
            let mut t = t.clone();
            let added = if opts.add_special_tokens { self.num_special_tokens_to_add(is_pair) } else { 0 };
            if added > 0 {
                t.max_length = t.max_length.checked_sub(added).filter(|&m| m > 0).ok_or_else(|| {
                    Error::InvalidArgument(format!(
                        "max_length {} leaves no room for tokens after the {added} special tokens",
                        t.max_length
                    ))
                })?;
            }
            truncation::truncate(&mut first, second.as_mut(), &t, opts.overflowing)?;
        }
        // HF's sequence ranges: a post-processor gives each input and its windows one (BERT's
        // and RoBERTa's build the encodings anew, dropping the ranges the inputs had); without
        // one, a pair's two inputs get theirs (not their windows), a single text none.
        let processed = self.templates.is_some();
        if self.file.post_processor.as_ref().is_some_and(PostProcessor::builds_new_ranges) {
            for e in std::iter::once(&mut first).chain(second.as_mut()) {
                e.sequence_ranges.clear();
                e.overflowing.iter_mut().for_each(|o| o.sequence_ranges.clear());
            }
        }
        if processed || is_pair {
            first.set_sequence_range(0, processed);
            if let Some(s) = second.as_mut() {
                s.set_sequence_range(1, processed);
            }
        }
        let mut out = match &self.templates {
            Some((single, pair_t)) => match second {
                Some(s) => pair_t.apply(vec![first, s], opts.add_special_tokens),
                None => single.apply(vec![first], opts.add_special_tokens),
            },
            None => postprocess::join(first, second),
        };
        out.settle_sequence_ids();
        if let (true, Some(add_prefix_space)) =
            (opts.offsets, self.file.post_processor.as_ref().and_then(PostProcessor::trims_offsets))
        {
            postprocess::byte_level::trim_offsets(&mut out, &|_, id| self.id_to_token(id), add_prefix_space);
        }
        Ok(out)
    }

    /// Appends the ids of `text` with the single-sequence special tokens: the fast path for
    /// ragged batches, which needs neither offsets nor an `Encoding`.
    pub fn encode_ids_into(
        &self,
        text: &str,
        add_special_tokens: bool,
        split_special_tokens: bool,
        ids: &mut Vec<u32>,
    ) -> Result<()> {
        match (&self.templates, add_special_tokens) {
            (Some((single, _)), true) => {
                for step in &single.0 {
                    match step {
                        Step::Special(special, ..) => ids.extend_from_slice(special),
                        Step::Sequence(0, _) => self.tokenize_ids(text, split_special_tokens, ids)?,
                        Step::Sequence(..) => {}
                    }
                }
                Ok(())
            }
            _ => self.tokenize_ids(text, split_special_tokens, ids),
        }
    }

    /// The ids of one sequence; a long text whose pipeline allows it is cut into parts that
    /// threads tokenize side by side (see `long_text`).
    fn tokenize_ids(&self, text: &str, split_special_tokens: bool, ids: &mut Vec<u32>) -> Result<()> {
        let threads = crate::utils::parallel::num_threads();
        let cuts = (threads > 1 && text.len() > long_text::PARALLEL_ABOVE).then(|| self.long_text_cuts()).flatten();
        if let Some(cuts) = cuts {
            let parts = cuts.parts(text, threads);
            if parts.len() > 1 {
                let encoded = crate::utils::parallel::map_chunks(&parts, |_, group| {
                    let mut part_ids = Vec::with_capacity(group.iter().map(|r| r.len() / 4).sum());
                    for r in group {
                        self.tokenize_into(&text[r.clone()], split_special_tokens, &mut part_ids, None, None, None)?;
                    }
                    Ok(part_ids)
                })?;
                ids.reserve(encoded.iter().map(Vec::len).sum());
                for part in encoded {
                    ids.extend_from_slice(&part);
                }
                return Ok(());
            }
        }
        self.tokenize_into(text, split_special_tokens, ids, None, None, None)
    }

    /// Decodes ids to text; an id outside the vocabulary is an error, not silently dropped.
    pub fn decode(&self, ids: &[u32], skip_special_tokens: bool) -> Result<String> {
        if let Some(Decoder::SentencePiece(s)) = &self.file.decoder {
            // By id: a piece's type is its id's, where two pieces may share a text.
            let kept = self.ids_to_decode(ids, skip_special_tokens)?;
            return Ok(s.decode_ids(kept));
        }
        let tokens = self.tokens_to_decode(ids, skip_special_tokens)?;
        Ok(match &self.file.decoder {
            Some(d) => d.decode(&tokens),
            None => decode::join_with_spaces(&tokens),
        })
    }

    /// Whether `decode` is `decode_bytes` read as UTF-8 with U+FFFD for invalid sequences, and
    /// `decode_bytes` of ids the concatenation of each id's bytes (a byte-level decoder).
    pub fn decodes_bytes(&self) -> bool {
        matches!(self.file.decoder, Some(Decoder::ByteLevel { .. }))
    }

    /// The bytes ids stand for. For a byte-level decoder these are the raw bytes, which may end
    /// inside a character (what a streaming decoder needs); otherwise the decoded text's UTF-8.
    pub fn decode_bytes(&self, ids: &[u32], skip_special_tokens: bool) -> Result<Vec<u8>> {
        match &self.file.decoder {
            Some(Decoder::ByteLevel { .. }) => {
                Ok(decode::byte_level::token_bytes(&self.tokens_to_decode(ids, skip_special_tokens)?))
            }
            _ => Ok(self.decode(ids, skip_special_tokens)?.into_bytes()),
        }
    }

    fn tokens_to_decode(&self, ids: &[u32], skip_special_tokens: bool) -> Result<Vec<&str>> {
        Ok(self.ids_to_decode(ids, skip_special_tokens)?.into_iter().map(|(_, token)| token).collect())
    }

    /// The (id, token) pairs `decode` reads: special tokens left out when asked.
    fn ids_to_decode(&self, ids: &[u32], skip_special_tokens: bool) -> Result<Vec<(u32, &str)>> {
        let mut tokens = Vec::with_capacity(ids.len());
        for (position, &id) in ids.iter().enumerate() {
            let token = self.id_to_token(id).ok_or(Error::IdOutOfRange {
                id: id as i64,
                position,
                vocab_size: self.id_bound(),
            })?;
            if skip_special_tokens && self.added.is_special_content(token) {
                continue;
            }
            tokens.push((id, token));
        }
        Ok(tokens)
    }
}
