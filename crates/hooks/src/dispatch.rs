//! The dispatch API the agent calls at each event point: find the matching
//! hooks (cheap when there are none), run them in parallel (identical ones
//! once), and merge their results into one [`Outcome`] (cli-core.md §5.4).

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use ferrule_config::{Diagnostic, LayerStatus, LoadedSettings};
use futures::future::join_all;
use serde::Serialize;
use serde_json::Value;
use tokio::task::JoinHandle;

use crate::callback::{CallbackHost, parse_sdk_hooks};
use crate::command::{hook_env, run_command};
use crate::event::HookEvent;
use crate::http::run_http;
use crate::input::{EventPayload, HookInput};
use crate::model::{
    AgentRunner, PromptRunner, agent_request, parse_verdict, parse_verdict_value, prompt_request,
};
use crate::outcome::Outcome;
use crate::parse::{ParsedHooks, parse_hooks};
use crate::payload::ConfigSource;
use crate::run::{
    Effect, HookRun, Parsed, RawResult, RunStatus, interpret, interpret_value, interpret_verdict,
};
use crate::source::HookSource;
use crate::spec::{HookGroup, HookKind, HookSpec, Mode};

/// A configuration source that was not loaded, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedSource {
    /// The settings file.
    pub path: PathBuf,
    /// Why its hooks do not run.
    pub reason: String,
}

/// Whether the project folder's own hooks may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FolderTrust {
    /// Project and local hooks run.
    Trusted,
    /// Project and local hooks are skipped.
    Untrusted,
}

/// Builds a [`Dispatcher`].
pub struct DispatcherBuilder {
    project_dir: PathBuf,
    groups: Vec<Vec<HookGroup>>,
    diagnostics: Vec<Diagnostic>,
    skipped: Vec<SkippedSource>,
    stamps: Vec<(PathBuf, Option<FileStamp>)>,
    env: BTreeMap<String, String>,
    prompt: Option<Arc<dyn PromptRunner>>,
    agent: Option<Arc<dyn AgentRunner>>,
    callbacks: Option<Arc<dyn CallbackHost>>,
}

impl DispatcherBuilder {
    /// A builder for the project at `project_dir` (`QODER_PROJECT_DIR`, and
    /// the working directory of command hooks).
    pub fn new(project_dir: impl Into<PathBuf>) -> Self {
        Self {
            project_dir: project_dir.into(),
            groups: (0..HookEvent::COUNT).map(|_| Vec::new()).collect(),
            diagnostics: Vec::new(),
            skipped: Vec::new(),
            stamps: Vec::new(),
            env: BTreeMap::new(),
            prompt: None,
            agent: None,
            callbacks: None,
        }
    }

    /// Adds already parsed groups and their diagnostics.
    pub fn parsed(mut self, parsed: ParsedHooks) -> Self {
        for (event, group) in parsed.groups {
            if let Some(slot) = self.groups.get_mut(event.index()) {
                slot.push(group);
            }
        }
        self.diagnostics.extend(parsed.diagnostics);
        self
    }

    /// Adds the `hooks` value of one source (a settings file, a plugin's
    /// hooks.json, a subagent's frontmatter ...).
    pub fn hooks(self, value: &Value, source: HookSource) -> Self {
        let parsed = parse_hooks(value, &Arc::new(source));
        self.parsed(parsed)
    }

