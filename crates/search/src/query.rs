//! What a Grep search looks for: the pattern, where, which files, and how
//! the results are shaped.
//!
//! The fields mirror the Grep tool's input (reference `cli-core.md` §2.6),
//! each with the meaning of the matching ripgrep flag.

use std::path::PathBuf;

/// How results are reported (rg's default output, `-l`, `-c`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OutputMode {
    /// Matching lines (and context lines), like rg's default output.
    Content,
    /// One path per file that has at least one match, like `rg -l`.
    /// The search of a file stops at its first match.
    #[default]
    FilesWithMatches,
    /// One `path:N` per matching file, like `rg -c`: `N` counts matching
    /// lines, or matches when [`GrepQuery::only_matching`] is set.
    Count,
}

/// Whether letters match regardless of case (rg `-i`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CaseMode {
    /// `a` matches only `a`.
    #[default]
    Sensitive,
    /// `a` matches `a` and `A` (Unicode simple case folding).
    Insensitive,
}

/// One Grep search.
///
/// Build it with [`GrepQuery::new`] and the chained setters; every field is
/// public for reading and later adjustment.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GrepQuery {
    /// A regular expression in Rust `regex` syntax.
    pub pattern: String,
    /// Where to search: a directory (walked with the ignore rules) or one
    /// file (always searched, like a path given to rg explicitly).
    pub root: PathBuf,
    /// rg `-g` globs, matched against paths relative to `root`; a leading
    /// `!` excludes. Later globs take precedence over earlier ones.
    pub globs: Vec<String>,
    /// rg `--type` name from ripgrep's default type table (`rust`, `py`,
    /// `c`, ...).
    pub file_type: Option<String>,
    /// rg `-i`.
    pub case: CaseMode,
    /// rg `-n`: prefix content lines with their 1-based line number.
    pub line_numbers: bool,
    /// rg `-B`: lines of context before each match (content mode).
    pub before_context: usize,
    /// rg `-A`: lines of context after each match (content mode).
    pub after_context: usize,
    /// rg `-o`: print only the matched parts of a line, one per line.
    pub only_matching: bool,
    /// rg `-U --multiline-dotall`: patterns may span lines and `.` matches
    /// a newline.
    pub multiline: bool,
    /// What the results list.
    pub output_mode: OutputMode,
    /// Keep at most this many output entries (after `offset`); `None`
    /// keeps all. Entries are output lines in content mode (context lines
    /// and `--` separators included, as `rg | head` would count them),
    /// paths in files mode and `path:N` lines in count mode.
    pub head_limit: Option<usize>,
    /// Skip this many output entries before applying `head_limit`.
    pub offset: usize,
}

impl GrepQuery {
    /// A query for `pattern` under `root` with rg's defaults and the Grep
    /// tool's default output mode (files with matches).
    pub fn new(pattern: impl Into<String>, root: impl Into<PathBuf>) -> Self {
        Self {
            pattern: pattern.into(),
            root: root.into(),
            globs: Vec::new(),
            file_type: None,
            case: CaseMode::Sensitive,
            line_numbers: false,
            before_context: 0,
            after_context: 0,
            only_matching: false,
            multiline: false,
            output_mode: OutputMode::FilesWithMatches,
            head_limit: None,
            offset: 0,
        }
    }

    /// Adds one rg `-g` glob (`!` prefix excludes).
    #[must_use]
    pub fn glob(mut self, glob: impl Into<String>) -> Self {
        self.globs.push(glob.into());
        self
    }

    /// Restricts the search to one rg file type.
    #[must_use]
    pub fn file_type(mut self, name: impl Into<String>) -> Self {
        self.file_type = Some(name.into());
        self
    }

    /// Sets case sensitivity.
    #[must_use]
    pub fn case(mut self, case: CaseMode) -> Self {
        self.case = case;
        self
    }

    /// Turns line numbers on or off.
    #[must_use]
    pub fn line_numbers(mut self, yes: bool) -> Self {
        self.line_numbers = yes;
        self
    }

    /// Sets rg `-B`.
    #[must_use]
    pub fn before_context(mut self, lines: usize) -> Self {
        self.before_context = lines;
        self
    }

    /// Sets rg `-A`.
    #[must_use]
    pub fn after_context(mut self, lines: usize) -> Self {
        self.after_context = lines;
        self
    }

    /// Sets rg `-C` (both `-A` and `-B`).
    #[must_use]
    pub fn context(self, lines: usize) -> Self {
        self.before_context(lines).after_context(lines)
    }

    /// Turns rg `-o` on or off.
    #[must_use]
    pub fn only_matching(mut self, yes: bool) -> Self {
        self.only_matching = yes;
        self
    }

    /// Turns multiline matching on or off.
    #[must_use]
    pub fn multiline(mut self, yes: bool) -> Self {
        self.multiline = yes;
        self
    }

    /// Sets the output mode.
    #[must_use]
    pub fn output_mode(mut self, mode: OutputMode) -> Self {
        self.output_mode = mode;
        self
    }

    /// Sets the maximum number of output entries (`None` = all).
    #[must_use]
    pub fn head_limit(mut self, limit: Option<usize>) -> Self {
        self.head_limit = limit;
        self
    }

    /// Sets how many output entries to skip first.
    #[must_use]
    pub fn offset(mut self, entries: usize) -> Self {
        self.offset = entries;
        self
    }
}
