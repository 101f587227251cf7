//! The ignore rules of a fresh Glob walk, decided as the `ignore` crate
//! decides them for the Grep engine's walk (rg's defaults).
//!
//! The fast walker ([`super::dirwalk`]) reads directories itself, so it
//! cannot use the crate's matcher stack; this module rebuilds the same
//! decision: each rule file is read as the crate reads it (see
//! [`super::ignore_file`]) and the files follow the crate's precedence
//! (`ignore::dir::Ignore::matched_ignore`, 0.4.30):
//!
//! - four kinds of rules: `.rgignore` beats `.ignore`, which beats
//!   `.gitignore`, which beats `.git/info/exclude`, which beats the global
//!   git excludes; within a kind, the nearest directory that has an opinion
//!   (ignore or whitelist) decides;
//! - `.gitignore` and `info/exclude` count only inside a repository (some
//!   directory from the entry up to `/` has `.git` or `.jj`), and only up
//!   to the nearest such directory; the global excludes also need a
//!   repository;
//! - directories above the walk root count too (they are matched with the
//!   canonical root joined with the relative path, as the crate does);
//! - with no rule deciding, a name starting with `.` is hidden and skipped;
//!   a whitelisted hidden entry is kept.
//!
//! The equivalence tests in [`super::dirwalk`] compare whole walks with
//! the crate's on trees that exercise each of these.

use std::ffi::OsStr;
use std::fs::FileType;
use std::io::BufRead;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::Candidate;
use ignore::Match;

use crate::glob::ignore_file::{IgnoreFile, strip};

/// The names in one directory listing that carry rules.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RuleFiles {
    /// `.rgignore` is present.
    pub(crate) rgignore: bool,
    /// `.ignore` is present.
    pub(crate) ignore: bool,
    /// `.gitignore` is present.
    pub(crate) gitignore: bool,
    /// `.git` is present (of any type).
    pub(crate) git: bool,
    /// `.jj` is present (of any type).
    pub(crate) jj: bool,
}

impl RuleFiles {
    /// Notes `name` if it is one of the rule-carrying names.
    pub(crate) fn note(&mut self, name: &[u8]) {
        match name {
            b".rgignore" => self.rgignore = true,
            b".ignore" => self.ignore = true,
            b".gitignore" => self.gitignore = true,
            b".git" => self.git = true,
            b".jj" => self.jj = true,
            _ => {}
        }
    }

    /// Whether any rule-carrying name was seen.
    pub(crate) fn any(self) -> bool {
        self.rgignore || self.ignore || self.gitignore || self.git || self.jj
    }

    /// Every name present: what the crate assumes for a directory it
    /// probes rather than lists (the directories above the root).
    fn probe_all() -> Self {
        Self {
            rgignore: true,
            ignore: true,
            gitignore: true,
            git: true,
            jj: true,
        }
    }
}

/// The rules one directory contributes.
#[derive(Debug)]
pub(crate) struct Level {
    /// The directory, as its rule files are relative to it.
    dir: Vec<u8>,
    rgignore: IgnoreFile,
    ignore: IgnoreFile,
    gitignore: IgnoreFile,
    exclude: IgnoreFile,
    has_git: bool,
}

impl Level {
    /// The rules of directory `dir` (its full path as the walk names it),
    /// given which rule files its listing holds; `None` when it adds
    /// nothing (no rules and no repository).
    fn read(dir: &Path, files: RuleFiles) -> Option<Self> {
        let git_type = if files.git {
            std::fs::metadata(dir.join(".git"))
                .ok()
                .map(|meta| meta.file_type())
        } else {
            None
        };
        let has_jj = files.jj && dir.join(".jj").exists();
        let level = Self {
            dir: dir.as_os_str().as_bytes().to_vec(),
            rgignore: rule_file(dir, dir, ".rgignore", files.rgignore),
            ignore: rule_file(dir, dir, ".ignore", files.ignore),
            gitignore: rule_file(dir, dir, ".gitignore", files.gitignore),
            exclude: match files.git.then(|| git_common_dir(dir, git_type)).flatten() {
                Some(git_dir) => rule_file(dir, &git_dir, "info/exclude", true),
                None => IgnoreFile::empty(),
            },
            has_git: git_type.is_some() || has_jj,
        };
        let adds = level.has_git
            || !(level.rgignore.is_empty()
                && level.ignore.is_empty()
                && level.gitignore.is_empty()
                && level.exclude.is_empty());
        adds.then_some(level)
    }
}

