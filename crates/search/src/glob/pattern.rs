//! Parsing a Glob tool pattern: where the walk starts and what it matches.
//!
//! A pattern is split into a fixed *base* (its leading components that hold
//! no glob syntax) and the glob proper. The base narrows the walk: an
//! absolute pattern's base becomes the search root (`reference/cli-core.md`
//! §2.5), and a relative pattern's base is joined onto the query path, the
//! way `rg PATTERN src/` only walks `src/`.
//!
//! The glob proper is matched one of two ways:
//! - a pattern with a `/` is matched against the whole path relative to the
//!   search root, with `*` and `?` never crossing a `/` (globset's
//!   `literal_separator`, the semantics of `fd --full-path --glob`);
//! - a pattern without a `/` (`*.rs`, `*.{ts,tsx}`) is matched against the
//!   file name at any depth, as `rg -g` and `fd --glob` do.

use std::path::{Component, Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::CaseMode;
use crate::glob::GlobError;

/// The characters that make a path component a glob rather than a literal
/// name. `]` and `}` are included so an unbalanced one reaches globset and
/// is reported, instead of being taken as part of a directory name.
const GLOB_SYNTAX: &[char] = &['*', '?', '[', ']', '{', '}', '\\'];

/// How the glob proper is compared with a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchTarget {
    /// The whole path relative to the search root.
    RelativePath,
    /// The final component (the file name) only.
    FileName,
}

/// A compiled Glob tool pattern.
#[derive(Debug, Clone)]
pub struct GlobPattern {
    original: String,
    base: PathBuf,
    absolute: bool,
    glob: String,
    target: MatchTarget,
    /// A set of one glob: globset then picks a cheap strategy (an
    /// extension lookup for `**/*.rs`, a literal compare for a name) before
    /// falling back to a regex.
    matcher: GlobSet,
    /// The glob matches every path (`**/*`, `**`, `*` on a name), so no
    /// matcher needs to run: globset has no shortcut for these and falls
    /// back to a regex, which showed in profiles of a fresh `**/*`.
    matches_all: bool,
}

impl GlobPattern {
    /// Compiles `pattern` with case-sensitive matching.
    ///
    /// # Errors
    /// [`GlobError::InvalidPattern`] naming the pattern and what is wrong
    /// with it (empty, unclosed `[` or `{`, a dangling `\`, a bad range).
    pub fn new(pattern: &str) -> Result<Self, GlobError> {
        Self::with_case(pattern, CaseMode::Sensitive)
    }

    /// Compiles `pattern` with the given case mode.
    ///
    /// # Errors
    /// As [`GlobPattern::new`].
    pub fn with_case(pattern: &str, case: CaseMode) -> Result<Self, GlobError> {
        let invalid = |reason: String| GlobError::InvalidPattern {
            pattern: pattern.to_string(),
            reason,
        };
        if pattern.is_empty() {
            return Err(invalid("the pattern is empty".to_string()));
        }
        if pattern.contains('\0') {
            return Err(invalid("the pattern contains a NUL byte".to_string()));
        }
        let absolute = pattern.starts_with('/');
        let mut rest = pattern.trim_start_matches('/');
        while let Some(stripped) = rest.strip_prefix("./") {
            rest = stripped.trim_start_matches('/');
        }
        let target = if absolute || rest.contains('/') {
            MatchTarget::RelativePath
        } else {
            MatchTarget::FileName
        };
        // Split off the literal leading components; the last component
        // always stays in the glob, so there is something to match.
        let components: Vec<&str> = rest.split('/').collect();
        let literal = components
            .iter()
            .take(components.len().saturating_sub(1))
            // An empty component (`a//b`) ends the base too, so the glob
            // keeps the `//` and matches exactly what globset would.
            .take_while(|c| !c.is_empty() && !c.contains(GLOB_SYNTAX))
            .count();
        let mut base = if absolute {
            PathBuf::from("/")
        } else {
            PathBuf::new()
        };
        // `a/./b` names `a/b`; a walk never yields a `.` component.
        for component in components[..literal].iter().filter(|c| **c != ".") {
            base.push(component);
        }
        let glob = components[literal..].join("/");
        // A trailing `/` names directories, which Glob never lists (and
        // globset's reading of a bare trailing `**/` differs by context).
        if glob.is_empty() || glob.ends_with('/') {
            return Err(invalid(
                "the pattern ends with `/`; Glob matches files, give a name or `**/*`".to_string(),
            ));
        }
        let compiled = GlobBuilder::new(&glob)
            .literal_separator(true)
            .backslash_escape(true)
            .case_insensitive(case == CaseMode::Insensitive)
            .build()
            .map_err(|e| invalid(e.kind().to_string()))?;
        let matcher = GlobSetBuilder::new()
            .add(compiled)
            .build()
            .map_err(|e| invalid(e.kind().to_string()))?;
        let matches_all = match target {
            MatchTarget::RelativePath => glob == "**" || glob == "**/*",
            MatchTarget::FileName => glob == "*" || glob == "**",
        };
        Ok(Self {
            original: pattern.to_string(),
            base,
            absolute,
            glob,
            target,
            matcher,
            matches_all,
        })
    }

