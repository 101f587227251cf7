//! Shared helpers: the Python venv with the official `mcp` package (created
//! once by `tests/mcp/setup.sh`), the test servers, and ready-made specs.
#![allow(dead_code, unreachable_pub, clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use ferrule_mcp::{McpScope, ServerSpec, TransportSpec};
use serde_json::json;

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The venv directory (override with FERRULE_MCP_VENV).
pub fn venv() -> PathBuf {
    std::env::var_os("FERRULE_MCP_VENV").map_or_else(
        || PathBuf::from("/var/cache/ferrule/venv-mcp"),
        PathBuf::from,
    )
}

/// Whether this run is CI: `CI` or `FERRULE_CI` is set (to anything but
/// empty, `0` or `false`). `cargo xtask ci` sets `FERRULE_CI=1`.
pub fn on_ci() -> bool {
    ["CI", "FERRULE_CI"]
        .iter()
        .any(|name| std::env::var(name).is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false")))
}

/// Reports that a tool a test needs is missing: on CI ([`on_ci`]) the test
/// fails with `what`; elsewhere it prints a loud warning and the caller
/// returns early.
pub fn missing_prerequisite(what: &str) {
    assert!(
        !on_ci(),
        "{what}; CI (CI or FERRULE_CI is set) requires it, so the test fails instead of skipping"
    );
    eprintln!("\n\n!!!!! SKIPPING: {what} !!!!!\n\n");
}

/// The venv's python, running `tests/mcp/setup.sh` once when the venv is
/// missing. `None` (after a loud message) only when Python or pip itself is
/// unavailable on this machine and this is not CI; on CI that fails the test.
pub fn python() -> Option<PathBuf> {
    static READY: OnceLock<Option<PathBuf>> = OnceLock::new();
    let found = READY
        .get_or_init(|| {
            let venv = venv();
            if !venv.join(".ready").exists() {
                let has_pip = std::process::Command::new("python3")
                    .args(["-m", "pip", "--version"])
                    .output()
                    .is_ok_and(|o| o.status.success());
                if !has_pip {
                    return None;
                }
                let status = std::process::Command::new("bash")
                    .arg(repo().join("tests/mcp/setup.sh"))
                    .status()
                    .expect("running tests/mcp/setup.sh");
                assert!(status.success(), "tests/mcp/setup.sh failed: {status}");
            }
            Some(venv.join("bin/python"))
        })
        .clone();
    if found.is_none() {
        missing_prerequisite(
            "MCP server tests: python3 with pip is not available, so the test venv \
             (tests/mcp/setup.sh) cannot be created",
        );
    }
    found
}

/// A test server script.
pub fn script(name: &str) -> String {
    repo()
        .join("tests/mcp/servers")
        .join(name)
        .display()
        .to_string()
}

/// A stdio spec for `name` running `args` with `command`.
pub fn stdio_spec(name: &str, command: &str, args: &[&str]) -> ServerSpec {
    ServerSpec {
        name: name.to_owned(),
        scope: McpScope::Local,
        transport: TransportSpec::Stdio {
            command: command.to_owned(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            env: BTreeMap::new(),
            cwd: None,
        },
        timeout: None,
        raw: json!({"command": command, "args": args}),
        disabled: None,
    }
}

/// The `basic.py` server over stdio.
pub fn basic(name: &str, python: &Path) -> ServerSpec {
    stdio_spec(
        name,
        &python.display().to_string(),
        &[&script("basic.py"), "stdio"],
    )
}

/// A free port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Starts `basic.py` over streamable HTTP (`mode` `http`) or legacy SSE
/// (`sse`) and waits until it accepts
/// connections. The child is killed when the guard drops.
pub async fn http_server(python: &Path, mode: &str) -> (tokio::process::Child, String) {
    let port = free_port();
    let child = tokio::process::Command::new(python)
        .args([script("basic.py"), mode.to_owned(), port.to_string()])
        .kill_on_drop(true)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn http server");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "http MCP server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let path = if mode == "sse" { "sse" } else { "mcp" };
    (child, format!("http://127.0.0.1:{port}/{path}"))
}

/// A tool context in a temp-free cwd.
pub fn ctx() -> ferrule_tool::ToolContext {
    ferrule_tool::ToolContext::builder(std::env::temp_dir())
        .build()
        .expect("context")
}
