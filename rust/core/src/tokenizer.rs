//! The tokenizer: one file's components wired into the pipeline
//! added tokens → normalizer → pre-tokenizer → model → truncation → post-processor → padding.

use crate::added_vocab::{AddedIds, AddedToken, AddedVocabulary, Piece};
use crate::chunking::{self, ChunkPolicy};
use crate::decode::{self, Decoder, WordPieceDecoder};
use crate::encoding::Encoding;
use crate::error::{Error, Result};
use crate::load::hf_json::{self, TokenizerFile};
use crate::load::vocab::parse_wordpiece_vocab;
use crate::load::{bpe_merges, sniff, tiktoken};
use crate::models::bpe::BpeSpec;
use crate::models::{Bpe, Model, ModelScratch, WordPiece};
use crate::normalize::{BertNormalizer, Normalizer};
use crate::normalized::Normalized;
use crate::padding::PaddingParams;
use crate::postprocess::{self, BertProcessing, PostProcessor, Step, Template};
use crate::pretokenize::{PreTokenizer, Split};
use crate::regex_split::{self, KnownPattern};
use crate::truncation::{self, TruncationParams};
use rustc_hash::{FxHashMap, FxHashSet};
use std::cell::RefCell;
use std::ops::Range;

/// Per-call choices; `None` truncation means none.
#[derive(Debug, Clone)]
pub struct EncodeOptions {
    pub add_special_tokens: bool,
    pub truncation: Option<TruncationParams>,
    /// Compute offsets (costs alignment tracking during normalization).
    pub offsets: bool,
    /// Encode special tokens found in the text as ordinary text.
    pub split_special_tokens: bool,
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
}

/// The added vocabulary HF builds when it loads `tokens` over `model` (see `AddedIds::Hf`).
fn hf_added_vocabulary(
    tokens: &[AddedToken],
    normalizer: Option<&Normalizer>,
    model: &Model,
) -> Result<AddedVocabulary> {
    let model_id = |content: &str| model.token_to_id(content);
    let ids = AddedIds::Hf { model_id: &model_id, model_size: model.vocab().len() };
    AddedVocabulary::with_ids(tokens.to_vec(), normalizer, ids).map_err(Error::Config)
}

/// HF's ByteLevel decoder with its default options written out: HF refuses `null` for them.
fn byte_level_decoder() -> Decoder {
    Decoder::ByteLevel { add_prefix_space: Some(true), trim_offsets: Some(true), use_regex: Some(true) }
}

/// Texts longer than this are split a block of `SCAN_BLOCK` pieces at a time, when the
/// pre-tokenizer allows it: the ranges of a whole megabyte (4 MB of them for random base64)
/// would leave the caches between splitting and tokenizing (measured: 10% slower on base64 and
/// 20% on prose than the same text in 4 KB documents). The text-level counterpart, for
/// pipelines that split at white space, is `chunking`.
const SCAN_ABOVE: usize = 16 << 10;
const SCAN_BLOCK: usize = 1024;

