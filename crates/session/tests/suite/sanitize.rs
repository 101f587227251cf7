//! Project folder names, checked against values computed by the real
//! `qoder-agent-sdk` (1.0.16, `_internal/sessions.py::_sanitize_path`).

use ferrule_session::{SessionStore, project_dir_name, sanitize_path};
use pretty_assertions::assert_eq;

#[test]
fn sanitizing_matches_the_qoder_sdk() {
    let dashes = |n: usize| "-".repeat(n);
    let cases: Vec<(String, String)> = vec![
        ("/home/ana/my-app".into(), "-home-ana-my-app".into()),
        (
            "/Users/foo/my project (2)".into(),
            "-Users-foo-my-project--2-".into(),
        ),
        ("C:\\Users\\ana\\code".into(), "C--Users-ana-code".into()),
        // Non-ASCII letters are not alphanumeric here.
        ("/tmp/café/naïve".into(), "-tmp-caf--na-ve".into()),
        ("/tmp/日本語".into(), "-tmp----".into()),
        // Outside the BMP a character is two UTF-16 code units: two dashes.
        ("/tmp/emoji-😀".into(), "-tmp-emoji---".into()),
        ("a".repeat(200), "a".repeat(200)),
        ("a".repeat(201), format!("{}-x54x4s", "a".repeat(200))),
        (
            format!("/{}", "x".repeat(250)),
            format!("-{}-1bdfuy", "x".repeat(199)),
        ),
        (
            format!("/srv/{}", "日本".repeat(120)),
            format!("-srv-{}-97wnqq", dashes(195)),
        ),
        (
            format!("/tmp/{}", "😀".repeat(100)),
            format!("-tmp-{}-ifwbhw", dashes(195)),
        ),
        (String::new(), String::new()),
    ];
    let got: Vec<(String, String)> = cases
        .iter()
        .map(|(input, _)| (input.clone(), sanitize_path(input)))
        .collect();
    assert_eq!(got, cases);
}

#[test]
fn project_folder_uses_the_real_path_of_cwd() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real");
    std::fs::create_dir(&real).unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let canonical = std::fs::canonicalize(&real).unwrap();
    assert_eq!(
        project_dir_name(&link),
        sanitize_path(&canonical.to_string_lossy())
    );
}

#[test]
fn long_project_folder_with_another_hash_suffix_is_found_by_prefix() {
    let home = tempfile::tempdir().unwrap();
    let store = SessionStore::new(home.path());
    let deep = tempfile::tempdir().unwrap();
    let cwd = deep.path().join("d".repeat(220));
    std::fs::create_dir(&cwd).unwrap();
    let name = project_dir_name(&cwd);
    assert!(name.len() > 200, "{name}");
    // A folder written by a CLI whose runtime hashed differently.
    let other = home
        .path()
        .join("projects")
        .join(format!("{}-otherhash", &name[..200]));
    std::fs::create_dir_all(&other).unwrap();
    assert_eq!(store.project_dir(&cwd), other);
}
