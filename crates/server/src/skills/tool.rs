//! The `Skill` tool (cli-core.md §2, `Skill {skill, args?}`): loads a bound
//! skill's `SKILL.md` body, with its folder and bundled files, into the
//! conversation when the model decides the skill fits the task.

use async_trait::async_trait;
use ferrule_memory::{Skill, SkillVars};
use ferrule_tool::{Tool, ToolContext, ToolError, ToolOutput, ToolTarget};
use serde_json::{Value, json};

/// The tool over one turn's bound skills.
pub(crate) struct SkillTool {
    /// The skills it can load.
    pub(crate) skills: Vec<Skill>,
    /// For `${QODER_SESSION_ID}`.
    pub(crate) session_id: String,
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
        let names: Vec<&str> = self.skills.iter().map(|s| s.name.as_str()).collect();
        json!({
            "type": "object",
            "properties": {
                "skill": {"type": "string", "enum": names, "description": "The skill's name"},
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
        let wanted = input["skill"]
            .as_str()
            .unwrap_or_default()
            .trim_start_matches('/');
        let Some(skill) = self.skills.iter().find(|s| s.name == wanted) else {
            let known: Vec<&str> = self.skills.iter().map(|s| s.name.as_str()).collect();
            return Err(ToolError::respond(format!(
                "No skill named '{wanted}'. Available: {}.",
                known.join(", ")
            )));
        };
        let vars = SkillVars {
            session_id: Some(self.session_id.clone()),
            ..SkillVars::default()
        };
        let args = input["args"].as_str().unwrap_or_default();
        let body = skill
            .render(args, &vars)
            .map_err(|e| ToolError::respond(format!("cannot load skill '{wanted}': {e}")))?;
        let files = skill
            .open(&vars)
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
        let structured = json!({"skill": skill.name, "dir": skill.dir, "files": files});
        Ok(ToolOutput::text(text, structured))
    }
}
