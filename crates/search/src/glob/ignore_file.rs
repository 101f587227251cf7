//! One ignore file's rules, decided as `ignore::gitignore::Gitignore`
//! decides them (0.4.30), for less work per path.
//!
//! The crate's matcher asks globset for every rule that matches a path,
//! then takes the last one that applies. Most paths match no rule at all,
//! and globset answers "does any rule match?" several times faster than
//! "which rules match?" (no overlapping regex search, no list to fill).
//! So this asks the cheap question first and the full one only for a
//! path that some rule matches. Profiles of a fresh Glob of the kernel
//! tree put 40% of the walk's time in the crate's matcher.
//!
//! The lines are read and turned into globs exactly as the crate's
//! `GitignoreBuilder::add` and `add_line` do; the tests compare decisions
//! with the crate's own matcher line by line.

use std::ffi::OsStr;
use std::io::BufRead;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use globset::{Candidate, GlobBuilder, GlobSet, GlobSetBuilder};
use ignore::Match;

/// The rules of one ignore file (or of none: [`IgnoreFile::empty`]).
#[derive(Debug, Clone)]
pub(crate) struct IgnoreFile {
    /// The directory the rules are relative to, as the crate keeps it.
    root: Vec<u8>,
    set: GlobSet,
    /// For each glob of `set`, in order: (whitelists, applies only to
    /// directories).
    globs: Vec<(bool, bool)>,
}

impl IgnoreFile {
    /// Rules that match nothing.
    pub(crate) fn empty() -> Self {
        Self {
            root: Vec::new(),
            set: GlobSet::empty(),
            globs: Vec::new(),
        }
    }

    /// Whether there are no rules.
    pub(crate) fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// The rules in the file at `path`, relative to `root`. Lines that are
    /// not valid globs are dropped, and reading stops at a line that is not
    /// UTF-8, as the crate does; a file that cannot be read or whose rules
    /// do not compile gives no rules. Each problem is logged.
    pub(crate) fn read(root: &Path, path: &Path) -> Self {
        let file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(error) => {
                tracing::debug!(%error, path = %path.display(), "glob: an ignore file could not be opened");
                return Self::empty();
            }
        };
        let mut lines = Vec::new();
        for (number, line) in std::io::BufReader::new(file).lines().enumerate() {
            match line {
                // A byte order mark may open the file.
                Ok(line) if number == 0 => {
                    lines.push(line.trim_start_matches('\u{feff}').to_string())
                }
                Ok(line) => lines.push(line),
                Err(error) => {
                    tracing::debug!(%error, path = %path.display(), "glob: an ignore file was read only in part");
                    break;
                }
            }
        }
        Self::from_lines(root, lines.iter().map(String::as_str), path)
    }

    /// The rules in `lines` (the lines of the file at `path`), relative to
    /// `root`.
    pub(crate) fn from_lines<'l>(
        root: &Path,
        lines: impl IntoIterator<Item = &'l str>,
        path: &Path,
    ) -> Self {
        let mut builder = GlobSetBuilder::new();
        let mut globs = Vec::new();
        for (number, line) in lines.into_iter().enumerate() {
            let Some(rule) = Rule::parse(line) else {
                continue;
            };
            let glob = GlobBuilder::new(&rule.glob)
                .literal_separator(true)
                .backslash_escape(true)
                .allow_unclosed_class(true)
                .build();
            match glob {
                Ok(glob) => {
                    builder.add(glob);
                    globs.push((rule.whitelist, rule.only_dir));
                }
                Err(error) => tracing::debug!(
                    %error,
                    path = %path.display(),
                    line = number + 1,
                    "glob: skipping an ignore rule that is not a valid glob"
                ),
            }
        }
        let set = match builder.build() {
            Ok(set) => set,
            Err(error) => {
                tracing::debug!(%error, path = %path.display(), "glob: an ignore file's rules did not compile");
                return Self::empty();
            }
        };
        let root = root.as_os_str().as_bytes();
        Self {
            root: root.strip_prefix(b"./").unwrap_or(root).to_vec(),
            set,
            globs,
        }
    }

    /// The decision for `path`, made relative to the rules' directory the
    /// way the crate does it (a leading `./` and the directory are cut off
    /// when present).
    pub(crate) fn matched_path(&self, path: &[u8], is_dir: bool) -> Match<()> {
        if self.is_empty() {
            return Match::None;
        }
        let path = strip(&self.root, path);
        self.matched(&Candidate::new(Path::new(OsStr::from_bytes(path))), is_dir)
    }

    /// The decision for a path already relative to the rules' directory:
    /// the last rule that matches it and applies to it (rules ending in `/`
    /// apply to directories only) ignores or whitelists it.
    pub(crate) fn matched(&self, candidate: &Candidate<'_>, is_dir: bool) -> Match<()> {
        if !self.set.is_match_candidate(candidate) {
            return Match::None;
        }
        let matches = self.set.matches_candidate(candidate);
        for &index in matches.iter().rev() {
            let Some(&(whitelist, only_dir)) = self.globs.get(index) else {
                continue;
            };
            if !only_dir || is_dir {
                return if whitelist {
                    Match::Whitelist(())
                } else {
                    Match::Ignore(())
                };
            }
        }
        Match::None
    }
}

