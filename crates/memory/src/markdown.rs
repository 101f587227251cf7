//! A small Markdown scanner that tells prose from code: fenced blocks and
//! inline code spans are kept verbatim, so `@path` imports and file
//! references inside code are ignored `[mem]`, while the shell forms of
//! custom commands (`` !`cmd` `` and ```` ```! ```` blocks) are found.
//!
//! Code spans are recognised within one line (a span that CommonMark would
//! let run across a soft line break is treated as literal backticks).

/// One piece of a Markdown text. Concatenating every piece's `raw` text
/// gives back the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    /// Prose on `line` (1-based).
    Text { line: usize, raw: &'a str },
    /// A code span or a fenced block, left as it is.
    Code { raw: &'a str },
    /// A fenced block whose info string is `!`: its body is a shell script.
    ShellBlock {
        line: usize,
        raw: &'a str,
        script: &'a str,
    },
    /// An inline `` !`cmd` `` shell command.
    ShellInline {
        line: usize,
        raw: &'a str,
        command: &'a str,
    },
}

struct Fence {
    marker: u8,
    len: usize,
    shell: bool,
    start: usize,
    body_start: usize,
    line: usize,
}

fn fence_open(line: &str) -> Option<(u8, usize, &str)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let marker = *rest.as_bytes().first()?;
    if marker != b'`' && marker != b'~' {
        return None;
    }
    let len = rest.bytes().take_while(|b| *b == marker).count();
    if len < 3 {
        return None;
    }
    let info = rest[len..].trim();
    if marker == b'`' && info.contains('`') {
        return None;
    }
    Some((marker, len, info))
}

fn fence_closes(line: &str, fence: &Fence) -> bool {
    let trimmed = line.trim_start_matches(' ');
    if line.len() - trimmed.len() > 3 {
        return false;
    }
    let len = trimmed.bytes().take_while(|b| *b == fence.marker).count();
    len >= fence.len && trimmed[len..].trim().is_empty()
}

/// Splits `text` into prose, code and shell pieces.
pub(crate) fn scan(text: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut fence: Option<Fence> = None;
    let mut offset = 0;
    let mut line_no = 0;
    while offset < text.len() {
        line_no += 1;
        let end = text[offset..]
            .find('\n')
            .map_or(text.len(), |i| offset + i + 1);
        let line = &text[offset..end];
        let content = line.trim_end_matches(['\n', '\r']);
        match fence.take() {
            Some(open) => {
                if fence_closes(content, &open) {
                    push_fence(&mut pieces, text, &open, offset, end);
                } else {
                    fence = Some(open);
                }
            }
            None => {
                if let Some((marker, len, info)) = fence_open(content) {
                    fence = Some(Fence {
                        marker,
                        len,
                        shell: info == "!",
                        start: offset,
                        body_start: end,
                        line: line_no,
                    });
                } else {
                    scan_line(&mut pieces, line, line_no);
                }
            }
        }
        offset = end;
    }
    if let Some(open) = fence {
        // An unclosed fence runs to the end of the text (CommonMark).
        push_fence(&mut pieces, text, &open, text.len(), text.len());
    }
    pieces
}

fn push_fence<'a>(
    pieces: &mut Vec<Piece<'a>>,
    text: &'a str,
    open: &Fence,
    close: usize,
    end: usize,
) {
    let raw = &text[open.start..end];
    if open.shell {
        pieces.push(Piece::ShellBlock {
            line: open.line,
            raw,
            script: &text[open.body_start..close.max(open.body_start)],
        });
    } else {
        pieces.push(Piece::Code { raw });
    }
}

fn scan_line<'a>(pieces: &mut Vec<Piece<'a>>, line: &'a str, line_no: usize) {
    let bytes = line.as_bytes();
    let mut text_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'`' {
            i += 1;
            continue;
        }
        let run = bytes[i..].iter().take_while(|b| **b == b'`').count();
        let Some(close) = find_closing_run(bytes, i + run, run) else {
            i += run;
            continue;
        };
        let shell = i > 0 && bytes[i - 1] == b'!';
        let span_start = if shell { i - 1 } else { i };
        if span_start > text_start {
            pieces.push(Piece::Text {
                line: line_no,
                raw: &line[text_start..span_start],
            });
        }
        let raw = &line[span_start..close + run];
        if shell {
            pieces.push(Piece::ShellInline {
                line: line_no,
                raw,
                command: line[i + run..close].trim(),
            });
        } else {
            pieces.push(Piece::Code { raw });
        }
        i = close + run;
        text_start = i;
    }
    if text_start < line.len() {
        pieces.push(Piece::Text {
            line: line_no,
            raw: &line[text_start..],
        });
    }
}