    /// Adds the hooks of every loaded layer of `loaded`, lowest first, each
    /// with its own file for messages; project and local layers only when
    /// the folder is trusted. The `env` of the layers used is passed to
    /// command hooks (a higher layer's value wins).
    pub fn settings(mut self, loaded: &LoadedSettings, trust: FolderTrust) -> Self {
        for layer in &loaded.layers {
            // Every settings file, present or not, is watched: creating,
            // editing or deleting one makes the hooks stale.
            if let Some(path) = &layer.path
                && path.is_absolute()
            {
                self.stamps.push((path.clone(), FileStamp::of(path)));
            }
            if layer.status != LayerStatus::Loaded {
                continue;
            }
            let path = layer
                .path
                .clone()
                .unwrap_or_else(|| PathBuf::from(format!("<{}>", layer.scope)));
            if layer.scope.is_project() && trust == FolderTrust::Untrusted {
                if layer.settings.hooks.is_some() {
                    self.skipped.push(SkippedSource {
                        path,
                        reason: "the folder is not trusted".to_owned(),
                    });
                }
                continue;
            }
            if let Some(env) = &layer.settings.env {
                self.env
                    .extend(env.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            let Some(hooks) = &layer.settings.hooks else {
                continue;
            };
            let Ok(value) = serde_json::to_value(hooks) else {
                continue;
            };
            let source = HookSource::settings(layer.scope.as_str(), layer.scope.is_project(), path);
            self = self.hooks(&value, source);
        }
        self
    }

    /// Adds the frontmatter `hooks` of the subagent `name` (defined in
    /// `path`). Its `Stop` hooks fire as `SubagentStop` (cli-core.md §5.1).
    pub fn subagent_hooks(self, value: &Value, name: &str, path: impl Into<PathBuf>) -> Self {
        let mut value = value.clone();
        if let Value::Object(events) = &mut value
            && let Some(stop) = events.remove("Stop")
        {
            match (events.get_mut("SubagentStop"), stop) {
                (Some(Value::Array(existing)), Value::Array(more)) => existing.extend(more),
                (_, stop) => {
                    events.insert("SubagentStop".to_owned(), stop);
                }
            }
        }
        self.hooks(&value, HookSource::subagent(name, path))
    }

    /// Adds SDK callbacks from `initialize.hooks`, answered by `host`.
    pub fn sdk_hooks(mut self, value: &Value, host: Arc<dyn CallbackHost>) -> Self {
        self.callbacks = Some(host);
        self.parsed(parse_sdk_hooks(value))
    }

    /// Environment variables for command hooks (on top of the process's).
    pub fn env(mut self, env: impl IntoIterator<Item = (String, String)>) -> Self {
        self.env.extend(env);
        self
    }

    /// The model call behind `prompt` hooks.
    pub fn prompt_runner(mut self, runner: Arc<dyn PromptRunner>) -> Self {
        self.prompt = Some(runner);
        self
    }

    /// The subagent behind `agent` hooks.
    pub fn agent_runner(mut self, runner: Arc<dyn AgentRunner>) -> Self {
        self.agent = Some(runner);
        self
    }

    /// Builds the dispatcher.
    pub fn build(self) -> Dispatcher {
        let mut index = [false; HookEvent::COUNT];
        for (i, groups) in self.groups.iter().enumerate() {
            if let Some(slot) = index.get_mut(i) {
                *slot = groups.iter().any(|g| !g.hooks.is_empty());
            }
        }
        Dispatcher {
            inner: Arc::new(Inner {
                has_hooks: index,
                groups: self.groups,
                project_dir: self.project_dir,
                env: self.env,
                http: std::sync::OnceLock::new(),
                prompt: self.prompt,
                agent: self.agent,
                callbacks: self.callbacks,
                once_done: Mutex::new(HashSet::new()),
                background: Mutex::new(Background::default()),
            }),
            diagnostics: self.diagnostics,
            skipped: self.skipped,
            stamps: self.stamps,
        }
    }
}

/// What a settings file looked like when the hooks were loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileStamp {
    modified: Option<std::time::SystemTime>,
    len: u64,
}

impl FileStamp {
    fn of(path: &Path) -> Option<Self> {
        let meta = std::fs::metadata(path).ok()?;
        Some(Self {
            modified: meta.modified().ok(),
            len: meta.len(),
        })
    }
}

#[derive(Default)]
struct Background {
    running: Vec<JoinHandle<()>>,
    done: Vec<BackgroundRun>,
}

struct Inner {
    has_hooks: [bool; HookEvent::COUNT],
    groups: Vec<Vec<HookGroup>>,
    project_dir: PathBuf,
    env: BTreeMap<String, String>,
    /// Built on the first http hook (building loads the TLS roots).
    http: std::sync::OnceLock<Result<reqwest::Client, String>>,
    prompt: Option<Arc<dyn PromptRunner>>,
    agent: Option<Arc<dyn AgentRunner>>,
    callbacks: Option<Arc<dyn CallbackHost>>,
    once_done: Mutex<HashSet<usize>>,
    background: Mutex<Background>,
}

/// The hooks of one session, ready to fire.
#[derive(Clone)]
pub struct Dispatcher {
    inner: Arc<Inner>,
    diagnostics: Vec<Diagnostic>,
    skipped: Vec<SkippedSource>,
    stamps: Vec<(PathBuf, Option<FileStamp>)>,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("project_dir", &self.inner.project_dir)
            .field("diagnostics", &self.diagnostics.len())
            .finish_non_exhaustive()
    }
}

