//! Listing, renaming, tagging and deleting sessions.

use std::fs::File;
use std::time::{Duration, SystemTime};

use ferrule_protocol::{ContentBlock, Message, ToolResultBlock};
use ferrule_session::{Entry, SessionError, SessionInfo};
use pretty_assertions::assert_eq;

use super::{Env, reply};

fn touch(path: &std::path::Path, at: SystemTime) {
    File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(at)
        .unwrap();
}

/// The parts of an info that do not depend on time or temp paths.
fn summary(
    info: &SessionInfo,
) -> (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    usize,
    bool,
) {
    (
        info.session_id.clone(),
        info.title.clone(),
        info.custom_title.clone(),
        info.tag.clone(),
        info.first_prompt.clone(),
        info.message_count,
        info.message_count_exact,
    )
}

#[test]
fn list_shows_titles_prompts_counts_newest_first() {
    let env = Env::new();
    let base = SystemTime::now() - Duration::from_secs(3600);

    let mut a = env.new_session();
    a.transcript
        .append_user(&Message::user("first session prompt"))
        .unwrap();
    a.transcript.append_assistant(&reply("ok")).unwrap();
    a.transcript
        .append_user(&Message::user(vec![ContentBlock::from(
            ToolResultBlock::text("c", "r"),
        )]))
        .unwrap();
    let a_id = a.transcript.session_id().to_owned();

    let mut b = env.new_session();
    let mut meta = Entry::user(&Message::user("<system-reminder>"));
    meta.is_meta = true;
    b.transcript.append(meta).unwrap();
    b.transcript
        .append_user(&Message::user("second\nsession"))
        .unwrap();
    let b_id = b.transcript.session_id().to_owned();
    env.store.rename(env.cwd(), &b_id, "Named by me").unwrap();
    env.store.tag(env.cwd(), &b_id, "wip").unwrap();

    touch(a.transcript.path(), base);
    touch(b.transcript.path(), base + Duration::from_secs(10));

    let listed = env.store.list(env.cwd()).unwrap();
    assert_eq!(
        listed.iter().map(summary).collect::<Vec<_>>(),
        vec![
            (
                b_id,
                "Named by me".to_owned(),
                Some("Named by me".to_owned()),
                Some("wip".to_owned()),
                Some("second session".to_owned()),
                2,
                true
            ),
            (
                a_id,
                "first session prompt".to_owned(),
                None,
                None,
                Some("first session prompt".to_owned()),
                3,
                true
            ),
        ]
    );
    assert!(listed[0].modified > listed[1].modified);
}

#[test]
fn list_of_a_big_transcript_reads_only_head_and_tail() {
    let env = Env::new();
    let mut session = env.new_session();
    session
        .transcript
        .append_user(&Message::user("the start"))
        .unwrap();
    let filler = "x".repeat(1000);
    for _ in 0..300 {
        session
            .transcript
            .append_assistant(&reply(&filler))
            .unwrap();
    }
    session
        .transcript
        .append(Entry::last_prompt("the latest prompt"))
        .unwrap();
    let listed = env.store.list(env.cwd()).unwrap();
    assert_eq!(listed.len(), 1);
    let info = &listed[0];
    assert_eq!(info.first_prompt.as_deref(), Some("the start"));
    assert_eq!(info.last_prompt.as_deref(), Some("the latest prompt"));
    assert_eq!(info.title, "the latest prompt");
    assert!(!info.message_count_exact);
    // About 1.3 KB a line: the two 64 KiB reads see about a third of them.
    assert!(info.file_size > 128 * 1024, "{}", info.file_size);
    assert!(
        (50..301).contains(&info.message_count),
        "{}",
        info.message_count
    );
}

#[test]
fn delete_removes_the_transcript_and_its_subagents() {
    let env = Env::new();
    let mut session = env.new_session();
    session
        .transcript
        .append_user(&Message::user("bye"))
        .unwrap();
    let mut agent = env.store.subagent_transcript(&session.transcript, "a1");
    agent.append_user(&Message::user("sub")).unwrap();
    let id = session.transcript.session_id().to_owned();
    assert_eq!(env.files().len(), 2);

    env.store.delete(env.cwd(), &id).unwrap();
    assert_eq!(env.files(), Vec::<std::path::PathBuf>::new());
    assert_eq!(env.store.list(env.cwd()).unwrap(), vec![]);
    let err = env.store.delete(env.cwd(), &id).unwrap_err();
    assert!(matches!(err, SessionError::NotFound { .. }), "{err:?}");
}

#[test]
fn list_of_a_project_without_sessions_is_empty() {
    let env = Env::new();
    assert_eq!(env.store.list(env.cwd()).unwrap(), vec![]);
}
