//! `cargo xtask schema [--check]`: writes the generated JSON schemas, or
//! checks that the checked-in copies are current.

use anyhow::{Context, Result, bail};

use crate::cmd::root;

/// Writes `schema/settings.schema.json`; with `--check`, fails instead when
/// the file differs from what the code generates.
pub(crate) fn schema(args: &[String]) -> Result<()> {
    let check = match args {
        [] => false,
        [flag] if flag == "--check" => true,
        other => bail!(
            "usage: cargo xtask schema [--check], got `{}`",
            other.join(" ")
        ),
    };
    let path = root().join("schema/settings.schema.json");
    let generated = ferrule_config::settings_schema_json();
    if check {
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current != generated {
            bail!(
                "{} is stale: run `cargo xtask schema` and commit the result",
                path.display()
            );
        }
        eprintln!("xtask: {} is current", path.display());
    } else {
        std::fs::write(&path, generated)
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("xtask: wrote {}", path.display());
    }
    Ok(())
}
