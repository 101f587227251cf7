//! Skills: zip and multi-file uploads, validation, versions with their zip
//! content, updates, deletion, and pagination.

use std::io::{Cursor, Read, Write};

use base64::Engine;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use super::common::Harness;

pub(crate) const MANIFEST: &str = "---\nname: code-review\ndescription: Review code for bugs\nversion: 1.0.0\n---\n# Steps\n1. Read ${QODER_SKILL_DIR}/checklist.md\n";

/// A zip of `files` (path, text).
pub(crate) fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (path, text) in files {
        writer
            .start_file(*path, zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(text.as_bytes()).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

fn unzip(bytes: &[u8]) -> Vec<(String, String)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut out = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        out.push((entry.name().unwrap().into_owned(), text));
    }
    out.sort();
    out
}

pub(crate) fn zip_form(bytes: Vec<u8>) -> Form {
    Form::new().part(
        "file",
        Part::bytes(bytes)
            .file_name("skill.zip")
            .mime_str("application/zip")
            .unwrap(),
    )
}

fn files_form(files: &[(&str, &str)]) -> Form {
    files.iter().fold(Form::new(), |form, (path, text)| {
        form.part(
            "files",
            Part::bytes(text.as_bytes().to_vec()).file_name((*path).to_owned()),
        )
    })
}

async fn upload(h: &Harness, path: &str, form: Form) -> (StatusCode, Value) {
    h.send(h.client.post(h.url(path)).multipart(form)).await
}

