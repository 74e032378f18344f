//! A deployment: one `provider/model` at one endpoint, with its key, weight, tier, limits and
//! tags, and the group (the name callers ask for) it serves.

use crate::types::Secret;

/// Where a deployment's API key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeySource {
    /// The key itself (hidden from `Debug`).
    Value(Secret),
    /// An environment variable holding the key (LiteLLM's `os.environ/VAR`).
    Env(String),
}

impl KeySource {
    /// Reads LiteLLM's spelling: `os.environ/VAR` names a variable, anything else is the key.
    pub fn parse(text: &str) -> KeySource {
        match text.strip_prefix("os.environ/") {
            Some(var) => KeySource::Env(var.to_owned()),
            None => KeySource::Value(Secret::new(text)),
        }
    }
}

/// One deployment of a group.
#[derive(Debug, Clone, PartialEq)]
pub struct Deployment {
    /// A stable id (state is kept under it); `group#n` when the config gives none.
    pub id: String,
    /// The group it serves (`fast`, `smart`, or a public model name).
    pub group: String,
    /// `provider/model`, as the exllm client takes it.
    pub model: String,
    /// The endpoint (base URL with its version path), else the provider's default.
    pub api_base: Option<String>,
    /// The key, else the provider's usual environment variable.
    pub api_key: Option<KeySource>,
    /// Requests per minute this deployment accepts.
    pub rpm: Option<u32>,
    /// Tokens (prompt + output) per minute this deployment accepts.
    pub tpm: Option<u64>,
    /// Relative share of traffic under the weighted strategy.
    pub weight: f64,
    /// Tier: deployments of the lowest order are used first, higher ones only when those
    /// cannot serve (LiteLLM's `order`; 1 when not given).
    pub order: u32,
    /// Free-form tags (budgets can be set per tag).
    pub tags: Vec<String>,
}

impl Default for Deployment {
    fn default() -> Self {
        Deployment {
            id: String::new(),
            group: String::new(),
            model: String::new(),
            api_base: None,
            api_key: None,
            rpm: None,
            tpm: None,
            weight: 1.0,
            order: 1,
            tags: Vec::new(),
        }
    }
}

impl Deployment {
    /// A deployment of `model` (`provider/model`) serving `group`.
    pub fn new(group: impl Into<String>, model: impl Into<String>) -> Self {
        Deployment {
            group: group.into(),
            model: model.into(),
            ..Default::default()
        }
    }

    /// Sets the id.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }

    /// Sets the endpoint.
    pub fn api_base(mut self, url: impl Into<String>) -> Self {
        self.api_base = Some(url.into());
        self
    }

    /// Sets the key.
    pub fn api_key(mut self, key: impl Into<Secret>) -> Self {
        self.api_key = Some(KeySource::Value(key.into()));
        self
    }

    /// Reads the key from an environment variable.
    pub fn api_key_env(mut self, var: impl Into<String>) -> Self {
        self.api_key = Some(KeySource::Env(var.into()));
        self
    }

    /// Sets the requests-per-minute limit.
    pub fn rpm(mut self, rpm: u32) -> Self {
        self.rpm = Some(rpm);
        self
    }

    /// Sets the tokens-per-minute limit.
    pub fn tpm(mut self, tpm: u64) -> Self {
        self.tpm = Some(tpm);
        self
    }

    /// Sets the weight.
    pub fn weight(mut self, weight: f64) -> Self {
        self.weight = weight;
        self
    }

    /// Sets the tier.
    pub fn order(mut self, order: u32) -> Self {
        self.order = order;
        self
    }

    /// Adds a tag.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }

    /// The provider part of `model`.
    pub fn provider(&self) -> &str {
        self.model.split_once('/').map_or("", |(p, _)| p)
    }
}
