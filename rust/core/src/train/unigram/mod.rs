//! Training a SentencePiece Unigram model, as `sentencepiece` 0.2.3's trainer does it
//! (`model_type=unigram`): count the words of the normalized lines (`words`), keep the
//! characters that cover `character_coverage` of the text, seed the vocabulary with the
//! frequent substrings (`seeds`, on a suffix array), then EM with pruning (`em`, on each word's
//! `lattice`) until the vocabulary has its size. `files` writes the `.model` and the
//! `tokenizer.json`.

mod em;
pub mod files;
mod lattice;
mod seeds;
mod valid;
mod word_edges;
pub mod words;

pub use valid::PieceRules;
pub use words::SentencePieceWords;

use crate::error::{Error, Result};
use crate::sentencepiece::proto::PieceType;
use crate::train::WordCounts;
use lattice::Pieces;
use rustc_hash::FxHashMap;
use seeds::SeedWord;
use word_edges::WordEdges;
use words::{split_key, BOUNDARY_CHAR, UNKNOWN_CHAR};

/// Longest word trained on, in bytes: spm_train leaves out whole lines longer than this
/// (`max_sentence_length`), so no longer word reaches its EM; here only such words are left out.
/// It also bounds a lattice (a word of n characters has up to 16n nodes).
pub const MAX_WORD_BYTES: usize = 4192;

#[derive(Debug, Clone)]
pub struct UnigramOptions {
    pub vocab_size: usize,
    /// Share of the characters (by count) the alphabet must cover; rarer ones are unknown.
    pub character_coverage: f64,
    /// Most seed substrings kept.
    pub seed_size: usize,
    /// Share of the pieces a pruning round keeps.
    pub shrinking_factor: f32,
    /// EM steps between prunings.
    pub sub_iterations: usize,
    pub rules: PieceRules,
    /// Whether the 256 byte pieces `<0x00>`..`<0xFF>` follow the special pieces.
    pub byte_fallback: bool,
    /// The special pieces, first ids in this order: the unknown piece, then control pieces.
    pub special_pieces: Vec<String>,
    pub unknown_piece: String,
}

/// A trained model: every piece in id order with its score and type.
#[derive(Debug, Clone)]
pub struct TrainedUnigram {
    pub pieces: Vec<(String, f32, PieceType)>,
    pub unk_id: u32,
    pub byte_fallback: bool,
    pub options: UnigramOptions,
}

/// The special and byte pieces, in id order.
fn meta_pieces(options: &UnigramOptions) -> Result<Vec<(String, PieceType)>> {
    let mut meta = Vec::new();
    for piece in &options.special_pieces {
        if piece.is_empty() {
            return Err(Error::InvalidArgument("special pieces must not be empty".into()));
        }
        if meta.iter().any(|(p, _)| p == piece) {
            return Err(Error::InvalidArgument(format!("special piece {piece:?} is given twice")));
        }
        let kind = if *piece == options.unknown_piece { PieceType::Unknown } else { PieceType::Control };
        meta.push((piece.clone(), kind));
    }
    if !meta.iter().any(|(_, k)| *k == PieceType::Unknown) {
        return Err(Error::InvalidArgument(format!(
            "the unknown piece {:?} must be one of the special pieces",
            options.unknown_piece
        )));
    }
    if options.byte_fallback {
        for b in 0..=255u8 {
            let piece = format!("<0x{b:02X}>");
            if meta.iter().any(|(p, _)| *p == piece) {
                return Err(Error::InvalidArgument(format!("special piece {piece:?} is a byte piece")));
            }
            meta.push((piece, PieceType::Byte));
        }
    }
    Ok(meta)
}

fn check(options: &UnigramOptions) -> Result<()> {
    let bad = |m: String| Err(Error::InvalidArgument(m));
    if !(0.98..=1.0).contains(&options.character_coverage) {
        return bad(format!("character_coverage must be in [0.98, 1], not {}", options.character_coverage));
    }
    if !(options.shrinking_factor > 0.0 && options.shrinking_factor < 1.0) {
        return bad(format!("shrinking_factor must be in (0, 1), not {}", options.shrinking_factor));
    }
    if options.rules.max_chars == 0 {
        return bad("max_piece_length must be at least 1".into());
    }
    if options.sub_iterations == 0 {
        return bad("n_sub_iterations must be at least 1".into());
    }
    Ok(())
}

