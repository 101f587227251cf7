//! Shell side effects, tracked by workspace records around a real `sh -c`.

use std::fs;
use std::process::Command;
use std::time::{Duration, SystemTime};

use ferrule_checkpoint::{RewindError, RewindOptions, WorkspaceRecordSummary};
use pretty_assertions::assert_eq;

use super::support::Session;

fn sh(session: &Session, script: &str) -> anyhow::Result<()> {
    let status = Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(&session.root)
        .status()?;
    anyhow::ensure!(status.success(), "sh -c {script:?} failed: {status}");
    Ok(())
}

/// Sets the modification time of `files` (all files when empty) a minute
/// back, so a record does not treat them as racily recent (modified in the
/// record's timestamp tick). It changes their change time, so the next
/// record reads them again.
fn backdate(session: &Session, files: &[&str]) -> anyhow::Result<()> {
    let past = SystemTime::now() - Duration::from_secs(60);
    let all: Vec<String> = session.tree()?.into_keys().collect();
    let files: Vec<&str> = if files.is_empty() {
        all.iter().map(String::as_str).collect()
    } else {
        files.to_vec()
    };
    for relative in files {
        fs::File::options()
            .write(true)
            .open(session.path(relative))?
            .set_modified(past)?;
    }
    Ok(())
}

fn populate(session: &Session) -> anyhow::Result<()> {
    fs::write(session.path(".gitignore"), "build/\n")?;
    fs::write(session.path("keep.txt"), "keep\n")?;
    fs::write(session.path("modify.txt"), "old line\nsecond\n")?;
    fs::write(session.path("remove.txt"), "doomed\n")?;
    fs::create_dir_all(session.path("sub"))?;
    fs::write(session.path("sub/nested.txt"), "nested\n")?;
    Ok(())
}

const SCRIPT: &str = "printf 'new line\\nsecond\\n' > modify.txt && rm remove.txt sub/nested.txt \
     && echo fresh > created.txt && mkdir -p build && echo artefact > build/out.o";

#[test]
fn rewind_undoes_a_shell_command_that_modifies_creates_and_deletes() -> anyhow::Result<()> {
    let session = Session::new()?;
    populate(&session)?;
    let before = session.tree()?;
    let mut store = session.open()?;
    store.record_workspace("m1", &session.root)?;
    sh(&session, SCRIPT)?;
    store.record_workspace("m1", &session.root)?;
    let preview = store.try_rewind("m1", RewindOptions::default().with_dry_run())?;
    let report = store.try_rewind("m1", RewindOptions::default())?;
    assert_eq!(preview, report);
    let path = |relative: &str| session.path(relative).to_string_lossy().into_owned();
    assert_eq!(
        report.files_changed,
        vec![
            path("created.txt"),
            path("modify.txt"),
            path("remove.txt"),
            path("sub/nested.txt")
        ]
    );
    assert_eq!((report.insertions, report.deletions), (3, 2));
    // build/ is ignored: not tracked, so the artefact stays.
    let mut expected = before;
    expected.insert("build/out.o".to_owned(), b"artefact\n".to_vec());
    assert_eq!(session.tree()?, expected);
    Ok(())
}

#[test]
fn second_record_reads_only_files_that_changed() -> anyhow::Result<()> {
    let session = Session::new()?;
    populate(&session)?;
    backdate(&session, &[])?;
    let mut store = session.open()?;
    let first = store.record_workspace("m1", &session.root)?;
    // Hidden files (.gitignore) are skipped, as rg does.
    assert_eq!(
        first,
        WorkspaceRecordSummary {
            files: 4,
            hashed: 4
        }
    );
    let unchanged = store.record_workspace("m1", &session.root)?;
    assert_eq!(
        unchanged,
        WorkspaceRecordSummary {
            files: 4,
            hashed: 0
        }
    );
    sh(&session, "echo changed >> modify.txt && echo x > added.txt")?;
    backdate(&session, &["modify.txt", "added.txt"])?;
    let changed = store.record_workspace("m2", &session.root)?;
    assert_eq!(
        changed,
        WorkspaceRecordSummary {
            files: 5,
            hashed: 2
        }
    );
    drop(store);
    let mut reopened = session.open()?;
    let after_restart = reopened.record_workspace("m3", &session.root)?;
    assert_eq!(
        after_restart,
        WorkspaceRecordSummary {
            files: 5,
            hashed: 0
        }
    );
    Ok(())
}

