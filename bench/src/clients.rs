//! The clients under test, each behind the same two calls: one whole chat completion, one
//! streamed completion consumed to the end. Every client counts text bytes and chunks instead of
//! keeping the text, so peak memory shows what the client itself holds.
//!
//! `raw` is the floor: reqwest with typed serde structs and a minimal SSE splitter, nothing more.

use std::borrow::Cow;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

/// What one call produced: text bytes and content chunks seen.
#[derive(Debug, Default, Clone, Copy)]
pub struct Seen {
    /// Bytes of answer text.
    pub bytes: usize,
    /// Content chunks (stream) or 1 (whole).
    pub chunks: usize,
}

/// Boxed error, enough for a benchmark.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The wire format a client talks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// OpenAI chat completions.
    OpenAi,
    /// Anthropic messages.
    Anthropic,
    /// Gemini generateContent.
    Gemini,
}

impl Format {
    /// Parses `openai`, `anthropic` or `gemini`.
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "openai" => Some(Format::OpenAi),
            "anthropic" => Some(Format::Anthropic),
            "gemini" => Some(Format::Gemini),
            _ => None,
        }
    }
}

const SYSTEM: &str = "You are a concise assistant. Answer in one short paragraph.";
const USER: &str = "What is the capital of France, and what is it known for?";

/// One client under test.
// One client per child process: the size difference between variants does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Client {
    /// reqwest + serde_json, typed and minimal.
    Raw { http: reqwest::Client, url: String },
    /// exllm, layers on (default) or off.
    Exllm {
        client: exllm::Client,
        provider: &'static str,
    },
    /// exllm's router: a group of two deployments on the mock (built at the first call, for
    /// its model), state in memory or in Redis.
    Routed {
        router: std::sync::OnceLock<exllm::router::Router>,
        base: String,
        provider: &'static str,
        redis: bool,
    },
    /// async-openai.
    AsyncOpenAi(async_openai::Client<async_openai::config::OpenAIConfig>),
    /// genai.
    Genai(genai::Client),
}

impl Client {
    /// Builds client `name` (`raw`, `exllm`, `exllm-off`, `exllm-traced`, `exllm-watched`, `async-openai`,
    /// `genai`) for the mock
    /// at `addr` speaking `format`.
    pub fn new(name: &str, addr: &str, format: Format) -> Result<Client, BoxError> {
        let provider = match format {
            Format::OpenAi => "openai",
            Format::Anthropic => "anthropic",
            Format::Gemini => "gemini",
        };
        match name {
            "raw" => {
                if format != Format::OpenAi {
                    return Err("raw speaks the OpenAI format only".into());
                }
                Ok(Client::Raw {
                    http: reqwest::Client::new(),
                    url: format!("http://{addr}/v1/chat/completions"),
                })
            }
            "exllm" | "exllm-off" | "exllm-traced" | "exllm-watched" => {
                let base = match format {
                    Format::Gemini => format!("http://{addr}/v1beta"),
                    _ => format!("http://{addr}/v1"),
                };
                let mut b = exllm::Client::builder()
                    .env_lookup(|_| None)
                    .base_url(provider, base)
                    .api_key(provider, "sk-bench");
                match name {
                    "exllm-traced" => b = crate::watched::watch(b, false),
                    "exllm-watched" => b = crate::watched::watch(b, true),
                    _ => {}
                }
                if name == "exllm-off" {
                    b = b
                        .retry(exllm::transport::RetryPolicy::none())
                        .breaker(exllm::transport::BreakerPolicy::off())
                        .recovery(None);
                }
                Ok(Client::Exllm {
                    client: b.build()?,
                    provider,
                })
            }
            "exllm-routed" | "exllm-routed-redis" => Ok(Client::Routed {
                router: std::sync::OnceLock::new(),
                base: match format {
                    Format::Gemini => format!("http://{addr}/v1beta"),
                    _ => format!("http://{addr}/v1"),
                },
                provider,
                redis: name == "exllm-routed-redis",
            }),
            "async-openai" => {
                if format != Format::OpenAi {
                    return Err("async-openai speaks the OpenAI format only".into());
                }
                let cfg = async_openai::config::OpenAIConfig::new()
                    .with_api_base(format!("http://{addr}/v1"))
                    .with_api_key("sk-bench");
                Ok(Client::AsyncOpenAi(async_openai::Client::with_config(cfg)))
            }
            "genai" => {
                use genai::adapter::AdapterKind;
                use genai::resolver::{AuthData, Endpoint, ServiceTargetResolver};
                let (kind, base) = match format {
                    Format::OpenAi => (AdapterKind::OpenAI, format!("http://{addr}/v1/")),
                    Format::Anthropic => (AdapterKind::Anthropic, format!("http://{addr}/v1/")),
                    Format::Gemini => (AdapterKind::Gemini, format!("http://{addr}/v1beta/")),
                };
                let resolver = ServiceTargetResolver::from_resolver_fn(
                    move |t: genai::ServiceTarget| -> Result<genai::ServiceTarget, genai::resolver::Error> {
                        Ok(genai::ServiceTarget {
                            endpoint: Endpoint::from_owned(base.clone()),
                            auth: AuthData::from_single("sk-bench"),
                            model: genai::ModelIden::new(kind, t.model.model_name),
                        })
                    },
                );
                Ok(Client::Genai(
                    genai::Client::builder()
                        .with_service_target_resolver(resolver)
                        .build(),
                ))
            }
            other => Err(format!("unknown client {other}").into()),
        }
    }

