//! Write and Edit replace a file atomically (temp file + rename) and keep
//! what identifies it to the user: permissions, a symbolic link, no litter.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use pretty_assertions::assert_eq;
use serde_json::json;

use super::common::Session;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn write_replaces_the_file_and_keeps_its_permissions() {
    let session = Session::new();
    let path = session.write_file("run.sh", "echo old\n");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o751)).unwrap();
    let before = std::fs::metadata(&path).unwrap().ino();
    // A reader holding the old file keeps seeing the old content whole.
    let held = std::fs::File::open(&path).unwrap();

    session.read("run.sh").await;
    let input = json!({"file_path": session.path_str("run.sh"), "content": "echo new\n"});
    session.call("Write", input).await.unwrap();

    assert_eq!(session.file_bytes("run.sh"), b"echo new\n");
    assert_eq!(mode(&path), 0o751);
    assert_ne!(
        std::fs::metadata(&path).unwrap().ino(),
        before,
        "a new inode: replaced by rename, not rewritten in place"
    );
    let mut old = String::new();
    std::io::Read::read_to_string(&mut &held, &mut old).unwrap();
    assert_eq!(old, "echo old\n");
    assert_eq!(names(&session.root()), ["run.sh"], "no temp file is left");
}

#[tokio::test]
async fn a_new_file_gets_the_mode_a_plain_create_gives() {
    let session = Session::new();
    let plain = session.write_file("plain.txt", "x");
    let input = json!({"file_path": session.path_str("made.txt"), "content": "y"});
    session.call("Write", input).await.unwrap();
    assert_eq!(mode(&session.path("made.txt")), mode(&plain));
}

#[tokio::test]
async fn writing_through_a_symlink_keeps_the_link() {
    let session = Session::new();
    let target = session.write_file("real/config.toml", "a = 1\n");
    let link = session.path("config.toml");
    std::os::unix::fs::symlink(&target, &link).unwrap();

    session.read("config.toml").await;
    let input = json!({"file_path": session.path_str("config.toml"), "content": "a = 2\n"});
    session.call("Write", input).await.unwrap();

    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"a = 2\n");
    assert_eq!(names(&session.path("real")), ["config.toml"]);
}

#[tokio::test]
async fn edit_is_atomic_too_and_keeps_permissions() {
    let session = Session::new();
    let path = session.write_file("lib.rs", "fn a() {}\n");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    let before = std::fs::metadata(&path).unwrap().ino();
    session.read("lib.rs").await;
    let input = json!({
        "file_path": session.path_str("lib.rs"),
        "old_string": "fn a()",
        "new_string": "fn b()",
    });
    session.call("Edit", input).await.unwrap();
    assert_eq!(session.file_bytes("lib.rs"), b"fn b() {}\n");
    assert_eq!(mode(&path), 0o640);
    assert_ne!(std::fs::metadata(&path).unwrap().ino(), before);
    assert_eq!(names(&session.root()), ["lib.rs"]);
}

#[tokio::test]
async fn a_dangling_symlink_gets_its_target_created() {
    let session = Session::new();
    std::fs::create_dir(session.path("real")).unwrap();
    let link = session.path("notes.md");
    std::os::unix::fs::symlink(session.path("real/notes.md"), &link).unwrap();
    let input = json!({"file_path": session.path_str("notes.md"), "content": "hello\n"});
    session.call("Write", input).await.unwrap();
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(session.file_bytes("real/notes.md"), b"hello\n");
}
