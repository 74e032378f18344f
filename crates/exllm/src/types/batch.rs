//! Batch jobs: many chat requests sent as one job that a provider answers within hours at a
//! lower price (OpenAI, Azure OpenAI and Groq `/batches`, Mistral `/batch/jobs`, Anthropic
//! Message Batches, Gemini batch mode), or that the client runs itself for providers without
//! such an API. One status and progress model for
//! all of them, and one result per request id.

use super::ChatResponse;
use crate::error::Error;
use serde::{Deserialize, Serialize};

/// Where a batch job runs: which batch API holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum BatchApi {
    /// OpenAI `/batches` over an uploaded JSONL file (also Azure OpenAI and Groq).
    OpenAi,
    /// Anthropic `/messages/batches`.
    Anthropic,
    /// Gemini `batchGenerateContent`, with inline requests or an uploaded JSONL file.
    Gemini,
    /// Mistral `/batch/jobs` over an uploaded JSONL file.
    Mistral,
    /// Run by the client: concurrent calls checkpointed to a local JSONL file.
    Local,
}

impl BatchApi {
    /// The name stored in job files and shown by the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            BatchApi::OpenAi => "openai",
            BatchApi::Anthropic => "anthropic",
            BatchApi::Gemini => "gemini",
            BatchApi::Mistral => "mistral",
            BatchApi::Local => "local",
        }
    }
}

/// Where a job is in its life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum BatchStatus {
    /// The input is being checked (OpenAI `validating`).
    Validating,
    /// Requests are being answered.
    InProgress,
    /// Answers are being gathered into the output (OpenAI `finalizing`).
    Finalizing,
    /// Every request has its result (some of which may be errors).
    Completed,
    /// The job failed as a whole (invalid input).
    Failed,
    /// The completion window ran out; finished requests still have results.
    Expired,
    /// A cancel was asked for and is under way.
    Cancelling,
    /// Cancelled; finished requests still have results.
    Cancelled,
    /// A state this version does not know, as the provider named it.
    Other(String),
}

impl BatchStatus {
    /// Whether the job will change no more (its results, if any, can be collected).
    pub fn is_done(&self) -> bool {
        matches!(
            self,
            BatchStatus::Completed
                | BatchStatus::Failed
                | BatchStatus::Expired
                | BatchStatus::Cancelled
        )
    }

    /// The name the CLI shows.
    pub fn as_str(&self) -> &str {
        match self {
            BatchStatus::Validating => "validating",
            BatchStatus::InProgress => "in_progress",
            BatchStatus::Finalizing => "finalizing",
            BatchStatus::Completed => "completed",
            BatchStatus::Failed => "failed",
            BatchStatus::Expired => "expired",
            BatchStatus::Cancelling => "cancelling",
            BatchStatus::Cancelled => "cancelled",
            BatchStatus::Other(s) => s,
        }
    }
}

/// How many requests are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchCounts {
    /// Requests in the job.
    pub total: u64,
    /// Requests answered successfully.
    pub succeeded: u64,
    /// Requests that ended in an error.
    pub failed: u64,
    /// Requests cancelled before they ran.
    pub cancelled: u64,
    /// Requests the completion window ran out on.
    pub expired: u64,
}

impl BatchCounts {
    /// Requests that reached an end state.
    pub fn finished(&self) -> u64 {
        self.succeeded + self.failed + self.cancelled + self.expired
    }
}

/// A batch job as its provider last reported it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchJob {
    /// The provider's job id (`batch_abc`, `msgbatch_01...`; a local job's checkpoint name).
    pub id: String,
    /// The provider (`openai`, `azure`, `groq`, `anthropic`, ...).
    pub provider: String,
    /// Which batch API holds the job.
    pub api: BatchApi,
    /// Where the job is.
    pub status: BatchStatus,
    /// Requests by state.
    pub counts: BatchCounts,
    /// The model the requests went to, when known (`provider/model`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// When it was created, in seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<u64>,
    /// When it ended, in seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<u64>,
    /// The uploaded input file (OpenAI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_file_id: Option<String>,
    /// The file holding the answers (OpenAI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_file_id: Option<String>,
    /// The file holding the failed requests (OpenAI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_file_id: Option<String>,
    /// Why the job as a whole failed, when it did.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    /// The submitted ids in order, for APIs that answer in order and may leave ids out
    /// (Gemini).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub request_ids: Vec<String>,
    /// The checkpoint file of a job the client runs ([`BatchApi::Local`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<std::path::PathBuf>,
}

impl Default for BatchJob {
    fn default() -> Self {
        BatchJob {
            id: String::new(),
            provider: String::new(),
            api: BatchApi::OpenAi,
            status: BatchStatus::Validating,
            counts: BatchCounts::default(),
            model: None,
            created_at: None,
            ended_at: None,
            input_file_id: None,
            output_file_id: None,
            error_file_id: None,
            errors: Vec::new(),
            request_ids: Vec::new(),
            checkpoint: None,
        }
    }
}

/// One page of a provider's job listing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchPage {
    /// The jobs on the page, newest first.
    pub jobs: Vec<BatchJob>,
    /// The cursor of the next page (`None`: this was the last): OpenAI's `last_id`,
    /// Anthropic's `last_id`, Gemini's `nextPageToken`, Mistral's next page number.
    pub next: Option<String>,
}

/// One request's outcome, matched back to its id.
#[derive(Debug)]
pub struct BatchResult {
    /// The id the request was submitted with (`custom_id`).
    pub id: String,
    /// The answer (its `cost` at the batch price where the catalog prices the model), or
    /// why there is none: a provider error with its status, or a request that expired
    /// ([`crate::ErrorKind::Timeout`], code `batch_expired`) or was cancelled
    /// ([`crate::ErrorKind::Http`], code `batch_cancelled`) before it ran.
    pub result: Result<ChatResponse, Error>,
}
