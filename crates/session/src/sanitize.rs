//! Project directory names: how a working directory becomes the folder
//! under `projects/` that holds its transcripts.
//!
//! The Qoder CLI (a JavaScript program) and the SDKs that read its files
//! share one rule (`sdk-protocol.md` §13.3): every UTF-16 code unit outside
//! `[0-9A-Za-z]` becomes `-`; a result longer than [`MAX_SANITIZED_LENGTH`]
//! is cut to that many characters and gets `-` plus a hash of the *original*
//! name. The hash is DJB2 in its XOR form over UTF-16 code units — start at
//! 5381, then `h = (h * 33) ^ unit` with 32-bit wrap-around, read as a signed
//! 32-bit integer — whose absolute value is written in base 36. (This is
//! what `qoder-agent-sdk`'s `_simple_hash` computes; the Claude SDKs use a
//! different `h * 31 + unit` hash, so do not "fix" it to that.)

use std::path::Path;

use unicode_normalization::UnicodeNormalization;

/// Longest sanitized name kept whole; longer ones are cut and hashed.
pub const MAX_SANITIZED_LENGTH: usize = 200;

/// Make `name` safe as one path component, exactly as the Qoder CLI does.
///
/// ```
/// use ferrule_session::sanitize_path;
/// assert_eq!(sanitize_path("/home/ana/my-app"), "-home-ana-my-app");
/// ```
pub fn sanitize_path(name: &str) -> String {
    // Each UTF-16 code unit maps to one ASCII character, so the output's
    // length in bytes equals the input's length in UTF-16 code units.
    let sanitized: String = name
        .encode_utf16()
        .map(|unit| match u8::try_from(unit) {
            Ok(byte) if byte.is_ascii_alphanumeric() => char::from(byte),
            _ => '-',
        })
        .collect();
    if sanitized.len() <= MAX_SANITIZED_LENGTH {
        return sanitized;
    }
    format!(
        "{}-{}",
        &sanitized[..MAX_SANITIZED_LENGTH],
        string_hash_base36(name)
    )
}

/// The CLI's signed 32-bit DJB2-XOR hash of `name` (over UTF-16 code
/// units), as the base-36 digits of its absolute value.
pub fn string_hash_base36(name: &str) -> String {
    let mut hash: i32 = 5381;
    for unit in name.encode_utf16() {
        hash = hash.wrapping_mul(33) ^ i32::from(unit);
    }
    to_base36(hash.unsigned_abs())
}

fn to_base36(mut n: u32) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    if n == 0 {
        return "0".to_owned();
    }
    let mut out = Vec::new();
    while n > 0 {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
    }
    out.reverse();
    out.into_iter().map(char::from).collect()
}

/// The canonical form of a working directory the SDKs key projects by: the
/// real path (symlinks resolved; the path as given when that fails) in
/// Unicode NFC.
pub fn canonical_project_path(cwd: &Path) -> String {
    let resolved = std::fs::canonicalize(cwd).unwrap_or_else(|_| cwd.to_path_buf());
    resolved.to_string_lossy().nfc().collect()
}

/// The folder name under `projects/` for the working directory `cwd`.
pub fn project_dir_name(cwd: &Path) -> String {
    sanitize_path(&canonical_project_path(cwd))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn base36_of_zero_and_large_values() {
        assert_eq!(to_base36(0), "0");
        assert_eq!(to_base36(35), "z");
        assert_eq!(to_base36(36), "10");
        assert_eq!(to_base36(u32::MAX), "1z141z3");
    }

    #[test]
    fn hash_of_i32_min_is_its_magnitude() {
        // JavaScript's Math.abs(-2147483648) is 2147483648, not an overflow.
        assert_eq!(to_base36(2_147_483_648), "zik0zk");
    }
}
