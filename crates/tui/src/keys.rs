//! Keys to state changes and actions. Pure: the event loop carries out the
//! returned [`Action`].

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::state::{App, PermissionChoice, Prompt};

/// A second Ctrl-C within this time exits.
pub(crate) const DOUBLE_PRESS: Duration = Duration::from_secs(2);

/// What the event loop should do after a key.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Action {
    /// Nothing beyond redrawing.
    None,
    /// Send this input (a message, a `/command` or a `!command`).
    Submit(String),
    /// Interrupt the running turn.
    Interrupt,
    /// Leave the interface.
    Exit,
    /// Switch to this permission mode.
    SetMode(ferrule_permissions::Mode),
    /// The permission prompt was answered; `interrupt` when declined with Esc.
    Permission(PermissionChoice, bool),
    /// AskUserQuestion was answered with this input, or declined (`None`).
    Question(Option<serde_json::Value>),
    /// The input changed: recompute completion.
    Edited,
}

/// Applies `key` to `app` and says what else to do.
pub(crate) fn handle_key(app: &mut App, key: KeyEvent, now: Instant) -> Action {
    if key.kind == KeyEventKind::Release {
        return Action::None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('c') {
        return ctrl_c(app, now);
    }
    if app.prompt.is_some() {
        return prompt_key(app, key);
    }
    match (key.code, ctrl) {
        (KeyCode::Char('d'), true) if app.composer.is_empty() => return Action::Exit,
        (KeyCode::Char('o'), true) => {
            app.expanded = !app.expanded;
            return Action::None;
        }
        (KeyCode::Char('y'), true) if app.bypass_allowed => {
            return Action::SetMode(ferrule_permissions::Mode::BypassPermissions);
        }
        (KeyCode::Char('l'), true) => return Action::None,
        (KeyCode::BackTab, _) => return Action::SetMode(app.next_mode()),
        (KeyCode::Tab, _) if key.modifiers.contains(KeyModifiers::SHIFT) => {
            return Action::SetMode(app.next_mode());
        }
        (KeyCode::PageUp, _) => {
            app.scroll += 10;
            return Action::None;
        }
        (KeyCode::PageDown, _) => {
            app.scroll = app.scroll.saturating_sub(10);
            return Action::None;
        }
        _ => {}
    }
    if let Some(action) = completion_key(app, key) {
        return action;
    }
    composer_key(app, key, ctrl)
}

fn ctrl_c(app: &mut App, now: Instant) -> Action {
    let armed = app.hint.as_ref().is_some_and(|(text, at)| {
        text.starts_with("Press Ctrl-C again") && now - *at < DOUBLE_PRESS
    });
    if armed {
        return Action::Exit;
    }
    app.set_hint("Press Ctrl-C again to exit", now);
    if app.busy.is_some() {
        if let Some(busy) = &mut app.busy {
            busy.interrupting = true;
        }
        return Action::Interrupt;
    }
    app.composer.clear();
    app.completion = None;
    Action::None
}

fn completion_key(app: &mut App, key: KeyEvent) -> Option<Action> {
    let completion = app.completion.as_mut()?;
    match key.code {
        KeyCode::Up => completion.step(-1),
        KeyCode::Down => completion.step(1),
        KeyCode::Esc => app.completion = None,
        KeyCode::Tab | KeyCode::Enter => {
            let replacement = completion.current()?.replacement.clone();
            let is_command = replacement.starts_with('/');
            app.composer.replace_current_word(&replacement);
            app.completion = None;
            // Enter on a command runs it at once; Tab only completes.
            if key.code == KeyCode::Enter && is_command {
                return Some(submit(app));
            }
        }
        _ => return None,
    }
    Some(Action::None)
}

fn submit(app: &mut App) -> Action {
    let text = app.composer.take();
    if text.trim().is_empty() {
        Action::None
    } else {
        Action::Submit(text)
    }
}

fn composer_key(app: &mut App, key: KeyEvent, ctrl: bool) -> Action {
    let composer = &mut app.composer;
    let newline = key
        .modifiers
        .intersects(KeyModifiers::SHIFT | KeyModifiers::ALT);
    match key.code {
        KeyCode::Enter if newline => composer.insert_char('\n'),
        KeyCode::Char('j') if ctrl => composer.insert_char('\n'),
        KeyCode::Enter if composer.backslash_before_cursor() => {
            composer.backspace();
            composer.insert_char('\n');
        }
        KeyCode::Enter => return submit(app),
        KeyCode::Esc => {
            if app.busy.is_some() {
                if let Some(busy) = &mut app.busy {
                    busy.interrupting = true;
                }
                return Action::Interrupt;
            }
            composer.clear();
        }
        KeyCode::Char('a') if ctrl => composer.home(),
        KeyCode::Char('e') if ctrl => composer.end(),
        KeyCode::Char('u') if ctrl => composer.delete_to_line_start(),
        KeyCode::Char('w') if ctrl => composer.delete_word(),
        KeyCode::Char(_) if ctrl => return Action::None,
        KeyCode::Char(ch) => composer.insert_char(ch),
        KeyCode::Backspace => composer.backspace(),
        KeyCode::Delete => composer.delete(),
        KeyCode::Left => composer.left(),
        KeyCode::Right => composer.right(),
        KeyCode::Home => composer.home(),
        KeyCode::End => composer.end(),
        KeyCode::Up => composer.up(),
        KeyCode::Down => composer.down(),
        _ => return Action::None,
    }
    Action::Edited
}

fn prompt_key(app: &mut App, key: KeyEvent) -> Action {
    match app.prompt.as_mut() {
        Some(Prompt::Permission(prompt)) => {
            if let Some(feedback) = &mut prompt.feedback {
                match key.code {
                    KeyCode::Enter => {
                        let text = std::mem::take(feedback);
                        app.prompt = None;
                        return Action::Permission(PermissionChoice::Deny(text), false);
                    }
                    KeyCode::Esc => prompt.feedback = None,
                    KeyCode::Backspace => {
                        feedback.pop();
                    }
                    KeyCode::Char(ch) => feedback.push(ch),
                    _ => {}
                }
                return Action::None;
            }
            let options = prompt.options();
            let choose = |index: usize| options.get(index).cloned();
            let chosen = match key.code {
                KeyCode::Up | KeyCode::Char('k') => {
                    prompt.step(-1);
                    None
                }
                KeyCode::Down | KeyCode::Char('j') => {
                    prompt.step(1);
                    None
                }
                KeyCode::Char(digit @ '1'..='9') => choose(digit as usize - '1' as usize),
                KeyCode::Char('y') => choose(0),
                KeyCode::Char('n') => options.last().cloned(),
                KeyCode::Enter => choose(prompt.selected),
                KeyCode::Esc => {
                    app.prompt = None;
                    return Action::Permission(PermissionChoice::Deny(String::new()), true);
                }
                _ => None,
            };
            match chosen {
                Some(PermissionChoice::Deny(_)) => {
                    prompt.selected = options.len() - 1;
                    prompt.feedback = Some(String::new());
                    Action::None
                }
                Some(choice) => {
                    app.prompt = None;
                    Action::Permission(choice, false)
                }
                None => Action::None,
            }
        }
        Some(Prompt::Question(prompt)) => {
            if let Some(other) = &mut prompt.other {
                match key.code {
                    KeyCode::Enter if !other.trim().is_empty() => {
                        let text = other.trim().to_owned();
                        return question_answered(app, text);
                    }
                    KeyCode::Esc => prompt.other = None,
                    KeyCode::Backspace => {
                        other.pop();
                    }
                    KeyCode::Char(ch) => other.push(ch),
                    _ => {}
                }
                return Action::None;
            }
            let options = prompt.question().map_or(0, |q| q.options.len());
            match key.code {
                KeyCode::Up => prompt.step(-1),
                KeyCode::Down => prompt.step(1),
                KeyCode::Char(' ') => {
                    if let Some(ticked) = prompt.ticked.get_mut(prompt.selected) {
                        *ticked = !*ticked;
                    }
                }
                // A digit picks that option: the answer of a single-choice
                // question, a tick of a multi-select one, or "Other".
                KeyCode::Char(digit @ '1'..='9') => {
                    let index = digit as usize - '1' as usize;
                    let multi = prompt.question().is_some_and(|q| q.multi_select);
                    if index < options {
                        prompt.selected = index;
                        if multi {
                            if let Some(ticked) = prompt.ticked.get_mut(index) {
                                *ticked = !*ticked;
                            }
                        } else if let Some(answer) = prompt.chosen() {
                            return question_answered(app, answer);
                        }
                    } else if index == options && prompt.other_allowed {
                        prompt.selected = index;
                        prompt.other = Some(String::new());
                    }
                }
                KeyCode::Enter if prompt.selected == options && prompt.other_allowed => {
                    prompt.other = Some(String::new());
                }
                KeyCode::Enter => {
                    if let Some(answer) = prompt.chosen() {
                        return question_answered(app, answer);
                    }
                }
                KeyCode::Esc => {
                    app.prompt = None;
                    return Action::Question(None);
                }
                _ => {}
            }
            Action::None
        }
        None => Action::None,
    }
}

fn question_answered(app: &mut App, answer: String) -> Action {
    let Some(Prompt::Question(prompt)) = app.prompt.as_mut() else {
        return Action::None;
    };
    match prompt.answer(answer) {
        Some(input) => {
            app.prompt = None;
            Action::Question(Some(input))
        }
        None => Action::None,
    }
}

#[cfg(test)]
mod tests;
