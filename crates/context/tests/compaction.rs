//! Compaction end to end: a scripted model writes the summary, the
//! transcript records the boundary and a resumed session starts from it,
//! hooks fire and may cancel, a failing summary leaves the history as it
//! was, pinned items survive.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use ferrule_context::{
    CompactError, CompactRequest, Compactor, ContextManager, ContextSettings, ContextState,
    EnvOverrides, HookContext, Pinned, SUMMARY_PREFACE, WINDOW_ENV,
};
use ferrule_hooks::{CommonFields, Dispatcher, HookSource};
use ferrule_model::{Script, ScriptTurn, ScriptedModel};
use ferrule_protocol::sdk::CompactTrigger;
use ferrule_protocol::{
    ContentBlock, Message, MessageContent, Role, ToolResultBlock, ToolUseBlock,
};
use ferrule_session::{SessionOptions, SessionStore};
use pretty_assertions::assert_eq;
use serde_json::json;

const SUMMARY: &str = "## Task\nAdd a --verbose flag.\n## Open work\n- [ ] write the test";

fn summarizer(dir: &Path, answers: &[&str]) -> ScriptedModel {
    let turns = answers
        .iter()
        .map(|text| ScriptTurn::from_blocks(vec![ContentBlock::text(*text)]))
        .collect();
    ScriptedModel::new(dir.join("summary.json"), Script { model: None, turns })
}

fn call(id: &str, name: &str, input: serde_json::Value) -> Message {
    Message::assistant(vec![ContentBlock::ToolUse(ToolUseBlock {
        id: id.into(),
        name: name.into(),
        input,
    })])
}

fn result(id: &str, text: &str) -> Message {
    Message::user(vec![ContentBlock::ToolResult(ToolResultBlock::text(
        id, text,
    ))])
}

/// A session of `rounds` Read calls on big files, after one prompt.
fn long_session(rounds: usize) -> Vec<Message> {
    let mut history = vec![Message::user("Add a --verbose flag to the CLI.")];
    for i in 0..rounds {
        let id = format!("call_{i}");
        history.push(call(
            &id,
            "Read",
            json!({"file_path": format!("src/file{i}.rs")}),
        ));
        history.push(result(
            &id,
            &format!("fn f{i}() {{ let value = {i}; }}\n").repeat(400),
        ));
    }
    history.push(Message::assistant(vec![ContentBlock::text(
        "I read everything.",
    )]));
    history
}

