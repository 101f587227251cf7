//! The benchmark corpora fetched by `shared/bench/get-corpus.sh`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, ensure};

/// Where the corpora are unless `FERRULE_CORPUS` says otherwise.
pub const DEFAULT_DIR: &str = "/var/cache/ferrule/corpus";

/// The two trees of the standard query set.
#[derive(Debug, Clone)]
pub struct Corpus {
    /// The Linux kernel tree (large corpus).
    pub large: PathBuf,
    /// rustc's `compiler/` tree (small corpus).
    pub small: PathBuf,
}

impl Corpus {
    /// Finds the corpora under `FERRULE_CORPUS` or [`DEFAULT_DIR`].
    ///
    /// # Errors
    /// When either tree is missing (run `cargo xtask bench`, which fetches
    /// them).
    pub fn locate() -> Result<Self> {
        let dir = std::env::var_os("FERRULE_CORPUS")
            .map_or_else(|| PathBuf::from(DEFAULT_DIR), PathBuf::from);
        let corpus = Self {
            large: dir.join("linux"),
            small: dir.join("rustc"),
        };
        for tree in [&corpus.large, &corpus.small] {
            ensure!(
                tree.join(".corpus-stamp").exists(),
                "corpus tree {} is missing; run `shared/bench/get-corpus.sh {}` (cargo xtask bench does)",
                tree.display(),
                dir.display()
            );
        }
        Ok(corpus)
    }

    /// The first line of a tree's `.corpus-stamp`: package and version.
    ///
    /// # Errors
    /// When the stamp cannot be read.
    pub fn stamp(tree: &Path) -> Result<String> {
        let path = tree.join(".corpus-stamp");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        Ok(text.lines().next().unwrap_or_default().to_string())
    }
}