/// The characters that must be pieces: the most frequent ones until `coverage` of all
/// characters is reached (ties in character order), with their counts.
fn required_chars(words: &[(&str, bool, u64)], coverage: f64) -> Vec<(char, u64)> {
    let mut counts: FxHashMap<char, u64> = FxHashMap::default();
    for &(word, _, count) in words {
        for c in word.chars().filter(|&c| c != '\0') {
            *counts.entry(c).or_default() += count;
        }
    }
    let all: u64 = counts.values().sum();
    let mut sorted: Vec<(char, u64)> = counts.into_iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut required = Vec::new();
    let mut covered = 0u64;
    for (c, count) in sorted {
        if (covered as f64 / all as f64) as f32 >= coverage as f32 {
            break;
        }
        covered += count;
        if c != BOUNDARY_CHAR {
            required.push((c, count));
        }
    }
    required
}

/// Trains on `counts` (words counted by a `SentencePieceWords` split). `on_step(done, total)`
/// is called after each step with a rough share of the work.
pub fn train(
    counts: &WordCounts,
    options: &UnigramOptions,
    on_step: &mut dyn FnMut(usize, usize) -> Result<()>,
) -> Result<TrainedUnigram> {
    check(options)?;
    let meta = meta_pieces(options)?;
    let mut counted: Vec<(&str, bool, u64)> = Vec::with_capacity(counts.len());
    for (key, count) in counts.iter() {
        let (word, line_end) = split_key(key);
        if word.len() > MAX_WORD_BYTES {
            continue;
        }
        let word = std::str::from_utf8(word)
            .map_err(|_| Error::InvalidArgument("a counted word is not UTF-8 (was it counted for Unigram?)".into()))?;
        counted.push((word, line_end, count));
    }
    if counted.is_empty() {
        return Err(Error::InvalidArgument("no text to train on".into()));
    }
    // Sorted first so that every later order (and float sum) is the same run after run.
    counted.sort_unstable_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)).then(a.1.cmp(&b.1)));
    let required = required_chars(&counted, options.character_coverage);
    if required.len() + meta.len() > options.vocab_size {
        return Err(Error::InvalidArgument(format!(
            "vocab_size {} is smaller than the alphabet: {} characters and {} special or byte pieces; \
             raise vocab_size or lower character_coverage",
            options.vocab_size,
            required.len(),
            meta.len()
        )));
    }
    let alphabet: rustc_hash::FxHashSet<char> = required.iter().map(|&(c, _)| c).collect();
    // Characters outside the alphabet become the unknown mark, as in the library.
    let replaced: Vec<(String, bool, u64)> = counted
        .iter()
        .map(|&(w, end, n)| {
            let word = if w.chars().all(|c| alphabet.contains(&c)) {
                w.to_string()
            } else {
                w.chars().map(|c| if alphabet.contains(&c) { c } else { UNKNOWN_CHAR }).collect()
            };
            (word, end, n)
        })
        .collect();
    drop(counted);

    let seed_words: Vec<SeedWord> =
        replaced.iter().map(|(w, end, n)| SeedWord { word: w.as_bytes(), line_end: *end, count: *n }).collect();
    let substrings = seeds::frequent_substrings(&seed_words, &options.rules, options.seed_size)?;
    drop(seed_words);
    let mut seed: Vec<(Box<[u8]>, f32, u32)> =
        required.iter().map(|&(c, n)| (c.to_string().into_bytes().into_boxed_slice(), n as f32, 0)).collect();
    seed.extend(substrings.into_iter().map(|(text, score)| (text, score, 0)));
    for (i, s) in seed.iter_mut().enumerate() {
        s.2 = i as u32;
    }
    let log_sum = seed.iter().map(|s| s.1 as f64).sum::<f64>().ln();
    for s in &mut seed {
        s.1 = ((s.1 as f64).ln() - log_sum) as f32;
    }
    let seed_count = seed.len();

    // EM runs on the distinct words (line ends no longer matter), most frequent first.
    let mut merged: FxHashMap<&[u8], u64> = FxHashMap::default();
    for (w, _, n) in &replaced {
        *merged.entry(w.as_bytes()).or_default() += n;
    }
    let mut words: Vec<(&[u8], u64)> = merged.into_iter().collect();
    words.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));

    let desired = (options.vocab_size as f64 * 1.1) as usize;
    let total_work = seed_count.saturating_sub(desired).max(1);
    let mut pieces = Pieces::new(seed, seed_count);
    let mut edges = WordEdges::build(&words, &pieces)?;
    loop {
        let before = pieces.len();
        for _ in 0..options.sub_iterations {
            let expected = em::expected_counts(&pieces, &words, &edges)?;
            pieces = Pieces::new(em::maximize(&pieces, &expected), seed_count);
            on_step(seed_count.saturating_sub(pieces.len()).min(total_work), total_work)?;
        }
        pieces = Pieces::new(em::prune(&pieces, &words, &edges, desired, options.shrinking_factor)?, seed_count);
        edges.compact(&pieces);
        on_step(seed_count.saturating_sub(pieces.len()).min(total_work), total_work)?;
        // A round that removes nothing would repeat forever (the library would loop).
        if pieces.len() <= desired || pieces.len() >= before {
            break;
        }
    }
    drop(edges);
    pieces = Pieces::new(em::reachable(&pieces), seed_count);
    let finals = finalize(&pieces, &required, options.vocab_size - meta.len());
    if finals.len() + meta.len() < options.vocab_size {
        return Err(Error::InvalidArgument(format!(
            "vocab_size {} is too high for this text: it gives at most {} pieces",
            options.vocab_size,
            finals.len() + meta.len()
        )));
    }
    let unk_id = meta.iter().position(|(_, k)| *k == PieceType::Unknown).unwrap_or(0) as u32;
    let mut out: Vec<(String, f32, PieceType)> = meta.into_iter().map(|(p, k)| (p, 0.0, k)).collect();
    for (text, score) in finals {
        let text = String::from_utf8(text.into_vec())
            .map_err(|_| Error::InvalidArgument("a trained piece is not UTF-8".into()))?;
        out.push((text, score, PieceType::Normal));
    }
    Ok(TrainedUnigram { pieces: out, unk_id, byte_fallback: options.byte_fallback, options: options.clone() })
}

