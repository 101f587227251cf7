//! What a tool call may see of its session.

use std::collections::BTreeMap;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::{FileState, ToolError};

/// Why a [`ToolContext`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    /// The working directory or an additional directory cannot be used.
    #[error("directory {path}: {source}", path = path.display())]
    Directory {
        /// The directory as given.
        path: PathBuf,
        /// What went wrong resolving it.
        source: io::Error,
    },
    /// A directory given is a file or something else.
    #[error("{path} is not a directory", path = path.display())]
    NotADirectory {
        /// The path as given.
        path: PathBuf,
    },
}

/// The session state a tool call runs against: working directory, the
/// directories it may touch, its cancellation token and the file-state
/// tracker. Cheap to clone; clones share the tracker.
///
/// Built with [`ToolContext::builder`], so new fields (session id, env, ...)
/// never break an embedder.
#[derive(Debug, Clone)]
pub struct ToolContext {
    cwd: PathBuf,
    allowed_dirs: Vec<PathBuf>,
    cancel: CancellationToken,
    file_state: Arc<FileState>,
    session_id: Option<String>,
    env: BTreeMap<String, String>,
}

impl ToolContext {
    /// Starts a context whose working directory is `cwd`.
    pub fn builder(cwd: impl Into<PathBuf>) -> ToolContextBuilder {
        ToolContextBuilder {
            cwd: cwd.into(),
            additional_dirs: Vec::new(),
            cancel: None,
            file_state: None,
            session_id: None,
            env: BTreeMap::new(),
        }
    }

    /// The working directory, absolute and canonical.
    pub fn cwd(&self) -> &Path {
        &self.cwd
    }

    /// The directories tools may touch: cwd first, then the additional ones.
    pub fn allowed_dirs(&self) -> &[PathBuf] {
        &self.allowed_dirs
    }

    /// The token that cancels this call.
    pub fn cancel_token(&self) -> &CancellationToken {
        &self.cancel
    }

    /// True once the call has been cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// The session's file-state tracker.
    pub fn file_state(&self) -> &FileState {
        &self.file_state
    }

    /// The tracker, shared (e.g. to hand to a subagent's context).
    pub fn file_state_handle(&self) -> Arc<FileState> {
        Arc::clone(&self.file_state)
    }

    /// The session id, when the host has one.
    pub fn session_id(&self) -> Option<&str> {
        self.session_id.as_deref()
    }

    /// Extra environment variables for processes the tool starts.
    pub fn env(&self) -> &BTreeMap<String, String> {
        &self.env
    }

    /// The same context with another cancellation token, for one call.
    pub fn with_cancel_token(&self, cancel: CancellationToken) -> Self {
        Self {
            cancel,
            ..self.clone()
        }
    }

    /// Turns a path from the model into an absolute, normalised path inside
    /// the allowed directories.
    ///
    /// A relative path is resolved against cwd (decision A-9 of
    /// `cli-core.md`). `.` and `..` are removed, then the longest existing
    /// prefix has its symlinks resolved, so a link pointing outside the
    /// allowed directories is refused too. `field` names the input field in
    /// the error.
    pub fn resolve_path(&self, field: &str, raw: &str) -> Result<PathBuf, ToolError> {
        if raw.is_empty() {
            return Err(ToolError::respond(format!(
                "`{field}` is empty; give a file path"
            )));
        }
        if raw.contains('\0') {
            return Err(ToolError::respond(format!(
                "`{field}` contains a NUL byte, which no path can hold"
            )));
        }
        let joined = self.cwd.join(raw);
        let normal = normalize(&joined);
        let resolved = resolve_existing_prefix(&normal).map_err(|error| {
            ToolError::respond(format!("cannot resolve `{field}` {raw}: {error}"))
        })?;
        if self.is_allowed(&resolved) {
            Ok(resolved)
        } else {
            let dirs: Vec<String> = self
                .allowed_dirs
                .iter()
                .map(|dir| dir.display().to_string())
                .collect();
            Err(ToolError::respond(format!(
                "`{field}` {raw} resolves to {}, which is outside the allowed directories ({}). \
                 Only files inside them can be used.",
                resolved.display(),
                dirs.join(", ")
            )))
        }
    }

