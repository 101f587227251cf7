//! Issue #8 through the real loop: automatic compaction of a long session
//! (and resuming from its transcript), a failing summary call, `/compact`
//! with hooks and pins, and the usage report.

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};

use ferrule_agent::{AgentBuilder, ContextState, Emitted, SystemPrompt, UserInput};
use ferrule_context::{
    ContextManager, ContextSettings, EnvOverrides, SUMMARY_PREFACE, SUMMARY_SYSTEM_PROMPT,
};
use ferrule_hooks::{Dispatcher, HookSource};
use ferrule_model::{Model, ModelRequest, ModelStream, Script, ScriptTurn, ScriptedModel};
use ferrule_protocol::sdk::CompactTrigger;
use ferrule_protocol::{AgentEvent, ContentBlock, Message, MessageContent, TurnOutcome};
use ferrule_session::{SessionOptions, SessionStore, load_transcript};
use ferrule_tool::ToolRegistry;
use ferrule_tools::{BuiltinOptions, builtin_tools};
use pretty_assertions::assert_eq;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::support::{Collect, call, text};

const MODEL: &str = "anthropic/claude-sonnet-4-5";
const LOOP_TOOLS: [&str; 4] = ["Agent", "AskUserQuestion", "EnterPlanMode", "ExitPlanMode"];

/// The session model: summary requests (recognized by their system
/// prompt) are answered from `summaries` (`None`: the call fails), every
/// other request by the main script. Records the first message of each
/// main request.
struct Router {
    main: ScriptedModel,
    summaries: Mutex<VecDeque<Option<String>>>,
    summary_requests: Mutex<Vec<ModelRequest>>,
    heads: Mutex<Vec<String>>,
}

impl Router {
    fn new(turns: Vec<Vec<ContentBlock>>, summaries: Vec<Option<&str>>) -> Arc<Self> {
        Arc::new(Self {
            main: ScriptedModel::new(
                "main.json",
                Script {
                    model: None,
                    turns: turns.into_iter().map(ScriptTurn::from_blocks).collect(),
                },
            ),
            summaries: Mutex::new(
                summaries
                    .into_iter()
                    .map(|s| s.map(str::to_owned))
                    .collect(),
            ),
            summary_requests: Mutex::default(),
            heads: Mutex::default(),
        })
    }
}

impl Model for Router {
    fn name(&self) -> &str {
        MODEL
    }

    fn stream(&self, request: ModelRequest, cancel: CancellationToken) -> ModelStream {
        if request.system.as_deref() == Some(SUMMARY_SYSTEM_PROMPT) {
            self.summary_requests.lock().unwrap().push(request.clone());
            let next = self.summaries.lock().unwrap().pop_front().flatten();
            let turns = next
                .map(|summary| vec![ScriptTurn::from_blocks(vec![ContentBlock::text(summary)])])
                .unwrap_or_default();
            // An empty script fails the call (script exhausted).
            return ScriptedModel::new("summary.json", Script { model: None, turns })
                .stream(request, cancel);
        }
        self.heads
            .lock()
            .unwrap()
            .push(first_text(&request.messages[0]));
        self.main.stream(request, cancel)
    }
}

fn first_text(message: &Message) -> String {
    match &message.content {
        MessageContent::Text(text) => text.clone(),
        MessageContent::Blocks(blocks) => blocks
            .iter()
            .find_map(ContentBlock::as_text)
            .unwrap_or_default()
            .to_owned(),
    }
}

/// Only the Read tool (small, fixed tool schemas).
fn read_only() -> ToolRegistry {
    let mut registry = ToolRegistry::new();
    for tool in builtin_tools(&BuiltinOptions::default()) {
        if tool.name() == "Read" {
            registry.register_arc(tool).unwrap();
        }
    }
    registry
}

/// A project of `n` source files of about 4,000 tokens each.
fn project(dir: &Path, n: usize) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    for i in 0..n {
        let body: String = (0..300)
            .map(|j| format!("fn f{i}_{j}() {{ let value = {j}; }}\n"))
            .collect();
        std::fs::write(dir.join(format!("src/file{i}.rs")), body).unwrap();
    }
}

