//! `DELETE /sessions/{id}` (`cloud-api.md` §6.4) removes everything stored
//! for the session: events, turn state, work items, pending actions,
//! threads, its resources and its working directory; other sessions keep
//! theirs.

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::json;
use sqlx::Connection;

use super::common::Harness;
use ferrule_test_support::openai;

/// Tables a single-agent session may have no rows in.
const UNUSED_HERE: [&str; 3] = ["pending_actions", "session_threads", "thread_messages"];

/// Rows of each per-session table that belong to `session`.
async fn rows_of(h: &Harness, session: &str) -> Vec<(&'static str, i64)> {
    let path = h.dir.path().join("data/ferrule-server.db");
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let mut counts = Vec::new();
    for (table, column) in [
        ("events", "session_id"),
        ("session_runtime", "session_id"),
        ("work_items", "session_id"),
        ("pending_actions", "session_id"),
        ("session_threads", "session_id"),
        ("thread_messages", "session_id"),
        ("objects", "parent_id"),
        ("objects", "id"),
    ] {
        let count: i64 =
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE {column} = ?"))
                .bind(session)
                .fetch_one(&mut conn)
                .await
                .unwrap();
        counts.push((table, count));
    }
    counts
}

#[tokio::test]
async fn deleting_a_session_removes_its_rows_and_working_directory() {
    let h = Harness::start().await;
    let form = Form::new().part(
        "file",
        Part::bytes(b"notes\n".to_vec())
            .file_name("notes.md")
            .mime_str("text/plain")
            .unwrap(),
    );
    let (_, file) = h.send(h.client.post(h.url("/files")).multipart(form)).await;
    let agent = h
        .agent(
            json!([{"type": "agent_toolset_20260401", "enabled_tools": ["Bash"],
                        "default_config": {"permission_policy": {"type": "always_ask"}}}]),
        )
        .await;
    let env = h.default_env().await;
    let create = json!({"agent": agent, "environment_id": env,
                        "resources": [{"type": "file", "file_id": file["id"]}]});
    let doomed = h.ok("/sessions", create.clone()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let kept = h.ok("/sessions", create).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // One finished turn, and one that waits on a confirmation.
    h.model.mount(openai::text_reply("First."));
    h.say(&doomed, "one").await;
    h.wait_for_stop(&doomed, "end_turn", 1).await;
    h.model.mount(openai::tool_calls_reply(
        &[("call_1", "Bash", r#"{"command": "echo hi"}"#)],
        1,
    ));
    h.say(&doomed, "two").await;
    h.wait_for_stop(&doomed, "requires_action", 1).await;
    h.model.mount(openai::text_reply("Kept."));
    h.say(&kept, "hello").await;
    h.wait_for_stop(&kept, "end_turn", 1).await;

    let before = rows_of(&h, &doomed).await;
    for (table, count) in &before {
        if !UNUSED_HERE.contains(table) {
            assert!(*count > 0, "{table} has no rows of the session: {before:?}");
        }
    }
    assert!(before.contains(&("pending_actions", 1)), "{before:?}");
    let cwd = h.dir.path().join("data/workspaces").join(&doomed);
    assert!(cwd.exists());

    let (status, body) = h.delete(&format!("/sessions/{doomed}")).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::OK,
            json!({"id": doomed, "type": "session_deleted"})
        )
    );
    let after = rows_of(&h, &doomed).await;
    assert!(after.iter().all(|(_, n)| *n == 0), "left behind: {after:?}");
    assert!(!cwd.exists(), "the working directory is still there");
    let (status, _) = h.get(&format!("/sessions/{doomed}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The other session keeps everything, and its file resource still pins the file.
    let kept_rows = rows_of(&h, &kept).await;
    for (table, count) in &kept_rows {
        if !UNUSED_HERE.contains(table) {
            assert!(*count > 0, "{table} lost the other session's rows");
        }
    }
    let (status, _) = h
        .delete(&format!("/files/{}", file["id"].as_str().unwrap()))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let events = h.events(&kept).await;
    assert!(events.iter().any(|e| e["type"] == "agent.message"));
}
