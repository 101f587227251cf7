//! Config: get, set and list over the settings files, merged or one scope;
//! bad keys, values that would break a file, and broken files.

use std::path::Path;

use ferrule_config::LoadOptions;
use ferrule_tool::{Tool, ToolContext};
use ferrule_tools::ConfigTool;
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

struct Fixture {
    _dir: tempfile::TempDir,
    project: std::path::PathBuf,
    user: std::path::PathBuf,
    tool: ConfigTool,
    ctx: ToolContext,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("proj");
    let user = dir.path().join("home/.qoder");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::create_dir_all(&user).unwrap();
    let mut load = LoadOptions::new(&project);
    load.user_dir = Some(user.clone());
    load.home = Some(dir.path().join("home"));
    load.env = Some(Default::default());
    let ctx = ToolContext::builder(&project).build().unwrap();
    Fixture {
        _dir: dir,
        project,
        user,
        tool: ConfigTool::new(load),
        ctx,
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

async fn call(f: &Fixture, input: Value) -> (String, Value) {
    let out = f.tool.call(input, &f.ctx).await.unwrap();
    (out.text_content(), out.structured)
}

#[tokio::test]
async fn get_and_list_read_merged_settings_or_one_file() {
    let f = fixture();
    write(
        &f.user.join("settings.json"),
        r#"{"model": "user-model", "env": {"A": "1"}}"#,
    );
    write(
        &f.project.join(".qoder/settings.local.json"),
        r#"{"model": "local-model"}"#,
    );
    let (_, merged) = call(&f, json!({"action": "get", "key": "model"})).await;
    assert_eq!(merged, json!({"success": true, "value": "local-model"}));
    let (_, user) = call(
        &f,
        json!({"action": "get", "key": "model", "scope": "user"}),
    )
    .await;
    assert_eq!(user, json!({"success": true, "value": "user-model"}));
    let (_, env) = call(&f, json!({"action": "get", "key": "env.A"})).await;
    assert_eq!(env["value"], "1");

    let (text, listed) = call(&f, json!({"action": "list", "scope": "user"})).await;
    assert_eq!(
        listed,
        json!({"success": true, "values": {"model": "user-model", "env.A": "1"}})
    );
    assert!(text.contains("env.A = \"1\""), "{text}");
    let (_, all) = call(&f, json!({"action": "list"})).await;
    assert_eq!(all["values"]["model"], "local-model");
    assert_eq!(all["values"]["env.A"], "1");

    let (text, missing) = call(&f, json!({"action": "get", "key": "nothing.here"})).await;
    assert_eq!(missing["success"], false);
    assert!(text.contains("`nothing.here` is not set"), "{text}");
}

#[tokio::test]
async fn set_writes_one_file_keeping_the_rest_and_null_removes() {
    let f = fixture();
    let local = f.project.join(".qoder/settings.local.json");
    write(&local, r#"{"permissions": {"allow": ["Read"]}}"#);
    let (text, out) = call(
        &f,
        json!({"action": "set", "key": "permissions.defaultMode", "value": "plan"}),
    )
    .await;
    assert_eq!(out, json!({"success": true, "value": "plan"}), "{text}");
    assert_eq!(
        read(&local),
        json!({"permissions": {"allow": ["Read"], "defaultMode": "plan"}})
    );

    call(
        &f,
        json!({"action": "set", "key": "env.X", "value": "y", "scope": "project"}),
    )
    .await;
    assert_eq!(
        read(&f.project.join(".qoder/settings.json")),
        json!({"env": {"X": "y"}})
    );
    call(
        &f,
        json!({"action": "set", "key": "model", "value": "m", "scope": "user"}),
    )
    .await;
    assert_eq!(read(&f.user.join("settings.json")), json!({"model": "m"}));

    let (_, removed) = call(
        &f,
        json!({"action": "set", "key": "permissions.defaultMode", "value": null}),
    )
    .await;
    assert_eq!(removed["success"], true);
    assert_eq!(read(&local), json!({"permissions": {"allow": ["Read"]}}));
}

#[tokio::test]
async fn bad_requests_say_what_is_wrong_and_change_nothing() {
    let f = fixture();
    let local = f.project.join(".qoder/settings.local.json");
    let before = r#"{"permissions": {"allow": ["Read"]}}"#;
    write(&local, before);
    let cases = [
        (
            json!({"action": "set", "key": "permissions.allow", "value": 3}),
            "would break the settings file",
        ),
        (json!({"action": "set", "key": "model"}), "needs a `value`"),
        (json!({"action": "get"}), "`get` needs a `key`"),
        (
            json!({"action": "set", "key": "a..b", "value": 1}),
            "a segment is empty",
        ),
    ];
    for (input, expected) in cases {
        let (text, out) = call(&f, input.clone()).await;
        assert_eq!(out["success"], false, "{input}");
        assert!(
            out["error"].as_str().unwrap_or_default().contains(expected),
            "{input}: {text}"
        );
    }
    assert_eq!(std::fs::read_to_string(&local).unwrap(), before);

    write(&local, "{ not json");
    let (text, out) = call(&f, json!({"action": "list", "scope": "local"})).await;
    assert_eq!(out["success"], false);
    assert!(text.contains("invalid JSON"), "{text}");
    let (_, out) = call(&f, json!({"action": "set", "key": "model", "value": "m"})).await;
    assert_eq!(out["success"], false);
    assert_eq!(std::fs::read_to_string(&local).unwrap(), "{ not json");

    let error = f
        .tool
        .call(json!({"action": "delete", "key": "model"}), &f.ctx)
        .await
        .unwrap_err();
    assert!(error.message().contains("action"), "{error:?}");
}

#[tokio::test]
async fn only_set_names_a_file_it_writes() {
    let f = fixture();
    let get = f
        .tool
        .targets(&json!({"action": "get", "key": "model"}), &f.ctx)
        .unwrap();
    assert!(get.is_empty());
    let set = f
        .tool
        .targets(
            &json!({"action": "set", "key": "model", "value": "m", "scope": "user"}),
            &f.ctx,
        )
        .unwrap();
    assert_eq!(
        set,
        vec![ferrule_tool::ToolTarget::Path {
            path: f.user.join("settings.json"),
            access: ferrule_tool::Access::Write,
        }]
    );
}
