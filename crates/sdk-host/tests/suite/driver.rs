//! A fake SDK for the protocol loop: writes lines into the host's stdin
//! and reads what it writes to stdout, over in-memory pipes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers outside #[test] functions; a failure should panic"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ferrule_sdk_host::{HostOptions, run};
use ferrule_setup::{Host, SetupOptions};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, Lines};
use tokio::task::JoinHandle;

pub(crate) struct Sandbox {
    pub(crate) dir: tempfile::TempDir,
}

impl Sandbox {
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("project")).unwrap();
        std::fs::create_dir(dir.path().join("home")).unwrap();
        Self { dir }
    }

    pub(crate) fn project(&self) -> PathBuf {
        self.dir.path().join("project")
    }

    /// Writes a scripted model and returns options using it.
    pub(crate) fn options(&self, turns: Value) -> HostOptions {
        let script = self.dir.path().join("script.json");
        std::fs::write(&script, json!({"turns": turns}).to_string()).unwrap();
        let home = self.dir.path().join("home");
        let env = BTreeMap::from([
            ("HOME".to_owned(), home.display().to_string()),
            ("FERRULE_HOME".to_owned(), home.display().to_string()),
        ]);
        let mut setup = SetupOptions::new(Host::Sdk, self.project(), env);
        setup.model = Some(format!("scripted/{}", script.display()));
        let mut options = HostOptions::new(setup);
        options.handle_signals = false;
        options
    }
}

pub(crate) struct Sdk {
    stdin: Option<DuplexStream>,
    stdout: Lines<BufReader<DuplexStream>>,
    host: JoinHandle<i32>,
}

impl Sdk {
    pub(crate) fn start(options: HostOptions) -> Self {
        let (stdin, host_stdin) = tokio::io::duplex(1 << 20);
        let (host_stdout, stdout) = tokio::io::duplex(1 << 20);
        let host = tokio::spawn(run(options, host_stdin, host_stdout));
        Self {
            stdin: Some(stdin),
            stdout: BufReader::new(stdout).lines(),
            host,
        }
    }

    pub(crate) async fn send_raw(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(line.as_bytes()).await.unwrap();
        stdin.write_all(b"\n").await.unwrap();
    }

    pub(crate) async fn send(&mut self, value: Value) {
        self.send_raw(&value.to_string()).await;
    }

    pub(crate) async fn request(&mut self, id: &str, request: Value) {
        self.send(json!({"type": "control_request", "request_id": id, "request": request}))
            .await;
    }

    pub(crate) async fn user(&mut self, text: &str) {
        self.send(
            json!({"type": "user", "session_id": "", "parent_tool_use_id": null,
                         "message": {"role": "user", "content": text}}),
        )
        .await;
    }

    /// The next stdout line, parsed; fails after 10 s.
    pub(crate) async fn next(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(10), self.stdout.next_line())
            .await
            .expect("the host wrote nothing for 10 s")
            .unwrap()
            .expect("stdout ended");
        ferrule_protocol::sdk::StreamMessage::from_line(&line)
            .unwrap_or_else(|e| panic!("host wrote an invalid line {line}: {e}"));
        serde_json::from_str(&line).unwrap()
    }

    /// Lines until one matches `pred` (returned last).
    pub(crate) async fn until(&mut self, pred: impl Fn(&Value) -> bool) -> Vec<Value> {
        let mut seen = Vec::new();
        loop {
            let line = self.next().await;
            let done = pred(&line);
            seen.push(line);
            if done {
                return seen;
            }
        }
    }

    pub(crate) async fn initialize(&mut self, extra: Value) -> Vec<Value> {
        let mut request = json!({"type": "initialize", "subtype": "initialize"});
        if let (Some(map), Value::Object(more)) = (request.as_object_mut(), extra) {
            map.extend(more);
        }
        self.request("init", request).await;
        self.until(|l| l["type"] == "control_response").await
    }

    /// Closes stdin and waits for the exit code.
    pub(crate) async fn finish(mut self) -> (i32, Vec<Value>) {
        drop(self.stdin.take());
        let mut rest = Vec::new();
        while let Ok(Some(line)) =
            tokio::time::timeout(Duration::from_secs(10), self.stdout.next_line())
                .await
                .expect("stdout did not end")
        {
            rest.push(serde_json::from_str(&line).unwrap());
        }
        let code = tokio::time::timeout(Duration::from_secs(10), self.host)
            .await
            .expect("the host did not exit")
            .unwrap();
        (code, rest)
    }
}

pub(crate) fn is_result(line: &Value) -> bool {
    line["type"] == "result"
}

pub(crate) fn file(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}
