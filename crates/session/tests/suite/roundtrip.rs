//! What is written loads back equal, with the documented fields.

use ferrule_protocol::{
    AssistantMessage, ContentBlock, Message, ThinkingBlock, ToolResultBlock, ToolUseBlock,
};
use ferrule_session::{Entry, EntryKind, FORMAT_VERSION, SessionOrigin, load_transcript};
use pretty_assertions::assert_eq;
use serde_json::json;

use super::{Env, reply, reply_message};

#[test]
fn written_conversation_loads_back_equal() {
    let env = Env::new();
    let mut session = env.new_session();
    assert_eq!(session.origin, SessionOrigin::New);
    let tool_call = AssistantMessage::new(
        "scripted/test",
        vec![
            ContentBlock::from(ThinkingBlock {
                thinking: "look first".to_owned(),
                signature: "sig".to_owned(),
            }),
            ContentBlock::text("reading"),
            ContentBlock::from(ToolUseBlock {
                id: "call_1".to_owned(),
                name: "Read".to_owned(),
                input: json!({"file_path": "/tmp/x"}),
            }),
        ],
    );
    let written = vec![
        Message::user("read /tmp/x"),
        Message::assistant(tool_call.content.clone()),
        Message::user(vec![ContentBlock::from(ToolResultBlock::text(
            "call_1", "hello",
        ))]),
        reply_message("it says hello"),
    ];
    session.transcript.append_user(&written[0]).unwrap();
    session.transcript.append_assistant(&tool_call).unwrap();
    session.transcript.append_user(&written[2]).unwrap();
    session
        .transcript
        .append_assistant(&reply("it says hello"))
        .unwrap();

    let loaded = load_transcript(session.transcript.path()).unwrap();
    assert_eq!(loaded.diagnostics, vec![]);
    assert_eq!(loaded.conversation().messages, written);
}

#[test]
fn entries_carry_session_id_chain_cwd_version_and_time() {
    let env = Env::new();
    let mut session = env.new_session();
    let first = session
        .transcript
        .append_user(&Message::user("hi"))
        .unwrap();
    let second = session
        .transcript
        .append_assistant(&reply("hello"))
        .unwrap();
    let id = session.transcript.session_id().to_owned();
    let cwd = ferrule_session::canonical_project_path(env.cwd());

    let loaded = load_transcript(session.transcript.path()).unwrap();
    let entries: Vec<Entry> = loaded.entries.into_iter().map(|e| e.entry).collect();
    assert_eq!(entries, vec![first.clone(), second.clone()]);
    assert_eq!(first.kind, EntryKind::User);
    assert_eq!(first.parent_uuid, Some(None));
    assert_eq!(second.parent_uuid, Some(first.uuid.clone()));
    assert_eq!(first.session_id.as_deref(), Some(id.as_str()));
    assert_eq!(first.cwd.as_deref(), Some(cwd.as_str()));
    assert_eq!(first.version.as_deref(), Some(FORMAT_VERSION));
    let stamp = first.timestamp.unwrap();
    assert!(stamp.parse::<jiff::Timestamp>().is_ok(), "{stamp}");
    assert!(stamp.ends_with('Z'), "{stamp}");
}

#[test]
fn transcript_lives_in_the_qoder_layout() {
    let env = Env::new();
    let mut session = env.new_session();
    session
        .transcript
        .append_user(&Message::user("hi"))
        .unwrap();
    let id = session.transcript.session_id().to_owned();
    let dir = ferrule_session::project_dir_name(env.cwd());
    assert_eq!(
        env.files(),
        vec![std::path::PathBuf::from(format!(
            "projects/{dir}/{id}.jsonl"
        ))]
    );
    // One JSON object per line, each line ends with a newline.
    let text = std::fs::read_to_string(session.transcript.path()).unwrap();
    assert!(text.ends_with('\n'));
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["type"], "user");
    assert_eq!(first["sessionId"], id.as_str());
    assert_eq!(first["message"], json!({"role": "user", "content": "hi"}));
}

#[test]
fn compact_boundary_loads_as_summary_and_later_messages() {
    let env = Env::new();
    let mut session = env.new_session();
    let t = &mut session.transcript;
    t.append_user(&Message::user("old question")).unwrap();
    let before = t.append_assistant(&reply("old answer")).unwrap();
    let boundary = t
        .append(Entry::compact_boundary("Conversation compacted"))
        .unwrap();
    t.append(Entry::compact_summary("summary of the old part"))
        .unwrap();
    t.append_user(&Message::user("new question")).unwrap();
    t.append_assistant(&reply("new answer")).unwrap();
    assert_eq!(boundary.parent_uuid, Some(None));
    assert_eq!(boundary.logical_parent_uuid, before.uuid);

    let conversation = load_transcript(t.path()).unwrap().conversation();
    assert_eq!(
        conversation.messages,
        vec![
            Message::user("summary of the old part"),
            Message::user("new question"),
            reply_message("new answer"),
        ]
    );
}

#[test]
fn subagent_transcript_is_a_sidechain_beside_the_session() {
    let env = Env::new();
    let mut session = env.new_session();
    session
        .transcript
        .append_user(&Message::user("delegate"))
        .unwrap();
    let mut agent = env.store.subagent_transcript(&session.transcript, "a1b2");
    let entry = agent.append_user(&Message::user("sub task")).unwrap();
    agent.append_assistant(&reply("sub done")).unwrap();
    assert!(entry.is_sidechain);
    assert_eq!(entry.extra.get("agentId"), Some(&json!("a1b2")));
    let id = session.transcript.session_id();
    let expected = session
        .transcript
        .path()
        .with_file_name(format!("{id}/subagents/agent-a1b2.jsonl"));
    assert_eq!(agent.path(), expected);
    assert!(expected.is_file());
    // The subagent's own file loads as its conversation ...
    let own = load_transcript(agent.path()).unwrap().conversation();
    assert_eq!(
        own.messages,
        vec![Message::user("sub task"), reply_message("sub done")]
    );
    // ... and the parent's conversation does not include the side chain.
    let conversation = load_transcript(session.transcript.path())
        .unwrap()
        .conversation();
    assert_eq!(conversation.messages, vec![Message::user("delegate")]);
}

#[test]
fn entries_record_the_git_branch_of_the_project() {
    let env = Env::new();
    let status = std::process::Command::new("git")
        .args(["init", "-q", "-b", "feature/x"])
        .current_dir(env.cwd())
        .status();
    let Ok(status) = status else {
        super::missing_prerequisite("git is not runnable");
        return;
    };
    assert!(status.success());
    let nested = env.cwd().join("src");
    std::fs::create_dir(&nested).unwrap();
    assert_eq!(
        ferrule_session::git_branch(&nested).as_deref(),
        Some("feature/x")
    );
    let mut session = env.new_session();
    let entry = session
        .transcript
        .append_user(&Message::user("hi"))
        .unwrap();
    assert_eq!(entry.git_branch.as_deref(), Some("feature/x"));
}

#[test]
fn store_from_load_options_prefers_the_config_dir_flag() {
    let mut options = ferrule_config::LoadOptions::new("/work");
    options.user_dir = Some("/custom/qoder".into());
    let store = ferrule_session::SessionStore::from_load_options(&options).unwrap();
    assert_eq!(store.user_dir(), std::path::Path::new("/custom/qoder"));
    assert_eq!(
        store.projects_dir(),
        std::path::PathBuf::from("/custom/qoder/projects")
    );
}
