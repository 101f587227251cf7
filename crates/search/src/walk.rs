//! The directory walk: which files a search looks at, decided exactly as
//! ripgrep decides it.
//!
//! Rules (rg's defaults, from `crates/core/flags/hiargs.rs::walk_builder`):
//! hidden files and directories are skipped; `.gitignore`,
//! `.git/info/exclude` and the global git excludes apply only inside a git
//! repository; `.ignore` and `.rgignore` apply everywhere; ignore files of
//! parent directories count; symbolic links are not followed (so a link
//! loop is never entered); `-g` globs and `--type` are overrides applied
//! on top, with globs taking precedence over ignore files.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ignore::overrides::{Override, OverrideBuilder};
use ignore::types::{Types, TypesBuilder};
use ignore::{WalkBuilder, WalkState};

use crate::error::SearchError;
use crate::limits::{Control, PartialReason, SearchLimits};
use crate::path_order::cmp_paths;

/// Which files of a tree a walk yields, beyond the ignore rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct WalkFilter {
    /// rg `-g` globs relative to the walk root; `!` excludes.
    pub globs: Vec<String>,
    /// rg `--type` name.
    pub file_type: Option<String>,
}

impl WalkFilter {
    /// No globs, no type: every file the ignore rules let through.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one rg `-g` glob.
    #[must_use]
    pub fn glob(mut self, glob: impl Into<String>) -> Self {
        self.globs.push(glob.into());
        self
    }

    /// Sets the rg `--type` name.
    #[must_use]
    pub fn file_type(mut self, name: impl Into<String>) -> Self {
        self.file_type = Some(name.into());
        self
    }
}

/// One file found by a walk: its path, held once, and where the part
/// relative to the walk root starts in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WalkEntry {
    path: PathBuf,
    relative_start: usize,
}

impl WalkEntry {
    /// The entry for `path`, found by walking `root`.
    pub fn new(root: &Path, path: PathBuf) -> Self {
        let relative_start = relative_start(root, &path);
        Self {
            path,
            relative_start,
        }
    }

    /// An entry shown as its whole path (a file named as the root).
    pub(crate) fn whole(path: PathBuf) -> Self {
        Self {
            path,
            relative_start: 0,
        }
    }

    /// The path to open: the root joined with [`Self::relative`].
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path relative to the walk root, as rg prints it when run from
    /// the root (no leading `./`).
    pub fn relative(&self) -> &Path {
        let bytes = self.path.as_os_str().as_bytes();
        Path::new(OsStr::from_bytes(&bytes[self.relative_start..]))
    }

    /// The path to open, by value.
    pub fn into_path(self) -> PathBuf {
        self.path
    }
}

impl Ord for WalkEntry {
    /// Relative paths in component order (`rg --sort path`), then the
    /// full path.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        cmp_paths(self.relative(), other.relative()).then_with(|| self.path.cmp(&other.path))
    }
}

impl PartialOrd for WalkEntry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Where the part of `path` below `root` starts: after the root's bytes
/// and the separators that follow. Walk paths are the root joined with
/// names, so the byte check almost always answers; anything else goes
/// through `strip_prefix`, and a path not under the root is shown whole.
pub(crate) fn relative_start(root: &Path, path: &Path) -> usize {
    let root_bytes = root.as_os_str().as_bytes();
    let bytes = path.as_os_str().as_bytes();
    if let Some(rest) = bytes.strip_prefix(root_bytes)
        && (root_bytes.ends_with(b"/") || rest.first() == Some(&b'/'))
    {
        let separators = rest.iter().take_while(|&&b| b == b'/').count();
        return root_bytes.len() + separators;
    }
    match path.strip_prefix(root) {
        Ok(rest) => {
            let rest = rest.as_os_str().as_bytes();
            if bytes.ends_with(rest) {
                bytes.len() - rest.len()
            } else {
                0
            }
        }
        Err(_) => 0,
    }
}

/// The files under a root, sorted by path (component by component, the
/// order of `rg --sort path`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WalkOutput {
    /// The files found (shared: the engine hands out its cached list).
    pub files: Arc<[WalkEntry]>,
    /// Set when a limit stopped the walk early.
    pub partial: Option<PartialReason>,
    /// True when the list is a remembered walk, still current, rather
    /// than a fresh one ([`crate::SearchEngine::walk`] only).
    pub reused: bool,
    /// Directory entries that could not be read (permission denied,
    /// vanished during the walk, ...); they are skipped, as rg skips them.
    pub errors: usize,
}

/// The compiled filter and ignore settings for one root.
#[derive(Debug, Clone)]
pub(crate) struct WalkPlan {
    pub(crate) root: PathBuf,
    overrides: Override,
    types: Types,
}

