//! Where servers come from: settings scopes, `.mcp.json` with approval,
//! `--mcp-config`, precedence, `${VAR}` expansion, and a server started
//! from such a config really seeing the expanded values.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::path::Path;

use ferrule_config::{LoadOptions, LoadedSettings, load};
use ferrule_mcp::{LoadRequest, ManagerOptions, McpManager, McpScope, TransportSpec, load_servers};
use serde_json::json;

struct Project {
    _dir: tempfile::TempDir,
    cwd: std::path::PathBuf,
    user: std::path::PathBuf,
}

fn project() -> Project {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path().join("proj");
    let user = dir.path().join("user");
    std::fs::create_dir_all(cwd.join(".qoder")).unwrap();
    std::fs::create_dir_all(&user).unwrap();
    Project {
        cwd,
        user,
        _dir: dir,
    }
}

fn write(path: &Path, value: serde_json::Value) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, serde_json::to_string_pretty(&value).unwrap()).unwrap();
}

fn settings(p: &Project, env: &HashMap<String, String>) -> LoadedSettings {
    let mut opts = LoadOptions::new(&p.cwd);
    opts.user_dir = Some(p.user.clone());
    opts.home = Some(p.user.join("home"));
    opts.env = Some(env.clone());
    load(&opts)
}

fn request(p: &Project, env: &HashMap<String, String>) -> LoadRequest {
    LoadRequest {
        cwd: p.cwd.clone(),
        env: Some(env.clone()),
        ..LoadRequest::default()
    }
}

#[test]
fn local_beats_project_beats_user_and_mcp_config_beats_all() {
    let p = project();
    let env = HashMap::new();
    write(
        &p.user.join("settings.json"),
        json!({"mcpServers": {"a": {"command": "user-a"}, "b": {"command": "user-b"}, "u": {"command": "u"}}}),
    );
    write(
        &p.cwd.join(".mcp.json"),
        json!({"mcpServers": {"a": {"command": "proj-a"}, "b": {"command": "proj-b"}}}),
    );
    write(
        &p.cwd.join(".qoder/settings.local.json"),
        json!({"mcpServers": {"a": {"command": "local-a"}}}),
    );
    let mut req = request(&p, &env);
    req.trust_project_servers = true;
    req.mcp_config =
        vec![r#"{"mcpServers": {"u": {"type": "http", "url": "http://127.0.0.1:1/mcp"}}}"#.into()];
    let loaded = load_servers(&req, &settings(&p, &env));
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let by_name: HashMap<_, _> = loaded
        .servers
        .iter()
        .map(|s| (s.name.as_str(), s))
        .collect();
    let command = |n: &str| match &by_name[n].transport {
        TransportSpec::Stdio { command, .. } => command.clone(),
        other => other.kind().to_owned(),
    };
    assert_eq!(command("a"), "local-a");
    assert_eq!(by_name["a"].scope, McpScope::Local);
    assert_eq!(command("b"), "proj-b");
    assert_eq!(by_name["b"].scope, McpScope::Project);
    assert_eq!(command("u"), "http");
    assert_eq!(by_name["u"].scope, McpScope::Dynamic);

    req.strict = true;
    let strict = load_servers(&req, &settings(&p, &env));
    assert_eq!(strict.servers.len(), 1);
    req.strict = false;
    req.allowed_server_names = Some(vec!["a".into()]);
    let filtered = load_servers(&req, &settings(&p, &env));
    let off: Vec<_> = filtered
        .servers
        .iter()
        .filter(|s| s.disabled.is_some())
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(off, ["b", "u"]);
}

#[test]
fn project_servers_need_approval_unless_trusted() {
    let p = project();
    let env = HashMap::new();
    write(
        &p.cwd.join(".mcp.json"),
        json!({"mcpServers": {"yes": {"command": "y"}, "no": {"command": "n"}, "new": {"command": "x"}}}),
    );
    let local = p.cwd.join(".qoder/settings.local.json");
    ferrule_mcp::set_project_choice(&local, "yes", true).unwrap();
    ferrule_mcp::set_project_choice(&local, "no", false).unwrap();
    // A shared project file cannot approve its own servers.
    write(
        &p.cwd.join(".qoder/settings.json"),
        json!({"enableAllProjectMcpServers": true}),
    );
    let loaded = load_servers(&request(&p, &env), &settings(&p, &env));
    let state: HashMap<_, _> = loaded
        .servers
        .iter()
        .map(|s| (s.name.as_str(), s.disabled.clone()))
        .collect();
    assert_eq!(state["yes"], None);
    assert!(state["no"].as_deref().unwrap().contains("rejected"));
    assert!(state["new"].as_deref().unwrap().contains("not approved"));
    assert_eq!(loaded.needs_approval, ["new"]);

    let mut trusted = request(&p, &env);
    trusted.trust_project_servers = true;
    let loaded = load_servers(&trusted, &settings(&p, &env));
    let enabled: Vec<_> = loaded
        .servers
        .iter()
        .filter(|s| s.disabled.is_none())
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(enabled, ["new", "yes"]);
    assert!(loaded.needs_approval.is_empty());
}

#[test]
fn bad_entries_are_reported_and_skipped() {
    let p = project();
    let env = HashMap::new();
    write(
        &p.cwd.join(".mcp.json"),
        json!({"mcpServers": {"ok": {"command": "x"}, "ws": {"type": "ws", "url": "ws://x"},
                              "unset": {"command": "${NOT_SET_ANYWHERE}"}}}),
    );
    let mut req = request(&p, &env);
    req.trust_project_servers = true;
    req.mcp_config = vec!["missing.json".into(), "{not json".into()];
    let loaded = load_servers(&req, &settings(&p, &env));
    let names: Vec<_> = loaded.servers.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["ok"]);
    let messages: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
    assert_eq!(messages.len(), 4, "{messages:#?}");
    assert!(
        messages
            .iter()
            .any(|m| m.contains("`ws`") && m.contains("WebSocket"))
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("`unset`") && m.contains("NOT_SET_ANYWHERE"))
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("missing.json") && m.contains("cannot read"))
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("--mcp-config") && m.contains("not valid JSON"))
    );
}

