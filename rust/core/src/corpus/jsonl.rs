//! JSON Lines as documents: the string under one key of each line's object, for `tokembed
//! encode` on `.jsonl` files, parsed here (serde_json, in parallel) rather than by Python's
//! `json`, which parses about 25 MB/s and would hold a core the encoder needs.
//!
//! Only the plain case is handled: every line blank, or valid UTF-8 holding an object whose
//! value under the key is a string. Anything else in a buffer (malformed JSON, a missing key, a
//! value that is not a string, invalid UTF-8, an escaped lone surrogate, which serde_json
//! refuses and Python accepts) makes `documents` return `None`, and the caller reads that buffer
//! with its careful reader, which reports each problem with its line. The two must agree on
//! every buffer both accept: the key's last occurrence wins, as in Python's `json`.

use crate::error::Result as CoreResult;
use crate::tokenizer::batch;
use crate::tokenizer::Tokenizer;
use crate::utils::parallel;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// What a buffer of JSON Lines gave: ids and row offsets as `batch::encode_flat` gives them,
/// and the number of empty documents left out.
pub struct Encoded {
    pub ids: Vec<u32>,
    pub offsets: Vec<i64>,
    pub empty: usize,
}

/// One group of lines encoded: ids, each document's length, and the empty documents left out.
type GroupIds = (Vec<u32>, Vec<usize>, usize);

/// Parses and encodes the buffer's documents, each group of lines on one thread of the pool
/// (parsing next to encoding, while the text is in cache); `Ok(None)` when some line needs the
/// careful reader. `first_line` numbers the buffer's first line in errors.
///
/// The groups are byte ranges cut after a newline, each found by its own thread: splitting the
/// whole buffer into lines first ran on one thread while the other waited (a tenth of a 4 MB
/// batch's time on two threads before it used memchr, and still the largest serial step).
pub fn encode(
    tok: &Tokenizer,
    buf: &[u8],
    key: &str,
    keep_empty: bool,
    add_special_tokens: bool,
    split_special_tokens: bool,
    first_line: usize,
) -> CoreResult<Option<Encoded>> {
    // As many groups as `map_chunks` makes chunks, so that each chunk is one group.
    let groups = line_groups(buf, parallel::num_threads() * parallel::CHUNKS_PER_THREAD);
    let parts = parallel::map_chunks(&groups, |_, ranges| -> CoreResult<Option<GroupIds>> {
        let bytes: usize = ranges.iter().map(|r| r.len()).sum();
        let mut ids = Vec::with_capacity(bytes / 4);
        let (mut lens, mut empty) = (Vec::new(), 0);
        for range in ranges {
            for (start, line) in lines_in(buf, range.clone()) {
                parallel::check_interrupt()?;
                if is_blank(line) {
                    continue; // blank lines may separate records
                }
                let Some(text) = text_of(line, key) else { return Ok(None) };
                if text.is_empty() && !keep_empty {
                    empty += 1;
                    continue;
                }
                let before = ids.len();
                tok.encode_ids_into(&text, add_special_tokens, split_special_tokens, &mut ids).map_err(|e| {
                    // Only a failing line pays for its number.
                    e.context(&format!("line {}", first_line + count_newlines(&buf[..start])))
                })?;
                lens.push(ids.len() - before);
            }
        }
        Ok(Some((ids, lens, empty)))
    })?;
    let mut joined = Vec::with_capacity(parts.len());
    let mut empty = 0;
    for part in parts {
        let Some((ids, lens, part_empty)) = part else { return Ok(None) };
        joined.push((ids, lens));
        empty += part_empty;
    }
    let (ids, offsets) = batch::join_parts(joined);
    Ok(Some(Encoded { ids, offsets, empty }))
}

/// About `parts` consecutive byte ranges covering `buf`, each but the last ending just after a
/// newline (so no line is cut); fewer when lines are longer than a part.
fn line_groups(buf: &[u8], parts: usize) -> Vec<std::ops::Range<usize>> {
    let step = buf.len().div_ceil(parts.max(1)).max(1);
    let mut groups = Vec::with_capacity(parts + 1);
    let mut start = 0;
    while start + step < buf.len() {
        match memchr::memchr(b'\n', &buf[start + step - 1..]) {
            // The last group is the only one to end at the buffer's end (see `lines_in`).
            Some(at) if start + step + at < buf.len() => {
                let end = start + step + at; // just after the newline
                groups.push(start..end);
                start = end;
            }
            _ => break,
        }
    }
    groups.push(start..buf.len());
    groups
}

