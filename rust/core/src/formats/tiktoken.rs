//! `.tiktoken` files: one `base64(token bytes) rank` per line, ranks doubling as ids.
//!
//! tiktoken merges the adjacent pair whose concatenation has the lowest rank. We express that
//! as an HF byte-level BPE: the vocabulary in the byte-level alphabet, one merge (a, b) for
//! every split of every token into two tokens, ordered by the rank of the whole, and
//! `ignore_merges` (tiktoken takes a piece that is itself a token as it is).

use crate::error::{Error, Result};
use base64::Engine;
use rustc_hash::FxHashMap;

/// Ranks of a `.tiktoken` file, in file order, checked as `check_ranks` checks them. A token
/// written `=` is the empty token (Python's base64 reads it so, and Whisper's
/// `multilingual.tiktoken` ends with one), which no text encodes to.
pub fn parse_ranks(text: &str) -> Result<Vec<(Vec<u8>, u32)>> {
    let mut ranks = Vec::new();
    let mut lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |what: &str| Error::Config(format!("line {}: {what}: {line:?}", i + 1));
        let (token, rank) = line.split_once(' ').ok_or_else(|| bad("expected 'base64 rank'"))?;
        let bytes = if !token.is_empty() && token.bytes().all(|b| b == b'=') {
            Vec::new()
        } else {
            base64::engine::general_purpose::STANDARD.decode(token).map_err(|_| bad("invalid base64"))?
        };
        let rank: u32 = rank.trim().parse().map_err(|_| bad("invalid rank"))?;
        ranks.push((bytes, rank));
        lines.push((i + 1, line));
    }
    check_ranks(&ranks, |k| format!("line {}", lines[k].0), |k| format!(": {:?}", lines[k].1))?;
    Ok(ranks)
}

/// Ranks given as (token bytes, rank) pairs, as tiktoken's `mergeable_ranks` holds them; an
/// error names the entry by its index in `ranks`.
pub fn check_rank_list(ranks: &[(Vec<u8>, u32)]) -> Result<()> {
    check_ranks(ranks, |k| format!("rank entry {k} ({})", show_bytes(&ranks[k].0)), |_| String::new())
}

/// No token or rank twice, and a token for every single byte (else some texts could not be
/// encoded; tiktoken accepts such ranks and fails when it meets the byte). `place(k)` names
/// entry `k` in a message, `tail(k)` follows the message (the file line, for files).
fn check_ranks(
    ranks: &[(Vec<u8>, u32)],
    place: impl Fn(usize) -> String,
    tail: impl Fn(usize) -> String,
) -> Result<()> {
    let mut entry_of_bytes: FxHashMap<&[u8], usize> = FxHashMap::default();
    let mut entry_of_rank: FxHashMap<u32, usize> = FxHashMap::default();
    for (k, (bytes, rank)) in ranks.iter().enumerate() {
        if let Some(first) = entry_of_bytes.insert(bytes, k) {
            return Err(Error::Config(format!(
                "{}: token {} is already on {}{}",
                place(k),
                show_bytes(bytes),
                place(first),
                tail(k)
            )));
        }
        if let Some(first) = entry_of_rank.insert(*rank, k) {
            return Err(Error::Config(format!(
                "{}: rank {rank} is already the rank of {} (a rank is a token's id){}",
                place(k),
                place(first),
                tail(k)
            )));
        }
    }
    if ranks.is_empty() {
        return Err(Error::Config("the ranks hold no tokens".to_string()));
    }
    let missing: Vec<u8> = (0..=255u8).filter(|b| !entry_of_bytes.contains_key(&[*b][..])).collect();
    if !missing.is_empty() {
        let shown: Vec<String> = missing.iter().take(8).map(|b| format!("{:#04x}", b)).collect();
        let more = if missing.len() > 8 { format!(" and {} more", missing.len() - 8) } else { String::new() };
        return Err(Error::Config(format!(
            "no token for the single byte{} {}{more}: every byte needs a rank, or texts containing it cannot be \
             encoded",
            if missing.len() == 1 { "" } else { "s" },
            shown.join(", ")
        )));
    }
    Ok(())
}

