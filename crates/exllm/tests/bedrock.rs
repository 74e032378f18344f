#![cfg(feature = "bedrock")]
//! AWS Bedrock end to end against a local server: Converse and ConverseStream (real binary AWS
//! event-stream messages, an exception message inside the stream), model ids with `:` and
//! inference-profile ARNs percent-encoded into the path, every request's SigV4 signature
//! recomputed by an independent verifier, throttling classified from `x-amzn-errortype` and
//! retried (and signed anew), Titan and Cohere embeddings through InvokeModel, and bearer-token
//! auth (`AWS_BEARER_TOKEN_BEDROCK`) without SigV4. Run with `--features bedrock`.

#[path = "bedrock/sigv4.rs"]
pub(crate) mod sigv4;
use crate::bedrock_wire as wire;
use crate::support;

use exllm::{
    ChatRequest, ChatResponse, Client, EmbedRequest, ErrorKind, FinishKind, Message, Role,
    ToolResult,
};
use serde_json::json;
use support::fixtures::{TEXT, TEXT_DELTAS};
use support::{hello_messages, weather_args, weather_tool, Recorded, Reply, TestServer};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "ABSKQmVkcm9ja0FQSUtleS1leGFtcGxlLXRva2VuLTEyMzQ1Njc4";
const MODEL: &str = "anthropic.claude-3-5-haiku-20241022-v1:0";
const MODEL_PATH: &str = "anthropic.claude-3-5-haiku-20241022-v1%3A0";

fn builder(server: &TestServer, retries: u32) -> exllm::ClientBuilder {
    Client::builder()
        .env_lookup(|_| None)
        .base_url("bedrock", server.root())
        .retry(support::fast_retry(retries))
}

/// A client signing with fixed credentials for us-east-1.
fn client(server: &TestServer, retries: u32) -> Client {
    builder(server, retries)
        .aws_credentials("bedrock", AKID, SECRET, None)
        .region("bedrock", "us-east-1")
        .build()
        .unwrap()
}

fn request(model: &str) -> ChatRequest {
    ChatRequest::new(format!("bedrock/{model}"), hello_messages()).with_max_tokens(64)
}

/// Verifies the request's signature and the scope it was made for.
fn check_signed(r: &Recorded, region: &str) {
    let signed = sigv4::verify(r, SECRET).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(signed.access_key, AKID);
    assert_eq!(signed.region, region);
    assert_eq!(signed.service, "bedrock");
    for h in ["host", "x-amz-date", "content-type"] {
        assert!(
            signed.signed_headers.iter().any(|s| s == h),
            "{h} not signed: {:?}",
            signed.signed_headers
        );
    }
}

fn check_no_secret(e: &exllm::Error) {
    for s in [SECRET, TOKEN] {
        assert!(!format!("{e:?}").contains(s), "secret in Debug: {e:?}");
        assert!(!e.to_string().contains(s), "secret in Display: {e}");
    }
}

fn check_usage(resp: &ChatResponse) {
    let u = resp.usage.as_ref().unwrap();
    assert_eq!(
        u.input_tokens,
        Some(12 + 4 + 2),
        "plain + cache read + write"
    );
    assert_eq!(u.output_tokens, Some(6));
    assert_eq!(u.cache_read_tokens, Some(4));
    assert_eq!(u.cache_write_tokens, Some(2));
}

#[test]
fn the_verifier_reproduces_the_documented_example_and_rejects_tampering() {
    let (r, secret) = sigv4::documented_example();
    let signed = sigv4::verify(&r, secret).unwrap();
    assert_eq!(signed.region, "us-east-1");
    assert_eq!(signed.service, "iam");
    assert!(sigv4::verify(&r, "another secret").is_err());
    let mut tampered = r.clone();
    tampered.body = b"x".to_vec();
    assert!(sigv4::verify(&tampered, secret).is_err());
    let mut tampered = r;
    tampered.path = "/?Action=ListUsers&Version=2010-05-09".into();
    assert!(sigv4::verify(&tampered, secret).is_err());
}