/// The lines of `buf[range]` with where each starts in `buf`, as `buf.split(b'\n')` gives
/// them: a range that ends just after a newline has no empty line after it, except the last
/// range of the buffer (the one that ends at `buf.len()`), which always ends with a line.
fn lines_in(buf: &[u8], range: std::ops::Range<usize>) -> impl Iterator<Item = (usize, &[u8])> {
    let whole = range.end == buf.len();
    let body = &buf[range.clone()];
    let mut start = 0;
    let mut ends = memchr::memchr_iter(b'\n', body).chain(std::iter::once(body.len()).filter(move |_| whole));
    std::iter::from_fn(move || {
        let end = ends.next()?;
        let line = (range.start + start, &body[start..end]);
        start = end + 1;
        Some(line)
    })
}

/// How many `\n` the buffer holds (`bytes.count(b"\n")`, a few times faster).
pub fn count_newlines(buf: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', buf).count()
}

/// Only white space (as Python's `bytes.isspace` sees it).
fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|b| b" \t\n\r\x0b\x0c".contains(b))
}

/// The string under `key` in the object on `line`, when the line is that plain: what `encode`
/// takes from each line. The careful reader asks it for a line nested deeper than Python's
/// `json` can read, so that the two read every line alike.
pub fn text_of_line(line: &[u8], key: &str) -> Option<String> {
    text_of(line, key).map(Cow::into_owned)
}

/// The string under `key` in the object on `line`, when the line is that plain.
fn text_of<'a>(line: &'a [u8], key: &str) -> Option<Cow<'a, str>> {
    // Python's reader decodes the line first; invalid UTF-8 is its to report.
    let line = crate::utils::utf8::from_utf8(line).ok()?;
    // sonic-rs: the same serde visitors as serde_json, with SIMD scans of strings and of the
    // values that are skipped (about three times serde_json's rate on ~4 KB documents).
    let mut parser = sonic_rs::Deserializer::from_str(line);
    let found = TextUnder { key }.deserialize(&mut parser).ok()?;
    parser.end().ok()?;
    match found {
        Some(Field::Text(text)) => Some(text),
        _ => None,
    }
}

/// A value as far as we care: a string (borrowed when it has no escapes) or anything else.
enum Field<'a> {
    Text(Cow<'a, str>),
    Other,
}

struct FieldVisitor;

impl<'de> Visitor<'de> for FieldVisitor {
    type Value = Field<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Field<'de>, E> {
        Ok(Field::Text(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Field<'de>, E> {
        Ok(Field::Text(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Field<'de>, E> {
        Ok(Field::Text(Cow::Owned(v)))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Field<'de>, E> {
        Ok(Field::Other)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Field<'de>, E> {
        Ok(Field::Other)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Field<'de>, E> {
        Ok(Field::Other)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Field<'de>, E> {
        Ok(Field::Other)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Field<'de>, E> {
        Ok(Field::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Field<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Field::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Field<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Field::Other)
    }
}

impl<'de> de::Deserialize<'de> for Field<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FieldVisitor)
    }
}

/// An object, reduced to its last value under `key` (None when it has none).
struct TextUnder<'k> {
    key: &'k str,
}

