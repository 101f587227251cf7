//! Skill discovery, precedence and progressive disclosure.

use std::path::PathBuf;

use ferrule_memory::{Kind, Origin, Scope, SkillContent, SkillVars};
use pretty_assertions::assert_eq;

use super::fixture::Fixture;

fn skill(name: &str, description: &str) -> String {
    format!(
        "---\nname: {name}\ndescription: {description}\n---\n# {name}\nRun ${{QODER_SKILL_DIR}}/scripts/run.sh\n"
    )
}

fn tree() -> Fixture {
    let f = Fixture::new(&[]);
    f.write(&[
        ("home/.qoder/skills/log-analyzer/SKILL.md", &skill("log-analyzer", "user version")),
        ("home/.qoder/skills/personal/SKILL.md", &skill("personal", "only mine")),
        ("home/.claude/skills/from-claude/SKILL.md", &skill("from-claude", "claude user skill")),
        ("repo/.qoder/skills/log-analyzer/SKILL.md", &skill("log-analyzer", "project version")),
        ("repo/.qoder/skills/log-analyzer/REFERENCE.md", "ref\n"),
        ("repo/.qoder/skills/log-analyzer/scripts/run.sh", "echo\n"),
        ("repo/.claude/skills/log-analyzer/SKILL.md", &skill("log-analyzer", "claude project version")),
        ("repo/.qoder/skills/bad-name/SKILL.md", &skill("Bad_Name", "x")),
        ("repo/.qoder/skills/no-desc/SKILL.md", "---\nname: no-desc\n---\nbody\n"),
        ("repo/.qoder/skills/broken/SKILL.md", "---\nname: broken\ndescription: 'open\n---\n"),
        (
            "repo/.qoder/skills/hidden/SKILL.md",
            "---\nname: hidden\ndescription: user only\ndisable-model-invocation: true\nallowed-tools: Bash(git:*), Read\n---\n",
        ),
    ]);
    f
}

#[test]
fn project_skills_override_user_skills_and_qoder_beats_claude() {
    let f = tree();
    let ws = f.load("repo");
    let got: Vec<(String, String, Scope, Origin)> = ws
        .skills
        .iter()
        .map(|s| (s.name.clone(), s.description.clone(), s.scope, s.origin))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "from-claude".into(),
                "claude user skill".into(),
                Scope::User,
                Origin::Claude
            ),
            (
                "hidden".into(),
                "user only".into(),
                Scope::Project,
                Origin::Qoder
            ),
            (
                "log-analyzer".into(),
                "project version".into(),
                Scope::Project,
                Origin::Qoder
            ),
            (
                "personal".into(),
                "only mine".into(),
                Scope::User,
                Origin::Qoder
            ),
        ]
    );
    let shadowed: Vec<(String, String)> = ws
        .shadowed
        .iter()
        .filter(|s| s.kind == Kind::Skill)
        .map(|s| (f.rel(&s.path), f.rel(&s.by)))
        .collect();
    let winner = "repo/.qoder/skills/log-analyzer/SKILL.md".to_string();
    assert_eq!(
        shadowed,
        vec![
            (
                "home/.qoder/skills/log-analyzer/SKILL.md".into(),
                winner.clone()
            ),
            ("repo/.claude/skills/log-analyzer/SKILL.md".into(), winner),
        ]
    );
}

#[test]
fn invalid_skills_are_skipped_with_reasons() {
    let f = tree();
    let ws = f.load("repo");
    let got: Vec<(String, Option<usize>, String)> = ws
        .skipped
        .iter()
        .map(|s| (f.rel(&s.path), s.line, s.reason.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "repo/.qoder/skills/bad-name/SKILL.md".into(),
                Some(1),
                "`name` `Bad_Name` may contain only lowercase letters, digits and hyphens".into()
            ),
            (
                "repo/.qoder/skills/broken/SKILL.md".into(),
                Some(3),
                "invalid frontmatter: unclosed quote".into()
            ),
            (
                "repo/.qoder/skills/no-desc/SKILL.md".into(),
                Some(1),
                "frontmatter has no `description` (required)".into()
            ),
        ]
    );
}

#[test]
fn the_prompt_lists_only_names_and_descriptions_of_model_invocable_skills() {
    let f = tree();
    let ws = f.load("repo");
    assert_eq!(
        ws.skill_summaries(),
        vec![
            ("from-claude", "claude user skill"),
            ("log-analyzer", "project version"),
            ("personal", "only mine"),
        ]
    );
    let hidden = ws.skill("hidden").expect("hidden skill");
    assert_eq!(
        hidden.meta.allowed_tools.0,
        vec!["Bash(git:*)".to_string(), "Read".to_string()]
    );
}

#[test]
fn opening_a_skill_reads_its_body_and_lists_its_files() {
    let f = tree();
    let ws = f.load("repo");
    let skill = ws.skill("log-analyzer").expect("skill");
    let content = skill.open(&SkillVars::default()).expect("opens");
    let dir = f.path("repo/.qoder/skills/log-analyzer");
    assert_eq!(
        content,
        SkillContent {
            body: format!("# log-analyzer\nRun {}/scripts/run.sh\n", dir.display()),
            resources: vec![
                PathBuf::from("REFERENCE.md"),
                PathBuf::from("scripts/run.sh")
            ],
        }
    );
}

#[test]
fn a_skill_renders_with_arguments_and_is_reachable_as_a_slash_command() {
    let f = Fixture::new(&[
        (
            "repo/.qoder/skills/greet/SKILL.md",
            "---\nname: greet\ndescription: Greet someone.\narguments: [who]\n---\nSay hello to $who.\n",
        ),
        (
            "repo/.qoder/skills/internal/SKILL.md",
            "---\nname: internal\ndescription: Model only.\nuser-invocable: false\n---\nx\n",
        ),
        ("repo/.qoder/commands/greet.md", "The command wins.\n"),
    ]);
    let ws = f.load("repo");
    let greet = ws.skill("greet").expect("skill");
    assert_eq!(
        greet.render("Ada", &SkillVars::default()).expect("renders"),
        "Say hello to Ada.\n"
    );
    assert!(matches!(
        ws.slash("/greet"),
        Some(ferrule_memory::Slash::Command(_))
    ));
    assert_eq!(ws.slash("internal"), None);
    assert!(ws.skill("internal").is_some());
}
