//! The real SDKs drive the `ferrule` binary: Python (`qoder-agent-sdk` from
//! PyPI; `tests/sdk/setup.sh` makes the venv once, then pytest runs
//! `tests/sdk/`) and TypeScript (`@qoder-ai/qoder-agent-sdk` from npm,
//! `tests/sdk/ts/`).

#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions; a failure should panic"
)]

use std::path::PathBuf;
use std::process::Command;

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The `ferrule` binary: `$FERRULE_BIN`, else the workspace's, brought up
/// to date first (`cargo build -p ferrule-cli` is a no-op when it is; it
/// runs once per test process).
pub(crate) fn ferrule_bin() -> PathBuf {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(build_ferrule).clone()
}

fn build_ferrule() -> PathBuf {
    if let Ok(bin) = std::env::var("FERRULE_BIN") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "-p", "ferrule-cli", "--bin", "ferrule"])
        .current_dir(workspace_root())
        .env("CARGO_TARGET_DIR", profile_dir.parent().unwrap())
        .status()
        .unwrap();
    assert!(status.success(), "cargo build -p ferrule-cli failed");
    profile_dir.join("ferrule")
}

#[test]
fn python_sdk_suite_passes_against_ferrule() {
    let root = workspace_root();
    let suite = root.join("tests/sdk");
    let venv = std::env::var("FERRULE_SDK_VENV")
        .unwrap_or_else(|_| "/var/cache/ferrule/venv-sdk".to_owned());
    let setup = Command::new("sh")
        .arg(suite.join("setup.sh"))
        .env("FERRULE_SDK_VENV", &venv)
        .status()
        .expect("run tests/sdk/setup.sh");
    assert!(
        setup.success(),
        "tests/sdk/setup.sh failed (python3 -m venv + pip install)"
    );
    let bin = ferrule_bin();
    let output = Command::new(PathBuf::from(&venv).join("bin/python"))
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "-x"])
        .arg(&suite)
        .current_dir(&suite)
        .env("FERRULE_BIN", &bin)
        .output()
        .expect("run pytest");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the Python SDK suite failed:\n{stdout}\n{stderr}"
    );
    eprintln!("{stdout}");
}

/// The TypeScript SDK (`@qoder-ai/qoder-agent-sdk` from npm) under Node's
/// test runner: `tests/sdk/ts/setup.sh` installs it once.
#[test]
fn typescript_sdk_suite_passes_against_ferrule() {
    let suite = workspace_root().join("tests/sdk/ts");
    if Command::new("node").arg("--version").output().is_err()
        || Command::new("npm").arg("--version").output().is_err()
    {
        missing_prerequisite(
            "node and npm are not installed; the TypeScript SDK suite did not run",
        );
        return;
    }
    let setup = Command::new("sh")
        .arg(suite.join("setup.sh"))
        .status()
        .expect("run tests/sdk/ts/setup.sh");
    assert!(
        setup.success(),
        "tests/sdk/ts/setup.sh failed (npm install)"
    );
    let output = Command::new("node")
        .args(["--test", "sdk.test.mjs"])
        .current_dir(&suite)
        .env("FERRULE_BIN", ferrule_bin())
        .output()
        .expect("run node --test");
    assert!(
        output.status.success(),
        "the TypeScript SDK suite failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
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
