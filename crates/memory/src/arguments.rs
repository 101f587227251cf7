//! Argument substitution for custom commands and skills (cli-core §7.2).
//!
//! Arguments are split shell-style. `$ARGUMENTS` is the whole argument
//! string; `$ARGUMENTS[n]` and `$n` are the n-th argument counted from 0
//! (as the shipped CLI does `[obs]`); `$name` is a declared argument. When
//! nothing was substituted and arguments were given, `ARGUMENTS: <args>`
//! is appended so the model still sees them.

use crate::fields::ArgumentSpec;

/// Arguments that cannot be substituted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ArgumentError {
    /// The argument string has an unclosed quote or a trailing backslash.
    #[error("cannot split arguments `{0}`: unbalanced quotes or trailing backslash")]
    Unbalanced(String),
    /// A required declared argument was not given.
    #[error("missing required argument `{name}` (argument {index} counting from 0)")]
    Missing {
        /// The argument's name.
        name: String,
        /// Its position.
        index: usize,
    },
}

/// Substitutes `args` into `body`.
///
/// # Errors
/// When `args` cannot be split or a required argument is missing.
pub fn substitute(
    body: &str,
    args: &str,
    declared: &[ArgumentSpec],
) -> Result<String, ArgumentError> {
    let args = args.trim();
    let values = shlex::split(args).ok_or_else(|| ArgumentError::Unbalanced(args.to_string()))?;
    for (index, spec) in declared.iter().enumerate() {
        if spec.required && values.get(index).is_none() {
            return Err(ArgumentError::Missing {
                name: spec.name.clone(),
                index,
            });
        }
    }
    let mut out = String::with_capacity(body.len() + args.len());
    let mut substituted = false;
    let mut rest = body;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        match placeholder(after, declared) {
            Some((len, Value::All)) => {
                out.push_str(args);
                substituted = true;
                rest = &after[len..];
            }
            Some((len, Value::Index(i))) => {
                out.push_str(values.get(i).map_or("", String::as_str));
                substituted = true;
                rest = &after[len..];
            }
            None => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    if !substituted && !args.is_empty() {
        if !out.ends_with('\n') && !out.is_empty() {
            out.push('\n');
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str("ARGUMENTS: ");
        out.push_str(args);
    }
    Ok(out)
}

enum Value {
    All,
    Index(usize),
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Recognises the placeholder at the start of `s` (the text after `$`).
fn placeholder(s: &str, declared: &[ArgumentSpec]) -> Option<(usize, Value)> {
    if let Some(rest) = s.strip_prefix("ARGUMENTS") {
        if let Some(inner) = rest.strip_prefix('[') {
            let close = inner.find(']')?;
            let index: usize = inner[..close].trim().parse().ok()?;
            return Some(("ARGUMENTS[".len() + close + 1, Value::Index(index)));
        }
        if !rest.starts_with(is_ident) {
            return Some(("ARGUMENTS".len(), Value::All));
        }
    }
    let digits = s.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 {
        let index: usize = s[..digits].parse().ok()?;
        return Some((digits, Value::Index(index)));
    }
    let ident_len = s.find(|c: char| !is_ident(c)).unwrap_or(s.len());
    let ident = &s[..ident_len];
    let index = declared
        .iter()
        .position(|a| a.name == ident && !ident.is_empty())?;
    Some((ident_len, Value::Index(index)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn spec(name: &str, required: bool) -> ArgumentSpec {
        ArgumentSpec {
            name: name.into(),
            description: None,
            required,
        }
    }

    #[test]
    fn whole_and_positional_arguments_are_substituted() {
        let out = substitute(
            "all=$ARGUMENTS first=$0 second=$ARGUMENTS[1] none=$7 cost=$ x",
            "src/main.rs 'focus on errors'",
            &[],
        )
        .expect("substitutes");
        assert_eq!(
            out,
            "all=src/main.rs 'focus on errors' first=src/main.rs second=focus on errors none= cost=$ x"
        );
    }

    #[test]
    fn named_arguments_follow_their_declared_position() {
        let out = substitute(
            "review $file for $focus",
            "a.rs security",
            &[spec("file", true), spec("focus", false)],
        )
        .expect("substitutes");
        assert_eq!(out, "review a.rs for security");
    }

    #[test]
    fn arguments_without_placeholders_are_appended() {
        let out = substitute("Review the diff.", "be brief", &[]).expect("substitutes");
        assert_eq!(out, "Review the diff.\n\nARGUMENTS: be brief");
    }

    #[test]
    fn no_arguments_leaves_the_body_alone() {
        assert_eq!(
            substitute("Body $ARGUMENTSX", "", &[]).expect("ok"),
            "Body $ARGUMENTSX"
        );
    }

    #[test]
    fn missing_required_argument_is_an_error() {
        assert_eq!(
            substitute("$file", "", &[spec("file", true)]),
            Err(ArgumentError::Missing {
                name: "file".into(),
                index: 0
            })
        );
    }

    #[test]
    fn unbalanced_quotes_are_an_error() {
        assert_eq!(
            substitute("$0", "'open", &[]),
            Err(ArgumentError::Unbalanced("'open".into()))
        );
    }
}