/// Where the tokens of a text go: ids, and when asked their offsets and the token texts that
/// differ from the vocabulary (see `Encoding::token_texts`).
struct Sink<'a> {
    ids: &'a mut Vec<u32>,
    offsets: Option<&'a mut Vec<(u32, u32)>>,
    texts: Option<&'a mut Vec<(usize, Box<str>)>>,
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
struct WordBuffers {
    words: Vec<Range<usize>>,
    split_scratch: Vec<Range<usize>>,
    model: ModelScratch,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl Tokenizer {
    /// A tokenizer whose added tokens keep the ids they carry (built from ranks or vocabulary
    /// files with explicit special-token ids). Such an id must agree with the model's
    /// vocabulary, so that the `tokenizer.json` we write gives the same ids when loaded.
    pub fn from_file_struct(file: TokenizerFile) -> Result<Tokenizer> {
        for t in &file.added_tokens {
            if let Some(m) = file.model.token_to_id(&t.content).filter(|&m| m != t.id) {
                return Err(Error::Config(format!(
                    "special token {:?} has id {}, but the vocabulary gives it id {m}",
                    t.content, t.id
                )));
            }
            if let Some(other) = file.model.id_to_token(t.id).filter(|&o| o != t.content) {
                return Err(Error::Config(format!(
                    "special token {:?} has id {}, which the vocabulary gives to {other:?}",
                    t.content, t.id
                )));
            }
        }
        let added = AddedVocabulary::new(file.added_tokens.clone(), file.normalizer.as_ref()).map_err(Error::Config)?;
        Tokenizer::with_added(file, added)
    }

    /// A `tokenizer.json`: added tokens get the ids HF gives them (see `AddedIds::Hf`), not
    /// necessarily those written in the file.
    pub fn from_json(json: &str) -> Result<Tokenizer> {
        let mut file = hf_json::parse(json)?;
        let added = hf_added_vocabulary(&file.added_tokens, file.normalizer.as_ref(), &file.model)?;
        file.added_tokens = added.tokens().to_vec();
        Tokenizer::with_added(file, added)
    }

    /// The bytes of a `tokenizer.json` file. When they are not one, the error says what kind of
    /// file they look like (a SentencePiece model, a `.tiktoken` file, gzip, ...) if it can tell.
    pub fn from_json_bytes(data: &[u8]) -> Result<Tokenizer> {
        let parsed = match std::str::from_utf8(data) {
            Ok(text) => Tokenizer::from_json(text),
            Err(e) => Err(Error::Config(format!("not UTF-8 text: {e}"))),
        };
        parsed.map_err(|e| sniff::describe_non_tokenizer_json(data).map_or(e, Error::Config))
    }

    fn with_added(file: TokenizerFile, added: AddedVocabulary) -> Result<Tokenizer> {
        let chunking = chunking::policy(file.normalizer.as_ref(), file.pre_tokenizer.as_ref(), &added);
        let byte_level = file.pre_tokenizer.as_ref().is_some_and(PreTokenizer::is_byte_level);
        let scanned_by = file.pre_tokenizer.as_ref().and_then(PreTokenizer::scanned_by);
        if file.pre_tokenizer.as_ref().is_some_and(PreTokenizer::unsupported_prefix_space) {
            return Err(Error::Config(
                "pre_tokenizer: a ByteLevel with add_prefix_space inside a Sequence is not supported yet".to_string(),
            ));
        }
        let mut tok = Tokenizer {
            file,
            added,
            templates: None,
            chunking,
            renamed_model_ids: FxHashSet::default(),
            byte_level,
            scanned_by,
        };
        tok.renamed_model_ids = (tok.added.tokens().iter())
            .map(|t| t.id)
            .filter(|&id| tok.model().id_to_token(id).is_some_and(|m| tok.id_to_token(id) != Some(m)))
            .collect();
        if let Some((mut single, mut pair)) = tok.file.post_processor.as_ref().map(PostProcessor::templates) {
            single.forget_vocabulary_names(|id| tok.id_to_token(id));
            pair.forget_vocabulary_names(|id| tok.id_to_token(id));
            tok.templates = Some((single, pair));
        }
        tok.check_ids()?;
        Ok(tok)
    }

    /// A tiktoken encoding: the ranks of a `.tiktoken` file, the regex that splits text into
    /// pieces, and the special tokens (recognised in text, as HF does for added tokens).
    pub fn from_tiktoken(ranks_text: &str, pattern: &str, special_tokens: &[(String, u32)]) -> Result<Tokenizer> {
        // A known name ("gpt2", "cl100k_base", "o200k_base", "llama3", ...) stands for its regex.
        let pattern: &str = match KnownPattern::from_name(pattern) {
            Some(known) => known.pattern(),
            None => pattern,
        };
        let ranks = tiktoken::parse_ranks(ranks_text)?;
        tiktoken::check_special_tokens(&ranks, special_tokens)?;
        let model = Bpe::from_spec(tiktoken::bpe_spec(&ranks)?)?;
        let split: Split = serde_json::from_value(serde_json::json!({
            "pattern": {"Regex": pattern},
            "behavior": "Isolated",
            "invert": false,
        }))
        .map_err(|e| Error::Config(format!("pattern: {e}")))?;
        let added_tokens = special_tokens.iter().map(|(content, id)| AddedToken::special(*id, content)).collect();
        let file = TokenizerFile {
            version: "1.0".to_string(),
            truncation: None,
            padding: None,
            added_tokens,
            normalizer: None,
            pre_tokenizer: Some(PreTokenizer::Sequence {
                pretokenizers: vec![
                    PreTokenizer::Split(split),
                    PreTokenizer::ByteLevel { add_prefix_space: false, trim_offsets: true, use_regex: false },
                ],
            }),
            post_processor: None,
            decoder: Some(byte_level_decoder()),
            model: Model::Bpe(model),
        };
        Tokenizer::from_file_struct(file)
    }

    /// A byte-level BPE from GPT-2's `vocab.json` and `merges.txt`, as HF's
    /// `ByteLevelBPETokenizer` builds it, with the given special tokens.
    pub fn from_byte_level_bpe(
        vocab_json: &str,
        merges_txt: &str,
        add_prefix_space: bool,
        trim_offsets: bool,
        special_tokens: &[(String, u32)],
    ) -> Result<Tokenizer> {
        let vocab: FxHashMap<String, u32> =
            serde_json::from_str(vocab_json).map_err(|e| Error::Config(format!("vocab.json: {e}")))?;
        let merges = bpe_merges::parse_merges(merges_txt)?;
        let model = Bpe::from_spec(BpeSpec::new(vocab, merges, false))?;
        let file = TokenizerFile {
            version: "1.0".to_string(),
            truncation: None,
            padding: None,
            added_tokens: special_tokens.iter().map(|(content, id)| AddedToken::special(*id, content)).collect(),
            normalizer: None,
            pre_tokenizer: Some(PreTokenizer::ByteLevel { add_prefix_space, trim_offsets: true, use_regex: true }),
            post_processor: Some(PostProcessor::ByteLevel { add_prefix_space: true, trim_offsets, use_regex: true }),
            decoder: Some(byte_level_decoder()),
            model: Model::Bpe(model),
        };
        Tokenizer::from_file_struct(file)
    }

    /// The BERT tokenizer HF's `BertWordPieceTokenizer` builds from a `vocab.txt`.
    pub fn from_wordpiece_vocab(vocab_text: &str, lowercase: bool) -> Result<Tokenizer> {
        let vocab = parse_wordpiece_vocab(vocab_text);
        let id_of = |t: &str| vocab.get(t).copied();
        let (Some(cls), Some(sep)) = (id_of("[CLS]"), id_of("[SEP]")) else {
            return Err(Error::Config("vocab.txt: a BERT vocabulary needs [CLS] and [SEP]".to_string()));
        };
        let added_tokens = ["[UNK]", "[SEP]", "[CLS]", "[PAD]", "[MASK]"]
            .iter()
            .filter_map(|&t| id_of(t).map(|id| AddedToken::special(id, t)))
            .collect();
        let file = TokenizerFile {
            version: "1.0".to_string(),
            truncation: None,
            padding: None,
            added_tokens,
            normalizer: Some(Normalizer::BertNormalizer(BertNormalizer { lowercase, ..Default::default() })),
            pre_tokenizer: Some(PreTokenizer::BertPreTokenizer {}),
            post_processor: Some(PostProcessor::BertProcessing(BertProcessing {
                sep: ("[SEP]".to_string(), sep),
                cls: ("[CLS]".to_string(), cls),
            })),
            decoder: Some(Decoder::WordPiece(WordPieceDecoder::default())),
            model: Model::WordPiece(WordPiece::from_vocab(vocab)?),
        };
        Tokenizer::from_file_struct(file)
    }

    /// Ids the post-processor and padding insert must exist, or decoding them would fail later.
    fn check_ids(&self) -> Result<()> {
        if let Some((single, pair)) = &self.templates {
            for step in single.0.iter().chain(pair.0.iter()) {
                if let Step::Special(ids, ..) = step {
                    for &id in ids {
                        if self.id_to_token(id).is_none() {
                            return Err(Error::Config(format!(
                                "post_processor: special token id {id} is not in the vocabulary"
                            )));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The `tokenizer.json`. Added tokens whose ids HF would not give them on loading (special
    /// tokens of a tiktoken encoding after a gap, as cl100k_base's) are also written into the
    /// model's vocabulary, where HF (and `from_json`) then find their ids.
    pub fn to_json(&self, pretty: bool) -> Result<String> {
        let model = self.model();
        let reloaded = hf_added_vocabulary(&self.file.added_tokens, None, model)?;
        let id_and_content = |t: &AddedToken| (t.id, t.content.clone());
        if reloaded.tokens().iter().map(id_and_content).eq(self.added.tokens().iter().map(id_and_content)) {
            return hf_json::to_json(&self.file, pretty);
        }
        let missing: Vec<(&str, u32)> = (self.added.tokens().iter())
            .filter(|t| model.token_to_id(&t.content).is_none())
            .map(|t| (t.content.as_str(), t.id))
            .collect();
        hf_json::to_json_with_model_tokens(&self.file, &missing, pretty)
    }

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

    pub fn get_vocab(&self) -> FxHashMap<String, u32> {
        let mut v = self.model().vocab().clone();
        for (content, id) in self.added.ids_by_content() {
            v.insert(content.to_string(), id);
        }
        v
    }

    pub fn vocab_size(&self) -> usize {
        self.get_vocab().len()
    }

    /// One past the largest id any token has.
    pub fn id_bound(&self) -> usize {
        let added = self.added.tokens().iter().map(|t| t.id as usize + 1).max().unwrap_or(0);
        self.model().id_bound().max(added)
    }

    /// Number of special tokens the post-processor adds.
    pub fn num_special_tokens_to_add(&self, is_pair: bool) -> usize {
        match &self.templates {
            Some((single, pair)) => if is_pair { pair } else { single }.added_tokens(),
            None => 0,
        }
    }

    /// Tokenizes one sequence (no special tokens, no truncation) into `ids` and, when `offsets`
    /// is given, character offsets into `text`; when `texts` is given, the strings of added
    /// tokens that differ from their content (see `Encoding::token_texts`), by index in `ids`.
    pub fn tokenize_into(
        &self,
        text: &str,
        split_special_tokens: bool,
        ids: &mut Vec<u32>,
        mut offsets: Option<&mut Vec<(u32, u32)>>,
        mut texts: Option<&mut Vec<(usize, Box<str>)>>,
    ) -> Result<()> {
        let track = offsets.is_some();
        SCRATCH.with(|cell| {
            let mut guard = cell.borrow_mut();
            let s = &mut *guard;
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
                        self.note_added_text(*id, &text[r.clone()], ids.len(), texts.as_deref_mut());
                        ids.push(*id);
                        let (a, b) = (char_index(r.start), char_index(r.end));
                        if let Some(o) = offsets.as_deref_mut() {
                            o.push((a, b));
                        }
                    }
                    Piece::Text(whole) => {
                        for r in chunking::chunks(text, whole.clone(), self.chunking) {
                            crate::parallel::check_interrupt()?;
                            let base = char_index(r.start);
                            s.normalized.reset(&text[r.clone()], base, track);
                            if let Some(n) = &self.file.normalizer {
                                n.normalize(&mut s.normalized);
                            }
                            self.added.split_normalized(s.normalized.text(), split_special_tokens, &mut s.norm_pieces);
                            for sub in &s.norm_pieces {
                                match sub {
                                    Piece::Token(id, r) => {
                                        let matched = &s.normalized.text()[r.clone()];
                                        self.note_added_text(*id, matched, ids.len(), texts.as_deref_mut());
                                        ids.push(*id);
                                        if let Some(o) = offsets.as_deref_mut() {
                                            o.push(s.normalized.original_span(r.clone()));
                                        }
                                    }
                                    Piece::Text(r) if self.needs_prefix_space(&s.normalized.text()[r.clone()]) => {
                                        let prefixed = s.normalized.with_prefix(r.clone(), ' ');
                                        self.tokenize_words(
                                            &prefixed,
                                            0..prefixed.text().len(),
                                            &mut s.words,
                                            Sink {
                                                ids: &mut *ids,
                                                offsets: offsets.as_deref_mut(),
                                                texts: texts.as_deref_mut(),
                                            },
                                        )?
                                    }
                                    Piece::Text(r) => self.tokenize_words(
                                        &s.normalized,
                                        r.clone(),
                                        &mut s.words,
                                        Sink {
                                            ids: &mut *ids,
                                            offsets: offsets.as_deref_mut(),
                                            texts: texts.as_deref_mut(),
                                        },
                                    )?,
                                }
                            }
                        }
                    }
                }
            }
            Ok(())
        })
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

    fn tokenize_words(
        &self,
        normalized: &Normalized,
        range: Range<usize>,
        buffers: &mut WordBuffers,
        sink: Sink<'_>,
    ) -> Result<()> {
        let Sink { ids, mut offsets, mut texts } = sink;
        if range.is_empty() {
            return Ok(());
        }
        let text = normalized.text();
        let WordBuffers { words, split_scratch, model: model_scratch } = buffers;
        let model = self.model();
        let mut tokenize = |words: &[Range<usize>]| -> Result<()> {
            for (k, w) in words.iter().enumerate() {
                // A megabyte document is one item of a batch: look for Ctrl-C inside it too.
                if k % 4096 == 4095 {
                    crate::parallel::check_interrupt()?;
                }
                let start = w.start;
                model.tokenize(&text[w.clone()], self.byte_level, model_scratch, |id, s, e| {
                    if !self.renamed_model_ids.is_empty() && self.renamed_model_ids.contains(&id) {
                        if let (Some(t), Some(name)) = (texts.as_deref_mut(), model.id_to_token(id)) {
                            t.push((ids.len(), name.into()));
                        }
                    }
                    ids.push(id);
                    if let Some(o) = offsets.as_deref_mut() {
                        o.push(normalized.original_span(start + s..start + e));
                    }
                })?;
            }
            Ok(())
        };
        match self.scanned_by {
            Some(known) if range.len() > SCAN_ABOVE => {
                let (mut at, scope) = (range.start, &text[..range.end]);
                while at < range.end {
                    words.clear();
                    at = regex_split::scan_some(known, scope, at, SCAN_BLOCK, words);
                    tokenize(words)?;
                    crate::parallel::check_interrupt()?;
                }
            }
            _ => {
                words.clear();
                words.push(range);
                if let Some(p) = &self.file.pre_tokenizer {
                    p.split(text, words, split_scratch)?;
                }
                tokenize(words)?;
            }
        }
        Ok(())
    }

    fn sequence(&self, text: &str, type_id: u32, opts: &EncodeOptions) -> Result<Encoding> {
        let (offsets, split_special_tokens) = (opts.offsets, opts.split_special_tokens);
        let mut ids = Vec::with_capacity(text.len() / 4 + 4);
        let mut offs = Vec::new();
        let mut texts = Vec::new();
        self.tokenize_into(
            text,
            split_special_tokens,
            &mut ids,
            if offsets { Some(&mut offs) } else { None },
            Some(&mut texts),
        )?;
        if !offsets {
            offs = vec![(0, 0); ids.len()];
        }
        let mut e = Encoding::from_tokens(ids, offs, type_id as u8);
        e.token_texts = texts;
        e.type_ids.iter_mut().for_each(|t| *t = type_id);
        Ok(e)
    }

    /// Encodes a text or a pair: tokens, truncation (leaving room for special tokens), then the
    /// post-processor. Padding is the caller's (it depends on the batch).
    pub fn encode(&self, text: &str, pair: Option<&str>, opts: &EncodeOptions) -> Result<Encoding> {
        let mut first = self.sequence(text, 0, opts)?;
        let mut second = match pair {
            Some(p) => Some(self.sequence(p, 1, opts)?),
            None => None,
        };
        if let Some(t) = &opts.truncation {
            let mut t = t.clone();
            let added = if opts.add_special_tokens { self.num_special_tokens_to_add(pair.is_some()) } else { 0 };
            if added > 0 {
                t.max_length = t.max_length.checked_sub(added).filter(|&m| m > 0).ok_or_else(|| {
                    Error::InvalidArgument(format!(
                        "max_length {} leaves no room for tokens after the {added} special tokens",
                        t.max_length
                    ))
                })?;
            }
            truncation::truncate(&mut first, second.as_mut(), &t)?;
        }
        let mut out = match &self.templates {
            Some((single, pair_t)) => match second {
                Some(s) => pair_t.apply(vec![first, s], opts.add_special_tokens),
                None => single.apply(vec![first], opts.add_special_tokens),
            },
            None => postprocess::join(first, second),
        };
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
                        Step::Sequence(0, _) => self.tokenize_into(text, split_special_tokens, ids, None, None)?,
                        Step::Sequence(..) => {}
                    }
                }
                Ok(())
            }
            _ => self.tokenize_into(text, split_special_tokens, ids, None, None),
        }
    }

    /// Decodes ids to text; an id outside the vocabulary is an error, not silently dropped.
    pub fn decode(&self, ids: &[u32], skip_special_tokens: bool) -> Result<String> {
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
            tokens.push(token);
        }
        Ok(tokens)
    }
}
