//! A character-wise double-array trie (the `crawdad` crate) for Unigram lattices: finding every
//! piece that starts at a position is one array step per character, where the byte trie
//! (`trie.rs`) takes one step per byte over sorted child lists; on CJK text, where each
//! character is three bytes and the lattice is walked at every character, that is most of the
//! time Unigram takes.
//!
//! crawdad reserves U+FFFF as its end marker and holds suffixes of up to 255 characters: a
//! vocabulary it cannot hold gets `None` from `build`, and its users keep the byte trie.

const END_MARKER: char = crawdad::END_MARKER;

pub struct CharTrie {
    trie: crawdad::Trie,
}

impl std::fmt::Debug for CharTrie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CharTrie").field("entries", &self.trie.num_elems()).finish()
    }
}

impl Clone for CharTrie {
    fn clone(&self) -> Self {
        // crawdad's trie is not Clone; its serialized form is exact.
        CharTrie { trie: crawdad::Trie::deserialize_from_slice(&self.trie.serialize_to_vec()).0 }
    }
}

impl CharTrie {
    /// The trie of `entries` (distinct non-empty keys), or `None` if crawdad cannot hold them.
    pub fn build<'a>(entries: impl IntoIterator<Item = (&'a str, u32)>) -> Option<CharTrie> {
        let mut records: Vec<(&str, u32)> = entries.into_iter().collect();
        if records.is_empty() || records.iter().any(|(key, _)| key.is_empty() || key.contains(END_MARKER)) {
            return None;
        }
        records.sort_unstable_by(|a, b| a.0.cmp(b.0));
        if records.windows(2).any(|pair| pair[0].0 == pair[1].0) {
            return None;
        }
        crawdad::Trie::from_records(records).ok().map(|trie| CharTrie { trie })
    }

    /// Calls `found(value, length in characters)` for every entry that is a prefix of `chars`,
    /// shortest first.
    #[inline]
    pub fn prefixes(&self, chars: &[char], mut found: impl FnMut(u32, usize)) {
        // The end marker in the text would step onto a key's end node as if it were a character.
        let text = chars.iter().copied().take_while(|&c| c != END_MARKER);
        for (value, length) in self.trie.common_prefix_search(text) {
            found(value, length);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_prefix_and_stops_at_the_end_marker() {
        let trie = CharTrie::build([("世", 1), ("世界", 2), ("世界中", 3), ("a", 4)]).unwrap();
        let mut found = Vec::new();
        let text: Vec<char> = "世界中で".chars().collect();
        trie.prefixes(&text, |v, n| found.push((v, n)));
        assert_eq!(found, [(1, 1), (2, 2), (3, 3)]);
        found.clear();
        let text: Vec<char> = "世界\u{ffff}中".chars().collect();
        trie.prefixes(&text, |v, n| found.push((v, n)));
        assert_eq!(found, [(1, 1), (2, 2)]);
        assert!(CharTrie::build([("a\u{ffff}", 1)]).is_none());
        assert!(CharTrie::build([("a", 1), ("a", 2)]).is_none());
    }
}
