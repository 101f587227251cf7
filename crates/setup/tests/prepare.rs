//! `prepare` on temp projects: settings, tools, session, checkpoints, the
//! errors that stop a session, and the agent it builds.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ferrule_agent::{NullSink, UserInput};
use ferrule_permissions::Mode;
use ferrule_protocol::TurnOutcome;
use ferrule_session::SessionOptions;
use ferrule_setup::{Host, SetupError, SetupOptions, SystemPromptChoice, ToolSelection, prepare};
use pretty_assertions::assert_eq;

struct Tree {
    _dir: tempfile::TempDir,
    base: PathBuf,
}

impl Tree {
    fn new(files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        for sub in ["proj", "home", "user"] {
            std::fs::create_dir_all(base.join(sub)).unwrap();
        }
        for (rel, text) in files {
            let path = base.join("proj").join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        std::fs::write(
            base.join("proj/script.json"),
            r#"{"turns": [{"blocks": [{"type": "text", "text": "scripted hello"}]}]}"#,
        )
        .unwrap();
        Self { _dir: dir, base }
    }

    fn proj(&self) -> PathBuf {
        self.base.join("proj")
    }

    fn options(&self) -> SetupOptions {
        let env = BTreeMap::from([
            ("HOME".to_owned(), path_text(&self.base.join("home"))),
            (
                "FERRULE_HOME".to_owned(),
                path_text(&self.base.join("user")),
            ),
        ]);
        let mut options = SetupOptions::new(Host::Print, self.proj(), env);
        options.model = Some("scripted/script.json".to_owned());
        options.policy_path = Some(self.base.join("no-policy.json"));
        options
    }
}

fn path_text(path: &Path) -> String {
    path.display().to_string()
}

#[test]
fn settings_mode_tools_and_prompt_come_together() {
    let tree = Tree::new(&[
        (
            ".qoder/settings.json",
            r#"{"general": {"defaultPermissionMode": "acceptEdits"}}"#,
        ),
        ("AGENTS.md", "Always run the linter.\n"),
    ]);
    let mut options = tree.options();
    options.tools = ToolSelection::parse(&["Read,Edit"]);
    let prepared = prepare(options).unwrap();
    assert_eq!(prepared.mode, Mode::AcceptEdits);
    assert_eq!(prepared.tools.names(), ["Read", "Edit"]);
    assert_eq!(
        prepared.prompt.context.memory[0].1,
        "Always run the linter.\n"
    );
    assert!(prepared.checkpoints.is_none());
    assert!(prepared.history.is_empty());
}

#[tokio::test]
async fn the_builder_runs_and_the_session_resumes() {
    let tree = Tree::new(&[]);
    let mut options = tree.options();
    options.tools = ToolSelection::parse(&["Read"]);
    let prepared = prepare(options).unwrap();
    let (builder, info) = prepared.into_builder();
    let mut agent = builder.build().unwrap();
    assert_eq!(agent.tool_names(), ["Read"], "loop tools follow --tools");
    let result = agent.run(UserInput::text("hi"), &NullSink).await;
    assert_eq!(result.outcome, TurnOutcome::Completed);
    assert_eq!(result.summary.result.as_deref(), Some("scripted hello"));
    let facts = info.init_facts(agent.tool_names());
    assert_eq!(facts.session_id, info.session_id);
    assert!(info.transcript_path.as_ref().is_some_and(|p| p.is_file()));
    drop(agent);

    let mut again = tree.options();
    again.session = SessionOptions {
        resume: Some(info.session_id.clone()),
        ..SessionOptions::default()
    };
    let resumed = prepare(again).unwrap();
    assert_eq!(resumed.session_id(), info.session_id);
    assert_eq!(resumed.history.len(), 2);
}

#[test]
fn file_checkpointing_opens_a_store_beside_the_transcript() {
    let tree = Tree::new(&[(
        ".qoder/settings.json",
        r#"{"general": {"fileCheckpointing": {"enabled": true}}}"#,
    )]);
    let prepared = prepare(tree.options()).unwrap();
    let store = prepared.checkpoints.as_ref().expect("checkpoints on");
    assert!(
        store
            .dir()
            .ends_with(format!("{}/checkpoints", prepared.session_id()))
    );
    assert!(store.dir().is_dir());
}

#[test]
fn bad_inputs_stop_the_session_with_a_clear_error() {
    let tree = Tree::new(&[]);

    let mut options = tree.options();
    options.permission_mode = Some("acceptEdit".to_owned());
    let err = prepare(options).unwrap_err();
    assert!(matches!(err, SetupError::Policy(_)), "{err}");
    assert!(err.to_string().contains("acceptEdit"), "{err}");

    let mut options = tree.options();
    options.settings = Some(r#"{"security": {"disableYoloMode": true}}"#.to_owned());
    options.permission_mode = Some("yolo".to_owned());
    let err = prepare(options).unwrap_err();
    assert!(err.to_string().contains("disabled by settings"), "{err}");

    let mut options = tree.options();
    options.system_prompt = SystemPromptChoice::File(PathBuf::from("missing.md"));
    let err = prepare(options).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("System prompt file not found: "),
        "{err}"
    );

    let mut options = tree.options();
    options.model = None;
    let err = prepare(options).unwrap_err();
    assert!(err.to_string().contains("no model configured"), "{err}");

    let mut options = tree.options();
    options.cwd = tree.base.join("nowhere");
    assert!(matches!(prepare(options), Err(SetupError::Cwd(_))));
}
