//! `decide()` on fuzzed policies and requests: never a panic, deterministic,
//! explained consistently, and monotone in deny rules.
//!
//! Input: an unstructured byte stream choosing the mode, up to eight rules
//! per list (free text or picked from common forms), the tool, and its input
//! (a command, a path or a URL, or free JSON).
//!
//! Properties:
//! - deciding twice gives the same decision;
//! - in default mode an allow is never credited to an ask or deny rule, and
//!   a deny never to an allow rule;
//! - adding one more deny rule never makes the decision less strict.

#![no_main]

use ferrule_permissions::{Behavior, Decision, Mode, Policy, Request, RuleSource, decide};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::json;

const MODES: &[Mode] = &[
    Mode::Default,
    Mode::AcceptEdits,
    Mode::Auto,
    Mode::BypassPermissions,
    Mode::DontAsk,
    Mode::Plan,
];
const TOOLS: &[&str] = &[
    "Bash",
    "Read",
    "Edit",
    "Write",
    "Glob",
    "Grep",
    "LS",
    "WebFetch",
    "Agent",
    "mcp__s__t",
    "TodoWrite",
    "AskUserQuestion",
    "Other",
];
const FORMS: &[&str] = &[
    "*",
    "Bash",
    "Bash(git status:*)",
    "Bash(rm -rf:*)",
    "Bash(git *)",
    "Read(*.pem)",
    "Read(/src/**)",
    "Edit(//etc/**)",
    "Edit(~/x/**)",
    "WebFetch(example.com)",
    "mcp__s",
    "mcp__*",
    "Agent(Explore)",
    "Bash(",
    "Read(a)b",
];

struct Case {
    mode: Mode,
    lists: [Vec<String>; 3],
    request: Request,
    extra_deny: String,
}

fn text(u: &mut Unstructured<'_>) -> Result<String> {
    if u.ratio(1, 2)? {
        Ok((*u.choose(FORMS)?).to_string())
    } else {
        let s: &str = u.arbitrary()?;
        Ok(s.chars().take(200).collect())
    }
}

fn case(u: &mut Unstructured<'_>) -> Result<Case> {
    let mode = *u.choose(MODES)?;
    let mut lists: [Vec<String>; 3] = Default::default();
    for list in &mut lists {
        for _ in 0..u.int_in_range(0..=8)? {
            list.push(text(u)?);
        }
    }
    let tool = (*u.choose(TOOLS)?).to_string();
    let value: String = u.arbitrary::<&str>()?.chars().take(300).collect();
    let input = match u.int_in_range(0..=3)? {
        0 => json!({ "command": value }),
        1 => json!({ "file_path": value, "path": value }),
        2 => json!({ "url": value }),
        _ => serde_json::from_str(&value).unwrap_or(json!({})),
    };
    let extra_deny = text(u)?;
    Ok(Case {
        mode,
        lists,
        request: Request::new(tool, input),
        extra_deny,
    })
}

fn policy(case: &Case, extra: Option<&str>) -> Policy {
    let source = || RuleSource {
        path: Some("/w/proj/.qoder/settings.json".into()),
        root: "/w/proj".into(),
    };
    let mut deny = case.lists[2].clone();
    deny.extend(extra.map(str::to_string));
    Policy::builder("/w/proj", "/home/u")
        .mode(case.mode)
        .additional_dir("../shared")
        .rules(Behavior::Allow, &case.lists[0], source())
        .rules(Behavior::Ask, &case.lists[1], source())
        .rules(Behavior::Deny, &deny, source())
        .build()
}

fn strictness(d: &Decision) -> u8 {
    match d.behavior {
        Behavior::Allow => 0,
        Behavior::Ask => 1,
        Behavior::Deny => 2,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(case) = case(&mut Unstructured::new(data)) else {
        return;
    };
    let base = policy(&case, None);
    let first = decide(&base, &case.request);
    assert_eq!(first, decide(&base, &case.request), "not deterministic");
    if case.mode == Mode::Default {
        let list = first.rule.as_ref().map(|r| r.list);
        match first.behavior {
            Behavior::Allow => assert!(matches!(list, None | Some(Behavior::Allow)), "{first:?}"),
            Behavior::Deny => assert!(matches!(list, None | Some(Behavior::Deny)), "{first:?}"),
            Behavior::Ask => assert!(list != Some(Behavior::Allow), "{first:?}"),
        }
    }
    let stricter = decide(&policy(&case, Some(&case.extra_deny)), &case.request);
    assert!(
        strictness(&stricter) >= strictness(&first),
        "{:?} + deny {:?}: {first:?} -> {stricter:?}",
        case.request,
        case.extra_deny
    );
});
