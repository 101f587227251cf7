//! Shell-command analysis with the tree-sitter bash grammar (reference
//! §3.5): top-level segments, nested commands, the words of every simple
//! command, and redirections. Whatever the walker does not fully understand
//! makes the analysis *opaque*, which the Bash checker never auto-allows.

use std::cell::RefCell;

use tree_sitter::{Node, Parser};

use crate::wrappers::{allow_start, deny_starts};

/// Commands longer than this are not parsed; they are opaque.
pub const MAX_COMMAND_LEN: usize = 64 * 1024;
/// Nesting deeper than this (subshells, substitutions, `sh -c`) is opaque.
const MAX_DEPTH: usize = 24;

/// One shell word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Word {
    /// Its value is known statically (quotes and escapes removed).
    Static(String),
    /// It contains an expansion or substitution; the raw source text.
    Dynamic(String),
}

impl Word {
    /// The static value, if known.
    pub fn value(&self) -> Option<&str> {
        match self {
            Word::Static(value) => Some(value),
            Word::Dynamic(_) => None,
        }
    }

    /// The static value, or the raw text of a dynamic word.
    pub fn text(&self) -> &str {
        match self {
            Word::Static(text) | Word::Dynamic(text) => text,
        }
    }
}

/// One simple command anywhere in the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleCommand {
    /// The command's source text.
    pub text: String,
    /// Leading `NAME=value` assignments.
    pub assignments: Vec<(String, Word)>,
    /// The command name and its arguments.
    pub words: Vec<Word>,
    /// Byte offset, inside `text`, where each word starts.
    pub word_starts: Vec<usize>,
    /// Every index into `words` where a command starts once wrappers are
    /// removed (0 first, then after `sudo`, `env`, `timeout`…).
    pub starts: Vec<usize>,
}

impl SimpleCommand {
    /// The static argv from `start`, if every word is static.
    pub fn argv(&self, start: usize) -> Option<Vec<&str>> {
        self.words.get(start..)?.iter().map(Word::value).collect()
    }
}

/// Where a redirection goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redirect {
    /// Output to a file path (`>`, `>>`, `&>`, `>|`, `<>`).
    Write(Word),
    /// Input from a file path (`<`).
    Read(Word),
}

/// A top-level segment: one command joined to the others by `&&`, `||`,
/// `;`, `|`, `&` or a newline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The segment's source text (without its redirections).
    pub text: String,
    /// The simple command it is, if it is one (index into
    /// [`Analysis::commands`]); `None` for subshells, groups, loops...
    pub command: Option<usize>,
    /// Whether it contains nested execution.
    pub nested: bool,
    /// Whether it has output redirections to files.
    pub writes: bool,
}

impl Segment {
    /// The texts an allow rule may match: the segment itself and, when its
    /// leading harmless assignments and timing wrappers are removed, the rest.
    pub fn allow_texts<'a>(&'a self, analysis: &'a Analysis) -> Vec<&'a str> {
        let mut texts = vec![self.text.as_str()];
        if let Some(command) = self.command.and_then(|i| analysis.commands.get(i))
            && let Some(start) = allow_start(command)
            && let Some(&offset) = command.word_starts.get(start)
            && offset > 0
        {
            texts.extend(command.text.get(offset..).map(str::trim));
        }
        texts
    }
}

/// The result of analysing one command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Analysis {
    /// Every text deny and ask rules are matched against.
    pub occurrences: Vec<String>,
    /// The top-level segments.
    pub segments: Vec<Segment>,
    /// Every simple command, nested ones included.
    pub commands: Vec<SimpleCommand>,
    /// Every redirection, nested ones included.
    pub redirects: Vec<Redirect>,
    /// Whether anything runs nested (subshell, substitution, `sh -c`, eval).
    pub nested: bool,
    /// Why the analysis is incomplete, if it is.
    pub opaque: Option<String>,
}

thread_local! {
    static PARSER: RefCell<Option<Parser>> = const { RefCell::new(None) };
}

/// Analyses one command line.
pub fn analyze(command: &str) -> Analysis {
    let mut analysis = Analysis::default();
    let trimmed = command.trim();
    analysis.occurrences.push(trimmed.to_string());
    if trimmed.len() > MAX_COMMAND_LEN {
        analysis.opaque = Some(format!("command longer than {MAX_COMMAND_LEN} bytes"));
        return analysis;
    }
    if let Some(words) = plain_words(trimmed) {
        let mut walker = Walker { analysis, depth: 0 };
        walker.push_plain(trimmed, words);
        return walker.finish();
    }
    let mut walker = Walker { analysis, depth: 0 };
    walker.parse_program(trimmed, true);
    walker.finish()
}

