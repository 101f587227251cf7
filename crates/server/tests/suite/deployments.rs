//! Deployments (§12): shapes and status codes, manual runs, the scheduler
//! firing a due run exactly once, also with two server processes' worth of
//! replicas on one database (SQLite here, PostgreSQL with `--ignored`).

use std::time::Duration;

use ferrule_server::Server;
use ferrule_test_support::openai;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;

use super::common::{Harness, KEY};

fn message(text: &str) -> Value {
    json!({"type": "user.message", "content": [{"type": "text", "text": text}]})
}

async fn deployment(h: &Harness, schedule: Value) -> Value {
    let agent = h.agent(json!([{"type": "agent_toolset_20260401"}])).await;
    let env = h.default_env().await;
    h.ok(
        "/deployments",
        json!({
            "name": "nightly", "agent": agent, "environment_id": env,
            "schedule": schedule, "initial_events": [message("report")],
            "metadata": {"team": "platform"},
            "environment_variables": "LOG_LEVEL=info;FEATURE_FLAG=on",
        }),
    )
    .await
}

/// Moves a deployment's next fire time to `micros` in the database, as if
/// the clock had reached it.
async fn make_due(url: &str, deployment_id: &str, micros: i64) {
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    sqlx::query("UPDATE deployment_schedules SET next_run_at = $1 WHERE deployment_id = $2")
        .bind(micros)
        .bind(deployment_id)
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
}

fn sqlite_url(h: &Harness) -> String {
    sqlx::any::install_default_drivers();
    ferrule_server::db::sqlite_url(&h.dir.path().join("data"))
}

async fn runs(h: &Harness, deployment_id: &str) -> Vec<Value> {
    let (status, list) = h
        .get(&format!("/deployments/{deployment_id}/runs?limit=100"))
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list["data"].as_array().unwrap().clone()
}

