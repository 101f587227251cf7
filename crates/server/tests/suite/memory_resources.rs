//! Memory stores as session resources (`cloud-api.md` §6.8,
//! `memory-stores.md`): attached at create time and later, their entries
//! visible to the agent under `.qoder/awareness/`, the agent's edits saved
//! as entry versions (read-only stores untouched), and the resource's
//! list, get and delete by `memory_store_id`.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::common::{Harness, types};
use ferrule_test_support::openai;

async fn store(h: &Harness, name: &str, entries: &[(&str, &str)]) -> String {
    let (status, store) = h
        .post(
            "/memory_stores",
            json!({"name": name, "description": format!("{name} memories")}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{store}");
    let id = store["id"].as_str().unwrap().to_owned();
    for (path, content) in entries {
        let (status, entry) = h
            .post(
                &format!("/memory_stores/{id}/memories"),
                json!({"path": path, "content": content}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{entry}");
    }
    id
}

/// Active entries of a store: path → (content, version).
async fn entries(h: &Harness, store: &str) -> Vec<(String, String, i64)> {
    let (_, list) = h
        .get(&format!(
            "/memory_stores/{store}/memories?view=full&limit=100"
        ))
        .await;
    let mut out: Vec<(String, String, i64)> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_owned(),
                e["content"].as_str().unwrap().to_owned(),
                e["version"].as_i64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn bash(id: &str, command: &str) -> ferrule_test_support::Reply {
    let input = json!({ "command": command }).to_string();
    openai::tool_calls_reply(&[(id, "Bash", &input)], 1)
}

#[tokio::test]
async fn an_attached_memory_store_is_read_and_written_by_the_agent() {
    let h = Harness::start().await;
    let notes = store(
        &h,
        "notes",
        &[("prefs.md", "Use tabs."), ("old.md", "Obsolete.")],
    )
    .await;
    let frozen = store(&h, "frozen", &[("rules.md", "Never push on Friday.")]).await;
    let agent = h
        .agent(json!([{"type": "agent_toolset_20260401", "enabled_tools": ["Bash"]}]))
        .await;
    let env = h.default_env().await;
    let session = h
        .ok(
            "/sessions",
            json!({"agent": agent, "environment_id": env, "resources": [
                {"type": "memory_store", "memory_store_id": notes, "access": "read_write",
                 "instructions": "Use this memory for team preferences."}]}),
        )
        .await;
    let sid = session["id"].as_str().unwrap().to_owned();
    assert_eq!(
        session["resources"],
        json!([{"type": "memory_store", "memory_store_id": notes, "access": "read_write",
                "instructions": "Use this memory for team preferences.",
                "name": "notes", "description": "notes memories", "mount_path": null}])
    );
    let path = format!("/sessions/{sid}/resources");
    let added = h
        .ok(
            &path,
            json!({"type": "memory_store", "memory_store_id": frozen, "access": "read_only"}),
        )
        .await;
    assert_eq!(added["access"], "read_only");
    assert_eq!(added["instructions"], Value::Null);

    // The agent reads one memory, rewrites it, adds one, removes one and
    // tries to change the read-only store.
    h.model.mount(bash(
        "call_1",
        "cd .qoder/awareness && cat prefs.md rules.md && printf 'Use spaces.' > prefs.md \
         && mkdir -p team && printf 'Alice reviews.' > team/owners.md && rm old.md \
         && printf 'Push any day.' > rules.md",
    ));
    h.model.mount(openai::text_reply("Memories updated."));
    h.say(&sid, "update the memories").await;
    let events = h.wait_for_stop(&sid, "end_turn", 1).await;
    assert!(
        !types(&events).contains(&"session.error"),
        "{:?}",
        types(&events)
    );
    let result = events
        .iter()
        .find(|e| e["type"] == "agent.tool_result")
        .unwrap();
    let output = result["content"][0]["text"].as_str().unwrap();
    assert!(
        output.contains("Use tabs.") && output.contains("Never push on Friday."),
        "{output}"
    );
    let system = h.model.requests()[0].body["messages"][0]["content"].to_string();
    assert!(system.contains(".qoder/awareness/"), "{system}");
    assert!(
        system.contains("Use this memory for team preferences."),
        "{system}"
    );

    assert_eq!(
        entries(&h, &notes).await,
        vec![
            ("prefs.md".to_owned(), "Use spaces.".to_owned(), 2),
            ("team/owners.md".to_owned(), "Alice reviews.".to_owned(), 1),
        ]
    );
    let (_, counted) = h.get(&format!("/memory_stores/{notes}")).await;
    assert_eq!(counted["entry_count"], 2);
    let (_, deleted) = h
        .get(&format!(
            "/memory_stores/{notes}/versions?operation=deleted"
        ))
        .await;
    assert_eq!(deleted["data"][0]["path"], "old.md");
    assert_eq!(
        entries(&h, &frozen).await,
        vec![("rules.md".to_owned(), "Never push on Friday.".to_owned(), 1)]
    );

    // The next turn sees the stores again, not the unsaved read-only edit.
    h.model
        .mount(bash("call_2", "cat .qoder/awareness/rules.md"));
    h.model.mount(openai::text_reply("Read."));
    h.say(&sid, "read again").await;
    let events = h.wait_for_stop(&sid, "end_turn", 2).await;
    let result = events
        .iter()
        .rfind(|e| e["type"] == "agent.tool_result")
        .unwrap();
    assert_eq!(
        result["content"][0]["text"].as_str().unwrap().trim(),
        "Never push on Friday."
    );

    // List, get and delete the resource by its store's ID.
    let (_, list) = h.get(&path).await;
    let listed: Vec<&Value> = list["data"].as_array().unwrap().iter().collect();
    assert_eq!(listed.len(), 2);
    assert!(listed.contains(&&added), "{list}");
    let (status, got) = h.get(&format!("{path}/{frozen}")).await;
    assert_eq!((status, &got), (StatusCode::OK, &added));
    let (status, gone) = h.delete(&format!("{path}/{frozen}")).await;
    assert_eq!(
        (status, gone),
        (
            StatusCode::OK,
            json!({"id": frozen, "type": "session_resource_deleted"})
        )
    );
    let (status, _) = h.get(&format!("{path}/{frozen}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, session) = h.get(&format!("/sessions/{sid}")).await;
    assert_eq!(session["resources"].as_array().unwrap().len(), 1);
    let (_, found) = h.get(&format!("/sessions?memory_store_id={notes}")).await;
    let found: Vec<&str> = found["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert_eq!(found, [sid.as_str()]);
}

#[tokio::test]
async fn memory_store_resources_are_checked() {
    let h = Harness::start().await;
    let notes = store(&h, "notes", &[]).await;
    let archived = store(&h, "old", &[]).await;
    h.ok(&format!("/memory_stores/{archived}/archive"), json!({}))
        .await;
    let sid = h.session(json!([])).await;
    let path = format!("/sessions/{sid}/resources");
    h.ok(
        &path,
        json!({"type": "memory_store", "memory_store_id": notes}),
    )
    .await;
    let cases: Vec<(Value, StatusCode, &str)> = vec![
        (
            json!({"type": "memory_store", "memory_store_id": notes}),
            StatusCode::CONFLICT,
            "already attached",
        ),
        (
            json!({"type": "memory_store", "memory_store_id": "memstore_missing"}),
            StatusCode::NOT_FOUND,
            "memstore_missing",
        ),
        (
            json!({"type": "memory_store", "memory_store_id": archived}),
            StatusCode::CONFLICT,
            "archived",
        ),
        (
            json!({"type": "memory_store", "memory_store_id": notes, "access": "write"}),
            StatusCode::BAD_REQUEST,
            "access",
        ),
        (
            json!({"type": "memory_store", "memory_store_id": notes,
                   "instructions": "x".repeat(4097)}),
            StatusCode::BAD_REQUEST,
            "4096",
        ),
        (
            json!({"type": "memory_store"}),
            StatusCode::BAD_REQUEST,
            "memory_store_id",
        ),
    ];
    for (request, status, text) in cases {
        let (got, body) = h.post(&path, request.clone()).await;
        assert_eq!(got, status, "{request}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(text), "{message}");
    }
    // At create time the same checks apply, naming the resource.
    let agent = h.agent(json!([])).await;
    let env = h.default_env().await;
    let (status, body) = h
        .post(
            "/sessions",
            json!({"agent": agent, "environment_id": env, "resources": [
                {"type": "memory_store", "memory_store_id": notes, "access": "all"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["param"], "resources[0].access");
}
