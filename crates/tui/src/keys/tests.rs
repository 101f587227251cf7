use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ferrule_permissions::Mode;
use serde_json::json;

use super::{Action, handle_key};
use crate::state::{App, PermissionChoice, PermissionPrompt, Prompt, QuestionPrompt};

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ctrl(ch: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(ch), KeyModifiers::CONTROL)
}

fn type_text(app: &mut App, text: &str, now: Instant) {
    for ch in text.chars() {
        handle_key(app, key(KeyCode::Char(ch)), now);
    }
}

#[test]
fn enter_submits_and_backslash_enter_continues_the_line() {
    let now = Instant::now();
    let mut app = App::new("m", Mode::Default);
    type_text(&mut app, "first\\", now);
    assert_eq!(
        handle_key(&mut app, key(KeyCode::Enter), now),
        Action::Edited
    );
    type_text(&mut app, "second", now);
    let shift_enter = KeyEvent::new(KeyCode::Enter, KeyModifiers::SHIFT);
    handle_key(&mut app, shift_enter, now);
    type_text(&mut app, "third", now);
    assert_eq!(
        handle_key(&mut app, key(KeyCode::Enter), now),
        Action::Submit("first\nsecond\nthird".into())
    );
    assert!(app.composer.is_empty());
    assert_eq!(handle_key(&mut app, key(KeyCode::Enter), now), Action::None);
}

#[test]
fn ctrl_c_interrupts_then_exits() {
    let now = Instant::now();
    let mut app = App::new("m", Mode::Default);
    app.start_turn(now);
    assert_eq!(handle_key(&mut app, ctrl('c'), now), Action::Interrupt);
    assert!(app.busy.unwrap().interrupting);
    assert_eq!(
        handle_key(&mut app, ctrl('c'), now + Duration::from_millis(500)),
        Action::Exit
    );
}

#[test]
fn a_late_second_ctrl_c_does_not_exit() {
    let now = Instant::now();
    let mut app = App::new("m", Mode::Default);
    type_text(&mut app, "draft", now);
    assert_eq!(handle_key(&mut app, ctrl('c'), now), Action::None);
    assert!(app.composer.is_empty());
    assert_eq!(
        handle_key(&mut app, ctrl('c'), now + Duration::from_secs(5)),
        Action::None
    );
}

#[test]
fn esc_interrupts_a_running_turn() {
    let now = Instant::now();
    let mut app = App::new("m", Mode::Default);
    app.start_turn(now);
    assert_eq!(
        handle_key(&mut app, key(KeyCode::Esc), now),
        Action::Interrupt
    );
}

#[test]
fn shift_tab_asks_for_the_next_mode() {
    let mut app = App::new("m", Mode::Default);
    assert_eq!(
        handle_key(&mut app, key(KeyCode::BackTab), Instant::now()),
        Action::SetMode(Mode::AcceptEdits)
    );
    assert_eq!(
        handle_key(&mut app, ctrl('y'), Instant::now()),
        Action::SetMode(Mode::BypassPermissions)
    );
}

fn permission(always: bool) -> Prompt {
    Prompt::Permission(PermissionPrompt {
        tool_name: "Bash".into(),
        input: json!({"command": "ls"}),
        reason: None,
        always: always.then(|| ("Bash(ls)".into(), "x".into())),
        selected: 0,
        feedback: None,
    })
}

#[test]
fn permission_keys() {
    let now = Instant::now();
    let mut app = App::new("m", Mode::Default);
    app.prompt = Some(permission(true));
    assert_eq!(
        handle_key(&mut app, key(KeyCode::Char('2')), now),
        Action::Permission(PermissionChoice::AllowAlways, false)
    );
    assert!(app.prompt.is_none());

    app.prompt = Some(permission(true));
    handle_key(&mut app, key(KeyCode::Down), now);
    handle_key(&mut app, key(KeyCode::Down), now);
    assert_eq!(handle_key(&mut app, key(KeyCode::Enter), now), Action::None);
    type_text(&mut app, "use ls -la", now);
    assert_eq!(
        handle_key(&mut app, key(KeyCode::Enter), now),
        Action::Permission(PermissionChoice::Deny("use ls -la".into()), false)
    );

    app.prompt = Some(permission(false));
    assert_eq!(
        handle_key(&mut app, key(KeyCode::Esc), now),
        Action::Permission(PermissionChoice::Deny(String::new()), true)
    );
    app.prompt = Some(permission(false));
    assert_eq!(
        handle_key(&mut app, key(KeyCode::Char('y')), now),
        Action::Permission(PermissionChoice::AllowOnce, false)
    );
}

#[test]
fn question_keys_pick_an_option_or_other_text() {
    let now = Instant::now();
    let input = json!({"questions": [
        {"question": "Colour?", "options": [{"label": "red"}, {"label": "blue"}]},
        {"question": "Name?", "options": [{"label": "x"}]}
    ]});
    let mut app = App::new("m", Mode::Default);
    app.prompt = Some(Prompt::Question(
        QuestionPrompt::from_input(&input).unwrap(),
    ));
    handle_key(&mut app, key(KeyCode::Down), now);
    assert_eq!(handle_key(&mut app, key(KeyCode::Enter), now), Action::None);
    handle_key(&mut app, key(KeyCode::Char('2')), now);
    type_text(&mut app, "Ferris", now);
    let Action::Question(Some(done)) = handle_key(&mut app, key(KeyCode::Enter), now) else {
        panic!("answered");
    };
    assert_eq!(
        done["answers"],
        json!({"Colour?": "blue", "Name?": "Ferris"})
    );
}

#[test]
fn completion_takes_tab_and_enter() {
    let now = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let mut completer = crate::state::Completer::new(dir.path());
    let commands = vec![
        ("help".to_owned(), "h".to_owned()),
        ("hooks".to_owned(), "k".to_owned()),
    ];
    let mut app = App::new("m", Mode::Default);
    type_text(&mut app, "/h", now);
    app.completion = completer.complete("/h", true, &commands);
    handle_key(&mut app, key(KeyCode::Down), now);
    assert_eq!(
        handle_key(&mut app, key(KeyCode::Enter), now),
        Action::Submit("/hooks ".into())
    );
    type_text(&mut app, "/h", now);
    app.completion = completer.complete("/h", true, &commands);
    handle_key(&mut app, key(KeyCode::Tab), now);
    assert_eq!(app.composer.text(), "/help ");
}

#[test]
fn a_digit_answers_a_single_choice_question() {
    let now = Instant::now();
    let input = json!({"questions": [{"question": "Trust?", "options": [{"label": "yes"}, {"label": "no"}]}]});
    let mut app = App::new("m", Mode::Default);
    let mut question = QuestionPrompt::from_input(&input).unwrap();
    question.other_allowed = false;
    app.prompt = Some(Prompt::Question(question));
    assert_eq!(
        handle_key(&mut app, key(KeyCode::Char('3')), now),
        Action::None
    );
    let Action::Question(Some(done)) = handle_key(&mut app, key(KeyCode::Char('2')), now) else {
        panic!("answered");
    };
    assert_eq!(done["answers"], json!({"Trust?": "no"}));
}