#[tokio::test]
async fn converse_whole_is_signed() {
    let server = TestServer::start(vec![Reply::json(200, wire::text())]).await;
    let resp = client(&server, 0).chat(request(MODEL)).await.unwrap();
    let r = server.only_request();
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, format!("/model/{MODEL_PATH}/converse"));
    assert_eq!(r.header("accept"), Some("application/json"));
    check_signed(&r, "us-east-1");
    assert_eq!(
        r.json(),
        json!({
            "system": [{"text": "Be brief."}],
            "messages": [{"role": "user", "content": [{"text": "Say hello"}]}],
            "inferenceConfig": {"maxTokens": 64}
        })
    );
    assert_eq!(resp.text(), TEXT);
    assert_eq!(resp.finish_kind(), Some(FinishKind::Stop));
    assert_eq!(
        resp.finish.as_ref().unwrap().raw.as_deref(),
        Some("end_turn")
    );
    assert_eq!(resp.provider_meta["metrics"], wire::metrics());
    check_usage(&resp);
}

#[tokio::test]
async fn a_tampered_request_fails_the_verifier() {
    let server = TestServer::start(vec![Reply::json(200, wire::text())]).await;
    client(&server, 0).chat(request(MODEL)).await.unwrap();
    let mut r = server.only_request();
    sigv4::verify(&r, SECRET).unwrap();
    r.body.push(b' ');
    assert!(sigv4::verify(&r, SECRET).is_err(), "the body is covered");
    r.body.pop();
    r.path = r.path.replace("%3A", ":");
    assert!(sigv4::verify(&r, SECRET).is_err(), "the path is covered");
}

#[tokio::test]
async fn converse_stream_decodes_binary_event_stream() {
    let server = TestServer::start(vec![
        wire::stream_reply(&wire::text_stream(), 7),
        Reply::json(200, wire::text()),
    ])
    .await;
    let c = client(&server, 0);
    let (deltas, streamed) =
        support::deltas_and_folded(c.chat_stream(request(MODEL)).await.unwrap()).await;
    assert_eq!(deltas, TEXT_DELTAS);
    check_usage(&streamed);
    assert_eq!(
        streamed,
        support::unpriced(c.chat(request(MODEL)).await.unwrap())
    );
    let r = &server.requests()[0];
    assert_eq!(r.path, format!("/model/{MODEL_PATH}/converse-stream"));
    assert_eq!(
        r.header("accept"),
        Some("application/vnd.amazon.eventstream")
    );
    check_signed(r, "us-east-1");
}

#[tokio::test]
async fn reasoning_and_tool_use_stream_and_go_back() {
    let server = TestServer::start(vec![
        wire::stream_reply(&wire::tool_stream(), 13),
        Reply::json(200, wire::tool()),
        Reply::json(200, wire::text()),
    ])
    .await;
    let c = client(&server, 0);
    let req = request(MODEL).with_tool(weather_tool());
    let streamed = support::streamed(&c, req.clone()).await.unwrap();
    let whole = c.chat(req.clone()).await.unwrap();
    assert_eq!(streamed, whole, "streamed and whole answers differ");
    assert_eq!(streamed.reasoning_text(), wire::THINKING.concat());
    assert_eq!(streamed.text(), "Checking.");
    let calls = streamed.tool_calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].id, wire::TOOL_USE_ID);
    assert_eq!(calls[0].arguments, weather_args());
    assert_eq!(streamed.finish_kind(), Some(FinishKind::ToolCalls));

    let mut next = req;
    next.messages
        .push(Message::new(Role::Assistant, streamed.content.clone()));
    next.messages.push(Message::tool_result(ToolResult::text(
        wire::TOOL_USE_ID,
        "21C",
    )));
    assert_eq!(c.chat(next).await.unwrap().text(), TEXT);
    let reqs = server.requests();
    assert_eq!(
        reqs[0].json()["toolConfig"],
        json!({"tools": [{"toolSpec": {
            "name": "get_weather",
            "description": "Current weather for a city",
            "inputSchema": {"json": weather_tool().parameters}
        }}]})
    );
    let messages = reqs[2].json()["messages"].clone();
    assert_eq!(
        messages[1],
        json!({"role": "assistant", "content": [
            {"reasoningContent": {"reasoningText": {"text": wire::THINKING.concat(), "signature": wire::SIGNATURE}}},
            {"text": "Checking."},
            {"toolUse": {"toolUseId": wire::TOOL_USE_ID, "name": "get_weather", "input": weather_args()}}
        ]})
    );
    assert_eq!(
        messages[2],
        json!({"role": "user", "content": [
            {"toolResult": {"toolUseId": wire::TOOL_USE_ID, "content": [{"text": "21C"}]}}
        ]})
    );
    for r in &reqs {
        check_signed(r, "us-east-1");
    }
}