fn find_closing_run(bytes: &[u8], from: usize, run: usize) -> Option<usize> {
    let mut j = from;
    while j < bytes.len() {
        if bytes[j] == b'`' {
            let len = bytes[j..].iter().take_while(|b| **b == b'`').count();
            if len == run {
                return Some(j);
            }
            j += len;
        } else {
            j += 1;
        }
    }
    None
}

/// An `@path` reference found in prose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AtRef<'a> {
    /// 1-based line.
    pub(crate) line: usize,
    /// Byte range of the whole `@path` token within its piece's `raw`.
    pub(crate) start: usize,
    /// End of the token.
    pub(crate) end: usize,
    /// The path text after `@`.
    pub(crate) path: &'a str,
}

/// Finds `@path` references in one prose piece. A reference starts at an
/// `@` at the start of the text or after whitespace or `(`, and must look
/// like a file: start with `./`, `../`, `~/` or `/`, or end in a name with
/// an extension. So `@alice`, `@types/node` and `a@b.c` are not imports
/// `[mem]` ("npm-like names, mentions and bare `@word`").
pub(crate) fn at_refs(raw: &str, line: usize) -> Vec<AtRef<'_>> {
    let mut refs = Vec::new();
    let bytes = raw.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'@'
            || (i > 0 && !matches!(bytes[i - 1], b' ' | b'\t' | b'(' | b'\n' | b'\r'))
        {
            i += 1;
            continue;
        }
        let start = i;
        let token_end = raw[i + 1..]
            .find(|c: char| c.is_whitespace())
            .map_or(raw.len(), |j| i + 1 + j);
        let token = raw[i + 1..token_end].trim_end_matches(|c: char| {
            matches!(
                c,
                '.' | ',' | ';' | ':' | '!' | '?' | ')' | ']' | '}' | '>' | '"' | '\''
            )
        });
        if looks_like_path(token) {
            refs.push(AtRef {
                line,
                start,
                end: i + 1 + token.len(),
                path: token,
            });
        }
        i = token_end.max(i + 1);
    }
    refs
}

fn looks_like_path(token: &str) -> bool {
    if token.is_empty() || token.contains('@') || token.contains("://") {
        return false;
    }
    if token.starts_with("./")
        || token.starts_with("../")
        || token.starts_with("~/")
        || token.starts_with('/')
    {
        return token.len() > 2;
    }
    let last = token.rsplit('/').next().unwrap_or(token);
    match last.rsplit_once('.') {
        Some((stem, ext)) => {
            !stem.is_empty() && !ext.is_empty() && ext.chars().all(|c| c.is_ascii_alphanumeric())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn paths(text: &str) -> Vec<String> {
        scan(text)
            .into_iter()
            .flat_map(|p| match p {
                Piece::Text { line, raw } => at_refs(raw, line)
                    .into_iter()
                    .map(|r| format!("{}:{}", r.line, r.path))
                    .collect(),
                _ => Vec::new(),
            })
            .collect()
    }

    #[test]
    fn pieces_reassemble_the_text() {
        let text = "a `b` !`c`\n```!\nls\n```\n~~~\n@x.md\n~~~\nend @y.md.\n";
        let joined: String = scan(text)
            .iter()
            .map(|p| match p {
                Piece::Text { raw, .. }
                | Piece::Code { raw }
                | Piece::ShellBlock { raw, .. }
                | Piece::ShellInline { raw, .. } => *raw,
            })
            .collect();
        assert_eq!(joined, text);
    }

    #[test]
    fn imports_in_code_are_ignored() {
        let text =
            "See @README.md and `@skip.md`.\n```\n@also-skip.md\n```\nUse @docs/testing.md.\n";
        assert_eq!(paths(text), vec!["1:README.md", "5:docs/testing.md"]);
    }

    #[test]
    fn mentions_and_package_names_are_not_imports() {
        let text = "ping @alice, install @types/node, mail a@b.com, see @./notes and @~/x.md\n";
        assert_eq!(paths(text), vec!["1:./notes", "1:~/x.md"]);
    }

    #[test]
    fn shell_forms_are_found() {
        let pieces = scan("x !`git status` y\n```!\necho hi\n```\n");
        assert_eq!(
            pieces,
            vec![
                Piece::Text { line: 1, raw: "x " },
                Piece::ShellInline {
                    line: 1,
                    raw: "!`git status`",
                    command: "git status"
                },
                Piece::Text {
                    line: 1,
                    raw: " y\n"
                },
                Piece::ShellBlock {
                    line: 2,
                    raw: "```!\necho hi\n```\n",
                    script: "echo hi\n"
                },
            ]
        );
    }
}
