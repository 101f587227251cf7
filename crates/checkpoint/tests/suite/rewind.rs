//! File tools across three user messages, rewound to each message.

use std::collections::BTreeMap;
use std::fs;

use ferrule_checkpoint::{CheckpointStore, RewindError, RewindOptions, RewindReport};
use pretty_assertions::assert_eq;

use super::support::{Session, edit_tool, write_tool};

type Tree = BTreeMap<String, Vec<u8>>;

const DRY: RewindOptions = RewindOptions {
    dry_run: true,
    force: false,
};
const REAL: RewindOptions = RewindOptions {
    dry_run: false,
    force: false,
};

/// Runs the scripted session and returns the tree before each message
/// (index 0: before m1) and at the end.
fn scripted_session(session: &Session, store: &mut CheckpointStore) -> anyhow::Result<Vec<Tree>> {
    fs::write(session.path("notes.txt"), "one\ntwo\nthree\n")?;
    fs::create_dir_all(session.path("src"))?;
    fs::write(session.path("src/lib.rs"), "fn a() {}\nfn b() {}\n")?;
    let mut trees = vec![session.tree()?];

    store.begin_message("m1")?;
    write_tool(store, "m1", &session.path("new.txt"), "created in m1\n")?;
    edit_tool(store, "m1", &session.path("notes.txt"), &[("two", "TWO")])?;
    trees.push(session.tree()?);

    store.begin_message("m2")?;
    edit_tool(
        store,
        "m2",
        &session.path("src/lib.rs"),
        &[
            ("fn a() {}", "fn a() { 1 }"),
            ("fn b() {}", "fn b() {}\nfn c() {}"),
        ],
    )?;
    edit_tool(store, "m2", &session.path("notes.txt"), &[("three\n", "")])?;
    write_tool(store, "m2", &session.path("deep/dir/made.txt"), "x\ny\n")?;
    trees.push(session.tree()?);

    store.begin_message("m3")?;
    write_tool(store, "m3", &session.path("new.txt"), "rewritten\nin m3\n")?;
    edit_tool(
        store,
        "m3",
        &session.path("src/lib.rs"),
        &[("fn c() {}", "fn c() { 3 }")],
    )?;
    write_tool(store, "m3", &session.path("notes.txt"), "replaced\n")?;
    trees.push(session.tree()?);
    Ok(trees)
}

#[test]
fn rewind_to_each_message_restores_the_tree_before_it_byte_for_byte() -> anyhow::Result<()> {
    for (index, message) in ["m1", "m2", "m3"].into_iter().enumerate() {
        let session = Session::new()?;
        let mut store = session.open()?;
        let trees = scripted_session(&session, &mut store)?;
        let preview = store.try_rewind(message, DRY)?;
        assert_eq!(session.tree()?, trees[3], "a dry run changes nothing");
        let report = store.try_rewind(message, REAL)?;
        assert_eq!(
            preview, report,
            "dry run of {message} reports what the rewind does"
        );
        assert!(report.can_rewind);
        assert_eq!(
            session.tree()?,
            trees[index],
            "tree after rewinding to {message}"
        );
    }
    Ok(())
}

#[test]
fn successive_rewinds_walk_back_through_the_messages() -> anyhow::Result<()> {
    let session = Session::new()?;
    let mut store = session.open()?;
    let trees = scripted_session(&session, &mut store)?;
    for (index, message) in [(2, "m3"), (1, "m2"), (0, "m1")] {
        store.try_rewind(message, REAL)?;
        assert_eq!(
            session.tree()?,
            trees[index],
            "after rewinding to {message}"
        );
    }
    Ok(())
}

#[test]
fn report_lists_files_and_counts_the_lines_the_rewind_changes() -> anyhow::Result<()> {
    let session = Session::new()?;
    let mut store = session.open()?;
    scripted_session(&session, &mut store)?;
    let report = store.try_rewind("m2", DRY)?;
    let path = |relative: &str| session.path(relative).to_string_lossy().into_owned();
    // notes.txt: "replaced\n" -> "one\nTWO\nthree\n" (+3 -1); src/lib.rs:
    // "fn b" is kept, "fn a" changes back and "fn c" goes (+1 -2);
    // deep/dir/made.txt deleted (-2);
    // new.txt: back to "created in m1\n" (+1 -2).
    assert_eq!(
        report,
        RewindReport {
            can_rewind: true,
            error: None,
            files_changed: vec![
                path("deep/dir/made.txt"),
                path("new.txt"),
                path("notes.txt"),
                path("src/lib.rs"),
            ],
            insertions: 5,
            deletions: 7,
        }
    );
    Ok(())
}

