//! ferrule-memory: loading a project with 500 rules, 100 skills and 50
//! commands, and querying the loaded snapshot.
//!
//! `load` (discovery, frontmatter parsing, glob compilation, precedence) is
//! measured beside reading the same files with `std::fs::read_to_string`
//! only, so the figure to read is the ratio between the two. The queries
//! show the snapshot is cheap to ask repeatedly. Run with
//! `cargo bench -p ferrule-benches --bench memory`; figures are recorded in
//! README.md ("Memory").

use std::path::{Path, PathBuf};

use divan::Bencher;
use ferrule_memory::{LoadOptions, Workspace};

fn main() {
    divan::main();
}

/// A generated project: `.git`, AGENTS.md, 500 rules (a quarter of each
/// trigger), 100 skills with a bundled file, 50 commands (half namespaced),
/// under a temp dir that lives as long as the value.
struct Project {
    _dir: tempfile::TempDir,
    root: PathBuf,
    home: PathBuf,
    files: Vec<PathBuf>,
}

fn write(files: &mut Vec<PathBuf>, path: PathBuf, text: &str) {
    if let Some(parent) = path.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    let _ = std::fs::write(&path, text);
    files.push(path);
}

fn project() -> Project {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let root = dir.path().join("repo");
    let home = dir.path().join("home");
    let _ = std::fs::create_dir_all(root.join(".git"));
    let _ = std::fs::create_dir_all(home.join(".qoder"));
    let mut files = Vec::new();
    write(
        &mut files,
        root.join("AGENTS.md"),
        "# Project\nRun `cargo test`. See @docs/guide.md.\n",
    );
    write(&mut files, root.join("docs/guide.md"), "Guide.\n");
    let body = "- Keep functions small.\n- Name things plainly.\n".repeat(10);
    for i in 0..500 {
        let front = match i % 4 {
            0 => String::new(),
            1 => "---\ntrigger: manual\n---\n".to_string(),
            2 => format!(
                "---\ntrigger: model_decision\ndescription: Use when touching area {i}.\n---\n"
            ),
            _ => {
                format!("---\ntrigger: glob\nglob:\n  - src/area_{i}/**\n  - \"**/*.t{i}\"\n---\n")
            }
        };
        let path = root.join(format!(".qoder/rules/group_{}/rule_{i}.md", i % 10));
        write(&mut files, path, &format!("{front}# Rule {i}\n{body}"));
    }
    for i in 0..100 {
        let dir = root.join(format!(".qoder/skills/skill-{i}"));
        let text = format!(
            "---\nname: skill-{i}\ndescription: Do task {i}. Use when asked about task {i}.\nallowed-tools: [Read, Grep]\n---\n# Skill {i}\n{body}"
        );
        write(&mut files, dir.join("SKILL.md"), &text);
        write(&mut files, dir.join("REFERENCE.md"), "reference\n");
    }
    for i in 0..50 {
        let name = if i % 2 == 0 {
            format!("cmd-{i}.md")
        } else {
            format!("ns/cmd-{i}.md")
        };
        let text = format!(
            "---\ndescription: Command {i}\nargument-hint: '[focus]'\n---\nDo {i} with focus on $ARGUMENTS.\n"
        );
        write(&mut files, root.join(".qoder/commands").join(name), &text);
    }
    Project {
        _dir: dir,
        root,
        home,
        files,
    }
}

fn options(p: &Project) -> LoadOptions {
    LoadOptions::new(&p.root).with_home(&p.home)
}

#[divan::bench(sample_count = 30)]
fn load_500_rules_100_skills_50_commands(bencher: Bencher<'_, '_>) {
    let p = project();
    let opts = options(&p);
    let ws = Workspace::load(&opts);
    assert_eq!(
        (ws.rules.len(), ws.skills.len(), ws.commands.len()),
        (500, 100, 50)
    );
    bencher.bench(|| Workspace::load(divan::black_box(&opts)));
}

#[divan::bench(sample_count = 30)]
fn read_same_files_baseline(bencher: Bencher<'_, '_>) {
    let p = project();
    bencher.bench(|| {
        p.files
            .iter()
            .map(|f| std::fs::read_to_string(divan::black_box(f)).map_or(0, |t| t.len()))
            .sum::<usize>()
    });
}

#[divan::bench]
fn rules_for_path(bencher: Bencher<'_, '_>) {
    let p = project();
    let ws = Workspace::load(&options(&p));
    let path = p.root.join("src/area_3/deep/file.rs");
    assert_eq!(ws.rules_for_path(&path).len(), 1);
    bencher.bench(|| ws.rules_for_path(divan::black_box(Path::new(&path))).len());
}

#[divan::bench]
fn rules_for_prompt(bencher: Bencher<'_, '_>) {
    let p = project();
    let ws = Workspace::load(&options(&p));
    bencher.bench(|| {
        ws.rules_for_prompt(divan::black_box("refactor with @group_1/rule_1 please"))
            .len()
    });
}

#[divan::bench]
fn skill_summaries(bencher: Bencher<'_, '_>) {
    let p = project();
    let ws = Workspace::load(&options(&p));
    bencher.bench(|| ws.skill_summaries().len());
}