/// `rounds` answers that each explain at length and read one file, then
/// a final answer.
fn reading_script(rounds: usize, last: &str) -> Vec<Vec<ContentBlock>> {
    let mut turns: Vec<Vec<ContentBlock>> = (0..rounds)
        .map(|i| {
            vec![
                text(&format!("Reading file {i} next. ").repeat(300)),
                call(
                    &format!("read_{i}"),
                    "Read",
                    json!({"file_path": format!("src/file{i}.rs")}),
                ),
            ]
        })
        .collect();
    turns.push(vec![text(last)]);
    turns
}

/// A manager with the window capped (W = 45,000: compaction at 33,750,
/// blocking at 42,000) and, optionally, a lower compaction percentage.
fn manager(cwd: &Path, percent: Option<u8>) -> ContextManager {
    let env = EnvOverrides {
        window: Some(60_000),
        percent,
    };
    ContextManager::new(MODEL, &ContextSettings::default(), env, cwd)
}

fn compaction_events(events: &[Emitted]) -> Vec<AgentEvent> {
    events
        .iter()
        .filter(|e| {
            matches!(
                e.event,
                AgentEvent::CompactionStarted { .. }
                    | AgentEvent::Compacted { .. }
                    | AgentEvent::Error { .. }
            )
        })
        .map(|e| e.event.clone())
        .collect()
}

#[tokio::test]
async fn a_long_session_compacts_carries_on_and_resumes_from_the_transcript() {
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    project(dir.path(), 12);
    let store = SessionStore::new(home.path());
    let session = store.open(dir.path(), &SessionOptions::default()).unwrap();
    let session_id = session.transcript.session_id().to_owned();
    let model = Router::new(
        reading_script(12, "All twelve files read."),
        vec![Some("## Task\nRead every file under src/.\n## Progress\nSome files read."); 3],
    );
    let mut agent = AgentBuilder::new(model.clone(), read_only(), dir.path())
        .system_prompt(SystemPrompt::new().replace("You are a coding agent."))
        .exclude_tools(LOOP_TOOLS)
        .transcript(session.transcript)
        .context(manager(dir.path(), None))
        .build()
        .unwrap();
    let sink = Collect::default();
    let result = agent
        .run(UserInput::text("Read every file under src/."), &sink)
        .await;
    assert_eq!(
        result.outcome,
        TurnOutcome::Completed,
        "{:?} {:?}",
        result.summary,
        compaction_events(&sink.events())
    );
    assert_eq!(
        result.summary.result.as_deref(),
        Some("All twelve files read."),
        "{:?}",
        compaction_events(&sink.events())
    );
    assert_eq!(
        model.main.remaining_turns(),
        0,
        "the task went on to its end"
    );

    let events = compaction_events(&sink.events());
    assert!(
        events.len() >= 2 && events.len().is_multiple_of(2),
        "compactions without errors: {events:?}"
    );
    let AgentEvent::Compacted {
        trigger,
        pre_tokens,
        post_tokens: Some(post_tokens),
    } = &events[1]
    else {
        panic!("{events:?}");
    };
    assert_eq!(
        events[0],
        AgentEvent::CompactionStarted {
            trigger: CompactTrigger::Auto
        }
    );
    assert_eq!(*trigger, CompactTrigger::Auto);
    assert!(*pre_tokens >= 33_750, "{pre_tokens}");
    assert!(post_tokens < pre_tokens, "{post_tokens} < {pre_tokens}");

    // The summary request saw the conversation; later requests start
    // from the summary.
    let summary_requests = model.summary_requests.lock().unwrap().len();
    assert_eq!(summary_requests, events.len() / 2);
    let heads = model.heads.lock().unwrap().clone();
    assert_eq!(heads[0], "Read every file under src/.");
    assert!(
        heads.last().unwrap().starts_with(SUMMARY_PREFACE),
        "{heads:?}"
    );
    assert!(first_text(&agent.messages()[0]).starts_with(SUMMARY_PREFACE));
    let usage = agent.context_usage();
    assert!(usage.state < ContextState::ShouldCompact, "{usage:?}");

    // The transcript holds the boundary; resuming gives the compacted
    // conversation, and the resumed agent goes on from it.
    let path = agent.transcript().unwrap().path().to_path_buf();
    let loaded = load_transcript(&path).unwrap();
    assert!(loaded.entries.iter().any(|e| e.entry.is_compact_boundary()));
    let kept = agent.messages().to_vec();
    drop(agent);
    let resumed = store
        .open(
            dir.path(),
            &SessionOptions {
                resume: Some(session_id),
                ..SessionOptions::default()
            },
        )
        .unwrap();
    let messages = resumed.conversation.messages.clone();
    assert_eq!(messages.len(), kept.len());
    assert_eq!(messages[0], kept[0]);
    assert_eq!(messages.last(), kept.last());
    let model = Router::new(vec![vec![text("Resumed after the summary.")]], vec![]);
    let mut agent = AgentBuilder::new(model.clone(), read_only(), dir.path())
        .system_prompt(SystemPrompt::new().replace("You are a coding agent."))
        .exclude_tools(LOOP_TOOLS)
        .transcript(resumed.transcript)
        .history(messages)
        .context(manager(dir.path(), None))
        .build()
        .unwrap();
    let result = agent
        .run(UserInput::text("What is left?"), &Collect::default())
        .await;
    assert_eq!(
        result.outcome,
        TurnOutcome::Completed,
        "{:?}",
        result.summary
    );
    let heads = model.heads.lock().unwrap().clone();
    assert!(heads[0].starts_with(SUMMARY_PREFACE), "{heads:?}");
}

