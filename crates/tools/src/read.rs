//! `Read`: a file's text with line numbers, an image, a notebook's cells or
//! a PDF's pages (`cli-core.md` §2.2).

use std::fmt::Write as _;
use std::fs::Metadata;
use std::path::Path;

use async_trait::async_trait;
use base64::Engine as _;
use ferrule_tool::{FileStamp, ToolContext, ToolError, ToolOutput, ToolTarget, TypedTool};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use crate::file_io::{MAX_FILE_BYTES, io_error};
use crate::notebook::Notebook;
use crate::read_pdf::{MAX_PDF_PAGES_PER_READ, PDF_PAGES_WITHOUT_RANGE};
use crate::read_unchanged::{self, Part};
use crate::text::{self, DecodeError};

/// Lines shown when `limit` is not given.
pub const DEFAULT_READ_LIMIT: u64 = 2000;
/// Characters after which a line is cut.
pub const MAX_LINE_CHARS: usize = 2000;
/// Files larger than this need `offset` or `limit`.
pub const MAX_WHOLE_READ_BYTES: u64 = 256 * 1024;
/// The largest image Read returns.
pub const MAX_IMAGE_BYTES: u64 = 10 * 1024 * 1024;

const EMPTY_FILE_REMINDER: &str =
    "<system-reminder>Warning: the file exists but its contents are empty.</system-reminder>";

/// Input of `Read`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadInput {
    /// The absolute path of the file to read (a relative path is taken from
    /// the working directory).
    pub file_path: String,
    /// The 1-based line number to start reading from. Only give it for
    /// files too large to read at once.
    #[serde(default)]
    pub offset: Option<u64>,
    /// How many lines to read (default 2000). Only give it for files too
    /// large to read at once.
    #[serde(default)]
    pub limit: Option<u64>,
    /// Page range of a PDF file, e.g. "1-5" or "3" (or a list, "1-3,7").
    /// Needed for PDFs of more than 10 pages; at most 20 pages per call.
    #[serde(default)]
    pub pages: Option<String>,
}

/// The `Read` tool.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadTool;

const DESCRIPTION: &str = "\
Reads a file from the local filesystem.
- `file_path` should be an absolute path.
- By default up to 2000 lines are read from the start of the file; use `offset` and `limit` for \
a part of a long file.
- Lines longer than 2000 characters are cut.
- The result is numbered like `cat -n`: the 1-based line number, a tab, then the line. The \
number and tab are not part of the file.
- Images (PNG, JPEG, GIF, WebP) are returned as images; Jupyter notebooks (.ipynb) as their \
cells with outputs.
- PDF files are returned as the text of their pages. A PDF of more than 10 pages needs `pages` \
(e.g. \"1-5\", \"3\" or \"1-3,7\"); at most 20 pages per call.
- Reading the same part of a file again while it is unchanged returns a short note instead \
of the content: the earlier result is still current.
- Directories cannot be read; use LS or Glob.
- A file must be read before Write or Edit change it.";

#[async_trait]
impl TypedTool for ReadTool {
    type Input = ReadInput;

    fn name(&self) -> &str {
        "Read"
    }

    fn description(&self) -> &str {
        DESCRIPTION
    }

    fn is_read_only(&self) -> bool {
        true
    }

    fn targets(&self, input: &ReadInput, ctx: &ToolContext) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(vec![ToolTarget::read(
            ctx.resolve_path("file_path", &input.file_path)?,
        )])
    }

    async fn call(&self, input: ReadInput, ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        let path = ctx.resolve_path("file_path", &input.file_path)?;
        let metadata = tokio::fs::metadata(&path)
            .await
            .map_err(|error| io_error("read", &path, &error))?;
        if metadata.is_dir() {
            return Err(ToolError::respond(format!(
                "{} is a directory, not a file. Use LS or Glob to list it.",
                path.display()
            )));
        }
        let kind = FileKind::of(&path);
        if input.pages.is_some() && !matches!(kind, FileKind::Pdf) {
            return Err(ToolError::respond(format!(
                "`pages` applies to PDF files only, and {} is not one; use `offset` and \
                 `limit` for a part of a text file",
                path.display()
            )));
        }
        match kind {
            FileKind::Image => read_image(ctx, &path, &metadata).await,
            FileKind::Notebook => read_notebook(ctx, &path, &metadata).await,
            FileKind::Pdf => read_pdf(ctx, &path, input.pages, &metadata).await,
            FileKind::Text => read_text(ctx, &path, &input, &metadata).await,
        }
    }
}

enum FileKind {
    Text,
    Image,
    Notebook,
    Pdf,
}