fn text_of(message: &Message) -> String {
    match &message.content {
        MessageContent::Text(text) => text.clone(),
        MessageContent::Blocks(blocks) => blocks
            .iter()
            .filter_map(ContentBlock::as_text)
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

fn manager(cwd: &Path, window: u64) -> ContextManager {
    let env = EnvOverrides {
        window: Some(window),
        percent: None,
    };
    ContextManager::new(
        "anthropic/claude-sonnet-4-5",
        &ContextSettings::default(),
        env,
        cwd,
    )
}

#[test]
fn settings_and_environment_reach_the_manager() {
    let env = BTreeMap::from([(WINDOW_ENV.to_owned(), "60000".to_owned())]);
    let settings = json!({"context": {"windows": {"claude": 100000}, "autoCompact": false}});
    let context = ContextManager::from_settings(
        "anthropic/claude-sonnet-4-5",
        &settings,
        &env,
        Path::new("/p"),
    )
    .unwrap();
    assert_eq!(context.limits().context_window, 100_000);
    assert_eq!(context.thresholds().effective_window, 45_000);
    assert!(!context.auto_compact());
    let bad = BTreeMap::from([(WINDOW_ENV.to_owned(), "lots".to_owned())]);
    let error =
        ContextManager::from_settings("gpt-4o", &json!({}), &bad, Path::new("/p")).unwrap_err();
    assert!(error.to_string().contains(WINDOW_ENV), "{error}");
}

#[tokio::test]
async fn a_long_session_crosses_the_threshold_reduces_compacts_and_resumes() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    let store = SessionStore::new(home.path());
    let mut session = store
        .open(project.path(), &SessionOptions::default())
        .unwrap();
    let id = session.transcript.session_id().to_owned();

    // A 60k window: W = 45000 (reserve capped at a quarter), compaction at 32000.
    let mut context = manager(project.path(), 60_000);
    let mut history = Vec::new();
    for message in long_session(12) {
        match message.role {
            Role::User => session.transcript.append_user(&message).unwrap(),
            Role::Assistant => session
                .transcript
                .append_assistant(&ferrule_protocol::AssistantMessage::new(
                    "anthropic/claude-sonnet-4-5",
                    message.content.clone().into_blocks(),
                ))
                .unwrap(),
        };
        context.observe(&message);
        history.push(message);
    }
    let before = context.usage_tokens();
    assert!(
        context.state() >= ContextState::ShouldCompact,
        "{before} tokens"
    );

    // The cheap reduction first: old Read results become stubs.
    let reduced = context
        .maybe_reduce(&mut history)
        .expect("something to stub");
    assert!(reduced.stubbed > 0);
    assert!(context.usage_tokens() < before);
    assert!(
        text_of(&history[0]).contains("--verbose"),
        "the prompt stays"
    );

    // Then the full compaction, recorded in the transcript.
    let dir = tempfile::tempdir().unwrap();
    let model = summarizer(dir.path(), &[SUMMARY]);
    let compacted = context
        .compact(
            &model,
            &mut history,
            CompactRequest {
                trigger: CompactTrigger::Auto,
                instructions: None,
                hooks: None,
                transcript: Some(&mut session.transcript),
            },
        )
        .await
        .unwrap();
    assert_eq!(compacted.summary, SUMMARY);
    assert_eq!(history, compacted.messages);
    assert!(text_of(&history[0]).starts_with(SUMMARY_PREFACE));
    assert!(text_of(&history[0]).contains(SUMMARY));
    assert!(
        text_of(&history[0]).contains("- src/file11.rs"),
        "recent files re-attached"
    );
    assert_eq!(
        history.last().map(text_of).as_deref(),
        Some("I read everything.")
    );
    assert!(compacted.post_tokens < compacted.pre_tokens);
    assert_eq!(context.state(), ContextState::Fine);

    // The session goes on, then is resumed from its transcript.
    let next = Message::user("Now write the test.");
    session.transcript.append_user(&next).unwrap();
    history.push(next);
    drop(session);
    let options = SessionOptions {
        resume: Some(id),
        ..SessionOptions::default()
    };
    let resumed = store.open(project.path(), &options).unwrap();
    assert_eq!(resumed.conversation.messages, history);
    let boundary = resumed
        .conversation
        .chain
        .iter()
        .find(|e| e.is_compact_boundary())
        .expect("a boundary");
    assert_eq!(boundary.extra["compactMetadata"]["trigger"], "auto");
}

#[tokio::test]
async fn a_failed_summary_leaves_the_history_and_counts_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mut context = manager(dir.path(), 60_000);
    let mut history = long_session(3);
    context.reset(&history);
    let (before, tokens) = (history.clone(), context.usage_tokens());
    let exhausted = summarizer(dir.path(), &[]);
    let error = context
        .compact(
            &exhausted,
            &mut history,
            CompactRequest {
                trigger: CompactTrigger::Manual,
                instructions: Some("focus on the flag"),
                hooks: None,
                transcript: None,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(error, CompactError::Model { .. }), "{error}");
    assert!(error.to_string().contains("summary request"), "{error}");
    assert_eq!(history, before);
    assert_eq!(context.usage_tokens(), tokens);

    // A blank answer is an error too; the next good answer works.
    let model = summarizer(dir.path(), &["   ", SUMMARY]);
    let blank = Compactor::new()
        .compact(&model, &history, None, &Pinned::new())
        .await;
    assert!(
        matches!(blank, Err(CompactError::EmptySummary { .. })),
        "{blank:?}"
    );
    let good = Compactor::new()
        .compact(&model, &history, None, &Pinned::new())
        .await
        .unwrap();
    assert_eq!(good.summary, SUMMARY);
}

#[tokio::test]
async fn pinned_messages_and_files_survive_and_old_tool_pairs_are_not_split() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("SPEC.md"),
        "The flag is spelled --verbose.\n",
    )
    .unwrap();
    let history = long_session(6);
    let settings = ContextSettings {
        pinned_files: vec!["SPEC.md".to_owned()],
        ..ContextSettings::default()
    };
    let mut context = ContextManager::new(
        "openai/gpt-4.1",
        &settings,
        EnvOverrides::default(),
        dir.path(),
    );
    context
        .pinned_mut()
        .pin_message("uuid-prompt", history[0].clone());
    let compactor = Compactor {
        keep_recent_turns: 2,
        ..Compactor::default()
    };
    let model = summarizer(dir.path(), &[SUMMARY]);
    let compacted = compactor
        .compact(
            &model,
            &history,
            Some("keep the flag name"),
            context.pinned(),
        )
        .await
        .unwrap();
    let head = text_of(&compacted.messages[0]);
    assert!(
        head.contains(
            "Pinned message (user, uuid-prompt), kept verbatim:\nAdd a --verbose flag to the CLI."
        ),
        "{head}"
    );
    assert!(head.contains("The flag is spelled --verbose."), "{head}");
    // Kept: the last Read call, its result and the final answer.
    assert_eq!(compacted.kept, 3);
    assert_eq!(&compacted.messages[1..], &history[history.len() - 3..]);
    assert_eq!(compacted.messages[1].role, Role::Assistant);
}

#[tokio::test]
async fn a_pre_compact_hook_can_cancel_and_post_compact_gets_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("post.json");
    let hooks = json!({
        "PreCompact": [{"matcher": "manual", "hooks": [{"type": "command",
            "command": "echo 'not now' >&2; exit 2"}]}],
        "PostCompact": [{"hooks": [{"type": "command",
            "command": format!("cat > {}", log.display())}]}]
    });
    let dispatcher = Dispatcher::builder(dir.path())
        .hooks(&hooks, HookSource::session("test"))
        .build();
    let hooks = HookContext {
        dispatcher: Arc::new(dispatcher),
        common: CommonFields {
            session_id: "s1".into(),
            cwd: dir.path().display().to_string(),
            ..CommonFields::default()
        },
    };
    let mut context = manager(dir.path(), 60_000);
    let mut history = long_session(2);
    let model = summarizer(dir.path(), &[SUMMARY]);
    let blocked = context
        .compact(
            &model,
            &mut history,
            CompactRequest {
                trigger: CompactTrigger::Manual,
                instructions: None,
                hooks: Some(&hooks),
                transcript: None,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&blocked, CompactError::Blocked { reason } if reason.contains("not now")),
        "{blocked}"
    );
    assert_eq!(history, long_session(2));

    // The matcher is `manual`: an automatic compaction goes ahead.
    context
        .compact(
            &model,
            &mut history,
            CompactRequest {
                trigger: CompactTrigger::Auto,
                instructions: None,
                hooks: Some(&hooks),
                transcript: None,
            },
        )
        .await
        .unwrap();
    let post: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&log).unwrap()).unwrap();
    assert_eq!(post["hook_event_name"], "PostCompact");
    assert_eq!(post["trigger"], "auto");
    assert_eq!(post["compact_summary"], SUMMARY);
}
