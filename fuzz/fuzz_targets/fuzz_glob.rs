//! Glob tool patterns: any pattern and any paths, never a panic; a compiled
//! pattern matches exactly what globset matches with the same glob; an
//! invalid pattern's error names the pattern.
//!
//! Input: the first line is the pattern, every further line a path.

#![no_main]

use std::path::{Component, Path};

use ferrule_search::glob::{GlobError, GlobPattern, MatchTarget};
use globset::GlobBuilder;
use libfuzzer_sys::fuzz_target;

/// A path as a walk yields it: no empty, `.` or `..` components, no
/// trailing `/` (those are normalised away by `Path` but not by globset);
/// absolute exactly when the pattern is (a relative pattern is matched
/// with paths relative to the search root).
fn walkable(path: &str, absolute: bool) -> bool {
    !path.is_empty()
        && path.starts_with('/') == absolute
        && !path.contains("//")
        && !path.ends_with('/')
        && Path::new(path)
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::RootDir))
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let pattern = lines.next().unwrap_or_default();
    let compiled = match GlobPattern::new(pattern) {
        Ok(compiled) => compiled,
        Err(err) => {
            let GlobError::InvalidPattern { pattern: named, .. } = &err else {
                panic!("compiling a pattern gave a non-pattern error: {err}");
            };
            assert_eq!(named, pattern, "the error names another pattern");
            assert!(
                err.to_string().contains(pattern),
                "the message omits the pattern"
            );
            return;
        }
    };
    assert_eq!(compiled.as_str(), pattern);
    // A pattern without `.` components or `//` is its own full glob: the
    // base split loses nothing.
    let plain = !pattern.contains("//") && !pattern.split('/').any(|c| c == ".");
    if plain {
        assert_eq!(compiled.full_glob(), pattern, "base split changed the glob");
    }
    let reference = match compiled.target() {
        MatchTarget::RelativePath => compiled.full_glob(),
        MatchTarget::FileName => format!("**/{}", compiled.full_glob()),
    };
    let Ok(reference) = GlobBuilder::new(&reference)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
    else {
        panic!("globset rejects {reference:?}, which ferrule accepted");
    };
    let reference = reference.compile_matcher();
    for path in lines.filter(|p| walkable(p, compiled.is_absolute())) {
        let ours = compiled.is_match(Path::new(path));
        let theirs = reference.is_match(path);
        assert_eq!(ours, theirs, "pattern {pattern:?} on path {path:?}");
    }
});