/// The final vocabulary: every required character (those the pieces lost score just below the
/// lowest, in order of frequency), then the best-scored pieces up to `size`; by score, then text.
fn finalize(pieces: &Pieces, required: &[(char, u64)], size: usize) -> Vec<(Box<[u8]>, f32)> {
    let scores: FxHashMap<&[u8], f32> = pieces.list.iter().map(|(t, s, _)| (&t[..], *s)).collect();
    let mut chosen: FxHashMap<Box<[u8]>, f32> = FxHashMap::default();
    let mut penalty = 0.0f32;
    let mut sorted_required = required.to_vec();
    sorted_required.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (c, _) in sorted_required {
        let text: Box<[u8]> = c.to_string().into_bytes().into();
        let score = match scores.get(&text[..]) {
            Some(&s) => s,
            None => {
                let s = pieces.min_score() + penalty;
                penalty += 0.0001;
                s
            }
        };
        chosen.insert(text, score);
    }
    let mut by_score: Vec<&(Box<[u8]>, f32, u32)> = pieces.list.iter().collect();
    by_score.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    for (text, score, _) in by_score {
        if chosen.contains_key(text) {
            continue;
        }
        if chosen.len() == size {
            break;
        }
        chosen.insert(text.clone(), *score);
    }
    let mut finals: Vec<(Box<[u8]>, f32)> = chosen.into_iter().collect();
    finals.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    finals
}
