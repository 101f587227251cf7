//! Whether checkpointing is on: `general.fileCheckpointing.enabled` in
//! settings, or `enableFileCheckpointing` in the SDK's `initialize` request.
//!
//! The library only carries the decision; the host reads its settings and the
//! SDK option and decides whether to create a [`crate::CheckpointStore`].

use serde::{Deserialize, Serialize};

/// The `general.fileCheckpointing` settings object.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckpointConfig {
    /// Snapshot files before tools change them (off by default).
    #[serde(default)]
    pub enabled: bool,
}

impl CheckpointConfig {
    /// Combines the settings value with the SDK's `enableFileCheckpointing`
    /// option: when the SDK sets the option, it decides `enabled` (the SDK
    /// merges it into the settings it passes); otherwise the settings do.
    #[must_use]
    pub fn with_sdk_option(self, enable_file_checkpointing: Option<bool>) -> Self {
        match enable_file_checkpointing {
            Some(enabled) => Self { enabled },
            None => self,
        }
    }

    /// The error text a rewind request gets when checkpointing is off.
    pub const DISABLED_ERROR: &'static str = "file checkpointing is not enabled";
}

#[cfg(test)]
mod tests {
    use super::CheckpointConfig;

    #[test]
    fn sdk_option_overrides_settings_and_absence_keeps_them() {
        let on = CheckpointConfig { enabled: true };
        let off = CheckpointConfig::default();
        assert_eq!(off.with_sdk_option(Some(true)), on);
        assert_eq!(on.with_sdk_option(Some(false)), off);
        assert_eq!(on.with_sdk_option(None), on);
    }

    #[test]
    fn settings_object_parses_with_camel_case_and_defaults() -> Result<(), serde_json::Error> {
        let parsed: CheckpointConfig = serde_json::from_str(r#"{"enabled":true}"#)?;
        assert_eq!(parsed, CheckpointConfig { enabled: true });
        let empty: CheckpointConfig = serde_json::from_str("{}")?;
        assert_eq!(empty, CheckpointConfig::default());
        Ok(())
    }
}