#[tokio::test]
async fn expanded_env_args_and_cwd_reach_the_server() {
    let Some(py) = common::python() else { return };
    let p = project();
    std::fs::create_dir_all(p.cwd.join("work")).unwrap();
    let env: HashMap<String, String> = [
        ("PY".to_owned(), py.display().to_string()),
        ("SECRET".to_owned(), "s3cr3t".to_owned()),
        ("SCRIPT".to_owned(), common::script("basic.py")),
    ]
    .into();
    write(
        &p.cwd.join(".mcp.json"),
        json!({"mcpServers": {"exp": {
            "command": "${PY}",
            "args": ["${SCRIPT}", "${MODE:-stdio}"],
            "env": {"TOKEN": "Bearer ${SECRET}", "OTHER": "${MISSING:-fallback}"},
            "cwd": "work"
        }}}),
    );
    let mut req = request(&p, &env);
    req.trust_project_servers = true;
    let loaded = load_servers(&req, &settings(&p, &env));
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let manager = McpManager::start(loaded.servers, ManagerOptions::default()).await;
    let ctx = common::ctx();
    let get = |name: &'static str| {
        let manager = manager.clone();
        let ctx = ctx.clone();
        async move {
            manager
                .call_tool("exp", "getenv", json!({"name": name}), &ctx)
                .await
                .unwrap()
                .text_content()
        }
    };
    assert_eq!(get("TOKEN").await, "Bearer s3cr3t");
    assert_eq!(get("OTHER").await, "fallback");
    let cwd = manager
        .call_tool("exp", "cwd", json!({}), &ctx)
        .await
        .unwrap()
        .text_content();
    assert_eq!(
        Path::new(&cwd).canonicalize().unwrap(),
        p.cwd.join("work").canonicalize().unwrap()
    );
    assert_eq!(manager.status()[0].scope.as_deref(), Some("project"));
}

