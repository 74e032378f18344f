//! Hosted providers with endpoint conventions of their own: Azure AI Foundry models,
//! Databricks Model Serving, IBM watsonx.ai and AWS SageMaker endpoints. Kept apart from the
//! OpenAI-compatible rows because each needs more than a base URL and a key (placeholders of
//! the user's workspace or endpoint, token exchanges, SigV4).

use super::*;

/// The AWS region, as the AWS tools read it.
const AWS_REGION: Var = Var {
    name: "region",
    env: &["AWS_REGION", "AWS_DEFAULT_REGION"],
    default: None,
};

/// A SageMaker endpoint's inference component, sent only when set.
const SAGEMAKER_HEADERS: &[(&str, &str)] = &[(
    "x-amzn-sagemaker-inference-component",
    "{inference_component}",
)];

const SAGEMAKER_VARS: &[Var] = &[
    AWS_REGION,
    Var {
        name: "inference_component",
        env: &["SAGEMAKER_INFERENCE_COMPONENT"],
        default: None,
    },
];

/// Azure AI Foundry models (Azure AI Model Inference API): one endpoint for the models a
/// Foundry resource deploys, the model named in the body, `api-version` in the query. The
/// `extra-parameters` header (`pass-through`, `drop`, `error`) is sent only when set.
pub(super) const AZURE_AI: ProviderSpec = ProviderSpec {
    base_url_env: &["AZURE_AI_ENDPOINT", "AZURE_AI_API_BASE"],
    auth: AuthStyle::Header("api-key"),
    vars: &[
        Var {
            name: "resource",
            env: &["AZURE_AI_RESOURCE_NAME"],
            default: None,
        },
        Var {
            name: "api_version",
            env: &["AZURE_AI_API_VERSION"],
            default: Some("2024-05-01-preview"),
        },
        Var {
            name: "extra_parameters",
            env: &["AZURE_AI_EXTRA_PARAMETERS"],
            default: None,
        },
    ],
    query: &[("api-version", "{api_version}")],
    headers: &[("extra-parameters", "{extra_parameters}")],
    bearer_env: &["AZURE_AI_AD_TOKEN"],
    ..compat(
        "azure-ai",
        "https://{resource}.services.ai.azure.com/models",
        &["AZURE_AI_API_KEY"],
        "",
        Quirks {
            stream_usage: false,
            ..NO_REASONING_EFFORT
        },
    )
};

/// Databricks Model Serving: the OpenAI-compatible route of a workspace, the serving
/// endpoint's name as the model; a personal access token, else OAuth machine to machine.
pub(super) const DATABRICKS: ProviderSpec = ProviderSpec {
    base_url_env: &["DATABRICKS_API_BASE", "DATABRICKS_BASE_URL"],
    vars: &[Var {
        name: "host",
        env: &["DATABRICKS_HOST"],
        default: None,
    }],
    auth: AuthStyle::Token(TokenGrant::ClientCredentials {
        path: "/oidc/v1/token",
        id_env: &["DATABRICKS_CLIENT_ID"],
        secret_env: &["DATABRICKS_CLIENT_SECRET"],
        scope: "all-apis",
    }),
    ..compat(
        "databricks",
        "{host}/serving-endpoints",
        &["DATABRICKS_TOKEN", "DATABRICKS_API_KEY"],
        "databricks-meta-llama-3-3-70b-instruct",
        // Reasoning models there take `reasoning_effort` through Chat Completions.
        Quirks {
            stream_usage: false,
            ..COMPAT
        },
    )
};

/// IBM watsonx.ai: its own chat route (`/ml/v1/text/chat`) with `model_id` and a project or
/// space id in the body; the IBM Cloud API key is exchanged for an IAM token.
pub(super) const WATSONX: ProviderSpec = ProviderSpec {
    name: "watsonx",
    api: Api::Watsonx,
    other_apis: &[],
    base_url: "https://{region}.ml.cloud.ibm.com",
    base_url_env: &["WATSONX_URL", "WATSONX_API_BASE"],
    key_env: &["WATSONX_APIKEY", "WATSONX_API_KEY"],
    key_required: true,
    auth: AuthStyle::Token(TokenGrant::ApiKey {
        url: "https://iam.cloud.ibm.com/identity/token",
        url_env: &["WATSONX_IAM_URL"],
        grant_type: "urn:ibm:params:oauth:grant-type:apikey",
    }),
    headers: &[],
    quirks: Quirks {
        stream_usage: false,
        ..NO_REASONING_EFFORT
    },
    default_model: "ibm/granite-3-8b-instruct",
    vars: &[
        Var {
            name: "region",
            env: &["WATSONX_REGION"],
            default: Some("us-south"),
        },
        Var {
            name: "version",
            env: &["WATSONX_VERSION"],
            default: Some("2024-05-31"),
        },
        // Empty when unset: the codec moves whichever is set into the body.
        Var {
            name: "project_id",
            env: &["WATSONX_PROJECT_ID"],
            default: Some(""),
        },
        Var {
            name: "space_id",
            env: &["WATSONX_SPACE_ID", "WATSONX_DEPLOYMENT_SPACE_ID"],
            default: Some(""),
        },
    ],
    query: &[
        ("version", "{version}"),
        ("project_id", "{project_id}"),
        ("space_id", "{space_id}"),
    ],
    bearer_env: &["WATSONX_TOKEN"],
};

/// AWS SageMaker real-time endpoints, the model being the endpoint's name: TGI / LMI
/// text-generation bodies, or (`sagemaker-chat`) the Messages API of newer containers.
pub(super) const SAGEMAKER: ProviderSpec = ProviderSpec {
    name: "sagemaker",
    api: Api::SageMaker,
    other_apis: &[Api::SageMakerChat],
    base_url: "https://runtime.sagemaker.{region}.amazonaws.com",
    base_url_env: &["AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME"],
    key_env: &[],
    key_required: false,
    auth: AuthStyle::SigV4("sagemaker"),
    headers: SAGEMAKER_HEADERS,
    quirks: COMPAT,
    default_model: "",
    vars: SAGEMAKER_VARS,
    query: &[],
    bearer_env: &[],
};

/// SageMaker endpoints serving the Messages API (Chat Completions bodies).
pub(super) const SAGEMAKER_CHAT: ProviderSpec = ProviderSpec {
    name: "sagemaker-chat",
    api: Api::SageMakerChat,
    other_apis: &[Api::SageMaker],
    base_url: "https://runtime.sagemaker.{region}.amazonaws.com",
    base_url_env: &["AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME"],
    key_env: &[],
    key_required: false,
    auth: AuthStyle::SigV4("sagemaker"),
    headers: SAGEMAKER_HEADERS,
    quirks: Quirks {
        stream_usage: false,
        ..NO_REASONING_EFFORT
    },
    default_model: "",
    vars: SAGEMAKER_VARS,
    query: &[],
    bearer_env: &[],
};
