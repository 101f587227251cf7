//! Model-name resolution: flag, FERRULE_MODEL, settings, aliases, base
//! URLs and keys, as a table of cases.

use std::collections::BTreeMap;

use anyhow::Result;
use ferrule_model::{
    HttpOptions, ModelError, ModelName, ModelSettings, ModelSource, Provider, ProviderEndpoint,
    ResolveError, ResolvedModel, resolve_model,
};
use pretty_assertions::assert_eq;
use serde_json::json;

/// Expected name, source, alias, and (base URL, key) of the endpoint.
type Expected = (
    &'static str,
    ModelSource,
    Option<&'static str>,
    Option<(&'static str, Option<&'static str>)>,
);

struct Case {
    name: &'static str,
    flag: Option<&'static str>,
    env: &'static [(&'static str, &'static str)],
    settings: serde_json::Value,
    expected: Result<Expected, ResolveError>,
}

fn resolve(case: &Case) -> Result<ResolvedModel, ResolveError> {
    let env: BTreeMap<String, String> = case
        .env
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect();
    let settings = ModelSettings::from_settings(&case.settings)?;
    resolve_model(case.flag, &env, &settings)
}

#[test]
fn resolution_follows_flag_env_settings_and_aliases() {
    let cases = vec![
        Case {
            name: "flag beats env and settings",
            flag: Some("anthropic/claude-sonnet-4-5"),
            env: &[
                ("FERRULE_MODEL", "openai/gpt-4.1"),
                ("ANTHROPIC_API_KEY", "ak"),
            ],
            settings: json!({"model": "openai/gpt-4o"}),
            expected: Ok((
                "anthropic/claude-sonnet-4-5",
                ModelSource::Flag,
                None,
                Some(("https://api.anthropic.com", Some("ak"))),
            )),
        },
        Case {
            name: "env beats settings",
            flag: None,
            env: &[
                ("FERRULE_MODEL", "openai/gpt-4.1"),
                ("OPENAI_API_KEY", "sk"),
            ],
            settings: json!({"model": "openai/gpt-4o"}),
            expected: Ok((
                "openai/gpt-4.1",
                ModelSource::Env,
                None,
                Some(("https://api.openai.com/v1", Some("sk"))),
            )),
        },
        Case {
            name: "empty flag and env count as unset",
            flag: Some(" "),
            env: &[("FERRULE_MODEL", "")],
            settings: json!({"model": "openai/gpt-4o"}),
            expected: Ok((
                "openai/gpt-4o",
                ModelSource::Settings,
                None,
                Some(("https://api.openai.com/v1", None)),
            )),
        },
        Case {
            name: "alias from settings",
            flag: Some("ultimate"),
            env: &[],
            settings: json!({"modelAliases": {"ultimate": "anthropic/claude-opus-4-1"}}),
            expected: Ok((
                "anthropic/claude-opus-4-1",
                ModelSource::Flag,
                Some("ultimate"),
                Some(("https://api.anthropic.com", None)),
            )),
        },
        Case {
            name: "env base URL beats settings base URL",
            flag: Some("openai/llama3.2"),
            env: &[("OPENAI_BASE_URL", "http://localhost:11434/v1")],
            settings: json!({"openaiBaseUrl": "http://vllm:8000/v1"}),
            expected: Ok((
                "openai/llama3.2",
                ModelSource::Flag,
                None,
                Some(("http://localhost:11434/v1", None)),
            )),
        },
        Case {
            name: "settings base URL when env has none",
            flag: Some("anthropic/claude-haiku-4-5"),
            env: &[],
            settings: json!({"anthropicBaseUrl": "http://proxy:8080"}),
            expected: Ok((
                "anthropic/claude-haiku-4-5",
                ModelSource::Flag,
                None,
                Some(("http://proxy:8080", None)),
            )),
        },
        Case {
            name: "model part may hold slashes",
            flag: Some("openai/meta-llama/Llama-3.1-8B-Instruct"),
            env: &[],
            settings: json!({}),
            expected: Ok((
                "openai/meta-llama/Llama-3.1-8B-Instruct",
                ModelSource::Flag,
                None,
                Some(("https://api.openai.com/v1", None)),
            )),
        },
        Case {
            name: "scripted keeps the file path",
            flag: None,
            env: &[("FERRULE_MODEL", "scripted/examples/fix.json")],
            settings: json!({}),
            expected: Ok(("scripted/examples/fix.json", ModelSource::Env, None, None)),
        },
        Case {
            name: "bare name goes to the one configured provider",
            flag: Some("qwen2.5-coder"),
            env: &[("OPENAI_BASE_URL", "http://localhost:11434/v1")],
            settings: json!({}),
            expected: Ok((
                "openai/qwen2.5-coder",
                ModelSource::Flag,
                None,
                Some(("http://localhost:11434/v1", None)),
            )),
        },
        Case {
            name: "bare name with both providers configured is ambiguous",
            flag: Some("gpt-4.1"),
            env: &[("OPENAI_API_KEY", "a"), ("ANTHROPIC_API_KEY", "b")],
            settings: json!({}),
            expected: Err(ResolveError::NoProvider {
                name: "gpt-4.1".into(),
            }),
        },
        Case {
            name: "nothing configured",
            flag: None,
            env: &[],
            settings: json!({}),
            expected: Err(ResolveError::NoModel),
        },
        Case {
            name: "unknown provider",
            flag: Some("gemini/flash"),
            env: &[],
            settings: json!({}),
            expected: Err(ResolveError::UnknownProvider {
                name: "gemini/flash".into(),
                provider: "gemini".into(),
            }),
        },
        Case {
            name: "empty model part",
            flag: Some("openai/"),
            env: &[],
            settings: json!({}),
            expected: Err(ResolveError::EmptyModel {
                name: "openai/".into(),
            }),
        },
        Case {
            name: "alias to a bare name",
            flag: None,
            env: &[],
            settings: json!({"model": "fast", "modelAliases": {"fast": "haiku"}}),
            expected: Err(ResolveError::BadAlias {
                alias: "fast".into(),
                target: "haiku".into(),
                reason: ResolveError::NoProvider {
                    name: "haiku".into(),
                }
                .to_string(),
            }),
        },
        Case {
            name: "settings of the wrong shape name the key",
            flag: None,
            env: &[],
            settings: json!({"modelAliases": {"fast": 3}}),
            expected: Err(ResolveError::Settings {
                key: "modelAliases.fast".into(),
                message: "invalid type: integer `3`, expected a string".into(),
            }),
        },
    ];
    for case in &cases {
        let actual = resolve(case).map(|resolved| {
            (
                resolved.name.to_string(),
                resolved.source,
                resolved.alias,
                resolved
                    .endpoint
                    .map(|endpoint| (endpoint.base_url, endpoint.api_key)),
            )
        });
        let expected = case
            .expected
            .clone()
            .map(|(name, source, alias, endpoint)| {
                (
                    name.to_owned(),
                    source,
                    alias.map(str::to_owned),
                    endpoint.map(|(url, key)| (url.to_owned(), key.map(str::to_owned))),
                )
            });
        assert_eq!(actual, expected, "case: {}", case.name);
    }
}

