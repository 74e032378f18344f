//! Providers. A wire API is a pure codec — request in, HTTP request out; body bytes in,
//! response out; stream frame in, events out — with no I/O, so it is tested on bytes. An
//! endpoint (base URL, auth, headers, quirk flags) says where and how to send it. Providers
//! that speak another's API (the OpenAI-compatible family) are rows in [`registry`], not code.

mod anthropic;
pub(crate) mod batch;
mod bedrock;

pub(crate) mod citations;
mod cohere;
mod count_tokens;
pub(crate) mod decode;
mod encode;
mod follow;
pub use crate::wire::{error_from_response, StreamDecoder};
pub(crate) use common::decode_error;
pub(crate) use follow::copy_request;
pub use follow::Step;
mod gemini;
pub(crate) mod gemini_caches;
mod media_limits;
#[cfg(test)]
mod media_tests;
mod ollama_chat;
mod openai_chat;
mod openai_media;
mod openai_responses;
pub mod registry;
mod replicate;
mod retrieval;
mod sagemaker;
mod service_api;
mod watsonx;
pub use crate::wire::{RateLimits, RATE_LIMITS_KEY};
pub use service_api::{ServiceApi, Task};
pub(crate) mod common;
#[cfg(test)]
mod settings_tests;
#[cfg(test)]
pub(crate) mod test_support;

pub use anthropic::AnthropicCodec;
pub use bedrock::BedrockCodec;
pub use cohere::CohereCodec;
pub use gemini::GeminiCodec;
pub use media_limits::{check_media, MediaLimits};
pub use ollama_chat::OllamaCodec;
pub use openai_chat::OpenAiChatCodec;
pub use openai_responses::OpenAiResponsesCodec;
pub use replicate::ReplicateCodec;
pub use sagemaker::SageMakerCodec;
pub use watsonx::WatsonxCodec;

use crate::error::{Error, ErrorKind, Result};
use crate::types::{
    ChatRequest, ChatResponse, EmbedRequest, EmbedResponse, ImageRequest, ImageResponse,
    ModerationRequest, ModerationResponse, RerankRequest, RerankResponse, Secret, SpeechRequest,
    SpeechResponse, TranscriptFormat, Transcription, TranscriptionRequest, Warning,
};
use crate::wire::Framing;
use bytes::Bytes;
use std::fmt;
use std::str::FromStr;

/// A wire API: the request and response format a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Api {
    /// OpenAI Chat Completions (`/chat/completions`) and every server compatible with it.
    OpenAiChat,
    /// OpenAI Responses (`/responses`).
    OpenAiResponses,
    /// Anthropic Messages (`/messages`).
    Anthropic,
    /// Google Gemini `generateContent` / `streamGenerateContent`.
    Gemini,
    /// Cohere v2 chat (`/v2/chat`).
    Cohere,
    /// Ollama's native chat API (`/api/chat`).
    Ollama,
    /// AWS Bedrock Converse / ConverseStream.
    Bedrock,
    /// Replicate predictions (`/models/{owner}/{name}/predictions`), polled or streamed.
    Replicate,
    /// IBM watsonx.ai chat (`/ml/v1/text/chat`).
    Watsonx,
    /// AWS SageMaker endpoints with the TGI / LMI text-generation body (`inputs`).
    SageMaker,
    /// AWS SageMaker endpoints with the Messages API (Chat Completions bodies).
    SageMakerChat,
}

impl Api {
    /// The name used on the command line (`openai-chat`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Api::OpenAiChat => "openai-chat",
            Api::OpenAiResponses => "openai-responses",
            Api::Anthropic => "anthropic",
            Api::Gemini => "gemini",
            Api::Cohere => "cohere",
            Api::Ollama => "ollama",
            Api::Bedrock => "bedrock",
            Api::Replicate => "replicate",
            Api::Watsonx => "watsonx",
            Api::SageMaker => "sagemaker",
            Api::SageMakerChat => "sagemaker-chat",
        }
    }

    /// Every API, for listings and parsing.
    pub const ALL: [Api; 11] = [
        Api::OpenAiChat,
        Api::OpenAiResponses,
        Api::Anthropic,
        Api::Gemini,
        Api::Cohere,
        Api::Ollama,
        Api::Bedrock,
        Api::Replicate,
        Api::Watsonx,
        Api::SageMaker,
        Api::SageMakerChat,
    ];

    /// The codec for this API.
    pub fn codec(self) -> &'static dyn Codec {
        match self {
            Api::OpenAiChat => &OpenAiChatCodec,
            Api::OpenAiResponses => &OpenAiResponsesCodec,
            Api::Anthropic => &AnthropicCodec,
            Api::Gemini => &GeminiCodec,
            Api::Cohere => &CohereCodec,
            Api::Ollama => &OllamaCodec,
            Api::Bedrock => &BedrockCodec,
            Api::Replicate => &ReplicateCodec,
            Api::Watsonx => &WatsonxCodec,
            Api::SageMaker => &SageMakerCodec { messages: false },
            Api::SageMakerChat => &SageMakerCodec { messages: true },
        }
    }
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Api {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "openai" | "chat" => return Ok(Api::OpenAiChat),
            "responses" => return Ok(Api::OpenAiResponses),
            _ => {}
        }
        Api::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<&str> = Api::ALL.iter().map(|a| a.as_str()).collect();
                Error::new(
                    ErrorKind::Config,
                    format!("unknown API `{s}` (known: {})", known.join(", ")),
                )
            })
    }
}

