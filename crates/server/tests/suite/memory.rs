//! Memory stores, entries and versions.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::common::Harness;

#[tokio::test]
async fn stores_entries_versions_and_preconditions() {
    let h = Harness::start().await;
    let (status, store) = h
        .post(
            "/memory_stores",
            json!({"name": "  notes  ", "description": "d"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        (
            store["name"].as_str(),
            store["status"].as_str(),
            store["entry_count"].as_i64()
        ),
        (Some("notes"), Some("active"), Some(0))
    );
    let sid = store["id"].as_str().unwrap();
    assert!(sid.starts_with("memstore_"));
    let base = format!("/memory_stores/{sid}/memories");
    let (status, entry) = h
        .post(
            &base,
            json!({"path": "team/style.md", "content": "Use tabs."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{entry}");
    let mid = entry["id"].as_str().unwrap().to_owned();
    // sha256("Use tabs.")
    assert_eq!(
        entry["content_sha256"],
        "3daa6bb31940f085636347a3b35f70c917d89e6cde3ed69c46d31e148a607df1"
    );
    assert_eq!(
        (
            entry["size"].as_i64(),
            entry["version"].as_i64(),
            entry["memory_store_id"].as_str()
        ),
        (Some(9), Some(1), Some(sid))
    );
    for (body, code) in [
        (
            json!({"path": "team/style.md", "content": "again"}),
            StatusCode::CONFLICT,
        ),
        (
            json!({"path": "/abs", "content": "x"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"path": "a/../b", "content": "x"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"path": "ok.md", "content": "   "}),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let (status, error) = h.post(&base, body.clone()).await;
        assert_eq!(status, code, "{body} → {error}");
    }
    // Update with the right and the wrong precondition (PUT and POST).
    let sha = entry["content_sha256"].as_str().unwrap();
    let (status, _) = h
        .send(
            h.client
                .put(h.url(&format!("{base}/{mid}")))
                .json(&json!({"content": "x", "content_sha256": "0".repeat(64)})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, updated) = h
        .send(
            h.client
                .put(h.url(&format!("{base}/{mid}")))
                .json(&json!({"content": "Use spaces.", "content_sha256": sha})),
        )
        .await;
    assert_eq!(
        (status, updated["version"].as_i64()),
        (StatusCode::OK, Some(2))
    );
    let moved = h
        .ok(
            &format!("{base}/{mid}"),
            json!({"path": "team/format.md", "metadata": {"k": "v"}}),
        )
        .await;
    assert_eq!(
        (moved["path"].as_str(), moved["content"].as_str()),
        (Some("team/format.md"), Some("Use spaces."))
    );
    // Lists hide content unless view=full; path_prefix filters.
    h.post(&base, json!({"path": "other.md", "content": "B"}))
        .await;
    let (_, list) = h.get(&format!("{base}?path_prefix=team/")).await;
    let items = list["data"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert!(items[0].get("content").is_none());
    let (_, full) = h.get(&format!("{base}?view=full&limit=1")).await;
    assert!(full["data"][0]["content"].is_string());
    assert!(full["next_page"].is_string());
    let (_, store) = h.get(&format!("/memory_stores/{sid}")).await;
    assert_eq!(
        (store["entry_count"].as_i64(), store["total_size"].as_i64()),
        (Some(2), Some(12))
    );
    // Versions: one per write, under both paths, filter by entry; redact.
    let (_, versions) = h
        .get(&format!(
            "/memory_stores/{sid}/memory_versions?memory_id={mid}"
        ))
        .await;
    let actions: Vec<&str> = versions["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["operation"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["updated", "updated", "created"]);
    let vid = versions["data"][2]["id"].as_str().unwrap();
    let (_, version) = h.get(&format!("/memory_stores/{sid}/versions/{vid}")).await;
    assert_eq!(version["content"], "Use tabs.");
    let redacted = h
        .ok(
            &format!("/memory_stores/{sid}/memory_versions/{vid}/redact"),
            json!({}),
        )
        .await;
    assert_eq!(redacted["redacted"], true);
    let (_, version) = h
        .get(&format!("/memory_stores/{sid}/memory_versions/{vid}"))
        .await;
    assert!(version.get("content").is_none());
    // Delete (204, soft): the entry is gone, a deleted version exists.
    let (status, body) = h.delete(&format!("{base}/{mid}")).await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    let (status, _) = h.get(&format!("{base}/{mid}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, versions) = h
        .get(&format!(
            "/memory_stores/{sid}/versions?entry_id={mid}&operation=deleted"
        ))
        .await;
    assert_eq!(versions["data"].as_array().unwrap().len(), 1);
    // Archive: 409 on writes and on a second archive; delete store → 404.
    h.ok(&format!("/memory_stores/{sid}/archive"), json!({}))
        .await;
    let (status, _) = h
        .post(&format!("/memory_stores/{sid}/archive"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = h
        .post(&base, json!({"path": "new.md", "content": "x"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, stores) = h.get("/memory_stores").await;
    assert_eq!(stores["data"], json!([]));
    let (status, _) = h.delete(&format!("/memory_stores/{sid}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = h.get(&format!("/memory_stores/{sid}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