/// The rules of one rule file, as the crate reads them: rooted at `dir`,
/// read from `file_dir/name` when that exists, bad lines dropped.
fn rule_file(dir: &Path, file_dir: &Path, name: &str, present: bool) -> IgnoreFile {
    if !present {
        return IgnoreFile::empty();
    }
    let path = file_dir.join(name);
    if !path.exists() {
        return IgnoreFile::empty();
    }
    IgnoreFile::read(dir, &path)
}

/// The directory holding `info/exclude` for the repository at `dir`: its
/// `.git` directory, or for a worktree (a `.git` file saying `gitdir:`)
/// the common directory that worktree names. `None` when a `.git` file
/// does not lead anywhere.
fn git_common_dir(dir: &Path, git_type: Option<FileType>) -> Option<PathBuf> {
    let git = dir.join(".git");
    if !git_type.is_some_and(|t| t.is_file()) {
        return Some(git);
    }
    let first = first_line(&git)?;
    let real = PathBuf::from(first.strip_prefix("gitdir: ")?);
    let common = first_line(&real.join("commondir"))?;
    Some(if common.starts_with('.') {
        real.join(common)
    } else {
        PathBuf::from(common)
    })
}

fn first_line(path: &Path) -> Option<String> {
    let file = std::fs::File::open(path).ok()?;
    std::io::BufReader::new(file).lines().next()?.ok()
}

/// What every directory of one walk shares: the root, the rules above it
/// and the global excludes.
#[derive(Debug)]
pub(crate) struct WalkRules {
    root: PathBuf,
    canonical: PathBuf,
    above: Vec<Level>,
    above_has_git: bool,
    global: IgnoreFile,
}

impl WalkRules {
    /// The rules for a walk of `root` (an absolute path): the directories
    /// above its canonical form and the global git excludes read relative
    /// to the working directory.
    pub(crate) fn new(root: &Path) -> Self {
        // As the crate's `GitignoreBuilder::build_global`: git's
        // `core.excludesFile` (or its default), relative to the working
        // directory.
        let global = match (
            std::env::current_dir(),
            ignore::gitignore::gitconfig_excludes_path(),
        ) {
            (Ok(cwd), Some(path)) if path.is_file() => IgnoreFile::read(&cwd, &path),
            _ => IgnoreFile::empty(),
        };
        Self::with_global(root, global)
    }

    /// [`Self::new`] with the global excludes given (tests).
    pub(crate) fn with_global(root: &Path, global: IgnoreFile) -> Self {
        let canonical = root.canonicalize().ok();
        // Nearest first, the order they are matched in.
        let above: Vec<Level> = canonical
            .iter()
            .flat_map(|canonical| canonical.ancestors().skip(1))
            .filter_map(|parent| Level::read(parent, RuleFiles::probe_all()))
            .collect();
        let above_has_git = above.iter().any(|level| level.has_git);
        Self {
            root: root.to_path_buf(),
            canonical: canonical.unwrap_or_else(|| root.to_path_buf()),
            above,
            above_has_git,
            global,
        }
    }

    /// The rules directory `rel` (relative to the root, `""` for the root
    /// itself) adds to `parent`, given the rule files its listing holds.
    pub(crate) fn child(&self, parent: &Arc<Chain>, rel: &[u8], files: RuleFiles) -> Arc<Chain> {
        if !files.any() {
            return Arc::clone(parent);
        }
        let dir = self.full_path(rel);
        let offset = if rel.is_empty() { 0 } else { rel.len() + 1 };
        match Level::read(&dir, files) {
            None => Arc::clone(parent),
            Some(level) => {
                let mut levels = parent.levels.clone();
                let has_git = parent.has_git || level.has_git;
                levels.push((offset, Arc::new(level)));
                Arc::new(Chain { levels, has_git })
            }
        }
    }

