//! What individual shell commands do: which are read-only (and what they
//! read), which are dangerous, and which removals are catastrophic
//! (reference §3.5, A-2, A-3).

use crate::wrappers::program_name;

/// Commands that never read files: their operands are not read paths.
const NO_PATHS: &[&str] = &[
    "pwd", "echo", "printf", "true", "false", "whoami", "id", "uname", "which", "type", "basename",
    "dirname",
];

/// Commands whose operands are all read paths.
const PATH_READERS: &[&str] = &[
    "realpath", "readlink", "ls", "cat", "head", "wc", "stat", "file", "du", "df", "cut", "diff",
    "cmp", "grep", "rg", "egrep", "fgrep", "jq", "tree", "tail", "sort", "uniq", "find", "fd",
    "sed", "tr",
];

/// Read-only `git` subcommands.
const GIT_READ: &[&str] = &[
    "status",
    "log",
    "show",
    "diff",
    "blame",
    "ls-files",
    "rev-parse",
    "describe",
    "shortlog",
    "merge-base",
    "rev-list",
    "for-each-ref",
    "cat-file",
];

/// If `argv` is a read-only command, the words it may read as paths.
pub(crate) fn read_only<'a>(argv: &[&'a str]) -> Option<Vec<&'a str>> {
    let (&name, args) = argv.split_first()?;
    let name = program_name(name);
    let has = |flags: &[&str]| {
        args.iter()
            .any(|a| flags.iter().any(|f| flag_matches(a, f)))
    };
    if NO_PATHS.contains(&name) {
        return Some(Vec::new());
    }
    match name {
        "date" if !has(&["-f", "--file", "-s", "--set"]) => return Some(Vec::new()),
        "hostname"
            if args.iter().all(|a| {
                matches!(
                    *a,
                    "-s" | "-f" | "-i" | "-I" | "-d" | "-A" | "--short" | "--fqdn"
                )
            }) =>
        {
            return Some(Vec::new());
        }
        "git" => return git_read_only(args).then(Vec::new),
        _ => {}
    }
    if !PATH_READERS.contains(&name) {
        return None;
    }
    let refused = match name {
        "tree" => has(&["-o", "--output"]),
        "sort" => has(&["-o", "--output", "--compress-program"]),
        "tail" => has(&["-f", "-F", "--follow"]),
        "uniq" => args.iter().filter(|a| !a.starts_with('-')).count() > 1,
        "find" => args.iter().any(|a| {
            matches!(
                *a,
                "-exec" | "-execdir" | "-ok" | "-okdir" | "-delete" | "-fls"
            ) || a.starts_with("-fprint")
        }),
        "fd" => has(&["-x", "-X", "--exec", "--exec-batch"]),
        "rg" => has(&["--pre"]),
        "sed" => args
            .iter()
            .any(|a| sed_in_place(a) || sed_script_escapes(a)),
        _ => false,
    };
    if refused {
        return None;
    }
    Some(args.iter().filter_map(|a| path_of_arg(a)).collect())
}

/// `flag` given alone, with `=value`, or (for short flags) bundled with
/// other short flags or a value (`-fx`, `-n5`).
fn flag_matches(arg: &str, flag: &str) -> bool {
    if arg == flag {
        return true;
    }
    if flag.starts_with("--") {
        return arg
            .strip_prefix(flag)
            .is_some_and(|rest| rest.starts_with('='));
    }
    let letter = flag.trim_start_matches('-');
    arg.starts_with('-') && !arg.starts_with("--") && arg[1..].contains(letter)
}

fn sed_in_place(arg: &str) -> bool {
    arg == "--in-place"
        || arg.starts_with("--in-place=")
        || (arg.starts_with('-') && !arg.starts_with("--") && arg.contains('i'))
}

/// Whether a sed script may write (`w`, `W`), run (`e`) or read (`r`,
/// `R`) something other than its operands: such commands, or an `s///`
/// command with a `w` or `e` flag. Over-approximates.
fn sed_script_escapes(arg: &str) -> bool {
    static ESCAPES: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"(?:^|[;{}\n])\s*[0-9,$/!~+]*\s*[wWerR](?:\s|$)|/[gpiImMe0-9]*[we](?:\s|[;}\n]|$)",
        )
        .ok()
    });
    ESCAPES.as_ref().is_none_or(|re| re.is_match(arg))
}

/// The path an argument may name: an operand, or the value of `--opt=VALUE`
/// or `-fVALUE` when it looks like a path. Over-approximating only makes
/// the check stricter.
fn path_of_arg(arg: &str) -> Option<&str> {
    if !arg.starts_with('-') || arg == "-" {
        return (arg != "-").then_some(arg);
    }
    if let Some((_, value)) = arg.split_once('=') {
        return (!value.is_empty()).then_some(value);
    }
    let at = arg.find(['/', '~'])?;
    Some(&arg[at..])
}

fn git_read_only(args: &[&str]) -> bool {
    // Global options (`-C dir`, `-c key=value`) change what git does.
    let Some((&sub, rest)) = args.split_first() else {
        return false;
    };
    if rest
        .iter()
        .any(|a| a.starts_with("--output") || *a == "--ext-diff" || a.starts_with("--exec"))
    {
        return false;
    }
    let positional = rest.iter().filter(|a| !a.starts_with('-')).count();
    match sub {
        _ if GIT_READ.contains(&sub) => true,
        "branch" => {
            positional == 0
                && rest.iter().all(|a| {
                    matches!(
                        *a,
                        "-a" | "-r"
                            | "-v"
                            | "-vv"
                            | "-l"
                            | "--list"
                            | "--all"
                            | "--remotes"
                            | "--show-current"
                            | "--verbose"
                    )
                })
        }
        "tag" => rest.is_empty() || rest.iter().all(|a| matches!(*a, "-l" | "--list")),
        "remote" => rest.is_empty() || rest == ["-v"],
        "reflog" => rest.is_empty() || rest.first() == Some(&"show"),
        _ => false,
    }
}

