//! The providers exllm knows, as data: which API each speaks, where, with which key and quirks.
//! An OpenAI-compatible provider is one row here; adding one takes a few lines and no code.

use super::{Api, Quirks};

mod hosted;

/// How a provider takes its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthStyle {
    /// `Authorization: Bearer`.
    Bearer,
    /// The key in this header.
    Header(&'static str),
    /// AWS SigV4 for this service (a key, when set, is sent as a bearer token instead).
    SigV4(&'static str),
    /// Google Cloud OAuth (service account or application-default credentials).
    GoogleOAuth,
    /// A bearer token bought from a token endpoint, cached until shortly before it expires.
    Token(TokenGrant),
}

/// How a provider's bearer token is obtained from a token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenGrant {
    /// OAuth 2.0 client credentials (machine to machine), used when no key is set: the client
    /// id and secret from these variables, sent with HTTP basic auth to `path` on the base
    /// URL's host. A key, when set, is sent as a bearer token instead.
    ClientCredentials {
        /// The token endpoint's path on the base URL's host (`/oidc/v1/token`).
        path: &'static str,
        /// Variables holding the client id.
        id_env: &'static [&'static str],
        /// Variables holding the client secret.
        secret_env: &'static [&'static str],
        /// The scope asked for (empty: none sent).
        scope: &'static str,
    },
    /// The key is exchanged for a token at `url` (IBM Cloud IAM) and never sent itself.
    ApiKey {
        /// The token endpoint.
        url: &'static str,
        /// Variables that may override `url`.
        url_env: &'static [&'static str],
        /// The `grant_type` sent with the key.
        grant_type: &'static str,
    },
}

/// One known provider.
#[derive(Debug, Clone, Copy)]
pub struct ProviderSpec {
    /// The name used in `provider/model`.
    pub name: &'static str,
    /// The API spoken by default.
    pub api: Api,
    /// Other APIs it also speaks (chosen with `--api`).
    pub other_apis: &'static [Api],
    /// Default base URL, including its version path; empty when the user must give one.
    pub base_url: &'static str,
    /// Environment variables that may override the base URL, in order.
    pub base_url_env: &'static [&'static str],
    /// Environment variables holding the key, in order.
    pub key_env: &'static [&'static str],
    /// Whether a request without a key is refused before sending.
    pub key_required: bool,
    /// How the key is sent.
    pub auth: AuthStyle,
    /// Headers sent with every request.
    pub headers: &'static [(&'static str, &'static str)],
    /// Server differences.
    pub quirks: Quirks,
    /// The model `exllm chat` uses when only this provider is configured.
    pub default_model: &'static str,
    /// Placeholders in `base_url`, `query` and `headers` values: `{name}` is filled from the
    /// first set environment variable, else the default. A header whose placeholder has no
    /// value is not sent.
    pub vars: &'static [Var],
    /// Query parameters sent with every request (values may hold placeholders).
    pub query: &'static [(&'static str, &'static str)],
    /// Variables holding a bearer token used when no key is set (Azure Entra ID tokens).
    pub bearer_env: &'static [&'static str],
}

/// A placeholder of a provider's base URL or query.
#[derive(Debug, Clone, Copy)]
pub struct Var {
    /// The placeholder's name (`resource` for `{resource}`).
    pub name: &'static str,
    /// Environment variables that may set it, in order.
    pub env: &'static [&'static str],
    /// The value when none is set (`None`: it must be set).
    pub default: Option<&'static str>,
}

impl ProviderSpec {
    /// Whether this provider speaks `api`.
    pub fn speaks(&self, api: Api) -> bool {
        self.api == api || self.other_apis.contains(&api)
    }
}

/// Quirks of a typical OpenAI-compatible server.
const COMPAT: Quirks = Quirks {
    max_completion_tokens: false,
    stream_usage: true,
    developer_role: false,
    reasoning_effort: true,
    top_k: false,
    deployment_path: false,
    vertex: false,
    chat: true,
};

const fn compat(
    name: &'static str,
    base_url: &'static str,
    key_env: &'static [&'static str],
    default_model: &'static str,
    quirks: Quirks,
) -> ProviderSpec {
    ProviderSpec {
        name,
        api: Api::OpenAiChat,
        other_apis: &[],
        base_url,
        base_url_env: &[],
        key_env,
        key_required: true,
        auth: AuthStyle::Bearer,
        headers: &[],
        quirks,
        default_model,
        vars: &[],
        query: &[],
        bearer_env: &[],
    }
}

