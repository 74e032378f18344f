//! Which tokenizer a `provider/model` name uses.
//!
//! OpenAI publishes its tokenizers (tiktoken's `o200k_base` and `cl100k_base`), so its model
//! families map to an exact [`Encoding`]. Every other provider keeps its tokenizer private or
//! ships it only with the weights, so it maps to a [`Family`] whose calibrated estimate stands
//! in for it. The mapping works on the last path segment of the name, so routed names such as
//! `azure/gpt-4o` or `openrouter/openai/gpt-4.1` resolve like `openai/gpt-4o`.

/// An OpenAI BPE encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Encoding {
    /// `o200k_base`: gpt-4o, gpt-4.1, gpt-4.5, gpt-5, o1/o3/o4 and gpt-oss.
    O200kBase,
    /// `cl100k_base`: gpt-4, gpt-3.5 and the `text-embedding-3` / `ada-002` embedders.
    Cl100kBase,
}

impl Encoding {
    /// tiktoken's name of the encoding.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::O200kBase => "o200k_base",
            Encoding::Cl100kBase => "cl100k_base",
        }
    }

    /// The encoding of a model, from its name alone (`gpt-4o-mini`, `openai/o3`, ...).
    ///
    /// ```
    /// use exllm::tokens::Encoding;
    /// assert_eq!(Encoding::for_model("openai/gpt-4o-mini"), Some(Encoding::O200kBase));
    /// assert_eq!(Encoding::for_model("azure/gpt-35-turbo"), Some(Encoding::Cl100kBase));
    /// assert_eq!(Encoding::for_model("anthropic/claude-sonnet-4-5"), None);
    /// ```
    pub fn for_model(model: &str) -> Option<Encoding> {
        let id = model_id(model);
        const O200K: &[&str] = &[
            "gpt-4o",
            "gpt-4.1",
            "gpt-4.5",
            "gpt-5",
            "gpt-oss",
            "chatgpt-4o",
            "o1",
            "o3",
            "o4",
            "computer-use",
            "codex-mini",
        ];
        const CL100K: &[&str] = &[
            "gpt-4",
            "gpt-3.5",
            "gpt-35",
            "text-embedding-3",
            "text-embedding-ada-002",
        ];
        if O200K.iter().any(|p| starts_with_word(&id, p)) {
            Some(Encoding::O200kBase)
        } else if CL100K.iter().any(|p| id.starts_with(p)) {
            Some(Encoding::Cl100kBase)
        } else {
            None
        }
    }
}

/// A tokenizer family whose counts are estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Family {
    /// An OpenAI model not covered by a known [`Encoding`] (estimated like `o200k_base`).
    OpenAi,
    /// Anthropic Claude.
    Anthropic,
    /// Google Gemini and Gemma.
    Gemini,
    /// Meta Llama.
    Llama,
    /// Mistral AI models.
    Mistral,
    /// Alibaba Qwen.
    Qwen,
    /// DeepSeek.
    DeepSeek,
    /// Anything else.
    Other,
}

impl Family {
    /// The family of a `provider/model` name.
    ///
    /// ```
    /// use exllm::tokens::Family;
    /// assert_eq!(Family::for_model("bedrock/anthropic.claude-3-haiku"), Family::Anthropic);
    /// assert_eq!(Family::for_model("groq/llama-3.3-70b-versatile"), Family::Llama);
    /// ```
    pub fn for_model(model: &str) -> Family {
        let lower = model.to_ascii_lowercase();
        let provider = lower.split('/').next().unwrap_or_default();
        let has = |s: &str| lower.contains(s);
        if has("claude") || provider == "anthropic" {
            Family::Anthropic
        } else if has("gemini") || has("gemma") || provider == "gemini" {
            Family::Gemini
        } else if has("llama") {
            Family::Llama
        } else if has("mistral") || has("mixtral") || has("codestral") || has("magistral") {
            Family::Mistral
        } else if has("qwen") || has("qwq") {
            Family::Qwen
        } else if has("deepseek") {
            Family::DeepSeek
        } else if provider == "openai" || provider == "azure" {
            Family::OpenAi
        } else {
            Family::Other
        }
    }
}

/// The model id without any `provider/` prefixes, lowercased.
pub(crate) fn model_id(model: &str) -> String {
    model
        .rsplit('/')
        .next()
        .unwrap_or(model)
        .to_ascii_lowercase()
}

/// `id` starts with `prefix` and the next character does not continue a word (`o1` matches
/// `o1-mini` but not `o1x`).
fn starts_with_word(id: &str, prefix: &str) -> bool {
    match id.strip_prefix(prefix) {
        Some(rest) => !rest.starts_with(|c: char| c.is_ascii_alphanumeric()) || prefix.len() > 3,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_families_map_to_their_encodings() {
        for m in [
            "openai/gpt-4o",
            "openai/gpt-4.1-nano",
            "openai/o3-mini",
            "openai/gpt-5",
        ] {
            assert_eq!(Encoding::for_model(m), Some(Encoding::O200kBase), "{m}");
        }
        for m in [
            "openai/gpt-4",
            "openai/gpt-3.5-turbo",
            "openai/text-embedding-3-small",
        ] {
            assert_eq!(Encoding::for_model(m), Some(Encoding::Cl100kBase), "{m}");
        }
        assert_eq!(Encoding::for_model("openai/o1x"), None);
        assert_eq!(Encoding::for_model(""), None);
        assert_eq!(
            Family::for_model("vertex_ai/gemini-2.5-pro"),
            Family::Gemini
        );
        assert_eq!(Family::for_model("weird"), Family::Other);
    }
}
