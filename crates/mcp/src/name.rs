//! MCP names as the model and the permission rules see them
//! (cli-core.md §8.3): `mcp__<server>__<tool>`, with both parts sanitised.

/// Replaces every character outside `[A-Za-z0-9_-]` with `_`, collapses runs
/// of `_` into one and trims `_` at both ends, so that the `__` separators
/// of a full name stay unambiguous. An empty result becomes `_`.
///
/// ```
/// assert_eq!(ferrule_mcp::sanitize("my tools.v2"), "my_tools_v2");
/// assert_eq!(ferrule_mcp::sanitize("a__b"), "a_b");
/// assert_eq!(ferrule_mcp::sanitize("my-tools"), "my-tools");
/// ```
pub fn sanitize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let c = if c.is_ascii_alphanumeric() || c == '-' {
            c
        } else {
            '_'
        };
        if c == '_' && (out.is_empty() || out.ends_with('_')) {
            continue;
        }
        out.push(c);
    }
    while out.ends_with('_') {
        out.pop();
    }
    if out.is_empty() {
        out.push('_');
    }
    out
}

/// The full tool name `mcp__<server>__<tool>`.
pub fn tool_name(server: &str, tool: &str) -> String {
    format!("mcp__{}__{}", sanitize(server), sanitize(tool))
}

/// The slash-command name of a prompt, without the slash:
/// `mcp__<server>__<prompt>`.
pub fn prompt_command(server: &str, prompt: &str) -> String {
    tool_name(server, prompt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_names_match_the_permission_grammar() {
        let name = tool_name("git hub", "create.issue");
        assert_eq!(name, "mcp__git_hub__create_issue");
        assert_eq!(ferrule_permissions::mcp_server_of(&name), Some("git_hub"));
        assert_eq!(tool_name("__x__", "?"), "mcp__x___");
    }
}