/// A server on the user's machine: the key is optional and any API may be spoken.
const fn local(
    name: &'static str,
    base_url: &'static str,
    key_env: &'static [&'static str],
    base_url_env: &'static [&'static str],
) -> ProviderSpec {
    ProviderSpec {
        key_required: false,
        base_url_env,
        other_apis: &[Api::OpenAiResponses],
        ..compat(
            name,
            base_url,
            key_env,
            "",
            Quirks {
                top_k: true,
                ..COMPAT
            },
        )
    }
}

const AZURE_RESOURCE: Var = Var {
    name: "resource",
    env: &["AZURE_RESOURCE_NAME", "AZURE_OPENAI_RESOURCE"],
    default: None,
};

const VERTEX_VARS: &[Var] = &[
    Var {
        name: "project",
        env: &[
            "GOOGLE_CLOUD_PROJECT",
            "GOOGLE_VERTEX_PROJECT",
            "GCLOUD_PROJECT",
        ],
        default: None,
    },
    Var {
        name: "location",
        env: &["GOOGLE_CLOUD_LOCATION", "GOOGLE_VERTEX_LOCATION"],
        default: Some("us-central1"),
    },
];

const NO_REASONING_EFFORT: Quirks = Quirks {
    reasoning_effort: false,
    ..COMPAT
};

/// A host serving embeddings and reranking but no chat.
const NO_CHAT: Quirks = Quirks {
    chat: false,
    ..COMPAT
};

const TOP_K: Quirks = Quirks {
    top_k: true,
    ..COMPAT
};