impl WalkPlan {
    /// Compiles `filter` for walks of `root`; reports bad globs and
    /// unknown types.
    pub(crate) fn new(root: &Path, filter: &WalkFilter) -> Result<Self, SearchError> {
        let mut overrides = OverrideBuilder::new(root);
        for glob in &filter.globs {
            overrides.add(glob).map_err(|err| SearchError::Glob {
                glob: glob.clone(),
                message: glob_message(err),
            })?;
        }
        let overrides = overrides.build().map_err(|err| SearchError::Glob {
            glob: filter.globs.join(" "),
            message: glob_message(err),
        })?;
        let types = match &filter.file_type {
            None => Types::empty(),
            Some(name) => build_types(name)?,
        };
        Ok(Self {
            root: root.to_path_buf(),
            overrides,
            types,
        })
    }

    /// A walk builder with rg's default rules and this plan's filters.
    pub(crate) fn builder(&self, threads: usize) -> WalkBuilder {
        let mut builder = WalkBuilder::new(&self.root);
        builder
            .threads(threads)
            .follow_links(false)
            .hidden(true)
            .parents(true)
            .ignore(true)
            .git_ignore(true)
            .git_global(true)
            .git_exclude(true)
            .require_git(true)
            .overrides(self.overrides.clone())
            .types(self.types.clone())
            .add_custom_ignore_filename(".rgignore");
        builder
    }
}

/// The matcher selecting rg's default type `name`.
fn build_types(name: &str) -> Result<Types, SearchError> {
    let mut types = TypesBuilder::new();
    types.add_defaults();
    let known = types.definitions().iter().any(|def| def.name() == name);
    if !known {
        return Err(SearchError::UnknownFileType {
            name: name.to_string(),
            examples: "c, cpp, go, java, js, json, md, py, rust, sh, toml, ts, yaml".into(),
        });
    }
    types.select(name);
    types.build().map_err(|err| SearchError::UnknownFileType {
        name: name.to_string(),
        examples: err.to_string(),
    })
}

/// The message of a glob error without ignore's own wrapping.
fn glob_message(err: ignore::Error) -> String {
    match err {
        ignore::Error::Glob { err, .. } => err,
        other => other.to_string(),
    }
}

/// Threads a search uses: rg's default (the machine's parallelism, at
/// most 12).
pub(crate) fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(std::num::NonZeroUsize::get)
        .unwrap_or(1)
        .min(12)
}

/// Walks `root` in parallel and returns the files rg would search, sorted
/// by path. A file root yields just that file.
///
/// # Errors
/// A missing root, a bad glob or an unknown type.
pub fn walk_files(
    root: &Path,
    filter: &WalkFilter,
    limits: &SearchLimits,
) -> Result<WalkOutput, SearchError> {
    let meta = std::fs::metadata(root).map_err(|source| SearchError::Root {
        path: root.to_path_buf(),
        source,
    })?;
    let plan = WalkPlan::new(root, filter)?;
    if meta.is_file() {
        return Ok(WalkOutput {
            files: Arc::from([WalkEntry::whole(root.to_path_buf())]),
            partial: None,
            reused: false,
            errors: 0,
        });
    }
    if !meta.is_dir() {
        return Err(SearchError::RootKind {
            path: root.to_path_buf(),
        });
    }
    let control = Control::new(limits);
    let found: Mutex<Vec<Vec<WalkEntry>>> = Mutex::new(Vec::new());
    let errors = std::sync::atomic::AtomicUsize::new(0);
    plan.builder(default_threads()).build_parallel().run(|| {
        let mut local = LocalFiles {
            files: Vec::new(),
            sink: &found,
        };
        let control = &control;
        let errors = &errors;
        let root = &plan.root;
        Box::new(move |entry| {
            if control.should_stop() {
                return WalkState::Quit;
            }
            let entry = match entry {
                Ok(entry) => entry,
                Err(err) => {
                    tracing::debug!(error = %err, "walk: skipping unreadable entry");
                    errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    return WalkState::Continue;
                }
            };
            if entry.file_type().is_some_and(|t| t.is_file()) {
                local.files.push(WalkEntry::new(root, entry.into_path()));
            }
            WalkState::Continue
        })
    });
    let mut files: Vec<WalkEntry> = found
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .into_iter()
        .flatten()
        .collect();
    files.sort_unstable();
    Ok(WalkOutput {
        files: files.into(),
        partial: control.partial(),
        reused: false,
        errors: errors.into_inner(),
    })
}

/// A walk thread's files, handed over when the thread's visitor is dropped.
struct LocalFiles<'a> {
    files: Vec<WalkEntry>,
    sink: &'a Mutex<Vec<Vec<WalkEntry>>>,
}

impl Drop for LocalFiles<'_> {
    fn drop(&mut self) {
        let files = std::mem::take(&mut self.files);
        self.sink
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(files);
    }
}
