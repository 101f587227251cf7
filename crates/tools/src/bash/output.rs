//! Captured command output: bounded buffers and the middle-elided text the
//! model reads.

/// Characters of one stream the model reads at most; the middle of longer
/// output is elided (decision in `cli-core.md` §2.8).
pub const MAX_OUTPUT_CHARS: usize = 30_000;

/// Bytes kept from the start and from the end of a stream while it is read.
/// Enough for [`MAX_OUTPUT_CHARS`] characters of any UTF-8 at both ends, so
/// memory stays bounded however much a command prints.
const KEEP_BYTES: usize = 4 * MAX_OUTPUT_CHARS;

/// The first and last [`KEEP_BYTES`] bytes of a stream and the count of
/// bytes dropped between them.
#[derive(Debug, Default)]
pub(crate) struct HeadTail {
    head: Vec<u8>,
    tail: std::collections::VecDeque<u8>,
    dropped: u64,
}

impl HeadTail {
    /// Appends bytes read from the stream.
    pub(crate) fn push(&mut self, mut bytes: &[u8]) {
        if self.head.len() < KEEP_BYTES {
            let take = (KEEP_BYTES - self.head.len()).min(bytes.len());
            self.head.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
        }
        self.tail.extend(bytes);
        let excess = self.tail.len().saturating_sub(KEEP_BYTES);
        if excess > 0 {
            self.tail.drain(..excess);
            self.dropped += excess as u64;
        }
    }

    /// The stream as text (invalid UTF-8 replaced), at most `max`
    /// characters (at most [`MAX_OUTPUT_CHARS`]) with a marker where the
    /// middle was cut.
    pub(crate) fn to_text(&self, max: usize) -> String {
        let max = max.min(MAX_OUTPUT_CHARS);
        let head = String::from_utf8_lossy(&self.head);
        if self.tail.is_empty() {
            return elide_middle(&head, max, 0);
        }
        let tail: Vec<u8> = self.tail.iter().copied().collect();
        let tail = String::from_utf8_lossy(&tail);
        if self.dropped == 0 {
            let whole = format!("{head}{tail}");
            return elide_middle(&whole, max, 0);
        }
        let half = max / 2;
        let head_chars = head.chars().count();
        let tail_chars = tail.chars().count();
        let kept_head: String = head.chars().take(half).collect();
        let kept_tail: String = tail.chars().skip(tail_chars.saturating_sub(half)).collect();
        let cut_chars = head_chars.saturating_sub(half) + tail_chars.saturating_sub(half);
        format!(
            "{kept_head}\n\n... [{cut_chars} characters and {} more bytes of output elided] ...\n\n{kept_tail}",
            self.dropped
        )
    }
}

/// `text` itself when it has at most `max` characters, else its first and
/// last `max / 2` characters around a marker saying how many characters
/// were cut (plus `extra_bytes` that never reached the buffer).
pub(crate) fn elide_middle(text: &str, max: usize, extra_bytes: u64) -> String {
    let total = text.chars().count();
    if total <= max && extra_bytes == 0 {
        return text.to_owned();
    }
    let half = max / 2;
    if total <= max {
        return format!("{text}\n\n... [{extra_bytes} more bytes of output elided] ...");
    }
    let head_end = byte_index(text, half);
    let tail_start = byte_index(text, total - half);
    let cut = total - 2 * half;
    let more = if extra_bytes > 0 {
        format!(" and {extra_bytes} more bytes")
    } else {
        String::new()
    };
    format!(
        "{}\n\n... [{cut} characters{more} of output elided] ...\n\n{}",
        &text[..head_end],
        &text[tail_start..]
    )
}

/// The byte offset of character number `chars` in `text`.
fn byte_index(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(index, _)| index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_kept_whole() {
        assert_eq!(elide_middle("hello", 10, 0), "hello");
    }

    #[test]
    fn long_text_keeps_both_ends_and_counts_the_cut() {
        let text = "a".repeat(10) + &"b".repeat(10);
        assert_eq!(
            elide_middle(&text, 10, 0),
            "aaaaa\n\n... [10 characters of output elided] ...\n\nbbbbb"
        );
    }

    #[test]
    fn multibyte_text_is_cut_on_character_boundaries() {
        let text = "é".repeat(30);
        let out = elide_middle(&text, 10, 0);
        assert!(out.starts_with("ééééé\n"));
        assert!(out.ends_with("\nééééé"));
        assert!(out.contains("[20 characters of output elided]"));
    }

    #[test]
    fn head_tail_keeps_the_ends_of_a_huge_stream() {
        let mut buffer = HeadTail::default();
        buffer.push(b"START");
        for _ in 0..100 {
            buffer.push(&[b'x'; 10_000]);
        }
        buffer.push(b"END");
        let text = buffer.to_text(MAX_OUTPUT_CHARS);
        assert!(text.starts_with("STARTxxx"));
        assert!(text.ends_with("xxxEND"));
        assert!(text.contains("more bytes of output elided"));
        assert!(text.chars().count() < MAX_OUTPUT_CHARS + 200);
    }
}