impl<'de> DeserializeSeed<'de> for TextUnder<'_> {
    type Value = Option<Field<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TextUnder<'_> {
    type Value = Option<Field<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(name) = map.next_key::<Field<'de>>()? {
            match name {
                Field::Text(name) if name == self.key => found = Some(map.next_value::<Field<'de>>()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_the_groups_are_those_of_split() {
        let long = format!("{}\n\nxy\n{}\n", "a".repeat(50), "b".repeat(7));
        for buf in [&b""[..], b"\n", b"a", b"a\n", b"\n\na\nbc\n\nd", b"{\"t\": 1}\n{}", long.as_bytes()] {
            let expected: Vec<&[u8]> = buf.split(|&b| b == b'\n').collect();
            for parts in [1, 2, 3, 5, 16, 100] {
                let groups = line_groups(buf, parts);
                assert!(groups.len() <= parts.max(1) + 1, "{parts} parts: {groups:?}");
                assert_eq!(groups.first().map(|g| g.start), Some(0));
                assert!(groups.windows(2).all(|w| w[0].end == w[1].start && buf[w[0].end - 1] == b'\n'));
                let lines: Vec<(usize, &[u8])> = groups.iter().flat_map(|g| lines_in(buf, g.clone())).collect();
                assert_eq!(lines.iter().map(|l| l.1).collect::<Vec<_>>(), expected, "{parts} parts: {groups:?}");
                for (start, line) in lines {
                    assert_eq!(&buf[start..start + line.len()], line);
                    assert!(start == 0 || buf[start - 1] == b'\n');
                }
            }
            assert_eq!(count_newlines(buf), buf.iter().filter(|&&b| b == b'\n').count());
        }
    }

    /// The texts of a buffer's non-blank lines (None: some line is for the careful reader).
    fn docs(buf: &str) -> Option<Vec<String>> {
        let lines = buf.split('\n').filter(|l| !is_blank(l.as_bytes()));
        lines.map(|l| text_of(l.as_bytes(), "text").map(Cow::into_owned)).collect()
    }

    #[test]
    fn plain_lines_give_their_text_in_order() {
        let buf = "{\"id\": 1, \"text\": \"a\\nb \\u00e9\\ud83d\\ude00\", \"x\": [1, {\"y\": null}]}\n\n  \r\n{\"text\": \"two\"}";
        assert_eq!(docs(buf), Some(vec!["a\nb é😀".to_string(), "two".to_string()]));
    }

    #[test]
    fn the_last_value_of_a_repeated_key_wins_and_escaped_keys_match() {
        assert_eq!(docs("{\"text\": \"old\", \"t\\u0065xt\": \"new\"}"), Some(vec!["new".to_string()]));
        assert_eq!(docs("{\"text\": \"old\", \"text\": 3}"), None);
    }

    #[test]
    fn what_python_refuses_in_a_skipped_value_is_refused() {
        // Python's json (strict) refuses these wherever they are, so the line must go to the
        // careful reader even when the bad part is in a value we do not read.
        for bad in [
            "{\"id\": \"a\tb\", \"text\": \"x\"}",
            "{\"id\": \"a\\qb\", \"text\": \"x\"}",
            "{\"id\": 01, \"text\": \"x\"}",
            "{\"id\": [1, 2,], \"text\": \"x\"}",
            "{\"id\": {\"a\": \"\u{1}\"}, \"text\": \"x\"}",
            "{\"id\": tru, \"text\": \"x\"}",
            "{\"id\": 1.e5, \"text\": \"x\"}",
            "{\"id\": -, \"text\": \"x\"}",
            "{\"text\": \"x\"} {}",
            "{\"text\": \"x\",}",
        ] {
            assert_eq!(docs(bad), None, "{bad}");
        }
        assert_eq!(docs("{\"id\": [1, {\"a\": [null, true, -0.5e-3]}], \"text\": \"x\"}"), Some(vec!["x".to_string()]));
        // A lone surrogate is a string Python accepts; skipped, it changes nothing.
        assert_eq!(docs("{\"id\": \"\\ud800\", \"text\": \"x\"}"), Some(vec!["x".to_string()]));
        assert_eq!(docs("{\"text\": \"\\ud800x\"}"), None);
    }

    #[test]
    fn anything_unusual_goes_to_the_careful_reader() {
        for bad in [
            "{\"text\": \"a\"} x",
            "{\"text\": \"a\"",
            "[\"text\"]",
            "null",
            "{\"other\": \"a\"}",
            "{\"text\": 1}",
            "{\"text\": \"\\ud800\"}",
            "{\"text\": NaN}",
            "\u{feff}{\"text\": \"a\"}",
        ] {
            assert_eq!(docs(&format!("{{\"text\": \"fine\"}}\n{bad}")), None, "{bad}");
        }
        assert!(text_of(b"{\"text\": \"\xff\"}", "text").is_none());
    }

    #[test]
    fn deep_nesting_in_a_skipped_value_is_read_without_recursion() {
        // Python's json stops near 1,000 levels; the careful reader then asks `text_of_line`.
        for depth in [200, 100_000] {
            let line = format!("{{\"id\": {}{}, \"text\": \"x\"}}", "[".repeat(depth), "]".repeat(depth));
            assert_eq!(text_of_line(line.as_bytes(), "text").as_deref(), Some("x"), "depth {depth}");
            let unclosed = format!("{{\"id\": {}, \"text\": \"x\"}}", "[".repeat(depth));
            assert_eq!(text_of_line(unclosed.as_bytes(), "text"), None, "depth {depth}");
        }
    }
}