impl FileKind {
    fn of(path: &Path) -> Self {
        let extension = path
            .extension()
            .and_then(|extension| extension.to_str())
            .map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("png" | "jpg" | "jpeg" | "gif" | "webp") => Self::Image,
            Some("ipynb") => Self::Notebook,
            Some("pdf") => Self::Pdf,
            _ => Self::Text,
        }
    }
}

async fn load(path: &Path, size: u64, limit: u64) -> Result<Vec<u8>, ToolError> {
    if size > limit {
        return Err(ToolError::respond(format!(
            "{} is too large to read ({size} bytes; the limit is {limit} bytes). Use Grep to \
             find the part you need.",
            path.display()
        )));
    }
    tokio::fs::read(path)
        .await
        .map_err(|error| io_error("read", path, &error))
}

/// Remembers what was shown (for Write and Edit, and for the
/// `file_unchanged` answer). Freshness is judged by the content hash, so
/// the metadata taken just before the read is good enough.
fn record(ctx: &ToolContext, path: &Path, bytes: &[u8], metadata: &Metadata, part: Part) {
    let stamp = FileStamp::new(bytes, metadata);
    ctx.file_state().record(path, stamp);
    read_unchanged::remember(ctx, path, stamp, part);
}

/// The `file_unchanged` result when the session already has `part` of
/// the file as it is now.
fn unchanged(ctx: &ToolContext, path: &Path, bytes: &[u8], part: &Part) -> Option<ToolOutput> {
    if !read_unchanged::is_unchanged(ctx, path, bytes, part) {
        return None;
    }
    let message = read_unchanged::message();
    Some(ToolOutput::text(
        message,
        json!({
            "type": "file_unchanged",
            "file_path": path.display().to_string(),
            "message": message,
        }),
    ))
}

async fn read_pdf(
    ctx: &ToolContext,
    path: &Path,
    pages: Option<String>,
    metadata: &Metadata,
) -> Result<ToolOutput, ToolError> {
    let bytes = load(path, metadata.len(), MAX_FILE_BYTES).await?;
    let part = Part::Pages(pages.clone());
    if let Some(output) = unchanged(ctx, path, &bytes, &part) {
        return Ok(output);
    }
    // Parsing and text extraction are CPU work: keep them off the runtime.
    let (bytes, extracted) = tokio::task::spawn_blocking(move || {
        let extracted = crate::read_pdf::extract(&bytes, pages.as_deref());
        (bytes, extracted)
    })
    .await
    .map_err(|error| ToolError::respond(format!("Cannot read PDF {}: {error}", path.display())))?;
    let text = extracted.map_err(|reason| {
        ToolError::respond(format!(
            "Cannot read PDF {}: {reason}. (Read returns up to {PDF_PAGES_WITHOUT_RANGE} pages \
             without `pages`, at most {MAX_PDF_PAGES_PER_READ} per call.)",
            path.display()
        ))
    })?;
    record(ctx, path, &bytes, metadata, part);
    let file_path = path.display().to_string();
    Ok(ToolOutput::text(text.render(), text.structured(&file_path)))
}

