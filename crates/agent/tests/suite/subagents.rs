//! Subagents: concurrency of Agent calls, definitions (tools, prompt, model, tool rules).

use std::sync::Arc;
use std::time::Duration;

use ferrule_agent::{AgentBuilder, UserInput};
use ferrule_model::{CancellationToken, Model, ModelEvent, ModelRequest, ModelStream};
use ferrule_protocol::{AssistantMessage, TurnOutcome, Usage};
use futures::StreamExt;
use pretty_assertions::assert_eq;
use serde_json::json;
use tokio::sync::Barrier;

use super::support::{Collect, builtins, call, text};

/// The parent asks for two subagents; each subagent answers only once the
/// other one is waiting too.
struct Router {
    barrier: Arc<Barrier>,
}

impl Model for Router {
    fn name(&self) -> &str {
        "scripted/router"
    }

    fn stream(&self, request: ModelRequest, _: CancellationToken) -> ModelStream {
        let child = request
            .system
            .as_deref()
            .is_some_and(|s| s.contains("subagent"));
        let prompt = request.messages[0].content.joined_text();
        let answered = serde_json::to_string(&request.messages)
            .unwrap()
            .contains("tool_result");
        let barrier = Arc::clone(&self.barrier);
        let reply = async move {
            let blocks = if child {
                let met = tokio::time::timeout(Duration::from_secs(5), barrier.wait()).await;
                vec![text(&format!(
                    "{prompt}: {}",
                    if met.is_ok() { "together" } else { "alone" }
                ))]
            } else if answered {
                vec![text("both reported")]
            } else {
                vec![
                    call(
                        "a1",
                        "Agent",
                        json!({"description": "one", "prompt": "first"}),
                    ),
                    call(
                        "a2",
                        "Agent",
                        json!({"description": "two", "prompt": "second"}),
                    ),
                ]
            };
            let mut message = AssistantMessage::new("router", blocks);
            message.usage = Some(if child {
                Usage::new(100, 10)
            } else {
                Usage::new(5, 1)
            });
            Ok(ModelEvent::Completed {
                message: Box::new(message),
            })
        };
        futures::stream::once(reply).boxed()
    }
}

#[tokio::test]
async fn agent_calls_of_one_answer_run_concurrently() {
    let dir = tempfile::tempdir().unwrap();
    let model = Arc::new(Router {
        barrier: Arc::new(Barrier::new(2)),
    });
    let mut agent = AgentBuilder::new(model, builtins(), dir.path())
        .build()
        .unwrap();
    let sink = Collect::default();
    let result = agent.run(UserInput::text("delegate"), &sink).await;
    assert_eq!(
        result.outcome,
        TurnOutcome::Completed,
        "{:?}",
        result.summary
    );
    let top: Vec<String> = sink
        .events()
        .into_iter()
        .filter(|e| e.parent_tool_use_id.is_none())
        .filter_map(|e| match e.event {
            ferrule_protocol::AgentEvent::ToolResult { result, .. } => {
                Some(result.content.unwrap().joined_text())
            }
            _ => None,
        })
        .collect();
    assert_eq!(top, ["first: together", "second: together"]);
    // The subagents' tokens count for the run that started them.
    assert_eq!(result.summary.usage.input_tokens, 5 + 5 + 100 + 100);
    assert_eq!(
        result.summary.model_usage["router"].output_tokens,
        1 + 1 + 10 + 10
    );
    assert_eq!(result.summary.num_turns, 2);
}

/// Answers the parent with one call of the `reviewer` subagent, and the
/// subagent with the list of tools it was offered.
struct ToolLister;

impl Model for ToolLister {
    fn name(&self) -> &str {
        "scripted/lister"
    }

