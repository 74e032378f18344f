//! The token-count routes: Anthropic's `/v1/messages/count_tokens` and OpenAI's
//! `/v1/responses/input_tokens`. Nothing is sent to a provider: the prompt is counted with the
//! library's counter for the backend model (exact for OpenAI encodings, a calibrated estimate
//! for the others), after the same auth, body limit and model check as a chat call.

use super::misc::{error_response, read_body};
use super::Gateway;
use crate::wire::anthropic::{self, AnthropicMessages};
use crate::wire::responses::{self, OpenAiResponses};
use crate::wire::{ApiError, Format};
use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use exllm::ChatRequest;
use http::{header, HeaderMap, HeaderValue};

/// `POST /v1/messages/count_tokens`.
pub(crate) async fn anthropic_count(
    State(gw): State<Gateway>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    count::<AnthropicMessages>(
        &gw,
        &headers,
        body,
        anthropic::decode_count_tokens,
        anthropic::encode_count_tokens,
    )
    .await
}

/// `POST /v1/responses/input_tokens`.
pub(crate) async fn responses_count(
    State(gw): State<Gateway>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    count::<OpenAiResponses>(
        &gw,
        &headers,
        body,
        responses::decode_input_tokens,
        responses::encode_input_tokens,
    )
    .await
}

async fn count<F: Format>(
    gw: &Gateway,
    headers: &HeaderMap,
    body: Body,
    decode: fn(&[u8]) -> Result<ChatRequest, ApiError>,
    encode: fn(u64) -> Vec<u8>,
) -> Response {
    let result = async {
        let backends = gw.backends();
        crate::budget::authenticate(gw.governance().as_deref(), &backends, headers)?;
        let body = read_body(body, headers, gw.limits().max_body_bytes).await?;
        let request = decode(&body)?;
        let model = backends
            .models
            .get(&request.model)
            .and_then(|b| b.counting_model())
            .ok_or_else(|| ApiError {
                status: 404,
                kind: "not_found_error",
                message: format!("the model `{}` is not served here", request.model),
                retry_after: None,
            })?;
        Ok::<_, ApiError>(anthropic::count_tokens(&request, &model))
    }
    .await;
    match result {
        Ok(n) => {
            let mut resp = Response::new(Body::from(encode(n)));
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            resp
        }
        Err(e) => error_response::<F>(&e),
    }
}
