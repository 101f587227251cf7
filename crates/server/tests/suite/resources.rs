//! Session resources: file resources attached at create time and later,
//! mounted into the working directory, listed, detached; the file cannot
//! be deleted while attached.

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use super::common::Harness;

async fn upload(h: &Harness, name: &str, text: &'static str) -> String {
    let form = Form::new().part(
        "file",
        Part::bytes(text.as_bytes())
            .file_name(name.to_owned())
            .mime_str("text/plain")
            .unwrap(),
    );
    let (status, file) = h.send(h.client.post(h.url("/files")).multipart(form)).await;
    assert_eq!(status, StatusCode::OK, "{file}");
    file["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn file_resources_are_mounted_listed_and_detached() {
    let h = Harness::start().await;
    let spec = upload(&h, "spec.md", "# Spec\n").await;
    let data = upload(&h, "data.csv", "a,b\n").await;
    let agent = h.agent(json!([])).await;
    let env = h.default_env().await;
    let (status, body) = h
        .post(
            "/sessions",
            json!({"agent": agent, "environment_id": env,
                   "resources": [{"type": "file", "file_id": "file_nope"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let session = h
        .ok(
            "/sessions",
            json!({"agent": agent, "environment_id": env,
                   "resources": [{"type": "file", "file_id": spec, "mount_path": "/data/inputs/spec.md"}]}),
        )
        .await;
    let sid = session["id"].as_str().unwrap().to_owned();
    assert_eq!(
        session["resources"][0]["mount_path"],
        "/data/inputs/spec.md"
    );
    let cwd = h.dir.path().join("data/workspaces").join(&sid);
    assert_eq!(
        std::fs::read_to_string(cwd.join("inputs/spec.md")).unwrap(),
        "# Spec\n"
    );

    let path = format!("/sessions/{sid}/resources");
    let added = h.ok(&path, json!({"type": "file", "file_id": data})).await;
    let rid = added["id"].as_str().unwrap().to_owned();
    assert!(rid.starts_with("sesr_"));
    assert_eq!(
        (&added["type"], &added["mount_path"]),
        (
            &json!("file"),
            &json!(format!("/mnt/session/uploads/{data}"))
        )
    );
    let mounted = cwd.join("mnt/session/uploads").join(&data);
    assert_eq!(std::fs::read_to_string(&mounted).unwrap(), "a,b\n");

    let rejections: Vec<(Value, StatusCode, &str)> = vec![
        (
            json!({"type": "file", "file_id": data}),
            StatusCode::CONFLICT,
            "already attached",
        ),
        (
            json!({"type": "github_repository", "url": "x"}),
            StatusCode::BAD_REQUEST,
            "must be 'file'",
        ),
        (
            json!({"type": "file"}),
            StatusCode::BAD_REQUEST,
            "Field 'file_id' is required.",
        ),
        (
            json!({"type": "file", "file_id": "file_gone"}),
            StatusCode::NOT_FOUND,
            "was not found",
        ),
        (
            json!({"type": "file", "file_id": spec, "mount_path": "../x"}),
            StatusCode::BAD_REQUEST,
            "mount_path",
        ),
    ];
    for (request, status, text) in rejections {
        let (got, body) = h.post(&path, request).await;
        assert_eq!(got, status, "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(text), "{message}");
    }

    let (_, list) = h.get(&format!("{path}?limit=1")).await;
    assert_eq!(list["data"][0]["id"], json!(rid));
    assert_eq!(list["has_more"], true);
    let (_, got) = h.get(&format!("{path}/{rid}")).await;
    assert_eq!(got, added);
    let (_, session) = h.get(&format!("/sessions/{sid}")).await;
    assert_eq!(session["resources"].as_array().unwrap().len(), 2);

    let (status, body) = h.delete(&format!("/files/{data}")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, deleted) = h.delete(&format!("{path}/{rid}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        deleted,
        json!({"id": rid, "type": "session_resource_deleted"})
    );
    assert!(!mounted.exists());
    let (status, _) = h.get(&format!("{path}/{rid}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = h.delete(&format!("/files/{data}")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h.get("/sessions/sess_missing/resources").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    h.ok(&format!("/sessions/{sid}/archive"), json!({})).await;
    let (status, _) = h
        .post(&path, json!({"type": "file", "file_id": spec}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}
