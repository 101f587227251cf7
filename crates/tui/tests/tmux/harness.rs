//! Runs the real `ferrule` binary in a private tmux server, types into it
//! with `send-keys` and reads the screen with `capture-pane`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long a screen may take to show what a test waits for.
pub(crate) const WAIT: Duration = Duration::from_secs(15);

/// The `ferrule` binary, built once if `cargo test` did not build it;
/// `FERRULE_TEST_BIN` names another one (a copy, when several checkouts
/// share a target directory).
pub(crate) fn ferrule() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("FERRULE_TEST_BIN") {
            return PathBuf::from(bin);
        }
        let exe = std::env::current_exe().expect("test executable path");
        // target/debug/deps/<test> → target/debug/ferrule
        let dir = exe.parent().and_then(Path::parent).expect("target dir");
        let bin = dir.join("ferrule");
        if !bin.exists() {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let status = Command::new(cargo)
                .args(["build", "-p", "ferrule-cli", "--bin", "ferrule"])
                .status()
                .expect("running cargo build");
            assert!(status.success(), "cargo build -p ferrule-cli failed");
        }
        bin
    })
}

/// Installs tmux with apt when it is missing (CI machines start without it).
fn ensure_tmux() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let have = || {
            Command::new("tmux")
                .arg("-V")
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if have() {
            return;
        }
        let install = || {
            Command::new("apt-get")
                .args(["install", "-y", "-qq", "tmux"])
                .env("DEBIAN_FRONTEND", "noninteractive")
                .status()
                .is_ok_and(|s| s.success())
        };
        if !install() {
            let _ = Command::new("apt-get").args(["update", "-qq"]).status();
            install();
        }
        assert!(have(), "tmux is missing and apt-get could not install it");
    });
}

/// A temp project (`proj/`), home and user directory.
pub(crate) struct Project {
    _dir: tempfile::TempDir,
    pub(crate) base: PathBuf,
}

impl Project {
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let base = dir.path().canonicalize().expect("canonical temp dir");
        for sub in ["proj", "home", "user"] {
            std::fs::create_dir_all(base.join(sub)).expect("mkdir");
        }
        Self { _dir: dir, base }
    }

    pub(crate) fn dir(&self) -> PathBuf {
        self.base.join("proj")
    }
}

/// One `ferrule` running in its own tmux server.
pub(crate) struct Tui {
    socket: String,
    pub(crate) project: Project,
}

impl Tui {
    /// Starts `ferrule -w proj --model openai/fake-gpt` against `base_url`
    /// in a 100×30 window. When it exits, the pane prints `EXIT=<code>` and
    /// the terminal's `stty` settings, and stays open.
    pub(crate) fn start(project: Project, base_url: &str) -> Self {
        ensure_tmux();
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let socket = format!(
            "ferrule-tui-test-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::SeqCst)
        );
        let base = &project.base;
        let script = format!(
            "env -i PATH=\"$PATH\" TERM=xterm-256color LANG=C.UTF-8 HOME={home} \
             FERRULE_HOME={user} FERRULE_POLICY_SETTINGS={base}/no-policy.json SHELL=/bin/sh \
             OPENAI_BASE_URL={base_url} OPENAI_API_KEY=test-key \
             {bin} -w {proj} --model openai/fake-gpt; \
             echo EXIT=$?; stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '; \
             echo; sleep 60",
            home = base.join("home").display(),
            user = base.join("user").display(),
            base = base.display(),
            bin = ferrule().display(),
            proj = project.dir().display(),
        );
        let status = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-s",
                "main",
            ])
            .args(["-x", "100", "-y", "30", "sh", "-c", &script])
            .status()
            .expect("starting tmux");
        assert!(status.success(), "tmux new-session failed");
        Self { socket, project }
    }

    fn tmux(&self, args: &[&str]) -> String {
        let output = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("running tmux");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// The visible screen.
    pub(crate) fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "main"])
    }

    /// Types `text` literally.
    pub(crate) fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "main", "-l", text]);
    }

    /// Presses keys by tmux name (`Enter`, `C-c`, `BTab`).
    pub(crate) fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "main"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// Whether the pane shows the alternate screen.
    pub(crate) fn alternate_screen(&self) -> bool {
        self.tmux(&["display-message", "-p", "-t", "main", "#{alternate_on}"])
            .trim()
            == "1"
    }

    /// Waits until the screen satisfies `check`; panics with the screen
    /// after [`WAIT`].
    pub(crate) fn wait_for(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if check(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < WAIT,
                "timed out waiting for {what}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Answers the folder-trust question with "no" and waits for the input
    /// box.
    pub(crate) fn ready(&self) {
        self.wait_text("Do you trust the files in");
        self.keys(&["2"]);
        self.wait_text("Continuing without project settings");
        self.wait_text("Type a message");
    }

    /// Waits until the screen contains `text`.
    pub(crate) fn wait_text(&self, text: &str) -> String {
        self.wait_for(&format!("{text:?}"), |screen| screen.contains(text))
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}
