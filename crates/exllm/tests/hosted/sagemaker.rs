//! AWS SageMaker endpoints (`sagemaker`, `sagemaker-chat`) against a local server: InvokeEndpoint
//! and InvokeEndpointWithResponseStream with every request's SigV4 signature (service
//! `sagemaker`) checked by the independent verifier, the TGI body and answer, the Messages API
//! body, streams as real binary event-stream `PayloadPart` messages whose bytes are cut
//! anywhere, an exception inside the stream, SageMaker's error shapes, and the inference
//! component header.

use super::{check_faults, retry};
use crate::bedrock::sigv4;
use crate::support::{self, hello_messages, Recorded, Reply, TestServer};
use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use exllm::{ChatRequest, Client, FinishKind};
use serde_json::json;
use support::fixtures::{chat, TEXT, TEXT_DELTAS};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const ENDPOINT: &str = "hf-llm-mistral-7b-2024";

fn client(provider: &str, server: &TestServer) -> Client {
    Client::builder()
        .env_lookup(|_| None)
        .base_url(provider, server.root())
        .aws_credentials(provider, AKID, SECRET, None)
        .region(provider, "eu-west-1")
        .retry(retry())
        .build()
        .unwrap()
}

fn request(provider: &str) -> ChatRequest {
    ChatRequest::new(format!("{provider}/{ENDPOINT}"), hello_messages()).with_max_tokens(64)
}

fn check_signed(r: &Recorded) {
    let signed = sigv4::verify(r, SECRET).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(signed.access_key, AKID);
    assert_eq!(signed.region, "eu-west-1");
    assert_eq!(signed.service, "sagemaker");
}

fn event(headers: &[(&str, &str)], payload: &[u8]) -> Vec<u8> {
    let mut m = Message::new(payload.to_vec());
    for (k, v) in headers {
        m = m.add_header(Header::new(
            k.to_string(),
            HeaderValue::String(v.to_string().into()),
        ));
    }
    let mut buf = Vec::new();
    write_message_to(&m, &mut buf).expect("encodes");
    buf
}

/// The container's stream as `PayloadPart` messages of `n` bytes each (cut inside lines and
/// characters), sent in pieces of 11 bytes (cut inside messages).
fn payload_stream(container: &str, n: usize) -> Reply {
    let messages: Vec<u8> = container
        .as_bytes()
        .chunks(n)
        .flat_map(|piece| {
            event(
                &[(":event-type", "PayloadPart"), (":message-type", "event")],
                piece,
            )
        })
        .collect();
    Reply::stream(
        "application/vnd.amazon.eventstream",
        support::split_every(&messages, 11),
    )
}

fn tgi_stream() -> String {
    let mut s = String::new();
    for (i, d) in TEXT_DELTAS.iter().enumerate() {
        let token = json!({"token": {"id": i, "text": d, "logprob": -0.1, "special": false},
                           "generated_text": null, "details": null});
        s += &format!("data:{token}\n\n");
    }
    let last = json!({"token": {"id": 9, "text": "</s>", "logprob": 0.0, "special": true},
                      "generated_text": TEXT,
                      "details": {"finish_reason": "eos_token", "generated_tokens": 5}});
    s + &format!("data:{last}\n\n")
}

#[tokio::test]
async fn tgi_whole_and_streamed_signed_for_sagemaker() {
    let server = TestServer::start(vec![
        Reply::json(
            200,
            json!([{"generated_text": TEXT,
                    "details": {"finish_reason": "eos_token", "generated_tokens": 5}}])
            .to_string(),
        ),
        payload_stream(&tgi_stream(), 7),
    ])
    .await;
    let c = client("sagemaker", &server);
    let whole = c.chat(request("sagemaker")).await.unwrap();
    assert_eq!(whole.text(), TEXT);
    assert_eq!(whole.finish_kind(), Some(FinishKind::Stop));
    let streamed = support::streamed(&c, request("sagemaker")).await.unwrap();
    assert_eq!(streamed.text(), TEXT);
    assert_eq!(streamed.finish_kind(), Some(FinishKind::Stop));
    assert_eq!(streamed.usage.and_then(|u| u.output_tokens), Some(5));
    let reqs = server.requests();
    assert_eq!(reqs[0].path, format!("/endpoints/{ENDPOINT}/invocations"));
    assert_eq!(
        reqs[1].path,
        format!("/endpoints/{ENDPOINT}/invocations-response-stream")
    );
    for r in &reqs {
        check_signed(r);
        let body = r.json();
        assert_eq!(body["inputs"], "Be brief.\n\nUser: Say hello\n\nAssistant:");
        assert_eq!(body["parameters"]["max_new_tokens"], 64);
    }
    assert_eq!(reqs[1].json()["stream"], true);
}

