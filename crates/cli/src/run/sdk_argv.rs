//! Unknown flags from an Agent SDK's `extra_args` (sdk-protocol.md §1.6):
//! under `--input-format stream-json` they must not stop the CLI. Each one
//! is dropped with a warning on stderr, with the token after it when that
//! does not start with `-` (there is never a positional prompt in SDK
//! mode, so such a token can only be the flag's value).

use std::ffi::OsString;

/// `argv` with the long flags `command` does not know removed, when it
/// asks for `--input-format stream-json`; otherwise `argv` unchanged.
pub(crate) fn tolerate_unknown_flags(
    command: &clap::Command,
    argv: Vec<OsString>,
) -> Vec<OsString> {
    let sdk = argv
        .windows(2)
        .any(|pair| pair[0] == "--input-format" && pair[1] == "stream-json")
        || argv.iter().any(|arg| arg == "--input-format=stream-json");
    if !sdk {
        return argv;
    }
    let known: Vec<String> = command
        .get_arguments()
        .flat_map(|arg| {
            arg.get_long()
                .into_iter()
                .chain(arg.get_all_aliases().unwrap_or_default())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .chain(["help".to_owned()])
        .collect();
    let mut out = Vec::with_capacity(argv.len());
    let mut args = argv.into_iter();
    if let Some(program) = args.next() {
        out.push(program);
    }
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy();
        let Some(name) = text.strip_prefix("--").filter(|name| !name.is_empty()) else {
            out.push(arg);
            continue;
        };
        let (name, inline_value) = match name.split_once('=') {
            Some((name, _)) => (name, true),
            None => (name, false),
        };
        if known.iter().any(|k| k == name) {
            out.push(arg);
            continue;
        }
        let takes_next = !inline_value
            && args
                .peek()
                .is_some_and(|next| !next.to_string_lossy().starts_with('-'));
        if takes_next {
            args.next();
        }
        eprintln!("warning: ignoring unknown flag --{name} (not supported by ferrule)");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Arg, ArgAction, Command};
    use pretty_assertions::assert_eq;

    fn command() -> Command {
        Command::new("ferrule")
            .arg(Arg::new("input-format").long("input-format"))
            .arg(
                Arg::new("verbose")
                    .long("verbose")
                    .action(ArgAction::SetTrue),
            )
    }

    fn argv(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn unknown_flags_and_their_values_are_dropped_in_sdk_mode() {
        let got = tolerate_unknown_flags(
            &command(),
            argv(&[
                "ferrule",
                "--input-format",
                "stream-json",
                "--future-flag",
                "v",
                "--other=1",
                "--bare",
                "--verbose",
            ]),
        );
        assert_eq!(
            got,
            argv(&["ferrule", "--input-format", "stream-json", "--verbose"])
        );
    }

    #[test]
    fn outside_sdk_mode_argv_is_untouched() {
        let given = argv(&["ferrule", "--future-flag", "-p", "x"]);
        assert_eq!(tolerate_unknown_flags(&command(), given.clone()), given);
    }
}