    /// The router of a `Routed` client, built for `model` at its first call.
    fn routed(&self, model: &str) -> Result<&exllm::router::Router, BoxError> {
        let Client::Routed {
            router,
            base,
            provider,
            redis,
        } = self
        else {
            return Err("not a routed client".into());
        };
        if let Some(r) = router.get() {
            return Ok(r);
        }
        let redis = redis.then(crate::routed::redis_url);
        let (r, _) = crate::routed::router(provider, base, model, redis)?;
        Ok(router.get_or_init(|| r))
    }

    /// One whole (non-streamed) completion of `model` (`bench-K[-W]`).
    pub async fn whole(&self, model: &str) -> Result<Seen, BoxError> {
        match self {
            Client::Raw { http, url } => {
                let resp = raw_post(http, url, model, false).await?;
                let bytes = resp.bytes().await?;
                let r: RawResponse = serde_json::from_slice(&bytes)?;
                let text = r.choices.first().and_then(|c| c.message.content.as_deref());
                Ok(Seen {
                    bytes: text.map_or(0, str::len),
                    chunks: 1,
                })
            }
            Client::Exllm { client, provider } => {
                let req = exllm_request(provider, model);
                let r = client.chat(req).await?;
                Ok(Seen {
                    bytes: r.text().len(),
                    chunks: 1,
                })
            }
            Client::Routed { .. } => {
                let mut req = exllm_request("", model);
                req.model = model.to_owned();
                let r = self.routed(model)?.chat(req).await?;
                Ok(Seen {
                    bytes: r.text().len(),
                    chunks: 1,
                })
            }
            Client::AsyncOpenAi(c) => {
                let req = aoai_request(model, false)?;
                let r = c.chat().create(req).await?;
                let text = r.choices.first().and_then(|c| c.message.content.as_deref());
                Ok(Seen {
                    bytes: text.map_or(0, str::len),
                    chunks: 1,
                })
            }
            Client::Genai(c) => {
                let r = c
                    .exec_chat(model, genai_request(), Some(&genai_options()))
                    .await?;
                Ok(Seen {
                    bytes: r.first_text().map_or(0, str::len),
                    chunks: 1,
                })
            }
        }
    }

    /// One streamed completion of `model`, consumed to the end.
    pub async fn stream(&self, model: &str) -> Result<Seen, BoxError> {
        let mut seen = Seen::default();
        match self {
            Client::Raw { http, url } => {
                let resp = raw_post(http, url, model, true).await?;
                let mut body = resp.bytes_stream();
                let mut buf: Vec<u8> = Vec::new();
                let mut usage = None;
                while let Some(chunk) = body.next().await {
                    buf.extend_from_slice(&chunk?);
                    let mut start = 0;
                    while let Some(end) = find(&buf[start..], b"\n\n") {
                        let event = &buf[start..start + end];
                        start += end + 2;
                        for line in event.split(|&b| b == b'\n') {
                            let Some(data) = line.strip_prefix(b"data: ") else {
                                continue;
                            };
                            if data == b"[DONE]" {
                                continue;
                            }
                            let c: RawChunk<'_> = serde_json::from_slice(data)?;
                            if let Some(u) = c.usage {
                                usage = Some(u);
                            }
                            for ch in c.choices {
                                if let Some(t) = ch.delta.content {
                                    if !t.is_empty() {
                                        seen.bytes += t.len();
                                        seen.chunks += 1;
                                    }
                                }
                            }
                        }
                    }
                    buf.drain(..start);
                }
                if usage.is_none() {
                    return Err("stream without usage".into());
                }
            }
            Client::Exllm { client, provider } => {
                let req = exllm_request(provider, model);
                let mut s = client.chat_stream(req).await?;
                while let Some(ev) = s.next().await {
                    if let exllm::StreamEvent::TextDelta(t) = ev? {
                        if !t.is_empty() {
                            seen.bytes += t.len();
                            seen.chunks += 1;
                        }
                    }
                }
            }
            Client::Routed { .. } => {
                let mut req = exllm_request("", model);
                req.model = model.to_owned();
                let mut s = self.routed(model)?.chat_stream(req).await?;
                while let Some(ev) = s.next().await {
                    if let exllm::StreamEvent::TextDelta(t) = ev? {
                        if !t.is_empty() {
                            seen.bytes += t.len();
                            seen.chunks += 1;
                        }
                    }
                }
            }
            Client::AsyncOpenAi(c) => {
                let req = aoai_request(model, true)?;
                let mut s = c.chat().create_stream(req).await?;
                while let Some(r) = s.next().await {
                    for ch in r?.choices {
                        if let Some(t) = ch.delta.content {
                            if !t.is_empty() {
                                seen.bytes += t.len();
                                seen.chunks += 1;
                            }
                        }
                    }
                }
            }
            Client::Genai(c) => {
                let r = c
                    .exec_chat_stream(model, genai_request(), Some(&genai_options()))
                    .await?;
                let mut s = r.stream;
                while let Some(ev) = s.next().await {
                    if let genai::chat::ChatStreamEvent::Chunk(c) = ev? {
                        if !c.content.is_empty() {
                            seen.bytes += c.content.len();
                            seen.chunks += 1;
                        }
                    }
                }
            }
        }
        Ok(seen)
    }
}

