//! An incremental decoder for `text/event-stream` bodies (Server-Sent Events).
//!
//! Both providers stream their responses as SSE: OpenAI-compatible servers
//! send `data:` lines only, Anthropic adds `event:` lines. Bytes arrive in
//! arbitrary chunks (a line may be split anywhere, even inside a UTF-8
//! character), so the decoder buffers until a line is complete and hands
//! out whole events.
//!
//! It follows the WHATWG event-stream rules for line endings (LF, CRLF, CR),
//! comments (`:` lines), the optional space after the colon, multi-line
//! `data` and a leading byte-order mark. One deliberate difference: a line
//! whose field name is not one of `event`, `data`, `id`, `retry` is an error
//! instead of being skipped. The decoder only reads model APIs, and a body
//! that is not SSE at all (an HTML error page from a proxy, a plain JSON
//! error) should be reported with its text, not silently turned into "no
//! events".

use thiserror::Error;

/// Longest line accepted, in bytes. A model response chunk is far smaller;
/// a longer line means the body is not the stream we expect.
pub const MAX_LINE_BYTES: usize = 8 * 1024 * 1024;

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` name, `None` when the event had none (OpenAI style).
    pub event: Option<String>,
    /// The `data:` lines joined by `\n`.
    pub data: String,
    /// Line number (from 1) where the event's first field was.
    pub line: usize,
}

/// A body that cannot be read as an event stream.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SseError {
    /// A line is not valid UTF-8.
    #[error("event stream line {line}: not valid UTF-8")]
    InvalidUtf8 {
        /// Line number, from 1.
        line: usize,
    },
    /// A line has a field name the event-stream format does not define.
    #[error("event stream line {line}: unexpected field `{field}` in `{text}`")]
    UnknownField {
        /// Line number, from 1.
        line: usize,
        /// The field name found.
        field: String,
        /// The line, cut to 200 characters.
        text: String,
    },
    /// A line grew past [`MAX_LINE_BYTES`] without ending.
    #[error("event stream line {line}: longer than {MAX_LINE_BYTES} bytes")]
    LineTooLong {
        /// Line number, from 1.
        line: usize,
    },
}

/// Turns body chunks into [`SseEvent`]s.
#[derive(Debug, Default)]
pub struct SseDecoder {
    /// Bytes of the current, unfinished line.
    pending: Vec<u8>,
    /// The previous chunk ended in `\r`; a `\n` starting the next chunk
    /// belongs to that line ending.
    after_cr: bool,
    /// Lines completed so far.
    line: usize,
    /// Whether the first line was checked for a byte-order mark.
    seen_first_line: bool,
    event: Option<String>,
    data: Option<String>,
    event_line: usize,
}

impl SseDecoder {
    /// A decoder at the start of a body.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds the next chunk of the body; returns the events it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<SseEvent>, SseError> {
        let mut events = Vec::new();
        let mut rest = chunk;
        if self.after_cr {
            self.after_cr = false;
            if let Some(stripped) = rest.strip_prefix(b"\n") {
                rest = stripped;
            }
        }
        while let Some(end) = rest.iter().position(|&byte| byte == b'\n' || byte == b'\r') {
            self.pending.extend_from_slice(&rest[..end]);
            let is_cr = rest[end] == b'\r';
            rest = &rest[end + 1..];
            if is_cr {
                match rest.first() {
                    Some(b'\n') => rest = &rest[1..],
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
            let line = std::mem::take(&mut self.pending);
            if let Some(event) = self.take_line(&line)? {
                events.push(event);
            }
        }
        if self.pending.len() + rest.len() > MAX_LINE_BYTES {
            return Err(SseError::LineTooLong {
                line: self.line + 1,
            });
        }
        self.pending.extend_from_slice(rest);
        Ok(events)
    }

    /// Ends the body: a last line without a line ending still counts, and
    /// an event not yet closed by a blank line is dispatched (servers often
    /// omit the final blank line).
    pub fn finish(&mut self) -> Result<Option<SseEvent>, SseError> {
        if !self.pending.is_empty() {
            let line = std::mem::take(&mut self.pending);
            if let Some(event) = self.take_line(&line)? {
                return Ok(Some(event));
            }
        }
        Ok(self.dispatch())
    }

    /// Number of lines read so far.
    pub fn lines_read(&self) -> usize {
        self.line
    }

    fn take_line(&mut self, raw: &[u8]) -> Result<Option<SseEvent>, SseError> {
        self.line += 1;
        let line_number = self.line;
        let mut raw = raw;
        if !self.seen_first_line {
            self.seen_first_line = true;
            if let Some(stripped) = raw.strip_prefix("\u{feff}".as_bytes()) {
                raw = stripped;
            }
        }
        let text =
            std::str::from_utf8(raw).map_err(|_| SseError::InvalidUtf8 { line: line_number })?;
        if text.is_empty() {
            return Ok(self.dispatch());
        }
        if text.starts_with(':') {
            return Ok(None);
        }
        let (field, value) = match text.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (text, ""),
        };
        if self.event.is_none() && self.data.is_none() {
            self.event_line = line_number;
        }
        match field {
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            },
            "event" => self.event = Some(value.to_owned()),
            "id" | "retry" => {}
            other => {
                return Err(SseError::UnknownField {
                    line: line_number,
                    field: other.chars().take(40).collect(),
                    text: text.chars().take(200).collect(),
                });
            }
        }
        Ok(None)
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let event = self.event.take();
        // An event with no data line is not dispatched (WHATWG rule).
        let data = self.data.take()?;
        Some(SseEvent {
            event,
            data,
            line: self.event_line,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn decode_in_pieces(body: &[u8], piece: usize) -> Result<Vec<SseEvent>, SseError> {
        let mut decoder = SseDecoder::new();
        let mut events = Vec::new();
        for chunk in body.chunks(piece.max(1)) {
            events.extend(decoder.push(chunk)?);
        }
        events.extend(decoder.finish()?);
        Ok(events)
    }

    fn event(name: Option<&str>, data: &str, line: usize) -> SseEvent {
        SseEvent {
            event: name.map(str::to_owned),
            data: data.to_owned(),
            line,
        }
    }

    #[test]
    fn events_are_the_same_whatever_the_chunking() {
        let body = "event: message_start\r\ndata: {\"a\":1}\r\n\r\n: keep-alive\n\ndata: x\ndata: y\n\ndata:[DONE]\n\n";
        let expected = vec![
            event(Some("message_start"), "{\"a\":1}", 1),
            event(None, "x\ny", 6),
            event(None, "[DONE]", 9),
        ];
        for piece in 1..body.len() {
            assert_eq!(
                decode_in_pieces(body.as_bytes(), piece).unwrap(),
                expected,
                "piece {piece}"
            );
        }
    }

    #[test]
    fn bare_cr_line_endings_count_as_line_ends() {
        let events = decode_in_pieces(b"data: a\r\rdata: b\r\r", 3).unwrap();
        assert_eq!(events, vec![event(None, "a", 1), event(None, "b", 3)]);
    }

    #[test]
    fn last_event_without_blank_line_is_dispatched() {
        let events = decode_in_pieces(b"data: tail", 4).unwrap();
        assert_eq!(events, vec![event(None, "tail", 1)]);
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        let events = decode_in_pieces("\u{feff}data: a\n\n".as_bytes(), 2).unwrap();
        assert_eq!(events, vec![event(None, "a", 1)]);
    }

    #[test]
    fn a_json_body_is_an_error_naming_the_line() {
        let err = decode_in_pieces(b"data: ok\n\n{\"error\": \"bad\"}\n", 5).unwrap_err();
        assert_eq!(
            err,
            SseError::UnknownField {
                line: 3,
                field: "{\"error\"".into(),
                text: "{\"error\": \"bad\"}".into(),
            }
        );
        assert_eq!(
            err.to_string(),
            "event stream line 3: unexpected field `{\"error\"` in `{\"error\": \"bad\"}`"
        );
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let err = decode_in_pieces(b"data: a\n\ndata: \xff\n", 64).unwrap_err();
        assert_eq!(err, SseError::InvalidUtf8 { line: 3 });
    }

    #[test]
    fn utf8_split_across_chunks_is_joined() {
        let body = "data: héllo ✓\n\n".as_bytes();
        assert_eq!(
            decode_in_pieces(body, 1).unwrap(),
            vec![event(None, "héllo ✓", 1)]
        );
    }
}
