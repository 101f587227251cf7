//! The session's permission state: the host's policy, rules added during
//! the session ("always allow"), added directories and the current mode.

use std::path::{Path, PathBuf};

use ferrule_permissions::{
    Behavior, Decision, Mode, Policy, PolicyBuilder, Request, RuleSource, decide,
};
use ferrule_protocol::sdk::{
    PermissionBehavior, PermissionMode, PermissionRuleValue, PermissionUpdate,
};

/// Where the rules of the settings come from.
#[derive(Debug, Clone)]
enum Base {
    /// A builder: session rules and the mode are compiled into it.
    Builder(PolicyBuilder),
    /// A finished policy: session rules and mode changes are a second
    /// policy consulted when the first asks (see [`PermissionState::decide`]).
    Fixed(Box<Policy>),
}

/// Rules, directories and mode of one session; rebuilt on every change.
#[derive(Debug, Clone)]
pub(crate) struct PermissionState {
    base: Base,
    home: PathBuf,
    mode: Mode,
    base_mode: Mode,
    mode_before_plan: Option<Mode>,
    session_rules: Vec<(Behavior, String)>,
    added_dirs: Vec<String>,
    removed_dirs: Vec<String>,
    policy: Policy,
    overlay: Option<Policy>,
}

impl PermissionState {
    /// State from a builder (rules can be added and the mode changed exactly).
    pub(crate) fn from_builder(builder: PolicyBuilder, home: PathBuf) -> Self {
        let policy = builder.clone().build();
        let mode = policy.mode();
        Self {
            base: Base::Builder(builder),
            home,
            mode,
            base_mode: mode,
            mode_before_plan: None,
            session_rules: Vec::new(),
            added_dirs: Vec::new(),
            removed_dirs: Vec::new(),
            policy,
            overlay: None,
        }
    }

    /// State from a finished policy.
    pub(crate) fn from_policy(policy: Policy, home: PathBuf) -> Self {
        let mode = policy.mode();
        Self {
            base: Base::Fixed(Box::new(policy.clone())),
            home,
            mode,
            base_mode: mode,
            mode_before_plan: None,
            session_rules: Vec::new(),
            added_dirs: Vec::new(),
            removed_dirs: Vec::new(),
            policy,
            overlay: None,
        }
    }

    /// Takes the settings' rules from `builder` (settings re-read during
    /// the session); the mode, session rules and directories stay.
    pub(crate) fn replace_base(&mut self, builder: PolicyBuilder) {
        self.base = Base::Builder(builder);
        self.overlay = None;
        self.rebuild();
    }

    /// The current mode.
    pub(crate) fn mode(&self) -> Mode {
        self.mode
    }

    /// The mode that was active before plan mode was entered.
    pub(crate) fn mode_before_plan(&self) -> Option<Mode> {
        self.mode_before_plan
    }

    /// Switches the mode.
    pub(crate) fn set_mode(&mut self, mode: Mode) {
        if mode == self.mode {
            return;
        }
        if mode == Mode::Plan {
            self.mode_before_plan = Some(self.mode);
        } else if self.mode == Mode::Plan {
            self.mode_before_plan = None;
        }
        self.mode = mode;
        self.rebuild();
    }

    /// Directories added during the session.
    pub(crate) fn added_dirs(&self) -> &[String] {
        &self.added_dirs
    }

    /// Directories removed during the session.
    pub(crate) fn removed_dirs(&self) -> &[String] {
        &self.removed_dirs
    }

    /// Applies updates from an answer or a hook, for the rest of the
    /// session. Every destination is applied to the session; writing them
    /// to settings files is the host's business.
    pub(crate) fn apply(&mut self, updates: &[PermissionUpdate]) {
        if updates.is_empty() {
            return;
        }
        for update in updates {
            match update {
                PermissionUpdate::AddRules {
                    rules, behavior, ..
                } => {
                    let behavior = behavior_of(*behavior);
                    for rule in rules {
                        let entry = (behavior, rule_text(rule));
                        if !self.session_rules.contains(&entry) {
                            self.session_rules.push(entry);
                        }
                    }
                }
                PermissionUpdate::ReplaceRules {
                    rules, behavior, ..
                } => {
                    let behavior = behavior_of(*behavior);
                    self.session_rules.retain(|(b, _)| *b != behavior);
                    self.session_rules
                        .extend(rules.iter().map(|rule| (behavior, rule_text(rule))));
                }
                PermissionUpdate::RemoveRules {
                    rules, behavior, ..
                } => {
                    let behavior = behavior_of(*behavior);
                    let texts: Vec<String> = rules.iter().map(rule_text).collect();
                    self.session_rules
                        .retain(|(b, text)| !(*b == behavior && texts.contains(text)));
                }
                PermissionUpdate::SetMode { mode, .. } => {
                    let mode = mode_from_wire(*mode);
                    if mode == Mode::Plan && self.mode != Mode::Plan {
                        self.mode_before_plan = Some(self.mode);
                    }
                    self.mode = mode;
                }
                PermissionUpdate::AddDirectories { directories, .. } => {
                    for dir in directories {
                        self.removed_dirs.retain(|d| d != dir);
                        if !self.added_dirs.contains(dir) {
                            self.added_dirs.push(dir.clone());
                        }
                    }
                }
                PermissionUpdate::RemoveDirectories { directories, .. } => {
                    for dir in directories {
                        self.added_dirs.retain(|d| d != dir);
                        if !self.removed_dirs.contains(dir) {
                            self.removed_dirs.push(dir.clone());
                        }
                    }
                }
                other => tracing::warn!(?other, "permission update not understood; ignored"),
            }
        }
        self.rebuild();
    }

