//! Markdown (CommonMark with tables and strikethrough) to styled, wrapped
//! terminal lines.
//!
//! Streaming text is rendered again from the start on every change, so a
//! code fence that is still open shows as code until the model closes it.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

use super::highlight::highlight;
use super::wrap::wrap_prefixed;

const INLINE_CODE: Style = Style::new().fg(Color::Cyan);
const LINK: Style = Style::new()
    .fg(Color::Blue)
    .add_modifier(Modifier::UNDERLINED);
const QUOTE: Style = Style::new().fg(Color::Green);
const RULE: Style = Style::new().fg(Color::DarkGray);

/// Renders `text` as Markdown into rows of at most `width` columns.
pub(crate) fn render_markdown(text: &str, width: usize) -> Vec<Line<'static>> {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut renderer = Renderer::new(width);
    for event in Parser::new_ext(text, options) {
        renderer.event(event);
    }
    renderer.flush();
    while renderer.out.last().is_some_and(|l| l.spans.is_empty()) {
        renderer.out.pop();
    }
    renderer.out
}

struct ListLevel {
    next_number: Option<u64>,
}

struct Renderer {
    width: usize,
    out: Vec<Line<'static>>,
    spans: Vec<Span<'static>>,
    styles: Vec<Style>,
    lists: Vec<ListLevel>,
    /// Bullet waiting for the first line of a list item.
    bullet: Option<String>,
    quote_depth: usize,
    code: Option<(String, String)>,
    link: Option<String>,
    table_row: Vec<String>,
    cell: Option<String>,
}

impl Renderer {
    fn new(width: usize) -> Self {
        Self {
            width,
            out: Vec::new(),
            spans: Vec::new(),
            styles: Vec::new(),
            lists: Vec::new(),
            bullet: None,
            quote_depth: 0,
            code: None,
            link: None,
            table_row: Vec::new(),
            cell: None,
        }
    }

