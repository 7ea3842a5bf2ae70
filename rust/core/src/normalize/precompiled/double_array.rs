//! The double-array trie of a SentencePiece `precompiled_charsmap` (the darts-clone layout):
//! an array of 32-bit units, where a unit packs a label byte, a leaf flag and the offset to its
//! children, and a leaf's unit holds the value. The file is untrusted: every index is checked,
//! and a walk that leaves the array is a miss, never a panic.

#[derive(Debug, Clone, Default)]
pub struct DoubleArray {
    units: Vec<u32>,
}

fn has_leaf(unit: u32) -> bool {
    (unit >> 8) & 1 == 1
}

fn value(unit: u32) -> u32 {
    unit & 0x7FFF_FFFF
}

fn label(unit: u32) -> u32 {
    unit & (0x8000_0000 | 0xFF)
}

fn offset(unit: u32) -> usize {
    ((unit >> 10) << ((unit & (1 << 9)) >> 6)) as usize
}

impl DoubleArray {
    pub fn new(units: Vec<u32>) -> DoubleArray {
        DoubleArray { units }
    }

    /// Calls `found(length, value)` for each key that is a prefix of `key`, shortest first,
    /// until it returns false. A zero byte ends the key (C strings in the original).
    pub fn prefixes(&self, key: &[u8], mut found: impl FnMut(usize, u32) -> bool) {
        let Some(&root) = self.units.first() else { return };
        let mut pos = offset(root);
        for (i, &c) in key.iter().enumerate() {
            if c == 0 {
                return;
            }
            pos ^= c as usize;
            let Some(&unit) = self.units.get(pos) else { return };
            if label(unit) != c as u32 {
                return;
            }
            pos ^= offset(unit);
            if has_leaf(unit) {
                let Some(&leaf) = self.units.get(pos) else { return };
                if !found(i + 1, value(leaf)) {
                    return;
                }
            }
        }
    }

    /// The node reached by walking `prefix`'s bytes from the root, or `None` when the walk
    /// leaves the trie (no key begins with `prefix`).
    fn node_of(&self, prefix: &[u8]) -> Option<usize> {
        let root = *self.units.first()?;
        let mut pos = offset(root);
        for &c in prefix {
            pos ^= c as usize;
            match self.units.get(pos) {
                Some(&unit) if c != 0 && label(unit) == c as u32 => pos ^= offset(unit),
                _ => return None,
            }
        }
        Some(pos)
    }

    /// Whether some key begins with `prefix` (or is it): the walk over its bytes stays inside.
    pub fn has_prefix(&self, prefix: &[u8]) -> bool {
        self.node_of(prefix).is_some()
    }

    /// The bytes that continue some key after `prefix` (a bit per byte, zero excluded), or
    /// `None` when no key begins with `prefix`.
    pub fn next_bytes(&self, prefix: &[u8]) -> Option<[u64; 4]> {
        let pos = self.node_of(prefix)?;
        let mut next = [0u64; 4];
        for c in 1..=255u8 {
            if self.units.get(pos ^ c as usize).is_some_and(|&unit| label(unit) == c as u32) {
                next[c as usize / 64] |= 1 << (c % 64);
            }
        }
        Some(next)
    }

    /// Whether some key made only of ASCII bytes begins with byte `first` (a text of ASCII can
    /// only meet such keys). Walks at most `budget` nodes, and answers true when that is not
    /// enough to be sure: the file is untrusted.
    pub fn has_ascii_key_starting_with(&self, first: u8, budget: usize) -> bool {
        let Some(&root) = self.units.first() else { return false };
        let step = |pos: usize, c: u8| -> Option<(usize, bool)> {
            let at = pos ^ c as usize;
            let unit = *self.units.get(at)?;
            (label(unit) == c as u32).then(|| (at ^ offset(unit), has_leaf(unit)))
        };
        if first == 0 || first >= 128 {
            return false;
        }
        let Some((start, leaf)) = step(offset(root), first) else { return false };
        if leaf {
            return true;
        }
        let mut stack = vec![start];
        let mut visited = 0;
        while let Some(pos) = stack.pop() {
            for c in 1..128u8 {
                if let Some((next, leaf)) = step(pos, c) {
                    if leaf {
                        return true;
                    }
                    visited += 1;
                    if visited > budget {
                        return true;
                    }
                    stack.push(next);
                }
            }
        }
        false
    }

    /// The shortest key that is a prefix of `key`: (length, value).
    pub fn shortest_prefix(&self, key: &[u8]) -> Option<(usize, u32)> {
        let mut hit = None;
        self.prefixes(key, |len, v| {
            hit = Some((len, v));
            false
        });
        hit
    }

    /// The longest key that is a prefix of `key`: (length, value).
    pub fn longest_prefix(&self, key: &[u8]) -> Option<(usize, u32)> {
        let mut hit = None;
        self.prefixes(key, |len, v| {
            hit = Some((len, v));
            true
        });
        hit
    }
}