    /// The root joined with `rel`, as the walk names paths.
    pub(crate) fn full_path(&self, rel: &[u8]) -> PathBuf {
        if rel.is_empty() {
            return self.root.clone();
        }
        let root = self.root.as_os_str().as_bytes();
        let mut bytes = Vec::with_capacity(root.len() + 1 + rel.len());
        bytes.extend_from_slice(root);
        if !root.ends_with(b"/") {
            bytes.push(b'/');
        }
        bytes.extend_from_slice(rel);
        PathBuf::from(std::ffi::OsString::from_vec(bytes))
    }

    /// Whether the entry at `rel` (relative to the root; its last
    /// component is its name) is skipped, given the rules of its
    /// directory.
    pub(crate) fn is_skipped(&self, chain: &Chain, rel: &[u8], is_dir: bool) -> bool {
        let decided = self.matched(chain, rel, is_dir);
        if decided.is_ignore() {
            return true;
        }
        if decided.is_whitelist() {
            return false;
        }
        let name = match memchr::memrchr(b'/', rel) {
            Some(slash) => &rel[slash + 1..],
            None => rel,
        };
        name.first() == Some(&b'.')
    }

    fn matched(&self, chain: &Chain, rel: &[u8], is_dir: bool) -> Match<()> {
        let any_git = chain.has_git || self.above_has_git;
        if chain.levels.is_empty() && self.above.is_empty() && (!any_git || self.global.is_empty())
        {
            return Match::None;
        }
        let mut found = Found::new();
        for (offset, level) in chain.levels.iter().rev() {
            // Relative to the level already: the crate's stripping leaves
            // such a path as it is.
            let path = Path::new(OsStr::from_bytes(rel.get(*offset..).unwrap_or_default()));
            found.consider(level, &Candidate::new(path), is_dir, any_git);
        }
        if !self.above.is_empty() {
            let path = self.canonical.join(OsStr::from_bytes(rel));
            let path = path.as_os_str().as_bytes();
            for level in &self.above {
                let stripped = Path::new(OsStr::from_bytes(strip(&level.dir, path)));
                found.consider(level, &Candidate::new(stripped), is_dir, any_git);
            }
        }
        let global = if any_git && !self.global.is_empty() {
            let path = self.full_path(rel);
            self.global
                .matched_path(path.as_os_str().as_bytes(), is_dir)
        } else {
            Match::None
        };
        found
            .rgignore
            .or(found.ignore)
            .or(found.gitignore)
            .or(found.exclude)
            .or(global)
    }
}

/// The first opinion of each kind met so far, nearest level first.
struct Found {
    rgignore: Match<()>,
    ignore: Match<()>,
    gitignore: Match<()>,
    exclude: Match<()>,
    saw_git: bool,
}

impl Found {
    fn new() -> Self {
        Self {
            rgignore: Match::None,
            ignore: Match::None,
            gitignore: Match::None,
            exclude: Match::None,
            saw_git: false,
        }
    }

    /// Takes the opinions `level` has on `path` (relative to the level's
    /// directory) for the kinds not decided yet.
    fn consider(&mut self, level: &Level, path: &Candidate<'_>, is_dir: bool, any_git: bool) {
        if self.rgignore.is_none() {
            self.rgignore = level.rgignore.matched(path, is_dir);
        }
        if self.ignore.is_none() {
            self.ignore = level.ignore.matched(path, is_dir);
        }
        if any_git && !self.saw_git {
            if self.gitignore.is_none() {
                self.gitignore = level.gitignore.matched(path, is_dir);
            }
            if self.exclude.is_none() {
                self.exclude = level.exclude.matched(path, is_dir);
            }
        }
        self.saw_git = self.saw_git || level.has_git;
    }
}

/// The rules of the directories from the root down to one directory,
/// shared by that directory's subdirectories until one adds its own.
#[derive(Debug, Default)]
pub(crate) struct Chain {
    /// Each level's rules, root first, with the byte of a root-relative
    /// path where paths relative to that level's directory start.
    levels: Vec<(usize, Arc<Level>)>,
    has_git: bool,
}
