//! `Agent::rewind_files` after edits, writes, multi-edits, new files and
//! Bash changes over three user messages: every message's tree comes back
//! byte for byte, dry runs predict the real rewind, and a store re-opened
//! by a new process rewinds as well.

use std::collections::BTreeMap;
use std::path::Path;

use ferrule_agent::{AgentBuilder, UserInput};
use ferrule_checkpoint::CheckpointStore;
use ferrule_permissions::Mode;
use ferrule_protocol::TurnOutcome;
use pretty_assertions::assert_eq;
use serde_json::json;

use super::support::{Collect, builtins, call, policy, scripted, text};

/// Every file under `dir`, by relative path.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let key = path.strip_prefix(root).unwrap().display().to_string();
                out.insert(key, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

#[tokio::test]
async fn every_message_rewinds_byte_for_byte_also_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store_dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "alpha\nbeta\ngamma\n").unwrap();
    std::fs::write(dir.path().join("b.txt"), "one\ntwo\nthree\n").unwrap();
    let model = scripted(vec![
        // Message 1: edit a.txt, create new.txt.
        vec![call("r1", "Read", json!({"file_path": "a.txt"}))],
        vec![call(
            "e1",
            "Edit",
            json!({"file_path": "a.txt", "old_string": "beta", "new_string": "BETA\nbeta two"}),
        )],
        vec![call(
            "w1",
            "Write",
            json!({"file_path": "new.txt", "content": "created by message 1\n"}),
        )],
        vec![text("one done")],
        // Message 2: multi-edit b.txt, overwrite new.txt, create sub/deep.txt.
        vec![call("r2", "Read", json!({"file_path": "b.txt"}))],
        vec![call(
            "m2",
            "MultiEdit",
            json!({"file_path": "b.txt", "edits": [
                {"old_string": "one", "new_string": "ONE"},
                {"old_string": "three\n", "new_string": ""}
            ]}),
        )],
        vec![call("r2b", "Read", json!({"file_path": "new.txt"}))],
        vec![call(
            "w2",
            "Write",
            json!({"file_path": "new.txt", "content": "rewritten by message 2\nwith two lines\n"}),
        )],
        vec![call(
            "w2b",
            "Write",
            json!({"file_path": "sub/deep.txt", "content": "deep\n"}),
        )],
        vec![text("two done")],
        // Message 3: Bash creates, changes and deletes; then an Edit.
        vec![call(
            "b3",
            "Bash",
            json!({"command": "printf 'made by bash\\n' > bash.txt && sed -i 's/two/TWO/' b.txt && rm sub/deep.txt"}),
        )],
        vec![call("r3", "Read", json!({"file_path": "a.txt"}))],
        vec![call(
            "e3",
            "Edit",
            json!({"file_path": "a.txt", "old_string": "gamma", "new_string": "GAMMA"}),
        )],
        vec![text("three done")],
    ]);
    // MultiEdit is a ferrule extension, outside the default set.
    let mut tools = builtins();
    tools.register(ferrule_tools::MultiEditTool).unwrap();
    let mut agent = AgentBuilder::new(model.clone(), tools, dir.path())
        .policy_builder(policy(dir.path(), Mode::BypassPermissions, &[]))
        .checkpoints(CheckpointStore::open(store_dir.path()).unwrap())
        .build()
        .unwrap();
    let mut before = Vec::new();
    for (uuid, prompt) in [("u-1", "first"), ("u-2", "second"), ("u-3", "third")] {
        before.push(tree(dir.path()));
        let sink = Collect::default();
        let result = agent
            .run(UserInput::text(prompt).with_uuid(uuid), &sink)
            .await;
        let failed: Vec<_> = sink
            .results()
            .into_iter()
            .filter(|r| r.is_error == Some(true))
            .collect();
        assert!(failed.is_empty(), "{uuid}: {failed:?}");
        assert_eq!(
            result.outcome,
            TurnOutcome::Completed,
            "{:?}",
            result.summary
        );
        assert!(
            result.summary.errors.is_empty(),
            "{uuid}: {:?}",
            result.summary
        );
    }
    assert_eq!(model.remaining_turns(), 0);
    let after = tree(dir.path());
    assert_eq!(
        String::from_utf8_lossy(&after["a.txt"]),
        "alpha\nBETA\nbeta two\nGAMMA\n"
    );
    assert_eq!(String::from_utf8_lossy(&after["b.txt"]), "ONE\nTWO\n");
    assert!(after.contains_key("bash.txt") && !after.contains_key("sub/deep.txt"));

    // Message 3, in this process.
    let dry = agent.rewind_files("u-3", true).await;
    assert!(dry.can_rewind, "{dry:?}");
    assert_eq!(tree(dir.path()), after, "a dry run changes nothing");
    let real = agent.rewind_files("u-3", false).await;
    assert_eq!(real, dry);
    let path = |name: &str| {
        dir.path()
            .canonicalize()
            .unwrap()
            .join(name)
            .display()
            .to_string()
    };
    assert_eq!(
        real.files_changed,
        vec![
            path("a.txt"),
            path("b.txt"),
            path("bash.txt"),
            path("sub/deep.txt")
        ]
    );
    assert_eq!(tree(dir.path()), before[2]);

    // Messages 2 and 1, after a restart: a new store on the same directory.
    drop(agent);
    let agent = AgentBuilder::new(scripted(vec![]), builtins(), dir.path())
        .checkpoints(CheckpointStore::open(store_dir.path()).unwrap())
        .build()
        .unwrap();
    for (uuid, index) in [("u-2", 1), ("u-1", 0)] {
        let dry = agent.rewind_files(uuid, true).await;
        assert!(dry.can_rewind, "{uuid}: {dry:?}");
        let real = agent.rewind_files(uuid, false).await;
        assert_eq!(real, dry, "{uuid}");
        assert!(real.insertions + real.deletions > 0, "{real:?}");
        assert_eq!(tree(dir.path()), before[index], "{uuid}");
    }
    assert!(!dir.path().join("new.txt").exists());
    assert!(agent.rewind_files("u-9", true).await.error.is_some());
}

#[tokio::test]
async fn without_checkpoints_a_rewind_is_refused_with_the_setting_to_change() {
    let dir = tempfile::tempdir().unwrap();
    let agent = AgentBuilder::new(scripted(vec![]), builtins(), dir.path())
        .build()
        .unwrap();
    let report = agent.rewind_files("u-1", true).await;
    assert!(!report.can_rewind);
    assert!(
        report.error.unwrap().contains("general.fileCheckpointing"),
        "names the setting"
    );
}
