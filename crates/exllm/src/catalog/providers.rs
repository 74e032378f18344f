//! What each registry provider offers, and what of it exllm can call: endpoints, auth,
//! streaming, live model listing, cost data and rate-limit headers.
//!
//! Most answers are derived rather than written down, so they cannot drift: auth and chat
//! from the [`ProviderSpec`] row, streaming, embeddings, reranking, images, audio, moderation
//! and model listing from asking the provider's codecs (a codec without an operation answers
//! `Unsupported`), checked against the catalog's models for that provider, and batch prices
//! and cost data from the catalog. Only
//! facts neither place holds are tables here: which providers have a files or batch API, and
//! the rate-limit headers each sends. Where nothing is known the answer says so
//! ([`Support::Unknown`], an empty header list) rather than guessing "no".

use super::{Catalog, Mode};
use crate::error::ErrorKind;
use crate::provider::registry::{AuthStyle, ProviderSpec, TokenGrant, PROVIDERS};
use crate::provider::{Api, Endpoint};
use crate::types::{
    EmbedRequest, ImageRequest, ModerationRequest, RerankRequest, SpeechRequest,
    TranscriptionRequest,
};
use crate::wire::Framing;

macro_rules! endpoint_kinds {
    ($($kind:ident => $name:literal, $doc:literal;)*) => {
        /// A kind of endpoint a provider may offer.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum EndpointKind {
            $(#[doc = $doc] $kind,)*
        }

        impl EndpointKind {
            /// Every kind, in display order.
            pub const ALL: &'static [EndpointKind] = &[$(EndpointKind::$kind),*];

            /// Lower-case name (`embeddings`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(EndpointKind::$kind => $name,)*
                }
            }
        }
    };
}

endpoint_kinds! {
    Chat => "chat", "Chat or text generation.";
    Embeddings => "embeddings", "Embeddings.";
    Images => "images", "Image generation or editing.";
    Audio => "audio", "Speech to text or text to speech.";
    Files => "files", "File uploads.";
    Batch => "batch", "Asynchronous batch jobs.";
    Rerank => "rerank", "Reranking.";
    Moderation => "moderation", "Content moderation.";
}

/// Whether an endpoint is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Support {
    /// exllm can call it.
    Exllm,
    /// The provider offers it; exllm does not call it (yet).
    Provider,
    /// Nothing known says so.
    Unknown,
}

/// One way to authenticate with a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthMethod {
    /// An API key from the first set variable, sent as `style` says.
    ApiKey {
        /// How it is sent.
        style: AuthStyle,
        /// Where it is read from.
        env: &'static [&'static str],
    },
    /// A bearer token from these variables (Azure Entra ID).
    Token {
        /// Where it is read from.
        env: &'static [&'static str],
    },
    /// AWS SigV4 signing for this service, with the AWS credential chain.
    SigV4(&'static str),
    /// Google Cloud OAuth (service account or application-default credentials).
    GoogleOAuth,
    /// OAuth client credentials (machine to machine) from these variables.
    ClientCredentials {
        /// Where the client id is read from.
        id_env: &'static [&'static str],
        /// Where the client secret is read from.
        secret_env: &'static [&'static str],
    },
    /// No credentials needed (local servers).
    None,
}

impl std::fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthMethod::ApiKey { style, env } => {
                let how = match style {
                    AuthStyle::Header(h) => format!("{h} header"),
                    AuthStyle::Token(TokenGrant::ApiKey { .. }) => {
                        "exchanged for a token".to_owned()
                    }
                    _ => "bearer".to_owned(),
                };
                write!(f, "key ({how}; {})", env.join(", "))
            }
            AuthMethod::Token { env } => write!(f, "bearer token ({})", env.join(", ")),
            AuthMethod::SigV4(service) => write!(f, "AWS SigV4 ({service})"),
            AuthMethod::GoogleOAuth => f.write_str("Google OAuth"),
            AuthMethod::ClientCredentials { id_env, secret_env } => write!(
                f,
                "OAuth client credentials ({}, {})",
                id_env.join(", "),
                secret_env.join(", ")
            ),
            AuthMethod::None => f.write_str("none"),
        }
    }
}

