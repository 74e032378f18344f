//! Batch jobs and file stores through the client. [`Batches`] submits `(id, ChatRequest)`
//! pairs as one job to a provider's batch API (OpenAI, Azure OpenAI and Groq `/batches`;
//! Mistral `/batch/jobs`; Anthropic Message Batches; Gemini batch mode, inline or from a file),
//! follows its status and progress, cancels and lists jobs, and
//! collects one [`crate::BatchResult`] per id with its cost at the batch price. Providers without a
//! batch API get a client-side batch ([`Batches::run_local`]): concurrent calls checkpointed
//! to a JSONL file, so a rerun skips what finished. [`JobStore`] keeps submitted jobs on disk
//! so a later process picks them up. [`Files`] is a provider's file store.
//!
//! Bedrock and Vertex AI batch jobs read and write cloud storage buckets, which exllm does not
//! manage; they are not offered.
//!
//! Cost: the catalog's batch prices where it has them (LiteLLM `*_batches`), otherwise half
//! the standard price — the discount OpenAI, Anthropic, Groq and Azure give batch jobs.

mod files;
mod jobs;
mod local;
mod results;
mod store;

pub use files::{ByteStream, Files, Progress};
pub use jobs::Batches;
pub use local::{local_job, run_with};
pub use store::JobStore;

use crate::catalog::{Cost, CostOptions, ModelEntry};
use crate::client::{Backend, HttpBackend};
use crate::error::{Error, ErrorKind, Result};
use crate::types::Usage;
use std::sync::Arc;

/// The provider as an HTTP provider, which batch jobs and file stores need.
fn http_of<'a>(p: &'a Arc<dyn Backend>, name: &str) -> Result<&'a HttpBackend> {
    p.as_http().ok_or_else(|| {
        Error::new(
            ErrorKind::Unsupported,
            format!("{name} is not an HTTP provider: it has no batch or file API"),
        )
        .with_provider(name)
    })
}

/// The cost of a batched call: the model's batch prices, else half its standard ones.
pub fn batch_cost(model: &ModelEntry, usage: &Usage) -> Cost {
    if model.batch.is_some() {
        return model.cost(usage, CostOptions::batch());
    }
    let mut c = model.cost(usage, CostOptions::default());
    for part in [
        &mut c.input,
        &mut c.cached_input,
        &mut c.cache_write,
        &mut c.output,
        &mut c.reasoning,
        &mut c.total,
    ] {
        *part *= 0.5;
    }
    c
}
