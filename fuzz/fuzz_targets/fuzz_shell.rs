//! Shell command lines through the tree-sitter analyzer: never a panic,
//! internally consistent results, and deny rules see every segment.
//!
//! Properties:
//! - the whole trimmed line and every top-level segment are occurrences
//!   (what deny and ask rules are matched against);
//! - every segment's text is part of the line, every word has a start
//!   offset, every wrapper start indexes a word;
//! - an exact deny rule equal to any top-level segment denies the line.

#![no_main]

use ferrule_permissions::shell::analyze;
use ferrule_permissions::{
    Behavior, Policy, Request, Rule, RuleContent, RuleSource, ToolPattern, decide,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    let analysis = analyze(line);
    let trimmed = line.trim();
    assert!(analysis.occurrences.iter().any(|o| o == trimmed));
    for segment in &analysis.segments {
        assert!(analysis.occurrences.contains(&segment.text));
        assert!(segment.command.is_none_or(|i| i < analysis.commands.len()));
        assert!(
            trimmed.contains(segment.text.as_str()) || analysis.nested,
            "{line:?}: {segment:?}"
        );
    }
    for command in &analysis.commands {
        assert_eq!(command.words.len(), command.word_starts.len());
        assert!(
            command
                .starts
                .iter()
                .all(|&s| s == 0 || s < command.words.len())
        );
    }
    if trimmed.is_empty() || trimmed.len() > 4096 {
        return;
    }
    for segment in analysis.segments.iter().take(4) {
        let text = segment.text.as_str();
        // `\*` and a `:*` suffix change what a Bash rule means, and an
        // empty content is a tool-level rule.
        if text.is_empty() || text.contains('\\') || text.ends_with(":*") {
            continue;
        }
        let rule = Rule {
            tool: ToolPattern::Tool("Bash".into()),
            content: RuleContent::Text(text.to_string()),
        };
        let policy = Policy::builder("/w/proj", "/home/u")
            .rules(
                Behavior::Deny,
                [rule.to_string()],
                RuleSource {
                    path: None,
                    root: "/w/proj".into(),
                },
            )
            .build();
        if !policy.diagnostics().is_empty() {
            continue;
        }
        let decision = decide(
            &policy,
            &Request::new("Bash", serde_json::json!({ "command": line })),
        );
        assert_eq!(
            decision.behavior,
            Behavior::Deny,
            "{line:?}: segment {text:?} -> {decision:?}"
        );
    }
});
