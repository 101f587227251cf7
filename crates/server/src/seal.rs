//! Encryption of vault secrets at rest: AES-256-GCM (ring) with a key from
//! `FERRULE_VAULT_KEY` (64 hex digits; share it between replicas) or, by
//! default, `<data dir>/vault.key` (created on first use, mode 0600).

use std::path::Path;

use base64::Engine;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

/// Error setting up or using the sealing key.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The key file or variable is unusable.
    #[error("vault key: {0}")]
    Key(String),
    /// A sealed value does not open with this key.
    #[error("a vault secret cannot be decrypted (wrong FERRULE_VAULT_KEY?)")]
    Open,
}

/// Seals and opens secrets.
pub struct Sealer {
    key: LessSafeKey,
    random: SystemRandom,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer")
    }
}

fn parse_hex(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if text.len() != 64 {
        return None;
    }
    (0..32)
        .map(|i| u8::from_str_radix(&text[i * 2..i * 2 + 2], 16).ok())
        .collect()
}

impl Sealer {
    /// The key from `FERRULE_VAULT_KEY`, else `<data_dir>/vault.key`.
    pub fn load(variable: Option<&str>, data_dir: &Path) -> Result<Self, SealError> {
        let random = SystemRandom::new();
        let bytes = match variable {
            Some(text) => parse_hex(text)
                .ok_or_else(|| SealError::Key("FERRULE_VAULT_KEY must be 64 hex digits".into()))?,
            None => {
                let path = data_dir.join("vault.key");
                match std::fs::read_to_string(&path) {
                    Ok(text) => parse_hex(&text).ok_or_else(|| {
                        SealError::Key(format!("{} is not 64 hex digits", path.display()))
                    })?,
                    Err(_) => {
                        let mut bytes = [0u8; 32];
                        random
                            .fill(&mut bytes)
                            .map_err(|_| SealError::Key("no randomness".into()))?;
                        let text: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                        write_private(&path, &text)
                            .map_err(|e| SealError::Key(format!("{}: {e}", path.display())))?;
                        bytes.to_vec()
                    }
                }
            }
        };
        let key =
            UnboundKey::new(&AES_256_GCM, &bytes).map_err(|_| SealError::Key("bad key".into()))?;
        Ok(Self {
            key: LessSafeKey::new(key),
            random,
        })
    }

    /// Encrypts `plain`: base64 of nonce + ciphertext + tag.
    pub fn seal(&self, plain: &str) -> Result<String, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.random
            .fill(&mut nonce)
            .map_err(|_| SealError::Key("no randomness".into()))?;
        let mut data = plain.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut data)
            .map_err(|_| SealError::Open)?;
        let mut out = nonce.to_vec();
        out.extend(data);
        Ok(base64::engine::general_purpose::STANDARD.encode(out))
    }

    /// Decrypts what [`Sealer::seal`] made.
    pub fn open(&self, sealed: &str) -> Result<String, SealError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .map_err(|_| SealError::Open)?;
        if bytes.len() < NONCE_LEN {
            return Err(SealError::Open);
        }
        let (nonce, data) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Open)?;
        let mut data = data.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::empty(), &mut data)
            .map_err(|_| SealError::Open)?;
        String::from_utf8(plain.to_vec()).map_err(|_| SealError::Open)
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_round_trip_and_key_file_reuse() {
        let dir = tempfile::tempdir().unwrap();
        let sealer = Sealer::load(None, dir.path()).unwrap();
        let sealed = sealer.seal("s3cret").unwrap();
        assert!(!sealed.contains("s3cret"));
        assert_eq!(sealer.open(&sealed).unwrap(), "s3cret");
        let again = Sealer::load(None, dir.path()).unwrap();
        assert_eq!(again.open(&sealed).unwrap(), "s3cret");
        let other = Sealer::load(Some(&"ab".repeat(32)), dir.path()).unwrap();
        assert!(other.open(&sealed).is_err());
        assert!(Sealer::load(Some("short"), dir.path()).is_err());
    }
}
