//! `Skill {skill, args?}` (cli-core.md §2.15, §7.1): loads one skill's
//! `SKILL.md` body, with its arguments substituted and its bundled files
//! listed, into the conversation. Only names and descriptions are in the
//! system prompt (progressive disclosure); the body arrives through this
//! tool when the model decides a skill fits the task.

use std::sync::Arc;

use async_trait::async_trait;
use ferrule_memory::{Skill, SkillVars};
use ferrule_tool::{Fork, Tool, ToolContext, ToolError, ToolOutput, ToolTarget};
use serde_json::{Value, json};

/// Where the tool finds the skills in force now (a session's skills may be
/// read again when their folders change).
pub type SkillSource = Arc<dyn Fn() -> Vec<Skill> + Send + Sync>;

/// The `Skill` tool over the skills a [`SkillSource`] gives. A skill
/// marked `disable-model-invocation` stays out of the system prompt's list
/// (the host's business), but it still loads when the user's `/name`
/// asked the model to use it. A skill's `allowed-tools` become session
/// allow rules once it is loaded ([`ToolOutput::session_allow`]); its
/// `model` (unless `inherit`) and `effort` run the rest of the turn
/// ([`ToolOutput::model`], [`ToolOutput::effort`]). A skill with `context:
/// fork` asks the host to run its instructions as a subagent's task
/// ([`ToolOutput::fork`], the subagent type from its `agent` field), so
/// that its work stays out of the main conversation.
pub struct SkillTool {
    source: SkillSource,
    vars: SkillVars,
}

impl std::fmt::Debug for SkillTool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SkillTool")
            .field("vars", &self.vars)
            .finish_non_exhaustive()
    }
}

impl SkillTool {
    /// A tool over a fixed list of skills.
    pub fn new(skills: Vec<Skill>, vars: SkillVars) -> Self {
        Self::with_source(Arc::new(move || skills.clone()), vars)
    }

    /// A tool that asks `source` for the current skills on every call.
    pub fn with_source(source: SkillSource, vars: SkillVars) -> Self {
        Self { source, vars }
    }
}

#[async_trait]
impl Tool for SkillTool {
    fn name(&self) -> &str {
        "Skill"
    }

    fn description(&self) -> &str {
        "Load one of the skills listed in the system prompt: returns its instructions and the \
         files that come with it. Use it as soon as a task matches a skill's description, then \
         follow the instructions."
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "skill": {"type": "string", "description": "The skill's name, as listed in the system prompt"},
                "args": {"type": "string", "description": "Optional arguments for the skill"}
            },
            "required": ["skill"],
            "additionalProperties": false
        })
    }

    fn is_read_only(&self) -> bool {
        true
    }

    fn targets(&self, _input: &Value, _ctx: &ToolContext) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(Vec::new())
    }

    async fn call(&self, input: Value, _ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        let Some(wanted) = input.get("skill").and_then(Value::as_str) else {
            return Err(ToolError::respond(
                "Skill needs a string `skill`: the name of a listed skill.",
            ));
        };
        let wanted = wanted.trim().trim_start_matches('/');
        let skills = (self.source)();
        let Some(skill) = skills.iter().find(|s| s.name == wanted) else {
            let known: Vec<&str> = skills.iter().map(|s| s.name.as_str()).collect();
            return Err(ToolError::respond(if known.is_empty() {
                format!("No skill named '{wanted}': this session has no skills.")
            } else {
                format!(
                    "No skill named '{wanted}'. Available: {}.",
                    known.join(", ")
                )
            }));
        };
        let args = match input.get("args") {
            None | Some(Value::Null) => "",
            Some(Value::String(text)) => text.as_str(),
            Some(_) => return Err(ToolError::respond("Skill `args` must be a string.")),
        };
        let body = skill
            .render(args, &self.vars)
            .map_err(|e| ToolError::respond(format!("cannot load skill '{wanted}': {e}")))?;
        let files = skill
            .open(&self.vars)
            .map(|content| content.resources)
            .unwrap_or_default();
        let mut text = format!(
            "Skill '{}' (folder: {})\n\n{}",
            skill.name,
            skill.dir.display(),
            body.trim()
        );
        if !files.is_empty() {
            let list: Vec<String> = files
                .iter()
                .map(|f| format!("- {}", skill.dir.join(f).display()))
                .collect();
            text.push_str(&format!(
                "\n\nFiles of this skill (read them when the instructions need them):\n{}",
                list.join("\n")
            ));
        }
        let allowed = skill.meta.allowed_tools.0.clone();
        if !allowed.is_empty() {
            text.push_str(&format!(
                "\n\nThis skill may use without asking: {}.",
                allowed.join(", ")
            ));
        }
        let forks = skill.meta.forks();
        let structured = json!({
            "skill": skill.name,
            "dir": skill.dir,
            "files": files,
            "allowed_tools": allowed,
            "context": if forks { "fork" } else { "inline" },
        });
        let mut output = ToolOutput::text(text.clone(), structured).allowing(allowed);
        if let Some(model) = skill.meta.model.as_deref().map(str::trim)
            && !model.is_empty()
            && model != "inherit"
        {
            output = output.with_model(model);
        }
        if let Some(effort) = skill.meta.effort_text() {
            output = output.with_effort(effort);
        }
        if forks {
            output = output.forking(Fork {
                agent: skill.meta.agent.clone(),
                prompt: text,
                description: format!("skill {}", skill.name),
            });
        }
        Ok(output)
    }
}
