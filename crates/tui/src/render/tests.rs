use std::time::{Duration, Instant};

use ferrule_permissions::Mode;
use ferrule_protocol::{
    AgentEvent, ToolResultBlock, ToolUseBlock, TurnOutcome, TurnSummary, Usage,
};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;

use super::draw;
use crate::state::{App, Cell, PermissionPrompt, Prompt, QuestionPrompt};

fn screen(app: &App, width: u16, height: u16, now: Instant) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| draw(frame, app, now)).unwrap();
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let mut row = String::new();
        for x in 0..buffer.area.width {
            row.push_str(buffer[(x, y)].symbol());
        }
        out.push_str(row.trim_end());
        out.push('\n');
    }
    out
}

fn tool_call(app: &mut App, id: &str, name: &str, input: serde_json::Value) {
    app.apply(
        &AgentEvent::ToolCallFinished {
            index: 1,
            call: ToolUseBlock {
                id: id.into(),
                name: name.into(),
                input,
            },
        },
        None,
    );
}

fn result(app: &mut App, id: &str, text: &str, error: bool) {
    let result = if error {
        ToolResultBlock::error(id, text)
    } else {
        ToolResultBlock::text(id, text)
    };
    app.apply(
        &AgentEvent::ToolResult {
            result,
            structured: None,
            duration_ms: Some(12),
        },
        None,
    );
}

fn conversation() -> App {
    let mut app = App::new("gpt-test", Mode::Default);
    app.transcript
        .push(Cell::User("fix the failing test".into()));
    app.apply(
        &AgentEvent::MessageStarted {
            message_id: "m1".into(),
            model: "gpt-test".into(),
        },
        None,
    );
    for piece in [
        "I'll look at **the test** first.\n\n",
        "```rust\nfn main() {}\n```\n",
    ] {
        app.apply(
            &AgentEvent::TextDelta {
                index: 0,
                text: piece.into(),
            },
            None,
        );
    }
    tool_call(&mut app, "t1", "Bash", json!({"command": "cargo test"}));
    result(
        &mut app,
        "t1",
        "running 3 tests\ntest a ... ok\ntest b ... ok\ntest c ... FAILED\nfailures:",
        false,
    );
    tool_call(
        &mut app,
        "t2",
        "Edit",
        json!({
            "file_path": "src/lib.rs", "old_string": "let x = 1;\n", "new_string": "let x = 2;\n"
        }),
    );
    result(&mut app, "t2", "ok", false);
    tool_call(&mut app, "t3", "Read", json!({"file_path": "/nope"}));
    result(&mut app, "t3", "File does not exist: /nope", true);
    app
}

#[test]
fn conversation_with_tools_and_diff() {
    let app = conversation();
    insta::assert_snapshot!(screen(&app, 70, 30, Instant::now()));
}

#[test]
fn expanded_results_show_every_line() {
    let mut app = conversation();
    app.expanded = true;
    let text = screen(&app, 70, 40, Instant::now());
    assert!(text.contains("failures:"), "{text}");
    assert!(!text.contains("ctrl+o to expand"), "{text}");
}

#[test]
fn working_status_line_with_elapsed_time_tokens_and_mode() {
    let mut app = App::new("gpt-test", Mode::AcceptEdits);
    let start = Instant::now();
    app.start_turn(start);
    app.transcript.push(Cell::User("hello".into()));
    app.apply(
        &AgentEvent::Usage {
            usage: Usage {
                input_tokens: 1000,
                output_tokens: 1234,
                ..Usage::default()
            },
        },
        None,
    );
    app.composer.set_text("next question\nsecond line");
    insta::assert_snapshot!(screen(&app, 70, 12, start + Duration::from_secs(12)));
}

#[test]
fn permission_prompt_inline() {
    let mut app = App::new("gpt-test", Mode::Default);
    app.start_turn(Instant::now());
    tool_call(&mut app, "t1", "Bash", json!({"command": "rm -rf build"}));
    app.prompt = Some(Prompt::Permission(PermissionPrompt {
        tool_name: "Bash".into(),
        input: json!({"command": "rm -rf build"}),
        reason: Some("no rule allows it".into()),
        always: Some((
            "Bash(rm -rf build)".into(),
            ".qoder/settings.local.json".into(),
        )),
        selected: 1,
        feedback: None,
    }));
    insta::assert_snapshot!(screen(&app, 80, 16, Instant::now()));
}

