//! `${VAR}` and `${VAR:-default}` expansion (cli-core.md §8.2, decision
//! applied to the `command`, `args`, `env`, `url` and `headers` of
//! each MCP server.

use serde_json::Value;

/// Why a string could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExpandError {
    /// `${NAME}` without a default, and `NAME` is not set.
    #[error("environment variable `{0}` is not set and has no default (write `${{{0}:-default}}`)")]
    Undefined(String),
    /// `${` without its closing `}`.
    #[error("`${{` at byte {0} is not closed by `}}`")]
    Unclosed(usize),
    /// `${}` or a name with characters other than letters, digits and `_`.
    #[error("`${{{0}}}` is not a valid variable name")]
    BadName(String),
}

/// Expands every `${NAME}` / `${NAME:-default}` in `s` using `lookup`.
/// A `$` not followed by `{` is kept as written.
///
/// # Errors
/// See [`ExpandError`].
pub fn expand_vars(
    s: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, ExpandError> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    let mut consumed = 0;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let body_start = i + 2;
        let Some(len) = rest[body_start..].find('}') else {
            return Err(ExpandError::Unclosed(consumed + i));
        };
        let body = &rest[body_start..body_start + len];
        let (name, default) = match body.split_once(":-") {
            Some((n, d)) => (n, Some(d)),
            None => (body, None),
        };
        let valid = !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(ExpandError::BadName(body.to_owned()));
        }
        match (lookup(name), default) {
            (Some(v), _) => out.push_str(&v),
            (None, Some(d)) => out.push_str(d),
            (None, None) => return Err(ExpandError::Undefined(name.to_owned())),
        }
        let next = body_start + len + 1;
        consumed += next;
        rest = &rest[next..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Expands the documented fields of one MCP server object in place.
///
/// # Errors
/// The first failure, with the field it was found in.
pub(crate) fn expand_mcp_server(
    server: &mut Value,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(), (String, ExpandError)> {
    let Value::Object(fields) = server else {
        return Ok(());
    };
    for field in ["command", "args", "env", "url", "headers"] {
        if let Some(v) = fields.get_mut(field) {
            expand_strings(v, lookup).map_err(|e| (field.to_owned(), e))?;
        }
    }
    Ok(())
}

fn expand_strings(
    v: &mut Value,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(), ExpandError> {
    match v {
        Value::String(s) => *s = expand_vars(s, lookup)?,
        Value::Array(items) => {
            for item in items {
                expand_strings(item, lookup)?;
            }
        }
        Value::Object(map) => {
            for item in map.values_mut() {
                expand_strings(item, lookup)?;
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    fn env(name: &str) -> Option<String> {
        (name == "TOKEN").then(|| "s3cr3t".to_owned())
    }

    #[test]
    fn expands_set_variables_and_defaults() {
        assert_eq!(
            expand_vars("Bearer ${TOKEN} ${PORT:-8080} $HOME", &env),
            Ok("Bearer s3cr3t 8080 $HOME".to_owned())
        );
        assert_eq!(expand_vars("${TOKEN:-x}", &env), Ok("s3cr3t".to_owned()));
    }

    #[test]
    fn undefined_unclosed_and_bad_names_are_errors() {
        assert_eq!(
            expand_vars("${NOPE}", &env),
            Err(ExpandError::Undefined("NOPE".to_owned()))
        );
        assert_eq!(
            expand_vars("ab${TOKEN", &env),
            Err(ExpandError::Unclosed(2))
        );
        assert_eq!(
            expand_vars("${A B}", &env),
            Err(ExpandError::BadName("A B".to_owned()))
        );
    }

    #[test]
    fn only_documented_server_fields_expand() {
        let mut server = json!({
            "command": "${TOKEN}", "args": ["-t", "${TOKEN}"],
            "headers": {"Authorization": "${TOKEN}"}, "description": "${TOKEN}"
        });
        expand_mcp_server(&mut server, &env).unwrap();
        assert_eq!(
            server,
            json!({
                "command": "s3cr3t", "args": ["-t", "s3cr3t"],
                "headers": {"Authorization": "s3cr3t"}, "description": "${TOKEN}"
            })
        );
    }
}