    fn style(&self) -> Style {
        self.styles
            .iter()
            .fold(Style::new(), |acc, style| acc.patch(*style))
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => self.text(&text),
            Event::Code(code) => {
                if let Some(cell) = &mut self.cell {
                    cell.push_str(&code);
                } else {
                    self.spans.push(Span::styled(
                        code.into_string(),
                        self.style().patch(INLINE_CODE),
                    ));
                }
            }
            Event::SoftBreak => self.text(" "),
            Event::HardBreak => self.flush(),
            Event::Rule => {
                self.flush();
                let width = self.width.min(40);
                self.out
                    .push(Line::from(Span::styled("─".repeat(width), RULE)));
                self.blank();
            }
            Event::Html(html) | Event::InlineHtml(html) => self.text(&html),
            Event::TaskListMarker(done) => self.text(if done { "[x] " } else { "[ ] " }),
            Event::FootnoteReference(_) | Event::InlineMath(_) | Event::DisplayMath(_) => {}
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Heading { level, .. } => {
                self.flush();
                let style = match level {
                    HeadingLevel::H1 => {
                        Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
                    }
                    HeadingLevel::H2 => Style::new().add_modifier(Modifier::BOLD),
                    _ => Style::new().add_modifier(Modifier::BOLD | Modifier::ITALIC),
                };
                self.styles.push(style);
            }
            Tag::BlockQuote(_) => {
                self.flush();
                self.quote_depth += 1;
                self.styles.push(QUOTE);
            }
            Tag::CodeBlock(kind) => {
                self.flush();
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => {
                        info.split_whitespace().next().unwrap_or("").to_owned()
                    }
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some((lang, String::new()));
            }
            Tag::List(start) => {
                self.flush();
                self.lists.push(ListLevel { next_number: start });
            }
            Tag::Item => {
                self.flush();
                let bullet = match self.lists.last_mut() {
                    Some(ListLevel {
                        next_number: Some(n),
                    }) => {
                        let text = format!("{n}. ");
                        *n += 1;
                        text
                    }
                    _ => "- ".to_owned(),
                };
                self.bullet = Some(bullet);
            }
            Tag::Emphasis => self
                .styles
                .push(Style::new().add_modifier(Modifier::ITALIC)),
            Tag::Strong => self.styles.push(Style::new().add_modifier(Modifier::BOLD)),
            Tag::Strikethrough => self
                .styles
                .push(Style::new().add_modifier(Modifier::CROSSED_OUT)),
            Tag::Link { dest_url, .. } => {
                self.styles.push(LINK);
                self.link = Some(dest_url.into_string());
            }
            Tag::Table(_) => self.flush(),
            Tag::TableRow | Tag::TableHead => self.table_row.clear(),
            Tag::TableCell => self.cell = Some(String::new()),
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph => {
                self.flush();
                if self.lists.is_empty() {
                    self.blank();
                }
            }
            TagEnd::Heading(_) => {
                self.flush();
                self.styles.pop();
                self.blank();
            }
            TagEnd::BlockQuote(_) => {
                self.flush();
                self.quote_depth = self.quote_depth.saturating_sub(1);
                self.styles.pop();
                self.blank();
            }
            TagEnd::CodeBlock => {
                if let Some((lang, code)) = self.code.take() {
                    let indent = self.indent();
                    for mut line in highlight(&code, &lang) {
                        line.spans.insert(0, Span::raw(format!("{indent}  ")));
                        self.out.push(line);
                    }
                    self.blank();
                }
            }
            TagEnd::List(_) => {
                self.flush();
                self.lists.pop();
                if self.lists.is_empty() {
                    self.blank();
                }
            }
            TagEnd::Item => self.flush(),
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough => {
                self.styles.pop();
            }
            TagEnd::Link => {
                self.styles.pop();
                if let Some(url) = self.link.take()
                    && !url.is_empty()
                {
                    self.spans.push(Span::styled(
                        format!(" ({url})"),
                        Style::new().fg(Color::DarkGray),
                    ));
                }
            }
            TagEnd::TableCell => {
                if let Some(cell) = self.cell.take() {
                    self.table_row.push(cell.trim().to_owned());
                }
            }
            TagEnd::TableHead | TagEnd::TableRow => {
                let row = format!("| {} |", self.table_row.join(" | "));
                self.spans.push(Span::raw(row));
                self.flush();
                if matches!(tag, TagEnd::TableHead) {
                    let rule = self
                        .table_row
                        .iter()
                        .map(|c| "-".repeat(c.chars().count().max(3)))
                        .collect::<Vec<_>>()
                        .join(" | ");
                    self.spans.push(Span::styled(format!("| {rule} |"), RULE));
                    self.flush();
                }
            }
            TagEnd::Table => self.blank(),
            _ => {}
        }
    }

    fn text(&mut self, text: &str) {
        if let Some((_, code)) = &mut self.code {
            code.push_str(text);
        } else if let Some(cell) = &mut self.cell {
            cell.push_str(text);
        } else {
            self.spans.push(Span::styled(text.to_owned(), self.style()));
        }
    }

    fn indent(&self) -> String {
        let mut indent = "│ ".repeat(self.quote_depth);
        indent.push_str(&"  ".repeat(self.lists.len().saturating_sub(1)));
        indent
    }

    /// Ends the current line of text: wraps it with the list and quote
    /// prefixes and appends the rows.
    fn flush(&mut self) {
        if self.spans.is_empty() {
            return;
        }
        let line = Line::from(std::mem::take(&mut self.spans));
        let indent = self.indent();
        let (first, rest) = match self.bullet.take() {
            Some(bullet) => {
                let pad = " ".repeat(bullet.chars().count());
                (format!("{indent}{bullet}"), format!("{indent}{pad}"))
            }
            None if !self.lists.is_empty() => (format!("{indent}  "), format!("{indent}  ")),
            None => (indent.clone(), indent),
        };
        let quote = if self.quote_depth > 0 {
            QUOTE
        } else {
            Style::new()
        };
        let rows = wrap_prefixed(
            &line,
            self.width,
            &Span::styled(first, quote),
            &Span::styled(rest, quote),
        );
        self.out.extend(rows);
    }

    fn blank(&mut self) {
        if self.out.last().is_some_and(|l| !l.spans.is_empty()) {
            self.out.push(Line::default());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(text: &str, width: usize) -> String {
        render_markdown(text, width)
            .iter()
            .map(|line| line.to_string().trim_end().to_owned())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn paragraphs_lists_and_quotes() {
        insta::assert_snapshot!(plain(
            "# Title\n\nSome *emphasis* and **strong** text that wraps around.\n\n\
             - first item\n- second item that is long enough to wrap\n  - nested\n\n\
             1. one\n2. two\n\n> quoted words\n\n---\n\nA [link](https://example.org).",
            30
        ));
    }

    #[test]
    fn code_blocks_keep_their_lines() {
        insta::assert_snapshot!(plain(
            "Run this:\n\n```rust\nfn main() {\n    println!(\"hi\");\n}\n```\n\nDone.",
            40
        ));
    }

    #[test]
    fn open_fence_while_streaming_is_code() {
        let lines = render_markdown("Here:\n\n```python\nprint(1)", 40);
        let last = lines.last().expect("a line");
        assert_eq!(last.to_string(), "  print(1)");
        assert_ne!(last.spans[1].style, Style::new());
    }

    #[test]
    fn tables_are_rows() {
        insta::assert_snapshot!(plain("| a | b |\n|---|---|\n| 1 | 22 |\n", 40));
    }

    #[test]
    fn inline_code_is_coloured() {
        let lines = render_markdown("use `cargo test` now", 40);
        let code = lines[0]
            .spans
            .iter()
            .find(|s| s.content == "cargo test")
            .expect("a code span");
        assert_eq!(code.style.fg, Some(Color::Cyan));
    }
}
