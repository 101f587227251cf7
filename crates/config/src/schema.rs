//! The JSON Schema of settings files, generated from [`Settings`].
//!
//! `cargo xtask schema` writes it to `schema/settings.schema.json` (editors
//! use it for completion, via `"$schema"` or their settings); `cargo xtask
//! schema --check` and a test fail when the checked-in copy is stale.

use serde_json::Value;

use crate::settings::Settings;

/// The schema as a JSON value.
pub fn settings_schema() -> Value {
    schemars::schema_for!(Settings).to_value()
}

/// The schema as the text of `schema/settings.schema.json`: pretty-printed,
/// ending in a newline.
pub fn settings_schema_json() -> String {
    let mut text = serde_json::to_string_pretty(&settings_schema()).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn checked_in_schema_is_current() {
        let checked_in = include_str!("../../../schema/settings.schema.json");
        assert_eq!(
            checked_in,
            settings_schema_json(),
            "schema/settings.schema.json is stale: run `cargo xtask schema`"
        );
    }

    #[test]
    fn schema_documents_permission_lists() {
        let schema = settings_schema();
        let allow = &schema["$defs"]["PermissionSettings"]["properties"]["allow"];
        assert_eq!(allow["type"], "array");
        assert!(
            allow["description"]
                .as_str()
                .is_some_and(|d| d.contains("approve"))
        );
    }
}