/// Reserved words that change the meaning of a plain-looking line.
const RESERVED: &[&str] = &[
    "if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac",
    "function", "select", "time", "coproc", "in", "!",
];

/// The fast path: a line made only of characters with no meaning to the
/// shell grammar (letters, digits, spaces and `_-./:=,+`) is one simple
/// command whose words are its space-separated parts — exactly what the
/// grammar yields for it (a property test compares the two).
pub(crate) fn plain_words(line: &str) -> Option<Vec<(usize, &str)>> {
    let plain = line.bytes().all(|b| {
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b' ' | b'_' | b'-' | b'.' | b'/' | b':' | b'=' | b',' | b'+'
            )
    });
    if !plain || line.is_empty() {
        return None;
    }
    let mut words = Vec::new();
    let mut start = None;
    for (at, b) in line.bytes().enumerate() {
        match (b == b' ', start) {
            (true, Some(s)) => {
                words.push((s, &line[s..at]));
                start = None;
            }
            (false, None) => start = Some(at),
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push((s, &line[s..]));
    }
    let first = words.first()?.1;
    // The grammar reads a leading `-` or digit differently (as an error or
    // a descriptor); leave such lines to it.
    let starts_plainly = first
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || matches!(b, b'_' | b'.' | b'/'));
    if !starts_plainly || first.contains('=') || RESERVED.contains(&first) {
        return None;
    }
    let words_start_plainly = words.iter().all(|(_, word)| {
        word.bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'/' | b'-'))
    });
    if !words_start_plainly {
        return None;
    }
    Some(words)
}

struct Walker {
    analysis: Analysis,
    depth: usize,
}

fn opaque(analysis: &mut Analysis, reason: String) {
    if analysis.opaque.is_none() {
        analysis.opaque = Some(reason);
    }
}

impl Walker {
    fn finish(mut self) -> Analysis {
        let mut occurrences = std::mem::take(&mut self.analysis.occurrences);
        occurrences.extend(self.analysis.segments.iter().map(|s| s.text.clone()));
        for command in &self.analysis.commands {
            occurrences.push(command.text.trim().to_string());
            for &start in &command.starts {
                if let Some(&offset) = command.word_starts.get(start) {
                    occurrences.extend(command.text.get(offset..).map(|t| t.trim().to_string()));
                }
                let joined: Vec<&str> = command.words[start..].iter().map(Word::text).collect();
                occurrences.push(joined.join(" "));
            }
        }
        occurrences.sort_unstable();
        occurrences.dedup();
        self.analysis.occurrences = occurrences;
        self.analysis
    }

    fn push_plain(&mut self, line: &str, words: Vec<(usize, &str)>) {
        let mut command = SimpleCommand {
            text: line.to_string(),
            assignments: Vec::new(),
            word_starts: words.iter().map(|&(at, _)| at).collect(),
            words: words
                .iter()
                .map(|&(_, w)| Word::Static(w.to_string()))
                .collect(),
            starts: Vec::new(),
        };
        command.starts = deny_starts(&command);
        let index = self.analysis.commands.len();
        self.analysis.commands.push(command);
        self.analysis.segments.push(Segment {
            text: line.to_string(),
            command: Some(index),
            nested: false,
            writes: false,
        });
        self.nested_scripts(index);
    }

