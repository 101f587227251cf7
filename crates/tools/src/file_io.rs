//! File access shared by the tools: reading with clear errors, the
//! read-before-write check, and writing with parent directories.

use std::io;
use std::path::Path;

use ferrule_tool::{FileStamp, ToolContext, ToolError};

/// The largest file the tools load into memory (Read of text, Write, Edit).
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// A file that exists, with its content.
#[derive(Debug)]
pub(crate) struct ExistingFile {
    pub(crate) bytes: Vec<u8>,
}

/// The error for an I/O failure on `path`, worded for the model.
pub(crate) fn io_error(action: &str, path: &Path, error: &io::Error) -> ToolError {
    match error.kind() {
        io::ErrorKind::NotFound => {
            ToolError::respond(format!("File does not exist: {}", path.display()))
        }
        io::ErrorKind::PermissionDenied => ToolError::respond(format!(
            "Permission denied: cannot {action} {}",
            path.display()
        )),
        _ => ToolError::respond(format!("Cannot {action} {}: {error}", path.display())),
    }
}

/// Loads `path` when it exists as a regular file; `None` when it does not
/// exist. A directory, an oversized file or an unreadable one is an error.
pub(crate) async fn read_existing(path: &Path) -> Result<Option<ExistingFile>, ToolError> {
    let metadata = match tokio::fs::metadata(path).await {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(io_error("read", path, &error)),
    };
    if metadata.is_dir() {
        return Err(ToolError::respond(format!(
            "{} is a directory, not a file",
            path.display()
        )));
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(ToolError::respond(format!(
            "{} is too large ({} bytes; the limit is {MAX_FILE_BYTES} bytes)",
            path.display(),
            metadata.len()
        )));
    }
    match tokio::fs::read(path).await {
        Ok(bytes) => Ok(Some(ExistingFile { bytes })),
        // Deleted between the metadata call and the read.
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(io_error("read", path, &error)),
    }
}

/// Refuses to change `file` unless the session read it and it has not
/// changed since (`cli-core.md` §2.3: "Read first").
pub(crate) fn ensure_fresh(
    ctx: &ToolContext,
    path: &Path,
    file: &ExistingFile,
) -> Result<(), ToolError> {
    ctx.file_state()
        .check(path, &file.bytes)
        .map_err(|staleness| staleness.to_tool_error(path))
}

/// Writes `bytes` to `path`, creating missing parent directories, and
/// records the new content as seen by the session.
pub(crate) async fn write_and_record(
    ctx: &ToolContext,
    path: &Path,
    bytes: &[u8],
) -> Result<(), ToolError> {
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(|error| io_error("create the directory", parent, &error))?;
    }
    tokio::fs::write(path, bytes)
        .await
        .map_err(|error| io_error("write", path, &error))?;
    ctx.file_state().record(path, FileStamp::of_content(bytes));
    Ok(())
}

/// Fails with a fatal error once the call is cancelled.
pub(crate) fn check_cancelled(ctx: &ToolContext, tool_name: &str) -> Result<(), ToolError> {
    if ctx.is_cancelled() {
        Err(ToolError::cancelled(tool_name))
    } else {
        Ok(())
    }
}
