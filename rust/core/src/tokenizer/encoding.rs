//! The result of encoding one input (a text or a pair): parallel arrays, one entry per token,
//! plus the overflowing windows that truncation produced.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Direction {
    #[default]
    Right,
    Left,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Encoding {
    pub ids: Vec<u32>,
    pub type_ids: Vec<u32>,
    /// (start, end) in characters of the text the token came from; (0, 0) for added ones.
    pub offsets: Vec<(u32, u32)>,
    pub special_tokens_mask: Vec<u8>,
    pub attention_mask: Vec<u8>,
    /// Which input a token came from: 0 (text), 1 (pair), or `NO_SEQUENCE` for added tokens.
    pub sequence_ids: Vec<u8>,
    /// Which word of its sequence a token came from (a pre-tokenizer piece or an added token
    /// matched in the text, counted from 0; a word of pre-tokenized input), `NO_WORD` for the
    /// post-processor's tokens and padding.
    pub word_ids: Vec<u32>,
    /// `(position, string)` of the tokens whose string is not the vocabulary's for their id, in
    /// position order. HF reports what an added token matched (in normalized form, with the
    /// whitespace `lstrip`/`rstrip` took) and the names a post-processor template gives its
    /// tokens; keeping only these exceptions costs nothing for ordinary text.
    pub token_texts: Vec<(usize, Box<str>)>,
    pub overflowing: Vec<Encoding>,
    /// HF leaves a single sequence without a post-processor unmarked, and then reports every
    /// position, padding included, as sequence 0.
    pub padding_is_sequence_0: bool,
    /// HF's "sequence ranges": `(sequence, start, stop)`, the tokens it counts as of each
    /// sequence. Post-processing sets them, merging shifts and joins them (a later sequence's
    /// replacing an earlier one's of the same number), truncation drops them. What HF reports
    /// as each token's sequence follows from these alone (`settle_sequence_ids`).
    pub sequence_ranges: Vec<(u8, u32, u32)>,
}

pub const NO_SEQUENCE: u8 = u8::MAX;
pub const NO_WORD: u32 = u32::MAX;

/// Sets the range of `range.0`, replacing the one it had.
fn set_range(ranges: &mut Vec<(u8, u32, u32)>, range: (u8, u32, u32)) {
    match ranges.iter_mut().find(|r| r.0 == range.0) {
        Some(r) => *r = range,
        None => ranges.push(range),
    }
}

impl Encoding {
    /// Tokens of one sequence, before post-processing.
    pub fn from_tokens(ids: Vec<u32>, offsets: Vec<(u32, u32)>, sequence: u8, word_ids: Vec<u32>) -> Encoding {
        let n = ids.len();
        debug_assert_eq!(word_ids.len(), n);
        Encoding {
            ids,
            type_ids: vec![0; n],
            offsets,
            special_tokens_mask: vec![0; n],
            attention_mask: vec![1; n],
            sequence_ids: vec![sequence; n],
            word_ids,
            token_texts: Vec::new(),
            overflowing: Vec::new(),
            padding_is_sequence_0: false,
            sequence_ranges: Vec::new(),
        }
    }

