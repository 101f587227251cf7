//! Expanding a command prompt: `` !`cmd` `` and ```` ```! ```` blocks are
//! replaced by the command's output, and `@path` file references by the
//! file's contents (cli-core §7.2 `[obs]` `[cc]`).
//!
//! This crate never runs a command or reads a referenced file itself: the
//! caller's [`CommandHost`] does, so the Bash permission check and the
//! Read rules apply.

use std::future::Future;
use std::path::PathBuf;

use crate::markdown::{Piece, at_refs, scan};

/// Runs the shell commands and reads the files a prompt asks for.
pub trait CommandHost {
    /// Runs `command` and returns what it printed, or why it could not run
    /// (including a permission denial).
    fn run_shell(&self, command: &str) -> impl Future<Output = Result<String, String>> + Send;

    /// Reads the file `path` refers to (as written after `@`), or says why
    /// it cannot be read.
    fn read_file(&self, path: &str) -> impl Future<Output = Result<String, String>> + Send;
}

/// An embedded command that failed: the prompt is not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: `{command}` failed: {message}")]
pub struct ExpandError {
    /// 1-based line of the prompt.
    pub line: usize,
    /// The command.
    pub command: String,
    /// Why it failed.
    pub message: String,
}

/// The expanded prompt and what went into it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expanded {
    /// The prompt text to send.
    pub text: String,
    /// The commands that ran, in order.
    pub commands: Vec<String>,
    /// The files whose contents were included.
    pub files: Vec<PathBuf>,
    /// References that were left as text, with the reason.
    pub notes: Vec<String>,
}

/// Expands `prompt` through `host`. Shell output and file contents are not
/// scanned again.
///
/// # Errors
/// When an embedded command fails.
pub async fn expand<H: CommandHost>(prompt: &str, host: &H) -> Result<Expanded, ExpandError> {
    let mut out = Expanded::default();
    for piece in scan(prompt) {
        match piece {
            Piece::Code { raw } => out.text.push_str(raw),
            Piece::ShellInline { line, command, .. } => {
                let output = run(host, command, line).await?;
                out.text.push_str(output.trim_end_matches('\n'));
                out.commands.push(command.to_string());
            }
            Piece::ShellBlock { line, script, .. } => {
                let output = run(host, script.trim_end(), line).await?;
                out.text.push_str(&output);
                if !output.ends_with('\n') {
                    out.text.push('\n');
                }
                out.commands.push(script.trim_end().to_string());
            }
            Piece::Text { line, raw } => {
                let mut last = 0;
                for r in at_refs(raw, line) {
                    out.text.push_str(&raw[last..r.start]);
                    match host.read_file(r.path).await {
                        Ok(contents) => {
                            out.text.push_str(&format!("<file path=\"{}\">\n", r.path));
                            out.text.push_str(&contents);
                            if !contents.ends_with('\n') {
                                out.text.push('\n');
                            }
                            out.text.push_str("</file>");
                            out.files.push(PathBuf::from(r.path));
                        }
                        Err(message) => {
                            out.text.push_str(&raw[r.start..r.end]);
                            out.notes.push(format!(
                                "line {line}: `@{}` left as text: {message}",
                                r.path
                            ));
                        }
                    }
                    last = r.end;
                }
                out.text.push_str(&raw[last..]);
            }
        }
    }
    Ok(out)
}

async fn run<H: CommandHost>(host: &H, command: &str, line: usize) -> Result<String, ExpandError> {
    host.run_shell(command)
        .await
        .map_err(|message| ExpandError {
            line,
            command: command.to_string(),
            message,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use std::sync::Mutex;

    struct Recorder {
        ran: Mutex<Vec<String>>,
    }

    impl CommandHost for Recorder {
        async fn run_shell(&self, command: &str) -> Result<String, String> {
            if let Ok(mut ran) = self.ran.lock() {
                ran.push(command.to_string());
            }
            if command == "false" {
                Err("exit status 1".into())
            } else {
                Ok(format!("<{command}>\n"))
            }
        }
        async fn read_file(&self, path: &str) -> Result<String, String> {
            if path == "a.md" {
                Ok("A".into())
            } else {
                Err("not found".into())
            }
        }
    }

    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(f)
    }

    #[test]
    fn shell_and_file_references_are_spliced() {
        let host = Recorder {
            ran: Mutex::new(Vec::new()),
        };
        let prompt =
            "Status: !`git status`\n```!\nls\n```\nSee @a.md and @b.md, not `@a.md` or `!`x``.\n";
        let out = block_on(expand(prompt, &host)).expect("expands");
        assert_eq!(
            out,
            Expanded {
                text: "Status: <git status>\n<ls>\nSee <file path=\"a.md\">\nA\n</file> and @b.md, not `@a.md` or `!`x``.\n".into(),
                commands: vec!["git status".into(), "ls".into()],
                files: vec![PathBuf::from("a.md")],
                notes: vec!["line 5: `@b.md` left as text: not found".into()],
            }
        );
    }

    #[test]
    fn failing_command_stops_the_expansion() {
        let host = Recorder {
            ran: Mutex::new(Vec::new()),
        };
        let err = block_on(expand("a\n!`false`\n", &host)).expect_err("fails");
        assert_eq!(err.line, 2);
    }
}
