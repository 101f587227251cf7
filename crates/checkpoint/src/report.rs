//! Rewind options and the report, in the SDK's `rewind_files` result shape.

use serde::{Deserialize, Serialize};

/// How to run a rewind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RewindOptions {
    /// Compute the report without changing any file.
    pub dry_run: bool,
    /// Overwrite files that changed outside the agent since the checkpoint.
    pub force: bool,
}

impl RewindOptions {
    /// The same options as a dry run.
    #[must_use]
    pub fn with_dry_run(self) -> Self {
        Self {
            dry_run: true,
            ..self
        }
    }

    /// The same options, overwriting files changed outside the agent.
    #[must_use]
    pub fn with_force(self) -> Self {
        Self {
            force: true,
            ..self
        }
    }
}

/// The outcome of a rewind (or of a dry run), serialized with the SDK's field
/// names: `canRewind`, `error`, `filesChanged`, `insertions`, `deletions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RewindReport {
    /// Whether the rewind can run (dry run) or ran (real rewind).
    pub can_rewind: bool,
    /// Why it cannot, when `can_rewind` is false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The files that are (or would be) restored or deleted, sorted.
    #[serde(default)]
    pub files_changed: Vec<String>,
    /// Lines the rewind adds back, summed over the files.
    #[serde(default)]
    pub insertions: u64,
    /// Lines the rewind removes, summed over the files.
    #[serde(default)]
    pub deletions: u64,
}

impl RewindReport {
    /// The report of a rewind that cannot run.
    #[must_use]
    pub fn refused(error: impl Into<String>) -> Self {
        Self {
            can_rewind: false,
            error: Some(error.into()),
            ..Self::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::RewindReport;

    #[test]
    fn report_serializes_with_sdk_field_names() -> Result<(), serde_json::Error> {
        let report = RewindReport {
            can_rewind: true,
            error: None,
            files_changed: vec!["/w/a.txt".to_owned()],
            insertions: 2,
            deletions: 1,
        };
        assert_eq!(
            serde_json::to_value(&report)?,
            serde_json::json!({
                "canRewind": true,
                "filesChanged": ["/w/a.txt"],
                "insertions": 2,
                "deletions": 1
            })
        );
        assert_eq!(
            serde_json::to_value(RewindReport::refused("no snapshot found for message m"))?,
            serde_json::json!({
                "canRewind": false,
                "error": "no snapshot found for message m",
                "filesChanged": [],
                "insertions": 0,
                "deletions": 0
            })
        );
        Ok(())
    }
}
