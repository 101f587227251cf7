//! Files: uploads, lists, deletion, and artifacts delivered by the agent
//! with a download link that works without credentials.

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::json;

use super::common::Harness;
use ferrule_test_support::openai;

fn form(name: &str, bytes: &'static [u8], mime: &str) -> Form {
    Form::new().part(
        "file",
        Part::bytes(bytes)
            .file_name(name.to_owned())
            .mime_str(mime)
            .unwrap(),
    )
}

#[tokio::test]
async fn uploads_and_delivered_artifacts() {
    let h = Harness::start().await;
    let upload = |form: Form| h.client.post(h.url("/files")).multipart(form);
    let (status, file) = h
        .send(upload(
            form("notes.md", b"# Notes\n", "text/markdown").text("metadata", r#"{"k":"v"}"#),
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{file}");
    let fid = file["id"].as_str().unwrap();
    assert!(fid.starts_with("file_"));
    assert_eq!(
        (
            file["filename"].as_str(),
            file["size_bytes"].as_i64(),
            file["downloadable"].as_bool()
        ),
        (Some("notes.md"), Some(8), Some(false))
    );
    assert_eq!(
        (file["scope"].clone(), file["metadata"].clone()),
        (json!(null), json!({"k": "v"}))
    );
    let (status, _) = h
        .send(upload(form("image.png", b"\x89PNG\r\n", "image/png")))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = h.send(upload(Form::new().text("name", "x"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = h.post("/files", json!({"file": "x"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, got) = h.get(&format!("/files/{fid}")).await;
    assert_eq!(got, file);
    let (_, listed) = h.get("/files?name=NOT").await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    let (status, body) = h.get(&format!("/files/{fid}/content")).await;
    assert_eq!(
        (status, body["error"]["type"].as_str()),
        (StatusCode::FORBIDDEN, Some("permission_error"))
    );

    // The agent writes a report and delivers it.
    h.model.mount(openai::tool_calls_reply(
        &[(
            "c1",
            "Write",
            r#"{"file_path": "report.txt", "content": "quarterly numbers\n"}"#,
        )],
        1,
    ));
    h.model.mount(openai::tool_calls_reply(
        &[("c2", "DeliverArtifacts", r#"{"paths": ["report.txt"]}"#)],
        1,
    ));
    h.model.mount(openai::text_reply("Here is your report."));
    let sid = h.session(json!([{"type": "agent_toolset_20260401", "enabled_tools": ["Write", "DeliverArtifacts"]}])).await;
    h.say(&sid, "make a report").await;
    let events = h.wait_for_stop(&sid, "end_turn", 1).await;
    let results: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["type"] == "agent.tool_result")
        .collect();
    assert_eq!(results.len(), 2, "{events:#?}");
    assert_eq!(results[1]["is_error"], false, "{}", results[1]);
    let (_, scoped) = h.get(&format!("/files?scope_id={sid}")).await;
    let artifact = &scoped["data"][0];
    assert_eq!(
        (
            artifact["filename"].as_str(),
            artifact["downloadable"].as_bool()
        ),
        (Some("report.txt"), Some(true))
    );
    assert_eq!(artifact["scope"], json!({"id": sid, "type": "session"}));
    let aid = artifact["id"].as_str().unwrap();
    let (status, link) = h.get(&format!("/files/{aid}/content")).await;
    assert_eq!(status, StatusCode::OK);
    let url = link["url"].as_str().unwrap();
    // No bearer: the link is its own credential; a forged one is refused.
    let response = h.client.get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "quarterly numbers\n");
    let forged = url.replace("sig=", "sig=0");
    assert_eq!(
        h.client.get(forged).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let (status, body) = h.delete(&format!("/files/{aid}")).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"id": aid, "type": "file_deleted"}))
    );
    assert_eq!(
        h.client.get(url).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}
