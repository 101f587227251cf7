//! Session modes: ACP's `session/set_mode` ids and the permission modes
//! behind them.

use agent_client_protocol::v1::schema::{SessionMode, SessionModeId, SessionModeState};
use ferrule_permissions::Mode;

/// Every permission mode with its ACP id, name and description. The first
/// four are offered to the client; `dontAsk` and `auto` only when the
/// session starts in them (from settings or flags).
const MODES: &[(Mode, &str, &str, &str)] = &[
    (
        Mode::Default,
        "default",
        "Default",
        "Ask before edits and commands that no rule allows",
    ),
    (
        Mode::AcceptEdits,
        "acceptEdits",
        "Accept Edits",
        "Apply file edits in the working directories without asking",
    ),
    (
        Mode::Plan,
        "plan",
        "Plan",
        "Read and plan only: no edits, no commands with effects",
    ),
    (
        Mode::BypassPermissions,
        "bypassPermissions",
        "Bypass Permissions",
        "Run every tool without asking (like --yolo)",
    ),
    (
        Mode::DontAsk,
        "dontAsk",
        "Don't Ask",
        "Deny whatever would ask",
    ),
    (
        Mode::Auto,
        "auto",
        "Auto",
        "Decide without asking where the rules allow it",
    ),
];

/// How many of [`MODES`] are always offered.
const OFFERED: usize = 4;

/// The ACP id of `mode`.
pub(crate) fn mode_id(mode: Mode) -> &'static str {
    MODES
        .iter()
        .find(|(m, ..)| *m == mode)
        .map_or("default", |(_, id, ..)| id)
}

/// The permission mode an ACP mode id names.
pub(crate) fn mode_from_id(id: &str) -> Option<Mode> {
    MODES
        .iter()
        .find(|(_, mode_id, ..)| *mode_id == id)
        .map(|(mode, ..)| *mode)
}

/// The modes offered, with `current` selected.
pub(crate) fn mode_state(current: Mode) -> SessionModeState {
    let available = MODES
        .iter()
        .enumerate()
        .filter(|(index, (mode, ..))| *index < OFFERED || *mode == current)
        .map(|(_, (_, id, name, description))| {
            SessionMode::new(*id, *name).description(description.to_string())
        })
        .collect();
    SessionModeState::new(SessionModeId::new(mode_id(current)), available)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_unknown_ids_are_refused() {
        for (mode, id, ..) in MODES {
            assert_eq!(mode_id(*mode), *id);
            assert_eq!(mode_from_id(id), Some(*mode));
        }
        assert_eq!(mode_from_id("yolo"), None);
    }

    #[test]
    fn the_current_mode_is_always_listed() {
        let state = mode_state(Mode::DontAsk);
        assert_eq!(state.current_mode_id.0.as_ref(), "dontAsk");
        assert_eq!(state.available_modes.len(), OFFERED + 1);
        assert_eq!(mode_state(Mode::Plan).available_modes.len(), OFFERED);
    }
}
