//! The Bash checker (reference §3.5): deny rules on every occurrence,
//! catastrophic removals, ask rules, allow per segment, read-only commands,
//! dangerous commands, and redirections as writes.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::checkers::{read_check, string_field, write_check};
use crate::commands::{dangerous, read_only};
use crate::decide::Verdict;
use crate::decision::{AskKind, Behavior};
use crate::policy::Policy;
use crate::protected::protected_reason;
use crate::shell::{Analysis, Redirect, Segment, SimpleCommand, Word, analyze};
use crate::wrappers::{allow_start, program_name};

pub(crate) fn check_bash(policy: &Policy, input: &Value) -> Verdict {
    let Some(command) = string_field(input, &["command"]) else {
        return Verdict::deny(None, "Bash input has no string `command`");
    };
    if command.trim().is_empty() {
        return Verdict::deny(None, "the Bash command is empty");
    }
    let analysis = analyze(command);

    // 1. Deny rules see every occurrence; deny path rules see redirect
    //    targets and what read-only commands read.
    let deny = analysis
        .occurrences
        .iter()
        .filter_map(|occurrence| policy.deny.bash.first_match(occurrence))
        .min();
    if let Some(rule) = deny {
        return Verdict::deny(
            Some(rule),
            format!("deny rule `{}` matches the command", policy.rule_text(rule)),
        );
    }
    if let Some(verdict) = path_checks(policy, &analysis, Behavior::Deny) {
        return verdict;
    }

    // 2. Catastrophic removals are not affected by allow rules or modes.
    if let Some(why) = catastrophic(policy, &analysis) {
        return Verdict::ask(AskKind::Catastrophic, None, why);
    }

    // 3. Ask rules see every occurrence.
    let ask = analysis
        .occurrences
        .iter()
        .filter_map(|occurrence| policy.ask.bash.first_match(occurrence))
        .min();
    if let Some(rule) = ask {
        return Verdict::ask(
            AskKind::Rule,
            Some(rule),
            format!("ask rule `{}` matches the command", policy.rule_text(rule)),
        );
    }
    if let Some(verdict) = path_checks(policy, &analysis, Behavior::Ask) {
        return verdict;
    }

    // 4. Allow: the exact command, or every segment on its own.
    let candidate = match policy.allow.bash.exact_match(command) {
        Some(rule) => Some(Verdict::allow(
            Some(rule),
            format!(
                "allow rule `{}` is the exact command",
                policy.rule_text(rule)
            ),
        )),
        None => match segments_allowed(policy, &analysis) {
            Ok(candidate) => candidate,
            Err(verdict) => return verdict,
        },
    };

    // 5. Dangerous commands ask even when allowed.
    for command in &analysis.commands {
        for &start in &command.starts {
            if let Some(why) = command.argv(start).and_then(|argv| dangerous(&argv)) {
                return Verdict::ask(AskKind::Safety, None, format!("dangerous command: {why}"));
            }
        }
    }

    // 6. Output redirections are writes of their targets.
    let mut inside_write = false;
    for redirect in &analysis.redirects {
        let Redirect::Write(word) = redirect else {
            continue;
        };
        let Some(path) = static_path(policy, word) else {
            return Verdict::ask(
                AskKind::Outside,
                None,
                format!("redirection target `{}` cannot be resolved", word.text()),
            );
        };
        let verdict = write_check(policy, "Edit", &path);
        match (verdict.behavior, verdict.kind) {
            (Behavior::Allow, _) => {}
            (Behavior::Ask, Some(AskKind::NoRule)) => inside_write = true,
            _ => return verdict,
        }
    }
    match candidate {
        Some(verdict) => verdict,
        None if inside_write => Verdict::ask(
            AskKind::NoRule,
            None,
            "the command writes a file in the workspace",
        ),
        None => Verdict::ask(AskKind::NoRule, None, "no allow rule covers the command"),
    }
}