#[test]
fn rewind_works_after_the_process_restarts() -> anyhow::Result<()> {
    let session = Session::new()?;
    let trees = {
        let mut store = session.open()?;
        scripted_session(&session, &mut store)?
    };
    let mut reopened = session.open()?;
    let preview = reopened.try_rewind("m2", DRY)?;
    let report = reopened.try_rewind("m2", REAL)?;
    assert_eq!(preview, report);
    assert_eq!(session.tree()?, trees[1]);
    drop(reopened);
    let mut again = session.open()?;
    again.try_rewind("m1", REAL)?;
    assert_eq!(session.tree()?, trees[0]);
    Ok(())
}

#[test]
fn unknown_message_id_is_refused_with_the_documented_error() -> anyhow::Result<()> {
    let session = Session::new()?;
    let mut store = session.open()?;
    scripted_session(&session, &mut store)?;
    let before = session.tree()?;
    assert_eq!(
        store.rewind("nope", DRY),
        RewindReport::refused("no snapshot found for message nope")
    );
    assert!(matches!(
        store.try_rewind("nope", REAL),
        Err(RewindError::UnknownMessage(id)) if id == "nope"
    ));
    assert_eq!(session.tree()?, before);
    Ok(())
}

#[test]
fn change_outside_the_agent_is_refused_unless_forced() -> anyhow::Result<()> {
    let session = Session::new()?;
    let mut store = session.open()?;
    let trees = scripted_session(&session, &mut store)?;
    fs::write(session.path("notes.txt"), "edited by the user\n")?;
    let notes = session.path("notes.txt").to_string_lossy().into_owned();
    match store.try_rewind("m1", REAL) {
        Err(RewindError::ChangedOutside(files)) => assert_eq!(files, vec![notes.clone()]),
        other => panic!("expected a refusal, got {other:?}"),
    }
    let refused = store.rewind("m1", DRY);
    assert!(!refused.can_rewind);
    assert!(
        refused
            .error
            .as_deref()
            .is_some_and(|error| error.contains(&notes)),
        "{refused:?}"
    );
    let mut tree = trees[3].clone();
    tree.insert("notes.txt".to_owned(), b"edited by the user\n".to_vec());
    assert_eq!(session.tree()?, tree, "a refused rewind changes nothing");
    store.try_rewind(
        "m1",
        RewindOptions {
            dry_run: false,
            force: true,
        },
    )?;
    assert_eq!(session.tree()?, trees[0]);
    Ok(())
}

#[test]
fn unreadable_snapshot_is_an_error_not_a_panic() -> anyhow::Result<()> {
    let session = Session::new()?;
    let mut store = session.open()?;
    scripted_session(&session, &mut store)?;
    let blobs = session.store_dir.join("blobs");
    for shard in fs::read_dir(&blobs)? {
        for blob in fs::read_dir(shard?.path())? {
            fs::write(blob?.path(), b"garbage")?;
        }
    }
    let report = store.rewind("m1", DRY);
    assert!(!report.can_rewind);
    assert!(
        report
            .error
            .as_deref()
            .is_some_and(|error| error.contains("unreadable")),
        "{report:?}"
    );
    Ok(())
}

#[test]
fn only_the_first_write_of_a_path_in_a_message_is_snapshotted() -> anyhow::Result<()> {
    let session = Session::new()?;
    let mut store = session.open()?;
    let path = session.path("f.txt");
    fs::write(&path, "v0\n")?;
    assert!(store.before_write("m", &path)?);
    fs::write(&path, "v1\n")?;
    assert!(!store.before_write("m", &path)?);
    fs::write(&path, "v2\n")?;
    store.after_write("m", &path)?;
    store.try_rewind("m", REAL)?;
    assert_eq!(fs::read(&path)?, b"v0\n".to_vec());
    Ok(())
}

#[test]
fn relative_paths_are_rejected() -> anyhow::Result<()> {
    let session = Session::new()?;
    let mut store = session.open()?;
    let error = store.before_write("m", std::path::Path::new("relative.txt"));
    assert!(
        error
            .as_ref()
            .is_err_and(|error| error.to_string().contains("relative.txt must be absolute")),
        "{error:?}"
    );
    Ok(())
}
