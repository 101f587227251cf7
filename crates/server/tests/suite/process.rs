//! The process contract (`cloud-api.md` §15): the `ferrule-server` binary,
//! `keys create`, readiness, SIGTERM, and the seed quickstart's curl flow.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ferrule_test_support::{FakeModelServer, openai};

const BIN: &str = env!("CARGO_BIN_EXE_ferrule-server");

struct Process {
    child: Child,
    base: String,
}

impl Process {
    async fn start(data: &Path, model: &FakeModelServer, bootstrap: Option<&str>) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut command = Command::new(BIN);
        command
            .args([
                "serve",
                "--bind",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(data)
            .env("FERRULE_MODEL", "openai/fake-model")
            .env("OPENAI_BASE_URL", model.base_url())
            .env("OPENAI_API_KEY", "test")
            .env("FERRULE_HOME", data)
            .env("HOME", data)
            .env_remove("FERRULE_API_KEY")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if let Some(key) = bootstrap {
            command.env("FERRULE_API_KEY", key);
        }
        let child = command.spawn().unwrap();
        Self {
            child,
            base: format!("http://127.0.0.1:{port}/api/v1/cloud"),
        }
    }

    async fn wait_ready(&self, key: &str) {
        let client = reqwest::Client::new();
        for _ in 0..300 {
            let response = client
                .get(format!("{}/agents?limit=1", self.base))
                .bearer_auth(key)
                .send()
                .await;
            if response.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("server at {} never became ready", self.base);
    }

    fn terminate(mut self) -> std::process::ExitStatus {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
        for _ in 0..500 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        panic!("server did not exit on SIGTERM");
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn create_key(data: &Path) -> String {
    let output = Command::new(BIN)
        .args(["keys", "create", "ci"])
        .arg("--data-dir")
        .arg(data)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    stdout.lines().last().unwrap().trim().to_owned()
}

#[tokio::test]
async fn the_seed_quickstart_runs_against_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let model = FakeModelServer::openai().await.unwrap();
    model.mount(openai::tool_calls_reply(&[("call_1", "Bash", r#"{"command": "printf 'def fib(n):\\n    return n if n < 2 else fib(n-1) + fib(n-2)\\n' > fib.py && cat fib.py"}"#)], 3));
    model.mount(openai::text_reply("I wrote fib.py and it works."));
    model.mount(openai::text_reply("Hello World. The time is now."));
    let key = create_key(&data);
    assert!(key.len() > 40, "{key}");
    // The key is stored hashed, never in clear.
    let db = std::fs::read(data.join("ferrule-server.db")).unwrap();
    assert!(!db.windows(key.len()).any(|w| w == key.as_bytes()));
    let server = Process::start(&data, &model, None).await;
    server.wait_ready(&key).await;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/cloud/quickstart.sh");
    let output = tokio::process::Command::new("bash")
        .arg(&script)
        .env("BASE_URL", &server.base)
        .env("QODER_PAT", &key)
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "quickstart failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("quickstart: ok"));
    assert!(data.join("workspaces").read_dir().unwrap().count() >= 2);
    let status = server.terminate();
    assert!(status.success(), "SIGTERM exit: {status}");
}

#[tokio::test]
async fn bootstrap_key_and_restart_on_the_same_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let model = FakeModelServer::openai().await.unwrap();
    let server = Process::start(&data, &model, Some("boot-key")).await;
    server.wait_ready("boot-key").await;
    let client = reqwest::Client::new();
    let agent: serde_json::Value = client
        .post(format!("{}/agents", server.base))
        .bearer_auth("boot-key")
        .json(&serde_json::json!({"name": "kept", "model": "ultimate"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(server.terminate().success());
    // Without the bootstrap variable the old key is no longer accepted…
    let key = create_key(&data);
    let server = Process::start(&data, &model, None).await;
    server.wait_ready(&key).await;
    let denied = client
        .get(format!("{}/agents", server.base))
        .bearer_auth("boot-key")
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), reqwest::StatusCode::UNAUTHORIZED);
    // …and the data is still there.
    let got: serde_json::Value = client
        .get(format!(
            "{}/agents/{}",
            server.base,
            agent["id"].as_str().unwrap()
        ))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got, agent);
}
