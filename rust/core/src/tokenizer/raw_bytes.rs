//! Input given as bytes that need not be UTF-8, for byte-level BPE, which works on bytes
//! (tiktoken's `_encode_bytes` and `_encode_single_piece`). Valid UTF-8 is encoded as text;
//! for the rest the split pattern, which reads characters, can only guess where pieces end.

use super::added_vocab::Piece;
use super::Tokenizer;
use crate::error::{Error, Result};
use crate::models::Model;
use std::ops::Range;

/// The bytes tiktoken treats as white space when it widens the last piece.
fn is_white_space_token(bytes: &[u8]) -> bool {
    bytes.iter().all(|b| matches!(b, b' ' | b'\n' | b'\t'))
}

impl Tokenizer {
    /// The ids of `bytes` taken as one piece: the model alone, with no special tokens, no
    /// normalizer and no split (a whole token is that token, as tiktoken takes it).
    pub fn encode_piece_bytes(&self, bytes: &[u8]) -> Result<Vec<u32>> {
        self.check_reads_bytes("encoding bytes as one piece")?;
        let mut ids = Vec::new();
        self.with_model_scratch(|scratch| self.model().tokenize_piece(bytes, true, scratch, |id, _, _| ids.push(id)))?;
        Ok(ids)
    }

    /// The ids of `bytes`, special tokens read as text. UTF-8 is encoded as `encode` does. For
    /// bytes that are not, this follows tiktoken's `_encode_bytes`: the valid prefix is encoded,
    /// then the tokens of its last piece (widened over the white-space tokens before it, since
    /// a split there may not survive more text) are taken back, and their bytes with the rest of
    /// the input are encoded as one piece. So decoding the ids gives back `bytes` exactly.
    pub fn encode_bytes(&self, bytes: &[u8]) -> Result<Vec<u32>> {
        let valid = match crate::utils::utf8::from_utf8(bytes) {
            Ok(text) => {
                let mut ids = Vec::new();
                self.tokenize_ids(text, true, &mut ids)?;
                return Ok(ids);
            }
            Err(e) => e.valid_up_to(),
        };
        self.check_reads_bytes("encoding bytes that are not UTF-8")?;
        let (head, tail) = bytes.split_at(valid);
        let text = std::str::from_utf8(head).map_err(|e| Error::InvalidArgument(e.to_string()))?;
        let mut ids = Vec::new();
        self.tokenize_ids(text, true, &mut ids)?;
        let mut taken = match self.last_piece(text)? {
            Some(r) => self.encode_piece_bytes(&head[r])?.len().min(ids.len()),
            None => 0,
        };
        let white = |id: u32| self.decode_bytes(&[id], false).map(|b| is_white_space_token(&b));
        if taken > 0 && white(ids[ids.len() - taken])? {
            while taken < ids.len() && white(ids[ids.len() - taken - 1])? {
                taken += 1;
            }
        }
        let mut rest = self.decode_bytes(&ids[ids.len() - taken..], false)?;
        ids.truncate(ids.len() - taken);
        rest.extend_from_slice(tail);
        ids.extend(self.encode_piece_bytes(&rest)?);
        Ok(ids)
    }

    /// The last pre-tokenizer piece of `text` (special tokens read as text), unless the text
    /// ends with an added token or is empty.
    fn last_piece(&self, text: &str) -> Result<Option<Range<usize>>> {
        let mut raw = Vec::new();
        self.added.split_raw(text, true, &mut raw);
        let Some(Piece::Text(last)) = raw.pop() else {
            return Ok(None);
        };
        let mut pieces = vec![last];
        if let Some(p) = &self.file.pre_tokenizer {
            p.split(text, &mut pieces, &mut Vec::new())?;
        }
        Ok(pieces.pop())
    }

    /// Bytes reach the model as they are only in a byte-level BPE that nothing rewrites first.
    fn check_reads_bytes(&self, what: &str) -> Result<()> {
        let prefix_space = self.file.pre_tokenizer.as_ref().is_some_and(|p| p.adds_prefix_space());
        let plain = self.file.normalizer.is_none() && self.stages.is_none() && self.metaspace.is_none();
        if self.byte_level && matches!(self.model(), Model::Bpe(_)) && plain && !prefix_space {
            return Ok(());
        }
        Err(Error::InvalidArgument(format!(
            "{what} needs a byte-level BPE (GPT-2 style, or a tiktoken encoding) with no normalizer and no \
             prefix space"
        )))
    }
}