#[test]
fn errors_say_what_to_do() {
    assert_eq!(
        ResolveError::NoProvider {
            name: "gpt-4.1".into()
        }
        .to_string(),
        "model `gpt-4.1` names no provider and is not an alias in settings `modelAliases`: \
         write it as openai/gpt-4.1, anthropic/gpt-4.1 or scripted/<file>"
    );
    assert!(ResolveError::NoModel.to_string().contains("--model"));
    assert!(ResolveError::NoModel.to_string().contains("FERRULE_MODEL"));
}

#[test]
fn building_without_a_key_names_the_variable() {
    let resolved = ResolvedModel {
        name: ModelName::parse("anthropic/claude-sonnet-4-5")
            .unwrap_or_else(|error| panic!("{error}")),
        source: ModelSource::Flag,
        alias: None,
        endpoint: Some(ProviderEndpoint {
            base_url: "https://api.anthropic.com".into(),
            api_key: None,
            api_key_variable: "ANTHROPIC_API_KEY",
        }),
    };
    let error = resolved
        .build(std::path::Path::new("."), HttpOptions::default())
        .err()
        .unwrap_or_else(|| panic!("a missing key must fail"));
    assert!(matches!(
        error,
        ModelError::MissingApiKey {
            variable: "ANTHROPIC_API_KEY",
            ..
        }
    ));
    assert_eq!(
        error.to_string(),
        "anthropic: no API key: set ANTHROPIC_API_KEY (needed for requests to https://api.anthropic.com)"
    );
}

#[test]
fn a_scripted_name_builds_from_a_path_relative_to_cwd() -> Result<()> {
    let dir = tempfile::tempdir()?;
    std::fs::create_dir(dir.path().join("demo"))?;
    std::fs::write(dir.path().join("demo/s.json"), r#"{"turns": []}"#)?;
    let env = BTreeMap::from([(
        "FERRULE_MODEL".to_owned(),
        "scripted/demo/s.json".to_owned(),
    )]);
    let resolved = resolve_model(None, &env, &ModelSettings::default())?;
    assert_eq!(resolved.name.provider, Provider::Scripted);
    let model = resolved.build(dir.path(), HttpOptions::default())?;
    assert_eq!(
        model.name(),
        format!("scripted/{}", dir.path().join("demo/s.json").display())
    );
    let missing = resolve_model(
        Some("scripted/none.json"),
        &BTreeMap::new(),
        &ModelSettings::default(),
    )?
    .build(dir.path(), HttpOptions::default())
    .err()
    .unwrap_or_else(|| panic!("a missing script must fail"));
    assert!(missing.to_string().contains("none.json"), "{missing}");
    Ok(())
}