/// Every known HTTP provider.
pub static PROVIDERS: &[ProviderSpec] = &[
    ProviderSpec {
        other_apis: &[Api::OpenAiResponses],
        base_url_env: &["OPENAI_BASE_URL"],
        ..compat(
            "openai",
            "https://api.openai.com/v1",
            &["OPENAI_API_KEY"],
            "gpt-4o-mini",
            Quirks {
                max_completion_tokens: true,
                developer_role: true,
                ..COMPAT
            },
        )
    },
    ProviderSpec {
        name: "anthropic",
        api: Api::Anthropic,
        other_apis: &[],
        base_url: "https://api.anthropic.com/v1",
        base_url_env: &["ANTHROPIC_BASE_URL"],
        key_env: &["ANTHROPIC_API_KEY"],
        key_required: true,
        auth: AuthStyle::Header("x-api-key"),
        headers: &[("anthropic-version", "2023-06-01")],
        quirks: COMPAT,
        default_model: "claude-sonnet-4-5",
        vars: &[],
        query: &[],
        bearer_env: &[],
    },
    ProviderSpec {
        name: "gemini",
        api: Api::Gemini,
        other_apis: &[],
        base_url: "https://generativelanguage.googleapis.com/v1beta",
        base_url_env: &["GEMINI_BASE_URL"],
        key_env: &[
            "GEMINI_API_KEY",
            "GOOGLE_API_KEY",
            "GOOGLE_GENERATIVE_AI_API_KEY",
        ],
        key_required: true,
        auth: AuthStyle::Header("x-goog-api-key"),
        headers: &[],
        quirks: COMPAT,
        default_model: "gemini-2.5-flash",
        vars: &[],
        query: &[],
        bearer_env: &[],
    },
    ProviderSpec {
        name: "cohere",
        api: Api::Cohere,
        other_apis: &[],
        base_url: "https://api.cohere.com/v2",
        base_url_env: &["COHERE_BASE_URL"],
        key_env: &["COHERE_API_KEY", "CO_API_KEY"],
        key_required: true,
        auth: AuthStyle::Bearer,
        headers: &[],
        quirks: COMPAT,
        default_model: "command-a-03-2025",
        vars: &[],
        query: &[],
        bearer_env: &[],
    },
    ProviderSpec {
        name: "ollama",
        api: Api::Ollama,
        other_apis: &[Api::OpenAiChat],
        base_url: "http://localhost:11434",
        base_url_env: &["OLLAMA_HOST", "OLLAMA_BASE_URL"],
        key_env: &["OLLAMA_API_KEY"],
        key_required: false,
        auth: AuthStyle::Bearer,
        headers: &[],
        quirks: COMPAT,
        default_model: "",
        vars: &[],
        query: &[],
        bearer_env: &[],
    },
    ProviderSpec {
        name: "bedrock",
        api: Api::Bedrock,
        other_apis: &[],
        base_url: "https://bedrock-runtime.{region}.amazonaws.com",
        base_url_env: &["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"],
        key_env: &["AWS_BEARER_TOKEN_BEDROCK"],
        key_required: false,
        auth: AuthStyle::SigV4("bedrock"),
        headers: &[],
        quirks: COMPAT,
        default_model: "",
        vars: &[Var {
            name: "region",
            env: &["AWS_REGION", "AWS_DEFAULT_REGION"],
            default: None,
        }],
        query: &[],
        bearer_env: &[],
    },
    // Vertex AI: Gemini models, the Gemini codec at another URL, with OAuth.
    ProviderSpec {
        name: "vertex",
        api: Api::Gemini,
        other_apis: &[],
        base_url: "https://{location}-aiplatform.googleapis.com/v1/projects/{project}/locations/{location}/publishers/google",
        base_url_env: &["VERTEX_BASE_URL"],
        key_env: &["GOOGLE_VERTEX_API_KEY"],
        key_required: false,
        auth: AuthStyle::GoogleOAuth,
        headers: &[],
        quirks: COMPAT,
        default_model: "",
        vars: VERTEX_VARS,
        query: &[],
        bearer_env: &[],
    },
    // Anthropic models on Vertex AI.
    ProviderSpec {
        name: "vertex-anthropic",
        api: Api::Anthropic,
        other_apis: &[],
        base_url: "https://{location}-aiplatform.googleapis.com/v1/projects/{project}/locations/{location}",
        base_url_env: &["VERTEX_ANTHROPIC_BASE_URL"],
        key_env: &[],
        key_required: false,
        auth: AuthStyle::GoogleOAuth,
        headers: &[],
        quirks: Quirks { vertex: true, ..COMPAT },
        default_model: "",
        vars: VERTEX_VARS,
        query: &[],
        bearer_env: &[],
    },
    // Azure OpenAI, v1 GA API: the model is the deployment name, sent in the body.
    ProviderSpec {
        other_apis: &[Api::OpenAiResponses],
        base_url_env: &["AZURE_OPENAI_BASE_URL"],
        auth: AuthStyle::Header("api-key"),
        vars: &[AZURE_RESOURCE],
        bearer_env: &["AZURE_OPENAI_AD_TOKEN"],
        ..compat(
            "azure",
            "https://{resource}.openai.azure.com/openai/v1",
            &["AZURE_OPENAI_API_KEY", "AZURE_API_KEY"],
            "",
            Quirks {
                max_completion_tokens: true,
                developer_role: true,
                ..COMPAT
            },
        )
    },
    // Azure OpenAI, deployments API with `api-version`.
    ProviderSpec {
        base_url_env: &["AZURE_OPENAI_ENDPOINT_BASE_URL"],
        auth: AuthStyle::Header("api-key"),
        vars: &[
            AZURE_RESOURCE,
            Var {
                name: "api_version",
                env: &["AZURE_OPENAI_API_VERSION", "OPENAI_API_VERSION"],
                default: Some("2024-10-21"),
            },
        ],
        query: &[("api-version", "{api_version}")],
        bearer_env: &["AZURE_OPENAI_AD_TOKEN"],
        ..compat(
            "azure-deployments",
            "https://{resource}.openai.azure.com/openai",
            &["AZURE_OPENAI_API_KEY", "AZURE_API_KEY"],
            "",
            Quirks {
                max_completion_tokens: true,
                developer_role: true,
                deployment_path: true,
                ..COMPAT
            },
        )
    },
    compat(
        "groq",
        "https://api.groq.com/openai/v1",
        &["GROQ_API_KEY"],
        "llama-3.3-70b-versatile",
        COMPAT,
    ),
    ProviderSpec {
        other_apis: &[Api::OpenAiResponses],
        ..compat(
            "xai",
            "https://api.x.ai/v1",
            &["XAI_API_KEY"],
            "grok-3-mini",
            COMPAT,
        )
    },
    compat(
        "mistral",
        "https://api.mistral.ai/v1",
        &["MISTRAL_API_KEY"],
        "mistral-small-latest",
        Quirks {
            stream_usage: false,
            ..NO_REASONING_EFFORT
        },
    ),
    compat(
        "perplexity",
        "https://api.perplexity.ai",
        &["PERPLEXITY_API_KEY", "PPLX_API_KEY"],
        "sonar",
        Quirks {
            stream_usage: false,
            top_k: true,
            ..NO_REASONING_EFFORT
        },
    ),
    compat(
        "deepseek",
        "https://api.deepseek.com/v1",
        &["DEEPSEEK_API_KEY"],
        "deepseek-chat",
        NO_REASONING_EFFORT,
    ),
    // OpenRouter attributes calls to an app by two optional headers.
    ProviderSpec {
        headers: &[("HTTP-Referer", "{site_url}"), ("X-Title", "{app_name}")],
        vars: &[
            Var {
                name: "site_url",
                env: &["OPENROUTER_SITE_URL", "OR_SITE_URL"],
                default: None,
            },
            Var {
                name: "app_name",
                env: &["OPENROUTER_APP_NAME", "OR_APP_NAME"],
                default: None,
            },
        ],
        ..compat(
            "openrouter",
            "https://openrouter.ai/api/v1",
            &["OPENROUTER_API_KEY"],
            "openai/gpt-4o-mini",
            TOP_K,
        )
    },
    compat(
        "together",
        "https://api.together.xyz/v1",
        &["TOGETHER_API_KEY", "TOGETHERAI_API_KEY"],
        "meta-llama/Llama-3.3-70B-Instruct-Turbo",
        TOP_K,
    ),
    compat(
        "fireworks",
        "https://api.fireworks.ai/inference/v1",
        &["FIREWORKS_API_KEY", "FIREWORKS_AI_API_KEY"],
        "accounts/fireworks/models/llama-v3p3-70b-instruct",
        TOP_K,
    ),
    compat(
        "deepinfra",
        "https://api.deepinfra.com/v1/openai",
        &["DEEPINFRA_API_KEY", "DEEPINFRA_TOKEN"],
        "meta-llama/Llama-3.3-70B-Instruct",
        TOP_K,
    ),
    compat(
        "cerebras",
        "https://api.cerebras.ai/v1",
        &["CEREBRAS_API_KEY"],
        "llama-3.3-70b",
        NO_REASONING_EFFORT,
    ),
    // Hugging Face Inference Providers: one OpenAI-compatible router in front of many hosts.
    compat(
        "huggingface",
        "https://router.huggingface.co/v1",
        &["HF_TOKEN", "HUGGINGFACE_API_KEY", "HUGGING_FACE_HUB_TOKEN"],
        "meta-llama/Llama-3.3-70B-Instruct",
        NO_REASONING_EFFORT,
    ),
    compat(
        "sambanova",
        "https://api.sambanova.ai/v1",
        &["SAMBANOVA_API_KEY"],
        "Meta-Llama-3.3-70B-Instruct",
        NO_REASONING_EFFORT,
    ),
    compat(
        "nebius",
        "https://api.studio.nebius.com/v1",
        &["NEBIUS_API_KEY"],
        "meta-llama/Llama-3.3-70B-Instruct",
        TOP_K,
    ),
    compat(
        "hyperbolic",
        "https://api.hyperbolic.xyz/v1",
        &["HYPERBOLIC_API_KEY"],
        "meta-llama/Llama-3.3-70B-Instruct",
        TOP_K,
    ),
    compat(
        "novita",
        "https://api.novita.ai/v3/openai",
        &["NOVITA_API_KEY"],
        "meta-llama/llama-3.3-70b-instruct",
        TOP_K,
    ),
    // Replicate: predictions of a model, polled or streamed (its own API, not OpenAI's).
    ProviderSpec {
        name: "replicate",
        api: Api::Replicate,
        other_apis: &[],
        base_url: "https://api.replicate.com/v1",
        base_url_env: &["REPLICATE_BASE_URL"],
        key_env: &["REPLICATE_API_TOKEN", "REPLICATE_API_KEY"],
        key_required: true,
        auth: AuthStyle::Bearer,
        headers: &[],
        quirks: COMPAT,
        default_model: "meta/meta-llama-3-8b-instruct",
        vars: &[],
        query: &[],
        bearer_env: &[],
    },
    compat(
        "nvidia",
        "https://integrate.api.nvidia.com/v1",
        &["NVIDIA_API_KEY", "NVIDIA_NIM_API_KEY"],
        "meta/llama-3.3-70b-instruct",
        COMPAT,
    ),
    // Workers AI through Cloudflare's OpenAI-compatible endpoint of an account.
    ProviderSpec {
        vars: &[Var {
            name: "account_id",
            env: &["CLOUDFLARE_ACCOUNT_ID"],
            default: None,
        }],
        ..compat(
            "cloudflare",
            "https://api.cloudflare.com/client/v4/accounts/{account_id}/ai/v1",
            &["CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_KEY"],
            "@cf/meta/llama-3.3-70b-instruct-fp8-fast",
            NO_REASONING_EFFORT,
        )
    },
    ProviderSpec {
        headers: &[("X-GitHub-Api-Version", "2022-11-28")],
        ..compat(
            "github",
            "https://models.github.ai/inference",
            &["GITHUB_TOKEN"],
            "openai/gpt-4.1-mini",
            COMPAT,
        )
    },
    compat(
        "moonshot",
        "https://api.moonshot.ai/v1",
        &["MOONSHOT_API_KEY"],
        "kimi-k2.6",
        NO_REASONING_EFFORT,
    ),
    // Alibaba Model Studio (DashScope), international endpoint, OpenAI-compatible mode.
    compat(
        "dashscope",
        "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
        &["DASHSCOPE_API_KEY"],
        "qwen-plus",
        Quirks {
            top_k: true,
            ..NO_REASONING_EFFORT
        },
    ),
    // Zhipu GLM, international endpoint (Z.ai).
    compat(
        "zai",
        "https://api.z.ai/api/paas/v4",
        &["ZAI_API_KEY", "ZHIPUAI_API_KEY"],
        "glm-4.6",
        NO_REASONING_EFFORT,
    ),
    // MiniMax deprecates `max_tokens` for `max_completion_tokens`.
    compat(
        "minimax",
        "https://api.minimax.io/v1",
        &["MINIMAX_API_KEY"],
        "MiniMax-M2.7",
        Quirks {
            max_completion_tokens: true,
            ..NO_REASONING_EFFORT
        },
    ),
    compat(
        "featherless",
        "https://api.featherless.ai/v1",
        &["FEATHERLESS_API_KEY", "FEATHERLESSAI_API_KEY"],
        "Qwen/Qwen2.5-7B-Instruct",
        TOP_K,
    ),
    // Baseten Model APIs (shared deployments of open models).
    compat(
        "baseten",
        "https://inference.baseten.co/v1",
        &["BASETEN_API_KEY"],
        "deepseek-ai/DeepSeek-V3.1",
        COMPAT,
    ),
    hosted::AZURE_AI,
    hosted::DATABRICKS,
    hosted::WATSONX,
    hosted::SAGEMAKER,
    hosted::SAGEMAKER_CHAT,
    local(
        "lmstudio",
        "http://localhost:1234/v1",
        &["LMSTUDIO_API_KEY"],
        &["LMSTUDIO_BASE_URL"],
    ),
    local(
        "vllm",
        "http://localhost:8000/v1",
        &["VLLM_API_KEY"],
        &["VLLM_BASE_URL"],
    ),
    local(
        "openai-compatible",
        "",
        &["OPENAI_COMPATIBLE_API_KEY"],
        &["OPENAI_COMPATIBLE_BASE_URL"],
    ),
    // Embeddings and rerank services: OpenAI-style `/embeddings` and the `/rerank` API, no chat.
    compat(
        "voyage",
        "https://api.voyageai.com/v1",
        &["VOYAGE_API_KEY"],
        "",
        NO_CHAT,
    ),
    compat(
        "jina",
        "https://api.jina.ai/v1",
        &["JINA_API_KEY"],
        "",
        NO_CHAT,
    ),
];

/// The provider named `name`.
pub fn find(name: &str) -> Option<&'static ProviderSpec> {
    PROVIDERS.iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        for (i, p) in PROVIDERS.iter().enumerate() {
            assert!(
                PROVIDERS[i + 1..].iter().all(|q| q.name != p.name),
                "{}",
                p.name
            );
            assert_eq!(find(p.name).unwrap().name, p.name);
        }
        assert!(find("openai").unwrap().speaks(Api::OpenAiResponses));
        assert!(!find("groq").unwrap().speaks(Api::OpenAiResponses));
        assert!(find("openai").unwrap().quirks.chat);
        for name in ["voyage", "jina"] {
            let p = find(name).unwrap();
            assert!(!p.quirks.chat && p.default_model.is_empty(), "{name}");
        }
    }
}