    /// The pattern as given.
    pub fn as_str(&self) -> &str {
        &self.original
    }

    /// The literal leading directories of the pattern (empty when it starts
    /// with glob syntax). Absolute for an absolute pattern.
    pub fn base(&self) -> &Path {
        &self.base
    }

    /// True when the pattern is absolute, so its base is the search root
    /// whatever path the query names.
    pub fn is_absolute(&self) -> bool {
        self.absolute
    }

    /// The glob left after the base, as matched below the search root.
    pub fn glob(&self) -> &str {
        &self.glob
    }

    /// The whole glob this pattern matches paths with, base included
    /// (`src/**/*.rs` for `./src/**/*.rs`): for a path pattern,
    /// [`GlobPattern::is_match`] agrees with globset compiling this string
    /// with `literal_separator`; for a file-name pattern, with `**/`
    /// prepended.
    pub fn full_glob(&self) -> String {
        let base = self.base.to_string_lossy();
        if base.is_empty() {
            self.glob.clone()
        } else if base.ends_with('/') {
            format!("{base}{}", self.glob)
        } else {
            format!("{base}/{}", self.glob)
        }
    }

    /// What the glob is compared with.
    pub fn target(&self) -> MatchTarget {
        self.target
    }

    /// The directory to walk for a query whose path is `path`: the base of
    /// an absolute pattern, else `path` joined with the base, with `.` and
    /// `..` resolved lexically.
    pub fn search_root(&self, path: &Path) -> PathBuf {
        if self.absolute {
            normalize(&self.base)
        } else {
            normalize(&path.join(&self.base))
        }
    }

    /// Matches a path relative to the search root (the directory
    /// [`GlobPattern::search_root`] returns).
    pub fn is_match_below_root(&self, relative: &Path) -> bool {
        match self.target {
            MatchTarget::RelativePath if self.matches_all => true,
            MatchTarget::RelativePath => self.matcher.is_match(relative),
            MatchTarget::FileName if self.matches_all => relative.file_name().is_some(),
            MatchTarget::FileName => relative
                .file_name()
                .is_some_and(|name| self.matcher.is_match(name)),
        }
    }

    /// Matches a path relative to the directory the pattern is relative to
    /// (the query path), base included: `src/**/*.rs` matches
    /// `src/a/b.rs`. For an absolute pattern, give the absolute path.
    pub fn is_match(&self, path: &Path) -> bool {
        if self.absolute && !path.is_absolute() {
            return false;
        }
        let Ok(relative) = path.strip_prefix(&self.base) else {
            return false;
        };
        // `strip_prefix` compares components, so `src/../x` stays `..`-
        // laden; a path naming `.` or `..` below the base is not one the
        // walker yields, and is not matched.
        // The base itself is the search root, never a match.
        if relative.as_os_str().is_empty()
            || relative
                .components()
                .any(|c| !matches!(c, Component::Normal(_)))
        {
            return false;
        }
        self.is_match_below_root(relative)
    }
}