#[tokio::test]
async fn a_failing_summary_call_leaves_the_session_usable() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), 4);
    // Compaction from 30% of W (13,500 tokens), blocking at 42,000: four
    // files and their explanations cross the first, not the second.
    let mut turns = reading_script(4, "Four files read.");
    turns.push(vec![text("Compacted and still here.")]);
    let model = Router::new(turns, vec![None, Some("## Task\nRead four files.")]);
    let mut agent = AgentBuilder::new(model.clone(), read_only(), dir.path())
        .system_prompt(SystemPrompt::new().replace("You are a coding agent."))
        .exclude_tools(LOOP_TOOLS)
        .context(manager(dir.path(), Some(30)))
        .build()
        .unwrap();
    let sink = Collect::default();
    let result = agent
        .run(UserInput::text("Read the four files."), &sink)
        .await;
    assert_eq!(
        result.outcome,
        TurnOutcome::Completed,
        "{:?}",
        result.summary
    );
    assert_eq!(result.summary.result.as_deref(), Some("Four files read."));
    let events = compaction_events(&sink.events());
    assert_eq!(
        events.len(),
        2,
        "tried once in the run, then left alone: {events:?}"
    );
    assert_eq!(
        events[0],
        AgentEvent::CompactionStarted {
            trigger: CompactTrigger::Auto
        }
    );
    let AgentEvent::Error { error } = &events[1] else {
        panic!("{events:?}");
    };
    assert!(
        error.message.starts_with("Automatic compaction failed"),
        "{error:?}"
    );
    assert_eq!(first_text(&agent.messages()[0]), "Read the four files.");
    let before = agent.messages().len();

    // The next run tries again, and this time the summary comes.
    let sink = Collect::default();
    let result = agent.run(UserInput::text("Go on."), &sink).await;
    assert_eq!(
        result.outcome,
        TurnOutcome::Completed,
        "{:?}",
        result.summary
    );
    assert_eq!(
        result.summary.result.as_deref(),
        Some("Compacted and still here.")
    );
    let events = compaction_events(&sink.events());
    assert!(
        matches!(
            events.as_slice(),
            [
                AgentEvent::CompactionStarted { .. },
                AgentEvent::Compacted { .. }
            ]
        ),
        "{events:?}"
    );
    assert!(agent.messages().len() < before);
    assert!(first_text(&agent.messages()[0]).starts_with(SUMMARY_PREFACE));
}

