//! Unicode normalization forms with alignment, through `unicode-normalization-alignments`, the
//! same tables and change-tracking as HF: reordered and composed characters get exactly the
//! offsets HF gives them.

use crate::tokenizer::normalized_text::Normalized;
use unicode_normalization_alignments::UnicodeNormalization;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnicodeForm {
    Nfc,
    Nfd,
    Nfkc,
    Nfkd,
}

pub fn apply(form: UnicodeForm, n: &mut Normalized) {
    // Every form leaves ASCII unchanged.
    if n.text().is_ascii() {
        return;
    }
    let text = n.text().to_string();
    match form {
        UnicodeForm::Nfc => n.transform(text.nfc(), 0),
        UnicodeForm::Nfd => n.transform(text.nfd(), 0),
        UnicodeForm::Nfkc => n.transform(text.nfkc(), 0),
        UnicodeForm::Nfkd => n.transform(text.nfkd(), 0),
    }
}
