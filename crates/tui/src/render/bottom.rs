//! The bottom of the screen: status line, input box or prompt, footer, and
//! the completion list above them.

use std::time::{Duration, Instant};

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::cells::SPINNER;
use super::diff::edit_diff;
use super::wrap::{line_width, wrap_prefixed};
use crate::state::{App, PermissionPrompt, Prompt, QuestionPrompt, mode_label, tool_summary};

const DIM: Style = Style::new().fg(Color::DarkGray);
const BORDER: Style = Style::new().fg(Color::DarkGray);
const SELECTED: Style = Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD);
/// How long a hint stays.
const HINT_TIME: Duration = Duration::from_secs(4);

/// Rows of the bottom pane, and where the cursor goes in them.
pub(crate) struct Bottom {
    pub(crate) lines: Vec<Line<'static>>,
    pub(crate) cursor: Option<(usize, usize)>,
}

pub(crate) fn bottom_rows(app: &App, width: usize, now: Instant) -> Bottom {
    let mut lines = vec![status_line(app, now)];
    for queued in &app.queued {
        let text = queued.lines().next().unwrap_or("").to_owned();
        lines.push(Line::from(Span::styled(format!("  ⏎ queued: {text}"), DIM)));
    }
    let (body, cursor) = match &app.prompt {
        Some(Prompt::Permission(prompt)) => permission_rows(prompt, width),
        Some(Prompt::Question(prompt)) => question_rows(prompt, width),
        None => input_rows(app, width),
    };
    let offset = lines.len();
    lines.extend(boxed(body, width));
    let cursor = cursor.map(|(row, col)| (offset + 1 + row, col + 2));
    lines.push(footer(app, width, now));
    Bottom { lines, cursor }
}

fn status_line(app: &App, now: Instant) -> Line<'static> {
    let Some(busy) = app.busy else {
        return Line::default();
    };
    let spinner = SPINNER[app.tick % SPINNER.len()];
    let seconds = now.saturating_duration_since(busy.started).as_secs();
    let (label, hint) = if busy.interrupting {
        ("Interrupting…", "")
    } else if app.prompt.is_some() {
        ("Waiting for your answer…", "")
    } else {
        ("Working…", " · esc to interrupt")
    };
    Line::from(vec![
        Span::styled(format!("{spinner} "), Style::new().fg(Color::Yellow)),
        Span::styled(label, Style::new().fg(Color::Yellow)),
        Span::styled(
            format!(
                " ({seconds}s · ↓ {} tokens{hint})",
                short_count(busy.output_tokens)
            ),
            DIM,
        ),
    ])
}

fn input_rows(app: &App, width: usize) -> (Vec<Line<'static>>, Option<(usize, usize)>) {
    let inner = width.saturating_sub(6).max(1);
    let text = app.composer.text();
    let mut rows = Vec::new();
    let (cursor_row, cursor_col) = app.composer.cursor_row_col();
    let mut cursor = None;
    for (index, line) in text.split('\n').enumerate() {
        let chunks = chunk(line, inner);
        if index == cursor_row {
            let before: String = line.chars().take(cursor_col).collect();
            let (r, c) = position(&before, inner);
            cursor = Some((rows.len() + r, c + 2));
        }
        for (i, piece) in chunks.into_iter().enumerate() {
            let prefix = if index == 0 && i == 0 { "> " } else { "  " };
            rows.push(Line::from(vec![
                Span::styled(prefix, DIM),
                Span::raw(piece),
            ]));
        }
    }
    if text.is_empty() {
        rows = vec![Line::from(vec![
            Span::styled("> ", DIM),
            Span::styled(
                chunk("Type a message, / for commands, @ for files", inner).swap_remove(0),
                DIM,
            ),
        ])];
        cursor = Some((0, 2));
    }
    (rows, cursor)
}