/// A hook that matched an event, with where it came from.
#[derive(Debug, Clone)]
pub struct MatchedHook {
    /// The hook.
    pub spec: Arc<HookSpec>,
    /// Its source.
    pub source: Arc<HookSource>,
    /// Its group runs its hooks one after another; the number tells which
    /// group (hooks of the same sequential group share it).
    pub sequence: Option<usize>,
}

/// Everything one dispatch did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Dispatch {
    /// Each hook that ran in the foreground, in configuration order.
    pub runs: Vec<HookRun>,
    /// How many hooks were started in the background.
    pub backgrounded: usize,
    /// The merged result.
    pub outcome: Outcome,
}

/// A background hook's result, handed to the agent at its next turn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackgroundRun {
    /// The event it ran for.
    pub event: HookEvent,
    /// Its result.
    pub run: HookRun,
    /// For `asyncRewake` hooks that exited with code 2: the system reminder
    /// that wakes the model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rewake: Option<String>,
}

impl Dispatcher {
    /// A builder for the project at `project_dir`.
    pub fn builder(project_dir: impl Into<PathBuf>) -> DispatcherBuilder {
        DispatcherBuilder::new(project_dir)
    }

    /// Problems found in the configuration, each naming file and JSON path.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// Whether a settings file read by [`DispatcherBuilder::settings`] was
    /// created, changed or deleted since: edits to hook configuration take
    /// effect without a restart (cli-core.md §5.1), so the host reloads the
    /// settings and builds a new dispatcher when this says so.
    pub fn is_stale(&self) -> bool {
        self.stamps
            .iter()
            .any(|(path, stamp)| &FileStamp::of(path) != stamp)
    }

    /// Sources whose hooks do not run (untrusted folder).
    pub fn skipped(&self) -> &[SkippedSource] {
        &self.skipped
    }

    /// Whether any hook is configured for `event`.
    pub fn has_hooks(&self, event: HookEvent) -> bool {
        self.inner
            .has_hooks
            .get(event.index())
            .copied()
            .unwrap_or(false)
    }

    /// The hooks `input` would fire, in configuration order, identical ones
    /// (same command, url, prompt or callback) only once.
    pub fn matching(&self, input: &HookInput) -> Vec<MatchedHook> {
        let event = input.event();
        if !self.has_hooks(event) {
            return Vec::new();
        }
        let Some(groups) = self.inner.groups.get(event.index()) else {
            return Vec::new();
        };
        let value = input.match_value();
        let tool = input.tool();
        let once_done = self
            .inner
            .once_done
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut seen: HashSet<&HookKind> = HashSet::new();
        let mut out = Vec::new();
        for (gi, group) in groups.iter().enumerate() {
            if let Some(v) = value
                && !group.matcher.is_match(v)
            {
                continue;
            }
            for spec in &group.hooks {
                if let (Some(cond), Some((name, tool_input))) = (&spec.condition, tool)
                    && !cond.is_match(name, tool_input)
                {
                    continue;
                }
                if spec.once && once_done.contains(&key(spec)) {
                    continue;
                }
                if !seen.insert(&spec.kind) {
                    continue;
                }
                out.push(MatchedHook {
                    spec: Arc::clone(spec),
                    source: Arc::clone(&group.source),
                    sequence: group.sequential.then_some(gi),
                });
            }
        }
        out
    }

    /// Fires the hooks that match `input` and merges their results. Hooks
    /// run in parallel (a `sequential` group in order); background hooks
    /// are started and their results collected with
    /// [`Dispatcher::take_background`].
    pub async fn dispatch(&self, input: &HookInput) -> Dispatch {
        let event = input.event();
        if !self.has_hooks(event) {
            return Dispatch::default();
        }
        let matched = self.matching(input);
        if matched.is_empty() {
            return Dispatch::default();
        }
        let json = input.to_json();
        let body = Arc::new(json.to_string());
        let mut units: Vec<Vec<MatchedHook>> = Vec::new();
        let mut backgrounded = 0;
        for m in matched {
            if m.spec.mode != Mode::Blocking {
                backgrounded += 1;
                self.spawn_background(event, input.clone(), Arc::clone(&body), m);
                continue;
            }
            match (m.sequence, units.last_mut()) {
                (Some(seq), Some(last)) if last.first().and_then(|h| h.sequence) == Some(seq) => {
                    last.push(m);
                }
                _ => units.push(vec![m]),
            }
        }
        let inner = &self.inner;
        let (json, body) = (&json, &body);
        let results = join_all(units.iter().map(|unit| async move {
            let mut runs = Vec::with_capacity(unit.len());
            for m in unit {
                runs.push(run_one(inner, event, input, json, body, m).await);
            }
            runs
        }))
        .await;
        let runs: Vec<HookRun> = results.into_iter().flatten().collect();
        let mut outcome = Outcome::merge(event, &runs);
        if let EventPayload::ConfigChange(p) = &input.payload {
            // Policy changes are enforced; their hooks only audit
            // (`qoder-docs/cli/hooks.md`, ConfigChange).
            if p.source == ConfigSource::PolicySettings {
                outcome.blocked.clear();
            }
        }
        Dispatch {
            runs,
            backgrounded,
            outcome,
        }
    }

