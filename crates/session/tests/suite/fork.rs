//! `--fork-session`: a copy under a new id; the source is left alone.

use ferrule_protocol::Message;
use ferrule_session::{SessionError, SessionOptions, SessionOrigin, load_transcript};
use pretty_assertions::assert_eq;
use serde_json::json;

use super::{Env, reply, reply_message};

#[test]
fn fork_copies_history_to_a_new_id_and_leaves_the_source_byte_identical() {
    let env = Env::new();
    let mut source = env.new_session();
    source.transcript.append_user(&Message::user("q1")).unwrap();
    let a1 = source.transcript.append_assistant(&reply("a1")).unwrap();
    let source_id = source.transcript.session_id().to_owned();
    let source_path = source.transcript.path().to_path_buf();
    let before = std::fs::read(&source_path).unwrap();

    let options = SessionOptions {
        fork: true,
        ..Env::resume(&source_id)
    };
    let mut fork = env.open(&options);
    assert_eq!(
        fork.origin,
        SessionOrigin::Forked {
            from: source_id.clone()
        }
    );
    assert_ne!(fork.transcript.session_id(), source_id);
    assert_eq!(
        fork.conversation.messages,
        vec![Message::user("q1"), reply_message("a1")]
    );
    fork.transcript
        .append_user(&Message::user("q2 on the fork"))
        .unwrap();

    assert_eq!(std::fs::read(&source_path).unwrap(), before);
    let forked = load_transcript(fork.transcript.path()).unwrap();
    assert_eq!(
        forked.conversation().messages,
        vec![
            Message::user("q1"),
            reply_message("a1"),
            Message::user("q2 on the fork")
        ]
    );
    let fork_id = fork.transcript.session_id();
    for entry in &forked.entries {
        assert_eq!(entry.entry.session_id.as_deref(), Some(fork_id));
    }
    // Copies get their own ids and remember their originals.
    let copied_a1 = &forked.entries[1].entry;
    assert_ne!(copied_a1.uuid, a1.uuid);
    assert_eq!(
        copied_a1.extra.get("forkedFrom"),
        Some(&json!({"sessionId": source_id, "messageUuid": a1.uuid}))
    );
}

#[test]
fn fork_takes_the_given_session_id_and_the_resume_at_cut() {
    let env = Env::new();
    let mut source = env.new_session();
    source.transcript.append_user(&Message::user("q1")).unwrap();
    let a1 = source.transcript.append_assistant(&reply("a1")).unwrap();
    source.transcript.append_user(&Message::user("q2")).unwrap();
    let source_id = source.transcript.session_id().to_owned();
    let new_id = "7d444840-9dc0-41d2-a5a5-6f3a1b2c3d4e";

    let options = SessionOptions {
        fork: true,
        session_id: Some(new_id.to_owned()),
        resume_at: a1.uuid,
        ..Env::resume(&source_id)
    };
    let fork = env.open(&options);
    assert_eq!(fork.transcript.session_id(), new_id);
    let on_disk = load_transcript(&env.store.transcript_path(env.cwd(), new_id))
        .unwrap()
        .conversation()
        .messages;
    assert_eq!(on_disk, vec![Message::user("q1"), reply_message("a1")]);
}

#[test]
fn fork_without_resume_or_continue_is_an_error() {
    let env = Env::new();
    let options = SessionOptions {
        fork: true,
        ..SessionOptions::default()
    };
    let err = env.store.open(env.cwd(), &options).unwrap_err();
    assert!(matches!(err, SessionError::Conflict(_)), "{err:?}");
}