    /// Allows `rules` (settings syntax) for the rest of the session, as a
    /// loaded skill's `allowed-tools` asks.
    pub(crate) fn allow_for_session(&mut self, rules: &[String]) {
        let mut changed = false;
        for rule in rules {
            let entry = (Behavior::Allow, rule.clone());
            if !self.session_rules.contains(&entry) {
                self.session_rules.push(entry);
                changed = true;
            }
        }
        if changed {
            self.rebuild();
        }
    }

    /// Decides one call against the settings rules, the session rules and
    /// the mode.
    pub(crate) fn decide(&self, request: &Request) -> Decision {
        let decision = decide(&self.policy, request);
        let Some(overlay) = &self.overlay else {
            return decision;
        };
        // A fixed policy cannot take new rules or a new mode, so those live
        // in the overlay: the settings' deny still wins, plan mode can still
        // refuse what the settings allow, and what the settings would ask
        // is decided by the overlay (session rules, then the new mode).
        match decision.behavior {
            Behavior::Deny => decision,
            Behavior::Allow => {
                let second = decide(overlay, request);
                if second.behavior == Behavior::Deny
                    && (second.rule.is_some() || self.mode == Mode::Plan)
                {
                    second
                } else {
                    decision
                }
            }
            Behavior::Ask => {
                let second = decide(overlay, request);
                match second.behavior {
                    Behavior::Ask => decision,
                    Behavior::Allow | Behavior::Deny => second,
                }
            }
        }
    }

    fn rebuild(&mut self) {
        let session_source = |cwd: &Path| RuleSource {
            path: None,
            root: cwd.to_path_buf(),
        };
        match &self.base {
            Base::Builder(builder) => {
                let cwd = builder.clone().build().cwd().to_path_buf();
                let mut next = builder.clone().mode(self.mode);
                for behavior in [Behavior::Allow, Behavior::Ask, Behavior::Deny] {
                    let rules = self.rules_of(behavior);
                    if !rules.is_empty() {
                        next = next.rules(behavior, rules, session_source(&cwd));
                    }
                }
                for dir in &self.added_dirs {
                    next = next.additional_dir(dir.clone());
                }
                self.policy = next.build();
            }
            Base::Fixed(policy) => {
                let changed = self.mode != self.base_mode
                    || !self.session_rules.is_empty()
                    || !self.added_dirs.is_empty();
                self.overlay = changed.then(|| {
                    let cwd = policy.cwd().to_path_buf();
                    let mut next = PolicyBuilder::new(&cwd, &self.home).mode(self.mode);
                    for dir in policy.working_dirs().iter().skip(1) {
                        next = next.additional_dir(dir.display().to_string());
                    }
                    for dir in &self.added_dirs {
                        next = next.additional_dir(dir.clone());
                    }
                    for behavior in [Behavior::Allow, Behavior::Ask, Behavior::Deny] {
                        let rules = self.rules_of(behavior);
                        if !rules.is_empty() {
                            next = next.rules(behavior, rules, session_source(&cwd));
                        }
                    }
                    next.build()
                });
            }
        }
    }

    fn rules_of(&self, behavior: Behavior) -> Vec<String> {
        self.session_rules
            .iter()
            .filter(|(b, _)| *b == behavior)
            .map(|(_, text)| text.clone())
            .collect()
    }
}

/// `Tool` or `Tool(content)`.
pub(crate) fn rule_text(rule: &PermissionRuleValue) -> String {
    match &rule.rule_content {
        Some(content) => format!("{}({content})", rule.tool_name),
        None => rule.tool_name.clone(),
    }
}

fn behavior_of(behavior: PermissionBehavior) -> Behavior {
    match behavior {
        PermissionBehavior::Allow => Behavior::Allow,
        PermissionBehavior::Deny => Behavior::Deny,
        PermissionBehavior::Ask => Behavior::Ask,
    }
}

/// A wire mode as the permission engine's mode.
pub fn mode_from_wire(mode: PermissionMode) -> Mode {
    match mode {
        PermissionMode::Default => Mode::Default,
        PermissionMode::AcceptEdits => Mode::AcceptEdits,
        PermissionMode::Plan => Mode::Plan,
        PermissionMode::BypassPermissions => Mode::BypassPermissions,
        PermissionMode::DontAsk => Mode::DontAsk,
        PermissionMode::Auto => Mode::Auto,
        other => {
            tracing::warn!(?other, "unknown permission mode; using default");
            Mode::Default
        }
    }
}

/// The permission engine's mode as the wire spells it.
pub fn mode_to_wire(mode: Mode) -> PermissionMode {
    match mode {
        Mode::Default => PermissionMode::Default,
        Mode::AcceptEdits => PermissionMode::AcceptEdits,
        Mode::Auto => PermissionMode::Auto,
        Mode::BypassPermissions => PermissionMode::BypassPermissions,
        Mode::DontAsk => PermissionMode::DontAsk,
        Mode::Plan => PermissionMode::Plan,
    }
}