#[test]
fn shell_change_after_the_last_record_counts_as_outside_the_agent() -> anyhow::Result<()> {
    let session = Session::new()?;
    populate(&session)?;
    let before = session.tree()?;
    let mut store = session.open()?;
    store.record_workspace("m1", &session.root)?;
    sh(&session, SCRIPT)?;
    store.record_workspace("m1", &session.root)?;
    fs::write(session.path("keep.txt"), "changed by the user\n")?;
    match store.try_rewind("m1", RewindOptions::default()) {
        Err(RewindError::ChangedOutside(files)) => {
            assert_eq!(
                files,
                vec![session.path("keep.txt").to_string_lossy().into_owned()]
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    store.try_rewind(
        "m1",
        RewindOptions {
            dry_run: false,
            force: true,
        },
    )?;
    let mut expected = before;
    expected.insert("build/out.o".to_owned(), b"artefact\n".to_vec());
    assert_eq!(session.tree()?, expected);
    Ok(())
}

#[test]
fn file_tool_and_shell_changes_in_one_message_rewind_together() -> anyhow::Result<()> {
    let session = Session::new()?;
    populate(&session)?;
    let before = session.tree()?;
    let mut store = session.open()?;
    store.begin_message("m1")?;
    let keep = session.path("keep.txt");
    store.before_write("m1", &keep)?;
    fs::write(&keep, "edited by a tool\n")?;
    store.after_write("m1", &keep)?;
    store.record_workspace("m1", &session.root)?;
    sh(&session, "echo more >> keep.txt && rm modify.txt")?;
    store.record_workspace("m1", &session.root)?;
    store.try_rewind("m1", RewindOptions::default())?;
    assert_eq!(session.tree()?, before);
    Ok(())
}

#[test]
fn store_inside_the_workspace_is_not_recorded_or_rewound() -> anyhow::Result<()> {
    let session = Session::new()?;
    populate(&session)?;
    let mut store = ferrule_checkpoint::CheckpointStore::open(session.path("state/checkpoints"))?;
    let first = store.record_workspace("m1", &session.root)?;
    assert_eq!(
        first,
        WorkspaceRecordSummary {
            files: 4,
            hashed: 4
        }
    );
    sh(&session, "echo changed > keep.txt")?;
    store.record_workspace("m1", &session.root)?;
    let report = store.try_rewind("m1", RewindOptions::default())?;
    assert_eq!(
        report.files_changed,
        vec![session.path("keep.txt").to_string_lossy().into_owned()]
    );
    assert!(session.path("state/checkpoints/index.jsonl").is_file());
    Ok(())
}

#[test]
fn file_modified_just_before_a_record_is_read_again_next_time() -> anyhow::Result<()> {
    let session = Session::new()?;
    populate(&session)?;
    backdate(&session, &[])?;
    let mut store = session.open()?;
    store.record_workspace("m1", &session.root)?;
    // Same size, and the same timestamp tick as the record for all we know.
    fs::write(session.path("keep.txt"), "KEEP\n")?;
    let racy = store.record_workspace("m1", &session.root)?;
    assert_eq!(
        racy,
        WorkspaceRecordSummary {
            files: 4,
            hashed: 1
        }
    );
    let again = store.record_workspace("m1", &session.root)?;
    assert_eq!(again.hashed, 1, "still recent, so read again");
    backdate(&session, &["keep.txt"])?;
    // Backdating changes the metadata: one more read, then none.
    store.record_workspace("m1", &session.root)?;
    let settled = store.record_workspace("m1", &session.root)?;
    assert_eq!(
        settled,
        WorkspaceRecordSummary {
            files: 4,
            hashed: 0
        }
    );
    Ok(())
}
