//! Worktree names and their branches.

use crate::WorktreeError;

const ADJECTIVES: [&str; 16] = [
    "amber", "brisk", "calm", "deft", "eager", "fair", "glad", "keen", "lucid", "mellow", "nimble",
    "quiet", "rapid", "steady", "tidy", "vivid",
];
const NOUNS: [&str; 16] = [
    "otter", "falcon", "maple", "harbor", "comet", "cedar", "lynx", "willow", "badger", "delta",
    "ember", "heron", "quartz", "raven", "spruce", "tern",
];

/// A fresh name such as `brisk-otter-4821`.
pub fn generate_name() -> String {
    let adjective = ADJECTIVES[fastrand::usize(..ADJECTIVES.len())];
    let noun = NOUNS[fastrand::usize(..NOUNS.len())];
    format!("{adjective}-{noun}-{:04}", fastrand::u16(..10_000))
}

/// The branch of the worktree `name`: `worktree-<name>`.
pub fn branch_for(name: &str) -> String {
    format!("worktree-{name}")
}

/// Checks that `name` can be a directory under `.qoder/worktrees` and part
/// of a branch name: 1–64 characters of letters, digits, `-`, `_` and `.`,
/// not starting with `-` or `.`, without `..`, not ending in `.lock`.
pub fn validate_name(name: &str) -> Result<(), WorktreeError> {
    let refuse = |reason: &str| {
        Err(WorktreeError::InvalidName {
            name: name.to_owned(),
            reason: reason.to_owned(),
        })
    };
    if name.is_empty() {
        return refuse("it is empty");
    }
    if name.chars().count() > 64 {
        return refuse("it is longer than 64 characters");
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return refuse(&format!(
            "`{bad}` is not allowed (use letters, digits, `-`, `_` and `.`)"
        ));
    }
    if name.starts_with(['-', '.']) {
        return refuse("it must not start with `-` or `.`");
    }
    if name.contains("..") || name.ends_with(".lock") || name.ends_with('.') {
        return refuse("git does not accept `..`, a trailing `.` or `.lock` in branch names");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_names_are_valid() {
        for _ in 0..200 {
            let name = generate_name();
            assert!(validate_name(&name).is_ok(), "{name}");
        }
    }

    #[test]
    fn bad_names_say_why() {
        for (name, part) in [
            ("", "empty"),
            ("a/b", "`/` is not allowed"),
            ("-x", "must not start"),
            ("a..b", "`..`"),
            ("x.lock", ".lock"),
            ("a b", "` ` is not allowed"),
        ] {
            let error = validate_name(name).unwrap_err().to_string();
            assert!(error.contains(part), "{name}: {error}");
        }
        assert!(validate_name("feature-a_1.2").is_ok());
        assert_eq!(branch_for("feature-a"), "worktree-feature-a");
    }
}
