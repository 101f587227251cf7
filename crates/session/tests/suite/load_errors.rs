//! Damaged transcripts: torn last lines and malformed lines are skipped with
//! a diagnostic naming file and line; the rest loads.

use std::io::Write;

use ferrule_protocol::Message;
use ferrule_session::{Diagnostic, DiagnosticKind, load_transcript, parse_transcript};
use pretty_assertions::assert_eq;

use super::{Env, reply, reply_message};

fn append_raw(path: &std::path::Path, bytes: &[u8]) {
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
}

#[test]
fn torn_last_line_is_skipped_with_a_warning_and_resume_repairs_the_file() {
    let env = Env::new();
    let mut session = env.new_session();
    session
        .transcript
        .append_user(&Message::user("q1"))
        .unwrap();
    session.transcript.append_assistant(&reply("a1")).unwrap();
    let path = session.transcript.path().to_path_buf();
    let id = session.transcript.session_id().to_owned();
    drop(session);
    // A crash in the middle of writing the third entry.
    append_raw(&path, br#"{"type":"user","uuid":"x","message":{"role":"us"#);

    let loaded = load_transcript(&path).unwrap();
    assert_eq!(
        loaded.conversation().messages,
        vec![Message::user("q1"), reply_message("a1")]
    );
    assert_eq!(loaded.diagnostics.len(), 1);
    assert_eq!(loaded.diagnostics[0].line, 3);
    assert!(
        matches!(
            loaded.diagnostics[0].kind,
            DiagnosticKind::TornLastLine { .. }
        ),
        "{:?}",
        loaded.diagnostics
    );

    // Resuming appends after the fragment on a line of its own.
    let mut resumed = env.open(&Env::resume(&id));
    assert_eq!(resumed.conversation.messages.len(), 2);
    resumed
        .transcript
        .append_user(&Message::user("q2"))
        .unwrap();
    let reloaded = load_transcript(&path).unwrap();
    assert_eq!(
        reloaded.conversation().messages,
        vec![
            Message::user("q1"),
            reply_message("a1"),
            Message::user("q2")
        ]
    );
    let lines: Vec<usize> = reloaded.diagnostics.iter().map(|d| d.line).collect();
    assert_eq!(lines, vec![3]);
    assert!(matches!(
        reloaded.diagnostics[0].kind,
        DiagnosticKind::Malformed { .. }
    ));
}

#[test]
fn malformed_middle_line_is_reported_with_path_and_line_number() {
    let env = Env::new();
    let mut session = env.new_session();
    session
        .transcript
        .append_user(&Message::user("q1"))
        .unwrap();
    let path = session.transcript.path().to_path_buf();
    append_raw(&path, b"this is not json\n");
    session.transcript.append_assistant(&reply("a1")).unwrap();

    let loaded = load_transcript(&path).unwrap();
    // a1's parent is q1 (the bad line is not an entry), so the chain holds.
    assert_eq!(
        loaded.conversation().messages,
        vec![Message::user("q1"), reply_message("a1")]
    );
    assert_eq!(loaded.diagnostics.len(), 1);
    let diagnostic = &loaded.diagnostics[0];
    assert_eq!(
        (diagnostic.path.clone(), diagnostic.line),
        (path.clone(), 2)
    );
    let text = diagnostic.to_string();
    assert!(
        text.starts_with(&format!("{}:2: malformed line skipped: ", path.display())),
        "{text}"
    );
}

#[test]
fn lines_of_the_wrong_shape_are_malformed_not_fatal() {
    let path = std::path::Path::new("/virtual/t.jsonl");
    let bytes = b"[1,2]\n{\"no_type\":1}\n{\"type\":\"user\",\"uuid\":7}\n\xff\xfe\n{\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":\"ok\"}}\n";
    let loaded = parse_transcript(path, bytes);
    let lines: Vec<usize> = loaded.diagnostics.iter().map(|d| d.line).collect();
    assert_eq!(lines, vec![1, 2, 3, 4]);
    assert_eq!(loaded.conversation().messages, vec![Message::user("ok")]);
}

#[test]
fn message_that_does_not_parse_keeps_the_chain_and_is_reported() {
    let path = std::path::Path::new("/virtual/t.jsonl");
    let text = concat!(
        r#"{"type":"user","uuid":"u1","parentUuid":null,"message":{"role":"user","content":"q"}}"#,
        "\n",
        r#"{"type":"assistant","uuid":"a1","parentUuid":"u1","message":{"model":"m","content":[{"type":"future_block","x":1}]}}"#,
        "\n",
        r#"{"type":"user","uuid":"u2","parentUuid":"a1","message":{"role":"user","content":"next"}}"#,
        "\n",
    );
    let conversation = parse_transcript(path, text.as_bytes()).conversation();
    assert_eq!(
        conversation.messages,
        vec![Message::user("q"), Message::user("next")]
    );
    assert_eq!(conversation.chain.len(), 3);
    assert_eq!(conversation.diagnostics.len(), 1);
    let Diagnostic { line, kind, .. } = &conversation.diagnostics[0];
    assert_eq!(*line, 2);
    assert!(
        matches!(kind, DiagnosticKind::BadMessage { error } if error.contains("future_block")),
        "{kind:?}"
    );
}

#[test]
fn a_missing_parent_starts_the_history_there_with_a_diagnostic() {
    let path = std::path::Path::new("/virtual/t.jsonl");
    let text = concat!(
        r#"{"type":"user","uuid":"u2","parentUuid":"gone","message":{"role":"user","content":"later"}}"#,
        "\n",
    );
    let conversation = parse_transcript(path, text.as_bytes()).conversation();
    assert_eq!(conversation.messages, vec![Message::user("later")]);
    assert!(matches!(
        &conversation.diagnostics[0].kind,
        DiagnosticKind::MissingParent { parent } if parent == "gone"
    ));
}

#[test]
fn a_parent_cycle_ends_the_walk() {
    let path = std::path::Path::new("/virtual/t.jsonl");
    let text = concat!(
        r#"{"type":"user","uuid":"a","parentUuid":"b","message":{"role":"user","content":"a"}}"#,
        "\n",
        r#"{"type":"user","uuid":"b","parentUuid":"a","message":{"role":"user","content":"b"}}"#,
        "\n",
    );
    let conversation = parse_transcript(path, text.as_bytes()).conversation();
    assert_eq!(
        conversation.messages,
        vec![Message::user("a"), Message::user("b")]
    );
}
