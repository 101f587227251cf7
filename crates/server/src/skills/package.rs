//! A skill package (`cloud-api.md` §11): the files of one skill version,
//! read from an uploaded `.zip` or from the SDK's separate file parts,
//! checked (`SKILL.md` at the root or one folder down, frontmatter `name`
//! and `description`) and written back as one normalized zip.

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};

use ferrule_memory::PromptMeta;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// Largest upload (the narrative docs' 10 MB; the schema page says 5 MB).
pub(crate) const MAX_ZIP: usize = 10 * 1024 * 1024;
/// Largest total size of the unpacked files.
const MAX_UNPACKED: u64 = 50 * 1024 * 1024;
/// Most files in one package.
const MAX_FILES: usize = 1000;
/// Longest skill name.
const MAX_NAME: usize = 64;
/// Longest description.
const MAX_DESCRIPTION: usize = 1024;

/// One checked skill version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Package {
    /// The skill name (`SKILL.md` frontmatter, or the update's `name`).
    pub(crate) name: String,
    /// Its description.
    pub(crate) description: String,
    /// The folder `SKILL.md` sat in (`""` when at the root).
    pub(crate) directory: String,
    /// Files relative to the skill folder (`SKILL.md`, `templates/a.md`).
    pub(crate) files: BTreeMap<String, Vec<u8>>,
}

/// Name and description to use when the frontmatter lacks them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fallback {
    /// Name given by the request.
    pub(crate) name: Option<String>,
    /// Description given by the request.
    pub(crate) description: Option<String>,
    /// Whether a `SKILL.md` without frontmatter is accepted (plain-text
    /// content of an update).
    pub(crate) lenient: bool,
}

/// Why a skill name is not valid: at most 64 characters of lowercase
/// letters, digits, `-` and `_`, starting with a letter or digit.
pub(crate) fn check_name(name: &str) -> Result<(), String> {
    let starts_well = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let chars_ok = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if name.is_empty() || name.len() > MAX_NAME || !starts_well || !chars_ok {
        return Err(format!(
            "Skill name '{name}' is invalid: use at most {MAX_NAME} lowercase letters, digits, \
             '-' or '_', starting with a letter or digit."
        ));
    }
    Ok(())
}

/// A zip entry or form-part name as a safe relative path with `/`
/// separators; `None` for a directory entry.
fn normalize(raw: &str) -> Result<Option<String>, ApiError> {
    let unified = raw.replace('\\', "/");
    if unified.ends_with('/') {
        return Ok(None);
    }
    let mut parts = Vec::new();
    for part in unified.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                return Err(ApiError::invalid(format!(
                    "The path '{raw}' leaves the skill folder."
                )));
            }
            other if other.contains('\0') => {
                return Err(ApiError::invalid(format!(
                    "The path '{raw}' holds a NUL byte."
                )));
            }
            other => parts.push(other),
        }
    }
    if unified.starts_with('/') || parts.is_empty() {
        return Err(ApiError::invalid(format!(
            "The path '{raw}' must be relative."
        )));
    }
    // macOS archives carry resource forks that are not part of the skill.
    if parts[0] == "__MACOSX" || parts.last().is_some_and(|p| *p == ".DS_Store") {
        return Ok(None);
    }
    Ok(Some(parts.join("/")))
}

