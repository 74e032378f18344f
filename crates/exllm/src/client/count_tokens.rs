//! [`Client::count_tokens`]: the provider's own count where it has a counting endpoint
//! (Anthropic, Gemini, Vertex), else the library's local count. The codec builds the request
//! and reads the answer; the call goes through the provider's shared transport.

use super::Client;
use crate::error::{ErrorKind, Result};
use crate::types::ChatRequest;

impl Client {
    /// The input tokens of `req` (its messages, system prompt and tools) for its model.
    ///
    /// Anthropic (`POST /v1/messages/count_tokens`), Gemini (`POST
    /// /models/{model}:countTokens`) and their Vertex AI forms are asked: the count is the
    /// provider's, for exactly what exllm would send. Other providers have no such endpoint,
    /// and the answer is [`crate::tokens::count_messages`]'s local count (exact for OpenAI
    /// tokenizers, an estimate elsewhere). A provider's error (a 400 for a bad request, a
    /// 404 for an unknown model) is returned as it is, never replaced by the local count.
    ///
    /// ```no_run
    /// # async fn run() -> exllm::Result<()> {
    /// use exllm::{ChatRequest, Client, Message};
    /// let client = Client::from_env()?;
    /// let req = ChatRequest::new("anthropic/claude-sonnet-4-5", vec![Message::user("Hi")]);
    /// let tokens = client.count_tokens(&req).await?;
    /// println!("{tokens} input tokens");
    /// # Ok(()) }
    /// ```
    pub async fn count_tokens(&self, req: &ChatRequest) -> Result<u64> {
        let (provider, req) = self.route(req.clone())?;
        let local = || crate::tokens::count_messages(&req.model, &req.messages, &req.tools).tokens;
        let (Some(http), Some(api)) = (provider.as_http(), provider.api()) else {
            return Ok(local());
        };
        let codec = api.codec();
        let ep = http.job_endpoint().await?;
        match codec.encode_count_tokens(&req, &req.model, &ep) {
            Err(e) if e.kind() == ErrorKind::Unsupported => return Ok(local()),
            Err(e) => return Err(e),
            Ok(_) => {}
        }
        http.job_call(
            |ep| Ok(codec.encode_count_tokens(&req, &req.model, ep)?.request),
            |b| codec.decode_count_tokens(b),
        )
        .await
    }
}