/// Cuts what the crate's `Gitignore::strip` cuts from `path` for rules
/// relative to `root`: a leading `./`, then `root` as a byte prefix (and a
/// `/` after it) unless the path is a bare name or the root is `.`.
pub(crate) fn strip<'p>(root: &[u8], path: &'p [u8]) -> &'p [u8] {
    let path = path.strip_prefix(b"./").unwrap_or(path);
    if root == b"." || !path.contains(&b'/') {
        return path;
    }
    match path.strip_prefix(root) {
        Some(rest) => rest.strip_prefix(b"/").unwrap_or(rest),
        None => path,
    }
}

/// One line of an ignore file, as the crate's `add_line` reads it.
#[derive(Debug, PartialEq, Eq)]
struct Rule {
    glob: String,
    whitelist: bool,
    only_dir: bool,
}

impl Rule {
    /// The rule on `line`; `None` for a comment or a blank line.
    fn parse(line: &str) -> Option<Self> {
        if line.starts_with('#') {
            return None;
        }
        // Trailing white space goes, unless the last space is escaped.
        let mut line = if line.ends_with("\\ ") {
            line
        } else {
            line.trim_end()
        };
        if line.is_empty() {
            return None;
        }
        let mut whitelist = false;
        let mut anchored = false;
        if line.starts_with("\\!") || line.starts_with("\\#") {
            line = &line[1..];
            anchored = line.starts_with('/');
        } else {
            if let Some(rest) = line.strip_prefix('!') {
                whitelist = true;
                line = rest;
            }
            if let Some(rest) = line.strip_prefix('/') {
                line = rest;
                anchored = true;
            }
        }
        let mut only_dir = false;
        if let Some(rest) = line.strip_suffix('/') {
            only_dir = true;
            // An escaped final slash loses its escape too.
            line = rest.strip_suffix('\\').unwrap_or(rest);
        }
        let mut glob = line.to_string();
        // A rule with no slash matches at any depth (`**` already does).
        if !anchored && !line.contains('/') && line != "**" {
            glob.insert_str(0, "**/");
        }
        // `dir/**` matches what is inside, not the directory itself.
        if glob.ends_with("/**") {
            glob.push_str("/*");
        }
        Some(Self {
            glob,
            whitelist,
            only_dir,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ignore::gitignore::GitignoreBuilder;
    use pretty_assertions::assert_eq;

    /// Lines covering each branch of the crate's line reading.
    const LINES: &[&str] = &[
        "# a comment",
        "",
        "   ",
        "*.o",
        "!keep.o",
        "/top",
        "/anchored/*.c",
        "dir/",
        "!dir/",
        "a/b",
        "**/gen",
        "gen/**",
        "**",
        "\\!bang",
        "\\#hash",
        "\\#/slash",
        "trailing   ",
        "escaped\\ ",
        "esc\\/",
        "[abc",
        "*.{c,h}",
        "a[!b]c",
        "{unclosed",
        "\u{feff}bom",
        "caf\u{e9}",
        ".*",
        "!.gitignore",
    ];

    const PATHS: &[&str] = &[
        "x.o",
        "keep.o",
        "deep/keep.o",
        "top",
        "sub/top",
        "anchored/a.c",
        "anchored/x/a.c",
        "dir",
        "sub/dir",
        "a/b",
        "x/a/b",
        "gen",
        "x/gen",
        "gen/inner",
        "gen/inner/deep",
        "!bang",
        "bang",
        "#hash",
        "#/slash",
        "trailing",
        "escaped ",
        "escaped",
        "esc",
        "[abc",
        "q.c",
        "q.h",
        "abc",
        "a/c",
        "{unclosed",
        "bom",
        "caf\u{e9}",
        ".env",
        ".gitignore",
        "sub/.gitignore",
        "plain.txt",
    ];

    /// A decision as a comparable word.
    fn word(decision: Match<()>) -> &'static str {
        match decision {
            Match::None => "none",
            Match::Ignore(()) => "ignore",
            Match::Whitelist(()) => "whitelist",
        }
    }

    fn crate_decision(
        gitignore: &ignore::gitignore::Gitignore,
        path: &Path,
        is_dir: bool,
    ) -> &'static str {
        word(gitignore.matched(path, is_dir).map(|_| ()))
    }

    #[test]
    fn each_line_alone_decides_as_the_crate_does() -> Result<(), Box<dyn std::error::Error>> {
        let root = Path::new("/r");
        for line in LINES {
            let mut builder = GitignoreBuilder::new(root);
            // A line the crate refuses is dropped by both.
            let _ = builder.add_line(None, line);
            let theirs = builder.build()?;
            let ours = IgnoreFile::from_lines(root, [*line], Path::new("test"));
            assert_eq!(ours.globs.len(), theirs.len(), "line {line:?}");
            for path in PATHS {
                for is_dir in [false, true] {
                    for full in [path.to_string(), format!("/r/{path}")] {
                        assert_eq!(
                            word(ours.matched_path(full.as_bytes(), is_dir)),
                            crate_decision(&theirs, Path::new(&full), is_dir),
                            "line {line:?}, path {full:?}, dir {is_dir}"
                        );
                    }
                }
            }
        }
        Ok(())
    }

    #[test]
    fn a_whole_file_decides_as_the_crate_does() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join(".gitignore");
        // A byte order mark before the first line is dropped.
        let mut text = format!("\u{feff}bom2\n{}", LINES.join("\n"));
        text.push('\n');
        // Reading stops at a line that is not UTF-8, for both.
        let mut bytes = text.into_bytes();
        bytes.extend_from_slice(b"after\xff\nnever\n");
        std::fs::write(&file, &bytes)?;
        let mut builder = GitignoreBuilder::new(dir.path());
        let _ = builder.add(&file);
        let theirs = builder.build()?;
        let ours = IgnoreFile::read(dir.path(), &file);
        assert_eq!(ours.globs.len(), theirs.len());
        let root = dir.path().as_os_str().as_bytes();
        assert_eq!(word(ours.matched_path(b"x/bom2", false)), "ignore");
        for path in PATHS.iter().chain(&["never", "after", "bom2"]) {
            for is_dir in [false, true] {
                let mut full = root.to_vec();
                full.push(b'/');
                full.extend_from_slice(path.as_bytes());
                for candidate in [path.as_bytes(), &full[..]] {
                    assert_eq!(
                        word(ours.matched_path(candidate, is_dir)),
                        crate_decision(&theirs, Path::new(OsStr::from_bytes(candidate)), is_dir),
                        "path {path:?}, dir {is_dir}"
                    );
                }
            }
        }
        Ok(())
    }

