//! A character-wise double-array trie for Unigram lattices: every piece that starts at a
//! position is found in one walk, one array step per character, where the byte trie
//! (`trie.rs`) takes one step per byte over sorted child lists.
//!
//! The lattice walks it at every character of a text (a 250k vocabulary reaches 2-3 pieces a
//! character on English), so a step is one 16-byte node: the check that the step exists, the
//! next step's base, and, when the node ends a piece, its value and weight (the score a path
//! gains through it), so a match costs no further load. Characters are numbered by how often
//! they occur in the pieces (frequent ones get small codes, so a node's children sit close
//! together); the lattice turns its text into codes once and walks those.

use rustc_hash::FxHashMap;

/// The code of a character no piece holds: no step takes it.
pub const NO_CODE: u32 = 0;
/// `check` of a slot no node holds, and `value` of a node that ends no piece.
const NONE: u32 = u32::MAX;
/// Characters below this are coded by a table; the others (rare in vocabularies) by a map.
const TABLE_CHARS: usize = 0x1_0000;
/// Bases tried for one node before its children go past the end of the array: bounds the
/// build on any vocabulary (a node then costs room, not time).
const BASE_TRIES: usize = 256;

#[derive(Clone, Copy, Debug)]
#[repr(C, align(16))]
struct Node {
    /// The slot of the child by code `c` is `base + c`; 0 when the node has no child.
    base: u32,
    /// The parent's slot (`NONE` for a free slot).
    check: u32,
    /// The value of the piece ending here, `NONE` if none does.
    value: u32,
    weight: f32,
}

const FREE: Node = Node { base: 0, check: NONE, value: NONE, weight: 0.0 };

#[derive(Clone, Debug)]
pub struct CharTrie {
    nodes: Vec<Node>,
    /// Codes of the characters below `TABLE_CHARS` (`NO_CODE` for none), up to the last one a
    /// piece holds.
    table: Vec<u32>,
    /// Codes of the other characters.
    others: FxHashMap<char, u32>,
}

impl CharTrie {
    /// The trie of `entries` (distinct non-empty keys with their value and weight), or `None`
    /// if there are none, a key is empty, two are equal or the trie would need 2^32 slots.
    pub fn build<'a>(entries: impl IntoIterator<Item = (&'a str, u32, f32)>) -> Option<CharTrie> {
        let records: Vec<(&str, u32, f32)> = entries.into_iter().collect();
        if records.is_empty() || records.iter().any(|(key, ..)| key.is_empty()) {
            return None;
        }
        let (table, others) = number_characters(&records);
        let code = |c: char| code_of(&table, &others, c);
        // The keys' codes in one buffer, sorted by reference: sorting 250k separately allocated
        // keys was a cache miss per comparison.
        let mut codes: Vec<u32> = Vec::new();
        let mut keys: Vec<Key> = Vec::with_capacity(records.len());
        for &(key, value, weight) in &records {
            let start = codes.len();
            codes.extend(key.chars().map(code));
            keys.push(Key { start: start as u32, len: (codes.len() - start) as u32, value, weight });
        }
        let keys = Keys { codes, keys };
        let mut order: Vec<u32> = (0..keys.keys.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| keys.codes_of(a).cmp(keys.codes_of(b)));
        let keys = Keys { keys: order.iter().map(|&i| keys.keys[i as usize]).collect(), codes: keys.codes };
        if (1..keys.keys.len()).any(|i| keys.codes_of(i as u32 - 1) == keys.codes_of(i as u32)) {
            return None;
        }
        // Room for every node four times over and one alphabet: a vocabulary whose layout would
        // need more (none seen; real ones fill 90% of their slots) keeps the byte trie.
        let key_chars = keys.codes.len();
        let alphabet = table.len() + others.len();
        let most_slots = 4 * (key_chars + 1) + alphabet;
        // Real vocabularies fill about 90% of their slots: reserved so, the array is not copied
        // over and over as it grows.
        let nodes = Vec::with_capacity((key_chars + 1 + alphabet).min(most_slots) * 9 / 8);
        let nodes = Builder { most_slots, nodes, ..Builder::default() }.build(&keys)?;
        Some(CharTrie { nodes, table, others })
    }

    /// The code the trie gives `c` (`NO_CODE` if no piece holds it).
    #[inline(always)]
    pub fn code(&self, c: char) -> u32 {
        code_of(&self.table, &self.others, c)
    }

    /// Calls `found(value, weight, length in characters)` for every key that is a prefix of the
    /// text whose codes (`code`) are `codes`, shortest first.
    #[inline(always)]
    pub fn prefixes(&self, codes: &[u32], mut found: impl FnMut(u32, f32, usize)) {
        let mut node = 0u32;
        let Some(mut base) = self.nodes.first().map(|root| root.base) else { return };
        for (length, &code) in codes.iter().enumerate() {
            if base == 0 {
                break;
            }
            // `NO_CODE` lands on `base` itself, which is never a child (codes start at 1).
            let slot = base.wrapping_add(code);
            let Some(next) = self.nodes.get(slot as usize) else { break };
            if next.check != node {
                break;
            }
            (node, base) = (slot, next.base);
            if next.value != NONE {
                found(next.value, next.weight, length + 1);
            }
        }
    }

    /// Bytes the trie holds.
    #[cfg(test)]
    pub fn heap_bytes(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.table.capacity() * 4
            + self.others.capacity() * (std::mem::size_of::<(char, u32)>() + 1)
    }
}