#[tokio::test]
async fn manual_compact_runs_hooks_keeps_pins_and_reports_usage() {
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    project(dir.path(), 3);
    std::fs::write(dir.path().join("NOTES.md"), "Always run cargo fmt.\n").unwrap();
    let log = dir.path().join("hooks.log");
    let hooks = json!({
        "PreCompact": [{"matcher": "manual", "hooks": [{"type": "command",
            "command": format!("jq -r '\"pre \" + .custom_instructions' >> {}", log.display())}]}],
        "PostCompact": [{"hooks": [{"type": "command",
            "command": format!("jq -r '\"post \" + .compact_summary' >> {}", log.display())}]}],
        "SessionStart": [{"matcher": "compact", "hooks": [{"type": "command",
            "command": "echo 'Reminder after compaction: the tests live in tests/.'"}]}]
    });
    let dispatcher = Arc::new(
        Dispatcher::builder(dir.path())
            .hooks(&hooks, HookSource::session("test"))
            .build(),
    );
    let store = SessionStore::new(home.path());
    let session = store.open(dir.path(), &SessionOptions::default()).unwrap();
    let model = Router::new(
        reading_script(3, "Read them."),
        vec![Some("## Task\nRead three files.")],
    );
    let mut agent = AgentBuilder::new(model.clone(), read_only(), dir.path())
        .system_prompt(SystemPrompt::new().replace("You are a coding agent."))
        .exclude_tools(LOOP_TOOLS)
        .transcript(session.transcript)
        .hooks(dispatcher)
        .env(BTreeMap::from([(
            "QODER_AUTOCOMPACT_WINDOW".to_owned(),
            "60000".to_owned(),
        )]))
        .build()
        .unwrap();
    let first = agent
        .run(
            UserInput::text("Read the three files; keep this request in mind."),
            &Collect::default(),
        )
        .await;
    assert_eq!(first.outcome, TurnOutcome::Completed, "{:?}", first.summary);
    let usage = agent.context_usage();
    // The default manager took the window cap from the agent's env.
    assert_eq!(usage.effective_window, 45_000);
    assert!(usage.used_tokens > 10_000, "{usage:?}");
    let wire = usage.to_sdk_value();
    assert_eq!(wire["model"], MODEL);
    assert_eq!(wire["autoCompact"]["enabled"], true);

    agent.pin_message(&first.user_message_uuid).unwrap();
    agent.pin_file("NOTES.md");
    assert!(agent.pin_message("no-such-uuid").is_err());

    let sink = Collect::default();
    let empty = AgentBuilder::new(Router::new(vec![], vec![]), read_only(), dir.path())
        .build()
        .unwrap()
        .compact(None, &sink)
        .await;
    assert!(
        matches!(empty, Err(ferrule_agent::CompactError::Empty)),
        "{empty:?}"
    );
    assert!(sink.events().is_empty());
    let compacted = agent
        .compact(Some("  focus on file names  "), &sink)
        .await
        .unwrap();
    assert_eq!(compacted.summary, "## Task\nRead three files.");
    let events = compaction_events(&sink.events());
    assert_eq!(
        events[0],
        AgentEvent::CompactionStarted {
            trigger: CompactTrigger::Manual
        }
    );
    assert!(matches!(
        events[1],
        AgentEvent::Compacted {
            trigger: CompactTrigger::Manual,
            ..
        }
    ));
    let request = model.summary_requests.lock().unwrap()[0].clone();
    assert!(first_text(&request.messages[0]).contains("focus on file names"));

    let head = match &agent.messages()[0].content {
        MessageContent::Blocks(blocks) => blocks
            .iter()
            .filter_map(ContentBlock::as_text)
            .collect::<Vec<_>>()
            .join("\n"),
        MessageContent::Text(text) => text.clone(),
    };
    assert!(head.starts_with(SUMMARY_PREFACE), "{head}");
    assert!(
        head.contains("Read the three files; keep this request in mind."),
        "{head}"
    );
    assert!(head.contains("Always run cargo fmt."), "{head}");
    let last = first_text(agent.messages().last().unwrap());
    assert_eq!(last, "Reminder after compaction: the tests live in tests/.");
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "pre focus on file names\npost ## Task\nRead three files.\n"
    );
    let after = agent.context_usage();
    assert!(after.used_tokens < usage.used_tokens, "{after:?} {usage:?}");
    assert_eq!(after.message_count, agent.messages().len());
}

