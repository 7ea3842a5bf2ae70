//! A buffer of UTF-8 text, a document per line, as documents: the input of `tokembed encode`
//! for `.txt` files, split and checked here rather than in Python so that reading a corpus
//! costs the encoder no core (decoding and splitting 10 MB into Python strings took ~65 ms of
//! the interpreter, a third of what encoding it takes).
//!
//! The rules are those of Python's `bytes.split(b"\n")` on the buffer, then for each line:
//! a final `"\r"` is dropped (Windows line ends), invalid UTF-8 is reported and then replaced
//! with U+FFFD or the line left out, and empty lines are left out unless kept.

use crate::error::{Error, Result};
use crate::tokenizer::batch;
use crate::Tokenizer;
use std::borrow::Cow;

/// What to do with a line that is not valid UTF-8 (it is reported either way).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnInvalid {
    /// Each invalid sequence becomes U+FFFD, as Python's `decode("utf-8", "replace")` does
    /// (both substitute maximal subparts, the Unicode recommended practice).
    Replace,
    /// The line is left out.
    Skip,
}

impl OnInvalid {
    /// The policy named `"replace"` or `"skip"`.
    pub fn from_name(name: &str) -> Result<OnInvalid> {
        match name {
            "replace" => Ok(OnInvalid::Replace),
            "skip" => Ok(OnInvalid::Skip),
            other => Err(Error::InvalidArgument(format!("invalid must be 'replace' or 'skip', got {other:?}"))),
        }
    }
}

/// A line that was not valid UTF-8.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadLine {
    /// 0-based number of the line in the buffer.
    pub line: usize,
    /// Where in the line the first invalid byte is.
    pub byte: usize,
    /// Python's words for it, so that reports read the same whichever reader found it.
    pub reason: &'static str,
}

/// The documents of a buffer, borrowed from it except for repaired lines.
#[derive(Debug, Default)]
pub struct Lines<'a> {
    pub documents: Vec<Cow<'a, str>>,
    pub bad: Vec<BadLine>,
    /// Empty lines left out.
    pub empty: usize,
}

/// The lines of a buffer encoded as one flat batch (see `tokenizer::batch::encode_flat`).
#[derive(Debug, Default)]
pub struct EncodedLines {
    pub ids: Vec<u32>,
    /// Row offsets, one row per document (`documents + 1` entries).
    pub offsets: Vec<i64>,
    pub bad: Vec<BadLine>,
    /// Empty lines left out.
    pub empty: usize,
}

/// Splits a buffer into documents (`split_lines`) and encodes them as `encode_flat` would.
pub fn encode_lines(
    tok: &Tokenizer,
    buf: &[u8],
    on_invalid: OnInvalid,
    keep_empty: bool,
    add_special_tokens: bool,
    split_special_tokens: bool,
) -> Result<EncodedLines> {
    let lines = split_lines(buf, on_invalid, keep_empty);
    let documents: Vec<&str> = lines.documents.iter().map(|d| d.as_ref()).collect();
    let (ids, offsets) = batch::encode_flat(tok, &documents, add_special_tokens, split_special_tokens)?;
    Ok(EncodedLines { ids, offsets, bad: lines.bad, empty: lines.empty })
}

pub fn split_lines(buf: &[u8], on_invalid: OnInvalid, keep_empty: bool) -> Lines<'_> {
    let mut out = Lines { documents: Vec::with_capacity(buf.len() / 64 + 1), ..Lines::default() };
    let mut start = 0;
    for (number, end) in memchr::memchr_iter(b'\n', buf).chain(std::iter::once(buf.len())).enumerate() {
        let raw = &buf[start..end];
        start = end + 1;
        let text = match crate::utils::utf8::from_utf8(raw) {
            Ok(text) => Cow::Borrowed(text),
            Err(e) => {
                out.bad.push(BadLine { line: number, byte: e.valid_up_to(), reason: reason(raw, &e) });
                match on_invalid {
                    OnInvalid::Replace => String::from_utf8_lossy(raw),
                    OnInvalid::Skip => continue,
                }
            }
        };
        let text = without_carriage_return(text);
        if text.is_empty() && !keep_empty {
            out.empty += 1;
            continue;
        }
        out.documents.push(text);
    }
    out
}

fn without_carriage_return(text: Cow<'_, str>) -> Cow<'_, str> {
    match text {
        Cow::Borrowed(t) => Cow::Borrowed(t.strip_suffix('\r').unwrap_or(t)),
        Cow::Owned(mut t) => {
            if t.ends_with('\r') {
                t.pop();
            }
            Cow::Owned(t)
        }
    }
}

/// The reason Python's UTF-8 decoder gives for the same error.
fn reason(raw: &[u8], e: &std::str::Utf8Error) -> &'static str {
    let first = raw.get(e.valid_up_to()).copied().unwrap_or(0);
    let can_start = matches!(first, 0xC2..=0xF4);
    if !can_start {
        "invalid start byte"
    } else if e.error_len().is_none() {
        "unexpected end of data"
    } else {
        "invalid continuation byte"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs<'a>(lines: &'a Lines<'a>) -> Vec<&'a str> {
        lines.documents.iter().map(|d| d.as_ref()).collect()
    }

    #[test]
    fn splits_like_python_split_and_drops_empty_lines() {
        let lines = split_lines(b"a\n\nb\r\nc\r", OnInvalid::Replace, false);
        assert_eq!(docs(&lines), ["a", "b", "c"]);
        assert_eq!(lines.empty, 1);
        let kept = split_lines(b"a\n\n\r\n", OnInvalid::Replace, true);
        assert_eq!(docs(&kept), ["a", "", "", ""]);
        assert_eq!(docs(&split_lines(b"", OnInvalid::Replace, true)), [""]);
    }

    #[test]
    fn invalid_lines_are_reported_then_repaired_or_left_out() {
        let buf = b"ok\nbad \xff here\r\nend \xe2\x82";
        let replaced = split_lines(buf, OnInvalid::Replace, false);
        assert_eq!(docs(&replaced), ["ok", "bad \u{fffd} here", "end \u{fffd}"]);
        assert_eq!(
            replaced.bad,
            [
                BadLine { line: 1, byte: 4, reason: "invalid start byte" },
                BadLine { line: 2, byte: 4, reason: "unexpected end of data" }
            ]
        );
        let skipped = split_lines(buf, OnInvalid::Skip, false);
        assert_eq!(docs(&skipped), ["ok"]);
        assert_eq!(skipped.bad.len(), 2);
        let continuation = split_lines(b"x\xe2(y", OnInvalid::Skip, false);
        assert_eq!(continuation.bad[0].reason, "invalid continuation byte");
    }
}
