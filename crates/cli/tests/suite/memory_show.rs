//! `ferrule memory show` run as a child process over a fixture tree.

#![allow(
    clippy::unwrap_used,
    reason = "a fixture that cannot be built should fail the test at once"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pretty_assertions::assert_eq;
use serde_json::{Value, json};

struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    fn new(files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("repo/.git")).unwrap();
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        for (rel, text) in files {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        Tree { dir }
    }

    fn base(&self) -> PathBuf {
        self.dir.path().canonicalize().unwrap()
    }

    /// Runs `ferrule memory show <args>` in `repo/` with HOME and
    /// FERRULE_HOME set on the child only.
    fn run(&self, args: &[&str], ferrule_home: &str) -> Output {
        Command::new(env!("CARGO_BIN_EXE_ferrule"))
            .args(["memory", "show"])
            .args(args)
            .current_dir(self.base().join("repo"))
            .env("HOME", self.base().join("home"))
            .env("FERRULE_HOME", self.base().join(ferrule_home))
            .output()
            .unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.run(&all, "home/.qoder");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout)
            .replace(&self.base().display().to_string(), "<base>");
        serde_json::from_str(&text).unwrap()
    }
}

fn tree() -> Tree {
    Tree::new(&[
        ("home/.qoder/AGENTS.md", "user memory\n"),
        ("alt/AGENTS.md", "alternative user memory\n"),
        ("repo/AGENTS.md", "project memory @docs/extra.md\n"),
        ("repo/docs/extra.md", "extra\n"),
        ("repo/CLAUDE.md", "claude memory\n"),
        ("repo/.qoder/rules/always.md", "always\n"),
        (
            "repo/.qoder/rules/api.md",
            "---\ntrigger: glob\nglob: src/api/**\n---\napi rule\n",
        ),
        (
            "repo/.qoder/rules/broken.md",
            "---\ntrigger: glob\nglob: [src\n---\nbroken\n",
        ),
        (
            "repo/.qoder/skills/lint/SKILL.md",
            "---\nname: lint\ndescription: Lint the code.\n---\nRun the linter.\n",
        ),
        (
            "repo/.qoder/commands/git/commit.md",
            "---\ndescription: Commit\n---\nCommit $ARGUMENTS\n",
        ),
        (
            "repo/.qoder/agents/rev.md",
            "---\nname: reviewer\ndescription: Reviews\n---\nReview.\n",
        ),
        ("repo/src/api/AGENTS.md", "api folder memory\n"),
    ])
}

fn field<'a>(v: &'a Value, key: &str) -> Vec<&'a Value> {
    v.as_array().unwrap().iter().map(|x| &x[key]).collect()
}

#[test]
fn memory_show_json_lists_memory_in_order_with_imports_and_skips() {
    let t = tree();
    let v = t.json(&[]);
    let memory: Vec<Value> = v["memory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| json!([m["path"], m["scope"], m["origin"], m["reason"]]))
        .collect();
    assert_eq!(
        memory,
        vec![
            json!([
                "<base>/home/.qoder/AGENTS.md",
                "user",
                "qoder",
                "session_start"
            ]),
            json!(["<base>/repo/AGENTS.md", "project", "qoder", "session_start"]),
            json!(["<base>/repo/docs/extra.md", "project", "qoder", "include"]),
            json!([
                "<base>/repo/CLAUDE.md",
                "project",
                "claude",
                "session_start"
            ]),
        ]
    );
    assert_eq!(
        field(&v["rules"], "trigger"),
        vec![&json!("always_on"), &json!("glob")]
    );
    assert_eq!(field(&v["skills"], "name"), vec![&json!("lint")]);
    assert_eq!(field(&v["commands"], "name"), vec![&json!("git:commit")]);
    assert_eq!(field(&v["subagents"], "name"), vec![&json!("reviewer")]);
    assert_eq!(
        v["skipped"],
        json!([{
            "kind": "rule",
            "path": "<base>/repo/.qoder/rules/broken.md",
            "line": 3,
            "reason": "invalid frontmatter: unclosed bracket '['"
        }])
    );
}

#[test]
fn memory_show_path_reports_subfolder_memory_and_glob_rules() {
    let t = tree();
    let v = t.json(&["--path", "src/api/handler.rs"]);
    let added: Vec<Value> = v["touched"]["injections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| json!([i["path"], i["reason"]]))
        .collect();
    assert_eq!(
        added,
        vec![
            json!(["<base>/repo/src/api/AGENTS.md", {"memory": "nested_traversal"}]),
            json!(["<base>/repo/.qoder/rules/api.md", "path_glob_match"]),
        ]
    );
}

#[test]
fn memory_show_text_explains_order_triggers_and_skips() {
    let t = tree();
    let out = t.run(&["--path", "README.md"], "home/.qoder");
    assert!(out.status.success());
    let text =
        String::from_utf8_lossy(&out.stdout).replace(&t.base().display().to_string(), "<base>");
    let startup: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("Startup context"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(
        startup,
        vec![
            "    1. <base>/home/.qoder/AGENTS.md  [user qoder memory, session_start, 1 lines]",
            "    2. <base>/repo/AGENTS.md  [project qoder memory, session_start, 1 lines]",
            "    3.   <base>/repo/docs/extra.md  [project qoder memory, include from <base>/repo/AGENTS.md, 1 lines]",
            "    4. <base>/repo/CLAUDE.md  [project claude memory, session_start, 1 lines]",
            "    5. <base>/repo/.qoder/rules/always.md  [project qoder rule, always_on, 7 chars]",
        ]
    );
    assert!(
        text.contains(
            "  <base>/repo/.qoder/rules/broken.md:3: invalid frontmatter: unclosed bracket '['\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("  - <base>/repo/.qoder/rules/api.md  [glob rule, no pattern of src/api/** matches relative to <base>/repo]\n"),
        "{text}"
    );
}

#[test]
fn memory_show_uses_ferrule_home_as_the_user_directory() {
    let t = tree();
    let out = t.run(&["--json"], "alt");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let first = Path::new(v["memory"][0]["path"].as_str().unwrap()).to_path_buf();
    assert_eq!(first, t.base().join("alt/AGENTS.md"));
}

#[test]
fn memory_show_rejects_a_missing_folder() {
    let t = tree();
    let out = t.run(&["--cwd", "nope"], "home/.qoder");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a directory"));
}

#[test]
fn memory_show_lists_plugins_and_shadowed_definitions() {
    let t = tree();
    std::fs::create_dir_all(t.base().join("plug/skills/lint")).unwrap();
    std::fs::write(
        t.base().join("plug/skills/lint/SKILL.md"),
        "---\nname: lint\ndescription: Plugin lint.\n---\nx\n",
    )
    .unwrap();
    std::fs::write(
        t.base().join("plug/.mcp.json"),
        r#"{"mcpServers": {"docs": {"command": "d"}}}"#,
    )
    .unwrap();
    let plug = t.base().join("plug").display().to_string();
    let out = t.run(&["--plugin-dir", &plug], "home/.qoder");
    assert!(out.status.success());
    let text =
        String::from_utf8_lossy(&out.stdout).replace(&t.base().display().to_string(), "<base>");
    assert!(
        text.contains("  plug  <base>/plug  hooks: no, MCP servers: docs\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "  Skill lint: <base>/plug/skills/lint/SKILL.md (hidden by <base>/repo/.qoder/skills/lint/SKILL.md)\n"
        ),
        "{text}"
    );
}
