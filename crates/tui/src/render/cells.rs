//! Scrollback cells to rows.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

use super::diff::{counts, edit_diff};
use super::markdown::render_markdown;
use super::wrap::{wrap_line, wrap_prefixed};
use crate::state::{Cell, ToolCell, ToolStatus, main_argument};

const DIM: Style = Style::new().fg(Color::DarkGray);
/// Result rows shown while collapsed.
const COLLAPSED_ROWS: usize = 3;
/// Diff rows shown while collapsed.
const COLLAPSED_DIFF_ROWS: usize = 12;

/// Spinner frames.
pub(crate) const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// The rows of one cell.
pub(crate) fn cell_rows(
    cell: &Cell,
    width: usize,
    expanded: bool,
    tick: usize,
) -> Vec<Line<'static>> {
    match cell {
        Cell::User(text) => {
            let style = Style::new().fg(Color::White).add_modifier(Modifier::BOLD);
            let mut rows = Vec::new();
            for (index, line) in text.split('\n').enumerate() {
                let first = if index == 0 { "> " } else { "  " };
                rows.extend(wrap_prefixed(
                    &Line::from(Span::styled(line.to_owned(), style)),
                    width,
                    &Span::styled(first, DIM),
                    &Span::raw("  "),
                ));
            }
            rows
        }
        Cell::Assistant(text) => {
            let body = render_markdown(text, width.saturating_sub(2));
            bulleted(body, Span::styled("● ", Style::new().fg(Color::White)))
        }
        Cell::Thinking(text) => {
            let style = DIM.add_modifier(Modifier::ITALIC);
            let mut rows = vec![Line::from(Span::styled("✻ Thinking…", style))];
            if expanded {
                for line in text.lines() {
                    rows.extend(wrap_prefixed(
                        &Line::from(Span::styled(line.to_owned(), style)),
                        width,
                        &Span::raw("  "),
                        &Span::raw("  "),
                    ));
                }
            }
            rows
        }
        Cell::Tool(tool) => tool_rows(tool, width, expanded, tick),
        Cell::Info(text) => text
            .lines()
            .flat_map(|line| {
                wrap_prefixed(
                    &Line::from(Span::styled(line.to_owned(), DIM)),
                    width,
                    &Span::raw("  "),
                    &Span::raw("  "),
                )
            })
            .collect(),
        Cell::Error(text) => {
            let style = Style::new().fg(Color::Red);
            let body = text
                .lines()
                .flat_map(|line| {
                    wrap_line(
                        &Line::from(Span::styled(line.to_owned(), style)),
                        width.saturating_sub(2),
                    )
                })
                .collect();
            bulleted(body, Span::styled("✗ ", style))
        }
    }
}

/// Puts `bullet` before the first row and two spaces before the rest.
fn bulleted(body: Vec<Line<'static>>, bullet: Span<'static>) -> Vec<Line<'static>> {
    body.into_iter()
        .enumerate()
        .map(|(index, mut row)| {
            let prefix = if index == 0 {
                bullet.clone()
            } else {
                Span::raw("  ")
            };
            row.spans.insert(0, prefix);
            row
        })
        .collect()
}