    /// True when the absolute, resolved `path` lies in an allowed directory.
    pub fn is_allowed(&self, path: &Path) -> bool {
        self.allowed_dirs.iter().any(|dir| path.starts_with(dir))
    }
}

/// Removes `.` and `..` components without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Prefix(prefix) => out.push(prefix.as_os_str()),
            Component::RootDir => out.push(Component::RootDir.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(part) => out.push(part),
        }
    }
    out
}

/// Canonicalises the longest prefix of `path` that exists and appends the
/// rest unchanged.
fn resolve_existing_prefix(path: &Path) -> io::Result<PathBuf> {
    let mut existing = path.to_path_buf();
    let mut rest = Vec::new();
    loop {
        match existing.canonicalize() {
            Ok(mut base) => {
                for part in rest.iter().rev() {
                    base.push(part);
                }
                return Ok(base);
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                let Some(name) = existing.file_name().map(ToOwned::to_owned) else {
                    return Err(error);
                };
                rest.push(name);
                if !existing.pop() {
                    return Err(error);
                }
            }
            Err(error) => return Err(error),
        }
    }
}

/// Builds a [`ToolContext`].
#[derive(Debug)]
pub struct ToolContextBuilder {
    cwd: PathBuf,
    additional_dirs: Vec<PathBuf>,
    cancel: Option<CancellationToken>,
    file_state: Option<Arc<FileState>>,
    session_id: Option<String>,
    env: BTreeMap<String, String>,
}

impl ToolContextBuilder {
    /// Adds a directory tools may touch besides cwd (`--add-dir`).
    pub fn additional_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.additional_dirs.push(dir.into());
        self
    }

    /// Sets the cancellation token (default: a fresh one).
    pub fn cancel_token(mut self, cancel: CancellationToken) -> Self {
        self.cancel = Some(cancel);
        self
    }

    /// Shares an existing file-state tracker (default: a fresh one).
    pub fn file_state(mut self, file_state: Arc<FileState>) -> Self {
        self.file_state = Some(file_state);
        self
    }

    /// Sets the session id.
    pub fn session_id(mut self, id: impl Into<String>) -> Self {
        self.session_id = Some(id.into());
        self
    }

    /// Adds an environment variable for processes tools start.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.insert(key.into(), value.into());
        self
    }

    /// Resolves the directories and builds the context. Every directory must
    /// exist; relative additional directories are taken from cwd.
    pub fn build(self) -> Result<ToolContext, ContextError> {
        let cwd = canonical_dir(&self.cwd)?;
        let mut allowed_dirs = vec![cwd.clone()];
        for dir in &self.additional_dirs {
            let dir = canonical_dir(&cwd.join(dir))?;
            if !allowed_dirs.contains(&dir) {
                allowed_dirs.push(dir);
            }
        }
        Ok(ToolContext {
            cwd,
            allowed_dirs,
            cancel: self.cancel.unwrap_or_default(),
            file_state: self.file_state.unwrap_or_default(),
            session_id: self.session_id,
            env: self.env,
        })
    }
}

fn canonical_dir(path: &Path) -> Result<PathBuf, ContextError> {
    let canonical = path
        .canonicalize()
        .map_err(|source| ContextError::Directory {
            path: path.to_path_buf(),
            source,
        })?;
    if canonical.is_dir() {
        Ok(canonical)
    } else {
        Err(ContextError::NotADirectory {
            path: path.to_path_buf(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_drops_dots_and_stops_at_root() {
        assert_eq!(normalize(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        assert_eq!(normalize(Path::new("/../../x")), PathBuf::from("/x"));
    }
}
