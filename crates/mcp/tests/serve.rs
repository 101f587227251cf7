//! `ferrule mcp serve`'s handler driven by rmcp's own client over an
//! in-memory pipe: tool listing, allowed, denied and ask-refused calls.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use ferrule_permissions::{Behavior, Policy, RuleSource};
use ferrule_tool::ToolRegistry;
use ferrule_tools::{BuiltinOptions, builtin_tools};
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use serde_json::{Value, json};

fn params(name: &str, args: Value) -> CallToolRequestParams {
    serde_json::from_value(json!({"name": name, "arguments": args})).unwrap()
}

fn text(result: &rmcp::model::CallToolResult) -> String {
    let v = serde_json::to_value(result).unwrap();
    v["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["text"].as_str())
        .collect::<Vec<_>>()
        .join("")
}

#[tokio::test]
async fn rmcp_client_uses_ferrule_tools_under_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path().canonicalize().unwrap();
    std::fs::write(cwd.join("notes.txt"), "hello\n").unwrap();
    let mut registry = ToolRegistry::new();
    for tool in builtin_tools(&BuiltinOptions::default()) {
        registry.register_arc(tool).unwrap();
    }
    let source = RuleSource {
        path: None,
        root: cwd.clone(),
    };
    let policy = Policy::builder(&cwd, cwd.join("home"))
        .rules(Behavior::Deny, ["Write"], source.clone())
        .rules(Behavior::Allow, ["Bash(echo:*)"], source)
        .build();
    let server = ferrule_mcp::ToolServer::new(registry, policy, &cwd);

    let (server_io, client_io) = tokio::io::duplex(1 << 16);
    let running = tokio::spawn(async move {
        let service = server.serve(server_io).await.expect("handshake");
        service.waiting().await.expect("served");
    });
    let client = ().serve(client_io).await.expect("client handshake");
    let info = client.peer().peer_info().expect("server info");
    assert_eq!(
        info.server_info.as_ref().map(|i| i.name.as_str()),
        Some("ferrule")
    );
    let tools = client.peer().list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    for name in ["Read", "Write", "Edit", "Glob", "Grep", "Bash"] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    let read = tools.iter().find(|t| t.name == "Read").unwrap();
    assert_eq!(
        read.annotations.as_ref().and_then(|a| a.read_only_hint),
        Some(true)
    );
    assert!(read.input_schema.contains_key("properties"));

    // Read is allowed by default inside the project.
    let out = client
        .peer()
        .call_tool(params("Read", json!({"file_path": "notes.txt"})))
        .await
        .unwrap();
    assert_eq!(out.is_error, Some(false));
    assert!(text(&out).contains("hello"), "{}", text(&out));

    // A deny rule.
    let out = client
        .peer()
        .call_tool(params(
            "Write",
            json!({"file_path": "x.txt", "content": "x"}),
        ))
        .await
        .unwrap();
    assert_eq!(out.is_error, Some(true));
    assert!(text(&out).contains("denied"), "{}", text(&out));
    assert!(!cwd.join("x.txt").exists());

    // An allow rule, and an ask that nobody can answer.
    let out = client
        .peer()
        .call_tool(params("Bash", json!({"command": "echo served"})))
        .await
        .unwrap();
    assert_eq!(out.is_error, Some(false), "{}", text(&out));
    assert!(text(&out).contains("served"));
    let out = client
        .peer()
        .call_tool(params("Bash", json!({"command": "touch made"})))
        .await
        .unwrap();
    assert_eq!(out.is_error, Some(true));
    assert!(text(&out).contains("cannot ask"), "{}", text(&out));
    assert!(!cwd.join("made").exists());

    // Unknown tools and bad input are error results, not protocol failures.
    let out = client
        .peer()
        .call_tool(params("Nope", json!({})))
        .await
        .unwrap();
    assert_eq!(out.is_error, Some(true));
    let out = client
        .peer()
        .call_tool(params("Read", json!({})))
        .await
        .unwrap();
    assert_eq!(out.is_error, Some(true));
    assert!(text(&out).contains("file_path"), "{}", text(&out));

    client.cancel().await.unwrap();
    running.await.unwrap();
}
