//! A loaded skill's `effort` and `context: fork`, and a subagent
//! definition's `effort`: the thinking each request asks for and where a
//! forked skill's work runs.

use std::sync::{Arc, Mutex};

use ferrule_agent::{AgentBuilder, UserInput};
use ferrule_model::{CancellationToken, Model, ModelRequest, ModelStream, ScriptedModel, Thinking};
use ferrule_protocol::{AgentEvent, ContentBlock, TurnOutcome};
use pretty_assertions::assert_eq;
use serde_json::json;

use super::permissions::with_skill;
use super::support::{Collect, builtins, call, scripted, text};

/// What one request asked for.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    thinking: Thinking,
    system: String,
    first_message: String,
}

/// A scripted model that keeps what every request asked for.
struct Watched {
    inner: Arc<ScriptedModel>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Watched {
    fn new(turns: Vec<Vec<ContentBlock>>) -> Arc<Self> {
        Arc::new(Self {
            inner: scripted(turns),
            seen: Arc::default(),
        })
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn thinking(&self) -> Vec<Thinking> {
        self.seen().into_iter().map(|s| s.thinking).collect()
    }
}

impl Model for Watched {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn stream(&self, request: ModelRequest, cancel: CancellationToken) -> ModelStream {
        self.seen.lock().unwrap().push(Seen {
            thinking: request.thinking,
            system: request.system.clone().unwrap_or_default(),
            first_message: request
                .messages
                .first()
                .map(|m| m.content.joined_text())
                .unwrap_or_default(),
        });
        self.inner.stream(request, cancel)
    }
}

fn budget(budget_tokens: u32) -> Thinking {
    Thinking::Enabled { budget_tokens }
}

#[tokio::test]
async fn a_loaded_skills_effort_sets_the_thinking_of_the_rest_of_the_turn() {
    for (effort_line, after) in [
        ("effort: high\n", budget(16_384)),
        ("effort: 3000\n", budget(3_000)),
        // Not understood: the turn keeps the session's thinking.
        ("effort: extreme\n", budget(1_024)),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let tools = with_skill(
            dir.path(),
            "deep",
            &format!("---\nname: deep\ndescription: Think hard\n{effort_line}---\nThink.\n"),
        );
        let model = Watched::new(vec![
            vec![call("s1", "Skill", json!({"skill": "deep"}))],
            vec![text("thought")],
            vec![text("next turn")],
        ]);
        let mut agent = AgentBuilder::new(model.clone(), tools, dir.path())
            .thinking(budget(1_024))
            .build()
            .unwrap();
        let sink = Collect::default();
        let result = agent.run(UserInput::text("a hard one"), &sink).await;
        assert_eq!(result.outcome, TurnOutcome::Completed, "{effort_line}");
        let next = agent.run(UserInput::text("and now?"), &sink).await;
        assert_eq!(next.summary.result.as_deref(), Some("next turn"));
        assert_eq!(
            model.thinking(),
            [budget(1_024), after, budget(1_024)],
            "{effort_line}"
        );
    }
}

fn reviewer(
    dir: &std::path::Path,
    effort: Option<ferrule_memory::Effort>,
) -> ferrule_memory::Subagent {
    ferrule_memory::Subagent {
        name: "reviewer".into(),
        description: "Reviews code".into(),
        path: dir.join("reviewer.md"),
        scope: ferrule_memory::Scope::Project,
        origin: ferrule_memory::Origin::Qoder,
        plugin: None,
        meta: ferrule_memory::SubagentMeta {
            effort,
            ..Default::default()
        },
        prompt: "You are the reviewer subagent.".into(),
    }
}

#[tokio::test]
async fn a_subagent_definitions_effort_sets_its_thinking_only() {
    let dir = tempfile::tempdir().unwrap();
    let model = Watched::new(vec![
        vec![call(
            "a1",
            "Agent",
            json!({"description": "review", "prompt": "look at it", "subagent_type": "reviewer"}),
        )],
        vec![text("looked")],
        vec![text("parent done")],
    ]);
    let low = ferrule_memory::Effort::Level(ferrule_memory::EffortLevel::Low);
    let mut agent = AgentBuilder::new(model.clone(), builtins(), dir.path())
        .subagents(vec![reviewer(dir.path(), Some(low))])
        .build()
        .unwrap();
    let result = agent.run(UserInput::text("go"), &Collect::default()).await;
    assert_eq!(result.summary.result.as_deref(), Some("parent done"));
    let seen = model.seen();
    assert!(seen[1].system.contains("You are the reviewer subagent."));
    assert_eq!(
        model.thinking(),
        [Thinking::Disabled, budget(2_048), Thinking::Disabled]
    );
}

#[tokio::test]
async fn a_forked_skill_runs_as_a_subagent_and_answers_with_its_report() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    let tools = with_skill(
        dir.path(),
        "review",
        "---\nname: review\ndescription: Review a folder\ncontext: fork\nagent: reviewer\n\
         model: fast\neffort: max\nallowed-tools: Bash(touch:*)\n---\nReview $ARGUMENTS and touch reviewed.txt.\n",
    );
    let session = Watched::new(vec![
        vec![call(
            "s1",
            "Skill",
            json!({"skill": "review", "args": "src/"}),
        )],
        vec![text("the review is in")],
    ]);
    let fast = Watched::new(vec![
        vec![call("b1", "Bash", json!({"command": "touch reviewed.txt"}))],
        vec![text("src/ looks fine")],
    ]);
    let resolve_to = Arc::clone(&fast);
    let resolver: ferrule_agent::hook_runners::ModelResolver = Arc::new(move |name: &str| {
        (name == "fast").then(|| Arc::clone(&resolve_to) as Arc<dyn Model>)
    });
    let mut agent = AgentBuilder::new(session.clone(), tools, dir.path())
        .subagents(vec![reviewer(dir.path(), None)])
        .model_resolver(resolver)
        .build()
        .unwrap();
    let sink = Collect::default();
    let result = agent.run(UserInput::text("review src"), &sink).await;
    assert_eq!(
        result.summary.result.as_deref(),
        Some("the review is in"),
        "{:?}",
        result.summary
    );

    // The subagent ran the skill's instructions on the skill's model and
    // effort, with the reviewer's prompt, and its allowed tools.
    let child = fast.seen();
    assert_eq!(child.len(), 2);
    assert!(
        child[0]
            .first_message
            .contains("Review src/ and touch reviewed.txt."),
        "{child:?}"
    );
    assert!(child[0].system.contains("You are the reviewer subagent."));
    assert_eq!(child[0].thinking, budget(65_536));
    assert!(dir.path().join("reviewed.txt").exists());

    // The main conversation got the report, not the instructions, and the
    // rest of its turn stayed on its own model and thinking.
    let parent = session.seen();
    assert_eq!(
        parent.iter().map(|s| s.thinking).collect::<Vec<_>>(),
        [Thinking::Disabled, Thinking::Disabled]
    );
    let events = sink.events();
    let answer = events
        .iter()
        .filter(|e| e.parent_tool_use_id.is_none())
        .find_map(|e| match &e.event {
            AgentEvent::ToolResult { result, .. } if result.tool_use_id == "s1" => {
                Some(result.content.clone().unwrap().joined_text())
            }
            _ => None,
        })
        .unwrap();
    assert!(answer.contains("src/ looks fine"), "{answer}");
    assert!(answer.contains("reviewer subagent"), "{answer}");
    assert!(!answer.contains("touch reviewed.txt"), "{answer}");
    // The subagent's own calls are nested under the Skill call.
    assert!(
        events
            .iter()
            .any(|e| e.parent_tool_use_id.as_deref() == Some("s1")
                && matches!(&e.event, AgentEvent::ToolResult { result, .. } if result.tool_use_id == "b1" && !result.is_error())),
        "the touch did not run inside the fork"
    );
}
