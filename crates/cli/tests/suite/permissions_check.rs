//! `ferrule permissions check` run as a child process: settings loaded from
//! a temp project and user directory, `--json`, text output and `--jsonl`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use anyhow::{Context, Result};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

/// A temp tree with `proj/`, `home/` and `user/` (the FERRULE_HOME).
struct Tree {
    _dir: tempfile::TempDir,
    base: PathBuf,
}

impl Tree {
    fn new(files: &[(&str, &str)]) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let base = dir.path().canonicalize()?;
        for sub in ["proj", "home", "user"] {
            std::fs::create_dir_all(base.join(sub))?;
        }
        for (rel, text) in files {
            let path = base.join(rel);
            std::fs::create_dir_all(path.parent().context("no parent")?)?;
            std::fs::write(path, text)?;
        }
        Ok(Self { _dir: dir, base })
    }

    fn path(&self, rel: &str) -> String {
        self.base.join(rel).display().to_string()
    }

    fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ferrule"));
        command
            .args(["permissions", "check"])
            .current_dir(self.base.join("proj"))
            .env("HOME", self.base.join("home"))
            .env("FERRULE_HOME", self.base.join("user"))
            .env("FERRULE_POLICY_SETTINGS", self.base.join("no-policy.json"));
        command
    }

    fn run(&self, args: &[&str]) -> Result<Output> {
        Ok(self.command().args(args).output()?)
    }

    fn json(&self, args: &[&str]) -> Result<Value> {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let output = self.run(&all)?;
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(serde_json::from_slice(&output.stdout)?)
    }
}

const PROJECT: &str = r#"{"permissions": {
    "allow": ["Bash(git status:*)", "Bash(npm run test:*)", "Bash(oops", "Bsh"],
    "ask": ["Bash(git push:*)"],
    "deny": ["Read(*.pem)", "Bash(rm -rf:*)"],
    "additionalDirectories": ["../shared"]
}}"#;

#[test]
fn json_output_names_the_rule_file_and_index() -> Result<()> {
    let tree = Tree::new(&[("proj/.qoder/settings.json", PROJECT)])?;
    let value = tree.json(&[
        "--tool",
        "Bash",
        "--input",
        r#"{"command":"timeout 5 git push origin"}"#,
    ])?;
    let settings = tree.path("proj/.qoder/settings.json");
    assert_eq!(
        value,
        json!({
            "decision": "ask",
            "ask_kind": "rule",
            "matched_rule": "Bash(git push:*)",
            "rule_source": {"file": settings, "list": "ask", "index": 0},
            "reason": "ask rule `Bash(git push:*)` matches the command",
            "mode": "default",
            "working_dirs": [tree.path("proj"), tree.path("shared")],
            "rule_errors": [{
                "source": settings,
                "list": "allow",
                "index": 2,
                "rule": "Bash(oops",
                "error": "`(` at byte 4 has no closing `)` at the end of the rule"
            }],
            "unknown_tools": [{
                "source": settings,
                "list": "allow",
                "index": 3,
                "rule": "Bsh",
                "tool": "Bsh"
            }],
            "settings_errors": []
        })
    );
    Ok(())
}

#[test]
fn text_output_shows_decision_rule_reason_and_malformed_rules() -> Result<()> {
    let tree = Tree::new(&[("proj/.qoder/settings.json", PROJECT)])?;
    let output = tree.run(&[
        "--tool",
        "Read",
        "--input",
        r#"{"file_path":"keys/server.pem"}"#,
    ])?;
    assert!(output.status.success());
    let settings = tree.path("proj/.qoder/settings.json");
    let expected = format!(
        "decision: deny\n\
         rule:     Read(*.pem) ({settings}, permissions.deny[0])\n\
         reason:   deny rule `Read(*.pem)` matches {}\n\
         mode:     default\n\
         warning:  {settings}: permissions.allow[2] `Bash(oops`: `(` at byte 4 has no closing `)` at the end of the rule\n\
         note:     {settings}: permissions.allow[3] `Bsh` names unknown tool `Bsh` (kept: it may appear later)\n",
        tree.path("proj/keys/server.pem")
    );
    assert_eq!(String::from_utf8(output.stdout)?, expected);
    Ok(())
}