/// Splits `line` into pieces of at most `width` columns.
fn chunk(line: &str, width: usize) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut used = 0;
    for ch in line.chars() {
        let w = ch.width().unwrap_or(0);
        if used + w > width {
            out.push(String::new());
            used = 0;
        }
        if let Some(last) = out.last_mut() {
            last.push(ch);
        }
        used += w;
    }
    out
}

/// Row and column after `before` in pieces of `width` columns.
fn position(before: &str, width: usize) -> (usize, usize) {
    let pieces = chunk(before, width);
    let last = pieces.last().map_or(0, |p| p.width());
    if last == width {
        (pieces.len(), 0)
    } else {
        (pieces.len() - 1, last)
    }
}

fn option_row(selected: bool, text: String) -> Line<'static> {
    if selected {
        Line::from(Span::styled(format!("❯ {text}"), SELECTED))
    } else {
        Line::from(Span::raw(format!("  {text}")))
    }
}

fn permission_rows(
    prompt: &PermissionPrompt,
    width: usize,
) -> (Vec<Line<'static>>, Option<(usize, usize)>) {
    let inner = width.saturating_sub(4);
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let mut rows = vec![Line::from(Span::styled(
        format!("Allow {}?", tool_summary(&prompt.tool_name, &prompt.input)),
        bold,
    ))];
    if let Some(command) = prompt.input.get("command").and_then(|v| v.as_str())
        && command.contains('\n')
    {
        rows.extend(command.lines().map(|l| Line::from(format!("  {l}"))));
    }
    let diff = edit_diff(&prompt.tool_name, &prompt.input);
    let shown = diff.len().min(10);
    rows.extend(diff.into_iter().take(shown));
    if let Some(reason) = &prompt.reason {
        rows.push(Line::from(Span::styled(reason.clone(), DIM)));
    }
    for (index, choice) in prompt.options().iter().enumerate() {
        let text = match choice {
            crate::state::PermissionChoice::AllowOnce => "Yes".to_owned(),
            crate::state::PermissionChoice::AllowAlways => match &prompt.always {
                Some((rule, file)) => {
                    format!("Yes, and don't ask again for {rule} (saved to {file})")
                }
                None => "Yes, always".to_owned(),
            },
            crate::state::PermissionChoice::Deny(_) => {
                "No, and tell the model what to do differently (esc)".to_owned()
            }
        };
        rows.push(option_row(
            index == prompt.selected,
            format!("{}. {text}", index + 1),
        ));
    }
    let mut cursor = None;
    if let Some(feedback) = &prompt.feedback {
        let label = "Feedback: ";
        cursor = Some((rows.len(), label.len() + feedback.width()));
        rows.push(Line::from(vec![
            Span::styled(label, bold),
            Span::raw(feedback.clone()),
        ]));
    }
    let rows = rows
        .iter()
        .flat_map(|row| wrap_prefixed(row, inner, &Span::raw(""), &Span::raw("  ")))
        .collect();
    (rows, cursor)
}

fn question_rows(
    prompt: &QuestionPrompt,
    width: usize,
) -> (Vec<Line<'static>>, Option<(usize, usize)>) {
    let inner = width.saturating_sub(4);
    let Some(question) = prompt.question() else {
        return (Vec::new(), None);
    };
    let mut rows = Vec::new();
    if let Some(header) = &question.header {
        rows.push(Line::from(Span::styled(header.clone(), DIM)));
    }
    rows.push(Line::from(Span::styled(
        question.question.clone(),
        Style::new().add_modifier(Modifier::BOLD),
    )));
    for (index, (label, description)) in question.options.iter().enumerate() {
        let tick = match (question.multi_select, prompt.ticked.get(index)) {
            (true, Some(true)) => "[x] ",
            (true, _) => "[ ] ",
            _ => "",
        };
        let detail = if description.is_empty() {
            String::new()
        } else {
            format!(" — {description}")
        };
        rows.push(option_row(
            index == prompt.selected,
            format!("{}. {tick}{label}{detail}", index + 1),
        ));
    }
    let other = question.options.len();
    if prompt.other_allowed {
        rows.push(option_row(
            prompt.selected == other,
            format!("{}. Other (type an answer)", other + 1),
        ));
    }
    let mut cursor = None;
    if let Some(text) = &prompt.other {
        let label = "Answer: ";
        cursor = Some((rows.len(), label.len() + text.width()));
        rows.push(Line::from(vec![Span::raw(label), Span::raw(text.clone())]));
    }
    let hint = if question.multi_select {
        "space to tick · enter to answer · esc to decline"
    } else {
        "enter to answer · esc to decline"
    };
    rows.push(Line::from(Span::styled(hint, DIM)));
    let rows = rows
        .iter()
        .flat_map(|row| wrap_prefixed(row, inner, &Span::raw(""), &Span::raw("  ")))
        .collect();
    (rows, cursor)
}

