//! A fixture tree that exercises every walk and binary rule rg has, and a
//! helper to run the real `rg` on it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The real ripgrep the equivalence tests compare against.
pub(crate) const RG: &str = "/usr/bin/rg";

/// Whether `rg` is installed; tests print why they skip when it is not
/// (and fail on CI, which must have it).
pub(crate) fn rg_available() -> bool {
    let found = Path::new(RG).exists();
    if !found {
        missing_prerequisite(&format!(
            "{RG} not found; install ripgrep to run the rg equivalence tests"
        ));
    }
    found
}

/// Whether this run is CI: `CI` or `FERRULE_CI` is set (to anything but
/// empty, `0` or `false`). `cargo xtask ci` sets `FERRULE_CI=1`.
pub(crate) fn on_ci() -> bool {
    ["CI", "FERRULE_CI"]
        .iter()
        .any(|name| std::env::var(name).is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false")))
}

/// Reports that a tool a test needs is missing: on CI ([`on_ci`]) the test
/// fails with `what`; elsewhere it prints a warning and the caller returns
/// early.
pub(crate) fn missing_prerequisite(what: &str) {
    assert!(
        !on_ci(),
        "{what}; CI (CI or FERRULE_CI is set) requires it, so the test fails instead of skipping"
    );
    eprintln!("SKIPPED: {what}");
}

/// Runs rg in `cwd` with `args` and returns its stdout without the final
/// newline. Exit code 1 (no match) is not an error.
pub(crate) fn run_rg(cwd: &Path, args: &[String]) -> Result<String> {
    let output = Command::new(RG)
        .current_dir(cwd)
        .args(["--no-config", "--color", "never", "--sort", "path"])
        .args(args)
        .env_remove("RIPGREP_CONFIG_PATH")
        .output()
        .context("running rg")?;
    match output.status.code() {
        Some(0 | 1) => {}
        _ => bail!(
            "rg {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ),
    }
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    if text.ends_with('\n') {
        text.pop();
    }
    Ok(text)
}

fn write(root: &Path, rel: &str, bytes: impl AsRef<[u8]>) -> Result<()> {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// Builds the fixture tree in a new temp dir and returns (guard, root).
pub(crate) fn build() -> Result<(tempfile::TempDir, PathBuf)> {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("repo");
    std::fs::create_dir_all(&root)?;
    let status = Command::new("git")
        .args(["init", "-q"])
        .current_dir(&root)
        .status();
    if !status.is_ok_and(|s| s.success()) {
        // rg and the ignore crate only look for a `.git` entry.
        std::fs::create_dir_all(root.join(".git/info"))?;
    }
    std::fs::create_dir_all(root.join(".git/info"))?;
    write(&root, ".git/info/exclude", "excluded_by_info.txt\n")?;
    write(&root, ".gitignore", "*.log\nbuild/\n!keep.log\n")?;
    write(&root, ".ignore", "secret.txt\n")?;
    write(&root, ".rgignore", "rgignored.txt\n")?;
    write(
        &root,
        "README.md",
        "# Fixture\nTODO: describe the fixture\nfoo bar baz\n",
    )?;
    write(
        &root,
        "src/main.rs",
        "use std::io;\n\nfn main() {\n    // TODO: parse args\n    let foo = helper();\n    println!(\"{foo}\");\n}\n\nfn helper() -> u32 {\n    42\n}\n",
    )?;
    write(
        &root,
        "src/lib.rs",
        "//! Library.\n\npub fn add(a: u32, b: u32) -> u32 {\n    a + b\n}\n\npub fn sub(a: u32, b: u32) -> u32 {\n    a - b // FIXME: underflow\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn adds() {\n        assert_eq!(super::add(1, 2), 3);\n    }\n}\n",
    )?;
    write(
        &root,
        "src/util.py",
        "def foo():\n    return 'Foo'\n\n\ndef bar():\n    # TODO: bar\n    return foo()\n",
    )?;
    write(&root, "src/nested/.gitignore", "generated.rs\n")?;
    write(&root, "src/nested/generated.rs", "fn generated() { foo }\n")?;
    write(
        &root,
        "src/nested/mod.rs",
        "pub mod inner; // foo\nfn nested_fn() {}\n",
    )?;
    write(
        &root,
        "src/nested/inner.rs",
        "fn inner() { let foo = 1; }\n",
    )?;
    write(&root, "build/out.txt", "foo built\n")?;
    write(&root, "app.log", "foo logged\n")?;
    write(&root, "keep.log", "foo kept log\n")?;
    write(&root, "secret.txt", "foo secret\n")?;
    write(&root, "rgignored.txt", "foo rgignored\n")?;
    write(&root, "excluded_by_info.txt", "foo excluded\n")?;
    write(&root, ".hidden/file.txt", "foo hidden\n")?;
    write(&root, ".env", "FOO=foo\n")?;
    write(&root, "bin/data.bin", b"foo\x00binary\nfoo\n")?;
    let mut late = vec![b'x'; 100_000];
    late.extend_from_slice(b"\nfoo late\n\x00\nfoo after\n");
    write(&root, "bin/late.bin", &late)?;
    write(&root, "latin1.txt", b"caf\xe9 foo\nna\xefve\n")?;
    write(&root, "crlf.txt", "foo one\r\nbar two\r\nfoo three\r\n")?;
    write(&root, "docs/a-b.md", "foo in a-b\n")?;
    write(&root, "docs/a/b.md", "foo in a/b\n")?;
    write(
        &root,
        "docs/guide.md",
        "line 1\nline 2 foo\nline 3\nline 4\nline 5\nline 6\nline 7 foo\nline 8\nline 9 foo\nline 10\n",
    )?;
    write(
        &root,
        "c/main.c",
        "#include \"main.h\"\nint main(void) { return foo(); }\n",
    )?;
    write(&root, "c/main.h", "int foo(void);\n")?;
    write(
        &root,
        "multi.txt",
        "start\nfoo\nbar\nend\nfoo\nbar\nfoo baz\nbar qux\n",
    )?;
    write(&root, "empty.txt", "")?;
    write(&root, "no_newline.txt", "foo at end")?;
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&root, root.join("loop"))?;
        std::os::unix::fs::symlink("../src", root.join("docs/src_link"))?;
        std::os::unix::fs::symlink("README.md", root.join("readme_link.md"))?;
    }
    Ok((dir, root))
}