/// A dangerous command or an output redirection to a protected path
/// anywhere in the command, whatever rule decided it. `auto` mode uses it:
/// an ask rule's verdict comes before those checks and can hide them.
pub(crate) fn safety_concern(policy: &Policy, input: &Value) -> Option<String> {
    let analysis = analyze(string_field(input, &["command"])?);
    for command in &analysis.commands {
        for &start in &command.starts {
            if let Some(why) = command.argv(start).and_then(|argv| dangerous(&argv)) {
                return Some(format!("dangerous command: {why}"));
            }
        }
    }
    analysis.redirects.iter().find_map(|redirect| {
        let Redirect::Write(word) = redirect else {
            return None;
        };
        let path = static_path(policy, word)?;
        protected_reason(&path).map(|why| format!("{} is protected ({why})", path.display()))
    })
}

/// The path of a static word (`~` and `..` resolved); `None` for dynamic
/// words and globs that could climb out (`.*` matches `..`).
fn static_path(policy: &Policy, word: &Word) -> Option<PathBuf> {
    let value = word.value()?;
    let climbs = value
        .split('/')
        .any(|part| part.starts_with('.') && part.contains(['*', '?', '[']));
    // `~user/…` is another user's home; `{a,b}` and `{1..3}` expand to
    // paths the text does not show.
    let other_home = value.starts_with('~') && value != "~" && !value.starts_with("~/");
    (!climbs && !other_home && !has_brace_expansion(value)).then(|| policy.resolve(value))
}

/// Whether a static word would be brace-expanded by the shell.
fn has_brace_expansion(value: &str) -> bool {
    value.split('{').skip(1).any(|rest| {
        rest.split('}').next().is_some_and(|inner| {
            rest.contains('}') && (inner.contains(',') || inner.contains(".."))
        })
    })
}

/// What a read-only simple command reads, if it is read-only.
fn read_paths(command: &SimpleCommand) -> Option<Vec<&str>> {
    let start = allow_start(command)?;
    let argv = command.argv(start)?;
    read_only(&argv)
}

/// Deny (or ask) path rules on redirect targets and on the files read-only
/// commands (at any depth) read: the first check that yields `wanted`.
/// Write targets only take part in the deny pass; their asks come later.
fn path_checks(policy: &Policy, analysis: &Analysis, wanted: Behavior) -> Option<Verdict> {
    let mut checks: Vec<(PathBuf, bool)> = Vec::new();
    for redirect in &analysis.redirects {
        match redirect {
            Redirect::Write(word) if wanted == Behavior::Deny => {
                checks.extend(static_path(policy, word).map(|p| (p, true)));
            }
            Redirect::Write(_) => {}
            Redirect::Read(word) => checks.extend(static_path(policy, word).map(|p| (p, false))),
        }
    }
    for command in &analysis.commands {
        for path in read_paths(command).unwrap_or_default() {
            checks.extend(static_path(policy, &Word::Static(path.to_string())).map(|p| (p, false)));
        }
    }
    checks.into_iter().find_map(|(path, write)| {
        let verdict = if write {
            write_check(policy, "Edit", &path)
        } else {
            read_check(policy, "Read", &path, false)
        };
        let hit = match wanted {
            Behavior::Ask => verdict.kind == Some(AskKind::Rule),
            Behavior::Allow | Behavior::Deny => verdict.behavior == wanted,
        };
        hit.then_some(verdict)
    })
}

/// Whether each top-level segment is allowed on its own: by an allow rule,
/// or as a read-only command whose reads pass the Read check. `Err` is a
/// decision forced by a read check (an ask rule on a read path).
fn segments_allowed(policy: &Policy, analysis: &Analysis) -> Result<Option<Verdict>, Verdict> {
    if analysis.opaque.is_some() || analysis.nested || analysis.segments.is_empty() {
        return Ok(None);
    }
    let mut first_rule = None;
    let mut reasons = Vec::new();
    for segment in &analysis.segments {
        match segment_allowed(policy, analysis, segment)? {
            Some((rule, why)) => {
                first_rule = first_rule.or(rule);
                reasons.push(why);
            }
            None => return Ok(None),
        }
    }
    Ok(Some(Verdict::allow(first_rule, reasons.join("; "))))
}

