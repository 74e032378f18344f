use super::*;
use crate::provider::test_support::{bearer, finish_of, settings, AsFrame, TestCodec};
use crate::types::{Message, StreamEvent};
use crate::wire::Frame;
use serde_json::json;

fn endpoint() -> Endpoint {
    bearer(
        "sagemaker",
        "https://runtime.sagemaker.us-east-1.amazonaws.com",
        "unused",
    )
}

const TGI: TestCodec = TestCodec::new(
    &SageMakerCodec { messages: false },
    "hf-llm-mistral-7b",
    endpoint,
);
const CHAT: TestCodec = TestCodec::new(&SageMakerCodec { messages: true }, "my endpoint", endpoint);

/// One `PayloadPart` message's bytes (a piece may end inside a UTF-8 character).
struct Piece(Vec<u8>);

impl AsFrame for Piece {
    fn as_frame(&self) -> Frame<'_> {
        Frame {
            event: "PayloadPart",
            data: &self.0,
        }
    }
}

/// `PayloadPart` frames of `text` cut every `n` bytes.
fn parts(text: &str, n: usize) -> Vec<Piece> {
    text.as_bytes()
        .chunks(n)
        .map(|c| Piece(c.to_vec()))
        .collect()
}

#[test]
fn tgi_bodies_carry_one_prompt_and_parameters() {
    let mut req = TGI.req(vec![
        Message::system("Be brief."),
        Message::user("Hi"),
        Message::assistant("Hello."),
        Message::user("Name a colour."),
    ]);
    req.max_tokens = Some(40);
    req.temperature = Some(0.2);
    req.stop = vec!["\nUser:".into()];
    req.tools = vec![crate::types::Tool::new("f", "d", json!({"type": "object"}))];
    let (http, body, warnings) = TGI.encode_with(&req, false);
    assert_eq!(
        http.uri().path(),
        "/endpoints/hf-llm-mistral-7b/invocations"
    );
    assert_eq!(
        body,
        json!({
            "inputs": "Be brief.\n\nUser: Hi\n\nAssistant: Hello.\n\nUser: Name a colour.\n\nAssistant:",
            "parameters": {"max_new_tokens": 40, "temperature": 0.2, "stop": ["\nUser:"]}
        })
    );
    assert_eq!(settings(&warnings), ["tools"]);
    let (http, body, _) = TGI.encode_with(&TGI.hi(), true);
    assert_eq!(
        http.uri().path(),
        "/endpoints/hf-llm-mistral-7b/invocations-response-stream"
    );
    assert_eq!(
        http.headers()["x-amzn-sagemaker-accept"],
        "application/json"
    );
    assert_eq!(body["inputs"], "Hi", "a lone user message is the prompt");
    assert_eq!(body["stream"], true);
}

#[test]
fn provider_options_replace_the_prompt_and_add_parameters() {
    let mut req = TGI.hi();
    req.provider_options =
        json!({"inputs": "<s>[INST] Hi [/INST]", "parameters": {"do_sample": true}})
            .as_object()
            .unwrap()
            .clone();
    let body = TGI.body_of(&req);
    assert_eq!(body["inputs"], "<s>[INST] Hi [/INST]");
    assert_eq!(body["parameters"]["do_sample"], true);
}

