//! Transport conventions and the CRUD endpoints.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::common::Harness;

fn error_type(body: &Value) -> &str {
    body["error"]["type"].as_str().unwrap_or("")
}

#[tokio::test]
async fn auth_envelope_request_ids_and_routing() {
    let h = Harness::start().await;
    // No key, wrong key, x-api-key instead of Bearer: 401 with the envelope.
    for request in [
        h.client.get(h.url("/agents")),
        h.client.get(h.url("/agents")).bearer_auth("nope"),
        h.client
            .get(h.url("/agents"))
            .header("x-api-key", super::common::KEY),
        h.client.get(h.url("/sessions/sess_unknown")),
    ] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["type"], "error");
        assert_eq!(error_type(&body), "authentication_error");
        assert_eq!(body["error"]["message"], "Invalid API key or token.");
        assert_eq!(body["request_id"], id.as_str());
    }
    // A client request id is echoed.
    let response = h
        .client
        .get(h.url("/models"))
        .bearer_auth(super::common::KEY)
        .header("x-request-id", "req-42")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "req-42");
    // Unknown route 404, wrong method 405, trailing slash accepted.
    let (status, body) = h.get("/nothing-here").await;
    assert_eq!(
        (status, error_type(&body)),
        (StatusCode::NOT_FOUND, "not_found_error")
    );
    let (status, body) = h.delete("/agents").await;
    assert_eq!(
        (status, error_type(&body)),
        (StatusCode::METHOD_NOT_ALLOWED, "invalid_request_error")
    );
    let (status, _) = h.get("/agents/").await;
    assert_eq!(status, StatusCode::OK);
    // Models: tiers and the default.
    let (_, models) = h.get("/models").await;
    let ids: Vec<&str> = models["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"ultimate") && ids.contains(&"openai/fake-model"),
        "{ids:?}"
    );
    assert_eq!(models["has_more"], false);
}