/// Special tokens take ids of their own: an id that is also a rank would decode ambiguously.
pub fn check_special_tokens(ranks: &[(Vec<u8>, u32)], special_tokens: &[(String, u32)]) -> Result<()> {
    let by_rank: FxHashMap<u32, &[u8]> = ranks.iter().map(|(b, r)| (*r, b.as_slice())).collect();
    for (content, id) in special_tokens {
        if let Some(bytes) = by_rank.get(id) {
            return Err(Error::Config(format!(
                "special token {content:?} has id {id}, which is the rank of the token {}",
                show_bytes(bytes)
            )));
        }
    }
    Ok(())
}

/// A token for a message: its text when it is printable UTF-8, else its bytes.
fn show_bytes(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) if !s.chars().any(char::is_control) => format!("{s:?}"),
        _ => format!("b\"{}\"", bytes.escape_ascii()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::bpe::{merge_list, MergeSpec};
    use crate::models::Bpe;

    /// A ranks file: every single byte at its own value, then `extra` lines as written.
    fn with_all_bytes(extra: &str) -> String {
        let engine = base64::engine::general_purpose::STANDARD;
        let mut text: String = (0..=255u8).map(|b| format!("{} {b}\n", engine.encode([b]))).collect();
        text.push_str(extra);
        text
    }

    #[test]
    fn splits_become_merges_in_rank_order() {
        let text = with_all_bytes("YmM= 256\nYWJj 257\n"); // bc abc
        let ranks = parse_ranks(&text).unwrap();
        assert_eq!(
            merge_list(&ranks).unwrap(),
            vec![MergeSpec::Pair("b".into(), "c".into()), MergeSpec::Pair("a".into(), "bc".into())]
        );
        let bpe = Bpe::from_ranks(&ranks).unwrap();
        let mut out = Vec::new();
        bpe.tokenize("abcb", &mut Vec::new(), |id, _, _| out.push(id)).unwrap();
        assert_eq!(out, vec![257, 98]);
    }

    #[test]
    fn bad_lines_say_where() {
        let err = parse_ranks("YQ== 0\nnot-base64! 1\n").unwrap_err().to_string();
        assert!(err.starts_with("line 2: invalid base64"), "{err}");
    }

    #[test]
    fn a_rank_or_a_token_twice_is_refused_naming_both_lines() {
        let err = parse_ranks(&with_all_bytes("YWI= 256\nY2Q= 256\n")).unwrap_err().to_string();
        assert_eq!(err, r#"line 258: rank 256 is already the rank of line 257 (a rank is a token's id): "Y2Q= 256""#);
        let err = parse_ranks(&with_all_bytes("YWI= 256\nYWI= 257\n")).unwrap_err().to_string();
        assert_eq!(err, r#"line 258: token "ab" is already on line 257: "YWI= 257""#);
    }

    #[test]
    fn missing_single_bytes_are_named() {
        let text: String = with_all_bytes("")
            .lines()
            .filter(|l| !l.ends_with(" 122") && !l.ends_with(" 0"))
            .collect::<Vec<_>>()
            .join("\n");
        let err = parse_ranks(&text).unwrap_err().to_string();
        assert!(err.starts_with("no token for the single bytes 0x00, 0x7a: every byte needs a rank"), "{err}");
    }

    #[test]
    fn an_equals_sign_is_the_empty_token() {
        let ranks = parse_ranks(&with_all_bytes("= 256\n")).unwrap();
        assert_eq!(ranks.last(), Some(&(Vec::new(), 256)));
        let bpe = Bpe::from_ranks(&ranks).unwrap();
        assert_eq!(bpe.id_to_token(256), Some(""));
    }

    #[test]
    fn a_special_token_cannot_take_a_rank() {
        let ranks = parse_ranks(&with_all_bytes("")).unwrap();
        let err = check_special_tokens(&ranks, &[("<s>".into(), 256), ("<t>".into(), 97)]).unwrap_err().to_string();
        assert_eq!(err, r#"special token "<t>" has id 97, which is the rank of the token "a""#);
        let err = check_special_tokens(&ranks, &[("<n>".into(), 10)]).unwrap_err().to_string();
        assert_eq!(err, r#"special token "<n>" has id 10, which is the rank of the token b"\n""#);
    }
}
