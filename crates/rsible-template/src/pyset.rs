//! Python's `set` operations with CPython's iteration order.
//!
//! Ansible's `union`, `intersect`, `difference` and `symmetric_difference` return
//! `list(set(a) | set(b))` and so on, so their order is the order of CPython's hash table. For
//! numbers and booleans the hash is fixed, and the table is replayed here slot by slot
//! (`Objects/setobject.c`). Strings and `None` hash differently in every Python process, so
//! no order can match; for them the first-seen order is used.

use serde_json::Value as Json;

/// `PySet_MINSIZE`.
const MIN_SIZE: usize = 8;
const LINEAR_PROBES: usize = 9;
const PERTURB_SHIFT: u32 = 5;
/// `_PyHASH_BITS` and `_PyHASH_MODULUS` on 64-bit builds.
const HASH_BITS: u32 = 61;
const MODULUS: u64 = (1 << HASH_BITS) - 1;
/// `_PyHASH_INF`.
const HASH_INF: i64 = 314_159;

/// What `set(...)` would do with the items of a list.
pub(crate) enum Hashes {
    /// Every item has a hash that does not change between processes.
    Fixed(Vec<u64>),
    /// Some item is a string or `None`: hashable, but in no reproducible order.
    Unordered,
    /// Some item is a list or dict: `set()` raises `TypeError`.
    Unhashable,
}

/// Python's `hash()` of a scalar whose hash is the same in every process.
fn py_hash(v: &Json) -> Option<i64> {
    match v {
        Json::Bool(b) => Some(i64::from(*b)),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                Some(hash_int(i128::from(i)))
            } else if let Some(u) = n.as_u64() {
                Some(hash_int(i128::from(u)))
            } else {
                n.as_f64().and_then(hash_float)
            }
        }
        _ => None,
    }
}

/// `long_hash`: the value modulo 2**61 - 1, keeping the sign; -1 is reserved for errors.
fn hash_int(i: i128) -> i64 {
    let m = i128::from(MODULUS);
    let r = i.unsigned_abs() % m.unsigned_abs();
    let r = i64::try_from(r).unwrap_or(0);
    let h = if i < 0 { -r } else { r };
    if h == -1 {
        -2
    } else {
        h
    }
}

/// `_Py_HashDouble`; `None` for NaN, whose hash is its address.
fn hash_float(v: f64) -> Option<i64> {
    if v.is_nan() {
        return None;
    }
    if v.is_infinite() {
        return Some(if v > 0.0 { HASH_INF } else { -HASH_INF });
    }
    let (mut m, mut e) = frexp(v);
    let negative = m < 0.0;
    if negative {
        m = -m;
    }
    let mut x: u64 = 0;
    // 28 bits of the mantissa at a time, as CPython does.
    while m != 0.0 {
        x = ((x << 28) & MODULUS) | x >> (HASH_BITS - 28);
        m *= 268_435_456.0;
        e -= 28;
        let y = m as u64;
        m -= y as f64;
        x += y;
        if x >= MODULUS {
            x -= MODULUS;
        }
    }
    let bits = HASH_BITS as i32;
    let e = if e >= 0 {
        e % bits
    } else {
        bits - 1 - ((-1 - e) % bits)
    };
    let e = e.unsigned_abs();
    x = ((x << e) & MODULUS) | x >> (HASH_BITS - e);
    let h = if negative { -(x as i64) } else { x as i64 };
    Some(if h == -1 { -2 } else { h })
}

/// C's `frexp`: `v = m * 2**e` with `0.5 <= |m| < 1`.
fn frexp(v: f64) -> (f64, i32) {
    if v == 0.0 {
        return (v, 0);
    }
    let bits = v.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    if exp == 0 {
        // Subnormal: scale into the normal range first.
        let (m, e) = frexp(v * f64::from_bits(0x4350_0000_0000_0000));
        return (m, e - 54);
    }
    let m = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (m, exp - 1022)
}

/// The hashes `set(items)` would use, or why it cannot be replayed.
pub(crate) fn hashes(items: &[Json]) -> Hashes {
    let mut out = Vec::with_capacity(items.len());
    let mut unordered = false;
    for item in items {
        match item {
            Json::Array(_) | Json::Object(_) => return Hashes::Unhashable,
            other => match py_hash(other) {
                Some(h) => out.push(h as u64),
                None => unordered = true,
            },
        }
    }
    if unordered {
        Hashes::Unordered
    } else {
        Hashes::Fixed(out)
    }
}

