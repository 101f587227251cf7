//! `@path` imports: relative, `~/`, absolute, cycles, depth, boundary.

use ferrule_memory::{LoadReason, Workspace};
use pretty_assertions::assert_eq;

use super::fixture::Fixture;

fn loaded(f: &Fixture, ws: &Workspace) -> Vec<(String, usize, Option<String>)> {
    ws.memory
        .iter()
        .map(|m| {
            (
                f.rel(&m.path),
                m.depth,
                m.parent.as_deref().map(|p| f.rel(p)),
            )
        })
        .collect()
}

fn skipped(f: &Fixture, ws: &Workspace) -> Vec<(String, Option<usize>, String)> {
    ws.skipped
        .iter()
        .map(|s| {
            (
                f.rel(&s.path),
                s.line,
                s.reason.replace(&f.base.display().to_string(), "<base>"),
            )
        })
        .collect()
}

#[test]
fn relative_home_and_absolute_imports_load_after_their_parent() {
    let f = Fixture::new(&[
        ("repo/docs/testing.md", "testing\n"),
        ("home/notes.md", "notes\n"),
        ("repo/abs.md", "abs\n"),
    ]);
    let abs = f.path("repo/abs.md");
    f.write(&[(
        "repo/AGENTS.md",
        &format!(
            "See @docs/testing.md and @{}.\n`@ignored.md`\n```\n@also-ignored.md\n```\n",
            abs.display()
        ),
    )]);
    f.write(&[("home/.qoder/AGENTS.md", "Mine: @~/notes.md\n")]);
    let ws = f.load("repo");
    assert_eq!(
        loaded(&f, &ws),
        vec![
            ("home/.qoder/AGENTS.md".into(), 0, None),
            (
                "home/notes.md".into(),
                1,
                Some("home/.qoder/AGENTS.md".into())
            ),
            ("repo/AGENTS.md".into(), 0, None),
            (
                "repo/docs/testing.md".into(),
                1,
                Some("repo/AGENTS.md".into())
            ),
            ("repo/abs.md".into(), 1, Some("repo/AGENTS.md".into())),
        ]
    );
    assert_eq!(ws.memory[3].reason, LoadReason::Include);
    assert_eq!(skipped(&f, &ws), vec![]);
}

#[test]
fn an_import_cycle_is_reported_and_loading_goes_on() {
    let f = Fixture::new(&[
        ("repo/AGENTS.md", "top @a.md\n"),
        ("repo/a.md", "a imports @b.md\n"),
        ("repo/b.md", "b imports\n@a.md\n"),
    ]);
    let ws = f.load("repo");
    assert_eq!(
        loaded(&f, &ws),
        vec![
            ("repo/AGENTS.md".into(), 0, None),
            ("repo/a.md".into(), 1, Some("repo/AGENTS.md".into())),
            ("repo/b.md".into(), 2, Some("repo/a.md".into())),
        ]
    );
    assert_eq!(
        skipped(&f, &ws),
        vec![(
            "repo/b.md".into(),
            Some(2),
            "import `@a.md` not loaded: import cycle <base>/repo/a.md -> <base>/repo/b.md -> <base>/repo/a.md".into()
        )]
    );
}

#[test]
fn imports_stop_at_the_depth_limit() {
    let mut files = vec![("repo/AGENTS.md".to_string(), "@d1.md\n".to_string())];
    for i in 1..=7 {
        files.push((
            format!("repo/d{i}.md"),
            format!("level {i} @d{}.md\n", i + 1),
        ));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let f = Fixture::new(&refs);
    let ws = f.load("repo");
    let depths: Vec<(String, usize)> = ws
        .memory
        .iter()
        .map(|m| (f.rel(&m.path), m.depth))
        .collect();
    assert_eq!(
        depths,
        vec![
            ("repo/AGENTS.md".into(), 0),
            ("repo/d1.md".into(), 1),
            ("repo/d2.md".into(), 2),
            ("repo/d3.md".into(), 3),
            ("repo/d4.md".into(), 4),
            ("repo/d5.md".into(), 5),
        ]
    );
    assert_eq!(
        skipped(&f, &ws),
        vec![(
            "repo/d5.md".into(),
            Some(1),
            "import `@d6.md` not loaded: import depth limit of 5 reached".into()
        )]
    );
    let shallow = Workspace::load(&f.options("repo").with_import_depth(1));
    assert_eq!(shallow.memory.len(), 2);
}

#[test]
fn project_memory_may_not_import_outside_the_project_unless_allowed() {
    let f = Fixture::new(&[
        ("secret.md", "secret\n"),
        ("repo/AGENTS.md", "@../secret.md\n"),
    ]);
    let ws = f.load("repo");
    assert_eq!(ws.memory.len(), 1);
    assert_eq!(
        skipped(&f, &ws),
        vec![(
            "repo/AGENTS.md".into(),
            Some(1),
            "import `@../secret.md` not loaded: <base>/repo/../secret.md is outside the project root <base>/repo".into()
        )]
    );
    let allowed = Workspace::load(&f.options("repo").with_external_imports(true));
    assert_eq!(allowed.memory.len(), 2);
}

#[test]
fn a_missing_import_is_reported_with_its_line() {
    let f = Fixture::new(&[("repo/AGENTS.md", "line one\nsee @missing.md\n")]);
    let ws = f.load("repo");
    assert_eq!(
        skipped(&f, &ws),
        vec![(
            "repo/AGENTS.md".into(),
            Some(2),
            "import `@missing.md` not loaded: <base>/repo/missing.md does not exist".into()
        )]
    );
}