#[inline(always)]
fn code_of(table: &[u32], others: &FxHashMap<char, u32>, c: char) -> u32 {
    match table.get(c as usize) {
        Some(&code) => code,
        None if (c as usize) < TABLE_CHARS => NO_CODE,
        None => others.get(&c).copied().unwrap_or(NO_CODE),
    }
}

/// Codes 1, 2, ... for the characters of the keys, the most frequent first.
fn number_characters(records: &[(&str, u32, f32)]) -> (Vec<u32>, FxHashMap<char, u32>) {
    let mut counts: FxHashMap<char, u64> = FxHashMap::default();
    for (key, ..) in records {
        for c in key.chars() {
            *counts.entry(c).or_default() += 1;
        }
    }
    let mut by_count: Vec<(char, u64)> = counts.into_iter().collect();
    by_count.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let table_len = by_count.iter().map(|&(c, _)| c as usize + 1).filter(|&n| n <= TABLE_CHARS).max().unwrap_or(0);
    let mut table = vec![NO_CODE; table_len];
    let mut others = FxHashMap::default();
    for (rank, &(c, _)) in by_count.iter().enumerate() {
        let code = rank as u32 + 1;
        match table.get_mut(c as usize) {
            Some(slot) => *slot = code,
            None => {
                others.insert(c, code);
            }
        }
    }
    (table, others)
}

/// A key: its codes are `Keys::codes[start..start + len]`.
#[derive(Clone, Copy)]
struct Key {
    start: u32,
    len: u32,
    value: u32,
    weight: f32,
}

/// Keys and the buffer of their codes.
struct Keys {
    codes: Vec<u32>,
    keys: Vec<Key>,
}

impl Keys {
    fn codes_of(&self, key: u32) -> &[u32] {
        let Key { start, len, .. } = self.keys[key as usize];
        &self.codes[start as usize..(start + len) as usize]
    }
}

/// Lays sorted keys out as a double array, depth first.
#[derive(Default)]
struct Builder {
    nodes: Vec<Node>,
    /// The slots taken by a node (or the root).
    used: SlotSet,
    /// The most slots the array may take (`build` gives up past it).
    most_slots: usize,
}

impl Builder {
    fn build(mut self, keys: &Keys) -> Option<Vec<Node>> {
        // The root: taken, and not free to `truncate` below (whose test is `check`).
        self.take(0);
        self.nodes[0].check = NONE - 1;
        // (slot, keys sharing the node's prefix, depth)
        let mut stack: Vec<(usize, usize, usize, usize)> = vec![(0, 0, keys.keys.len(), 0)];
        let mut children: Vec<(u32, usize, usize)> = Vec::new();
        let code_at = |key: usize, depth: usize| keys.codes_of(key as u32)[depth];
        while let Some((slot, mut lo, hi, depth)) = stack.pop() {
            // Keys are sorted, so the one ending here (if any) comes first.
            let first = keys.keys[lo];
            if first.len as usize == depth {
                self.nodes[slot].value = first.value;
                self.nodes[slot].weight = first.weight;
                lo += 1;
            }
            children.clear();
            while lo < hi {
                let code = code_at(lo, depth);
                // The keys with this code here form a run (they are sorted): its end by bisection.
                let (mut end, mut past) = (lo + 1, hi);
                while end < past {
                    let middle = end + (past - end) / 2;
                    if code_at(middle, depth) == code {
                        end = middle + 1;
                    } else {
                        past = middle;
                    }
                }
                children.push((code, lo, end));
                lo = end;
            }
            if children.is_empty() {
                continue;
            }
            let base = self.find_base(&children)?;
            self.nodes[slot].base = base as u32;
            for &(code, lo, end) in &children {
                let child = base + code as usize;
                self.take(child);
                self.nodes[child].check = slot as u32;
                stack.push((child, lo, end, depth + 1));
            }
        }
        self.nodes.truncate(self.nodes.iter().rposition(|n| n.check != NONE).map_or(0, |last| last + 1));
        self.nodes.shrink_to_fit();
        Some(self.nodes)
    }

