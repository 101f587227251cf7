//! Property tests (proptest): the rule grammar round-trips, extra deny rules
//! never loosen a decision, extra allow rules never lift a deny, and a
//! compound command is allowed only when each of its parts is.

use ferrule_permissions::{
    Behavior, Decision, Mode, Policy, Request, RuleSource, decide, parse_rule,
};
use pretty_assertions::assert_eq;
use proptest::prelude::*;
use serde_json::json;

const MODES: &[Mode] = &[
    Mode::Default,
    Mode::AcceptEdits,
    Mode::Auto,
    Mode::BypassPermissions,
    Mode::DontAsk,
    Mode::Plan,
];

const RULES: &[&str] = &[
    "Bash",
    "Bash(*)",
    "Bash(git status:*)",
    "Bash(git log *)",
    "Bash(git *)",
    "Bash(npm test:*)",
    "Bash(npm run build)",
    "Bash(make)",
    "Bash(cat:*)",
    "Bash(echo:*)",
    "Bash(rm:*)",
    "Bash(rm -rf:*)",
    "Bash(curl:*)",
    "Bash(sudo:*)",
    "Bash(git push:*)",
    "Read",
    "Read(*.pem)",
    "Read(/src/**)",
    "Read(//etc/**)",
    "Read(~/notes/**)",
    "Read(secrets/**)",
    "Edit",
    "Edit(/src/**)",
    "Edit(//opt/**)",
    "Edit(.env)",
    "Write(/docs/**)",
    "WebFetch",
    "WebFetch(example.com)",
    "WebFetch(domain:docs.rs)",
    "WebSearch",
    "mcp__github",
    "mcp__github__*",
    "mcp__github__create_issue",
    "mcp__*",
    "Agent(Explore)",
    "Task",
    "*",
    "Bash(rm -rf",
    "Read(a))(",
    "(bad)",
];

const COMMANDS: &[&str] = &[
    "git status",
    "git log --oneline",
    "git push origin main",
    "git push --force",
    "npm test",
    "npm run build",
    "ls -la",
    "cat src/a.rs",
    "cat /etc/passwd",
    "cat key.pem",
    "rm -rf build",
    "rm a.o",
    "curl http://x",
    "echo hi > out.txt",
    "echo hi > /tmp/o",
    "make",
    "NODE_ENV=1 npm test",
    "LD_PRELOAD=x make",
    "sudo make install",
    "timeout 5 git status",
    "grep -r x .",
    "echo 'a && b'",
];

const SEPARATORS: &[&str] = &[" && ", " || ", "; ", " | ", "\n", " & "];

fn requests() -> Vec<Request> {
    let mut out: Vec<Request> = COMMANDS
        .iter()
        .map(|c| Request::new("Bash", json!({ "command": c })))
        .collect();
    out.push(Request::new(
        "Bash",
        json!({"command": "git status && curl x | sh"}),
    ));
    out.push(Request::new(
        "Bash",
        json!({"command": "echo $(rm -rf build)"}),
    ));
    for path in [
        "/w/proj/src/a.rs",
        "/etc/hosts",
        "/w/proj/.env",
        "/w/proj/.git/config",
        "/opt/x",
        "/home/u/notes/a",
        "/home/u/.qoder/plans/p.md",
    ] {
        for tool in ["Read", "Edit", "Write"] {
            out.push(Request::new(tool, json!({ "file_path": path })));
        }
    }
    out.push(Request::new("Grep", json!({"pattern": "x"})));
    out.push(Request::new(
        "WebFetch",
        json!({"url": "https://example.com/a"}),
    ));
    out.push(Request::new(
        "WebFetch",
        json!({"url": "https://docs.rs/a"}),
    ));
    out.push(Request::new("WebSearch", json!({"query": "q"})));
    out.push(Request::new("mcp__github__create_issue", json!({})));
    out.push(Request::new("mcp__other__t", json!({})));
    out.push(Request::new("Agent", json!({"subagent_type": "Explore"})));
    out.push(Request::new("AskUserQuestion", json!({"questions": []})));
    out
}

fn source() -> RuleSource {
    RuleSource {
        path: Some("/w/proj/.qoder/settings.json".into()),
        root: "/w/proj".into(),
    }
}

type Lists = (Vec<usize>, Vec<usize>, Vec<usize>);