#[tokio::test]
async fn an_exception_message_mid_stream_finishes_with_error() {
    let mut messages = wire::text_stream_head();
    messages.truncate(3);
    messages.push(wire::exception(
        "modelStreamErrorException",
        "The model produced an invalid sequence.",
    ));
    let server = TestServer::start(vec![wire::stream_reply(&messages, 16)]).await;
    let resp = client(&server, 0)
        .chat_stream(request(MODEL))
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    assert_eq!(
        resp.text(),
        TEXT_DELTAS[..2].concat(),
        "what arrived is kept"
    );
    assert_eq!(resp.finish_kind(), Some(FinishKind::Error));
    let e = resp.error.expect("the exception");
    assert_eq!(e.code.as_deref(), Some("modelStreamErrorException"));
    assert_eq!(e.message, "The model produced an invalid sequence.");
}

#[tokio::test]
async fn a_stream_cut_inside_a_message_is_truncated() {
    let body: Vec<u8> = wire::text_stream().concat();
    let cut = body[..body.len() - 10].to_vec();
    let server = TestServer::start(vec![Reply::stream(
        "application/vnd.amazon.eventstream",
        support::split_every(&cut, 50),
    )])
    .await;
    let err = client(&server, 0)
        .chat_stream(request(MODEL))
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Truncated);
    assert_eq!(err.partial().unwrap().text(), TEXT);
}

#[tokio::test]
async fn model_ids_and_profile_arns_are_escaped_in_the_signed_path() {
    let profile = "us.anthropic.claude-3-7-sonnet-20250219-v1:0";
    let arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6";
    let server = TestServer::start(vec![
        Reply::json(200, wire::text()),
        wire::stream_reply(&wire::text_stream(), 64),
    ])
    .await;
    let c = client(&server, 0);
    c.chat(request(profile)).await.unwrap();
    support::streamed(&c, request(arn)).await.unwrap();
    let reqs = server.requests();
    assert_eq!(
        reqs[0].path,
        "/model/us.anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse"
    );
    assert_eq!(
        reqs[1].path,
        "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-profile%2Fa1b2c3d4e5f6/converse-stream"
    );
    for r in &reqs {
        check_signed(r, "us-east-1");
    }
}

#[tokio::test]
async fn a_session_token_is_sent_and_signed() {
    let server = TestServer::start(vec![Reply::json(200, wire::text())]).await;
    let c = builder(&server, 0)
        .aws_credentials(
            "bedrock",
            AKID,
            SECRET,
            Some("FwoGZXIvYXdzEXAMPLETOKEN".into()),
        )
        .region("bedrock", "eu-west-3")
        .build()
        .unwrap();
    c.chat(request(MODEL)).await.unwrap();
    let r = server.only_request();
    assert_eq!(
        r.header("x-amz-security-token"),
        Some("FwoGZXIvYXdzEXAMPLETOKEN")
    );
    let signed = sigv4::verify(&r, SECRET).unwrap();
    assert_eq!(signed.region, "eu-west-3");
    assert!(signed
        .signed_headers
        .iter()
        .any(|h| h == "x-amz-security-token"));
}