    /// Added tokens (from a post-processor template): special, attended, no offsets; `texts`
    /// are the template's names that differ from the vocabulary's.
    pub fn special(ids: &[u32], type_id: u32, texts: &[(usize, Box<str>)]) -> Encoding {
        let n = ids.len();
        Encoding {
            ids: ids.to_vec(),
            type_ids: vec![type_id; n],
            offsets: vec![(0, 0); n],
            special_tokens_mask: vec![1; n],
            attention_mask: vec![1; n],
            sequence_ids: vec![NO_SEQUENCE; n],
            word_ids: vec![NO_WORD; n],
            token_texts: texts.to_vec(),
            overflowing: Vec::new(),
            padding_is_sequence_0: false,
            sequence_ranges: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    fn slice(&self, start: usize, stop: usize) -> Encoding {
        Encoding {
            ids: self.ids[start..stop].to_vec(),
            type_ids: self.type_ids[start..stop].to_vec(),
            offsets: self.offsets[start..stop].to_vec(),
            special_tokens_mask: self.special_tokens_mask[start..stop].to_vec(),
            attention_mask: self.attention_mask[start..stop].to_vec(),
            sequence_ids: self.sequence_ids[start..stop].to_vec(),
            word_ids: self.word_ids[start..stop].to_vec(),
            token_texts: self
                .token_texts
                .iter()
                .filter(|(i, _)| (start..stop).contains(i))
                .map(|(i, t)| (i - start, t.clone()))
                .collect(),
            overflowing: Vec::new(),
            padding_is_sequence_0: self.padding_is_sequence_0,
            // HF's truncation drops the ranges.
            sequence_ranges: Vec::new(),
        }
    }

    /// Keeps `max_len` tokens and moves the rest into overflowing windows that overlap by
    /// `stride` tokens (or drops it, without `windows`: a caller that throws the windows away
    /// need not have them copied out). The caller guarantees `stride < max_len` when
    /// `max_len > 0`.
    pub fn truncate(&mut self, max_len: usize, stride: usize, direction: Direction, windows: bool) {
        let len = self.len();
        if max_len >= len {
            return;
        }
        if max_len == 0 {
            let whole = std::mem::take(self);
            if windows {
                self.overflowing.push(whole);
            }
            return;
        }
        if !windows {
            let start = match direction {
                Direction::Right => 0,
                Direction::Left => len - max_len,
            };
            *self = self.slice(start, start + max_len);
            return;
        }
        let step = max_len - stride;
        let mut cuts = Vec::new();
        match direction {
            Direction::Right => {
                let mut start = 0;
                loop {
                    let stop = (start + max_len).min(len);
                    cuts.push((start, stop));
                    if stop == len {
                        break;
                    }
                    start += step;
                }
            }
            Direction::Left => {
                let mut stop = len;
                loop {
                    let start = stop.saturating_sub(max_len);
                    cuts.push((start, stop));
                    if start == 0 || stop <= step {
                        break;
                    }
                    stop -= step;
                }
            }
        }
        let mut first = self.slice(cuts[0].0, cuts[0].1);
        first.overflowing = cuts[1..].iter().map(|&(s, e)| self.slice(s, e)).collect();
        *self = first;
    }

    /// Counts every token of this encoding, and of its windows if `windows`, as of sequence
    /// `sequence`, as HF's post-processing does (its `set_sequence_id`).
    pub fn set_sequence_range(&mut self, sequence: u8, windows: bool) {
        set_range(&mut self.sequence_ranges, (sequence, 0, self.ids.len() as u32));
        if windows {
            for o in &mut self.overflowing {
                set_range(&mut o.sequence_ranges, (sequence, 0, o.ids.len() as u32));
            }
        }
    }

    /// Sets `sequence_ids` to what HF reports from its ranges, here and in the windows: for each
    /// sequence number below the number of ranges, the tokens of its range, or every position
    /// (padding included) when it has none; other tokens are of no sequence.
    pub fn settle_sequence_ids(&mut self) {
        self.overflowing.iter_mut().for_each(Encoding::settle_sequence_ids);
        let len = self.ids.len();
        let mut settled = vec![NO_SEQUENCE; len];
        let mut whole = None;
        for s in 0..self.sequence_ranges.len().max(1) as u8 {
            let (start, stop) = match self.sequence_ranges.iter().find(|r| r.0 == s) {
                Some(&(_, a, b)) => (a as usize, b as usize),
                None => {
                    whole = Some(s);
                    (0, len)
                }
            };
            if let Some(part) = settled.get_mut(start..stop.min(len)) {
                part.fill(s);
            }
        }
        self.sequence_ids = settled;
        // Padding falls in every range HF takes as the whole encoding.
        self.padding_is_sequence_0 = whole == Some(0);
    }

    /// Appends `other`, combining overflowing windows the way HF does: each of ours with the
    /// whole of `other` and with each of its windows, then ourself with each of its windows
    /// (ourself with our own windows, so those come out nested, as in HF).
    pub fn merge_with(&mut self, other: Encoding) {
        let mut overflowing = Vec::new();
        for mine in &self.overflowing {
            let mut n = mine.clone();
            n.merge_with(other.clone());
            overflowing.push(n);
            for theirs in &other.overflowing {
                let mut n = mine.clone();
                n.merge_with(theirs.clone());
                overflowing.push(n);
            }
        }
        for theirs in &other.overflowing {
            let mut n = self.clone();
            n.merge_with(theirs.clone());
            overflowing.push(n);
        }
        let shift = self.len();
        for &(s, a, b) in &other.sequence_ranges {
            set_range(&mut self.sequence_ranges, (s, a + shift as u32, b + shift as u32));
        }
        self.token_texts.extend(other.token_texts.into_iter().map(|(i, t)| (i + shift, t)));
        self.ids.extend(other.ids);
        self.type_ids.extend(other.type_ids);
        self.offsets.extend(other.offsets);
        self.special_tokens_mask.extend(other.special_tokens_mask);
        self.attention_mask.extend(other.attention_mask);
        self.sequence_ids.extend(other.sequence_ids);
        self.word_ids.extend(other.word_ids);
        self.overflowing = overflowing;
    }

    /// Pads to `target` tokens (never truncates), overflowing windows too.
    /// Pads to `target` tokens with `pad_id`; `pad_name`, when given, is the string the padding
    /// positions are named by (HF names them by the padding's `pad_token`, whatever the
    /// vocabulary calls `pad_id`).
    pub fn pad(
        &mut self,
        target: usize,
        pad_id: u32,
        pad_type_id: u32,
        direction: Direction,
        pad_name: Option<&str>,
    ) -> Result<()> {
        for o in &mut self.overflowing {
            o.pad(target, pad_id, pad_type_id, direction, pad_name)?;
        }
        let len = self.len();
        if len >= target {
            return Ok(());
        }
        let n = target - len;
        let pad_sequence = if self.padding_is_sequence_0 { 0 } else { NO_SEQUENCE };
        // Reserve first: a padding length from an argument or a file may not fit in memory,
        // and a failed allocation would abort the process.
        let oom = |_| Error::OutOfMemory(format!("padding to {target} tokens"));
        self.ids.try_reserve_exact(n).map_err(oom)?;
        self.type_ids.try_reserve_exact(n).map_err(oom)?;
        self.offsets.try_reserve_exact(n).map_err(oom)?;
        self.special_tokens_mask.try_reserve_exact(n).map_err(oom)?;
        self.attention_mask.try_reserve_exact(n).map_err(oom)?;
        self.sequence_ids.try_reserve_exact(n).map_err(oom)?;
        self.word_ids.try_reserve_exact(n).map_err(oom)?;
        match direction {
            Direction::Right => {
                self.ids.extend(std::iter::repeat_n(pad_id, n));
                self.type_ids.extend(std::iter::repeat_n(pad_type_id, n));
                self.offsets.extend(std::iter::repeat_n((0, 0), n));
                self.special_tokens_mask.extend(std::iter::repeat_n(1, n));
                self.attention_mask.extend(std::iter::repeat_n(0, n));
                self.sequence_ids.extend(std::iter::repeat_n(pad_sequence, n));
                self.word_ids.extend(std::iter::repeat_n(NO_WORD, n));
                if let Some(name) = pad_name {
                    self.token_texts.extend((len..target).map(|i| (i, name.into())));
                }
            }
            Direction::Left => {
                fn prepend<T: Copy>(v: &mut Vec<T>, value: T, n: usize) {
                    v.splice(0..0, std::iter::repeat_n(value, n));
                }
                prepend(&mut self.ids, pad_id, n);
                prepend(&mut self.type_ids, pad_type_id, n);
                prepend(&mut self.offsets, (0, 0), n);
                prepend(&mut self.special_tokens_mask, 1, n);
                prepend(&mut self.attention_mask, 0, n);
                prepend(&mut self.sequence_ids, pad_sequence, n);
                prepend(&mut self.word_ids, NO_WORD, n);
                self.token_texts.iter_mut().for_each(|(i, _)| *i += n);
                self.sequence_ranges.iter_mut().for_each(|(_, a, b)| (*a, *b) = (*a + n as u32, *b + n as u32));
                if let Some(name) = pad_name {
                    self.token_texts.splice(0..0, (0..n).map(|i| (i, name.into())));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(n: u32) -> Encoding {
        Encoding::from_tokens((0..n).collect(), vec![(0, 0); n as usize], 0, (0..n).collect())
    }

    fn pair_part(n: u32, sequence: u8, ranged: bool) -> Encoding {
        let mut e = Encoding::from_tokens((0..n).collect(), vec![(0, 0); n as usize], sequence, (0..n).collect());
        if ranged {
            e.set_sequence_range(sequence, false);
        }
        e
    }

    #[test]
    fn sequence_ids_follow_the_ranges_hf_keeps() {
        // Both parts ranged: each token its own sequence.
        let mut both = pair_part(2, 0, true);
        both.merge_with(pair_part(3, 1, true));
        both.settle_sequence_ids();
        assert_eq!(both.sequence_ids, [0, 0, 1, 1, 1]);
        assert_eq!(both.sequence_ranges, [(0, 0, 2), (1, 2, 5)]);
        assert!(!both.padding_is_sequence_0);
        // The second part lost its range (a truncation window): its tokens are of none.
        let mut first_only = pair_part(2, 0, true);
        first_only.merge_with(pair_part(3, 1, false));
        first_only.settle_sequence_ids();
        assert_eq!(first_only.sequence_ids, [0, 0, NO_SEQUENCE, NO_SEQUENCE, NO_SEQUENCE]);
        // No range for sequence 0: HF counts everything, padding too, as sequence 0.
        let mut second_only = pair_part(2, 0, false);
        second_only.merge_with(pair_part(3, 1, true));
        second_only.settle_sequence_ids();
        assert_eq!(second_only.sequence_ids, [0; 5]);
        assert_eq!(second_only.sequence_ranges, [(1, 2, 5)]);
        second_only.pad(7, 0, 0, Direction::Left, None).unwrap();
        assert_eq!(second_only.sequence_ids, [0; 7]);
        assert_eq!(second_only.sequence_ranges, [(1, 4, 7)]);
        // A later range of the same sequence replaces the earlier one.
        let mut replaced = pair_part(2, 0, true);
        replaced.merge_with(pair_part(3, 0, true));
        replaced.settle_sequence_ids();
        assert_eq!(replaced.sequence_ids, [NO_SEQUENCE, NO_SEQUENCE, 0, 0, 0]);
    }

    #[test]
    fn truncation_windows_overlap_by_stride() {
        let mut e = enc(10);
        e.truncate(4, 1, Direction::Right, true);
        assert_eq!(e.ids, vec![0, 1, 2, 3]);
        let rest: Vec<_> = e.overflowing.iter().map(|o| o.ids.clone()).collect();
        assert_eq!(rest, vec![vec![3, 4, 5, 6], vec![6, 7, 8, 9]]);
    }

    #[test]
    fn left_truncation_keeps_the_end() {
        let mut e = enc(10);
        e.truncate(4, 1, Direction::Left, true);
        assert_eq!(e.ids, vec![6, 7, 8, 9]);
        let rest: Vec<_> = e.overflowing.iter().map(|o| o.ids.clone()).collect();
        assert_eq!(rest, vec![vec![3, 4, 5, 6], vec![0, 1, 2, 3]]);
    }

    #[test]
    fn without_windows_the_kept_tokens_are_the_same_and_nothing_overflows() {
        for (direction, stride) in [(Direction::Right, 0), (Direction::Right, 2), (Direction::Left, 1)] {
            let (mut with, mut without) = (enc(10), enc(10));
            with.truncate(4, stride, direction, true);
            without.truncate(4, stride, direction, false);
            assert!(!with.overflowing.is_empty() && without.overflowing.is_empty());
            with.overflowing.clear();
            assert_eq!(with, without, "{direction:?} {stride}");
        }
        let mut e = enc(3);
        e.truncate(0, 0, Direction::Right, false);
        assert!(e.is_empty() && e.overflowing.is_empty());
    }

    #[test]
    fn token_texts_follow_their_tokens() {
        let mut e = enc(6);
        e.token_texts = vec![(1, "a".into()), (4, "b".into())];
        e.truncate(3, 0, Direction::Right, true);
        assert_eq!(e.token_texts, vec![(1, "a".into())]);
        assert_eq!(e.overflowing[0].token_texts, vec![(1, "b".into())]);
        let mut merged = Encoding::special(&[7], 0, &[(0, "s".into())]);
        merged.merge_with(e.overflowing[0].clone());
        assert_eq!(merged.token_texts, vec![(0, "s".into()), (2, "b".into())]);
        merged.pad(6, 0, 0, Direction::Left, None).unwrap();
        assert_eq!(merged.token_texts, vec![(2, "s".into()), (4, "b".into())]);
    }
}
