//! `--no-session-persistence` writes nothing at all.

use ferrule_protocol::Message;
use ferrule_session::{Persistence, SessionOptions};
use pretty_assertions::assert_eq;

use super::{Env, reply};

#[test]
fn no_persistence_writes_nothing_but_still_chains_entries() {
    let env = Env::new();
    let options = SessionOptions {
        persistence: Persistence::Disabled,
        ..SessionOptions::default()
    };
    let mut session = env.open(&options);
    let first = session
        .transcript
        .append_user(&Message::user("hi"))
        .unwrap();
    let second = session
        .transcript
        .append_assistant(&reply("hello"))
        .unwrap();
    session.transcript.sync().unwrap();
    assert_eq!(second.parent_uuid, Some(first.uuid));
    assert_eq!(env.files(), Vec::<std::path::PathBuf>::new());
    assert!(!env.home.path().join("projects").exists());
}

#[test]
fn no_persistence_resume_and_fork_read_but_do_not_write() {
    let env = Env::new();
    let mut source = env.new_session();
    source.transcript.append_user(&Message::user("q")).unwrap();
    let id = source.transcript.session_id().to_owned();
    let before = env.files();
    let bytes = std::fs::read(source.transcript.path()).unwrap();

    for fork in [false, true] {
        let options = SessionOptions {
            fork,
            persistence: Persistence::Disabled,
            ..Env::resume(&id)
        };
        let mut session = env.open(&options);
        assert_eq!(session.conversation.messages, vec![Message::user("q")]);
        session.transcript.append_assistant(&reply("a")).unwrap();
    }
    assert_eq!(env.files(), before);
    assert_eq!(std::fs::read(source.transcript.path()).unwrap(), bytes);
}
