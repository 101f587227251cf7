//! The same API on PostgreSQL. Needs a server: set
//! `FERRULE_TEST_POSTGRES_URL=postgres://user@127.0.0.1:PORT/postgres` and
//! run with `--ignored`; each run creates its own database.

use reqwest::StatusCode;
use serde_json::json;
use sqlx::Connection;

use super::common::{Harness, types};

#[tokio::test]
#[ignore = "needs FERRULE_TEST_POSTGRES_URL (a PostgreSQL server)"]
async fn the_api_and_a_turn_on_postgres() {
    let admin = std::env::var("FERRULE_TEST_POSTGRES_URL").expect("FERRULE_TEST_POSTGRES_URL");
    let name = format!("ferrule_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_path(&name);
    let mut h = Harness::start_on(Some(url.to_string())).await;

    h.model
        .mount(ferrule_test_support::openai::tool_calls_reply(
            &[("c1", "Bash", r#"{"command": "echo pg"}"#)],
            1,
        ));
    h.model.mount(ferrule_test_support::openai::text_reply(
        "Done on PostgreSQL.",
    ));
    let id = h.session(json!([{"type": "agent_toolset_20260401"}])).await;
    h.say(&id, "go").await;
    let events = h.wait_for_stop(&id, "end_turn", 1).await;
    assert!(
        types(&events).contains(&"agent.tool_result"),
        "{:?}",
        types(&events)
    );
    let (_, page) = h.get("/agents?limit=1").await;
    assert_eq!(page["has_more"], false);
    let (status, _) = h.post("/agents", json!({"name": "x", "model": 3})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, envs_before) = h.get("/environments").await;
    h.restart().await;
    assert_eq!(h.events(&id).await, events);
    let (_, envs_after) = h.get("/environments").await;
    assert_eq!(envs_after, envs_before);
    if let Some(server) = h.server.take() {
        server.shutdown().await;
    }
    sqlx::query(&format!("DROP DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
}
