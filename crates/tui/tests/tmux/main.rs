//! The interface driven through tmux against a fake model server: the real
//! `ferrule` binary in a private tmux server per test, keys in with
//! `send-keys`, the screen out with `capture-pane`.
#![allow(
    clippy::expect_used,
    reason = "test helpers fail the test on a setup error"
)]

mod harness;
mod mcp;

use ferrule_test_support::{FakeModelServer, Reply, openai};
use harness::{Project, Tui};

async fn server() -> FakeModelServer {
    FakeModelServer::openai().await.expect("fake server")
}

fn tool_call(id: &str, name: &str, input: serde_json::Value) -> Reply {
    openai::tool_calls_reply(&[(id, name, &input.to_string())], 3)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prompt_streams_an_answer() {
    let server = server().await;
    let mut frames = openai::text_frames("Hello from the **fake** model, in several pieces.", 6);
    frames.push(openai::finish("stop"));
    frames.push(openai::usage(1200, 34));
    frames.push(openai::done());
    server.mount(Reply::sse(frames).chunk_delay(std::time::Duration::from_millis(150)));
    let tui = Tui::start(Project::new(), &server.base_url());
    tui.ready();
    tui.type_text("say hello");
    tui.keys(&["Enter"]);
    // While it streams: the spinner line with elapsed time.
    tui.wait_text("Working…");
    let screen = tui.wait_text("Hello from the fake model, in several pieces.");
    assert!(screen.contains("> say hello"), "{screen}");
    tui.wait_for("the status line to clear", |s| !s.contains("Working…"));
    let screen = tui.wait_text("1.2k tokens");
    assert!(
        screen.contains("openai/fake-gpt") || screen.contains("fake-gpt"),
        "{screen}"
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert!(requests[0].body.to_string().contains("say hello"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_always_writes_the_rule_to_local_settings() {
    let server = server().await;
    server.mount(tool_call(
        "call_1",
        "Bash",
        serde_json::json!({"command": "touch made.txt"}),
    ));
    server.mount(openai::text_reply("Made the file."));
    let tui = Tui::start(Project::new(), &server.base_url());
    tui.ready();
    tui.type_text("make a file");
    tui.keys(&["Enter"]);
    let screen = tui.wait_text("Allow Bash(touch made.txt)?");
    assert!(
        screen.contains("Yes, and don't ask again for Bash(touch made.txt:*)"),
        "{screen}"
    );
    tui.keys(&["2"]);
    let screen = tui.wait_text("Made the file.");
    assert!(
        screen.contains("Added Bash(touch made.txt:*) to permissions.allow in"),
        "{screen}"
    );
    let proj = tui.project.dir();
    assert!(proj.join("made.txt").exists());
    let settings: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(proj.join(".qoder/settings.local.json"))
            .expect("settings written"),
    )
    .expect("settings are JSON");
    assert_eq!(
        settings["permissions"]["allow"],
        serde_json::json!(["Bash(touch made.txt:*)"])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deny_with_feedback_goes_to_the_model() {
    let server = server().await;
    server.mount(tool_call(
        "call_1",
        "Bash",
        serde_json::json!({"command": "rm -f notes.txt"}),
    ));
    server.mount(openai::text_reply("Understood, keeping it."));
    let tui = Tui::start(Project::new(), &server.base_url());
    tui.ready();
    tui.type_text("clean up");
    tui.keys(&["Enter"]);
    tui.wait_text("Allow Bash(rm -f notes.txt)?");
    tui.keys(&["n"]);
    tui.wait_text("Feedback:");
    tui.type_text("keep the notes");
    tui.keys(&["Enter"]);
    tui.wait_text("Understood, keeping it.");
    let second = server.requests()[1].body.to_string();
    assert!(second.contains("keep the notes"), "{second}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_a_running_bash_and_a_second_one_exits() {
    let server = server().await;
    let marker = format!("sleep 37.{}", std::process::id() % 1000);
    server.mount(tool_call(
        "call_1",
        "Bash",
        serde_json::json!({"command": marker}),
    ));
    let tui = Tui::start(Project::new(), &server.base_url());
    tui.ready();
    tui.type_text("wait a bit");
    tui.keys(&["Enter"]);
    tui.wait_text("Allow Bash(sleep 37");
    tui.keys(&["1"]);
    tui.wait_text("Running…");
    let running = || {
        std::process::Command::new("pgrep")
            .args(["-f", &marker])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    assert!(running(), "the Bash command should be running");
    tui.keys(&["C-c"]);
    let screen = tui.wait_text("Interrupted");
    assert!(screen.contains("Press Ctrl-C again to exit"), "{screen}");
    tui.wait_for("the status line to clear", |s| {
        !s.contains("Working…") && !s.contains("Interrupting…")
    });
    let start = std::time::Instant::now();
    while running() && start.elapsed() < harness::WAIT {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(!running(), "the Bash command is still running after Ctrl-C");
    assert_eq!(
        server.requests().len(),
        1,
        "an interrupted turn sends nothing more"
    );
    tui.keys(&["C-c"]);
    tui.keys(&["C-c"]);
    tui.wait_text("EXIT=0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_terminal_is_restored_after_exit() {
    let server = server().await;
    let tui = Tui::start(Project::new(), &server.base_url());
    tui.ready();
    assert!(
        tui.alternate_screen(),
        "the interface uses the alternate screen"
    );
    tui.type_text("/mcp");
    tui.keys(&["Enter"]);
    tui.wait_text("No MCP servers are configured");
    tui.type_text("/exit");
    tui.keys(&["Enter"]);
    let screen = tui.wait_for("the exit code and the stty modes", |s| {
        s.contains("EXIT=0") && s.contains("icanon")
    });
    // Cooked mode again: canonical input and echo are back on.
    let modes = screen
        .lines()
        .find(|line| line.contains("icanon"))
        .unwrap_or_default()
        .to_owned();
    assert!(modes.split_whitespace().any(|w| w == "icanon"), "{screen}");
    assert!(modes.split_whitespace().any(|w| w == "echo"), "{screen}");
    assert!(!tui.alternate_screen(), "left the alternate screen");
    assert!(
        screen.contains("Resume this session with: ferrule --resume"),
        "{screen}"
    );
    assert!(server.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rewind_previews_asks_then_puts_files_back_and_forgets_reads() {
    let server = server().await;
    let project = Project::new();
    std::fs::write(
        project.base.join("user/settings.json"),
        r#"{"general": {"fileCheckpointing": {"enabled": true}},
            "permissions": {"allow": ["Edit", "Write"]}}"#,
    )
    .expect("user settings");
    let notes = project.dir().join("notes.md");
    std::fs::write(&notes, "first\n").expect("notes");
    let created = project.dir().join("new.md");
    let path = |p: &std::path::Path| p.display().to_string();
    server.mount(tool_call(
        "call_1",
        "Read",
        serde_json::json!({"file_path": path(&notes)}),
    ));
    server.mount(tool_call(
        "call_2",
        "Edit",
        serde_json::json!({"file_path": path(&notes), "old_string": "first", "new_string": "second\nthird"}),
    ));
    server.mount(tool_call(
        "call_3",
        "Write",
        serde_json::json!({"file_path": path(&created), "content": "created\n"}),
    ));
    server.mount(openai::text_reply("Changed the notes."));
    let tui = Tui::start(project, &server.base_url());
    tui.ready();
    tui.type_text("change notes");
    tui.keys(&["Enter"]);
    tui.wait_text("Changed the notes.");
    assert!(created.exists());
    tui.type_text("/rewind");
    tui.keys(&["Enter"]);
    tui.wait_text("1. change notes");
    tui.type_text("/rewind 1");
    tui.keys(&["Enter"]);
    // The dry run: files and lines, then a question; nothing changed yet.
    let screen = tui.wait_text("Yes, rewind the files");
    assert!(
        screen.contains("puts back 2 files (+1 −3 lines)"),
        "{screen}"
    );
    assert!(
        screen.contains("new.md") && screen.contains("notes.md"),
        "{screen}"
    );
    assert!(created.exists(), "the preview changes nothing");
    tui.keys(&["1"]);
    let screen = tui.wait_text("Rewound the files");
    assert!(screen.contains("The conversation is kept."), "{screen}");
    assert!(
        !created.exists(),
        "the created file is gone after the rewind"
    );
    assert_eq!(std::fs::read_to_string(&notes).expect("notes"), "first\n");
    // Like the SDK's rewind_files, the session forgot its reads: a Write of
    // the restored file must Read it again.
    server.mount(tool_call(
        "call_4",
        "Write",
        serde_json::json!({"file_path": path(&notes), "content": "overwritten\n"}),
    ));
    server.mount(openai::text_reply("Tried to write."));
    tui.type_text("write the notes");
    tui.keys(&["Enter"]);
    tui.wait_text("Tried to write.");
    assert_eq!(std::fs::read_to_string(&notes).expect("notes"), "first\n");
    let requests = server.requests();
    let last = requests.last().expect("requests").body.to_string();
    assert!(last.contains("has not been read yet"), "{last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rewind_can_be_declined() {
    let server = server().await;
    let project = Project::new();
    std::fs::write(
        project.base.join("user/settings.json"),
        r#"{"general": {"fileCheckpointing": {"enabled": true}}, "permissions": {"allow": ["Write"]}}"#,
    )
    .expect("user settings");
    let file = project.dir().join("notes.md");
    let input =
        serde_json::json!({"file_path": file.display().to_string(), "content": "new notes\n"});
    server.mount(tool_call("call_1", "Write", input));
    server.mount(openai::text_reply("Wrote the notes."));
    let tui = Tui::start(project, &server.base_url());
    tui.ready();
    tui.type_text("write notes");
    tui.keys(&["Enter"]);
    tui.wait_text("Wrote the notes.");
    tui.type_text("/rewind 1");
    tui.keys(&["Enter"]);
    tui.wait_text("Yes, rewind the files");
    tui.keys(&["2"]);
    tui.wait_text("Rewind cancelled: no file changed.");
    assert!(file.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clear_starts_over_and_resume_brings_the_conversation_back() {
    let server = server().await;
    server.mount(openai::text_reply("First answer."));
    let tui = Tui::start(Project::new(), &server.base_url());
    tui.ready();
    tui.type_text("first question");
    tui.keys(&["Enter"]);
    tui.wait_text("First answer.");
    tui.type_text("/clear");
    tui.keys(&["Enter"]);
    let screen = tui.wait_text("Started a new conversation.");
    assert!(!screen.contains("First answer."), "{screen}");
    tui.type_text("/resume");
    tui.keys(&["Enter"]);
    tui.wait_text("1. first question");
    tui.type_text("/resume 1");
    tui.keys(&["Enter"]);
    let screen = tui.wait_text("Resumed session");
    assert!(screen.contains("> first question"), "{screen}");
    assert!(screen.contains("First answer."), "{screen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trusting_the_folder_loads_project_settings() {
    let server = server().await;
    server.mount(tool_call(
        "call_1",
        "Bash",
        serde_json::json!({"command": "touch made.txt"}),
    ));
    server.mount(openai::text_reply("Done without asking."));
    let project = Project::new();
    let proj = project.dir();
    std::fs::create_dir_all(proj.join(".qoder")).expect("mkdir");
    std::fs::write(
        proj.join(".qoder/settings.json"),
        r#"{"permissions": {"allow": ["Bash(touch made.txt)"]}}"#,
    )
    .expect("project settings");
    let user_settings = project.base.join("user/settings.json");
    let tui = Tui::start(project, &server.base_url());
    tui.wait_text("Do you trust the files in");
    tui.keys(&["1"]);
    let screen = tui.wait_text("Trusted this folder");
    assert!(!screen.contains("This folder is not trusted"), "{screen}");
    let written = std::fs::read_to_string(&user_settings).expect("user settings written");
    assert!(written.contains(&proj.display().to_string()), "{written}");
    tui.type_text("make it");
    tui.keys(&["Enter"]);
    let screen = tui.wait_text("Done without asking.");
    assert!(!screen.contains("Allow Bash"), "{screen}");
    assert!(proj.join("made.txt").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_commands_complete_expand_and_go_to_the_model() {
    let server = server().await;
    server.mount(openai::text_reply("Hello, Ferris!"));
    let project = Project::new();
    let commands = project.base.join("user/commands");
    std::fs::create_dir_all(&commands).expect("mkdir");
    std::fs::write(
        commands.join("greet.md"),
        "---\ndescription: Greet someone\n---\nSay hello to $ARGUMENTS. Today: !`echo sunny`\n",
    )
    .expect("command file");
    // A broken settings file is reported on screen, not silently dropped.
    std::fs::write(project.base.join("user/settings.json"), "{\"model\": }").expect("settings");
    let tui = Tui::start(project, &server.base_url());
    tui.ready();
    let screen = tui.screen();
    assert!(
        screen.contains("settings: ") && screen.contains("settings.json:1"),
        "{screen}"
    );
    tui.type_text("/gre");
    tui.wait_text("Greet someone (user)");
    tui.keys(&["Tab"]);
    tui.type_text("Ferris");
    tui.keys(&["Enter"]);
    tui.wait_text("Hello, Ferris!");
    let body = server.requests()[0].body.to_string();
    assert!(body.contains("Say hello to Ferris. Today: sunny"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commands_allowed_tools_run_its_shell_part_and_the_models_calls_unasked() {
    let server = server().await;
    server.mount(openai::tool_calls_reply(
        &[("call_t", "Bash", r#"{"command":"touch by-model.txt"}"#)],
        2,
    ));
    server.mount(openai::text_reply("Stamped twice."));
    let project = Project::new();
    let commands = project.base.join("user/commands");
    std::fs::create_dir_all(&commands).expect("mkdir");
    std::fs::write(
        commands.join("stamp.md"),
        "---\ndescription: Stamp the folder\nallowed-tools: Bash(touch:*)\n---\n\
         Stamped: !`touch by-command.txt && echo yes`\n",
    )
    .expect("command file");
    let dir = project.dir();
    let tui = Tui::start(project, &server.base_url());
    tui.ready();
    tui.type_text("/stamp");
    tui.keys(&["Enter"]);
    // Neither touch asks: the run reaches the model's last answer.
    tui.wait_text("Stamped twice.");
    assert!(dir.join("by-command.txt").exists());
    assert!(dir.join("by-model.txt").exists());
    let body = server.requests()[0].body.to_string();
    assert!(body.contains("Stamped: yes"), "{body}");
}

/// The first non-system message of a chat completions request, as text.
fn first_message(body: &serde_json::Value) -> String {
    body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .find(|m| m["role"] != "system")
        .expect("a non-system message")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compact_summarizes_with_instructions_and_keeps_pins() {
    let server = server().await;
    for answer in ["First answer.", "Second answer.", "Third answer."] {
        server.mount(openai::text_reply(answer));
    }
    server.mount(openai::text_reply("SUMMARY: the user keeps a todo list."));
    server.mount(openai::text_reply("Still here."));
    let project = Project::new();
    std::fs::write(project.dir().join("notes.txt"), "pinned-notes-content\n").expect("notes");
    let tui = Tui::start(project, &server.base_url());
    tui.ready();
    for (prompt, answer) in [
        ("todo: buy milk", "First answer."),
        ("todo: walk dog", "Second answer."),
        ("todo: file taxes", "Third answer."),
    ] {
        tui.type_text(prompt);
        tui.keys(&["Enter"]);
        tui.wait_text(answer);
        tui.wait_for("the turn to end", |s| !s.contains("Working…"));
    }
    tui.type_text("/pin");
    tui.keys(&["Enter"]);
    tui.wait_text("Pinned the last answer");
    tui.type_text("/pin missing.txt");
    tui.keys(&["Enter"]);
    tui.wait_text("missing.txt is not a file");
    tui.type_text("/pin notes.txt");
    tui.keys(&["Enter"]);
    tui.wait_text("Pinned notes.txt");
    tui.type_text("/compact keep the todo");
    tui.keys(&["Enter"]);
    let screen = tui.wait_text("Conversation compacted (");
    assert!(!screen.contains("/compact:"), "{screen}");
    tui.wait_for("the compaction to end", |s| !s.contains("Working…"));
    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    let summary_request = requests[3].body.to_string();
    assert!(
        summary_request.contains("keep the todo"),
        "{summary_request}"
    );
    assert!(summary_request.contains("buy milk"), "{summary_request}");
    tui.type_text("what is left?");
    tui.keys(&["Enter"]);
    tui.wait_text("Still here.");
    let requests = server.requests();
    let next = &requests[4].body;
    let first = first_message(next);
    assert!(
        first.contains("SUMMARY: the user keeps a todo list."),
        "{first}"
    );
    let body = next.to_string();
    assert!(body.contains("pinned-notes-content"), "{body}");
    assert!(
        body.contains("Third answer."),
        "the pinned answer is kept: {body}"
    );
    assert!(
        !body.contains("buy milk"),
        "the old turns are summarized: {body}"
    );
}

/// The MCP test venv's python (`tests/mcp/setup.sh` creates it once).
fn mcp_python() -> std::path::PathBuf {
    let venv = std::path::PathBuf::from("/var/cache/ferrule/venv-mcp");
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    if !venv.join(".ready").exists() {
        let status = std::process::Command::new("bash")
            .arg(repo.join("tests/mcp/setup.sh"))
            .status()
            .expect("running tests/mcp/setup.sh");
        assert!(status.success(), "tests/mcp/setup.sh failed");
    }
    venv.join("bin/python")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_prompts_are_slash_commands() {
    let server = server().await;
    server.mount(openai::text_reply("Reviewed."));
    let project = Project::new();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/mcp/servers/basic.py")
        .canonicalize()
        .expect("basic.py");
    let settings = serde_json::json!({"mcpServers": {"b": {
        "command": mcp_python(), "args": [script, "stdio"]}}});
    std::fs::write(
        project.base.join("user/settings.json"),
        settings.to_string(),
    )
    .expect("settings");
    let tui = Tui::start(project, &server.base_url());
    tui.ready();
    tui.type_text("/mcp__b__rev");
    tui.wait_text("Asks for a code review. (MCP)");
    tui.keys(&["Tab"]);
    tui.type_text("x=1 detailed");
    tui.keys(&["Enter"]);
    tui.wait_text("Reviewed.");
    let body = server.requests()[0].body.to_string();
    assert!(
        body.contains("Review this code (detailed):\\nx=1"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_async_rewake_hook_wakes_the_idle_model() {
    let server = server().await;
    server.mount(openai::tool_calls_reply(
        &[("call_r", "Read", r#"{"file_path":"notes.txt"}"#)],
        2,
    ));
    server.mount(openai::text_reply("Done reading."));
    server.mount(openai::text_reply("Woken up: fixing the lint errors."));
    let project = Project::new();
    std::fs::write(project.dir().join("notes.txt"), "buy milk\n").expect("notes");
    let hooks = serde_json::json!({"hooks": {"PostToolUse": [{
        "matcher": "Read",
        "hooks": [{
            "type": "command",
            "command": "sleep 1; echo 'lint: 3 errors in notes.txt' >&2; exit 2",
            "asyncRewake": true,
            "rewakeMessage": "The background lint found problems"
        }]
    }]}});
    std::fs::write(project.base.join("user/settings.json"), hooks.to_string()).expect("settings");
    let tui = Tui::start(project, &server.base_url());
    tui.ready();
    tui.type_text("read the notes");
    tui.keys(&["Enter"]);
    tui.wait_text("Done reading.");
    // The turn is over; the hook's exit 2 a second later wakes the model
    // with no input from the user.
    tui.wait_text("Woken up: fixing the lint errors.");
    let screen = tui.screen();
    assert!(
        screen.contains("A background hook woke the model"),
        "{screen}"
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 3, "read, answer, woken");
    let woken = requests[2].body["messages"].to_string();
    assert!(
        woken.contains("The background lint found problems"),
        "{woken}"
    );
    assert!(woken.contains("lint: 3 errors in notes.txt"), "{woken}");
}

/// One JSON payload per line of `path` (none when it does not exist yet).
fn hook_payloads(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).expect("a hook payload"))
        .collect()
}

/// Waits until `path` holds `count` payloads and returns them.
fn wait_payloads(path: &std::path::Path, count: usize) -> Vec<serde_json::Value> {
    let deadline = std::time::Instant::now() + harness::WAIT;
    loop {
        let payloads = hook_payloads(path);
        if payloads.len() >= count || std::time::Instant::now() > deadline {
            return payloads;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_hooks_fire_on_start_clear_resume_and_exit() {
    let server = server().await;
    server.mount(openai::text_reply("First answer."));
    let project = Project::new();
    let starts = project.base.join("starts.jsonl");
    let ends = project.base.join("ends.jsonl");
    let record =
        |path: &std::path::Path| format!("tr -d '\\n' >> '{0}'; echo >> '{0}'", path.display());
    let hooks = serde_json::json!({"hooks": {
        "SessionStart": [{"hooks": [{"type": "command", "command":
            format!("{}; echo 'the build bot is called Ada'", record(&starts))}]}],
        "SessionEnd": [{"hooks": [{"type": "command", "command": record(&ends)}]}],
    }});
    std::fs::write(project.base.join("user/settings.json"), hooks.to_string())
        .expect("user settings");
    let tui = Tui::start(project, &server.base_url());
    tui.ready();
    let started = wait_payloads(&starts, 1);
    assert_eq!(started.len(), 1, "{started:?}");
    assert_eq!(started[0]["hook_event_name"], "SessionStart");
    assert_eq!(started[0]["source"], "startup");
    let first_id = started[0]["session_id"].clone();
    tui.type_text("first question");
    tui.keys(&["Enter"]);
    tui.wait_text("First answer.");
    let sent = server.requests()[0].body["messages"].to_string();
    assert!(sent.contains("the build bot is called Ada"), "{sent}");

    tui.type_text("/clear");
    tui.keys(&["Enter"]);
    tui.wait_text("Started a new conversation.");
    let ended = wait_payloads(&ends, 1);
    assert_eq!(ended[0]["reason"], "clear", "{ended:?}");
    assert_eq!(ended[0]["session_id"], first_id);
    let started = wait_payloads(&starts, 2);
    assert_eq!(started[1]["source"], "clear", "{started:?}");
    assert_ne!(started[1]["session_id"], first_id);

    tui.type_text("/resume 1");
    tui.keys(&["Enter"]);
    tui.wait_text("Resumed session");
    let ended = wait_payloads(&ends, 2);
    assert_eq!(ended[1]["reason"], "resume", "{ended:?}");
    let started = wait_payloads(&starts, 3);
    assert_eq!(started[2]["source"], "resume", "{started:?}");
    assert_eq!(started[2]["session_id"], first_id);

    tui.type_text("/exit");
    tui.keys(&["Enter"]);
    tui.wait_text("EXIT=0");
    let ended = wait_payloads(&ends, 3);
    assert_eq!(ended.len(), 3, "{ended:?}");
    assert_eq!(ended[2]["reason"], "prompt_input_exit");
    assert_eq!(ended[2]["session_id"], first_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hook_system_messages_and_errors_show_as_notice_lines() {
    let server = server().await;
    server.mount(tool_call(
        "call_1",
        "Read",
        serde_json::json!({"file_path": "notes.txt"}),
    ));
    server.mount(openai::text_reply("Read the notes."));
    let project = Project::new();
    std::fs::write(project.dir().join("notes.txt"), "buy milk\n").expect("notes");
    let hooks = serde_json::json!({"hooks": {"PreToolUse": [{"matcher": "Read", "hooks": [
        {"type": "command", "command": "echo '{\"systemMessage\": \"notes are synced nightly\"}'"},
        {"type": "command", "command": "echo 'lint server down' >&2; exit 1"}
    ]}]}});
    std::fs::write(project.base.join("user/settings.json"), hooks.to_string())
        .expect("user settings");
    let tui = Tui::start(project, &server.base_url());
    tui.ready();
    tui.type_text("read my notes");
    tui.keys(&["Enter"]);
    let screen = tui.wait_text("Read the notes.");
    assert!(screen.contains("notes are synced nightly"), "{screen}");
    assert!(
        screen.contains("PreToolUse:Read hook error") && screen.contains("lint server down"),
        "{screen}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_context_window_effort_and_export() {
    let server = server().await;
    let project = Project::new();
    std::fs::write(
        project.base.join("user/settings.json"),
        r#"{"permissions": {"allow": ["Bash"]}}"#,
    )
    .expect("user settings");
    server.mount(tool_call(
        "call_1",
        "Bash",
        serde_json::json!({"command": "echo started-in-background; sleep 30", "run_in_background": true}),
    ));
    server.mount(openai::text_reply("Started it."));
    let export = project.dir().join("chat.txt");
    let tui = Tui::start(project, &server.base_url());
    tui.ready();
    tui.type_text("start a server");
    tui.keys(&["Enter"]);
    tui.wait_text("Started it.");
    tui.type_text("/tasks");
    tui.keys(&["Enter"]);
    tui.wait_text("bash_1 · running · echo started-in-background");
    tui.type_text("/tasks bash_1");
    tui.keys(&["Enter"]);
    tui.wait_text("started-in-background\n");
    tui.type_text("/tasks stop bash_1");
    tui.keys(&["Enter"]);
    tui.wait_text("Stopped background task bash_1.");
    tui.type_text("/context-window 400K");
    tui.keys(&["Enter"]);
    tui.wait_text("of 400000 tokens");
    tui.type_text("/effort high");
    tui.keys(&["Enter"]);
    tui.wait_text("Reasoning effort: high (16384 thinking tokens)");
    tui.type_text("/export chat.txt");
    tui.keys(&["Enter"]);
    tui.wait_text("Exported the conversation to");
    let text = std::fs::read_to_string(&export).expect("export");
    assert!(text.starts_with("> start a server\n"), "{text}");
    assert!(text.contains("Started it."), "{text}");
    // The effort reaches the model as the OpenAI reasoning_effort band.
    server.mount(openai::text_reply("Thought hard."));
    tui.type_text("think");
    tui.keys(&["Enter"]);
    tui.wait_text("Thought hard.");
    let requests = server.requests();
    let last = &requests.last().expect("requests").body;
    assert_eq!(last["reasoning_effort"], "high", "{last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inputs_of_earlier_runs_come_back_with_up() {
    let server = server().await;
    server.mount(openai::text_reply("Answered."));
    let project = Project::new();
    let history = project.base.join("user/history.jsonl");
    let entry = serde_json::json!({
        "display": "an earlier prompt",
        "project": project.dir().display().to_string(),
        "timestamp": 1
    });
    std::fs::write(&history, format!("{entry}\n")).expect("history");
    let tui = Tui::start(project, &server.base_url());
    tui.ready();
    tui.keys(&["Up"]);
    tui.wait_text("> an earlier prompt");
    tui.keys(&["Enter"]);
    tui.wait_text("Answered.");
    let text = std::fs::read_to_string(&history).expect("history");
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(
        text.lines()
            .nth(1)
            .is_some_and(|l| l.contains("an earlier prompt")),
        "{text}"
    );
}