fn segment_allowed(
    policy: &Policy,
    analysis: &Analysis,
    segment: &Segment,
) -> Result<Option<(Option<usize>, String)>, Verdict> {
    let Some(command) = segment.command.and_then(|i| analysis.commands.get(i)) else {
        return Ok(None);
    };
    if segment.nested {
        return Ok(None);
    }
    if !policy.allow.bash.is_empty() {
        let rule = segment
            .allow_texts(analysis)
            .into_iter()
            .filter_map(|text| policy.allow.bash.first_match(text))
            .min();
        if let Some(rule) = rule {
            return Ok(Some((
                Some(rule),
                format!(
                    "`{}` is allowed by `{}`",
                    segment.text,
                    policy.rule_text(rule)
                ),
            )));
        }
    }
    if segment.writes {
        return Ok(None);
    }
    let Some(paths) = read_paths(command) else {
        return Ok(None);
    };
    let mut paths: Vec<Option<PathBuf>> = paths
        .iter()
        .map(|p| static_path(policy, &Word::Static((*p).to_string())))
        .collect();
    for redirect in &analysis.redirects {
        if let Redirect::Read(word) = redirect {
            paths.push(static_path(policy, word));
        }
    }
    for path in paths {
        let Some(path) = path else { return Ok(None) };
        let verdict = read_check(policy, "Read", &path, false);
        match (verdict.behavior, verdict.kind) {
            (Behavior::Allow, _) => {}
            (Behavior::Ask, Some(AskKind::Rule)) | (Behavior::Deny, _) => return Err(verdict),
            _ => return Ok(None),
        }
    }
    Ok(Some((None, format!("`{}` is read-only", segment.text))))
}

/// Removals of `/`, the home directory, a working directory or one of their
/// ancestors, or of a target that is only a substitution.
fn catastrophic(policy: &Policy, analysis: &Analysis) -> Option<String> {
    for command in &analysis.commands {
        for &start in &command.starts {
            let words = &command.words[start..];
            let Some(name) = words.first().and_then(Word::value) else {
                continue;
            };
            if !matches!(program_name(name), "rm" | "rmdir") {
                continue;
            }
            let mut options_done = false;
            for word in &words[1..] {
                if let Some(value) = word.value() {
                    if !options_done && value == "--" {
                        options_done = true;
                        continue;
                    }
                    if !options_done && value.starts_with('-') {
                        continue;
                    }
                }
                if let Some(why) = catastrophic_target(policy, word) {
                    return Some(why);
                }
            }
        }
    }
    None
}

fn catastrophic_target(policy: &Policy, word: &Word) -> Option<String> {
    match word {
        Word::Dynamic(raw) => {
            let bare = raw.trim_matches('"');
            let bare = bare.trim_end_matches('*').trim_end_matches('/');
            let only_expansion = (bare.starts_with('$') || bare.starts_with('`'))
                && !bare[1..].contains(['/', '.'])
                && !bare.is_empty();
            only_expansion.then(|| format!("removal of `{raw}`, a target known only at run time"))
        }
        Word::Static(value)
            if has_brace_expansion(value)
                || (value.starts_with('~') && value != "~" && !value.starts_with("~/")) =>
        {
            Some(format!(
                "removal of `{value}`, whose targets the text does not show"
            ))
        }
        Word::Static(value) => {
            let value = value.trim_end_matches('*');
            let path = policy.resolve(if value.is_empty() { "." } else { value });
            let critical = |dir: &Path| dir.starts_with(&path);
            let hit = path == Path::new("/")
                || critical(&policy.home)
                || policy.working_dirs.iter().any(|dir| critical(dir));
            hit.then(|| format!("removal of `{value}` would delete {}", path.display()))
        }
    }
}