#[tokio::test]
async fn messages_api_whole_and_streamed() {
    let server = TestServer::start(vec![
        Reply::json(200, chat::text("tgi")),
        payload_stream(&chat::text_stream("tgi"), 5),
    ])
    .await;
    let c = client("sagemaker-chat", &server);
    let whole = c.chat(request("sagemaker-chat")).await.unwrap();
    assert_eq!(whole.text(), TEXT);
    let streamed = support::streamed(&c, request("sagemaker-chat"))
        .await
        .unwrap();
    assert_eq!(streamed.text(), TEXT);
    assert_eq!(streamed.finish_kind(), Some(FinishKind::Stop));
    for r in server.requests() {
        check_signed(&r);
        let body = r.json();
        assert!(body.get("model").is_none(), "{body}");
        assert_eq!(body["messages"][1]["content"], "Say hello");
    }
}

#[tokio::test]
async fn an_exception_in_the_stream_and_model_errors_are_typed() {
    let mut stream = event(
        &[(":event-type", "PayloadPart"), (":message-type", "event")],
        b"data:{\"token\":{\"text\":\"Bon\"}}\n\n",
    );
    stream.extend(event(
        &[
            (":exception-type", "ModelStreamError"),
            (":message-type", "exception"),
            (":content-type", "application/json"),
        ],
        br#"{"Message":"Your model container crashed","ErrorCode":"ModelStreamError"}"#,
    ));
    let server = TestServer::start(vec![
        Reply::stream("application/vnd.amazon.eventstream", vec![stream]),
        Reply::json(
            424,
            r#"{"ErrorCode":"CLIENT_ERROR_FROM_MODEL","LogStreamArn":"arn:aws:logs:eu-west-1:1:log-group:/aws/sagemaker/Endpoints/x","Message":"Received client error (422) from primary with message \"Input validation error: inputs too long\"","OriginalMessage":"Input validation error","OriginalStatusCode":422}"#,
        )
        .header("x-amzn-errortype", "ModelError:http://internal.amazon.com/coral/com.amazon.sagemaker/"),
    ])
    .await;
    let c = client("sagemaker", &server);
    let resp = support::streamed(&c, request("sagemaker")).await;
    let text = match &resp {
        Ok(r) => r.text(),
        Err(e) => e.partial().map(|p| p.text()).unwrap_or_default(),
    };
    assert_eq!(text, "Bon");
    let shown = match resp {
        Ok(r) => format!("{:?}", r.error),
        Err(e) => e.to_string(),
    };
    assert!(shown.contains("Your model container crashed"), "{shown}");
    let err = c.chat(request("sagemaker")).await.unwrap_err();
    assert_eq!(err.status(), Some(424));
    assert!(err.message().contains("inputs too long"), "{err}");
    assert!(!format!("{err:?}").contains(SECRET));
}

#[tokio::test]
async fn faults_rate_limits_and_cut_streams() {
    let server = TestServer::start(vec![
        Reply::json(429, r#"{"message":"Rate exceeded"}"#).header("retry-after", "0"),
        Reply::json(200, chat::text("tgi")),
        Reply::json(429, r#"{"message":"Rate exceeded"}"#).header("retry-after", "120"),
        Reply::stream(
            "application/vnd.amazon.eventstream",
            vec![event(
                &[(":event-type", "PayloadPart"), (":message-type", "event")],
                chat::text_stream_head("tgi").as_bytes(),
            )],
        )
        .ending(support::Ending::Close),
    ])
    .await;
    check_faults(
        &client("sagemaker-chat", &server),
        || request("sagemaker-chat"),
        "Rate exceeded",
    )
    .await;
    for r in server.requests() {
        check_signed(&r);
    }
}

#[tokio::test]
async fn an_inference_component_is_named_in_its_header_when_set() {
    let answer = json!({"generated_text": TEXT}).to_string();
    let server = TestServer::start(vec![
        Reply::json(200, answer.clone()),
        Reply::json(200, answer),
    ])
    .await;
    let with = Client::builder()
        .env_lookup(|k| (k == "SAGEMAKER_INFERENCE_COMPONENT").then(|| "ic-llama-1".to_owned()))
        .base_url("sagemaker", server.root())
        .aws_credentials("sagemaker", AKID, SECRET, None)
        .region("sagemaker", "eu-west-1")
        .build()
        .unwrap();
    assert_eq!(with.chat(request("sagemaker")).await.unwrap().text(), TEXT);
    client("sagemaker", &server)
        .chat(request("sagemaker"))
        .await
        .unwrap();
    let reqs = server.requests();
    assert_eq!(
        reqs[0].header("x-amzn-sagemaker-inference-component"),
        Some("ic-llama-1")
    );
    assert_eq!(reqs[1].header("x-amzn-sagemaker-inference-component"), None);
    for r in &reqs {
        check_signed(r);
    }
}
