//! The behaviour table: every `cases/*.json` file holds cases drawn from the
//! reference (§3 of `cli-core.md`, `qoder-docs/cli/permissions.md`), each a
//! self-contained request and the expected decision and deciding rule.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use ferrule_permissions::{
    CheckRequest, Mode, Rule, RuleContent, ToolPattern, bash_rule_kind, check, parse_rule,
};
use pretty_assertions::assert_eq;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    cwd: Option<PathBuf>,
    #[serde(default)]
    rules: ferrule_permissions::RuleLists,
    #[serde(default)]
    additional_dirs: Vec<String>,
    #[serde(default)]
    hook: Option<String>,
    tool: String,
    input: serde_json::Value,
    expect: Expect,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    decision: String,
    rule: Option<String>,
    #[serde(default)]
    ask_kind: Option<String>,
}

fn load_cases() -> Result<Vec<(String, Case)>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.sort();
    let mut cases = Vec::new();
    for file in files
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "json"))
    {
        let text = std::fs::read_to_string(&file)?;
        let parsed: Vec<Case> =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", file.display()))?;
        let stem = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        cases.extend(parsed.into_iter().map(|c| (stem.clone(), c)));
    }
    Ok(cases)
}

fn request(case: &Case) -> CheckRequest {
    CheckRequest {
        id: serde_json::Value::String(case.name.clone()),
        mode: case.mode.clone(),
        cwd: case.cwd.clone().unwrap_or_else(|| PathBuf::from("/w/proj")),
        home: PathBuf::from("/home/u"),
        rules: case.rules.clone(),
        additional_dirs: case.additional_dirs.clone(),
        tool: case.tool.clone(),
        input: case.input.clone(),
        hook: case.hook.clone(),
    }
}

#[test]
fn every_case_decides_as_the_reference_says() -> Result<()> {
    let cases = load_cases()?;
    assert!(cases.len() >= 150, "only {} cases", cases.len());
    let mut expected = Vec::new();
    let mut actual = Vec::new();
    for (file, case) in &cases {
        let (decision, _) = check(&request(case)).with_context(|| case.name.clone())?;
        let label = format!("{file}/{}", case.name);
        expected.push((label.clone(), case.expect.clone()));
        actual.push((
            label,
            Expect {
                decision: decision.behavior.to_string(),
                rule: decision.rule.map(|r| r.text),
                ask_kind: case
                    .expect
                    .ask_kind
                    .as_ref()
                    .and(decision.ask_kind.map(|k| k.as_str().to_string())),
            },
        ));
    }
    assert_eq!(expected, actual);
    Ok(())
}

/// The rule forms a rule text stands for.
fn forms(text: &str) -> Vec<String> {
    let Ok(rule) = parse_rule(text) else {
        return vec!["malformed".to_string()];
    };
    let Rule { tool, content } = &rule;
    let mut out = vec![match tool {
        ToolPattern::Any => "any".to_string(),
        ToolPattern::AllMcp => "mcp_all".to_string(),
        ToolPattern::McpServer { star: true, .. } => "mcp_server_star".to_string(),
        ToolPattern::McpServer { star: false, .. } => "mcp_server".to_string(),
        ToolPattern::Tool(name) if name.starts_with("mcp__") => "mcp_tool".to_string(),
        ToolPattern::Tool(name) => format!("tool:{name}"),
        _ => "other".to_string(),
    }];
    match content {
        RuleContent::None => out.push("tool_level".into()),
        RuleContent::Empty => out.push("empty_parens".into()),
        RuleContent::Star => out.push("star_content".into()),
        RuleContent::Text(text) => {
            if matches!(tool, ToolPattern::Tool(t) if t == "Bash") {
                out.push(format!("bash:{:?}", bash_rule_kind(text)));
            } else if text.starts_with("//") {
                out.push("path://".into());
            } else if text.starts_with("~/") {
                out.push("path:~/".into());
            } else if text.starts_with('/') {
                out.push("path:/".into());
            } else if text.contains('/') {
                out.push("path:relative".into());
            } else {
                out.push("content:plain".into());
            }
        }
    }
    out
}

#[test]
fn cases_cover_every_rule_form_and_mode() -> Result<()> {
    let cases = load_cases()?;
    let mut seen = BTreeSet::new();
    let mut modes = BTreeSet::new();
    for (_, case) in &cases {
        for text in case
            .rules
            .allow
            .iter()
            .chain(&case.rules.ask)
            .chain(&case.rules.deny)
        {
            seen.extend(forms(text));
        }
        let mode: Mode = case.mode.as_deref().unwrap_or("default").parse()?;
        modes.insert(mode.as_str());
    }
    let wanted = [
        "any",
        "mcp_all",
        "mcp_server",
        "mcp_server_star",
        "mcp_tool",
        "malformed",
        "tool_level",
        "empty_parens",
        "star_content",
        "bash:Exact",
        "bash:Prefix",
        "bash:Wildcard",
        "path://",
        "path:~/",
        "path:/",
        "path:relative",
        "content:plain",
        "tool:Read",
        "tool:Edit",
        "tool:Write",
        "tool:Grep",
        "tool:WebFetch",
        "tool:Agent",
        "tool:Task",
        "tool:Skill",
    ];
    let missing: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|w| !seen.contains(*w))
        .collect();
    assert_eq!(missing, Vec::<&str>::new());
    let all_modes = BTreeSet::from([
        "default",
        "accept_edits",
        "auto",
        "bypass_permissions",
        "dont_ask",
        "plan",
    ]);
    assert_eq!(modes, all_modes);
    Ok(())
}
