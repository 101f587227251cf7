//! Text encodings and line endings of files the tools change.
//!
//! Write and Edit keep a file's encoding (UTF-8, UTF-8 with BOM, UTF-16 LE or
//! BE with BOM) and its line endings (`cli-core.md` §2.3, §2.4), so an edit
//! by the model never rewrites a whole Windows file.

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
const UTF16LE_BOM: &[u8] = b"\xFF\xFE";
const UTF16BE_BOM: &[u8] = b"\xFE\xFF";

/// How a text file is encoded on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8 without a byte-order mark.
    Utf8,
    /// UTF-8 starting with the byte-order mark `EF BB BF`.
    Utf8Bom,
    /// UTF-16 little endian with the byte-order mark `FF FE`.
    Utf16Le,
    /// UTF-16 big endian with the byte-order mark `FE FF`.
    Utf16Be,
}

/// The line ending a text uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnding {
    /// `\n`.
    Lf,
    /// `\r\n`.
    CrLf,
}

/// A file's text with how it was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedText {
    /// The text, byte-order mark removed, line endings as stored.
    pub text: String,
    /// The encoding it was stored in.
    pub encoding: TextEncoding,
    /// The line ending most of its lines use.
    pub line_ending: LineEnding,
}

/// Why bytes are not text the tools can change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A NUL byte outside UTF-16: the file is binary.
    #[error("it looks binary (NUL byte at offset {offset})")]
    Binary {
        /// Byte offset of the first NUL.
        offset: usize,
    },
    /// Not valid UTF-8.
    #[error("it is not valid UTF-8 (invalid byte at offset {offset})")]
    InvalidUtf8 {
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
    /// A UTF-16 file with an odd length or an unpaired surrogate.
    #[error("it is not valid UTF-16 ({reason})")]
    InvalidUtf16 {
        /// What is wrong.
        reason: &'static str,
    },
}

/// Decodes a file's bytes, detecting the encoding from its byte-order mark.
pub fn decode(bytes: &[u8]) -> Result<DecodedText, DecodeError> {
    let (text, encoding) = if let Some(rest) = bytes.strip_prefix(UTF8_BOM) {
        (decode_utf8(rest, UTF8_BOM.len())?, TextEncoding::Utf8Bom)
    } else if let Some(rest) = bytes.strip_prefix(UTF16LE_BOM) {
        (
            decode_utf16(rest, u16::from_le_bytes)?,
            TextEncoding::Utf16Le,
        )
    } else if let Some(rest) = bytes.strip_prefix(UTF16BE_BOM) {
        (
            decode_utf16(rest, u16::from_be_bytes)?,
            TextEncoding::Utf16Be,
        )
    } else {
        (decode_utf8(bytes, 0)?, TextEncoding::Utf8)
    };
    let line_ending = detect_line_ending(&text);
    Ok(DecodedText {
        text,
        encoding,
        line_ending,
    })
}

fn decode_utf8(bytes: &[u8], base: usize) -> Result<String, DecodeError> {
    if let Some(offset) = bytes.iter().position(|&byte| byte == 0) {
        return Err(DecodeError::Binary {
            offset: base + offset,
        });
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_owned()),
        Err(error) => Err(DecodeError::InvalidUtf8 {
            offset: base + error.valid_up_to(),
        }),
    }
}

fn decode_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, DecodeError> {
    if !bytes.len().is_multiple_of(2) {
        return Err(DecodeError::InvalidUtf16 {
            reason: "odd number of bytes",
        });
    }
    let units = bytes.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(|_| DecodeError::InvalidUtf16 {
            reason: "unpaired surrogate",
        })
}

/// Encodes `text` as `encoding`, with the byte-order mark when it has one.
pub fn encode(text: &str, encoding: TextEncoding) -> Vec<u8> {
    match encoding {
        TextEncoding::Utf8 => text.as_bytes().to_vec(),
        TextEncoding::Utf8Bom => [UTF8_BOM, text.as_bytes()].concat(),
        TextEncoding::Utf16Le => {
            let mut out = UTF16LE_BOM.to_vec();
            out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
            out
        }
        TextEncoding::Utf16Be => {
            let mut out = UTF16BE_BOM.to_vec();
            out.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
            out
        }
    }
}

/// `CrLf` when more lines end in `\r\n` than in a bare `\n`.
pub fn detect_line_ending(text: &str) -> LineEnding {
    let crlf = text.matches("\r\n").count();
    let lf = text.matches('\n').count() - crlf;
    if crlf > lf {
        LineEnding::CrLf
    } else {
        LineEnding::Lf
    }
}

/// Turns every bare `\n` of `text` into `\r\n`; existing `\r\n` stay.
pub fn lf_to_crlf(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    let mut previous = '\0';
    for ch in text.chars() {
        if ch == '\n' && previous != '\r' {
            out.push('\r');
        }
        out.push(ch);
        previous = ch;
    }
    out
}

/// `text` with the line ending `ending`: bare `\n` become `\r\n` for
/// `CrLf`; `Lf` leaves the text as it is.
pub fn with_line_ending(text: &str, ending: LineEnding) -> String {
    match ending {
        LineEnding::Lf => text.to_owned(),
        LineEnding::CrLf => lf_to_crlf(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn every_encoding_round_trips() {
        for encoding in [
            TextEncoding::Utf8,
            TextEncoding::Utf8Bom,
            TextEncoding::Utf16Le,
            TextEncoding::Utf16Be,
        ] {
            let bytes = encode("héllo\r\nwörld 🦀\r\n", encoding);
            let decoded = decode(&bytes).unwrap();
            assert_eq!(decoded.encoding, encoding);
            assert_eq!(decoded.text, "héllo\r\nwörld 🦀\r\n");
            assert_eq!(decoded.line_ending, LineEnding::CrLf);
        }
    }

    #[test]
    fn binary_and_invalid_bytes_are_reported_with_offsets() {
        assert_eq!(decode(b"ab\0c"), Err(DecodeError::Binary { offset: 2 }));
        assert_eq!(
            decode(b"ok \xff"),
            Err(DecodeError::InvalidUtf8 { offset: 3 })
        );
        assert_eq!(
            decode(b"\xff\xfea"),
            Err(DecodeError::InvalidUtf16 {
                reason: "odd number of bytes"
            })
        );
        assert_eq!(
            decode(b"\xff\xfe\x00\xd8"),
            Err(DecodeError::InvalidUtf16 {
                reason: "unpaired surrogate"
            })
        );
    }

    #[test]
    fn lf_to_crlf_keeps_existing_crlf() {
        assert_eq!(lf_to_crlf("a\nb\r\nc\n"), "a\r\nb\r\nc\r\n");
    }
}
