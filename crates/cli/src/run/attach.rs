//! `--attachment FILE`: files sent with the prompt. Images (PNG, JPEG,
//! GIF, WebP) go as image blocks; other files as text, named by path.

use std::path::Path;

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use ferrule_protocol::{ContentBlock, ImageBlock};

/// Files larger than this are refused: the model could not take them.
const MAX_BYTES: u64 = 10 * 1024 * 1024;

/// The content blocks of the attachments, in the order given. Relative
/// paths are taken from `cwd`.
pub(crate) fn blocks(cwd: &Path, files: &[std::path::PathBuf]) -> Result<Vec<ContentBlock>> {
    files.iter().map(|file| block(cwd, file)).collect()
}

fn block(cwd: &Path, file: &Path) -> Result<ContentBlock> {
    let path = cwd.join(file);
    let size = std::fs::metadata(&path)
        .with_context(|| format!("--attachment {}", file.display()))?
        .len();
    if size > MAX_BYTES {
        bail!(
            "--attachment {}: {size} bytes is more than the {MAX_BYTES} allowed",
            file.display()
        );
    }
    let bytes = std::fs::read(&path).with_context(|| format!("--attachment {}", file.display()))?;
    if let Some(media_type) = image_type(&bytes) {
        let data = base64::engine::general_purpose::STANDARD.encode(&bytes);
        return Ok(ImageBlock::base64(media_type, data).into());
    }
    let Ok(text) = String::from_utf8(bytes) else {
        bail!(
            "--attachment {}: not an image (PNG, JPEG, GIF, WebP) and not UTF-8 text",
            file.display()
        );
    };
    Ok(ContentBlock::text(format!(
        "<attachment path=\"{}\">\n{text}\n</attachment>",
        file.display()
    )))
}

/// The media type of an image by its magic bytes.
fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_and_text_become_their_blocks() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.png"), b"\x89PNG\r\n\x1a\nrest").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "remember").unwrap();
        let blocks = blocks(dir.path(), &["a.png".into(), "notes.txt".into()]).unwrap();
        let json = serde_json::to_value(&blocks).unwrap();
        assert_eq!(json[0]["type"], "image");
        assert_eq!(json[0]["source"]["media_type"], "image/png");
        assert_eq!(json[1]["type"], "text");
        assert!(json[1]["text"].as_str().unwrap().contains("remember"));
    }

    #[test]
    fn missing_and_binary_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("blob"), [0u8, 159, 146, 150]).unwrap();
        let missing = blocks(dir.path(), &["nope.txt".into()]).unwrap_err();
        assert!(
            format!("{missing:#}").contains("--attachment nope.txt"),
            "{missing:#}"
        );
        let binary = blocks(dir.path(), &["blob".into()]).unwrap_err();
        assert!(binary.to_string().contains("not UTF-8 text"), "{binary}");
    }
}
