//! Skill: loads a skill's body with its arguments and bundled files.

use std::path::Path;
use std::sync::{Arc, Mutex};

use ferrule_memory::{LoadOptions, Skill, SkillVars, Workspace};
use ferrule_tool::{Tool, ToolContext};
use ferrule_tools::SkillTool;
use serde_json::json;

use super::common::model_error;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn skills_of(project: &Path, home: &Path) -> Vec<Skill> {
    Workspace::load(&LoadOptions::new(project).with_home(home)).skills
}

#[tokio::test]
async fn a_skill_body_comes_back_with_arguments_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("p");
    std::fs::create_dir_all(project.join(".git")).unwrap();
    let skill_dir = project.join(".qoder/skills/release");
    write(
        &skill_dir.join("SKILL.md"),
        "---\nname: release\ndescription: Cut a release\n---\nTag version $ARGUMENTS in ${QODER_SESSION_ID}.\n",
    );
    write(&skill_dir.join("scripts/tag.sh"), "git tag \"$1\"\n");
    write(
        &project.join(".qoder/skills/hidden/SKILL.md"),
        "---\nname: hidden\ndescription: Only for people\ndisable-model-invocation: true\n---\nSecret.\n",
    );
    let vars = SkillVars {
        session_id: Some("sess-1".to_owned()),
        ..SkillVars::default()
    };
    let tool = SkillTool::new(skills_of(&project, &dir.path().join("home")), vars);
    let ctx = ToolContext::builder(&project).build().unwrap();

    let out = tool
        .call(json!({"skill": "release", "args": "1.2.3"}), &ctx)
        .await
        .unwrap();
    let text = out.text_content();
    assert!(text.contains("Tag version 1.2.3 in sess-1."), "{text}");
    assert!(text.contains("scripts/tag.sh"), "{text}");
    assert_eq!(out.structured["files"], json!(["scripts/tag.sh"]));

    // Left out of the prompt's list, but a user's `/hidden` may still ask
    // the model to load it.
    let out = tool.call(json!({"skill": "hidden"}), &ctx).await.unwrap();
    assert!(out.text_content().contains("Secret."));
    let error = model_error(tool.call(json!({"skill": "nope"}), &ctx).await);
    assert!(
        error.contains("No skill named 'nope'. Available: "),
        "{error}"
    );
    assert!(error.contains("release"), "{error}");
    let error = model_error(tool.call(json!({"name": "release"}), &ctx).await);
    assert!(error.contains("needs a string `skill`"), "{error}");
    let error = model_error(
        tool.call(json!({"skill": "release", "args": 3}), &ctx)
            .await,
    );
    assert!(error.contains("`args` must be a string"), "{error}");
}

#[tokio::test]
async fn the_source_is_asked_on_every_call() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("p");
    std::fs::create_dir_all(project.join(".git")).unwrap();
    let home = dir.path().join("home");
    let current: Arc<Mutex<Vec<Skill>>> = Arc::new(Mutex::new(Vec::new()));
    let source = Arc::clone(&current);
    let tool = SkillTool::with_source(
        Arc::new(move || source.lock().unwrap().clone()),
        SkillVars::default(),
    );
    let ctx = ToolContext::builder(&project).build().unwrap();
    let error = model_error(tool.call(json!({"skill": "late"}), &ctx).await);
    assert!(error.contains("this session has no skills"), "{error}");

    write(
        &project.join(".qoder/skills/late/SKILL.md"),
        "---\nname: late\ndescription: Added later\n---\nLate body.\n",
    );
    *current.lock().unwrap() = skills_of(&project, &home);
    let out = tool.call(json!({"skill": "/late"}), &ctx).await.unwrap();
    assert!(out.text_content().contains("Late body."));
}

#[tokio::test]
async fn a_skill_asks_for_its_allowed_tools_for_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("p");
    std::fs::create_dir_all(project.join(".git")).unwrap();
    write(
        &project.join(".qoder/skills/lint/SKILL.md"),
        "---\nname: lint\ndescription: Lint\nallowed-tools: Bash(cargo clippy:*), Read\n---\nRun clippy.\n",
    );
    write(
        &project.join(".qoder/skills/plain/SKILL.md"),
        "---\nname: plain\ndescription: Plain\n---\nNothing special.\n",
    );
    let tool = SkillTool::new(
        skills_of(&project, &dir.path().join("home")),
        SkillVars::default(),
    );
    let ctx = ToolContext::builder(&project).build().unwrap();
    let out = tool.call(json!({"skill": "lint"}), &ctx).await.unwrap();
    assert_eq!(out.session_allow, ["Bash(cargo clippy:*)", "Read"]);
    assert_eq!(
        out.structured["allowed_tools"],
        json!(["Bash(cargo clippy:*)", "Read"])
    );
    assert!(
        out.text_content()
            .contains("may use without asking: Bash(cargo clippy:*), Read."),
        "{}",
        out.text_content()
    );
    let out = tool.call(json!({"skill": "plain"}), &ctx).await.unwrap();
    assert!(out.session_allow.is_empty());
}

#[tokio::test]
async fn a_skill_asks_for_its_model_effort_and_fork() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("p");
    std::fs::create_dir_all(project.join(".git")).unwrap();
    write(
        &project.join(".qoder/skills/audit/SKILL.md"),
        "---\nname: audit\ndescription: Audit\ncontext: fork\nagent: Explore\nmodel: fast\neffort: 4096\n---\nAudit $ARGUMENTS.\n",
    );
    write(
        &project.join(".qoder/skills/inline/SKILL.md"),
        "---\nname: inline\ndescription: Inline\ncontext: inline\nmodel: inherit\neffort: high\n---\nStay here.\n",
    );
    let tool = SkillTool::new(
        skills_of(&project, &dir.path().join("home")),
        SkillVars::default(),
    );
    let ctx = ToolContext::builder(&project).build().unwrap();
    let out = tool
        .call(json!({"skill": "audit", "args": "deps"}), &ctx)
        .await
        .unwrap();
    assert_eq!(
        (out.model.as_deref(), out.effort.as_deref()),
        (Some("fast"), Some("4096"))
    );
    let fork = out.fork.clone().expect("a fork skill asks for a fork");
    assert_eq!(fork.agent.as_deref(), Some("Explore"));
    assert!(fork.prompt.contains("Audit deps."), "{}", fork.prompt);
    assert_eq!(out.structured["context"], "fork");

    let out = tool.call(json!({"skill": "inline"}), &ctx).await.unwrap();
    assert_eq!(
        (out.model, out.effort.as_deref(), out.fork),
        (None, Some("high"), None)
    );
    assert_eq!(out.structured["context"], "inline");
}
