//! Gemini and Vertex AI context caches through a client ([`Client::gemini_caches`]): the
//! `provider::gemini_caches` codec builds each request and reads each answer; the calls go
//! through the provider's shared transport (retries, breaker, redaction, timeouts).

use super::{split_model, Client, HttpBackend};
use crate::error::{Error, ErrorKind, Result};
use crate::provider::{gemini_caches as codec, Api};
use crate::types::{CachedContent, CachedContentCreate, CachedContentList};
use std::time::Duration;

/// The context caches of one Gemini or Vertex AI provider.
///
/// ```no_run
/// # async fn run() -> exllm::Result<()> {
/// use exllm::{CachedContentCreate, ChatRequest, Client, Message};
/// use std::time::Duration;
/// let client = Client::from_env()?;
/// let caches = client.gemini_caches("gemini");
/// let book = std::fs::read_to_string("book.txt").unwrap_or_default();
/// let cache = caches
///     .create(
///         CachedContentCreate::new(
///             "gemini/gemini-2.5-flash",
///             vec![Message::system("Answer from the book."), Message::user(book)],
///         )
///         .with_ttl(Duration::from_secs(600)),
///     )
///     .await?;
/// // Later requests send only the new turn; the cached tokens are billed as cache reads.
/// let req = ChatRequest::new("gemini/gemini-2.5-flash", vec![Message::user("Who is Ahab?")]);
/// let answer = client.chat(cache.use_in(req)).await?;
/// println!("{} ({:?} tokens from the cache)", answer.text(), answer.usage);
/// caches.delete(&cache.name).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct GeminiCaches {
    client: Client,
    provider: String,
}

impl Client {
    /// The context caches (`cachedContents`) of `provider`, which must speak the Gemini API
    /// (`gemini`, `vertex`).
    pub fn gemini_caches(&self, provider: &str) -> GeminiCaches {
        GeminiCaches {
            client: self.clone(),
            provider: provider.to_owned(),
        }
    }
}

impl GeminiCaches {
    /// The provider's HTTP side, when it speaks the Gemini API.
    fn http(&self) -> Result<HttpBackend> {
        let p = self.client.provider(&self.provider)?;
        match (p.api(), p.as_http()) {
            (Some(Api::Gemini), Some(h)) => Ok(h.clone()),
            _ => Err(Error::new(
                ErrorKind::Unsupported,
                format!("{} has no Gemini context caches", self.provider),
            )
            .with_provider(self.provider.clone())),
        }
    }

    /// Makes a cache of `c` (its model as `provider/model` or bare).
    pub async fn create(&self, c: CachedContentCreate) -> Result<CachedContent> {
        let model = match split_model(&c.model) {
            Ok((p, m)) if p == self.provider => m.to_owned(),
            _ => c.model.clone(),
        };
        self.http()?
            .job_call(|ep| codec::create(ep, &model, &c), codec::decode)
            .await
    }

    /// The cache `name` (`cachedContents/abc`).
    pub async fn get(&self, name: &str) -> Result<CachedContent> {
        self.http()?
            .job_call(|ep| codec::get(ep, name), codec::decode)
            .await
    }

    /// One page of the caches (`page_token` from the previous page).
    pub async fn list(
        &self,
        page_size: Option<u32>,
        page_token: Option<&str>,
    ) -> Result<CachedContentList> {
        self.http()?
            .job_call(
                |ep| codec::list(ep, page_size, page_token),
                codec::decode_list,
            )
            .await
    }

    /// Deletes the cache `name`.
    pub async fn delete(&self, name: &str) -> Result<()> {
        self.http()?
            .job_call(|ep| codec::delete(ep, name), |_| Ok(()))
            .await
    }

    /// Makes the cache `name` expire at `at` (sent as `expireTime`, whole seconds, UTC).
    pub async fn update_expire_time(
        &self,
        name: &str,
        at: std::time::SystemTime,
    ) -> Result<CachedContent> {
        self.http()?
            .job_call(|ep| codec::update_expire_time(ep, name, at), codec::decode)
            .await
    }

    /// Makes the cache `name` live for `ttl` from now.
    pub async fn update_ttl(&self, name: &str, ttl: Duration) -> Result<CachedContent> {
        self.http()?
            .job_call(|ep| codec::update_ttl(ep, name, ttl), codec::decode)
            .await
    }
}
