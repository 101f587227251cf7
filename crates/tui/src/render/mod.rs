//! Drawing: pure functions from [`App`](crate::state::App) to a frame.

mod bottom;
mod cells;
mod diff;
mod highlight;
mod markdown;
mod wrap;

use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use crate::state::App;

pub(crate) use cells::transcript_rows;

/// Draws the whole screen for `app` as of `now`.
pub fn draw(frame: &mut Frame<'_>, app: &App, now: Instant) {
    let area = frame.area();
    let width = usize::from(area.width);
    let bottom = bottom::bottom_rows(app, width, now);
    let popup = bottom::popup_rows(app, width);
    let max_bottom = area.height.saturating_sub(3);
    let bottom_height = (bottom.lines.len() as u16).min(max_bottom);
    let popup_height = (popup.len() as u16).min(area.height.saturating_sub(bottom_height + 1));
    let [history_area, popup_area, bottom_area] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(popup_height),
        Constraint::Length(bottom_height),
    ])
    .areas(area);
    draw_history(frame, app, history_area);
    frame.render_widget(Paragraph::new(popup), popup_area);
    let skip = bottom
        .lines
        .len()
        .saturating_sub(usize::from(bottom_height));
    let lines: Vec<Line<'static>> = bottom.lines.into_iter().skip(skip).collect();
    frame.render_widget(Paragraph::new(lines), bottom_area);
    if let Some((row, col)) = bottom.cursor
        && row >= skip
    {
        let y = bottom_area.y + (row - skip) as u16;
        if y < bottom_area.bottom() {
            frame.set_cursor_position((bottom_area.x + col as u16, y));
        }
    }
}

fn draw_history(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let rows = transcript_rows(
        app.transcript.cells(),
        usize::from(area.width),
        app.expanded,
        app.tick,
    );
    let height = usize::from(area.height);
    let scroll = app.scroll.min(rows.len().saturating_sub(height));
    let end = rows.len() - scroll;
    let start = end.saturating_sub(height);
    let shown: Vec<Line<'static>> = rows[start..end].to_vec();
    frame.render_widget(Paragraph::new(shown), area);
}

#[cfg(test)]
mod tests;
