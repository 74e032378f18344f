//! The context-window policy a session saves with itself.
//!
//! [`FitOptions`] holds tool definitions and a non-serialisable strategy enum; a session
//! needs a small, stable, JSON-friendly description of the same choice, turned into
//! `FitOptions` on each call.

use crate::context::{FitOptions, Strategy};
use serde::{Deserialize, Serialize};

/// Which turns a session drops when its history outgrows the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ContextStrategy {
    /// Send the whole history; the provider rejects it when it is too long.
    Off,
    /// [`Strategy::SlidingWindow`].
    SlidingWindow,
    /// [`Strategy::Smart`]: keeps the first user turn too.
    #[default]
    Smart,
}

/// How a session fits its history into the model's context window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContextPolicy {
    /// Which turns go.
    #[serde(default)]
    pub strategy: ContextStrategy,
    /// The window; the catalog's when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_window: Option<u64>,
    /// Room left for the answer; the session's `max_tokens`, else the catalog's, when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u64>,
    /// Extra headroom ([`FitOptions::safety_margin`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safety_margin: Option<u64>,
}

impl ContextPolicy {
    /// A policy with this strategy and the catalog's numbers.
    pub fn new(strategy: ContextStrategy) -> Self {
        ContextPolicy {
            strategy,
            ..Default::default()
        }
    }

    /// Overrides the context window.
    pub fn with_context_window(mut self, tokens: u64) -> Self {
        self.context_window = Some(tokens);
        self
    }

    /// Overrides the room left for the answer.
    pub fn with_max_output_tokens(mut self, tokens: u64) -> Self {
        self.max_output_tokens = Some(tokens);
        self
    }

    /// The fit options this policy stands for, `None` when fitting is off.
    pub fn fit_options(&self) -> Option<FitOptions> {
        let strategy = match self.strategy {
            ContextStrategy::Off => return None,
            ContextStrategy::SlidingWindow => Strategy::SlidingWindow,
            ContextStrategy::Smart => Strategy::Smart,
        };
        let mut opts = FitOptions::default().with_strategy(strategy);
        opts.context_window = self.context_window;
        opts.max_output_tokens = self.max_output_tokens;
        opts.safety_margin = self.safety_margin;
        Some(opts)
    }
}
