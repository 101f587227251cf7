//! Unit tests of the built-in commands whose effect is state or text: a
//! real session (scripted model) in a temp project.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferrule_permissions::Mode;
use ferrule_setup::{Host, SetupOptions};
use pretty_assertions::assert_eq;

use super::*;
use crate::asker::TuiAsker;

struct Fixture {
    _dir: tempfile::TempDir,
    project: std::path::PathBuf,
    session: Session,
    app: App,
}

async fn fixture(settings: &str) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().canonicalize().unwrap();
    let (project, home) = (base.join("proj"), base.join("home"));
    std::fs::create_dir_all(project.join(".qoder/agents")).unwrap();
    std::fs::create_dir_all(home.join(".qoder")).unwrap();
    std::fs::write(project.join(".qoder/settings.json"), settings).unwrap();
    std::fs::write(project.join("AGENTS.md"), "Be brief.\n").unwrap();
    std::fs::write(
        project.join(".qoder/agents/reviewer.md"),
        "---\nname: reviewer\ndescription: Reviews diffs\n---\nReview.\n",
    )
    .unwrap();
    std::fs::write(project.join("script.json"), r#"{"turns": []}"#).unwrap();
    let env = BTreeMap::from([("HOME".to_owned(), home.display().to_string())]);
    let mut options = SetupOptions::new(Host::Print, &project, env);
    options.home = Some(home.clone());
    options.user_dir = Some(home.join(".qoder"));
    options.model = Some("scripted/script.json".to_owned());
    let (requests, _) = tokio::sync::mpsc::unbounded_channel();
    let session = Session::start(options, Arc::new(TuiAsker { requests }), None)
        .await
        .unwrap();
    let app = App::new(session.info.model.clone(), Mode::Default);
    Fixture {
        _dir: dir,
        project,
        session,
        app,
    }
}

fn last_text(app: &App) -> String {
    match app.transcript.cells().last() {
        Some(Cell::Info(text) | Cell::Error(text)) => text.clone(),
        other => panic!("expected a note, got {other:?}"),
    }
}

#[tokio::test]
async fn help_lists_every_built_in_and_the_keys() {
    let mut f = fixture("{}").await;
    assert!(matches!(
        run_command(&mut f.app, &f.session, "/help"),
        Outcome::Done
    ));
    let text = last_text(&f.app);
    for (name, _) in BUILT_INS {
        assert!(
            text.contains(&format!("/{name} ")),
            "/{name} missing from:\n{text}"
        );
    }
    assert!(text.contains("Shift+Tab cycle modes"), "{text}");
}

#[tokio::test]
async fn model_shows_the_model_or_asks_to_switch() {
    let mut f = fixture("{}").await;
    run_command(&mut f.app, &f.session, "/model");
    assert!(
        last_text(&f.app).starts_with("Model: scripted/"),
        "{}",
        last_text(&f.app)
    );
    assert!(matches!(
        run_command(&mut f.app, &f.session, "/model openai/gpt-4.1"),
        Outcome::Model(name) if name == "openai/gpt-4.1"
    ));
}

#[tokio::test]
async fn permissions_allow_and_deny_show_and_save_rules() {
    let mut f = fixture(r#"{"permissions": {"allow": ["Read"], "deny": ["Bash(rm:*)"]}}"#).await;
    run_command(&mut f.app, &f.session, "/permissions");
    let text = last_text(&f.app);
    assert!(text.contains("Mode: default"), "{text}");
    assert!(
        text.contains("Allow: Read") && text.contains("Deny: Bash(rm:*)"),
        "{text}"
    );
    run_command(&mut f.app, &f.session, "/allow Bash(npm test:*)");
    assert!(last_text(&f.app).starts_with("Added Bash(npm test:*) to permissions.allow"));
    run_command(&mut f.app, &f.session, "/deny WebFetch");
    let saved: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(f.project.join(".qoder/settings.local.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        saved["permissions"]["allow"],
        serde_json::json!(["Bash(npm test:*)"])
    );
    assert_eq!(
        saved["permissions"]["deny"],
        serde_json::json!(["WebFetch"])
    );
    run_command(&mut f.app, &f.session, "/allow");
    assert_eq!(
        last_text(&f.app),
        "Usage: /allow <rule>, e.g. /allow Bash(npm test:*)"
    );
}

#[tokio::test]
async fn memory_agents_mcp_hooks_cost_and_status_describe_the_session() {
    let mut f = fixture(
        r#"{"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "true"}]}]}}"#,
    )
    .await;
    run_command(&mut f.app, &f.session, "/memory");
    assert!(
        last_text(&f.app).contains("AGENTS.md"),
        "{}",
        last_text(&f.app)
    );
    run_command(&mut f.app, &f.session, "/agents");
    assert!(
        last_text(&f.app).contains("reviewer (project) — Reviews diffs"),
        "{}",
        last_text(&f.app)
    );
    run_command(&mut f.app, &f.session, "/mcp");
    assert!(
        last_text(&f.app).starts_with("No MCP servers"),
        "{}",
        last_text(&f.app)
    );
    run_command(&mut f.app, &f.session, "/hooks");
    assert_eq!(last_text(&f.app), "Hooks:\nPreToolUse [Bash]: 1 hook");
    f.app.totals.input_tokens = 1200;
    f.app.totals.output_tokens = 34;
    f.app.totals.requests = 2;
    f.app.totals.turns = 1;
    run_command(&mut f.app, &f.session, "/cost");
    assert_eq!(
        last_text(&f.app),
        "Session usage: 1200 input tokens, 34 output tokens over 2 model requests in 1 turns; cost $0.0000"
    );
    run_command(&mut f.app, &f.session, "/status");
    let text = last_text(&f.app);
    assert!(
        text.contains(&format!("Working directory: {}", f.project.display())),
        "{text}"
    );
    assert!(text.contains("Permission mode: default"), "{text}");
}