/// What one provider offers.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderCapabilities {
    /// The provider's name.
    pub name: &'static str,
    /// The APIs it speaks, the default first.
    pub apis: Vec<Api>,
    /// Each endpoint kind, in [`EndpointKind::ALL`] order.
    pub endpoints: Vec<(EndpointKind, Support)>,
    /// Ways to authenticate, preferred first.
    pub auth: Vec<AuthMethod>,
    /// Streaming responses (every codec streams).
    pub streaming: bool,
    /// How streamed bodies are framed (`sse`, `ndjson`, `aws-event-stream`).
    pub stream_format: &'static str,
    /// The live model list can be fetched (`exllm models --provider`).
    pub live_models: bool,
    /// Models the catalog lists for it.
    pub catalog_models: usize,
    /// Of those, models with a known input or output price.
    pub priced_models: usize,
    /// Rate-limit headers it sends on responses; empty when none are known.
    pub rate_limit_headers: &'static [&'static str],
    /// Request settings its default API cannot honour (warned of, not sent), from the codec.
    pub unsupported_settings: &'static [&'static str],
}

impl ProviderCapabilities {
    /// How an endpoint kind is supported.
    pub fn endpoint(&self, kind: EndpointKind) -> Support {
        self.endpoints
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(Support::Unknown, |(_, s)| *s)
    }

    /// Whether the catalog can price calls to it.
    pub fn has_cost_data(&self) -> bool {
        self.priced_models > 0
    }
}

/// The capabilities of the registry provider `name`.
pub fn provider_capabilities(name: &str) -> Option<ProviderCapabilities> {
    crate::provider::registry::find(name).map(derive)
}

/// The capabilities of every registry provider, in registry order.
pub fn all_provider_capabilities() -> Vec<ProviderCapabilities> {
    PROVIDERS.iter().map(derive).collect()
}

/// Whether the provider has a files API.
fn files_api(name: &str) -> bool {
    matches!(
        name,
        "openai"
            | "azure"
            | "azure-deployments"
            | "anthropic"
            | "gemini"
            | "mistral"
            | "groq"
            | "together"
    )
}

/// Whether the provider has a batch API (besides those the catalog gives batch prices for).
fn batch_api(name: &str) -> bool {
    files_api(name) || matches!(name, "vertex" | "vertex-anthropic" | "bedrock")
}

const OPENAI_LIMITS: &[&str] = &[
    "x-ratelimit-limit-requests",
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset-requests",
    "x-ratelimit-reset-tokens",
];

const ANTHROPIC_LIMITS: &[&str] = &[
    "anthropic-ratelimit-requests-limit",
    "anthropic-ratelimit-requests-remaining",
    "anthropic-ratelimit-requests-reset",
    "anthropic-ratelimit-tokens-limit",
    "anthropic-ratelimit-tokens-remaining",
    "anthropic-ratelimit-tokens-reset",
    "anthropic-ratelimit-input-tokens-limit",
    "anthropic-ratelimit-input-tokens-remaining",
    "anthropic-ratelimit-input-tokens-reset",
    "anthropic-ratelimit-output-tokens-limit",
    "anthropic-ratelimit-output-tokens-remaining",
    "anthropic-ratelimit-output-tokens-reset",
    "retry-after",
];

fn rate_limit_headers(name: &str) -> &'static [&'static str] {
    match name {
        "openai" | "groq" => OPENAI_LIMITS,
        "azure" | "azure-deployments" => &[
            "x-ratelimit-remaining-requests",
            "x-ratelimit-remaining-tokens",
            "retry-after",
        ],
        "anthropic" => ANTHROPIC_LIMITS,
        "together" => &[
            "x-ratelimit-limit",
            "x-ratelimit-remaining",
            "x-ratelimit-reset",
        ],
        _ => &[],
    }
}

/// The catalog's name for a registry provider.
fn catalog_name(name: &str) -> &str {
    match name {
        "azure-deployments" => "azure",
        n => n,
    }
}