    fn stream(&self, request: ModelRequest, _: CancellationToken) -> ModelStream {
        let child = request
            .system
            .as_deref()
            .is_some_and(|s| s.starts_with("You review"));
        let answered = serde_json::to_string(&request.messages)
            .unwrap()
            .contains("tool_result");
        let blocks = if child {
            let names: Vec<String> = request.tools.iter().map(|t| t.name.clone()).collect();
            vec![text(&names.join(","))]
        } else if answered {
            vec![text("reviewed")]
        } else {
            vec![call(
                "a1",
                "Task",
                json!({"description": "review", "prompt": "review it", "subagent_type": "reviewer"}),
            )]
        };
        let message = AssistantMessage::new("lister", blocks);
        futures::stream::once(async move {
            Ok(ModelEvent::Completed {
                message: Box::new(message),
            })
        })
        .boxed()
    }
}

#[tokio::test]
async fn a_subagent_definition_restricts_its_tools_and_sets_its_prompt() {
    let dir = tempfile::tempdir().unwrap();
    let reviewer = ferrule_memory::Subagent {
        name: "reviewer".into(),
        description: "Reviews code".into(),
        path: dir.path().join("reviewer.md"),
        scope: ferrule_memory::Scope::Project,
        origin: ferrule_memory::Origin::Qoder,
        plugin: None,
        meta: ferrule_memory::SubagentMeta {
            tools: Some(ferrule_memory::List(vec![
                "Read".into(),
                "Grep".into(),
                "Bash(git:*)".into(),
                "Agent".into(),
            ])),
            disallowed_tools: Some(ferrule_memory::List(vec!["Grep".into()])),
            ..Default::default()
        },
        prompt: "You review code for bugs.".into(),
    };
    let mut agent = AgentBuilder::new(Arc::new(ToolLister), builtins(), dir.path())
        .subagents(vec![reviewer])
        .build()
        .unwrap();
    let sink = Collect::default();
    let result = agent.run(UserInput::text("review"), &sink).await;
    assert_eq!(
        result.outcome,
        TurnOutcome::Completed,
        "{:?}",
        result.summary
    );
    let offered = sink.results()[0].content.clone().unwrap().joined_text();
    assert_eq!(offered, "Read,Bash");
}

