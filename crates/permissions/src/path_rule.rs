//! Gitignore-style path patterns of `Read(...)`, `Edit(...)` and the other
//! file tools' rules, compiled into one [`globset::GlobSet`] per rule list
//! (reference §3.4.5, A-8, A-20).

use std::path::Path;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// Where a path pattern's anchors point.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Anchors<'a> {
    /// The rule source's root: the project root for project, local, flag and
    /// CLI rules; the home directory for user settings.
    pub(crate) root: &'a Path,
    /// The home directory, for `~/`.
    pub(crate) home: &'a Path,
}

/// Turns one pattern into absolute glob texts, each with a flag telling
/// whether it only matches directories (the pattern had a trailing `/`).
pub(crate) fn pattern_globs(
    pattern: &str,
    anchors: Anchors<'_>,
) -> Result<Vec<(String, bool)>, String> {
    if pattern.is_empty() {
        return Err("empty path pattern".to_string());
    }
    if pattern.contains('\0') {
        return Err("NUL byte in path pattern".to_string());
    }
    let (pattern, dir_only) = match pattern.strip_suffix('/') {
        Some(stripped) if !stripped.is_empty() && !stripped.ends_with('/') => (stripped, true),
        _ => (pattern, false),
    };
    let anchored = |base: &Path, rest: &str| {
        let base = globset::escape(&base.to_string_lossy());
        format!("{}/{rest}", base.trim_end_matches('/'))
    };
    let absolute = if let Some(rest) = pattern.strip_prefix("//") {
        format!("/{rest}")
    } else if pattern == "~" {
        anchored(anchors.home, "")
    } else if let Some(rest) = pattern.strip_prefix("~/") {
        anchored(anchors.home, rest)
    } else if let Some(rest) = pattern.strip_prefix('/') {
        anchored(anchors.root, rest)
    } else if pattern.contains('/') {
        anchored(anchors.root, pattern.strip_prefix("./").unwrap_or(pattern))
    } else {
        format!("/**/{pattern}")
    };
    let base = lexical(&absolute);
    let mut globs = Vec::with_capacity(3);
    // A pattern naming a directory covers everything below it, and `dir/**`
    // also covers `dir` itself.
    if let Some(parent) = base.strip_suffix("/**") {
        let parent = if parent.is_empty() { "/" } else { parent };
        globs.push((parent.to_string(), false));
        globs.push((base.clone(), false));
    } else {
        globs.push((base.clone(), dir_only));
        let below = if base == "/" {
            "/**".to_string()
        } else {
            format!("{base}/**")
        };
        globs.push((below, false));
    }
    Ok(globs)
}

/// Removes `.` and `..` components and repeated `/` from an absolute glob.
fn lexical(glob: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in glob.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        return "/".to_string();
    }
    let mut out = String::with_capacity(glob.len());
    for part in parts {
        out.push('/');
        out.push_str(part);
    }
    out
}

/// The path rules of one list (allow, ask or deny) for one tool family,
/// compiled together.
#[derive(Debug, Clone)]
pub(crate) struct PathRuleSet {
    set: GlobSet,
    /// For each glob of `set`: the rule it came from and whether it only
    /// matches directories.
    owners: Vec<(usize, bool)>,
}