#[tokio::test]
async fn the_region_fills_a_region_placeholder() {
    let server = TestServer::start(vec![Reply::json(200, wire::text())]).await;
    let c = Client::builder()
        .env_lookup(|_| None)
        .base_url("bedrock", format!("{}/{{region}}", server.root()))
        .aws_credentials("bedrock", AKID, SECRET, None)
        .region("bedrock", "eu-central-1")
        .retry(support::fast_retry(0))
        .build()
        .unwrap();
    c.chat(request(MODEL)).await.unwrap();
    let r = server.only_request();
    assert_eq!(r.path, format!("/eu-central-1/model/{MODEL_PATH}/converse"));
    check_signed(&r, "eu-central-1");
}

#[tokio::test]
async fn a_wrong_region_is_a_config_error_before_any_request() {
    let server = TestServer::start(vec![]).await;
    let c = builder(&server, 0)
        .aws_credentials("bedrock", AKID, SECRET, None)
        .region("bedrock", "moon-base")
        .build()
        .unwrap();
    let err = c.chat(request(MODEL)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("moon-base"), "{err}");
    assert_eq!(server.request_count(), 0);
    check_no_secret(&err);
}

const THROTTLED: &str = r#"{"message":"Too many requests, please wait before trying again."}"#;
const THROTTLING_TYPE: &str =
    "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/";

fn throttled() -> Reply {
    Reply::json(400, THROTTLED)
        .header("x-amzn-errortype", THROTTLING_TYPE)
        .header("x-amzn-requestid", "b6a3f1e2-0c4d-4e5f-8a9b-0c1d2e3f4a5b")
}

#[tokio::test]
async fn throttling_is_a_rate_limit_and_is_retried_with_a_new_signature() {
    let server = TestServer::start(vec![throttled(), Reply::json(200, wire::text())]).await;
    let resp = client(&server, 2).chat(request(MODEL)).await.unwrap();
    assert_eq!(resp.text(), TEXT);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        check_signed(r, "us-east-1");
    }

    let server = TestServer::start(vec![throttled()]).await;
    let err = client(&server, 0).chat(request(MODEL)).await.unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::RateLimit,
        "from the header, not the 400"
    );
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.code(), Some("ThrottlingException"));
    assert_eq!(
        err.message(),
        "Too many requests, please wait before trying again."
    );
    assert_eq!(
        err.request_id(),
        Some("b6a3f1e2-0c4d-4e5f-8a9b-0c1d2e3f4a5b")
    );
    assert!(err.is_retryable());
    check_no_secret(&err);
}

#[tokio::test]
async fn aws_error_types_map_to_kinds() {
    let cases = [
        (
            403,
            "AccessDeniedException",
            "You don't have access to the model with the specified model ID.",
            ErrorKind::Auth,
        ),
        (
            400,
            "ValidationException",
            "The provided model identifier is invalid.",
            ErrorKind::BadRequest,
        ),
        (
            404,
            "ResourceNotFoundException",
            "Model not found.",
            ErrorKind::NotFound,
        ),
        (
            424,
            "ModelErrorException",
            "The model returned an error.",
            ErrorKind::Server,
        ),
    ];
    for (status, kind, message, expected) in cases {
        let server = TestServer::start(vec![Reply::json(
            status,
            json!({ "message": message }).to_string(),
        )
        .header(
            "x-amzn-errortype",
            &format!("{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/"),
        )])
        .await;
        let err = client(&server, 0).chat(request(MODEL)).await.unwrap_err();
        assert_eq!(err.kind(), expected, "{kind}");
        assert_eq!(err.code(), Some(kind));
        assert_eq!(err.message(), message);
        check_no_secret(&err);
    }
}

#[tokio::test]
async fn titan_embeds_one_text_per_request() {
    let titan = || {
        Reply::from_fn(|r| {
            let text = r.json()["inputText"].as_str().unwrap().to_owned();
            let n = text.len() as f64;
            Reply::json(
                200,
                json!({"embedding": [n, 0.5], "inputTextTokenCount": 2}).to_string(),
            )
        })
    };
    let server = TestServer::start(vec![titan(), titan(), titan()]).await;
    let mut req = EmbedRequest::new("bedrock/amazon.titan-embed-text-v2:0", ["a", "bb", "ccc"]);
    req.dimensions = Some(256);
    let resp = client(&server, 0).embed(req).await.unwrap();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3, "Titan takes one text per request");
    for (r, text) in reqs.iter().zip(["a", "bb", "ccc"]) {
        assert_eq!(r.path, "/model/amazon.titan-embed-text-v2%3A0/invoke");
        assert_eq!(r.json(), json!({"inputText": text, "dimensions": 256}));
        check_signed(r, "us-east-1");
    }
    assert_eq!(
        resp.embeddings,
        vec![vec![1.0f32, 0.5], vec![2.0, 0.5], vec![3.0, 0.5]]
    );
    assert_eq!(resp.usage.unwrap().input_tokens, Some(6));
}

