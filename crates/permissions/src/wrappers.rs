//! Command wrappers (`env`, `sudo`, `timeout`, `xargs`…) and the word where
//! the wrapped command starts (reference §3.5, A-2). Deny and ask rules see
//! through all of them; allow rules only through harmless assignments and
//! timing wrappers.

use crate::shell::{SimpleCommand, Word};

/// Assignments an allow rule may look past (reference §3.5).
const HARMLESS_VARS: &[&str] = &[
    "NODE_ENV",
    "CI",
    "DEBUG",
    "VERBOSE",
    "LANG",
    "LC_ALL",
    "TZ",
    "TERM",
    "NO_COLOR",
    "FORCE_COLOR",
    "NPM_CONFIG_YES",
];

/// How a wrapper's options are read.
struct WrapperSpec {
    /// Options that take the next word as their value.
    with_value: &'static [&'static str],
    /// Number of operands before the wrapped command (`timeout DURATION`).
    operands: usize,
    /// Whether `NAME=value` words may follow the options (`env`, `sudo`).
    assignments: bool,
}

fn spec(name: &str) -> Option<WrapperSpec> {
    let (with_value, operands, assignments): (&'static [&'static str], usize, bool) = match name {
        "env" => (
            &["-u", "-C", "-S", "--unset", "--chdir", "--split-string"],
            0,
            true,
        ),
        "sudo" | "doas" => (
            &[
                "-u",
                "-g",
                "-C",
                "-D",
                "-h",
                "-p",
                "-r",
                "-t",
                "-T",
                "-U",
                "--user",
                "--group",
                "--chdir",
                "--host",
                "--prompt",
                "--role",
                "--type",
                "--command-timeout",
                "--other-user",
                "--close-from",
            ],
            0,
            true,
        ),
        "timeout" => (&["-s", "-k", "--signal", "--kill-after"], 1, false),
        "nice" => (&["-n", "--adjustment"], 0, false),
        "nohup" | "setsid" | "command" => (&[], 0, false),
        "exec" => (&["-a"], 0, false),
        "time" => (&["-f", "-o", "--format", "--output"], 0, false),
        "stdbuf" => (
            &["-i", "-o", "-e", "--input", "--output", "--error"],
            0,
            false,
        ),
        "ionice" => (
            &[
                "-c",
                "-n",
                "-p",
                "-P",
                "-u",
                "--class",
                "--classdata",
                "--pid",
                "--pgid",
                "--uid",
            ],
            0,
            false,
        ),
        "xargs" => (
            &[
                "-a",
                "-d",
                "-E",
                "-e",
                "-I",
                "-i",
                "-L",
                "-l",
                "-n",
                "-P",
                "-s",
                "--arg-file",
                "--delimiter",
                "--eof",
                "--replace",
                "--max-lines",
                "--max-args",
                "--max-procs",
                "--max-chars",
                "--process-slot-var",
            ],
            0,
            false,
        ),
        "parallel" => (
            &[
                "-j",
                "-S",
                "--jobs",
                "--sshlogin",
                "-N",
                "--max-args",
                "--delay",
                "--timeout",
                "--joblog",
                "--results",
            ],
            0,
            false,
        ),
        "watch" => (&["-n", "--interval", "-d", "--differences"], 0, false),
        _ => return None,
    };
    Some(WrapperSpec {
        with_value,
        operands,
        assignments,
    })
}

/// The basename of a command word (`/usr/bin/env` → `env`).
pub(crate) fn program_name(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// Whether `word` is a `NAME=value` assignment.
fn is_assignment(word: &str) -> bool {
    match word.split_once('=') {
        Some((name, _)) => {
            !name.is_empty()
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                && !name.as_bytes()[0].is_ascii_digit()
        }
        None => false,
    }
}

/// Where the wrapped command of the wrapper at `at` starts, skipping its
/// options, their values and its operands. `None` when nothing follows.
fn skip_wrapper(words: &[Word], at: usize, spec: &WrapperSpec) -> Option<usize> {
    let mut i = at + 1;
    while let Some(word) = words.get(i) {
        let Some(value) = word.value() else { break };
        if value == "--" {
            i += 1;
            break;
        }
        if !value.starts_with('-') || value == "-" {
            break;
        }
        // `-n 1` takes a value; `-n1`, `--max-args=1` and flags do not.
        let takes_value = spec.with_value.contains(&value);
        i += if takes_value { 2 } else { 1 };
    }
    if spec.assignments {
        while words
            .get(i)
            .and_then(Word::value)
            .is_some_and(is_assignment)
        {
            i += 1;
        }
    }
    i += spec.operands;
    (i < words.len()).then_some(i)
}

/// Every index where a command starts once wrappers are peeled off, first
/// the command itself (0). Deny and ask rules are matched at each.
pub(crate) fn deny_starts(command: &SimpleCommand) -> Vec<usize> {
    let mut starts = vec![0];
    let mut at = 0;
    while let Some(name) = command.words.get(at).and_then(Word::value) {
        let Some(wrapper) = spec(program_name(name)) else {
            break;
        };
        match skip_wrapper(&command.words, at, &wrapper) {
            Some(next) if next > at => {
                starts.push(next);
                at = next;
            }
            _ => break,
        }
    }
    starts
}

/// Where an allow rule may start matching: after harmless assignments and
/// the `timeout`, `time`, `nice`, `nohup` and `stdbuf` wrappers. `None` if a
/// non-harmless assignment stays in front.
pub(crate) fn allow_start(command: &SimpleCommand) -> Option<usize> {
    let harmless = command.assignments.iter().all(|(name, value)| {
        HARMLESS_VARS.contains(&name.as_str()) && matches!(value, Word::Static(_))
    });
    if !harmless {
        return None;
    }
    let mut at = 0;
    while let Some(name) = command.words.get(at).and_then(Word::value) {
        let name = program_name(name);
        if !matches!(name, "timeout" | "time" | "nice" | "nohup" | "stdbuf") {
            break;
        }
        let Some(wrapper) = spec(name) else { break };
        match skip_wrapper(&command.words, at, &wrapper) {
            Some(next) => at = next,
            None => break,
        }
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::analyze;
    use pretty_assertions::assert_eq;

    fn starts(line: &str) -> Vec<String> {
        let analysis = analyze(line);
        let command = &analysis.commands[0];
        command
            .starts
            .iter()
            .map(|&s| {
                let words: Vec<&str> = command.words[s..].iter().map(Word::text).collect();
                words.join(" ")
            })
            .collect()
    }

    #[test]
    fn wrappers_with_options_are_peeled() {
        assert_eq!(
            starts("sudo -u root env -i FOO=1 timeout -s KILL 5 nice -n 10 rm -rf x"),
            vec![
                "sudo -u root env -i FOO=1 timeout -s KILL 5 nice -n 10 rm -rf x",
                "env -i FOO=1 timeout -s KILL 5 nice -n 10 rm -rf x",
                "timeout -s KILL 5 nice -n 10 rm -rf x",
                "nice -n 10 rm -rf x",
                "rm -rf x",
            ]
        );
        assert_eq!(
            starts("xargs -n 1 -I {} rm {}"),
            vec!["xargs -n 1 -I {} rm {}", "rm {}"]
        );
    }
}