#[tokio::test]
async fn plugin_servers_are_named_after_the_plugin_and_see_their_root() {
    let Some(py) = common::python() else { return };
    let p = project();
    let env = HashMap::new();
    let root = p.cwd.join("plugins/kit");
    std::fs::create_dir_all(root.join("data")).unwrap();
    // The user's own `basic` and the plugin's `basic` do not collide.
    write(
        &p.user.join("settings.json"),
        json!({"mcpServers": {"basic": {"command": "user-basic"}}}),
    );
    let mut req = request(&p, &env);
    req.plugins = vec![ferrule_mcp::PluginServers {
        plugin: "kit".to_owned(),
        root: root.clone(),
        servers: json!({
            "basic": {
                "command": py.display().to_string(),
                "args": [common::script("basic.py")],
                "env": {"KIT": "${QODER_PLUGIN_ROOT}/data"},
                "cwd": "data"
            },
            "broken": {"command": "x", "args": ["${NOT_SET}"]}
        }),
    }];
    let loaded = load_servers(&req, &settings(&p, &env));
    let names: Vec<&str> = loaded.servers.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["basic", "plugin:kit:basic"]);
    assert_eq!(loaded.errors.len(), 1, "{:?}", loaded.errors);
    assert_eq!(loaded.errors[0].server, "plugin:kit:broken");
    assert!(
        loaded.errors[0]
            .source_name
            .ends_with("plugins/kit/.mcp.json"),
        "{:?}",
        loaded.errors[0]
    );
    assert!(loaded.needs_approval.is_empty());
    let plugin = loaded.servers[1].clone();
    assert_eq!(plugin.scope, McpScope::Plugin);
    let manager = McpManager::start(vec![plugin], ManagerOptions::default()).await;
    let ctx = common::ctx();
    let got = manager
        .call_tool("plugin:kit:basic", "getenv", json!({"name": "KIT"}), &ctx)
        .await
        .unwrap()
        .text_content();
    assert_eq!(got, format!("{}/data", root.display()));
    let cwd = manager
        .call_tool("plugin:kit:basic", "cwd", json!({}), &ctx)
        .await
        .unwrap()
        .text_content();
    assert_eq!(
        Path::new(&cwd).canonicalize().unwrap(),
        root.join("data").canonicalize().unwrap()
    );
    let names: Vec<String> = manager
        .tools()
        .iter()
        .map(|t| t.name().to_owned())
        .collect();
    assert!(
        names.contains(&"mcp__plugin_kit_basic__echo".to_owned()),
        "{names:?}"
    );
    assert_eq!(manager.status()[0].scope.as_deref(), Some("plugin"));
}

#[test]
fn strict_mcp_config_leaves_plugin_servers_out() {
    let p = project();
    let env = HashMap::new();
    let mut req = request(&p, &env);
    req.strict = true;
    req.plugins = vec![ferrule_mcp::PluginServers {
        plugin: "kit".to_owned(),
        root: p.cwd.join("kit"),
        servers: json!({"basic": {"command": "x"}}),
    }];
    let loaded = load_servers(&req, &settings(&p, &env));
    assert!(loaded.servers.is_empty(), "{:?}", loaded.servers);
}

#[test]
fn a_subagents_mcp_servers_are_names_and_inline_configs() {
    use ferrule_mcp::{SubagentServer, subagent_servers};
    let env: HashMap<String, String> = [("TOKEN".to_owned(), "t".to_owned())].into();
    let lookup = |name: &str| env.get(name).cloned();
    let value = json!([
        "docs",
        {"scratch": {"command": "py", "args": ["s.py"], "env": {"T": "${TOKEN}"}, "cwd": "sub"}},
        {"web": {"type": "http", "url": "http://127.0.0.1:9/mcp"}, "bad": {"type": "ws", "url": "ws://x"}},
        {"unset": {"command": "${NOPE}"}},
        7
    ]);
    let base = Path::new("/agents");
    let (servers, errors) = subagent_servers(&value, "/agents/helper.md", base, &lookup);
    assert_eq!(servers.len(), 3, "{servers:?}");
    assert_eq!(servers[0], SubagentServer::Named("docs".to_owned()));
    let SubagentServer::Inline(scratch) = &servers[1] else {
        panic!("{servers:?}")
    };
    assert_eq!(scratch.name, "scratch");
    assert_eq!(scratch.scope, McpScope::Dynamic);
    let TransportSpec::Stdio { env, cwd, .. } = &scratch.transport else {
        panic!("{scratch:?}")
    };
    assert_eq!(env["T"], "t");
    assert_eq!(cwd.as_deref(), Some(Path::new("/agents/sub")));
    let SubagentServer::Inline(web) = &servers[2] else {
        panic!("{servers:?}")
    };
    assert_eq!(web.transport.kind(), "http");
    let failed: Vec<&str> = errors.iter().map(|e| e.server.as_str()).collect();
    assert_eq!(failed, ["bad", "unset", "*"], "{errors:?}");
    assert!(errors.iter().all(|e| e.source_name == "/agents/helper.md"));
    let (servers, errors) = subagent_servers(&json!(3), "a.md", base, &lookup);
    assert!(servers.is_empty());
    assert!(errors[0].message.contains("must be a list"), "{errors:?}");
}