/// Reads the entries of a zip archive.
pub(crate) fn unzip(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, ApiError> {
    if bytes.len() > MAX_ZIP {
        return Err(ApiError::field("file", "The skill archive exceeds 10 MB."));
    }
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|_| ApiError::field("file", "Only .zip files are accepted."))?;
    if archive.len() > MAX_FILES {
        return Err(ApiError::field(
            "file",
            format!("The skill archive holds more than {MAX_FILES} entries."),
        ));
    }
    let mut entries = Vec::new();
    let mut total = 0u64;
    for index in 0..archive.len() {
        let bad = |e: zip::result::ZipError| {
            ApiError::field("file", format!("The skill archive is damaged: {e}"))
        };
        let mut entry = archive.by_index(index).map_err(bad)?;
        let raw = entry.name().map_err(bad)?.into_owned();
        if entry.is_dir() {
            continue;
        }
        let Some(path) = normalize(&raw)? else {
            continue;
        };
        let mut content = Vec::new();
        let left = MAX_UNPACKED - total;
        (&mut entry)
            .take(left + 1)
            .read_to_end(&mut content)
            .map_err(|e| ApiError::field("file", format!("Cannot unpack '{raw}': {e}")))?;
        total += content.len() as u64;
        if total > MAX_UNPACKED {
            return Err(ApiError::field(
                "file",
                "The skill archive unpacks to more than 50 MB.",
            ));
        }
        entries.push((path, content));
    }
    Ok(entries)
}

/// Checks uploaded files (zip entries or form parts) and makes the package.
pub(crate) fn build(raw: Vec<(String, Vec<u8>)>, fallback: &Fallback) -> Result<Package, ApiError> {
    let mut entries = Vec::new();
    let mut total = 0usize;
    for (name, content) in raw {
        if let Some(path) = normalize(&name)? {
            total += content.len();
            entries.push((path, content));
        }
    }
    if entries.len() > MAX_FILES {
        return Err(ApiError::invalid(format!(
            "A skill may hold at most {MAX_FILES} files."
        )));
    }
    if total as u64 > MAX_UNPACKED {
        return Err(ApiError::invalid("The skill files exceed 50 MB."));
    }
    let directory = find_manifest(&entries)?;
    let prefix = if directory.is_empty() {
        String::new()
    } else {
        format!("{directory}/")
    };
    let mut files = BTreeMap::new();
    for (path, content) in entries {
        // Files outside the skill folder are not part of the skill.
        if let Some(rel) = path.strip_prefix(&prefix)
            && files.insert(rel.to_owned(), content).is_some()
        {
            return Err(ApiError::invalid(format!(
                "The file '{path}' appears twice."
            )));
        }
    }
    let manifest = files.get("SKILL.md").cloned().unwrap_or_default();
    let text = String::from_utf8(manifest)
        .map_err(|_| ApiError::invalid("SKILL.md must be UTF-8 text."))?;
    let (name, description) = read_manifest(&text, fallback)?;
    Ok(Package {
        name,
        description,
        directory,
        files,
    })
}

/// The folder of the one `SKILL.md` at the root or one folder down.
fn find_manifest(entries: &[(String, Vec<u8>)]) -> Result<String, ApiError> {
    if entries.iter().any(|(path, _)| path == "SKILL.md") {
        return Ok(String::new());
    }
    let folders: Vec<&str> = entries
        .iter()
        .filter_map(|(path, _)| path.strip_suffix("/SKILL.md"))
        .filter(|folder| !folder.contains('/'))
        .collect();
    match folders.as_slice() {
        [one] => Ok((*one).to_owned()),
        [] => Err(ApiError::invalid(
            "The skill must contain SKILL.md at its root or one folder below it.",
        )),
        _ => Err(ApiError::invalid(format!(
            "The skill holds several SKILL.md files ({}); upload one skill at a time.",
            folders.join(", ")
        ))),
    }
}

/// Name and description from `SKILL.md`, the request's values winning.
fn read_manifest(text: &str, fallback: &Fallback) -> Result<(String, String), ApiError> {
    let doc = ferrule_memory::frontmatter::parse::<PromptMeta>(text).map_err(|e| {
        ApiError::invalid(format!(
            "SKILL.md line {}: invalid frontmatter: {}",
            e.line, e.message
        ))
    })?;
    if !doc.has_frontmatter && !fallback.lenient {
        return Err(ApiError::invalid(
            "SKILL.md must start with YAML frontmatter holding 'name' and 'description'.",
        ));
    }
    let pick = |given: &Option<String>, found: Option<String>| {
        given
            .clone()
            .or(found)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let name = pick(&fallback.name, doc.fields.name)
        .ok_or_else(|| ApiError::invalid("SKILL.md frontmatter has no 'name' (required)."))?;
    check_name(&name).map_err(ApiError::invalid)?;
    let description = pick(&fallback.description, doc.fields.description).ok_or_else(|| {
        ApiError::invalid("SKILL.md frontmatter has no 'description' (required).")
    })?;
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(ApiError::invalid(format!(
            "The skill description is longer than {MAX_DESCRIPTION} characters."
        )));
    }
    Ok((name, description))
}