/// How requests authenticate.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum Auth {
    /// No credentials (local servers).
    #[default]
    None,
    /// `Authorization: Bearer <key>`.
    Bearer(Secret),
    /// A custom header carrying the key (`x-api-key`, `api-key`, ...).
    Header {
        /// Header name.
        name: String,
        /// The key.
        value: Secret,
    },
    /// Credentials computed per request (AWS SigV4, Google OAuth), applied by the transport
    /// to each attempt.
    Signer(std::sync::Arc<dyn crate::wire::Signer>),
}

/// Differences between servers that speak the same API, as flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quirks {
    /// Send the output limit as `max_completion_tokens` (OpenAI) rather than `max_tokens`.
    pub max_completion_tokens: bool,
    /// Ask for usage in streams with `stream_options.include_usage`.
    pub stream_usage: bool,
    /// The server knows the `developer` role (else it is sent as `system`).
    pub developer_role: bool,
    /// The server accepts `reasoning_effort`.
    pub reasoning_effort: bool,
    /// The server accepts `top_k`.
    pub top_k: bool,
    /// Azure deployments: the model names a deployment in the path
    /// (`/deployments/{model}/chat/completions`).
    pub deployment_path: bool,
    /// Anthropic on Vertex AI: `:rawPredict` / `:streamRawPredict` paths and the
    /// `anthropic_version` in the body instead of a model.
    pub vertex: bool,
    /// The server answers chat requests (false for embeddings and rerank services such as
    /// Voyage and Jina, so a chat call fails as unsupported before anything is sent).
    pub chat: bool,
}

impl Default for Quirks {
    fn default() -> Self {
        Quirks {
            max_completion_tokens: false,
            stream_usage: true,
            developer_role: false,
            reasoning_effort: true,
            top_k: false,
            deployment_path: false,
            vertex: false,
            chat: true,
        }
    }
}

/// Where and how to send requests for one provider.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Provider name (`openai`, `groq`, ...), for errors and metadata.
    pub provider: String,
    /// Base URL including any version path (`https://api.openai.com/v1`).
    pub base_url: String,
    /// Credentials.
    pub auth: Auth,
    /// Extra headers sent with every request. Their values are [`Secret`]s: a header may
    /// carry a key, so `Debug` never shows them, and credential-like ones are marked
    /// sensitive on the wire.
    pub headers: Vec<(String, Secret)>,
    /// Query parameters added to every URL (Azure's `api-version`).
    pub query: Vec<(String, String)>,
    /// Server differences.
    pub quirks: Quirks,
}

impl Endpoint {
    /// An endpoint with no auth, no extra headers and default quirks.
    pub fn new(provider: impl Into<String>, base_url: impl Into<String>) -> Self {
        Endpoint {
            provider: provider.into(),
            base_url: base_url.into(),
            auth: Auth::None,
            headers: Vec::new(),
            query: Vec::new(),
            quirks: Quirks::default(),
        }
    }
}

/// An encoded request and what the encoder could not honour.
#[derive(Debug)]
pub struct Encoded {
    /// The HTTP request.
    pub request: http::Request<Bytes>,
    /// Settings the provider cannot take.
    pub warnings: Vec<Warning>,
}

/// A model as a provider lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedModel {
    /// The model id.
    pub id: String,
    /// A display name, when the provider gives one.
    pub display_name: Option<String>,
    /// Who owns it, when the provider says.
    pub owned_by: Option<String>,
}

/// A wire API's codec: pure functions over canonical types and bytes.
pub trait Codec: Send + Sync {
    /// Which API this is.
    fn api(&self) -> Api;

    /// Encodes a request for `model` (without the provider prefix).
    fn encode(
        &self,
        req: &ChatRequest,
        model: &str,
        ep: &Endpoint,
        stream: bool,
    ) -> Result<Encoded>;

    /// Decodes a whole (non-streaming) response body.
    fn decode(&self, body: &[u8]) -> Result<ChatResponse>;

