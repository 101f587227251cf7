//! ferrule-config: parsing one settings file and loading every layer.
//!
//! `parse_settings` (JSON, typed settings, unknown-key scan) is measured
//! beside a bare `serde_json::from_str::<Value>` of the same text, so the
//! figure to read is the ratio between the two. `load` reads and merges the
//! six file layers of a fixture tree. Run with
//! `cargo bench -p ferrule-benches --bench settings`; figures are recorded
//! in README.md ("Settings").

use std::path::{Path, PathBuf};

use divan::Bencher;
use ferrule_config::{LoadOptions, load, parse_settings};

fn main() {
    divan::main();
}

/// A settings file with `rules` allow rules, `rules / 4` deny and ask rules,
/// a few hooks, MCP servers and unknown keys.
fn settings_text(rules: usize) -> String {
    let list = |prefix: &str, n: usize| -> Vec<String> {
        (0..n)
            .map(|i| format!("{prefix}(/src/module_{i}/**)"))
            .collect()
    };
    let value = serde_json::json!({
        "permissions": {
            "allow": list("Read", rules),
            "deny": list("Edit", rules / 4),
            "ask": list("Bash", rules / 4),
            "additionalDirectories": ["../shared", "~/lib"],
        },
        "general": {"defaultPermissionMode": "accept_edits", "plan": {"enabled": true}},
        "hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "./check.sh"}]}]},
        "mcpServers": {"gh": {"command": "npx", "args": ["-y", "server"], "env": {"TOKEN": "${TOKEN:-none}"}}},
        "model": "auto",
        "theme": "dark",
        "statusLine": {"type": "command", "command": "echo hi"},
    });
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

#[divan::bench(args = [100, 1000, 5000])]
fn parse_typed(bencher: Bencher<'_, '_>, rules: usize) {
    let text = settings_text(rules);
    let path = Path::new("/p/.qoder/settings.json");
    bencher
        .counter(divan::counter::BytesCount::new(text.len()))
        .bench(|| parse_settings(divan::black_box(&text), path));
}

#[divan::bench(args = [100, 1000, 5000])]
fn parse_untyped_baseline(bencher: Bencher<'_, '_>, rules: usize) {
    let text = settings_text(rules);
    bencher
        .counter(divan::counter::BytesCount::new(text.len()))
        .bench(|| serde_json::from_str::<serde_json::Value>(divan::black_box(&text)));
}

struct Tree {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

fn tree(rules: usize) -> Option<Tree> {
    let dir = tempfile::tempdir().ok()?;
    let root = dir.path().to_path_buf();
    for rel in [
        "home/.claude/settings.json",
        "home/.qoder/settings.json",
        "proj/.claude/settings.json",
        "proj/.qoder/settings.json",
        "proj/.claude/settings.local.json",
        "proj/.qoder/settings.local.json",
    ] {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent()?).ok()?;
        std::fs::write(&path, settings_text(rules)).ok()?;
    }
    Some(Tree { _dir: dir, root })
}

#[divan::bench(args = [100, 1000])]
fn load_six_layers(bencher: Bencher<'_, '_>, rules: usize) {
    let Some(tree) = tree(rules) else {
        return;
    };
    let mut opts = LoadOptions::new(tree.root.join("proj"));
    opts.home = Some(tree.root.join("home"));
    opts.user_dir = Some(tree.root.join("home/.qoder"));
    opts.env = Some(Default::default());
    bencher.bench(|| load(divan::black_box(&opts)));
}
