//! A byte trie for longest-prefix lookup, built once from the vocabulary.
//!
//! Nodes store their children as a sorted run of (label, child) in two flat arrays, so a
//! lookup is a short scan over contiguous bytes; the root, visited by every token, has a dense
//! 256-entry table instead, and the nodes two bytes deep, where a large vocabulary branches the
//! most, are reached in one step through a dense 65536-entry table. Longest-prefix search walks at most as many bytes as the longest
//! vocabulary entry, which is what makes WordPiece linear in the word length.

const NONE: u32 = u32::MAX;

#[derive(Debug, Clone, Default)]
pub struct Trie {
    root: Vec<u32>,
    /// The node reached by two bytes `(b0 << 8) | b1`, or NONE.
    two_bytes: Vec<u32>,
    /// Per node, side by side so that a step of a walk reads one cache line for them.
    nodes: Vec<Node>,
    labels: Vec<u8>,
    targets: Vec<u32>,
}

/// A node: its edges are `labels[first_edge..first_edge + edge_count]` (sorted) with their
/// targets at the same indices; `value` is its token id or NONE.
#[derive(Debug, Clone, Copy, Default)]
struct Node {
    first_edge: u32,
    edge_count: u32,
    value: u32,
}

impl Trie {
    pub fn build<'a>(entries: impl IntoIterator<Item = (&'a [u8], u32)>) -> Trie {
        // Sorted keys give the trie without building it node by node: the entries below a node
        // are a run of the sorted list, split into its children's runs by the next byte.
        // Nodes are numbered breadth-first, children in byte order. (Building a pointer trie
        // of maps first cost a quarter of loading a large vocabulary.)
        // The keys are copied into one buffer first: sorting and splitting runs compare key
        // bytes all the time, and keys scattered over the heap made that a cache miss each
        // (most of the cost for a 200k vocabulary).
        let mut arena: Vec<u8> = Vec::new();
        let mut sorted: Vec<(u32, u32, u32)> = Vec::new();
        for (key, value) in entries {
            sorted.push((arena.len() as u32, key.len() as u32, value));
            arena.extend_from_slice(key);
        }
        let key = |&(start, len, _): &(u32, u32, u32)| &arena[start as usize..(start + len) as usize];
        // Stable, so that a repeated key keeps its input order.
        crate::utils::parallel::run(|| {
            use rayon::prelude::*;
            sorted.par_sort_by(|a, b| key(a).cmp(key(b)))
        });
        sorted.reverse();
        sorted.dedup_by(|later, earlier| key(later) == key(earlier)); // the last value of a key wins
        sorted.reverse();
        let mut trie = Trie { root: vec![NONE; 256], two_bytes: vec![NONE; 1 << 16], ..Default::default() };
        // (first entry, end, depth) of each node, in breadth-first order: a node's index.
        let mut queue: Vec<(usize, usize, usize)> = vec![(0, sorted.len(), 0)];
        let mut next = 0;
        while let Some(&(mut lo, hi, depth)) = queue.get(next) {
            let mut value = NONE;
            if lo < hi && sorted[lo].1 as usize == depth {
                value = sorted[lo].2;
                lo += 1;
            }
            let first_edge = trie.labels.len();
            while lo < hi {
                let byte = key(&sorted[lo])[depth];
                let end = lo + sorted[lo..hi].partition_point(|entry| key(entry)[depth] == byte);
                trie.labels.push(byte);
                trie.targets.push(queue.len() as u32);
                queue.push((lo, end, depth + 1));
                lo = end;
            }
            let edge_count = (trie.labels.len() - first_edge) as u32;
            trie.nodes.push(Node { first_edge: first_edge as u32, edge_count, value });
            next += 1;
        }
        for edge in trie.edges(0) {
            let (b0, first) = (trie.labels[edge], trie.targets[edge]);
            trie.root[b0 as usize] = first;
            for second_edge in trie.edges(first) {
                trie.two_bytes[(b0 as usize) << 8 | trie.labels[second_edge] as usize] = trie.targets[second_edge];
            }
        }
        trie
    }

    fn edges(&self, node: u32) -> std::ops::Range<usize> {
        let Node { first_edge, edge_count, .. } = self.nodes[node as usize];
        first_edge as usize..(first_edge + edge_count) as usize
    }

    #[inline]
    fn child(&self, node: u32, byte: u8) -> u32 {
        if node == 0 {
            return self.root[byte as usize];
        }
        let Node { first_edge, edge_count, .. } = self.nodes[node as usize];
        let (first, count) = (first_edge as usize, edge_count as usize);
        let labels = &self.labels[first..first + count];
        let found = if count <= 8 { labels.iter().position(|&l| l == byte) } else { labels.binary_search(&byte).ok() };
        match found {
            Some(k) => self.targets[first + k],
            None => NONE,
        }
    }

    /// Whether some entry begins with byte `b`.
    #[inline]
    pub fn has_entry_starting_with(&self, b: u8) -> bool {
        self.root.get(b as usize).is_some_and(|&node| node != NONE)
    }

    /// The longest entry that is a prefix of `bytes`: (value, length in bytes).
    #[inline]
    pub fn longest_prefix(&self, bytes: &[u8]) -> Option<(u32, usize)> {
        let &[b0, b1, ..] = bytes else { return self.longest_prefix_from(0, 0, bytes, None) };
        let first = self.root[b0 as usize];
        if first == NONE {
            return None;
        }
        let v = self.nodes[first as usize].value;
        let best = if v != NONE { Some((v, 1)) } else { None };
        let second = self.two_bytes[(b0 as usize) << 8 | b1 as usize];
        if second == NONE {
            return best;
        }
        let v = self.nodes[second as usize].value;
        let best = if v != NONE { Some((v, 2)) } else { best };
        self.longest_prefix_from(second, 2, &bytes[2..], best)
    }

    /// Appends (value, length) of every entry that is a prefix of `bytes`, shortest first.
    #[inline]
    pub fn prefixes(&self, bytes: &[u8], out: &mut Vec<(u32, u32)>) {
        let mut node = 0u32;
        for (i, &b) in bytes.iter().enumerate() {
            node = if i == 1 { self.two_bytes[(bytes[0] as usize) << 8 | b as usize] } else { self.child(node, b) };
            if node == NONE {
                return;
            }
            let v = self.nodes[node as usize].value;
            if v != NONE {
                out.push((v, i as u32 + 1));
            }
        }
    }

    /// Continues a longest-prefix walk at `node`, `depth` bytes deep, over the rest `bytes`.
    #[inline]
    fn longest_prefix_from(
        &self,
        mut node: u32,
        depth: usize,
        bytes: &[u8],
        mut best: Option<(u32, usize)>,
    ) -> Option<(u32, usize)> {
        for (i, &b) in bytes.iter().enumerate() {
            node = self.child(node, b);
            if node == NONE {
                break;
            }
            let v = self.nodes[node as usize].value;
            if v != NONE {
                best = Some((v, depth + i + 1));
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_longest_prefix() {
        let words: [(&[u8], u32); 4] = [(b"a", 1), (b"ab", 2), (b"abcd", 3), (b"b", 4)];
        let t = Trie::build(words);
        assert_eq!(t.longest_prefix(b"abc"), Some((2, 2)));
        assert_eq!(t.longest_prefix(b"abcde"), Some((3, 4)));
        assert_eq!(t.longest_prefix(b"bz"), Some((4, 1)));
        assert_eq!(t.longest_prefix(b"z"), None);
        assert_eq!(t.longest_prefix(b""), None);
        let mut all = Vec::new();
        t.prefixes(b"abcde", &mut all);
        assert_eq!(all, vec![(1, 1), (2, 2), (3, 4)]);
    }

    #[test]
    fn agrees_with_a_scan_of_the_entries_on_random_keys() {
        let mut rng = crate::utils::test_random::Lcg::new(7);
        let mut next = move || rng.next_usize();
        // Few distinct bytes, so keys share prefixes; some keys repeat (the last value wins).
        let keys: Vec<Vec<u8>> = (0..3000).map(|_| (0..next() % 7).map(|_| b"abc\xff"[next() % 4]).collect()).collect();
        let entries: Vec<(&[u8], u32)> = keys.iter().enumerate().map(|(i, k)| (k.as_slice(), i as u32)).collect();
        let trie = Trie::build(entries.iter().copied());
        let value_of = |key: &[u8]| entries.iter().rev().find(|(k, _)| *k == key).map(|&(_, v)| v);
        for _ in 0..2000 {
            let text: Vec<u8> = (0..next() % 9).map(|_| b"abc\xff"[next() % 4]).collect();
            let expected: Vec<(u32, u32)> = (0..=text.len())
                .filter_map(|n| value_of(&text[..n]).map(|v| (v, n as u32)))
                .filter(|&(_, n)| n > 0)
                .collect();
            let mut found = Vec::new();
            trie.prefixes(&text, &mut found);
            assert_eq!(found, expected, "{text:?}");
            let longest = expected.last().map(|&(v, n)| (v, n as usize));
            assert_eq!(trie.longest_prefix(&text), longest, "{text:?}");
        }
    }
}