impl Package {
    /// The package as a zip, files under its folder (or at the root).
    pub(crate) fn zip(&self) -> Result<Vec<u8>, ApiError> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (path, content) in &self.files {
            let name = if self.directory.is_empty() {
                path.clone()
            } else {
                format!("{}/{path}", self.directory)
            };
            writer
                .start_file(name, options)
                .and_then(|()| writer.write_all(content).map_err(Into::into))
                .map_err(ApiError::internal)?;
        }
        let cursor = writer.finish().map_err(ApiError::internal)?;
        Ok(cursor.into_inner())
    }
}

/// Lowercase hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
        list.iter()
            .map(|(p, c)| ((*p).to_owned(), c.as_bytes().to_vec()))
            .collect()
    }

    const MANIFEST: &str =
        "---\nname: code-review\ndescription: Review code\nversion: 1.0.0\n---\n# Steps\n";

    #[test]
    fn manifest_one_folder_down_with_backslashes() {
        let package = build(
            files(&[
                ("my-skill\\SKILL.md", MANIFEST),
                ("my-skill\\templates\\report.md", "r"),
                ("__MACOSX/x", "junk"),
            ]),
            &Fallback::default(),
        )
        .unwrap();
        assert_eq!(package.name, "code-review");
        assert_eq!(package.description, "Review code");
        assert_eq!(package.directory, "my-skill");
        let names: Vec<&str> = package.files.keys().map(String::as_str).collect();
        assert_eq!(names, ["SKILL.md", "templates/report.md"]);
        let round = build(
            unzip(&package.zip().unwrap()).unwrap(),
            &Fallback::default(),
        )
        .unwrap();
        assert_eq!(round, package);
    }

    #[test]
    fn bad_packages_say_what_is_wrong() {
        let none = build(files(&[("a/b/SKILL.md", MANIFEST)]), &Fallback::default());
        assert!(none.unwrap_err().message.contains("one folder below"));
        let escape = build(files(&[("../SKILL.md", MANIFEST)]), &Fallback::default());
        assert!(
            escape
                .unwrap_err()
                .message
                .contains("leaves the skill folder")
        );
        let bad_name = build(
            files(&[("SKILL.md", "---\nname: Bad Name\ndescription: d\n---\n")]),
            &Fallback::default(),
        );
        assert!(bad_name.unwrap_err().message.contains("invalid"));
        let no_description = build(
            files(&[("SKILL.md", "---\nname: ok\n---\n")]),
            &Fallback::default(),
        );
        assert!(no_description.unwrap_err().message.contains("description"));
        let plain = build(files(&[("SKILL.md", "just text")]), &Fallback::default());
        assert!(plain.unwrap_err().message.contains("frontmatter"));
        assert!(unzip(b"not a zip").unwrap_err().message.contains(".zip"));
    }

    #[test]
    fn request_values_win_and_plain_text_is_accepted_when_lenient() {
        let fallback = Fallback {
            name: Some("renamed_skill".into()),
            description: Some("New text".into()),
            lenient: true,
        };
        let package = build(files(&[("SKILL.md", "Do the thing.")]), &fallback).unwrap();
        assert_eq!(package.name, "renamed_skill");
        assert_eq!(package.description, "New text");
        assert!(check_name("-x").is_err());
        assert!(check_name(&"a".repeat(65)).is_err());
        assert!(check_name("a_b-9").is_ok());
    }
}
