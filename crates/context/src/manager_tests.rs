//! Unit tests of the context manager.

use super::*;
use pretty_assertions::assert_eq;

fn manager(model: &str) -> ContextManager {
    ContextManager::new(
        model,
        &ContextSettings::default(),
        EnvOverrides::default(),
        Path::new("/p"),
    )
}

fn usage(input: u64, output: u64, cache_read: u64) -> Usage {
    let mut usage = Usage::new(input, output);
    usage.cache_read_input_tokens = Some(cache_read);
    usage
}

#[test]
fn reported_usage_replaces_the_estimate_until_the_next_messages() {
    let mut context = manager("openai/gpt-4.1");
    context.set_fixed(Some("You are a coding agent."), &[]);
    context.observe(&Message::user("hello world"));
    let estimate = context.usage_tokens();
    assert_eq!(
        estimate,
        context.counter().count_text("You are a coding agent.") as u64 + 6
    );
    // OpenAI: cached tokens are part of prompt_tokens.
    context.record_usage(&usage(1_000, 50, 800));
    assert_eq!(context.usage_tokens(), 1_050);
    context.observe(&Message::user("hello world"));
    assert_eq!(context.usage_tokens(), 1_056);
    // Recounting forgets the report.
    context.reset(&[Message::user("hello world")]);
    assert_eq!(context.usage_tokens(), estimate);

    // Anthropic: cache reads come on top of input_tokens.
    let mut context = manager("anthropic/claude-sonnet-4-5");
    context.record_usage(&usage(10, 50, 800));
    assert_eq!(context.usage_tokens(), 860);
    context.record_usage(&Usage::new(0, 0));
    assert_eq!(context.usage_tokens(), 860, "an empty report is ignored");
}

#[test]
fn sync_counts_only_new_messages_and_recounts_after_edits() {
    let mut context = manager("openai/gpt-4.1");
    let mut history = vec![Message::user("one"), Message::assistant("two")];
    context.sync(&history);
    let two = context.usage_tokens();
    assert_eq!(
        two,
        context.counter().count_text("one") as u64 + context.counter().count_text("two") as u64 + 8
    );
    history.push(Message::user("three"));
    context.sync(&history);
    assert_eq!(
        context.counter().cache_stats(),
        (0, 3),
        "old messages are not looked at again"
    );
    assert_eq!(
        context.usage_tokens(),
        two + context.counter().count_text("three") as u64 + 4
    );
    history[2] = Message::user("3");
    context.sync(&history);
    assert_eq!(
        context.usage_tokens(),
        two + context.counter().count_text("3") as u64 + 4
    );
    history.truncate(1);
    context.sync(&history);
    assert_eq!(
        context.usage_tokens(),
        context.counter().count_text("one") as u64 + 4
    );
    // Unchanged fixed parts are not counted again.
    context.set_fixed(Some("system"), &[]);
    let with_system = context.usage_tokens();
    context.set_fixed(Some("system"), &[]);
    assert_eq!(context.usage_tokens(), with_system);
}

#[test]
fn maybe_reduce_does_nothing_below_the_warning_threshold() {
    let mut context = manager("openai/gpt-4o");
    let mut history = vec![Message::user("x".repeat(100))];
    context.reset(&history);
    assert_eq!(context.maybe_reduce(&mut history), None);
}

#[test]
fn the_summary_request_is_sized_to_the_window() {
    let big = manager("anthropic/claude-sonnet-4");
    let fitted = big.fitted_compactor();
    assert_eq!(
        (fitted.max_transcript_chars, fitted.max_summary_tokens),
        (360_000, 8_000)
    );
    let small = ContextManager::new(
        "openai/gpt-4",
        &ContextSettings::default(),
        EnvOverrides::default(),
        Path::new("/p"),
    );
    let fitted = small.fitted_compactor();
    assert_eq!(
        (fitted.max_transcript_chars, fitted.max_summary_tokens),
        (12_288, 1_536)
    );
}

#[test]
fn switching_models_changes_limits_and_tokenizer() {
    let mut context = manager("openai/gpt-4o");
    assert_eq!(context.limits().context_window, 128_000);
    context.set_model("anthropic/claude-opus-4-1");
    assert_eq!(context.limits().context_window, 200_000);
    assert!(!context.counter().encoding().exact);
}

#[test]
fn prepare_counts_reduces_and_reports_the_state() {
    let env = EnvOverrides {
        window: Some(60_000),
        percent: None,
    };
    let mut context = ContextManager::new(
        "openai/gpt-4o",
        &ContextSettings::default(),
        env,
        Path::new("/p"),
    );
    context.reduce_policy.keep_recent_turns = 1;
    let big = "let x = 1;\n".repeat(3_000);
    let mut history = Vec::new();
    for i in 0..3 {
        history.push(Message::assistant(vec![
            ferrule_protocol::ContentBlock::ToolUse(ferrule_protocol::ToolUseBlock {
                id: format!("c{i}"),
                name: "Read".into(),
                input: serde_json::json!({"file_path": format!("f{i}")}),
            }),
        ]));
        history.push(Message::user(vec![
            ferrule_protocol::ContentBlock::ToolResult(ferrule_protocol::ToolResultBlock::text(
                format!("c{i}"),
                big.clone(),
            )),
        ]));
    }
    let (state, reduction) = context.prepare("openai/gpt-4o", Some("system"), &[], &mut history);
    assert!(reduction.is_some_and(|r| r.stubbed == 2), "{reduction:?}");
    assert_eq!(state, context.state());
    assert!(
        state < ContextState::ShouldCompact,
        "{}",
        context.usage_tokens()
    );
}

#[test]
fn a_new_window_moves_the_thresholds_and_survives_a_model_round_trip() {
    let mut context = manager("openai/gpt-4.1");
    let before = context.thresholds().auto_compact;
    context.set_window(200_000);
    assert_eq!(context.limits().context_window, 200_000);
    assert!(context.thresholds().auto_compact < before);
    context.set_model("anthropic/claude-sonnet-4-5");
    context.set_model("openai/gpt-4.1");
    assert_eq!(context.limits().context_window, 200_000);
}
