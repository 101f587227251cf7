//! Word wrapping of styled lines to a column width.
//!
//! ratatui's `Paragraph` can wrap, but the scrollback needs to know how many
//! rows each cell takes before drawing, so every cell is wrapped here once
//! and the widgets only draw rows that already fit.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Display width of a line.
pub(crate) fn line_width(line: &Line<'_>) -> usize {
    line.spans.iter().map(|span| span.content.width()).sum()
}

/// Wraps `line` to rows of at most `width` columns, breaking at spaces and
/// inside words only when a word alone is wider than a row. Styles stay
/// with their text. A zero width is treated as one column.
pub(crate) fn wrap_line(line: &Line<'static>, width: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    if line_width(line) <= width {
        return vec![line.clone()];
    }
    let mut rows: Vec<Line<'static>> = Vec::new();
    let mut row: Vec<Span<'static>> = Vec::new();
    let mut row_width = 0;
    for (word, style) in words(line) {
        let word_width = word.width();
        let trimmed = word.trim_end_matches(' ');
        if row_width + trimmed.width() <= width {
            push(&mut row, &word, style);
            row_width += word_width;
            continue;
        }
        if row_width > 0 {
            rows.push(finish(std::mem::take(&mut row), line.style));
        }
        if trimmed.width() <= width {
            push(&mut row, &word, style);
            row_width = word_width;
            continue;
        }
        // A word wider than a row: break it between characters.
        let mut piece = String::new();
        let mut piece_width = 0;
        for ch in word.chars() {
            let ch_width = ch.width().unwrap_or(0);
            if piece_width + ch_width > width && !piece.is_empty() {
                push(&mut row, &piece, style);
                rows.push(finish(std::mem::take(&mut row), line.style));
                piece.clear();
                piece_width = 0;
            }
            piece.push(ch);
            piece_width += ch_width;
        }
        push(&mut row, &piece, style);
        row_width = piece_width;
    }
    if !row.is_empty() || rows.is_empty() {
        rows.push(finish(row, line.style));
    }
    rows
}

/// Wraps `line` and puts `first` before the first row and `rest` before
/// every following one (a bullet and its hanging indent).
pub(crate) fn wrap_prefixed(
    line: &Line<'static>,
    width: usize,
    first: &Span<'static>,
    rest: &Span<'static>,
) -> Vec<Line<'static>> {
    let prefix_width = first.content.width().max(rest.content.width());
    wrap_line(line, width.saturating_sub(prefix_width))
        .into_iter()
        .enumerate()
        .map(|(index, mut row)| {
            let prefix = if index == 0 { first } else { rest };
            row.spans.insert(0, prefix.clone());
            row
        })
        .collect()
}

/// Splits a line into words, each with its trailing spaces and its style.
fn words(line: &Line<'static>) -> Vec<(String, Style)> {
    let mut out: Vec<(String, Style)> = Vec::new();
    for span in &line.spans {
        let mut current = String::new();
        let mut in_space = false;
        for ch in span.content.chars() {
            if ch != ' ' && in_space {
                out.push((std::mem::take(&mut current), span.style));
                in_space = false;
            }
            if ch == ' ' {
                in_space = true;
            }
            current.push(ch);
        }
        if !current.is_empty() {
            // A span boundary inside a word keeps the word together only
            // when the previous piece did not end in a space.
            if !current.starts_with(' ')
                && let Some((last, last_style)) = out.last_mut()
                && !last.ends_with(' ')
                && *last_style == span.style
            {
                last.push_str(&current);
            } else {
                out.push((current, span.style));
            }
        }
    }
    out
}

fn push(row: &mut Vec<Span<'static>>, text: &str, style: Style) {
    if let Some(last) = row.last_mut()
        && last.style == style
    {
        let mut joined = last.content.to_string();
        joined.push_str(text);
        last.content = joined.into();
        return;
    }
    row.push(Span::styled(text.to_owned(), style));
}

fn finish(mut row: Vec<Span<'static>>, style: Style) -> Line<'static> {
    if let Some(last) = row.last_mut() {
        let trimmed = last.content.trim_end_matches(' ').to_owned();
        last.content = trimmed.into();
    }
    Line::from(row).style(style)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Stylize;

    fn texts(rows: &[Line<'static>]) -> Vec<String> {
        rows.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn breaks_at_spaces() {
        let line = Line::from("the quick brown fox jumps");
        assert_eq!(
            texts(&wrap_line(&line, 10)),
            ["the quick", "brown fox", "jumps"]
        );
    }

    #[test]
    fn long_words_are_cut() {
        let line = Line::from("abcdefghijkl xy");
        assert_eq!(texts(&wrap_line(&line, 5)), ["abcde", "fghij", "kl xy"]);
    }

    #[test]
    fn styles_follow_their_text() {
        let line = Line::from(vec!["plain ".into(), "bold words".bold()]);
        let rows = wrap_line(&line, 11);
        assert_eq!(texts(&rows), ["plain bold", "words"]);
        assert_eq!(rows[1].spans[0].style, Style::new().bold());
    }

    #[test]
    fn wide_characters_count_double() {
        let line = Line::from("日本語のテキスト");
        assert_eq!(texts(&wrap_line(&line, 6)), ["日本語", "のテキ", "スト"]);
    }

    #[test]
    fn prefixes_hang() {
        let line = Line::from("one two three four");
        let rows = wrap_prefixed(&line, 10, &Span::raw("- "), &Span::raw("  "));
        assert_eq!(texts(&rows), ["- one two", "  three", "  four"]);
    }
}
