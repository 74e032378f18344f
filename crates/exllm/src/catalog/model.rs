//! The catalog's data types: one [`ModelEntry`] per model, its prices as [`PriceTable`]s and the
//! per-provider [`CatalogFile`] written under `catalog/`.
//!
//! Prices are USD per unit (per token unless the field says otherwise) and every one is an
//! `Option`: a price LiteLLM does not list is unknown, not free. The price fields are declared
//! once, in the `price_set!` table below, next to the LiteLLM key each one comes from, so the
//! parser, the cost code and the tests cannot disagree on the mapping.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

macro_rules! price_set {
    ($($field:ident => $key:literal, $doc:literal;)*) => {
        /// One set of unit prices in USD. Each field names the LiteLLM key it comes from.
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        pub struct PriceSet {
            $(
                #[doc = $doc]
                #[doc = concat!(" (LiteLLM `", $key, "`)")]
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $field: Option<f64>,
            )*
        }

        impl PriceSet {
            /// The LiteLLM base keys modelled here (without tier or threshold suffixes).
            pub const LITELLM_KEYS: &'static [&'static str] = &[$($key),*];

            /// The price stored for a LiteLLM base key.
            pub fn get(&self, litellm_key: &str) -> Option<f64> {
                match litellm_key {
                    $($key => self.$field,)*
                    _ => None,
                }
            }

            /// The slot for a LiteLLM base key, `None` when the key is not modelled.
            pub fn slot(&mut self, litellm_key: &str) -> Option<&mut Option<f64>> {
                match litellm_key {
                    $($key => Some(&mut self.$field),)*
                    _ => None,
                }
            }

            /// Whether no price is set.
            pub fn is_empty(&self) -> bool {
                true $(&& self.$field.is_none())*
            }
        }
    };
}

price_set! {
    input => "input_cost_per_token", "Input (prompt) token.";
    output => "output_cost_per_token", "Output token.";
    cache_read => "cache_read_input_token_cost", "Input token read from the prompt cache.";
    cache_write => "cache_creation_input_token_cost", "Input token written to the prompt cache (default TTL).";
    cache_write_1h => "cache_creation_input_token_cost_above_1hr", "Input token written to the cache with a 1-hour TTL.";
    cache_write_12h => "cache_creation_input_token_cost_above_12hr", "Input token written to the cache with a 12-hour TTL.";
    cache_hit => "input_cost_per_token_cache_hit", "Input token served from cache (DeepSeek-style naming).";
    reasoning => "output_cost_per_reasoning_token", "Reasoning (thinking) output token.";
    input_audio => "input_cost_per_audio_token", "Input audio token.";
    output_audio => "output_cost_per_audio_token", "Output audio token.";
    cache_read_audio => "cache_read_input_audio_token_cost", "Input audio token read from cache.";
    input_image => "input_cost_per_image", "Input image (per image).";
    output_image => "output_cost_per_image", "Generated image (per image).";
    input_image_token => "input_cost_per_image_token", "Input image token.";
    output_image_token => "output_cost_per_image_token", "Output image token.";
    input_video_token => "input_cost_per_video_token", "Input video token.";
    input_per_second => "input_cost_per_second", "Input second (audio/video models).";
    output_per_second => "output_cost_per_second", "Output second (speech/video models).";
    input_audio_per_second => "input_cost_per_audio_per_second", "Input audio second.";
    input_video_per_second => "input_cost_per_video_per_second", "Input video second.";
    input_per_character => "input_cost_per_character", "Input character.";
    output_per_character => "output_cost_per_character", "Output character.";
    per_query => "input_cost_per_query", "Query (search, rerank).";
    per_request => "input_cost_per_request", "Request.";
    input_per_pixel => "input_cost_per_pixel", "Input pixel.";
    output_per_pixel => "output_cost_per_pixel", "Output pixel.";
    per_page => "ocr_cost_per_page", "OCR page.";
}

/// Prices that apply once the prompt is larger than `above_tokens` (LiteLLM
/// `*_above_<N>k_tokens` keys, or one row of `tiered_pricing`). A tier's prices replace the
/// base prices for the whole call; a price the tier does not list falls back to the base.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PriceTier {
    /// The tier applies when the prompt has more than this many tokens (0: from the first).
    pub above_tokens: u64,
    /// Upper bound of the range, when the source gave one (`tiered_pricing`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub up_to_tokens: Option<u64>,
    /// The tier's prices.
    pub prices: PriceSet,
}

/// Base prices plus prompt-size tiers, for one service tier (standard, batch, priority, ...).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PriceTable {
    /// Prices for prompts below every tier.
    #[serde(default, skip_serializing_if = "PriceSet::is_empty")]
    pub base: PriceSet,
    /// Prompt-size tiers, sorted by `above_tokens`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tiers: Vec<PriceTier>,
}

impl PriceTable {
    /// Whether the table holds no price at all.
    pub fn is_empty(&self) -> bool {
        self.base.is_empty() && self.tiers.is_empty()
    }

