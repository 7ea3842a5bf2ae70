//! Removes combining marks (General_Category=Mark). Without a prior NFD, precomposed letters
//! such as `é` are left alone, as in HF.

use crate::tokenizer::normalized_text::Normalized;
use crate::utils::unicode::is_combining_mark;

pub fn apply(n: &mut Normalized) {
    if n.text().is_ascii() {
        return;
    }
    n.filter(|c| !is_combining_mark(c));
}
