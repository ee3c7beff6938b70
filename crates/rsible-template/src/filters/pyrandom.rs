//! Python's `random.Random` (MT19937 with CPython's seeding), so that `random(seed=…)` and
//! `shuffle(seed=…)` give the numbers and orders ansible-core gives for the same seed.

use sha2::{Digest, Sha512};

const N: usize = 624;
const M: usize = 397;

/// A seeded `random.Random`.
pub(crate) struct PyRandom {
    mt: [u32; N],
    index: usize,
}

/// A seed as `Random.seed` accepts it.
pub(crate) enum Seed<'a> {
    Int(i128),
    Str(&'a str),
}

impl PyRandom {
    /// `random.Random(seed)` (version 2: a string seeds with its bytes and their SHA-512).
    pub(crate) fn new(seed: Seed<'_>) -> Self {
        // The seed as a big-endian magnitude, which `init_by_array` takes as 32-bit words,
        // least significant first.
        let be: Vec<u8> = match seed {
            Seed::Int(i) => i.unsigned_abs().to_be_bytes().to_vec(),
            Seed::Str(s) => {
                let mut b = s.as_bytes().to_vec();
                b.extend_from_slice(&Sha512::digest(s.as_bytes()));
                b
            }
        };
        let mut words: Vec<u32> = be
            .rchunks(4)
            .map(|c| c.iter().fold(0u32, |acc, &x| (acc << 8) | u32::from(x)))
            .collect();
        while words.len() > 1 && words.last() == Some(&0) {
            words.pop();
        }
        if words.is_empty() {
            words.push(0);
        }
        let mut r = PyRandom {
            mt: [0; N],
            index: N,
        };
        r.init_by_array(&words);
        r
    }

    fn init_genrand(&mut self, s: u32) {
        self.mt[0] = s;
        for i in 1..N {
            let prev = self.mt[i - 1];
            self.mt[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        self.index = N;
    }

    fn init_by_array(&mut self, key: &[u32]) {
        self.init_genrand(19_650_218);
        let (mut i, mut j) = (1usize, 0usize);
        for _ in 0..N.max(key.len()) {
            let prev = self.mt[i - 1];
            self.mt[i] = (self.mt[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_664_525))
                .wrapping_add(key[j])
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= N {
                self.mt[0] = self.mt[N - 1];
                i = 1;
            }
            if j >= key.len() {
                j = 0;
            }
        }
        for _ in 0..N - 1 {
            let prev = self.mt[i - 1];
            self.mt[i] = (self.mt[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_566_083_941))
                .wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                self.mt[0] = self.mt[N - 1];
                i = 1;
            }
        }
        self.mt[0] = 0x8000_0000;
    }

    fn next_u32(&mut self) -> u32 {
        if self.index >= N {
            for k in 0..N {
                let y = (self.mt[k] & 0x8000_0000) | (self.mt[(k + 1) % N] & 0x7fff_ffff);
                let mag = if y & 1 == 1 { 0x9908_b0df } else { 0 };
                self.mt[k] = self.mt[(k + M) % N] ^ (y >> 1) ^ mag;
            }
            self.index = 0;
        }
        let mut y = self.mt[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// `getrandbits(k)` for `k <= 64`: 32-bit words, least significant first.
    fn getrandbits(&mut self, k: u32) -> u64 {
        if k <= 32 {
            return u64::from(self.next_u32() >> (32 - k));
        }
        let low = u64::from(self.next_u32());
        let high = u64::from(self.next_u32() >> (64 - k));
        (high << 32) | low
    }

    /// `_randbelow(n)`: a number in `0..n`, by rejection on `n`'s bit length.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let k = 64 - n.leading_zeros();
        loop {
            let r = self.getrandbits(k);
            if r < n {
                return r;
            }
        }
    }

    /// `shuffle(x)`: Fisher-Yates from the end, as CPython's.
    pub(crate) fn shuffle<T>(&mut self, x: &mut [T]) {
        for i in (1..x.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            x.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values from CPython 3.11: `random.Random(seed).getrandbits(32)` and friends.
    #[test]
    fn int_seed_matches_cpython() {
        let mut r = PyRandom::new(Seed::Int(42));
        assert_eq!(r.next_u32(), 2_746_317_213);
        let mut r = PyRandom::new(Seed::Int(0));
        assert_eq!(r.next_u32(), 3_626_764_237);
    }

    #[test]
    fn str_seed_shuffle_and_randrange_match_cpython() {
        let mut r = PyRandom::new(Seed::Str("web1"));
        let mut v: Vec<u32> = (0..10).collect();
        r.shuffle(&mut v);
        assert_eq!(v, [2, 6, 7, 8, 1, 3, 0, 9, 4, 5]);
        let mut r = PyRandom::new(Seed::Str("host.example.com"));
        assert_eq!(r.below(60), 15);
        let mut r = PyRandom::new(Seed::Int((1 << 70) + 5));
        assert_eq!(r.getrandbits(40), 427_206_651_051);
    }
}