    /// Parses `source` as a program; `top` says whether its statements are
    /// top-level segments.
    fn parse_program(&mut self, source: &str, top: bool) {
        if self.depth > MAX_DEPTH {
            opaque(
                &mut self.analysis,
                format!("nesting deeper than {MAX_DEPTH} levels"),
            );
            return;
        }
        let tree = PARSER.with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot.is_none() {
                let mut parser = Parser::new();
                if parser
                    .set_language(&tree_sitter_bash::LANGUAGE.into())
                    .is_err()
                {
                    return None;
                }
                *slot = Some(parser);
            }
            slot.as_mut().and_then(|parser| parser.parse(source, None))
        });
        let Some(tree) = tree else {
            opaque(
                &mut self.analysis,
                "the shell parser gave no tree".to_string(),
            );
            return;
        };
        let root = tree.root_node();
        if root.has_error() {
            opaque(
                &mut self.analysis,
                "the command does not parse as shell".to_string(),
            );
        }
        let src = source.as_bytes();
        self.depth += 1;
        for child in named_children(root) {
            self.statement(child, src, top);
        }
        self.depth -= 1;
    }

    fn statement(&mut self, node: Node<'_>, src: &[u8], top: bool) {
        if self.depth > MAX_DEPTH {
            opaque(
                &mut self.analysis,
                format!("nesting deeper than {MAX_DEPTH} levels"),
            );
            return;
        }
        match node.kind() {
            "comment" => {}
            "list" | "pipeline" => {
                for child in named_children(node) {
                    self.statement(child, src, top);
                }
            }
            "command" => {
                let writes_before = self.count_writes();
                let nested_before = self.analysis.nested;
                self.analysis.nested = false;
                let index = self.simple_command(node, src, None);
                let nested = self.analysis.nested;
                self.analysis.nested |= nested_before;
                if top {
                    self.analysis.segments.push(Segment {
                        text: text(node, src).trim().to_string(),
                        command: Some(index),
                        nested,
                        writes: self.count_writes() > writes_before,
                    });
                }
            }
            "redirected_statement" => self.redirected(node, src, top),
            "variable_assignment"
            | "variable_assignments"
            | "declaration_command"
            | "unset_command"
            | "test_command"
            | "negated_command" => {
                self.compound(node, src, top, false);
            }
            "subshell"
            | "compound_statement"
            | "if_statement"
            | "while_statement"
            | "for_statement"
            | "c_style_for_statement"
            | "case_statement"
            | "function_definition" => {
                self.compound(node, src, top, true);
            }
            other => {
                opaque(
                    &mut self.analysis,
                    format!("unsupported shell construct `{other}`"),
                );
                self.compound(node, src, top, true);
            }
        }
    }

    /// A statement that is not a simple command: its inner commands are
    /// analysed as nested (`runs_nested`) and, at top level, it is a segment
    /// no prefix rule can allow.
    fn compound(&mut self, node: Node<'_>, src: &[u8], top: bool, runs_nested: bool) {
        let writes_before = self.count_writes();
        if runs_nested {
            self.analysis.nested = true;
        }
        self.depth += 1;
        self.descend(node, src);
        self.depth -= 1;
        if top {
            self.analysis.segments.push(Segment {
                text: text(node, src).trim().to_string(),
                command: None,
                nested: true,
                writes: self.count_writes() > writes_before,
            });
        }
    }

    /// Walks every child of a compound node: statements as statements,
    /// words for their substitutions.
    fn descend(&mut self, node: Node<'_>, src: &[u8]) {
        for child in named_children(node) {
            match child.kind() {
                "command"
                | "list"
                | "pipeline"
                | "redirected_statement"
                | "subshell"
                | "compound_statement"
                | "if_statement"
                | "while_statement"
                | "for_statement"
                | "c_style_for_statement"
                | "case_statement"
                | "function_definition"
                | "negated_command"
                | "declaration_command"
                | "unset_command"
                | "test_command"
                | "variable_assignment"
                | "variable_assignments" => {
                    self.statement(child, src, false);
                }
                "file_redirect" | "heredoc_redirect" | "herestring_redirect" => {
                    self.redirect(child, src, &mut Vec::new());
                }
                _ => {
                    self.word(child, src);
                }
            }
        }
    }

    fn count_writes(&self) -> usize {
        self.analysis
            .redirects
            .iter()
            .filter(|r| matches!(r, Redirect::Write(_)))
            .count()
    }

    fn redirected(&mut self, node: Node<'_>, src: &[u8], top: bool) {
        let mut extra = Vec::new();
        let writes_before = self.count_writes();
        let body = node.child_by_field_name("body");
        for child in named_children(node) {
            if Some(child) != body {
                self.redirect(child, src, &mut extra);
            }
        }
        if !extra.is_empty() {
            // `echo a > f b`: words after the target belong to the command.
            opaque(
                &mut self.analysis,
                "arguments after a redirection target".to_string(),
            );
        }
        let Some(body) = body else {
            opaque(
                &mut self.analysis,
                "a redirection without a command".to_string(),
            );
            return;
        };
        if body.kind() == "command" {
            let nested_before = self.analysis.nested;
            self.analysis.nested = false;
            let index = self.simple_command(body, src, Some(extra));
            let nested = self.analysis.nested;
            self.analysis.nested |= nested_before;
            if top {
                self.analysis.segments.push(Segment {
                    text: text(body, src).trim().to_string(),
                    command: Some(index),
                    nested,
                    writes: self.count_writes() > writes_before,
                });
            }
        } else {
            let segments_before = self.analysis.segments.len();
            self.statement(body, src, top);
            if self.count_writes() > writes_before {
                for segment in &mut self.analysis.segments[segments_before..] {
                    segment.writes = true;
                }
            }
        }
    }

    fn redirect(&mut self, node: Node<'_>, src: &[u8], extra: &mut Vec<Word>) {
        match node.kind() {
            "file_redirect" => {
                let operator = (0..node.child_count())
                    .filter_map(|i| node.child(i))
                    .find(|c| !c.is_named())
                    .map(|c| c.kind())
                    .unwrap_or(">");
                let mut destinations = Vec::new();
                for child in named_children(node) {
                    if child.kind() != "file_descriptor" {
                        destinations.push(child);
                    }
                }
                let mut targets = destinations.into_iter();
                let Some(target) = targets.next() else {
                    return;
                };
                for rest in targets {
                    let word = self.word(rest, src);
                    extra.push(word);
                }
                let word = self.word(target, src);
                let is_fd = target.kind() == "number" || word.value() == Some("-");
                match operator {
                    "<" => self.analysis.redirects.push(Redirect::Read(word)),
                    "<&" | ">&" if is_fd => {}
                    ">&-" | "<&-" => {}
                    _ if word.value() == Some("/dev/null") => {}
                    _ => self.analysis.redirects.push(Redirect::Write(word)),
                }
            }
            "heredoc_redirect" | "herestring_redirect" | "heredoc_body" => {
                for child in named_children(node) {
                    self.word(child, src);
                }
            }
            _ => {
                let word = self.word(node, src);
                extra.push(word);
            }
        }
    }

    fn simple_command(&mut self, node: Node<'_>, src: &[u8], extra: Option<Vec<Word>>) -> usize {
        let base = node.start_byte();
        let mut command = SimpleCommand {
            text: text(node, src).to_string(),
            assignments: Vec::new(),
            words: Vec::new(),
            word_starts: Vec::new(),
            starts: Vec::new(),
        };
        for child in named_children(node) {
            match child.kind() {
                "variable_assignment" => {
                    let name = child
                        .child_by_field_name("name")
                        .map(|n| text(n, src).to_string())
                        .unwrap_or_default();
                    let value = match child.child_by_field_name("value") {
                        Some(value) => self.word(value, src),
                        None => Word::Static(String::new()),
                    };
                    command.assignments.push((name, value));
                }
                "file_redirect" | "heredoc_redirect" | "herestring_redirect" => {
                    let mut extra = Vec::new();
                    self.redirect(child, src, &mut extra);
                    if !extra.is_empty() {
                        opaque(
                            &mut self.analysis,
                            "arguments after a redirection target".to_string(),
                        );
                    }
                }
                "comment" => {}
                "command_name" => {
                    let word = match named_children(child).next() {
                        Some(inner) => self.word(inner, src),
                        None => Word::Static(text(child, src).to_string()),
                    };
                    command.word_starts.push(child.start_byte() - base);
                    command.words.push(word);
                }
                _ => {
                    let word = self.word(child, src);
                    command.word_starts.push(child.start_byte() - base);
                    command.words.push(word);
                }
            }
        }
        if let Some(extra) = extra {
            // Their position in the text is after the redirection; they are
            // only kept for the joined view.
            for word in extra {
                command.word_starts.push(command.text.len());
                command.words.push(word);
            }
        }
        command.starts = deny_starts(&command);
        let index = self.analysis.commands.len();
        self.analysis.commands.push(command);
        self.nested_scripts(index);
        index
    }

    /// `sh -c 'script'`, `bash -c …` and `eval …`: the script is analysed as
    /// nested commands.
    fn nested_scripts(&mut self, index: usize) {
        let Some(command) = self.analysis.commands.get(index) else {
            return;
        };
        let mut scripts = Vec::new();
        let mut dynamic = false;
        for &start in &command.starts {
            let words = &command.words[start..];
            let Some(name) = words.first().and_then(Word::value) else {
                continue;
            };
            let name = name.rsplit('/').next().unwrap_or(name);
            if name == "eval" {
                let parts: Option<Vec<&str>> = words[1..].iter().map(Word::value).collect();
                match parts {
                    Some(parts) => scripts.push(parts.join(" ")),
                    None => dynamic = true,
                }
            } else if matches!(name, "sh" | "bash" | "zsh" | "dash" | "ksh") {
                let script_flag = words[1..].iter().position(|w| {
                    w.value().is_some_and(|v| {
                        v.starts_with('-') && !v.starts_with("--") && v.contains('c')
                    })
                });
                if let Some(flag) = script_flag {
                    match words.get(flag + 2) {
                        Some(Word::Static(script)) => scripts.push(script.clone()),
                        Some(Word::Dynamic(_)) | None => dynamic = true,
                    }
                } else if words.len() > 1 {
                    // `bash script.sh` runs a file we cannot see.
                    self.analysis.nested = true;
                }
            }
        }
        if dynamic {
            self.analysis.nested = true;
            opaque(
                &mut self.analysis,
                "a shell script whose text is not static".to_string(),
            );
        }
        for script in scripts {
            self.analysis.nested = true;
            self.depth += 1;
            self.parse_program(&script, false);
            self.depth -= 1;
        }
    }

    /// The value of a word node; substitutions inside it are analysed as
    /// nested commands.
    fn word(&mut self, node: Node<'_>, src: &[u8]) -> Word {
        let raw = text(node, src);
        match node.kind() {
            "word" | "number" => Word::Static(unescape_word(raw)),
            "raw_string" => Word::Static(
                raw.trim_start_matches('\'')
                    .trim_end_matches('\'')
                    .to_string(),
            ),
            "string" => {
                let mut value = String::new();
                let mut dynamic = false;
                for child in named_children(node) {
                    match child.kind() {
                        "string_content" => value.push_str(&unescape_double(text(child, src))),
                        _ => {
                            self.word(child, src);
                            dynamic = true;
                        }
                    }
                }
                if dynamic {
                    Word::Dynamic(raw.to_string())
                } else {
                    Word::Static(value)
                }
            }
            "concatenation" => {
                let mut value = String::new();
                let mut dynamic = false;
                for child in named_children(node) {
                    match self.word(child, src) {
                        Word::Static(part) => value.push_str(&part),
                        Word::Dynamic(_) => dynamic = true,
                    }
                }
                if dynamic {
                    Word::Dynamic(raw.to_string())
                } else {
                    Word::Static(value)
                }
            }
            "command_substitution" | "process_substitution" => {
                self.analysis.nested = true;
                self.depth += 1;
                self.descend(node, src);
                self.depth -= 1;
                Word::Dynamic(raw.to_string())
            }
            _ => {
                if node.is_error() || node.is_missing() {
                    opaque(
                        &mut self.analysis,
                        "the command does not parse as shell".to_string(),
                    );
                }
                self.depth += 1;
                if self.depth <= MAX_DEPTH {
                    self.descend(node, src);
                } else {
                    opaque(
                        &mut self.analysis,
                        format!("nesting deeper than {MAX_DEPTH} levels"),
                    );
                }
                self.depth -= 1;
                Word::Dynamic(raw.to_string())
            }
        }
    }
}

fn named_children(node: Node<'_>) -> impl Iterator<Item = Node<'_>> {
    (0..node.named_child_count()).filter_map(move |i| node.named_child(i))
}

fn text<'a>(node: Node<'_>, src: &'a [u8]) -> &'a str {
    node.utf8_text(src).unwrap_or("")
}

/// Removes the backslashes of an unquoted word (`a\ b` → `a b`).
fn unescape_word(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('\n') | None => {}
                Some(next) => out.push(next),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Removes the backslashes that escape `$`, `` ` ``, `"`, `\` and newline
/// inside double quotes.
fn unescape_double(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.peek() {
                Some(&next @ ('$' | '`' | '"' | '\\')) => {
                    out.push(next);
                    chars.next();
                }
                Some('\n') => {
                    chars.next();
                }
                _ => out.push(c),
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
#[path = "shell_tests.rs"]
mod tests;