fn tool_rows(tool: &ToolCell, width: usize, expanded: bool, tick: usize) -> Vec<Line<'static>> {
    let (bullet, colour) = match tool.status {
        ToolStatus::Streaming | ToolStatus::Running => {
            (SPINNER[tick % SPINNER.len()], Color::Yellow)
        }
        ToolStatus::Done => ("●", Color::Green),
        ToolStatus::Failed => ("●", Color::Red),
        ToolStatus::Denied => ("●", Color::Yellow),
        ToolStatus::Interrupted => ("●", Color::DarkGray),
    };
    let mut head = vec![
        Span::styled(format!("{bullet} "), Style::new().fg(colour)),
        Span::styled(tool.name.clone(), Style::new().add_modifier(Modifier::BOLD)),
    ];
    if let Some(arg) = main_argument(&tool.name, &tool.input) {
        head.push(Span::raw(format!("({arg})")));
    }
    let mut rows = wrap_prefixed(&Line::from(head), width, &Span::raw(""), &Span::raw("  "));
    let mut body: Vec<Line<'static>> = Vec::new();
    let diff = edit_diff(&tool.name, &tool.input);
    match tool.status {
        ToolStatus::Streaming => {}
        ToolStatus::Running => {
            body.push(Line::from(Span::styled("Running…", DIM)));
        }
        ToolStatus::Interrupted => {
            body.push(Line::from(Span::styled(
                "Interrupted",
                Style::new().fg(Color::Red),
            )));
        }
        ToolStatus::Denied => {
            let text = tool.result.as_deref().unwrap_or("Denied");
            let first = text.lines().next().unwrap_or("Denied").to_owned();
            body.push(Line::from(Span::styled(
                first,
                Style::new().fg(Color::Yellow),
            )));
        }
        ToolStatus::Done if !diff.is_empty() => {
            let (added, removed) = counts(&diff);
            body.push(Line::from(Span::raw(format!(
                "{} with {added} addition{} and {removed} removal{}",
                if tool.name == "Write" {
                    "Wrote"
                } else {
                    "Updated"
                },
                plural(added),
                plural(removed),
            ))));
            body.extend(limit(diff, expanded, COLLAPSED_DIFF_ROWS));
        }
        ToolStatus::Done | ToolStatus::Failed => {
            let style = if tool.status == ToolStatus::Failed {
                Style::new().fg(Color::Red)
            } else {
                Style::new()
            };
            let text = tool.result.as_deref().unwrap_or("");
            let lines: Vec<Line<'static>> = if text.trim().is_empty() {
                vec![Line::from(Span::styled("(no output)", DIM))]
            } else {
                text.lines()
                    .map(|l| Line::from(Span::styled(expand_tabs(l), style)))
                    .collect()
            };
            body.extend(limit(lines, expanded, COLLAPSED_ROWS));
        }
    }
    if tool.child_calls > 0 {
        let last = tool.last_child.clone().unwrap_or_default();
        body.push(Line::from(Span::styled(
            format!(
                "{} tool use{} · {last}",
                tool.child_calls,
                plural(tool.child_calls)
            ),
            DIM,
        )));
    }
    for (index, line) in body.into_iter().enumerate() {
        let first = if index == 0 { "  ⎿ " } else { "    " };
        rows.extend(wrap_prefixed(
            &line,
            width,
            &Span::styled(first, DIM),
            &Span::raw("    "),
        ));
    }
    rows
}

/// At most `max` rows unless expanded, then a note with what is hidden.
fn limit(rows: Vec<Line<'static>>, expanded: bool, max: usize) -> Vec<Line<'static>> {
    if expanded || rows.len() <= max {
        return rows;
    }
    let hidden = rows.len() - max;
    let mut out: Vec<Line<'static>> = rows.into_iter().take(max).collect();
    out.push(Line::from(Span::styled(
        format!("… +{hidden} line{} (ctrl+o to expand)", plural(hidden)),
        DIM,
    )));
    out
}

/// Replaces tabs with spaces up to the next multiple of eight columns
/// (terminals do, the buffer does not).
pub(crate) fn expand_tabs(line: &str) -> String {
    if !line.contains('\t') {
        return line.to_owned();
    }
    let mut out = String::with_capacity(line.len() + 8);
    let mut column = 0;
    for ch in line.chars() {
        if ch == '\t' {
            let pad = 8 - column % 8;
            out.extend(std::iter::repeat_n(' ', pad));
            column += pad;
        } else {
            out.push(ch);
            column += unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0);
        }
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::expand_tabs;

    #[test]
    fn tabs_go_to_the_next_stop() {
        assert_eq!(expand_tabs("     1\tfn x"), "     1  fn x");
        assert_eq!(expand_tabs("\ta\tb"), "        a       b");
    }
}