impl PathRuleSet {
    /// Compiles `(rule index, pattern, anchors)` triples. A pattern that does
    /// not compile is returned as `(rule index, reason)`.
    pub(crate) fn build<'a>(
        patterns: impl IntoIterator<Item = (usize, &'a str, Anchors<'a>)>,
        case_insensitive: bool,
    ) -> (Self, Vec<(usize, String)>) {
        let mut builder = GlobSetBuilder::new();
        let mut owners = Vec::new();
        let mut errors = Vec::new();
        for (rule, pattern, anchors) in patterns {
            let compiled = pattern_globs(pattern, anchors).and_then(|globs| {
                globs
                    .into_iter()
                    .map(|(text, dir_only)| {
                        GlobBuilder::new(&text)
                            .literal_separator(true)
                            .backslash_escape(true)
                            .case_insensitive(case_insensitive)
                            .build()
                            .map(|glob| (glob, dir_only))
                            .map_err(|err| err.to_string())
                    })
                    .collect::<Result<Vec<_>, _>>()
            });
            match compiled {
                Ok(globs) => {
                    for (glob, dir_only) in globs {
                        builder.add(glob);
                        owners.push((rule, dir_only));
                    }
                }
                Err(reason) => errors.push((rule, reason)),
            }
        }
        let set =
            match builder.build() {
                Ok(set) => set,
                // Every glob compiled on its own, so building the set only fails
                // on resource limits: report every rule of it as malformed, so
                // deny and ask rules still make their tools ask.
                Err(err) => {
                    let mut rules: Vec<usize> = owners.iter().map(|&(rule, _)| rule).collect();
                    rules.dedup();
                    errors.extend(rules.into_iter().map(|rule| {
                        (rule, format!("the patterns do not compile together: {err}"))
                    }));
                    owners.clear();
                    GlobSet::empty()
                }
            };
        (Self { set, owners }, errors)
    }

    /// The lowest index of a rule whose pattern matches `path` (normalized,
    /// absolute). `is_dir` says whether the path is known to be a directory
    /// (the root of a Glob, Grep or LS).
    pub(crate) fn first_match(&self, path: &Path, is_dir: bool) -> Option<usize> {
        if self.owners.is_empty() || !self.set.is_match(path) {
            return None;
        }
        self.set
            .matches(path)
            .into_iter()
            .filter_map(|glob| self.owners.get(glob).copied())
            .filter(|&(_, dir_only)| is_dir || !dir_only)
            .map(|(rule, _)| rule)
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn set(patterns: &[&str]) -> PathRuleSet {
        let anchors = Anchors {
            root: Path::new("/w/proj"),
            home: Path::new("/home/u"),
        };
        let (set, errors) = PathRuleSet::build(
            patterns.iter().enumerate().map(|(i, p)| (i, *p, anchors)),
            false,
        );
        assert_eq!(errors, Vec::<(usize, String)>::new());
        set
    }

    #[test]
    fn anchors_resolve_per_reference() {
        let s = set(&[
            "//tmp/data/**",
            "~/Documents/**",
            "/src/**",
            "*.pem",
            "secrets/**",
        ]);
        let m = |p: &str| s.first_match(Path::new(p), false);
        assert_eq!(m("/tmp/data/x"), Some(0));
        assert_eq!(m("/tmp/data"), Some(0));
        assert_eq!(m("/home/u/Documents/a/b"), Some(1));
        assert_eq!(m("/w/proj/src/main.rs"), Some(2));
        assert_eq!(m("/other/src/main.rs"), None);
        assert_eq!(m("/anywhere/deep/key.pem"), Some(3));
        assert_eq!(m("/w/proj/secrets/a"), Some(4));
        assert_eq!(m("/w/proj/x/secrets/a"), None);
    }

    #[test]
    fn single_star_does_not_cross_directories() {
        let s = set(&["/src/*.rs"]);
        assert_eq!(s.first_match(Path::new("/w/proj/src/a.rs"), false), Some(0));
        assert_eq!(s.first_match(Path::new("/w/proj/src/a/b.rs"), false), None);
    }

    #[test]
    fn directory_pattern_covers_everything_below() {
        let s = set(&["/src", "build/"]);
        assert_eq!(s.first_match(Path::new("/w/proj/src/a/b"), false), Some(0));
        assert_eq!(s.first_match(Path::new("/w/proj/x/build"), false), None);
        assert_eq!(s.first_match(Path::new("/w/proj/x/build"), true), Some(1));
        assert_eq!(
            s.first_match(Path::new("/w/proj/x/build/o.o"), false),
            Some(1)
        );
    }
}
