//! Content hashes (BLAKE3, hex) and the state of a file at one moment.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The BLAKE3 hash of a file's bytes, written as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentHash([u8; 32]);

impl ContentHash {
    /// Hashes `bytes`.
    #[must_use]
    pub fn of(bytes: &[u8]) -> Self {
        Self(*blake3::hash(bytes).as_bytes())
    }

    /// Parses 64 hex digits; `None` for anything else.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        blake3::Hash::from_hex(text)
            .ok()
            .map(|hash| Self(*hash.as_bytes()))
    }

    /// The hex form.
    #[must_use]
    pub fn to_hex(&self) -> String {
        blake3::Hash::from_bytes(self.0).to_hex().to_string()
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentHash({})", self.to_hex())
    }
}

impl Serialize for ContentHash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for ContentHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "invalid content hash {text:?} (expected 64 hex digits)"
            ))
        })
    }
}

/// What a path held at one moment: nothing, or bytes with this hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileState {
    /// The file did not exist.
    Absent,
    /// The file existed with this content.
    Present(ContentHash),
}

impl FileState {
    /// The hash, if the file existed.
    #[must_use]
    pub fn hash(&self) -> Option<ContentHash> {
        match self {
            Self::Absent => None,
            Self::Present(hash) => Some(*hash),
        }
    }

    /// Builds the state from an optional hash.
    #[must_use]
    pub fn from_hash(hash: Option<ContentHash>) -> Self {
        hash.map_or(Self::Absent, Self::Present)
    }
}

#[cfg(test)]
mod tests {
    use super::ContentHash;

    #[test]
    fn hex_form_round_trips_and_rejects_bad_text() {
        let hash = ContentHash::of(b"hello\n");
        assert_eq!(ContentHash::parse(&hash.to_hex()), Some(hash));
        assert_eq!(ContentHash::parse("abc"), None);
        assert_eq!(ContentHash::parse(&"g".repeat(64)), None);
    }
}