/// Python's `==` between JSON-shaped values: numbers and booleans compare by value.
pub(crate) fn py_eq(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(_) | Json::Bool(_), Json::Number(_) | Json::Bool(_)) => {
            match (as_int(a), as_int(b)) {
                (Some(x), Some(y)) => x == y,
                _ => as_f64(a) == as_f64(b),
            }
        }
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_eq(p, q))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| py_eq(v, w)))
        }
        _ => a == b,
    }
}

fn as_int(v: &Json) -> Option<i128> {
    match v {
        Json::Bool(b) => Some(i128::from(*b)),
        Json::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from)),
        _ => None,
    }
}

fn as_f64(v: &Json) -> Option<f64> {
    match v {
        Json::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Json::Number(n) => n.as_f64(),
        _ => None,
    }
}

#[derive(Clone)]
enum Slot {
    Empty,
    Dummy,
    Active(u64, Json),
}

/// A replay of CPython's `PySetObject` table.
#[derive(Clone)]
pub(crate) struct PySet {
    table: Vec<Slot>,
    fill: usize,
    used: usize,
}

impl PySet {
    fn new() -> Self {
        Self {
            table: vec![Slot::Empty; MIN_SIZE],
            fill: 0,
            used: 0,
        }
    }

    /// `set(items)`; `hashes` are the items' hashes, in order.
    pub(crate) fn from_items(items: &[Json], hashes: &[u64]) -> Self {
        let mut s = Self::new();
        for (item, &h) in items.iter().zip(hashes) {
            s.add(item.clone(), h);
        }
        s
    }

    fn mask(&self) -> usize {
        self.table.len() - 1
    }

    fn len(&self) -> usize {
        self.used
    }

    /// The items in iteration order.
    pub(crate) fn into_items(self) -> Vec<Json> {
        self.table
            .into_iter()
            .filter_map(|s| match s {
                Slot::Active(_, k) => Some(k),
                _ => None,
            })
            .collect()
    }

    fn entries(&self) -> Vec<(u64, Json)> {
        self.table
            .iter()
            .filter_map(|s| match s {
                Slot::Active(h, k) => Some((*h, k.clone())),
                _ => None,
            })
            .collect()
    }

    /// The probe sequence of `set_lookkey`/`set_add_entry`: runs of up to ten slots.
    fn probe(&self, hash: u64, mut visit: impl FnMut(usize) -> bool) {
        let mask = self.mask();
        let mut perturb = hash;
        let mut i = (hash as usize) & mask;
        loop {
            let probes = if i + LINEAR_PROBES <= mask {
                LINEAR_PROBES
            } else {
                0
            };
            for j in i..=i + probes {
                if visit(j) {
                    return;
                }
            }
            perturb >>= PERTURB_SHIFT;
            i = (i
                .wrapping_mul(5)
                .wrapping_add(1)
                .wrapping_add(perturb as usize))
                & mask;
        }
    }

    /// The slot holding `key`, if any.
    fn find(&self, key: &Json, hash: u64) -> Option<usize> {
        let mut found = None;
        self.probe(hash, |j| match &self.table[j] {
            Slot::Empty => true,
            Slot::Active(h, k) if *h == hash && py_eq(k, key) => {
                found = Some(j);
                true
            }
            _ => false,
        });
        found
    }

    fn contains(&self, key: &Json, hash: u64) -> bool {
        self.find(key, hash).is_some()
    }

    /// `set_add_entry`.
    fn add(&mut self, key: Json, hash: u64) {
        let mut freeslot = None;
        let mut target = None;
        let mut present = false;
        self.probe(hash, |j| match &self.table[j] {
            Slot::Empty => {
                target = Some(j);
                true
            }
            Slot::Active(h, k) if *h == hash && py_eq(k, &key) => {
                present = true;
                true
            }
            Slot::Dummy => {
                if freeslot.is_none() {
                    freeslot = Some(j);
                }
                false
            }
            Slot::Active(..) => false,
        });
        if present {
            return;
        }
        if let Some(j) = freeslot {
            self.used += 1;
            self.table[j] = Slot::Active(hash, key);
            return;
        }
        let Some(j) = target else { return };
        self.fill += 1;
        self.used += 1;
        self.table[j] = Slot::Active(hash, key);
        if self.fill * 5 >= self.mask() * 3 {
            let minused = if self.used > 50_000 {
                self.used * 2
            } else {
                self.used * 4
            };
            self.resize(minused);
        }
    }

    /// `set_table_resize`.
    fn resize(&mut self, minused: usize) {
        let mut size = MIN_SIZE;
        while size <= minused {
            size <<= 1;
        }
        let old = std::mem::replace(&mut self.table, vec![Slot::Empty; size]);
        self.fill = self.used;
        for slot in old {
            if let Slot::Active(h, k) = slot {
                self.insert_clean(k, h);
            }
        }
    }