#[test]
fn question_prompt_with_options() {
    let mut app = App::new("gpt-test", Mode::Default);
    let input = json!({"questions": [{"question": "Which database?", "header": "Storage",
        "options": [{"label": "SQLite", "description": "one file"}, {"label": "Postgres", "description": "a server"}],
        "multiSelect": false}]});
    app.prompt = Some(Prompt::Question(
        QuestionPrompt::from_input(&input).unwrap(),
    ));
    insta::assert_snapshot!(screen(&app, 60, 14, Instant::now()));
}

#[test]
fn interrupted_turn_marks_running_tools() {
    let mut app = App::new("gpt-test", Mode::Default);
    app.start_turn(Instant::now());
    tool_call(&mut app, "t1", "Bash", json!({"command": "sleep 100"}));
    app.apply(
        &AgentEvent::TurnFinished {
            outcome: TurnOutcome::Interrupted,
            summary: TurnSummary::default(),
        },
        None,
    );
    assert!(app.busy.is_none());
    insta::assert_snapshot!(screen(&app, 60, 10, Instant::now()));
}

#[test]
fn completion_popup_above_the_input() {
    let mut app = App::new("gpt-test", Mode::Default);
    app.composer.set_text("/he");
    let dir = tempfile::tempdir().unwrap();
    let mut completer = crate::state::Completer::new(dir.path());
    let commands = vec![
        ("help".to_owned(), "Show help".to_owned()),
        ("hooks".to_owned(), "List hooks".to_owned()),
    ];
    app.completion = completer.complete("/h", true, &commands);
    insta::assert_snapshot!(screen(&app, 60, 10, Instant::now()));
}

#[test]
fn scrolling_up_shows_older_rows() {
    let mut app = App::new("gpt-test", Mode::Default);
    for i in 0..30 {
        app.transcript.push(Cell::Info(format!("line {i}")));
    }
    let bottom = screen(&app, 40, 12, Instant::now());
    assert!(
        bottom.contains("line 29") && !bottom.contains("line 20"),
        "{bottom}"
    );
    app.scroll = 30;
    let up = screen(&app, 40, 12, Instant::now());
    assert!(up.contains("line 13") && !up.contains("line 29"), "{up}");
    app.scroll = 1000;
    let top = screen(&app, 40, 12, Instant::now());
    assert!(top.contains("line 0"), "{top}");
}

#[test]
fn a_long_transcript_is_drawn_from_cached_rows_that_follow_changes() {
    let mut app = App::new("gpt-test", Mode::Default);
    let code = "```rust\nfn main() {\n    let x = vec![1, 2, 3];\n}\n```\n";
    for i in 0..200 {
        app.transcript.push(Cell::User(format!("question {i}")));
        app.transcript
            .push(Cell::Assistant(format!("Answer **{i}**:\n\n{code}")));
        tool_call(
            &mut app,
            &format!("t{i}"),
            "Bash",
            json!({"command": "cargo test"}),
        );
        result(&mut app, &format!("t{i}"), "ok\nok\nok\nok\nok", false);
    }
    let start = Instant::now();
    let first = screen(&app, 120, 40, Instant::now());
    let first_time = start.elapsed();
    let start = Instant::now();
    let again = screen(&app, 120, 40, Instant::now());
    eprintln!(
        "800 cells: first frame {first_time:?}, cached frame {:?}",
        start.elapsed()
    );
    assert_eq!(first, again);
    assert!(first.contains("question 199"));
    // A streamed delta into the last answer shows on the next frame.
    app.apply(
        &AgentEvent::MessageStarted {
            message_id: "m".into(),
            model: "gpt-test".into(),
        },
        None,
    );
    app.apply(
        &AgentEvent::TextDelta {
            index: 0,
            text: "streamed ".into(),
        },
        None,
    );
    app.apply(
        &AgentEvent::TextDelta {
            index: 0,
            text: "words".into(),
        },
        None,
    );
    let streamed = screen(&app, 120, 40, Instant::now());
    assert!(streamed.contains("● streamed words"), "{streamed}");
    // Unfolding re-renders every cell.
    app.expanded = true;
    let unfolded = screen(&app, 120, 40, Instant::now());
    assert!(!unfolded.contains("ctrl+o to expand"), "{unfolded}");
    // A cleared transcript never shows old rows.
    app.transcript.clear();
    app.transcript.push(Cell::Info("fresh".into()));
    let cleared = screen(&app, 120, 40, Instant::now());
    assert!(
        cleared.contains("fresh") && !cleared.contains("question"),
        "{cleared}"
    );
}