#[tokio::test]
async fn a_subagent_runs_on_its_definitions_model_within_its_tool_rules() {
    let dir = tempfile::tempdir().unwrap();
    let definition = ferrule_memory::Subagent {
        name: "echoer".into(),
        description: "Echoes".into(),
        path: dir.path().join("echoer.md"),
        scope: ferrule_memory::Scope::Project,
        origin: ferrule_memory::Origin::Qoder,
        plugin: None,
        meta: ferrule_memory::SubagentMeta {
            tools: Some(ferrule_memory::List(vec!["Bash(echo:*)".into()])),
            model: Some("fast".into()),
            ..Default::default()
        },
        prompt: "You echo.".into(),
    };
    let parent = super::support::scripted(vec![
        vec![call(
            "a1",
            "Agent",
            json!({"description": "d", "prompt": "echo", "subagent_type": "echoer"}),
        )],
        vec![text("parent done")],
    ]);
    let child = super::support::scripted(vec![
        vec![call("b1", "Bash", json!({"command": "touch bad.txt"}))],
        vec![call("b2", "Bash", json!({"command": "echo hi"}))],
        vec![text("echoed")],
    ]);
    let resolve_to = Arc::clone(&child);
    let resolver: ferrule_agent::hook_runners::ModelResolver = Arc::new(move |name: &str| {
        (name == "fast").then(|| Arc::clone(&resolve_to) as Arc<dyn Model>)
    });
    let mut agent = AgentBuilder::new(parent.clone(), builtins(), dir.path())
        .policy_builder(super::support::policy(
            dir.path(),
            ferrule_permissions::Mode::BypassPermissions,
            &[],
        ))
        .subagents(vec![definition])
        .model_resolver(resolver)
        .build()
        .unwrap();
    let sink = Collect::default();
    let result = agent.run(UserInput::text("go"), &sink).await;
    assert_eq!(
        result.outcome,
        TurnOutcome::Completed,
        "{:?}",
        result.summary
    );
    assert_eq!((parent.remaining_turns(), child.remaining_turns()), (0, 0));
    assert!(
        !dir.path().join("bad.txt").exists(),
        "the rule let touch run"
    );
    let nested: Vec<(String, bool, String)> = sink
        .events()
        .into_iter()
        .filter(|e| e.parent_tool_use_id.as_deref() == Some("a1"))
        .filter_map(|e| match e.event {
            ferrule_protocol::AgentEvent::ToolResult { result, .. } => Some((
                result.tool_use_id.clone(),
                result.is_error(),
                result.content.unwrap().joined_text(),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(nested.len(), 2);
    assert!(
        nested[0].1 && nested[0].2.contains("only as Bash(echo:*)"),
        "{nested:?}"
    );
    assert_eq!((nested[1].1, nested[1].2.trim()), (false, "hi"));
    // The refusal inside the subagent counts for the whole run.
    assert_eq!(result.summary.permission_denials.len(), 1);
}

#[tokio::test]
async fn a_subagent_past_its_time_limit_is_stopped_and_the_parent_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let model = super::support::scripted(vec![
        vec![call(
            "a1",
            "Agent",
            json!({"description": "d", "prompt": "wait", "timeout_ms": 300}),
        )],
        vec![call("b1", "Bash", json!({"command": "sleep 20"}))],
        vec![text("parent done")],
    ]);
    let mut agent = AgentBuilder::new(model, builtins(), dir.path())
        .policy_builder(super::support::policy(
            dir.path(),
            ferrule_permissions::Mode::BypassPermissions,
            &[],
        ))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let sink = Collect::default();
    let result = agent.run(UserInput::text("go"), &sink).await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        result.outcome,
        TurnOutcome::Completed,
        "{:?}",
        result.summary
    );
    assert_eq!(result.summary.result.as_deref(), Some("parent done"));
    let top: Vec<_> = sink
        .results()
        .into_iter()
        .filter(|r| r.tool_use_id == "a1")
        .collect();
    let text = top[0].content.clone().unwrap().joined_text();
    assert!(
        top[0].is_error() && text.contains("did not finish within 300 ms"),
        "{text}"
    );
}

#[tokio::test]
async fn a_subagent_definitions_permission_mode_decides_its_calls() {
    let dir = tempfile::tempdir().unwrap();
    let definition = ferrule_memory::Subagent {
        name: "careful".into(),
        description: "Never asks".into(),
        path: dir.path().join("careful.md"),
        scope: ferrule_memory::Scope::Project,
        origin: ferrule_memory::Origin::Qoder,
        plugin: None,
        meta: ferrule_memory::SubagentMeta {
            permission_mode: Some(ferrule_memory::PermissionMode::DontAsk),
            ..Default::default()
        },
        prompt: "You are careful.".into(),
    };
    let model = super::support::scripted(vec![
        vec![call(
            "a1",
            "Agent",
            json!({"description": "d", "prompt": "touch", "subagent_type": "careful"}),
        )],
        vec![call("b1", "Bash", json!({"command": "touch made.txt"}))],
        vec![text("could not")],
        vec![call("b2", "Bash", json!({"command": "touch parent.txt"}))],
        vec![text("parent done")],
    ]);
    let asker = super::support::TestAsker::new(|_| ferrule_agent::AskAnswer::allow());
    let mut agent = AgentBuilder::new(model, builtins(), dir.path())
        .asker(asker.clone())
        .subagents(vec![definition])
        .build()
        .unwrap();
    let result = agent.run(UserInput::text("go"), &Collect::default()).await;
    assert_eq!(
        result.outcome,
        TurnOutcome::Completed,
        "{:?}",
        result.summary
    );
    assert!(
        !dir.path().join("made.txt").exists(),
        "dontAsk must refuse in the subagent"
    );
    assert!(
        dir.path().join("parent.txt").exists(),
        "the parent still asks and runs"
    );
    let asked: Vec<String> = asker.seen().iter().map(|r| r.tool_use_id.clone()).collect();
    assert_eq!(asked, ["b2"]);
}