    /// `set_insert_clean`: the first empty slot, the table known to lack the key.
    fn insert_clean(&mut self, key: Json, hash: u64) {
        let mut target = None;
        self.probe(hash, |j| {
            let empty = matches!(self.table[j], Slot::Empty);
            if empty {
                target = Some(j);
            }
            empty
        });
        if let Some(j) = target {
            self.table[j] = Slot::Active(hash, key);
        }
    }

    /// `set_discard_entry`: true when the key was there.
    fn discard(&mut self, key: &Json, hash: u64) -> bool {
        match self.find(key, hash) {
            Some(j) => {
                self.table[j] = Slot::Dummy;
                self.used -= 1;
                true
            }
            None => false,
        }
    }

    /// `set_merge`: adds every item of `other`.
    fn merge(&mut self, other: &PySet) {
        if other.used == 0 {
            return;
        }
        if (self.fill + other.used) * 5 >= self.mask() * 3 {
            self.resize((self.used + other.used) * 2);
        }
        let no_dummies = other.fill == other.used;
        if self.fill == 0 && self.mask() == other.mask() && no_dummies {
            self.table.clone_from(&other.table);
            self.fill = other.fill;
            self.used = other.used;
            return;
        }
        if self.fill == 0 {
            self.fill = other.used;
            self.used = other.used;
            for (h, k) in other.entries() {
                self.insert_clean(k, h);
            }
            return;
        }
        for (h, k) in other.entries() {
            self.add(k, h);
        }
    }

    /// `set_copy`.
    fn copy(&self) -> PySet {
        let mut s = PySet::new();
        s.merge(self);
        s
    }

    /// `a | b`.
    pub(crate) fn union(&self, other: &PySet) -> PySet {
        let mut s = self.copy();
        s.merge(other);
        s
    }

    /// `a & b`: walks the smaller set and keeps its items.
    pub(crate) fn intersection(&self, other: &PySet) -> PySet {
        let (big, small) = if other.len() > self.len() {
            (other, self)
        } else {
            (self, other)
        };
        let mut s = PySet::new();
        for (h, k) in small.entries() {
            if big.contains(&k, h) {
                s.add(k, h);
            }
        }
        s
    }

    /// `a - b`.
    pub(crate) fn difference(&self, other: &PySet) -> PySet {
        if (self.len() >> 2) > other.len() {
            let mut s = self.copy();
            for (h, k) in other.entries() {
                s.discard(&k, h);
            }
            return s;
        }
        let mut s = PySet::new();
        for (h, k) in self.entries() {
            if !other.contains(&k, h) {
                s.add(k, h);
            }
        }
        s
    }

    /// `a ^ b`: a copy of `b`, then each item of `a` toggled in it.
    pub(crate) fn symmetric_difference(&self, other: &PySet) -> PySet {
        let mut s = other.copy();
        for (h, k) in self.entries() {
            if !s.discard(&k, h) {
                s.add(k, h);
            }
        }
        s
    }
}

/// The list-based fallbacks, in first-seen order with Python's `==`.
pub(crate) fn dedup(items: Vec<Json>) -> Vec<Json> {
    let mut o: Vec<Json> = Vec::new();
    for i in items {
        if !o.iter().any(|x| py_eq(x, &i)) {
            o.push(i);
        }
    }
    o
}

pub(crate) fn contains(items: &[Json], v: &Json) -> bool {
    items.iter().any(|x| py_eq(x, v))
}

/// Used by `unique`'s case-insensitive key: only strings change.
pub(crate) fn fold_case(v: &Json) -> Json {
    match v {
        Json::String(s) => Json::String(s.to_lowercase()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_hashes_match_python() {
        // hash(0.1), hash(1.5), hash(-2.5), hash(1e300) from CPython 3.11.
        assert_eq!(hash_float(0.1), Some(230_584_300_921_369_408));
        assert_eq!(hash_float(1.5), Some(1_152_921_504_606_846_977));
        assert_eq!(hash_float(-2.5), Some(-1_152_921_504_606_846_978));
        assert_eq!(hash_float(2.0), Some(2));
        assert_eq!(hash_float(f64::INFINITY), Some(314_159));
        assert_eq!(hash_float(1e300), Some(1_224_995_262_755_759_164));
        assert_eq!(hash_float(5e-324), Some(16_777_216));
    }

    #[test]
    fn int_hashes_match_python() {
        assert_eq!(hash_int(-1), -2);
        assert_eq!(hash_int(i128::from(MODULUS)), 0);
        assert_eq!(hash_int(-5), -5);
    }
}