#[tokio::test]
async fn bad_bodies_get_400_and_change_nothing() {
    let h = Harness::start().await;
    let raw = |body: &'static str| h.client.post(h.url("/agents")).body(body);
    let (status, body) = h.send(raw("{not json")).await;
    assert_eq!(
        (status, error_type(&body)),
        (StatusCode::BAD_REQUEST, "invalid_request_error")
    );
    let (status, _) = h.send(raw("[1, 2]")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Form-encoded content type is still read as JSON (curl -d).
    let (status, agent) = h
        .send(
            h.client
                .post(h.url("/agents"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(r#"{"name":"a","model":"ultimate"}"#),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{agent}");
    let big = format!(
        r#"{{"name":"{}","model":"x"}}"#,
        "a".repeat(5 * 1024 * 1024)
    );
    let (status, _) = h.send(h.client.post(h.url("/agents")).body(big)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    for (body, param) in [
        (json!({"model": "ultimate"}), "name"),
        (json!({"name": "a"}), "model"),
        (json!({"name": 5, "model": "ultimate"}), "name"),
        (json!({"name": "a", "model": ""}), "model"),
        (
            json!({"name": "a", "model": "ultimate", "tools": "Bash"}),
            "tools",
        ),
        (
            json!({"name": "a", "model": "ultimate", "tools": [{"type": "agent_toolset_20260401", "enabled_tools": ["Foo"]}]}),
            "tools[0].enabled_tools",
        ),
        (
            json!({"name": "a", "model": "ultimate", "metadata": {"k": 1}}),
            "metadata.k",
        ),
    ] {
        let (status, error) = h.post("/agents", body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error["error"]["param"], param, "{error}");
    }
    let (_, list) = h.get("/agents").await;
    assert_eq!(
        list["data"].as_array().unwrap().len(),
        1,
        "only the one good agent exists"
    );
}

#[tokio::test]
async fn environments_crud_default_and_delete_conflict() {
    let h = Harness::start().await;
    let (_, list) = h.get("/environments").await;
    let default = &list["data"][0];
    assert_eq!(default["name"], "default");
    assert_eq!(
        default["config"]["networking"],
        json!({"type": "unrestricted", "allowed_hosts": [], "allow_package_managers": false, "allow_mcp_servers": false})
    );
    assert_eq!(
        default["config"]["packages"],
        json!({"type": "packages", "apt": [], "npm": [], "pip": []})
    );
    let env = h.ok("/environments", json!({"name": "e2", "config": {"type": "cloud", "packages": {"apt": ["curl"]}}, "metadata": {"a": "1"}})).await;
    assert_eq!(env["config"]["networking"]["type"], "limited");
    let id = env["id"].as_str().unwrap();
    assert!(id.starts_with("env_") && id.len() == 36);
    let (status, _) = h
        .post(
            "/environments",
            json!({"name": "x", "config": {"type": "cloud", "networking": "unrestricted"}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let updated = h
        .ok(
            &format!("/environments/{id}"),
            json!({"description": "d", "metadata": {"a": null, "b": "2"}}),
        )
        .await;
    assert_eq!(updated["metadata"], json!({"b": "2"}));
    assert_eq!(updated["name"], "e2");
    // In use → 409; archived → hidden from the list and refuses sessions.
    let agent = h.agent(json!([])).await;
    h.ok("/sessions", json!({"agent": agent, "environment_id": id}))
        .await;
    let (status, body) = h.delete(&format!("/environments/{id}")).await;
    assert_eq!(
        (status, error_type(&body)),
        (StatusCode::CONFLICT, "invalid_request_error")
    );
    let archived = h
        .ok(&format!("/environments/{id}/archive"), json!({}))
        .await;
    assert!(archived["archived_at"].is_string());
    let (status, _) = h
        .post("/sessions", json!({"agent": agent, "environment_id": id}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, list) = h.get("/environments").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    let (_, list) = h.get("/environments?include_archived=true").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
    // An unused environment deletes; then 404.
    let spare = h
        .ok(
            "/environments",
            json!({"name": "spare", "config": {"type": "self_hosted"}}),
        )
        .await;
    let spare = spare["id"].as_str().unwrap();
    let (status, body) = h.delete(&format!("/environments/{spare}")).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::OK,
            json!({"id": spare, "type": "environment_deleted"})
        )
    );
    let (status, body) = h.get(&format!("/environments/{spare}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body["error"]["message"],
        format!("Environment '{spare}' was not found.")
    );
}

#[tokio::test]
async fn agents_versions_occ_archive_and_pagination() {
    let h = Harness::start().await;
    let agent = h
        .ok(
            "/agents",
            json!({"name": "a", "model": "ultimate", "tools": [{"type": "bash_20250124"}]}),
        )
        .await;
    let id = agent["id"].as_str().unwrap();
    assert_eq!(agent["version"], 1);
    assert_eq!(agent["tools"], json!([{"type": "bash_20250124"}]));
    assert_eq!(agent["multiagent"], Value::Null);
    let (status, body) = h.post(&format!("/agents/{id}"), json!({"name": "b"})).await;
    assert_eq!(
        (status, body["error"]["message"].as_str()),
        (
            StatusCode::BAD_REQUEST,
            Some("Field 'version' is required.")
        )
    );
    let v2 = h
        .ok(
            &format!("/agents/{id}"),
            json!({"version": 1, "name": "b", "metadata": {"k": "v"}}),
        )
        .await;
    assert_eq!(
        (v2["version"].as_i64(), v2["name"].as_str()),
        (Some(2), Some("b"))
    );
    let (status, body) = h
        .post(&format!("/agents/{id}"), json!({"version": 1, "name": "c"}))
        .await;
    assert_eq!(
        (status, error_type(&body)),
        (StatusCode::CONFLICT, "conflict_error")
    );
    assert_eq!(
        body["error"]["message"],
        "Version conflict. Expected version 2, got 1."
    );
    let (_, v1) = h.get(&format!("/agents/{id}?version=1")).await;
    assert_eq!(
        (v1["name"].as_str(), v1["version"].as_i64()),
        (Some("a"), Some(1))
    );
    let (status, _) = h.get(&format!("/agents/{id}?version=9")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = h.get(&format!("/agents/{id}?version=zero")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, versions) = h.get(&format!("/agents/{id}/versions?limit=1")).await;
    assert_eq!(
        (
            versions["first_id"].as_str(),
            versions["has_more"].as_bool(),
            versions["next_page"].as_str()
        ),
        (Some("2"), Some(true), Some("2"))
    );
    let (_, rest) = h
        .get(&format!("/agents/{id}/versions?limit=1&page=2"))
        .await;
    assert_eq!(
        (
            rest["data"][0]["version"].as_i64(),
            rest["has_more"].as_bool()
        ),
        (Some(1), Some(false))
    );
    assert_eq!(rest["next_page"], Value::Null);
    // Pagination of agents: newest first, page by next_page, back with before_id.
    let mut ids = vec![id.to_owned()];
    for n in 0..4 {
        let agent = h
            .ok("/agents", json!({"name": format!("n{n}"), "model": "m"}))
            .await;
        ids.push(agent["id"].as_str().unwrap().to_owned());
    }
    ids.reverse();
    let mut seen = Vec::new();
    let mut query = "/agents?limit=2".to_owned();
    loop {
        let (_, page) = h.get(&query).await;
        seen.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].as_str().unwrap().to_owned()),
        );
        assert_eq!(page["first_id"], page["data"][0]["id"]);
        match page["next_page"].as_str() {
            Some(next) => query = format!("/agents?limit=2&page={next}"),
            None => break,
        }
    }
    assert_eq!(seen, ids);
    let (_, back) = h
        .get(&format!("/agents?limit=2&before_id={}", ids[3]))
        .await;
    let back_ids: Vec<&str> = back["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(back_ids, [ids[1].as_str(), ids[2].as_str()]);
    assert_eq!(back["has_more"], true);
    for bad in [
        "limit=0",
        "limit=101",
        "limit=x",
        "page=agent_nope",
        "page=a&after_id=b",
    ] {
        let (status, _) = h.get(&format!("/agents?{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
    // Archive: hidden from the list, still readable, no new version, no new sessions.
    let archived = h.ok(&format!("/agents/{id}/archive"), json!({})).await;
    assert_eq!(archived["version"], 2);
    let (_, list) = h.get("/agents?limit=100").await;
    assert!(
        !list["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == id)
    );
    let env = h.default_env().await;
    let (status, _) = h
        .post("/sessions", json!({"agent": id, "environment_id": env}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn sessions_lifecycle() {
    let h = Harness::start().await;
    let agent = h.agent(json!([{"type": "agent_toolset_20260401"}])).await;
    let env = h.default_env().await;
    let session = h.ok("/sessions", json!({"agent": agent, "environment_id": env, "title": "t", "environment_variables": "A=1;B=2"})).await;
    let id = session["id"].as_str().unwrap();
    assert!(id.starts_with("sess_"));
    assert_eq!(session["status"], "idle");
    assert_eq!(session["agent"]["model"], json!({"id": "ultimate"}));
    assert_eq!(session["agent"]["version"], 1);
    assert!(session["agent"].get("metadata").is_none() && session.get("agent_id").is_none());
    assert_eq!(
        session["environment_variables"],
        json!({"A": "1", "B": "2"})
    );
    assert_eq!(session["stats"]["active_seconds"], 0.0);
    for (body, code) in [
        (
            json!({"agent": "agent_missing", "environment_id": env}),
            StatusCode::NOT_FOUND,
        ),
        (
            json!({"agent": "nope", "environment_id": env}),
            StatusCode::NOT_FOUND,
        ),
        (
            json!({"agent": agent, "environment_id": "env_missing"}),
            StatusCode::NOT_FOUND,
        ),
        (
            json!({"agent": {"id": agent}, "environment_id": env}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"agent": agent, "environment_id": env, "vaults": []}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"agent": agent, "environment_id": env, "environment_variables": "QODER_X=1"}),
            StatusCode::BAD_REQUEST,
        ),
        (json!({"environment_id": env}), StatusCode::BAD_REQUEST),
    ] {
        let (status, error) = h.post("/sessions", body.clone()).await;
        assert_eq!(status, code, "{body} → {error}");
    }
    // Pinned version: updating the agent leaves the session's snapshot alone.
    h.ok(
        &format!("/agents/{agent}"),
        json!({"version": 1, "system": "changed"}),
    )
    .await;
    let (_, got) = h.get(&format!("/sessions/{id}")).await;
    assert_eq!(got["agent"]["system"], "be brief");
    let pinned = h
        .ok(
            "/sessions",
            json!({"agent": {"type": "agent", "id": agent, "version": 1}, "environment_id": env}),
        )
        .await;
    assert_eq!(pinned["agent"]["version"], 1);
    // Update: title clear, metadata patch, agent tools; vault_ids refused.
    let updated = h
        .ok(
            &format!("/sessions/{id}"),
            json!({"title": null, "metadata": {"k": "v"}, "agent": {"tools": []}}),
        )
        .await;
    assert_eq!(
        (
            updated["title"].clone(),
            updated["metadata"].clone(),
            updated["agent"]["tools"].clone()
        ),
        (Value::Null, json!({"k": "v"}), json!([]))
    );
    let (status, _) = h
        .post(&format!("/sessions/{id}"), json!({"vault_ids": []}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = h
        .post(
            &format!("/sessions/{id}"),
            json!({"agent": {"system": "x"}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let events = h.events(id).await;
    assert_eq!(events.last().unwrap()["type"], "session.updated");
    // Lists: filters by status and agent, order.
    let (_, list) = h
        .get(&format!(
            "/sessions?agent_id={agent}&statuses[]=idle&order=asc"
        ))
        .await;
    let ids: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [id, pinned["id"].as_str().unwrap()]);
    let (_, none) = h.get("/sessions?statuses=running").await;
    assert_eq!(none["data"], json!([]));
    let (status, _) = h.get("/sessions?order=sideways").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Cancel with nothing live: 200 canceling.
    let (status, body) = h.post(&format!("/sessions/{id}/cancel"), json!({})).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::OK,
            json!({"id": id, "type": "session", "status": "canceling"})
        )
    );
    // Archive: readable, refuses events with 409.
    let archived = h.ok(&format!("/sessions/{id}/archive"), json!({})).await;
    assert_eq!(
        (
            archived["status"].as_str(),
            archived["archived_at"].is_string()
        ),
        (Some("idle"), true)
    );
    let (status, body) = h
        .post(
            &format!("/sessions/{id}/events"),
            json!({"type": "user.message", "content": "hi"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["message"].as_str()),
        (StatusCode::CONFLICT, Some("Session is archived."))
    );
    // Delete: then 404, and its events list is empty (200).
    let (status, body) = h.delete(&format!("/sessions/{id}")).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"id": id, "type": "session_deleted"}))
    );
    let (status, _) = h.get(&format!("/sessions/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, list) = h.get(&format!("/sessions/{id}/events")).await;
    assert_eq!((status, list["data"].clone()), (StatusCode::OK, json!([])));
}

#[tokio::test]
async fn event_validation() {
    let h = Harness::start().await;
    let id = h.session(json!([])).await;
    let path = format!("/sessions/{id}/events");
    for body in [
        json!({"events": []}),
        json!({"events": [{"type": "user.message", "content": ""}]}),
        json!({"events": [{"type": "user.message", "content": []}]}),
        json!({"events": [{"type": "user.message", "content": [{"type": "text"}]}]}),
        json!({"events": [{"type": "bogus"}]}),
        json!({"events": [{"type": "system.message", "content": [{"type": "text", "text": "x"}]}]}),
        json!({"events": [{"type": "user.message", "content": "a"}, {"type": "system.message", "content": "x"}]}),
        json!({"events": [{"type": "user.tool_confirmation", "tool_use_id": "evt_x", "result": "maybe"}]}),
        json!({"events": [{"type": "user.define_outcome", "description": "d", "rubric": {"type": "text"}}]}),
        json!({"nothing": true}),
    ] {
        let (status, error) = h.post(&path, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {error}");
    }
    let (status, error) = h.post(&path, json!({"events": [{"type": "user.tool_confirmation", "tool_use_id": "evt_x", "result": "allow"}]})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{error}");
    assert!(
        h.events(&id).await.is_empty(),
        "rejected batches store nothing"
    );
    // An interrupt on an idle session is stored and does nothing else.
    let sent = h
        .ok(&path, json!({"events": [{"type": "user.interrupt"}]}))
        .await;
    assert_eq!(sent["data"][0]["session_thread_id"], Value::Null);
    assert!(sent["data"][0]["id"].as_str().unwrap().starts_with("evt_"));
    assert!(sent["data"][0]["processed_at"].is_string());
    let (_, list) = h
        .get(&format!("{path}?types=user.interrupt,session.error"))
        .await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    let (status, _) = h
        .get(&format!("/sessions/{id}/events?created_at[gte]=notatime"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn restart_keeps_everything_and_the_default_environment_once() {
    let mut h = Harness::start().await;
    h.model
        .mount(ferrule_test_support::openai::text_reply("Remembered."));
    let id = h.session(json!([])).await;
    h.say(&id, "remember 7").await;
    let before = h.wait_for_stop(&id, "end_turn", 1).await;
    let (_, agents_before) = h.get("/agents").await;
    h.restart().await;
    assert_eq!(h.events(&id).await, before);
    let (_, agents_after) = h.get("/agents").await;
    assert_eq!(agents_after, agents_before);
    let (_, envs) = h.get("/environments").await;
    assert_eq!(envs["data"].as_array().unwrap().len(), 1);
    // The next turn sees the earlier exchange.
    h.model
        .mount(ferrule_test_support::openai::text_reply("It was 7."));
    h.say(&id, "what was it?").await;
    h.wait_for_stop(&id, "end_turn", 2).await;
    let requests = h.model.requests();
    let last = requests.last().unwrap().body.to_string();
    assert!(
        last.contains("remember 7") && last.contains("Remembered."),
        "{last}"
    );
}

#[tokio::test]
async fn idempotency_keys_replay_and_refuse_other_bodies() {
    let h = Harness::start().await;
    let post = |body: Value, key: &str| {
        h.client
            .post(h.url("/agents"))
            .header("Idempotency-Key", key)
            .json(&body)
    };
    let body = json!({"name": "once", "model": "ultimate"});
    let (status, first) = h.send(post(body.clone(), "k-1")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, again) = h.send(post(body.clone(), "k-1")).await;
    assert_eq!((status, &again), (StatusCode::OK, &first));
    let (status, error) = h
        .send(post(json!({"name": "other", "model": "ultimate"}), "k-1"))
        .await;
    assert_eq!(
        (status, error_type(&error)),
        (StatusCode::CONFLICT, "conflict_error")
    );
    let (_, list) = h.get("/agents").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    // A failed request is not remembered.
    let (status, _) = h.send(post(json!({"name": "bad"}), "k-2")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = h.send(post(body, "k-2")).await;
    assert_eq!(status, StatusCode::OK);
}