    fn spawn_background(
        &self,
        event: HookEvent,
        input: HookInput,
        body: Arc<String>,
        m: MatchedHook,
    ) {
        let inner = Arc::clone(&self.inner);
        let task_inner = Arc::clone(&inner);
        let handle = tokio::spawn(async move {
            let json = input.to_json();
            let run = run_one(&task_inner, event, &input, &json, &body, &m).await;
            let rewake = match (&m.spec.mode, &run.status) {
                (Mode::BackgroundRewake, RunStatus::Exited(2)) => Some(rewake_text(&m.spec, &run)),
                _ => None,
            };
            let mut bg = task_inner
                .background
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            bg.done.push(BackgroundRun { event, run, rewake });
        });
        let mut bg = inner
            .background
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        bg.running.retain(|h| !h.is_finished());
        bg.running.push(handle);
    }

    /// The results of background hooks that finished since the last call.
    pub fn take_background(&self) -> Vec<BackgroundRun> {
        let mut bg = self
            .inner
            .background
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        std::mem::take(&mut bg.done)
    }

    /// Waits for every background hook started so far, then returns all
    /// results not yet taken.
    pub async fn join_background(&self) -> Vec<BackgroundRun> {
        loop {
            let running = {
                let mut bg = self
                    .inner
                    .background
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                std::mem::take(&mut bg.running)
            };
            if running.is_empty() {
                break;
            }
            for handle in running {
                let _ = handle.await;
            }
        }
        self.take_background()
    }

    /// The project directory hooks run in.
    pub fn project_dir(&self) -> &Path {
        &self.inner.project_dir
    }
}

fn key(spec: &Arc<HookSpec>) -> usize {
    Arc::as_ptr(spec) as usize
}

fn rewake_text(spec: &HookSpec, run: &HookRun) -> String {
    let prefix = spec
        .rewake_message
        .clone()
        .unwrap_or_else(|| format!("A background hook ({}) reported a problem", run.hook));
    let detail = [run.stderr.trim(), run.stdout.trim()]
        .into_iter()
        .find(|s| !s.is_empty())
        .unwrap_or("");
    match (&spec.rewake_summary, detail.is_empty()) {
        (Some(summary), true) => format!("{prefix}: {summary}"),
        (Some(summary), false) => format!("{prefix}: {summary}\n{detail}"),
        (None, true) => prefix,
        (None, false) => format!("{prefix}:\n{detail}"),
    }
}

