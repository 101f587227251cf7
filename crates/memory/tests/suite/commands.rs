//! Custom slash commands: naming, precedence, arguments, expansion.

use std::sync::Mutex;

use ferrule_memory::{CommandForm, CommandHost, Scope, expand};
use pretty_assertions::assert_eq;

use super::fixture::Fixture;

fn tree() -> Fixture {
    Fixture::new(&[
        (
            "home/.qoder/commands/review.md",
            "---\ndescription: user review\n---\nUser review $ARGUMENTS\n",
        ),
        ("home/.qoder/commands/mine.md", "Personal command\n"),
        (
            "repo/.qoder/commands/review.md",
            "---\nname: Review label\ndescription: |\n  Review the diff\n  carefully\nargument-hint: '[focus]'\n---\nReview with focus on $ARGUMENTS.\n",
        ),
        (
            "repo/.qoder/commands/git/commit.md",
            "---\ndescription: commit\nallowed-tools: [Bash]\n---\nStatus: !`git status`\nFiles: $0 and $1\n",
        ),
        (
            "repo/.qoder/commands/deploy/SKILL.md",
            "---\nname: deploy\ndescription: deploy it\n---\nDeploy $ARGUMENTS with ${QODER_SKILL_DIR}/run.sh\n",
        ),
        (
            "repo/.qoder/commands/deploy/ignored.md",
            "ignored sibling\n",
        ),
        ("repo/.claude/commands/fix.md", "Fix issue $ARGUMENTS\n"),
        (
            "repo/.qoder/commands/broken.md",
            "---\ndescription: [\n---\n",
        ),
    ])
}

#[test]
fn commands_are_named_by_path_and_project_beats_user() {
    let f = tree();
    let ws = f.load("repo");
    let got: Vec<(String, CommandForm, Scope, String)> = ws
        .commands
        .iter()
        .map(|c| (c.name.clone(), c.form, c.scope, f.rel(&c.path)))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "deploy".into(),
                CommandForm::SkillFolder,
                Scope::Project,
                "repo/.qoder/commands/deploy/SKILL.md".into()
            ),
            (
                "fix".into(),
                CommandForm::File,
                Scope::Project,
                "repo/.claude/commands/fix.md".into()
            ),
            (
                "git:commit".into(),
                CommandForm::File,
                Scope::Project,
                "repo/.qoder/commands/git/commit.md".into()
            ),
            (
                "mine".into(),
                CommandForm::File,
                Scope::User,
                "home/.qoder/commands/mine.md".into()
            ),
            (
                "review".into(),
                CommandForm::File,
                Scope::Project,
                "repo/.qoder/commands/review.md".into()
            ),
        ]
    );
    let review = ws.command("/review").expect("review");
    assert_eq!(review.meta.name.as_deref(), Some("Review label"));
    assert_eq!(
        review.meta.description.as_deref(),
        Some("Review the diff\ncarefully\n")
    );
    assert_eq!(review.meta.argument_hint.as_deref(), Some("[focus]"));
    let skipped: Vec<(String, Option<usize>)> = ws
        .skipped
        .iter()
        .map(|s| (f.rel(&s.path), s.line))
        .collect();
    assert_eq!(
        skipped,
        vec![("repo/.qoder/commands/broken.md".into(), Some(2))]
    );
}

#[test]
fn arguments_are_substituted() {
    let f = tree();
    let ws = f.load("repo");
    let review = ws.command("review").expect("review");
    assert_eq!(
        review.render("security").expect("renders"),
        "Review with focus on security.\n"
    );
    let commit = ws.command("git:commit").expect("commit");
    assert_eq!(
        commit.render("a.rs 'b c.rs'").expect("renders"),
        "Status: !`git status`\nFiles: a.rs and b c.rs\n"
    );
    let deploy = ws.command("deploy").expect("deploy");
    assert_eq!(
        deploy.render("prod").expect("renders"),
        format!(
            "Deploy prod with {}/run.sh\n",
            f.path("repo/.qoder/commands/deploy").display()
        )
    );
    let mine = ws.command("mine").expect("mine");
    assert_eq!(
        mine.render("extra words").expect("renders"),
        "Personal command\n\nARGUMENTS: extra words"
    );
}

struct Shell {
    ran: Mutex<Vec<String>>,
}

impl CommandHost for Shell {
    async fn run_shell(&self, command: &str) -> Result<String, String> {
        self.ran
            .lock()
            .map_err(|e| e.to_string())?
            .push(command.to_string());
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(command)
            .output()
            .map_err(|e| e.to_string())?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
    async fn read_file(&self, path: &str) -> Result<String, String> {
        Err(format!("{path}: reads are not allowed here"))
    }
}

#[tokio::test]
async fn embedded_commands_run_through_the_host() {
    let f = Fixture::new(&[("repo/.qoder/commands/hi.md", "Say: !`echo $0`\n")]);
    let ws = f.load("repo");
    let prompt = ws
        .command("hi")
        .expect("hi")
        .render("hello")
        .expect("renders");
    let host = Shell {
        ran: Mutex::new(Vec::new()),
    };
    let out = expand(&prompt, &host).await.expect("expands");
    assert_eq!(out.text, "Say: hello\n");
    assert_eq!(
        host.ran.lock().expect("lock").clone(),
        vec!["echo hello".to_string()]
    );
}

#[test]
fn the_nearer_project_folder_wins_on_a_name_clash() {
    let f = Fixture::new(&[
        ("repo/.qoder/commands/build.md", "root build\n"),
        ("repo/app/.qoder/commands/build.md", "app build\n"),
        (
            "repo/app/.qoder/agents/a.md",
            "---\nname: helper\ndescription: app\n---\n",
        ),
        (
            "repo/.qoder/agents/a.md",
            "---\nname: helper\ndescription: root\n---\n",
        ),
    ]);
    let ws = f.load("repo/app");
    assert_eq!(ws.command("build").expect("build").body, "app build\n");
    assert_eq!(ws.subagent("helper").expect("helper").description, "app");
    let shadowed: Vec<String> = ws.shadowed.iter().map(|s| f.rel(&s.path)).collect();
    assert_eq!(
        shadowed,
        vec!["repo/.qoder/commands/build.md", "repo/.qoder/agents/a.md"]
    );
}
