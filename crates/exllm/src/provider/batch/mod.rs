//! Batch and file-store APIs as pure codecs: canonical values in, HTTP requests out; body
//! bytes and result lines in, canonical values out. No I/O here — `crate::batch` sends these
//! requests through the shared transport. Chat bodies inside a batch are encoded and decoded
//! by the provider's own chat codec, so a batched request says exactly what a direct call says.

pub(crate) mod anthropic;
pub(crate) mod files;
pub(crate) mod gemini;
pub(crate) mod gemini_files;
pub(crate) mod lines;
pub(crate) mod mistral;
pub(crate) mod openai;

#[cfg(test)]
mod tests;

use crate::error::{Error, ErrorKind, Result};
use crate::provider::Api;
use crate::types::{BatchApi, BatchCounts, BatchStatus};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Which `/files` API a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileApi {
    /// OpenAI's (Azure OpenAI, Groq and Mistral copy it).
    OpenAi,
    /// Anthropic's beta Files API.
    Anthropic,
    /// Gemini's File API (resumable uploads).
    Gemini,
}

impl FileApi {
    /// The file API of a provider speaking chat `api`, if it has one.
    pub(crate) fn of(api: Api) -> Option<FileApi> {
        match api {
            Api::OpenAiChat | Api::OpenAiResponses => Some(FileApi::OpenAi),
            Api::Anthropic => Some(FileApi::Anthropic),
            Api::Gemini => Some(FileApi::Gemini),
            _ => None,
        }
    }
}

/// The batch API of `provider` speaking chat `api` (`None`: the client runs the batch).
/// Of the OpenAI-compatible hosts only these copy `/batches`, and Mistral has its own
/// `/batch/jobs`; the others get the client-side batch.
pub(crate) fn batch_api_of(provider: &str, api: Api) -> Option<BatchApi> {
    const OPENAI_BATCHES: [&str; 4] = ["openai", "azure", "azure-deployments", "groq"];
    match api {
        Api::OpenAiChat if OPENAI_BATCHES.contains(&provider) => Some(BatchApi::OpenAi),
        Api::OpenAiChat if provider == "mistral" => Some(BatchApi::Mistral),
        Api::Anthropic => Some(BatchApi::Anthropic),
        Api::Gemini => Some(BatchApi::Gemini),
        _ => None,
    }
}

/// Characters escaped in an id put in a URL path or query: all but RFC 3986's unreserved ones.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// An id as one URL path segment (an id with `/` or `?` cannot reach another path).
pub(crate) fn id_segment(id: &str) -> String {
    utf8_percent_encode(id, SEGMENT).to_string()
}

/// The path of a listing page: `base`, then `?key=value&...` for each parameter given (the
/// page size as it is, a cursor as a [`id_segment`]).
pub(crate) fn page_path(
    base: &str,
    limit: (&str, Option<u32>),
    after: (&str, Option<&str>),
) -> String {
    let mut q = Vec::new();
    if let (key, Some(n)) = limit {
        q.push(format!("{key}={n}"));
    }
    if let (key, Some(a)) = after {
        q.push(format!("{key}={}", id_segment(a)));
    }
    if q.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", q.join("&"))
    }
}

/// The counts of a job whose API reports only its total, successes and failures: what is
/// `rest` (neither) went the way the job ended, expired or cancelled.
pub(crate) fn counts(
    total: u64,
    succeeded: u64,
    failed: u64,
    rest: u64,
    status: &BatchStatus,
) -> BatchCounts {
    let rest_if = |s: BatchStatus| if *status == s { rest } else { 0 };
    BatchCounts {
        total,
        succeeded,
        failed,
        expired: rest_if(BatchStatus::Expired),
        cancelled: rest_if(BatchStatus::Cancelled),
    }
}

/// An error for a malformed line of a result file.
pub(crate) fn bad_line(n: usize, why: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::Decode,
        format!("result line {n} is not a batch result: {why}"),
    )
}

/// Checks submitted ids: none empty and none twice (results are matched back by id).
pub(crate) fn check_ids<'a>(ids: impl Iterator<Item = &'a str>) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for id in ids {
        if id.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "a batch request has an empty id",
            ));
        }
        if !seen.insert(id) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("the batch request id `{id}` is used twice"),
            ));
        }
    }
    Ok(())
}