#[tokio::test]
async fn cohere_on_bedrock_embeds_a_batch() {
    let body = json!({
        "id": "a3f2c1d0-1b2c-4d5e-8f90-123456789abc",
        "embeddings": [[0.1, 0.2], [0.3, 0.4]],
        "texts": ["first", "second"],
        "response_type": "embeddings_floats"
    });
    let server = TestServer::start(vec![Reply::json(200, body.to_string())]).await;
    let resp = client(&server, 0)
        .embed(EmbedRequest::new(
            "bedrock/cohere.embed-english-v3",
            ["first", "second"],
        ))
        .await
        .unwrap();
    let r = server.only_request();
    assert_eq!(r.path, "/model/cohere.embed-english-v3/invoke");
    assert_eq!(
        r.json(),
        json!({"texts": ["first", "second"], "input_type": "search_document"})
    );
    check_signed(&r, "us-east-1");
    assert_eq!(resp.embeddings, vec![vec![0.1f32, 0.2], vec![0.3, 0.4]]);
}

#[tokio::test]
async fn a_bearer_token_replaces_sigv4() {
    let server = TestServer::start(vec![
        Reply::json(200, wire::text()),
        Reply::json(
            403,
            json!({ "message": format!("Bearer token {TOKEN} is invalid") }).to_string(),
        )
        .header("x-amzn-errortype", "AccessDeniedException"),
    ])
    .await;
    let c = builder(&server, 0)
        .api_key("bedrock", TOKEN)
        .build()
        .unwrap();
    assert_eq!(c.chat(request(MODEL)).await.unwrap().text(), TEXT);
    let r = &server.requests()[0];
    let bearer = format!("Bearer {TOKEN}");
    assert_eq!(r.header("authorization"), Some(bearer.as_str()));
    assert_eq!(r.header("x-amz-date"), None, "no SigV4");
    assert_eq!(r.path, format!("/model/{MODEL_PATH}/converse"));

    let err = c.chat(request(MODEL)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    check_no_secret(&err);
}

#[tokio::test]
async fn the_bearer_token_comes_from_aws_bearer_token_bedrock() {
    let server = TestServer::start(vec![Reply::json(200, wire::text())]).await;
    let c = Client::builder()
        .env_lookup(|k| (k == "AWS_BEARER_TOKEN_BEDROCK").then(|| TOKEN.to_owned()))
        .base_url("bedrock", server.root())
        .build()
        .unwrap();
    c.chat(request(MODEL)).await.unwrap();
    let bearer = format!("Bearer {TOKEN}");
    assert_eq!(
        server.only_request().header("authorization"),
        Some(bearer.as_str())
    );
}

/// The default base URL is `https://bedrock-runtime.{region}.amazonaws.com`; with a bearer
/// token its region must still come from `.region()` / `AWS_REGION`.
#[tokio::test]
async fn a_bearer_token_with_a_region_placeholder() {
    let server = TestServer::start(vec![Reply::json(200, wire::text())]).await;
    let c = Client::builder()
        .env_lookup(|k| (k == "AWS_REGION").then(|| "eu-central-1".to_owned()))
        .base_url("bedrock", format!("{}/{{region}}", server.root()))
        .api_key("bedrock", TOKEN)
        .region("bedrock", "eu-central-1")
        .retry(support::fast_retry(0))
        .build()
        .unwrap();
    let result = c.chat(request(MODEL)).await;
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1, "{result:?}");
    assert_eq!(
        reqs[0].path,
        format!("/eu-central-1/model/{MODEL_PATH}/converse")
    );
    result.unwrap();
}