#[test]
fn compound_command_needs_every_segment_allowed() -> Result<()> {
    let tree = Tree::new(&[("proj/.qoder/settings.json", PROJECT)])?;
    let both = tree.json(&[
        "--tool",
        "Bash",
        "--input",
        r#"{"command":"git status && npm run test"}"#,
    ])?;
    assert_eq!(both["decision"], "allow");
    let chained = tree.json(&[
        "--tool",
        "Bash",
        "--input",
        r#"{"command":"git status; curl x | sh"}"#,
    ])?;
    assert_eq!(
        (chained["decision"].clone(), chained["matched_rule"].clone()),
        (json!("ask"), Value::Null)
    );
    Ok(())
}

#[test]
fn mode_flag_and_settings_default_mode_apply() -> Result<()> {
    let tree = Tree::new(&[(
        "proj/.qoder/settings.json",
        r#"{"general": {"defaultPermissionMode": "acceptEdits"}}"#,
    )])?;
    let edit = r#"{"file_path":"src/a.rs"}"#;
    let from_settings = tree.json(&["--tool", "Edit", "--input", edit])?;
    assert_eq!(
        (
            from_settings["decision"].clone(),
            from_settings["mode"].clone()
        ),
        (json!("allow"), json!("accept_edits"))
    );
    let from_flag = tree.json(&["--tool", "Edit", "--input", edit, "--mode", "dontAsk"])?;
    assert_eq!(
        (from_flag["decision"].clone(), from_flag["mode"].clone()),
        (json!("deny"), json!("dont_ask"))
    );
    Ok(())
}

#[test]
fn bypass_mode_is_refused_when_settings_disable_it() -> Result<()> {
    let tree = Tree::new(&[(
        "user/settings.json",
        r#"{"security": {"disableYoloMode": true}}"#,
    )])?;
    let output = tree.run(&[
        "--tool",
        "Bash",
        "--input",
        r#"{"command":"make"}"#,
        "--mode",
        "yolo",
    ])?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success() && stderr.contains("bypass_permissions mode is disabled"),
        "{stderr}"
    );
    let allowed = tree.json(&[
        "--tool",
        "Bash",
        "--input",
        r#"{"command":"make"}"#,
        "--mode",
        "dontAsk",
    ])?;
    assert_eq!(allowed["decision"], "deny");
    Ok(())
}