#[test]
fn tgi_answers_decode_from_a_list_or_an_object() {
    let r = TGI.decode(r#"[{"generated_text":"Blue.","details":{"finish_reason":"eos_token","generated_tokens":3}}]"#);
    assert_eq!(r.text(), "Blue.");
    assert_eq!(finish_of(&r), (FinishKind::Stop, Some("eos_token")));
    assert_eq!(r.usage.unwrap().output_tokens, Some(3));
    let r = TGI.decode(r#"{"generated_text":"Red","details":{"finish_reason":"length"}}"#);
    assert_eq!(finish_of(&r), (FinishKind::Length, Some("length")));
    assert_eq!(
        TGI.decode(r#"[{"generated_text":"Plain"}]"#).text(),
        "Plain"
    );
    let err = SageMakerCodec::default()
        .decode(br#"{"outputs":["x"]}"#)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(SageMakerCodec::default().decode(b"[]").is_err());
}

#[test]
fn tgi_streams_join_payload_parts_cut_anywhere() {
    let text = concat!(
        "data:{\"token\":{\"id\":1,\"text\":\"Bl\",\"logprob\":-0.1,\"special\":false},\"generated_text\":null,\"details\":null}\n\n",
        "data:{\"token\":{\"id\":2,\"text\":\"ue ☕\",\"logprob\":-0.2,\"special\":false},\"generated_text\":null,\"details\":null}\n\n",
        "data:{\"token\":{\"id\":3,\"text\":\"</s>\",\"logprob\":0.0,\"special\":true},\"generated_text\":\"Blue ☕\",\"details\":{\"finish_reason\":\"eos_token\",\"generated_tokens\":3}}\n\n",
    );
    for n in [1, 7, 50, text.len()] {
        let r = TGI.stream(&parts(text, n));
        assert_eq!(r.text(), "Blue ☕", "pieces of {n}");
        assert_eq!(finish_of(&r), (FinishKind::Stop, Some("eos_token")));
    }
    // LMI's JSON lines, no `data:`.
    let lmi = "{\"token\":{\"id\":[5],\"text\":\"Hi\",\"log_prob\":-0.3}}\n{\"token\":{\"id\":[6],\"text\":\"!\",\"log_prob\":-0.1},\"generated_text\":\"Hi!\"}\n";
    assert_eq!(TGI.stream(&parts(lmi, 5)).text(), "Hi!");
    // Cut before the final generation.
    let (_, end) = TGI.stream_events(&parts(&text[..150], 9));
    assert_eq!(end.unwrap_err().kind(), ErrorKind::Truncated);
}

#[test]
fn stream_errors_and_exceptions_end_the_answer_with_an_error() {
    let (events, end) = TGI.stream_events(&parts(
        "data:{\"error\":\"Input validation error: inputs too long\",\"error_type\":\"validation\"}\n\n",
        10,
    ));
    end.unwrap();
    assert!(events.iter().any(|e| matches!(e,
        StreamEvent::Error(r) if r.code.as_deref() == Some("validation") && r.message.contains("too long"))));
    let frames = vec![
        (
            "PayloadPart".to_owned(),
            "data:{\"token\":{\"text\":\"Hel\"}}\n".to_owned(),
        ),
        (
            "exception:ModelStreamError".to_owned(),
            r#"{"Message":"Model container failed","ErrorCode":"ModelStreamError"}"#.to_owned(),
        ),
    ];
    for codec in [TGI, CHAT] {
        let (events, end) = codec.stream_events(&frames[1..]);
        end.unwrap();
        assert!(events.iter().any(|e| matches!(e,
            StreamEvent::Error(r) if r.code.as_deref() == Some("ModelStreamError")
                && r.message == "Model container failed")));
    }
    let (events, _) = TGI.stream_events(&frames);
    assert!(events.contains(&StreamEvent::TextDelta("Hel".into())));
}

#[test]
fn messages_api_bodies_are_chat_completions_without_a_model() {
    let mut req = CHAT.hi();
    req.max_tokens = Some(20);
    req.service_tier = Some("flex".into());
    let (http, body, warnings) = CHAT.encode_with(&req, true);
    assert_eq!(
        http.uri().path(),
        "/endpoints/my%20endpoint/invocations-response-stream"
    );
    assert!(
        body.get("model").is_none() && body.get("service_tier").is_none(),
        "{body}"
    );
    assert_eq!(body["messages"], json!([{"role": "user", "content": "Hi"}]));
    assert_eq!(body["max_tokens"], 20);
    assert_eq!(body["stream"], true);
    assert_eq!(settings(&warnings), ["service_tier"]);
}

#[test]
fn messages_api_answers_and_streams_are_chat_completions() {
    let whole = r#"{"id":"c","object":"chat.completion","model":"tgi","choices":[{"index":0,"message":{"role":"assistant","content":"Yes."},"finish_reason":"stop"}],"usage":{"prompt_tokens":4,"completion_tokens":2,"total_tokens":6}}"#;
    let r = CHAT.decode(whole);
    assert_eq!(r.text(), "Yes.");
    assert_eq!(r.usage.as_ref().unwrap().input_tokens, Some(4));
    let stream = concat!(
        "data: {\"id\":\"c\",\"model\":\"tgi\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Ye\"},\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"c\",\"model\":\"tgi\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"s.\"},\"finish_reason\":\"stop\"}]}\n\n",
        "data: [DONE]\n\n"
    );
    let r2 = CHAT.stream(&parts(stream, 13));
    assert_eq!(r2.text(), "Yes.");
    assert_eq!(finish_of(&r2), (FinishKind::Stop, Some("stop")));
    let (_, end) = CHAT.stream_events(&parts(&stream[..120], 13));
    assert_eq!(end.unwrap_err().kind(), ErrorKind::Truncated);
}

#[test]
fn models_are_not_listed_by_the_runtime() {
    let err = SageMakerCodec::default()
        .list_models(&endpoint())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
}
