//! [`ContextManager`]: what the agent loop holds to know how full the
//! context is and to shrink it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ferrule_model::{Model, ToolSpec};
use ferrule_protocol::sdk::CompactTrigger;
use ferrule_protocol::{Message, Usage};
use ferrule_session::Transcript;
use serde_json::Value;

use crate::compact::{Compacted, Compactor};
use crate::count::{TokenCounter, message_hash};
use crate::error::{CompactError, ContextError};
use crate::limits::ModelLimits;
use crate::pinned::Pinned;
use crate::record::{HookContext, post_compact, pre_compact, record_compaction};
use crate::reduce::{ReducePolicy, Reduction, stub_old_results};
use crate::settings::ContextSettings;
use crate::threshold::{ContextState, EnvOverrides, Thresholds};

/// Tracks the context of one conversation: its token count, its state
/// against the model's thresholds, the pinned items, and the two ways to
/// shrink it ([`ContextManager::maybe_reduce`], [`ContextManager::compact`]).
///
/// The count is the system prompt and tool schemas ([`set_fixed`]) plus
/// every observed message; when the provider reports usage
/// ([`record_usage`]), its figure replaces the estimate up to that point.
///
/// [`set_fixed`]: ContextManager::set_fixed
/// [`record_usage`]: ContextManager::record_usage
#[derive(Debug, Clone)]
pub struct ContextManager {
    model: String,
    windows: BTreeMap<String, u64>,
    env: EnvOverrides,
    limits: ModelLimits,
    thresholds: Thresholds,
    auto_compact: bool,
    counter: TokenCounter,
    fixed_tokens: u64,
    message_tokens: u64,
    reported: Option<u64>,
    since_report: u64,
    fixed_key: Option<[u8; 32]>,
    synced: Option<(usize, [u8; 32])>,
    cwd: PathBuf,
    pinned: Pinned,
    /// What [`ContextManager::maybe_reduce`] may stub.
    pub reduce_policy: ReducePolicy,
    /// How [`ContextManager::compact`] summarizes.
    pub compactor: Compactor,
}

/// What [`ContextManager::compact`] needs besides the model and history.
#[derive(Debug)]
pub struct CompactRequest<'a> {
    /// `manual` for `/compact`, `auto` when the threshold was crossed.
    pub trigger: CompactTrigger,
    /// The text after `/compact`.
    pub instructions: Option<&'a str>,
    /// Hooks to fire (PreCompact may cancel, PostCompact gets the summary).
    pub hooks: Option<&'a HookContext>,
    /// Where to record the boundary, summary and kept messages.
    pub transcript: Option<&'a mut Transcript>,
}

impl ContextManager {
    /// A manager for `model` (full `provider/model` name) with `settings`
    /// and the environment overrides; relative pinned files are resolved
    /// against `cwd`.
    pub fn new(model: &str, settings: &ContextSettings, env: EnvOverrides, cwd: &Path) -> Self {
        let limits = ModelLimits::for_model(model, &settings.windows);
        Self {
            model: model.to_owned(),
            windows: settings.windows.clone(),
            env,
            limits,
            thresholds: Thresholds::compute(limits, env),
            auto_compact: settings.auto_compact,
            counter: TokenCounter::for_model(model),
            fixed_tokens: 0,
            message_tokens: 0,
            reported: None,
            since_report: 0,
            fixed_key: None,
            synced: None,
            cwd: cwd.to_path_buf(),
            pinned: Pinned::with_files(cwd, &settings.pinned_files),
            reduce_policy: ReducePolicy::default(),
            compactor: Compactor::default(),
        }
    }

    /// [`ContextManager::new`] from the merged settings JSON and the
    /// session environment (`QODER_AUTOCOMPACT_*`).
    ///
    /// # Errors
    /// A bad `context.*` key or environment value, named.
    pub fn from_settings(
        model: &str,
        settings: &Value,
        env: &BTreeMap<String, String>,
        cwd: &Path,
    ) -> Result<Self, ContextError> {
        let settings = ContextSettings::from_settings(settings)?;
        let env = EnvOverrides::from_env(env)?;
        Ok(Self::new(model, &settings, env, cwd))
    }

    /// Switches to another model (limits, thresholds and tokenizer follow);
    /// call [`ContextManager::reset`] with the history afterwards.
    pub fn set_model(&mut self, model: &str) {
        if model == self.model {
            return;
        }
        self.model = model.to_owned();
        self.limits = ModelLimits::for_model(model, &self.windows);
        self.thresholds = Thresholds::compute(self.limits, self.env);
        self.counter = TokenCounter::for_model(model);
        self.reported = None;
        self.fixed_key = None;
        self.synced = None;
    }