/// The raw floor's request: a typed body, sent as it would be by hand.
async fn raw_post(
    http: &reqwest::Client,
    url: &str,
    model: &str,
    stream: bool,
) -> Result<reqwest::Response, BoxError> {
    Ok(http
        .post(url)
        .bearer_auth("sk-bench")
        .json(&RawRequest::new(model, stream))
        .send()
        .await?
        .error_for_status()?)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

fn exllm_request(provider: &str, model: &str) -> exllm::ChatRequest {
    exllm::ChatRequest::new(
        format!("{provider}/{model}"),
        vec![exllm::Message::system(SYSTEM), exllm::Message::user(USER)],
    )
    .with_max_tokens(256)
    .with_temperature(0.7)
}

fn aoai_request(
    model: &str,
    stream: bool,
) -> Result<async_openai::types::chat::CreateChatCompletionRequest, BoxError> {
    use async_openai::types::chat::*;
    let mut b = CreateChatCompletionRequestArgs::default();
    b.model(model)
        .messages(vec![
            ChatCompletionRequestSystemMessageArgs::default()
                .content(SYSTEM)
                .build()?
                .into(),
            ChatCompletionRequestUserMessageArgs::default()
                .content(USER)
                .build()?
                .into(),
        ])
        .max_completion_tokens(256u32)
        .temperature(0.7f32);
    if stream {
        b.stream(true).stream_options(ChatCompletionStreamOptions {
            include_usage: Some(true),
            include_obfuscation: None,
        });
    }
    Ok(b.build()?)
}

fn genai_request() -> genai::chat::ChatRequest {
    genai::chat::ChatRequest::new(vec![genai::chat::ChatMessage::user(USER)]).with_system(SYSTEM)
}

fn genai_options() -> genai::chat::ChatOptions {
    genai::chat::ChatOptions::default()
        .with_max_tokens(256)
        .with_temperature(0.7)
        .with_capture_usage(true)
}

#[derive(Serialize)]
struct RawRequest<'a> {
    model: &'a str,
    messages: [RawMessage<'a>; 2],
    max_tokens: u32,
    temperature: f32,
    stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_options: Option<RawStreamOptions>,
}

impl<'a> RawRequest<'a> {
    fn new(model: &'a str, stream: bool) -> Self {
        RawRequest {
            model,
            messages: [
                RawMessage {
                    role: "system",
                    content: SYSTEM,
                },
                RawMessage {
                    role: "user",
                    content: USER,
                },
            ],
            max_tokens: 256,
            temperature: 0.7,
            stream,
            stream_options: stream.then_some(RawStreamOptions {
                include_usage: true,
            }),
        }
    }
}

#[derive(Serialize)]
struct RawMessage<'a> {
    role: &'a str,
    content: &'a str,
}

#[derive(Serialize)]
struct RawStreamOptions {
    include_usage: bool,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct RawResponse {
    id: String,
    model: String,
    choices: Vec<RawChoice>,
    usage: Option<RawUsage>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct RawChoice {
    message: RawReply,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct RawReply {
    content: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct RawUsage {
    prompt_tokens: u64,
    completion_tokens: u64,
    total_tokens: u64,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct RawChunk<'a> {
    #[serde(borrow)]
    choices: Vec<RawChunkChoice<'a>>,
    usage: Option<RawUsage>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct RawChunkChoice<'a> {
    #[serde(borrow)]
    delta: RawDelta<'a>,
    finish_reason: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct RawDelta<'a> {
    #[serde(borrow)]
    content: Option<Cow<'a, str>>,
}
