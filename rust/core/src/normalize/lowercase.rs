//! Unicode lowercase, character by character (no context rules such as final sigma), as HF does.

use crate::tokenizer::normalized_text::Normalized;

pub fn apply(n: &mut Normalized) {
    if n.text().is_ascii() {
        let lowered = n.text().to_ascii_lowercase();
        let (_, align) = n.take_buffers();
        n.set(lowered, align);
        return;
    }
    n.rebuild(|c, emit| {
        for (i, l) in c.to_lowercase().enumerate() {
            emit(l, i > 0)
        }
    });
}
