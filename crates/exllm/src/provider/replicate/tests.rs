use super::*;
use crate::provider::test_support::{bearer, finish_of, settings, sse, TestCodec};
use crate::types::{FinishKind, Message, StreamEvent, Tool};
use serde_json::json;

fn endpoint() -> Endpoint {
    bearer("replicate", "https://api.replicate.com/v1", "r8-test-key")
}

const CODEC: TestCodec = TestCodec::new(&ReplicateCodec, "meta/meta-llama-3-8b-instruct", endpoint);

fn step(body: &Value, stream: bool, polls: u32) -> Step {
    ReplicateCodec
        .decode_step(body.to_string().as_bytes(), &endpoint(), stream, polls)
        .expect("the prediction decodes")
}

fn done(step: Step) -> ChatResponse {
    match step {
        Step::Done(r) => *r,
        other => panic!("expected a final answer, got {other:?}"),
    }
}

fn running(status: &str, output: Value) -> Value {
    json!({
        "id": "p1", "model": "meta/meta-llama-3-8b-instruct", "status": status,
        "input": {"prompt": "Hi"}, "output": output, "error": null, "logs": "",
        "urls": {
            "get": "https://api.replicate.com/v1/predictions/p1",
            "cancel": "https://api.replicate.com/v1/predictions/p1/cancel",
            "stream": "https://stream-b.svc.ric1.c.replicate.net/v1/streams/abc"
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Encode
// ---------------------------------------------------------------------------------------------

#[test]
fn a_model_is_created_at_its_predictions_path_and_waited_for() {
    let (request, body, warnings) = CODEC.encode_with(&CODEC.hi(), false);
    assert_eq!(request.method(), http::Method::POST);
    assert_eq!(
        request.uri(),
        "https://api.replicate.com/v1/models/meta/meta-llama-3-8b-instruct/predictions"
    );
    assert_eq!(request.headers()["authorization"], "Bearer r8-test-key");
    assert_eq!(request.headers()["prefer"], "wait");
    assert_eq!(request.headers()["content-type"], "application/json");
    assert_eq!(body, json!({"input": {"prompt": "Hi"}}));
    assert!(warnings.is_empty());

    // A stream wants the prediction at once, and never says `"stream": true` (deprecated).
    let (request, body, _) = CODEC.encode_with(&CODEC.hi(), true);
    assert!(request.headers().get("prefer").is_none());
    assert_eq!(body, json!({"input": {"prompt": "Hi"}}));
}

#[test]
fn versions_and_deployments_have_their_own_paths() {
    let version = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa";
    let (r, body, _) =
        CODEC.encode_model(&CODEC.hi(), &format!("meta/llama-2-70b:{version}"), false);
    assert_eq!(r.uri(), "https://api.replicate.com/v1/predictions");
    assert_eq!(body["version"], version);
    let (r, body, _) = CODEC.encode_model(&CODEC.hi(), version, false);
    assert_eq!(r.uri(), "https://api.replicate.com/v1/predictions");
    assert_eq!(body["version"], version);
    let (r, body, _) = CODEC.encode_model(&CODEC.hi(), "deployments/acme/chat", false);
    assert_eq!(
        r.uri(),
        "https://api.replicate.com/v1/deployments/acme/chat/predictions"
    );
    assert!(body.get("version").is_none());
    for bad in ["llama", "a/b/c", "a/:", "/x"] {
        let e = ReplicateCodec
            .encode(&CODEC.hi(), bad, &endpoint(), false)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}");
    }
}

#[test]
fn settings_map_to_the_common_inputs_and_options_merge_into_input() {
    let mut req = CODEC.req(vec![Message::system("Be brief."), Message::user("Hi")]);
    req.max_tokens = Some(64);
    req.temperature = Some(0.5);
    req.top_p = Some(0.9);
    req.top_k = Some(40);
    req.seed = Some(7);
    req.presence_penalty = Some(0.1);
    req.frequency_penalty = Some(0.2);
    req.stop = vec!["END".into(), "STOP".into()];
    req.provider_options
        .insert("prompt_template".into(), "{prompt}".into());
    req.provider_options.insert("max_tokens".into(), 10.into());
    let (_, body, warnings) = CODEC.encode_with(&req, false);
    assert_eq!(
        body,
        json!({"input": {
            "prompt": "Hi", "system_prompt": "Be brief.", "max_tokens": 10,
            "temperature": 0.5, "top_p": 0.9, "top_k": 40, "seed": 7,
            "presence_penalty": 0.1, "frequency_penalty": 0.2,
            "stop_sequences": "END,STOP", "prompt_template": "{prompt}"
        }})
    );
    assert!(warnings.is_empty());
}

#[test]
fn a_conversation_becomes_a_transcript_prompt() {
    let req = CODEC.req(vec![
        Message::user("Hi"),
        Message::assistant("Hello!"),
        Message::user("Name a llama."),
    ]);
    let body = CODEC.body_of(&req);
    assert_eq!(
        body["input"]["prompt"],
        "User: Hi\n\nAssistant: Hello!\n\nUser: Name a llama.\n\nAssistant:"
    );
}

#[test]
fn images_go_to_the_image_input_and_what_has_no_input_is_a_warning() {
    let mut req = CODEC.req(vec![Message::new(
        Role::User,
        vec![
            Part::text("What is this?"),
            Part::image_base64("image/png", "iVBORw0KGgo="),
        ],
    )]);
    req = req.with_tool(Tool::new("f", "d", json!({"type": "object"})));
    req.n = Some(2);
    let (_, body, warnings) = CODEC.encode_with(&req, false);
    assert_eq!(body["input"]["image"], "data:image/png;base64,iVBORw0KGgo=");
    assert_eq!(body["input"]["prompt"], "What is this?");
    assert!(body["input"].get("tools").is_none());
    assert_eq!(settings(&warnings), ["tools", "n"]);
}

// ---------------------------------------------------------------------------------------------
// Decode
// ---------------------------------------------------------------------------------------------

#[test]
fn a_succeeded_prediction_is_text_stop_and_usage() {
    let r = CODEC.decode(
        r#"{"id":"p1","model":"meta/meta-llama-3-8b-instruct","status":"succeeded",
            "output":["Fuzzy"," llamas","",null],"error":null,
            "metrics":{"input_token_count":12,"output_token_count":3,"predict_time":0.42}}"#,
    );
    assert_eq!(r.text(), "Fuzzy llamas");
    assert_eq!(finish_of(&r), (FinishKind::Stop, Some("succeeded")));
    let u = r.usage.as_ref().unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (Some(12), Some(3)));
    assert_eq!(r.id.as_deref(), Some("p1"));
    assert_eq!(r.model.as_deref(), Some("meta/meta-llama-3-8b-instruct"));
    assert_eq!(r.provider_meta["status"], "succeeded");
    assert_eq!(r.provider_meta["predict_time"], 0.42);
}

#[test]
fn a_string_output_is_the_text_and_odd_metrics_are_no_usage() {
    let r = CODEC
        .decode(r#"{"status":"succeeded","output":"Hello","metrics":{"input_token_count":"x"}}"#);
    assert_eq!(r.text(), "Hello");
    assert!(r.usage.is_none());
}

#[test]
fn failed_and_canceled_predictions() {
    let r = CODEC.decode(r#"{"status":"failed","output":null,"error":"CUDA out of memory"}"#);
    assert_eq!(finish_of(&r), (FinishKind::Error, Some("failed")));
    assert_eq!(r.error.as_ref().unwrap().message, "CUDA out of memory");
    let r = CODEC.decode(r#"{"status":"failed","error":{"detail":"bad input"}}"#);
    assert_eq!(r.error.as_ref().unwrap().message, "bad input");
    let r = CODEC.decode(r#"{"status":"failed"}"#);
    assert!(r.error.is_some());
    let r = CODEC.decode(r#"{"status":"canceled","output":["Fu"]}"#);
    assert_eq!(finish_of(&r), (FinishKind::Other, Some("canceled")));
    assert_eq!(r.text(), "Fu");
}

#[test]
fn a_running_prediction_has_no_finish_and_bad_bodies_are_decode_errors() {
    let r = CODEC.decode(r#"{"status":"processing","output":["Fu"]}"#);
    assert!(r.finish.is_none());
    let e = ReplicateCodec.decode(b"not json").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode);
}

// ---------------------------------------------------------------------------------------------
// Steps
// ---------------------------------------------------------------------------------------------

#[test]
fn terminal_predictions_and_waited_output_are_final() {
    let mut finished = running("succeeded", json!(["Hi"]));
    finished["metrics"] = json!({"input_token_count": 1, "output_token_count": 1});
    assert_eq!(done(step(&finished, false, 0)).text(), "Hi");
    assert_eq!(done(step(&finished, true, 0)).text(), "Hi");
    // `Prefer: wait` ran out with the output there: that is the answer.
    let r = done(step(
        &running("processing", json!(["Hi", " there"])),
        false,
        0,
    ));
    assert_eq!(r.text(), "Hi there");
    assert!(r.finish.is_none());
}

#[test]
fn running_predictions_are_polled_at_the_api() {
    for body in [
        running("starting", Value::Null),
        running("processing", json!([])),
    ] {
        let Step::Poll(r) = step(&body, false, 0) else {
            panic!("expected a poll")
        };
        assert_eq!(r.method(), http::Method::GET);
        assert_eq!(r.uri(), "https://api.replicate.com/v1/predictions/p1");
        assert_eq!(r.headers()["authorization"], "Bearer r8-test-key");
    }
    // Once polling, partial output is not the end.
    assert!(matches!(
        step(&running("processing", json!(["Hi"])), false, 1),
        Step::Poll(_)
    ));
    // Without an id there is nothing to poll: the answer is what came.
    assert!(matches!(
        step(&json!({"status": "processing"}), false, 0),
        Step::Done(_)
    ));
}

#[test]
fn a_stream_opens_the_stream_url_and_can_be_cancelled() {
    let Step::Stream {
        request,
        cancel,
        head,
    } = step(&running("starting", Value::Null), true, 0)
    else {
        panic!("expected a stream")
    };
    assert_eq!(request.method(), http::Method::GET);
    assert_eq!(
        request.uri(),
        "https://stream-b.svc.ric1.c.replicate.net/v1/streams/abc"
    );
    assert_eq!(request.headers()["accept"], "text/event-stream");
    assert_eq!(request.headers()["authorization"], "Bearer r8-test-key");
    let cancel = cancel.unwrap();
    assert_eq!(cancel.method(), http::Method::POST);
    assert_eq!(
        cancel.uri(),
        "https://api.replicate.com/v1/predictions/p1/cancel"
    );
    assert_eq!(
        head,
        [StreamEvent::Start {
            id: Some("p1".into()),
            model: Some("meta/meta-llama-3-8b-instruct".into())
        }]
    );
    // No stream URL: polled until it ends.
    let mut body = running("starting", Value::Null);
    body["urls"] = json!({"get": "x"});
    assert!(matches!(step(&body, true, 0), Step::Poll(_)));
}

#[test]
fn the_key_follows_a_stream_url_only_to_trusted_hosts() {
    let mut body = running("starting", Value::Null);
    body["urls"]["stream"] = "https://evil.example/steal".into();
    let Step::Stream { request, .. } = step(&body, true, 0) else {
        panic!("expected a stream")
    };
    assert!(request.headers().get("authorization").is_none());
    assert!(trusted("http://127.0.0.1:9/s", "http://127.0.0.1:9/v1"));
    assert!(!trusted("http://127.0.0.1:8/s", "http://127.0.0.1:9/v1"));
    assert!(!trusted(
        "http://x.replicate.com/s",
        "https://api.replicate.com/v1"
    ));
    assert!(trusted("https://api.replicate.com/s", "http://127.0.0.1:9"));
    assert!(!trusted(
        "https://replicate.com.evil.example/s",
        "https://api.replicate.com/v1"
    ));
}

// ---------------------------------------------------------------------------------------------
// Stream
// ---------------------------------------------------------------------------------------------

#[test]
fn stream_output_events_are_text_and_done_is_the_finish() {
    let r = CODEC.stream(&sse(
        "event: output\nid: 1:0\ndata: Fuzzy\n\nevent: logs\ndata: loading\n\n\
         event: output\nid: 1:1\ndata:  gentle\ndata: beasts\n\nevent: done\ndata: {}\n\n",
    ));
    assert_eq!(r.text(), "Fuzzy gentle\nbeasts");
    assert_eq!(finish_of(&r), (FinishKind::Stop, Some("succeeded")));
}

#[test]
fn stream_done_reasons_and_errors() {
    let r = CODEC.stream(&sse(
        "event: output\ndata: Fu\n\nevent: done\ndata: {\"reason\":\"canceled\"}\n\n",
    ));
    assert_eq!(finish_of(&r), (FinishKind::Other, Some("canceled")));
    let r = CODEC.stream(&sse(
        "event: error\ndata: {\"detail\":\"out of memory\"}\n\nevent: done\ndata: {\"reason\":\"error\"}\n\n",
    ));
    assert_eq!(r.finish_kind(), Some(FinishKind::Error));
    assert_eq!(r.error.as_ref().unwrap().message, "out of memory");
    let r = CODEC.stream(&sse("event: error\ndata: plain words\n\n"));
    assert_eq!(r.error.as_ref().unwrap().message, "plain words");
}

#[test]
fn a_stream_without_done_is_truncated() {
    let (events, end) = CODEC.stream_events(&sse("event: output\ndata: Fu\n\n"));
    assert_eq!(events, [StreamEvent::TextDelta("Fu".into())]);
    assert_eq!(end.unwrap_err().kind(), ErrorKind::Truncated);
}
