//! The `context` settings keys this crate reads, from the merged settings
//! JSON (ferrule extensions, all optional):
//!
//! ```json
//! {"context": {
//!   "windows": {"qwen3-coder": 262144, "openai/my-finetune": 32768},
//!   "pinnedFiles": ["ARCHITECTURE.md", "docs/api.md"],
//!   "autoCompact": true
//! }}
//! ```
//!
//! - `windows`: context window in tokens by model-id prefix (the longest
//!   matching prefix wins; the provider part `openai/` is optional); it
//!   replaces the built-in table's figure.
//! - `pinnedFiles`: files (relative to the project directory, or absolute)
//!   whose current content every compaction re-attaches verbatim.
//! - `autoCompact`: `false` turns automatic compaction off (the context
//!   still warns, and blocks when full; `/compact` still works).
//!
//! Other keys of `context` (such as `fileName`, read by ferrule-memory) are
//! left alone.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::ContextError;

/// The `context` keys of this crate, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextSettings {
    /// `context.windows`.
    pub windows: BTreeMap<String, u64>,
    /// `context.pinnedFiles`, as written.
    pub pinned_files: Vec<String>,
    /// `context.autoCompact` (default true).
    pub auto_compact: bool,
}

impl Default for ContextSettings {
    fn default() -> Self {
        Self {
            windows: BTreeMap::new(),
            pinned_files: Vec::new(),
            auto_compact: true,
        }
    }
}

impl ContextSettings {
    /// Reads the keys from a whole settings document (the merged settings
    /// as JSON); a missing `context` object gives the defaults.
    ///
    /// # Errors
    /// [`ContextError::BadSetting`] with the JSON path of the first key of
    /// the wrong type (a window that is not a positive integer, a pinned
    /// file that is not a non-empty string, a non-boolean `autoCompact`).
    pub fn from_settings(settings: &Value) -> Result<Self, ContextError> {
        let mut parsed = Self::default();
        let Some(context) = settings.get("context") else {
            return Ok(parsed);
        };
        if context.is_null() {
            return Ok(parsed);
        }
        let Some(context) = context.as_object() else {
            return Err(bad("context", "must be an object"));
        };
        match context.get("windows") {
            None | Some(Value::Null) => {}
            Some(Value::Object(windows)) => {
                for (model, window) in windows {
                    let tokens = window.as_u64().filter(|&n| n > 0).ok_or_else(|| {
                        bad(
                            &format!("context.windows.{model}"),
                            "must be a positive whole number of tokens",
                        )
                    })?;
                    parsed.windows.insert(model.clone(), tokens);
                }
            }
            Some(_) => {
                return Err(bad(
                    "context.windows",
                    "must be an object of model prefix to tokens",
                ));
            }
        }
        match context.get("pinnedFiles") {
            None | Some(Value::Null) => {}
            Some(Value::Array(files)) => {
                for (index, file) in files.iter().enumerate() {
                    let path = file
                        .as_str()
                        .filter(|s| !s.trim().is_empty())
                        .ok_or_else(|| {
                            bad(
                                &format!("context.pinnedFiles[{index}]"),
                                "must be a non-empty path string",
                            )
                        })?;
                    parsed.pinned_files.push(path.to_owned());
                }
            }
            Some(_) => return Err(bad("context.pinnedFiles", "must be a list of paths")),
        }
        match context.get("autoCompact") {
            None | Some(Value::Null) => {}
            Some(Value::Bool(on)) => parsed.auto_compact = *on,
            Some(_) => return Err(bad("context.autoCompact", "must be true or false")),
        }
        Ok(parsed)
    }
}

fn bad(path: &str, message: &str) -> ContextError {
    ContextError::BadSetting {
        path: path.to_owned(),
        message: message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    #[test]
    fn reads_the_three_keys() {
        let settings = json!({"context": {
            "fileName": "AGENTS.md",
            "windows": {"qwen3": 262144},
            "pinnedFiles": ["docs/api.md"],
            "autoCompact": false
        }});
        assert_eq!(
            ContextSettings::from_settings(&settings).unwrap(),
            ContextSettings {
                windows: BTreeMap::from([("qwen3".to_owned(), 262_144)]),
                pinned_files: vec!["docs/api.md".to_owned()],
                auto_compact: false,
            }
        );
        assert_eq!(
            ContextSettings::from_settings(&json!({})).unwrap(),
            ContextSettings::default()
        );
    }

    #[test]
    fn wrong_types_name_the_key() {
        let cases = [
            (
                json!({"context": {"windows": {"gpt": "big"}}}),
                "context.windows.gpt",
            ),
            (
                json!({"context": {"windows": {"gpt": 0}}}),
                "context.windows.gpt",
            ),
            (
                json!({"context": {"pinnedFiles": ["a", 3]}}),
                "context.pinnedFiles[1]",
            ),
            (
                json!({"context": {"pinnedFiles": "a"}}),
                "context.pinnedFiles",
            ),
            (
                json!({"context": {"autoCompact": "no"}}),
                "context.autoCompact",
            ),
            (json!({"context": []}), "context"),
        ];
        for (settings, path) in cases {
            let error = ContextSettings::from_settings(&settings).unwrap_err();
            assert!(error.to_string().contains(&format!("`{path}`")), "{error}");
        }
    }
}
