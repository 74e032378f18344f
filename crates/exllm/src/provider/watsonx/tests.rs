use super::*;
use crate::provider::test_support::{bearer, data_frames, finish_of, settings, TestCodec};
use crate::types::{FinishKind, Message};
use serde_json::json;

fn endpoint() -> Endpoint {
    let mut ep = bearer("watsonx", "https://us-south.ml.cloud.ibm.com", "iam-token");
    ep.query = vec![
        ("version".into(), "2024-05-31".into()),
        ("project_id".into(), "proj-1".into()),
        ("space_id".into(), String::new()),
    ];
    ep
}

const CODEC: TestCodec = TestCodec::new(&WatsonxCodec, "ibm/granite-3-8b-instruct", endpoint);

#[test]
fn chat_goes_to_the_text_chat_route_with_model_id_and_project() {
    let mut req = CODEC.req(vec![Message::system("Be brief."), Message::user("Hi")]);
    req.max_tokens = Some(50);
    let (http, body, warnings) = CODEC.encode_with(&req, false);
    assert_eq!(
        http.uri().to_string(),
        "https://us-south.ml.cloud.ibm.com/ml/v1/text/chat?version=2024-05-31"
    );
    assert_eq!(body["model_id"], "ibm/granite-3-8b-instruct");
    assert_eq!(body["project_id"], "proj-1");
    assert!(
        body.get("model").is_none() && body.get("space_id").is_none(),
        "{body}"
    );
    assert_eq!(body["max_tokens"], 50);
    assert_eq!(
        body["messages"],
        json!([{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}])
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    let (http, body, _) = CODEC.encode_with(&req, true);
    assert_eq!(
        http.uri().path(),
        "/ml/v1/text/chat_stream",
        "streams have their own route"
    );
    assert!(
        body.get("stream").is_none() && body.get("stream_options").is_none(),
        "{body}"
    );
}

#[test]
fn a_space_replaces_the_project_and_one_of_them_is_needed() {
    let mut ep = endpoint();
    ep.query[1].1.clear();
    ep.query[2].1 = "space-9".into();
    let (_, body, _) = CODEC.encode_to(&CODEC.hi(), &ep, false);
    assert_eq!(body["space_id"], "space-9");
    assert!(body.get("project_id").is_none(), "{body}");
    ep.query[2].1.clear();
    let err = WatsonxCodec
        .encode(&CODEC.hi(), "m", &ep, false)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("WATSONX_PROJECT_ID"), "{err}");
}

#[test]
fn settings_watsonx_lacks_are_warned_and_not_sent() {
    let mut req = CODEC.hi();
    req.service_tier = Some("flex".into());
    req.user = Some("u1".into());
    let (_, body, warnings) = CODEC.encode_with(&req, false);
    assert!(
        body.get("service_tier").is_none() && body.get("user").is_none(),
        "{body}"
    );
    let mut named = settings(&warnings);
    named.sort();
    assert_eq!(named, ["service_tier", "user"]);
}

#[test]
fn answers_name_their_model_in_model_id() {
    let body = json!({
        "id": "chat-1", "model_id": "ibm/granite-3-8b-instruct", "model_version": "1.1.0",
        "created": 1728000000, "created_at": "2024-10-04T00:00:00.000Z",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello!"},
                     "finish_reason": "stop"}],
        "usage": {"completion_tokens": 3, "prompt_tokens": 12, "total_tokens": 15}
    });
    let r = CODEC.decode(&body.to_string());
    assert_eq!(r.text(), "Hello!");
    assert_eq!(r.model.as_deref(), Some("ibm/granite-3-8b-instruct"));
    assert_eq!(r.usage.as_ref().unwrap().input_tokens, Some(12));
    assert_eq!(finish_of(&r), (FinishKind::Stop, Some("stop")));
}

#[test]
fn streams_are_chat_completion_chunks() {
    let chunk = |delta: serde_json::Value, finish: serde_json::Value| {
        json!({"id": "chat-2", "model_id": "ibm/granite-3-8b-instruct", "created": 1,
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    };
    let mut last = chunk(json!({"content": ""}), json!("stop"));
    last["usage"] = json!({"completion_tokens": 2, "prompt_tokens": 5, "total_tokens": 7});
    let frames = data_frames(&[
        chunk(json!({"role": "assistant", "content": ""}), json!(null)),
        chunk(json!({"content": "Hel"}), json!(null)),
        chunk(json!({"content": "lo"}), json!(null)),
        last,
    ]);
    let r = CODEC.stream(&frames);
    assert_eq!(r.text(), "Hello");
    assert_eq!(r.model.as_deref(), Some("ibm/granite-3-8b-instruct"));
    assert_eq!(r.usage.as_ref().unwrap().output_tokens, Some(2));
    let (_, end) = CODEC.stream_events(&frames[..2]);
    assert_eq!(end.unwrap_err().kind(), ErrorKind::Truncated);
}

#[test]
fn models_are_listed_from_the_foundation_model_specs() {
    let r = WatsonxCodec.list_models(&endpoint()).unwrap();
    assert_eq!(
        r.uri().to_string(),
        "https://us-south.ml.cloud.ibm.com/ml/v1/foundation_model_specs?version=2024-05-31"
    );
    let body = br#"{"total_count":2,"resources":[
        {"model_id":"ibm/granite-3-8b-instruct","label":"granite-3-8b-instruct","provider":"IBM"},
        {"model_id":"meta-llama/llama-3-3-70b-instruct","functions":[{"id":"text_chat"}]}]}"#;
    let models = WatsonxCodec.decode_models(body).unwrap();
    assert_eq!(models.len(), 2);
    assert_eq!(
        models[0].display_name.as_deref(),
        Some("granite-3-8b-instruct")
    );
    assert_eq!(models[1].id, "meta-llama/llama-3-3-70b-instruct");
}
