//! Completion of `/` commands and `@file` references in the input box.

use std::path::{Path, PathBuf};

use ferrule_search::SearchLimits;
use ferrule_search::glob::{GlobQuery, glob};

/// Files listed for `@` completion at most.
const FILE_LIMIT: usize = 5000;
/// Candidates shown at most.
const SHOWN: usize = 8;

/// One completion candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The text that replaces the word being typed.
    pub replacement: String,
    /// What the list shows.
    pub label: String,
    /// A short description beside it.
    pub detail: String,
}

/// The open completion list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Completion {
    /// Candidates, best first.
    pub candidates: Vec<Candidate>,
    /// The highlighted one.
    pub selected: usize,
}

impl Completion {
    /// The highlighted candidate.
    pub fn current(&self) -> Option<&Candidate> {
        self.candidates.get(self.selected)
    }

    /// Moves the highlight by `delta`, wrapping around.
    pub fn step(&mut self, delta: isize) {
        let len = self.candidates.len();
        if len > 0 {
            self.selected = (self.selected as isize + delta).rem_euclid(len as isize) as usize;
        }
    }
}

/// Computes completions; keeps the workspace's file list between calls.
#[derive(Debug)]
pub struct Completer {
    root: PathBuf,
    files: Option<Vec<String>>,
}

impl Completer {
    /// A completer for files under `root`.
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            files: None,
        }
    }

    /// Forgets the file list so the next `@` lists the tree again.
    pub fn refresh(&mut self) {
        self.files = None;
    }

    fn files(&mut self) -> &[String] {
        let root = self.root.clone();
        self.files.get_or_insert_with(|| {
            let query = GlobQuery::new("**/*").path(&root).limit(Some(FILE_LIMIT));
            match glob(&query, &SearchLimits::none()) {
                Ok(out) => {
                    let mut files: Vec<String> = out
                        .files
                        .iter()
                        .filter_map(|f| f.strip_prefix(&root).ok())
                        .map(|f| f.to_string_lossy().into_owned())
                        .collect();
                    files.sort();
                    files
                }
                Err(error) => {
                    tracing::debug!(%error, "listing files for @ completion");
                    Vec::new()
                }
            }
        })
    }

    /// Completions for `word` (the text from the last space to the cursor);
    /// `at_start` says whether the word begins the input, where `/` names
    /// a command. `commands` are `(name without /, description)`.
    pub fn complete(
        &mut self,
        word: &str,
        at_start: bool,
        commands: &[(String, String)],
    ) -> Option<Completion> {
        let candidates = if let Some(prefix) = word.strip_prefix('/')
            && at_start
        {
            command_candidates(prefix, commands)
        } else if let Some(partial) = word.strip_prefix('@') {
            file_candidates(partial, self.files())
        } else {
            return None;
        };
        (!candidates.is_empty()).then_some(Completion {
            candidates,
            selected: 0,
        })
    }
}

fn command_candidates(prefix: &str, commands: &[(String, String)]) -> Vec<Candidate> {
    let prefix = prefix.to_lowercase();
    commands
        .iter()
        .filter(|(name, _)| name.to_lowercase().starts_with(&prefix))
        .take(SHOWN)
        .map(|(name, description)| Candidate {
            replacement: format!("/{name} "),
            label: format!("/{name}"),
            detail: description.clone(),
        })
        .collect()
}

/// Files whose path contains `partial` (case-insensitive): those whose
/// name starts with it first, then shorter paths.
fn file_candidates(partial: &str, files: &[String]) -> Vec<Candidate> {
    let needle = partial.to_lowercase();
    let mut hits: Vec<(u8, usize, &String)> = files
        .iter()
        .filter_map(|path| {
            let lower = path.to_lowercase();
            let name = lower.rsplit('/').next().unwrap_or(&lower);
            let rank = if lower.starts_with(&needle) {
                0
            } else if name.starts_with(&needle) {
                1
            } else if lower.contains(&needle) {
                2
            } else {
                return None;
            };
            Some((rank, path.len(), path))
        })
        .collect();
    hits.sort();
    hits.into_iter()
        .take(SHOWN)
        .map(|(_, _, path)| Candidate {
            replacement: format!("@{path} "),
            label: format!("@{path}"),
            detail: String::new(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commands() -> Vec<(String, String)> {
        [
            ("help", "Show help"),
            ("hooks", "List hooks"),
            ("clear", "Clear"),
        ]
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
    }

    #[test]
    fn slash_completes_only_at_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let mut completer = Completer::new(dir.path());
        let found = completer.complete("/h", true, &commands()).unwrap();
        let labels: Vec<_> = found.candidates.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["/help", "/hooks"]);
        assert_eq!(found.candidates[0].replacement, "/help ");
        assert!(completer.complete("/h", false, &commands()).is_none());
        assert!(completer.complete("/zz", true, &commands()).is_none());
    }

    #[test]
    fn at_completes_files_from_the_workspace() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src/deep")).unwrap();
        for file in [
            "src/main.rs",
            "src/deep/mainly.txt",
            "README.md",
            "domain.rs",
        ] {
            std::fs::write(dir.path().join(file), "x").unwrap();
        }
        let mut completer = Completer::new(dir.path());
        let found = completer.complete("@main", false, &commands()).unwrap();
        let labels: Vec<_> = found.candidates.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(
            labels,
            ["@src/main.rs", "@src/deep/mainly.txt", "@domain.rs"]
        );
        let mut found = completer.complete("@", false, &commands()).unwrap();
        assert_eq!(found.candidates.len(), 4);
        found.step(-1);
        assert_eq!(found.selected, 3);
    }
}
