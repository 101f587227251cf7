//! The pytest suite `tests/cloud/test_qca.py` with the real `qca-sdk` from
//! PyPI (venv cached under /var/cache/ferrule, created when missing).

use std::path::Path;

use ferrule_test_support::openai;

use super::common::{Harness, KEY};

#[tokio::test]
async fn the_qca_sdk_suite_passes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/cloud");
    let setup = tokio::process::Command::new("bash")
        .arg(root.join("setup_venv.sh"))
        .output()
        .await
        .unwrap();
    assert!(
        setup.status.success(),
        "venv setup failed: {}",
        String::from_utf8_lossy(&setup.stderr)
    );
    let python = String::from_utf8(setup.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_owned();

    let h = Harness::start().await;
    h.model.mount(openai::text_reply("Hello from ferrule."));
    h.model.mount(openai::tool_calls_reply(
        &[("call_1", "Bash", r#"{"command": "echo confirmed"}"#)],
        1,
    ));
    h.model.mount(openai::text_reply("It ran."));
    h.model.mount(openai::text_reply("Again."));
    // The dream's consolidation agent.
    h.model.mount(openai::text_reply("Nothing to merge."));
    let output = tokio::process::Command::new(&python)
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .arg(root.join("test_qca.py"))
        .env("QCA_BASE_URL", &h.base)
        .env("QCA_KEY", KEY)
        .env_remove("QODER_PAT")
        .env_remove("QODER_ACCESS_TOKEN")
        .env_remove("QODER_MANAGED_BASE_URL")
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "pytest failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