/// Resolves `.` and `..` lexically (the walk root need not exist yet when
/// the pattern is compiled; symlinks are not resolved).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                let at_top = matches!(
                    out.components().next_back(),
                    None | Some(Component::ParentDir)
                );
                if at_top && !out.has_root() {
                    out.push("..");
                } else {
                    out.pop();
                }
            }
            Component::Normal(_) | Component::RootDir | Component::Prefix(_) => {
                out.push(component);
            }
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn parts(p: &GlobPattern) -> (String, String, MatchTarget) {
        (
            p.base().display().to_string(),
            p.glob().to_string(),
            p.target(),
        )
    }

    #[test]
    fn slashless_pattern_matches_file_names_at_any_depth() -> Result<(), GlobError> {
        let p = GlobPattern::new("*.{ts,tsx}")?;
        assert_eq!(
            parts(&p),
            (
                String::new(),
                "*.{ts,tsx}".to_string(),
                MatchTarget::FileName
            )
        );
        assert!(p.is_match(Path::new("a.ts")));
        assert!(p.is_match(Path::new("deep/er/b.tsx")));
        assert!(!p.is_match(Path::new("deep/c.js")));
        Ok(())
    }

    #[test]
    fn literal_leading_directories_become_the_base() -> Result<(), GlobError> {
        let p = GlobPattern::new("./src/tools/**/*.rs")?;
        assert_eq!(
            parts(&p),
            (
                "src/tools".to_string(),
                "**/*.rs".to_string(),
                MatchTarget::RelativePath
            )
        );
        assert!(p.is_match(Path::new("src/tools/a.rs")));
        assert!(p.is_match(Path::new("src/tools/x/y/a.rs")));
        assert!(!p.is_match(Path::new("src/a.rs")));
        assert_eq!(
            p.search_root(Path::new("/r")),
            PathBuf::from("/r/src/tools")
        );
        Ok(())
    }

    #[test]
    fn the_match_everything_shortcut_agrees_with_globset() -> Result<(), GlobError> {
        use std::os::unix::ffi::OsStrExt;
        let paths: Vec<&Path> = [
            &b""[..],
            b"a",
            b".hidden",
            b"a/b/c.rs",
            b"deep/.dot/x",
            b"sp ace/\xc3\xa9t\xc3\xa9",
            b"bad\xff/\xfe",
            b"a/",
        ]
        .iter()
        .map(|bytes| Path::new(std::ffi::OsStr::from_bytes(bytes)))
        .collect();
        for pattern in ["**/*", "**", "*"] {
            for case in [CaseMode::Sensitive, CaseMode::Insensitive] {
                let p = GlobPattern::with_case(pattern, case)?;
                assert!(p.matches_all, "{pattern}");
                let mut slow = p.clone();
                slow.matches_all = false;
                for path in &paths {
                    assert_eq!(
                        p.is_match_below_root(path),
                        slow.is_match_below_root(path),
                        "{pattern} on {path:?}"
                    );
                }
            }
        }
        for pattern in ["**/*.rs", "*.rs", "src/*", "**/a", "?", "**/**"] {
            assert!(!GlobPattern::new(pattern)?.matches_all, "{pattern}");
        }
        Ok(())
    }

    #[test]
    fn star_does_not_cross_a_slash_in_a_path_pattern() -> Result<(), GlobError> {
        let p = GlobPattern::new("src/*.rs")?;
        assert!(p.is_match(Path::new("src/a.rs")));
        assert!(!p.is_match(Path::new("src/x/a.rs")));
        Ok(())
    }

    #[test]
    fn absolute_pattern_names_its_own_root() -> Result<(), GlobError> {
        let p = GlobPattern::new("/home/u/proj/src/**/*.rs")?;
        assert!(p.is_absolute());
        assert_eq!(
            p.search_root(Path::new("/elsewhere")),
            PathBuf::from("/home/u/proj/src")
        );
        // Below an absolute base the glob stays anchored: `*.rs` here must
        // not match file names at any depth.
        let q = GlobPattern::new("/home/u/*.rs")?;
        assert_eq!(q.target(), MatchTarget::RelativePath);
        assert!(q.is_match(Path::new("/home/u/a.rs")));
        assert!(!q.is_match(Path::new("/home/u/x/a.rs")));
        assert!(!q.is_match(Path::new("home/u/a.rs")));
        Ok(())
    }

    #[test]
    fn dot_dot_in_the_base_is_resolved_lexically() -> Result<(), GlobError> {
        let p = GlobPattern::new("../lib/*.rs")?;
        assert_eq!(p.search_root(Path::new("/r/app")), PathBuf::from("/r/lib"));
        assert_eq!(p.search_root(Path::new(".")), PathBuf::from("../lib"));
        Ok(())
    }

    #[test]
    fn case_insensitive_mode_folds_letters() -> Result<(), GlobError> {
        let p = GlobPattern::with_case("*.rs", CaseMode::Insensitive)?;
        assert!(p.is_match(Path::new("X.RS")));
        assert!(!GlobPattern::new("*.rs")?.is_match(Path::new("X.RS")));
        Ok(())
    }

    #[test]
    fn invalid_patterns_name_the_pattern_and_the_problem() {
        let cases = [
            ("src/[a-", "unclosed character class; missing ']'"),
            (
                "*.{rs,ts",
                "unclosed alternate group; missing '}' (maybe escape '{' with '[{]'?)",
            ),
            ("a\\", "dangling '\\'"),
            ("", "the pattern is empty"),
            (
                "src/",
                "the pattern ends with `/`; Glob matches files, give a name or `**/*`",
            ),
            // Found by fuzz_glob: globset reads a trailing `**/` as "every
            // path" on its own but as "nothing" after a base.
            (
                "/home/u/**/",
                "the pattern ends with `/`; Glob matches files, give a name or `**/*`",
            ),
        ];
        for (pattern, reason) in cases {
            let got = GlobPattern::new(pattern).map(|p| p.as_str().to_string());
            let want = Err(GlobError::InvalidPattern {
                pattern: pattern.to_string(),
                reason: reason.to_string(),
            });
            assert_eq!(got, want, "pattern {pattern:?}");
        }
    }
}