    /// A base at which every child's slot is free: the first that fits, from the first free
    /// slot, else past the last slot in use; `None` if that goes past `most_slots`.
    fn find_base(&self, children: &[(u32, usize, usize)]) -> Option<usize> {
        // Children are in code order: the first has the smallest, and its slot is tried at each
        // free slot that leaves the base at 1 or more.
        let first = children[0].0 as usize;
        let mut slot = self.used.next_clear(first + 1);
        for _ in 0..BASE_TRIES {
            let base = slot - first;
            if children.iter().all(|&(code, ..)| !self.used.is_set(base + code as usize)) {
                return self.fits(base + children.last()?.0 as usize).then_some(base);
            }
            slot = self.used.next_clear(slot + 1);
        }
        let base = self.nodes.len().max(1);
        self.fits(base + children.iter().map(|c| c.0 as usize).max()?).then_some(base)
    }

    /// Whether a node may take `slot`.
    fn fits(&self, slot: usize) -> bool {
        slot < self.most_slots.min(NONE as usize - 1)
    }

    fn take(&mut self, slot: usize) {
        if slot >= self.nodes.len() {
            self.nodes.resize((slot + 1).max(self.nodes.len() * 5 / 4), FREE);
        }
        self.used.set(slot);
    }
}

/// A growable set of slots that finds the first slot not in it at or after any slot in a few
/// word operations: level 0 has a bit per slot, each level above a bit per full word of the
/// level below (a scan word by word over the array's dense start, once per node, made the
/// build quadratic).
#[derive(Default)]
struct SlotSet {
    levels: [Vec<u64>; 4],
}

impl SlotSet {
    fn is_set(&self, slot: usize) -> bool {
        self.levels[0].get(slot / 64).is_some_and(|word| word >> (slot % 64) & 1 == 1)
    }

    fn set(&mut self, slot: usize) {
        let mut index = slot;
        for level in &mut self.levels {
            let word = index / 64;
            if word >= level.len() {
                level.resize(word + 1, 0);
            }
            level[word] |= 1 << (index % 64);
            if level[word] != u64::MAX {
                return;
            }
            index = word;
        }
    }

    /// The first slot at or after `slot` not in the set.
    fn next_clear(&self, slot: usize) -> usize {
        self.next_clear_at(0, slot)
    }