    #[test]
    fn stripping_follows_the_crate() {
        assert_eq!(strip(b"/r", b"/r/a/b"), b"a/b");
        assert_eq!(strip(b"/r", b"./a/b"), b"a/b");
        assert_eq!(strip(b"/r", b"name"), b"name");
        assert_eq!(strip(b".", b"./x/y"), b"x/y");
        // A byte prefix, as the crate compares it.
        assert_eq!(strip(b"/r", b"/rx/y"), b"x/y");
        assert_eq!(strip(b"/r", b"/elsewhere/y"), b"/elsewhere/y");
    }

    #[test]
    fn missing_files_give_no_rules() {
        let rules = IgnoreFile::read(Path::new("/r"), Path::new("/nonexistent/.gitignore"));
        assert!(rules.is_empty());
        assert_eq!(word(rules.matched_path(b"/r/a", false)), "none");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        #[test]
        fn random_files_decide_as_the_crate_does(
            lines in proptest::collection::vec(proptest::sample::select(LINES.to_vec()), 0..8),
            path in proptest::sample::select(PATHS.to_vec()),
            prefix in proptest::sample::select(vec!["", "sub/", "a/", "gen/", "dir/"]),
            is_dir: bool,
        ) {
            let root = Path::new("/r");
            let mut builder = GitignoreBuilder::new(root);
            for line in &lines {
                let _ = builder.add_line(None, line);
            }
            let theirs = builder.build().map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
            let ours = IgnoreFile::from_lines(root, lines.iter().copied(), Path::new("test"));
            let full = format!("{prefix}{path}");
            proptest::prop_assert_eq!(
                word(ours.matched_path(full.as_bytes(), is_dir)),
                crate_decision(&theirs, Path::new(&full), is_dir)
            );
        }
    }
}