async fn wait_for_runs(h: &Harness, deployment_id: &str, count: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let found = runs(h, deployment_id).await;
        if found.len() >= count {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} runs of {deployment_id}",
            found.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn a_minute_ago() -> i64 {
    // Whole seconds, as `scheduled_at` shows them.
    (jiff::Timestamp::now().as_second() - 60) * 1_000_000
}

#[tokio::test]
async fn create_read_update_pause_and_archive() {
    let h = Harness::start().await;
    let created = deployment(
        &h,
        json!({"type": "cron", "expression": "0 9 * * *", "timezone": "Asia/Shanghai"}),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    assert!(id.starts_with("dep_") && id.len() == 36, "{id}");
    assert_eq!(created["type"], "deployment");
    assert_eq!(created["status"], "active");
    assert_eq!(created["paused_reason"], Value::Null);
    assert_eq!(created["agent"]["type"], "agent");
    assert_eq!(created["agent"]["version"], 1);
    assert_eq!(
        created["environment_variables"],
        "FEATURE_FLAG=on\nLOG_LEVEL=info"
    );
    let upcoming: Vec<&str> = created["schedule"]["upcoming_runs_at"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(upcoming.len(), 5);
    assert!(
        upcoming.iter().all(|t| t.ends_with("T01:00:00Z")),
        "{upcoming:?}"
    );
    assert!(upcoming.windows(2).all(|w| w[0] < w[1]));
    assert!(created["schedule"].get("last_run_at").is_none());

    let (status, got) = h.get(&format!("/deployments/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["name"], "nightly");

    let updated = h
        .ok(
            &format!("/deployments/{id}"),
            json!({"name": "weekdays", "metadata": {"team": null, "tier": "1"},
                   "schedule": {"type": "cron", "expression": "30 9 * * 1-5", "timezone": "UTC"}}),
        )
        .await;
    assert_eq!(updated["name"], "weekdays");
    assert_eq!(updated["metadata"], json!({"tier": "1"}));
    assert!(
        updated["schedule"]["upcoming_runs_at"][0]
            .as_str()
            .unwrap()
            .ends_with("T09:30:00Z")
    );
    let cleared = h
        .ok(
            &format!("/deployments/{id}"),
            json!({"metadata": null, "environment_variables": null}),
        )
        .await;
    assert_eq!(cleared["metadata"], json!({}));
    assert_eq!(cleared["environment_variables"], "");
    let (status, body) = h
        .post(
            &format!("/deployments/{id}"),
            json!({"schedule": {"type": "cron", "expression": "30 9 * *"}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let paused = h.ok(&format!("/deployments/{id}/pause"), json!({})).await;
    assert_eq!(paused["status"], "paused");
    assert_eq!(paused["paused_reason"], json!({"type": "manual"}));
    let (status, body) = h.post(&format!("/deployments/{id}/pause"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["type"], "conflict_error");
    let (status, _) = h.post(&format!("/deployments/{id}/run"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, paused_list) = h.get("/deployments?status=paused").await;
    assert_eq!(paused_list["data"].as_array().unwrap().len(), 1);
    let (_, active_list) = h.get("/deployments?status=active").await;
    assert_eq!(active_list["data"].as_array().unwrap().len(), 0);
    let active = h.ok(&format!("/deployments/{id}/unpause"), json!({})).await;
    assert_eq!(active["status"], "active");
    let (status, _) = h
        .post(&format!("/deployments/{id}/unpause"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    let archived = h.ok(&format!("/deployments/{id}/archive"), json!({})).await;
    assert!(!archived["archived_at"].is_null());
    assert!(
        archived["name"]
            .as_str()
            .unwrap()
            .starts_with("weekdays_archived_"),
        "{}",
        archived["name"]
    );
    assert_eq!(archived["schedule"]["upcoming_runs_at"], json!([]));
    let (status, _) = h
        .post(&format!("/deployments/{id}/archive"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = h.post(&format!("/deployments/{id}/run"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, list) = h.get("/deployments").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 0);
    let (_, list) = h.get("/deployments?include_archived=true").await;
    assert_eq!(list["data"][0]["id"], id);
    assert_eq!(list["next_page"], Value::Null);
}

#[tokio::test]
async fn bad_input_gets_the_documented_errors() {
    let h = Harness::start().await;
    let agent = h.agent(json!([{"type": "agent_toolset_20260401"}])).await;
    let env = h.default_env().await;
    let base = json!({"name": "d", "agent": agent, "environment_id": env,
                      "initial_events": [message("hi")]});
    let with = |key: &str, value: Value| {
        let mut body = base.clone();
        body[key] = value;
        body
    };
    let cases = [
        (with("name", Value::Null), StatusCode::BAD_REQUEST, "name"),
        (
            with("agent", json!({"id": agent})),
            StatusCode::BAD_REQUEST,
            "agent.type",
        ),
        (
            with(
                "schedule",
                json!({"type": "cron", "expression": "61 * * * *", "timezone": "UTC"}),
            ),
            StatusCode::BAD_REQUEST,
            "schedule.expression",
        ),
        (
            with(
                "schedule",
                json!({"type": "cron", "expression": "0 9 * * *", "timezone": "Nowhere/City"}),
            ),
            StatusCode::BAD_REQUEST,
            "schedule.timezone",
        ),
        (
            with("initial_events", json!([])),
            StatusCode::BAD_REQUEST,
            "initial_events",
        ),
        (
            with("initial_events", json!([{"type": "user.interrupt"}])),
            StatusCode::BAD_REQUEST,
            "initial_events[0].type",
        ),
        (
            with("metadata", json!({"a": 1})),
            StatusCode::BAD_REQUEST,
            "metadata.a",
        ),
        (
            with("environment_variables", json!("1BAD=x")),
            StatusCode::BAD_REQUEST,
            "environment_variables",
        ),
        (
            with("agent", json!("agent_missing")),
            StatusCode::NOT_FOUND,
            "",
        ),
        (
            with("environment_id", json!("env_missing")),
            StatusCode::NOT_FOUND,
            "",
        ),
    ];
    for (body, status, param) in cases {
        let (got, error) = h.post("/deployments", body.clone()).await;
        assert_eq!(got, status, "{body} → {error}");
        if !param.is_empty() {
            assert_eq!(error["error"]["param"], param, "{error}");
        }
    }
    h.ok(&format!("/agents/{agent}/archive"), json!({})).await;
    let (status, error) = h.post("/deployments", base.clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    let (status, _) = h.get("/deployments/dep_missing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = h.get("/deployments?limit=101").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = h.get("/deployments?status=sleeping").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = h.get("/deployment_runs?trigger_type=cron").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = h.get("/deployment_runs/drun_missing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_manual_run_creates_a_session_that_runs_the_initial_events() {
    let h = Harness::start().await;
    h.model.mount(openai::text_reply("Status: green."));
    let created = deployment(&h, Value::Null).await;
    assert_eq!(created["schedule"], Value::Null);
    let id = created["id"].as_str().unwrap();
    let run = h.ok(&format!("/deployments/{id}/run"), json!({})).await;
    assert!(run["id"].as_str().unwrap().starts_with("drun_"));
    assert_eq!(run["type"], "deployment_run");
    assert_eq!(run["deployment_id"], id);
    assert_eq!(run["trigger_context"], json!({"type": "manual"}));
    assert_eq!(run["error"], Value::Null);
    assert_eq!(run["agent"], created["agent"]);
    let session_id = run["session_id"].as_str().unwrap();
    let events = h.wait_for_stop(session_id, "end_turn", 1).await;
    assert_eq!(events[0]["type"], "user.message");
    assert_eq!(events[0]["content"][0]["text"], "report");
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "agent.message" && e["content"][0]["text"] == "Status: green.")
    );
    let (_, session) = h.get(&format!("/sessions/{session_id}")).await;
    assert_eq!(session["deployment_id"], id);
    assert_eq!(
        session["environment_variables"],
        json!({"FEATURE_FLAG": "on", "LOG_LEVEL": "info"})
    );
    let (_, listed) = h.get(&format!("/sessions?deployment_id={id}")).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert_eq!(listed["data"][0]["id"], session_id);

    let rid = run["id"].as_str().unwrap();
    let (status, got) = h.get(&format!("/deployments/{id}/runs/{rid}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, run);
    let (_, global) = h.get(&format!("/deployment_runs/{rid}")).await;
    assert_eq!(global, run);
    let (_, filtered) = h.get("/deployment_runs?trigger_type=schedule").await;
    assert_eq!(filtered["data"].as_array().unwrap().len(), 0);
    let (_, filtered) = h
        .get(&format!(
            "/deployment_runs?trigger_type=manual&has_error=false&deployment_id={id}"
        ))
        .await;
    assert_eq!(filtered["data"].as_array().unwrap().len(), 1);
    let (_, errors) = h.get("/deployment_runs?has_error=true").await;
    assert_eq!(errors["data"].as_array().unwrap().len(), 0);
    let (_, later) = h
        .get(&format!(
            "/deployments/{id}/runs?triggered_after=2999-01-01T00:00:00Z"
        ))
        .await;
    assert_eq!(later["data"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_run_that_cannot_create_its_session_records_the_error() {
    let h = Harness::start().await;
    let created = deployment(&h, Value::Null).await;
    let id = created["id"].as_str().unwrap();
    // A second environment, archived after the deployment moved to it.
    let other = h
        .ok(
            "/environments",
            json!({"name": "later", "config": {"type": "cloud"}}),
        )
        .await;
    let other_id = other["id"].as_str().unwrap();
    h.ok(
        &format!("/deployments/{id}"),
        json!({"environment_id": other_id}),
    )
    .await;
    h.ok(&format!("/environments/{other_id}/archive"), json!({}))
        .await;
    let run = h.ok(&format!("/deployments/{id}/run"), json!({})).await;
    assert_eq!(run["session_id"], Value::Null);
    assert_eq!(run["error"]["type"], "invalid_request_error", "{run}");
    let (_, errors) = h.get("/deployment_runs?has_error=true").await;
    assert_eq!(errors["data"][0]["id"], run["id"]);
}

#[tokio::test]
async fn the_scheduler_fires_a_due_run_once_and_moves_to_the_next_time() {
    let mut h = Harness::start().await;
    h.model.mount(openai::text_reply("Scheduled report."));
    let created = deployment(
        &h,
        json!({"type": "cron", "expression": "0 9 * * *", "timezone": "UTC"}),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    // A faster clock for this server.
    if let Some(server) = h.server.take() {
        server.shutdown().await;
    }
    let mut config = h.config();
    config.scheduler_tick = Duration::from_millis(50);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = Server::start(listener, config, None).await.unwrap();
    h.base = server.base_url();
    h.server = Some(server);

    let due = a_minute_ago();
    make_due(&sqlite_url(&h), &id, due).await;
    let found = wait_for_runs(&h, &id, 1).await;
    let run = &found[0];
    assert_eq!(run["trigger_context"]["type"], "schedule");
    let scheduled = ferrule_server::ids::parse_timestamp(
        run["trigger_context"]["scheduled_at"].as_str().unwrap(),
    );
    assert_eq!(scheduled, Some(due));
    let session_id = run["session_id"].as_str().unwrap();
    h.wait_for_stop(session_id, "end_turn", 1).await;
    let (_, got) = h.get(&format!("/deployments/{id}")).await;
    assert!(got["schedule"]["last_run_at"].is_string(), "{got}");
    let (_, listed) = h
        .get(&format!(
            "/deployment_runs?trigger_type=schedule&deployment_id={id}"
        ))
        .await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    // Many ticks later there is still one run: the next fire time is 09:00.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(runs(&h, &id).await.len(), 1);
}

/// Starts `count` servers on one database with a fast scheduler tick.
async fn replicas(h: &Harness, url: Option<&str>, count: usize) -> Vec<Server> {
    let mut servers = Vec::new();
    for _ in 0..count {
        let mut config = h.config();
        config.scheduler_tick = Duration::from_millis(20);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        servers.push(Server::start(listener, config, url).await.unwrap());
    }
    servers
}

/// Several due deployments, three replicas ticking: every run fires once.
async fn fire_once_with_replicas(h: &mut Harness, url: String, database: Option<&str>) {
    let mut ids = Vec::new();
    for _ in 0..4 {
        h.model.mount(openai::text_reply("ok"));
        let created = deployment(
            h,
            json!({"type": "cron", "expression": "*/5 * * * *", "timezone": "Europe/Berlin"}),
        )
        .await;
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    if let Some(server) = h.server.take() {
        server.shutdown().await;
    }
    let servers = replicas(h, database, 3).await;
    h.base = servers[0].base_url();
    let due = a_minute_ago();
    for id in &ids {
        make_due(&url, id, due).await;
    }
    for id in &ids {
        wait_for_runs(h, id, 1).await;
    }
    // Give every replica many more ticks to (wrongly) fire again.
    tokio::time::sleep(Duration::from_millis(600)).await;
    for id in &ids {
        let found = runs(h, id).await;
        assert_eq!(found.len(), 1, "{id}: {found:#?}");
    }
    let client = reqwest::Client::new();
    let (_, all) = {
        let response = client
            .get(format!(
                "{}/deployment_runs?limit=100",
                servers[1].base_url()
            ))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap();
        (response.status(), response.json::<Value>().await.unwrap())
    };
    assert_eq!(all["data"].as_array().unwrap().len(), ids.len());
    for server in servers {
        server.shutdown().await;
    }
}

#[tokio::test]
async fn replicas_on_one_sqlite_file_fire_each_run_once() {
    let mut h = Harness::start().await;
    let url = sqlite_url(&h);
    fire_once_with_replicas(&mut h, url, None).await;
}

#[tokio::test]
#[ignore = "needs FERRULE_TEST_POSTGRES_URL (a PostgreSQL server)"]
async fn replicas_on_postgres_fire_each_run_once() {
    let admin = std::env::var("FERRULE_TEST_POSTGRES_URL").expect("FERRULE_TEST_POSTGRES_URL");
    let name = format!("ferrule_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_path(&name);
    let url = url.to_string();
    let mut h = Harness::start_on(Some(url.clone())).await;
    sqlx::any::install_default_drivers();
    fire_once_with_replicas(&mut h, url.clone(), Some(&url)).await;
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .unwrap();
}