/// The media type of `bytes`, from their signature.
fn image_media_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"\xFF\xD8\xFF") {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

async fn read_image(
    ctx: &ToolContext,
    path: &Path,
    metadata: &Metadata,
) -> Result<ToolOutput, ToolError> {
    let bytes = load(path, metadata.len(), MAX_IMAGE_BYTES).await?;
    let Some(media_type) = image_media_type(&bytes) else {
        return Err(ToolError::respond(format!(
            "{} has an image extension but is not a PNG, JPEG, GIF or WebP image",
            path.display()
        )));
    };
    if let Some(output) = unchanged(ctx, path, &bytes, &Part::Whole) {
        return Ok(output);
    }
    let data = base64::engine::general_purpose::STANDARD.encode(&bytes);
    record(ctx, path, &bytes, metadata, Part::Whole);
    let structured = json!({
        "type": "image",
        "source": {"type": "base64", "media_type": media_type, "data": data},
        "file_path": path.display().to_string(),
    });
    Ok(ToolOutput::image(media_type, data, structured))
}

async fn read_notebook(
    ctx: &ToolContext,
    path: &Path,
    metadata: &Metadata,
) -> Result<ToolOutput, ToolError> {
    let bytes = load(path, metadata.len(), MAX_FILE_BYTES).await?;
    if let Some(output) = unchanged(ctx, path, &bytes, &Part::Whole) {
        return Ok(output);
    }
    let decoded = text::decode(&bytes).map_err(|error| {
        ToolError::respond(format!("Cannot read notebook {}: {error}", path.display()))
    })?;
    let notebook = Notebook::parse(&decoded.text).map_err(|error| {
        ToolError::respond(format!(
            "{} is not a valid notebook: {error}",
            path.display()
        ))
    })?;
    record(ctx, path, &bytes, metadata, Part::Whole);
    let cells = notebook.read_cells();
    let structured = json!({
        "type": "notebook",
        "cells": cells,
        "file_path": path.display().to_string(),
    });
    let rendered = notebook.render();
    let text = if rendered.is_empty() {
        "<system-reminder>The notebook has no cells.</system-reminder>".to_owned()
    } else {
        rendered
    };
    Ok(ToolOutput::text(text, structured))
}

async fn read_text(
    ctx: &ToolContext,
    path: &Path,
    input: &ReadInput,
    metadata: &Metadata,
) -> Result<ToolOutput, ToolError> {
    let size = metadata.len();
    let ranged = input.offset.is_some() || input.limit.is_some();
    if !ranged && size > MAX_WHOLE_READ_BYTES {
        return Err(ToolError::respond(format!(
            "{} is {size} bytes, more than the {MAX_WHOLE_READ_BYTES} bytes Read returns at \
             once. Use `offset` and `limit` to read part of it, or Grep to find what you need.",
            path.display()
        )));
    }
    let limit = input.limit.unwrap_or(DEFAULT_READ_LIMIT);
    if limit == 0 {
        return Err(ToolError::respond(
            "`limit` must be at least 1 (it is a number of lines)",
        ));
    }
    let bytes = load(path, size, MAX_FILE_BYTES).await?;
    let part = Part::Lines {
        offset: input.offset,
        limit: input.limit,
    };
    if let Some(output) = unchanged(ctx, path, &bytes, &part) {
        return Ok(output);
    }
    let (content, note) = match text::decode(&bytes) {
        Ok(decoded) => (decoded.text, None),
        Err(DecodeError::InvalidUtf8 { offset }) => (
            String::from_utf8_lossy(&bytes).into_owned(),
            Some(format!(
                "<system-reminder>The file is not valid UTF-8 (first invalid byte at offset \
                 {offset}); invalid bytes are shown as U+FFFD. Edit cannot change this file.\
                 </system-reminder>"
            )),
        ),
        Err(error @ DecodeError::Binary { .. }) => {
            return Err(ToolError::respond(format!(
                "Cannot read {}: {error}. Read shows text files, images (PNG, JPEG, GIF, WebP), \
                 notebooks and PDFs.",
                path.display()
            )));
        }
        Err(error @ DecodeError::InvalidUtf16 { .. }) => {
            return Err(ToolError::respond(format!(
                "Cannot read {}: {error}",
                path.display()
            )));
        }
    };
    record(ctx, path, &bytes, metadata, part);
    let file_path = path.display().to_string();
    let lines: Vec<&str> = content.lines().collect();
    let total = lines.len();
    if content.is_empty() {
        return Ok(ToolOutput::text(
            EMPTY_FILE_REMINDER,
            json!({"type": "text", "text": "", "file_path": file_path, "totalLines": 0}),
        ));
    }
    // `offset` is 1-based; 0 is read as 1.
    let first = usize::try_from(input.offset.unwrap_or(1).max(1)).unwrap_or(usize::MAX);
    if first > total {
        return Ok(ToolOutput::text(
            format!(
                "<system-reminder>Warning: the file has {total} lines, fewer than `offset` \
                 {first}.</system-reminder>"
            ),
            json!({"type": "text", "text": "", "file_path": file_path, "totalLines": total}),
        ));
    }
    let count = usize::try_from(limit).unwrap_or(usize::MAX);
    let selected = &lines[first - 1..total.min(first.saturating_add(count) - 1)];
    let mut shown = String::with_capacity(content.len() + selected.len() * 8);
    for (index, line) in selected.iter().enumerate() {
        let number = first + index;
        let _ = writeln!(shown, "{number:>6}\t{}", cut_line(line));
    }
    let last = first + selected.len() - 1;
    if last < total {
        shown.push_str(&format!(
            "<system-reminder>Showing lines {first}-{last} of {total}; use `offset` to read \
             further.</system-reminder>\n"
        ));
    }
    if let Some(note) = note {
        shown.push_str(&note);
        shown.push('\n');
    }
    let raw = selected.join("\n");
    Ok(ToolOutput::text(
        shown,
        json!({"type": "text", "text": raw, "file_path": file_path, "totalLines": total}),
    ))
}

/// The line, cut to [`MAX_LINE_CHARS`] characters with a marker.
fn cut_line(line: &str) -> std::borrow::Cow<'_, str> {
    match line.char_indices().nth(MAX_LINE_CHARS) {
        Some((end, _)) => format!("{}… [line truncated]", &line[..end]).into(),
        None => line.into(),
    }
}
