//! Skill bindings at run time (`cloud-api.md` §5.9): the agent's `skills[]`
//! are written into the session's working directory as CLI-style skill
//! folders (`.qoder/skills/<name>/SKILL.md` and its files), listed in the
//! system prompt by name and description, and opened with the `Skill` tool
//! (progressive disclosure, as the CLI does).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use ferrule_memory::{Origin, PromptMeta, Scope, Skill};
use serde_json::Value;

use super::{package, store};
use crate::app::AppState;

/// Where bound skills live, relative to the working directory.
pub(crate) const SKILLS_DIR: &str = ".qoder/skills";

/// The skills of one turn, written to disk, in binding order.
#[derive(Debug, Default)]
pub(crate) struct BoundSkills {
    /// The skills.
    pub(crate) skills: Vec<Skill>,
}

impl BoundSkills {
    /// `(name, description)` for the system prompt.
    pub(crate) fn summaries(&self) -> Vec<(String, String)> {
        self.skills
            .iter()
            .map(|s| (s.name.clone(), s.description.clone()))
            .collect()
    }

    /// The `Skill` tool over these skills, when there are any.
    pub(crate) fn tool(&self, session_id: &str) -> Option<Arc<dyn ferrule_tool::Tool>> {
        (!self.skills.is_empty()).then(|| {
            let vars = ferrule_memory::SkillVars {
                session_id: Some(session_id.to_owned()),
                ..ferrule_memory::SkillVars::default()
            };
            Arc::new(ferrule_tools::SkillTool::new(self.skills.clone(), vars))
                as Arc<dyn ferrule_tool::Tool>
        })
    }
}

/// A bound skill's files, read on the server (they travel to remote
/// workers in the turn setup).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct SkillFiles {
    /// The skill's name.
    pub(crate) name: String,
    /// Its description.
    pub(crate) description: String,
    /// Files relative to the skill folder, base64.
    pub(crate) files: std::collections::BTreeMap<String, String>,
}

/// Reads the skills bound by `agent` (the session's agent snapshot), each
/// at the pinned version or the latest. Missing skills and versions and
/// duplicate names become problems; the others are still returned.
pub(crate) async fn load(state: &AppState, agent: &Value) -> (Vec<SkillFiles>, Vec<String>) {
    let mut skills: Vec<SkillFiles> = Vec::new();
    let mut problems = Vec::new();
    for entry in agent["skills"].as_array().into_iter().flatten() {
        let skill_id = entry["skill_id"].as_str().unwrap_or_default();
        let version = entry["version"].as_str().unwrap_or("latest");
        match load_one(state, skill_id, version).await {
            Ok(skill) if skills.iter().any(|s| s.name == skill.name) => problems.push(format!(
                "Skill '{skill_id}' is named '{}' like another bound skill; only the first is used.",
                skill.name
            )),
            Ok(skill) => skills.push(skill),
            Err(problem) => problems.push(problem),
        }
    }
    (skills, problems)
}

async fn load_one(state: &AppState, skill_id: &str, version: &str) -> Result<SkillFiles, String> {
    let fail = |e: crate::error::ApiError| format!("Skill binding '{skill_id}': {}", e.message);
    let skill = store::load(state, skill_id).await.map_err(fail)?;
    let version = store::load_version(state, &skill, version)
        .await
        .map_err(fail)?;
    let zip = store::content(state, &version.id).await.map_err(fail)?;
    let package = package::build(
        package::unzip(&zip).map_err(fail)?,
        &package::Fallback {
            name: version.body["name"].as_str().map(str::to_owned),
            description: version.body["description"].as_str().map(str::to_owned),
            lenient: true,
        },
    )
    .map_err(fail)?;
    Ok(SkillFiles {
        name: package.name,
        description: package.description,
        files: package
            .files
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    base64::engine::general_purpose::STANDARD.encode(v),
                )
            })
            .collect(),
    })
}

/// Writes skills as folders under `cwd` (replacing earlier copies).
pub(crate) fn write(skills: &[SkillFiles], cwd: &Path) -> Result<BoundSkills, String> {
    let mut bound = BoundSkills::default();
    for skill in skills {
        let dir: PathBuf = cwd.join(SKILLS_DIR).join(&skill.name);
        let mut manifest = String::new();
        let mut write = || -> Result<(), String> {
            if dir.exists() {
                std::fs::remove_dir_all(&dir).map_err(|e| e.to_string())?;
            }
            for (rel, content) in &skill.files {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(content)
                    .map_err(|e| e.to_string())?;
                if rel == "SKILL.md" {
                    manifest = String::from_utf8_lossy(&bytes).into_owned();
                }
                let path = dir.join(rel);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
                }
                std::fs::write(&path, bytes).map_err(|e| e.to_string())?;
            }
            Ok(())
        };
        write().map_err(|e| format!("cannot write skill '{}': {e}", skill.name))?;
        let meta = ferrule_memory::frontmatter::parse::<PromptMeta>(&manifest)
            .map(|doc| doc.fields)
            .unwrap_or_default();
        bound.skills.push(Skill {
            name: skill.name.clone(),
            description: skill.description.clone(),
            path: dir.join("SKILL.md"),
            dir,
            scope: Scope::Project,
            origin: Origin::Qoder,
            plugin: None,
            meta,
        });
    }
    Ok(bound)
}
