//! `--resume`, `--continue`, `--session-id` and their conflicts.

use std::fs::File;
use std::time::{Duration, SystemTime};

use ferrule_protocol::Message;
use ferrule_session::{SessionError, SessionOptions, SessionOrigin, load_transcript};
use pretty_assertions::assert_eq;

use super::{Env, reply, reply_message};

#[test]
fn resume_keeps_the_id_and_appends_to_the_same_file() {
    let env = Env::new();
    let mut first = env.new_session();
    first.transcript.append_user(&Message::user("one")).unwrap();
    let last = first.transcript.append_assistant(&reply("two")).unwrap();
    let id = first.transcript.session_id().to_owned();
    drop(first);

    let mut resumed = env.open(&Env::resume(&id));
    assert_eq!(resumed.origin, SessionOrigin::Resumed);
    assert_eq!(resumed.transcript.session_id(), id);
    assert_eq!(
        resumed.conversation.messages,
        vec![Message::user("one"), reply_message("two")]
    );
    let next = resumed
        .transcript
        .append_user(&Message::user("three"))
        .unwrap();
    assert_eq!(next.parent_uuid, Some(last.uuid));
    assert_eq!(next.session_id.as_deref(), Some(id.as_str()));

    assert_eq!(env.files().len(), 1);
    let conversation = load_transcript(resumed.transcript.path())
        .unwrap()
        .conversation();
    assert_eq!(
        conversation.messages,
        vec![
            Message::user("one"),
            reply_message("two"),
            Message::user("three")
        ]
    );
}

#[test]
fn resuming_an_unknown_id_names_the_id_and_the_file_it_looked_for() {
    let env = Env::new();
    let id = "0b6a3c5e-1d2f-4a7b-9c8d-0e1f2a3b4c5d";
    let err = env.store.open(env.cwd(), &Env::resume(id)).unwrap_err();
    let expected = env.store.transcript_path(env.cwd(), id);
    assert!(
        matches!(&err, SessionError::NotFound { id: got, looked_for } if got == id && *looked_for == expected),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains(id) && text.contains(&expected.display().to_string()),
        "{text}"
    );
    assert_eq!(env.files(), Vec::<std::path::PathBuf>::new());
}

#[test]
fn resume_together_with_continue_is_an_error() {
    let env = Env::new();
    let options = SessionOptions {
        resume: Some("0b6a3c5e-1d2f-4a7b-9c8d-0e1f2a3b4c5d".to_owned()),
        continue_recent: true,
        ..SessionOptions::default()
    };
    let err = env.store.open(env.cwd(), &options).unwrap_err();
    assert_eq!(
        err.to_string(),
        "--resume and --continue cannot be used together"
    );
}

#[test]
fn session_ids_that_are_not_uuids_are_refused() {
    let env = Env::new();
    for bad in [
        "../../etc/passwd",
        "abc",
        "0b6a3c5e1d2f4a7b9c8d0e1f2a3b4c5d",
        "",
    ] {
        let err = env.store.open(env.cwd(), &Env::resume(bad)).unwrap_err();
        assert!(
            matches!(&err, SessionError::InvalidId { id } if id == bad),
            "{bad}: {err:?}"
        );
        let options = SessionOptions {
            session_id: Some(bad.to_owned()),
            ..SessionOptions::default()
        };
        let err = env.store.open(env.cwd(), &options).unwrap_err();
        assert!(
            matches!(&err, SessionError::InvalidId { .. }),
            "{bad}: {err:?}"
        );
    }
}

#[test]
fn session_id_sets_the_id_of_a_new_session_and_refuses_an_existing_one() {
    let env = Env::new();
    let id = "0b6a3c5e-1d2f-4a7b-9c8d-0e1f2a3b4c5d";
    let options = SessionOptions {
        session_id: Some(id.to_owned()),
        ..SessionOptions::default()
    };
    let mut session = env.open(&options);
    assert_eq!(session.transcript.session_id(), id);
    session.transcript.append_user(&Message::user("x")).unwrap();
    let err = env.store.open(env.cwd(), &options).unwrap_err();
    assert!(matches!(err, SessionError::AlreadyExists { .. }), "{err:?}");
}

#[test]
fn session_id_with_resume_needs_fork() {
    let env = Env::new();
    let options = SessionOptions {
        session_id: Some("0b6a3c5e-1d2f-4a7b-9c8d-0e1f2a3b4c5d".to_owned()),
        continue_recent: true,
        ..SessionOptions::default()
    };
    let err = env.store.open(env.cwd(), &options).unwrap_err();
    assert!(matches!(err, SessionError::Conflict(_)), "{err:?}");
}

