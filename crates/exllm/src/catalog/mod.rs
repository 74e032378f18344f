//! The model catalog: what each model is, what it can do and what it costs.
//!
//! The data comes from LiteLLM's `model_prices_and_context_window.json`, synced by
//! [`sync::sync`] into one human-readable JSON file per provider under the crate's
//! `catalog/` folder. Those files are committed and compiled into the library, so a price
//! lookup needs no network and no file; a user's own files can override or extend them at run
//! time ([`Catalog::load`]). Cost ([`cost()`]) and budgets ([`CostTracker`]) build on the
//! catalog but never on the client, so they work for any caller that has a [`crate::Usage`].
//! Discovery ([`Catalog::find_models`], [`Catalog::recommend_models`], ...) answers which
//! models can do what, at what price.
//!
//! ```
//! use exllm::catalog::{Catalog, CostOptions};
//! use exllm::Usage;
//! let model = Catalog::embedded().model("openai/gpt-5").expect("known model");
//! let usage = Usage { input_tokens: Some(1_000), output_tokens: Some(200), ..Default::default() };
//! let cost = model.cost(&usage, CostOptions::default());
//! assert!(cost.total > 0.0);
//! ```

mod cache_ttl;
mod cost;
mod discovery;
mod embedded_index;
mod lookup;
mod model;
mod parse;
pub mod providers;
mod recommend;
pub mod sync;
#[cfg(test)]
mod sync_tests;
mod tracker;
mod user;

pub use cache_ttl::asks_1h_cache;
pub use cost::{cost, Cost, CostOptions};
pub use discovery::{feature_key, feature_name, Filter, ModelInfo};
pub use lookup::Catalog;
pub use model::{CatalogFile, Mode, ModelEntry, PriceSet, PriceTable, PriceTier};
pub use parse::split_price_key;
pub use recommend::{blended_per_1m, Comparison, Recommendation, Requirements};
pub use sync::sync;
pub use tracker::{Budget, BudgetAction, BudgetHit, BudgetScope, Call, CostTracker, Totals};
pub use user::user_catalog_path;
