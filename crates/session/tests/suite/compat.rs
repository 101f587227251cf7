//! Checked-in transcripts from "other versions" load: fewer fields, more
//! fields, unknown entry types, compaction, side chains and branches.

use ferrule_protocol::Message;
use ferrule_session::{EntryKind, SessionOptions, SessionStore, load_transcript};
use pretty_assertions::assert_eq;
use serde_json::json;

use super::{fixture, reply_message};

#[test]
fn older_transcript_without_uuids_or_parents_loads_in_file_order() {
    let loaded = load_transcript(&fixture("old_without_chain_fields.jsonl")).unwrap();
    assert_eq!(loaded.diagnostics, vec![]);
    assert_eq!(
        loaded.conversation().messages,
        vec![
            Message::user("first question"),
            reply_message("first answer"),
            Message::user(vec![ferrule_protocol::ContentBlock::text(
                "second question"
            )]),
        ]
    );
}

#[test]
fn newer_transcript_with_unknown_fields_and_types_loads_the_main_branch() {
    let loaded = load_transcript(&fixture("newer_with_unknowns.jsonl")).unwrap();
    assert_eq!(loaded.diagnostics, vec![]);
    let conversation = loaded.conversation();
    assert_eq!(conversation.diagnostics, vec![]);
    // The side chain and the abandoned branch are left out; progress and
    // attachment entries are links without messages.
    assert_eq!(
        conversation.messages,
        vec![
            Message::user("fix the test"),
            reply_message("looking"),
            Message::user("take another way"),
            reply_message("done"),
        ]
    );
    let kinds: Vec<EntryKind> = conversation.chain.iter().map(|e| e.kind.clone()).collect();
    assert_eq!(
        kinds,
        vec![
            EntryKind::User,
            EntryKind::Assistant,
            EntryKind::Progress,
            EntryKind::User,
            EntryKind::Attachment,
            EntryKind::Assistant
        ]
    );
    let unknown: Vec<EntryKind> = loaded
        .entries
        .iter()
        .map(|e| e.entry.kind.clone())
        .filter(|k| matches!(k, EntryKind::Other(_)))
        .collect();
    assert_eq!(
        unknown,
        vec![
            EntryKind::Other("file-history-snapshot".to_owned()),
            EntryKind::Other("queue-operation".to_owned())
        ]
    );
    // Unknown fields are kept.
    let last = conversation.chain.last().unwrap();
    assert_eq!(
        last.extra.get("brandNewField"),
        Some(&json!({"nested": [1, 2, 3]}))
    );
}

#[test]
fn unknown_fields_survive_a_fork_copy() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    let store = SessionStore::new(home.path());
    let id = "6a1d4e2f-3b5c-4d6e-9f70-2b3c4d5e6f70";
    let path = store.transcript_path(project.path(), id);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::copy(fixture("newer_with_unknowns.jsonl"), &path).unwrap();

    let options = SessionOptions {
        resume: Some(id.to_owned()),
        fork: true,
        ..SessionOptions::default()
    };
    let fork = store.open(project.path(), &options).unwrap();
    let copied = load_transcript(fork.transcript.path()).unwrap();
    let last = &copied.entries.last().unwrap().entry;
    assert_eq!(
        last.extra.get("brandNewField"),
        Some(&json!({"nested": [1, 2, 3]}))
    );
    assert_eq!(copied.conversation().messages.len(), 4);
}

#[test]
fn compacted_transcript_loads_summary_and_later_messages() {
    let conversation = load_transcript(&fixture("compacted.jsonl"))
        .unwrap()
        .conversation();
    assert_eq!(
        conversation.messages,
        vec![
            Message::user("Summary: the user asked long ago."),
            Message::user("and now?"),
            reply_message("now this"),
        ]
    );
    assert!(conversation.chain[0].is_compact_boundary());
    assert!(conversation.chain[1].is_compact_summary);
}
