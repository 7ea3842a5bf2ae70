//! BERT's `vocab.txt`: one token per line, the id is the line number.

use rustc_hash::FxHashMap;

/// Parses the file's text. Trailing whitespace is not part of a token; a repeated token keeps
/// its last line number, as HF does.
pub fn parse_wordpiece_vocab(text: &str) -> FxHashMap<String, u32> {
    let mut vocab = FxHashMap::default();
    for (i, line) in text.lines().enumerate() {
        vocab.insert(line.trim_end().to_string(), i as u32);
    }
    vocab
}
