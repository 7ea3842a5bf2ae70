//! The ByteLevel post-processor: with `trim_offsets`, a token's offsets leave out the spaces it
//! starts or ends with (written `Ġ` in the byte alphabet), as HF does; the space added by
//! `add_prefix_space` in front of the first token is kept.

use crate::tokenizer::encoding::Encoding;

const SPACE: char = '\u{120}';

fn is_space(c: char) -> bool {
    c == SPACE || c.is_whitespace()
}

/// Trims the offsets of `e` and of its overflowing windows; `token` names each token.
pub fn trim_offsets<'a>(e: &mut Encoding, token: &dyn Fn(usize, u32) -> Option<&'a str>, add_prefix_space: bool) {
    for o in &mut e.overflowing {
        trim_offsets(o, token, add_prefix_space);
    }
    for (i, (id, offsets)) in e.ids.iter().zip(e.offsets.iter_mut()).enumerate() {
        let Some(t) = token(i, *id) else { continue };
        let mut leading = t.chars().take_while(|&c| is_space(c)).count() as u32;
        let trailing = t.chars().rev().take_while(|&c| is_space(c)).count() as u32;
        if leading > 0 {
            let first = i == 0 || offsets.0 == 0;
            if first && add_prefix_space && leading == 1 {
                leading = 0;
            }
            offsets.0 = (offsets.0 + leading).min(offsets.1);
        }
        if trailing > 0 && offsets.1 >= trailing {
            offsets.1 = (offsets.1 - trailing).max(offsets.0);
        }
    }
}
