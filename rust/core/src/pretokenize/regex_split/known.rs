//! The split patterns that have a hand-written scanner, recognised by their exact text.
//!
//! A pattern is recognised only in a spelling listed here, and every listed spelling is tested to
//! give the very matches its scanner gives (see the tests): anything else goes to the general
//! engine, so recognising never changes a result, only its speed.

use super::cl100k::Cl100kStyle;

/// A split pattern with a hand-written scanner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KnownPattern {
    /// GPT-2, r50k_base, p50k_base, p50k_edit; HF ByteLevel's built-in pattern.
    Gpt2,
    /// cl100k_base (GPT-3.5/4) as tiktoken ≤ 0.8 and HF files (Llama-3) write it.
    Cl100k,
    /// cl100k_base as newer tiktoken writes it, with `\s++$` before `\s*[\r\n]`: white space that
    /// ends the text is one piece even when it contains a newline (`"\n  "` stays whole, where
    /// [`KnownPattern::Cl100k`] gives `"\n"`, `"  "`).
    Cl100kTrailingSpace,
    /// Qwen2 / Qwen2.5: cl100k with one digit per piece.
    Qwen2,
    /// o200k_base (GPT-4o and later).
    O200k,
}

/// GPT-2's pattern as released and as HF's ByteLevel pre-tokenizer has it.
pub const GPT2: &str = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

/// cl100k_base as tiktoken ≤ 0.6 has it.
pub const CL100K: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// cl100k_base's newest tiktoken spelling.
pub const CL100K_TRAILING_SPACE: &str = r"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s";

/// Qwen2's pattern (its `tokenizer.json`).
pub const QWEN2: &str =
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// o200k_base: tiktoken's seven alternatives joined with `|`.
pub const O200K: &str = concat!(
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    r"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+",
);

/// Every recognised spelling with the pattern it is. Each one is checked against its scanner.
pub const SPELLINGS: &[(&str, KnownPattern)] = &[
    (GPT2, KnownPattern::Gpt2),
    // GPT-2's original release, with bracketed classes.
    (r"'s|'t|'re|'ve|'m|'ll|'d| ?[\p{L}]+| ?[\p{N}]+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+", KnownPattern::Gpt2),
    // tiktoken 0.6.
    (r"'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+", KnownPattern::Gpt2),
    // tiktoken's possessive spellings.
    (r"'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s+(?!\S)|\s++", KnownPattern::Gpt2),
    (r"'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s", KnownPattern::Gpt2),
    (CL100K, KnownPattern::Cl100k),
    // tiktoken 0.6 and 0.7.
    (
        r"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+",
        KnownPattern::Cl100k,
    ),
    (
        r"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s*[\r\n]|\s+(?!\S)|\s+",
        KnownPattern::Cl100k,
    ),
    (CL100K_TRAILING_SPACE, KnownPattern::Cl100kTrailingSpace),
    (QWEN2, KnownPattern::Qwen2),
    (O200K, KnownPattern::O200k),
];

impl KnownPattern {
    /// All known patterns.
    pub const ALL: [KnownPattern; 5] = [
        KnownPattern::Gpt2,
        KnownPattern::Cl100k,
        KnownPattern::Cl100kTrailingSpace,
        KnownPattern::Qwen2,
        KnownPattern::O200k,
    ];

    /// The pattern whose text is exactly `pattern` (in any spelling of [`SPELLINGS`]).
    pub fn from_regex(pattern: &str) -> Option<KnownPattern> {
        SPELLINGS.iter().find(|(spelling, _)| *spelling == pattern).map(|&(_, known)| known)
    }

    /// The pattern of a tokenizer family by name: `gpt2` (also `r50k_base`, `p50k_base`,
    /// `p50k_edit`), `cl100k_base`, `llama3`, `qwen2`, `o200k_base`.
    pub fn from_name(name: &str) -> Option<KnownPattern> {
        match name {
            "gpt2" | "r50k_base" | "p50k_base" | "p50k_edit" => Some(KnownPattern::Gpt2),
            // tiktoken's current cl100k_base ends with `\s++$`; Llama-3 files keep the older form.
            "cl100k_base" => Some(KnownPattern::Cl100kTrailingSpace),
            "llama3" => Some(KnownPattern::Cl100k),
            "qwen2" => Some(KnownPattern::Qwen2),
            "o200k_base" => Some(KnownPattern::O200k),
            _ => None,
        }
    }

    /// The canonical text of the pattern.
    pub fn pattern(self) -> &'static str {
        match self {
            KnownPattern::Gpt2 => GPT2,
            KnownPattern::Cl100k => CL100K,
            KnownPattern::Cl100kTrailingSpace => CL100K_TRAILING_SPACE,
            KnownPattern::Qwen2 => QWEN2,
            KnownPattern::O200k => O200K,
        }
    }

    /// Most digits one piece holds, counted from the start of a run of digits (`\p{N}{1,3}`
    /// makes `12345` into `123`, `45`); `None` when a whole run is one piece (GPT-2's
    /// ` ?\p{N}+`).
    pub fn digits_per_piece(self) -> Option<usize> {
        match (self, self.cl100k_style()) {
            (_, Some(style)) => Some(style.max_digits),
            (KnownPattern::O200k, None) => Some(3),
            _ => None,
        }
    }

    /// The cl100k-family variant, for the patterns that have one.
    pub(super) fn cl100k_style(self) -> Option<Cl100kStyle> {
        match self {
            KnownPattern::Cl100k => Some(Cl100kStyle { max_digits: 3, trailing_space_first: false }),
            KnownPattern::Cl100kTrailingSpace => Some(Cl100kStyle { max_digits: 3, trailing_space_first: true }),
            KnownPattern::Qwen2 => Some(Cl100kStyle { max_digits: 1, trailing_space_first: false }),
            KnownPattern::Gpt2 | KnownPattern::O200k => None,
        }
    }
}
