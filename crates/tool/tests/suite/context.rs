//! Path resolution and the allowed directories.

use std::path::PathBuf;

use ferrule_tool::{ContextError, ToolContext, ToolError};
use pretty_assertions::assert_eq;

#[test]
fn relative_paths_resolve_against_cwd_and_dots_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    let ctx = ToolContext::builder(dir.path()).build().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let cases = [
        ("src/main.rs", root.join("src/main.rs")),
        ("./src/../src/./lib.rs", root.join("src/lib.rs")),
        ("new/dir/file.txt", root.join("new/dir/file.txt")),
    ];
    for (raw, expected) in cases {
        assert_eq!(
            ctx.resolve_path("file_path", raw).unwrap(),
            expected,
            "{raw}"
        );
    }
    let absolute = root.join("src/x.rs");
    assert_eq!(
        ctx.resolve_path("file_path", absolute.to_str().unwrap())
            .unwrap(),
        absolute
    );
}

#[test]
fn paths_outside_the_allowed_directories_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = ToolContext::builder(dir.path()).build().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let error = ctx.resolve_path("file_path", "../escape.txt").unwrap_err();
    let outside = root.parent().unwrap().join("escape.txt");
    assert_eq!(
        error,
        ToolError::respond(format!(
            "`file_path` ../escape.txt resolves to {}, which is outside the allowed directories ({}). Only files inside them can be used.",
            outside.display(),
            root.display()
        ))
    );
    assert!(ctx.resolve_path("path", "/etc/passwd").is_err());
}

#[test]
fn a_symlink_pointing_outside_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), "s").unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).unwrap();
    let ctx = ToolContext::builder(dir.path()).build().unwrap();
    let error = ctx.resolve_path("file_path", "link/secret").unwrap_err();
    assert!(
        error.message().contains("outside the allowed directories"),
        "{error}"
    );
}

#[test]
fn additional_directories_are_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let extra = tempfile::tempdir().unwrap();
    let ctx = ToolContext::builder(dir.path())
        .additional_dir(extra.path())
        .build()
        .unwrap();
    let inside_extra = extra.path().canonicalize().unwrap().join("a.txt");
    assert_eq!(
        ctx.resolve_path("file_path", inside_extra.to_str().unwrap())
            .unwrap(),
        inside_extra
    );
    assert_eq!(ctx.allowed_dirs().len(), 2);
}

#[test]
fn empty_and_nul_paths_are_errors_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = ToolContext::builder(dir.path()).build().unwrap();
    assert_eq!(
        ctx.resolve_path("notebook_path", "").unwrap_err(),
        ToolError::respond("`notebook_path` is empty; give a file path")
    );
    assert_eq!(
        ctx.resolve_path("path", "a\0b").unwrap_err(),
        ToolError::respond("`path` contains a NUL byte, which no path can hold")
    );
}

#[test]
fn building_with_a_missing_directory_fails() {
    let missing = PathBuf::from("/definitely/not/here");
    let error = ToolContext::builder(&missing).build().unwrap_err();
    assert!(matches!(error, ContextError::Directory { .. }), "{error}");
    let file = tempfile::NamedTempFile::new().unwrap();
    let error = ToolContext::builder(file.path()).build().unwrap_err();
    assert!(
        matches!(error, ContextError::NotADirectory { .. }),
        "{error}"
    );
}
