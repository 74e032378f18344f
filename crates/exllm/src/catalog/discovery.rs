//! Questions about the catalog as a whole: what does this model do, which models do this,
//! how do these compare, and which should I use.
//!
//! Feature names are the catalog's capability keys without their `supports_` prefix
//! (`vision`, `function_calling`, `response_schema`, `reasoning`, `pdf_input`,
//! `prompt_caching`, ...), with friendly aliases (`tools`, `json_schema`, `thinking`, ...)
//! resolved once per query by [`feature_key`]. A capability the catalog does not state is
//! unknown, and unknown never satisfies a requirement; likewise a price the catalog lacks never
//! passes a price ceiling. Prices here are USD per million tokens, the unit people compare.
//! Comparison and ranking live in `recommend.rs`.

use super::lookup::Catalog;
use super::model::ModelEntry;
use serde::Serialize;

/// Friendly feature names and the capability each stands for.
const ALIASES: &[(&str, &str)] = &[
    ("tools", "function_calling"),
    ("tool_calling", "function_calling"),
    ("tool_use", "function_calling"),
    ("functions", "function_calling"),
    ("json_schema", "response_schema"),
    ("structured_output", "response_schema"),
    ("structured_outputs", "response_schema"),
    ("images", "vision"),
    ("image_input", "vision"),
    ("pdf", "pdf_input"),
    ("caching", "prompt_caching"),
    ("cache", "prompt_caching"),
    ("thinking", "reasoning"),
    ("audio", "audio_input"),
    ("video", "video_input"),
    ("search", "web_search"),
    ("streaming", "native_streaming"),
];

/// The capability key for a feature name: `tools` -> `supports_function_calling`,
/// `vision` -> `supports_vision`; a key already holding `supports_` is kept. Case, spaces and
/// dashes are forgiven (`JSON-Schema`).
pub fn feature_key(feature: &str) -> String {
    let f = feature.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    if f.contains("supports_") {
        return f;
    }
    let f = f.strip_prefix("supports").unwrap_or(&f);
    let base = ALIASES
        .iter()
        .find(|(alias, _)| *alias == f)
        .map_or(f, |(_, key)| key);
    format!("supports_{base}")
}

/// The friendly name of a capability key (`supports_vision` -> `vision`).
pub fn feature_name(key: &str) -> &str {
    key.strip_prefix("supports_").unwrap_or(key)
}

/// Which models [`Catalog::find_models`] returns. Every condition set must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Features every model must support (see [`feature_key`]).
    pub features: Vec<String>,
    /// LiteLLM mode (`chat`, `embedding`, `image_generation`, ...) or family (`image`, `audio`).
    pub mode: Option<String>,
    /// At least this many input tokens.
    pub min_context: Option<u64>,
    /// Input price at most this, USD per million tokens.
    pub max_input_cost: Option<f64>,
    /// Output price at most this, USD per million tokens.
    pub max_output_cost: Option<f64>,
    /// Only these providers (all when empty).
    pub providers: Vec<String>,
}

impl Filter {
    /// Requires a feature.
    pub fn with_feature(mut self, feature: impl Into<String>) -> Self {
        self.features.push(feature.into());
        self
    }
    /// Requires a mode or family.
    pub fn with_mode(mut self, mode: impl Into<String>) -> Self {
        self.mode = Some(mode.into());
        self
    }
    /// Requires a context window of at least `tokens`.
    pub fn with_min_context(mut self, tokens: u64) -> Self {
        self.min_context = Some(tokens);
        self
    }
    /// Caps the input price (USD per million tokens).
    pub fn with_max_input_cost(mut self, usd_per_1m: f64) -> Self {
        self.max_input_cost = Some(usd_per_1m);
        self
    }
    /// Caps the output price (USD per million tokens).
    pub fn with_max_output_cost(mut self, usd_per_1m: f64) -> Self {
        self.max_output_cost = Some(usd_per_1m);
        self
    }
    /// Allows a provider (repeat for several).
    pub fn with_provider(mut self, provider: impl Into<String>) -> Self {
        self.providers.push(provider.into());
        self
    }

    /// Whether one model passes (resolves the feature names on each call; to test many
    /// models use [`Catalog::find_models`]).
    pub fn matches(&self, model: &ModelEntry) -> bool {
        self.matcher()(model)
    }

    /// Whether no condition is set.
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }

    /// A predicate over entries, with the feature names resolved once.
    pub(super) fn matcher(&self) -> impl Fn(&ModelEntry) -> bool + '_ {
        let keys: Vec<String> = self.features.iter().map(|f| feature_key(f)).collect();
        move |m| {
            (self.providers.is_empty() || self.providers.contains(&m.provider))
                && self
                    .mode
                    .as_deref()
                    .is_none_or(|want| mode_matches(m, want))
                && self
                    .min_context
                    .is_none_or(|n| m.context_window.is_some_and(|c| c >= n))
                && within(m.input_per_1m(), self.max_input_cost)
                && within(m.output_per_1m(), self.max_output_cost)
                && keys.iter().all(|k| m.capabilities.get(k) == Some(&true))
        }
    }
}

