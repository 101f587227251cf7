//! File access shared by the tools: reading with clear errors, the
//! read-before-write check, and atomic writing with parent directories.

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
///
/// The write is atomic: the content goes to a temp file in the same
/// directory, which then replaces the file by a rename, so a reader (or a
/// crash) sees the old content or the new, never a part. An existing
/// file keeps its permissions (and its owner where the process may set
/// it); a path that is a symbolic link keeps the link and replaces its
/// target. Where no temp file can be created beside the file (a
/// directory the process may not write), the file is written in place.
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
    let target = path.to_path_buf();
    let content = bytes.to_vec();
    tokio::task::spawn_blocking(move || write_atomic(&target, &content))
        .await
        .map_err(|error| ToolError::respond(format!("Cannot write {}: {error}", path.display())))?
        .map_err(|error| io_error("write", path, &error))?;
    ctx.file_state().record(path, FileStamp::of_content(bytes));
    Ok(())
}

/// Replaces the content of `path` by `bytes` through a temp file and a
/// rename (see [`write_and_record`]).
fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    // Write through a symbolic link to the file it names.
    let target = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => match std::fs::canonicalize(path) {
            Ok(target) => target,
            // A dangling link: writing through it creates its target, as
            // a plain write does.
            Err(_) => return std::fs::write(path, bytes),
        },
        _ => path.to_path_buf(),
    };
    let existing = match std::fs::metadata(&target) {
        // Something other than a file (a FIFO, a device) is written to,
        // never replaced.
        Ok(meta) if !meta.is_file() => return std::fs::write(&target, bytes),
        Ok(meta) => {
            // The rename needs only the directory writable; refuse a file
            // the process may not write, as an in-place write would.
            std::fs::OpenOptions::new().write(true).open(&target)?;
            Some(meta)
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => None,
        Err(error) => return Err(error),
    };
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = target
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy());
    // A new file gets the mode a plain create would give it (0o666 less
    // the umask, applied by the kernel at open).
    let temp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir);
    let mut temp = match temp {
        Ok(temp) => temp,
        Err(error) => {
            tracing::debug!(%error, path = %target.display(), "no temp file beside the target; writing in place");
            return std::fs::write(&target, bytes);
        }
    };
    temp.write_all(bytes)?;
    if let Some(meta) = &existing {
        let file = temp.as_file();
        // Owner first: changing the owner can clear set-id bits.
        if let Err(error) = std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid())) {
            tracing::debug!(%error, path = %target.display(), "cannot keep the file's owner");
        }
        file.set_permissions(meta.permissions())?;
    }
    temp.persist(&target).map_err(|error| error.error)?;
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
