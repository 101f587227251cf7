//! Broken files, unknown keys and type errors.

use ferrule_config::{Diagnostic, LayerStatus, Severity, load};
use pretty_assertions::assert_eq;

use super::fixture::Tree;

#[test]
fn broken_file_is_reported_with_line_and_column_and_the_others_load() {
    let tree = Tree::new(&[
        (
            "home/.qoder/settings.json",
            r#"{"model": "user", "permissions": {"allow": ["Read"]}}"#,
        ),
        (
            "proj/.qoder/settings.json",
            "{\n  \"model\": \"project\"\n  \"permissions\": {}\n}\n",
        ),
        (
            "proj/.qoder/settings.local.json",
            r#"{"permissions": {"allow": ["Grep"]}}"#,
        ),
    ]);
    let loaded = load(&tree.options());
    let path = tree.path("proj/.qoder/settings.json");
    assert_eq!(
        loaded.diagnostics,
        vec![Diagnostic::new(&path, Severity::Error, "invalid JSON: expected `,` or `}`").at(3, 3)]
    );
    assert_eq!(loaded.layers[3].status, LayerStatus::Failed);
    assert_eq!(loaded.merged.model.as_deref(), Some("user"));
    assert_eq!(
        loaded.merged.permissions.clone().unwrap().allow,
        vec!["Read".to_owned(), "Grep".to_owned()]
    );
    assert!(loaded.has_errors());
}

#[test]
fn type_error_names_json_path_and_position() {
    let tree = Tree::new(&[(
        "proj/.qoder/settings.local.json",
        "{\n  \"general\": {\n    \"plan\": {\"enabled\": \"no\"}\n  }\n}",
    )]);
    let loaded = load(&tree.options());
    assert_eq!(
        loaded.diagnostics,
        vec![
            Diagnostic::new(
                tree.path("proj/.qoder/settings.local.json"),
                Severity::Error,
                "invalid type: string \"no\", expected a boolean"
            )
            .at(3, 25)
            .with_json_path("general.plan.enabled")
        ]
    );
}

#[test]
fn unknown_keys_warn_and_are_kept_in_the_merge() {
    let tree = Tree::new(&[(
        "home/.qoder/settings.json",
        "{\n  \"theme\": \"dark\",\n  \"permissions\": {\"allow\": [], \"defaultMod\": \"plan\"}\n}",
    )]);
    let loaded = load(&tree.options());
    let path = tree.path("home/.qoder/settings.json");
    let warn = |json_path: &str, line, column| {
        Diagnostic::new(
            &path,
            Severity::Warning,
            "unknown key; kept but not used by this version",
        )
        .at(line, column)
        .with_json_path(json_path)
    };
    assert_eq!(
        loaded.diagnostics,
        vec![warn("theme", 2, 3), warn("permissions.defaultMod", 3, 32)]
    );
    assert!(!loaded.has_errors());
    assert_eq!(
        serde_json::to_value(&loaded.merged).unwrap(),
        serde_json::json!({"permissions": {"defaultMod": "plan"}, "theme": "dark"})
    );
}

#[test]
fn model_keys_of_ferrule_model_are_known() {
    let tree = Tree::new(&[(
        "home/.qoder/settings.json",
        r#"{"model": "fast", "modelAliases": {"fast": "openai/gpt-4.1-mini"},
            "openaiBaseUrl": "http://127.0.0.1:9/v1", "anthropicBaseUrl": "http://127.0.0.1:9",
            "modelPrices": {"gpt-4.1": {"input": 2.0, "output": 8.0}}}"#,
    )]);
    let loaded = load(&tree.options());
    assert_eq!(loaded.diagnostics, vec![]);
    assert_eq!(
        loaded
            .merged
            .model_aliases
            .as_ref()
            .and_then(|a| a.get("fast")),
        Some(&"openai/gpt-4.1-mini".to_owned())
    );
    assert_eq!(
        loaded.merged.openai_base_url.as_deref(),
        Some("http://127.0.0.1:9/v1")
    );
}

#[test]
fn invalid_utf8_is_an_error_with_position() {
    let tree = Tree::new(&[]);
    let path = tree.path("proj/.qoder/settings.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, b"{\n \"model\": \"\xff\"}").unwrap();
    let loaded = load(&tree.options());
    assert_eq!(
        loaded.diagnostics,
        vec![Diagnostic::new(&path, Severity::Error, "the file is not valid UTF-8").at(2, 12)]
    );
}

#[test]
fn missing_settings_flag_file_is_an_error() {
    let tree = Tree::new(&[]);
    let mut opts = tree.options();
    opts.settings_flag = Some("nope.json".to_owned());
    let loaded = load(&opts);
    assert_eq!(
        loaded.diagnostics,
        vec![Diagnostic::new(
            tree.path("proj/nope.json"),
            Severity::Error,
            "the --settings file does not exist"
        )]
    );
}

#[test]
fn a_directory_where_a_file_should_be_is_reported() {
    let tree = Tree::new(&[]);
    std::fs::create_dir_all(tree.path("proj/.qoder/settings.json")).unwrap();
    let loaded = load(&tree.options());
    assert_eq!(loaded.diagnostics.len(), 1);
    assert_eq!(
        loaded.diagnostics[0].path,
        tree.path("proj/.qoder/settings.json")
    );
    assert!(
        loaded.diagnostics[0]
            .message
            .starts_with("cannot read the file")
    );
}