/// Draws a rounded border around `body`.
fn boxed(body: Vec<Line<'static>>, width: usize) -> Vec<Line<'static>> {
    let inner = width.saturating_sub(2);
    let mut out = vec![Line::from(Span::styled(
        format!("╭{}╮", "─".repeat(inner)),
        BORDER,
    ))];
    for mut row in body {
        let pad = inner.saturating_sub(line_width(&row) + 1);
        row.spans.insert(0, Span::styled("│ ", BORDER));
        row.spans.push(Span::raw(" ".repeat(pad)));
        row.spans.push(Span::styled("│", BORDER));
        out.push(row);
    }
    out.push(Line::from(Span::styled(
        format!("╰{}╯", "─".repeat(inner)),
        BORDER,
    )));
    out
}

fn footer(app: &App, width: usize, now: Instant) -> Line<'static> {
    let left = match &app.hint {
        Some((text, at)) if now.saturating_duration_since(*at) < HINT_TIME => {
            Span::styled(format!("  {text}"), Style::new().fg(Color::Yellow))
        }
        _ => match mode_label(app.mode) {
            Some(label) => Span::styled(
                format!("  ⏵⏵ {label} (shift+tab to cycle)"),
                Style::new().fg(Color::Magenta),
            ),
            None => Span::styled("  ? /help · shift+tab to cycle modes", DIM),
        },
    };
    let mut right = format!(
        "{} · {} tokens",
        app.model,
        short_count(app.totals.input_tokens + app.totals.output_tokens)
    );
    if app.totals.cost_usd > 0.0 {
        right.push_str(&format!(" · ${:.4}", app.totals.cost_usd));
    }
    right.push(' ');
    if left.content.width() + right.width() > width {
        return Line::from(left);
    }
    let gap = width - left.content.width() - right.width();
    Line::from(vec![
        left,
        Span::raw(" ".repeat(gap)),
        Span::styled(right, DIM),
    ])
}

/// `1234` → `1.2k`.
pub(crate) fn short_count(n: u64) -> String {
    if n < 1000 {
        n.to_string()
    } else if n < 1_000_000 {
        format!("{:.1}k", n as f64 / 1000.0)
    } else {
        format!("{:.1}M", n as f64 / 1_000_000.0)
    }
}

/// Rows of the completion list.
pub(crate) fn popup_rows(app: &App, width: usize) -> Vec<Line<'static>> {
    let Some(completion) = &app.completion else {
        return Vec::new();
    };
    completion
        .candidates
        .iter()
        .enumerate()
        .map(|(index, candidate)| {
            let style = if index == completion.selected {
                SELECTED
            } else {
                Style::new()
            };
            let label = format!("  {:<20}", candidate.label);
            let room = width.saturating_sub(label.width() + 2);
            let detail: String = candidate.detail.chars().take(room).collect();
            Line::from(vec![
                Span::styled(label, style),
                Span::styled(format!("  {detail}"), DIM),
            ])
        })
        .collect()
}
