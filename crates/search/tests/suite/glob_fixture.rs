//! A git-initialised fixture tree for the Glob tests: nested ignore files,
//! hidden entries, symlinks (including a loop) and mixed-case names.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, ensure};
use tempfile::TempDir;

/// Files that exist in the tree, ignored or not.
const FILES: &[&str] = &[
    "README.md",
    "build.log",
    "Cargo.toml",
    "main.rs",
    "weird name.rs",
    "src/main.rs",
    "src/lib.rs",
    "src/UPPER.RS",
    "src/x.ts",
    "src/y.tsx",
    "src/z.js",
    "src/keep.log",
    "src/a/mod.rs",
    "src/a/generated.rs",
    "src/a/b/c.rs",
    "src/a/b/deep/d.rs",
    "src/.hidden.rs",
    ".hidden/secret.rs",
    "docs/readme.md",
    "docs/guide/intro.md",
    "docs/guide/a/x.md",
    "target/debug/out.rs",
    "vendor/dep.rs",
    "excluded.rs",
    "tests/excluded.rs",
];

/// A fresh fixture tree in a temporary directory.
pub(crate) fn tree() -> Result<TempDir> {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    for file in FILES {
        write(root, file, &format!("// {file}\n"))?;
    }
    write(root, ".gitignore", "target/\n*.log\n")?;
    // A nested ignore file, and a negation that re-includes one file.
    write(root, "src/.gitignore", "!keep.log\n")?;
    write(root, "src/a/.gitignore", "generated.rs\n")?;
    write(root, ".ignore", "vendor/\n")?;
    let status = Command::new("git")
        .args(["init", "-q"])
        .current_dir(root)
        .status()
        .context("running git init")?;
    ensure!(status.success(), "git init failed");
    write(root, ".git/info/exclude", "excluded.rs\n")?;
    // Symlinks are listed by neither fd --type f nor Glob, and a loop is
    // never followed.
    std::os::unix::fs::symlink("src", root.join("link_to_src"))?;
    std::os::unix::fs::symlink("main.rs", root.join("src/link.rs"))?;
    std::os::unix::fs::symlink("..", root.join("src/a/loop"))?;
    Ok(dir)
}

/// Writes `text` to `root/rel`, creating directories.
pub(crate) fn write(root: &Path, rel: &str, text: &str) -> Result<()> {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
}
