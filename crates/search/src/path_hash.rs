//! A fast hasher for the content cache's path keys.
//!
//! The cache is looked up once per file per call; std's SipHash showed up
//! in profiles of warm searches. Keys are local file paths, not input an
//! attacker picks to collide, so a simple multiply-rotate hash (the one
//! rustc uses internally, "FxHash") is enough.

use std::hash::{BuildHasherDefault, Hasher};

/// The multiply-rotate hasher.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct PathHasher(u64);

/// Builds [`PathHasher`]s.
pub(crate) type PathHash = BuildHasherDefault<PathHasher>;

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl PathHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for PathHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 56));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::ffi::OsString;

    #[test]
    fn distinct_paths_stay_distinct_keys() {
        let mut map: HashMap<OsString, usize, PathHash> = HashMap::default();
        let long = "x".repeat(40);
        let paths = [
            "a",
            "a/b",
            "a/b/c.rs",
            "a/b/c.rs.bak",
            "a/b/d.rs",
            long.as_str(),
        ];
        for (i, p) in paths.iter().enumerate() {
            map.insert(OsString::from(p), i);
        }
        for (i, p) in paths.iter().enumerate() {
            assert_eq!(map.get(&OsString::from(p)), Some(&i));
        }
        assert_eq!(map.len(), paths.len());
    }
}