/// A price passes a ceiling only when it is known and not above it.
fn within(price: Option<f64>, max: Option<f64>) -> bool {
    max.is_none_or(|max| price.is_some_and(|p| p <= max))
}

/// `chat` matches `chat`, `responses`, `completion`; `image` matches `image_generation`, ...
fn mode_matches(m: &ModelEntry, want: &str) -> bool {
    use super::model::Mode;
    if m.mode.as_deref() == Some(want) {
        return true;
    }
    let kind = match want {
        "chat" => Mode::Chat,
        "embedding" | "embeddings" => Mode::Embedding,
        "image" | "images" => Mode::Image,
        "audio" => Mode::Audio,
        "video" => Mode::Video,
        "rerank" => Mode::Rerank,
        "moderation" => Mode::Moderation,
        _ => return false,
    };
    m.mode_kind() == kind
}

/// A per-token price per million tokens, rounded to a millionth of a dollar so that
/// `1e-7 * 1e6` reads `0.1`, not `0.09999999999999999`.
fn per_1m(per_token: f64) -> f64 {
    (per_token * 1e12).round() / 1e6
}

/// One model, summarised for people and scripts: prices per million tokens, features by name.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ModelInfo {
    /// `provider/id`.
    pub name: String,
    /// LiteLLM mode.
    pub mode: Option<String>,
    /// Input tokens accepted.
    pub context_window: Option<u64>,
    /// Output tokens per call.
    pub max_output_tokens: Option<u64>,
    /// USD per million input tokens.
    pub input_per_1m: Option<f64>,
    /// USD per million output tokens.
    pub output_per_1m: Option<f64>,
    /// USD per million cached input tokens.
    pub cached_input_per_1m: Option<f64>,
    /// Features the catalog says it has.
    pub features: Vec<String>,
    /// Features the catalog says it lacks (others are unknown).
    pub lacks: Vec<String>,
    /// When the provider retires it.
    pub deprecation_date: Option<String>,
}

impl ModelEntry {
    /// USD per million input tokens (base prices), when known.
    pub fn input_per_1m(&self) -> Option<f64> {
        self.prices.base.input.map(per_1m)
    }

    /// USD per million output tokens (base prices), when known.
    pub fn output_per_1m(&self) -> Option<f64> {
        self.prices.base.output.map(per_1m)
    }

    /// The features the catalog says this model has, by friendly name.
    pub fn features(&self) -> impl Iterator<Item = &str> {
        self.capabilities
            .iter()
            .filter(|(_, v)| **v)
            .map(|(k, _)| feature_name(k))
    }

    /// This entry as a [`ModelInfo`].
    pub fn info(&self) -> ModelInfo {
        let names = |want: bool| {
            self.capabilities
                .iter()
                .filter(|(_, v)| **v == want)
                .map(|(k, _)| feature_name(k).to_owned())
                .collect()
        };
        ModelInfo {
            name: self.name(),
            mode: self.mode.clone(),
            context_window: self.context_window,
            max_output_tokens: self.max_output_tokens,
            input_per_1m: self.input_per_1m(),
            output_per_1m: self.output_per_1m(),
            cached_input_per_1m: self.prices.base.cache_read.map(per_1m),
            features: names(true),
            lacks: names(false),
            deprecation_date: self.deprecation_date.clone(),
        }
    }
}

impl Catalog {
    /// A model by `provider/id`, alias, or bare id (`gpt-4o`: the first provider that has it,
    /// the model's maker before resellers).
    pub fn resolve(&self, name: &str) -> Option<&ModelEntry> {
        if let Some(m) = self.model(name) {
            return Some(m);
        }
        let named = |m: &&ModelEntry| m.id == name || m.aliases.iter().any(|a| a == name);
        let providers = crate::provider::registry::PROVIDERS;
        let rank = |m: &&ModelEntry| providers.iter().position(|p| p.name == m.provider);
        self.models()
            .iter()
            .filter(named)
            .min_by_key(|m| rank(m).unwrap_or(usize::MAX))
    }

    /// A summary of one model (see [`Catalog::resolve`] for the names taken).
    pub fn model_info(&self, name: &str) -> Option<ModelInfo> {
        self.resolve(name).map(ModelEntry::info)
    }

    /// Whether a model has a feature: `None` when the model is unknown or the catalog does not
    /// say.
    pub fn model_supports(&self, name: &str, feature: &str) -> Option<bool> {
        let m = self.resolve(name)?;
        m.capabilities.get(&feature_key(feature)).copied()
    }

    /// The models matching every condition of `filter`, in catalog order.
    pub fn find_models(&self, filter: &Filter) -> Vec<&ModelEntry> {
        let keep = filter.matcher();
        self.models().iter().filter(|m| keep(m)).collect()
    }

    /// The models that have `feature`.
    pub fn models_by_capability(&self, feature: &str) -> Vec<&ModelEntry> {
        let key = feature_key(feature);
        let has = |m: &&ModelEntry| m.capabilities.get(&key) == Some(&true);
        self.models().iter().filter(has).collect()
    }
}

#[cfg(test)]
#[path = "discovery_tests.rs"]
mod tests;
