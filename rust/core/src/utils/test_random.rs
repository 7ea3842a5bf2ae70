//! A small seeded generator for tests (Knuth's MMIX linear congruential step): the same numbers
//! on every run and machine, so a generated case that fails can be found again.

pub struct Lcg(u64);

impl Lcg {
    pub fn new(seed: u64) -> Lcg {
        Lcg(seed)
    }

    /// The next state, all 64 bits (its high bits are the random ones).
    pub fn step(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0
    }

    /// The next number, from the state's top 31 bits.
    pub fn next_usize(&mut self) -> usize {
        (self.step() >> 33) as usize
    }

    /// The next number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        (self.step() >> 33) % n
    }
}