    /// The request settings this API cannot honour (names of the encoders' settings table):
    /// a request that sets one gets a warning and the setting is not sent. Listed by
    /// `exllm models --providers`.
    fn unsupported_settings(&self) -> &'static [&'static str] {
        &[]
    }

    /// How streamed bodies are framed.
    fn framing(&self) -> Framing {
        Framing::Sse
    }

    /// A fresh decoder for one streamed body.
    fn stream_decoder(&self) -> Box<dyn StreamDecoder>;

    /// Whether a whole answer may not be the end of the call (a job to poll, a stream to
    /// open elsewhere): then every whole answer goes through [`Codec::decode_step`], and the
    /// answer to a streaming request is read whole too rather than as the stream.
    fn has_steps(&self) -> bool {
        false
    }

    /// Decodes a whole answer of an API with [`Codec::has_steps`]: the response, or the next
    /// request. `stream` says whether the caller asked for a stream, `polls` how many
    /// [`Step::Poll`] requests were sent so far.
    fn decode_step(&self, body: &[u8], _ep: &Endpoint, _stream: bool, _polls: u32) -> Result<Step> {
        self.decode(body).map(|r| Step::Done(Box::new(r)))
    }

    /// The request that lists the provider's models (OpenAI style `GET /models` by default).
    fn list_models(&self, ep: &Endpoint) -> Result<http::Request<Bytes>> {
        common::get(ep, "/models")
    }

    /// Decodes a model listing (`{"data": [{"id": ...}]}` by default).
    fn decode_models(&self, body: &[u8]) -> Result<Vec<ListedModel>> {
        common::decode_model_list(body)
    }

    /// The token of the next page of a model listing, when the listing is paged.
    fn next_models_page(&self, _body: &[u8]) -> Option<String> {
        None
    }

    /// The request for the model-listing page `token` names.
    fn list_models_page(&self, ep: &Endpoint, _token: &str) -> Result<http::Request<Bytes>> {
        self.list_models(ep)
    }

    /// Encodes an embeddings request for `model` (unsupported unless the API has one).
    fn encode_embed(&self, _req: &EmbedRequest, _model: &str, ep: &Endpoint) -> Result<Encoded> {
        Err(unsupported(ep, "embeddings"))
    }

    /// Decodes an embeddings response.
    fn decode_embed(&self, _body: &[u8]) -> Result<EmbedResponse> {
        Err(Error::new(
            ErrorKind::Unsupported,
            "this API has no embeddings",
        ))
    }

    /// How many inputs one embeddings request may carry for `model`.
    fn embed_batch_limit(&self, _model: &str) -> usize {
        2048
    }

    /// Encodes a rerank request (unsupported unless the API has one).
    fn encode_rerank(&self, _req: &RerankRequest, _model: &str, ep: &Endpoint) -> Result<Encoded> {
        Err(unsupported(ep, "reranking"))
    }

    /// Decodes a rerank response.
    fn decode_rerank(&self, _body: &[u8]) -> Result<RerankResponse> {
        Err(none("reranking"))
    }

    /// Encodes an image generation request (unsupported unless the API has one).
    fn encode_image(&self, _req: &ImageRequest, _model: &str, ep: &Endpoint) -> Result<Encoded> {
        Err(unsupported(ep, "image generation"))
    }

    /// Decodes an image generation response.
    fn decode_image(&self, _body: &[u8]) -> Result<ImageResponse> {
        Err(none("image generation"))
    }

    /// Encodes a transcription or translation request (unsupported unless the API has one).
    fn encode_transcription(
        &self,
        _req: &TranscriptionRequest,
        _model: &str,
        ep: &Endpoint,
    ) -> Result<Encoded> {
        Err(unsupported(ep, "transcription"))
    }

    /// Decodes a transcription answered in `format` (`None`: the server's default).
    fn decode_transcription(
        &self,
        _body: &[u8],
        _format: Option<TranscriptFormat>,
    ) -> Result<Transcription> {
        Err(none("transcription"))
    }

    /// Encodes a speech request (unsupported unless the API has one).
    fn encode_speech(&self, _req: &SpeechRequest, _model: &str, ep: &Endpoint) -> Result<Encoded> {
        Err(unsupported(ep, "speech"))
    }

    /// Takes the audio of a speech response and its `Content-Type`.
    fn decode_speech(&self, _body: Bytes, _content_type: Option<&str>) -> Result<SpeechResponse> {
        Err(none("speech"))
    }

    /// Encodes a moderation request (unsupported unless the API has one).
    fn encode_moderation(
        &self,
        _req: &ModerationRequest,
        _model: &str,
        ep: &Endpoint,
    ) -> Result<Encoded> {
        Err(unsupported(ep, "moderation"))
    }

    /// Decodes a moderation response.
    fn decode_moderation(&self, _body: &[u8]) -> Result<ModerationResponse> {
        Err(none("moderation"))
    }

    /// Encodes a server-side token count of a chat request (unsupported unless the API has
    /// a counting endpoint: Anthropic's `count_tokens`, Gemini's `countTokens`).
    fn encode_count_tokens(
        &self,
        _req: &ChatRequest,
        _model: &str,
        ep: &Endpoint,
    ) -> Result<Encoded> {
        Err(unsupported(ep, "token counting"))
    }

    /// Decodes a token count answer into the number of input tokens.
    fn decode_count_tokens(&self, _body: &[u8]) -> Result<u64> {
        Err(none("token counting"))
    }
}

/// The error of decoding for an operation the API does not have.
fn none(what: &str) -> Error {
    Error::new(ErrorKind::Unsupported, format!("this API has no {what}"))
}

/// The error for an operation an API does not offer.
pub(crate) fn unsupported(ep: &Endpoint, what: &str) -> Error {
    Error::new(
        ErrorKind::Unsupported,
        format!("{} does not offer {what} through exllm", ep.provider),
    )
    .with_provider(ep.provider.clone())
}