#[tokio::test]
async fn with_auto_compaction_off_a_full_context_stops_the_run_until_compacted() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), 8);
    let mut turns = reading_script(8, "never reached");
    turns.truncate(8);
    turns.push(vec![text("Back after /compact.")]);
    let model = Router::new(turns, vec![Some("## Task\nRead eight files.")]);
    let settings = ContextSettings {
        auto_compact: false,
        ..ContextSettings::default()
    };
    let env = EnvOverrides {
        window: Some(60_000),
        percent: None,
    };
    let mut agent = AgentBuilder::new(model.clone(), read_only(), dir.path())
        .system_prompt(SystemPrompt::new().replace("You are a coding agent."))
        .exclude_tools(LOOP_TOOLS)
        .context(ContextManager::new(MODEL, &settings, env, dir.path()))
        .build()
        .unwrap();
    let sink = Collect::default();
    let result = agent
        .run(UserInput::text("Read the eight files."), &sink)
        .await;
    assert_eq!(result.outcome, TurnOutcome::Failed, "{:?}", result.summary);
    let events = compaction_events(&sink.events());
    let [AgentEvent::Error { error }] = events.as_slice() else {
        panic!("no compaction was tried: {events:?}");
    };
    assert!(
        error.message.contains("automatic compaction is off") && error.message.contains("/compact"),
        "{error:?}"
    );
    assert_eq!(agent.context_usage().state, ContextState::Blocked);

    agent.compact(None, &Collect::default()).await.unwrap();
    assert!(agent.context_usage().state < ContextState::ShouldCompact);
    let result = agent
        .run(UserInput::text("Go on."), &Collect::default())
        .await;
    assert_eq!(
        result.outcome,
        TurnOutcome::Completed,
        "{:?}",
        result.summary
    );
    assert_eq!(
        result.summary.result.as_deref(),
        Some("Back after /compact.")
    );
}

#[tokio::test]
async fn reported_usage_drives_compaction_against_the_anthropic_server() {
    use ferrule_test_support::{FakeModelServer, Reply, anthropic};
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "alpha\n").unwrap();
    let server = FakeModelServer::anthropic().await.unwrap();
    // The provider says the first request held 170,000 tokens: past the
    // 167,000 at which a 200k-window Claude model compacts.
    let mut frames = vec![anthropic::message_start(170_000)];
    frames.extend(anthropic::tool_use_block(
        0,
        "toolu_1",
        "Read",
        r#"{"file_path": "a.txt"}"#,
        2,
    ));
    frames.push(anthropic::message_delta("tool_use", 5));
    frames.push(anthropic::message_stop());
    server.mount(Reply::sse(frames));
    server.mount(anthropic::text_reply("## Task\nRead a.txt."));
    server.mount(anthropic::text_reply("a.txt says alpha."));
    let model = super::support::anthropic_model(&server);
    let mut agent = AgentBuilder::new(model, read_only(), dir.path())
        .exclude_tools(LOOP_TOOLS)
        .build()
        .unwrap();
    let sink = Collect::default();
    let result = agent.run(UserInput::text("What is in a.txt?"), &sink).await;
    assert_eq!(
        result.outcome,
        TurnOutcome::Completed,
        "{:?}",
        result.summary
    );
    assert_eq!(result.summary.result.as_deref(), Some("a.txt says alpha."));
    let events = compaction_events(&sink.events());
    let [
        AgentEvent::CompactionStarted { .. },
        AgentEvent::Compacted { pre_tokens, .. },
    ] = events.as_slice()
    else {
        panic!("{events:?}");
    };
    assert!(*pre_tokens >= 170_000, "{pre_tokens}");
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[1].body["system"], SUMMARY_SYSTEM_PROMPT);
    // The compacted history is a valid request: the kept tool call and its
    // result stay together after the summary.
    let messages = requests[2].body["messages"].as_array().unwrap().clone();
    let head = messages[0].to_string();
    assert!(head.contains("compacted to save context"), "{head}");
    let body = requests[2].body.to_string();
    assert!(body.contains("toolu_1") && body.contains("alpha"), "{body}");
    assert!(server.violations().is_empty(), "{:?}", server.violations());
}