fn derive(spec: &ProviderSpec) -> ProviderCapabilities {
    let apis: Vec<Api> = std::iter::once(spec.api)
        .chain(spec.other_apis.iter().copied().filter(|a| *a != spec.api))
        .collect();
    let ep = Endpoint::new(spec.name, "http://127.0.0.1");
    let offered = |e: crate::Error| e.kind() != ErrorKind::Unsupported;
    let embed = EmbedRequest::new("m", ["x"]);
    let rerank = RerankRequest {
        query: "q".into(),
        documents: vec!["d".into()],
        ..Default::default()
    };
    let codecs = || apis.iter().map(|a| a.codec());
    let can_embed = codecs().any(|c| {
        c.encode_embed(&embed, "m", &ep)
            .map_or_else(offered, |_| true)
    });
    let can_rerank = codecs().any(|c| {
        c.encode_rerank(&rerank, "m", &ep)
            .map_or_else(offered, |_| true)
    });
    let image = ImageRequest::new("m", "x");
    let can_image = codecs().any(|c| {
        c.encode_image(&image, "m", &ep)
            .map_or_else(offered, |_| true)
    });
    let audio = TranscriptionRequest::new("m", "a.wav", &b"x"[..]);
    let speech = SpeechRequest::new("m", "x", "v");
    let can_audio = codecs().any(|c| {
        c.encode_transcription(&audio, "m", &ep)
            .map_or_else(offered, |_| true)
            || c.encode_speech(&speech, "m", &ep)
                .map_or_else(offered, |_| true)
    });
    let moderation = ModerationRequest::new("m", ["x"]);
    let can_moderate = codecs().any(|c| {
        c.encode_moderation(&moderation, "m", &ep)
            .map_or_else(offered, |_| true)
    });

    let catalog = Catalog::embedded();
    let mut modes = Vec::new();
    let (mut listed, mut priced, mut batch_prices) = (0, 0, false);
    for m in catalog.provider(catalog_name(spec.name)) {
        listed += 1;
        priced += usize::from(m.prices.base.input.is_some() || m.prices.base.output.is_some());
        batch_prices |= m.batch.is_some();
        modes.push(m.mode_kind());
    }
    let has = |k: Mode| modes.contains(&k);
    // The codec can call it, but a provider the catalog knows without such models may not
    // serve it (Groq has no embeddings); servers the catalog does not know are taken at
    // their API's word.
    let known = |k: Mode| has(k) || listed == 0;
    let from = |exllm: bool, provider: bool| match (exllm, provider) {
        (true, _) => Support::Exllm,
        (false, true) => Support::Provider,
        _ => Support::Unknown,
    };
    let endpoints = EndpointKind::ALL
        .iter()
        .map(|&k| {
            let s = match k {
                EndpointKind::Chat if spec.quirks.chat => Support::Exllm,
                EndpointKind::Chat => Support::Unknown,
                EndpointKind::Embeddings => {
                    from(can_embed && known(Mode::Embedding), has(Mode::Embedding))
                }
                EndpointKind::Rerank => from(can_rerank && known(Mode::Rerank), has(Mode::Rerank)),
                // Every OpenAI-compatible server "speaks" the media endpoints, but few serve
                // them: only the catalog's models say which do.
                EndpointKind::Images => from(can_image && has(Mode::Image), has(Mode::Image)),
                EndpointKind::Audio => from(can_audio && has(Mode::Audio), has(Mode::Audio)),
                EndpointKind::Moderation => {
                    from(can_moderate && has(Mode::Moderation), has(Mode::Moderation))
                }
                EndpointKind::Files => from(false, files_api(spec.name)),
                EndpointKind::Batch => from(false, batch_prices || batch_api(spec.name)),
            };
            (k, s)
        })
        .collect();
    let codec = spec.api.codec();
    ProviderCapabilities {
        name: spec.name,
        endpoints,
        auth: auth_methods(spec),
        streaming: true,
        stream_format: match codec.framing() {
            Framing::Sse => "sse",
            Framing::Ndjson => "ndjson",
            Framing::AwsEventStream => "aws-event-stream",
        },
        live_models: codec.list_models(&ep).is_ok(),
        catalog_models: listed,
        priced_models: priced,
        rate_limit_headers: rate_limit_headers(spec.name),
        unsupported_settings: codec.unsupported_settings(),
        apis,
    }
}