/// Why `argv` is dangerous, if it is (reference §3.5 step 5).
pub(crate) fn dangerous(argv: &[&str]) -> Option<&'static str> {
    let (&name, args) = argv.split_first()?;
    let name = program_name(name);
    let short = |letters: &[char]| {
        args.iter().any(|a| {
            a.starts_with('-')
                && !a.starts_with("--")
                && a.chars().skip(1).any(|c| letters.contains(&c))
        })
    };
    let long = |flags: &[&str]| {
        args.iter().any(|a| {
            flags
                .iter()
                .any(|f| a == f || a.starts_with(&format!("{f}=")))
        })
    };
    match name {
        "rm" if short(&['r', 'R', 'f']) || long(&["--recursive", "--force"]) => {
            Some("recursive or forced removal")
        }
        "git" => git_dangerous(args),
        "kubectl" if args.contains(&"delete") => Some("kubectl delete"),
        "terraform" if args.contains(&"destroy") => Some("terraform destroy"),
        _ => sql_dangerous(argv),
    }
}

fn git_dangerous(args: &[&str]) -> Option<&'static str> {
    let sub_at = args.iter().position(|a| !a.starts_with('-'))?;
    let sub = args[sub_at];
    let rest = &args[sub_at + 1..];
    let any = |flags: &[&str]| rest.iter().any(|a| flags.contains(a));
    let short = |c: char| {
        rest.iter()
            .any(|a| a.starts_with('-') && !a.starts_with("--") && a.contains(c))
    };
    match sub {
        "push"
            if any(&["--force", "--force-with-lease"])
                || short('f')
                || rest
                    .iter()
                    .any(|a| a.starts_with("--force-with-lease=") || a.starts_with('+')) =>
        {
            Some("force push")
        }
        "reset" if any(&["--hard"]) => Some("git reset --hard"),
        "clean" if (short('f') || any(&["--force"])) && !(short('n') || any(&["--dry-run"])) => {
            Some("git clean -f")
        }
        "checkout" | "restore" if any(&["."]) => Some("discarding working-tree changes"),
        "stash" if any(&["drop", "clear"]) => Some("dropping stashes"),
        "branch" if any(&["-D"]) || (any(&["--delete"]) && any(&["--force"])) => {
            Some("git branch -D")
        }
        "commit" | "push" | "merge" if any(&["--no-verify"]) => {
            Some("skipping hooks with --no-verify")
        }
        "commit" if any(&["--amend"]) => Some("git commit --amend"),
        _ => None,
    }
}

/// SQL that drops or truncates, or deletes without a `WHERE`, anywhere in
/// the words (client invocations like `psql -c "DROP TABLE t"`).
fn sql_dangerous(argv: &[&str]) -> Option<&'static str> {
    let mentions = |word: &str| {
        ["drop", "truncate", "delete"].iter().any(|keyword| {
            word.as_bytes()
                .windows(keyword.len())
                .any(|w| w.eq_ignore_ascii_case(keyword.as_bytes()))
        })
    };
    if !argv.iter().any(|a| mentions(a)) {
        return None;
    }
    let text = argv.join(" ").to_ascii_uppercase();
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    for pair in words.windows(2) {
        if matches!(pair[0], "DROP" | "TRUNCATE")
            && matches!(pair[1], "TABLE" | "DATABASE" | "SCHEMA")
        {
            return Some("SQL DROP or TRUNCATE");
        }
        if pair[0] == "DELETE" && pair[1] == "FROM" && !words.contains(&"WHERE") {
            return Some("SQL DELETE without WHERE");
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn read_only_commands_name_their_paths() {
        assert_eq!(
            read_only(&["cat", "a", "-n", "/etc/x"]),
            Some(vec!["a", "/etc/x"])
        );
        assert_eq!(read_only(&["echo", "/etc/x"]), Some(vec![]));
        assert_eq!(read_only(&["sed", "-i", "s/a/b/", "f"]), None);
        assert_eq!(read_only(&["find", ".", "-delete"]), None);
        assert_eq!(read_only(&["git", "branch", "new"]), None);
        assert_eq!(read_only(&["git", "log", "--oneline"]), Some(vec![]));
        assert_eq!(read_only(&["awk", "1"]), None);
        assert_eq!(
            read_only(&["sed", "-n", "1,5p", "f"]),
            Some(vec!["1,5p", "f"])
        );
        assert_eq!(read_only(&["sed", "s/a/b/w out", "f"]), None);
        assert_eq!(read_only(&["sed", "1e id", "f"]), None);
        assert_eq!(read_only(&["sed", "r /etc/shadow", "f"]), None);
        assert_eq!(read_only(&["rg", "--pre", "sh", "x"]), None);
    }

    #[test]
    fn dangerous_commands_are_recognised() {
        assert_eq!(
            dangerous(&["rm", "-rf", "x"]),
            Some("recursive or forced removal")
        );
        assert_eq!(dangerous(&["git", "push", "-f"]), Some("force push"));
        assert_eq!(dangerous(&["git", "clean", "-fn"]), None);
        assert_eq!(
            dangerous(&["psql", "-c", "drop table t"]),
            Some("SQL DROP or TRUNCATE")
        );
        assert_eq!(dangerous(&["git", "push", "origin"]), None);
    }
}
