//! Vocabulary helpers shared by the models.

use rustc_hash::FxHashMap;

/// Id → token table. Ids are dense in real files; a far larger id than the vocabulary size
/// would make the table huge, so it is refused.
pub fn ids_to_tokens(vocab: &FxHashMap<String, u32>) -> Result<Vec<Option<String>>, String> {
    let Some(max_id) = vocab.values().copied().max() else { return Ok(Vec::new()) };
    let max_id = max_id as usize;
    if max_id > 16 * vocab.len() + 1024 {
        return Err(format!("vocab: id {max_id} is far beyond the {} entries", vocab.len()));
    }
    let mut table = vec![None; max_id + 1];
    for (token, &id) in vocab {
        table[id as usize] = Some(token.clone());
    }
    Ok(table)
}

/// The ids of the byte-fallback tokens `<0x00>`..`<0xFF>` (indexed by byte), as `lookup` finds
/// them; built once at load so that spelling unknown text in bytes costs no string formatting.
pub fn byte_token_ids(lookup: impl Fn(&str) -> Option<u32>) -> Vec<Option<u32>> {
    (0..=255u8).map(|b| lookup(&format!("<0x{b:02X}>"))).collect()
}

/// Writes a vocabulary as a JSON object ordered by id, as HF does.
pub fn serialize_vocab_by_id<S: serde::Serializer>(vocab: &FxHashMap<String, u32>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut entries: Vec<_> = vocab.iter().collect();
    entries.sort_by_key(|(_, &id)| id);
    let mut map = s.serialize_map(Some(entries.len()))?;
    for (k, v) in entries {
        map.serialize_entry(k, v)?;
    }
    map.end()
}
