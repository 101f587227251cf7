//! Dreams (§13): a scripted consolidation agent reads a session and
//! rewrites a clone of the memory store; cancel, archive, single-flight.

use std::time::Duration;

use ferrule_test_support::openai;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::common::Harness;

async fn store_with(h: &Harness, entries: &[(&str, &str)]) -> String {
    let (status, store) = h
        .post(
            "/memory_stores",
            json!({"name": "team", "description": "prefs"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = store["id"].as_str().unwrap().to_owned();
    for (path, content) in entries {
        let (status, body) = h
            .post(
                &format!("/memory_stores/{id}/memories"),
                json!({"path": path, "content": content}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    id
}

async fn contents(h: &Harness, store: &str) -> Vec<(String, String)> {
    let (_, list) = h
        .get(&format!(
            "/memory_stores/{store}/memories?view=full&limit=100"
        ))
        .await;
    let mut out: Vec<(String, String)> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_owned(),
                e["content"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

async fn wait_for_status(h: &Harness, id: &str, wanted: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (status, dream) = h.get(&format!("/dreams/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        if dream["status"] == wanted {
            return dream;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "dream never became {wanted}: {dream:#}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_dream_consolidates_a_clone_and_leaves_the_input_alone() {
    let h = Harness::start().await;
    h.model.mount(openai::text_reply("Noted: dark mode."));
    let reviewed = h.session(json!([])).await;
    h.say(&reviewed, "I always want dark mode and tabs.").await;
    h.wait_for_stop(&reviewed, "end_turn", 1).await;
    let input = store_with(
        &h,
        &[
            ("prefs.md", "Likes light mode."),
            ("old.md", "Uses Python 2."),
            ("keep.md", "Team: platform."),
        ],
    )
    .await;
    let before = contents(&h, &input).await;

    let read = format!(r#"{{"session_id": "{reviewed}"}}"#);
    h.model
        .mount(openai::tool_calls_reply(&[("c1", "session_list", "{}")], 1))
        .mount(openai::tool_calls_reply(
            &[("c2", "session_read", &read)],
            2,
        ))
        .mount(openai::tool_calls_reply(
            &[("c3", "memory", r#"{"command": "read", "path": "prefs.md"}"#)],
            1,
        ))
        .mount(openai::tool_calls_reply(
            &[
                (
                    "c4",
                    "memory",
                    r#"{"command": "write", "path": "prefs.md", "content": "Dark mode, tabs."}"#,
                ),
                ("c5", "memory", r#"{"command": "delete", "path": "old.md"}"#),
            ],
            1,
        ))
        .mount(openai::text_reply("Merged preferences, dropped old.md."));
    let (status, dream) = h
        .post(
            "/dreams",
            json!({"inputs": [{"type": "memory_store", "memory_store_id": input},
                              {"type": "sessions", "session_ids": [reviewed]}],
                   "model": "auto", "instructions": "Focus on editor preferences"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{dream}");
    let id = dream["id"].as_str().unwrap();
    assert!(id.starts_with("drm_") && id.len() == 36);
    assert_eq!(dream["type"], "dream");
    assert_eq!(dream["status"], "pending");
    assert_eq!(dream["outputs"], json!([]));
    assert_eq!(dream["model"], json!({"id": "auto"}));
    assert_eq!(dream["error"], Value::Null);
    assert_eq!(dream["ended_at"], Value::Null);

    let done = wait_for_status(&h, id, "completed").await;
    assert!(!done["ended_at"].is_null());
    let output = &done["outputs"][0];
    assert_eq!(output["type"], "memory_store");
    let output_id = output["memory_store_id"].as_str().unwrap();
    assert_ne!(output_id, input);
    assert_eq!(output["files_touched"], json!(["old.md", "prefs.md"]));
    assert_eq!(done["usage"]["input_tokens"], 50, "{done}");
    assert_eq!(done["usage"]["output_tokens"], 25);
    assert_eq!(done["usage"]["cache_read_input_tokens"], 0);

    assert_eq!(
        contents(&h, &input).await,
        before,
        "the input store changed"
    );
    assert_eq!(
        contents(&h, output_id).await,
        [
            ("keep.md".to_owned(), "Team: platform.".to_owned()),
            ("prefs.md".to_owned(), "Dark mode, tabs.".to_owned()),
        ]
    );

    // The agent saw only its three tools, the transcript and the memory.
    let requests = h.model.requests();
    let dream_requests = &requests[requests.len() - 5..];
    let mut offered: Vec<String> = dream_requests[0].body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap().to_owned())
        .collect();
    offered.sort();
    assert_eq!(offered, ["memory", "session_list", "session_read"]);
    let text = |i: usize| dream_requests[i].body["messages"].to_string();
    assert!(text(0).contains("Focus on editor preferences"));
    assert!(text(1).contains(&reviewed), "session_list result missing");
    assert!(text(2).contains("dark mode and tabs"), "transcript missing");
    assert!(text(3).contains("Likes light mode."), "memory read missing");

    // The dreaming session is hidden from lists but readable.
    let session_id = done["session_id"].as_str().unwrap();
    let (_, sessions) = h.get("/sessions?limit=100").await;
    assert!(
        sessions["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["id"] != session_id)
    );
    let (status, _) = h.get(&format!("/sessions/{session_id}")).await;
    assert_eq!(status, StatusCode::OK);

    let (status, _) = h.post(&format!("/dreams/{id}/cancel"), json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let archived = h.ok(&format!("/dreams/{id}/archive"), json!({})).await;
    assert!(!archived["archived_at"].is_null());
    let again = h.ok(&format!("/dreams/{id}/archive"), json!({})).await;
    assert_eq!(again["archived_at"], archived["archived_at"]);
    let (_, list) = h.get("/dreams").await;
    assert_eq!(list["data"], json!([]));
    let (_, list) = h
        .get("/dreams?include_archived=true&statuses[]=completed")
        .await;
    assert_eq!(list["data"][0]["id"], id);
}

#[tokio::test]
async fn one_active_dream_at_a_time_and_cancel() {
    let h = Harness::start().await;
    let input = store_with(&h, &[("a.md", "alpha")]).await;
    // The model never answers, so the dream stays running.
    h.model.mount(openai::text_reply("never").stall());
    let body = json!({"inputs": [{"type": "memory_store", "memory_store_id": input}]});
    let (status, dream) = h.post("/dreams", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = dream["id"].as_str().unwrap();
    wait_for_status(&h, id, "running").await;

    let (status, error) = h.post("/dreams", body.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_eq!(error["error"]["type"], "invalid_request_error");
    let (status, _) = h.post(&format!("/dreams/{id}/archive"), json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let canceled = h.ok(&format!("/dreams/{id}/cancel"), json!({})).await;
    assert_eq!(canceled["status"], "canceled");
    assert!(!canceled["ended_at"].is_null());
    let again = h.ok(&format!("/dreams/{id}/cancel"), json!({})).await;
    assert_eq!(again["status"], "canceled");
    // It stays canceled once its run notices.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (_, after) = h.get(&format!("/dreams/{id}")).await;
    assert_eq!(after["status"], "canceled");
    assert_eq!(after["outputs"], json!([]));
    h.ok(&format!("/dreams/{id}/archive"), json!({})).await;
    let (_, list) = h
        .get("/dreams?include_archived=true&statuses=canceled")
        .await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn bad_dream_requests() {
    let h = Harness::start().await;
    let input = store_with(&h, &[]).await;
    let store = |id: &str| json!({"type": "memory_store", "memory_store_id": id});
    let many: Vec<String> = (0..101).map(|i| format!("sess_{i}")).collect();
    let cases = [
        (json!({}), StatusCode::BAD_REQUEST),
        (json!({"inputs": []}), StatusCode::BAD_REQUEST),
        (
            json!({"inputs": [{"type": "sessions", "session_ids": []}]}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"inputs": [store(&input), store(&input)]}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"inputs": [store(&input), {"type": "sessions", "session_ids": many}]}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"inputs": [store(&input)], "model": "huge"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"inputs": [store(&input)], "instructions": "x".repeat(4097)}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"inputs": [store("memstore_missing")]}),
            StatusCode::NOT_FOUND,
        ),
        (
            json!({"inputs": [store(&input), {"type": "sessions", "session_ids": ["sess_missing"]}]}),
            StatusCode::NOT_FOUND,
        ),
    ];
    for (body, status) in cases {
        let (got, error) = h.post("/dreams", body.clone()).await;
        assert_eq!(got, status, "{body} → {error}");
    }
    let (status, _) = h.get("/dreams/drm_missing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = h.post("/dreams/drm_missing/cancel", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = h.get("/dreams?statuses=sleeping").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = h.get("/dreams?limit=101").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_dream_left_running_by_a_dead_process_fails_and_unblocks() {
    let h = Harness::start().await;
    let input = store_with(&h, &[("a.md", "alpha")]).await;
    // What a replica that died mid-dream leaves behind: running, and no
    // heartbeat for a long time.
    let id = format!("drm_{}", uuid::Uuid::now_v7().simple());
    let body = json!({
        "id": id, "type": "dream", "status": "running",
        "inputs": [{"type": "memory_store", "memory_store_id": input}],
        "outputs": [], "model": {"id": "auto"}, "instructions": "",
        "session_id": null, "error": null, "ended_at": null, "archived_at": null,
        "usage": {"input_tokens": 0, "output_tokens": 0,
                  "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0},
        "created_at": "2026-01-01T00:00:00.000000Z", "heartbeat_at": 1,
    });
    sqlx::any::install_default_drivers();
    let url = ferrule_server::db::sqlite_url(&h.dir.path().join("data"));
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO objects (id, kind, seq, parent_id, status, archived, body) \
         VALUES ($1, 'dream', 1, NULL, 'running', 0, $2)",
    )
    .bind(&id)
    .bind(body.to_string())
    .execute(&mut conn)
    .await
    .unwrap();
    let failed = wait_for_status(&h, &id, "failed").await;
    assert_eq!(failed["error"]["type"], "internal_error");
    assert!(failed.get("heartbeat_at").is_none());
    h.model.mount(openai::text_reply("Nothing to change."));
    let (status, dream) = h
        .post(
            "/dreams",
            json!({"inputs": [{"type": "memory_store", "memory_store_id": input}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{dream}");
    let done = wait_for_status(&h, dream["id"].as_str().unwrap(), "completed").await;
    assert_eq!(done["outputs"][0]["files_touched"], json!([]));
}
