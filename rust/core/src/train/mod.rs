//! Training tokenizers from text: a counting pass over the corpus (`word_counts`), then the
//! model's own algorithm on the counts (`bpe` for byte-level BPE, `char_bpe` for BPE over
//! characters with a continuing-subword prefix, which is also how WordPiece is trained), then the
//! files every tool loads (`bpe_files`, `wordpiece_files`).

pub mod bpe;
pub mod bpe_files;
pub mod char_bpe;
pub mod unigram;
pub mod word_counts;
pub mod wordpiece_files;

pub use bpe::{BpeTrainerOptions, TrainedBpe};
pub use word_counts::{WordCounts, WordSplit};

use crate::pretokenize::regex_split::KnownPattern;

/// The split pattern a trainer uses for a family name: `gpt2`, `cl100k_base`, `llama3`, `qwen2`,
/// `o200k_base`. `cl100k_base` is the spelling HF's `tokenizer.json` of cl100k holds (Llama-3's):
/// tiktoken's current spelling has `\p{N}{1,3}+` and `\s++$`, which HF's regex engine
/// (Oniguruma, Ruby syntax) reads differently (a repeated group, an end of line), so a file
/// written with it would split differently in HF than here.
pub fn pattern_of_name(name: &str) -> Option<KnownPattern> {
    match name {
        "cl100k_base" => Some(KnownPattern::Cl100k),
        other => KnownPattern::from_name(other),
    }
}