    /// Sets the context window of the current model to `tokens` (the
    /// interface's `/context-window`, like `--context-window`): limits and
    /// thresholds follow at once, the counts stay.
    pub fn set_window(&mut self, tokens: u64) {
        self.windows.insert(self.model.clone(), tokens);
        self.limits = ModelLimits::for_model(&self.model, &self.windows);
        self.thresholds = Thresholds::compute(self.limits, self.env);
    }

    /// Counts the parts sent with every request: the system prompt and the
    /// tool schemas. Unchanged parts (same hash) are not counted again, so
    /// calling it before every request is cheap.
    pub fn set_fixed(&mut self, system: Option<&str>, tools: &[ToolSpec]) {
        let mut hasher = blake3::Hasher::new();
        hasher.update(system.unwrap_or_default().as_bytes());
        for tool in tools {
            hasher.update(&[0]);
            hasher.update(tool.name.as_bytes());
            hasher.update(tool.description.as_bytes());
            hasher.update(tool.input_schema.to_string().as_bytes());
        }
        let key = *hasher.finalize().as_bytes();
        if self.fixed_key == Some(key) {
            return;
        }
        self.fixed_key = Some(key);
        let system = system.map_or(0, |s| self.counter.count_text(s));
        self.fixed_tokens = (system + self.counter.count_tools(tools)) as u64;
    }

    /// Brings the count up to date with `history` in one call: when the
    /// history only grew since the last sync (the last message counted is
    /// still in place), only the new messages are counted; otherwise it is
    /// recounted (from the cache). Call it before every model request and
    /// right before [`ContextManager::record_usage`].
    pub fn sync(&mut self, history: &[Message]) {
        if let Some((len, last)) = self.synced
            && len <= history.len()
            && (len == 0 || message_hash(&history[len - 1]) == last)
        {
            for message in &history[len..] {
                self.observe(message);
            }
        } else {
            self.reset(history);
        }
        self.mark_synced(history);
    }

    fn mark_synced(&mut self, history: &[Message]) {
        self.synced = Some((
            history.len(),
            history.last().map(message_hash).unwrap_or_default(),
        ));
    }

    /// Adds one message appended to the history.
    pub fn observe(&mut self, message: &Message) {
        let tokens = self.counter.count_message(message) as u64;
        self.message_tokens += tokens;
        self.since_report += tokens;
    }

    /// Takes the usage the provider reported for the latest response
    /// (call it after observing that response's message): input, cache and
    /// output tokens together are the exact size of the context so far.
    /// Anthropic reports cached input apart from `input_tokens`;
    /// OpenAI-compatible servers count it inside `prompt_tokens`, so it is
    /// added only for `anthropic/` models.
    pub fn record_usage(&mut self, usage: &Usage) {
        let cached = if self.model.starts_with("anthropic/") {
            usage.cache_read_input_tokens.unwrap_or(0)
                + usage.cache_creation_input_tokens.unwrap_or(0)
        } else {
            0
        };
        let total = usage.input_tokens + usage.output_tokens + cached;
        if total > 0 {
            self.reported = Some(total);
            self.since_report = 0;
        }
    }

    /// Recounts from `history` (after it was replaced or edited); reported
    /// usage is forgotten. Unchanged messages come from the cache.
    pub fn reset(&mut self, history: &[Message]) {
        self.message_tokens = self.counter.count_messages(history) as u64;
        self.reported = None;
        self.since_report = 0;
        self.mark_synced(history);
    }

    /// Tokens the next request would hold.
    pub fn usage_tokens(&self) -> u64 {
        match self.reported {
            Some(reported) => reported + self.since_report,
            None => self.fixed_tokens + self.message_tokens,
        }
    }

    /// How full the context is.
    pub fn state(&self) -> ContextState {
        self.thresholds
            .state(self.usage_tokens(), self.auto_compact)
    }

    /// [`ContextManager::usage_tokens`] as a percentage of the effective
    /// window (for `get_context_usage`).
    pub fn percent_used(&self) -> u8 {
        self.thresholds.percent_used(self.usage_tokens())
    }

    /// The thresholds in force.
    pub fn thresholds(&self) -> Thresholds {
        self.thresholds
    }

    /// The model's limits in force.
    pub fn limits(&self) -> ModelLimits {
        self.limits
    }

    /// Whether automatic compaction is on (`context.autoCompact`).
    pub fn auto_compact(&self) -> bool {
        self.auto_compact
    }