    /// The tier that applies to a prompt of `input_tokens` (the highest one exceeded).
    pub fn tier_for(&self, input_tokens: u64) -> Option<&PriceTier> {
        self.tiers
            .iter()
            .filter(|t| input_tokens > t.above_tokens || (t.above_tokens == 0 && input_tokens == 0))
            .max_by_key(|t| t.above_tokens)
    }

    /// The tier with exactly this threshold, created when missing (kept sorted).
    pub fn tier_mut(&mut self, above_tokens: u64) -> &mut PriceTier {
        let at = match self
            .tiers
            .binary_search_by_key(&above_tokens, |t| t.above_tokens)
        {
            Ok(i) => i,
            Err(i) => {
                self.tiers.insert(
                    i,
                    PriceTier {
                        above_tokens,
                        ..Default::default()
                    },
                );
                i
            }
        };
        &mut self.tiers[at]
    }
}

/// Coarse model families, derived from LiteLLM's `mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mode {
    /// `chat`, `responses`, `completion`, `realtime`.
    Chat,
    /// `embedding`.
    Embedding,
    /// `image_generation`, `image_edit`.
    Image,
    /// `audio_transcription`, `audio_speech`.
    Audio,
    /// `video_generation`.
    Video,
    /// `rerank`.
    Rerank,
    /// `moderation`.
    Moderation,
    /// Anything else (`search`, `ocr`, `evaluation`, ...), or no mode.
    Other,
}

/// One model of the catalog.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelEntry {
    /// exllm's provider name (`openai`, `vertex`, `bedrock`, ...). In a user file it may be
    /// left out; the file's `provider` is used.
    #[serde(default)]
    pub provider: String,
    /// The model id as sent to the provider (the LiteLLM key without its provider prefix).
    pub id: String,
    /// Other names that resolve to this model.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// LiteLLM's mode as written (`chat`, `embedding`, `image_generation`, ...); see [`Mode`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Tokens the model accepts as input (`max_input_tokens`; `None` when unknown or 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_window: Option<u64>,
    /// LiteLLM `max_input_tokens` as given (0 kept: it means unknown there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_input_tokens: Option<u64>,
    /// LiteLLM `max_output_tokens` as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u64>,
    /// Legacy LiteLLM `max_tokens`, when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    /// Standard prices.
    #[serde(default, skip_serializing_if = "PriceTable::is_empty")]
    pub prices: PriceTable,
    /// Batch API prices (LiteLLM `*_batches`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<PriceTable>,
    /// Other service tiers (`priority`, `flex`, `ultrafast`, `balanced`, `decisions`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub service_tiers: BTreeMap<String, PriceTable>,
    /// Capability flags as LiteLLM spells them (`supports_vision`, ...). A missing flag is
    /// unknown, not `false`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub capabilities: BTreeMap<String, bool>,
    /// The date (`YYYY-MM-DD`) after which the provider retires the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecation_date: Option<String>,
    /// The model the provider recommends instead (a LiteLLM key; may name no entry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successor_model: Option<String>,
    /// Where the prices come from (a URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// LiteLLM's `litellm_provider` as written (raw form of `provider`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub litellm_provider: String,
    /// LiteLLM's key for this entry (raw form of `id`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub litellm_key: String,
    /// Every other field of the LiteLLM entry, unchanged (including any value whose type was
    /// not the expected one).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, Value>,
}

impl ModelEntry {
    /// `provider/id`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.provider, self.id)
    }

    /// The coarse family of `mode`.
    pub fn mode_kind(&self) -> Mode {
        match self.mode.as_deref() {
            Some("chat" | "responses" | "completion" | "realtime") => Mode::Chat,
            Some("embedding") => Mode::Embedding,
            Some("image_generation" | "image_edit") => Mode::Image,
            Some("audio_transcription" | "audio_speech") => Mode::Audio,
            Some("video_generation") => Mode::Video,
            Some("rerank") => Mode::Rerank,
            Some("moderation") => Mode::Moderation,
            _ => Mode::Other,
        }
    }

    /// A capability flag: `supports("vision")` or `supports("supports_vision")`. `None` when
    /// the catalog does not say.
    pub fn supports(&self, feature: &str) -> Option<bool> {
        if let Some(v) = self.capabilities.get(feature) {
            return Some(*v);
        }
        // `supports_` + feature without allocating: compare the suffix of each flag.
        self.capabilities
            .iter()
            .find(|(k, _)| k.strip_prefix("supports_") == Some(feature))
            .map(|(_, v)| *v)
    }
}

/// The content of one `catalog/<provider>.json` file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CatalogFile {
    /// exllm's provider name; entries without a provider take this one.
    #[serde(default)]
    pub provider: String,
    /// Where the file came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated_from: Option<String>,
    /// The models, sorted by id.
    #[serde(default)]
    pub models: Vec<ModelEntry>,
}
