//! `ferrule --list-models`: the model this configuration would use, the
//! aliases the settings define and the models with a built-in price and
//! context window, without starting a session.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use ferrule_model::{ModelSettings, PriceTable, resolve_model};
use ferrule_setup::SetupOptions;
use serde_json::{Value, json};

use super::args::OutputFormat;

/// Prints the list in `format` (`text`, or one JSON object otherwise).
pub(crate) fn list(options: &SetupOptions, format: OutputFormat) -> Result<ExitCode> {
    let loaded = ferrule_setup::load_settings_of(options)?;
    let settings = serde_json::to_value(&loaded.merged).unwrap_or_default();
    let model_settings = ModelSettings::from_settings(&settings).context("settings")?;
    let current = resolve_model(options.model.as_deref(), &options.env, &model_settings);
    let prices = PriceTable::builtin().with_overrides(&model_settings.model_prices);
    let mut out = std::io::stdout().lock();
    if format == OutputFormat::Text {
        match &current {
            Ok(resolved) => {
                let via = resolved
                    .alias
                    .as_deref()
                    .map(|alias| format!(", alias `{alias}`"))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "In use: {} (from {}{via})",
                    resolved.name,
                    source(resolved)
                )?;
            }
            Err(error) => writeln!(out, "In use: none ({error})")?,
        }
        if !model_settings.model_aliases.is_empty() {
            writeln!(out, "\nAliases (settings `modelAliases`):")?;
            for (alias, target) in &model_settings.model_aliases {
                writeln!(out, "  {alias} = {target}")?;
            }
        }
        writeln!(
            out,
            "\nModels with a known price and context window (name them openai/NAME or anthropic/NAME; any other name the provider serves works too):"
        )?;
        for (name, price) in prices.entries() {
            let window = price
                .context_window
                .map_or_else(String::new, |w| format!("  {w} tokens"));
            writeln!(out, "  {name}{window}")?;
        }
        writeln!(
            out,
            "\nscripted/FILE replays a script (see --record); set OPENAI_API_KEY or ANTHROPIC_API_KEY for the HTTP providers."
        )?;
    } else {
        let models: Vec<Value> = prices
            .entries()
            .map(|(name, price)| json!({"value": name, "contextWindow": price.context_window}))
            .collect();
        let aliases: BTreeMap<&String, &String> = model_settings.model_aliases.iter().collect();
        let body = json!({
            "current": current.as_ref().ok().map(|r| r.name.to_string()),
            "error": current.as_ref().err().map(ToString::to_string),
            "aliases": aliases,
            "models": models,
        });
        writeln!(out, "{body}")?;
    }
    Ok(ExitCode::SUCCESS)
}

fn source(resolved: &ferrule_model::ResolvedModel) -> &'static str {
    match resolved.source {
        ferrule_model::ModelSource::Flag => "--model",
        ferrule_model::ModelSource::Env => "FERRULE_MODEL",
        ferrule_model::ModelSource::Settings => "settings `model`",
    }
}