#[tokio::test]
async fn zip_upload_versions_content_and_delete() {
    let h = Harness::start().await;
    let zip = zip_of(&[
        ("my-skill/SKILL.md", MANIFEST),
        ("my-skill/checklist.md", "- null checks\n"),
    ]);
    let form = zip_form(zip)
        .text("name", "ignored")
        .text("type", "custom")
        .text("metadata", r#"{"team":"docs"}"#);
    let (status, skill) = upload(&h, "/skills", form).await;
    assert_eq!(status, StatusCode::CREATED, "{skill}");
    let id = skill["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("skill_"));
    assert_eq!(
        (
            &skill["type"],
            &skill["display_title"],
            &skill["description"],
            &skill["source"],
            &skill["latest_version"],
            &skill["metadata"],
        ),
        (
            &json!("skill"),
            &json!("code-review"),
            &json!("Review code for bugs"),
            &json!("custom"),
            &json!("1"),
            &json!({"team": "docs"}),
        )
    );
    assert!(skill.get("content").is_none() && skill.get("_versions_made").is_none());

    let (_, got) = h.get(&format!("/skills/{id}")).await;
    assert_eq!(got, skill);
    let (_, with) = h.get(&format!("/skills/{id}?include_content=true")).await;
    assert_eq!(with["content_encoding"], "base64");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(with["content"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        unzip(&bytes),
        vec![
            ("my-skill/SKILL.md".to_owned(), MANIFEST.to_owned()),
            (
                "my-skill/checklist.md".to_owned(),
                "- null checks\n".to_owned()
            ),
        ]
    );

    // A second version through the SDK's multi-file form.
    let v2 = MANIFEST.replace("Review code for bugs", "Review code, v2");
    let (status, version) = upload(
        &h,
        &format!("/skills/{id}/versions"),
        files_form(&[("my-skill/SKILL.md", &v2)]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{version}");
    assert_eq!(
        (
            &version["type"],
            &version["version"],
            &version["skill_id"],
            &version["name"],
            &version["directory"],
        ),
        (
            &json!("skill_version"),
            &json!("2"),
            &json!(id),
            &json!("code-review"),
            &json!("my-skill"),
        )
    );
    let (_, skill) = h.get(&format!("/skills/{id}")).await;
    assert_eq!(
        (&skill["latest_version"], &skill["description"]),
        (&json!("2"), &json!("Review code, v2"))
    );
    let (_, versions) = h.get(&format!("/skills/{id}/versions?limit=1")).await;
    assert_eq!(versions["data"][0]["version"], "2");
    assert_eq!(versions["has_more"], true);
    let first = &versions["data"][0];
    assert_eq!(first["status"], "active");
    assert_eq!(first["content_sha256"].as_str().unwrap().len(), 64);
    let response = h
        .client
        .get(h.url(&format!("/skills/{id}/versions/1/content")))
        .bearer_auth(super::common::KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/zip"
    );
    let v1 = response.bytes().await.unwrap();
    assert_eq!(unzip(&v1)[0].1, MANIFEST);
    let (status, got) = h.get(&format!("/skills/{id}/versions/latest")).await;
    assert_eq!((status, &got["version"]), (StatusCode::OK, &json!("2")));

    // Deleting the latest version falls back to the one before; the only
    // version left cannot go.
    let (status, deleted) = h.delete(&format!("/skills/{id}/versions/2")).await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    assert_eq!(deleted["type"], "skill_version_deleted");
    let (_, skill) = h.get(&format!("/skills/{id}")).await;
    assert_eq!(skill["latest_version"], "1");
    let (status, _) = h.delete(&format!("/skills/{id}/versions/1")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = h.get(&format!("/skills/{id}/versions/7")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, deleted) = h.delete(&format!("/skills/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted, json!({"id": id, "type": "skill_deleted"}));
    let (status, body) = h.get(&format!("/skills/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body["error"]["message"],
        format!("Skill '{id}' was not found.")
    );
    let (status, _) = h.get(&format!("/skills/{id}/versions")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_uploads_get_clear_errors() {
    let h = Harness::start().await;
    let cases: Vec<(Form, &str)> = vec![
        (Form::new().text("name", "x"), "Field 'file' is required."),
        (
            Form::new().part(
                "file",
                Part::bytes(b"plain".to_vec()).file_name("skill.txt"),
            ),
            "Only .zip files are accepted.",
        ),
        (
            zip_form(zip_of(&[("a/b/SKILL.md", MANIFEST)])),
            "SKILL.md at its root or one folder below",
        ),
        (
            zip_form(zip_of(&[(
                "SKILL.md",
                "---\nname: Not Valid\ndescription: d\n---\n",
            )])),
            "lowercase letters",
        ),
        (
            zip_form(zip_of(&[("SKILL.md", "---\nname: ok\n---\n")])),
            "'description'",
        ),
        (
            zip_form(zip_of(&[("../SKILL.md", MANIFEST)])),
            "leaves the skill folder",
        ),
        (
            files_form(&[("x/SKILL.md", MANIFEST), ("y/SKILL.md", MANIFEST)]),
            "several SKILL.md",
        ),
    ];
    for (form, wanted) in cases {
        let (status, body) = upload(&h, "/skills", form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(wanted), "{message} lacks {wanted}");
    }
    let (status, body) = h.post("/skills", json!({"file": "x"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["error"]["message"],
        "Invalid multipart form or request too large."
    );
    let (_, list) = h.get("/skills").await;
    assert_eq!(list["data"], json!([]));
}

#[tokio::test]
async fn put_updates_metadata_and_content_and_lists_filter() {
    let h = Harness::start().await;
    let (_, skill) = upload(&h, "/skills", files_form(&[("SKILL.md", MANIFEST)])).await;
    let id = skill["id"].as_str().unwrap().to_owned();
    let other = MANIFEST.replace("code-review", "doc-writer");
    let (status, _) = upload(&h, "/skills", files_form(&[("SKILL.md", &other)])).await;
    assert_eq!(status, StatusCode::CREATED);

    let put = |body: Value| {
        let request = h.client.put(h.url(&format!("/skills/{id}"))).json(&body);
        h.send(request)
    };
    let (status, updated) =
        put(json!({"description": "Only metadata", "metadata": {"a": "b"}})).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(
        (
            &updated["latest_version"],
            &updated["description"],
            &updated["metadata"]
        ),
        (&json!("1"), &json!("Only metadata"), &json!({"a": "b"}))
    );
    let zip = zip_of(&[("SKILL.md", &MANIFEST.replace("bugs", "style"))]);
    let encoded = base64::engine::general_purpose::STANDARD.encode(zip);
    let (_, updated) = put(json!({"content": encoded, "content_encoding": "base64"})).await;
    assert_eq!(
        (&updated["latest_version"], &updated["description"]),
        (&json!("2"), &json!("Review code for style"))
    );
    let (_, updated) =
        put(json!({"name": "renamed", "description": "Plain", "content": "Just do it."})).await;
    assert_eq!(
        (&updated["latest_version"], &updated["display_title"]),
        (&json!("3"), &json!("renamed"))
    );
    let (status, _) = put(json!({"name": "Bad Name"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = put(json!({"content": "!!", "content_encoding": "base64"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (_, named) = h.get("/skills?name=ren").await;
    assert_eq!(named["data"].as_array().unwrap().len(), 1);
    let (_, titled) = h.get("/skills?display_title=doc").await;
    assert_eq!(titled["data"][0]["display_title"], "doc-writer");
    let (_, page) = h.get("/skills?limit=1").await;
    assert_eq!(page["has_more"], true);
    let next = page["next_page"].as_str().unwrap();
    let (_, rest) = h.get(&format!("/skills?limit=1&page={next}")).await;
    assert_eq!(rest["data"][0]["id"], json!(id));
}

#[tokio::test]
async fn bound_skills_reach_the_turn_and_setup_scripts_run_once() {
    let h = Harness::start().await;
    let zip = zip_of(&[("SKILL.md", MANIFEST), ("checklist.md", "- null checks\n")]);
    let (_, skill) = upload(&h, "/skills", zip_form(zip)).await;
    let env = h
        .ok(
            "/environments",
            json!({"name": "setup", "config": {"type": "cloud",
                   "setup_script": "echo \"prepared $HOME\" > setup.txt"}}),
        )
        .await;
    let agent = h
        .ok(
            "/agents",
            json!({"name": "s", "model": "ultimate",
                   "skills": [{"type": "custom", "skill_id": skill["id"]},
                              {"type": "custom", "skill_id": "skill_missing"}]}),
        )
        .await;
    let session = h
        .ok(
            "/sessions",
            json!({"agent": agent["id"], "environment_id": env["id"]}),
        )
        .await;
    let id = session["id"].as_str().unwrap().to_owned();
    h.model
        .mount(ferrule_test_support::openai::tool_calls_reply(
            &[("call_1", "Skill", r#"{"skill": "code-review"}"#)],
            1,
        ));
    h.model
        .mount(ferrule_test_support::openai::text_reply("Reviewed."));
    h.say(&id, "review my code").await;
    let events = h.wait_for_stop(&id, "end_turn", 1).await;
    let errors: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "session.error")
        .collect();
    assert_eq!(errors.len(), 1, "{events:?}");
    assert!(
        errors[0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("skill_missing")
    );
    let result = events
        .iter()
        .find(|e| e["type"] == "agent.tool_result")
        .unwrap();
    let text = result["content"][0]["text"].as_str().unwrap();
    let cwd = h.dir.path().join("data/workspaces").join(&id);
    let dir = cwd.join(".qoder/skills/code-review");
    assert!(
        text.contains(&format!("Read {}/checklist.md", dir.display())),
        "{text}"
    );
    assert!(text.contains("checklist.md"), "{text}");
    assert_eq!(
        std::fs::read_to_string(dir.join("checklist.md")).unwrap(),
        "- null checks\n"
    );
    let system = h.model.requests()[0].body["messages"][0]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        system.contains("- code-review: Review code for bugs"),
        "{system}"
    );
    assert_eq!(
        std::fs::read_to_string(cwd.join("setup.txt")).unwrap(),
        format!("prepared {}\n", cwd.display())
    );
    std::fs::remove_file(cwd.join("setup.txt")).unwrap();
    h.model
        .mount(ferrule_test_support::openai::text_reply("Again."));
    h.say(&id, "again").await;
    h.wait_for_stop(&id, "end_turn", 2).await;
    assert!(!cwd.join("setup.txt").exists(), "the script ran twice");

    // A failing script stops the turn with its exit code and stderr.
    let broken = h
        .ok(
            "/environments",
            json!({"name": "broken", "config": {"type": "cloud",
                   "setup_script": "echo 'no such package' >&2; exit 7"}}),
        )
        .await;
    let session = h
        .ok(
            "/sessions",
            json!({"agent": agent["id"], "environment_id": broken["id"]}),
        )
        .await;
    let id = session["id"].as_str().unwrap().to_owned();
    h.say(&id, "hi").await;
    let events = h.wait_for_stop(&id, "retries_exhausted", 1).await;
    let message = events
        .iter()
        .rev()
        .find(|e| e["type"] == "session.error")
        .map(|e| e["error"]["message"].as_str().unwrap().to_owned())
        .unwrap();
    assert!(
        message.contains("setup_script exited with 7: no such package"),
        "{message}"
    );
}
