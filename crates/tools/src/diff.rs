//! Unified diffs of an edit, for the model and for hosts.

use similar::TextDiff;

/// A unified diff (3 lines of context) from `before` to `after`, both
/// labelled with `path`. CRLF endings are shown as plain line breaks.
pub fn unified_diff(path: &str, before: &str, after: &str) -> String {
    let before = before.replace("\r\n", "\n");
    let after = after.replace("\r\n", "\n");
    TextDiff::from_lines(&before, &after)
        .unified_diff()
        .context_radius(3)
        .header(path, path)
        .to_string()
}