async fn run_one(
    inner: &Inner,
    event: HookEvent,
    input: &HookInput,
    json: &Value,
    body: &Arc<String>,
    m: &MatchedHook,
) -> HookRun {
    let spec = &m.spec;
    let started = Instant::now();
    let timeout = spec.timeout;
    let (raw, parsed, effect) = match &spec.kind {
        HookKind::Command(hook) => {
            let mut env = inner.env.clone();
            env.extend(hook_env(input, &m.source, &inner.project_dir));
            let cwd = if inner.project_dir.is_dir() {
                inner.project_dir.clone()
            } else {
                PathBuf::from(&input.common.cwd)
            };
            let raw = run_command(hook, body.as_bytes().to_vec(), &env, &cwd, timeout).await;
            let (p, e) = interpret(event, &raw);
            (raw, p, e)
        }
        HookKind::Http(hook) => {
            let client = inner.http.get_or_init(|| {
                reqwest::Client::builder()
                    .build()
                    .map_err(|e| format!("cannot create the HTTP client: {e}"))
            });
            match client {
                Err(e) => unavailable(event, e),
                Ok(client) => {
                    let body = body.as_bytes().to_vec();
                    let raw = run_http(client, hook, body, &inner.env, timeout).await;
                    let (p, e) = interpret(event, &raw);
                    (raw, p, e)
                }
            }
        }
        HookKind::Prompt(hook) => match &inner.prompt {
            None => unavailable(event, "prompt hooks need a model, and none is configured"),
            Some(runner) => {
                let request = prompt_request(&hook.prompt, hook.model.as_deref(), event, body);
                match tokio::time::timeout(timeout, runner.complete(request)).await {
                    Err(_) => timed_out(event),
                    Ok(Err(e)) => {
                        unavailable(event, &format!("the prompt hook's model call failed: {e}"))
                    }
                    Ok(Ok(text)) => verdict_result(event, text.clone(), parse_verdict(&text)),
                }
            }
        },
        HookKind::Agent(hook) => match &inner.agent {
            None => unavailable(
                event,
                "agent hooks need an agent runner, and none is configured",
            ),
            Some(runner) => {
                let request = agent_request(hook, event, body);
                match tokio::time::timeout(timeout, runner.run(request)).await {
                    Err(_) => timed_out(event),
                    Ok(Err(e)) => unavailable(event, &format!("the agent hook failed: {e}")),
                    Ok(Ok(value)) => {
                        verdict_result(event, value.to_string(), parse_verdict_value(&value))
                    }
                }
            }
        },
        HookKind::Callback(hook) => match &inner.callbacks {
            None => unavailable(event, "no SDK host answers hook callbacks"),
            Some(host) => {
                let tool_use_id = input.tool_use_id().map(str::to_owned);
                let call = host.call(&hook.callback_id, json.clone(), tool_use_id);
                match tokio::time::timeout(timeout, call).await {
                    // SDK callbacks that time out or fail are non-blocking
                    // errors (sdk-protocol.md §10), even for PreToolUse.
                    Err(_) => error_result(RunStatus::TimedOut, "timed out".to_owned()),
                    Ok(Err(e)) => error_result(
                        RunStatus::Failed(e.0.clone()),
                        format!("callback failed: {e}"),
                    ),
                    Ok(Ok(value)) => {
                        let raw = RawResult {
                            status: RunStatus::Answered,
                            stdout: value.to_string(),
                            stderr: String::new(),
                        };
                        let (p, e) = interpret_value(event, &value);
                        (raw, p, e)
                    }
                }
            }
        },
    };
    if spec.once && effect == Effect::Success {
        let mut done = inner
            .once_done
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        done.insert(key(spec));
    }
    let duration = started.elapsed();
    tracing::debug!(
        event = %event,
        hook = %spec.kind.describe(),
        status = ?raw.status,
        duration_ms = duration.as_millis() as u64,
        "hook finished"
    );
    HookRun {
        hook: spec.kind.describe(),
        hook_type: spec.kind.type_name(),
        source: format!("{} {}", m.source, spec.json_path),
        exit_code: match raw.status {
            RunStatus::Exited(code) => Some(code),
            _ => None,
        },
        status: raw.status,
        stdout: raw.stdout,
        stderr: raw.stderr,
        duration,
        parsed,
        effect,
    }
}

fn unavailable(event: HookEvent, why: &str) -> (RawResult, Parsed, Effect) {
    let raw = RawResult {
        status: RunStatus::Failed(why.to_owned()),
        stdout: String::new(),
        stderr: String::new(),
    };
    let (p, e) = interpret(event, &raw);
    (raw, p, e)
}

fn timed_out(event: HookEvent) -> (RawResult, Parsed, Effect) {
    let raw = RawResult {
        status: RunStatus::TimedOut,
        stdout: String::new(),
        stderr: String::new(),
    };
    let (p, e) = interpret(event, &raw);
    (raw, p, e)
}

fn error_result(status: RunStatus, message: String) -> (RawResult, Parsed, Effect) {
    let raw = RawResult {
        status,
        stdout: String::new(),
        stderr: String::new(),
    };
    (raw, Parsed::Nothing, Effect::Error(message))
}

fn verdict_result(
    event: HookEvent,
    text: String,
    verdict: Result<crate::run::Verdict, crate::model::VerdictError>,
) -> (RawResult, Parsed, Effect) {
    let raw = RawResult {
        status: RunStatus::Answered,
        stdout: text,
        stderr: String::new(),
    };
    match verdict {
        Ok(v) => (raw, Parsed::Nothing, interpret_verdict(event, &v)),
        Err(e) => {
            let message = e.to_string();
            (
                raw,
                Parsed::Invalid(message.clone()),
                Effect::Error(format!("invalid hook output: {message}")),
            )
        }
    }
}