fn policy(mode: Mode, (allow, ask, deny): &Lists) -> Policy {
    let pick = |ids: &[usize]| {
        ids.iter()
            .map(|&i| RULES[i % RULES.len()])
            .collect::<Vec<_>>()
    };
    Policy::builder("/w/proj", "/home/u")
        .mode(mode)
        .rules(Behavior::Allow, pick(allow), source())
        .rules(Behavior::Ask, pick(ask), source())
        .rules(Behavior::Deny, pick(deny), source())
        .build()
}

fn strictness(decision: &Decision) -> u8 {
    match decision.behavior {
        Behavior::Allow => 0,
        Behavior::Ask => 1,
        Behavior::Deny => 2,
    }
}

fn lists() -> impl Strategy<Value = Lists> {
    let ids = || prop::collection::vec(0..RULES.len(), 0..6);
    (ids(), ids(), ids())
}

fn rule_text() -> impl Strategy<Value = String> {
    let tool = prop::sample::select(vec![
        "Bash",
        "Read",
        "Edit",
        "WebFetch",
        "Agent",
        "*",
        "mcp__s",
        "mcp__s__*",
        "mcp__s__t",
        "mcp__*",
    ]);
    let content = prop::option::of("[a-z \\\\()*:/.~-]{0,12}");
    (tool, content).prop_map(|(tool, content)| match content {
        Some(content) => format!("{tool}({content})"),
        None => tool.to_string(),
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parse_display_parse_round_trips(text in prop_oneof![rule_text(), any::<String>()]) {
        if let Ok(rule) = parse_rule(&text) {
            let shown = rule.to_string();
            assert_eq!(parse_rule(&shown), Ok(rule), "{text:?} displayed as {shown:?}");
            // Displaying is a fixed point after one round.
            assert_eq!(parse_rule(&shown).map(|r| r.to_string()), Ok(shown));
        }
    }

    #[test]
    fn adding_a_deny_rule_never_loosens_a_decision(
        mode in prop::sample::select(MODES),
        base in lists(),
        extra in 0..RULES.len(),
        which in 0..64usize,
    ) {
        let all = requests();
        let request = &all[which % all.len()];
        let before = decide(&policy(mode, &base), request);
        let mut more = base;
        more.2.push(extra);
        let after = decide(&policy(mode, &more), request);
        prop_assert!(strictness(&after) >= strictness(&before), "{:?} {request:?}: {before:?} -> {after:?} after deny {}", mode, RULES[extra]);
    }

    #[test]
    fn adding_an_allow_rule_never_lifts_a_deny(
        mode in prop::sample::select(MODES),
        base in lists(),
        extra in 0..RULES.len(),
        which in 0..64usize,
    ) {
        let all = requests();
        let request = &all[which % all.len()];
        let before = decide(&policy(mode, &base), request);
        // auto and dont_ask deny what would ask; an allow rule rightly
        // answers such a call, so only denials of the pipeline itself count.
        let pipeline_deny = before.behavior == Behavior::Deny
            && (before.rule.as_ref().is_some_and(|r| r.list == Behavior::Deny)
                || !matches!(mode, Mode::Auto | Mode::DontAsk));
        let mut more = base;
        more.0.push(extra);
        let after = decide(&policy(mode, &more), request);
        if pipeline_deny {
            prop_assert_eq!(after.behavior, Behavior::Deny, "{:?} {:?} after allow {}", mode, request, RULES[extra]);
        }
    }

    #[test]
    fn compound_command_allowed_only_if_each_part_is(
        mode in prop::sample::select(&[Mode::Default, Mode::AcceptEdits, Mode::Plan][..]),
        base in lists(),
        parts in prop::collection::vec((0..COMMANDS.len(), 0..SEPARATORS.len()), 2..4),
    ) {
        let policy = policy(mode, &base);
        let mut line = String::new();
        for (at, &(command, separator)) in parts.iter().enumerate() {
            if at > 0 {
                line.push_str(SEPARATORS[separator]);
            }
            line.push_str(COMMANDS[command]);
        }
        let whole = decide(&policy, &Request::new("Bash", json!({ "command": line })));
        if whole.behavior == Behavior::Allow {
            for &(command, _) in &parts {
                let part = decide(&policy, &Request::new("Bash", json!({ "command": COMMANDS[command] })));
                prop_assert_eq!(part.behavior, Behavior::Allow, "{:?} allowed but part {:?} is {:?}", line, COMMANDS[command], part);
            }
        }
    }
}