fn auth_methods(spec: &ProviderSpec) -> Vec<AuthMethod> {
    let mut out = Vec::new();
    let key = |style| AuthMethod::ApiKey {
        style,
        env: spec.key_env,
    };
    match spec.auth {
        AuthStyle::SigV4(service) => out.push(AuthMethod::SigV4(service)),
        AuthStyle::GoogleOAuth => out.push(AuthMethod::GoogleOAuth),
        _ => {}
    }
    if !spec.key_env.is_empty() {
        out.push(match spec.auth {
            AuthStyle::SigV4(_) => key(AuthStyle::Bearer),
            AuthStyle::GoogleOAuth => key(AuthStyle::Header("x-goog-api-key")),
            style => key(style),
        });
    }
    if let AuthStyle::Token(TokenGrant::ClientCredentials {
        id_env, secret_env, ..
    }) = spec.auth
    {
        out.push(AuthMethod::ClientCredentials { id_env, secret_env });
    }
    if !spec.bearer_env.is_empty() {
        out.push(AuthMethod::Token {
            env: spec.bearer_env,
        });
    }
    if !spec.key_required && matches!(spec.auth, AuthStyle::Bearer | AuthStyle::Header(_)) {
        out.push(AuthMethod::None);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_from_registry_codecs_and_catalog() {
        let all = all_provider_capabilities();
        assert_eq!(all.len(), PROVIDERS.len());
        let openai = provider_capabilities("openai").unwrap();
        assert_eq!(openai.endpoint(EndpointKind::Chat), Support::Exllm);
        assert_eq!(openai.endpoint(EndpointKind::Embeddings), Support::Exllm);
        assert_eq!(openai.endpoint(EndpointKind::Images), Support::Exllm);
        assert_eq!(openai.endpoint(EndpointKind::Audio), Support::Exllm);
        assert_eq!(openai.endpoint(EndpointKind::Moderation), Support::Exllm);
        let voyage = provider_capabilities("voyage").unwrap();
        assert_eq!(voyage.endpoint(EndpointKind::Chat), Support::Unknown);
        assert_eq!(voyage.endpoint(EndpointKind::Embeddings), Support::Exllm);
        let jina = provider_capabilities("jina").unwrap();
        assert_eq!(jina.endpoint(EndpointKind::Rerank), Support::Exllm);
        assert_eq!(jina.endpoint(EndpointKind::Images), Support::Unknown);
        assert!(openai.has_cost_data() && openai.live_models);
        assert!(openai
            .rate_limit_headers
            .contains(&"x-ratelimit-remaining-tokens"));
        assert!(openai.apis.contains(&Api::OpenAiResponses));
        let cohere = provider_capabilities("cohere").unwrap();
        assert_eq!(cohere.endpoint(EndpointKind::Rerank), Support::Exllm);
        let bedrock = provider_capabilities("bedrock").unwrap();
        assert!(!bedrock.live_models);
        assert_eq!(bedrock.stream_format, "aws-event-stream");
        assert_eq!(bedrock.auth[0], AuthMethod::SigV4("bedrock"));
        let anthropic = provider_capabilities("anthropic").unwrap();
        assert_eq!(
            anthropic.endpoint(EndpointKind::Embeddings),
            Support::Unknown
        );
        assert_eq!(anthropic.endpoint(EndpointKind::Images), Support::Unknown);
        assert!(anthropic.auth[0].to_string().contains("x-api-key"));
        let vllm = provider_capabilities("vllm").unwrap();
        assert!(vllm.auth.contains(&AuthMethod::None) && !vllm.has_cost_data());
        assert!(provider_capabilities("nowhere").is_none());
    }
}