    fn next_clear_at(&self, level: usize, index: usize) -> usize {
        let bits = &self.levels[level];
        let word = index / 64;
        let Some(&current) = bits.get(word) else { return index };
        let free_here = !(current | ((1u64 << (index % 64)) - 1));
        if free_here != 0 {
            return word * 64 + free_here.trailing_zeros() as usize;
        }
        // The next word of this level with a free bit: the next clear bit one level up (the
        // top level, 64^4 slots a bit, is scanned).
        let next_word = match level + 1 < self.levels.len() {
            true => self.next_clear_at(level + 1, word + 1),
            false => (word + 1..bits.len()).find(|&w| bits[w] != u64::MAX).unwrap_or(bits.len()),
        };
        match bits.get(next_word) {
            Some(&w) => next_word * 64 + (!w).trailing_zeros() as usize,
            None => next_word * 64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_prefixes(trie: &CharTrie, text: &str) -> Vec<(u32, usize)> {
        let codes: Vec<u32> = text.chars().map(|c| trie.code(c)).collect();
        let mut found = Vec::new();
        trie.prefixes(&codes, |v, _, n| found.push((v, n)));
        found
    }

    #[test]
    fn finds_every_prefix_shortest_first() {
        let trie =
            CharTrie::build([("世", 1, 0.5), ("世界", 2, 1.5), ("世界中", 3, 2.5), ("a", 4, 0.0), ("😀x", 5, 0.0)])
                .unwrap();
        assert_eq!(all_prefixes(&trie, "世界中で"), [(1, 1), (2, 2), (3, 3)]);
        assert_eq!(all_prefixes(&trie, "世界\u{ffff}中"), [(1, 1), (2, 2)]);
        assert_eq!(all_prefixes(&trie, "😀x"), [(5, 2)]);
        assert_eq!(all_prefixes(&trie, "😀"), []);
        assert_eq!(all_prefixes(&trie, "b世"), []);
        let mut weights = Vec::new();
        let codes: Vec<u32> = "世界中".chars().map(|c| trie.code(c)).collect();
        trie.prefixes(&codes, |_, w, _| weights.push(w));
        assert_eq!(weights, [0.5, 1.5, 2.5]);
        assert!(CharTrie::build([("a", 1, 0.0), ("a", 2, 0.0)]).is_none());
        assert!(CharTrie::build([("", 1, 0.0)]).is_none());
        assert!(CharTrie::build(std::iter::empty()).is_none());
    }

    #[test]
    fn slot_set_finds_the_next_clear_slot() {
        let mut set = SlotSet::default();
        let mut plain = vec![false; 300_000];
        let mut rng = crate::utils::test_random::Lcg::new(3);
        for round in 0..200_000 {
            let state = rng.step();
            // Fill densely from the start, with holes, as the builder does.
            let slot = ((state >> 33) as usize % (round + 64)).min(plain.len() - 1);
            set.set(slot);
            plain[slot] = true;
            if round % 97 == 0 {
                let from = (state >> 40) as usize % plain.len();
                let expected = (from..plain.len()).find(|&s| !plain[s]).unwrap_or(plain.len().max(from));
                let got = set.next_clear(from);
                assert_eq!(got.min(plain.len()), expected.min(plain.len()), "from {from}");
                assert_eq!(set.is_set(from), plain[from]);
            }
        }
        for slot in 0..200_000 {
            set.set(slot);
        }
        assert_eq!(set.next_clear(0), (200_000..).find(|&s| !plain.get(s).copied().unwrap_or(false)).unwrap());
    }

    #[test]
    fn a_layout_past_its_room_is_refused() {
        let key = |start, len, value| Key { start, len, value, weight: 0.0 };
        let keys = Keys { codes: vec![1, 2, 1, 3, 2], keys: vec![key(0, 2, 0), key(2, 2, 1), key(4, 1, 2)] };
        assert!(Builder { most_slots: 3, ..Builder::default() }.build(&keys).is_none());
        let nodes = Builder { most_slots: 16, ..Builder::default() }.build(&keys).unwrap();
        assert!(nodes.len() <= 16);
    }

    /// Against a plain scan of the keys, on a vocabulary wide enough for many base searches.
    #[test]
    fn matches_a_scan_of_the_keys() {
        let mut keys: Vec<String> = Vec::new();
        let alphabet: Vec<char> = "abcdeéü世界中▁😀\u{301}xyz".chars().collect();
        let mut rng = crate::utils::test_random::Lcg::new(7);
        let mut next = || rng.next_usize();
        for _ in 0..3000 {
            let len = 1 + next() % 6;
            keys.push((0..len).map(|_| alphabet[next() % alphabet.len()]).collect());
        }
        // Many one-character keys of rare characters: codes in the thousands.
        for c in (0..2000u32).filter_map(|i| char::from_u32(0x4e00 + i * 7)) {
            keys.push(c.to_string());
        }
        keys.sort();
        keys.dedup();
        let trie = CharTrie::build(keys.iter().enumerate().map(|(i, k)| (k.as_str(), i as u32, i as f32))).unwrap();
        // The array stays dense: at most twice as many slots as nodes (prefixes of keys).
        let mut prefixes: Vec<String> =
            keys.iter().flat_map(|k| (1..=k.chars().count()).map(move |n| k.chars().take(n).collect())).collect();
        prefixes.sort();
        prefixes.dedup();
        assert!(
            trie.nodes.len() <= 2 * (prefixes.len() + 1),
            "{} slots for {} nodes",
            trie.nodes.len(),
            prefixes.len()
        );
        assert!(trie.heap_bytes() >= trie.nodes.len() * 16);
        for _ in 0..2000 {
            let len = next() % 10;
            let text: String = (0..len).map(|_| alphabet[next() % alphabet.len()]).collect();
            let expected: Vec<(u32, usize)> = (1..=text.chars().count())
                .filter_map(|n| {
                    let prefix: String = text.chars().take(n).collect();
                    keys.binary_search(&prefix).ok().map(|i| (i as u32, n))
                })
                .collect();
            assert_eq!(all_prefixes(&trie, &text), expected, "{text:?}");
        }
    }
}
