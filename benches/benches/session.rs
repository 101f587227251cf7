//! ferrule-session: appending one entry (encode, one `write`, flush) beside a
//! bare `write` of the same bytes to an append-mode file; loading a
//! 1000-entry transcript (parse + chain walk) beside parsing the same lines
//! as untyped JSON; and listing 50 sessions of 1000 entries (head and tail
//! reads) beside fully loading them. Run with
//! `cargo bench -p ferrule-benches --bench session`; figures are recorded in
//! README.md ("Session").

use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;

use divan::Bencher;
use ferrule_protocol::{AssistantMessage, ContentBlock, Message};
use ferrule_session::{Entry, SessionOptions, SessionStore, Transcript, load_transcript};

fn main() {
    divan::main();
}

const ENTRIES: usize = 1000;
const SESSIONS: usize = 50;

struct Fixture {
    _home: tempfile::TempDir,
    _project: tempfile::TempDir,
    store: SessionStore,
    cwd: PathBuf,
    one: PathBuf,
}

/// A typical reply: a paragraph of text.
fn reply() -> AssistantMessage {
    AssistantMessage::new(
        "openai/gpt-4.1",
        vec![ContentBlock::text(
            "I read the file and changed the failing assertion; the test passes now. ".repeat(4),
        )],
    )
}

fn fill(transcript: &mut Transcript) {
    for i in 0..ENTRIES / 2 {
        transcript
            .append_user(&Message::user(format!("prompt number {i}")))
            .unwrap_or_else(|e| panic!("{e}"));
        transcript
            .append_assistant(&reply())
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let project = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = SessionStore::new(home.path());
        let cwd = project.path().to_path_buf();
        let mut one = PathBuf::new();
        for _ in 0..SESSIONS {
            let mut session = store
                .open(&cwd, &SessionOptions::default())
                .unwrap_or_else(|e| panic!("{e}"));
            fill(&mut session.transcript);
            one = session.transcript.path().to_path_buf();
        }
        Fixture {
            _home: home,
            _project: project,
            store,
            cwd,
            one,
        }
    })
}

#[divan::bench]
fn append_entry(bencher: Bencher<'_, '_>) {
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let project = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = SessionStore::new(home.path());
    let mut session = store
        .open(project.path(), &SessionOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let message = reply();
    bencher.bench_local(|| session.transcript.append(Entry::assistant(&message)));
}

#[divan::bench]
fn append_bare_write(bencher: Bencher<'_, '_>) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.path().join("t.jsonl"))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut line = serde_json::to_vec(&Entry::assistant(&reply())).unwrap_or_default();
    line.push(b'\n');
    bencher.bench_local(|| file.write_all(&line));
}

#[divan::bench]
fn load_1000_entries(bencher: Bencher<'_, '_>) {
    let path = &fixture().one;
    bencher.bench(|| {
        load_transcript(path)
            .map(|t| t.conversation().messages.len())
            .unwrap_or(0)
    });
}

#[divan::bench]
fn parse_1000_lines_as_untyped_json(bencher: Bencher<'_, '_>) {
    let path = &fixture().one;
    bencher.bench(|| {
        let bytes = std::fs::read(path).unwrap_or_default();
        bytes
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .filter_map(|l| serde_json::from_slice::<serde_json::Value>(l).ok())
            .count()
    });
}

#[divan::bench]
fn list_50_sessions(bencher: Bencher<'_, '_>) {
    let f = fixture();
    bencher.bench(|| f.store.list(&f.cwd).map(|l| l.len()).unwrap_or(0));
}

#[divan::bench]
fn load_all_50_sessions(bencher: Bencher<'_, '_>) {
    let f = fixture();
    bencher.bench(|| {
        f.store
            .list(&f.cwd)
            .unwrap_or_default()
            .iter()
            .filter_map(|info| load_transcript(&info.path).ok())
            .map(|t| t.conversation().messages.len())
            .sum::<usize>()
    });
}
