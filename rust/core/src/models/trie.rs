//! A byte trie for longest-prefix lookup, built once from the vocabulary.
//!
//! Nodes store their children as a sorted run of (label, child) in two flat arrays, so a
//! lookup is a short scan over contiguous bytes; the root, visited by every token, has a dense
//! 256-entry table instead, and the nodes two bytes deep, where a large vocabulary branches the
//! most, are reached in one step through a dense 65536-entry table. Longest-prefix search walks at most as many bytes as the longest
//! vocabulary entry, which is what makes WordPiece linear in the word length.

use std::collections::BTreeMap;

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
        // Temporary pointer trie, then flattened breadth-first.
        let mut children: Vec<BTreeMap<u8, usize>> = vec![BTreeMap::new()];
        let mut values: Vec<u32> = vec![NONE];
        for (key, id) in entries {
            let mut node = 0;
            for &b in key {
                node = match children[node].get(&b) {
                    Some(&n) => n,
                    None => {
                        children.push(BTreeMap::new());
                        values.push(NONE);
                        let n = children.len() - 1;
                        children[node].insert(b, n);
                        n
                    }
                };
            }
            values[node] = id;
        }
        let mut trie = Trie { root: vec![NONE; 256], ..Default::default() };
        let mut order = vec![0usize];
        let mut new_index = vec![0u32; children.len()];
        let mut i = 0;
        while i < order.len() {
            let node = order[i];
            new_index[node] = i as u32;
            order.extend(children[node].values().copied());
            i += 1;
        }
        for &node in &order {
            trie.nodes.push(Node {
                first_edge: trie.labels.len() as u32,
                edge_count: children[node].len() as u32,
                value: values[node],
            });
            for (&b, &child) in &children[node] {
                trie.labels.push(b);
                trie.targets.push(new_index[child]);
            }
        }
        for (&b, &child) in &children[0] {
            trie.root[b as usize] = new_index[child];
        }
        trie.two_bytes = vec![NONE; 1 << 16];
        for (&b0, &first) in &children[0] {
            for (&b1, &second) in &children[first] {
                trie.two_bytes[(b0 as usize) << 8 | b1 as usize] = new_index[second];
            }
        }
        trie
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
}
