//! ByteFallback: runs of `<0xNN>` tokens become the text their bytes spell, or one U+FFFD per
//! byte when the run is not valid UTF-8 (HF's rule, not UTF-8's usual one replacement per
//! maximal invalid sequence).

/// The byte a `<0xNN>` token stands for.
pub fn byte_of_token(token: &str) -> Option<u8> {
    let hex = token.strip_prefix("<0x")?.strip_suffix('>')?;
    if hex.len() != 2 {
        return None;
    }
    u8::from_str_radix(hex, 16).ok()
}

pub fn decode_chain(tokens: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(tokens.len());
    let mut bytes: Vec<u8> = Vec::new();
    let flush = |bytes: &mut Vec<u8>, out: &mut Vec<String>| {
        if bytes.is_empty() {
            return;
        }
        match String::from_utf8(std::mem::take(bytes)) {
            Ok(text) => out.push(text),
            Err(e) => out.extend(std::iter::repeat_n("\u{FFFD}".to_string(), e.as_bytes().len())),
        }
    };
    for token in tokens {
        match byte_of_token(&token) {
            Some(b) => bytes.push(b),
            None => {
                flush(&mut bytes, &mut out);
                out.push(token);
            }
        }
    }
    flush(&mut bytes, &mut out);
    out
}
