//! `Client::generate_image` end to end against a local server speaking OpenAI's
//! `/images/generations`: base64 and URL answers, usage, an error status, and a 429 retried.

use crate::support::{assert_no_key, client_for, Reply, TestServer, KEY};
use exllm::{ErrorKind, ImageOutput, ImageRequest};
use serde_json::json;

/// A few bytes standing for an image (a PNG signature, so the media type can be sniffed).
const PNG: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
/// `PNG` in base64.
const PNG_B64: &str = "iVBORw0KGgo=";

#[tokio::test]
async fn base64_images_come_back_as_bytes() {
    let body = json!({
        "created": 1_713_833_628,
        "data": [{"b64_json": PNG_B64, "revised_prompt": "A small otter."}, {"b64_json": PNG_B64}],
        "usage": {"input_tokens": 12, "output_tokens": 272, "total_tokens": 284}
    });
    let server = TestServer::start(vec![Reply::json(200, body.to_string())]).await;
    let mut req = ImageRequest::new("together/flux", "an otter");
    req.n = Some(2);
    req.output = Some(ImageOutput::Base64);
    let resp = client_for("together", &server, 0)
        .generate_image(req)
        .await
        .unwrap();

    let r = server.only_request();
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/v1/images/generations")
    );
    let bearer = format!("Bearer {KEY}");
    assert_eq!(r.header("authorization"), Some(bearer.as_str()));
    assert_eq!(
        r.json(),
        json!({"model": "flux", "prompt": "an otter", "n": 2, "response_format": "b64_json"})
    );
    assert_eq!(resp.images.len(), 2);
    assert_eq!(resp.images[0].data.as_deref(), Some(&PNG[..]));
    assert_eq!(resp.images[0].media_type.as_deref(), Some("image/png"));
    assert_eq!(
        resp.images[0].revised_prompt.as_deref(),
        Some("A small otter.")
    );
    assert_eq!(resp.images[1].revised_prompt, None);
    let u = resp.usage.unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (Some(12), Some(272)));
}

#[tokio::test]
async fn token_priced_images_carry_their_cost() {
    let body = json!({"data": [{"b64_json": PNG_B64}],
                      "usage": {"input_tokens": 50, "output_tokens": 4160}});
    let server = TestServer::start(vec![Reply::json(200, body.to_string())]).await;
    let client = client_for("openai", &server, 0);
    let resp = client
        .generate_image(ImageRequest::new("openai/gpt-image-1", "a kite"))
        .await
        .unwrap();
    let prices = &client
        .catalog()
        .model("openai/gpt-image-1")
        .unwrap()
        .prices
        .base;
    let want = 50.0 * prices.input.unwrap() + 4160.0 * prices.output_image_token.unwrap();
    assert!(
        (resp.cost_usd.unwrap() - want).abs() < 1e-12,
        "{:?}",
        resp.cost_usd
    );

    // A model the catalog does not know has no cost, rather than a made-up one.
    let server = TestServer::start(vec![Reply::json(200, body.to_string())]).await;
    let resp = client_for("together", &server, 0)
        .generate_image(ImageRequest::new("together/no-such-model", "a kite"))
        .await
        .unwrap();
    assert_eq!(resp.cost_usd, None);
}

#[tokio::test]
async fn url_images_and_a_retried_rate_limit() {
    let limited =
        json!({"error": {"message": "Rate limit reached for images", "type": "requests"}});
    let body = json!({"created": 1, "data": [{"url": "https://img.example/a.png"}]});
    let server = TestServer::start(vec![
        Reply::json(429, limited.to_string()).header("retry-after", "0"),
        Reply::json(200, body.to_string()),
    ])
    .await;
    let resp = client_for("openai", &server, 2)
        .generate_image(ImageRequest::new("openai/dall-e-2", "a cat"))
        .await
        .unwrap();
    assert_eq!(server.request_count(), 2, "the 429 was retried");
    assert_eq!(
        resp.images[0].url.as_deref(),
        Some("https://img.example/a.png")
    );
    assert!(resp.images[0].data.is_none() && resp.usage.is_none());
}

#[tokio::test]
async fn an_error_status_is_typed_with_the_providers_message() {
    let body = json!({"error": {"code": null, "message": "Unknown parameter: 'quality'.",
                                "param": "quality", "type": "invalid_request_error"}});
    let server = TestServer::start(vec![Reply::json(400, body.to_string())]).await;
    let mut req = ImageRequest::new("openai/dall-e-2", "a cat");
    req.quality = Some("hd".into());
    let err = client_for("openai", &server, 2)
        .generate_image(req)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    assert_eq!(err.status(), Some(400));
    assert!(
        err.message().contains("Unknown parameter: 'quality'."),
        "{err}"
    );
    assert_eq!(server.request_count(), 1, "a 400 is not retried");
    assert_no_key(&err);
}

#[tokio::test]
async fn providers_without_images_refuse_before_sending() {
    let server = TestServer::start(vec![]).await;
    let err = client_for("anthropic", &server, 0)
        .generate_image(ImageRequest::new("anthropic/claude", "a cat"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert_eq!(server.request_count(), 0);
}
