//! Drawing: pure functions from [`crate::state::App`] to a frame.

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

use crate::state::{App, ToolStatus};

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
    let shown = visible_rows(app, usize::from(area.width), usize::from(area.height));
    frame.render_widget(Paragraph::new(shown), area);
}

/// The `height` rows of the scrollback that are on screen: the last ones,
/// less `app.scroll`. Each cell's rows are rendered once per change of the
/// cell (or of the width or folding) and kept; running tool calls, whose
/// spinner moves, are rendered every frame.
pub(crate) fn visible_rows(app: &App, width: usize, height: usize) -> Vec<Line<'static>> {
    let cells = app.transcript.cells();
    let mut cache = app.row_cache.borrow_mut();
    if cache.width != width || cache.expanded != app.expanded {
        cache.cells.clear();
        cache.width = width;
        cache.expanded = app.expanded;
    }
    cache.cells.resize(cells.len(), None);
    let mut live: Vec<Option<Vec<Line<'static>>>> = vec![None; cells.len()];
    for (index, cell) in cells.iter().enumerate() {
        let version = app.transcript.version(index);
        let spinning = matches!(
            cell,
            crate::state::Cell::Tool(tool)
                if matches!(tool.status, ToolStatus::Running | ToolStatus::Streaming)
        );
        let fresh = matches!(&cache.cells[index], Some((v, _)) if *v == version);
        if spinning {
            let mut rows = cells::cell_rows(cell, width, app.expanded, app.tick);
            rows.push(Line::default());
            live[index] = Some(rows);
        } else if !fresh {
            let mut rows = cells::cell_rows(cell, width, app.expanded, app.tick);
            rows.push(Line::default());
            cache.cells[index] = Some((version, rows));
        }
    }
    let rows_of = |index: usize| -> &[Line<'static>] {
        match (&live[index], &cache.cells[index]) {
            (Some(rows), _) => rows,
            (None, Some((_, rows))) => rows,
            (None, None) => &[],
        }
    };
    let total: usize = (0..cells.len()).map(|i| rows_of(i).len()).sum();
    let scroll = app.scroll.min(total.saturating_sub(height));
    let end = total - scroll;
    let start = end.saturating_sub(height);
    let mut shown = Vec::with_capacity(end - start);
    let mut offset = 0;
    for index in 0..cells.len() {
        let rows = rows_of(index);
        let (from, to) = (offset, offset + rows.len());
        offset = to;
        if to <= start || from >= end {
            continue;
        }
        let lo = start.max(from) - from;
        let hi = end.min(to) - from;
        shown.extend(rows[lo..hi].iter().cloned());
    }
    shown
}

#[cfg(test)]
mod tests;
