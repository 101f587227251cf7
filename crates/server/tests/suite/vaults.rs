//! Vaults and credentials; secrets never come back and environment
//! credentials reach the session's tools.

use reqwest::StatusCode;
use serde_json::json;

use super::common::Harness;
use ferrule_test_support::openai;

#[tokio::test]
async fn vault_credentials_are_sealed_sanitized_and_exported() {
    let h = Harness::start().await;
    let vault = h
        .ok(
            "/vaults",
            json!({"display_name": "prod", "metadata": {"team": "a"}}),
        )
        .await;
    assert_eq!(vault["credentials"], json!([]));
    let vid = vault["id"].as_str().unwrap();
    assert!(vid.starts_with("vault_"));
    let base = format!("/vaults/{vid}/credentials");
    let bearer = h.ok(&base, json!({"auth": {"type": "static_bearer", "mcp_server_url": "https://mcp.example/x", "token": "tok-SECRET-1"}})).await;
    assert!(bearer["id"].as_str().unwrap().starts_with("vcred_"));
    assert_eq!(
        bearer["auth"],
        json!({"type": "static_bearer", "mcp_server_url": "https://mcp.example/x"})
    );
    let (status, _) = h.post(&base, json!({"auth": {"type": "static_bearer", "mcp_server_url": "https://mcp.example/x", "token": "t2"}})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = h
        .post(
            &base,
            json!({"auth": {"type": "static_bearer", "mcp_server_url": "https://mcp.example/y"}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let env = h.ok(&base, json!({"auth": {"type": "environment_variable", "secret_name": "DEPLOY_TOKEN", "secret_value": "env-SECRET-2"}})).await;
    assert_eq!(
        env["auth"],
        json!({"type": "environment_variable", "secret_name": "DEPLOY_TOKEN", "networking": {}})
    );
    // Nothing in any response or on disk in clear.
    let (_, listed) = h.get(&base).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 2);
    assert!(!listed.to_string().contains("SECRET"));
    let db = std::fs::read(h.dir.path().join("data/ferrule-server.db")).unwrap();
    assert!(!db.windows(6).any(|w| w == b"SECRET"));
    // Rotation keeps the type; metadata patch.
    let bid = bearer["id"].as_str().unwrap();
    let rotated = h
        .ok(
            &format!("{base}/{bid}"),
            json!({"auth": {"token": "tok-3"}, "metadata": {"k": "v"}}),
        )
        .await;
    assert_eq!(
        (
            rotated["metadata"].clone(),
            rotated["auth"].get("token").is_none()
        ),
        (json!({"k": "v"}), true)
    );
    // A session with the vault gets DEPLOY_TOKEN in its shell.
    h.model.mount(openai::tool_calls_reply(
        &[(
            "c1",
            "Bash",
            r#"{"command": "printf %s \"$DEPLOY_TOKEN\" > token.txt"}"#,
        )],
        1,
    ));
    h.model.mount(openai::text_reply("done"));
    let agent = h.agent(json!([{"type": "agent_toolset_20260401"}])).await;
    let envid = h.default_env().await;
    let (status, _) = h
        .post(
            "/sessions",
            json!({"agent": agent, "environment_id": envid, "vault_ids": ["vault_missing"]}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let session = h
        .ok(
            "/sessions",
            json!({"agent": agent, "environment_id": envid, "vault_ids": [vid]}),
        )
        .await;
    assert_eq!(session["vault_ids"], json!([vid]));
    let sid = session["id"].as_str().unwrap();
    h.say(sid, "use the token").await;
    h.wait_for_stop(sid, "end_turn", 1).await;
    let written = std::fs::read_to_string(
        h.dir
            .path()
            .join("data/workspaces")
            .join(sid)
            .join("token.txt"),
    )
    .unwrap();
    assert_eq!(written, "env-SECRET-2");
    // Archive twice → 409; delete; vault delete.
    let eid = env["id"].as_str().unwrap();
    h.ok(&format!("{base}/{eid}/archive"), json!({})).await;
    let (status, _) = h.post(&format!("{base}/{eid}/archive"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, active) = h.get(&base).await;
    assert_eq!(active["data"].as_array().unwrap().len(), 1);
    let (status, body) = h.delete(&format!("{base}/{bid}")).await;
    assert_eq!(
        (status, body["type"].as_str()),
        (StatusCode::OK, Some("vault_credential_deleted"))
    );
    let (_, body) = h.delete(&format!("/vaults/{vid}")).await;
    assert_eq!(body["type"], "vault_deleted");
    let (status, _) = h.get(&format!("/vaults/{vid}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
