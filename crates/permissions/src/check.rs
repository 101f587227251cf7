//! Self-contained check requests, as `ferrule permissions check --jsonl`
//! reads them (reference §3.10): the rules, mode and directories travel with
//! each request, so no settings are loaded.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::decision::{Behavior, Decision, HookVerdict, Request};
use crate::mode::Mode;
use crate::policy::{Policy, RuleDiagnostic, RuleSource};

/// The three rule lists, as written in a settings file's `permissions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleLists {
    /// `permissions.allow`.
    #[serde(default)]
    pub allow: Vec<String>,
    /// `permissions.ask`.
    #[serde(default)]
    pub ask: Vec<String>,
    /// `permissions.deny`.
    #[serde(default)]
    pub deny: Vec<String>,
}

/// One self-contained request. The rules are those of
/// `<cwd>/.qoder/settings.json`, so `/pattern` anchors at `cwd`; `home`
/// stands for the user's home directory. Paths need not exist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    /// Echoed back in the answer.
    #[serde(default)]
    pub id: serde_json::Value,
    /// The permission mode, any accepted spelling (default `default`).
    #[serde(default)]
    pub mode: Option<String>,
    /// The working directory (absolute).
    pub cwd: PathBuf,
    /// The home directory (absolute).
    pub home: PathBuf,
    /// The project settings' rules.
    #[serde(default)]
    pub rules: RuleLists,
    /// Additional working directories.
    #[serde(default)]
    pub additional_dirs: Vec<String>,
    /// The tool name.
    pub tool: String,
    /// The tool input.
    #[serde(default)]
    pub input: serde_json::Value,
    /// A PreToolUse hook verdict (`allow`, `deny`, `ask`), if any.
    #[serde(default)]
    pub hook: Option<String>,
}

/// Why a [`CheckRequest`] cannot be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckError {
    /// The mode name is unknown.
    #[error(transparent)]
    Mode(#[from] crate::mode::ModeError),
    /// `cwd` or `home` is not absolute.
    #[error("`{field}` must be an absolute path, got `{value}`")]
    NotAbsolute {
        /// The field name.
        field: &'static str,
        /// The value given.
        value: String,
    },
    /// The hook verdict is unknown.
    #[error("unknown hook verdict `{0}`; expected allow, deny or ask")]
    Hook(String),
}

impl CheckRequest {
    /// The policy and request this stands for, plus its malformed rules.
    pub fn to_policy(&self) -> Result<(Policy, Request), CheckError> {
        for (field, value) in [("cwd", &self.cwd), ("home", &self.home)] {
            if !value.is_absolute() {
                return Err(CheckError::NotAbsolute {
                    field,
                    value: value.display().to_string(),
                });
            }
        }
        let mode = match &self.mode {
            Some(name) => name.parse::<Mode>()?,
            None => Mode::Default,
        };
        let hook = match self.hook.as_deref() {
            None => None,
            Some("allow") => Some(HookVerdict::Allow),
            Some("deny") => Some(HookVerdict::Deny),
            Some("ask") => Some(HookVerdict::Ask),
            Some(other) => return Err(CheckError::Hook(other.to_string())),
        };
        let source = || RuleSource {
            path: Some(self.cwd.join(".qoder").join("settings.json")),
            root: self.cwd.clone(),
        };
        let mut builder = Policy::builder(&self.cwd, &self.home)
            .mode(mode)
            .rules(Behavior::Allow, &self.rules.allow, source())
            .rules(Behavior::Ask, &self.rules.ask, source())
            .rules(Behavior::Deny, &self.rules.deny, source());
        for dir in &self.additional_dirs {
            builder = builder.additional_dir(dir.as_str());
        }
        let request = Request {
            tool: self.tool.clone(),
            input: self.input.clone(),
            hook,
        };
        Ok((builder.build(), request))
    }
}

/// The answer line for one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckAnswer {
    /// The request's id.
    pub id: serde_json::Value,
    /// `allow`, `ask` or `deny`.
    pub decision: String,
    /// The deciding rule as written, if a rule decided.
    pub matched_rule: Option<String>,
    /// One line saying why.
    pub reason: String,
}

impl CheckAnswer {
    /// The answer for `decision`.
    pub fn new(id: serde_json::Value, decision: &Decision) -> Self {
        Self {
            id,
            decision: decision.behavior.as_str().to_string(),
            matched_rule: decision.rule.as_ref().map(|r| r.text.clone()),
            reason: decision.reason.clone(),
        }
    }
}

/// Checks one request: its policy's malformed rules (reported, not fatal)
/// and the decision.
pub fn check(request: &CheckRequest) -> Result<(Decision, Vec<RuleDiagnostic>), CheckError> {
    let (policy, call) = request.to_policy()?;
    let decision = crate::decide::decide(&policy, &call);
    Ok((decision, policy.diagnostics().to_vec()))
}
