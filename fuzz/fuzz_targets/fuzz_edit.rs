//! Edit inputs: any file bytes and any `old_string` / `new_string`, never a
//! panic, and the result is exactly the documented replacement.
//!
//! Input: one flag byte (bit 0 = `replace_all`), then the file bytes,
//! `old_string` and `new_string`, separated by the marker `\0--\0`.
//!
//! Properties:
//! - decoding the file bytes and encoding the text again gives the same
//!   bytes (encoding and BOM preserved);
//! - a successful replace-once edit equals the text with the first
//!   occurrence replaced, and replacing back restores the original when
//!   the inserted text occurs only there;
//! - a successful replace-all edit equals `str::replace` and counts every
//!   occurrence;
//! - each error holds: no change iff the strings are equal, not found iff
//!   neither the text nor its CRLF form occurs, ambiguous only with 2+
//!   occurrences.

#![no_main]

use ferrule_tools::{ReplaceError, ReplaceMode, decode, encode, lf_to_crlf, replace};
use libfuzzer_sys::fuzz_target;

const MARKER: &[u8] = b"\0--\0";

fn split(data: &[u8]) -> Option<(bool, &[u8], &[u8], &[u8])> {
    let (&flags, rest) = data.split_first()?;
    let find = |haystack: &[u8]| haystack.windows(MARKER.len()).position(|w| w == MARKER);
    let first = find(rest)?;
    let (content, rest) = (&rest[..first], &rest[first + MARKER.len()..]);
    let second = find(rest)?;
    let (old, new) = (&rest[..second], &rest[second + MARKER.len()..]);
    Some((flags & 1 == 1, content, old, new))
}

fuzz_target!(|data: &[u8]| {
    let Some((replace_all, content, old, new)) = split(data) else {
        return;
    };
    let text = match decode(content) {
        Ok(decoded) => {
            assert_eq!(encode(&decoded.text, decoded.encoding), content, "round trip");
            decoded.text
        }
        Err(_) => String::from_utf8_lossy(content).into_owned(),
    };
    let old = String::from_utf8_lossy(old);
    let new = String::from_utf8_lossy(new);
    let mode = ReplaceMode::from_replace_all(replace_all);
    match replace(&text, &old, &new, mode) {
        Ok(done) => {
            assert_ne!(old, new);
            assert!(!done.old_used.is_empty());
            let occurrences = text.matches(done.old_used.as_str()).count();
            assert_eq!(done.count, occurrences);
            match mode {
                ReplaceMode::Once => {
                    assert_eq!(occurrences, 1);
                    let start = text.find(done.old_used.as_str()).expect("one occurrence");
                    let expected = format!(
                        "{}{}{}",
                        &text[..start],
                        done.new_used,
                        &text[start + done.old_used.len()..]
                    );
                    assert_eq!(done.text, expected);
                    // Only when the inserted text is the sole occurrence, even
                    // counting overlaps, does replacing back hit the same spot.
                    let new_used = done.new_used.as_str();
                    if !new_used.is_empty() && done.text.find(new_used) == done.text.rfind(new_used)
                    {
                        let back = replace(&done.text, &done.new_used, &done.old_used, mode)
                            .expect("replacing back succeeds");
                        assert_eq!(back.text, text, "replacing back restores the original");
                    }
                }
                ReplaceMode::All => {
                    assert!(occurrences >= 1);
                    assert_eq!(done.text, text.replace(done.old_used.as_str(), &done.new_used));
                }
            }
        }
        Err(ReplaceError::NoChange) => assert_eq!(old, new),
        Err(ReplaceError::EmptyOldString) => assert!(old.is_empty() && old != new),
        Err(ReplaceError::NotFound) => {
            assert!(!text.contains(old.as_ref()));
            assert!(!text.contains(lf_to_crlf(&old).as_str()));
        }
        Err(ReplaceError::Ambiguous { count }) => {
            assert_eq!(mode, ReplaceMode::Once);
            assert!(count >= 2);
        }
    }
});