    /// The tokenizer in use.
    pub fn counter(&self) -> &TokenCounter {
        &self.counter
    }

    /// The pinned messages and files.
    pub fn pinned(&self) -> &Pinned {
        &self.pinned
    }

    /// The pinned set, to pin or unpin (`/pin`).
    pub fn pinned_mut(&mut self) -> &mut Pinned {
        &mut self.pinned
    }

    /// Step 2 of the loop recipe in one call, before a model request:
    /// [`set_model`](Self::set_model), [`set_fixed`](Self::set_fixed),
    /// [`sync`](Self::sync), then [`maybe_reduce`](Self::maybe_reduce)
    /// when past the warning threshold. Returns the state afterwards (compact
    /// when it is `ShouldCompact` or `Blocked`) and what the reduction did.
    pub fn prepare(
        &mut self,
        model: &str,
        system: Option<&str>,
        tools: &[ToolSpec],
        history: &mut [Message],
    ) -> (ContextState, Option<Reduction>) {
        self.set_model(model);
        self.set_fixed(system, tools);
        self.sync(history);
        let reduction = if self.state() >= ContextState::Warning {
            self.maybe_reduce(history)
        } else {
            None
        };
        (self.state(), reduction)
    }

    /// The cheap reduction: when the context is past the warning threshold,
    /// stubs old tool results until it is below it again (or nothing is
    /// left to stub), then recounts. `None` when nothing was changed.
    pub fn maybe_reduce(&mut self, history: &mut [Message]) -> Option<Reduction> {
        if self.state() == ContextState::Fine {
            return None;
        }
        let excess = self.usage_tokens().saturating_sub(self.thresholds.warning);
        let to_free = usize::try_from(excess).unwrap_or(usize::MAX).max(1);
        let done = stub_old_results(
            history,
            &self.counter,
            &self.pinned,
            &self.cwd,
            &self.reduce_policy,
            to_free,
        );
        if done.stubbed == 0 {
            return None;
        }
        self.reset(history);
        tracing::debug!(
            stubbed = done.stubbed,
            saved = done.tokens_saved,
            "stubbed old tool results"
        );
        Some(done)
    }

    /// The compactor with its request sized to the model: the rendered
    /// conversation at most half the effective window (about 4 characters
    /// a token), the summary at most a quarter of it and the model's
    /// largest answer.
    fn fitted_compactor(&self) -> Compactor {
        let window = usize::try_from(self.thresholds.effective_window).unwrap_or(usize::MAX);
        let mut compactor = self.compactor.clone();
        compactor.max_transcript_chars = compactor
            .max_transcript_chars
            .min(window.saturating_mul(2))
            .max(4_000);
        let summary_cap = (self.thresholds.effective_window / 4)
            .min(self.limits.max_output)
            .max(1_000);
        compactor.max_summary_tokens = compactor
            .max_summary_tokens
            .min(u32::try_from(summary_cap).unwrap_or(u32::MAX));
        compactor
    }

    /// Full compaction of `history` with `model`: PreCompact hooks (which
    /// may cancel), the summary request, the transcript records, `history`
    /// replaced and recounted, PostCompact hooks. On any error `history`
    /// and the counts are left as they were.
    ///
    /// # Errors
    /// See [`CompactError`].
    pub async fn compact(
        &mut self,
        model: &dyn Model,
        history: &mut Vec<Message>,
        request: CompactRequest<'_>,
    ) -> Result<Compacted, CompactError> {
        let CompactRequest {
            trigger,
            instructions,
            hooks,
            transcript,
        } = request;
        if history.is_empty() {
            return Err(CompactError::Empty);
        }
        if let Some(hooks) = hooks {
            pre_compact(hooks, &trigger, instructions).await?;
        }
        let compactor = self.fitted_compactor();
        let mut compacted = compactor
            .compact_counted(
                model,
                history,
                instructions,
                &self.pinned,
                &mut self.counter,
            )
            .await?;
        if let Some(transcript) = transcript {
            record_compaction(transcript, &compacted, &trigger, model.name())?;
        }
        // Context sizes as the loop sees them: system prompt and tools
        // included, the provider's figure when it reported one.
        compacted.pre_tokens = self.usage_tokens();
        *history = compacted.messages.clone();
        self.reset(history);
        compacted.post_tokens = self.usage_tokens();
        if let Some(hooks) = hooks {
            post_compact(hooks, &trigger, &compacted.summary).await;
        }
        Ok(compacted)
    }
}

#[cfg(test)]
#[path = "manager_tests.rs"]
mod tests;
