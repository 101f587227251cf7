//! Interop checks against the real `qoder-agent-sdk`: run by the
//! interpreter in `FERRULE_TEST_PYTHON`, else by the SDK venv that
//! `tests/sdk/setup.sh` makes (`FERRULE_SDK_VENV`, default
//! /var/cache/ferrule/venv-sdk). Without an interpreter that imports the SDK
//! each test says so on stderr and returns early, except on CI, where that
//! fails the test.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use ferrule_protocol::Message;
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use super::{Env, missing_prerequisite, reply};

/// The interpreter to use: `FERRULE_TEST_PYTHON`, else the SDK venv's
/// python after `tests/sdk/setup.sh` (once per test process); `None` when
/// the setup fails.
fn sdk_python() -> Option<PathBuf> {
    if let Some(python) = std::env::var_os("FERRULE_TEST_PYTHON") {
        return Some(PathBuf::from(python));
    }
    static VENV: OnceLock<Option<PathBuf>> = OnceLock::new();
    VENV.get_or_init(|| {
        let venv = std::env::var_os("FERRULE_SDK_VENV").map_or_else(
            || PathBuf::from("/var/cache/ferrule/venv-sdk"),
            PathBuf::from,
        );
        let setup = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/sdk/setup.sh");
        let ok = Command::new("sh")
            .arg(setup)
            .env("FERRULE_SDK_VENV", &venv)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| venv.join("bin/python"))
    })
    .clone()
}

/// Run `script` with the SDK's user directory set to `home` (on the child
/// only); `None` when the SDK is not importable.
fn run_python(home: &Path, script: &str, args: &[&Path]) -> Option<String> {
    let Some(python) = sdk_python() else {
        missing_prerequisite("tests/sdk/setup.sh could not make the qoder-agent-sdk venv");
        return None;
    };
    let imports = Command::new(&python)
        .args(["-c", "import qoder_agent_sdk"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !imports {
        missing_prerequisite(&format!(
            "qoder-agent-sdk is not importable by {}",
            python.display()
        ));
        return None;
    }
    let output = Command::new(&python)
        .args(["-c", script])
        .args(args)
        .env("QODER_CONFIG_DIR", home)
        .output()
        .expect("run the SDK's python");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(String::from_utf8(output.stdout).expect("utf-8 output"))
}

#[test]
fn project_dir_equals_the_python_sdk() {
    let env = Env::new();
    let cwd = env
        .cwd()
        .join(format!("Ünïcode dir 😀 {}", "n".repeat(210)));
    std::fs::create_dir(&cwd).unwrap();
    let script = "import sys\nfrom qoder_agent_sdk._internal.sessions import project_key_for_directory as k\nprint(k(sys.argv[1]))";
    let Some(theirs) = run_python(env.home.path(), script, &[&cwd]) else {
        return;
    };
    assert_eq!(ferrule_session::project_dir_name(&cwd), theirs.trim_end());
}

#[test]
fn python_sdk_lists_and_reads_our_transcripts() {
    let env = Env::new();
    let mut session = env.new_session();
    session
        .transcript
        .append_user(&Message::user("hello sdk"))
        .unwrap();
    session
        .transcript
        .append_assistant(&reply("hello rust"))
        .unwrap();
    let id = session.transcript.session_id().to_owned();
    env.store.rename(env.cwd(), &id, "Interop").unwrap();
    env.store.tag(env.cwd(), &id, "checked").unwrap();

    let script = r#"
import json, sys
from qoder_agent_sdk import list_sessions, get_session_messages
d = sys.argv[1]
infos = [{"id": s.session_id, "summary": s.summary, "title": s.custom_title,
          "tag": getattr(s, "tag", None), "first": s.first_prompt}
         for s in list_sessions(directory=d)]
msgs = [{"type": m.type, "message": m.message}
        for m in get_session_messages(infos[0]["id"], directory=d)] if infos else []
print(json.dumps({"sessions": infos, "messages": msgs}))
"#;
    let Some(out) = run_python(env.home.path(), script, &[env.cwd()]) else {
        return;
    };
    let got: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        got,
        json!({
            "sessions": [{"id": id, "summary": "Interop", "title": "Interop",
                          "tag": "checked", "first": "hello sdk"}],
            "messages": [
                {"type": "user", "message": {"role": "user", "content": "hello sdk"}},
                {"type": "assistant", "message": {"type": "message", "role": "assistant",
                    "model": "scripted/test", "content": [{"type": "text", "text": "hello rust"}]}},
            ]
        })
    );
}

#[test]
fn sdk_rename_tag_and_fork_of_our_session_read_back_here() {
    let env = Env::new();
    let mut session = env.new_session();
    session
        .transcript
        .append_user(&Message::user("q1"))
        .unwrap();
    let a1 = session.transcript.append_assistant(&reply("a1")).unwrap();
    session
        .transcript
        .append_user(&Message::user("q2"))
        .unwrap();
    let id = session.transcript.session_id().to_owned();
    let a1_uuid = a1.uuid.unwrap();

    let script = r#"
import sys
from qoder_agent_sdk._internal.session_mutations import rename_session, tag_session, fork_session
d, sid, upto = sys.argv[1], sys.argv[2], sys.argv[3]
rename_session(sid, "Renamed by the SDK", directory=d)
tag_session(sid, "sdk-tag", directory=d)
print(fork_session(sid, directory=d, up_to_message_id=upto).session_id)
"#;
    let Some(out) = run_python(
        env.home.path(),
        script,
        &[env.cwd(), Path::new(&id), Path::new(&a1_uuid)],
    ) else {
        return;
    };
    let fork_id = out.trim().to_owned();

    let listed = env.store.list(env.cwd()).unwrap();
    let ours = listed.iter().find(|i| i.session_id == id).unwrap();
    assert_eq!(
        (ours.custom_title.as_deref(), ours.tag.as_deref()),
        (Some("Renamed by the SDK"), Some("sdk-tag"))
    );
    let fork = env.store.open(env.cwd(), &Env::resume(&fork_id)).unwrap();
    assert_eq!(
        fork.conversation.messages,
        vec![Message::user("q1"), super::reply_message("a1")]
    );
    assert_eq!(fork.conversation.diagnostics, vec![]);
}