#[test]
fn user_settings_anchor_slash_rules_at_home() -> Result<()> {
    let tree = Tree::new(&[(
        "user/settings.json",
        r#"{"permissions": {"deny": ["Read(/secret/**)"]}}"#,
    )])?;
    let home_secret = tree.json(&[
        "--tool",
        "Read",
        "--input",
        &json!({"file_path": tree.path("home/secret/x")}).to_string(),
    ])?;
    assert_eq!(
        (
            home_secret["decision"].clone(),
            home_secret["rule_source"]["file"].clone()
        ),
        (json!("deny"), json!(tree.path("user/settings.json")))
    );
    let project_secret =
        tree.json(&["--tool", "Read", "--input", r#"{"file_path":"secret/x"}"#])?;
    assert_eq!(project_secret["decision"], "allow");
    Ok(())
}

#[test]
fn add_dir_flag_extends_the_workspace() -> Result<()> {
    let tree = Tree::new(&[])?;
    let input = json!({"file_path": tree.path("other/a.txt")}).to_string();
    let outside = tree.json(&["--tool", "Read", "--input", &input])?;
    assert_eq!(outside["decision"], "ask");
    let added = tree.json(&["--tool", "Read", "--input", &input, "--add-dir", "../other"])?;
    assert_eq!(added["decision"], "allow");
    Ok(())
}

#[test]
fn bad_arguments_fail_with_a_clear_message() -> Result<()> {
    let tree = Tree::new(&[])?;
    for (args, needle) in [
        (
            vec!["--tool", "Bash", "--input", "{not json"],
            "--input is not valid JSON",
        ),
        (
            vec!["--tool", "Bash", "--input", "[]"],
            "--input must be a JSON object",
        ),
        (
            vec!["--tool", "Bash", "--mode", "yollo"],
            "unknown permission mode `yollo`",
        ),
        (vec!["--tool", "Bash", "--hook", "maybe"], "--hook maybe"),
    ] {
        let output = tree.run(&args)?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !output.status.success() && stderr.contains(needle),
            "{args:?}: {stderr}"
        );
    }
    Ok(())
}

fn run_jsonl(tree: &Tree, input: &str) -> Result<Vec<Value>> {
    let mut child = tree
        .command()
        .arg("--jsonl")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    child
        .stdin
        .take()
        .context("stdin")?
        .write_all(input.as_bytes())?;
    let output = child.wait_with_output()?;
    assert!(output.status.success());
    String::from_utf8(output.stdout)?
        .lines()
        .map(|line| serde_json::from_str(line).with_context(|| line.to_string()))
        .collect()
}

#[test]
fn jsonl_answers_every_line_in_order_and_survives_bad_lines() -> Result<()> {
    let tree = Tree::new(&[])?;
    let line = |id: &str, rules: Value, tool: &str, input: Value| {
        json!({"id": id, "mode": "default", "cwd": "/w/proj", "home": "/home/u", "rules": rules,
               "additional_dirs": [], "tool": tool, "input": input})
        .to_string()
    };
    let input = [
        line("c1", json!({"allow": ["Bash(git status:*)"], "deny": [], "ask": []}), "Bash", json!({"command": "git status"})),
        "{this is not json".to_string(),
        r#"{"id":"c3","cwd":"relative","home":"/home/u","tool":"Read","input":{}}"#.to_string(),
        String::new(),
        line("c4", json!({"deny": ["Read(/secrets/**)"]}), "Read", json!({"file_path": "/w/proj/secrets/a/../b"})),
        r#"{"id":"c5","mode":"yolo!","cwd":"/w","home":"/h","tool":"Bash","input":{"command":"ls"}}"#.to_string(),
        line("c6", json!({}), "Edit", json!({"file_path": "/w/proj/.git/config"})),
    ]
    .join("\n");
    let answers = run_jsonl(&tree, &input)?;
    assert_eq!(
        answers,
        vec![
            json!({"id": "c1", "decision": "allow", "matched_rule": "Bash(git status:*)", "reason": "`git status` is allowed by `Bash(git status:*)`"}),
            json!({"id": null, "error": "line 2: key must be a string at line 1 column 2"}),
            json!({"id": "c3", "error": "line 3: `cwd` must be an absolute path, got `relative`"}),
            json!({"id": "c4", "decision": "deny", "matched_rule": "Read(/secrets/**)", "reason": "deny rule `Read(/secrets/**)` matches /w/proj/secrets/b"}),
            json!({"id": "c5", "error": "line 6: unknown permission mode `yolo!`; expected one of default, accept_edits (acceptEdits), auto, bypass_permissions (bypassPermissions, yolo), dont_ask (dontAsk), plan"}),
            json!({"id": "c6", "decision": "ask", "matched_rule": null, "reason": "/w/proj/.git/config is protected (inside a protected directory)"}),
        ]
    );
    Ok(())
}

#[test]
fn jsonl_unknown_field_is_an_error_for_that_line() -> Result<()> {
    let tree = Tree::new(&[])?;
    let answers = run_jsonl(
        &tree,
        r#"{"id":7,"cwd":"/w","home":"/h","tool":"Bash","input":{},"rulez":{}}"#,
    )?;
    let error = answers[0]["error"].as_str().unwrap_or("");
    assert!(
        answers[0]["id"] == json!(7) && error.contains("unknown field `rulez`"),
        "{answers:?}"
    );
    Ok(())
}

#[test]
fn working_tree_paths_need_not_exist() -> Result<()> {
    let tree = Tree::new(&[])?;
    let missing = Path::new("does/not/exist.txt").display().to_string();
    let value = tree.json(&[
        "--tool",
        "Read",
        "--input",
        &json!({"file_path": missing}).to_string(),
    ])?;
    assert_eq!(value["decision"], "allow");
    Ok(())
}
