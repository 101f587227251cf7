//! Syntax highlighting of code blocks with syntect's bundled grammars.
//!
//! The grammar and theme sets load once per process, on the first code
//! block (a few milliseconds). A language syntect does not know, or a
//! block without one, is shown in the plain code colour.

use std::sync::OnceLock;

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use syntect::easy::HighlightLines;
use syntect::highlighting::{FontStyle, Theme, ThemeSet};
use syntect::parsing::{SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;

/// Style of code that is not highlighted.
pub(crate) const PLAIN_CODE: Style = Style::new().fg(Color::Cyan);

struct Highlighter {
    syntaxes: SyntaxSet,
    theme: Theme,
}

fn highlighter() -> Option<&'static Highlighter> {
    static CELL: OnceLock<Option<Highlighter>> = OnceLock::new();
    CELL.get_or_init(|| {
        let syntaxes = SyntaxSet::load_defaults_newlines();
        let mut themes = ThemeSet::load_defaults();
        let theme = themes.themes.remove("base16-ocean.dark")?;
        Some(Highlighter { syntaxes, theme })
    })
    .as_ref()
}

fn find_syntax<'a>(syntaxes: &'a SyntaxSet, lang: &str) -> Option<&'a SyntaxReference> {
    let lang = lang.trim();
    if lang.is_empty() {
        return None;
    }
    syntaxes
        .find_syntax_by_token(lang)
        .or_else(|| syntaxes.find_syntax_by_extension(lang))
        .or_else(|| syntaxes.find_syntax_by_name(lang))
}

/// The lines of `code`, highlighted as `lang` when it is known.
pub(crate) fn highlight(code: &str, lang: &str) -> Vec<Line<'static>> {
    let code = &code.replace('\t', "    ");
    let plain = || {
        code.lines()
            .map(|line| Line::from(Span::styled(line.to_owned(), PLAIN_CODE)))
            .collect::<Vec<_>>()
    };
    let Some(h) = highlighter() else {
        return plain();
    };
    let Some(syntax) = find_syntax(&h.syntaxes, lang) else {
        return plain();
    };
    let mut lines = HighlightLines::new(syntax, &h.theme);
    let mut out = Vec::new();
    for source_line in LinesWithEndings::from(code) {
        let Ok(ranges) = lines.highlight_line(source_line, &h.syntaxes) else {
            return plain();
        };
        let spans = ranges
            .into_iter()
            .filter_map(|(style, text)| {
                let text = text.trim_end_matches(['\n', '\r']);
                (!text.is_empty()).then(|| Span::styled(text.to_owned(), convert(style)))
            })
            .collect::<Vec<_>>();
        out.push(Line::from(spans));
    }
    out
}

fn convert(style: syntect::highlighting::Style) -> Style {
    let fg = style.foreground;
    let mut out = Style::new().fg(Color::Rgb(fg.r, fg.g, fg.b));
    if style.font_style.contains(FontStyle::BOLD) {
        out = out.add_modifier(Modifier::BOLD);
    }
    if style.font_style.contains(FontStyle::ITALIC) {
        out = out.add_modifier(Modifier::ITALIC);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_gets_more_than_one_colour() {
        let lines = highlight("fn main() {\n    let x = 1;\n}\n", "rust");
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].to_string(), "fn main() {");
        let colours: std::collections::BTreeSet<String> = lines
            .iter()
            .flat_map(|line| line.spans.iter().map(|s| format!("{:?}", s.style.fg)))
            .collect();
        assert!(colours.len() > 2, "{colours:?}");
    }

    #[test]
    fn unknown_language_is_plain() {
        let lines = highlight("a\nb", "no-such-language");
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].spans[0].style, PLAIN_CODE);
        let python = highlight("x = 1", "py");
        assert_ne!(python[0].spans[0].style, PLAIN_CODE);
    }
}
