//! Building a `Tokenizer`: from a `tokenizer.json` (added tokens get HF's ids), from the
//! files of a tiktoken encoding, GPT-2's `vocab.json` + `merges.txt` or BERT's `vocab.txt`
//! (each written out as the `tokenizer.json` HF would build), and back to `tokenizer.json`.

use super::added_vocab::{AddedIds, AddedToken, AddedVocabulary};
use super::padding::PaddingParams;
use super::truncation::TruncationParams;
use super::{chunking, Tokenizer};
use crate::decode::{Decoder, WordPieceDecoder};
use crate::error::{Error, Result};
use crate::formats::hf_json::{self, TokenizerFile};
use crate::formats::wordpiece_vocab::parse_wordpiece_vocab;
use crate::formats::{bpe_merges, sniff, tiktoken};
use crate::models::bpe::BpeSpec;
use crate::models::{Bpe, Model, WordPiece};
use crate::normalize::{BertNormalizer, Normalizer};
use crate::postprocess::{BertProcessing, PostProcessor, Step};
use crate::pretokenize::regex_split::KnownPattern;
use crate::pretokenize::{PreTokenizer, Split};
use rustc_hash::{FxHashMap, FxHashSet};

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
        let parsed = match crate::utils::utf8::from_utf8(data) {
            Ok(text) => Tokenizer::from_json(text),
            Err(e) => Err(Error::Config(format!("not UTF-8 text: {e}"))),
        };
        parsed.map_err(|e| sniff::describe_non_tokenizer_json(data).map_or(e, Error::Config))
    }

    fn with_added(file: TokenizerFile, added: AddedVocabulary) -> Result<Tokenizer> {
        let chunking = chunking::policy(file.normalizer.as_ref(), file.pre_tokenizer.as_ref(), &added);
        let byte_level = file.pre_tokenizer.as_ref().is_some_and(PreTokenizer::is_byte_level);
        let scanned_by = file.pre_tokenizer.as_ref().and_then(PreTokenizer::scanned_by);
        let stages = file.pre_tokenizer.as_ref().and_then(PreTokenizer::stages).map(Vec::into_boxed_slice);
        let scanned_by = scanned_by.filter(|_| stages.is_none());
        let (byte_level_steps, steps_after) =
            file.pre_tokenizer.as_ref().map_or((0, false), PreTokenizer::byte_level_steps);
        if byte_level_steps > 1 {
            return Err(Error::Config(format!(
                "pre_tokenizer: {byte_level_steps} ByteLevel steps (HF maps the bytes again at each one) are not supported"
            )));
        }
        if steps_after {
            if let Some(p) = &file.pre_tokenizer {
                p.check_steps_after_byte_level().map_err(Error::Config)?;
            }
        }
        if let Some(p) = &file.post_processor {
            p.check().map_err(Error::Config)?;
        }
        // Stages rewrite every piece themselves, a leading Metaspace included.
        let metaspace = match stages {
            Some(_) => None,
            None => file.pre_tokenizer.as_ref().and_then(PreTokenizer::leading_metaspace).cloned(),
        };
        // Stages ask where each piece starts in the input (Metaspace's `first` scheme); keeping
        // the alignment is simpler than knowing when, and these pipelines are rare.
        let metaspace_needs_alignment = stages.is_some()
            || file.normalizer.is_some()
                && metaspace.as_ref().is_some_and(|m| m.prepend_scheme == crate::pretokenize::PrependScheme::First);
        let mut tok = Tokenizer {
            metaspace,
            metaspace_needs_alignment,
            stages,
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
        tok.model().prepare(tok.byte_level);
        if tok.scanned_by.is_some() {
            // The scanners' Unicode class table, shared by every tokenizer and built once per
            // process (under a millisecond): at load, not in the first call.
            crate::pretokenize::regex_split::classes::classes();
        }
        tok.with_model_scratch(|scratch| tok.model().prepare_thread(tok.byte_level, scratch));
        Ok(tok)
    }

    /// A tiktoken encoding: the ranks of a `.tiktoken` file, the regex that splits text into
    /// pieces, and the special tokens (recognised in text, as HF does for added tokens).
    pub fn from_tiktoken(ranks_text: &str, pattern: &str, special_tokens: &[(String, u32)]) -> Result<Tokenizer> {
        let ranks = tiktoken::parse_ranks(ranks_text)?;
        Tokenizer::from_checked_ranks(&ranks, pattern, special_tokens)
    }

    /// A tiktoken encoding from its ranks held in memory (tiktoken's `mergeable_ranks`), as
    /// `from_tiktoken` builds one from a file.
    pub fn from_tiktoken_ranks(
        ranks: &[(Vec<u8>, u32)],
        pattern: &str,
        special_tokens: &[(String, u32)],
    ) -> Result<Tokenizer> {
        tiktoken::check_rank_list(ranks)?;
        Tokenizer::from_checked_ranks(ranks, pattern, special_tokens)
    }

    fn from_checked_ranks(
        ranks: &[(Vec<u8>, u32)],
        pattern: &str,
        special_tokens: &[(String, u32)],
    ) -> Result<Tokenizer> {
        // A known name ("gpt2", "cl100k_base", "o200k_base", "llama3", ...) stands for its regex.
        let pattern: &str = match KnownPattern::from_name(pattern) {
            Some(known) => known.pattern(),
            None => pattern,
        };
        tiktoken::check_special_tokens(ranks, special_tokens)?;
        let model = Bpe::from_ranks(ranks)?;
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

    /// A SentencePiece `.model` file, encoding and decoding as the `sentencepiece` library does;
    /// `add_bos` / `add_eos` put the model's bos / eos pieces around each sequence, as the
    /// library's options of those names do.
    pub fn from_sentencepiece(bytes: &[u8], add_bos: bool, add_eos: bool) -> Result<Tokenizer> {
        let parts = crate::sentencepiece::read(bytes)?;
        let mut specials = serde_json::Map::new();
        let mut special = |which: &str, wanted: bool, piece: &Option<(String, u32)>| -> Result<Option<String>> {
            if !wanted {
                return Ok(None);
            }
            let (name, id) = piece.clone().ok_or_else(|| {
                Error::Config(format!(
                    "SentencePiece model: add_{which} was asked for, but the model has no {which} piece"
                ))
            })?;
            specials.insert(name.clone(), serde_json::json!({"id": name, "ids": [id], "tokens": [name]}));
            Ok(Some(name))
        };
        let bos = special("bos", add_bos, &parts.bos)?;
        let eos = special("eos", add_eos, &parts.eos)?;
        let mut steps = Vec::new();
        for (sequence, type_id) in [("A", 0), ("B", 1)] {
            let mut one = Vec::new();
            one.extend(bos.iter().map(|b| serde_json::json!({"SpecialToken": {"id": b, "type_id": type_id}})));
            one.push(serde_json::json!({"Sequence": {"id": sequence, "type_id": type_id}}));
            one.extend(eos.iter().map(|e| serde_json::json!({"SpecialToken": {"id": e, "type_id": type_id}})));
            steps.push(one);
        }
        let post_processor: Option<PostProcessor> = match (add_bos, add_eos) {
            (false, false) => None,
            _ => Some(
                serde_json::from_value(serde_json::json!({
                    "type": "TemplateProcessing", "single": steps[0], "pair": steps.concat(), "special_tokens": specials,
                }))
                .map_err(|e| Error::Config(format!("SentencePiece model: bos/eos template: {e}")))?,
            ),
        };
        let file = TokenizerFile {
            version: "1.0".to_string(),
            truncation: None,
            padding: None,
            added_tokens: Vec::new(),
            normalizer: Some(Normalizer::SentencePiece(Box::new(parts.normalizer))),
            pre_tokenizer: None,
            post_processor,
            decoder: Some(Decoder::SentencePiece(Box::new(parts.decoder))),
            model: Model::SentencePiece(Box::new(parts.model)),
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

    /// The `tokenizer.json` with other truncation and padding settings than the loaded ones
    /// (the Python class keeps its settings; this tokenizer stays immutable).
    pub fn to_json_with_settings(
        &self,
        pretty: bool,
        truncation: Option<TruncationParams>,
        padding: Option<PaddingParams>,
    ) -> Result<String> {
        let mut with_settings = self.clone();
        with_settings.set_truncation(truncation);
        with_settings.set_padding(padding);
        with_settings.to_json(pretty)
    }

    /// The `tokenizer.json`. Added tokens whose ids HF would not give them on loading (special
    /// tokens of a tiktoken encoding after a gap, as cl100k_base's) are also written into the
    /// model's vocabulary, where HF (and `from_json`) then find their ids.
    pub fn to_json(&self, pretty: bool) -> Result<String> {
        let model = self.model();
        if matches!(model, Model::SentencePiece(_)) {
            return Err(Error::Config(
                "a tokenizer read from a SentencePiece .model has no tokenizer.json form that gives the same \
                 results (HF's converters approximate its white space handling); keep the .model file"
                    .to_string(),
            ));
        }
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
}
