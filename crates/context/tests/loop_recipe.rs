//! The calls an agent loop makes, in the order the crate docs give them,
//! driven by a scripted model: a long tool-using session crosses the
//! threshold, is reduced and compacted, carries on to the model's final
//! answer, and resumes from its transcript.

use std::path::Path;

use ferrule_context::{
    CompactRequest, ContextManager, ContextSettings, ContextState, EnvOverrides, SUMMARY_PREFACE,
};
use ferrule_model::{Model, ModelEvent, ModelRequest, Script, ScriptTurn, ScriptedModel};
use ferrule_protocol::sdk::CompactTrigger;
use ferrule_protocol::{
    AssistantMessage, ContentBlock, Message, MessageContent, ToolResultBlock, ToolUseBlock, Usage,
};
use ferrule_session::{SessionOptions, SessionStore};
use futures::StreamExt;
use serde_json::json;

const SYSTEM: &str = "You are a coding agent.";
const ROUNDS: usize = 14;

fn script(path: &Path) -> ScriptedModel {
    let mut turns: Vec<ScriptTurn> = (0..ROUNDS)
        .map(|i| {
            ScriptTurn::from_blocks(vec![
                // Reasoning text stays in the history: stubs cannot shrink it.
                ContentBlock::text(format!("Reading file {i} next. ").repeat(600)),
                ContentBlock::ToolUse(ToolUseBlock {
                    id: format!("call_{i}"),
                    name: "Read".into(),
                    input: json!({"file_path": format!("src/file{i}.rs")}),
                }),
            ])
        })
        .collect();
    turns.push(ScriptTurn::from_blocks(vec![ContentBlock::text(
        "All files read; the flag is added.",
    )]));
    ScriptedModel::new(path, Script { model: None, turns })
}

async fn answer(model: &dyn Model, request: ModelRequest) -> Result<AssistantMessage, String> {
    let mut stream = model.stream(request, Default::default());
    while let Some(event) = stream.next().await {
        if let ModelEvent::Completed { message } = event.map_err(|e| e.to_string())? {
            return Ok(*message);
        }
    }
    Err("the stream ended without a completed message".to_owned())
}

#[tokio::test]
async fn a_scripted_session_compacts_and_finishes_its_task() {
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let store = SessionStore::new(home.path());
    let mut session = store.open(dir.path(), &SessionOptions::default()).unwrap();
    let session_id = session.transcript.session_id().to_owned();
    let main = script(&dir.path().join("main.json"));
    let summarizer = ScriptedModel::new(
        dir.path().join("summary.json"),
        Script {
            model: None,
            turns: vec![
                ScriptTurn::from_blocks(vec![ContentBlock::text(
                    "## Task\nRead every file."
                )]);
                4
            ],
        },
    );
    // W = 45000 for this window; compaction at 33750, warning at 13750.
    let env = EnvOverrides {
        window: Some(60_000),
        percent: None,
    };
    let mut context = ContextManager::new(
        "anthropic/claude-sonnet-4-5",
        &ContextSettings::default(),
        env,
        dir.path(),
    );
    // Protect only the last two round trips from stubbing.
    context.reduce_policy.keep_recent_turns = 2;
    let prompt = Message::user("Read every file under src/, then add the flag.");
    session.transcript.append_user(&prompt).unwrap();
    let mut history = vec![prompt];
    let (mut reductions, mut compactions, mut highest) = (0, 0, ContextState::Fine);
    let final_text = loop {
        // Before each request: count, reduce, compact.
        context.set_fixed(Some(SYSTEM), &[]);
        context.sync(&history);
        highest = highest.max(context.state());
        if context.state() >= ContextState::Warning && context.maybe_reduce(&mut history).is_some()
        {
            reductions += 1;
        }
        if context.state() >= ContextState::ShouldCompact {
            context
                .compact(
                    &summarizer,
                    &mut history,
                    CompactRequest {
                        trigger: CompactTrigger::Auto,
                        instructions: None,
                        hooks: None,
                        transcript: Some(&mut session.transcript),
                    },
                )
                .await
                .unwrap();
            compactions += 1;
        }
        assert!(
            context.state() < ContextState::ShouldCompact,
            "{}",
            context.usage_tokens()
        );

        let mut request = ModelRequest::new(history.clone());
        request.system = Some(SYSTEM.to_owned());
        let mut message = answer(&main, request).await.unwrap();
        // What a provider would report: the context as sent, plus the answer.
        message.usage = Some(Usage::new(context.usage_tokens(), 20));
        session.transcript.append_assistant(&message).unwrap();
        history.push(Message::assistant(MessageContent::Blocks(
            message.content.clone(),
        )));
        // After the answer: count it, then take the reported usage.
        context.sync(&history);
        if let Some(usage) = &message.usage {
            context.record_usage(usage);
        }
        let calls: Vec<ToolUseBlock> = message
            .content
            .iter()
            .filter_map(|b| match b {
                ContentBlock::ToolUse(call) => Some(call.clone()),
                _ => None,
            })
            .collect();
        if calls.is_empty() {
            break message.content[0].as_text().unwrap_or_default().to_owned();
        }
        let results = Message::user(
            calls
                .iter()
                .map(|call| {
                    let body = format!("fn {}() {{ let value = 1; }}\n", call.id).repeat(500);
                    ContentBlock::ToolResult(ToolResultBlock::text(call.id.clone(), body))
                })
                .collect::<Vec<_>>(),
        );
        session.transcript.append_user(&results).unwrap();
        history.push(results);
    };

    assert_eq!(final_text, "All files read; the flag is added.");
    assert_eq!(main.remaining_turns(), 0, "every scripted answer was used");
    assert!(reductions >= 1, "the cheap reduction ran first");
    assert!(compactions >= 1, "then the session compacted");
    assert_eq!(highest, ContextState::ShouldCompact);
    let head = match &history[0].content {
        MessageContent::Blocks(blocks) => blocks[0].as_text().unwrap_or_default().to_owned(),
        MessageContent::Text(text) => text.clone(),
    };
    assert!(head.starts_with(SUMMARY_PREFACE), "{head}");

    drop(session);
    let options = SessionOptions {
        resume: Some(session_id),
        ..SessionOptions::default()
    };
    let resumed = store.open(dir.path(), &options).unwrap();
    // The transcript keeps full tool results (the stubs live in memory
    // only), so compare the shape: same roles, same summary, same end.
    assert_eq!(resumed.conversation.messages.len(), history.len());
    assert_eq!(resumed.conversation.messages[0], history[0]);
    assert_eq!(resumed.conversation.messages.last(), history.last());
}
