//! The self-hosted work queue: poll, ack, heartbeat leases, stop, reclaim.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::common::Harness;

#[tokio::test]
async fn the_work_queue_state_machine() {
    let h = Harness::start().await;
    let default = h.default_env().await;
    let env = h
        .ok(
            "/environments",
            json!({"name": "mine", "config": {"type": "self_hosted"}}),
        )
        .await;
    let env = env["id"].as_str().unwrap().to_owned();
    let base = format!("/environments/{env}/work");
    let (status, _) = h.get(&format!("/environments/{default}/work")).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "cloud environments have no queue"
    );
    let agent = h.agent(json!([])).await;
    let session = h
        .ok(
            "/sessions",
            json!({"agent": agent, "environment_id": env, "metadata": {"team": "a"}}),
        )
        .await;
    let (status, _) = h
        .post(
            "/sessions",
            json!({"agent": agent, "environment_id": env, "environment_variables": "A=1"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let poll = |worker: &str, extra: &str| {
        h.client
            .get(h.url(&format!("{base}/poll?block_ms=50{extra}")))
            .header("Worker-ID", worker.to_owned())
    };
    let (_, item) = h.send(poll("w1", "")).await;
    assert_eq!(
        (item["data"]["id"].clone(), item["state"].as_str()),
        (session["id"].clone(), Some("queued"))
    );
    assert_eq!(item["metadata"], json!({"team": "a"}));
    let wid = item["id"].as_str().unwrap().to_owned();
    // Delivered, not acked: nobody else gets it inside the reclaim window…
    let (_, none) = h.send(poll("w2", "")).await;
    assert_eq!(none, Value::Null);
    let (status, _) = h.get(&format!("{base}/poll?block_ms=1000")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // …and another worker cannot ack it.
    let (status, _) = h
        .send(
            h.client
                .post(h.url(&format!("{base}/{wid}/ack")))
                .header("Worker-ID", "w2"),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, acked) = h
        .send(
            h.client
                .post(h.url(&format!("{base}/{wid}/ack")))
                .header("Worker-ID", "w1"),
        )
        .await;
    assert_eq!(
        (status, acked["state"].as_str()),
        (StatusCode::OK, Some("starting"))
    );
    let (_, beat) = h
        .post(
            &format!(
                "{base}/{wid}/heartbeat?expected_last_heartbeat=NO_HEARTBEAT&desired_ttl_seconds=5"
            ),
            json!({}),
        )
        .await;
    assert_eq!(
        (
            beat["state"].as_str(),
            beat["ttl_seconds"].as_i64(),
            beat["lease_extended"].as_bool()
        ),
        (Some("active"), Some(10), Some(true))
    );
    let (status, body) = h
        .post(
            &format!("{base}/{wid}/heartbeat?expected_last_heartbeat=NO_HEARTBEAT"),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["type"].as_str()),
        (
            StatusCode::PRECONDITION_FAILED,
            Some("precondition_failed_error")
        )
    );
    let last = beat["last_heartbeat"].as_str().unwrap();
    let (status, _) = h
        .send(
            h.client
                .post(h.url(&format!("{base}/{wid}/heartbeat")))
                .query(&[("expected_last_heartbeat", last)]),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, stats) = h.get(&format!("{base}/stats")).await;
    assert_eq!(
        (
            stats["depth"].as_i64(),
            stats["pending"].as_i64(),
            stats["workers_polling"].as_i64()
        ),
        (Some(0), Some(1), Some(2))
    );
    let updated = h
        .ok(
            &format!("{base}/{wid}"),
            json!({"metadata": {"team": null, "k": "v"}}),
        )
        .await;
    assert_eq!(updated["metadata"], json!({"k": "v"}));
    let stopping = h.ok(&format!("{base}/{wid}/stop"), json!({})).await;
    assert_eq!(stopping["state"], "stopping");
    let stopped = h.ok(&format!("{base}/{wid}/stop"), json!({})).await;
    assert_eq!(stopped["state"], "stopped");
    assert!(stopped["stopped_at"].is_string());
    let (status, _) = h.post(&format!("{base}/{wid}/ack"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    // A second session: an unacked delivery is reclaimed after the window.
    let second = h
        .ok("/sessions", json!({"agent": agent, "environment_id": env}))
        .await;
    let (_, item) = h.send(poll("w1", "")).await;
    assert_eq!(item["data"]["id"], second["id"]);
    let (_, again) = h.send(poll("w2", "&reclaim_older_than_ms=0")).await;
    assert_eq!(again["id"], item["id"]);
    let (_, listed) = h.get(&base).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 2);
    assert_eq!(
        listed["data"][0]["id"].as_str(),
        Some(wid.as_str()),
        "oldest first"
    );
    // A user.message on a self-hosted session is stored; no local turn runs.
    let sid = second["id"].as_str().unwrap();
    h.say(sid, "for the worker").await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let events = h.events(sid).await;
    assert_eq!(events.len(), 1);
    assert!(h.model.requests().is_empty());
}
