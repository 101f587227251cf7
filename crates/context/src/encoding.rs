//! Which tokenizer counts a model's tokens, and counting text with it.
//!
//! OpenAI publishes its tokenizers, so their counts are exact:
//! `o200k_base` for gpt-4o, gpt-4.1, gpt-4.5, gpt-5, gpt-oss and the
//! o-series (o1, o3, o4 ...); `cl100k_base` for gpt-4, gpt-3.5 and the
//! `text-embedding-3` / `ada-002` models. Anthropic, Qwen, Llama, Mistral,
//! DeepSeek and every model not named here use tokenizers that are not
//! published (or not bundled); for them ferrule counts with `cl100k_base`
//! as an approximation. Its counts are usually within ±15% of the real
//! ones for English prose and code, which is close enough to decide when to
//! compact — the provider's reported usage corrects the figure after each
//! response (see [`crate::ContextManager::record_usage`]).

use std::sync::LazyLock;

use tiktoken_rs::CoreBPE;

/// A tokenizer used for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// `o200k_base`, the tokenizer of gpt-4o and later OpenAI models.
    O200kBase,
    /// `cl100k_base`, the tokenizer of gpt-4 and gpt-3.5, and the
    /// approximation for every model whose tokenizer is unknown.
    Cl100kBase,
}

/// The tokenizer for a model and whether its counts are exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ModelEncoding {
    /// The tokenizer to count with.
    pub encoding: Encoding,
    /// True when it is the model's own tokenizer; false when it is the
    /// documented `cl100k_base` approximation.
    pub exact: bool,
}

/// The bare model id of a full name: `openai/gpt-4.1` and `gpt-4.1` both
/// give `gpt-4.1`; `openai/meta-llama/Llama-3` gives `meta-llama/llama-3`.
/// Lower-cased.
pub fn model_id(name: &str) -> String {
    let lower = name.trim().to_ascii_lowercase();
    const PROVIDERS: [&str; 4] = ["openai/", "anthropic/", "scripted/", "ollama/"];
    for provider in PROVIDERS {
        if let Some(rest) = lower.strip_prefix(provider) {
            return rest.to_owned();
        }
    }
    lower
}

impl ModelEncoding {
    /// The tokenizer for `model` (a full `provider/model` name or a bare
    /// id), by model family.
    pub fn for_model(model: &str) -> Self {
        let id = model_id(model);
        // Fine-tuned models (`ft:gpt-4o-mini:org::id`) count like their base.
        let id = id.strip_prefix("ft:").unwrap_or(&id);
        const O200K: [&str; 10] = [
            "gpt-4o",
            "gpt-4.1",
            "gpt-4.5",
            "gpt-5",
            "gpt-oss",
            "chatgpt-4o",
            "o1",
            "o3",
            "o4",
            "codex-",
        ];
        const CL100K: [&str; 5] = [
            "gpt-4",
            "gpt-3.5",
            "gpt-35",
            "text-embedding-3",
            "text-embedding-ada-002",
        ];
        if O200K.iter().any(|prefix| id.starts_with(prefix)) {
            return Self {
                encoding: Encoding::O200kBase,
                exact: true,
            };
        }
        let exact = CL100K.iter().any(|prefix| id.starts_with(prefix));
        Self {
            encoding: Encoding::Cl100kBase,
            exact,
        }
    }
}

static O200K: LazyLock<Option<CoreBPE>> =
    LazyLock::new(|| load("o200k_base", tiktoken_rs::o200k_base));
static CL100K: LazyLock<Option<CoreBPE>> =
    LazyLock::new(|| load("cl100k_base", tiktoken_rs::cl100k_base));

fn load<E: std::fmt::Display>(
    name: &str,
    build: impl FnOnce() -> Result<CoreBPE, E>,
) -> Option<CoreBPE> {
    match build() {
        Ok(bpe) => Some(bpe),
        Err(error) => {
            tracing::warn!(encoding = name, %error, "tokenizer did not load; estimating 4 bytes per token");
            None
        }
    }
}

impl Encoding {
    /// The tokenizer's name, as tiktoken spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::O200kBase => "o200k_base",
            Self::Cl100kBase => "cl100k_base",
        }
    }

    fn bpe(self) -> Option<&'static CoreBPE> {
        match self {
            Self::O200kBase => O200K.as_ref(),
            Self::Cl100kBase => CL100K.as_ref(),
        }
    }

    /// Tokens of `text`. Special-token markers such as `<|endoftext|>` are
    /// counted as the ordinary text they are in a conversation.
    pub fn count(self, text: &str) -> usize {
        if text.is_empty() {
            return 0;
        }
        match self.bpe() {
            Some(bpe) => bpe.encode_ordinary(text).len(),
            None => text.len().div_ceil(4),
        }
    }

    /// The token ids of `text` (ordinary encoding), or `None` when the
    /// tokenizer could not be loaded.
    pub fn encode(self, text: &str) -> Option<Vec<u32>> {
        self.bpe().map(|bpe| bpe.encode_ordinary(text))
    }

    /// The bytes of one token id, or `None` for an id outside the
    /// vocabulary (or when the tokenizer could not be loaded).
    pub fn token_bytes(self, token: u32) -> Option<Vec<u8>> {
        self.bpe()?.decode_bytes(&[token]).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn model_families_pick_their_tokenizer() {
        let exact_o200k = ModelEncoding {
            encoding: Encoding::O200kBase,
            exact: true,
        };
        for model in [
            "openai/gpt-4.1",
            "gpt-4o-mini",
            "openai/o3-mini",
            "GPT-5",
            "openai/gpt-oss-20b",
        ] {
            assert_eq!(ModelEncoding::for_model(model), exact_o200k, "{model}");
        }
        for model in ["openai/gpt-4-turbo", "gpt-3.5-turbo"] {
            assert_eq!(
                ModelEncoding::for_model(model),
                ModelEncoding {
                    encoding: Encoding::Cl100kBase,
                    exact: true
                },
                "{model}"
            );
        }
        for model in [
            "anthropic/claude-sonnet-4-5",
            "openai/qwen2.5-coder:7b",
            "llama3",
            "scripted/demo.json",
        ] {
            assert_eq!(
                ModelEncoding::for_model(model),
                ModelEncoding {
                    encoding: Encoding::Cl100kBase,
                    exact: false
                },
                "{model}"
            );
        }
    }

    #[test]
    fn counts_match_tiktoken() {
        // Reference counts from Python tiktoken 0.14 (`len(enc.encode_ordinary(s))`).
        let cases = [
            ("hello world", 2, 2),
            ("Hello, world!", 4, 4),
            ("tiktoken is great!", 6, 6),
            ("fn main() {\n    println!(\"hi\");\n}\n", 10, 10),
            ("<|endoftext|>", 7, 7),
            ("Ünïcödé ✓ 日本語のテキスト", 16, 12),
            ("    indented\n\n\n  lines  ", 7, 7),
            ("", 0, 0),
        ];
        for (text, cl100k, o200k) in cases {
            assert_eq!(Encoding::Cl100kBase.count(text), cl100k, "cl100k {text:?}");
            assert_eq!(Encoding::O200kBase.count(text), o200k, "o200k {text:?}");
        }
    }
}