fn session_with(env: &Env, cwd: &std::path::Path, text: &str, modified: SystemTime) -> String {
    let mut session = env.store.open(cwd, &SessionOptions::default()).unwrap();
    session
        .transcript
        .append_user(&Message::user(text))
        .unwrap();
    File::options()
        .write(true)
        .open(session.transcript.path())
        .unwrap()
        .set_modified(modified)
        .unwrap();
    session.transcript.session_id().to_owned()
}

#[test]
fn continue_picks_the_most_recent_session_of_this_cwd_only() {
    let env = Env::new();
    let other_project = tempfile::tempdir().unwrap();
    let base = SystemTime::now() - Duration::from_secs(3600);
    let _older = session_with(&env, env.cwd(), "older", base);
    let newer = session_with(&env, env.cwd(), "newer", base + Duration::from_secs(60));
    let _elsewhere = session_with(
        &env,
        other_project.path(),
        "other project, newest of all",
        base + Duration::from_secs(600),
    );

    let options = SessionOptions {
        continue_recent: true,
        ..SessionOptions::default()
    };
    let session = env.open(&options);
    assert_eq!(session.origin, SessionOrigin::Resumed);
    assert_eq!(session.transcript.session_id(), newer);
    assert_eq!(session.conversation.messages, vec![Message::user("newer")]);
}

#[test]
fn continue_without_sessions_starts_a_new_one() {
    let env = Env::new();
    let options = SessionOptions {
        continue_recent: true,
        ..SessionOptions::default()
    };
    let session = env.open(&options);
    assert_eq!(session.origin, SessionOrigin::New);
    assert_eq!(session.conversation.messages, vec![]);
}

#[test]
fn resume_session_at_takes_history_through_that_entry_and_branches_from_it() {
    let env = Env::new();
    let mut session = env.new_session();
    let t = &mut session.transcript;
    t.append_user(&Message::user("q1")).unwrap();
    let a1 = t.append_assistant(&reply("a1")).unwrap();
    t.append_user(&Message::user("q2")).unwrap();
    t.append_assistant(&reply("a2")).unwrap();
    let id = t.session_id().to_owned();

    let options = SessionOptions {
        resume_at: a1.uuid.clone(),
        ..Env::resume(&id)
    };
    let mut resumed = env.open(&options);
    assert_eq!(
        resumed.conversation.messages,
        vec![Message::user("q1"), reply_message("a1")]
    );
    let q3 = resumed
        .transcript
        .append_user(&Message::user("q3"))
        .unwrap();
    assert_eq!(q3.parent_uuid, Some(a1.uuid));
    // The newest entry is on the new branch: q2/a2 are left out.
    let conversation = load_transcript(resumed.transcript.path())
        .unwrap()
        .conversation();
    assert_eq!(
        conversation.messages,
        vec![
            Message::user("q1"),
            reply_message("a1"),
            Message::user("q3")
        ]
    );
}

#[test]
fn resume_session_at_an_unknown_entry_is_an_error() {
    let env = Env::new();
    let mut session = env.new_session();
    session
        .transcript
        .append_user(&Message::user("q1"))
        .unwrap();
    let id = session.transcript.session_id().to_owned();
    let options = SessionOptions {
        resume_at: Some("no-such-entry".to_owned()),
        ..Env::resume(&id)
    };
    let err = env.store.open(env.cwd(), &options).unwrap_err();
    assert!(
        matches!(&err, SessionError::UnknownEntry { uuid, .. } if uuid == "no-such-entry"),
        "{err:?}"
    );
}

#[test]
fn resume_drops_turn_guards_against_cutting_another_turn() {
    let env = Env::new();
    let mut session = env.new_session();
    let t = &mut session.transcript;
    t.append_user(&Message::user("q1")).unwrap();
    let a1 = t.append_assistant(&reply("a1")).unwrap();
    let q2 = t.append_user(&Message::user("q2")).unwrap();
    t.append_assistant(&reply("a2")).unwrap();
    let id = t.session_id().to_owned();

    let guarded = |drops: &str| SessionOptions {
        resume_at: a1.uuid.clone(),
        resume_drops_turn: Some(drops.to_owned()),
        ..Env::resume(&id)
    };
    let ok = env.open(&guarded(q2.uuid.as_deref().unwrap()));
    assert_eq!(
        ok.conversation.messages,
        vec![Message::user("q1"), reply_message("a1")]
    );
    let err = env
        .store
        .open(env.cwd(), &guarded("other-turn"))
        .unwrap_err();
    assert!(
        matches!(&err, SessionError::DropsOtherTurn { expected, found, .. }
            if expected == "other-turn" && *found == q2.uuid),
        "{err:?}"
    );
    let unguarded_cut = SessionOptions {
        resume_drops_turn: Some("x".to_owned()),
        ..Env::resume(&id)
    };
    let err = env.store.open(env.cwd(), &unguarded_cut).unwrap_err();
    assert!(matches!(err, SessionError::Conflict(_)), "{err:?}");
}
